//! Mechanical rewrites: for the rules whose safe pattern is a change of the statement itself,
//! the statement rewritten that way (CONCURRENTLY; NOT VALID then VALIDATE; a validated CHECK
//! before SET NOT NULL; lock_timeout first). `rehearse run --prove-fixes` rehearses the
//! rewrite beside the original on the same seeded state ([`crate::rehearsal`]'s proof). Pure:
//! SQL in, SQL out, through the parser's own deparser; None when the rule has no mechanical
//! rewrite or the statement is not its shape.

use super::script::{alter_table_cmds, constraint};
use pg_query::protobuf::{AlterTableType, ConstrType, ObjectType};
use pg_query::NodeEnum;

/// `sql` (one statement) rewritten to the safe pattern of `rule`.
pub fn rewrite(rule: &str, sql: &str) -> Option<String> {
    let mut parsed = pg_query::parse(sql, 0).ok()?.protobuf;
    if parsed.stmts.len() != 1 {
        return None;
    }
    let deparse =
        |p: &pg_query::protobuf::ParseResult| p.deparse(pg_query::DeparseOptions::default()).ok();
    let node = parsed.stmts[0].stmt.as_mut()?.node.as_mut()?;
    match (rule, node) {
        ("require-concurrent-index", NodeEnum::IndexStmt(i)) if !i.concurrent => {
            i.concurrent = true;
            deparse(&parsed)
        }
        ("require-concurrent-index-drop", NodeEnum::DropStmt(d))
            if !d.concurrent
                && ObjectType::try_from(d.remove_type) == Ok(ObjectType::ObjectIndex) =>
        {
            d.concurrent = true;
            deparse(&parsed)
        }
        (
            "require-not-valid-foreign-key" | "require-not-valid-check",
            NodeEnum::AlterTableStmt(_),
        ) => {
            let wanted = if rule == "require-not-valid-check" {
                ConstrType::ConstrCheck
            } else {
                ConstrType::ConstrForeign
            };
            // One ADD CONSTRAINT of the rule's kind, with a name to VALIDATE by.
            let (table, name) = {
                let node = parsed.stmts[0].stmt.as_ref()?.node.as_ref()?;
                let cmds = alter_table_cmds(node);
                if cmds.len() != 1
                    || AlterTableType::try_from(cmds[0].1.subtype)
                        != Ok(AlterTableType::AtAddConstraint)
                {
                    return None;
                }
                let k = constraint(cmds[0].1)?;
                if super::script::contype(k) != Some(wanted)
                    || k.skip_validation
                    || k.conname.is_empty()
                {
                    return None;
                }
                (cmds[0].0.clone(), k.conname.clone())
            };
            let NodeEnum::AlterTableStmt(a) = parsed.stmts[0].stmt.as_mut()?.node.as_mut()? else {
                return None;
            };
            let Some(NodeEnum::AlterTableCmd(cmd)) = a.cmds[0].node.as_mut() else {
                return None;
            };
            let Some(NodeEnum::Constraint(k)) = cmd.def.as_mut()?.node.as_mut() else {
                return None;
            };
            k.skip_validation = true;
            k.initially_valid = false;
            let added = deparse(&parsed)?;
            Some(format!(
                "{added};\nALTER TABLE {table} VALIDATE CONSTRAINT {}",
                crate::identifier::display(&name)
            ))
        }
        ("require-check-before-set-not-null", NodeEnum::AlterTableStmt(_)) => {
            let node = parsed.stmts[0].stmt.as_ref()?.node.as_ref()?;
            let cmds = alter_table_cmds(node);
            if cmds.len() != 1
                || AlterTableType::try_from(cmds[0].1.subtype) != Ok(AlterTableType::AtSetNotNull)
            {
                return None;
            }
            let (table, column) = (&cmds[0].0, &cmds[0].1.name);
            let bare = table.rsplit('.').next().unwrap_or(table).trim_matches('"');
            let check = crate::identifier::display(&not_null_check_name(bare, column));
            let column = crate::identifier::display(column);
            Some(format!(
                "ALTER TABLE {table} ADD CONSTRAINT {check} CHECK ({column} IS NOT NULL) NOT VALID;\n\
                 ALTER TABLE {table} VALIDATE CONSTRAINT {check};\n\
                 ALTER TABLE {table} ALTER COLUMN {column} SET NOT NULL;\n\
                 ALTER TABLE {table} DROP CONSTRAINT {check}"
            ))
        }
        ("adding-volatile-default", NodeEnum::AlterTableStmt(_)) => backfill(&mut parsed),
        ("require-lock-timeout", _) => Some(format!(
            "SET lock_timeout = '2s';\n{}",
            sql.trim_end_matches(';')
        )),
        _ => None,
    }
}

