//! Shared helpers for tests that run the real `rehearse` binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(rel: &str) -> PathBuf {
    repo().join("tests/fixtures").join(rel)
}

/// The outcome of one `rehearse` invocation.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub out: tempfile::TempDir,
}

impl Run {
    pub fn report(&self) -> serde_json::Value {
        let path = self.out.path().join("report.json");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "no report at {}: {e}\nstderr: {}",
                path.display(),
                self.stderr
            )
        });
        serde_json::from_str(&text).expect("report.json is JSON")
    }
}

pub fn rehearse(args: &[&str]) -> Run {
    let out = tempfile::tempdir().unwrap();
    let output: Output = Command::new(binary())
        .args(args)
        .arg("--out")
        .arg(out.path())
        .output()
        .expect("the rehearse binary runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        out,
    }
}

/// The binary under test. `REHEARSE_BIN` overrides it: with a build folder shared between
/// branches, another branch's build can replace `target/debug/rehearse` between build and test.
pub fn binary() -> PathBuf {
    std::env::var_os("REHEARSE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_rehearse")))
}

/// `rehearse run PATH --provider local` with extra args.
pub fn rehearse_local(path: &Path, extra: &[&str]) -> Run {
    let p = path.to_str().unwrap();
    let mut args = vec!["run", p, "--provider", "local"];
    args.extend_from_slice(extra);
    rehearse(&args)
}

/// True when docker tests must run: in CI they never skip.
pub fn in_ci() -> bool {
    std::env::var("CI").map(|v| v == "true").unwrap_or(false)
}

/// A `rehearse run` in the background, past the point where its database is up.
pub struct Running {
    pub child: std::process::Child,
    pub out: tempfile::TempDir,
}

/// Starts `rehearse run ARGS --out DIR` with `envs`, and returns once it reports its server.
pub fn start_until_provisioned(args: &[&str], envs: &[(&str, &Path)]) -> Running {
    use std::io::{BufRead, BufReader};
    let out = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_rehearse"));
    command.args(args).arg("--out").arg(out.path());
    for (k, v) in envs {
        command.env(k, v);
    }
    let mut child = command
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "rehearse exited before its database was up"
        );
        if line.contains("PostgreSQL") {
            break;
        }
    }
    // Keep draining stderr so the child never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    Running { child, out }
}

