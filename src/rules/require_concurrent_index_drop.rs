//! `require-concurrent-index-drop`: DROP INDEX without CONCURRENTLY.

use super::script::{qualified_object, Parsed};
use super::{Hit, InRun, Rule};
use pg_query::protobuf::ObjectType;
use pg_query::NodeEnum;

pub static RULE: Rule = Rule {
    id: "require-concurrent-index-drop",
    summary: "DROP INDEX without CONCURRENTLY",
    why: "DROP INDEX takes an ACCESS EXCLUSIVE lock on the index's table: it waits behind every running query on the table, and every query that arrives after it waits behind it, reads included.",
    fix: "Drop it with DROP INDEX CONCURRENTLY, outside a transaction.",
    safe: "DROP INDEX CONCURRENTLY IF EXISTS orders_user_id_idx;",
    bad: "DROP INDEX orders_user_id_idx;",
    good: "DROP INDEX CONCURRENTLY orders_user_id_idx;",
    in_run: InRun::Always,
    kind: "require-concurrent-index-drop",
    check: Some(check),
    squawk: &["require-concurrent-index-deletion"],
};

fn check(p: &Parsed) -> Vec<Hit> {
    let mut out = Vec::new();
    for (s, node) in p.nodes() {
        let NodeEnum::DropStmt(d) = node else {
            continue;
        };
        if d.concurrent || ObjectType::try_from(d.remove_type) != Ok(ObjectType::ObjectIndex) {
            continue;
        }
        for o in &d.objects {
            let index = qualified_object(o);
            if s.before.exists(&index) {
                out.push(Hit::new(
                    s.line,
                    Some(index.clone()),
                    format!(
                        "DROP INDEX {index} without CONCURRENTLY locks its table ACCESS EXCLUSIVE"
                    ),
                ));
            }
        }
    }
    out
}

#[cfg(test)]
super::example_tests!();
