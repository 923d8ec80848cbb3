//! Providers seen from the command line: the url provider's scratch database, and interruption
//! of a running rehearsal leaving nothing behind.

mod common;

use common::*;
use rehearse::provision::{self, DatabaseRequest, ProviderChoice};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn url_provider_rehearses_in_a_scratch_database_and_drops_it() {
    let rt = runtime();
    let server = rt
        .block_on(provision::provision(&DatabaseRequest {
            provider: ProviderChoice::Local,
            ..Default::default()
        }))
        .unwrap();
    let url = server.connection.url();
    let run = rehearse(&[
        "run",
        repo().join("scenarios/quickstart").to_str().unwrap(),
        "--provider",
        "url",
        "--url",
        &url,
    ]);
    assert_eq!(
        run.code, 0,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let report = run.report();
    assert_eq!(report["verdict"], "pass");
    assert_eq!(report["database"]["provider"], "url");
    assert_eq!(report["migrations"].as_array().unwrap().len(), 2);

    let leftovers: i64 = rt.block_on(async {
        let client = server.connection.connect().await.unwrap();
        // The target database itself was never touched, and no scratch database remains.
        let tables: i64 = client
            .query_one(
                "SELECT count(*) FROM pg_tables WHERE tablename = 'users'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(tables, 0);
        client
            .query_one(
                "SELECT count(*) FROM pg_database WHERE datname LIKE 'rehearse_scratch_%'",
                &[],
            )
            .await
            .unwrap()
            .get(0)
    });
    assert_eq!(leftovers, 0);
}

#[test]
fn url_provider_refuses_a_target_that_is_not_clearly_disposable() {
    let run = rehearse(&[
        "run",
        repo().join("scenarios/quickstart").to_str().unwrap(),
        "--provider",
        "url",
        "--url",
        "postgresql://app:hunter2@db.example.com:5432/app",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("refusing to rehearse on postgresql://app@db.example.com:5432/app"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--allow-non-disposable"));
    assert!(!run.stderr.contains("hunter2"));
}

#[test]
fn url_provider_refuses_a_production_name_even_on_loopback() {
    let rt = runtime();
    let server = rt
        .block_on(provision::provision(&DatabaseRequest {
            provider: ProviderChoice::Local,
            ..Default::default()
        }))
        .unwrap();
    rt.block_on(async {
        let client = server.connection.connect().await.unwrap();
        client
            .batch_execute("CREATE DATABASE app_prod")
            .await
            .unwrap();
    });
    let c = &server.connection;
    // An SSH tunnel to production looks like this.
    let url = format!("postgresql://{}@127.0.0.1:{}/app_prod", c.user, c.port);
    let quickstart = repo().join("scenarios/quickstart");
    let run = rehearse(&[
        "run",
        quickstart.to_str().unwrap(),
        "--provider",
        "url",
        "--url",
        &url,
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("its name says production (\"prod\")")
            && run.stderr.contains("tunnel")
            && run.stderr.contains("--allow-non-disposable"),
        "{}",
        run.stderr
    );
    let allowed = rehearse(&[
        "run",
        quickstart.to_str().unwrap(),
        "--provider",
        "url",
        "--url",
        &url,
        "--allow-non-disposable",
    ]);
    assert_eq!(allowed.code, 0, "{}", allowed.stderr);
}

#[test]
fn url_parameters_are_honoured_not_dropped() {
    let rt = runtime();
    let server = rt
        .block_on(provision::provision(&DatabaseRequest {
            provider: ProviderChoice::Local,
            ..Default::default()
        }))
        .unwrap();
    let c = &server.connection;
    // `options` reaches the server: a read-only session cannot create the scratch database.
    let url = format!(
        "postgresql://{}@127.0.0.1:{}/postgres?options=-c%20default_transaction_read_only%3Don&application_name=ci-rehearsal&connect_timeout=5",
        c.user, c.port
    );
    let run = rehearse(&[
        "run",
        repo().join("scenarios/quickstart").to_str().unwrap(),
        "--url",
        &url,
    ]);
    assert_eq!(
        run.code, 3,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    assert!(
        run.stderr.contains("read-only transaction"),
        "{}",
        run.stderr
    );
    // TLS asked of a server without it is never turned into plaintext: the server is
    // unavailable to that URL (exit 3), as it is to psql.
    let tls = rehearse(&[
        "run",
        repo().join("scenarios/quickstart").to_str().unwrap(),
        "--url",
        &format!(
            "postgresql://{}@127.0.0.1:{}/postgres?sslmode=require",
            c.user, c.port
        ),
    ]);
    assert_eq!(tls.code, 3, "{}", tls.stderr);
    assert!(tls.stderr.contains("does not support TLS"), "{}", tls.stderr);
}

/// Processes whose command line mentions `needle`.
fn processes_mentioning(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(cmd) = std::fs::read(entry.path().join("cmdline")) {
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            if cmd.contains(needle) {
                found.push(format!("{}: {cmd}", entry.file_name().to_string_lossy()));
            }
        }
    }
    found
}

#[test]
fn sigint_during_a_local_rehearsal_leaves_no_server_or_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let slow = fixture("rehearsals/slow_forward");
    let running = start_until_provisioned(
        &["run", slow.to_str().unwrap(), "--provider", "local"],
        &[("TMPDIR", tmp.path())],
    );
    // The server is up and the forward is sleeping inside it.
    std::thread::sleep(std::time::Duration::from_millis(500));
    let folder_count = std::fs::read_dir(tmp.path()).unwrap().count();
    assert_eq!(
        folder_count, 1,
        "the local provider's data folder is under TMPDIR"
    );
    assert!(
        !processes_mentioning(tmp.path().to_str().unwrap()).is_empty(),
        "a postgres process runs from TMPDIR"
    );

    assert_eq!(running.interrupt(), Some(130));
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    let procs = processes_mentioning(tmp.path().to_str().unwrap());
    assert!(procs.is_empty(), "still running: {procs:?}");
}