impl Running {
    /// Sends SIGINT and returns the exit code, failing the test if the process hangs.
    pub fn interrupt(mut self) -> Option<i32> {
        use std::time::{Duration, Instant};
        unsafe { libc::kill(self.child.id() as i32, libc::SIGINT) };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            assert!(
                Instant::now() < deadline,
                "rehearse did not exit after SIGINT"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A report the size of a real project's history: `n` migrations, most passing with a hazard
/// each, 150 failing with schema differences (before and after), 94 not run after a failure,
/// and 10 holding an AccessExclusiveLock for seconds while workload queries queue behind them.
pub fn large_report(n: usize) -> rehearse::report::Report {
    use rehearse::report::*;
    let statement = |i: usize, held_ms: f64| {
        StatementReport {
        sql: format!(
            "ALTER TABLE public.table_{i} ADD COLUMN column_{i} text NOT NULL DEFAULT 'a fairly long default value for column {i}'"
        ),
        line: 3,
        duration_ms: held_ms,
        ok: true,
        transactional: true,
        locks: vec![LockReport {
            relation: format!("public.table_{i}"),
            mode: "AccessExclusiveLock".into(),
            kind: "table".into(),
            acquired_ms: 0.0,
            held_ms,
            sampled: false,
            ..Default::default()
        }],
        ..Default::default()
    }
    };
    let direction = |i: usize, held_ms: f64| Direction {
        ok: true,
        duration_ms: held_ms * 3.0,
        statements: (0..3).map(|_| statement(i, held_ms)).collect(),
        ..Default::default()
    };
    let hazard = |i: usize| Finding {
        kind: "no_lock_timeout".into(),
        message: format!(
            "V{i:04}__change_{i}.sql takes an AccessExclusiveLock without setting lock_timeout."
        ),
        advice: Some("Start the migration with SET lock_timeout = '2s'.".into()),
        ..Default::default()
    };
    let migrations = (0..n)
        .map(|i| {
            let id = format!("{i:04}");
            let name = format!("change_number_{i}_of_the_project");
            let file = format!("V{id}__{name}.sql");
            if i >= n - 94 {
                return MigrationReport {
                    id,
                    name,
                    verdict: Verdict::NotRun,
                    findings: vec![Finding::new(
                        "not_run",
                        format!(
                            "{file} was not rehearsed because migration {:04} before it failed",
                            n - 95
                        ),
                    )],
                    file,
                    ..Default::default()
                };
            }
            let slow = i % 25 == 7;
            let held = if slow { 2970.0 } else { 4.0 };
            let mut forward = direction(i, held);
            if slow {
                forward.statements[0].lock_wait_ms = 2950.0;
                forward.statements[0].workload = Some(StatementWorkload {
                    queries: 400,
                    blocked_count: 120,
                    blocked_total_ms: 90_000.0,
                    blocked_longest_ms: 2960.0,
                    ..Default::default()
                });
            }
            let failed = i % 2 == 1 && i < 301;
            let differences = if failed {
                (0..4)
                    .map(|k| Difference {
                        kind: "column_order".into(),
                        object: format!("public.table_{i}"),
                        detail: format!("column_{k} was column {k} and is now column {}", k + 5),
                        before: Some(format!(
                            "id, column_0, column_1, column_2, column_3, column_{i}"
                        )),
                        after: Some(format!(
                            "id, column_{i}, column_3, column_2, column_1, column_0"
                        )),
                        accepted: false,
                        accepted_reason: None,
                        fix: None,
                    })
                    .collect()
            } else {
                Vec::new()
            };
            MigrationReport {
                id,
                name,
                verdict: if failed { Verdict::Fail } else { Verdict::Pass },
                rollback_file: Some(format!("V{i:04}__rollback.sql")),
                rollback: Some(direction(i, 2.0)),
                redo: Some(direction(i, 4.0)),
                forward,
                schema_restored: Some(!failed),
                data_preserved: Some(true),
                findings: if failed {
                    vec![Finding::new(
                        "schema_not_restored",
                        format!(
                            "the rollback of {file} does not restore the schema: 4 differences"
                        ),
                    )]
                } else {
                    Vec::new()
                },
                differences,
                hazards: vec![hazard(i)],
                file,
                ..Default::default()
            }
        })
        .collect();
    Report {
        schema_version: 1,
        verdict: Verdict::Fail,
        rehearse_version: "0.1.0".into(),
        scenario: "a-real-project".into(),
        started_at: "2026-11-27T12:00:00Z".into(),
        duration_ms: 1_234_567.0,
        migrations,
        ..Default::default()
    }
}

/// A local PostgreSQL for tests that call the library (dropped with the value).
pub async fn local_server() -> rehearse::provision::Database {
    rehearse::provision::provision(&rehearse::provision::DatabaseRequest {
        provider: rehearse::provision::ProviderChoice::Local,
        ..Default::default()
    })
    .await
    .expect("local PostgreSQL starts")
}

/// A fresh database `name` on `server` with each SQL file run in it, in order.
pub async fn database_with(
    server: &rehearse::provision::Database,
    name: &str,
    files: &[PathBuf],
) -> rehearse::provision::ConnectionInfo {
    let admin = server.connection.connect().await.unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let info = server.connection.with_dbname(name);
    let client = info.connect().await.unwrap();
    for file in files {
        let sql =
            std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        client.batch_execute(&sql).await.unwrap();
    }
    info
}

/// The schema of `info`'s database as `pg_dump --schema-only` prints it: the oracle for schema
/// comparisons. Without pg_dump 15.14+'s `\restrict` lines, which carry a random key.
pub fn schema_dump(info: &rehearse::provision::ConnectionInfo, no_owner: bool) -> String {
    let mut args = vec!["--schema-only"];
    if no_owner {
        args.push("--no-owner");
    }
    let out = std::process::Command::new("pg_dump")
        .args(&args)
        .args(["--dbname", &info.url()])
        .output()
        .expect("pg_dump runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
        .collect::<Vec<_>>()
        .join("\n")
}
