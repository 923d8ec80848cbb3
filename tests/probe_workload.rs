//! The concurrent workload against real PostgreSQL: how long application queries were blocked by
//! the migration, and the lock-queue outage behind a long transaction.

mod probe_support;

use probe_support::{database, fixture, script};
use rehearse::probe::{Probe, ProbeSettings, Step};
use rehearse::scenario::Scenario;

/// The whole rehearsal of the fixture scenario `name`, on the local provider.
async fn rehearse_locally(name: &str) -> rehearse::report::Report {
    let mut scenario = Scenario::load(&fixture(name)).unwrap();
    scenario.database.provider = rehearse::provision::ProviderChoice::Local;
    let set = rehearse::migrations::discover(&scenario.migrations_dir, scenario.format).unwrap();
    rehearse::rehearsal::rehearse(&scenario, &set, &rehearse::rehearsal::QuietProgress)
        .await
        .unwrap()
}

fn settings(scenario: &str) -> ProbeSettings {
    ProbeSettings::from_scenario(&Scenario::from_file(&fixture(scenario)).unwrap())
}

#[tokio::test]
async fn longest_blocked_query_matches_how_long_the_migration_held_access_exclusive() {
    let db = database().await;
    let client = db.connection.connect().await.unwrap();
    let probe = Probe::new(db.connection.clone(), settings("workload.toml"));
    let d = probe
        .run(
            &client,
            &script("hold_access_exclusive.sql"),
            "hold_access_exclusive.sql",
            Step::Forward,
        )
        .await;
    assert!(d.ok, "{:?}", d.error);
    let workload = d.workload.as_ref().expect("the workload ran");
    assert!(!workload.default);
    assert_eq!(workload.clients, 4);
    assert!(
        workload.totals.queries > 0 && workload.totals.errors == 0,
        "{workload:#?}"
    );

    // The lock is held for the pg_sleep (2 s); the longest blocked query waited about that long.
    let held = 2000.0;
    let longest = workload.totals.blocked_longest_ms;
    assert!(
        (longest - held).abs() <= 0.2 * held,
        "longest blocked {longest:.0} ms is not within 20% of the {held} ms hold: {workload:#?}"
    );
    // Per statement: the queries that started during the sleep were blocked, with percentiles.
    let during_sleep = d.statements[1].workload.as_ref().unwrap();
    assert!(during_sleep.blocked_count > 0, "{during_sleep:?}");
    assert!(during_sleep.latency.p99_ms >= during_sleep.latency.p50_ms);
    assert!(during_sleep.latency.max_ms >= during_sleep.blocked_longest_ms * 0.9);
    assert_eq!(workload.queries.len(), 2);
    assert!(workload.queries.iter().all(|q| q.skipped.is_none()));
}

#[tokio::test]
async fn a_bare_folder_gets_primary_key_reads_and_updates_on_the_largest_tables() {
    let db = database().await;
    let client = db.connection.connect().await.unwrap();
    let probe = Probe::new(
        db.connection.clone(),
        ProbeSettings::from_scenario(&Scenario::bare(&fixture("."))),
    );
    let d = probe
        .run(
            &client,
            &script("hold_access_exclusive.sql"),
            "hold_access_exclusive.sql",
            Step::Forward,
        )
        .await;
    assert!(d.ok, "{:?}", d.error);
    let workload = d.workload.as_ref().expect("the default workload ran");
    assert!(workload.default);
    let names: Vec<&str> = workload.queries.iter().map(|q| q.name.as_str()).collect();
    assert!(names.contains(&"read public.orders by id"), "{names:?}");
    assert!(names.contains(&"update public.accounts by id"), "{names:?}");
    assert!(workload.totals.queries > 0, "{workload:#?}");
    assert!(workload.totals.blocked_count > 0, "{workload:#?}");
}

