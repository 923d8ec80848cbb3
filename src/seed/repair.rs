//! Repairs after a load that the server did not take whole: duplicates a unique index rebuilt
//! after the load refuses (rows whose parent the sieve did not keep are `orphans`'). Each removes the fewest
//! rows it can (all but one of each duplicate key; only the orphans) and says how many and why,
//! so that putting the index or foreign key back succeeds and the rehearsal goes on.
//!
//! Only ever deletes rows of the tables this seed point loaded; never changes the schema.

use tokio_postgres::Client;

/// A unique index or key dropped for the load: what it makes unique, to remove duplicates.
#[derive(Debug, Clone)]
pub(super) struct UniqueKey {
    /// Quoted, schema-qualified table.
    pub table: String,
    pub oid: u32,
    pub name: String,
    /// Its key expressions, as `pg_get_indexdef` prints each.
    pub keys: Vec<String>,
    /// A partial index's predicate.
    pub predicate: Option<String>,
    /// The table's columns it depends on.
    pub columns: Vec<String>,
    /// NULLs conflict (`NULLS NOT DISTINCT`, and every primary key).
    pub nulls_conflict: bool,
}

/// Reads what the unique index `index` of table `oid` makes unique, before it is dropped.
pub(super) async fn unique_key(
    client: &Client,
    table: &str,
    oid: u32,
    index: u32,
    name: &str,
) -> Result<Option<UniqueKey>, tokio_postgres::Error> {
    let row = client
        .query_opt(
            "SELECT ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true)
                            FROM generate_series(1, i.indnkeyatts) k ORDER BY k),
                    pg_get_expr(i.indpred, i.indrelid),
                    ARRAY(SELECT DISTINCT a.attname::text FROM pg_depend d
                            JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                           WHERE d.classid = 'pg_class'::regclass AND d.objid = i.indexrelid
                             AND d.refobjid = i.indrelid AND d.refobjsubid > 0),
                    i.indisprimary OR coalesce(to_jsonb(i) ->> 'indnullsnotdistinct', 'false')::bool
               FROM pg_index i WHERE i.indexrelid = $1 AND i.indisunique",
            &[&index],
        )
        .await?;
    Ok(row.map(|r| UniqueKey {
        table: table.to_string(),
        oid,
        name: name.to_string(),
        keys: r.get(0),
        predicate: r.get(1),
        columns: r.get(2),
        nulls_conflict: r.get(3),
    }))
}

/// Removes all but the first row of each key `key` finds twice (within its predicate), and rows
/// whose key a primary key refuses as NULL. Returns how many rows went.
pub(super) async fn remove_duplicates(
    client: &Client,
    key: &UniqueKey,
) -> Result<u64, tokio_postgres::Error> {
    let mut removed = client
        .execute(
            &format!(
                "DELETE FROM {} WHERE {}",
                key.table,
                duplicates(
                    &key.table,
                    &key.keys,
                    key.predicate.as_deref(),
                    key.nulls_conflict
                )
            ),
            &[],
        )
        .await?;
    if key.nulls_conflict && key.predicate.is_none() {
        // A primary key refuses NULLs outright.
        let any_null: Vec<String> = key.keys.iter().map(|k| format!("({k}) IS NULL")).collect();
        removed += client
            .execute(
                &format!("DELETE FROM {} WHERE {}", key.table, any_null.join(" OR ")),
                &[],
            )
            .await?;
    }
    Ok(removed)
}

/// The rows of `table` after the first with the same `keys` (within `predicate`), as a
/// condition: the rows a unique index over them refuses. Rows whose key holds a NULL never
/// conflict unless `nulls_conflict`.
pub fn duplicates(
    table: &str,
    keys: &[String],
    predicate: Option<&str>,
    nulls_conflict: bool,
) -> String {
    let mut conditions: Vec<String> = Vec::new();
    if !nulls_conflict {
        conditions.extend(keys.iter().map(|k| format!("({k}) IS NOT NULL")));
    }
    conditions.extend(predicate.map(|p| format!("({p})")));
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    };
    format!(
        "ctid IN (SELECT ctid FROM (SELECT ctid, row_number() OVER (PARTITION BY {}) AS n FROM {table}{filter}) d WHERE n > 1)",
        keys.join(", ")
    )
}
