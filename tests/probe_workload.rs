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
    let settings = rehearse::pipeline::rehearsal_settings(&scenario, &set).unwrap();
    rehearse::rehearsal::rehearse(&settings, &set, &rehearse::rehearsal::QuietProgress)
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
    // The step's clients, monitor and setup sessions stay for the next step, idle: none is
    // running a query or holding a transaction open.
    let busy: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_stat_activity
             WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND state <> 'idle'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(busy, 0, "a session of the step is still busy");
    // Closed, only this connection remains (a backend exits a moment after its socket closes,
    // hence the polling).
    probe.close_sessions();
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

#[tokio::test]
async fn the_default_workload_blocks_writers_on_a_table_with_a_generated_always_identity_key() {
    let db = database().await;
    let client = db.connection.connect().await.unwrap();
    client
        .batch_execute(&std::fs::read_to_string(fixture("identity_tables.sql")).unwrap())
        .await
        .unwrap();
    let probe = Probe::new(
        db.connection.clone(),
        ProbeSettings::from_scenario(&Scenario::bare(&fixture("."))),
    );
    let d = probe
        .run(
            &client,
            &script("hold_access_exclusive_on_ident.sql"),
            "hold_access_exclusive_on_ident.sql",
            Step::Forward,
        )
        .await;
    assert!(d.ok, "{:?}", d.error);
    let workload = d
        .workload
        .as_ref()
        .unwrap_or_else(|| panic!("the default workload did not run: {:?}", d.unobserved));
    assert!(workload.writes_rolled_back, "{workload:#?}");
    let names: Vec<&str> = workload.queries.iter().map(|q| q.name.as_str()).collect();
    // A table whose only column is an identity gets reads, and no update it could not run.
    assert!(names.contains(&"read public.only_ids by id"), "{names:?}");
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("update public.only_ids")),
        "{names:?}"
    );
    let update = workload
        .queries
        .iter()
        .find(|q| q.name == "update public.ident by id")
        .unwrap_or_else(|| panic!("{names:?}"));
    assert_eq!(update.sql, "UPDATE public.ident SET v = v WHERE id = $1");
    assert!(update.rolled_back);
    assert!(
        update.stats.queries > 0 && update.stats.errors == 0,
        "{update:#?} {:?}",
        workload.error_samples
    );
    // The updates queued behind the ALTER's ACCESS EXCLUSIVE, held through the 1.5 s sleep.
    assert!(update.stats.blocked_count > 0, "{update:#?}");
    assert!(
        update.stats.blocked_longest_ms > 750.0,
        "the longest blocked update waited {:.0} ms of the 1500 ms hold: {update:#?}",
        update.stats.blocked_longest_ms
    );
    let reads = workload
        .queries
        .iter()
        .find(|q| q.name == "read public.ident by id")
        .unwrap();
    assert!(!reads.rolled_back, "a read by key runs as written");
}

#[tokio::test]
async fn a_writing_workload_query_changes_no_data_and_the_migration_keeps_its_pass() {
    let report = rehearse_locally("writing-workload").await;
    let migration = &report.migrations[0];
    assert_eq!(migration.id, "002");
    assert_eq!(
        migration.verdict,
        rehearse::report::Verdict::Pass,
        "{:#?} {:#?}",
        migration.findings,
        migration.data_differences
    );
    assert_eq!(migration.data_preserved, Some(true));
    for direction in [&migration.forward, migration.rollback.as_ref().unwrap()] {
        let workload = direction.workload.as_ref().unwrap();
        let bump = &workload.queries[0];
        assert!(bump.rolled_back && workload.writes_rolled_back);
        assert!(
            bump.stats.queries > 0 && bump.stats.errors == 0,
            "{bump:#?} {:?}",
            workload.error_samples
        );
    }
}

#[tokio::test]
async fn parameters_are_drawn_once_per_rehearsal_and_again_after_a_migration_writes_their_table() {
    let report = rehearse_locally("parameter-draws").await;
    let ids: Vec<&str> = report.migrations.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["002", "003", "004"]);
    let mut draws = Vec::new();
    for m in &report.migrations {
        assert_eq!(m.verdict, rehearse::report::Verdict::Pass, "{m:#?}");
        for direction in [Some(&m.forward), m.rollback.as_ref(), m.redo.as_ref()] {
            let workload = direction.unwrap().workload.as_ref().unwrap();
            assert!(workload.queries.iter().all(|q| q.skipped.is_none()));
            draws.push(workload.parameter_draws);
        }
    }
    // Two parameter queries, drawn before the first step; `items` again after each step of V004,
    // which updates it; `others` (only commented on) never again.
    assert_eq!(draws, [2, 0, 0, 0, 0, 0, 0, 1, 1]);
}

#[tokio::test]
async fn the_default_draw_reads_a_bounded_number_of_blocks_of_a_huge_table() {
    let db = database().await;
    let client = db.connection.connect().await.unwrap();
    client
        .batch_execute(
            "CREATE TABLE huge (id bigint PRIMARY KEY, v integer) WITH (autovacuum_enabled = false);
             INSERT INTO huge SELECT g, g FROM generate_series(1, 1000000) g;",
        )
        .await
        .unwrap();
    let pages: i64 = client
        .query_one(
            "SELECT pg_relation_size('huge') / current_setting('block_size')::int",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let blocks = || async {
        client
            .query_one(
                "SELECT coalesce(heap_blks_read, 0) + coalesce(heap_blks_hit, 0)
                 FROM pg_statio_user_tables WHERE relname = 'huge'",
                &[],
            )
            .await
            .unwrap()
            .get::<_, i64>(0)
    };
    // The INSERT's own block accesses are flushed when this session is idle, at most a second on.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let before = blocks().await;
    // A slow default workload: the draw, and a query or two by key.
    let section = rehearse::scenario::WorkloadSection {
        clients: 1,
        rate: 1.0,
        ..Default::default()
    };
    let probe = Probe::new(
        db.connection.clone(),
        ProbeSettings {
            workload: Some(section),
            ..Default::default()
        },
    );
    let d = probe
        .run(&client, &script("sleep.sql"), "sleep.sql", Step::Forward)
        .await;
    let workload = d.workload.as_ref().unwrap();
    assert!(
        workload
            .queries
            .iter()
            .any(|q| q.name == "read public.huge by id" && q.skipped.is_none()),
        "{workload:#?}"
    );
    // The workload's sessions flush their statistics as they exit.
    probe.close_sessions();
    let mut after = before;
    for _ in 0..30 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        after = blocks().await;
        if after > before {
            break;
        }
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    after = after.max(blocks().await);
    let read = after - before;
    assert!(read > 0, "the draw read no block of huge");
    assert!(
        read < pages / 20,
        "drawing keys read {read} blocks of a table of {pages}"
    );
}
