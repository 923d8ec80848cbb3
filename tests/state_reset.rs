//! A rehearsal that leaves damage behind is followed by a reset from the template, so later
//! migrations are rehearsed on the state production would have. The fixture's V002 widens
//! `t.amount` and its rollback loses every amount; V003 makes the column NOT NULL, which only
//! works on the seeded amounts, not on the NULLs the rollback left. V005's rollback forgets the
//! table it created, so its redo fails; V006 still gets rehearsed, on a reset state.

mod common;

use common::*;

fn scenario(file: &str) -> std::path::PathBuf {
    fixture("rehearsals/rollback_loses_data").join(file)
}

fn migration<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id)
        .unwrap_or_else(|| panic!("no migration {id} in {report}"))
}

fn kinds(m: &serde_json::Value) -> Vec<&str> {
    m["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect()
}

fn assert_matches_schema(report: &serde_json::Value) {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("schema/report.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(report)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
}

#[test]
fn a_rollback_that_loses_data_is_followed_by_a_reset_so_the_next_migration_meets_real_rows() {
    let run = rehearse_local(&scenario("rehearse.toml"), &[]);
    assert_eq!(run.code, 1, "stderr: {}", run.stderr);
    let report = run.report();

    let widen = migration(&report, "002");
    assert_eq!(widen["verdict"], "fail");
    assert_eq!(widen["data_preserved"], false, "{widen}");
    assert!(kinds(widen).contains(&"data_not_preserved"), "{widen}");
    let reset = &widen["reset"];
    assert_eq!(reset["replayed"], serde_json::json!(["002"]), "{widen}");
    // Replaying 002 (an ALTER COLUMN TYPE over seeded rows) takes time, and is part of the reset.
    let (seconds, replay) = (
        reset["seconds"].as_f64().unwrap(),
        reset["replay_seconds"].as_f64().unwrap(),
    );
    assert!(replay > 0.0 && replay <= seconds, "{reset}");
    // PostgreSQL 15 copies the template's files; the report says so, and why.
    assert_eq!(reset["method"], "copy", "{reset}");
    assert_eq!(report["database"]["file_copy"]["method"], "copy");

    // On the rollback's NULLs SET NOT NULL fails; on the reset state it applies and rolls back.
    let require = migration(&report, "003");
    assert_eq!(require["forward"]["ok"], true, "{require}");
    assert_eq!(require["verdict"], "pass", "{require}");
    assert_eq!(require["data_preserved"], true, "{require}");
    assert_eq!(migration(&report, "004")["verdict"], "pass");

    // A failed redo resets too instead of blocking what follows; the template took the state
    // repaired after 002, so this reset replays from 003, not from 002 again.
    let audit = migration(&report, "005");
    assert_eq!(audit["verdict"], "fail", "{audit}");
    assert!(kinds(audit).contains(&"redo_failed"), "{audit}");
    assert_eq!(
        audit["reset"]["replayed"],
        serde_json::json!(["003", "004", "005"]),
        "{audit}"
    );
    let note = migration(&report, "006");
    assert_eq!(note["verdict"], "pass", "{note}");
    assert_eq!(note["forward"]["ok"], true, "{note}");

    assert!(
        run.stderr
            .lines()
            .any(|l| l.starts_with("rehearse: 002 widen_amount (")
                && l.contains("; state reset from the template in ")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(", replayed 1 migration"),
        "{}",
        run.stderr
    );
    let markdown = std::fs::read_to_string(run.out.path().join("report.md")).unwrap();
    assert!(
        markdown.contains("The state was reset from the template in ")
            && markdown.contains(" by copy and 1 migration was replayed")
            && markdown.contains("1 migration was replayed"),
        "{markdown}"
    );
    assert_matches_schema(&report);
}

#[test]
fn without_a_template_nothing_resets_and_the_next_migration_meets_the_damage() {
    let run = rehearse_local(&scenario("without_template.toml"), &[]);
    assert_eq!(run.code, 1, "stderr: {}", run.stderr);
    let report = run.report();
    assert!(report["seed"]["template"].is_null(), "{}", report["seed"]);
    let widen = migration(&report, "002");
    assert_eq!(widen["data_preserved"], false, "{widen}");
    assert!(widen.get("reset").is_none(), "{widen}");
    let require = migration(&report, "003");
    assert_eq!(require["forward"]["ok"], false, "{require}");
    assert!(
        require["forward"]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("contains null values"),
        "{require}"
    );
    assert!(!run.stderr.contains("state reset"), "{}", run.stderr);
}

#[test]
fn a_migration_whose_rollback_restores_everything_is_not_followed_by_a_reset() {
    let run = rehearse_local(&scenario("rehearse.toml"), &[]);
    let report = run.report();
    // The template exists (V002 and V005 were reset from it), and V003 is not the last migration.
    assert_eq!(report["seed"]["template"], "postgres_seeded");
    assert!(migration(&report, "002").get("reset").is_some());
    let require = migration(&report, "003");
    assert_eq!(require["verdict"], "pass", "{require}");
    assert_eq!(require["schema_restored"], true);
    assert!(require.get("reset").is_none(), "{require}");
    assert_eq!(
        run.stderr.matches("state reset from the template").count(),
        2,
        "{}",
        run.stderr
    );
}

#[test]
fn a_server_that_refuses_the_template_gives_a_rehearsal_without_resets_not_an_error() {
    // The baseline leaves a template database where the rehearsal's template goes, which
    // PostgreSQL will not drop: keeping the state fails, and the rehearsal must go on.
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("migrations");
    std::fs::create_dir(&migrations).unwrap();
    for entry in std::fs::read_dir(scenario("migrations")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, migrations.join(path.file_name().unwrap())).unwrap();
    }
    std::fs::write(
        migrations.join("V001__create_t.sql"),
        "CREATE TABLE t (id bigint PRIMARY KEY, amount int);\nCREATE DATABASE postgres_seeded IS_TEMPLATE = true;\n",
    )
    .unwrap();
    std::fs::copy(scenario("rehearse.toml"), dir.path().join("rehearse.toml")).unwrap();

    let run = rehearse_local(&dir.path().join("rehearse.toml"), &[]);
    assert_eq!(
        run.code, 1,
        "a failed rehearsal, not an environment error: {}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("the rehearsal goes on without a template"),
        "{}",
        run.stderr
    );
    let report = run.report();
    assert!(report["seed"]["template"].is_null(), "{}", report["seed"]);
    // As without a template: no reset, so V003 meets the NULLs V002's rollback left.
    assert!(migration(&report, "002").get("reset").is_none());
    assert_eq!(migration(&report, "003")["forward"]["ok"], false);
}
