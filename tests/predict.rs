//! Production's size declared beside the seeded rows: hazards judged at it, and `--predict`
//! rehearsing at three seeded sizes to predict it, checked against a real run at that size.
//! Every run is the real binary on a local PostgreSQL.

mod common;

use common::*;
use serde_json::Value;

fn rules_of(m: &Value) -> Vec<String> {
    m["hazards"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h["rule"].as_str().map(str::to_string))
        .collect()
}

fn migration<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id)
        .unwrap_or_else(|| panic!("no migration {id} in {report}"))
}

#[test]
fn production_rows_make_an_index_without_concurrently_a_hazard_that_seeded_rows_do_not() {
    // The same migrations on 1,000 inferred rows: nothing large.
    let bare = rehearse_local(&fixture("predict/posts/migrations"), &[]);
    assert_eq!(bare.code, 0, "{}", bare.stderr);
    let report = bare.report();
    assert!(
        !rules_of(migration(&report, "003")).contains(&"require-concurrent-index".to_string()),
        "{report}"
    );

    // 100 rows seeded, 40 million declared for production.
    let declared = rehearse_local(&fixture("predict/posts"), &[]);
    assert_eq!(declared.code, 0, "{}", declared.stderr);
    let report = declared.report();
    let index = migration(&report, "003");
    assert!(
        rules_of(index).contains(&"require-concurrent-index".to_string()),
        "{index}"
    );
    let message = index["hazards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["rule"] == "require-concurrent-index")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains("public.posts is a large table (40M rows in production, 100 seeded)"),
        "{message}"
    );
    let rewrite = migration(&report, "002")["hazards"].to_string();
    assert!(
        rewrite
            .contains("rewrites public.posts, a large table (40M rows in production, 100 seeded)"),
        "{rewrite}"
    );
    let posts = report["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["relation"] == "public.posts")
        .unwrap();
    assert_eq!(posts["production_rows"], 40_000_000, "{posts}");
    assert_eq!(posts["rows"], 100, "{posts}");
}

#[test]
fn production_rows_of_zero_is_bad_input_before_any_server_starts() {
    let run = rehearse(&[
        "run",
        fixture("predict/zero_production").to_str().unwrap(),
        "--provider",
        "docker",
        "--image",
        "no-such-image:never",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("rehearse.toml, line 9: table posts: production_rows = 0 must be at least 1"),
        "{}",
        run.stderr
    );
}

#[test]
fn production_rows_fewer_than_the_seeded_rows_is_bad_input() {
    let run = rehearse_local(&fixture("predict/fewer_than_seeded"), &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "rehearse.toml, line 9: table posts: production_rows = 400 is fewer than rows = 5000"
        ),
        "{}",
        run.stderr
    );
}

fn estimate(e: &Value) -> (f64, f64, f64) {
    let f = |k: &str| e[k].as_f64().unwrap_or_else(|| panic!("{k} of {e}"));
    (f("estimate"), f("low"), f("high"))
}

#[test]
fn predict_writes_an_interval_that_holds_a_real_run_at_production_size() {
    let predicted = rehearse_local(&fixture("predict/grows"), &["--predict"]);
    assert_eq!(predicted.code, 0, "{}", predicted.stderr);
    // The smaller sizes are measured on the run's own server after its one baseline: one
    // server, one baseline, one line per smaller size.
    let said = |needle: &str| predicted.stderr.matches(needle).count();
    assert_eq!(said("rehearse: PostgreSQL 15"), 1, "{}", predicted.stderr);
    assert_eq!(said("baseline 001"), 1, "{}", predicted.stderr);
    assert_eq!(
        said("--predict: measured at 25% of the seeded rows"),
        1,
        "{}",
        predicted.stderr
    );
    assert_eq!(
        said("--predict: measured at 50% of the seeded rows"),
        1,
        "{}",
        predicted.stderr
    );
    let report = predicted.report();
    // New fields only: the report with predictions still follows the published schema.
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("schema/report.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let widen = migration(&report, "002");
    let p = &widen["prediction"];
    assert_eq!(p["rows"], 600_000, "{p}");
    assert_eq!(p["relation"], "public.posts", "{p}");
    // Rows as the planner counts them after seeding: near 15,000, 30,000 and 60,000.
    let seeded: Vec<f64> = p["seeded_rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_f64().unwrap())
        .collect();
    assert_eq!(seeded.len(), 3, "{p}");
    for (got, want) in seeded.iter().zip([15_000.0, 30_000.0, 60_000.0]) {
        assert!((got - want).abs() / want < 0.1, "{p}");
    }
    eprintln!("prediction: {p}");
    let statements = p["statements"].as_array().unwrap();
    // ADD COLUMN with a constant default changes the catalog only: constant, not extrapolated.
    assert_eq!(statements[0]["duration_ms"]["model"], "constant", "{p}");
    // The type change rewrites the table: carried to production's size.
    let rewrite = &statements[1]["duration_ms"];
    assert!(
        matches!(rewrite["model"].as_str(), Some("linear" | "n_log_n")),
        "{rewrite}"
    );
    let (estimate_ms, low, high) = estimate(rewrite);
    assert!(low <= estimate_ms && estimate_ms <= high, "{rewrite}");
    let lock = &p["max_lock_hold_ms"];
    assert_eq!(lock["mode"], "AccessExclusiveLock", "{lock}");
    assert_eq!(lock["relation"], "public.posts", "{lock}");
    let markdown = std::fs::read_to_string(predicted.out.path().join("report.md")).unwrap();
    assert!(
        markdown.contains("predicted on production's rows (600k in public.posts)"),
        "{markdown}"
    );
    assert!(
        predicted.stdout.contains("predicted on production's rows")
            || predicted.stderr.contains("predicted on production's rows"),
        "{}",
        predicted.stdout
    );

    // The same migrations on production's 600,000 rows, for real.
    let actual = rehearse_local(&fixture("predict/grows"), &["--scale", "10"]);
    assert_eq!(actual.code, 0, "{}", actual.stderr);
    let report = actual.report();
    let real = &migration(&report, "002")["forward"]["statements"][1];
    let real_ms = real["duration_ms"].as_f64().unwrap();
    assert!(
        low <= real_ms && real_ms <= high,
        "the rewrite took {real_ms} ms on 600,000 rows; predicted {estimate_ms} ms ({low}-{high})"
    );
}
