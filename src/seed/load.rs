//! The loader: generator threads encode chunks of rows, an async task streams them into
//! `COPY ... (FORMAT binary)` (with `FREEZE` where allowed), tables in foreign-key order and
//! independent tables in parallel. Foreign keys, and for large tables their keys and indexes, are
//! dropped before the load and recreated from their own definitions afterwards: loading must
//! never leave the schema other than it found it.

use super::copy::{CopyEncoder, HEADER, TRAILER};
use super::generator::Gen;
use super::orphans::ForeignKey;
use super::plan::{Plan, TablePlan};
use super::progress::{SeedProgress, TableProgress};
use super::repair::UniqueKey;
use crate::identifier::quote as quote_ident;
use crate::provision::ConnectionInfo;
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use std::sync::Arc;
use std::time::Instant;
use tokio_postgres::Client;

/// Encoded chunk size: large enough that per-message overhead vanishes, small enough that a
/// few in flight per table cost little memory.
const CHUNK_BYTES: usize = 512 * 1024;

/// Above this many rows (into an empty table) indexes are dropped and rebuilt after the load:
/// one sort beats row-by-row b-tree maintenance once a table is past a few tens of thousands of
/// rows; below, the DROP/CREATE round trips cost more than they save (`benches/seed_vs_pgbench.sh`).
pub const REBUILD_INDEXES_FROM_ROWS: u64 = 50_000;

/// From this many rows a table loading alone is split over parallel COPY streams. Off by
/// default: on two busy cores (`benches/seed_vs_pgbench.rs`) two streams copy faster but lose
/// FREEZE, and the index build and ANALYZE then pay the hint-bit writes: the totals were within
/// noise of each other (3.5 s against 3.2 s for 2M rows one run, 1.25 s against 1.3 s for 1M
/// another). Frozen rows also look like a long-lived production table to the rehearsal, whose
/// first statements should not pay hint-bit writes production would not.
pub const PARALLEL_COPY_FROM_ROWS: u64 = u64::MAX;

#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Tables loaded at the same time.
    pub parallel_tables: usize,
    /// Generator threads in total (shared by the tables in flight).
    pub generator_threads: usize,
    pub rebuild_indexes_from_rows: u64,
    /// A table loading alone with at least this many rows is split over several COPY streams.
    pub parallel_copy_from_rows: u64,
}

impl Default for LoadOptions {
    fn default() -> Self {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        LoadOptions {
            parallel_tables: cores.clamp(1, 4),
            generator_threads: cores,
            rebuild_indexes_from_rows: REBUILD_INDEXES_FROM_ROWS,
            parallel_copy_from_rows: PARALLEL_COPY_FROM_ROWS,
        }
    }
}

/// What loading one table cost.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TableLoad {
    pub table: String,
    pub rows: u64,
    /// Bytes of COPY data sent.
    pub copy_bytes: u64,
    /// The table's size on disk afterwards (heap and TOAST, without indexes).
    pub table_bytes: u64,
    /// Generation and COPY, wall time.
    pub seconds: f64,
    /// Nobody defined the table: its rows were inferred from the catalog.
    pub inferred: bool,
    /// The server refused some generated rows and the sieve kept the others.
    pub sieved: Option<super::sieve::Sieved>,
    /// Rows removed after the load, each with why: duplicates a unique index rebuilt after the
    /// load refused, rows whose parent the sieve did not keep.
    pub removed: Vec<(u64, String)>,
}

/// What the load dropped and must put back.
#[derive(Debug, Default)]
struct Dropped {
    /// (table, constraint name, definition, comment): primary keys and unique constraints.
    keys: Vec<(String, String, String, Option<String>)>,
    /// (index name, CREATE INDEX statement, comment).
    indexes: Vec<(String, String, Option<String>)>,
    /// (table, constraint name, definition, comment): foreign keys.
    foreign_keys: Vec<(String, String, String, Option<String>)>,
    /// (table, constraint name) of foreign keys from or to a partitioned table: put back
    /// validated in one step, since a NOT VALID one is refused on a partitioned table and, to
    /// one, leaves its copies on the partitions unvalidated after VALIDATE.
    partitioned_keys: std::collections::BTreeSet<(String, String)>,
    /// What each dropped unique key or index makes unique, by its name: duplicates are removed
    /// when it cannot be put back.
    unique: std::collections::BTreeMap<String, UniqueKey>,
    /// The columns of each dropped foreign key: orphans are removed before it is put back.
    foreign_key_columns: Vec<ForeignKey>,
}

