//! `adding-required-column`: ADD COLUMN ... NOT NULL without a default on an existing table.

use super::script::{column_constraints, contype, declared_columns, Parsed};
use super::{Hit, InRun, Rule};
use pg_query::protobuf::ConstrType;
use pg_query::NodeEnum;

pub static RULE: Rule = Rule {
    id: "adding-required-column",
    summary: "ADD COLUMN ... NOT NULL without a DEFAULT on an existing table",
    why: "Every existing row would get NULL in a column that refuses it: the statement fails on any table with rows, in production, after it queued for its ACCESS EXCLUSIVE lock. Application code that inserts without the column breaks too.",
    fix: "Add the column with a constant DEFAULT (no rewrite since PostgreSQL 11), or add it nullable, backfill it in batches, and then make it NOT NULL.",
    safe: "ALTER TABLE users ADD COLUMN status text NOT NULL DEFAULT 'active';",
    bad: "ALTER TABLE users ADD COLUMN status text NOT NULL;",
    good: "ALTER TABLE users ADD COLUMN status text NOT NULL DEFAULT 'active';",
    in_run: InRun::Always,
    kind: "adding-required-column",
    check: Some(check),
    squawk: &["adding-required-field"],
};

fn check(p: &Parsed) -> Vec<Hit> {
    let mut out = Vec::new();
    for (s, node) in p.nodes() {
        if !matches!(node, NodeEnum::AlterTableStmt(_)) {
            continue;
        }
        for (table, col) in declared_columns(node) {
            if !s.before.exists(&table) {
                continue;
            }
            let kinds: Vec<_> = column_constraints(col).filter_map(contype).collect();
            let serial = col
                .type_name
                .as_ref()
                .map(super::script::column_type)
                .is_some_and(|t| t.name.contains("serial"));
            let required = kinds.contains(&ConstrType::ConstrNotnull)
                || kinds.contains(&ConstrType::ConstrPrimary);
            let filled = serial
                || kinds.iter().any(|k| {
                    matches!(
                        k,
                        ConstrType::ConstrDefault
                            | ConstrType::ConstrIdentity
                            | ConstrType::ConstrGenerated
                    )
                });
            if required && !filled {
                out.push(Hit::new(
                    s.line,
                    Some(table.clone()),
                    format!(
                        "ADD COLUMN {} NOT NULL without a default fails on {table} as soon as it has a row",
                        crate::identifier::display(&col.colname)
                    ),
                ));
            }
        }
    }
    out
}

#[cfg(test)]
super::example_tests!();
