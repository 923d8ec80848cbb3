//! `enum-value-used-in-transaction`: an enum value added and used in the same transaction.

use super::script::{string_constants, Parsed};
use super::{Hit, InRun, Rule};
use pg_query::NodeEnum;

pub static RULE: Rule = Rule {
    id: "enum-value-used-in-transaction",
    summary: "An enum value added with ALTER TYPE ... ADD VALUE is used in the same transaction",
    why: "PostgreSQL refuses to use an enum value before the transaction that added it commits (\"unsafe use of new value\"): the migration fails in production, after the statements before it took their locks.",
    fix: "Add the value in a migration of its own (committed), and use it in a later one.",
    safe: "ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'refunded';\n-- a later migration:\nUPDATE orders SET status = 'refunded' WHERE refunded_at IS NOT NULL;",
    bad: "ALTER TYPE order_status ADD VALUE 'refunded';\nUPDATE orders SET status = 'refunded' WHERE refunded_at IS NOT NULL;",
    good: "ALTER TYPE order_status ADD VALUE 'refunded';\nCOMMIT;\nUPDATE orders SET status = 'refunded' WHERE refunded_at IS NOT NULL;",
    in_run: InRun::Always,
    kind: "enum-value-used-in-transaction",
    check: Some(check),
    squawk: &[],
};

fn check(p: &Parsed) -> Vec<Hit> {
    let mut out = Vec::new();
    for (s, node) in p.nodes() {
        if s.before.enum_values.is_empty() || matches!(node, NodeEnum::AlterEnumStmt(_)) {
            continue;
        }
        let strings = string_constants(node);
        for (ty, value, line) in &s.before.enum_values {
            if strings.iter().any(|v| v == value) {
                out.push(Hit::new(
                    s.line,
                    Some(ty.clone()),
                    format!(
                        "'{value}' is used in the transaction that added it to {ty} on line {line}, which PostgreSQL refuses until that transaction commits"
                    ),
                ));
            }
        }
    }
    out
}

#[cfg(test)]
super::example_tests!();
