//! `prefer-text-over-char`: char(n) columns.

use super::script::{columns_of_type, Parsed};
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
    columns_of_type(p, "bpchar", |column| {
        format!("{column} is char(n), which pads with spaces")
    })
}

#[cfg(test)]
super::example_tests!();
