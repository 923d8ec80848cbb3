//! `adding-volatile-default`: ADD COLUMN that gives every existing row its own value, which
//! rewrites the table.

use super::script::{column_constraints, contype, declared_columns, functions_called, Parsed};
use super::{Hit, InRun, Rule};
use pg_query::protobuf::ConstrType;
use pg_query::NodeEnum;

pub static RULE: Rule = Rule {
    id: "adding-volatile-default",
    summary: "ADD COLUMN with a volatile default, a serial or identity type, or a stored generated expression",
    why: "A constant default is stored once in the catalog (PostgreSQL 11 and later), but a volatile default (random(), gen_random_uuid(), clock_timestamp(), nextval()), a serial or identity column and a stored generated column give every existing row its own value: the whole table and its indexes are rewritten under an ACCESS EXCLUSIVE lock, and nobody reads or writes it until that is done.",
    fix: "Add the column without a default (or with a constant one), set the default for new rows in a second statement, then backfill the existing rows in batches.",
    safe: "ALTER TABLE orders ADD COLUMN token uuid;\nALTER TABLE orders ALTER COLUMN token SET DEFAULT gen_random_uuid();\n-- then, in batches outside the migration:\nUPDATE orders SET token = gen_random_uuid() WHERE id BETWEEN 1 AND 10000 AND token IS NULL;",
    bad: "ALTER TABLE orders ADD COLUMN token uuid DEFAULT gen_random_uuid();",
    good: "ALTER TABLE orders ADD COLUMN status text DEFAULT 'new';",
    in_run: InRun::Measured,
    kind: "rewrite_large_table",
    check: Some(check),
    squawk: &["adding-field-with-default", "adding-serial-primary-key-field"],
};

/// Functions a default may call without a rewrite: stable or immutable, evaluated once for
/// the catalog.
const STABLE: &[&str] = &[
    "now",
    "statement_timestamp",
    "transaction_timestamp",
    "current_setting",
    "lower",
    "upper",
    "btrim",
    "concat",
    "length",
    "make_interval",
    "make_date",
    "to_jsonb",
    "to_json",
    "jsonb_build_object",
    "json_build_object",
    "jsonb_build_array",
    "json_build_array",
    "array_fill",
    "date_trunc",
    "timezone",
    "to_timestamp",
    "to_date",
    "to_char",
    "int4",
    "int8",
    "numeric",
];

/// Why adding this column rewrites the table, when it does.
pub(crate) fn rewrite_reason(col: &pg_query::protobuf::ColumnDef) -> Option<String> {
    let ty = col
        .type_name
        .as_ref()
        .map(super::script::column_type)
        .map(|t| t.name)
        .unwrap_or_default();
    if matches!(
        ty.as_str(),
        "serial" | "bigserial" | "smallserial" | "serial4" | "serial8" | "serial2"
    ) {
        return Some(format!(
            "a {ty} column gives every existing row its own sequence value"
        ));
    }
    for k in column_constraints(col) {
        match contype(k) {
            Some(ConstrType::ConstrIdentity) => {
                return Some("an identity column gives every existing row its own value".into())
            }
            Some(ConstrType::ConstrGenerated) => {
                return Some(
                    "a stored generated column computes a value for every existing row".into(),
                )
            }
            Some(ConstrType::ConstrDefault) => {
                let Some(expr) = k.raw_expr.as_ref() else {
                    continue;
                };
                if let Some(f) = functions_called(expr)
                    .into_iter()
                    .find(|f| !STABLE.contains(&f.as_str()))
                {
                    return Some(format!("the default calls {f}(), which is (or may be) volatile, so every existing row gets its own value"));
                }
                if matches!(expr.node.as_ref(), Some(NodeEnum::SubLink(_))) {
                    return Some("the default is a subquery".into());
                }
            }
            _ => {}
        }
    }
    None
}

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
            if let Some(reason) = rewrite_reason(col) {
                out.push(Hit::new(
                    s.line,
                    Some(table.clone()),
                    format!(
                        "ADD COLUMN {} rewrites {table} under an ACCESS EXCLUSIVE lock: {reason}",
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

#[cfg(test)]
mod tests {
    use super::RULE;

    #[test]
    fn constant_and_stable_defaults_do_not_rewrite() {
        for sql in [
            "ALTER TABLE t ADD COLUMN c timestamptz DEFAULT now()",
            "ALTER TABLE t ADD COLUMN c timestamptz DEFAULT CURRENT_TIMESTAMP",
            "ALTER TABLE t ADD COLUMN c int DEFAULT 0 NOT NULL",
            "CREATE TABLE t (id bigserial, u uuid DEFAULT gen_random_uuid())",
        ] {
            assert!(RULE.check_sql(sql).is_empty(), "{sql}");
        }
        for sql in [
            "ALTER TABLE t ADD COLUMN id bigserial",
            "ALTER TABLE t ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY",
            "ALTER TABLE t ADD COLUMN total numeric GENERATED ALWAYS AS (a + b) STORED",
            "ALTER TABLE t ADD COLUMN r float8 DEFAULT random()",
        ] {
            assert_eq!(RULE.check_sql(sql).len(), 1, "{sql}");
        }
    }
}
