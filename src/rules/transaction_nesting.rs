//! `transaction-nesting`: BEGIN while the script's own transaction is open.

use super::script::Parsed;
use super::{Hit, InRun, Rule};
use pg_query::protobuf::TransactionStmtKind;
use pg_query::NodeEnum;

pub static RULE: Rule = Rule {
    id: "transaction-nesting",
    summary: "BEGIN inside a transaction the script already opened",
    why: "PostgreSQL has no nested transactions: the second BEGIN only warns, and its COMMIT commits the outer transaction early, so what follows runs outside the transaction the author meant (and outside the migration tool's, if it wraps the script).",
    fix: "Use one BEGIN ... COMMIT per script (or none, when the migration tool wraps the script), and SAVEPOINT for a nested unit.",
    safe: "BEGIN;\nALTER TABLE users ADD COLUMN status text;\nSAVEPOINT before_backfill;\nCOMMIT;",
    bad: "BEGIN;\nALTER TABLE users ADD COLUMN status text;\nBEGIN;\nCOMMIT;\nCOMMIT;",
    good: "BEGIN;\nALTER TABLE users ADD COLUMN status text;\nCOMMIT;",
    in_run: InRun::Always,
    kind: "transaction-nesting",
    check: Some(check),
    squawk: &["transaction-nesting"],
};

fn check(p: &Parsed) -> Vec<Hit> {
    let mut out = Vec::new();
    for (s, node) in p.nodes() {
        let NodeEnum::TransactionStmt(t) = node else {
            continue;
        };
        let begin = matches!(
            TransactionStmtKind::try_from(t.kind),
            Ok(TransactionStmtKind::TransStmtBegin | TransactionStmtKind::TransStmtStart)
        );
        if let (true, Some(open)) = (begin, s.before.explicit_transaction) {
            out.push(Hit::new(
                s.line,
                None,
                format!("BEGIN inside the transaction opened on line {open}: its COMMIT will end that one"),
            ));
        }
    }
    out
}

#[cfg(test)]
super::example_tests!();
