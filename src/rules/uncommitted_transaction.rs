//! `uncommitted-transaction`: a script that opens a transaction and never ends it.

use super::script::Parsed;
use super::{Hit, InRun, Rule};

pub static RULE: Rule = Rule {
    id: "uncommitted-transaction",
    summary: "BEGIN without a COMMIT before the end of the script",
    why: "The transaction stays open after the script: with psql it is rolled back when the session ends, with a migration tool the next migration runs inside it, and every lock taken so far is held until someone notices.",
    fix: "End every BEGIN with COMMIT in the same script.",
    safe: "BEGIN;\nALTER TABLE users ADD COLUMN status text;\nCOMMIT;",
    bad: "BEGIN;\nALTER TABLE users ADD COLUMN status text;",
    good: "BEGIN;\nALTER TABLE users ADD COLUMN status text;\nCOMMIT;",
    in_run: InRun::Always,
    kind: "uncommitted-transaction",
    check: Some(check),
    squawk: &["ban-uncommitted-transaction"],
};

fn check(p: &Parsed) -> Vec<Hit> {
    match p.end.explicit_transaction {
        Some(line) => vec![Hit::new(
            line,
            None,
            "the transaction this BEGIN opens is never committed in the script",
        )],
        None => Vec::new(),
    }
}

#[cfg(test)]
super::example_tests!();
