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

/// A password with a character that URLs percent-encode, so that both spellings are searched.
const ODD: &str = "Od4-S3cret!value";
const ODD_ENCODED: &str = "Od4-S3cret%21value";
const ODD_WRONG: &str = "N0t-The-S3cret!value";

/// One `rehearse` invocation in `dir` (its working folder, where `snapshot` and `profile`
/// write by default), with the environment given.
fn invoke(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut command = std::process::Command::new(binary());
    command.args(args).current_dir(dir).env("TMPDIR", dir);
    for (k, v) in env {
        command.env(k, v);
    }
    let output = command.output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Every byte of every file under `dir`.
fn files_under(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                found.push((path, bytes));
            }
        }
    }
    found
}

fn holds(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// One invocation: arguments, environment, the exit codes it may end with.
type Call = (Vec<String>, Vec<(&'static str, String)>, &'static [i32]);

/// The three ways a connection string carries a password.
fn url_forms(server: &Database, password: &str, encoded: &str) -> Vec<(&'static str, String)> {
    let c = &server.connection;
    vec![
        (
            "user:password@",
            format!(
                "postgresql://{}:{encoded}@127.0.0.1:{}/postgres",
                c.user, c.port
            ),
        ),
        (
            "?password=",
            format!(
                "postgresql://{}@127.0.0.1:{}/postgres?password={encoded}&application_name=x",
                c.user, c.port
            ),
        ),
        (
            "key=value",
            format!(
                "host=127.0.0.1 port={} user={} password='{password}' dbname=postgres",
                c.port, c.user
            ),
        ),
    ]
}

#[test]
fn every_command_in_every_url_form_keeps_the_password_in() {
    let rt = runtime();
    let server = server_with_password(&rt);
    rt.block_on(async {
        let mut admin = server.connection.clone();
        admin.password = Some(PASSWORD.into());
        let client = admin.connect().await.unwrap();
        let user = &server.connection.user;
        client
            .batch_execute(&format!(
                "SET password_encryption = 'scram-sha-256'; ALTER ROLE \"{user}\" PASSWORD '{ODD}';
                 CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL);
                 INSERT INTO accounts SELECT g, 'user' || g || '@example.com' FROM generate_series(1, 50) g;
                 ANALYZE accounts"
            ))
            .await
            .unwrap();
    });
    let quickstart = repo().join("scenarios/quickstart");
    let quickstart = quickstart.to_str().unwrap();
    let forward_fails = fixture("rehearsals/forward_fails");
    let forward_fails = forward_fails.to_str().unwrap();
    let mut leaks = Vec::new();
    let mut ran = 0;
    for (form, right) in url_forms(&server, ODD, ODD_ENCODED) {
        let wrong = url_forms(&server, ODD_WRONG, &ODD_WRONG.replace('!', "%21"))
            .into_iter()
            .find(|(f, _)| *f == form)
            .unwrap()
            .1;
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let snapshot_file = d.join("schema.json");
        let snapshot_file = snapshot_file.to_str().unwrap().to_string();
        let profile_file = d.join("profile.toml");
        let profile_file = profile_file.to_str().unwrap().to_string();
        let reports = d.join("reports");
        let reports = reports.to_str().unwrap().to_string();
        let failed_reports = d.join("failed");
        let failed_reports = failed_reports.to_str().unwrap().to_string();
        let mut calls: Vec<Call> = vec![
            (
                vec![
                    "run".into(),
                    quickstart.into(),
                    "--provider".into(),
                    "url".into(),
                    "--url".into(),
                    right.clone(),
                    "--out".into(),
                    reports.clone(),
                ],
                vec![],
                &[0],
            ),
            (
                vec![
                    "run".into(),
                    forward_fails.into(),
                    "--provider".into(),
                    "url".into(),
                    "--url".into(),
                    right.clone(),
                    "--out".into(),
                    failed_reports.clone(),
                ],
                vec![],
                &[1],
            ),
            (
                vec![
                    "run".into(),
                    quickstart.into(),
                    "--provider".into(),
                    "url".into(),
                    "--out".into(),
                    reports.clone() + "-env",
                ],
                vec![("REHEARSE_URL", right.clone())],
                &[0],
            ),
            (
                vec![
                    "run".into(),
                    quickstart.into(),
                    "--provider".into(),
                    "url".into(),
                    "--url".into(),
                    wrong.clone(),
                    "--out".into(),
                    reports.clone() + "-wrong",
                ],
                vec![],
                &[3],
            ),
            (
                vec![
                    "snapshot".into(),
                    "--url".into(),
                    right.clone(),
                    "--out".into(),
                    snapshot_file.clone(),
                ],
                vec![],
                &[0],
            ),
            (
                vec!["snapshot".into(), "--url".into(), wrong.clone()],
                vec![],
                &[3],
            ),
            (
                vec!["diff".into(), snapshot_file.clone(), right.clone()],
                vec![],
                &[0, 2],
            ),
            (
                vec!["diff".into(), right.clone(), wrong.clone()],
                vec![],
                &[2, 3],
            ),
            // A usage error quotes the argument it did not expect.
            (
                vec![
                    "diff".into(),
                    snapshot_file.clone(),
                    snapshot_file.clone(),
                    right.clone(),
                ],
                vec![],
                &[2],
            ),
            (
                vec![
                    "profile".into(),
                    "--url".into(),
                    right.clone(),
                    "--out".into(),
                    profile_file.clone(),
                ],
                vec![],
                &[0],
            ),
            (
                vec![
                    "profile".into(),
                    "--url".into(),
                    right.clone(),
                    "--compare".into(),
                    profile_file.clone(),
                ],
                vec![],
                &[0, 1],
            ),
            (
                vec!["profile".into(), "--url".into(), wrong.clone()],
                vec![],
                &[3],
            ),
            (
                vec![
                    "render".into(),
                    format!("{reports}/report.json"),
                    "--out".into(),
                    d.join("rendered").to_str().unwrap().into(),
                ],
                vec![],
                &[0],
            ),
            (
                vec![
                    "compare".into(),
                    format!("{reports}/report.json"),
                    format!("{failed_reports}/report.json"),
                ],
                vec![],
                &[0],
            ),
            (
                vec![
                    "compare".into(),
                    format!("{reports}/report.json"),
                    right.clone(),
                ],
                vec![],
                &[2],
            ),
            (
                vec!["clean".into(), "--url".into(), right.clone()],
                vec![],
                &[0],
            ),
            (
                vec!["clean".into(), "--url".into(), wrong.clone()],
                vec![],
                &[3],
            ),
        ];
        for (args, env, codes) in calls.drain(..) {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let (code, stdout, stderr) = invoke(d, &args, &env);
            ran += 1;
            let what = format!("[{form}] rehearse {}", args[0]);
            assert!(
                codes.contains(&code),
                "{what} exited {code}, expected one of {codes:?}:\nstdout: {stdout}\nstderr: {stderr}"
            );
            for secret in [ODD, ODD_ENCODED, ODD_WRONG, "N0t-The-S3cret%21value"] {
                if holds(stdout.as_bytes(), secret) {
                    leaks.push(format!("{what} {args:?}: stdout holds it:\n{stdout}"));
                }
                if holds(stderr.as_bytes(), secret) {
                    leaks.push(format!("{what} {args:?}: stderr holds it:\n{stderr}"));
                }
            }
        }
        for (path, bytes) in files_under(d) {
            for secret in [ODD, ODD_ENCODED, ODD_WRONG, "N0t-The-S3cret%21value"] {
                if holds(&bytes, secret) {
                    leaks.push(format!("[{form}] {} holds it", path.display()));
                }
            }
        }
        assert!(
            std::fs::read_to_string(&profile_file)
                .unwrap()
                .contains("accounts"),
            "[{form}] profile wrote a definition"
        );
    }
    assert!(ran >= 45);
    assert!(
        leaks.is_empty(),
        "the password left the process:\n{}",
        leaks.join("\n")
    );
}
