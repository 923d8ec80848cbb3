//! The probe against real PostgreSQL: for each classic migration statement, the exact lock mode
//! it takes and whether it rewrites the table. Fixtures are in `tests/fixtures/probe/`.

mod probe_support;

use probe_support::{database, locks_on, script, strongest};
use rehearse::probe::{Probe, ProbeSettings, Step};
use rehearse::provision::Database;
use rehearse::report::Direction;

async fn run(db: &Database, fixture: &str, settings: ProbeSettings) -> Direction {
    let client = db.connection.connect().await.unwrap();
    let probe = Probe::new(db.connection.clone(), settings);
    probe
        .run(&client, &script(fixture), fixture, Step::Forward)
        .await
}

async fn run_ok(db: &Database, fixture: &str) -> Direction {
    let direction = run(db, fixture, ProbeSettings::default()).await;
    assert!(direction.ok, "{fixture} failed: {:?}", direction.error);
    direction
}

/// The first statement of `fixture` takes `mode` as its strongest lock on `relation` and
/// rewrites nothing.
async fn takes_lock_without_rewrite(fixture: &str, relation: &str, mode: &str) {
    let db = database().await;
    let d = run_ok(&db, fixture).await;
    let s = &d.statements[0];
    assert_eq!(
        strongest(s, relation).as_deref(),
        Some(mode),
        "{:#?}",
        s.locks
    );
    assert!(s.rewrites.is_empty(), "{:?}", s.rewrites);
}

#[tokio::test]
async fn add_column_with_constant_default_takes_access_exclusive_without_rewrite() {
    let db = database().await;
    let d = run_ok(&db, "add_column_constant_default.sql").await;
    let s = &d.statements[0];
    assert_eq!(
        strongest(s, "public.accounts").as_deref(),
        Some("AccessExclusiveLock"),
        "{:#?}",
        s.locks
    );
    assert!(s.rewrites.is_empty(), "{:?}", s.rewrites);
    let lock = locks_on(s, "public.accounts")[0];
    assert_eq!(lock.kind, "table");
    // Held from its acquisition, within the statement, until the commit that ends the direction.
    assert!(lock.acquired_ms >= s.started_ms, "{lock:?}");
    assert!(lock.held_ms > 0.0, "{lock:?}");
    assert!(
        lock.acquired_ms + lock.held_ms <= d.duration_ms + 1.0,
        "held past the direction's end: {lock:?}, direction {} ms",
        d.duration_ms
    );
    assert!(s.wal_bytes.is_some_and(|w| w > 0), "{:?}", s.wal_bytes);
}

#[tokio::test]
async fn add_column_with_volatile_default_rewrites_the_table() {
    let db = database().await;
    let d = run_ok(&db, "add_column_volatile_default.sql").await;
    let s = &d.statements[0];
    assert_eq!(
        strongest(s, "public.accounts").as_deref(),
        Some("AccessExclusiveLock")
    );
    assert!(
        s.rewrites.contains(&"public.accounts".to_string()),
        "{:?}",
        s.rewrites
    );
    // The indexes are rebuilt with the table.
    assert!(
        s.rewrites.contains(&"public.accounts_pkey".to_string()),
        "{:?}",
        s.rewrites
    );
}

#[tokio::test]
async fn alter_column_type_integer_to_bigint_rewrites_the_table() {
    let db = database().await;
    let d = run_ok(&db, "alter_column_type_bigint.sql").await;
    let s = &d.statements[0];
    assert_eq!(
        strongest(s, "public.accounts").as_deref(),
        Some("AccessExclusiveLock")
    );
    assert!(
        s.rewrites.contains(&"public.accounts".to_string()),
        "{:?}",
        s.rewrites
    );
    let change = s
        .size_changes
        .iter()
        .find(|c| c.relation == "public.accounts")
        .expect("the rewritten table's size is measured");
    assert!(
        change.before_bytes.unwrap() > 0 && change.after_bytes.unwrap() > 0,
        "{change:?}"
    );
}