/// A load failure: data the constraints refuse is the dataset's fault (exit 2); anything else
/// is the environment's (exit 3).
#[derive(Debug)]
pub enum LoadError {
    Input(String),
    Environment(String),
    /// The server refused a row: a constraint, a domain, a trigger that raised. Whose fault it
    /// is depends on who wrote the column (see [`super::sieve`]).
    Refused(Refusal),
    /// The server rolled the load back to break a deadlock or a serialization conflict with
    /// another table's load (class 40): loaded again alone, it goes through.
    Conflict(String),
}

/// What the server said when it refused a row.
#[derive(Debug, Clone)]
pub struct Refusal {
    /// The sentence for the user: what was being done, then the server's message.
    pub message: String,
    /// The server's own message.
    pub server: String,
    pub constraint: Option<String>,
    pub column: Option<String>,
}

impl LoadError {
    /// The error as seeding reports it when nothing took care of it: a refused row is bad input.
    pub fn into_sentence(self) -> (bool, String) {
        match self {
            LoadError::Input(m) | LoadError::Refused(Refusal { message: m, .. }) => (true, m),
            LoadError::Environment(m) | LoadError::Conflict(m) => (false, m),
        }
    }
}

impl From<String> for LoadError {
    fn from(m: String) -> Self {
        LoadError::Environment(m)
    }
}

fn db_err(what: &str, e: tokio_postgres::Error) -> LoadError {
    match e.as_db_error() {
        Some(d) => {
            let m = format!("{what}: {}", d.message());
            let class = &d.code().code()[..2];
            // 22: data exception, 23: integrity constraint violation, P0: raised by PL/pgSQL
            // (a trigger that refuses the row).
            if class == "22" || class == "23" || class == "P0" {
                LoadError::Refused(Refusal {
                    message: m,
                    server: d.message().to_string(),
                    constraint: d.constraint().map(str::to_string),
                    column: d.column().map(str::to_string),
                })
            } else if class == "40" {
                LoadError::Conflict(m)
            } else {
                LoadError::Environment(m)
            }
        }
        None => LoadError::Environment(format!("{what}: {e}")),
    }
}

/// Moves each seeded key's sequence past the last key the seeder will write, before any row is
/// loaded. Triggers fire during the load, as they do when production writes (a trigger that
/// audits inserts into another table is part of what the rows cost); a row such a trigger writes
/// takes its key from the sequence, and would otherwise collide with the keys 1..n the seeder
/// writes into that table itself ("duplicate key value violates unique constraint"). The final
/// position (the largest key present) is still set after the load.
async fn position_sequences_ahead(admin: &Client, plan: &Plan) -> Result<(), LoadError> {
    for t in &plan.tables {
        for (sequence, column) in &t.sequences {
            let Some(last) = t.gen.columns.iter().find(|c| &c.name == column).and_then(|c| {
                match c.gen {
                    Gen::Sequence { start, step } if step > 0 && t.gen.rows > 0 => {
                        start.checked_add(step.checked_mul(t.gen.rows as i64 - 1)?)
                    }
                    _ => None,
                }
            }) else {
                continue;
            };
            let name = sequence.replace('\'', "''");
            let q = format!(
                "SELECT setval('{name}', GREATEST((SELECT last_value FROM {sequence}), {last}))"
            );
            admin.batch_execute(&q).await.map_err(|e| {
                db_err(
                    &format!("could not move the sequence {sequence} past the keys to be seeded"),
                    e,
                )
            })?;
        }
    }
    Ok(())
}

