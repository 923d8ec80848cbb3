//! A password given in a connection URL appears in no report, log line or error message.
//!
//! The test starts a local PostgreSQL that demands the password (scram-sha-256 on TCP), then runs
//! the real binary with the password in --url: a passing rehearsal, a failing one, a wrong
//! password and a URL that cannot be parsed. Every file written and all of stdout and stderr are
//! searched for the password.

mod common;

use common::*;
use rehearse::provision::{self, Database, DatabaseRequest, ProviderChoice};

const PASSWORD: &str = "Tr1cky-Pa55w0rd-rehearse";
const WRONG: &str = "Wr0ng-Pa55w0rd-rehearse";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A local server whose TCP connections need `PASSWORD`.
fn server_with_password(rt: &tokio::runtime::Runtime) -> Database {
    let server = rt
        .block_on(provision::provision(&DatabaseRequest {
            provider: ProviderChoice::Local,
            ..Default::default()
        }))
        .expect("a local PostgreSQL starts");
    rt.block_on(async {
        let client = server.connection.connect().await.unwrap();
        let user = &server.connection.user;
        client
            .batch_execute(&format!(
                "SET password_encryption = 'scram-sha-256'; ALTER ROLE \"{user}\" PASSWORD '{PASSWORD}'"
            ))
            .await
            .unwrap();
        let hba: String = client
            .query_one("SHOW hba_file", &[])
            .await
            .unwrap()
            .get(0);
        std::fs::write(
            &hba,
            "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\nhost all all ::1/128 scram-sha-256\n",
        )
        .unwrap();
        client.batch_execute("SELECT pg_reload_conf()").await.unwrap();
    });
    server
}

fn url(server: &Database, password: &str) -> String {
    let c = &server.connection;
    format!(
        "postgresql://{}:{password}@127.0.0.1:{}/postgres",
        c.user, c.port
    )
}

/// Every place the password could end up: stdout, stderr, and every file under the output folder.
fn assert_no_password(run: &Run, secret: &str) {
    assert!(
        !run.stdout.contains(secret),
        "the password is in stdout:\n{}",
        run.stdout
    );
    assert!(
        !run.stderr.contains(secret),
        "the password is in stderr:\n{}",
        run.stderr
    );
    let mut stack = vec![run.out.path().to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                let text = String::from_utf8_lossy(&bytes);
                assert!(
                    !text.contains(secret),
                    "the password is in {}",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn the_password_in_a_url_is_in_no_report_log_or_error() {
    let rt = runtime();
    let server = server_with_password(&rt);

    // The server really demands it: the wrong password is refused.
    let refused = rt.block_on(async {
        let config: tokio_postgres::Config = url(&server, WRONG).parse().unwrap();
        config.connect(tokio_postgres::NoTls).await.err()
    });
    assert!(
        refused.is_some(),
        "the server accepted a wrong password: the test proves nothing"
    );

    let passing = rehearse(&[
        "run",
        repo().join("scenarios/quickstart").to_str().unwrap(),
        "--provider",
        "url",
        "--url",
        &url(&server, PASSWORD),
    ]);
    assert_eq!(
        passing.code, 0,
        "stdout: {}\nstderr: {}",
        passing.stdout, passing.stderr
    );
    let written: Vec<_> = std::fs::read_dir(passing.out.path()).unwrap().collect();
    assert!(
        written.len() >= 4,
        "expected report.json, .md, .html and junit.xml"
    );
    assert_no_password(&passing, PASSWORD);

    let failing = rehearse(&[
        "run",
        fixture("rehearsals/forward_fails").to_str().unwrap(),
        "--provider",
        "url",
        "--url",
        &url(&server, PASSWORD),
    ]);
    assert_eq!(failing.code, 1, "stderr: {}", failing.stderr);
    assert_no_password(&failing, PASSWORD);

    let wrong = rehearse(&[
        "run",
        repo().join("scenarios/quickstart").to_str().unwrap(),
        "--provider",
        "url",
        "--url",
        &url(&server, WRONG),
    ]);
    assert_eq!(
        wrong.code, 3,
        "stdout: {}\nstderr: {}",
        wrong.stdout, wrong.stderr
    );
    assert!(
        !wrong.stderr.trim().is_empty(),
        "a refused connection must say so"
    );
    // The server's reason, not tokio-postgres' bare "db error".
    let expected = format!(
        "password authentication failed for user \"{}\"",
        server.connection.user
    );
    assert!(
        wrong.stderr.contains(&expected) && !wrong.stderr.contains("db error"),
        "{}",
        wrong.stderr
    );
    assert_no_password(&wrong, WRONG);

    // The same through the environment variable.
    let out = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(binary())
        .args([
            "run",
            repo().join("scenarios/quickstart").to_str().unwrap(),
            "--provider",
            "url",
            "--out",
        ])
        .arg(out.path())
        .env("REHEARSE_URL", url(&server, PASSWORD))
        .output()
        .unwrap();
    let env_run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        out,
    };
    assert_eq!(env_run.code, 0, "stderr: {}", env_run.stderr);
    assert_no_password(&env_run, PASSWORD);
}

#[test]
fn a_url_that_cannot_be_used_is_reported_without_its_password() {
    for bad in [
        format!("postgresql://app:{PASSWORD}@127.0.0.1:notaport/postgres"),
        format!("postgresql://app:{PASSWORD}@db.example.com:5432/app"),
        format!("postgresql://app:{PASSWORD}@127.0.0.1:1/postgres"),
    ] {
        let run = rehearse(&[
            "run",
            repo().join("scenarios/quickstart").to_str().unwrap(),
            "--provider",
            "url",
            "--url",
            &bad,
        ]);
        assert_ne!(run.code, 0, "{bad} was accepted");
        assert!(!run.stderr.trim().is_empty(), "{bad}: no error message");
        assert_no_password(&run, PASSWORD);
    }
}
