//! Accepted differences end to end: the binary on a local PostgreSQL, a rollback that re-adds a
//! dropped column at the end of its table (a `column_order` difference a project keeps on
//! purpose), accepted in the migration file or in the scenario.

mod common;
use common::{fixture, rehearse_local};
use std::path::Path;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn a_difference_accepted_in_the_migration_file_is_listed_and_passes() {
    let run = rehearse_local(&fixture("accept/in_file"), &["--no-seed"]);
    assert_eq!(
        run.code, 0,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let report = run.report();
    let m = &report["migrations"][1];
    assert_eq!(m["verdict"], "pass", "{m}");
    // Still honest: the schema was not restored, and the difference is listed.
    assert_eq!(m["schema_restored"], false);
    let d = &m["differences"][0];
    assert_eq!(d["kind"], "column_order");
    assert_eq!(d["accepted"], true);
    let reason = d["accepted_reason"].as_str().unwrap();
    assert!(
        reason.contains("nothing reads columns by position"),
        "{reason}"
    );
    assert!(
        reason.contains("V002__drop_nickname.sql, line 1"),
        "{reason}"
    );
    let md = std::fs::read_to_string(run.out.path().join("report.md")).unwrap();
    assert!(md.contains("accepted: re-adding a column"), "{md}");
    let junit = std::fs::read_to_string(run.out.path().join("junit.xml")).unwrap();
    assert!(junit.contains("failures=\"0\""), "{junit}");
}

#[test]
fn the_same_difference_not_accepted_fails() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture("accept/scenario/migrations"), dir.path());
    let run = rehearse_local(dir.path(), &["--no-seed"]);
    assert_eq!(
        run.code, 1,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let m = &run.report()["migrations"][1];
    assert_eq!(m["verdict"], "fail");
    assert!(m["differences"][0].get("accepted").is_none(), "{m}");
}

#[test]
fn a_difference_accepted_in_the_scenario_for_its_migration_passes() {
    let run = rehearse_local(&fixture("accept/scenario"), &[]);
    assert_eq!(
        run.code, 0,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let d = &run.report()["migrations"][1]["differences"][0];
    assert_eq!(d["accepted"], true);
    assert!(
        d["accepted_reason"]
            .as_str()
            .unwrap()
            .contains("rehearse.toml [accept]"),
        "{d}"
    );
}

#[test]
fn an_acceptance_for_another_migration_or_object_does_not_apply() {
    for (entry, what) in [
        (
            "migration = \"1\"\nobject = \"public.users\"",
            "another migration",
        ),
        ("object = \"public.orders\"", "another object"),
        (
            "migration = \"2\"\nobject = \"public.users\"\nkind_typo = 1",
            "unknown field",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&fixture("accept/scenario"), dir.path());
        std::fs::write(
            dir.path().join("rehearse.toml"),
            format!("[dataset]\ninfer = false\n\n[[accept]]\nkind = \"column_order\"\n{entry}\nreason = \"r\"\n"),
        )
        .unwrap();
        let run = rehearse_local(dir.path(), &[]);
        if what == "unknown field" {
            assert_eq!(run.code, 2, "{what}: {}", run.stderr);
            continue;
        }
        assert_eq!(
            run.code, 1,
            "{what}: stdout: {}\nstderr: {}",
            run.stdout, run.stderr
        );
        assert_eq!(run.report()["migrations"][1]["verdict"], "fail", "{what}");
    }
}

#[test]
fn a_run_wide_acceptance_covers_every_migration() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture("accept/scenario"), dir.path());
    std::fs::write(
        dir.path().join("rehearse.toml"),
        "[dataset]\ninfer = false\n\n[accept]\nkind = \"column_order\"\nreason = \"column order is never relied on\"\n",
    )
    .unwrap();
    let run = rehearse_local(dir.path(), &[]);
    assert_eq!(
        run.code, 0,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
}

#[test]
fn an_unknown_kind_in_the_scenario_is_bad_input_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture("accept/scenario"), dir.path());
    std::fs::write(
        dir.path().join("rehearse.toml"),
        "[dataset]\ninfer = false\n\n[[accept]]\nkind = \"column_ordr\"\nreason = \"r\"\n",
    )
    .unwrap();
    let run = rehearse_local(dir.path(), &[]);
    assert_eq!(run.code, 2, "stderr: {}", run.stderr);
    assert!(
        run.stderr.contains("rehearse.toml, line 5"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("\"column_ordr\" is not a difference kind"),
        "{}",
        run.stderr
    );
    assert!(!run.out.path().join("report.json").exists());
}

#[test]
fn an_unknown_kind_in_a_migration_file_is_bad_input_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture("accept/in_file"), dir.path());
    std::fs::write(
        dir.path().join("V002__drop_nickname_rollback.sql"),
        "-- a comment first\n-- rehearse:accept column_place public.users reason=\"r\"\nALTER TABLE users ADD COLUMN nickname text;\n",
    )
    .unwrap();
    let run = rehearse_local(dir.path(), &["--no-seed"]);
    assert_eq!(run.code, 2, "stderr: {}", run.stderr);
    assert!(
        run.stderr.contains(
            "V002__drop_nickname_rollback.sql, line 2: \"column_place\" is not a difference kind"
        ),
        "{}",
        run.stderr
    );
}
