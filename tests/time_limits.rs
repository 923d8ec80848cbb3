//! Time limits: `--timeout` (and `[run] timeout`) ends a run whose statement never ends, with
//! the statement cancelled in the server, the partial report written and exit 1; every statement
//! has a default budget unless the scenario or the migration sets its own.

mod common;

use common::*;
use rehearse::provision::{self, DatabaseRequest, ProviderChoice};
use std::time::{Duration, Instant};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn migration<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id)
        .unwrap_or_else(|| panic!("no migration {id} in {report}"))
}

#[test]
fn a_statement_that_never_ends_is_cut_by_the_run_timeout_with_a_partial_report() {
    let started = Instant::now();
    let run = rehearse_local(
        &fixture("rehearsals/endless"),
        &["--timeout", "20s", "--no-seed"],
    );
    let took = started.elapsed();
    assert_eq!(
        run.code, 1,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    assert!(took < Duration::from_secs(120), "the run took {took:?}");
    let said: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("timed out"))
        .collect();
    assert_eq!(said.len(), 1, "{}", run.stderr);
    assert!(
        said[0].starts_with("rehearse: timed out: V002__never_ends.sql was being rehearsed when the run's timeout (20s) stopped the run")
            && said[0].contains("partial report: "),
        "{}",
        said[0]
    );
    let report = run.report();
    assert_eq!(report["verdict"], "fail");
    assert_eq!(migration(&report, "001")["verdict"], "pass");
    assert_eq!(migration(&report, "002")["verdict"], "timed_out");
    assert_eq!(
        report["migrations"].as_array().unwrap().len(),
        2,
        "003 was not reached"
    );
}

#[test]
fn the_timeout_cancels_the_statement_in_a_server_rehearse_does_not_own() {
    let rt = runtime();
    let server = rt
        .block_on(provision::provision(&DatabaseRequest {
            provider: ProviderChoice::Local,
            ..Default::default()
        }))
        .unwrap();
    rt.block_on(async {
        let c = server.connection.connect().await.unwrap();
        c.batch_execute("CREATE DATABASE staging_app")
            .await
            .unwrap();
    });
    let url = server.connection.with_dbname("staging_app").url();
    let run = rehearse(&[
        "run",
        fixture("rehearsals/endless").to_str().unwrap(),
        "--url",
        &url,
        "--in-transaction",
        "--timeout",
        "6s",
    ]);
    assert_eq!(
        run.code, 1,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    assert_eq!(migration(&run.report(), "002")["verdict"], "timed_out");
    // Nothing of the run is still running in the server: the sleep was cancelled, not left to
    // hold its transaction open for an hour.
    let still: i64 = rt.block_on(async {
        let c = server.connection.connect().await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let n: i64 = c
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity
                     WHERE pid <> pg_backend_pid() AND query LIKE '%pg_sleep(3600)%'",
                    &[],
                )
                .await
                .unwrap()
                .get(0);
            if n == 0 || Instant::now() > deadline {
                return n;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    assert_eq!(still, 0, "the endless statement still runs on the server");
}

#[test]
fn the_scenario_sets_the_run_timeout_too() {
    let run = rehearse_local(&fixture("rehearsals/run_timeout"), &["--no-seed"]);
    assert_eq!(
        run.code, 1,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    assert!(
        run.stderr.contains("[run] timeout = 4000ms"),
        "{}",
        run.stderr
    );
    // Where the 4 seconds ran out (starting the server, or the endless statement) depends on
    // the machine's load; that the run stopped there, said why and wrote its report does not.
    let report = run.report();
    assert_eq!(report["verdict"], "fail");
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["kind"] == "timed_out"),
        "{report}"
    );
}

#[test]
fn every_statement_has_a_default_budget() {
    let run = rehearse_local(
        &fixture("rehearsals/default_statement_budget"),
        &["--no-seed"],
    );
    assert_eq!(
        run.code, 0,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
}

#[test]
fn a_statement_timeout_the_migration_sets_itself_wins() {
    // The scenario gives every statement 1s; the migration gives its own 30s and sleeps 2s.
    let run = rehearse_local(&fixture("rehearsals/own_statement_timeout"), &["--no-seed"]);
    assert_eq!(
        run.code, 0,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
}