/// Loads every table of the plan. Errors are sentences naming the table.
pub async fn load(
    conn: &ConnectionInfo,
    plan: &Plan,
    options: &LoadOptions,
    progress: &SeedProgress,
) -> Result<Vec<TableLoad>, LoadError> {
    let admin = conn
        .connect()
        .await
        .map_err(|e| format!("could not connect to seed the database: {e}"))?;
    let dropped = drop_for_load(&admin, plan, options).await?;
    position_sequences_ahead(&admin, plan).await?;

    let mut results = Vec::new();
    for layer in &plan.layers {
        let in_flight = layer.len().min(options.parallel_tables).max(1);
        let threads = (options.generator_threads / in_flight).max(1);
        let loads = futures_util::stream::iter(layer.iter().map(|&i| {
            let table = &plan.tables[i];
            let bar = progress.table(&table.key, table.gen.rows);
            // A large table loading alone gets the idle slots as extra COPY streams.
            let streams = if in_flight == 1 && table.gen.rows >= options.parallel_copy_from_rows {
                options.parallel_tables
            } else {
                1
            };
            async move { (i, load_table(conn, table, threads, streams, bar).await) }
        }))
        .buffer_unordered(in_flight)
        .collect::<Vec<_>>()
        .await;
        // Triggers fire during the load: two tables whose triggers update the same rows of a
        // third (crates.io's categories and keywords counters) can deadlock when loaded side by
        // side. The loser's COPY rolled back whole; it is loaded again alone.
        let mut deadlocked = Vec::new();
        for (i, r) in loads {
            match r {
                Err(LoadError::Conflict(_)) => deadlocked.push(i),
                r => results.push(r?),
            }
        }
        deadlocked.sort_unstable();
        for i in deadlocked {
            let table = &plan.tables[i];
            let bar = progress.table(&table.key, table.gen.rows);
            results.push(load_table(conn, table, options.generator_threads.max(1), 1, bar).await?);
        }
    }

    let rebuild = Instant::now();
    restore(conn, &admin, &dropped, plan, &mut results).await?;
    if !(dropped.keys.is_empty() && dropped.indexes.is_empty() && dropped.foreign_keys.is_empty()) {
        let seconds = rebuild.elapsed().as_secs_f64();
        progress.note(
            &format!(
                "seed: rebuilt {} keys and indexes and {} foreign keys in {seconds:.1}s",
                dropped.keys.len() + dropped.indexes.len(),
                dropped.foreign_keys.len(),
            ),
            seconds,
        );
    }
    for t in &plan.tables {
        for (sequence, column) in &t.sequences {
            let q = format!(
                "SELECT setval('{}', GREATEST((SELECT max({}) FROM {}), 1))",
                sequence.replace('\'', "''"),
                quote_ident(column),
                t.gen.qualified
            );
            admin.batch_execute(&q).await.map_err(|e| {
                db_err(
                    &format!("could not move the sequence {sequence} past the seeded keys"),
                    e,
                )
            })?;
        }
    }
    for r in &mut results {
        let t = plan.tables.iter().find(|t| t.key == r.table);
        if let Some(t) = t {
            let row = admin
                .query_one("SELECT pg_table_size($1::oid::regclass)", &[&t.oid])
                .await
                .map_err(|e| db_err("could not measure the seeded table", e))?;
            r.table_bytes = row.get::<_, i64>(0) as u64;
        }
    }
    let names: Vec<&str> = plan
        .tables
        .iter()
        .map(|t| t.gen.qualified.as_str())
        .collect();
    if !names.is_empty() {
        // VACUUM as well as ANALYZE, as pgbench -i does: the visibility map is set (index-only
        // scans behave as on a long-lived table) and autovacuum finds nothing to do, so it does
        // not wake up on every seeded table in the middle of a measured migration. On tables
        // loaded with FREEZE it skips every page.
        let vacuum = Instant::now();
        admin
            .batch_execute(&format!("VACUUM (ANALYZE) {}", names.join(", ")))
            .await
            .map_err(|e| db_err("could not vacuum and analyze the seeded tables", e))?;
        let seconds = vacuum.elapsed().as_secs_f64();
        progress.note(
            &format!(
                "seed: vacuumed and analyzed {} tables in {seconds:.1}s",
                names.len()
            ),
            seconds,
        );
    }
    Ok(results)
}

