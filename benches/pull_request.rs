//! A pull request's rehearsal, end to end with the real binary on the local provider: a
//! generated project of PR_MIGRATIONS (default 320) migrations over 40 tables, each table
//! seeded with PR_ROWS (default 20000) rows, in a git repository; the branch adds one
//! migration. Three runs of `rehearse run --since base`, same machine, same process:
//!
//! - anchor, cold without the cache: replays every migration before the branch's, seeds, then
//!   rehearses the one migration (what CI does today on every push);
//! - cold with `--cache` (a miss): the same, plus storing the seeded state;
//! - warm with `--cache` (a hit): restores the state, then rehearses the one migration.
//!
//! Prints each wall time and warm / anchor (targets: warm under 20 s and under 10% of cold).
//! `cargo bench --bench pull_request` (env: PR_MIGRATIONS, PR_ROWS). The project lives in a
//! temporary folder and is removed afterwards, unless PR_KEEP=1 (then the project and the cache
//! are kept and their folders printed, to profile a warm run by hand).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const TABLES: usize = 40;

/// Writes migration `n` (1-based) and its rollback: the first TABLES create tables (each
/// referencing the one before), the rest add columns, indexes, defaults and comments in turn.
fn write_migration(dir: &Path, n: usize) {
    let (name, up, down) = if n <= TABLES {
        let t = n - 1;
        let reference = if t == 0 {
            String::new()
        } else {
            format!(",\n    parent_id bigint REFERENCES t{} (id)", t - 1)
        };
        (
            format!("create_t{t}"),
            format!(
                "CREATE TABLE t{t} (\n    id bigserial PRIMARY KEY,\n    name text NOT NULL,\n    amount numeric(12, 2),\n    created_at timestamptz NOT NULL DEFAULT now(){reference}\n);\n"
            ),
            format!("DROP TABLE t{t};\n"),
        )
    } else {
        let k = n - TABLES - 1;
        let t = k % TABLES;
        match (k / TABLES) % 4 {
            0 => (
                format!("add_c{k}_to_t{t}"),
                format!("ALTER TABLE t{t} ADD COLUMN c{k} text;\n"),
                format!("ALTER TABLE t{t} DROP COLUMN c{k};\n"),
            ),
            1 => (
                format!("index_t{t}_created_{k}"),
                format!("CREATE INDEX t{t}_created_{k} ON t{t} (created_at);\n"),
                format!("DROP INDEX t{t}_created_{k};\n"),
            ),
            2 => (
                format!("default_t{t}_{k}"),
                format!("ALTER TABLE t{t} ALTER COLUMN amount SET DEFAULT {k};\n"),
                format!("ALTER TABLE t{t} ALTER COLUMN amount DROP DEFAULT;\n"),
            ),
            _ => (
                format!("comment_t{t}_{k}"),
                format!("COMMENT ON TABLE t{t} IS 'revision {k}';\n"),
                format!("COMMENT ON TABLE t{t} IS NULL;\n"),
            ),
        }
    };
    std::fs::write(dir.join(format!("V{n:04}__{name}.sql")), up).unwrap();
    std::fs::write(dir.join(format!("V{n:04}__{name}_rollback.sql")), down).unwrap();
}

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .unwrap()
        .status
        .success();
    assert!(ok, "git {args:?}");
}

/// One run; returns its wall time in seconds and the cache outcome.
fn rehearse(project: &Path, rows: u64, cache: Option<&Path>) -> (f64, String) {
    let out = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rehearse"));
    cmd.arg("run")
        .arg(project.join("migrations"))
        .args(["--provider", "local", "--since", "base", "--rows"])
        .arg(rows.to_string())
        .arg("--out")
        .arg(out.path());
    if let Some(dir) = cache {
        cmd.arg("--cache").arg(dir);
    }
    let started = Instant::now();
    let output = cmd.output().unwrap();
    let seconds = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "rehearse failed ({}): {stderr}",
        output.status
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("report.json")).unwrap())
            .unwrap();
    assert_eq!(report["migrations"].as_array().unwrap().len(), 1);
    let outcome = report["cache"]["outcome"].as_str().unwrap_or("off").to_string();
    (seconds, outcome)
}

fn main() {
    let migrations: usize = env_or("PR_MIGRATIONS", 320);
    let rows: u64 = env_or("PR_ROWS", 20_000);
    let project = tempfile::tempdir().unwrap();
    let dir = project.path().join("migrations");
    std::fs::create_dir_all(&dir).unwrap();
    for n in 1..=migrations {
        write_migration(&dir, n);
    }
    git(project.path(), &["init", "-q", "-b", "main"]);
    git(project.path(), &["add", "-A"]);
    git(
        project.path(),
        &["-c", "user.email=b@b", "-c", "user.name=b", "commit", "-qm", "base"],
    );
    git(project.path(), &["tag", "base"]);
    // The branch: one migration more, on the busiest table.
    std::fs::write(
        dir.join(format!("V{:04}__add_flag.sql", migrations + 1)),
        "ALTER TABLE t0 ADD COLUMN flag boolean NOT NULL DEFAULT false;\n",
    )
    .unwrap();
    std::fs::write(
        dir.join(format!("V{:04}__add_flag_rollback.sql", migrations + 1)),
        "ALTER TABLE t0 DROP COLUMN flag;\n",
    )
    .unwrap();
    let cache = tempfile::tempdir().unwrap();

    println!(
        "pull_request: {migrations} migrations on main over {TABLES} tables, {rows} rows per table, one migration added on the branch"
    );
    let (anchor, _) = rehearse(project.path(), rows, None);
    println!("  anchor  cold, no cache (replay + seed + rehearse): {anchor:>7.1} s");
    let (cold, outcome) = rehearse(project.path(), rows, Some(cache.path()));
    assert_eq!(outcome, "miss");
    println!("  cold    --cache, miss (… + store the state):       {cold:>7.1} s");
    let (warm, outcome) = rehearse(project.path(), rows, Some(cache.path()));
    assert_eq!(outcome, "hit");
    println!("  warm    --cache, hit (restore + rehearse):          {warm:>7.1} s");
    let entry_mb = std::fs::read_dir(cache.path())
        .unwrap()
        .flatten()
        .map(|e| dir_bytes(&e.path()))
        .sum::<u64>() as f64
        / 1e6;
    println!("  cache entry: {entry_mb:.0} MB");
    println!(
        "  warm / anchor = {:.3} (target < 0.10); warm {} 20 s",
        warm / anchor,
        if warm < 20.0 { "<" } else { ">=" }
    );
    if std::env::var("PR_KEEP").is_ok_and(|v| v == "1") {
        println!("  kept: project {} cache {}", project.keep().display(), cache.keep().display());
    }
}

fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|l| {
            l.flatten()
                .map(|e| match e.file_type() {
                    Ok(t) if t.is_dir() => dir_bytes(&e.path()),
                    _ => e.metadata().map(|m| m.len()).unwrap_or(0),
                })
                .sum()
        })
        .unwrap_or(0)
}
