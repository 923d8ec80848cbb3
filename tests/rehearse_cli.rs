//! End-to-end: the real binary rehearses migration folders on a real local PostgreSQL.

mod common;

use common::*;

#[test]
fn quickstart_passes_with_both_migrations_statements_and_durations() {
    let run = rehearse_local(&repo().join("scenarios/quickstart"), &[]);
    assert_eq!(
        run.code, 0,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let report = run.report();
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["verdict"], "pass");
    assert_eq!(report["database"]["provider"], "local");
    let migrations = report["migrations"].as_array().unwrap();
    let ids: Vec<_> = migrations
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["001", "002"]);
    assert_eq!(migrations[1]["name"], "add_status_column");
    for m in migrations {
        assert_eq!(m["verdict"], "pass", "{m}");
        for direction in ["forward", "rollback"] {
            let d = &m[direction];
            assert_eq!(d["ok"], true, "{direction}: {d}");
            assert!(d["duration_ms"].as_f64().unwrap() > 0.0);
            let statements = d["statements"].as_array().unwrap();
            assert!(!statements.is_empty());
            assert!(statements
                .iter()
                .all(|s| s["duration_ms"].as_f64().unwrap() > 0.0));
        }
    }
    let add = &migrations[1]["forward"]["statements"][0]["sql"];
    assert!(
        add.as_str()
            .unwrap()
            .contains("ADD COLUMN status VARCHAR(20) NOT NULL DEFAULT 'active'"),
        "{add}"
    );
    assert!(run.stdout.contains("PASS"), "{}", run.stdout);
}

#[test]
fn forward_failure_names_file_line_and_server_message() {
    let run = rehearse_local(&fixture("rehearsals/forward_fails"), &[]);
    assert_eq!(run.code, 1, "stderr: {}", run.stderr);
    let report = run.report();
    assert_eq!(report["verdict"], "fail");
    let failing = &report["migrations"][1];
    assert_eq!(failing["verdict"], "fail");
    let error = &failing["forward"]["error"];
    assert_eq!(error["file"], "V002__copy_missing_column.sql");
    // The server points at `email`, on the fourth line of the file, not the statement's first.
    assert_eq!(error["line"], 4, "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("column \"email\" does not exist"),
        "{error}"
    );
    assert_eq!(error["code"], "42703");
    // A failed forward is rolled back: nothing of it remains, and later migrations are not run.
    assert!(failing["rollback"].is_null());
    let later = &report["migrations"][2];
    assert_eq!(later["verdict"], "not_run");
    assert!(
        later["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("was not rehearsed"),
        "{later}"
    );
}

