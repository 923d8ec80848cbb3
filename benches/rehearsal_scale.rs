//! Rehearsal at scale, end to end: the tool's own cost must follow what a migration touches, not
//! what the database holds. Runs the release binary on the local provider and prints, for each
//! part, the figures and the ratio against its anchor measured in the same run:
//!
//! - (a) a one-line migration on a 1,000-row table beside an untouched table of 100k rows, then
//!   2M rows: the migration's time after seeding, 2M over 100k (target at most 1.25);
//! - (b) `scenarios/saas` at `--scale 0.05` and `0.2`: the tool's overhead (wall − seeding −
//!   statements) against the statements' time plus 0.2 s per migration (target at most 1.0);
//! - (c) 40 one-line migrations with every default, against the same run with seeding off
//!   (target at most 1.5).
//!
//! `cargo bench --bench rehearsal_scale` (`REHEARSE_BENCH_PARTS=a,c` for some parts,
//! `REHEARSE_BENCH_SAAS_SCALES=0.05,0.2,1` for other scales). Pause other compiles first: two
//! shared cores move these ratios by 20-30%.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_rehearse"))
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One run of `rehearse run PATH --provider local ARGS`: its wall seconds and report.
fn run(path: &Path, args: &[&str]) -> (f64, Value) {
    let out = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let status = Command::new(binary())
        .arg("run")
        .arg(path)
        .args(["--provider", "local", "--out"])
        .arg(out.path())
        .args(args)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("the rehearse binary runs");
    let wall = started.elapsed().as_secs_f64();
    assert!(
        matches!(status.code(), Some(0 | 1)),
        "{} exited {status}",
        path.display()
    );
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("report.json")).unwrap())
            .unwrap();
    (wall, report)
}

fn migrations(report: &Value) -> &Vec<Value> {
    report["migrations"].as_array().unwrap()
}

fn ms(m: &Value, field: &str) -> f64 {
    m["timings"][field].as_f64().unwrap_or(0.0)
}

/// Seconds of every rehearsed statement (forward, rollback, redo).
fn statement_seconds(report: &Value) -> f64 {
    migrations(report)
        .iter()
        .map(|m| ms(m, "statements_ms"))
        .sum::<f64>()
        / 1000.0
}

