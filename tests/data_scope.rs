//! The data check signs only the tables a migration could have changed, and loses no verdict by
//! it: the fixtures under `tests/fixtures/rehearsals/data_scope/` are rehearsed by the real
//! binary on the local provider, and report.json must name what was checked and why.

mod common;

use common::*;
use serde_json::Value;

fn scenario(name: &str) -> std::path::PathBuf {
    fixture("rehearsals/data_scope")
        .join(name)
        .join("rehearse.toml")
}

fn migration<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id)
        .unwrap_or_else(|| panic!("no migration {id} in {report}"))
}

fn checked(m: &Value) -> Vec<&str> {
    m["data_check"]["checked"]
        .as_array()
        .unwrap_or_else(|| panic!("no data_check in {m}"))
        .iter()
        .map(|c| c["table"].as_str().unwrap())
        .collect()
}

fn lost(m: &Value) -> Vec<&str> {
    m["data_differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["object"].as_str().unwrap())
        .collect()
}

#[test]
fn a_migration_on_a_small_table_signs_only_it_and_proves_the_large_one_unchanged() {
    let run = rehearse_local(&scenario("touched_only"), &[]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let report = run.report();
    let m = migration(&report, "002");
    assert_eq!(m["data_preserved"], true, "{m}");
    let check = &m["data_check"];
    assert_eq!(check["scope"], "touched", "{check}");
    assert_eq!(checked(m), ["public.small"], "{check}");
    let why = check["checked"][0]["why"].as_str().unwrap();
    assert!(why.contains("RowExclusiveLock in the forward"), "{why}");
    assert_eq!(
        check["unchanged_tables"], 1,
        "public.big needs no check: {check}"
    );
    let timings = &m["timings"];
    for part in [
        "statements_ms",
        "snapshots_ms",
        "signatures_ms",
        "observation_ms",
        "wall_ms",
    ] {
        assert!(timings[part].as_f64().unwrap() > 0.0, "{part}: {timings}");
    }
    let parts: f64 = [
        "statements_ms",
        "observation_ms",
        "snapshots_ms",
        "signatures_ms",
        "seed_ms",
        "reset_ms",
        "other_ms",
    ]
    .iter()
    .map(|p| timings[p].as_f64().unwrap())
    .sum();
    let wall = timings["wall_ms"].as_f64().unwrap();
    assert!(
        (parts - wall).abs() < 1.0,
        "the parts add up to the wall time: {timings}"
    );
}

#[test]
fn every_way_of_losing_rows_is_still_found_when_only_touched_tables_are_signed() {
    let run = rehearse_local(&scenario("losses"), &[]);
    assert_eq!(run.code, 1, "stderr: {}", run.stderr);
    let report = run.report();

    // A trigger on items writes counters: no statement names it, its lock does.
    let trigger = migration(&report, "002");
    assert_eq!(trigger["data_preserved"], false, "{trigger}");
    assert!(lost(trigger).contains(&"public.counters.n"), "{trigger}");
    assert_eq!(trigger["data_check"]["scope"], "touched", "{trigger}");
    assert!(
        !checked(trigger).contains(&"public.parent"),
        "untouched tables are not read: {trigger}"
    );

    // The rollback's DELETE cascades to child.
    let cascade = migration(&report, "003");
    assert_eq!(cascade["data_preserved"], false, "{cascade}");
    assert!(lost(cascade).contains(&"public.child"), "{cascade}");
    assert!(lost(cascade).contains(&"public.parent"), "{cascade}");

    let truncate = migration(&report, "004");
    assert_eq!(truncate["data_preserved"], false, "{truncate}");
    assert!(lost(truncate).contains(&"public.scratch"), "{truncate}");

    let rewrite = migration(&report, "005");
    assert_eq!(rewrite["data_preserved"], false, "{rewrite}");
    assert!(lost(rewrite).contains(&"public.items.amount"), "{rewrite}");

    let recreated = migration(&report, "006");
    assert_eq!(recreated["data_preserved"], false, "{recreated}");
    assert!(lost(recreated).contains(&"public.events"), "{recreated}");

    // DO blocks: every table is signed before; the dynamic UPDATE and DROP COLUMN are found.
    let dynamic = migration(&report, "007");
    assert_eq!(dynamic["data_preserved"], false, "{dynamic}");
    assert_eq!(dynamic["data_check"]["scope"], "all", "{dynamic}");
    assert!(lost(dynamic).contains(&"public.words.w"), "{dynamic}");
    assert!(lost(dynamic).contains(&"public.shapes.c"), "{dynamic}");

    // The control: written and restored, read through the snapshot held across the migration.
    let restored = migration(&report, "008");
    assert_eq!(restored["data_preserved"], true, "{restored}");
    assert_eq!(checked(restored), ["public.items"], "{restored}");

    // A DELETE outside the file's own transaction: its lock is gone before the probe looks.
    let outside = migration(&report, "009");
    assert_eq!(outside["data_preserved"], false, "{outside}");
    assert_eq!(outside["data_check"]["scope"], "all", "{outside}");
    assert!(
        outside["data_check"]["reason"]
            .as_str()
            .unwrap()
            .contains("outside a transaction block"),
        "{outside}"
    );
    assert!(lost(outside).contains(&"public.queue"), "{outside}");
}
