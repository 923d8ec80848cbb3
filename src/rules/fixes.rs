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
        ("require-lock-timeout", _) => Some(format!(
            "SET lock_timeout = '2s';\n{}",
            sql.trim_end_matches(';')
        )),
        _ => None,
    }
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
