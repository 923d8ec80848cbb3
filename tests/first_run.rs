//! The bare command on projects written the way application teams write them (a blog, a
//! booking system, a multi-tenant SaaS with row level security) goes to the end: no seed point
//! stops a later migration, and what fails is what would fail on production's rows.
//! The fixtures in `tests/fixtures/first_run/` were written here for these tests.

use serde_json::Value;
use std::process::Command;

/// Runs `rehearse run` bare on a fixture folder; returns (exit code, stderr, report.json).
fn run_bare(folder: &str) -> (i32, String, Value) {
    let out = tempfile::tempdir().unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_rehearse"))
        .args([
            "run",
            &format!("tests/fixtures/first_run/{folder}"),
            "--provider",
            "local",
            "--out",
        ])
        .arg(out.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr).to_string();
    let report = std::fs::read_to_string(out.path().join("report.json"))
        .unwrap_or_else(|e| panic!("no report ({e}): {stderr}"));
    (
        run.status.code().unwrap_or(-1),
        stderr,
        serde_json::from_str(&report).unwrap(),
    )
}

fn migrations(report: &Value) -> &Vec<Value> {
    report["migrations"].as_array().unwrap()
}

fn verdict_of<'a>(report: &'a Value, id: &str) -> &'a str {
    migrations(report)
        .iter()
        .find(|m| m["id"] == id)
        .unwrap_or_else(|| panic!("no migration {id}"))["verdict"]
        .as_str()
        .unwrap()
}

/// Rows seeded into `table` (`schema.name`), summed over the seed points.
fn seeded_rows(report: &Value, table: &str) -> u64 {
    report["seed"]["tables"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["table"] == table)
        .map(|t| t["rows"].as_u64().unwrap())
        .sum()
}

fn limit_of<'a>(report: &'a Value, table: &str) -> Option<&'a Value> {
    report["seed"]["limits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["table"] == table)
}

fn no_seed_point_stopped(report: &Value, stderr: &str) {
    let findings = report["findings"].as_array().cloned().unwrap_or_default();
    assert!(
        !findings.iter().any(|f| f["kind"] == "seed_failed"),
        "a seed point stopped the run: {stderr}"
    );
    assert!(!stderr.contains("seed point before"), "{stderr}");
}

