//! Data signatures: per table, the row count and, per column, an order-independent hash of the
//! multiset of its values, computed in the server in one pass over the table.
//!
//! A value's hash is the first (and, separately, the last) 64 bits of `md5(value::text)`; a
//! column's signature is the count of non-null values and the two *sums* of those hashes, kept as
//! exact `numeric`. Sums, not XOR: with XOR a value present twice cancels out, so `{a, a}` and
//! `{b, b}` would look the same; with sums every multiplicity counts. NULLs are counted, not
//! hashed. A row hash (the same sums over `ROW(columns in name order)`) notices rows whose
//! columns each kept their values but were recombined (`UPDATE ... SET a = b, b = a`).
//!
//! Rows never leave the server: the client receives one row of aggregates per table. The
//! signature never writes and never takes more than the `ACCESS SHARE` lock a `SELECT` takes.

use super::model::Snapshot;
use crate::report::DataDifference;
use futures_util::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tokio_postgres::Client;

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DataSignature {
    /// Ordinary tables (partitions included, each read `ONLY`), by schema-qualified name.
    pub tables: BTreeMap<String, TableSignature>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TableSignature {
    pub rows: i64,
    pub columns: BTreeMap<String, ColumnSignature>,
    /// Hash over whole rows; `None` when not every column of the reference signature exists.
    pub row_hash: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ColumnSignature {
    pub non_null: i64,
    pub hash: String,
}

/// Columns per aggregate query: PostgreSQL allows 1664 result columns, each column takes 3.
const COLUMNS_PER_PASS: usize = 400;

/// Concurrent table reads pipelined on the one connection.
const IN_FLIGHT: usize = 8;

/// The signature of every ordinary table of `snapshot` (taken of the same database).
pub async fn signature(
    client: &Client,
    snapshot: &Snapshot,
) -> Result<DataSignature, tokio_postgres::Error> {
    let plan: Vec<(String, Vec<String>, bool)> = snapshot
        .relations
        .iter()
        .filter(|(_, r)| r.kind == "table")
        .map(|(name, r)| {
            let mut cols: Vec<String> = r.columns.iter().map(|c| c.name.clone()).collect();
            cols.sort();
            (name.clone(), cols, true)
        })
        .collect();
    read(client, plan).await
}

/// The signature of the tables and columns of `reference` that still exist in `now` (the
/// snapshot of the database as it is), so that the two signatures compare column by column.
pub async fn signature_like(
    client: &Client,
    reference: &DataSignature,
    now: &Snapshot,
) -> Result<DataSignature, tokio_postgres::Error> {
    let plan = reference
        .tables
        .iter()
        .filter_map(|(name, t)| {
            let rel = now.relations.get(name).filter(|r| r.kind == "table")?;
            let cols: Vec<String> = t
                .columns
                .keys()
                .filter(|c| rel.columns.iter().any(|x| &x.name == *c))
                .cloned()
                .collect();
            let complete = cols.len() == t.columns.len();
            Some((name.clone(), cols, complete))
        })
        .collect();
    read(client, plan).await
}

async fn read(
    client: &Client,
    plan: Vec<(String, Vec<String>, bool)>,
) -> Result<DataSignature, tokio_postgres::Error> {
    // row_security=off: an error rather than a silently filtered count if a policy would apply.
    client
        .batch_execute(
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; \
             SELECT pg_catalog.set_config('search_path', '', true), \
                    pg_catalog.set_config('row_security', 'off', true);",
        )
        .await?;
    let result = futures_util::stream::iter(plan)
        .map(|(table, cols, complete)| async move {
            let sig = table_signature(client, &table, &cols, complete).await?;
            Ok::<_, tokio_postgres::Error>((table, sig))
        })
        .buffered(IN_FLIGHT)
        .try_collect::<BTreeMap<_, _>>()
        .await;
    let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
    let ended = client.batch_execute(end).await;
    let tables = result?;
    ended?;
    Ok(DataSignature { tables })
}

fn hash_sums(expr: &str) -> String {
    format!(
        "count({expr})::int8, \
         (coalesce(sum(('x' || substr({expr}, 1, 16))::bit(64)::int8), 0)::text || ':' || \
          coalesce(sum(('x' || substr({expr}, 17, 16))::bit(64)::int8), 0)::text)"
    )
}

async fn table_signature(
    client: &Client,
    table: &str,
    cols: &[String],
    complete: bool,
) -> Result<TableSignature, tokio_postgres::Error> {
    let mut sig = TableSignature::default();
    let chunks: Vec<&[String]> = if cols.is_empty() {
        vec![&[]]
    } else {
        cols.chunks(COLUMNS_PER_PASS).collect()
    };
    for (i, chunk) in chunks.iter().enumerate() {
        let with_rows = i == 0 && complete && !cols.is_empty();
        let mut inner: Vec<String> = chunk
            .iter()
            .enumerate()
            .map(|(j, c)| format!("pg_catalog.md5({c}::text) AS h{j}"))
            .collect();
        let mut outer: Vec<String> = vec!["count(*)::int8".to_string()];
        outer.extend((0..chunk.len()).map(|j| hash_sums(&format!("h{j}"))));
        if with_rows {
            inner.push(format!(
                "pg_catalog.md5(ROW({})::text) AS hrow",
                cols.join(", ")
            ));
            outer.push(hash_sums("hrow"));
        }
        if inner.is_empty() {
            inner.push("1".to_string());
        }
        let sql = format!(
            "SELECT {} FROM (SELECT {} FROM ONLY {table}) s",
            outer.join(", "),
            inner.join(", ")
        );
        let row = client.query_one(&sql, &[]).await?;
        sig.rows = row.get(0);
        for (j, c) in chunk.iter().enumerate() {
            sig.columns.insert(
                c.clone(),
                ColumnSignature {
                    non_null: row.get(1 + 2 * j),
                    hash: row.get(2 + 2 * j),
                },
            );
        }
        if with_rows {
            sig.row_hash = Some(row.get::<_, String>(2 + 2 * chunk.len()));
        }
    }
    Ok(sig)
}

/// Every table and column of `before` whose data is not the same in `after`.
pub fn compare(before: &DataSignature, after: &DataSignature) -> Vec<DataDifference> {
    let mut out = Vec::new();
    for (table, b) in &before.tables {
        let Some(a) = after.tables.get(table) else {
            out.push(DataDifference {
                object: table.clone(),
                detail: format!("the table {table} and its {} rows are gone", b.rows),
            });
            continue;
        };
        if a.rows != b.rows {
            out.push(DataDifference {
                object: table.clone(),
                detail: format!("{table} has {} rows instead of {}", a.rows, b.rows),
            });
        }
        let mut columns_equal = true;
        for (col, cb) in &b.columns {
            let object = format!("{table}.{col}");
            match a.columns.get(col) {
                None => {
                    columns_equal = false;
                    out.push(DataDifference {
                        detail: format!("the column {object} and its values are gone"),
                        object,
                    });
                }
                Some(ca) if ca != cb => {
                    columns_equal = false;
                    let detail = if ca.non_null != cb.non_null {
                        format!(
                            "{object} holds {} non-null values instead of {}",
                            ca.non_null, cb.non_null
                        )
                    } else {
                        format!("the values of {object} changed")
                    };
                    out.push(DataDifference { object, detail });
                }
                Some(_) => {}
            }
        }
        if columns_equal && a.rows == b.rows && a.row_hash.is_some() && a.row_hash != b.row_hash {
            out.push(DataDifference {
                object: table.clone(),
                detail: format!(
                    "every column of {table} holds the same values, but the rows combine them differently"
                ),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(rows: i64, cols: &[(&str, i64, &str)]) -> DataSignature {
        let mut t = TableSignature {
            rows,
            ..Default::default()
        };
        for (c, n, h) in cols {
            t.columns.insert(
                c.to_string(),
                ColumnSignature {
                    non_null: *n,
                    hash: h.to_string(),
                },
            );
        }
        let mut s = DataSignature::default();
        s.tables.insert("public.t".into(), t);
        s
    }

    #[test]
    fn a_changed_column_is_named() {
        let d = compare(&sig(2, &[("a", 2, "1:1")]), &sig(2, &[("a", 2, "1:2")]));
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].object, "public.t.a");
    }

    #[test]
    fn a_lost_column_is_named() {
        let d = compare(&sig(2, &[("a", 2, "1:1")]), &sig(2, &[]));
        assert_eq!(d[0].object, "public.t.a");
    }
}
