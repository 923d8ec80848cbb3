//! `require-statement-timeout`: a statement that scans or rewrites an existing table under its
//! lock, before statement_timeout is set.

use super::script::{alter_table_cmds, Parsed};
use super::{Hit, InRun, Rule};
use pg_query::protobuf::AlterTableType;
use pg_query::NodeEnum;

pub static RULE: Rule = Rule {
    id: "require-statement-timeout",
    summary: "A statement that scans or rewrites an existing table runs without statement_timeout",
    why: "A rewrite, a validation scan or an index build holds its lock for as long as the table takes to read: without statement_timeout nothing stops it when production's table is far larger than expected.",
    fix: "SET statement_timeout (for example '5min') before the long statement, so that it fails and releases its lock instead of blocking for an unknown time.",
    safe: "SET lock_timeout = '2s';\nSET statement_timeout = '5min';\nALTER TABLE users ALTER COLUMN email SET NOT NULL;",
    bad: "SET lock_timeout = '2s';\nALTER TABLE users ALTER COLUMN email SET NOT NULL;",
    good: "SET statement_timeout = '5min';\nALTER TABLE users ALTER COLUMN email SET NOT NULL;",
    in_run: InRun::LintOnly,
    kind: "require-statement-timeout",
    check: Some(check),
    squawk: &["require-timeout-settings", "require-statement-timeout"],
};

/// The existing table a statement reads in full under its lock, if it does.
fn long_locked(node: &NodeEnum, exists: &dyn Fn(&str) -> bool) -> Option<String> {
    if let NodeEnum::IndexStmt(i) = node {
        let table = i.relation.as_ref().map(super::script::relation)?;
        return (!i.concurrent && exists(&table)).then_some(table);
    }
    for (table, cmd) in alter_table_cmds(node) {
        use AlterTableType as T;
        let long = match T::try_from(cmd.subtype) {
            Ok(T::AtSetNotNull | T::AtAlterColumnType) => true,
            Ok(T::AtAddConstraint) => {
                super::script::constraint(cmd).is_some_and(|k| !k.skip_validation)
            }
            _ => false,
        };
        if long && exists(&table) {
            return Some(table);
        }
    }
    None
}

fn check(p: &Parsed) -> Vec<Hit> {
    for (s, node) in p.nodes() {
        if s.before.statement_timeout {
            continue;
        }
        if let Some(table) = long_locked(node, &|r| s.before.exists(r)) {
            return vec![Hit::new(
                s.line,
                Some(table.clone()),
                format!("the statement reads all of {table} under its lock, and no statement_timeout bounds it"),
            )];
        }
    }
    Vec::new()
}

#[cfg(test)]
super::example_tests!();
