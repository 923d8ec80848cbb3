//! Formats as their tools run them, end to end on a real local PostgreSQL 15: what the tool
//! ignores is noted, not refused; a file that does not parse fails its migration, not the run;
//! each tool's bookkeeping table exists, is filled as the tool fills it, and is left out of the
//! verdicts; the per-script transaction options of sqlx, diesel, Flyway and dbmate are honoured.

mod common;

use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn migration<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("no migration {name} in the report"))
}

fn ids(report: &Value) -> Vec<String> {
    report["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect()
}

/// Every statement of a direction ran outside a transaction.
fn outside_a_transaction(direction: &Value) -> bool {
    let statements = direction["statements"].as_array().unwrap();
    !statements.is_empty() && statements.iter().all(|s| s["transactional"] == false)
}

/// No difference of any migration names the tool's table.
fn assert_bookkeeping_left_out(report: &Value, table: &str) {
    let text = serde_json::to_string(&report["migrations"]).unwrap();
    for field in ["differences", "data_differences", "redo_differences"] {
        for m in report["migrations"].as_array().unwrap() {
            assert!(
                !m[field].to_string().contains(table),
                "{field} of {} names {table}: {}",
                m["id"],
                m[field]
            );
        }
    }
    assert!(text.contains("id"), "a report with migrations");
}

#[test]
fn diesel_folder_with_a_stray_file_an_empty_rollback_and_a_broken_rollback_rehearses_to_the_end() {
    let run = rehearse_local(&fixture("formats/diesel_project"), &[]);
    assert_eq!(
        run.code, 1,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    // What diesel does not read is said in one line, not refused.
    let note = run
        .stderr
        .lines()
        .find(|l| l.contains("does not read"))
        .unwrap_or_else(|| panic!("no note in: {}", run.stderr));
    assert!(
        note.contains("data_oauth_github.sql") && note.contains("README.md"),
        "{note}"
    );
    let report = run.report();
    assert_eq!(
        ids(&report),
        [
            "00000000000000",
            "2024-01-01-000000",
            "2024-02-01-000000",
            "2024-03-01-000000",
            "2024-04-01-000000",
            "2024-05-01-000000",
            "2024-06-01-000000"
        ]
    );
    // The rollback that does not parse is that migration's failure, with file and line.
    let broken = migration(&report, "create_users");
    assert_eq!(broken["verdict"], "fail");
    assert_eq!(broken["rollback"]["ok"], false);
    let error = &broken["rollback"]["error"];
    assert_eq!(error["file"], "2024-01-01-000000_create_users/down.sql");
    assert_eq!(error["line"], 3, "{error}");
    assert!(
        error["message"].as_str().unwrap().contains("syntax error"),
        "{error}"
    );
    assert_eq!(broken["findings"][0]["kind"], "rollback_failed");
    // A comment-only rollback runs nothing and is judged like any other: here it restores.
    let noop = migration(&report, "refresh_statistics");
    assert_eq!(noop["verdict"], "pass", "{noop}");
    assert_eq!(noop["rollback"]["ok"], true);
    assert_eq!(noop["rollback"]["statements"].as_array().unwrap().len(), 0);
    assert_eq!(noop["schema_restored"], true);
    // metadata.toml's run_in_transaction = false: ADD VALUE, then the value used, passes.
    let enum_value = migration(&report, "add_suspended_status");
    assert_eq!(enum_value["verdict"], "pass", "{enum_value}");
    assert!(
        outside_a_transaction(&enum_value["forward"]),
        "{enum_value}"
    );
    // diesel's table exists and holds the applied versions without their dashes.
    let reads = migration(&report, "record_migration_count");
    assert_eq!(reads["verdict"], "pass", "{reads}");
    // A migration that deletes diesel's own row, and a rollback that leaves it deleted: the
    // table is the tool's, so neither verdict counts it.
    let squash = migration(&report, "squash_initial_setup");
    assert_eq!(squash["verdict"], "pass", "{squash}");
    assert_eq!(squash["data_preserved"], true, "{squash}");
    assert_bookkeeping_left_out(&report, "__diesel_schema_migrations");
}

#[test]
fn a_baselines_broken_rollback_is_never_run_and_does_not_stop_the_rehearsal() {
    let run = rehearse_local(
        &fixture("formats/diesel_project"),
        &["--baseline", "2024-01-01-000000"],
    );
    assert_eq!(
        run.code, 0,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let report = run.report();
    assert_eq!(
        ids(&report),
        [
            "2024-02-01-000000",
            "2024-03-01-000000",
            "2024-04-01-000000",
            "2024-05-01-000000",
            "2024-06-01-000000"
        ]
    );
}

#[test]
fn sqlx_no_transaction_first_line_runs_the_file_outside_a_transaction() {
    let run = rehearse_local(&fixture("realistic-sqlx/migrations"), &[]);
    let report = run.report();
    let refunded = migration(&report, "add_refunded_state");
    assert_eq!(refunded["forward"]["ok"], true, "{}", run.stderr);
    assert!(outside_a_transaction(&refunded["forward"]), "{refunded}");
    // sqlx's _sqlx_migrations holds the two earlier migrations with their SHA-384 checksums.
    let reads = migration(&report, "count_applied");
    assert_eq!(reads["verdict"], "pass", "{reads}");
    assert_bookkeeping_left_out(&report, "_sqlx_migrations");
    assert!(
        run.stderr
            .contains("ignored file that sqlx does not read as migrations: README.md"),
        "{}",
        run.stderr
    );
}

#[test]
fn without_the_marker_the_same_sqlx_file_fails_as_it_would_in_production() {
    let run = rehearse_local(&fixture("formats/sqlx_in_transaction"), &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.report();
    let refunded = migration(&report, "add_refunded_state");
    assert_eq!(refunded["forward"]["ok"], false);
    // unsafe use of new value: ADD VALUE is not committed yet inside the transaction.
    assert_eq!(refunded["forward"]["error"]["code"], "55P04", "{refunded}");
}

#[test]
fn flyway_repeatable_runs_after_the_versioned_ones_and_callbacks_are_noted() {
    let run = rehearse_local(&fixture("realistic-flyway/migrations"), &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .lines()
            .any(|l| l.contains("Flyway callbacks") && l.contains("afterMigrate.sql")),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(".sql.conf"), "{}", run.stderr);
    let report = run.report();
    assert_eq!(ids(&report), ["1", "2", "3", "R__account_summary"]);
    let repeatable = migration(&report, "account_summary");
    assert_eq!(repeatable["forward"]["ok"], true, "{repeatable}");
    // V2__company_accounts.sql.conf says executeInTransaction=false.
    let company = migration(&report, "company_accounts");
    assert_eq!(company["forward"]["ok"], true, "{company}");
    assert!(outside_a_transaction(&company["forward"]), "{company}");
    // flyway_schema_history holds versions 1 and 2, as Flyway would have it.
    let reads = migration(&report, "record_schema_version");
    assert_eq!(reads["verdict"], "pass", "{reads}");
    assert_bookkeeping_left_out(&report, "flyway_schema_history");
}

#[test]
fn dbmate_transaction_false_and_schema_migrations_behave_as_dbmate_runs_them() {
    let run = rehearse_local(&fixture("formats/dbmate_project"), &[]);
    let report = run.report();
    let on_hold = migration(&report, "add_on_hold");
    assert_eq!(on_hold["forward"]["ok"], true, "{}", run.stderr);
    assert!(outside_a_transaction(&on_hold["forward"]), "{on_hold}");
    let reads = migration(&report, "remember_versions");
    assert_eq!(reads["verdict"], "pass", "{reads}");
    assert_bookkeeping_left_out(&report, "schema_migrations");
}

#[test]
fn a_dbmate_file_dbmate_would_refuse_is_that_migrations_failure_in_the_report() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("20240101000000_users.sql"),
        "-- migrate:up\nCREATE TABLE users (id int);\n-- migrate:down\nDROP TABLE users;\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("20240102000000_twice.sql"),
        "-- a comment\n-- migrate:up\nALTER TABLE users ADD COLUMN a int;\n-- migrate:up\nSELECT 1;\n",
    )
    .unwrap();
    let run = rehearse_local(dir.path(), &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.report();
    assert_eq!(migration(&report, "users")["verdict"], "pass");
    let twice = migration(&report, "twice");
    assert_eq!(twice["verdict"], "fail", "{twice}");
    let error = &twice["forward"]["error"];
    assert_eq!(error["line"], 2, "{error}");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("dbmate cannot run it") && message.contains("lines 2, 4"),
        "{message}"
    );
}

#[test]
fn golang_migrate_schema_migrations_holds_the_one_current_version() {
    let run = rehearse_local(&fixture("formats/golang_project"), &[]);
    assert_eq!(
        run.code, 0,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let report = run.report();
    assert_eq!(
        migration(&report, "record_schema_version")["verdict"],
        "pass"
    );
}

#[test]
fn syntax_newer_than_the_server_fails_with_a_hint_naming_the_version_to_choose() {
    let run = rehearse_local(&fixture("formats/needs_pg18"), &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.report();
    let virtual_column = migration(&report, "add_title_search");
    let error = &virtual_column["forward"]["error"];
    assert_eq!(error["code"], "42601", "{error}");
    assert_eq!(error["line"], 3, "{error}");
    let message = error["message"].as_str().unwrap();
    let server = report["database"]["server_version"].as_str().unwrap();
    assert!(
        message.contains(&format!("PostgreSQL {server}")),
        "{message}"
    );
    assert!(message.contains("[database] version = 18"), "{message}");
    assert!(message.contains("--pg-version 18"), "{message}");
}

#[test]
fn image_and_pg_version_that_disagree_are_refused_in_one_sentence() {
    let run = rehearse(&[
        "run",
        "scenarios/quickstart",
        "--image",
        "postgres:17",
        "--pg-version",
        "15",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let lines: Vec<_> = run
        .stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(lines.len(), 1, "{}", run.stderr);
    assert!(
        lines[0].contains("postgres:17") && lines[0].contains("PostgreSQL 15"),
        "{}",
        lines[0]
    );
    assert!(!run.out.path().join("report.json").exists());
}

#[test]
fn url_alone_means_the_url_provider() {
    // Nothing listens on port 1: the run must try that server (environment, exit 3), not start
    // a local or docker one.
    let run = rehearse(&[
        "run",
        "scenarios/quickstart",
        "--url",
        "postgresql://ci@127.0.0.1:1/postgres",
    ]);
    assert_eq!(
        run.code, 3,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    assert!(run.stderr.contains("127.0.0.1:1"), "{}", run.stderr);
    assert!(!run.stderr.contains("via Local"), "{}", run.stderr);
    assert!(!run.stderr.contains("via Docker"), "{}", run.stderr);
}

#[test]
fn url_beside_another_provider_is_refused_instead_of_ignored() {
    let run = rehearse(&[
        "run",
        "scenarios/quickstart",
        "--provider",
        "local",
        "--url",
        "postgresql://ci@127.0.0.1:1/postgres",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("--url") && run.stderr.contains("--provider local"),
        "{}",
        run.stderr
    );
}

#[test]
fn init_sql_prepares_every_migration_session_as_the_projects_own_runner_does() {
    // Without it, the bookkeeping write after the first script is refused, as the project's
    // trigger refuses the diesel CLI.
    let run = rehearse_local(&fixture("formats/diesel_own_runner/migrations"), &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.report();
    let first = migration(&report, "only_our_runner");
    assert_eq!(first["forward"]["ok"], false, "{first}");
    assert!(
        first["forward"]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("migrations run through our own runner only"),
        "{first}"
    );

    // With [migrations] init_sql taking the runner's lock, every step of both migrations runs,
    // the second on the session the seed point before it opened (runner_log is seeded there).
    let run = rehearse_local(&fixture("formats/diesel_own_runner"), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.report();
    assert_eq!(ids(&report).len(), 2);
    assert!(
        run.stderr.contains("before it"),
        "a seed point before the second: {}",
        run.stderr
    );
    for name in ["only_our_runner", "create_widgets"] {
        let m = migration(&report, name);
        assert_eq!(m["verdict"], "pass", "{m}");
        assert_eq!(m["redo"]["ok"], true, "{m}");
    }
}

#[test]
fn init_sql_that_fails_is_bad_input_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("rehearse.toml"),
        "[migrations]\npath = \"migrations\"\ninit_sql = \"SELECT no_such_function()\"\n",
    )
    .unwrap();
    let migrations = dir.path().join("migrations");
    std::fs::create_dir(&migrations).unwrap();
    std::fs::write(migrations.join("V1__t.sql"), "CREATE TABLE t (id int);\n").unwrap();
    let run = rehearse_local(dir.path(), &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("[migrations] init_sql failed on the rehearsal database: function no_such_function() does not exist"),
        "{}",
        run.stderr
    );
}

#[test]
fn folder_whose_names_follow_no_one_convention_is_rehearsed_by_whole_name_with_a_note() {
    // A number shared by two migrations, a name without description, NAME_up.sql pairs.
    let run = rehearse_local(&fixture("formats/by_name_project"), &["--no-seed"]);
    assert_eq!(
        run.code, 0,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let note = run
        .stderr
        .lines()
        .find(|l| l.contains("read as by-name"))
        .unwrap_or_else(|| panic!("no note in: {}", run.stderr));
    assert!(note.starts_with("rehearse: note: "), "{note}");
    assert!(note.contains("--format maragu"), "{note}");
    let report = run.report();
    assert_eq!(
        ids(&report),
        [
            "001_create_accounts",
            "001_create_users",
            "002",
            "003_index_users_email"
        ]
    );
    assert_eq!(report["discovery"]["format"], "by-name");
    let notes = report["discovery"]["notes"].as_array().unwrap();
    assert!(
        notes[0].as_str().unwrap().contains("read as by-name"),
        "{notes:?}"
    );
    let email = migration(&report, "index_users_email");
    assert_eq!(email["verdict"], "pass", "{email}");
    assert_eq!(email["schema_restored"], true, "{email}");
}

#[test]
fn maragu_folder_gets_its_migrations_table_left_out_of_the_verdicts() {
    let run = rehearse_local(
        &fixture("formats/by_name_project"),
        &["--no-seed", "--format", "maragu"],
    );
    assert_eq!(
        run.code, 0,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let report = run.report();
    assert_eq!(report["discovery"]["format"], "maragu");
    // Forced, nothing is assumed: no note says so.
    assert!(!run.stderr.contains("read as maragu"), "{}", run.stderr);
    assert_bookkeeping_left_out(&report, "public.migrations");
    assert!(report["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["verdict"] == "pass"));
}

#[test]
fn folder_that_cannot_be_read_is_refused_once_with_every_problem() {
    let run = rehearse_local(&fixture("formats/unreadable_names"), &["--no-seed"]);
    assert_eq!(run.code, 2, "stderr: {}", run.stderr);
    for said in [
        "cannot be read",
        "cannot be read: 4 problems as up-down, 2 problems as by-name; no format reads it as it is\n  as up-down:",
        "version 1 appears more than once: 1_a.up.sql, 1_b.up.sql",
        "2.up.sql does not follow the up-down naming convention",
        "3_d.down.sql is a rollback with no forward migration of version 3",
        "version 4 appears more than once: 4_e.up.sql, 4_e_up.sql",
        "\n  as by-name:\n",
        "version 4_e appears more than once",
        "no format reads it",
    ] {
        assert!(run.stderr.contains(said), "{said} not in:\n{}", run.stderr);
    }
    assert!(!run.out.path().join("report.json").exists());
}

/// Every migration passed, each forward ran, and the tool's table stayed out of the verdicts.
fn assert_all_pass(run: &Run, table: &str) -> Value {
    assert_eq!(
        run.code, 0,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let report = run.report();
    for m in report["migrations"].as_array().unwrap() {
        assert_eq!(m["verdict"], "pass", "{m}");
    }
    assert_bookkeeping_left_out(&report, table);
    report
}

#[test]
fn prisma_folder_runs_forward_only_and_says_its_rollbacks_are_missing_by_design() {
    let folder = fixture("migrations/prisma");
    let run = rehearse_local(&folder, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("Prisma Migrate has no down migrations"),
        "{}",
        run.stderr
    );
    let report = run.report();
    assert_eq!(report["discovery"]["format"], "prisma");
    for m in report["migrations"].as_array().unwrap() {
        assert_eq!(m["forward"]["ok"], true, "{m}");
        assert!(m["rollback"].is_null(), "{m}");
    }
    let run = rehearse_local(&folder, &["--allow-missing-rollback"]);
    let report = assert_all_pass(&run, "_prisma_migrations");
    assert_eq!(
        ids(&report),
        [
            "20240105093000_init",
            "20240212141500_add_orders",
            "20240301080000_order_status"
        ]
    );
}

#[test]
fn tern_folder_runs_each_rollback_from_below_the_separator() {
    let run = rehearse_local(&fixture("migrations/tern"), &["--allow-missing-rollback"]);
    let report = assert_all_pass(&run, "schema_version");
    assert_eq!(report["discovery"]["format"], "tern");
    let plan = migration(&report, "add_plan");
    assert_eq!(plan["rollback"]["ok"], true, "{plan}");
    assert_eq!(plan["schema_restored"], true, "{plan}");
    assert!(migration(&report, "seed_plans")["rollback"].is_null());
}

#[test]
fn goose_folder_runs_its_down_sections_and_no_transaction_files_outside_one() {
    let run = rehearse_local(&fixture("migrations/goose"), &[]);
    let report = assert_all_pass(&run, "goose_db_version");
    assert_eq!(report["discovery"]["format"], "goose");
    let index = migration(&report, "index_amount");
    assert!(outside_a_transaction(&index["forward"]), "{index}");
    assert!(outside_a_transaction(&index["rollback"]), "{index}");
    assert_eq!(
        migration(&report, "create_invoices")["schema_restored"],
        true
    );
}

#[test]
fn node_pg_migrate_folder_runs_each_down_section_as_the_rollback() {
    let run = rehearse_local(
        &fixture("migrations/node_pg_migrate"),
        &["--allow-missing-rollback"],
    );
    let report = assert_all_pass(&run, "pgmigrations");
    assert_eq!(report["discovery"]["format"], "node-pg-migrate");
    let index = migration(&report, "index-open-projects");
    assert_eq!(index["rollback"]["ok"], true, "{index}");
    assert_eq!(index["schema_restored"], true, "{index}");
}

/// A gobuffalo pop folder (as supabase/auth writes it): every file is a Go template the runner
/// renders with the connection's options before running it.
fn pop_folder(dir: &Path) -> PathBuf {
    let migrations = dir.join("migrations");
    std::fs::create_dir_all(&migrations).unwrap();
    std::fs::write(
        migrations.join("20240101000000_create_namespace.up.sql"),
        "CREATE SCHEMA IF NOT EXISTS {{ index .Options \"Namespace\" }};\n\
         CREATE TABLE {{ index .Options \"Namespace\" }}.users (id bigint PRIMARY KEY, tags int[] DEFAULT '{{1,2}}');\n",
    )
    .unwrap();
    std::fs::write(
        migrations.join("20240101000000_create_namespace.down.sql"),
        "DROP TABLE {{index .Options \"Namespace\" }}.users;\nDROP SCHEMA {{ index .Options \"Namespace\" }};\n",
    )
    .unwrap();
    std::fs::write(
        migrations.join("20240102000000_grant.up.sql"),
        "CREATE TABLE app.audit (id bigint);\nCOMMENT ON TABLE app.audit IS 'owned by {{ .Options.Role }}';\n",
    )
    .unwrap();
    std::fs::write(
        migrations.join("20240102000000_grant.down.sql"),
        "DROP TABLE app.audit;\n",
    )
    .unwrap();
    migrations
}

#[test]
fn go_template_actions_without_values_are_listed_at_once_before_a_server_starts() {
    let dir = tempfile::tempdir().unwrap();
    let migrations = pop_folder(dir.path());
    let run = rehearse_local(&migrations, &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    for expected in [
        "5 template actions in 3 files cannot be rendered: the files are Go templates",
        "[migrations.template]\n  Options = { Namespace = \"...\", Role = \"...\" }",
        "--template Options.Namespace=... --template Options.Role=...",
        "20240101000000_create_namespace.up.sql, line 1: `{{ index .Options \"Namespace\" }}` needs Options.Namespace (3 more like it)",
        "20240102000000_grant.up.sql, line 2: `{{ .Options.Role }}` needs Options.Role",
    ] {
        assert!(run.stderr.contains(expected), "{expected}\n{}", run.stderr);
    }
    // Refused as input, before anything started: no server was asked for.
    assert!(!run.stderr.contains("PostgreSQL 1"), "{}", run.stderr);
}

#[test]
fn go_template_values_from_the_file_and_the_command_line_render_the_files_as_pop_does() {
    let dir = tempfile::tempdir().unwrap();
    pop_folder(dir.path());
    std::fs::write(
        dir.path().join("rehearse.toml"),
        "[migrations]\npath = \"migrations\"\n[migrations.template]\nOptions = { Namespace = \"wrong\", Role = \"auditor\" }\n",
    )
    .unwrap();
    // The command line wins: the second migration needs the schema named `app`.
    let run = rehearse_local(dir.path(), &["--template", "Options.Namespace=app"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.report();
    assert_eq!(ids(&report).len(), 2, "{report}");
    for name in ["create_namespace", "grant"] {
        let m = migration(&report, name);
        assert_eq!(m["verdict"], "pass", "{m}");
    }
}

#[test]
fn an_extension_the_server_lacks_is_blamed_on_the_server_not_the_migration() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("V1__cron.sql"),
        "CREATE EXTENSION IF NOT EXISTS rehearse_no_such_extension;\n",
    )
    .unwrap();
    let run = rehearse_local(dir.path(), &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.report();
    let failed = report["migrations"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "forward_failed")
        .cloned()
        .unwrap();
    assert!(
        failed["message"]
            .as_str()
            .unwrap()
            .contains("the rehearsal server has no extension rehearse_no_such_extension"),
        "{failed}"
    );
    assert_eq!(
        failed["advice"],
        "Rehearse on a server that has the extension rehearse_no_such_extension, as production does: an image that carries it (--image, or [database] image in the scenario).",
        "{failed}"
    );
}
