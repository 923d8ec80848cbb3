//! `prefer-timestamptz`: timestamp without time zone columns.

use super::script::{alter_table_cmds, column_def, column_type, declared_columns, Parsed};
use super::{Hit, InRun, Rule};

pub static RULE: Rule = Rule {
    id: "prefer-timestamptz",
    summary: "timestamp (without time zone) column",
    why: "timestamp stores wall-clock time without saying where: values written by servers or sessions in different time zones cannot be compared, and converting the column to timestamptz later rewrites the table under an ACCESS EXCLUSIVE lock.",
    fix: "Use timestamptz: it stores an instant and shows it in the session's time zone.",
    safe: "CREATE TABLE events (happened_at timestamptz NOT NULL DEFAULT now());",
    bad: "CREATE TABLE events (happened_at timestamp NOT NULL DEFAULT now());",
    good: "CREATE TABLE events (happened_at timestamptz NOT NULL DEFAULT now());",
    in_run: InRun::Always,
    kind: "prefer-timestamptz",
    check: Some(check),
    squawk: &["prefer-timestamp-tz", "prefer-timestamptz"],
};

fn check(p: &Parsed) -> Vec<Hit> {
    let mut out = Vec::new();
    for (s, node) in p.nodes() {
        let mut columns: Vec<(String, String, super::script::ColumnType)> = declared_columns(node)
            .into_iter()
            .filter_map(|(t, c)| {
                c.type_name
                    .as_ref()
                    .map(|ty| (t, c.colname.clone(), column_type(ty)))
            })
            .collect();
        for (table, cmd) in alter_table_cmds(node) {
            if let Some(ty) = column_def(cmd).and_then(|c| c.type_name.as_ref()) {
                if !cmd.name.is_empty() {
                    columns.push((table, cmd.name.clone(), column_type(ty)));
                }
            }
        }
        for (table, column, t) in columns {
            if t.name == "timestamp" {
                out.push(Hit::new(
                    s.line,
                    Some(table.clone()),
                    format!(
                        "{table}.{} is timestamp without time zone",
                        crate::identifier::display(&column)
                    ),
                ));
            }
        }
    }
    out
}

#[cfg(test)]
super::example_tests!();
