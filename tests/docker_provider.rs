//! The docker provider against real containers from the locally built images
//! (`images/postgres/build.sh 15`, `17` and `18`).
//!
//! Without Docker or an image these tests skip and print why, except when `CI=true`: there a
//! skip would hide a broken provider, so they fail instead.

use rehearse::provision::{
    self, cleanup, docker, DatabaseRequest, ProviderChoice, ProviderKind, ProvisionError,
};
use std::process::Command;

/// The images under test, in one place.
fn test_image(major: u32) -> String {
    std::env::var(format!("REHEARSE_TEST_IMAGE_{major}"))
        .unwrap_or_else(|_| format!("rehearse/postgres:{major}"))
}

/// An image name that no machine has and no registry serves.
const ABSENT_IMAGE: &str = "rehearse-test-absent/postgres:15";

/// Under `cargo test` these tests share one process, hence one run label and one DOCKER_HOST
/// (which a test changes): they take turns. Under nextest each is a process of its own.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The image when Docker answers and has it; None (after saying why) when the test must skip.
async fn image_or_skip(major: u32) -> Option<String> {
    let image = test_image(major);
    match docker::availability(&image).await {
        Ok(()) => Some(image),
        Err(why) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI=true, so the docker provider's tests may not skip: {why}")
        }
        Err(why) => {
            eprintln!("skipping: {why} (build it with images/postgres/build.sh {major}, or set REHEARSE_TEST_IMAGE_{major})");
            None
        }
    }
}

