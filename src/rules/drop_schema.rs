//! `drop-schema`: DROP SCHEMA.

use super::script::{object_text, Parsed};
use super::{Hit, InRun, Rule};
use pg_query::protobuf::ObjectType;
use pg_query::NodeEnum;

pub static RULE: Rule = Rule {
    id: "drop-schema",
    summary: "DROP SCHEMA",
    why: "Every object in the schema goes with it (with CASCADE, silently): tables, their rows, functions and types, and whatever depends on them elsewhere.",
    fix: "Drop the schema's objects one by one in migrations that say what they destroy, each approved, and the empty schema last without CASCADE.",
    safe: "DROP SCHEMA legacy RESTRICT;",
    bad: "DROP SCHEMA legacy CASCADE;",
    good: "CREATE SCHEMA reporting;",
    in_run: InRun::LintOnly,
    kind: "drop-schema",
    check: Some(check),
    squawk: &["ban-drop-schema"],
};

fn check(p: &Parsed) -> Vec<Hit> {
    let mut out = Vec::new();
    for (s, node) in p.nodes() {
        let NodeEnum::DropStmt(d) = node else {
            continue;
        };
        if ObjectType::try_from(d.remove_type) != Ok(ObjectType::ObjectSchema) {
            continue;
        }
        let cascade = super::script::cascades(d.behavior);
        for o in &d.objects {
            let schema = object_text(o);
            if !cascade && s.sql.to_ascii_uppercase().contains("RESTRICT") {
                continue;
            }
            out.push(Hit::new(
                s.line,
                Some(schema.clone()),
                format!(
                    "DROP SCHEMA {schema}{} destroys every object in it",
                    if cascade { " CASCADE" } else { "" }
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
super::example_tests!();