#[test]
fn a_migration_after_a_failure_is_not_run_in_every_rendering() {
    let run = rehearse_local(&fixture("rehearsals/forward_fails"), &[]);
    assert_eq!(run.code, 1, "stderr: {}", run.stderr);
    let report = run.report();
    let verdicts: Vec<&str> = report["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(verdicts, ["pass", "fail", "not_run"]);
    // The run still fails: something failed.
    assert_eq!(report["verdict"], "fail");
    let headline = "FAIL: 2 of 3 rehearsed: 1 failed, 1 passed, 1 not run";
    assert!(run.stdout.contains(headline), "{}", run.stdout);
    assert!(
        !run.stdout.contains("FAIL 003"),
        "a migration that did not run is not a failure: {}",
        run.stdout
    );
    let md = std::fs::read_to_string(run.out.path().join("report.md")).unwrap();
    assert!(md.contains(headline), "{md}");
    assert!(md.contains("not run"), "{md}");
    let html = std::fs::read_to_string(run.out.path().join("report.html")).unwrap();
    assert!(html.contains(headline), "{html}");
    let junit = std::fs::read_to_string(run.out.path().join("junit.xml")).unwrap();
    let suite = &junit[junit.find("<testsuite name=\"003").unwrap()..];
    let suite = &suite[..suite.find("</testsuite>").unwrap()];
    assert!(
        suite.contains("failures=\"0\"") && suite.contains("skipped=\"5\""),
        "{suite}"
    );
}

#[test]
fn missing_rollback_is_rehearsed_forward_and_fails_with_a_finding() {
    let run = rehearse_local(&fixture("rehearsals/missing_rollback"), &[]);
    assert_eq!(run.code, 1, "stderr: {}", run.stderr);
    let report = run.report();
    let m = &report["migrations"][1];
    assert_eq!(m["id"], "002");
    assert_eq!(m["forward"]["ok"], true);
    assert!(m["rollback"].is_null());
    assert_eq!(m["verdict"], "fail");
    assert_eq!(m["findings"][0]["kind"], "missing_rollback");
    // The migration after it is still rehearsed.
    assert_eq!(report["migrations"][2]["verdict"], "pass");
}

#[test]
fn a_rollback_that_fails_is_a_finding_naming_its_file() {
    let run = rehearse_local(&fixture("rehearsals/rollback_fails"), &[]);
    assert_eq!(run.code, 1);
    let m = &run.report()["migrations"][0];
    assert_eq!(m["rollback"]["ok"], false);
    assert_eq!(
        m["rollback"]["error"]["file"],
        "V001__create_accounts_rollback.sql"
    );
    assert!(m["rollback"]["error"]["message"]
        .as_str()
        .unwrap()
        .contains("acounts"));
}

#[test]
fn concurrent_index_runs_outside_a_transaction_block() {
    let run = rehearse_local(&fixture("rehearsals/nontransactional"), &[]);
    assert_eq!(
        run.code, 0,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let report = run.report();
    let statement = &report["migrations"][1]["forward"]["statements"][0];
    assert!(statement["sql"]
        .as_str()
        .unwrap()
        .starts_with("CREATE INDEX CONCURRENTLY"));
    assert_eq!(statement["transactional"], false);
    assert_eq!(
        report["migrations"][0]["forward"]["statements"][1]["transactional"],
        true
    );
}

/// Bad input: exit 2, and one sentence on stderr naming the thing.
fn assert_bad_input(run: &Run, names: &[&str]) {
    assert_eq!(
        run.code, 2,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let lines: Vec<_> = run
        .stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(lines.len(), 1, "expected one sentence, got: {}", run.stderr);
    for name in names {
        assert!(
            lines[0].contains(name),
            "{:?} does not name {name}",
            lines[0]
        );
    }
    assert!(
        !run.stderr.contains("panicked") && !run.stderr.contains("Error {"),
        "{}",
        run.stderr
    );
    assert!(
        !run.out.path().join("report.json").exists(),
        "nothing may run on bad input"
    );
}

#[test]
fn malformed_migration_name_is_bad_input_naming_the_file() {
    assert_bad_input(
        &rehearse_local(&fixture("bad_input/malformed_name"), &[]),
        &["V2_add_b.sql"],
    );
}

#[test]
fn duplicate_versions_are_bad_input_naming_both_files() {
    assert_bad_input(
        &rehearse_local(&fixture("bad_input/duplicate_versions"), &[]),
        &["V1__create_a.sql", "V001__create_b.sql"],
    );
}

#[test]
fn missing_folder_is_bad_input_naming_it() {
    assert_bad_input(
        &rehearse_local(&fixture("bad_input/no_such_folder"), &[]),
        &["no_such_folder"],
    );
}

#[test]
fn a_file_that_does_not_parse_is_that_migrations_failure_in_the_written_report() {
    let run = rehearse_local(&fixture("rehearsals/syntax_error"), &[]);
    assert_eq!(
        run.code, 1,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let report = run.report();
    let m = &report["migrations"][0];
    assert_eq!(m["verdict"], "fail");
    let error = &m["forward"]["error"];
    assert_eq!(error["file"], "V1__create_users.sql");
    assert_eq!(error["line"], 4, "{error}");
    assert!(
        error["message"].as_str().unwrap().contains("ADDD"),
        "{error}"
    );
    assert_eq!(m["findings"][0]["kind"], "forward_failed");
}

#[test]
fn unknown_flag_is_bad_usage() {
    let run = rehearse(&["run", "scenarios/quickstart", "--no-such-flag"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

/// Every format's fixture rehearses end to end on a real server, in version order.
fn assert_format_passes(folder: &str, format: &str, ids: &[&str]) {
    let run = rehearse_local(&fixture(&format!("migrations/{folder}")), &[]);
    assert_eq!(
        run.code, 0,
        "{folder}: stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let report = run.report();
    let got: Vec<_> = report["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(got, ids, "{folder}");
    for m in report["migrations"].as_array().unwrap() {
        assert_eq!(m["verdict"], "pass", "{m}");
        assert_eq!(m["redo"]["ok"], true, "{m}");
    }
    // Forcing the format that was detected changes nothing.
    let forced = rehearse_local(
        &fixture(&format!("migrations/{folder}")),
        &["--format", format],
    );
    assert_eq!(
        forced.code, 0,
        "{folder} with --format {format}: {}",
        forced.stderr
    );
}

#[test]
fn flyway_folder_rehearses_end_to_end() {
    assert_format_passes("flyway", "flyway", &["001", "1_1", "002", "010"]);
}

#[test]
fn sqlx_and_golang_migrate_folder_rehearses_end_to_end() {
    assert_format_passes("updown", "up-down", &["1", "2", "10"]);
}

#[test]
fn diesel_folder_rehearses_end_to_end() {
    assert_format_passes(
        "diesel",
        "diesel",
        &["00000000000000", "2024-01-01-120000", "2024-01-02-090000"],
    );
}

#[test]
fn dbmate_folder_rehearses_end_to_end() {
    assert_format_passes("dbmate", "dbmate", &["20240101120000", "20240102090000"]);
}

#[test]
fn forcing_the_wrong_format_is_bad_input() {
    let run = rehearse_local(&fixture("migrations/updown"), &["--format", "flyway"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn scenario_with_a_typo_is_bad_input_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("rehearse.toml"),
        "name = \"typo\"\n\n[database]\nprovder = \"local\"\n",
    )
    .unwrap();
    let run = rehearse(&["run", dir.path().to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("rehearse.toml, line 4"),
        "{}",
        run.stderr
    );
}

#[test]
fn lock_queue_scenario_passes_and_reports_the_wait_and_the_blocked_reads() {
    let run = rehearse_local(&repo().join("scenarios/lock-queue"), &[]);
    // Its workload marks orders paid while the migration runs: rolled back, never blamed on it.
    assert_eq!(
        run.code, 0,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let report = run.report();
    let m = &report["migrations"][0];
    assert_eq!(m["id"], "002");
    assert_eq!(m["data_preserved"], true, "{}", m["data_differences"]);
    let forward = &m["forward"];
    assert!(forward["lock_wait_ms"].as_f64().unwrap() > 0.0, "{forward}");
    let long = &forward["long_transaction"];
    assert!(
        long["migration_lock_wait_ms"].as_f64().unwrap() > 0.0,
        "{long}"
    );
    assert!(long["blocked_queries"].as_u64().unwrap() > 0, "{long}");
    let workload = &forward["workload"];
    assert_eq!(workload["writes_rolled_back"], true);
    let read = &workload["queries"][0];
    assert_eq!(read["name"], "read order");
    assert_eq!(read["rolled_back"], false);
    assert!(
        read["stats"]["blocked_count"].as_u64().unwrap() > 0,
        "{read}"
    );
    let paid = &workload["queries"][1];
    assert_eq!(paid["rolled_back"], true);
    assert!(paid["stats"]["queries"].as_u64().unwrap() > 0, "{paid}");
    assert_eq!(paid["stats"]["errors"], 0, "{}", workload["error_samples"]);
}

#[test]
fn a_migration_saved_with_a_byte_order_mark_runs() {
    let run = rehearse_local(&fixture("rehearsals/bom"), &["--no-seed"]);
    assert_eq!(
        run.code, 0,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    assert_eq!(run.report()["migrations"][0]["verdict"], "pass");
}

#[test]
fn a_transaction_the_file_leaves_open_is_named_as_such() {
    let run = rehearse_local(&fixture("rehearsals/open_transaction"), &["--no-seed"]);
    assert_eq!(
        run.code, 1,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let report = run.report();
    let error = &report["migrations"][0]["forward"]["error"];
    let message = error["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("BEGIN here opens a transaction that the file never ends"),
        "{report}"
    );
    assert_eq!(error["line"], 2, "{report}");
    assert!(
        !run.stdout.contains("SET TRANSACTION ISOLATION LEVEL"),
        "{}",
        run.stdout
    );
}
