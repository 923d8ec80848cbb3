//! `require-concurrent-index`: CREATE INDEX without CONCURRENTLY on a table that already exists.

use super::script::{relation, Parsed};
use super::{Hit, InRun, Rule};
use pg_query::NodeEnum;

pub static RULE: Rule = Rule {
    id: "require-concurrent-index",
    summary: "CREATE INDEX without CONCURRENTLY on a table that already exists",
    why: "A plain CREATE INDEX holds a SHARE lock on the table for the whole build: every INSERT, UPDATE and DELETE waits until the index is built, which on a large table is minutes. Reads go on.",
    fix: "Build it with CREATE INDEX CONCURRENTLY, in a migration of its own outside a transaction.",
    safe: "CREATE INDEX CONCURRENTLY orders_user_id_idx ON orders (user_id);",
    bad: "CREATE INDEX orders_user_id_idx ON orders (user_id);",
    good: "CREATE INDEX CONCURRENTLY orders_user_id_idx ON orders (user_id);",
    in_run: InRun::WhenLarge,
    kind: "index_without_concurrently",
    check: Some(check),
    squawk: &["require-concurrent-index-creation"],
};

fn check(p: &Parsed) -> Vec<Hit> {
    let mut out = Vec::new();
    for (s, node) in p.nodes() {
        if let NodeEnum::IndexStmt(i) = node {
            let Some(table) = i.relation.as_ref().map(relation) else {
                continue;
            };
            if i.concurrent || !s.before.exists(&table) {
                continue;
            }
            let name = if i.idxname.is_empty() {
                String::new()
            } else {
                format!(" {}", crate::identifier::display(&i.idxname))
            };
            out.push(Hit::new(
                s.line,
                Some(table.clone()),
                format!("CREATE INDEX{name} without CONCURRENTLY blocks writes to {table} while it builds"),
            ));
        }
    }
    out
}

#[cfg(test)]
super::example_tests!();
