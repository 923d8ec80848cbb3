//! `statements-after-exclusive-lock`: more statements run while the transaction holds an ACCESS
//! EXCLUSIVE lock on an existing table (eugene's E4).

use super::script::Parsed;
use super::{Hit, InRun, Rule};
use pg_query::NodeEnum;

pub static RULE: Rule = Rule {
    id: "statements-after-exclusive-lock",
    summary: "More statements run in the transaction after it took an ACCESS EXCLUSIVE lock on an existing table",
    why: "A lock is held until the transaction ends: every statement after the one that took ACCESS EXCLUSIVE runs while every reader and writer of that table waits, so the outage is the sum of them all.",
    fix: "Take the ACCESS EXCLUSIVE lock last, or put the statement that takes it in a transaction (migration) of its own.",
    safe: "CREATE INDEX CONCURRENTLY orders_note_idx ON orders (note);\n-- a migration of its own:\nALTER TABLE orders ADD COLUMN note text;",
    bad: "ALTER TABLE orders ADD COLUMN note text;\nUPDATE orders SET note = 'x' WHERE id < 100;",
    good: "UPDATE orders SET note = 'x' WHERE id < 100;\nALTER TABLE orders ADD COLUMN note2 text;",
    in_run: InRun::Always,
    kind: "statements-after-exclusive-lock",
    check: Some(check),
    squawk: &[],
};

fn check(p: &Parsed) -> Vec<Hit> {
    let mut out = Vec::new();
    let mut reported: Option<usize> = None;
    for (s, node) in p.nodes() {
        let Some((table, taken)) = &s.before.exclusive else {
            continue;
        };
        // Ending the transaction or setting a session value holds nobody up.
        if matches!(
            node,
            NodeEnum::TransactionStmt(_) | NodeEnum::VariableSetStmt(_)
        ) {
            continue;
        }
        if reported == Some(*taken) {
            continue;
        }
        reported = Some(*taken);
        out.push(Hit::new(
            s.line,
            Some(table.clone()),
            format!("this statement runs while the transaction holds the ACCESS EXCLUSIVE lock on {table} taken on line {taken}"),
        ));
    }
    out
}

#[cfg(test)]
super::example_tests!();
