//! On a terminal a running step shows a spinner with its elapsed time, and a long statement's
//! heartbeat on the spinner's line; in a log (no terminal)
//! there are only the plain lines. The terminal is a real pseudo-terminal, from `script`.

mod common;

use common::*;
use std::process::Command;

/// A folder with one migration whose forward takes most of a second.
fn slow_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("V1__slow.sql"),
        "CREATE TABLE t (id int);\nSELECT pg_sleep(0.8);\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("V1__slow_rollback.sql"), "DROP TABLE t;\n").unwrap();
    dir
}

#[test]
fn a_terminal_sees_a_spinner_with_the_elapsed_time_while_a_migration_runs() {
    let folder = slow_folder();
    let out = tempfile::tempdir().unwrap();
    let command = format!(
        "{} run {} --provider local --out {}",
        binary().display(),
        folder.path().display(),
        out.path().display()
    );
    let output = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env_remove("CI")
        .env("TERM", "xterm")
        .output()
        .expect("script (util-linux) runs");
    let screen = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{screen}");
    assert!(
        screen.contains("rehearse: 1 slow forward (0s)"),
        "no spinner line for the running forward: {screen}"
    );
    assert!(
        screen.contains("rehearse: 1 slow (1 of 1): forward "),
        "{screen}"
    );
}

#[test]
fn a_log_gets_only_plain_lines() {
    let folder = slow_folder();
    let run = rehearse_local(folder.path(), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("rehearse: 1 slow (1 of 1): forward "),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("slow forward (0s)"), "{}", run.stderr);
    assert!(
        !run.stderr.contains('\u{1b}'),
        "escape codes in a log: {}",
        run.stderr
    );
}

/// A folder whose second migration holds AccessExclusiveLock on `t` through a statement of
/// 2.5 s: with heartbeats every second (REHEARSE_HEARTBEAT_SECONDS, a test's knob; the default
/// is 10 s), it beats at least twice per direction.
fn long_statement_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        ("V1__create.sql", "CREATE TABLE t (id int);\n"),
        ("V1__create_rollback.sql", "DROP TABLE t;\n"),
        (
            "V2__long.sql",
            "ALTER TABLE t ADD COLUMN b int;\nSELECT pg_sleep(2.5);\n",
        ),
        ("V2__long_rollback.sql", "ALTER TABLE t DROP COLUMN b;\n"),
    ];
    for (name, sql) in files {
        std::fs::write(dir.path().join(name), sql).unwrap();
    }
    dir
}

#[test]
fn a_log_gets_a_line_when_a_migration_starts_and_heartbeats_during_a_long_statement() {
    let folder = long_statement_folder();
    let out = tempfile::tempdir().unwrap();
    let output = Command::new(binary())
        .args(["run", folder.path().to_str().unwrap(), "--provider", "local", "--out"])
        .arg(out.path())
        .env("REHEARSE_HEARTBEAT_SECONDS", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    let at = |needle: &str| lines.iter().position(|l| l.contains(needle));
    let started = at("rehearse: starting 2 long (2 of 2)").expect(&stderr);
    let beat = at("rehearse: 2 long forward: line 2 (SELECT pg_sleep(2.5)) running for ")
        .expect(&stderr);
    let ended = at("rehearse: 2 long (2 of 2): forward ").expect(&stderr);
    assert!(started < beat && beat < ended, "{stderr}");
    let beats: Vec<&&str> = lines
        .iter()
        .filter(|l| l.contains("2 long forward: line 2"))
        .collect();
    assert!(beats.len() >= 2, "{stderr}");
    for l in &beats {
        assert!(
            l.ends_with("holds AccessExclusiveLock on public.t, not waiting for a lock"),
            "{l}"
        );
    }
    // The redo beats too; the short statements (the ALTER, the rollback) never do.
    assert!(stderr.contains("2 long forward again: line 2"), "{stderr}");
    assert!(!stderr.contains("line 1 (ALTER"), "{stderr}");
    assert!(!stderr.contains("rollback: line"), "{stderr}");
}

#[test]
fn a_terminal_sees_the_heartbeat_on_the_spinner_line() {
    let folder = long_statement_folder();
    let out = tempfile::tempdir().unwrap();
    let command = format!(
        "{} run {} --provider local --out {}",
        binary().display(),
        folder.path().display(),
        out.path().display()
    );
    let output = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env_remove("CI")
        .env("TERM", "xterm")
        .env("REHEARSE_HEARTBEAT_SECONDS", "1")
        .output()
        .expect("script (util-linux) runs");
    let screen = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{screen}");
    assert!(
        screen.contains(
            "rehearse: 2 long forward: line 2 (SELECT pg_sleep(2.5)) running for 1"
        ) && screen.contains("holds AccessExclusiveLock on public.t, not waiting for a lock ("),
        "no heartbeat on the spinner line: {screen}"
    );
    assert!(screen.contains("rehearse: starting 2 long (2 of 2)"), "{screen}");
}

#[test]
fn a_heartbeat_says_when_the_statement_waits_for_a_lock() {
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("migrations");
    std::fs::create_dir(&migrations).unwrap();
    let files = [
        ("V1__create.sql", "CREATE TABLE t (id int);\n"),
        ("V2__add.sql", "ALTER TABLE t ADD COLUMN b int;\n"),
        ("V2__add_rollback.sql", "ALTER TABLE t DROP COLUMN b;\n"),
    ];
    for (name, sql) in files {
        std::fs::write(migrations.join(name), sql).unwrap();
    }
    // Another session holds ACCESS SHARE on t for 2.5 s of the forward: the ALTER queues.
    std::fs::write(
        dir.path().join("rehearse.toml"),
        "name = \"waits\"\n\n[migrations]\npath = \"migrations\"\nbaseline = \"1\"\n\n\
         [workload.long_transaction]\ntable = \"t\"\nmode = \"ACCESS SHARE\"\nseconds = 2.5\n",
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let output = Command::new(binary())
        .args(["run", dir.path().to_str().unwrap(), "--provider", "local", "--out"])
        .arg(out.path())
        .env("REHEARSE_HEARTBEAT_SECONDS", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(matches!(output.status.code(), Some(0 | 1)), "{stderr}");
    assert!(
        stderr.contains(
            "rehearse: 2 add forward: line 1 (ALTER TABLE t ADD COLUMN b int) running for 1"
        ) && stderr.contains("WAITING for a lock"),
        "{stderr}"
    );
}
