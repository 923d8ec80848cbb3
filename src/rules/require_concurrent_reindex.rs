//! `require-concurrent-reindex`: REINDEX without CONCURRENTLY.

use super::script::{relation, Parsed};
use super::{Hit, InRun, Rule};
use pg_query::NodeEnum;

pub static RULE: Rule = Rule {
    id: "require-concurrent-reindex",
    summary: "REINDEX without CONCURRENTLY",
    why: "REINDEX locks each index it rebuilds ACCESS EXCLUSIVE and its table SHARE: writes wait for the whole rebuild, and every query that would use the index waits too.",
    fix: "Use REINDEX (CONCURRENTLY) (PostgreSQL 12 and later), outside a transaction.",
    safe: "REINDEX INDEX CONCURRENTLY orders_user_id_idx;",
    bad: "REINDEX INDEX orders_user_id_idx;",
    good: "REINDEX INDEX CONCURRENTLY orders_user_id_idx;",
    in_run: InRun::WhenLarge,
    kind: "require-concurrent-reindex",
    check: Some(check),
    squawk: &["require-concurrent-reindex"],
};

fn check(p: &Parsed) -> Vec<Hit> {
    let mut out = Vec::new();
    for (s, node) in p.nodes() {
        let NodeEnum::ReindexStmt(r) = node else {
            continue;
        };
        let concurrent = r.params.iter().any(|o| {
            matches!(o.node.as_ref(), Some(NodeEnum::DefElem(d)) if d.defname == "concurrently")
        });
        if concurrent {
            continue;
        }
        let target = r
            .relation
            .as_ref()
            .map(relation)
            .unwrap_or_else(|| crate::identifier::display(&r.name));
        out.push(Hit::new(
            s.line,
            Some(target.clone()),
            format!("REINDEX of {target} without CONCURRENTLY blocks writes to the table and reads through the index while it rebuilds"),
        ));
    }
    out
}

#[cfg(test)]
super::example_tests!();
