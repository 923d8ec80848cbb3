//! `rehearse run` with a dataset: the saas scenario end to end at a tiny scale, and a dataset
//! error reported as bad input before any server starts.

use std::process::Command;

fn rehearse() -> Command {
    Command::new(env!("CARGO_BIN_EXE_rehearse"))
}

#[test]
fn the_saas_scenario_seeds_after_its_baseline_and_reports_the_seed_section() {
    let out = tempfile::tempdir().unwrap();
    let run = rehearse()
        .args([
            "run",
            "scenarios/saas",
            "--provider",
            "local",
            "--scale",
            "0.0005",
            "--seed",
            "3",
            "--out",
        ])
        .arg(out.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("seeded"), "{stderr}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("report.json")).unwrap())
            .unwrap();
    let seed = &report["seed"];
    assert_eq!(seed["seed"], 3);
    assert_eq!(seed["scale"], 0.0005);
    assert_eq!(seed["tables"].as_array().unwrap().len(), 6, "{seed}");
    assert_eq!(seed["template"], "postgres_seeded");
    let events = seed["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "public.events")
        .unwrap();
    assert_eq!(events["rows"], 3250);
    assert!(events["bytes"].as_u64().unwrap() > 0 && events["mb_per_s"].as_f64().unwrap() > 0.0);
    // The seed section is part of the committed report schema.
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string("schema/report.schema.json").unwrap())
            .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    // The seven rehearsed migrations ran on the seeded tables.
    assert_eq!(report["migrations"].as_array().unwrap().len(), 7);
    // The sizes the "large table" hazards are judged against are the seeded ones.
    let sized = report["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["relation"] == "public.events")
        .expect("public.events in report.tables");
    assert_eq!(sized["rows"], 3250, "{sized}");
    assert!(sized["bytes"].as_u64().unwrap() > 0);
}

#[test]
fn a_dataset_naming_a_missing_generators_file_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("migrations")).unwrap();
    std::fs::write(
        dir.path().join("migrations/V001__t.sql"),
        "CREATE TABLE t (id int);",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("migrations/V001__t_rollback.sql"),
        "DROP TABLE t;",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("rehearse.toml"),
        "[dataset]\ngenerators = \"nowhere\"\n",
    )
    .unwrap();
    let run = rehearse()
        .args(["run", "--provider", "local"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("rehearse.toml") && stderr.contains("generators = \"nowhere\""),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn a_negative_scale_is_bad_usage() {
    let run = rehearse()
        .args(["run", "scenarios/saas", "--scale", "-1"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
}

fn run_local(path: &str) -> (Option<i32>, String, tempfile::TempDir) {
    let out = tempfile::tempdir().unwrap();
    let run = rehearse()
        .args(["run", path, "--provider", "local", "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    (run.status.code(), stderr, out)
}

fn report(out: &tempfile::TempDir) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.path().join("report.json")).unwrap()).unwrap()
}

fn entry<'a>(
    list: &'a serde_json::Value,
    field: &str,
    name: &str,
) -> Option<&'a serde_json::Value> {
    list.as_array().unwrap().iter().find(|t| t[field] == name)
}

#[test]
fn a_bare_folder_seeds_the_table_its_first_migration_creates_before_the_second_runs() {
    let (code, stderr, out) = run_local("scenarios/quickstart");
    assert_eq!(code, Some(0), "{stderr}");
    let report = report(&out);
    let seed = &report["seed"];
    assert_eq!(seed["rows"], 1000, "{seed}");
    let users = entry(&seed["tables"], "table", "public.users").expect("users in the seed section");
    assert_eq!(users["rows"], 1000, "{seed}");
    assert_eq!(seed["template"], "postgres_seeded");
    // V002 met the seeded rows: the sizes it was judged against, and the seed point before it.
    let sized = entry(&report["tables"], "relation", "public.users").expect("users sized");
    assert_eq!(sized["rows"], 1000, "{sized}");
    // One line for how V002 ended (beside the one saying it started), with what was seeded
    // before it.
    let v002: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("rehearse: 002 add_status_column"))
        .collect();
    assert_eq!(v002.len(), 1, "{stderr}");
    assert!(
        v002[0].contains("; seeded 1000 rows into 1 table ") && v002[0].ends_with(" before it"),
        "{stderr}"
    );
}

#[test]
fn a_table_a_migration_creates_is_seeded_from_its_definition_before_the_next_migration() {
    let (code, stderr, out) = run_local("tests/fixtures/rehearsals/seed_points");
    // V004's rollback loses the totals: that, and only that, fails.
    assert_eq!(code, Some(1), "{stderr}");
    let report = report(&out);
    let seed = &report["seed"];
    let accounts = entry(&seed["tables"], "table", "public.accounts").expect("accounts seeded");
    assert_eq!(accounts["rows"], 100, "{seed}");
    let invoices = entry(&seed["tables"], "table", "public.invoices").expect("invoices seeded");
    assert_eq!(invoices["rows"], 300, "{seed}");
    // The lookup table V002 filled itself is left alone.
    assert!(
        entry(&seed["tables"], "table", "public.currencies").is_none(),
        "{seed}"
    );
    assert_eq!(seed["rows"], 400, "{seed}");
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("rehearse: 003 index_invoices_account (")
                && l.contains("; seeded 300 rows into 1 table ")),
        "{stderr}"
    );
    let sized = entry(&report["tables"], "relation", "public.invoices").expect("invoices sized");
    assert_eq!(sized["rows"], 300, "{sized}");

    // The template stays at the first seed point (a clone costs the whole database): V004's
    // reset replays every forward since, and loads again the rows of the seed points between
    // them. V005's NOT NULL then holds on the totals seeded again.
    let migrations = report["migrations"].as_array().unwrap();
    let verdicts: Vec<_> = migrations
        .iter()
        .map(|m| (m["id"].as_str().unwrap(), m["verdict"].as_str().unwrap()))
        .collect();
    assert_eq!(
        verdicts,
        [
            ("001", "pass"),
            ("002", "pass"),
            ("003", "pass"),
            ("004", "fail"),
            ("005", "pass")
        ]
    );
    assert_eq!(migrations[3]["data_preserved"], false);
    // Which forwards the reset replays depends on where the template stands, and the template
    // follows the run once replaying would cost more than a clone (timing: a loaded machine moves
    // it). Whatever it replays is every forward from the template's point through V004, and the
    // seed points it loads again lie between them.
    let list = |key: &str| -> Vec<String> {
        migrations[3]["reset"][key]
            .as_array()
            .unwrap_or_else(|| panic!("no reset.{key}: {}", migrations[3]))
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    let (replayed, reseeded) = (list("replayed"), list("reseeded"));
    let all = ["001", "002", "003", "004"];
    assert!(
        !replayed.is_empty()
            && all.ends_with(&replayed.iter().map(String::as_str).collect::<Vec<_>>()),
        "replayed {replayed:?}"
    );
    assert!(
        reseeded
            .iter()
            .all(|v| ["002", "003"].contains(&v.as_str()) && replayed[1..].contains(v)),
        "reseeded {reseeded:?} against replayed {replayed:?}"
    );
    if replayed.len() == 4 {
        assert_eq!(
            reseeded,
            ["002", "003"],
            "from the first seed point both come again"
        );
    }
}

