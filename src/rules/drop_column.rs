//! `drop-column`: DROP COLUMN on an existing table.

use super::script::{alter_table_cmds, Parsed};
use super::{Hit, InRun, Rule};
use pg_query::protobuf::AlterTableType;

pub static RULE: Rule = Rule {
    id: "drop-column",
    summary: "ALTER TABLE ... DROP COLUMN on an existing table",
    why: "The column's data is gone (a rollback cannot bring it back), and the application version still running reads and writes it: its queries fail. The drop itself needs a brief ACCESS EXCLUSIVE lock.",
    fix: "Stop using the column in one release, drop it in a later one, and get the drop approved (-- rehearse:approve destructive).",
    safe: "-- release N: the application stops reading and writing users.legacy_name\n-- release N+1:\nALTER TABLE users DROP COLUMN legacy_name;",
    bad: "ALTER TABLE users DROP COLUMN legacy_name;",
    good: "CREATE TABLE scratch (id bigint, tmp text);\nALTER TABLE scratch DROP COLUMN tmp;",
    in_run: InRun::LintOnly,
    kind: "drop-column",
    check: Some(check),
    squawk: &["ban-drop-column"],
};

fn check(p: &Parsed) -> Vec<Hit> {
    let mut out = Vec::new();
    for (s, node) in p.nodes() {
        for (table, cmd) in alter_table_cmds(node) {
            if AlterTableType::try_from(cmd.subtype) == Ok(AlterTableType::AtDropColumn)
                && s.before.exists(&table)
            {
                out.push(Hit::new(
                    s.line,
                    Some(table.clone()),
                    format!(
                        "DROP COLUMN {table}.{} destroys its data and breaks code that still uses it",
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