#[test]
fn a_blog_with_expression_and_partial_unique_indexes_runs_past_its_own_failure() {
    let (code, stderr, report) = run_bare("blog");
    assert_eq!(code, 1, "{stderr}");
    no_seed_point_stopped(&report, &stderr);
    // `CREATE UNIQUE INDEX ... (lower(email))` stopped the seed point before 002 on main.
    assert!(seeded_rows(&report, "public.users") >= 990, "{stderr}");
    for id in ["002", "003", "004", "005", "006", "007"] {
        assert_eq!(verdict_of(&report, id), "pass", "{id}: {stderr}");
    }
    // A CHECK across two columns that inference leaves to chance: the server keeps what it
    // accepts, and the limit says which constraint and what to paste.
    let posts = limit_of(&report, "public.posts").expect("posts keeps what the server accepts");
    assert!(
        posts["reason"].as_str().unwrap().contains("posts_check"),
        "{posts}"
    );
    assert!(
        posts["fix"]
            .as_str()
            .unwrap()
            .starts_with("[dataset.tables."),
        "{posts}"
    );
    // ADD COLUMN ... NOT NULL without a default fails on any table with rows: the migration's
    // own failure, never "on inferred data", with the safe pattern.
    assert_eq!(verdict_of(&report, "008"), "fail");
    let m008 = migrations(&report)
        .iter()
        .find(|m| m["id"] == "008")
        .unwrap();
    let failed = m008["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "forward_failed")
        .unwrap();
    assert!(
        !failed["message"].as_str().unwrap().contains("inferred"),
        "{failed}"
    );
    assert!(
        failed["advice"].as_str().unwrap().contains("DEFAULT"),
        "{failed}"
    );
    // The migration keeps its failure; to go on, the seeded rows of the table are removed and
    // the forward applied, and the migrations after it are rehearsed.
    let went_on = m008["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "inferred_rows_removed")
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(
        went_on["message"].as_str().unwrap().contains("to go on"),
        "{went_on}"
    );
    assert!(
        !migrations(&report)
            .iter()
            .any(|m| m["verdict"] == "not_run"),
        "{stderr}"
    );
}

#[test]
fn a_booking_system_with_domains_ranges_and_exclusion_constraints_runs_every_migration() {
    let (_, stderr, report) = run_bare("booking");
    no_seed_point_stopped(&report, &stderr);
    assert!(
        !migrations(&report)
            .iter()
            .any(|m| m["verdict"] == "not_run"),
        "{stderr}"
    );
    // A domain with a regular expression (us_zip) and a regex CHECK (phone): values match.
    assert!(seeded_rows(&report, "public.hotels") >= 990, "{stderr}");
    assert!(seeded_rows(&report, "public.guests") >= 900, "{stderr}");
    // tstzrange NOT NULL under EXCLUDE USING gist, and a datemultirange NOT NULL.
    assert!(seeded_rows(&report, "public.bookings") >= 900, "{stderr}");
    assert!(seeded_rows(&report, "public.blackouts") >= 900, "{stderr}");
    // 007's partial unique index names the column its own forward adds (`WHERE status =
    // 'held'`): the repair widens to the duplicates over every row, and the migration is
    // rehearsed again on what is left: its verdict is that rehearsal's, with a note.
    let m007 = migrations(&report)
        .iter()
        .find(|m| m["id"] == "20240101000007")
        .unwrap();
    assert_eq!(m007["verdict"], "pass", "{stderr}");
    let note = m007["notes"]
        .as_array()
        .and_then(|n| n.iter().find(|f| f["kind"] == "inferred_rows_repaired"))
        .unwrap_or_else(|| panic!("{m007}"));
    assert!(
        note["message"].as_str().unwrap().contains("GROUP BY"),
        "the note shows the query that finds such rows in production: {note}"
    );
}

#[test]
fn a_multi_tenant_saas_with_row_level_security_runs_every_migration() {
    let (_, stderr, report) = run_bare("saas_rls");
    no_seed_point_stopped(&report, &stderr);
    assert!(
        !migrations(&report)
            .iter()
            .any(|m| m["verdict"] == "not_run"),
        "{stderr}"
    );
    // The slug CHECK `^[a-z0-9-]{3,30}$` under a unique index on lower(slug).
    assert!(seeded_rows(&report, "app.tenants") >= 990, "{stderr}");
    assert!(seeded_rows(&report, "app.members") > 0, "{stderr}");
}

#[test]
fn a_unique_index_over_inferred_duplicates_of_a_referenced_table_does_not_stop_the_run() {
    let (_, stderr, report) = run_bare("referenced_unique");
    // authors is referenced by books, which reviews reference: on main the run stopped at 002.
    // Each is rehearsed again on the rows left, and passes: the failure was the inferred rows'.
    for id in ["002", "003"] {
        let m = migrations(&report).iter().find(|m| m["id"] == id).unwrap();
        assert_eq!(m["verdict"], "pass", "{id}: {stderr}");
        let removed = m["notes"]
            .as_array()
            .and_then(|n| n.iter().find(|f| f["kind"] == "inferred_rows_repaired"))
            .unwrap_or_else(|| panic!("{id}: {stderr}"));
        assert!(
            removed["message"]
                .as_str()
                .unwrap()
                .contains("referencing them"),
            "{removed}"
        );
    }
    // 003's SET NOT NULL met NULLs that inference gave a nullable column, and says so.
    let m003 = migrations(&report)
        .iter()
        .find(|m| m["id"] == "003")
        .unwrap();
    let note = m003["notes"]
        .as_array()
        .and_then(|n| n.iter().find(|f| f["kind"] == "inferred_rows_repaired"))
        .unwrap_or_else(|| panic!("{m003}"));
    assert!(
        note["advice"].as_str().unwrap().contains("is nullable"),
        "{note}"
    );
    assert!(
        note["message"].as_str().unwrap().contains("IS NULL"),
        "{note}"
    );
    assert_eq!(verdict_of(&report, "004"), "pass", "{stderr}");
}

#[test]
fn a_refusal_on_a_column_the_user_defined_stays_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("V1__guests.sql"),
        "CREATE TABLE guests (id bigserial PRIMARY KEY, phone text NOT NULL CHECK (phone ~ '^\\+[0-9]{8}$'));\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("U1__guests.sql"), "DROP TABLE guests;\n").unwrap();
    std::fs::write(
        dir.path().join("V2__index.sql"),
        "CREATE INDEX guests_phone ON guests (phone);\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("U2__index.sql"),
        "DROP INDEX guests_phone;\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("rehearse.toml"),
        "[migrations]\npath = \".\"\n[dataset.tables.guests.columns]\nphone = { kind = \"constant\", value = \"not a phone\" }\n",
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_rehearse"))
        .arg("run")
        .arg(dir.path())
        .args(["--provider", "local", "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("guests_phone_check"), "{stderr}");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("report.json")).unwrap())
            .unwrap();
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["kind"] == "seed_failed"),
        "{stderr}"
    );
}

#[test]
fn a_history_of_renames_required_columns_late_keys_and_casts_runs_every_migration() {
    let (_, stderr, report) = run_bare("registry");
    no_seed_point_stopped(&report, &stderr);
    assert!(
        !migrations(&report)
            .iter()
            .any(|m| m["verdict"] == "not_run"),
        "{stderr}"
    );
    let m = |id: &str| migrations(&report).iter().find(|m| m["id"] == id).unwrap();
    let note = |id: &str| {
        m(id)["notes"]
            .as_array()
            .and_then(|n| n.iter().find(|f| f["kind"] == "inferred_rows_repaired"))
            .cloned()
            .unwrap_or_else(|| panic!("{id} has no inferred_rows_repaired note: {stderr}"))
    };
    let went_on = |id: &str| {
        m(id)["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["kind"] == "inferred_rows_removed")
            .map(|f| f["message"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("{id} did not say how it went on: {stderr}"))
    };
    // 003: a required column without a default is the migration's own failure; the run goes on.
    assert_eq!(m("003")["verdict"], "fail", "{stderr}");
    assert!(went_on("003").contains("public.users"), "{stderr}");
    // 004: the key crates.user_id had no parent once users was emptied; crates is the table
    // seeded as packages (renamed in 002), so its rows are still rehearse's: the orphans go and
    // the migration is rehearsed again, and passes.
    assert_eq!(m("004")["verdict"], "pass", "{stderr}");
    let n004 = note("004");
    assert!(
        n004["message"].as_str().unwrap().contains("NOT EXISTS"),
        "the note shows the query that finds orphans in production: {n004}"
    );
    // 005 adds required columns to two seeded tables: both are emptied in turn.
    let said = went_on("005");
    assert!(
        said.contains("public.tags") && said.contains("public.crates"),
        "{said}"
    );
    // 006: inferred text is not JSON; the cast's data error is the inferred values', repaired.
    let n006 = note("006");
    assert!(
        n006["message"].as_str().unwrap().contains("public.prefs"),
        "{n006}"
    );
    assert!(!m("006")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["kind"] == "forward_failed"));
    assert_eq!(m("007")["verdict"], "pass", "{stderr}");
}

#[test]
fn a_pop_folder_for_several_databases_runs_its_postgres_files_and_past_an_insert_that_leaves_out_a_column(
) {
    // gobuffalo pop / ory popx: files for MySQL and SQLite beside the generic and PostgreSQL
    // ones; the generic `requests` file is MySQL's and must give way to its .postgres file.
    let (_, stderr, report) = run_bare("identity_pop");
    no_seed_point_stopped(&report, &stderr);
    assert_eq!(report["discovery"]["format"], "pop", "{stderr}");
    let ids: Vec<&str> = migrations(&report)
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "20240101000000",
            "20240102000000",
            "20240103000000",
            "20240103000001",
            "20240104000000",
            "20240105000000"
        ],
        "{stderr}"
    );
    let notes = report["discovery"]["notes"].to_string();
    assert!(
        notes.contains("4 files pop runs only on other databases (mysql, sqlite3) are not rehearsed"),
        "{notes}"
    );
    assert!(notes.contains("2 generic files are replaced by the version's .postgres file"), "{notes}");
    // The INSERT ... SELECT leaves out a required column: its own failure on any row, so the
    // seeded rows it copies from are removed and the run goes on.
    assert_eq!(verdict_of(&report, "20240103000001"), "fail", "{stderr}");
    let failed = migrations(&report)
        .iter()
        .find(|m| m["id"] == "20240103000001")
        .unwrap()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "forward_failed")
        .cloned()
        .unwrap();
    assert!(
        failed["advice"]
            .as_str()
            .unwrap()
            .contains("The INSERT leaves out created_at, which is NOT NULL without a DEFAULT"),
        "{failed}"
    );
    assert!(!failed["message"].as_str().unwrap().contains("(on inferred data)"), "{failed}");
    // .autocommit runs CREATE INDEX CONCURRENTLY outside a transaction, as popx does.
    for id in ["20240101000000", "20240102000000", "20240104000000", "20240105000000"] {
        assert_eq!(verdict_of(&report, id), "pass", "{id}: {stderr}");
    }
}