/// Rows a backfill batch updates, each batch committed before the next.
const BACKFILL_BATCH: u32 = 10_000;

/// The dollar-quote tag of a backfill's DO block: [`runs_alone`] knows it by this.
const BACKFILL_TAG: &str = "$rehearse_backfill$";

/// `ALTER TABLE t ADD COLUMN c type DEFAULT <volatile> [NOT NULL]` as: the column added without
/// a default (no rewrite), the default set for new rows, the existing rows backfilled in batches
/// that each commit, and a NOT NULL made with a validated CHECK. None for any other shape (one
/// ADD COLUMN, with a DEFAULT and at most NOT NULL besides; no serial, identity or generated).
fn backfill(parsed: &mut pg_query::protobuf::ParseResult) -> Option<String> {
    let deparse =
        |p: &pg_query::protobuf::ParseResult| p.deparse(pg_query::DeparseOptions::default()).ok();
    let NodeEnum::AlterTableStmt(a) = parsed.stmts[0].stmt.as_mut()?.node.as_mut()? else {
        return None;
    };
    let table = super::script::relation(a.relation.as_ref()?);
    if a.cmds.len() != 1 {
        return None;
    }
    let Some(NodeEnum::AlterTableCmd(cmd)) = a.cmds[0].node.as_mut() else {
        return None;
    };
    if AlterTableType::try_from(cmd.subtype) != Ok(AlterTableType::AtAddColumn) {
        return None;
    }
    let Some(NodeEnum::ColumnDef(col)) = cmd.def.as_mut()?.node.as_mut() else {
        return None;
    };
    if col
        .type_name
        .as_ref()
        .is_some_and(|t| super::script::column_type(t).name.contains("serial"))
    {
        return None;
    }
    let mut default = None;
    let mut not_null = false;
    for k in &col.constraints {
        let Some(NodeEnum::Constraint(k)) = k.node.as_ref() else {
            return None;
        };
        match super::script::contype(k)? {
            ConstrType::ConstrDefault => default = k.raw_expr.clone(),
            ConstrType::ConstrNotnull => not_null = true,
            _ => return None,
        }
    }
    let default = default?;
    let column = crate::identifier::display(&col.colname);
    col.constraints.clear();
    let added = deparse(parsed)?;
    // The default's text, through the deparser: `SELECT <expr>` without its SELECT.
    let mut select = pg_query::parse("SELECT 0", 0).ok()?.protobuf;
    let NodeEnum::SelectStmt(sel) = select.stmts[0].stmt.as_mut()?.node.as_mut()? else {
        return None;
    };
    let Some(NodeEnum::ResTarget(target)) = sel.target_list[0].node.as_mut() else {
        return None;
    };
    target.val = Some(default);
    let expr = deparse(&select)?.strip_prefix("SELECT ")?.to_string();
    let tag = BACKFILL_TAG;
    let batch = BACKFILL_BATCH;
    let mut out = format!(
        "{added};\n\
         ALTER TABLE {table} ALTER COLUMN {column} SET DEFAULT {expr};\n\
         DO {tag} BEGIN FOR i IN 1..(SELECT ceil(count(*) / {batch}.0)::int FROM {table}) LOOP \
         UPDATE {table} SET {column} = {expr} WHERE ctid = ANY (ARRAY(SELECT ctid FROM {table} WHERE {column} IS NULL LIMIT {batch})); \
         COMMIT; END LOOP; END {tag}"
    );
    if not_null {
        let set = format!("ALTER TABLE {table} ALTER COLUMN {column} SET NOT NULL");
        out.push_str(";\n");
        out.push_str(&rewrite("require-check-before-set-not-null", &set)?);
    }
    Some(out)
}

