//! `rehearse run --prove-fixes` on a real PostgreSQL (local provider): each hazard with a
//! mechanical rewrite is rehearsed rewritten beside the original on copies of the same seeded
//! state, and report.json, report.md and report.html show both.

mod common;

use common::{rehearse_local, repo};
use serde_json::Value;

/// The proof under the hazard of `rule` in migration `id`.
fn proof<'a>(report: &'a Value, id: &str, rule: &str) -> &'a Value {
    let m = report["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id)
        .unwrap_or_else(|| panic!("no migration {id}"));
    let hazard = m["hazards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["rule"] == rule)
        .unwrap_or_else(|| panic!("no {rule} hazard in {id}: {}", m["hazards"]));
    &hazard["proof"]
}

fn ms(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn concurrently_not_valid_and_backfill_stop_blocking_writers_on_a_million_rows() {
    let run = rehearse_local(&repo().join("scenarios/prove-fixes"), &["--prove-fixes"]);
    assert_eq!(
        run.code, 0,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let report = run.report();

    let index = proof(&report, "002", "require-concurrent-index");
    assert_eq!(index["verdict"], "proven", "{index}");
    assert_eq!(index["same_schema"], true, "{index}");
    assert!(index["rewrite"].as_str().unwrap().contains("CONCURRENTLY"));
    let (before, after) = (&index["original"], &index["fixed"]);
    assert!(
        ms(&before["blocked_ms"]) > 0.0,
        "writers waited for the plain build: {before}"
    );
    assert!(before["lock"]
        .as_str()
        .unwrap()
        .starts_with("ShareLock on public.orders"));
    assert_eq!(
        ms(&after["blocked_ms"]),
        0.0,
        "nobody waits for CONCURRENTLY: {after}"
    );
    assert_eq!(ms(&after["max_lock_hold_ms"]), 0.0, "{after}");
    assert!(after["wal_bytes"].as_u64().unwrap() > 0);

    let check = proof(&report, "003", "require-not-valid-check");
    assert_eq!(check["verdict"], "proven", "{check}");
    assert_eq!(check["same_schema"], true, "{check}");
    let (before, after) = (&check["original"], &check["fixed"]);
    assert!(
        ms(&after["blocked_ms"]) < ms(&before["blocked_ms"]),
        "VALIDATE after the NOT VALID step committed blocks less: {before} {after}"
    );
    assert!(
        ms(&after["max_lock_hold_ms"]) < ms(&before["max_lock_hold_ms"]),
        "{before} {after}"
    );

    // Add it nullable, set the default, backfill in committed batches: the rewrite under
    // ACCESS EXCLUSIVE is gone, the backfill takes longer.
    let token = proof(&report, "004", "adding-volatile-default");
    assert_eq!(token["verdict"], "proven", "{token}");
    assert_eq!(token["same_schema"], true, "{token}");
    let (before, after) = (&token["original"], &token["fixed"]);
    assert!(before["lock"]
        .as_str()
        .unwrap()
        .starts_with("AccessExclusiveLock on public.orders"));
    assert!(
        ms(&after["max_lock_hold_ms"]) < ms(&before["max_lock_hold_ms"]),
        "{before} {after}"
    );
    assert!(
        ms(&after["blocked_ms"]) < ms(&before["blocked_ms"]),
        "{before} {after}"
    );

    let md = std::fs::read_to_string(run.out.path().join("report.md")).unwrap();
    assert!(md.contains("🧪 **fix proven**"), "{md}");
    assert!(md.contains("| queries blocked |"), "{md}");
    let html = std::fs::read_to_string(run.out.path().join("report.html")).unwrap();
    assert!(html.contains("class=\"proof\""));
    assert!(
        run.stdout
            .contains("🧪 002 require-concurrent-index (line 2): fix proven"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_fix_that_fails_where_it_is_written_is_reported_as_failed() {
    let run = rehearse_local(
        &repo().join("tests/fixtures/prove_fixes/in_file_transaction"),
        &["--prove-fixes"],
    );
    assert_eq!(
        run.code, 0,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let report = run.report();
    let index = proof(&report, "002", "require-concurrent-index");
    assert_eq!(index["verdict"], "fix_failed", "{index}");
    assert_eq!(index["fixed"]["ok"], false);
    assert!(
        index["fixed"]["error"]
            .as_str()
            .unwrap()
            .contains("cannot run inside a transaction block"),
        "{index}"
    );
    assert_eq!(index["original"]["ok"], true);
    assert!(run.stdout.contains("fix failed"), "{}", run.stdout);
}

#[test]
fn without_the_flag_nothing_is_proven() {
    let run = rehearse_local(
        &repo().join("tests/fixtures/prove_fixes/in_file_transaction"),
        &[],
    );
    assert_eq!(
        run.code, 0,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let report = run.report();
    let m = &report["migrations"][0];
    assert!(m.get("proofs").is_none(), "{m}");
    assert!(m["hazards"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h.get("proof").is_none()));
}
