//! `require-concurrent-partition-detach`: DETACH PARTITION without CONCURRENTLY.

use super::script::{alter_table_cmds, Parsed};
use super::{Hit, InRun, Rule};
use pg_query::protobuf::AlterTableType;
use pg_query::NodeEnum;

pub static RULE: Rule = Rule {
    id: "require-concurrent-partition-detach",
    summary: "ALTER TABLE ... DETACH PARTITION without CONCURRENTLY",
    why: "A plain DETACH PARTITION takes an ACCESS EXCLUSIVE lock on the partitioned table: every read and write of any partition waits, first behind every running query on the table (the lock queue), then for the detach.",
    fix: "Detach with DETACH PARTITION ... CONCURRENTLY (PostgreSQL 14+), in a migration of its own outside a transaction: it takes SHARE UPDATE EXCLUSIVE, which lets reads and writes go on.",
    safe: "ALTER TABLE events DETACH PARTITION events_2023 CONCURRENTLY;",
    bad: "ALTER TABLE events DETACH PARTITION events_2023;",
    good: "ALTER TABLE events DETACH PARTITION events_2023 CONCURRENTLY;",
    in_run: InRun::Always,
    kind: "require-concurrent-partition-detach",
    check: Some(check),
    squawk: &["require-concurrent-partition-detach"],
};

fn check(p: &Parsed) -> Vec<Hit> {
    let mut out = Vec::new();
    for (s, node) in p.nodes() {
        for (table, cmd) in alter_table_cmds(node) {
            if AlterTableType::try_from(cmd.subtype) != Ok(AlterTableType::AtDetachPartition)
                || !s.before.exists(&table)
            {
                continue;
            }
            let Some(NodeEnum::PartitionCmd(part)) = cmd.def.as_ref().and_then(|d| d.node.as_ref())
            else {
                continue;
            };
            if part.concurrent {
                continue;
            }
            let partition = part
                .name
                .as_ref()
                .map(super::script::relation)
                .unwrap_or_default();
            out.push(Hit::new(
                s.line,
                Some(table.clone()),
                format!("DETACH PARTITION {partition} without CONCURRENTLY locks {table} ACCESS EXCLUSIVE: every query on it waits"),
            ));
        }
    }
    out
}

#[cfg(test)]
super::example_tests!();