/// Drops foreign keys touching seeded tables, and keys and indexes of large empty ones.
async fn drop_for_load(
    admin: &Client,
    plan: &Plan,
    options: &LoadOptions,
) -> Result<Dropped, LoadError> {
    let mut dropped = Dropped::default();
    let oids: Vec<u32> = plan.tables.iter().map(|t| t.oid).collect();
    let fks = admin
        .query(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), obj_description(oid, 'pg_constraint'),
                    EXISTS (SELECT 1 FROM pg_class c WHERE c.oid IN (conrelid, confrelid) AND c.relkind = 'p'),
                    conrelid::oid, confrelid::oid, confrelid::regclass::text,
                    ARRAY(SELECT a.attname::text FROM unnest(conkey) WITH ORDINALITY k(n, i)
                            JOIN pg_attribute a ON a.attrelid = conrelid AND a.attnum = k.n ORDER BY k.i),
                    ARRAY(SELECT a.attname::text FROM unnest(confkey) WITH ORDINALITY k(n, i)
                            JOIN pg_attribute a ON a.attrelid = confrelid AND a.attnum = k.n ORDER BY k.i),
                    ARRAY(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = conrelid
                            AND a.attnum = ANY (conkey) AND NOT a.attnotnull ORDER BY a.attnum)
             FROM pg_constraint WHERE contype = 'f' AND conparentid = 0 AND (conrelid = ANY($1) OR confrelid = ANY($1))
             ORDER BY conrelid::regclass::text, conname",
            &[&oids],
        )
        .await
        .map_err(|e| db_err("could not read foreign keys", e))?;
    for row in fks {
        let (table, name, def, comment): (String, String, String, Option<String>) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        let q = format!("ALTER TABLE {table} DROP CONSTRAINT {}", quote_ident(&name));
        let partitioned: bool = row.get(4);
        if admin.batch_execute(&q).await.is_ok() {
            if partitioned {
                dropped
                    .partitioned_keys
                    .insert((table.clone(), name.clone()));
            }
            dropped.foreign_key_columns.push(ForeignKey {
                child_oid: row.get(5),
                parent_oid: row.get(6),
                child: table.clone(),
                parent: row.get(7),
                name: name.clone(),
                columns: row.get(8),
                parent_columns: row.get(9),
                nullable: row.get(10),
            });
            dropped.foreign_keys.push((table, name, def, comment));
        }
    }
    for t in &plan.tables {
        if !t.was_empty || t.gen.rows < options.rebuild_indexes_from_rows {
            continue;
        }
        let indexes = admin
            .query(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid), obj_description(i.indexrelid, 'pg_class'),
                        i.indexrelid::oid
                 FROM pg_index i WHERE i.indrelid = $1
                   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid)
                 ORDER BY 1",
                &[&t.oid],
            )
            .await
            .map_err(|e| db_err("could not read indexes", e))?;
        for row in indexes {
            let (name, def, comment): (String, String, Option<String>) =
                (row.get(0), row.get(1), row.get(2));
            let unique =
                super::repair::unique_key(admin, &t.gen.qualified, t.oid, row.get(3), &name)
                    .await
                    .map_err(|e| db_err("could not read indexes", e))?;
            if admin
                .batch_execute(&format!("DROP INDEX {name}"))
                .await
                .is_ok()
            {
                if let Some(unique) = unique {
                    dropped.unique.insert(name.clone(), unique);
                }
                dropped.indexes.push((name, def, comment));
            }
        }
        let keys = admin
            .query(
                "SELECT conname, pg_get_constraintdef(oid), obj_description(oid, 'pg_constraint'), conindid::oid
                 FROM pg_constraint WHERE conrelid = $1 AND contype IN ('p', 'u') ORDER BY contype, conname",
                &[&t.oid],
            )
            .await
            .map_err(|e| db_err("could not read keys", e))?;
        for row in keys {
            let (name, def, comment): (String, String, Option<String>) =
                (row.get(0), row.get(1), row.get(2));
            let q = format!(
                "ALTER TABLE {} DROP CONSTRAINT {}",
                t.gen.qualified,
                quote_ident(&name)
            );
            let unique =
                super::repair::unique_key(admin, &t.gen.qualified, t.oid, row.get(3), &name)
                    .await
                    .map_err(|e| db_err("could not read keys", e))?;
            if admin.batch_execute(&q).await.is_ok() {
                if let Some(unique) = unique {
                    dropped.unique.insert(name.clone(), unique);
                }
                dropped
                    .keys
                    .push((t.gen.qualified.clone(), name, def, comment));
            }
        }
    }
    Ok(dropped)
}

