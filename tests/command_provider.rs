//! `provider = "command"`: the scenario's create command starts a container from this project's
//! own PostgreSQL image (tests/fixtures/command_provider/create.sh) and prints its URL; destroy
//! removes it, on success, on failure, on a timeout and on SIGINT. The URL's password never
//! reaches the output or the reports.

mod common;

use common::*;
use std::path::Path;
use std::process::Command;

const IMAGE: &str = "rehearse/postgres:17";
const PASSWORD: &str = "s3cret-pw";

/// True when Docker answers and has the image; in CI a missing one fails instead.
fn docker_ready() -> bool {
    let ok = Command::new("docker")
        .args(["image", "inspect", IMAGE])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        assert!(!in_ci(), "CI=true: {IMAGE} must be present (images/postgres/build.sh 17)");
        eprintln!("skipping: Docker or {IMAGE} is not available");
    }
    ok
}

struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
    out: tempfile::TempDir,
    destroyed: String,
}

/// `rehearse run SCENARIO` with the destroy log in a temp file.
fn run(scenario: &str) -> Outcome {
    let out = tempfile::tempdir().unwrap();
    let log = out.path().join("destroyed.log");
    let output = Command::new(binary())
        .arg("run")
        .arg(fixture("command_provider").join(scenario))
        .arg("--out")
        .arg(out.path().join("reports"))
        .env("REHEARSE_DESTROY_LOG", &log)
        .env("REHEARSE_COMMAND_IMAGE", IMAGE)
        .output()
        .unwrap();
    Outcome {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        destroyed: std::fs::read_to_string(&log).unwrap_or_default(),
        out,
    }
}

/// Containers create.sh started for `run_id` that still exist.
fn left_behind(run_id: &str) -> String {
    let out = Command::new("docker")
        .args(["ps", "-aq", "--filter"])
        .arg(format!("name=rehearse-command-{run_id}"))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn files_hold(dir: &Path, needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        if text.contains(needle) {
            found.push(entry.path().display().to_string());
        }
    }
    found
}

#[test]
fn a_database_the_create_command_made_is_rehearsed_on_and_destroyed() {
    if !docker_ready() {
        return;
    }
    let run = run("rehearse.toml");
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(run.out.path().join("reports/report.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(report["database"]["provider"], "command");
    assert!(
        report["database"]["server_version"]
            .as_str()
            .unwrap()
            .starts_with("17."),
        "{}",
        report["database"]
    );
    assert_eq!(report["verdict"], "pass");
    assert_eq!(report["migrations"].as_array().unwrap().len(), 3);
    // destroy ran once, knew the URL, and the container is gone.
    let lines: Vec<&str> = run.destroyed.lines().collect();
    assert_eq!(lines.len(), 1, "{}", run.destroyed);
    let (run_id, with_url) = lines[0].split_once(' ').unwrap();
    assert_eq!(with_url, "with-url");
    assert_eq!(left_behind(run_id), "");
    // The password is nowhere a user or a CI log would see it.
    assert!(!run.stdout.contains(PASSWORD) && !run.stderr.contains(PASSWORD));
    assert_eq!(
        files_hold(&run.out.path().join("reports"), PASSWORD),
        Vec::<String>::new()
    );
}

#[test]
fn an_interrupted_run_still_destroys_the_database() {
    if !docker_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("destroyed.log");
    let scenario = fixture("command_provider/rehearse.toml");
    let running = start_until_provisioned(
        &["run", scenario.to_str().unwrap()],
        &[("REHEARSE_DESTROY_LOG", &log)],
    );
    let code = running.interrupt();
    assert_eq!(code, Some(130));
    let destroyed = std::fs::read_to_string(&log).unwrap_or_default();
    let lines: Vec<&str> = destroyed.lines().collect();
    assert_eq!(lines.len(), 1, "destroy ran {} times", lines.len());
    let run_id = lines[0].split(' ').next().unwrap();
    assert_eq!(left_behind(run_id), "");
}

#[test]
fn a_create_command_past_its_timeout_is_stopped_and_destroy_still_runs() {
    let run = run("slow.toml");
    assert_eq!(run.code, 3, "stderr: {}", run.stderr);
    assert!(
        run.stderr
            .contains("the create command (sleep 60) did not finish within 1s and was stopped"),
        "{}",
        run.stderr
    );
    assert_eq!(run.destroyed.lines().count(), 1, "{}", run.destroyed);
    // No URL was printed, so destroy had none.
    assert!(!run.destroyed.contains("with-url"));
}

#[test]
fn a_create_command_that_prints_no_url_is_one_sentence() {
    let run = run("silent.toml");
    assert_eq!(run.code, 3, "stderr: {}", run.stderr);
    assert!(
        run.stderr.contains(
            "the create command (echo made it) printed no postgresql:// URL on the last line of its stdout"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(run.destroyed.lines().count(), 1);
}
