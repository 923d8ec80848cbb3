//! A reset of a seeded state of about 1 GB on PostgreSQL 18, by clone and by copy: the
//! database replaced by a copy of its template (`Template::reset`, what the rehearsal does after
//! a rollback that left damage). Three servers, same machine, same process:
//!
//! - clone: the data directory on a loop XFS with reflink (`--data-dir`), file_copy_method
//!   set to clone by the provider;
//! - copy on the same XFS: the scenario's `file_copy_method = copy` (the anchor: same disk,
//!   same filesystem, only the method differs);
//! - copy on the docker volume (the provider's default, no `--data-dir`).
//!
//! Prints each reset's median of RESET_RUNS (default 3) and clone / copy (target: a clone
//! reset under 1 s whatever the size). `cargo bench --bench reset_clone` (env: RESET_ROWS,
//! default 4,200,000 rows of about 250 bytes: ~1.1 GB with its index). Needs root, xfsprogs
//! and Docker with rehearse/postgres:18.

#[path = "../tests/loop_xfs/mod.rs"]
mod loop_xfs;

use rehearse::provision::{self, DatabaseRequest, ProviderChoice};
use rehearse::seed::Template;
use std::time::Instant;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Measured {
    label: &'static str,
    bytes: i64,
    method: String,
    template_s: f64,
    resets: Vec<f64>,
}

async fn measure(
    label: &'static str,
    data_dir: Option<&std::path::Path>,
    settings: Vec<(String, String)>,
    rows: u64,
    runs: usize,
) -> Measured {
    let db = provision::provision(&DatabaseRequest {
        provider: ProviderChoice::Docker,
        image: Some("rehearse/postgres:18".into()),
        major: Some(18),
        data_dir: data_dir.map(|d| d.to_path_buf()),
        settings,
        ..Default::default()
    })
    .await
    .expect("postgres 18 starts");
    let client = db.connection.connect().await.unwrap();
    client
        .batch_execute(&format!(
            "CREATE TABLE big AS SELECT g AS id, repeat(md5(g::text), 6) AS pad, now() AS at
               FROM generate_series(1, {rows}) g;
             ALTER TABLE big ADD PRIMARY KEY (id);
             CHECKPOINT"
        ))
        .await
        .unwrap();
    let bytes: i64 = client
        .query_one("SELECT pg_database_size(current_database())", &[])
        .await
        .unwrap()
        .get(0);
    drop(client);
    let template = Template::create(&db.connection, false).await.unwrap();
    let mut resets = Vec::new();
    let mut method = String::new();
    for _ in 0..runs {
        let started = Instant::now();
        let (_, m) = template.reset().await.unwrap();
        resets.push(started.elapsed().as_secs_f64());
        method = m.word().to_string();
    }
    resets.sort_by(f64::total_cmp);
    Measured {
        label,
        bytes,
        method,
        template_s: template.create_seconds,
        resets,
    }
}

fn main() {
    let rows: u64 = env_or("RESET_ROWS", 4_200_000);
    let runs: usize = env_or("RESET_RUNS", 3);
    let xfs = loop_xfs::LoopXfs::make("8G").expect("a loop XFS (root, xfsprogs)");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let copy_setting = vec![("file_copy_method".to_string(), "copy".to_string())];
    let all = runtime.block_on(async {
        vec![
            measure(
                "clone, XFS (--data-dir)",
                Some(xfs.path()),
                Vec::new(),
                rows,
                runs,
            )
            .await,
            measure(
                "copy, same XFS (file_copy_method = copy)",
                Some(xfs.path()),
                copy_setting,
                rows,
                runs,
            )
            .await,
            measure(
                "copy, docker volume (no --data-dir)",
                None,
                Vec::new(),
                rows,
                runs,
            )
            .await,
        ]
    });
    println!("reset_clone: PostgreSQL 18 (docker), {rows} rows, median of {runs} resets");
    for m in &all {
        println!(
            "  {:<42} {:>6.0} MB  method {:<5}  template {:>6.2} s  reset median {:>6.2} s (runs {:?})",
            m.label,
            m.bytes as f64 / 1e6,
            m.method,
            m.template_s,
            m.resets[m.resets.len() / 2],
            m.resets.iter().map(|s| (s * 100.0).round() / 100.0).collect::<Vec<_>>()
        );
    }
    let median = |m: &Measured| m.resets[m.resets.len() / 2];
    let clone = median(&all[0]);
    println!(
        "  clone / copy on the same XFS = {:.3}; clone reset {} 1 s (target < 1 s)",
        clone / median(&all[1]),
        if clone < 1.0 { "<" } else { ">=" }
    );
}
