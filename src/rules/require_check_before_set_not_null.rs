//! `require-check-before-set-not-null`: SET NOT NULL on an existing table without a validated
//! CHECK (column IS NOT NULL) to prove it.

use super::script::{alter_table_cmds, Parsed};
use super::{Hit, InRun, Rule};
use pg_query::protobuf::AlterTableType;

pub static RULE: Rule = Rule {
    id: "require-check-before-set-not-null",
    summary: "ALTER COLUMN ... SET NOT NULL without a validated CHECK (column IS NOT NULL) first",
    why: "SET NOT NULL scans every row to prove there is no NULL while it holds an ACCESS EXCLUSIVE lock: reads and writes of the table wait for the scan. With a validated CHECK (column IS NOT NULL), PostgreSQL 12 and later skip the scan.",
    fix: "Add CHECK (column IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT NULL (PostgreSQL 12+ skips the scan) and drop the check.",
    safe: "ALTER TABLE users ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL) NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT users_email_not_null;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;\nALTER TABLE users DROP CONSTRAINT users_email_not_null;",
    bad: "ALTER TABLE users ALTER COLUMN email SET NOT NULL;",
    good: "ALTER TABLE users VALIDATE CONSTRAINT users_email_not_null;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;",
    in_run: InRun::WhenLarge,
    kind: "set_not_null_scan",
    check: Some(check),
    squawk: &["adding-not-nullable-field"],
};

fn check(p: &Parsed) -> Vec<Hit> {
    let mut out = Vec::new();
    for (s, node) in p.nodes() {
        for (table, cmd) in alter_table_cmds(node) {
            if AlterTableType::try_from(cmd.subtype) == Ok(AlterTableType::AtSetNotNull)
                && s.before.exists(&table)
                && !s.before.validated_check.contains(&table)
            {
                out.push(Hit::new(
                    s.line,
                    Some(table.clone()),
                    format!(
                        "SET NOT NULL on {table}.{} scans {table} under an ACCESS EXCLUSIVE lock",
                        crate::identifier::display(&cmd.name)
                    ),
                ));
            }
        }
    }
    out
}

#[cfg(test)]
super::example_tests!();