#[tokio::test]
async fn create_index_takes_share_lock_on_the_table() {
    let db = database().await;
    let d = run_ok(&db, "create_index.sql").await;
    let s = &d.statements[0];
    assert_eq!(
        strongest(s, "public.accounts").as_deref(),
        Some("ShareLock"),
        "{:#?}",
        s.locks
    );
    assert!(
        s.rewrites.is_empty(),
        "a new index is not a rewrite: {:?}",
        s.rewrites
    );
    let created = s
        .size_changes
        .iter()
        .find(|c| c.relation == "public.accounts_name_idx")
        .expect("the new index's size is reported");
    assert_eq!(created.before_bytes, None);
}

#[tokio::test]
async fn create_index_concurrently_is_seen_by_sampling_with_share_update_exclusive() {
    let db = database().await;
    let client = db.connection.connect().await.unwrap();
    // Enough rows that the build outlasts several sampling intervals.
    client
        .batch_execute("INSERT INTO orders SELECT g, 1 + g % 2000, g % 977 FROM generate_series(20001, 400000) g")
        .await
        .unwrap();
    let d = run_ok(&db, "create_index_concurrently.sql").await;
    let s = &d.statements[0];
    assert!(!s.transactional);
    let locks = locks_on(s, "public.orders");
    let lock = locks
        .iter()
        .find(|l| l.mode == "ShareUpdateExclusiveLock")
        .unwrap_or_else(|| panic!("no ShareUpdateExclusiveLock sampled: {:#?}", s.locks));
    assert!(lock.sampled);
    assert!(
        lock.held_ms > 0.0 && lock.held_ms <= s.duration_ms + 1.0,
        "{lock:?} in {} ms",
        s.duration_ms
    );
    assert_eq!(
        strongest(s, "public.orders").as_deref(),
        Some("ShareUpdateExclusiveLock")
    );
}

#[tokio::test]
async fn foreign_key_not_valid_locks_both_tables_then_validate_takes_share_update_exclusive() {
    let db = database().await;
    let d = run_ok(&db, "add_foreign_key_not_valid.sql").await;
    let s = &d.statements[0];
    assert_eq!(
        strongest(s, "public.orders").as_deref(),
        Some("ShareRowExclusiveLock"),
        "{:#?}",
        s.locks
    );
    assert_eq!(
        strongest(s, "public.accounts").as_deref(),
        Some("ShareRowExclusiveLock"),
        "{:#?}",
        s.locks
    );

    let d = run_ok(&db, "validate_constraint.sql").await;
    let s = &d.statements[0];
    assert_eq!(
        strongest(s, "public.orders").as_deref(),
        Some("ShareUpdateExclusiveLock"),
        "{:#?}",
        s.locks
    );
    assert!(s.rewrites.is_empty());
}

#[tokio::test]
async fn set_not_null_takes_access_exclusive() {
    takes_lock_without_rewrite("set_not_null.sql", "public.accounts", "AccessExclusiveLock").await;
}

#[tokio::test]
async fn set_fillfactor_takes_share_update_exclusive() {
    takes_lock_without_rewrite(
        "set_fillfactor.sql",
        "public.accounts",
        "ShareUpdateExclusiveLock",
    )
    .await;
}

#[tokio::test]
async fn disable_trigger_takes_share_row_exclusive() {
    takes_lock_without_rewrite(
        "disable_trigger.sql",
        "public.orders",
        "ShareRowExclusiveLock",
    )
    .await;
}

#[tokio::test]
async fn comment_on_table_takes_share_update_exclusive() {
    takes_lock_without_rewrite(
        "comment_on_table.sql",
        "public.accounts",
        "ShareUpdateExclusiveLock",
    )
    .await;
}

#[tokio::test]
async fn truncate_is_reported_as_a_rewrite() {
    let db = database().await;
    let d = run_ok(&db, "truncate.sql").await;
    let s = &d.statements[0];
    assert_eq!(
        strongest(s, "public.orders").as_deref(),
        Some("AccessExclusiveLock")
    );
    assert!(
        s.rewrites.contains(&"public.orders".to_string()),
        "{:?}",
        s.rewrites
    );
}

