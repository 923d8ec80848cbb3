//! Data signatures: per table, the row count and, per column, an order-independent hash of the
//! multiset of its values, computed in the server in one pass over the table.
//!
//! A value's hash is 64 bits from PostgreSQL's own extended hash functions, computed on the value
//! where its type hashes by identity (integers and `oid` as `int8`, `boolean`, `uuid`) and on its
//! text form otherwise (`hashtextextended(value::text COLLATE "C")`: numeric `1.0` and `1.00`,
//! `-0` and `0`, or `'A'` and `'a'` under a case-insensitive collation stay different values, as
//! they are to a user). Text forms are fixed by the signing transaction's own settings (ISO dates,
//! UTC, hex bytea), so two connections agree. A column's signature is the count of non-null
//! values and the *sum* of their hashes as an exact `numeric`. Sums, not XOR: with XOR a value
//! present twice cancels out, so `{a, a}` and `{b, b}` would look the same; with sums every
//! multiplicity counts. NULLs are counted, not hashed. A row hash (the same sum over
//! `hash_record_extended` of the row's column hashes) notices rows whose columns each kept their
//! values but were recombined (`UPDATE ... SET a = b, b = a`).
//!
//! Tables are signed on several connections at once, largest first, all reading one exported
//! snapshot, so both cores work and the tables agree with each other; a snapshot exported
//! earlier (held open across a migration) signs the tables as they were then.
//!
//! Rows never leave the server: the client receives one row of aggregates per table. The
//! signature never writes and never takes more than the `ACCESS SHARE` lock a `SELECT` takes.

use super::model::Snapshot;
use crate::provision::ConnectionInfo;
use crate::report::DataDifference;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
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

/// One table to sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRead {
    /// Schema-qualified, quoted as the snapshot model quotes it.
    pub table: String,
    /// Columns (quoted names) with their types as `format_type` prints them.
    pub columns: Vec<(String, String)>,
    /// Every column of the reference exists: the row hash is meaningful.
    pub complete: bool,
    /// Pages, for the order of work (largest first); 0 when unknown.
    pub pages: i64,
}

impl TableRead {
    /// Every column of `table` in `snapshot`; None when it is not an ordinary table there.
    pub fn of(snapshot: &Snapshot, table: &str) -> Option<TableRead> {
        let rel = snapshot.relations.get(table).filter(|r| r.kind == "table")?;
        let mut columns: Vec<(String, String)> = rel
            .columns
            .iter()
            .map(|c| (c.name.clone(), c.data_type.clone()))
            .collect();
        columns.sort();
        Some(TableRead {
            table: table.to_string(),
            columns,
            complete: true,
            pages: 0,
        })
    }

    /// The columns of `reference` that still exist in `now` (the database as it is), so that
    /// the two signatures compare column by column; None when the table is gone.
    pub fn like(reference: &TableSignature, now: &Snapshot, table: &str) -> Option<TableRead> {
        let rel = now.relations.get(table).filter(|r| r.kind == "table")?;
        let columns: Vec<(String, String)> = reference
            .columns
            .keys()
            .filter_map(|c| {
                rel.columns
                    .iter()
                    .find(|x| &x.name == c)
                    .map(|x| (x.name.clone(), x.data_type.clone()))
            })
            .collect();
        Some(TableRead {
            table: table.to_string(),
            complete: columns.len() == reference.columns.len(),
            columns,
            pages: 0,
        })
    }
}

/// Columns per aggregate query: PostgreSQL allows 1664 result columns, each column takes 2.
const COLUMNS_PER_PASS: usize = 600;

/// Connections that sign tables side by side.
fn workers() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(2, 4)
}

/// Makes text forms independent of the server's and the session's settings; a policy that would
/// filter rows is an error rather than a silently smaller count.
const SETTINGS: &str = "SELECT pg_catalog.set_config('search_path', '', true), \
    pg_catalog.set_config('row_security', 'off', true), \
    pg_catalog.set_config('DateStyle', 'ISO, MDY', true), \
    pg_catalog.set_config('TimeZone', 'UTC', true), \
    pg_catalog.set_config('IntervalStyle', 'postgres', true), \
    pg_catalog.set_config('extra_float_digits', '3', true), \
    pg_catalog.set_config('bytea_output', 'hex', true), \
    pg_catalog.set_config('statement_timeout', '0', true), \
    pg_catalog.set_config('lock_timeout', '0', true)";

/// The signature of every ordinary table of `snapshot` (taken of the same database), read on
/// `client` alone.
pub async fn signature(
    client: &Client,
    snapshot: &Snapshot,
) -> Result<DataSignature, tokio_postgres::Error> {
    let reads = snapshot
        .relations
        .keys()
        .filter_map(|name| TableRead::of(snapshot, name))
        .collect();
    read_on(client, reads, None).await
}

/// The signature of the tables and columns of `reference` that still exist in `now` (the
/// snapshot of the database as it is), read on `client` alone.
pub async fn signature_like(
    client: &Client,
    reference: &DataSignature,
    now: &Snapshot,
) -> Result<DataSignature, tokio_postgres::Error> {
    let reads = reference
        .tables
        .iter()
        .filter_map(|(name, t)| TableRead::like(t, now, name))
        .collect();
    read_on(client, reads, None).await
}

