//! Issue P item 4, end to end: what rehearse itself costs at the edges of size, before and after
//! a change, measured in the same minutes on the same machine. Runs the release binary (and,
//! when `REHEARSE_BENCH_BEFORE` names one, an older binary beside it on the same inputs) and
//! prints each case's figures and the ratio after/before:
//!
//! - `trivial`: N one-line migrations (`COMMENT ON TABLE`, each rollback puts the previous
//!   comment back) with `--no-seed`, so the whole run is the per-migration fixed cost; prints
//!   the wall and the milliseconds per migration. N from `REHEARSE_BENCH_TRIVIAL` (2000).
//! - `lint`: `rehearse lint` of one file of each size in `REHEARSE_BENCH_LINT_MB` (1,10,50),
//!   in both shapes: few large statements (multi-row INSERTs of about 1 MB each) and many small
//!   ones (one-row INSERTs, `pg_dump --inserts` style).
//! - `run`: `rehearse run --no-seed` of the same files (forward, rollback, redo) for the sizes
//!   in `REHEARSE_BENCH_RUN_MB` (1; a 50 MB file of one-row INSERTs is about 500,000
//!   statements, each run three times, so larger sizes are for a machine to itself).
//! - `folder`: the wall of `rehearse run` on a real folder of 300+ migrations named by
//!   `REHEARSE_BENCH_FOLDER` (fetched outside the repository, e.g. lemmy's `migrations/`), with
//!   the arguments in `REHEARSE_BENCH_FOLDER_ARGS` (e.g. `--no-seed`). Said and skipped when
//!   unset.
//!
//! `cargo bench --bench size_edges` (`REHEARSE_BENCH_PARTS=trivial,lint` for some parts). The
//! generated inputs are written by the bench into a temporary folder. Every run uses the local
//! provider. Pause other compiles first: on two shared cores load moves these figures by 20-30%.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The binary measured as "after": `REHEARSE_BENCH_AFTER` when set (a release build, when the
/// bench itself was built in the dev profile), else the one built with the bench.
fn current() -> PathBuf {
    std::env::var_os("REHEARSE_BENCH_AFTER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_rehearse")))
}