#[tokio::test]
async fn relations_created_in_the_migration_are_not_rewrites_and_locks_belong_to_their_first_statement(
) {
    let db = database().await;
    let d = run_ok(&db, "create_table_with_index.sql").await;
    assert!(
        d.statements.iter().all(|s| s.rewrites.is_empty()),
        "{:#?}",
        d.statements
    );
    // CREATE TABLE takes AccessExclusiveLock on the new table (and ShareLock, building its primary
    // key); the INSERT's RowExclusiveLock is new; CREATE INDEX's ShareLock is already held, so
    // only the new index's lock is its own. Nothing is attributed twice.
    assert_eq!(
        strongest(&d.statements[0], "public.invoices").as_deref(),
        Some("AccessExclusiveLock")
    );
    assert!(locks_on(&d.statements[1], "public.invoices")
        .iter()
        .any(|l| l.mode == "RowExclusiveLock"));
    assert!(!locks_on(&d.statements[1], "public.invoices")
        .iter()
        .any(|l| l.mode == "AccessExclusiveLock"));
    assert!(locks_on(&d.statements[0], "public.invoices")
        .iter()
        .any(|l| l.mode == "ShareLock"));
    assert!(
        locks_on(&d.statements[2], "public.invoices").is_empty(),
        "{:#?}",
        d.statements[2]
    );
    assert_eq!(
        strongest(&d.statements[2], "public.invoices_total_idx").as_deref(),
        Some("AccessExclusiveLock")
    );
    // Held until commit: the first lock is held at least as long as the statements after it ran.
    let first = &locks_on(&d.statements[0], "public.invoices")[0];
    let later: f64 = d.statements[1..].iter().map(|s| s.duration_ms).sum();
    assert!(first.held_ms >= later, "{first:?} vs {later}");
    assert!(d.wal_bytes.is_some_and(|w| w > 0));
}

#[tokio::test]
async fn a_failing_probe_read_never_aborts_the_migration() {
    let db = database().await;
    let d = run_ok(&db, "set_role.sql").await;
    assert_eq!(d.statements.len(), 6);
    assert!(d.statements.iter().all(|s| s.ok));
    // Under the unprivileged role the catalog could not be read; after RESET ROLE it can again.
    assert_eq!(
        strongest(&d.statements[5], "public.accounts").as_deref(),
        Some("AccessExclusiveLock")
    );
}

#[tokio::test]
async fn lock_timeout_is_a_finding_that_names_the_statement() {
    let db = database().await;
    let holder = db.connection.connect().await.unwrap();
    holder
        .batch_execute("BEGIN; LOCK TABLE accounts IN ACCESS SHARE MODE")
        .await
        .unwrap();
    let settings = ProbeSettings {
        lock_timeout: Some("200ms".into()),
        ..Default::default()
    };
    let d = run(&db, "lock_timeout.sql", settings.clone()).await;
    assert!(!d.ok);
    assert_eq!(d.error.as_ref().unwrap().code.as_deref(), Some("55P03"));
    let findings = rehearse::probe::timeout_findings(&settings, &d);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].kind, "lock_timeout");
    assert!(
        findings[0].message.contains("lock_timeout.sql, line 1"),
        "{}",
        findings[0].message
    );
    assert!(
        findings[0]
            .message
            .contains("ALTER TABLE accounts ADD COLUMN region text"),
        "{}",
        findings[0].message
    );
    // The wait itself was measured.
    assert!(d.statements[0].lock_wait_ms > 0.0, "{:?}", d.statements[0]);
}

#[tokio::test]
async fn statement_timeout_is_a_finding_that_names_the_statement() {
    let db = database().await;
    let settings = ProbeSettings {
        statement_timeout: Some("200ms".into()),
        ..Default::default()
    };
    let d = run(&db, "statement_timeout.sql", settings.clone()).await;
    assert!(!d.ok);
    let findings = rehearse::probe::timeout_findings(&settings, &d);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].kind, "statement_timeout");
    assert!(
        findings[0]
            .message
            .contains("statement_timeout.sql, line 1"),
        "{}",
        findings[0].message
    );
    // The session is left as it was: the timeout applied to the migration only.
    let client = db.connection.connect().await.unwrap();
    let row = client
        .query_one("SHOW statement_timeout", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "0");
}
