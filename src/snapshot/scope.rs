//! Data scope: which tables a migration's data check must sign, predicted from its scripts before
//! the forward runs. Pure: parse trees in, a [`Prediction`] out; the catalog lookups that resolve
//! names and functions live in [`super::check`].
//!
//! # Why signing only some tables is a proof, not a guess
//! A table's rows change in one of two ways:
//! 1. **Through the executor or COPY** (INSERT, UPDATE, DELETE, MERGE, COPY FROM, and whatever
//!    triggers, rules and foreign-key cascades do on their behalf). Every such write takes
//!    `RowExclusiveLock` on the table in the writing backend, and holds it until the transaction
//!    ends. Triggers and cascades run in the migration's own backend, so their locks are its
//!    locks. The probe reads the migration backend's locks after every statement inside a
//!    transaction, so these tables are *observed*.
//! 2. **By changing the table's storage or row layout** (TRUNCATE, a rewrite by ALTER COLUMN TYPE,
//!    VACUUM FULL or CLUSTER, DROP COLUMN, DROP TABLE and re-create). Each of these leaves the
//!    table with another OID, another `relfilenode` or other live columns (name, number, type,
//!    modifier, collation) than it had before; comparing the catalog before and after shows it
//!    without reading a row.
//!
//! A table with neither a `RowExclusiveLock` of the migration nor a changed layout therefore holds
//! the rows it held before, and needs no check. For a table that was written (case 1) but kept its
//! layout, the rows it held before the forward are still readable after the rollback through a
//! REPEATABLE READ snapshot taken before the forward and held open: MVCC keeps every old row
//! version that snapshot can see, and the same relfilenode and columns mean the old versions
//! decode as they did. For a table whose layout changes (case 2), old versions are not readable
//! that way, so those tables must be signed *before* the forward: they are the ones this module
//! predicts, from the statements that can change a layout, by name.
//!
//! # Where the proof does not hold, and what happens then
//! - A statement that runs outside a transaction block releases its locks when it ends, before
//!   the probe can see them: if it can write rows, every table is signed before and after.
//! - Opaque code (DO blocks, CALL, functions the scripts define or that the catalog does not show
//!   as built in) can change any table's layout by dynamic SQL: every table is signed before the
//!   forward (the tables it wrote are still found by their locks afterwards).
//! - `DROP ... CASCADE` of a schema, type, domain, function or extension can drop columns of any
//!   table: every table is signed before.
//! - Statements that wait for every older snapshot (`CREATE INDEX CONCURRENTLY`, `REINDEX
//!   CONCURRENTLY`, `DETACH PARTITION CONCURRENTLY`, ...) would wait forever on the held
//!   snapshot: none is held, and if the scripts also write rows, every table is signed before.
//! - A table whose layout changed without any statement predicting it (DDL inside a trigger) has
//!   no exact before-state: the check says so (`unproven`), it never compares against a guess.
//!
//! This module never touches a database and never decides a verdict.

use crate::migrations::{Script, Transactionality};
use pg_query::protobuf::{AlterTableType, ConstrType, DropBehavior, ObjectType};
use pg_query::NodeEnum;

/// A table named by a statement that may change its layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedTable {
    /// The schema as written; None matches the name in any schema (`search_path` decides at run
    /// time, and a wider match only signs more).
    pub schema: Option<String>,
    pub name: String,
    /// What the statement does to it (`ALTER TABLE ... DROP COLUMN`, `TRUNCATE`, ...).
    pub why: String,
    /// Tables that reference it by foreign key are affected too (TRUNCATE ... CASCADE).
    pub referencing_too: bool,
}