#[tokio::test]
async fn lock_queue_behind_a_long_transaction_is_measured_and_reported() {
    let db = database().await;
    let client = db.connection.connect().await.unwrap();
    let probe = Probe::new(db.connection.clone(), settings("lock_queue.toml"));
    let d = probe
        .run(
            &client,
            &script("add_flag_column.sql"),
            "add_flag_column.sql",
            Step::Forward,
        )
        .await;
    assert!(d.ok, "{:?}", d.error);
    let long = d
        .long_transaction
        .as_ref()
        .expect("the long transaction ran");
    assert_eq!(long.relation, "public.accounts");
    assert_eq!(long.mode, "AccessShareLock");
    // The migration waited for its lock, and no longer than the long transaction held its own.
    let statement = &d.statements[0];
    assert!(statement.lock_wait_ms > 0.0, "{statement:#?}");
    assert!(long.migration_lock_wait_ms > 0.0);
    assert!(
        long.migration_lock_wait_ms <= long.held_ms + 20.0,
        "{long:#?}"
    );
    // The cascade: reads that never conflict with ACCESS SHARE waited behind the migration.
    assert!(long.blocked_queries > 0, "{long:#?}");
    let workload = statement.workload.as_ref().unwrap();
    assert!(
        workload.blocked_count > 0 && workload.blocked_longest_ms > 0.0,
        "{workload:#?}"
    );
    assert_eq!(
        statement
            .locks
            .iter()
            .find(|l| l.relation == "public.accounts")
            .map(|l| l.mode.as_str()),
        Some("AccessExclusiveLock")
    );
    // The lock was granted only after the wait.
    let lock = &statement.locks[0];
    assert!(
        lock.acquired_ms >= statement.started_ms + statement.lock_wait_ms * 0.5,
        "{lock:?}"
    );
}

#[tokio::test]
async fn the_workload_stops_when_the_step_ends() {
    let db = database().await;
    let client = db.connection.connect().await.unwrap();
    let probe = Probe::new(db.connection.clone(), settings("workload.toml"));
    let d = probe
        .run(
            &client,
            &script("add_flag_column.sql"),
            "add_flag_column.sql",
            Step::Forward,
        )
        .await;
    assert!(d.ok);
    // Only this connection remains: clients, monitor and setup connections are closed (a backend
    // exits a moment after its socket closes, hence the polling).
    let mut others = -1;
    for _ in 0..50 {
        others = client
            .query_one(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
                &[],
            )
            .await
            .unwrap()
            .get::<_, i64>(0);
        if others == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(others, 0, "connections of the step are still open");
}

#[tokio::test]
async fn a_rehearsal_that_hits_lock_timeout_behind_a_long_transaction_fails_with_a_finding() {
    let report = rehearse_locally("lock-queue-timeout").await;
    let migration = &report.migrations[0];
    assert_eq!(migration.id, "002");
    let finding = migration
        .findings
        .iter()
        .find(|f| f.kind == "lock_timeout")
        .unwrap_or_else(|| panic!("{:#?}", migration.findings));
    assert!(
        finding
            .message
            .contains("V002__add_shipping_note.sql, line 1"),
        "{}",
        finding.message
    );
    assert!(finding.message.contains("500ms"), "{}", finding.message);
    let forward = &migration.forward;
    assert!(forward.lock_wait_ms > 0.0);
    let long = forward.long_transaction.as_ref().unwrap();
    assert_eq!(long.relation, "public.orders");
    assert!(long.migration_lock_wait_ms > 0.0);
    // The readers still queued behind the waiting ALTER while it waited.
    assert!(
        forward.workload.as_ref().unwrap().totals.blocked_count > 0,
        "{forward:#?}"
    );
}

#[tokio::test]
async fn the_default_workload_updates_change_no_data_even_through_triggers() {
    let db = database().await;
    let client = db.connection.connect().await.unwrap();
    client
        .batch_execute(&std::fs::read_to_string(fixture("touch_trigger.sql")).unwrap())
        .await
        .unwrap();
    let probe = Probe::new(
        db.connection.clone(),
        ProbeSettings::from_scenario(&Scenario::bare(&fixture("."))),
    );
    let d = probe
        .run(&client, &script("sleep.sql"), "sleep.sql", Step::Forward)
        .await;
    assert!(d.ok, "{:?}", d.error);
    let workload = d.workload.unwrap();
    let updates = workload
        .queries
        .iter()
        .find(|q| q.name == "update public.accounts by id")
        .unwrap();
    assert!(
        updates.stats.queries > 0 && updates.stats.errors == 0,
        "{updates:#?}"
    );
    let touched: i64 = client
        .query_one("SELECT count(*) FROM accounts WHERE touched", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(touched, 0);
}

#[tokio::test]
async fn a_workload_or_long_transaction_that_cannot_start_is_a_finding_not_a_silent_skip() {
    let report = rehearse_locally("missing-tables").await;
    let migration = &report.migrations[0];
    assert_eq!(migration.verdict, rehearse::report::Verdict::Fail);
    let messages: Vec<&str> = migration
        .findings
        .iter()
        .filter(|f| f.kind == "not_observed")
        .map(|f| f.message.as_str())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("long transaction could not lock invoices")
                && m.contains("does not exist")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("workload query \"read invoice\" never ran")
                && m.contains("does not exist")),
        "{messages:?}"
    );
    assert!(migration.forward.long_transaction.is_none());
    assert!(!migration.forward.unobserved.is_empty());
}
