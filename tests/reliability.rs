//! Faults and hostile names that must neither break a rehearsal nor be blamed on the migration
//! (issue H): reserved words as names, a migration that kills the probe's connections, a server
//! that dies mid-migration, a workload that never succeeds. Real PostgreSQL, local provider.

mod common;

use common::{fixture, rehearse_local};

#[test]
fn reserved_words_as_table_and_column_names_seed_and_rehearse() {
    let run = rehearse_local(&fixture("rehearsals/reserved_words"), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.report();
    let seeded: Vec<&str> = report["seed"]["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["table"].as_str().unwrap())
        .collect();
    assert_eq!(seeded, ["public.user", "public.order"]);
    let m = &report["migrations"][0];
    assert_eq!(m["schema_restored"], true, "{m}");
    assert_eq!(m["data_preserved"], true, "{m}");
    // Shown to people as PostgreSQL's quote_ident() spells it.
    assert_eq!(
        m["forward"]["statements"][0]["locks"][0]["relation"],
        "public.\"order\""
    );
}

fn gate<'a>(m: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    m["gates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["gate"] == name)
        .unwrap_or_else(|| panic!("no {name} gate in {m}"))
}

#[test]
fn a_migration_that_terminates_the_probes_connections_is_still_seen_and_said() {
    let run = rehearse_local(
        &fixture("rehearsals/terminates_other_sessions"),
        &[
            "--baseline",
            "001",
            "--max-lock-hold",
            "AccessExclusiveLock=1ms",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.report();
    let m = &report["migrations"][0];
    // The ALTER TABLE after the pg_terminate_backend still shows its lock ...
    let locks = &m["forward"]["statements"][1]["locks"];
    assert!(
        locks
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["relation"] == "public.accounts" && l["mode"] == "AccessExclusiveLock"),
        "{locks}"
    );
    // ... the lock gate judges it ...
    assert_eq!(gate(m, "max_lock_hold")["status"], "fail", "{m}");
    // ... and losing the monitor connection is a finding, never a silent gap.
    let lost: Vec<&str> = m["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "not_observed")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(
        lost.iter()
            .any(|f| f.contains("monitor connection was closed")),
        "{lost:?}"
    );
}

#[test]
fn a_lock_gate_does_not_count_tables_the_migration_creates() {
    let run = rehearse_local(
        &fixture("rehearsals/creates_and_locks_new_table"),
        &[
            "--baseline",
            "001",
            "--max-lock-hold",
            "AccessExclusiveLock=0ms",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.report();
    let m = &report["migrations"][0];
    // The locks are there, on the new table, and the gate passes over them.
    assert!(m["forward"]["statements"][0]["locks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["relation"] == "public.audit" && l["mode"] == "AccessExclusiveLock"));
    assert_eq!(gate(m, "max_lock_hold")["status"], "pass", "{m}");
    // The same limit fails a migration that locks a table that existed before it.
    let old = rehearse_local(
        &fixture("rehearsals/terminates_other_sessions"),
        &[
            "--baseline",
            "001",
            "--max-lock-hold",
            "AccessExclusiveLock=0ms",
        ],
    );
    assert_eq!(
        gate(&old.report()["migrations"][0], "max_lock_hold")["status"],
        "fail"
    );
}

/// A scenario over the reserved-words fixture's migrations, with extra TOML.
fn scenario_over_reserved_words(extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let migrations = fixture("rehearsals/reserved_words/migrations");
    std::fs::write(
        dir.path().join("rehearse.toml"),
        format!(
            "[migrations]\npath = {:?}\nbaseline = \"001\"\n{extra}",
            migrations.to_str().unwrap()
        ),
    )
    .unwrap();
    dir
}

fn hazard_kinds(report: &serde_json::Value) -> Vec<String> {
    report["migrations"][0]["hazards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_scenario_that_sets_lock_timeout_gets_no_lock_timeout_hint() {
    let without = rehearse_local(
        scenario_over_reserved_words("[workload]\nenabled = false\n").path(),
        &[],
    );
    assert_eq!(without.code, 0, "{}", without.stderr);
    assert!(hazard_kinds(&without.report()).contains(&"no_lock_timeout".to_string()));

    let with = rehearse_local(
        scenario_over_reserved_words("lock_timeout = \"2s\"\n[workload]\nenabled = false\n").path(),
        &[],
    );
    assert_eq!(with.code, 0, "{}", with.stderr);
    assert!(
        !hazard_kinds(&with.report()).contains(&"no_lock_timeout".to_string()),
        "{}",
        with.stdout
    );
}

#[test]
fn a_workload_query_that_fails_every_time_fails_the_observation() {
    let dir = scenario_over_reserved_words(
        "[workload]\nclients = 1\nrate = 200\n[[workload.queries]]\nname = \"typo\"\nsql = \"SELECT * FROM \\\"ordr\\\"\"\n",
    );
    let run = rehearse_local(dir.path(), &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.report();
    let findings = report["migrations"][0]["findings"].to_string();
    assert!(
        findings.contains("not_observed")
            && findings.contains("\\\"typo\\\" failed every time")
            && findings.contains("does not exist"),
        "{findings}"
    );
}

/// A migrations folder whose V002 writes `marker` (through the server) and then sleeps: the test
/// knows the statement is running when the marker appears.
fn sleeping_migration(marker: &std::path::Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path();
    std::fs::write(m.join("V001__create_t.sql"), "CREATE TABLE t (id int);\n").unwrap();
    std::fs::write(m.join("V001__create_t_rollback.sql"), "DROP TABLE t;\n").unwrap();
    std::fs::write(
        m.join("V002__sleep.sql"),
        format!(
            "COPY (SELECT 'running') TO '{}';\nSELECT pg_sleep(60);\n",
            marker.display()
        ),
    )
    .unwrap();
    std::fs::write(m.join("V002__sleep_rollback.sql"), "SELECT 1;\n").unwrap();
    dir
}

/// The pids of `parent`'s children named `name`.
fn children(parent: u32, name: &str) -> Vec<i32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // pid (comm) state ppid ...
        let Some((comm, rest)) = stat.split_once(") ") else {
            continue;
        };
        let ppid = rest
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse::<u32>().ok());
        if ppid == Some(parent) && comm.ends_with(&format!("({name}")) {
            out.push(pid);
        }
    }
    out
}

#[test]
fn a_server_killed_mid_migration_is_an_environment_failure_not_the_migrations() {
    use std::time::{Duration, Instant};
    // The server runs as an unprivileged user: the marker's folder must be open to it.
    let shared = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        shared.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .unwrap();
    let marker = shared.path().join("running");
    let migrations = sleeping_migration(&marker);
    let out = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(common::binary())
        .args(["run", migrations.path().to_str().unwrap()])
        .args(["--provider", "local", "--baseline", "001", "--out"])
        .arg(out.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !marker.exists() {
        assert!(
            Instant::now() < deadline && child.try_wait().unwrap().is_none(),
            "the migration never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let postmaster = children(child.id(), "postgres");
    assert_eq!(postmaster.len(), 1, "one server, started by rehearse");
    unsafe { libc::kill(postmaster[0], libc::SIGKILL) };

    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.contains("V002__sleep.sql, line 2: not the migration's fault")
            && last.contains("does not answer any more"),
        "{stderr}"
    );
    assert!(!stderr.contains("Fix the statement"), "{stderr}");
    // What finished is not lost: the partial report says what stopped the run, and where.
    assert!(stderr.contains("partial report"), "{stderr}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("report.json")).unwrap())
            .unwrap();
    assert_eq!(report["verdict"], "interrupted", "{report}");
    let running = &report["migrations"][0];
    assert_eq!(running["id"], "002", "{report}");
    assert_eq!(running["verdict"], "interrupted", "{report}");
    assert_eq!(
        running["findings"][0]["kind"], "environment_failed",
        "{report}"
    );
    let why = report["findings"].as_array().unwrap().last().unwrap()["message"]
        .as_str()
        .unwrap();
    assert!(why.contains("an environment failure ("), "{why}");
    assert!(out.path().join("junit.xml").is_file());
}

/// A small tmpfs, unmounted on drop.
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    fn mount(megabytes: u32) -> Option<SmallDisk> {
        let dir = std::env::temp_dir().join(format!("rehearse-small-disk-{}", std::process::id()));
        std::fs::create_dir_all(&dir).ok()?;
        let ok = std::process::Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={megabytes}M,mode=1777"),
                "tmpfs",
            ])
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(SmallDisk(dir))
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
        let _ = std::fs::remove_dir(&self.0);
    }
}

#[test]
fn a_full_disk_is_an_environment_failure_that_says_so() {
    let Some(disk) = SmallDisk::mount(100) else {
        assert!(
            !common::in_ci(),
            "CI must be able to mount a tmpfs (run as root)"
        );
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    };
    let migrations = tempfile::tempdir().unwrap();
    let m = migrations.path();
    std::fs::write(
        m.join("V001__create_big.sql"),
        "CREATE TABLE big (id int, pad text);\n",
    )
    .unwrap();
    std::fs::write(m.join("V001__create_big_rollback.sql"), "DROP TABLE big;\n").unwrap();
    std::fs::write(
        m.join("V002__fill.sql"),
        "INSERT INTO big SELECT g, repeat(md5(g::text), 30) FROM generate_series(1, 400000) g;\n",
    )
    .unwrap();
    std::fs::write(m.join("V002__fill_rollback.sql"), "TRUNCATE big;\n").unwrap();
    let out = tempfile::tempdir().unwrap();
    // The local provider's data folder goes where TMPDIR says: on the small disk.
    let output = std::process::Command::new(common::binary())
        .args(["run", m.to_str().unwrap()])
        .args(["--provider", "local", "--baseline", "001", "--out"])
        .arg(out.path())
        .env("TMPDIR", &disk.0)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("rehearse: V002__fill.sql, line 1: not the migration's fault: the rehearsal server's disk is full")
            && last.contains("No space left on device"),
        "{stderr}"
    );
}

#[test]
fn a_reader_that_closes_stderr_early_does_not_crash_the_run() {
    // `rehearse run … 2>&1 | head -1`: the pipe closes after the first line, and every later
    // line meets a broken pipe. The run must still end with its own exit code and clean up.
    let out = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_rehearse"))
        .args(["run"])
        .arg(fixture("rehearsals/seed_points"))
        .args(["--provider", "local", "--out"])
        .arg(out.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    let status = child.wait().unwrap();
    // seed_points fails one migration on purpose: exit 1, never a panic's 101.
    assert_eq!(status.code(), Some(1), "{status}");
    assert!(out.path().join("report.json").is_file());
}