/// What the scripts of one migration allow the data check to skip.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Prediction {
    /// Why every table must be signed before the forward; None when the named tables suffice.
    pub everything_before: Option<String>,
    /// Why every table must be signed after the rollback too: rows may have been written where
    /// the probe could not see the locks.
    pub everything_after: Option<String>,
    /// Tables whose layout the scripts may change, with their inheritance children and
    /// partitions implied: signed before the forward.
    pub tables: Vec<NamedTable>,
    /// A snapshot may be held open from before the forward until after the rollback.
    pub hold_snapshot: bool,
    /// Functions the scripts call, as written (`name` or `schema.name`); the caller checks them
    /// against the catalog and signs everything before when one is not built in.
    pub functions: Vec<String>,
    /// The functions of [`Prediction::functions`] called by statements outside a transaction
    /// block: one that is not built in may write where no lock is seen, so everything is signed
    /// after the rollback too.
    pub functions_outside: Vec<String>,
}

/// Predicts the scope from the forward and, when there is one, the rollback.
pub fn predict(scripts: &[&Script]) -> Prediction {
    let mut p = Prediction {
        hold_snapshot: true,
        ..Default::default()
    };
    let mut writes_rows = false;
    for script in scripts {
        let outside = outside_transaction(script);
        for (statement, outside) in script.statements.iter().zip(outside) {
            let parsed = match pg_query::parse(&statement.sql, 0) {
                Ok(parsed) => parsed,
                Err(_) => {
                    everything(
                        &mut p.everything_before,
                        format!("a statement at line {} could not be parsed", statement.line),
                    );
                    everything(
                        &mut p.everything_after,
                        format!("a statement at line {} could not be parsed", statement.line),
                    );
                    continue;
                }
            };
            // Walk every field of the tree: the parse result's own iterators skip some (a
            // DEFAULT inside ALTER TABLE ... ADD COLUMN).
            let tree = serde_json::to_value(&parsed.protobuf).unwrap_or_default();
            let mut calls = Vec::new();
            let mut writes = false;
            walk(&tree, &mut calls, &mut writes);
            let modifying_cte = writes;
            for f in calls {
                if outside && !p.functions_outside.contains(&f) {
                    p.functions_outside.push(f.clone());
                }
                if !p.functions.contains(&f) {
                    p.functions.push(f);
                }
            }
            for raw in &parsed.protobuf.stmts {
                let Some(node) = raw.stmt.as_ref().and_then(|n| n.node.as_ref()) else {
                    continue;
                };
                let effect = classify(node, modifying_cte, &mut p);
                if effect.waits_for_snapshots {
                    p.hold_snapshot = false;
                }
                if effect.may_write_rows {
                    writes_rows = true;
                    if outside {
                        everything(
                            &mut p.everything_after,
                            format!(
                                "line {} of {} runs outside a transaction block and may write rows, so its locks cannot be observed",
                                statement.line,
                                file_name(script)
                            ),
                        );
                        everything(
                            &mut p.everything_before,
                            "a statement outside a transaction block may write rows".into(),
                        );
                    }
                }
            }
        }
    }
    if writes_rows && !p.hold_snapshot {
        everything(
            &mut p.everything_before,
            "the scripts write rows and also wait for older snapshots (CONCURRENTLY), so no snapshot can be held across them".into(),
        );
    }
    p
}

/// Collects the names of every function call in `tree` (the parse tree as JSON) and whether an
/// INSERT, UPDATE, DELETE or MERGE appears anywhere in it.
fn walk(tree: &serde_json::Value, calls: &mut Vec<String>, writes: &mut bool) {
    match tree {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                match key.as_str() {
                    "FuncCall" => {
                        let name: Vec<&str> = value
                            .get("funcname")
                            .and_then(|n| n.as_array())
                            .into_iter()
                            .flatten()
                            .filter_map(|part| part.pointer("/node/String/sval")?.as_str())
                            .collect();
                        if !name.is_empty() {
                            calls.push(name.join("."));
                        }
                    }
                    "InsertStmt" | "UpdateStmt" | "DeleteStmt" | "MergeStmt" => *writes = true,
                    _ => {}
                }
                walk(value, calls, writes);
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                walk(item, calls, writes);
            }
        }
        _ => {}
    }
}

/// Records the first reason only: one is enough to explain the fallback.
fn everything(slot: &mut Option<String>, why: String) {
    if slot.is_none() {
        *slot = Some(why);
    }
}

