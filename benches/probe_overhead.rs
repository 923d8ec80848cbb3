//! Probe overhead: one migration on a 1M-row table, run under the probe and through `psql -1 -f`
//! on the same server, alternating, several rounds. Prints the medians and their ratio; the
//! target is a probe within 5% of plain psql.
//!
//! `cargo bench --bench probe_overhead` (REHEARSE_BENCH_ROUNDS=N to change the 5 rounds).
//! The probe runs without a workload: the workload is load we add on purpose, not overhead.

use rehearse::migrations::Script;
use rehearse::probe::{Probe, ProbeSettings, Step};
use rehearse::provision::{self, DatabaseRequest, ProviderChoice};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn here(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("benches/probe_overhead")
        .join(name)
}

fn psql() -> PathBuf {
    let bindir = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    match bindir {
        Some(dir) if dir.join("psql").exists() => dir.join("psql"),
        _ => PathBuf::from("psql"),
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let rounds: usize = std::env::var("REHEARSE_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    let db = provision::provision(&DatabaseRequest {
        provider: ProviderChoice::Local,
        ..Default::default()
    })
    .await
    .expect("a local PostgreSQL starts");
    let client = db.connection.connect().await.unwrap();
    let t = Instant::now();
    client
        .batch_execute(&std::fs::read_to_string(here("seed.sql")).unwrap())
        .await
        .unwrap();
    client.batch_execute("VACUUM ANALYZE events").await.unwrap();
    eprintln!("seeded 1M rows in {:.1} s", t.elapsed().as_secs_f64());

    let forward = Script::from_file(&here("forward.sql")).unwrap();
    let back = Script::from_file(&here("back.sql")).unwrap();
    let probe = Probe::new(db.connection.clone(), ProbeSettings::default());
    let psql = psql();
    let url = db.connection.url();

    let (mut probed, mut plain, mut setup) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        // Alternate which goes first, so that drift (cache, checkpoints) hits both alike.
        for first in [round % 2 == 0, round % 2 != 0] {
            client.batch_execute("CHECKPOINT").await.unwrap();
            if first {
                let t = Instant::now();
                let d = probe
                    .run(&client, &forward, "forward.sql", Step::Forward)
                    .await;
                let ms = t.elapsed().as_secs_f64() * 1000.0;
                assert!(d.ok, "{:?}", d.error);
                assert_eq!(
                    d.statements[0].rewrites.len(),
                    3,
                    "{:?}",
                    d.statements[0].rewrites
                );
                probed.push(ms);
                setup.push(ms - d.duration_ms);
            } else {
                let t = Instant::now();
                let status = Command::new(&psql)
                    .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-1", "-f"])
                    .arg(here("forward.sql"))
                    .arg(&url)
                    .status()
                    .expect("psql runs");
                let ms = t.elapsed().as_secs_f64() * 1000.0;
                assert!(status.success());
                plain.push(ms);
            }
            let d = rehearse::probe::run_script(&client, &back, "back.sql").await;
            assert!(d.ok, "{:?}", d.error);
        }
        eprintln!(
            "round {}: probe {:.0} ms, psql -1 -f {:.0} ms",
            round + 1,
            probed[round],
            plain[round]
        );
    }
    let min = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    let (pm, qm) = (min(&probed), min(&plain));
    let s = median(setup);
    let (p, q) = (median(probed), median(plain));
    println!(
        "probe overhead on a 1M-row ALTER COLUMN TYPE bigint, {rounds} rounds:\n  \
         median: probe {p:.0} ms / psql -1 -f {q:.0} ms = {:.3}\n  \
         best:   probe {pm:.0} ms / psql -1 -f {qm:.0} ms = {:.3}   (target <= 1.05)\n  \
         of the probe's time, {s:.1} ms (median) is setup: monitor connection and first catalog read",
        p / q,
        pm / qm
    );
}