fn docker_cli(args: &[&str]) -> String {
    let out = Command::new("docker")
        .args(args)
        .output()
        .expect("the docker command runs");
    assert!(
        out.status.success(),
        "docker {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Containers of this test process (each nextest test is a process: one run label each).
fn containers_of_this_run() -> Vec<String> {
    let filter = format!("label={}={}", docker::RUN_LABEL, docker::run_id());
    docker_cli(&["ps", "-aq", "--no-trunc", "--filter", &filter])
        .lines()
        .map(String::from)
        .collect()
}

fn request(image: &str, major: u32) -> DatabaseRequest {
    DatabaseRequest {
        provider: ProviderChoice::Docker,
        image: Some(image.to_string()),
        major: Some(major),
        ..Default::default()
    }
}

async fn starts_answers_and_is_removed_on_drop(major: u32) {
    let _lock = ONE_AT_A_TIME.lock().await;
    let Some(image) = image_or_skip(major).await else {
        return;
    };
    let db = provision::provision(&request(&image, major))
        .await
        .expect("the docker provider starts");
    assert_eq!(db.kind, ProviderKind::Docker);
    assert!(
        db.server_version.starts_with(&format!("{major}.")),
        "{image} reports server_version {}",
        db.server_version
    );
    assert_eq!(db.connection.host, "127.0.0.1");
    let client = db.connection.connect().await.unwrap();
    let one: i32 = client.query_one("SELECT 1", &[]).await.unwrap().get(0);
    assert_eq!(one, 1);
    let containers = containers_of_this_run();
    assert_eq!(containers.len(), 1);
    // The data folder is a volume, not the container's (possibly slow) storage-driver layer.
    let data_directory: String = client
        .query_one("SELECT current_setting('data_directory')", &[])
        .await
        .unwrap()
        .get(0);
    let mounts = docker_cli(&["inspect", "-f", "{{json .Mounts}}", &containers[0]]);
    let mounts: Vec<serde_json::Value> = serde_json::from_str(&mounts).unwrap();
    let volume = mounts
        .iter()
        .find(|m| m["Type"] == "volume" && m["Destination"] == data_directory.as_str())
        .and_then(|m| m["Name"].as_str())
        .unwrap_or_else(|| panic!("{data_directory} is not on a volume: {mounts:?}"))
        .to_string();
    assert!(!docker_cli(&["volume", "ls", "-q", "--filter", &format!("name={volume}")]).is_empty());
    drop(client);
    drop(db);
    assert!(
        containers_of_this_run().is_empty(),
        "the container outlived its Database"
    );
    assert_eq!(
        docker_cli(&["volume", "ls", "-q", "--filter", &format!("name={volume}")]),
        "",
        "the data volume outlived its container"
    );
}

#[tokio::test]
async fn postgres_15_starts_answers_and_is_removed_on_drop() {
    starts_answers_and_is_removed_on_drop(15).await;
}

#[tokio::test]
async fn postgres_17_starts_answers_and_is_removed_on_drop() {
    starts_answers_and_is_removed_on_drop(17).await;
}

#[tokio::test]
async fn postgres_18_starts_answers_and_is_removed_on_drop() {
    starts_answers_and_is_removed_on_drop(18).await;
}

#[tokio::test]
async fn settings_limits_labels_and_loopback_port_reach_the_container() {
    let _lock = ONE_AT_A_TIME.lock().await;
    let Some(image) = image_or_skip(15).await else {
        return;
    };
    let db = provision::provision(&DatabaseRequest {
        settings: vec![
            ("work_mem".into(), "12MB".into()),
            ("statement_timeout".into(), "42s".into()),
        ],
        cpus: Some(1.5),
        memory_bytes: Some(512 * 1024 * 1024),
        ..request(&image, 15)
    })
    .await
    .expect("the docker provider starts");
    let client = db.connection.connect().await.unwrap();
    for (setting, expected) in [("work_mem", "12MB"), ("statement_timeout", "42s")] {
        let row = client
            .query_one(&format!("SHOW {setting}"), &[])
            .await
            .unwrap();
        assert_eq!(row.get::<_, String>(0), expected, "SHOW {setting}");
    }

    let ids = containers_of_this_run();
    assert_eq!(ids.len(), 1);
    let inspected = docker_cli(&[
        "inspect",
        "-f",
        "{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}} {{index .Config.Labels \"rehearse\"}} {{(index (index .NetworkSettings.Ports \"5432/tcp\") 0).HostIp}}",
        &ids[0],
    ]);
    assert_eq!(
        inspected,
        format!("1500000000 {} 1 127.0.0.1", 512 * 1024 * 1024)
    );
    // The password is random and never part of what the run prints.
    let password = db.connection.password.clone().unwrap();
    assert!(password.len() >= 32);
    assert!(!db.connection.redacted().contains(&password));
    assert!(!db.reason.contains(&password));
    drop(client);
    drop(db);
    assert!(containers_of_this_run().is_empty());
}

#[tokio::test]
async fn container_that_exits_at_startup_is_failed_and_removed() {
    let _lock = ONE_AT_A_TIME.lock().await;
    let Some(image) = image_or_skip(15).await else {
        return;
    };
    let outcome = provision::provision(&DatabaseRequest {
        settings: vec![("no_such_setting".into(), "1".into())],
        ..request(&image, 15)
    })
    .await;
    match outcome {
        Err(ProvisionError::Failed(message)) => {
            assert!(message.contains("exited before it answered"), "{message}");
            assert!(message.contains("no_such_setting"), "{message}");
        }
        Err(other) => panic!("expected Failed, got {other:?}"),
        Ok(_) => panic!("a server with an unknown setting started"),
    }
    assert!(containers_of_this_run().is_empty());
}

#[tokio::test]
async fn container_is_removed_when_its_owner_panics() {
    let _lock = ONE_AT_A_TIME.lock().await;
    let Some(image) = image_or_skip(15).await else {
        return;
    };
    let task = tokio::spawn(async move {
        let _db = provision::provision(&request(&image, 15)).await.unwrap();
        assert_eq!(containers_of_this_run().len(), 1);
        panic!("a rehearsal step panics while the database is up");
    });
    assert!(task.await.unwrap_err().is_panic());
    assert!(containers_of_this_run().is_empty());
}

#[tokio::test]
async fn signal_path_release_all_removes_the_container() {
    let _lock = ONE_AT_A_TIME.lock().await;
    let Some(image) = image_or_skip(15).await else {
        return;
    };
    let db = provision::provision(&request(&image, 15)).await.unwrap();
    assert_eq!(containers_of_this_run().len(), 1);
    // What the SIGINT/SIGTERM handler calls before it exits.
    tokio::task::spawn_blocking(cleanup::release_all)
        .await
        .unwrap();
    assert!(containers_of_this_run().is_empty());
    drop(db);
}

#[tokio::test]
async fn missing_image_is_unavailable_with_one_sentence() {
    let _lock = ONE_AT_A_TIME.lock().await;
    if image_or_skip(15).await.is_none() {
        return;
    }
    let outcome = provision::provision(&request(ABSENT_IMAGE, 15)).await;
    match outcome {
        Err(ProvisionError::Unavailable(message)) => assert!(
            message.starts_with(&format!(
                "image {ABSENT_IMAGE} is not present and could not be pulled (no registry?): "
            )),
            "{message}"
        ),
        Err(other) => panic!("expected Unavailable, got {other:?}"),
        Ok(_) => panic!("{ABSENT_IMAGE} started"),
    }
    assert!(containers_of_this_run().is_empty());
}

#[tokio::test]
async fn daemon_that_does_not_answer_is_unavailable() {
    let _lock = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("no-daemon.sock");
    std::env::set_var("DOCKER_HOST", format!("unix://{}", socket.display()));
    let outcome = provision::provision(&request(&test_image(15), 15)).await;
    std::env::remove_var("DOCKER_HOST");
    match outcome {
        Err(ProvisionError::Unavailable(message)) => {
            assert!(
                message.starts_with("Docker does not answer at unix://"),
                "{message}"
            )
        }
        Err(other) => panic!("expected Unavailable, got {other:?}"),
        Ok(_) => panic!("a database started without a daemon"),
    }
}

#[tokio::test]
async fn auto_picks_docker_when_the_image_is_present() {
    let _lock = ONE_AT_A_TIME.lock().await;
    let Some(image) = image_or_skip(15).await else {
        return;
    };
    let db = provision::provision(&DatabaseRequest {
        provider: ProviderChoice::Auto,
        ..request(&image, 15)
    })
    .await
    .unwrap();
    assert_eq!(db.kind, ProviderKind::Docker, "{}", db.reason);
    assert!(db.reason.contains(&image), "{}", db.reason);
}

#[tokio::test]
async fn auto_falls_back_to_local_when_the_image_is_absent_and_says_why() {
    let _lock = ONE_AT_A_TIME.lock().await;
    if image_or_skip(15).await.is_none() {
        return;
    }
    let db = provision::provision(&DatabaseRequest {
        provider: ProviderChoice::Auto,
        ..request(ABSENT_IMAGE, 15)
    })
    .await
    .expect("auto falls back to the local provider");
    assert_eq!(db.kind, ProviderKind::Local);
    assert!(
        db.reason.contains(&format!(
            "image {ABSENT_IMAGE} is not present and could not be pulled"
        )),
        "{}",
        db.reason
    );
    assert!(containers_of_this_run().is_empty());
}

/// The child half of a signal test (`REHEARSE_SIGNAL_CHILD` set): holds a database under the
/// binary's signal handlers until a signal ends the process.
fn hold_a_database_until_signalled() -> ! {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        cleanup::install_signal_handlers();
        let image = test_image(15);
        let _db = provision::provision(&request(&image, 15)).await.unwrap();
        println!("READY {}", docker::run_id());
        tokio::time::sleep(std::time::Duration::from_secs(120)).await;
    });
    panic!("no signal arrived within 120s");
}

