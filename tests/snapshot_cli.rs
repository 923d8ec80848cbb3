//! `rehearse snapshot` and `rehearse diff`, the drift check, through the real binary: named
//! differences and exit codes 0 (none), 1 (some), 2 (bad input), 3 (server unreachable), and
//! never a password in what it prints.

use rehearse::provision::{self, DatabaseRequest, ProviderChoice};
use std::process::Command;

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn rehearse(args: &[&str]) -> Out {
    let o = Command::new(env!("CARGO_BIN_EXE_rehearse"))
        .args(args)
        .output()
        .expect("the rehearse binary runs");
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

const SECRET: &str = "s3cret-Pa55";

/// A runtime and a local PostgreSQL for one test.
fn local_server() -> (tokio::runtime::Runtime, provision::Database) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt
        .block_on(provision::provision(&DatabaseRequest {
            provider: ProviderChoice::Local,
            ..Default::default()
        }))
        .unwrap();
    (rt, db)
}

#[test]
fn drift_check_names_each_difference_and_exits_1() {
    let (rt, db) = local_server();
    let c = &db.connection;
    // The local server trusts every connection, so the password is carried but not checked.
    let url = format!(
        "postgresql://{}:{SECRET}@{}:{}/{}",
        c.user, c.host, c.port, c.dbname
    );
    let client = rt.block_on(c.connect()).unwrap();
    rt.block_on(client.batch_execute(
        "CREATE TABLE accounts (id int PRIMARY KEY, name text NOT NULL DEFAULT 'x');
         COMMENT ON TABLE accounts IS 'who pays';",
    ))
    .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("schema.json");
    let file = file.to_str().unwrap();
    let written = rehearse(&["snapshot", "--url", &url, "--out", file]);
    assert_eq!(written.code, 0, "{}", written.stderr);
    assert!(!written.stderr.contains(SECRET) && !written.stdout.contains(SECRET));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    assert!(json["relations"]["public.accounts"].is_object());

    let same = rehearse(&["diff", file, &url]);
    assert_eq!(same.code, 0, "{}{}", same.stdout, same.stderr);
    assert!(same.stdout.contains("no difference"), "{}", same.stdout);

    rt.block_on(client.batch_execute(
        "ALTER TABLE accounts ADD COLUMN plan text;
         ALTER TABLE accounts ALTER COLUMN name DROP DEFAULT;
         COMMENT ON TABLE accounts IS NULL;",
    ))
    .unwrap();
    let drift = rehearse(&["diff", file, &url]);
    assert_eq!(drift.code, 1, "{}{}", drift.stdout, drift.stderr);
    for named in [
        "column_added public.accounts.plan",
        "default_changed public.accounts.name",
        "comment_changed public.accounts",
    ] {
        assert!(
            drift.stdout.contains(named),
            "{named} missing from:\n{}",
            drift.stdout
        );
    }
    assert!(drift.stdout.contains("3 differences"), "{}", drift.stdout);
    assert!(!drift.stdout.contains(SECRET) && !drift.stderr.contains(SECRET));
    assert!(drift.stdout.contains("postgres:***@"), "{}", drift.stdout);
}

#[test]
fn a_missing_or_malformed_snapshot_file_exits_2() {
    let missing = rehearse(&["diff", "/nonexistent/a.json", "/nonexistent/b.json"]);
    assert_eq!(missing.code, 2, "{}", missing.stderr);
    assert!(
        missing.stderr.contains("/nonexistent/a.json"),
        "{}",
        missing.stderr
    );

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{ not json").unwrap();
    let bad = bad.to_str().unwrap();
    let malformed = rehearse(&["diff", bad, bad]);
    assert_eq!(malformed.code, 2, "{}", malformed.stderr);
    assert!(
        malformed.stderr.contains("is not a rehearse snapshot"),
        "{}",
        malformed.stderr
    );
}

#[test]
fn an_unreachable_server_exits_3_without_printing_the_password() {
    // Port 1 on loopback: nothing listens there.
    let url = format!("postgresql://app:{SECRET}@127.0.0.1:1/app");
    let out = rehearse(&["diff", &url, &url]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(out.stderr.contains("could not connect"), "{}", out.stderr);
    assert!(
        !out.stderr.contains(SECRET) && !out.stdout.contains(SECRET),
        "{}",
        out.stderr
    );
    let snap = rehearse(&[
        "snapshot",
        "--url",
        &url,
        "--out",
        "/tmp/never-written.json",
    ]);
    assert_eq!(snap.code, 3, "{}", snap.stderr);
    assert!(!snap.stderr.contains(SECRET));
}

#[test]
fn a_user_mappings_password_is_compared_but_never_written() {
    let (rt, db) = local_server();
    let url = db.connection.url();
    let client = rt.block_on(db.connection.connect()).unwrap();
    rt.block_on(client.batch_execute(&format!(
        "CREATE FOREIGN DATA WRAPPER archive_fdw;
         CREATE SERVER archive FOREIGN DATA WRAPPER archive_fdw;
         CREATE USER MAPPING FOR CURRENT_USER SERVER archive OPTIONS (password '{SECRET}');"
    )))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("schema.json");
    let file = file.to_str().unwrap();
    let written = rehearse(&["snapshot", "--url", &url, "--out", file]);
    assert_eq!(written.code, 0, "{}", written.stderr);
    let text = std::fs::read_to_string(file).unwrap();
    assert!(text.contains("user mapping for"), "{text}");
    assert!(!text.contains(SECRET), "the password is in the snapshot");

    // A changed password is still a difference, shown without either password.
    rt.block_on(client.batch_execute(
        "ALTER USER MAPPING FOR CURRENT_USER SERVER archive OPTIONS (SET password 'another-one')",
    ))
    .unwrap();
    let drift = rehearse(&["diff", file, &url]);
    assert_eq!(drift.code, 1, "{}", drift.stdout);
    assert!(
        drift.stdout.contains("user mapping for"),
        "{}",
        drift.stdout
    );
    assert!(
        !drift.stdout.contains(SECRET) && !drift.stdout.contains("another-one"),
        "{}",
        drift.stdout
    );
}