/// Whether a statement of a rewrite must run in a transaction of its own: a VALIDATE
/// CONSTRAINT (the NOT VALID step's exclusive lock must be released before its scan) and a
/// backfill, whose batches commit.
pub fn runs_alone(sql: &str) -> bool {
    if sql.starts_with("DO ") && sql.contains(BACKFILL_TAG) {
        return true;
    }
    let Ok(parsed) = pg_query::parse(sql, 0) else {
        return false;
    };
    parsed.protobuf.stmts.iter().any(|raw| {
        raw.stmt
            .as_ref()
            .and_then(|n| n.node.as_ref())
            .is_some_and(|node| {
                alter_table_cmds(node).iter().any(|(_, cmd)| {
                    AlterTableType::try_from(cmd.subtype)
                        == Ok(AlterTableType::AtValidateConstraint)
                })
            })
    })
}

/// The temporary CHECK's name: `<table>_<column>_not_null`, cut to PostgreSQL's 63 bytes on a
/// character boundary.
fn not_null_check_name(table: &str, column: &str) -> String {
    let mut name = format!("{table}_{column}_not_null");
    while name.len() > 63 {
        name.pop();
    }
    name
}

/// The rules [`rewrite`] knows a rewrite for (a statement of another shape may still get none).
pub const REWRITTEN: &[&str] = &[
    "require-concurrent-index",
    "require-concurrent-index-drop",
    "require-not-valid-foreign-key",
    "require-not-valid-check",
    "require-check-before-set-not-null",
    "adding-volatile-default",
    "require-lock-timeout",
];

#[cfg(test)]
mod tests {
    use super::rewrite;
    use crate::rules::{by_id, Parsed, Schema};

    /// The rewrite of a rule's bad example parses and no longer trips the rule.
    fn fixes(rule: &str) -> String {
        let r = by_id(rule).unwrap();
        let fixed = rewrite(rule, r.bad.trim_end_matches(';'))
            .unwrap_or_else(|| panic!("{rule} has no rewrite"));
        let parsed = Parsed::from_sql(&fixed, &mut Schema::default()).unwrap();
        assert!((r.check.unwrap())(&parsed).is_empty(), "{rule}: {fixed}");
        fixed
    }

    #[test]
    fn the_mechanical_rewrites_fix_their_rules_bad_examples() {
        assert_eq!(
            fixes("require-concurrent-index"),
            "CREATE INDEX CONCURRENTLY orders_user_id_idx ON orders USING btree (user_id)"
        );
        assert!(fixes("require-concurrent-index-drop").starts_with("DROP INDEX CONCURRENTLY"));
        let fk = fixes("require-not-valid-foreign-key");
        assert!(
            fk.contains(
                "NOT VALID;\nALTER TABLE public.orders VALIDATE CONSTRAINT orders_user_id_fkey"
            ),
            "{fk}"
        );
        let check = fixes("require-not-valid-check");
        assert!(
            check.contains(
                "NOT VALID;\nALTER TABLE public.orders VALIDATE CONSTRAINT orders_total_positive"
            ),
            "{check}"
        );
        assert!(fixes("require-lock-timeout").starts_with("SET lock_timeout = '2s';\n"));
        assert_eq!(
            fixes("require-check-before-set-not-null"),
            "ALTER TABLE public.users ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL) NOT VALID;\n\
             ALTER TABLE public.users VALIDATE CONSTRAINT users_email_not_null;\n\
             ALTER TABLE public.users ALTER COLUMN email SET NOT NULL;\n\
             ALTER TABLE public.users DROP CONSTRAINT users_email_not_null"
        );
        let backfill = fixes("adding-volatile-default");
        assert!(
            backfill.starts_with(
                "ALTER TABLE orders ADD COLUMN token uuid;\n\
                 ALTER TABLE public.orders ALTER COLUMN token SET DEFAULT gen_random_uuid();\n\
                 DO $rehearse_backfill$ BEGIN FOR i IN 1..(SELECT ceil(count(*) / 10000.0)::int FROM public.orders) LOOP"
            ),
            "{backfill}"
        );
        let required = rewrite(
            "adding-volatile-default",
            "ALTER TABLE orders ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid()",
        )
        .unwrap();
        assert!(
            required.ends_with("DROP CONSTRAINT orders_token_not_null"),
            "{required}"
        );
        assert_eq!(
            rewrite(
                "adding-volatile-default",
                "ALTER TABLE t ADD COLUMN id bigserial"
            ),
            None
        );
        for rule in super::REWRITTEN {
            fixes(rule);
        }
        assert_eq!(rewrite("drop-table", "DROP TABLE t"), None);
        assert_eq!(
            rewrite(
                "require-concurrent-index",
                "CREATE INDEX CONCURRENTLY i ON t (x)"
            ),
            None
        );
    }
}
