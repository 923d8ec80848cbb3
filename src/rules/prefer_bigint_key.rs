//! `prefer-bigint-key`: a primary key of a 32- or 16-bit integer type.

use super::script::{column_constraints, column_type, contype, declared_columns, names, Parsed};
use super::{Hit, InRun, Rule};
use pg_query::protobuf::ConstrType;
use pg_query::NodeEnum;

pub static RULE: Rule = Rule {
    id: "prefer-bigint-key",
    summary: "PRIMARY KEY of type integer, smallint, serial or smallserial",
    why: "An int4 key runs out at 2,147,483,647: inserts then fail, and changing the key's type (and every foreign key's) to bigint rewrites the tables under ACCESS EXCLUSIVE locks when they are largest.",
    fix: "Use bigint for keys from the start (bigint GENERATED ALWAYS AS IDENTITY); 4 extra bytes a row is cheap insurance.",
    safe: "CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);",
    bad: "CREATE TABLE orders (id serial PRIMARY KEY);",
    good: "CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);",
    in_run: InRun::Always,
    kind: "prefer-bigint-key",
    check: Some(check),
    squawk: &["prefer-big-int", "prefer-bigint-over-int", "prefer-bigint-over-smallint"],
};

const SMALL: &[&str] = &[
    "int4",
    "int2",
    "serial",
    "serial4",
    "smallserial",
    "serial2",
    "integer",
    "smallint",
    "int",
];

fn check(p: &Parsed) -> Vec<Hit> {
    let mut out = Vec::new();
    for (s, node) in p.nodes() {
        // Columns a table-level PRIMARY KEY (a, b) names.
        let mut table_keys: Vec<String> = Vec::new();
        if let NodeEnum::CreateStmt(c) = node {
            for e in &c.table_elts {
                if let Some(NodeEnum::Constraint(k)) = e.node.as_ref() {
                    if contype(k) == Some(ConstrType::ConstrPrimary) {
                        table_keys.extend(names(&k.keys));
                    }
                }
            }
        }
        for (table, col) in declared_columns(node) {
            let Some(t) = col.type_name.as_ref().map(column_type) else {
                continue;
            };
            if !SMALL.contains(&t.name.as_str()) || t.array {
                continue;
            }
            let key = table_keys.contains(&col.colname)
                || column_constraints(col).any(|k| contype(k) == Some(ConstrType::ConstrPrimary));
            if key {
                out.push(Hit::new(
                    s.line,
                    Some(table.clone()),
                    format!(
                        "the primary key {table}.{} is {}, which runs out at 2^31 (or 2^15) rows",
                        crate::identifier::display(&col.colname),
                        t.name
                    ),
                ));
            }
        }
    }
    out
}

#[cfg(test)]
super::example_tests!();
