//! `prefer-text-over-char`: char(n) columns.

use super::script::{alter_table_cmds, column_def, column_type, declared_columns, Parsed};
use super::{Hit, InRun, Rule};

pub static RULE: Rule = Rule {
    id: "prefer-text-over-char",
    summary: "char(n) / character(n) column",
    why: "char(n) pads values with spaces, compares with the padding stripped, and is no faster than text: values come back longer than written, and widening it later rewrites the table.",
    fix: "Use text (with a CHECK on length if the limit matters), or varchar(n).",
    safe: "CREATE TABLE countries (code text CHECK (length(code) = 2));",
    bad: "CREATE TABLE countries (code char(2));",
    good: "CREATE TABLE countries (code text CHECK (length(code) = 2));",
    in_run: InRun::Always,
    kind: "prefer-text-over-char",
    check: Some(check),
    squawk: &["ban-char-field"],
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
            if t.name == "bpchar" {
                out.push(Hit::new(
                    s.line,
                    Some(table.clone()),
                    format!(
                        "{table}.{} is char(n), which pads with spaces",
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
