//! `require-lock-timeout`: a statement that locks an existing table before lock_timeout is set.

use super::script::{locked_relations, Parsed};
use super::{Hit, InRun, Rule};

pub static RULE: Rule = Rule {
    id: "require-lock-timeout",
    summary: "A migration locks an existing table without setting lock_timeout first",
    why: "A statement that needs a strong lock waits behind any long-running query on the table, and every query that arrives after it waits behind it: one slow report turns an instant ALTER TABLE into an outage. lock_timeout makes the migration give up instead.",
    fix: "Start the migration with SET lock_timeout = '2s' so that it gives up (and can be retried) instead of queueing every query behind it.",
    safe: "SET lock_timeout = '2s';\nALTER TABLE users ADD COLUMN status text;",
    bad: "ALTER TABLE users ADD COLUMN status text;",
    good: "SET lock_timeout = '2s';\nALTER TABLE users ADD COLUMN status text;",
    in_run: InRun::Always,
    kind: "no_lock_timeout",
    check: Some(check),
    squawk: &["require-timeout-settings", "require-lock-timeout"],
};

fn check(p: &Parsed) -> Vec<Hit> {
    for (s, node) in p.nodes() {
        if s.before.lock_timeout {
            continue;
        }
        if let Some(table) = locked_relations(node)
            .into_iter()
            .find(|r| s.before.exists(r))
        {
            return vec![Hit::new(
                s.line,
                Some(table.clone()),
                format!("the migration locks {table}, which already exists, without setting lock_timeout first"),
            )];
        }
    }
    Vec::new()
}

#[cfg(test)]
super::example_tests!();
