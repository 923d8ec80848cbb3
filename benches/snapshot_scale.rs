//! Snapshot at scale: builds a schema of 1,000, then 5,000, then 10,000 tables (5 columns and 2
//! indexes each) on a local PostgreSQL and times `rehearse`'s snapshot (as `rehearse snapshot`
//! and `rehearse diff` take it: three connections sharing one exported snapshot; the last column
//! is the single-connection snapshot the rehearsal loop takes) against the anchor,
//! `pg_dump --schema-only` on the same database. Prints the ratio and the time per 1,000 tables;
//! the target is a snapshot at least 5 times faster than pg_dump, growing linearly.
//!
//! Run with `cargo bench --bench snapshot_scale` (release build, a few minutes). Tests never
//! assert a time; this prints numbers for a person to read.
//!
//! Measured on the 2-core development machine, shared (2026-11-25, load 1.5): 1k tables 51 ms
//! vs pg_dump 233 ms (4.5x), 5k 186 vs 1019 ms (5.5x), 10k 357 vs 2225 ms (6.2x); 36-51 ms per
//! 1,000 tables. Before, under the same load: 68/283/645 ms (3.5x, 3.7x, 3.5x). What changed:
//! no JIT and no parallel workers for the snapshot's queries (JIT compiling cost more than the
//! queries past a few thousand tables), defaults deparsed without opening their table, and plain
//! indexes written from the catalog instead of by `pg_get_indexdef` (which opens the table).
//! At 1k tables the fixed cost of three fresh connections and their cold catalog caches is a
//! larger share, hence the lower ratio there.
//!
//! 20:45 the same day, after the model gained collations, publications, casts, text search and
//! foreign-data objects and aggregate definitions (five more queries, read on the indexes'
//! connection): 1k 72 ms vs 323 ms (4.5x), 5k 229 vs 1211 ms (5.3x), 10k 431 vs 2629 ms (6.1x);
//! with the five queries stubbed out, 64/212/422 ms in the same hour: within the noise.

use rehearse::provision::{self, DatabaseRequest, ProviderChoice};
use rehearse::snapshot;
use std::time::{Duration, Instant};

const STEPS: [usize; 3] = [1_000, 5_000, 10_000];
const TABLES_PER_BATCH: usize = 250;

fn table_ddl(i: usize) -> String {
    format!(
        "CREATE TABLE bench.t{i} (id bigint PRIMARY KEY, name text NOT NULL, amount numeric(12,2) DEFAULT 0, \
         created_at timestamptz NOT NULL DEFAULT now(), note varchar(200));
         CREATE INDEX t{i}_name_idx ON bench.t{i} (name);"
    )
}

fn best_of<F: FnMut() -> Duration>(runs: usize, mut f: F) -> Duration {
    (0..runs).map(|_| f()).min().unwrap()
}

fn main() {
    // `cargo bench` passes --bench; any filter argument is ignored.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let db = rt
        .block_on(provision::provision(&DatabaseRequest {
            provider: ProviderChoice::Local,
            // pg_dump locks every table in one transaction: 10,000 tables need the room.
            settings: vec![
                ("max_locks_per_transaction".into(), "1024".into()),
                ("fsync".into(), "off".into()),
            ],
            ..Default::default()
        }))
        .expect("a local PostgreSQL starts");
    let client = rt.block_on(db.connection.connect()).unwrap();
    rt.block_on(client.batch_execute("CREATE SCHEMA bench"))
        .unwrap();
    let url = db.connection.url();

    println!(
        "snapshot_scale: PostgreSQL {}, 5 columns and 2 indexes per table",
        db.server_version
    );
    println!(
        "{:>7}  {:>12}  {:>12}  {:>8}  {:>17}  {:>17}  {:>14}",
        "tables",
        "snapshot",
        "pg_dump",
        "ratio",
        "snapshot per 1k",
        "pg_dump per 1k",
        "1 connection"
    );
    let mut built = 0;
    for &target in &STEPS {
        let t = Instant::now();
        while built < target {
            let end = (built + TABLES_PER_BATCH).min(target);
            let sql: String = (built..end).map(table_ddl).collect();
            rt.block_on(client.batch_execute(&sql)).unwrap();
            built = end;
        }
        rt.block_on(client.batch_execute("ANALYZE")).unwrap();
        eprintln!(
            "built {target} tables in {:.1} s",
            t.elapsed().as_secs_f64()
        );

        // Fresh connections each time, as pg_dump has: no catalog cache is warm for either.
        let config = db.connection.clone();
        let mut objects = 0;
        let snap = best_of(3, || {
            let t = Instant::now();
            let s = rt.block_on(snapshot::snapshot_parallel(&config)).unwrap();
            objects = s.relations.len() + s.indexes.len();
            t.elapsed()
        });
        let single = best_of(3, || {
            let t = Instant::now();
            let c = rt.block_on(db.connection.connect()).unwrap();
            rt.block_on(snapshot::snapshot(&c)).unwrap();
            t.elapsed()
        });
        assert_eq!(
            objects,
            target * 3,
            "every table and index is in the snapshot"
        );
        let dump = best_of(2, || {
            let t = Instant::now();
            let out = std::process::Command::new("pg_dump")
                .args(["--schema-only", &url])
                .output()
                .expect("pg_dump runs");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            t.elapsed()
        });
        let per_k = |d: Duration| d.as_secs_f64() * 1000.0 / (target as f64 / 1000.0);
        println!(
            "{:>7}  {:>10.0}ms  {:>10.0}ms  {:>7.1}x  {:>14.1}ms  {:>14.1}ms  {:>8.0}ms {:.1}x",
            target,
            snap.as_secs_f64() * 1000.0,
            dump.as_secs_f64() * 1000.0,
            dump.as_secs_f64() / snap.as_secs_f64(),
            per_k(snap),
            per_k(dump),
            single.as_secs_f64() * 1000.0,
            dump.as_secs_f64() / single.as_secs_f64(),
        );
    }
}
