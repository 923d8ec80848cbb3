//! `require-not-valid-foreign-key`: a foreign key added to an existing table without NOT VALID.

use super::script::{
    alter_table_cmds, column_constraints, column_def, constraint, contype, relation, Parsed,
};
use super::{Hit, InRun, Rule};
use pg_query::protobuf::{AlterTableType, ConstrType};

pub static RULE: Rule = Rule {
    id: "require-not-valid-foreign-key",
    summary: "FOREIGN KEY added to an existing table without NOT VALID",
    why: "Adding a validated foreign key scans the whole table while it holds SHARE ROW EXCLUSIVE locks on both the table and the table it references: writes to both wait for the scan.",
    fix: "Add it with NOT VALID, then ALTER TABLE ... VALIDATE CONSTRAINT in a later step, which does not block writes.",
    safe: "ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_user_id_fkey;",
    bad: "ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id);",
    good: "ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;",
    in_run: InRun::Always,
    kind: "foreign_key_validated",
    check: Some(check),
    squawk: &["adding-foreign-key-constraint", "constraint-missing-not-valid"],
};

fn check(p: &Parsed) -> Vec<Hit> {
    let mut out = Vec::new();
    for (s, node) in p.nodes() {
        for (table, cmd) in alter_table_cmds(node) {
            if !s.before.exists(&table) {
                continue;
            }
            // ADD COLUMN ... REFERENCES validates too: a column constraint cannot be NOT VALID.
            if AlterTableType::try_from(cmd.subtype) == Ok(AlterTableType::AtAddColumn) {
                let Some(col) = column_def(cmd) else { continue };
                for k in column_constraints(col)
                    .filter(|k| contype(k) == Some(ConstrType::ConstrForeign))
                {
                    let referenced = k.pktable.as_ref().map(relation).unwrap_or_default();
                    out.push(Hit::new(
                        s.line,
                        Some(table.clone()),
                        format!(
                            "ADD COLUMN {} REFERENCES {referenced} validates the foreign key at once, scanning {table} while blocking writes to it and to {referenced}",
                            crate::identifier::display(&col.colname)
                        ),
                    ));
                }
                continue;
            }
            if AlterTableType::try_from(cmd.subtype) != Ok(AlterTableType::AtAddConstraint) {
                continue;
            }
            let Some(k) = constraint(cmd) else { continue };
            if contype(k) != Some(ConstrType::ConstrForeign) || k.skip_validation {
                continue;
            }
            let referenced = k.pktable.as_ref().map(relation).unwrap_or_default();
            let name = if k.conname.is_empty() {
                String::new()
            } else {
                format!(" {}", crate::identifier::display(&k.conname))
            };
            out.push(Hit::new(
                s.line,
                Some(table.clone()),
                format!("foreign key{name} on {table} is added without NOT VALID, so it scans {table} while blocking writes to it and to {referenced}"),
            ));
        }
    }
    out
}

#[cfg(test)]
super::example_tests!();

#[cfg(test)]
mod tests {
    #[test]
    fn a_column_added_with_references_validates_at_once() {
        let hits = super::RULE
            .check_sql("ALTER TABLE posts ADD COLUMN author_id bigint REFERENCES users (id)");
        assert_eq!(hits.len(), 1);
        assert!(
            hits[0].message.contains("public.users"),
            "{}",
            hits[0].message
        );
        assert!(super::RULE
            .check_sql("CREATE TABLE posts (id bigint);\nALTER TABLE posts ADD COLUMN author_id bigint REFERENCES users (id)")
            .is_empty());
    }
}
