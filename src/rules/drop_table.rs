//! `drop-table`: DROP TABLE of a table that existed before the migration.

use super::script::{qualified_object, Parsed};
use super::{Hit, InRun, Rule};
use pg_query::protobuf::ObjectType;
use pg_query::NodeEnum;

pub static RULE: Rule = Rule {
    id: "drop-table",
    summary: "DROP TABLE of an existing table",
    why: "The rows are gone (a rollback cannot bring them back), code still using the table fails, and the drop waits for an ACCESS EXCLUSIVE lock behind every running query on it.",
    fix: "Stop using the table in one release, drop it in a later one (or rename it aside first), and get the drop approved (-- rehearse:approve destructive).",
    safe: "-- release N: nothing reads or writes legacy_events any more\n-- release N+1:\nDROP TABLE legacy_events;",
    bad: "DROP TABLE legacy_events;",
    good: "CREATE TABLE scratch (id bigint);\nDROP TABLE scratch;",
    in_run: InRun::LintOnly,
    kind: "drop-table",
    check: Some(check),
    squawk: &["ban-drop-table"],
};

fn check(p: &Parsed) -> Vec<Hit> {
    let mut out = Vec::new();
    for (s, node) in p.nodes() {
        let NodeEnum::DropStmt(d) = node else {
            continue;
        };
        if ObjectType::try_from(d.remove_type) != Ok(ObjectType::ObjectTable) {
            continue;
        }
        for o in &d.objects {
            let table = qualified_object(o);
            if s.before.exists(&table) {
                out.push(Hit::new(
                    s.line,
                    Some(table.clone()),
                    format!(
                        "DROP TABLE {table} destroys its rows and breaks code that still uses it"
                    ),
                ));
            }
        }
    }
    out
}

#[cfg(test)]
super::example_tests!();
