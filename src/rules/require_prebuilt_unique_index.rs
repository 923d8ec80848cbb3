//! `require-prebuilt-unique-index`: UNIQUE or PRIMARY KEY added to an existing table by building
//! its index under the table's lock.

use super::script::{
    alter_table_cmds, column_constraints, column_def, constraint, contype, Parsed,
};
use super::{Hit, InRun, Rule};
use pg_query::protobuf::{AlterTableType, ConstrType};

pub static RULE: Rule = Rule {
    id: "require-prebuilt-unique-index",
    summary: "UNIQUE or PRIMARY KEY added to an existing table without USING INDEX",
    why: "ADD CONSTRAINT ... UNIQUE / PRIMARY KEY builds the index while it holds an ACCESS EXCLUSIVE lock on the table: every read and write waits for the whole build.",
    fix: "Build the unique index first with CREATE UNIQUE INDEX CONCURRENTLY, then attach it with ADD CONSTRAINT ... UNIQUE USING INDEX (or PRIMARY KEY USING INDEX), which is instant.",
    safe: "CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);\nALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;",
    bad: "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);",
    good: "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;",
    in_run: InRun::WhenLarge,
    kind: "require-prebuilt-unique-index",
    check: Some(check),
    squawk: &["disallowed-unique-constraint", "adding-primary-key-constraint", "adding-serial-primary-key-field"],
};

fn check(p: &Parsed) -> Vec<Hit> {
    let mut out = Vec::new();
    for (s, node) in p.nodes() {
        for (table, cmd) in alter_table_cmds(node) {
            if !s.before.exists(&table) {
                continue;
            }
            let keys: Vec<_> = match AlterTableType::try_from(cmd.subtype) {
                Ok(AlterTableType::AtAddConstraint) => constraint(cmd).into_iter().collect(),
                Ok(AlterTableType::AtAddColumn) => column_def(cmd)
                    .map(|c| column_constraints(c).collect())
                    .unwrap_or_default(),
                _ => Vec::new(),
            };
            for k in keys {
                let what = match contype(k) {
                    Some(ConstrType::ConstrPrimary) => "PRIMARY KEY",
                    Some(ConstrType::ConstrUnique) => "UNIQUE",
                    _ => continue,
                };
                if !k.indexname.is_empty() {
                    continue;
                }
                out.push(Hit::new(
                    s.line,
                    Some(table.clone()),
                    format!("{what} on {table} builds its index under an ACCESS EXCLUSIVE lock on {table}"),
                ));
            }
        }
    }
    out
}

#[cfg(test)]
super::example_tests!();
