//! `prefer-identity`: serial columns.

use super::script::{column_type, declared_columns, Parsed};
use super::{Hit, InRun, Rule};

pub static RULE: Rule = Rule {
    id: "prefer-identity",
    summary: "serial, bigserial or smallserial column",
    why: "A serial column's sequence is a separate object with its own owner and privileges: dumps, copies and permission changes miss it, and code can write ids past it. Added to an existing table, it also rewrites the table to fill every row.",
    fix: "Use bigint GENERATED ALWAYS AS IDENTITY (or BY DEFAULT), which ties the sequence to the column.",
    safe: "CREATE TABLE events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, payload jsonb);",
    bad: "CREATE TABLE events (id bigserial PRIMARY KEY, payload jsonb);",
    good: "CREATE TABLE events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, payload jsonb);",
    in_run: InRun::Always,
    kind: "prefer-identity",
    check: Some(check),
    squawk: &["prefer-identity"],
};

fn check(p: &Parsed) -> Vec<Hit> {
    let mut out = Vec::new();
    for (s, node) in p.nodes() {
        for (table, col) in declared_columns(node) {
            let Some(t) = col.type_name.as_ref().map(column_type) else {
                continue;
            };
            if matches!(
                t.name.as_str(),
                "serial" | "bigserial" | "smallserial" | "serial2" | "serial4" | "serial8"
            ) {
                out.push(Hit::new(
                    s.line,
                    Some(table.clone()),
                    format!(
                        "{table}.{} is {}: prefer an identity column",
                        crate::identifier::display(&col.colname),
                        t.name
                    ),
                ));
            }
        }
    }
    out
}

#[cfg(test)]
super::example_tests!();