/// The binaries measured: (label, path), the current one last.
fn binaries() -> Vec<(&'static str, PathBuf)> {
    let mut out = Vec::new();
    match std::env::var_os("REHEARSE_BENCH_BEFORE") {
        Some(before) => out.push(("before", PathBuf::from(before))),
        None => println!(
            "REHEARSE_BENCH_BEFORE is unset: only the current binary is measured (set it to an older rehearse binary for before/after)"
        ),
    }
    out.push(("after", current()));
    out
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn list(var: &str, default: &str) -> Vec<u64> {
    std::env::var(var)
        .unwrap_or_else(|_| default.into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

/// One `rehearse run PATH --provider local ARGS`: wall seconds and report (None when the run
/// wrote none).
fn run(binary: &Path, path: &Path, args: &[String]) -> (f64, Option<Value>) {
    let out = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let status = Command::new(binary)
        .arg("run")
        .arg(path)
        .args(["--provider", "local", "--out"])
        .arg(out.path())
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("the rehearse binary runs");
    let wall = started.elapsed().as_secs_f64();
    if !matches!(status.code(), Some(0 | 1)) {
        println!("  ({} exited {status})", path.display());
    }
    let report = std::fs::read_to_string(out.path().join("report.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
    (wall, report)
}

fn migrations(report: &Value) -> &[Value] {
    report["migrations"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// Sum over the migrations of one timing (ms).
fn timing(report: &Value, field: &str) -> f64 {
    migrations(report)
        .iter()
        .map(|m| m["timings"][field].as_f64().unwrap_or(0.0))
        .sum()
}

/// Prints each binary's figure and, with two, after/before.
fn compare(case: &str, figures: &[(&str, f64, String)]) {
    for (label, _, text) in figures {
        println!("{case} [{label}]: {text}");
    }
    if let [(_, before, _), (_, after, _)] = figures {
        println!("{case}: after/before {:.3}", after / before);
    }
}

/// `n` migrations that each set a table's comment, the rollback setting the previous one back.
fn trivial_folder(dir: &Path, n: u64) -> PathBuf {
    let root = dir.join(format!("trivial_{n}"));
    // A bare migrations folder: every default applies.
    let m = root.clone();
    write(
        &m.join("V00000__base.sql"),
        "CREATE TABLE items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);\n",
    );
    write(&m.join("V00000__base_rollback.sql"), "DROP TABLE items;\n");
    for i in 1..=n {
        write(
            &m.join(format!("V{i:05}__comment_{i}.sql")),
            &format!("COMMENT ON TABLE items IS 'comment {i}';\n"),
        );
        let previous = if i == 1 {
            "NULL".to_string()
        } else {
            format!("'comment {}'", i - 1)
        };
        write(
            &m.join(format!("V{i:05}__comment_{i}_rollback.sql")),
            &format!("COMMENT ON TABLE items IS {previous};\n"),
        );
    }
    root
}

fn part_trivial(dir: &Path) {
    let n = list("REHEARSE_BENCH_TRIVIAL", "2000")
        .first()
        .copied()
        .unwrap_or(2000);
    let folder = trivial_folder(dir, n);
    let args = vec!["--no-seed".to_string()];
    let mut figures = Vec::new();
    for (label, binary) in binaries() {
        let (wall, report) = run(&binary, &folder, &args);
        let text = match &report {
            Some(r) => {
                let count = migrations(r).len().max(1) as f64;
                format!(
                    "{n} one-line migrations: {wall:.1} s, {:.0} ms per migration (snapshots {:.0}, observation {:.0}, statements {:.1}), {} passed",
                    wall * 1000.0 / count,
                    timing(r, "snapshots_ms") / count,
                    timing(r, "observation_ms") / count,
                    timing(r, "statements_ms") / count,
                    migrations(r).iter().filter(|m| m["verdict"] == "pass").count()
                )
            }
            None => format!("{n} one-line migrations: {wall:.1} s, no report"),
        };
        figures.push((label, wall, text));
    }
    compare("trivial", &figures);
}

/// The two shapes of a large file.
#[derive(Clone, Copy)]
enum Shape {
    /// Multi-row INSERTs of about 1 MB each.
    FewLarge,
    /// One-row INSERTs, as `pg_dump --inserts` writes them.
    ManySmall,
}

impl Shape {
    fn name(self) -> &'static str {
        match self {
            Shape::FewLarge => "few large statements",
            Shape::ManySmall => "many one-row INSERTs",
        }
    }
}

const ROW_NOTE: &str = "a row of the kind a dump holds, long enough to look like one";

/// A migration of about `mb` megabytes of `shape` into a new table, its rollback dropping it:
/// (folder, the forward file, statements).
fn large_file(dir: &Path, mb: u64, shape: Shape) -> (PathBuf, PathBuf, u64) {
    let tag = match shape {
        Shape::FewLarge => "large",
        Shape::ManySmall => "small",
    };
    let root = dir.join(format!("file_{tag}_{mb}mb"));
    let forward = root.join("V001__load_rows.sql");
    let target = (mb * 1024 * 1024) as usize;
    let mut sql = String::with_capacity(target + 4096);
    sql.push_str("CREATE TABLE loaded_rows (id bigint PRIMARY KEY, name text NOT NULL, note text);\n");
    let mut statements = 1;
    let mut id: u64 = 0;
    match shape {
        Shape::ManySmall => {
            while sql.len() < target {
                id += 1;
                sql.push_str(&format!(
                    "INSERT INTO public.loaded_rows VALUES ({id}, 'name {id}', '{ROW_NOTE}');\n"
                ));
                statements += 1;
            }
        }
        Shape::FewLarge => {
            while sql.len() < target {
                let end = (sql.len() + 1024 * 1024).min(target);
                sql.push_str("INSERT INTO public.loaded_rows VALUES\n");
                let mut first = true;
                while sql.len() < end {
                    id += 1;
                    if !first {
                        sql.push_str(",\n");
                    }
                    first = false;
                    sql.push_str(&format!("({id}, 'name {id}', '{ROW_NOTE}')"));
                }
                sql.push_str(";\n");
                statements += 1;
            }
        }
    }
    write(&forward, &sql);
    write(
        &root.join("V001__load_rows_rollback.sql"),
        "DROP TABLE loaded_rows;\n",
    );
    (root, forward, statements)
}

fn part_lint(dir: &Path) {
    for mb in list("REHEARSE_BENCH_LINT_MB", "1,10,50") {
        for shape in [Shape::FewLarge, Shape::ManySmall] {
            let (_, file, statements) = large_file(dir, mb, shape);
            let mut figures = Vec::new();
            for (label, binary) in binaries() {
                let started = Instant::now();
                let status = Command::new(&binary)
                    .arg("lint")
                    .arg(&file)
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .status()
                    .expect("the rehearse binary runs");
                let wall = started.elapsed().as_secs_f64();
                figures.push((
                    label,
                    wall,
                    format!("{wall:.2} s (exit {:?})", status.code()),
                ));
            }
            compare(
                &format!("lint {mb} MB, {} ({statements} statements)", shape.name()),
                &figures,
            );
        }
    }
}

fn part_run(dir: &Path) {
    let args = vec!["--no-seed".to_string()];
    for mb in list("REHEARSE_BENCH_RUN_MB", "1") {
        for shape in [Shape::FewLarge, Shape::ManySmall] {
            let (folder, _, statements) = large_file(dir, mb, shape);
            let mut figures = Vec::new();
            for (label, binary) in binaries() {
                let (wall, report) = run(&binary, &folder, &args);
                let text = match report.as_ref().and_then(|r| migrations(r).first().cloned()) {
                    Some(m) => format!(
                        "{wall:.1} s whole run; forward {:.1} s, of which statements {:.1} s over three directions; verdict {}",
                        m["forward"]["duration_ms"].as_f64().unwrap_or(0.0) / 1000.0,
                        m["timings"]["statements_ms"].as_f64().unwrap_or(0.0) / 1000.0,
                        m["verdict"]
                    ),
                    None => format!("{wall:.1} s, no report"),
                };
                figures.push((label, wall, text));
            }
            compare(
                &format!("run {mb} MB, {} ({statements} statements)", shape.name()),
                &figures,
            );
        }
    }
}

fn part_folder() {
    let Some(folder) = std::env::var_os("REHEARSE_BENCH_FOLDER") else {
        println!(
            "folder: REHEARSE_BENCH_FOLDER is unset, so no real folder was rehearsed (point it at a folder of 300+ migrations, e.g. lemmy's migrations/, kept outside the repository)"
        );
        return;
    };
    let folder = PathBuf::from(folder);
    let args: Vec<String> = std::env::var("REHEARSE_BENCH_FOLDER_ARGS")
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let mut figures = Vec::new();
    for (label, binary) in binaries() {
        let (wall, report) = run(&binary, &folder, &args);
        let text = match &report {
            Some(r) => format!(
                "{wall:.1} s, {} migrations rehearsed ({} passed), snapshots {:.1} s, observation {:.1} s",
                migrations(r).len(),
                migrations(r).iter().filter(|m| m["verdict"] == "pass").count(),
                timing(r, "snapshots_ms") / 1000.0,
                timing(r, "observation_ms") / 1000.0,
            ),
            None => format!("{wall:.1} s, no report"),
        };
        figures.push((label, wall, text));
    }
    compare(
        &format!("folder {} {}", folder.display(), args.join(" ")),
        &figures,
    );
}

fn main() {
    let parts =
        std::env::var("REHEARSE_BENCH_PARTS").unwrap_or_else(|_| "trivial,lint,run,folder".into());
    let dir = tempfile::tempdir().unwrap();
    if parts.contains("trivial") {
        part_trivial(dir.path());
    }
    if parts.contains("lint") {
        part_lint(dir.path());
    }
    if parts.split(',').any(|p| p.trim() == "run") {
        part_run(dir.path());
    }
    if parts.contains("folder") {
        part_folder();
    }
}