fn file_name(script: &Script) -> String {
    script
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// For each statement, whether it runs outside a transaction block: the probe wraps a script in
/// its own transaction unless the file has its own BEGIN/COMMIT, and runs non-transactional
/// statements alone either way.
fn outside_transaction(script: &Script) -> Vec<bool> {
    let as_written = script.statements.iter().any(|s| {
        matches!(
            s.transactionality,
            Transactionality::Begin | Transactionality::Commit
        )
    });
    let mut in_file_tx = false;
    script
        .statements
        .iter()
        .map(|s| match s.transactionality {
            Transactionality::NonTransactional => true,
            Transactionality::Begin => {
                in_file_tx = true;
                false
            }
            Transactionality::Commit => {
                in_file_tx = false;
                false
            }
            Transactionality::Transactional => as_written && !in_file_tx,
        })
        .collect()
}

#[derive(Default)]
struct Effect {
    may_write_rows: bool,
    waits_for_snapshots: bool,
}

/// What one top-level statement may do to rows; tables it may change the layout of go into `p`.
/// `modifying_cte`: the statement has an INSERT, UPDATE or DELETE inside (a data-modifying WITH).
fn classify(node: &NodeEnum, modifying_cte: bool, p: &mut Prediction) -> Effect {
    let mut e = Effect::default();
    let name = |p: &mut Prediction, rv: &pg_query::protobuf::RangeVar, why: &str, fk: bool| {
        p.tables.push(NamedTable {
            schema: (!rv.schemaname.is_empty()).then(|| rv.schemaname.clone()),
            name: rv.relname.clone(),
            why: why.to_string(),
            referencing_too: fk,
        });
    };
    match node {
        NodeEnum::InsertStmt(_)
        | NodeEnum::UpdateStmt(_)
        | NodeEnum::DeleteStmt(_)
        | NodeEnum::MergeStmt(_) => e.may_write_rows = true,
        // Row locks (FOR UPDATE) change no value; functions are judged by the caller.
        NodeEnum::SelectStmt(_) | NodeEnum::CreateTableAsStmt(_) | NodeEnum::ExplainStmt(_) => {
            e.may_write_rows = modifying_cte
        }
        NodeEnum::CopyStmt(c) => e.may_write_rows = c.is_from,
        NodeEnum::DoStmt(_) => {
            e.may_write_rows = true;
            everything(
                &mut p.everything_before,
                "a DO block can change any table by dynamic SQL".into(),
            );
        }
        NodeEnum::CallStmt(_) | NodeEnum::ExecuteStmt(_) => {
            e.may_write_rows = true;
            everything(
                &mut p.everything_before,
                "a CALL or EXECUTE runs code the scripts do not show".into(),
            );
        }
        NodeEnum::CreateExtensionStmt(_) | NodeEnum::AlterExtensionStmt(_) => {
            e.may_write_rows = true;
            everything(
                &mut p.everything_before,
                "an extension's script can change any table".into(),
            );
        }
        NodeEnum::TruncateStmt(t) => {
            let cascade = t.behavior == DropBehavior::DropCascade as i32;
            for r in &t.relations {
                if let Some(NodeEnum::RangeVar(rv)) = &r.node {
                    name(p, rv, "TRUNCATE", cascade);
                }
            }
        }
        NodeEnum::DropStmt(d) => {
            let kind = ObjectType::try_from(d.remove_type).unwrap_or(ObjectType::Undefined);
            e.waits_for_snapshots = d.concurrent;
            match kind {
                ObjectType::ObjectTable => {
                    for object in &d.objects {
                        if let Some(rv) = range_var_of_list(object) {
                            name(p, &rv, "DROP TABLE", false);
                        }
                    }
                }
                ObjectType::ObjectView
                | ObjectType::ObjectMatview
                | ObjectType::ObjectIndex
                | ObjectType::ObjectSequence
                | ObjectType::ObjectTrigger
                | ObjectType::ObjectPolicy
                | ObjectType::ObjectRule
                | ObjectType::ObjectForeignTable => {}
                _ if d.behavior == DropBehavior::DropCascade as i32 => everything(
                    &mut p.everything_before,
                    format!(
                        "DROP {} ... CASCADE can drop columns of any table",
                        object_kind(kind)
                    ),
                ),
                ObjectType::ObjectExtension => everything(
                    &mut p.everything_before,
                    "DROP EXTENSION can drop tables it owns".into(),
                ),
                _ => {}
            }
        }
        NodeEnum::AlterTableStmt(a) => {
            let kind = ObjectType::try_from(a.objtype).unwrap_or(ObjectType::Undefined);
            let cascade = a.cmds.iter().any(|c| {
                matches!(&c.node, Some(NodeEnum::AlterTableCmd(cmd)) if cmd.behavior == DropBehavior::DropCascade as i32)
            });
            if kind == ObjectType::ObjectType && cascade {
                everything(
                    &mut p.everything_before,
                    "ALTER TYPE ... CASCADE rewrites every table that uses the type".into(),
                );
            }
            for cmd in &a.cmds {
                let Some(NodeEnum::AlterTableCmd(c)) = &cmd.node else {
                    continue;
                };
                let subtype = AlterTableType::try_from(c.subtype).unwrap_or(AlterTableType::Undefined);
                if subtype == AlterTableType::AtDetachPartition
                    && matches!(
                        c.def.as_deref().and_then(|d| d.node.as_ref()),
                        Some(NodeEnum::PartitionCmd(pc)) if pc.concurrent
                    )
                {
                    e.waits_for_snapshots = true;
                }
                if kind != ObjectType::ObjectTable {
                    continue;
                }
                if let Some(why) = layout_change(subtype, c) {
                    if let Some(rv) = &a.relation {
                        name(p, rv, &why, false);
                    }
                }
            }
        }
        NodeEnum::VacuumStmt(v) => {
            let full = v.options.iter().any(|o| {
                matches!(&o.node, Some(NodeEnum::DefElem(d)) if d.defname.eq_ignore_ascii_case("full"))
            });
            if full {
                if v.rels.is_empty() {
                    everything(
                        &mut p.everything_before,
                        "VACUUM FULL without a table rewrites every table".into(),
                    );
                }
                for r in &v.rels {
                    if let Some(NodeEnum::VacuumRelation(vr)) = &r.node {
                        if let Some(rv) = &vr.relation {
                            name(p, rv, "VACUUM FULL", false);
                        }
                    }
                }
            }
        }
        NodeEnum::ClusterStmt(c) => match &c.relation {
            Some(rv) => name(p, rv, "CLUSTER", false),
            None => everything(
                &mut p.everything_before,
                "CLUSTER without a table rewrites every clustered table".into(),
            ),
        },
        NodeEnum::IndexStmt(i) => e.waits_for_snapshots = i.concurrent,
        NodeEnum::ReindexStmt(r) => {
            e.waits_for_snapshots = r.params.iter().any(|o| {
                matches!(&o.node, Some(NodeEnum::DefElem(d)) if d.defname.eq_ignore_ascii_case("concurrently"))
            })
        }
        NodeEnum::CreateSubscriptionStmt(_) => e.waits_for_snapshots = true,
        _ => {}
    }
    e
}

/// Why an ALTER TABLE subcommand may leave the table with another storage or other live
/// columns; None for those that change neither (constraints, defaults, options, owner, ...).
fn layout_change(subtype: AlterTableType, c: &pg_query::protobuf::AlterTableCmd) -> Option<String> {
    use AlterTableType::*;
    let column = |what: &str| format!("ALTER TABLE ... {what} {}", c.name);
    match subtype {
        AtDropColumn => Some(column("DROP COLUMN")),
        AtAlterColumnType => Some(column("ALTER COLUMN TYPE")),
        AtAddColumn => {
            let Some(NodeEnum::ColumnDef(def)) = c.def.as_deref().and_then(|d| d.node.as_ref())
            else {
                return Some("ALTER TABLE ... ADD COLUMN".into());
            };
            // A constant default is stored in the catalog; anything else fills every row.
            let rewrites = !def.identity.is_empty()
                || !def.generated.is_empty()
                || def.raw_default.as_deref().is_some_and(|d| !constant(d))
                || def.constraints.iter().any(|k| match &k.node {
                    Some(NodeEnum::Constraint(k)) => {
                        matches!(
                            ConstrType::try_from(k.contype),
                            Ok(ConstrType::ConstrIdentity | ConstrType::ConstrGenerated)
                        ) || (k.contype == ConstrType::ConstrDefault as i32
                            && k.raw_expr.as_deref().is_some_and(|d| !constant(d)))
                    }
                    _ => false,
                });
            rewrites.then(|| format!("ALTER TABLE ... ADD COLUMN {} with a computed value", def.colname))
        }
        AtSetLogged | AtSetUnLogged => Some("ALTER TABLE ... SET LOGGED/UNLOGGED".into()),
        AtSetAccessMethod => Some("ALTER TABLE ... SET ACCESS METHOD".into()),
        AtSetTableSpace => Some("ALTER TABLE ... SET TABLESPACE".into()),
        AtSetExpression => Some(column("ALTER COLUMN SET EXPRESSION")),
        AtDropOids => Some("ALTER TABLE ... SET WITHOUT OIDS".into()),
        AtColumnDefault
        | AtCookedColumnDefault
        | AtDropNotNull
        | AtSetNotNull
        | AtDropExpression
        | AtSetStatistics
        | AtSetOptions
        | AtResetOptions
        | AtSetStorage
        | AtSetCompression
        | AtAddIndex
        | AtReAddIndex
        | AtAddConstraint
        | AtReAddConstraint
        | AtAlterConstraint
        | AtValidateConstraint
        | AtAddIndexConstraint
        | AtDropConstraint
        | AtReAddComment
        | AtAlterColumnGenericOptions
        | AtChangeOwner
        | AtClusterOn
        | AtDropCluster
        | AtSetRelOptions
        | AtResetRelOptions
        | AtReplaceRelOptions
        | AtEnableTrig
        | AtEnableAlwaysTrig
        | AtEnableReplicaTrig
        | AtDisableTrig
        | AtEnableTrigAll
        | AtDisableTrigAll
        | AtEnableTrigUser
        | AtDisableTrigUser
        | AtEnableRule
        | AtEnableAlwaysRule
        | AtEnableReplicaRule
        | AtDisableRule
        | AtAddInherit
        | AtDropInherit
        | AtAddOf
        | AtDropOf
        | AtReplicaIdentity
        | AtEnableRowSecurity
        | AtDisableRowSecurity
        | AtForceRowSecurity
        | AtNoForceRowSecurity
        | AtGenericOptions
        | AtAttachPartition
        | AtDetachPartition
        | AtDetachPartitionFinalize
        | AtAddIdentity
        | AtSetIdentity
        | AtDropIdentity
        | AtReAddStatistics => None,
        // Anything this list does not know is assumed to change the layout.
        _ => Some(format!("ALTER TABLE ({})", subtype.as_str_name())),
    }
}

/// A literal, possibly cast (`'en'`, `0`, `'{}'::jsonb`, `NULL`).
fn constant(node: &pg_query::protobuf::Node) -> bool {
    match &node.node {
        Some(NodeEnum::AConst(_)) => true,
        Some(NodeEnum::TypeCast(t)) => t.arg.as_deref().is_some_and(constant),
        _ => false,
    }
}

/// A DROP TABLE object (`[schema,] name` as a list of strings) as a range variable.
fn range_var_of_list(node: &pg_query::protobuf::Node) -> Option<pg_query::protobuf::RangeVar> {
    let Some(NodeEnum::List(l)) = &node.node else {
        return None;
    };
    let parts: Vec<String> = l
        .items
        .iter()
        .filter_map(|i| match &i.node {
            Some(NodeEnum::String(s)) => Some(s.sval.clone()),
            _ => None,
        })
        .collect();
    let (schema, name) = match parts.as_slice() {
        [name] => (String::new(), name.clone()),
        [.., schema, name] => (schema.clone(), name.clone()),
        [] => return None,
    };
    Some(pg_query::protobuf::RangeVar {
        schemaname: schema,
        relname: name,
        ..Default::default()
    })
}

fn object_kind(kind: ObjectType) -> String {
    kind.as_str_name()
        .trim_start_matches("OBJECT_")
        .replace('_', " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrations::Statement;

    fn script(statements: &[(&str, Transactionality)]) -> Script {
        Script {
            path: "V1__x.sql".into(),
            first_line: 1,
            statements: statements
                .iter()
                .enumerate()
                .map(|(i, (sql, t))| Statement {
                    sql: sql.to_string(),
                    line: i + 1,
                    transactionality: *t,
                })
                .collect(),
        }
    }

    fn tx(sql: &str) -> Script {
        script(&[(sql, Transactionality::Transactional)])
    }

    fn names(p: &Prediction) -> Vec<String> {
        p.tables
            .iter()
            .map(|t| match &t.schema {
                Some(s) => format!("{s}.{}", t.name),
                None => t.name.clone(),
            })
            .collect()
    }

    #[test]
    fn a_constant_default_and_a_constraint_name_no_table() {
        let p = predict(&[
            &tx("ALTER TABLE users ADD COLUMN locale varchar(10) NOT NULL DEFAULT 'en'"),
            &tx("ALTER TABLE order_items ADD CONSTRAINT c CHECK (unit_price >= 0) NOT VALID"),
        ]);
        assert!(p.tables.is_empty(), "{p:?}");
        assert_eq!(p.everything_before, None);
        assert!(p.hold_snapshot);
    }

    #[test]
    fn statements_that_can_change_a_layout_name_their_tables() {
        let p = predict(&[
            &tx("ALTER TABLE shop.orders ALTER COLUMN total TYPE numeric(14, 4)"),
            &tx("ALTER TABLE users DROP COLUMN phone"),
            &tx("TRUNCATE a, b CASCADE"),
            &tx("DROP TABLE old_things"),
            &tx("ALTER TABLE t ADD COLUMN id uuid DEFAULT gen_random_uuid()"),
            &tx("VACUUM FULL big"),
        ]);
        assert_eq!(
            names(&p),
            ["shop.orders", "users", "a", "b", "old_things", "t", "big"]
        );
        assert!(p.tables[2].referencing_too);
        assert_eq!(p.functions, ["gen_random_uuid"]);
    }

    #[test]
    fn opaque_code_signs_everything_before_but_its_writes_are_still_observed() {
        let p = predict(&[&tx(
            "DO $$ BEGIN EXECUTE 'ALTER TABLE t DROP COLUMN c'; END $$",
        )]);
        assert!(p.everything_before.is_some());
        assert_eq!(p.everything_after, None);
        let p = predict(&[&tx("DROP TYPE mood CASCADE")]);
        assert!(p.everything_before.unwrap().contains("CASCADE"));
    }

    #[test]
    fn a_write_outside_a_transaction_signs_everything_before_and_after() {
        let p = predict(&[&script(&[
            ("CREATE INDEX CONCURRENTLY i ON t (a)", Transactionality::NonTransactional),
        ])]);
        assert_eq!(p.everything_after, None);
        assert!(!p.hold_snapshot, "CONCURRENTLY waits for older snapshots");
        assert_eq!(p.everything_before, None, "an index build writes no rows");

        let own_transaction = script(&[
            ("BEGIN", Transactionality::Begin),
            ("UPDATE t SET a = 1", Transactionality::Transactional),
            ("COMMIT", Transactionality::Commit),
            ("DELETE FROM t", Transactionality::Transactional),
        ]);
        let p = predict(&[&own_transaction]);
        assert!(p.everything_after.unwrap().contains("line 4"));
    }

    #[test]
    fn concurrent_index_beside_writes_cannot_hold_a_snapshot() {
        let p = predict(&[&script(&[
            ("UPDATE t SET a = 1", Transactionality::Transactional),
            ("CREATE INDEX CONCURRENTLY i ON t (a)", Transactionality::NonTransactional),
        ])]);
        assert!(!p.hold_snapshot);
        assert!(p.everything_before.is_some());
    }
}
