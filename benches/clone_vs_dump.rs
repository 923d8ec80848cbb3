//! `--clone`'s copy path against the anchor every DBA reaches for, `pg_dump -Fc | pg_restore`,
//! on one local PostgreSQL 15, same source, same machine, same run:
//!
//! - source: `pgbench -i -s CLONE_SCALE` (default 70 ≈ 1 GB) plus a second, wider table so that
//!   more than one table carries rows;
//! - anchor: `pg_dump -Fc SOURCE | pg_restore -d ANCHOR` (one stream: a pipe cannot be restored
//!   in parallel);
//! - ours: `provision::clone::clone_into(…, Copy, CLONE_JOBS)` (default 4): pg_dump's schema,
//!   rows in parallel binary COPY streams (big tables cut into block ranges), pg_restore -j for
//!   indexes and constraints, then ANALYZE (which the anchor does not do: ours pays for it);
//! - for information, the template path (`CREATE DATABASE … TEMPLATE`).
//!
//! Prints the seconds of each and the ratio anchor / ours (goal: > 1, ours faster).
//! `cargo bench --bench clone_vs_dump` (env: CLONE_SCALE, CLONE_JOBS).

use rehearse::provision::clone::{clone_into, CloneMethod};
use rehearse::provision::{self, DatabaseRequest, ProviderChoice};
use std::process::{Command, Stdio};
use std::time::Instant;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let scale: u32 = env_or("CLONE_SCALE", 70);
    let jobs: usize = env_or("CLONE_JOBS", 4);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let server = provision::provision(&DatabaseRequest {
            provider: ProviderChoice::Local,
            settings: vec![("max_wal_size".into(), "8GB".into())],
            ..Default::default()
        })
        .await
        .expect("local PostgreSQL starts");
        let admin = server.connection.connect().await.unwrap();
        admin.batch_execute("CREATE DATABASE src").await.unwrap();
        let src = server.connection.with_dbname("src");
        let t = Instant::now();
        let status = Command::new("pgbench")
            .args(["-i", "-q", "-s", &scale.to_string(), &src.url()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("pgbench runs");
        assert!(status.success(), "pgbench -i failed");
        src.connect()
            .await
            .unwrap()
            .batch_execute(&format!(
                "CREATE TABLE events (id bigserial PRIMARY KEY, aid int NOT NULL, at timestamptz NOT NULL, payload jsonb);
                 INSERT INTO events (aid, at, payload)
                      SELECT 1 + i % ({scale} * 100000), timestamptz '2024-01-01' + i * interval '1 second',
                             jsonb_build_object('kind', 'k' || (i % 17), 'n', i)
                        FROM generate_series(1, {scale} * 20000) i;
                 CREATE INDEX events_aid ON events (aid);"
            ))
            .await
            .unwrap();
        src.connect()
            .await
            .unwrap()
            .batch_execute("VACUUM ANALYZE")
            .await
            .unwrap();
        let size: i64 = admin
            .query_one("SELECT pg_database_size('src')", &[])
            .await
            .unwrap()
            .get(0);
        println!(
            "source: pgbench scale {scale} + events, {:.2} GB, built in {:.0}s",
            size as f64 / (1u64 << 30) as f64,
            t.elapsed().as_secs_f64()
        );

        // Anchor: pg_dump -Fc | pg_restore into an empty database.
        admin.batch_execute("CREATE DATABASE anchor").await.unwrap();
        let anchor = server.connection.with_dbname("anchor");
        let t = Instant::now();
        let mut dump = Command::new("pg_dump")
            .args(["-Fc", "--dbname", &src.url()])
            .stdout(Stdio::piped())
            .spawn()
            .expect("pg_dump runs");
        let restore = Command::new("pg_restore")
            .args(["--no-owner", "--dbname", &anchor.url()])
            .stdin(dump.stdout.take().unwrap())
            .status()
            .expect("pg_restore runs");
        assert!(dump.wait().unwrap().success() && restore.success());
        let anchor_s = t.elapsed().as_secs_f64();
        println!("anchor pg_dump -Fc | pg_restore: {anchor_s:.1}s");
        admin.batch_execute("DROP DATABASE anchor").await.unwrap();
        admin.batch_execute("CHECKPOINT").await.unwrap();

        let t = Instant::now();
        let cloned = clone_into(&src, "ours", CloneMethod::Copy, jobs)
            .await
            .expect("the clone works");
        let ours_s = t.elapsed().as_secs_f64();
        println!(
            "ours --clone copy, {jobs} streams: {ours_s:.1}s ({} tables, {:.0} MB streamed)",
            cloned.tables,
            cloned.bytes_streamed as f64 / 1e6
        );
        admin.batch_execute("DROP DATABASE ours").await.unwrap();
        admin.batch_execute("CHECKPOINT").await.unwrap();

        let t = Instant::now();
        clone_into(&src, "ours_template", CloneMethod::Template, jobs)
            .await
            .expect("the template clone works");
        println!(
            "for information, --clone template: {:.1}s",
            t.elapsed().as_secs_f64()
        );
        println!(
            "ratio anchor / ours (copy): {:.2} (goal > 1: the clone is faster)",
            anchor_s / ours_s
        );
    });
}