/// Puts back what [`drop_for_load`] took away: keys and indexes (two tables at a time), then
/// foreign keys, which validate against the loaded rows.
async fn restore(
    conn: &ConnectionInfo,
    admin: &Client,
    dropped: &Dropped,
    plan: &Plan,
    results: &mut [TableLoad],
) -> Result<(), LoadError> {
    let mut statements = Vec::new();
    for (table, name, def, comment) in &dropped.keys {
        let mut s = format!(
            "ALTER TABLE {table} ADD CONSTRAINT {} {def};",
            quote_ident(name)
        );
        if let Some(c) = comment {
            s.push_str(&format!(
                "COMMENT ON CONSTRAINT {} ON {table} IS {};",
                quote_ident(name),
                quote_literal(c)
            ));
        }
        statements.push((s, dropped.unique.get(name)));
    }
    for (name, def, comment) in &dropped.indexes {
        let mut s = format!("{def};");
        if let Some(c) = comment {
            s.push_str(&format!("COMMENT ON INDEX {name} IS {};", quote_literal(c)));
        }
        statements.push((s, dropped.unique.get(name)));
    }
    let rebuilt =
        futures_util::stream::iter(statements.into_iter().map(|(s, unique)| async move {
            let c = conn
                .connect()
                .await
                .map_err(|e| format!("could not connect to rebuild indexes: {e}"))?;
            let s = format!("SET maintenance_work_mem = '256MB'; {s}");
            let first = c.batch_execute(&s).await;
            let refused =
                matches!(&first, Err(e) if e.code().is_some_and(|c| c.code().starts_with("23")));
            let repairable = unique.filter(|key| {
                refused
                    && plan
                        .tables
                        .iter()
                        .find(|t| t.oid == key.oid)
                        .is_some_and(|t| !super::sieve::users_fault(t, &key.columns))
            });
            let Some(key) = repairable else {
                return first
                    .map(|_| None)
                    .map_err(|e| db_err(&format!("could not rebuild after seeding ({s})"), e));
            };
            // Rows rehearse made up broke the key: the duplicates go, the first of each stays.
            let removed = super::repair::remove_duplicates(&c, key)
                .await
                .map_err(|e| {
                    db_err(
                        &format!("could not remove the duplicates {} refuses", key.name),
                        e,
                    )
                })?;
            c.batch_execute(&s)
                .await
                .map_err(|e| db_err(&format!("could not rebuild after seeding ({s})"), e))?;
            Ok::<_, LoadError>(Some((
                key.oid,
                removed,
                format!(
                    "{removed} duplicate rows under the unique index {} were removed",
                    key.name
                ),
            )))
        }))
        .buffer_unordered(2)
        .collect::<Vec<_>>()
        .await;
    let mut removals = Vec::new();
    for r in rebuilt {
        if let Some(removal) = r? {
            removals.push(removal);
        }
    }
    // Rows whose parent the sieve or a duplicate removal took away go before their foreign key
    // comes back, down the chain of children.
    let mut lost: std::collections::BTreeSet<u32> = plan.emptied.iter().copied().collect();
    lost.extend::<std::collections::BTreeSet<u32>>(
        removals.iter().filter(|r| r.1 > 0).map(|r| r.0).collect(),
    );
    for r in results.iter() {
        let table = plan.tables.iter().find(|t| t.key == r.table);
        if let (Some(t), Some(s)) = (table, &r.sieved) {
            if s.kept < s.asked {
                lost.insert(t.oid);
            }
        }
    }
    let loaded: std::collections::BTreeSet<u32> = plan.tables.iter().map(|t| t.oid).collect();
    let own_pairs = dropped.foreign_key_columns.iter().any(|fk| {
        loaded.contains(&fk.child_oid) && (fk.columns.len() > 1 || fk.child_oid == fk.parent_oid)
    });
    if !lost.is_empty() || own_pairs {
        let orphans =
            super::orphans::remove(admin, &dropped.foreign_key_columns, &mut lost, &loaded)
                .await
                .map_err(|e| {
                    db_err(
                        "could not remove the rows whose parent the server refused",
                        e,
                    )
                })?;
        for (oid, n, fk) in orphans {
            removals.push((
                oid,
                n,
                format!("{n} rows whose {fk} parent was not kept were removed"),
            ));
        }
    }
    for (oid, n, why) in removals.into_iter().filter(|r| r.1 > 0) {
        let Some(key) = plan.tables.iter().find(|t| t.oid == oid).map(|t| &t.key) else {
            continue;
        };
        if let Some(load) = results.iter_mut().find(|r| &r.table == key) {
            load.rows = load.rows.saturating_sub(n);
            load.removed.push((n, why));
        }
    }
    // Foreign keys: added NOT VALID (a catalog change), then validated in parallel. ADD
    // FOREIGN KEY would validate under a SHARE ROW EXCLUSIVE lock on the parent too, so keys
    // to the same parent could only be checked one after the other; VALIDATE locks the child
    // alone, so keys of different tables are checked side by side.
    let mut to_validate: Vec<(String, String)> = Vec::new();
    for (table, name, def, comment) in &dropped.foreign_keys {
        let already_not_valid = def.trim_end().ends_with("NOT VALID");
        let at_once = dropped
            .partitioned_keys
            .contains(&(table.clone(), name.clone()));
        let mut s = format!(
            "ALTER TABLE {table} ADD CONSTRAINT {} {def}{};",
            quote_ident(name),
            if already_not_valid || at_once {
                ""
            } else {
                " NOT VALID"
            }
        );
        if let Some(c) = comment {
            s.push_str(&format!(
                "COMMENT ON CONSTRAINT {} ON {table} IS {};",
                quote_ident(name),
                quote_literal(c)
            ));
        }
        admin.batch_execute(&s).await.map_err(|e| {
            db_err(
                &format!("could not put back the foreign key {name} on {table} after seeding"),
                e,
            )
        })?;
        let validated = at_once;
        if !already_not_valid && !validated {
            to_validate.push((table.clone(), name.clone()));
        }
    }
    // One task per child table, its keys in turn.
    let mut by_table: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (table, name) in to_validate {
        by_table.entry(table).or_default().push(name);
    }
    let results =
        futures_util::stream::iter(by_table.into_iter().map(|(table, names)| async move {
            let c = conn.connect().await.map_err(|e| {
                LoadError::Environment(format!("could not connect to validate foreign keys: {e}"))
            })?;
            for name in names {
                c.batch_execute(&format!(
                    "ALTER TABLE {table} VALIDATE CONSTRAINT {}",
                    quote_ident(&name)
                ))
                .await
                .map_err(|e| {
                    db_err(
                        &format!("the foreign key {name} on {table} does not hold after seeding"),
                        e,
                    )
                })?;
            }
            Ok::<(), LoadError>(())
        }))
        .buffer_unordered(2)
        .collect::<Vec<_>>()
        .await;
    for r in results {
        r?;
    }
    Ok(())
}

fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Generates and loads one table, over `streams` COPY connections.
async fn load_table(
    conn: &ConnectionInfo,
    table: &TablePlan,
    threads: usize,
    streams: usize,
    bar: TableProgress,
) -> Result<TableLoad, LoadError> {
    let started = Instant::now();
    let gen = Arc::new(table.gen.clone());
    let row_bytes = estimate_row_bytes(&gen);
    let chunk_rows = (CHUNK_BYTES as u64 / row_bytes.max(1)).clamp(64, 100_000);
    let chunks = gen.rows.div_ceil(chunk_rows);
    let streams = (streams as u64).min(chunks).max(1);
    let job = Stream {
        conn,
        table,
        gen: gen.clone(),
        chunk_rows,
        threads: (threads / streams as usize).max(1),
        bar: &bar,
    };
    let mut sieved = None;
    let copy_bytes = if streams == 1 {
        match job.copy(0..chunks, true).await {
            Ok(bytes) => bytes,
            Err(LoadError::Refused(refusal)) => {
                let client = conn
                    .connect()
                    .await
                    .map_err(|e| format!("could not connect to load {}: {e}", table.key))?;
                let columns = super::sieve::refused_columns(&client, table, &refusal).await;
                if super::sieve::users_fault(table, &columns) {
                    return Err(LoadError::Refused(refusal));
                }
                let kept = super::sieve::load(&client, &job, table, chunks, &refusal).await?;
                sieved = Some(kept);
                0
            }
            Err(e) => return Err(e),
        }
    } else {
        // Several backends parse and insert side by side. FREEZE needs the TRUNCATE's lock for
        // the whole transaction, so it is given up here: with two cores, two backends win.
        let parts = (0..streams).map(|s| {
            let range = s * chunks / streams..(s + 1) * chunks / streams;
            job.copy(range, false)
        });
        let mut total = 0;
        for r in futures_util::future::join_all(parts).await {
            total += r?;
        }
        total
    };
    let seconds = started.elapsed().as_secs_f64();
    let rows = sieved.as_ref().map_or(gen.rows, |s| s.kept);
    bar.finish(rows, seconds);
    Ok(TableLoad {
        table: table.key.clone(),
        rows,
        copy_bytes,
        table_bytes: 0,
        seconds,
        inferred: table.inferred,
        sieved,
        removed: Vec::new(),
    })
}