/// Seconds spent seeding, the template included.
fn seed_seconds(report: &Value) -> f64 {
    report["seed"]["seconds"].as_f64().unwrap_or(0.0)
        + report["seed"]["template_seconds"].as_f64().unwrap_or(0.0)
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// (a): the same one-line migration beside an untouched table of `big_rows` rows.
fn beside_untouched(dir: &Path, big_rows: u64) -> PathBuf {
    let root = dir.join(format!("beside_{big_rows}"));
    write(
        &root.join("migrations/V001__tables.sql"),
        "CREATE TABLE big (id bigint PRIMARY KEY, account int NOT NULL, payload text NOT NULL, created_at timestamptz NOT NULL);\n\
         CREATE TABLE small (id int PRIMARY KEY, label text NOT NULL);\n",
    );
    write(
        &root.join("migrations/V001__tables_rollback.sql"),
        "DROP TABLE small;\nDROP TABLE big;\n",
    );
    write(
        &root.join("migrations/V002__small_note.sql"),
        "ALTER TABLE small ADD COLUMN note text;\n",
    );
    write(
        &root.join("migrations/V002__small_note_rollback.sql"),
        "ALTER TABLE small DROP COLUMN note;\n",
    );
    write(
        &root.join("rehearse.toml"),
        &format!(
            "[migrations]\npath = \"migrations\"\nbaseline = \"001\"\n\n\
             [dataset]\nseed = 7\n[dataset.tables.big]\nrows = {big_rows}\n[dataset.tables.small]\nrows = 1000\n"
        ),
    );
    root
}

fn part_a(dir: &Path) {
    let mut after = Vec::new();
    for rows in [100_000u64, 2_000_000] {
        let (wall, report) = run(&beside_untouched(dir, rows), &[]);
        let m = &migrations(&report)[0];
        let rehearsal = (ms(m, "wall_ms") - ms(m, "seed_ms")) / 1000.0;
        println!(
            "(a) big = {rows:>9} rows: run {wall:6.1} s, seeding {:6.1} s, migration after seeding {rehearsal:6.2} s (statements {:.3} s, snapshots {:.3} s, signatures {:.3} s, observation {:.3} s)",
            seed_seconds(&report),
            ms(m, "statements_ms") / 1000.0,
            ms(m, "snapshots_ms") / 1000.0,
            ms(m, "signatures_ms") / 1000.0,
            ms(m, "observation_ms") / 1000.0,
        );
        after.push(rehearsal);
    }
    println!(
        "(a) ratio 2M / 100k after seeding: {:.2} (target <= 1.25)",
        after[1] / after[0]
    );
}

fn part_b(scales: &[f64]) {
    let saas = repo().join("scenarios/saas");
    for scale in scales {
        let (wall, report) = run(&saas, &["--scale", &scale.to_string()]);
        let seeding = seed_seconds(&report);
        let statements = statement_seconds(&report);
        let count = migrations(&report).len() as f64;
        let overhead = wall - seeding - statements;
        let allowed = statements + 0.2 * count;
        println!(
            "(b) saas --scale {scale}: wall {wall:.1} s, seeding {seeding:.1} s, statements {statements:.1} s, overhead {overhead:.1} s, allowed {allowed:.1} s: ratio {:.2} (target <= 1.0)",
            overhead / allowed
        );
        for m in migrations(&report) {
            println!(
                "    {} {:<28} wall {:7.2} s  statements {:7.2}  observation {:6.2}  snapshots {:5.2}  signatures {:6.2}  reset {:5.2}  other {:5.2}  data_check {}",
                m["id"].as_str().unwrap_or(""),
                m["name"].as_str().unwrap_or(""),
                ms(m, "wall_ms") / 1000.0,
                ms(m, "statements_ms") / 1000.0,
                ms(m, "observation_ms") / 1000.0,
                ms(m, "snapshots_ms") / 1000.0,
                ms(m, "signatures_ms") / 1000.0,
                ms(m, "reset_ms") / 1000.0,
                ms(m, "other_ms") / 1000.0,
                m["data_check"]["scope"].as_str().unwrap_or("-"),
            );
        }
    }
}

/// (c): 40 migrations that each create a table with one line, with every default.
fn many_small(dir: &Path, seeding: bool) -> PathBuf {
    let root = dir.join(if seeding {
        "many_seeded"
    } else {
        "many_unseeded"
    });
    for i in 1..=40 {
        write(
            &root.join(format!("migrations/V{i:03}__table_{i}.sql")),
            &format!("CREATE TABLE t{i} (id bigint PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());\n"),
        );
        write(
            &root.join(format!("migrations/V{i:03}__table_{i}_rollback.sql")),
            &format!("DROP TABLE t{i};\n"),
        );
    }
    let dataset = if seeding {
        ""
    } else {
        "[dataset]\ninfer = false\n"
    };
    write(
        &root.join("rehearse.toml"),
        &format!("[migrations]\npath = \"migrations\"\n\n{dataset}"),
    );
    root
}

fn part_c(dir: &Path) {
    let (unseeded, _) = run(&many_small(dir, false), &[]);
    let (seeded, report) = run(&many_small(dir, true), &[]);
    let seed_points: f64 = migrations(&report)
        .iter()
        .map(|m| ms(m, "seed_ms"))
        .sum::<f64>()
        / 1000.0;
    println!(
        "(c) 40 one-line migrations: defaults {seeded:.1} s (seed points {seed_points:.1} s), seeding off {unseeded:.1} s: ratio {:.2} (target <= 1.5)",
        seeded / unseeded
    );
}

fn main() {
    let parts = std::env::var("REHEARSE_BENCH_PARTS").unwrap_or_else(|_| "a,b,c".into());
    let scales: Vec<f64> = std::env::var("REHEARSE_BENCH_SAAS_SCALES")
        .unwrap_or_else(|_| "0.05,0.2".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let dir = tempfile::tempdir().unwrap();
    if parts.contains('a') {
        part_a(dir.path());
    }
    if parts.contains('b') {
        part_b(&scales);
    }
    if parts.contains('c') {
        part_c(dir.path());
    }
}
