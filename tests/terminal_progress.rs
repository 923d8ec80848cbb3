//! On a terminal a running step shows a spinner with its elapsed time; in a log (no terminal)
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
