//! Which statements cannot run inside a transaction block, read from the parse tree.
//!
//! The probe wraps a migration in one transaction unless a statement here says otherwise; a wrong
//! answer either fails the rehearsal with "cannot run inside a transaction block" or hides the
//! lock behaviour of a statement that production runs on its own. When the tree alone cannot
//! tell (a subscription's slot lives in the catalog), we answer `NonTransactional`: running
//! outside a transaction is always allowed, running inside one is not.

use super::Transactionality;
use pg_query::protobuf::{
    AlterSubscriptionType, AlterTableType, Node, ReindexObjectType, TransactionStmtKind,
};
use pg_query::NodeEnum;

/// Classifies one top-level statement.
pub(crate) fn transactionality(node: &NodeEnum) -> Transactionality {
    use Transactionality::*;
    let outside = |yes: bool| if yes { NonTransactional } else { Transactional };
    match node {
        NodeEnum::TransactionStmt(t) => match TransactionStmtKind::try_from(t.kind) {
            Ok(TransactionStmtKind::TransStmtBegin | TransactionStmtKind::TransStmtStart) => Begin,
            Ok(TransactionStmtKind::TransStmtCommit | TransactionStmtKind::TransStmtRollback) => {
                Commit
            }
            Ok(
                TransactionStmtKind::TransStmtCommitPrepared
                | TransactionStmtKind::TransStmtRollbackPrepared,
            ) => NonTransactional,
            _ => Transactional,
        },
        NodeEnum::IndexStmt(s) => outside(s.concurrent),
        NodeEnum::DropStmt(s) => outside(s.concurrent),
        NodeEnum::ReindexStmt(s) => outside(
            option(&s.params, "concurrently").unwrap_or(false)
                || matches!(
                    ReindexObjectType::try_from(s.kind),
                    Ok(ReindexObjectType::ReindexObjectSystem
                        | ReindexObjectType::ReindexObjectDatabase)
                ),
        ),
        // VACUUM cannot run in a transaction; a bare ANALYZE (same node) can.
        NodeEnum::VacuumStmt(s) => outside(s.is_vacuumcmd),
        // CLUSTER without a table reclusters the whole database, one transaction per table.
        NodeEnum::ClusterStmt(s) => outside(s.relation.is_none()),
        NodeEnum::AlterSystemStmt(_)
        | NodeEnum::CreatedbStmt(_)
        | NodeEnum::DropdbStmt(_)
        | NodeEnum::CreateTableSpaceStmt(_)
        | NodeEnum::DropTableSpaceStmt(_) => NonTransactional,
        // ALTER DATABASE ... SET TABLESPACE moves files and refuses a transaction block.
        NodeEnum::AlterDatabaseStmt(s) => {
            outside(s.options.iter().any(
                |o| matches!(&o.node, Some(NodeEnum::DefElem(d)) if d.defname == "tablespace"),
            ))
        }
        NodeEnum::AlterTableStmt(s) => outside(s.cmds.iter().any(|c| match &c.node {
            Some(NodeEnum::AlterTableCmd(cmd)) => {
                cmd.subtype == AlterTableType::AtDetachPartition as i32
                    && matches!(
                        cmd.def.as_deref().and_then(|d| d.node.as_ref()),
                        Some(NodeEnum::PartitionCmd(p)) if p.concurrent
                    )
            }
            _ => false,
        })),
        // CREATE SUBSCRIPTION creates a replication slot unless told `create_slot = false`.
        NodeEnum::CreateSubscriptionStmt(s) => {
            outside(option(&s.options, "create_slot").unwrap_or(true))
        }
        // REFRESH, and publication changes that refresh (the default), refuse a transaction.
        NodeEnum::AlterSubscriptionStmt(s) => match AlterSubscriptionType::try_from(s.kind) {
            Ok(AlterSubscriptionType::AlterSubscriptionRefresh) => NonTransactional,
            Ok(
                AlterSubscriptionType::AlterSubscriptionSetPublication
                | AlterSubscriptionType::AlterSubscriptionAddPublication
                | AlterSubscriptionType::AlterSubscriptionDropPublication,
            ) => outside(option(&s.options, "refresh").unwrap_or(true)),
            _ => Transactional,
        },
        // Only a subscription with a slot refuses; whether it has one is in the catalog.
        NodeEnum::DropSubscriptionStmt(_) => NonTransactional,
        // ALTER TYPE ... ADD VALUE runs inside a transaction since PostgreSQL 12 (the new value
        // just cannot be used before commit), and we rehearse on 12 or later, so it stays
        // Transactional like everything else not listed above.
        _ => Transactional,
    }
}

