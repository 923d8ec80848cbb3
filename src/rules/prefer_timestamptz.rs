//! `prefer-timestamptz`: timestamp without time zone columns.

use super::script::{columns_of_type, Parsed};
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
    columns_of_type(p, "timestamp", |column| {
        format!("{column} is timestamp without time zone")
    })
}

#[cfg(test)]
super::example_tests!();