/// One COPY stream of a table: a contiguous range of chunks.
pub(super) struct Stream<'a> {
    conn: &'a ConnectionInfo,
    table: &'a TablePlan,
    gen: Arc<super::generator::TableGen>,
    chunk_rows: u64,
    threads: usize,
    bar: &'a TableProgress,
}

impl Stream<'_> {
    async fn copy(&self, range: std::ops::Range<u64>, may_freeze: bool) -> Result<u64, LoadError> {
        let table = self.table;
        let client = self
            .conn
            .connect()
            .await
            .map_err(|e| format!("could not connect to load {}: {e}", table.key))?;
        client
            .batch_execute("SET synchronous_commit = off; BEGIN")
            .await
            .map_err(|e| db_err(&format!("could not start loading {}", table.key), e))?;
        // FREEZE writes the rows already frozen (no later hint-bit rewrite or anti-wraparound
        // vacuum); it needs the table truncated in the same transaction, which is only right
        // when it was empty.
        let mut freeze = false;
        if may_freeze && table.was_empty {
            freeze = client
                .batch_execute(&format!(
                    "SAVEPOINT t; TRUNCATE ONLY {}",
                    table.gen.qualified
                ))
                .await
                .is_ok();
            if !freeze {
                client
                    .batch_execute("ROLLBACK TO SAVEPOINT t")
                    .await
                    .map_err(|e| db_err(&format!("could not load {}", table.key), e))?;
            }
        }
        let statement = format!(
            "COPY {} ({}) FROM STDIN (FORMAT binary{})",
            table.gen.qualified,
            column_list(&table.gen),
            if freeze { ", FREEZE" } else { "" }
        );
        let copy_bytes = self.stream(&client, &statement, range).await?;
        client
            .batch_execute("COMMIT")
            .await
            .map_err(|e| db_err(&format!("could not commit {}", table.key), e))?;
        Ok(copy_bytes)
    }

    /// Generates rows of chunks `range` and streams them through `statement` (a `COPY ... FROM
    /// STDIN (FORMAT binary)`) on `client`. Returns the bytes sent.
    pub(super) async fn stream(
        &self,
        client: &Client,
        statement: &str,
        range: std::ops::Range<u64>,
    ) -> Result<u64, LoadError> {
        let table = self.table;
        let sink = client
            .copy_in::<_, Bytes>(statement)
            .await
            .map_err(|e| db_err(&format!("could not start COPY into {}", table.key), e))?;
        futures_util::pin_mut!(sink);

        let (first, end) = (range.start, range.end);
        let threads = (self.threads as u64).min(end - first).max(1) as usize;
        let chunk_rows = self.chunk_rows;
        // Thread k produces chunks first+k, first+k+T, ...; the sender takes them round-robin,
        // so the stream is in row order whatever the scheduling.
        let mut receivers = Vec::new();
        let mut handles = Vec::new();
        for k in 0..threads {
            let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, String>>(3);
            receivers.push(rx);
            let gen = self.gen.clone();
            handles.push(std::thread::spawn(move || {
                let mut chunk = first + k as u64;
                while chunk < end {
                    let start = chunk * chunk_rows;
                    let stop = (start + chunk_rows).min(gen.rows);
                    let mut enc = CopyEncoder::with_capacity(CHUNK_BYTES + CHUNK_BYTES / 4);
                    if chunk == first {
                        enc.buf.extend_from_slice(HEADER);
                    }
                    let r = gen.encode_rows(start..stop, &mut enc).map(|_| {
                        if chunk == end - 1 {
                            enc.buf.extend_from_slice(TRAILER);
                        }
                        Bytes::from(enc.buf)
                    });
                    let failed = r.is_err();
                    if tx.blocking_send(r).is_err() || failed {
                        return;
                    }
                    chunk += threads as u64;
                }
            }));
        }
        let mut copy_bytes = 0u64;
        if first == end {
            let mut b = HEADER.to_vec();
            b.extend_from_slice(TRAILER);
            sink.send(Bytes::from(b))
                .await
                .map_err(|e| db_err(&format!("COPY into {} failed", table.key), e))?;
        }
        for chunk in first..end {
            let rx = &mut receivers[((chunk - first) % threads as u64) as usize];
            let data = match rx.recv().await {
                Some(Ok(b)) => b,
                Some(Err(e)) => {
                    return Err(LoadError::Input(format!(
                        "could not generate {}.{e}",
                        table.key
                    )))
                }
                None => return Err(format!("the generator of {} stopped", table.key).into()),
            };
            copy_bytes += data.len() as u64;
            sink.feed(data)
                .await
                .map_err(|e| db_err(&format!("COPY into {} failed", table.key), e))?;
            let rows = (chunk_rows).min(self.gen.rows - chunk * chunk_rows);
            self.bar.add(rows);
        }
        sink.as_mut()
            .finish()
            .await
            .map_err(|e| db_err(&format!("COPY into {} failed", table.key), e))?;
        for h in handles {
            let _ = h.join();
        }
        Ok(copy_bytes)
    }
}

/// The generated columns of `gen`, quoted and joined: the column list of its COPY.
pub(super) fn column_list(gen: &super::generator::TableGen) -> String {
    gen.columns
        .iter()
        .map(|c| quote_ident(&c.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Encoded bytes per row, from a sample, to size chunks.
fn estimate_row_bytes(gen: &super::generator::TableGen) -> u64 {
    let n = gen.rows.min(16);
    if n == 0 {
        return 64;
    }
    let mut enc = CopyEncoder::default();
    let _ = gen.encode_rows(0..n, &mut enc);
    (enc.buf.len() as u64 / n).max(8)
}
