//! `concurrently-in-transaction`: a CONCURRENTLY statement after the script's own BEGIN.

use super::script::Parsed;
use super::{Hit, InRun, Rule};
use pg_query::NodeEnum;

pub static RULE: Rule = Rule {
    id: "concurrently-in-transaction",
    summary: "CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY or DETACH PARTITION CONCURRENTLY inside a transaction block",
    why: "PostgreSQL refuses these statements inside a transaction block (\"cannot run inside a transaction block\"): the migration fails in production, after whatever ran before it in the transaction took its locks.",
    fix: "Put the CONCURRENTLY statement in a migration of its own, without BEGIN/COMMIT, and tell the migration tool not to wrap it in a transaction.",
    safe: "-- a migration of its own, run outside a transaction\nCREATE INDEX CONCURRENTLY orders_user_id_idx ON orders (user_id);",
    bad: "BEGIN;\nCREATE INDEX CONCURRENTLY orders_user_id_idx ON orders (user_id);\nCOMMIT;",
    good: "CREATE INDEX CONCURRENTLY orders_user_id_idx ON orders (user_id);",
    in_run: InRun::Always,
    kind: "concurrently-in-transaction",
    check: Some(check),
    squawk: &["ban-concurrent-index-creation-in-transaction"],
};

/// The relation a CONCURRENTLY statement is about.
fn target(node: &NodeEnum) -> Option<String> {
    match node {
        NodeEnum::IndexStmt(i) => i.relation.as_ref().map(super::script::relation),
        NodeEnum::DropStmt(d) => d.objects.first().map(super::script::qualified_object),
        NodeEnum::ReindexStmt(r) => r.relation.as_ref().map(super::script::relation),
        NodeEnum::AlterTableStmt(_) => super::script::alter_table_cmds(node)
            .first()
            .map(|(t, _)| t.clone()),
        _ => None,
    }
}

/// The statement's CONCURRENTLY form, named.
fn concurrent(node: &NodeEnum) -> Option<&'static str> {
    match node {
        NodeEnum::IndexStmt(i) if i.concurrent => Some("CREATE INDEX CONCURRENTLY"),
        NodeEnum::DropStmt(d) if d.concurrent => Some("DROP INDEX CONCURRENTLY"),
        NodeEnum::ReindexStmt(r)
            if r.params.iter().any(|o| {
                matches!(o.node.as_ref(), Some(NodeEnum::DefElem(d)) if d.defname == "concurrently")
            }) =>
        {
            Some("REINDEX CONCURRENTLY")
        }
        NodeEnum::AlterTableStmt(_) => super::script::alter_table_cmds(node)
            .iter()
            .any(|(_, c)| {
                matches!(c.def.as_ref().and_then(|d| d.node.as_ref()), Some(NodeEnum::PartitionCmd(p)) if p.concurrent)
            })
            .then_some("DETACH PARTITION CONCURRENTLY"),
        _ => None,
    }
}

fn check(p: &Parsed) -> Vec<Hit> {
    let mut out = Vec::new();
    for (s, node) in p.nodes() {
        if let (Some(what), Some(begin)) = (concurrent(node), s.before.explicit_transaction) {
            out.push(Hit::new(
                s.line,
                target(node),
                format!("{what} runs inside the transaction opened on line {begin}, which PostgreSQL refuses"),
            ));
        }
    }
    out
}

#[cfg(test)]
super::example_tests!();
