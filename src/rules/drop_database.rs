//! `drop-database`: DROP DATABASE in a migration.

use super::script::Parsed;
use super::{Hit, InRun, Rule};
use pg_query::NodeEnum;

pub static RULE: Rule = Rule {
    id: "drop-database",
    summary: "DROP DATABASE in a migration",
    why: "Everything in the database is gone, and no rollback script can bring it back. A migration runs against one database; dropping one is an operation, not a schema change.",
    fix: "Do not drop databases from migrations: do it by hand, with a backup, after the services using it are gone.",
    safe: "-- outside the migrations, by an operator, after a backup:\n-- DROP DATABASE old_reporting;\nSELECT 1;",
    bad: "DROP DATABASE old_reporting;",
    good: "SELECT 1;",
    in_run: InRun::Always,
    kind: "drop-database",
    check: Some(check),
    squawk: &["ban-drop-database"],
};

fn check(p: &Parsed) -> Vec<Hit> {
    p.nodes()
        .filter_map(|(s, node)| match node {
            NodeEnum::DropdbStmt(d) => Some(Hit::new(
                s.line,
                Some(crate::identifier::display(&d.dbname)),
                format!(
                    "DROP DATABASE {} destroys the whole database",
                    crate::identifier::display(&d.dbname)
                ),
            )),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
super::example_tests!();