/// A signal test: run as itself (`name`) in a child process that holds a database, signal the
/// child, and find its container gone. In the child, the same test holds the database.
fn signal_test(name: &str, signal: i32, expected_code: i32) {
    if std::env::var_os("REHEARSE_SIGNAL_CHILD").is_some() {
        hold_a_database_until_signalled();
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(signal_removes_the_container(name, signal, expected_code));
}

async fn signal_removes_the_container(name: &str, signal: i32, expected_code: i32) {
    use std::io::BufRead;
    use std::os::unix::process::ExitStatusExt;
    let _lock = ONE_AT_A_TIME.lock().await;
    if image_or_skip(15).await.is_none() {
        return;
    }
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--nocapture"])
        .env("REHEARSE_SIGNAL_CHILD", "1")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let run_id = stdout
        .lines()
        .map_while(Result::ok)
        .find_map(|line| line.strip_prefix("READY ").map(String::from))
        .expect("the child reports its database");
    let filter = format!("label={}={run_id}", docker::RUN_LABEL);
    let running = || docker_cli(&["ps", "-aq", "--filter", &filter]);
    assert!(!running().is_empty(), "the child's container is not there");

    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(child.id() as i32, signal) };
    let status = child.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(expected_code),
        "the child ended with {status:?} (signal {:?})",
        status.signal()
    );
    assert!(
        running().is_empty(),
        "the container outlived its interrupted process"
    );
}

#[test]
fn sigint_removes_the_container() {
    signal_test("sigint_removes_the_container", libc::SIGINT, 130);
}

#[test]
fn sigterm_removes_the_container() {
    signal_test("sigterm_removes_the_container", libc::SIGTERM, 143);
}

#[tokio::test]
async fn default_image_is_postgres_of_the_major_which_the_offline_build_provides() {
    let _lock = ONE_AT_A_TIME.lock().await;
    let default = DatabaseRequest {
        provider: ProviderChoice::Docker,
        major: Some(17),
        ..Default::default()
    };
    assert_eq!(docker::image_for(&default), "postgres:17");
    assert_eq!(
        docker::image_for(&DatabaseRequest::default()),
        "postgres:15"
    );
    if std::env::var_os("REHEARSE_TEST_IMAGE_17").is_some() || image_or_skip(17).await.is_none() {
        return;
    }
    // build.sh tags postgres:17 too, so the default name needs no registry.
    let db = provision::provision(&default).await.unwrap();
    assert!(
        db.server_version.starts_with("17."),
        "{}",
        db.server_version
    );
}
