//! The realistic fixture project (`tests/fixtures/realistic/migrations`, 68 diesel migrations of a
//! forum, 2019-2024) reproduces what real projects' folders hold: a data script and a README
//! beside the migration folders, empty and comment-only rollbacks, a 2019 rollback with a missing
//! semicolon, a unique reference into a one-row table, a migration that empties a parent table,
//! a migration that reads `__diesel_schema_migrations`, `metadata.toml` without a transaction,
//! a partitioned table with foreign keys, an accepted column-order difference, and PostgreSQL 18
//! syntax in the last migration. The bare default command must rehearse it to the end.
//!
//! The docker test skips without Docker or the image, except when `CI=true`.

mod common;

use common::*;
use rehearse::migrations::{discover, Format, Transactionality};
use std::process::Command;

fn project() -> std::path::PathBuf {
    fixture("realistic/migrations")
}

#[test]
fn realistic_diesel_project_is_read_as_diesel_reads_it() {
    let set = discover(&project(), None).expect("diesel reads this folder, so must we");
    assert_eq!(set.format, Format::Diesel);
    assert!(set.migrations.len() >= 60, "{}", set.migrations.len());
    assert_eq!(set.notes.len(), 1, "{:?}", set.notes);
    assert!(
        set.notes[0].contains("README.md") && set.notes[0].contains("data_oauth_github.sql"),
        "{:?}",
        set.notes
    );
    let by_name = |name: &str| {
        set.migrations
            .iter()
            .find(|m| m.name == name)
            .unwrap_or_else(|| panic!("no migration {name}"))
    };
    // The 2019 rollback that does not parse: known with its line, kept for when it runs.
    let broken = by_name("create_communities").rollback.as_ref().unwrap();
    let failure = broken.parse_error.as_ref().expect("a parse failure");
    assert_eq!(failure.line, 3, "{failure:?}");
    assert!(broken.statements.is_empty());
    // A 0-byte down.sql and a comment-only one are rollbacks that run nothing.
    for name in ["empty_rollback_default_theme", "drop_legacy_accounts"] {
        let rollback = by_name(name).rollback.as_ref().unwrap();
        assert!(rollback.parse_error.is_none(), "{name}");
        assert!(rollback.statements.is_empty(), "{name}");
    }
    // metadata.toml: run_in_transaction = false.
    assert!(by_name("add_archived_post_status")
        .forward
        .statements
        .iter()
        .all(|s| s.transactionality == Transactionality::NonTransactional));
    // PostgreSQL 18 syntax parses (libpg_query 18); only an older server refuses it.
    let last = set.migrations.last().unwrap();
    assert_eq!(last.name, "add_post_title_search");
    assert!(last.forward.parse_error.is_none());
    assert_eq!(
        set.bookkeeping.as_ref().unwrap().table,
        "public.__diesel_schema_migrations"
    );
}

/// The bare command on the project: exit 0 or 1, a report naming every migration, each of them
/// rehearsed (none left behind a failure), the accepted column order not failing its migration.
/// `newer_syntax_fails`: the server is older than 18, so the last migration fails, with the hint.
fn assert_rehearsed_to_the_end(run: &Run, newer_syntax_fails: bool) {
    assert!(
        run.code == 0 || run.code == 1,
        "exit {}\nstdout: {}\nstderr: {}",
        run.code,
        run.stdout,
        run.stderr
    );
    let set = discover(&project(), None).unwrap();
    let report = run.report();
    let migrations = report["migrations"].as_array().unwrap();
    let ids: Vec<&str> = migrations
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = set
        .migrations
        .iter()
        .map(|m| m.version.to_string())
        .collect();
    assert_eq!(ids, expected);
    let (last, before) = migrations.split_last().unwrap();
    for m in before {
        assert_eq!(
            m["forward"]["ok"], true,
            "{} was not rehearsed: {m}",
            m["id"]
        );
    }
    if newer_syntax_fails {
        let error = &last["forward"]["error"];
        assert_eq!(error["code"], "42601", "{last}");
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains("[database] version = 18"),
            "{error}"
        );
    } else {
        assert_eq!(last["forward"]["ok"], true, "{last}");
        assert_eq!(last["verdict"], "pass", "{last}");
    }
    // The column order the project accepts is listed, and does not fail the migration.
    let accepted = migrations
        .iter()
        .find(|m| m["name"] == "drop_post_embed_html")
        .unwrap();
    assert!(
        accepted["differences"].to_string().contains("column_order"),
        "{accepted}"
    );
    assert_eq!(accepted["verdict"], "pass", "{accepted}");
    // The migration that reads diesel's table passed.
    let reads = migrations
        .iter()
        .find(|m| m["name"] == "create_schema_info")
        .unwrap();
    assert_eq!(reads["verdict"], "pass", "{reads}");
}

#[test]
fn bare_command_rehearses_the_realistic_project_to_the_end_on_15() {
    let run = rehearse_local(&project(), &[]);
    assert_rehearsed_to_the_end(&run, true);
}

#[test]
fn bare_command_rehearses_the_realistic_project_to_the_end_on_18() {
    let image = std::env::var("REHEARSE_TEST_IMAGE_18")
        .unwrap_or_else(|_| "rehearse/postgres:18".to_string());
    let present = Command::new("docker")
        .args(["image", "inspect", &image])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !present {
        assert!(
            !in_ci(),
            "CI=true, so docker tests may not skip: image {image} is not available (images/postgres/build.sh 18)"
        );
        eprintln!(
            "skipping: image {image} is not available; build it with images/postgres/build.sh 18"
        );
        return;
    }
    let path = project();
    let run = rehearse(&[
        "run",
        path.to_str().unwrap(),
        "--provider",
        "docker",
        "--image",
        &image,
        "--pg-version",
        "18",
    ]);
    assert_rehearsed_to_the_end(&run, false);
    let version = run.report()["database"]["server_version"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(version.starts_with("18."), "{version}");
}
