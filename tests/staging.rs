//! Rehearsals on staging's real rows, seen from the command line, on a server the test starts
//! and fills: `--clone` (a copy of the database) and `--in-transaction` (the database itself,
//! every transaction rolled back). The source must come out byte-for-byte as it went in (row
//! checksums, sequences, pg_dump's schema) whatever happens to the run, and no scratch database
//! may remain.

mod common;

use common::*;
use rehearse::provision::ConnectionInfo;
use std::path::Path;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The shop's history as dbmate files: two applied on the source, two pending.
const MIGRATIONS: &[(&str, &str, &str)] = &[
    (
        "20240101000001_create_shop.sql",
        "CREATE TABLE customers (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, city text);
CREATE TABLE orders (
    id bigserial PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id),
    total numeric(10,2) NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    total_cents bigint GENERATED ALWAYS AS ((total * 100)::bigint) STORED
);",
        "DROP TABLE orders; DROP TABLE customers;",
    ),
    (
        "20240101000002_index_customer.sql",
        "CREATE INDEX orders_customer_idx ON orders (customer_id);",
        "DROP INDEX orders_customer_idx;",
    ),
    (
        "20240101000003_order_status.sql",
        "ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'new';",
        "ALTER TABLE orders DROP COLUMN status;",
    ),
    (
        "20240101000004_index_created.sql",
        "CREATE INDEX orders_created_idx ON orders (created_at);",
        "DROP INDEX orders_created_idx;",
    ),
];

const ROWS: &str = "
INSERT INTO customers (email, city)
     SELECT 'c' || i || '@example.com', (ARRAY['Lyon', 'Oslo', NULL])[1 + i % 3]
       FROM generate_series(1, 2000) i;
INSERT INTO orders (customer_id, total, created_at)
     SELECT 1 + (i * 7919) % 2000, (i % 500) + 0.99, timestamptz '2024-01-01' + i * interval '1 minute'
       FROM generate_series(1, 60000) i;";

fn write_migrations(dir: &Path, with: &[(&str, &str, &str)]) {
    for (name, up, down) in with {
        std::fs::write(
            dir.join(name),
            format!("-- migrate:up\n{up}\n\n-- migrate:down\n{down}\n"),
        )
        .unwrap();
    }
}

/// A source database `name` with the first two migrations applied, rows in both tables, and
/// (when `bookkeeping`) dbmate's table saying so.
async fn source(
    server: &rehearse::provision::Database,
    name: &str,
    bookkeeping: bool,
) -> ConnectionInfo {
    let info = common::database_with(server, name, &[]).await;
    let client = info.connect().await.unwrap();
    for (_, up, _) in &MIGRATIONS[..2] {
        client.batch_execute(up).await.unwrap();
    }
    client.batch_execute(ROWS).await.unwrap();
    if bookkeeping {
        client
            .batch_execute(
                "CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY);
                 INSERT INTO schema_migrations VALUES ('20240101000001'), ('20240101000002');",
            )
            .await
            .unwrap();
    }
    client.batch_execute("ANALYZE").await.unwrap();
    info
}

