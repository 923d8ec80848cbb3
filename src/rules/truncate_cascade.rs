//! `truncate-cascade`: TRUNCATE ... CASCADE.

use super::script::{cascades, relation, Parsed};
use super::{Hit, InRun, Rule};
use pg_query::NodeEnum;

pub static RULE: Rule = Rule {
    id: "truncate-cascade",
    summary: "TRUNCATE ... CASCADE",
    why: "CASCADE also empties every table that references the truncated ones by foreign key, and those that reference them, under ACCESS EXCLUSIVE locks: the statement names one table and destroys the rows of tables it does not name.",
    fix: "TRUNCATE the tables you mean by name, without CASCADE, so that a referencing table you did not name stops the statement.",
    safe: "TRUNCATE sessions, session_events;",
    bad: "TRUNCATE sessions CASCADE;",
    good: "TRUNCATE sessions, session_events;",
    in_run: InRun::Always,
    kind: "truncate-cascade",
    check: Some(check),
    squawk: &["ban-truncate-cascade"],
};

fn check(p: &Parsed) -> Vec<Hit> {
    let mut out = Vec::new();
    for (s, node) in p.nodes() {
        let NodeEnum::TruncateStmt(t) = node else {
            continue;
        };
        if !cascades(t.behavior) {
            continue;
        }
        for r in &t.relations {
            if let Some(NodeEnum::RangeVar(rv)) = r.node.as_ref() {
                let table = relation(rv);
                out.push(Hit::new(
                    s.line,
                    Some(table.clone()),
                    format!("TRUNCATE {table} CASCADE also empties every table that references it"),
                ));
            }
        }
    }
    out
}

#[cfg(test)]
super::example_tests!();
