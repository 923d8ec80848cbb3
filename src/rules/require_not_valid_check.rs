//! `require-not-valid-check`: a CHECK constraint added to an existing table without NOT VALID.

use super::script::{alter_table_cmds, constraint, contype, Parsed};
use super::{Hit, InRun, Rule};
use pg_query::protobuf::{AlterTableType, ConstrType};

pub static RULE: Rule = Rule {
    id: "require-not-valid-check",
    summary: "CHECK constraint added to an existing table without NOT VALID",
    why: "Adding a validated CHECK scans every row while it holds an ACCESS EXCLUSIVE lock: reads and writes of the table wait for the scan.",
    fix: "Add it with NOT VALID (only new rows are checked, the lock is brief), then ALTER TABLE ... VALIDATE CONSTRAINT, which scans under a lock that lets reads and writes go on.",
    safe: "ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;",
    bad: "ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0);",
    good: "ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0) NOT VALID;",
    in_run: InRun::WhenLarge,
    kind: "require-not-valid-check",
    check: Some(check),
    squawk: &["constraint-missing-not-valid"],
};

fn check(p: &Parsed) -> Vec<Hit> {
    let mut out = Vec::new();
    for (s, node) in p.nodes() {
        for (table, cmd) in alter_table_cmds(node) {
            if AlterTableType::try_from(cmd.subtype) != Ok(AlterTableType::AtAddConstraint)
                || !s.before.exists(&table)
            {
                continue;
            }
            let Some(k) = constraint(cmd) else { continue };
            if contype(k) != Some(ConstrType::ConstrCheck) || k.skip_validation {
                continue;
            }
            out.push(Hit::new(
                s.line,
                Some(table.clone()),
                format!("CHECK {} on {table} is added without NOT VALID, so it scans {table} under an ACCESS EXCLUSIVE lock", crate::identifier::display(&k.conname)),
            ));
        }
    }
    out
}

#[cfg(test)]
super::example_tests!();
