//! `renaming-object`: RENAME or SET SCHEMA of a view, function, type, sequence or schema (tables
//! and columns have rules of their own).

use super::script::{names, object_text, Parsed};
use super::{Hit, InRun, Rule};
use pg_query::protobuf::ObjectType;
use pg_query::NodeEnum;

pub static RULE: Rule = Rule {
    id: "renaming-object",
    summary: "RENAME or SET SCHEMA of a view, materialized view, function, type, sequence or schema",
    why: "The change is instant, but the application version still running during the deploy names the object as it was: its queries and calls fail until every instance runs the new code.",
    fix: "Create the object under its new name (a view or function can simply exist twice), move the callers over, and drop the old name in a later release.",
    safe: "CREATE VIEW active_customers AS SELECT * FROM customers WHERE active;\n-- move readers to active_customers; in a later release:\nDROP VIEW active_clients;",
    bad: "ALTER VIEW active_clients RENAME TO active_customers;",
    good: "CREATE VIEW active_customers AS SELECT * FROM customers WHERE active;",
    in_run: InRun::Always,
    kind: "renaming-object",
    check: Some(check),
    squawk: &["renaming-object", "ban-set-schema"],
};

/// The kinds of object this rule is about, with the word a finding uses for each.
fn kind(t: i32) -> Option<&'static str> {
    Some(match ObjectType::try_from(t).ok()? {
        ObjectType::ObjectView => "view",
        ObjectType::ObjectMatview => "materialized view",
        ObjectType::ObjectFunction => "function",
        ObjectType::ObjectProcedure => "procedure",
        ObjectType::ObjectType => "type",
        ObjectType::ObjectDomain => "domain",
        ObjectType::ObjectSequence => "sequence",
        ObjectType::ObjectSchema => "schema",
        ObjectType::ObjectTable => "table",
        _ => return None,
    })
}

/// A non-relation object's name: a function's without its arguments.
fn object_name(o: &pg_query::protobuf::Node) -> String {
    match o.node.as_ref() {
        Some(NodeEnum::ObjectWithArgs(f)) => names(&f.objname).join("."),
        _ => object_text(o),
    }
}

fn check(p: &Parsed) -> Vec<Hit> {
    let mut out = Vec::new();
    for (s, node) in p.nodes() {
        let (what, name, change) = match node {
            // A table's rename is renaming-table's.
            NodeEnum::RenameStmt(r)
                if ObjectType::try_from(r.rename_type) != Ok(ObjectType::ObjectTable) =>
            {
                let Some(what) = kind(r.rename_type) else {
                    continue;
                };
                let name = match (&r.relation, &r.object) {
                    (Some(rv), _) => super::script::relation(rv),
                    (None, Some(o)) => object_name(o),
                    (None, None) => r.subname.clone(),
                };
                (
                    what,
                    name,
                    format!("to {}", crate::identifier::display(&r.newname)),
                )
            }
            NodeEnum::AlterObjectSchemaStmt(a) => {
                let Some(what) = kind(a.object_type) else {
                    continue;
                };
                let name = match (&a.relation, &a.object) {
                    (Some(rv), _) => super::script::relation(rv),
                    (None, Some(o)) => object_name(o),
                    (None, None) => continue,
                };
                if what == "table" && !s.before.exists(&name) {
                    continue;
                }
                (
                    what,
                    name,
                    format!("into schema {}", crate::identifier::display(&a.newschema)),
                )
            }
            _ => continue,
        };
        out.push(Hit::new(
            s.line,
            Some(name.clone()),
            format!("moving the {what} {name} {change} breaks the running application's queries that use the old name"),
        ));
    }
    out
}

#[cfg(test)]
super::example_tests!();