/// The boolean value of a `WITH (name = value)` or `(NAME value)` option, when it is present.
fn option(options: &[Node], name: &str) -> Option<bool> {
    options.iter().find_map(|o| match &o.node {
        Some(NodeEnum::DefElem(d)) if d.defname.eq_ignore_ascii_case(name) => {
            Some(match d.arg.as_deref().and_then(|a| a.node.as_ref()) {
                None => true,
                Some(NodeEnum::Boolean(b)) => b.boolval,
                Some(NodeEnum::Integer(i)) => i.ival != 0,
                Some(NodeEnum::String(s)) => !matches!(
                    s.sval.to_ascii_lowercase().as_str(),
                    "false" | "off" | "no" | "0"
                ),
                Some(_) => true,
            })
        }
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::transactionality;
    use crate::migrations::Transactionality::{self, *};

    fn kind(sql: &str) -> Transactionality {
        let parsed = pg_query::parse(sql, 0).unwrap();
        let node = parsed.protobuf.stmts[0]
            .stmt
            .as_ref()
            .and_then(|n| n.node.as_ref())
            .unwrap();
        transactionality(node)
    }

    #[test]
    fn concurrent_index_work_runs_outside_a_transaction() {
        assert_eq!(
            kind("CREATE INDEX CONCURRENTLY i ON t (a)"),
            NonTransactional
        );
        assert_eq!(kind("CREATE INDEX i ON t (a)"), Transactional);
        assert_eq!(kind("DROP INDEX CONCURRENTLY i"), NonTransactional);
        assert_eq!(kind("DROP INDEX i"), Transactional);
        assert_eq!(kind("REINDEX INDEX CONCURRENTLY i"), NonTransactional);
        assert_eq!(kind("REINDEX (CONCURRENTLY false) INDEX i"), Transactional);
        assert_eq!(kind("REINDEX TABLE t"), Transactional);
        assert_eq!(kind("REINDEX DATABASE d"), NonTransactional);
    }

    #[test]
    fn server_wide_statements_run_outside_a_transaction() {
        for sql in [
            "VACUUM t",
            "VACUUM (ANALYZE) t",
            "ALTER SYSTEM SET work_mem = '64MB'",
            "CREATE DATABASE d",
            "DROP DATABASE d",
            "CREATE TABLESPACE ts LOCATION '/x'",
            "DROP TABLESPACE ts",
            "ALTER DATABASE d SET TABLESPACE ts",
            "CLUSTER",
            "ALTER TABLE p DETACH PARTITION c CONCURRENTLY",
            "CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p",
            "ALTER SUBSCRIPTION s REFRESH PUBLICATION",
            "ALTER SUBSCRIPTION s SET PUBLICATION p",
            "DROP SUBSCRIPTION s",
        ] {
            assert_eq!(kind(sql), NonTransactional, "{sql}");
        }
    }

    #[test]
    fn ordinary_statements_stay_in_the_transaction() {
        for sql in [
            "ANALYZE t",
            "ALTER TABLE p DETACH PARTITION c",
            "ALTER TYPE mood ADD VALUE 'meh'",
            "ALTER DATABASE d SET work_mem = '1MB'",
            "CLUSTER t USING i",
            "CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p WITH (connect = false, create_slot = false)",
            "ALTER SUBSCRIPTION s SET PUBLICATION p WITH (refresh = false)",
            "ALTER SUBSCRIPTION s DISABLE",
            "SAVEPOINT a",
        ] {
            assert_eq!(kind(sql), Transactional, "{sql}");
        }
    }
}
