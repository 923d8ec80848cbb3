//! `drop-not-null`: ALTER COLUMN ... DROP NOT NULL on an existing table.

use super::script::{alter_table_cmds, Parsed};
use super::{Hit, InRun, Rule};
use pg_query::protobuf::AlterTableType;

pub static RULE: Rule = Rule {
    id: "drop-not-null",
    summary: "ALTER COLUMN ... DROP NOT NULL on an existing table",
    why: "Code that reads the column assumes it is never NULL: once NULLs are written, the running application's readers (and its rollback, which cannot SET NOT NULL again while NULLs exist) break.",
    fix: "Make every reader handle NULL first; then drop the constraint, and plan the rollback (backfill the NULLs before SET NOT NULL).",
    safe: "-- release N: readers handle NULL in users.phone\n-- release N+1:\nALTER TABLE users ALTER COLUMN phone DROP DEFAULT;",
    bad: "ALTER TABLE users ALTER COLUMN phone DROP NOT NULL;",
    good: "ALTER TABLE users ALTER COLUMN phone DROP DEFAULT;",
    in_run: InRun::Always,
    kind: "drop-not-null",
    check: Some(check),
    squawk: &["ban-drop-not-null"],
};

fn check(p: &Parsed) -> Vec<Hit> {
    let mut out = Vec::new();
    for (s, node) in p.nodes() {
        for (table, cmd) in alter_table_cmds(node) {
            if AlterTableType::try_from(cmd.subtype) == Ok(AlterTableType::AtDropNotNull)
                && s.before.exists(&table)
            {
                out.push(Hit::new(
                    s.line,
                    Some(table.clone()),
                    format!(
                        "DROP NOT NULL on {table}.{} lets NULLs in where running code does not expect them",
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
