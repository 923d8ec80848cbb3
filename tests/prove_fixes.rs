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

/// Every mechanical rewrite leaves the schema the original leaves, by `pg_dump --schema-only`
/// (the oracle the proof's snapshot comparison is tested against): each rule's bad example and
/// its rewrite, applied to two copies of the same tables and rows.
#[tokio::test]
async fn every_rewrite_leaves_the_schema_pg_dump_shows_for_the_original() {
    use rehearse::rules::{by_id, fixes};
    let server = common::local_server().await;
    let base = common::fixture("prove_fixes/base.sql");
    for (n, rule) in fixes::REWRITTEN.iter().enumerate() {
        let bad = by_id(rule).unwrap().bad.trim_end_matches(';');
        let rewrite = fixes::rewrite(rule, bad).unwrap_or_else(|| panic!("{rule}: no rewrite"));
        let original =
            common::database_with(&server, &format!("original_{n}"), &[base.clone()]).await;
        let fixed = common::database_with(&server, &format!("fixed_{n}"), &[base.clone()]).await;
        // The index the drop rule drops exists on both first.
        let before = match *rule {
            "require-concurrent-index-drop" => {
                "CREATE INDEX orders_user_id_idx ON orders (user_id);"
            }
            _ => "",
        };
        let first = original.connect().await.unwrap();
        first.batch_execute(before).await.unwrap();
        first.batch_execute(bad).await.unwrap();
        let client = fixed.connect().await.unwrap();
        client.batch_execute(before).await.unwrap();
        // One statement at a time, outside a transaction: CONCURRENTLY and the backfill's
        // COMMITs need it.
        let statements =
            rehearse::migrations::split_statements(std::path::Path::new(rule), &rewrite, 1)
                .unwrap();
        for s in statements {
            client
                .batch_execute(&s.sql)
                .await
                .unwrap_or_else(|e| panic!("{rule}: {}: {e:?}", s.sql));
        }
        assert_eq!(
            common::schema_dump(&original, true),
            common::schema_dump(&fixed, true),
            "{rule}: the rewrite leaves another schema than {bad}"
        );
    }
}