/// Signs `reads` on one client, in a transaction of its own (importing `at` when given).
async fn read_on(
    client: &Client,
    reads: Vec<TableRead>,
    at: Option<&str>,
) -> Result<DataSignature, tokio_postgres::Error> {
    begin(client, at).await?;
    let mut tables = BTreeMap::new();
    let mut result = Ok(());
    for read in reads {
        match table_signature(client, &read).await {
            Ok(sig) => {
                tables.insert(read.table, sig);
            }
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
    let ended = client.batch_execute(end).await;
    result?;
    ended?;
    Ok(DataSignature { tables })
}

async fn begin(client: &Client, at: Option<&str>) -> Result<(), tokio_postgres::Error> {
    let import = match at {
        Some(id) => format!("SET TRANSACTION SNAPSHOT '{}';", id.replace('\'', "''")),
        None => String::new(),
    };
    client
        .batch_execute(&format!(
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; {import} {SETTINGS};"
        ))
        .await
}

/// Signs `reads` on several new connections to `conn`, largest table first, all in one snapshot:
/// `at` (exported by a transaction that is still open) or one exported for this call.
pub async fn sign(
    conn: &ConnectionInfo,
    mut reads: Vec<TableRead>,
    at: Option<&str>,
) -> Result<DataSignature, tokio_postgres::Error> {
    if reads.is_empty() {
        return Ok(DataSignature::default());
    }
    reads.sort_by(|a, b| b.pages.cmp(&a.pages).then_with(|| a.table.cmp(&b.table)));
    let first = conn.connect().await?;
    begin(&first, at).await?;
    let id: String = match at {
        Some(id) => id.to_string(),
        None => first
            .query_one("SELECT pg_catalog.pg_export_snapshot()", &[])
            .await?
            .get(0),
    };
    let mut clients = vec![first];
    for _ in 1..workers().min(reads.len()) {
        let client = conn.connect().await?;
        begin(&client, Some(&id)).await?;
        clients.push(client);
    }
    let queue = Arc::new(Mutex::new(std::collections::VecDeque::from(reads)));
    let results = futures_util::future::join_all(clients.iter().map(|client| {
        let queue = queue.clone();
        async move {
            let mut out = Vec::new();
            loop {
                let next = queue.lock().expect("the queue is never poisoned").pop_front();
                let Some(read) = next else { break };
                let sig = table_signature(client, &read).await?;
                out.push((read.table, sig));
            }
            Ok::<_, tokio_postgres::Error>(out)
        }
    }))
    .await;
    let mut tables = BTreeMap::new();
    for r in results {
        tables.extend(r?);
    }
    Ok(DataSignature { tables })
}

/// The hash of one value of a column of type `data_type` (as `format_type` prints it, with the
/// snapshot's empty `search_path`: built-in types are unqualified).
fn value_hash(column: &str, data_type: &str) -> String {
    let base = data_type.split('(').next().unwrap_or(data_type).trim();
    match base {
        "smallint" | "integer" | "bigint" | "oid" => {
            format!("pg_catalog.hashint8extended(({column})::pg_catalog.int8, 0)")
        }
        "boolean" => format!("pg_catalog.hashint4extended(({column})::pg_catalog.int4, 0)"),
        "uuid" => format!("pg_catalog.uuid_hash_extended({column}, 0)"),
        _ => format!(
            "pg_catalog.hashtextextended(({column})::pg_catalog.text COLLATE \"C\", 0)"
        ),
    }
}

async fn table_signature(
    client: &Client,
    read: &TableRead,
) -> Result<TableSignature, tokio_postgres::Error> {
    let table = &read.table;
    let cols = &read.columns;
    let mut sig = TableSignature::default();
    let chunks: Vec<&[(String, String)]> = if cols.is_empty() {
        vec![&[]]
    } else {
        cols.chunks(COLUMNS_PER_PASS).collect()
    };
    for (i, chunk) in chunks.iter().enumerate() {
        let with_rows = i == 0 && read.complete && !cols.is_empty();
        let mut inner: Vec<String> = chunk
            .iter()
            .enumerate()
            .map(|(j, (c, t))| format!("{} AS h{j}", value_hash(c, t)))
            .collect();
        let mut outer: Vec<String> = vec!["count(*)::int8".to_string()];
        outer.extend(
            (0..chunk.len()).map(|j| format!("count(h{j})::int8, coalesce(sum(h{j}), 0)::text")),
        );
        if with_rows {
            let all: Vec<String> = cols.iter().map(|(c, t)| value_hash(c, t)).collect();
            inner.push(format!(
                "pg_catalog.hash_record_extended(ROW({}), 0) AS hrow",
                all.join(", ")
            ));
            outer.push("coalesce(sum(hrow), 0)::text".to_string());
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
        for (j, (c, _)) in chunk.iter().enumerate() {
            sig.columns.insert(
                c.clone(),
                ColumnSignature {
                    non_null: row.get(1 + 2 * j),
                    hash: row.get(2 + 2 * j),
                },
            );
        }
        if with_rows {
            sig.row_hash = Some(row.get::<_, String>(1 + 2 * chunk.len()));
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
