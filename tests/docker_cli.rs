//! The binary on the docker provider: the quickstart on PostgreSQL 15, 17 and 18 from the locally
//! built images, and SIGINT during a rehearsal leaving no container behind.
//!
//! Without Docker or an image these tests skip and say why, except when `CI=true`, where they fail.

mod common;

use common::*;
use std::process::Command;

fn test_image(major: u32) -> String {
    std::env::var(format!("REHEARSE_TEST_IMAGE_{major}"))
        .unwrap_or_else(|_| format!("rehearse/postgres:{major}"))
}

/// The image when Docker has it; None (after saying why) when the test may skip.
fn image_or_skip(major: u32) -> Option<String> {
    let image = test_image(major);
    let present = Command::new("docker")
        .args(["image", "inspect", &image])
        .output()
        .map(|o| o.status.success());
    match present {
        Ok(true) => Some(image),
        _ if in_ci() => panic!("CI=true, so docker tests may not skip: image {image} is not available (images/postgres/build.sh {major})"),
        _ => {
            eprintln!("skipping: image {image} is not available; build it with images/postgres/build.sh {major}");
            None
        }
    }
}

fn quickstart_on_docker(major: u32) {
    let Some(image) = image_or_skip(major) else {
        return;
    };
    let quickstart = repo().join("scenarios/quickstart");
    let major_text = major.to_string();
    let run = rehearse(&[
        "run",
        quickstart.to_str().unwrap(),
        "--provider",
        "docker",
        "--image",
        &image,
        "--pg-version",
        &major_text,
    ]);
    assert_eq!(
        run.code, 0,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let report = run.report();
    assert_eq!(report["verdict"], "pass");
    assert_eq!(report["database"]["provider"], "docker");
    let version = report["database"]["server_version"].as_str().unwrap();
    assert!(
        version.starts_with(&format!("{major}.")),
        "server_version {version} is not PostgreSQL {major}"
    );
    let migrations = report["migrations"].as_array().unwrap();
    assert_eq!(migrations.len(), 2);
    for m in migrations {
        assert_eq!(m["verdict"], "pass");
        assert!(m["forward"]["duration_ms"].as_f64().unwrap() > 0.0);
        assert!(!m["forward"]["statements"].as_array().unwrap().is_empty());
    }
}

#[test]
fn quickstart_passes_on_docker_postgres_15() {
    quickstart_on_docker(15);
}

#[test]
fn quickstart_passes_on_docker_postgres_17() {
    quickstart_on_docker(17);
}

#[test]
fn quickstart_passes_on_docker_postgres_18() {
    quickstart_on_docker(18);
}

#[test]
fn postgresql_18_syntax_passes_on_the_18_image() {
    let Some(image) = image_or_skip(18) else {
        return;
    };
    let folder = fixture("formats/needs_pg18");
    let run = rehearse(&[
        "run",
        folder.to_str().unwrap(),
        "--provider",
        "docker",
        "--image",
        &image,
    ]);
    assert_eq!(
        run.code, 0,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let report = run.report();
    assert!(report["database"]["server_version"]
        .as_str()
        .unwrap()
        .starts_with("18."));
    assert_eq!(report["migrations"][1]["name"], "add_title_search");
    assert_eq!(report["migrations"][1]["verdict"], "pass");
}

/// Containers whose run label belongs to process `pid`.
fn containers_of_process(pid: u32) -> Vec<String> {
    let out = Command::new("docker")
        .args([
            "ps",
            "-a",
            "--filter",
            "label=rehearse.run",
            "--format",
            "{{.ID}} {{.Label \"rehearse.run\"}}",
        ])
        .output()
        .expect("docker runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| {
            l.split_whitespace()
                .nth(1)
                .is_some_and(|label| label.starts_with(&format!("{pid}-")))
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn sigint_during_a_docker_rehearsal_leaves_no_container() {
    let Some(image) = image_or_skip(15) else {
        return;
    };
    let slow = fixture("rehearsals/slow_forward");
    let running = start_until_provisioned(
        &[
            "run",
            slow.to_str().unwrap(),
            "--provider",
            "docker",
            "--image",
            &image,
        ],
        &[],
    );
    let pid = running.child.id();
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(
        containers_of_process(pid).len(),
        1,
        "the rehearsal's container runs"
    );

    assert_eq!(running.interrupt(), Some(130));
    let left = containers_of_process(pid);
    assert!(left.is_empty(), "containers left behind: {left:?}");
}