/// What must not change: every table's rows (an order-independent checksum), the sequences'
/// positions, and the schema as pg_dump prints it.
async fn fingerprint(info: &ConnectionInfo) -> (Vec<(String, String)>, String) {
    let client = info.connect().await.unwrap();
    let tables: Vec<String> = client
        .query(
            "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables \
              WHERE schemaname = 'public' ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut sums = Vec::new();
    for t in tables {
        let row = client
            .query_one(
                &format!(
                    "SELECT count(*)::text || ':' || coalesce(md5(string_agg(md5(x::text), '' ORDER BY md5(x::text))), '') FROM {t} x"
                ),
                &[],
            )
            .await
            .unwrap();
        sums.push((t, row.get(0)));
    }
    for r in client
        .query(
            "SELECT format('%I.%I', schemaname, sequencename), coalesce(last_value, 0)::text FROM pg_sequences ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
    {
        sums.push((r.get(0), r.get(1)));
    }
    (sums, common::schema_dump(info, false))
}

/// The source's rows, sequences and schema as `before` says, and no scratch database left on
/// the server: what every rehearsal on staging's data must leave.
fn left_as_it_was(
    rt: &tokio::runtime::Runtime,
    server: &rehearse::provision::Database,
    shop: &ConnectionInfo,
    before: &(Vec<(String, String)>, String),
    what: &str,
) {
    assert_eq!(&rt.block_on(fingerprint(shop)), before, "{what}");
    assert_eq!(
        rt.block_on(scratch_databases(server)),
        0,
        "a scratch database was left"
    );
}

async fn scratch_databases(server: &rehearse::provision::Database) -> i64 {
    let client = server.connection.connect().await.unwrap();
    client
        .query_one(
            "SELECT count(*) FROM pg_database WHERE datname LIKE 'rehearse\\_scratch\\_%'",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

fn rows_of(report: &serde_json::Value, relation: &str) -> u64 {
    report["tables"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["relation"] == relation))
        .and_then(|t| t["rows"].as_u64())
        .unwrap_or_else(|| panic!("no size of {relation} in {}", report["tables"]))
}

/// A migrations folder holding `with`.
fn folder_with(with: &[(&str, &str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_migrations(dir.path(), with);
    dir
}

fn expect_exit(run: &Run, code: i32) {
    assert_eq!(
        run.code, code,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
}

fn run_clone(dir: &Path, url: &str, extra: &[&str]) -> Run {
    let mut args = vec!["run", dir.to_str().unwrap(), "--url", url, "--clone"];
    args.extend_from_slice(extra);
    rehearse(&args)
}

#[test]
fn a_clone_with_a_baseline_rehearses_the_pending_migrations_on_the_sources_rows() {
    let rt = runtime();
    let server = rt.block_on(local_server());
    let shop = rt.block_on(source(&server, "shop", false));
    let before = rt.block_on(fingerprint(&shop));
    let dir = folder_with(MIGRATIONS);

    let run = run_clone(dir.path(), &shop.url(), &["--baseline", "20240101000002"]);
    expect_exit(&run, 0);
    let report = run.report();
    let ids: Vec<_> = report["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["20240101000003", "20240101000004"]);
    let data = &report["database"]["data"];
    assert_eq!(data["kind"], "clone", "{data}");
    assert_eq!(data["database"], "shop");
    assert_eq!(
        data["method"], "template",
        "nobody else was connected: {data}"
    );
    assert!(data["bytes"].as_u64().unwrap() > 1_000_000, "{data}");
    // The migrations ran on the source's rows, not on synthetic ones.
    assert_eq!(rows_of(&report, "public.orders"), 60_000);
    assert_eq!(rows_of(&report, "public.customers"), 2_000);
    assert!(
        report.get("seed").is_none_or(|s| s["rows"] == 0),
        "{}",
        report["seed"]
    );
    assert!(run.stdout.contains("clone of shop"), "{}", run.stdout);
    assert!(run.stderr.contains("no drift"), "{}", run.stderr);

    left_as_it_was(&rt, &server, &shop, &before, "the source changed");
}

#[test]
fn a_source_someone_is_connected_to_is_copied_in_parallel_streams() {
    let rt = runtime();
    let server = rt.block_on(local_server());
    let shop = rt.block_on(source(&server, "busy_shop", true));
    let before = rt.block_on(fingerprint(&shop));
    // Another session on the source: it cannot be a template, so the copy path runs.
    let other = rt.block_on(shop.connect()).unwrap();
    let dir = folder_with(MIGRATIONS);

    let run = run_clone(dir.path(), &shop.url(), &["--clone-jobs", "3"]);
    expect_exit(&run, 0);
    let report = run.report();
    let data = &report["database"]["data"];
    assert_eq!(data["method"], "copy", "{data}");
    assert!(
        data["why"].as_str().unwrap().contains("other session"),
        "{data}"
    );
    // The bookkeeping table said which migrations were applied.
    assert_eq!(report["migrations"].as_array().unwrap().len(), 2);
    assert_eq!(report["migrations"][0]["id"], "20240101000003");
    assert_eq!(rows_of(&report, "public.orders"), 60_000);
    // The copy's schema is the source's: the forward's rollback restored it, and nothing the
    // copy lost (an index, the generated column, a constraint) would have let it pass.
    assert_eq!(report["migrations"][0]["schema_restored"], true);
    assert!(run.stderr.contains("by copy"), "{}", run.stderr);

    drop(other);
    left_as_it_was(&rt, &server, &shop, &before, "the source changed");
}

#[test]
fn the_copy_path_gives_the_same_schema_and_rows_as_the_source() {
    let rt = runtime();
    let server = rt.block_on(local_server());
    let shop = rt.block_on(source(&server, "copied_shop", true));
    let (sums, schema) = rt.block_on(fingerprint(&shop));
    let scratch = "copied_shop_clone";
    let cloned = rt
        .block_on(rehearse::provision::clone::clone_into(
            &shop,
            scratch,
            rehearse::provision::clone::CloneMethod::Copy,
            2,
        ))
        .unwrap();
    assert_eq!(cloned.method, "copy");
    assert_eq!(cloned.tables, 3);
    let copy = server.connection.with_dbname(scratch);
    let (copy_sums, copy_schema) = rt.block_on(fingerprint(&copy));
    assert_eq!(copy_sums, sums, "rows or sequences differ");
    assert_eq!(copy_schema, schema, "pg_dump's schema differs");
}

#[test]
fn a_failing_migration_and_an_interrupt_leave_the_source_as_it_was() {
    let rt = runtime();
    let server = rt.block_on(local_server());
    let shop = rt.block_on(source(&server, "fragile_shop", true));
    let before = rt.block_on(fingerprint(&shop));

    // A pending migration that fails on the real rows: 60,000 orders break the new CHECK.
    let failing = tempfile::tempdir().unwrap();
    write_migrations(failing.path(), &MIGRATIONS[..2]);
    write_migrations(
        failing.path(),
        &[(
            "20240101000003_small_orders.sql",
            "ALTER TABLE orders ADD CONSTRAINT small CHECK (total < 10);",
            "ALTER TABLE orders DROP CONSTRAINT small;",
        )],
    );
    let run = run_clone(failing.path(), &shop.url(), &[]);
    expect_exit(&run, 1);
    assert_eq!(run.report()["migrations"][0]["forward"]["ok"], false);
    left_as_it_was(&rt, &server, &shop, &before, "a failure changed the source");

    // Interrupted while a pending migration runs on the clone.
    let slow = tempfile::tempdir().unwrap();
    write_migrations(slow.path(), &MIGRATIONS[..2]);
    write_migrations(
        slow.path(),
        &[(
            "20240101000003_slow.sql",
            "UPDATE orders SET total = total + 1 WHERE pg_sleep(0.0005) IS NOT NULL;",
            "UPDATE orders SET total = total - 1;",
        )],
    );
    let url = shop.url();
    let running = start_until_provisioned(
        &[
            "run",
            slow.path().to_str().unwrap(),
            "--url",
            &url,
            "--clone",
        ],
        &[],
    );
    std::thread::sleep(std::time::Duration::from_secs(3));
    let code = running.interrupt();
    assert_eq!(code, Some(130));
    left_as_it_was(
        &rt,
        &server,
        &shop,
        &before,
        "an interrupt changed the source",
    );
}

#[test]
fn a_clone_that_cannot_tell_what_is_applied_says_so_and_runs_nothing() {
    let rt = runtime();
    let server = rt.block_on(local_server());
    let shop = rt.block_on(source(&server, "unknown_shop", false));
    let dir = folder_with(MIGRATIONS);
    let run = run_clone(dir.path(), &shop.url(), &[]);
    expect_exit(&run, 2);
    assert!(
        run.stderr.contains("--baseline") && run.stderr.contains("unknown_shop"),
        "{}",
        run.stderr
    );
    assert_eq!(rt.block_on(scratch_databases(&server)), 0);
}

#[test]
fn a_clone_whose_schema_drifted_from_its_migrations_is_reported_before_anything_runs() {
    let rt = runtime();
    let server = rt.block_on(local_server());
    let shop = rt.block_on(source(&server, "drifted_shop", true));
    // Someone added an index by hand on staging, and widened a column.
    rt.block_on(async {
        let c = shop.connect().await.unwrap();
        c.batch_execute(
            "CREATE INDEX by_hand ON customers (city); ALTER TABLE customers ALTER COLUMN city TYPE varchar(200);",
        )
        .await
        .unwrap();
    });
    let dir = folder_with(MIGRATIONS);
    let run = run_clone(dir.path(), &shop.url(), &[]);
    expect_exit(&run, 1);
    let report = run.report();
    let drift = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "schema_drift")
        .unwrap_or_else(|| panic!("no drift finding: {}", report["findings"]));
    let message = drift["message"].as_str().unwrap();
    assert!(
        message.contains("by_hand") && message.contains("city"),
        "{message}"
    );
    assert!(message.contains("2 applied migrations"), "{message}");
    // The pending migrations were still rehearsed, on the drifted schema.
    assert_eq!(report["migrations"].as_array().unwrap().len(), 2);
    assert_eq!(report["migrations"][0]["verdict"], "pass");
    assert_eq!(rt.block_on(scratch_databases(&server)), 0);
}

fn run_in_transaction(dir: &Path, url: &str) -> Run {
    rehearse(&[
        "run",
        dir.to_str().unwrap(),
        "--url",
        url,
        "--in-transaction",
    ])
}

/// Sessions of rehearse still on the server, and transactions left open there.
async fn lingering(server: &rehearse::provision::Database) -> (i64, i64) {
    let client = server.connection.connect().await.unwrap();
    // A backend leaves pg_stat_activity a moment after its client has gone (the rehearse
    // process has exited by now): a session still there after 5 s is one left behind.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let row = client
            .query_one(
                "SELECT count(*) FILTER (WHERE application_name = 'rehearse' AND pid <> pg_backend_pid()), \
                        count(*) FILTER (WHERE state LIKE 'idle in transaction%') \
                   FROM pg_stat_activity",
                &[],
            )
            .await
            .unwrap();
        let seen: (i64, i64) = (row.get(0), row.get(1));
        if seen == (0, 0) || std::time::Instant::now() > deadline {
            return seen;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// What every --in-transaction run must leave: the target's rows, sequences and schema as
/// `before` says, and no session or open transaction of rehearse's on the server.
fn nothing_kept_nobody_left(
    rt: &tokio::runtime::Runtime,
    server: &rehearse::provision::Database,
    shop: &ConnectionInfo,
    before: &(Vec<(String, String)>, String),
) {
    assert_eq!(
        &rt.block_on(fingerprint(shop)),
        before,
        "the target kept a change"
    );
    assert_eq!(rt.block_on(lingering(server)), (0, 0));
}

fn locks_of(statement: &serde_json::Value) -> Vec<(String, String)> {
    statement["locks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["relation"].as_str().unwrap().to_string(),
                l["mode"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn in_a_transaction_the_pending_migrations_are_measured_and_leave_no_trace() {
    let rt = runtime();
    let server = rt.block_on(local_server());
    let shop = rt.block_on(source(&server, "staging_shop", true));
    let before = rt.block_on(fingerprint(&shop));
    let dir = folder_with(MIGRATIONS);

    let run = run_in_transaction(dir.path(), &shop.url());
    expect_exit(&run, 0);
    let report = run.report();
    let data = &report["database"]["data"];
    assert_eq!(data["kind"], "in_transaction", "{data}");
    assert_eq!(data["database"], "staging_shop");
    assert!(
        run.stdout.contains("nothing was committed"),
        "{}",
        run.stdout
    );
    let migrations = report["migrations"].as_array().unwrap();
    assert_eq!(migrations.len(), 2, "only the pending ones");
    // The ALTER TABLE's lock on the real table, and the index build's, each on its own step.
    let alter = &migrations[0]["forward"]["statements"][0];
    assert!(
        locks_of(alter).contains(&("public.orders".into(), "AccessExclusiveLock".into())),
        "{alter}"
    );
    let index = &migrations[1]["forward"]["statements"][0];
    assert!(
        locks_of(index).contains(&("public.orders".into(), "ShareLock".into())),
        "{index}"
    );
    // The index was built over the 60,000 real rows: it took measurable time.
    assert!(index["duration_ms"].as_f64().unwrap() > 1.0, "{index}");
    // The rollback's schema is compared inside the transaction; the rows cannot be.
    assert_eq!(migrations[0]["schema_restored"], true);
    assert!(migrations[0]["data_preserved"].is_null());
    assert_eq!(migrations[0]["data_check"]["scope"], "none");

    nothing_kept_nobody_left(&rt, &server, &shop, &before);
}

#[test]
fn in_a_transaction_what_cannot_run_there_is_not_rehearsed_and_staging_waits_only_briefly() {
    let rt = runtime();
    let server = rt.block_on(local_server());
    let shop = rt.block_on(source(&server, "busy_staging_shop", true));
    let before = rt.block_on(fingerprint(&shop));

    // 003 needs ACCESS EXCLUSIVE on orders while staging's session reads it in an open
    // transaction: the short lock_timeout gives up instead of queueing staging behind it.
    let reader = rt.block_on(shop.connect()).unwrap();
    rt.block_on(reader.batch_execute("BEGIN; SELECT count(*) FROM orders;"))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    write_migrations(dir.path(), &MIGRATIONS[..3]);
    let started = std::time::Instant::now();
    let run = run_in_transaction(dir.path(), &shop.url());
    expect_exit(&run, 1);
    let report = run.report();
    let forward = &report["migrations"][0]["forward"];
    assert_eq!(forward["ok"], false);
    assert_eq!(forward["error"]["code"], "55P03", "lock_timeout: {forward}");
    assert!(started.elapsed().as_secs() < 60);
    rt.block_on(reader.batch_execute("COMMIT")).unwrap();
    drop(reader);

    // CREATE INDEX CONCURRENTLY cannot run in a transaction: not rehearsed, nor what follows.
    let dir = tempfile::tempdir().unwrap();
    write_migrations(dir.path(), &MIGRATIONS[..2]);
    write_migrations(
        dir.path(),
        &[
            (
                "20240101000003_concurrent_index.sql",
                "CREATE INDEX CONCURRENTLY orders_total_idx ON orders (total);",
                "DROP INDEX CONCURRENTLY orders_total_idx;",
            ),
            MIGRATIONS[3],
        ],
    );
    let run = run_in_transaction(dir.path(), &shop.url());
    expect_exit(&run, 1);
    let report = run.report();
    let verdicts: Vec<_> = report["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["verdict"].as_str().unwrap().to_string(),
                m["findings"][0]["message"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            )
        })
        .collect();
    assert_eq!(verdicts.len(), 2);
    assert_eq!(verdicts[0].0, "not_run");
    assert!(
        verdicts[0].1.contains("CONCURRENTLY") && verdicts[0].1.contains("line 2"),
        "{verdicts:?}"
    );
    assert_eq!(verdicts[1].0, "not_run");
    assert!(
        verdicts[1].1.contains("follows 20240101000003"),
        "{verdicts:?}"
    );

    nothing_kept_nobody_left(&rt, &server, &shop, &before);
}

#[test]
fn in_a_transaction_a_rollback_that_leaves_damage_is_undone_before_the_next_migration() {
    let rt = runtime();
    let server = rt.block_on(local_server());
    let shop = rt.block_on(source(&server, "damaged_staging_shop", true));
    let before = rt.block_on(fingerprint(&shop));
    // 003's rollback also drops 002's index, and its redo does not bring it back; 004 renames
    // that index, so it fails unless the state is repaired after 003.
    let dir = tempfile::tempdir().unwrap();
    write_migrations(dir.path(), &MIGRATIONS[..2]);
    write_migrations(
        dir.path(),
        &[
            (
                "20240101000003_order_status.sql",
                "ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'new';",
                "ALTER TABLE orders DROP COLUMN status;\nDROP INDEX orders_customer_idx;",
            ),
            (
                "20240101000004_rename_index.sql",
                "ALTER INDEX orders_customer_idx RENAME TO orders_by_customer_idx;",
                "ALTER INDEX orders_by_customer_idx RENAME TO orders_customer_idx;",
            ),
        ],
    );
    let run = run_in_transaction(dir.path(), &shop.url());
    expect_exit(&run, 1);
    let report = run.report();
    let damaged = &report["migrations"][0];
    assert_eq!(damaged["verdict"], "fail", "{damaged}");
    assert_eq!(damaged["schema_restored"], false, "{damaged}");
    let reset = &damaged["reset"];
    assert_eq!(reset["from"], "savepoint", "{damaged}");
    assert_eq!(reset["replayed"], serde_json::json!(["20240101000003"]));
    let next = &report["migrations"][1];
    assert_eq!(
        next["verdict"], "pass",
        "the next migration met the damage: {next}"
    );
    assert_eq!(next["schema_restored"], true, "{next}");
    let markdown = std::fs::read_to_string(run.out.path().join("report.md")).unwrap();
    assert!(
        markdown.contains("rolled back to the savepoint before the forward"),
        "the reset is said: {markdown}"
    );

    nothing_kept_nobody_left(&rt, &server, &shop, &before);
}

#[test]
fn in_a_transaction_an_enum_value_an_earlier_migration_added_is_not_blamed_on_the_migration() {
    let rt = runtime();
    let server = rt.block_on(local_server());
    let shop = rt.block_on(source(&server, "moody_staging_shop", true));
    let client = rt.block_on(shop.connect()).unwrap();
    rt.block_on(client.batch_execute("CREATE TYPE mood AS ENUM ('happy')"))
        .unwrap();
    drop(client);
    let before = rt.block_on(fingerprint(&shop));
    // 003 adds a value, which its rollback uses; 004 uses it too. Production allows both (003's
    // forward commits first), one uncommitted transaction does not; 005 follows 004.
    let dir = tempfile::tempdir().unwrap();
    write_migrations(dir.path(), &MIGRATIONS[..2]);
    write_migrations(
        dir.path(),
        &[
            (
                "20240101000003_sad_mood.sql",
                "ALTER TYPE mood ADD VALUE 'sad';",
                "SELECT 'sad'::mood;",
            ),
            (
                "20240101000004_order_mood.sql",
                "ALTER TABLE orders ADD COLUMN mood mood NOT NULL DEFAULT 'sad';",
                "ALTER TABLE orders DROP COLUMN mood;",
            ),
            (
                "20240101000005_index_created.sql",
                MIGRATIONS[3].1,
                MIGRATIONS[3].2,
            ),
        ],
    );
    let run = run_in_transaction(dir.path(), &shop.url());
    expect_exit(&run, 1);
    let report = run.report();
    let migrations = report["migrations"].as_array().unwrap();
    assert_eq!(migrations.len(), 3);
    let adds = &migrations[0];
    assert_eq!(adds["verdict"], "not_run", "{adds}");
    assert_eq!(
        adds["forward"]["ok"], true,
        "its forward stays measured: {adds}"
    );
    let why = adds["findings"][0]["message"].as_str().unwrap();
    assert!(
        why.contains("the rollback of 20240101000003 was not rehearsed"),
        "{adds}"
    );
    assert!(
        !adds["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["kind"] == "rollback_failed"),
        "{adds}"
    );
    let uses = &migrations[1];
    assert_eq!(uses["verdict"], "not_run", "{uses}");
    let finding = &uses["findings"][0];
    assert_eq!(finding["kind"], "not_rehearsed", "{uses}");
    let message = finding["message"].as_str().unwrap();
    assert!(
        message.contains("20240101000004_order_mood.sql, line 2")
            && message.contains("never commits"),
        "{message}"
    );
    let after = &migrations[2];
    assert_eq!(after["verdict"], "not_run", "{after}");
    assert!(
        after["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("follows 20240101000004, which uses an enum value"),
        "{after}"
    );

    nothing_kept_nobody_left(&rt, &server, &shop, &before);
}

#[test]
fn in_a_transaction_staging_bookkeeping_table_is_never_locked_for_the_whole_run() {
    let rt = runtime();
    let server = rt.block_on(local_server());
    let shop = rt.block_on(source(&server, "watched_staging_shop", true));
    let dir = tempfile::tempdir().unwrap();
    write_migrations(dir.path(), &MIGRATIONS[..2]);
    write_migrations(
        dir.path(),
        &[(
            "20240101000003_slow_note.sql",
            "SELECT pg_sleep(1.5);\nALTER TABLE orders ADD COLUMN note text;",
            "ALTER TABLE orders DROP COLUMN note;",
        )],
    );
    let out = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_rehearse"))
        .args(["run", dir.path().to_str().unwrap(), "--url", &shop.url()])
        .arg("--in-transaction")
        .arg("--out")
        .arg(out.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // While the run goes on, what the rehearse session holds on staging's bookkeeping table: its
    // migrations write rows there (ROW EXCLUSIVE), nothing may take a lock that blocks VACUUM.
    let watcher = rt.block_on(shop.connect()).unwrap();
    let mut seen_running = false;
    let mut blocking: Vec<String> = Vec::new();
    while child.try_wait().unwrap().is_none() {
        let rows = rt
            .block_on(watcher.query(
                "SELECT l.mode FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
                  WHERE a.application_name = 'rehearse' AND a.datname = current_database() \
                    AND l.relation = 'schema_migrations'::regclass AND l.granted",
                &[],
            ))
            .unwrap();
        let running = rt
            .block_on(watcher.query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'rehearse' \
                    AND datname = current_database() AND xact_start IS NOT NULL",
                &[],
            ))
            .unwrap()
            .get::<_, i64>(0);
        seen_running |= running > 0;
        blocking.extend(
            rows.iter()
                .map(|r| r.get::<_, String>(0))
                .filter(|mode| mode != "RowExclusiveLock" && mode != "AccessShareLock"),
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(child.wait().unwrap().success());
    assert!(seen_running, "the watcher never saw the run's transaction");
    assert!(
        blocking.is_empty(),
        "held on schema_migrations: {blocking:?}"
    );
}