#[test]
fn a_definition_of_a_table_no_migration_creates_is_bad_input() {
    let (code, stderr, out) = run_local("tests/fixtures/bad_input/dataset_table_never_created");
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("rehearse.toml") && stderr.contains("table \"ghosts\""),
        "{stderr}"
    );
    assert!(
        !stderr.contains("PostgreSQL"),
        "refused before a server started: {stderr}"
    );
    assert!(!out.path().join("report.json").exists());
}

#[test]
fn a_definition_whose_table_never_appears_fails_the_rehearsal_naming_it() {
    let (code, stderr, out) = run_local("tests/fixtures/rehearsals/dataset_table_only_mentioned");
    assert_eq!(code, Some(1), "{stderr}");
    let report = report(&out);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["kind"], "dataset_table_missing");
    let message = findings[0]["message"].as_str().unwrap();
    assert!(
        message.contains("rehearse.toml") && message.contains("table \"audit_log\""),
        "{message}"
    );
    // The migrations themselves passed.
    assert!(report["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["verdict"] == "pass"));
}

#[test]
fn a_seed_point_that_fails_after_migrations_ran_is_a_finding_in_a_written_report() {
    let (code, stderr, out) = run_local("tests/fixtures/seed/seed_point_fails");
    assert_eq!(code, Some(1), "{stderr}");
    let report = report(&out);
    let finding = entry(&report["findings"], "kind", "seed_failed").expect("a seed_failed finding");
    let message = finding["message"].as_str().unwrap();
    assert!(
        message.starts_with("seeding the tables created before 003 add_reason failed:")
            && message.contains("user_ban.user_id"),
        "{message}"
    );
    let verdicts: Vec<&str> = report["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(verdicts, ["pass", "pass", "not_run"]);
    assert!(
        report["migrations"][2]["findings"][0]["message"]
            .as_str()
            .unwrap()
            .ends_with("was not rehearsed because the seed point before 003 failed"),
        "{}",
        report["migrations"][2]
    );
}

#[test]
fn inferred_rows_limited_by_a_unique_reference_are_said_in_one_line() {
    // The same folder without its dataset: user_ban is inferred, so it gets the 1 row its
    // unique reference to the one user allows, and the run goes on.
    let (code, stderr, out) = run_local("tests/fixtures/seed/seed_point_fails/migrations");
    assert_eq!(code, Some(0), "{stderr}");
    let line = "seed: public.user_ban gets 1 row instead of 1000: its foreign key user_ban_user_id_fkey (user_id) is unique and references user_, which has 1 rows";
    assert_eq!(stderr.matches(line).count(), 1, "{stderr}");
    // user_ holds only the admin its migration inserted: the line says how to seed more.
    assert!(
        stderr.contains("user_ holds only what a migration inserted")
            && stderr.contains("give it rows in the dataset"),
        "{stderr}"
    );
    let report = report(&out);
    let limit = &report["seed"]["limits"][0];
    assert_eq!(limit["table"], "public.user_ban");
    assert_eq!(limit["rows"], 1);
    let md = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    assert!(
        md.contains("public.user\\_ban gets 1 row instead of 1000"),
        "{md}"
    );
}

#[test]
fn no_seed_loads_nothing_and_rows_sets_the_default_row_count() {
    let out = tempfile::tempdir().unwrap();
    let run = rehearse()
        .args([
            "run",
            "scenarios/quickstart",
            "--provider",
            "local",
            "--no-seed",
            "--out",
        ])
        .arg(out.path())
        .output()
        .unwrap();
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(report(&out)["seed"].is_null());
    let out = tempfile::tempdir().unwrap();
    let run = rehearse()
        .args([
            "run",
            "scenarios/quickstart",
            "--provider",
            "local",
            "--rows",
            "37",
            "--out",
        ])
        .arg(out.path())
        .output()
        .unwrap();
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(report(&out)["seed"]["rows"], 37);
}

#[test]
fn an_error_on_inferred_rows_says_so_and_names_the_column_to_define() {
    // The NULLs were inference's: the rows go, and 002 is rehearsed again on the rest; the
    // note says what happened, which column to define, and the query to run on production.
    let (_, stderr, out) = run_local("tests/fixtures/seed/inferred_breaks/migrations");
    let inferred = report(&out);
    let v002 = &inferred["migrations"][1];
    assert_eq!(v002["verdict"], "pass", "{stderr}");
    let finding =
        entry(&v002["notes"], "kind", "inferred_rows_repaired").expect("inferred_rows_repaired");
    assert!(
        finding["message"].as_str().unwrap().contains("IS NULL"),
        "{finding}"
    );
    let advice = finding["advice"].as_str().unwrap();
    assert!(
        advice.contains("rehearse's inferred data")
            && advice.contains("define public.users.gh_login"),
        "{advice}"
    );

    // The same NULLs asked for by the dataset: the error is the migration's own.
    let (code, stderr, out) = run_local("tests/fixtures/seed/inferred_breaks");
    assert_eq!(code, Some(1), "{stderr}");
    let defined = report(&out);
    let v002 = &defined["migrations"][1];
    assert_eq!(v002["forward"]["error"]["code"], "23502", "{v002}");
    let finding = entry(&v002["findings"], "kind", "forward_failed").expect("forward_failed");
    assert!(!finding.to_string().contains("inferred"), "{finding}");
}

#[test]
fn a_forward_that_fails_on_inferred_rows_does_not_stop_the_migrations_after_it() {
    let (_, stderr, out) = run_local("tests/fixtures/seed/inferred_collides/migrations");
    let report = report(&out);
    let v002 = &report["migrations"][1];
    // The duplicates were inference's: they go, and 002 is rehearsed again and judged on that.
    assert_eq!(v002["verdict"], "pass", "{v002}");
    let removed =
        entry(&v002["notes"], "kind", "inferred_rows_repaired").expect("inferred_rows_repaired");
    let message = removed["message"].as_str().unwrap();
    assert!(
        message.contains("inferred rows of public.user_language")
            && message.contains("were removed")
            || message.contains("1 inferred row was removed"),
        "{removed}"
    );
    // V003 was rehearsed on the state V002 gives on an empty user_language, not left out.
    let v003 = &report["migrations"][2];
    assert_eq!(v003["verdict"], "pass", "{v003}");
    assert!(!stderr.contains("not run because"), "{stderr}");
}
