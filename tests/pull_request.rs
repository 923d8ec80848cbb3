//! A pull request's rehearsal: `--since REF` rehearses only what the branch adds or changes,
//! with edited history as a finding, and `--cache DIR` restores the seeded state after the
//! baseline instead of replaying it. Each test makes a real git repository in a temporary
//! folder from tests/fixtures/pull_request and runs the real binary on the local provider.

mod common;

use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The shop of tests/fixtures/pull_request/shop as a git repository whose commit is tagged
/// `base`.
fn shop() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("shop");
    copy_folder(&fixture("pull_request/shop"), &root);
    git(&root, &["init", "-q", "-b", "main"]);
    git(&root, &["add", "-A"]);
    git(
        &root,
        &[
            "-c",
            "user.email=ci@example.com",
            "-c",
            "user.name=ci",
            "commit",
            "-qm",
            "base",
        ],
    );
    git(&root, &["tag", "base"]);
    (dir, root)
}

/// tests/fixtures/pull_request/dbmate (both directions in one file) as a git repository
/// tagged `base`; returns its migrations folder.
fn dbmate_project() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("app");
    copy_folder(&fixture("pull_request/dbmate"), &root);
    git(&root, &["init", "-q", "-b", "main"]);
    git(&root, &["add", "-A"]);
    git(
        &root,
        &["-c", "user.email=ci@example.com", "-c", "user.name=ci", "commit", "-qm", "base"],
    );
    git(&root, &["tag", "base"]);
    let migrations = root.join("migrations");
    (dir, migrations)
}

fn dbmate_branch(migrations: &Path, file: &str) {
    std::fs::copy(fixture("pull_request/dbmate_branch").join(file), migrations.join(file)).unwrap();
}

#[test]
fn a_dbmate_file_whose_down_section_alone_changed_is_a_changed_rollback_not_edited_history() {
    let (_dir, migrations) = dbmate_project();
    dbmate_branch(&migrations, "20240101000002_add_users_name.sql");
    let run = rehearse_local(&migrations, &["--since", "base"]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let report = run.report();
    assert!(finding_kinds(&report).is_empty(), "{}", report["findings"]);
    assert_eq!(ids(&report), ["20240101000002"]);
    assert_eq!(
        report["since"]["rollback_changed"],
        serde_json::json!(["20240101000002"]),
        "{}",
        report["since"]
    );
}

#[test]
fn a_dbmate_file_whose_up_section_changed_is_edited_history() {
    let (_dir, migrations) = dbmate_project();
    dbmate_branch(&migrations, "20240101000001_create_users.sql");
    let run = rehearse_local(&migrations, &["--since", "base"]);
    assert_eq!(run.code, 1, "stderr: {}", run.stderr);
    let report = run.report();
    assert_eq!(finding_kinds(&report), ["edited_history"]);
    assert_eq!(ids(&report), ["20240101000001", "20240101000002"]);
}

fn copy_folder(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_folder(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

/// Puts a file of tests/fixtures/pull_request/branch into the shop's migrations.
fn on_branch(root: &Path, file: &str) {
    std::fs::copy(
        fixture("pull_request/branch").join(file),
        root.join("migrations").join(file),
    )
    .unwrap();
}

fn ids(report: &Value) -> Vec<String> {
    report["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect()
}

fn finding_kinds(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .map(|f| {
            f.iter()
                .map(|f| f["kind"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn since_rehearses_only_the_migration_the_branch_adds() {
    let (_dir, root) = shop();
    on_branch(&root, "V004__add_user_name.sql");
    on_branch(&root, "V004__add_user_name_rollback.sql");
    let run = rehearse_local(&root, &["--since", "base"]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let report = run.report();
    assert_eq!(ids(&report), ["004"]);
    assert_eq!(report["since"]["reference"], "base");
    assert_eq!(report["since"]["baseline"], "003");
    assert_eq!(report["since"]["added"], serde_json::json!(["004"]));
    assert!(finding_kinds(&report).is_empty(), "{}", report["findings"]);
    assert!(
        run.stderr
            .contains("3 migrations baseline, 1 rehearsed from 004 on"),
        "{}",
        run.stderr
    );
    // The baseline was applied: the seeded users are there for the rehearsed migration.
    assert!(report["seed"]["rows"].as_u64().unwrap() >= 400, "{}", report["seed"]);
}

#[test]
fn an_edited_migration_of_the_base_is_edited_history_and_rehearsed_with_those_after_it() {
    let (_dir, root) = shop();
    on_branch(&root, "V002__create_orders.sql");
    let run = rehearse_local(&root, &["--since", "base"]);
    assert_eq!(run.code, 1, "stderr: {}", run.stderr);
    let report = run.report();
    assert_eq!(ids(&report), ["002", "003"]);
    assert_eq!(report["since"]["baseline"], "001");
    assert_eq!(finding_kinds(&report), ["edited_history"]);
    let message = report["findings"][0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("V002__create_orders.sql changed since base although base already had it"),
        "{message}"
    );
    // The migrations themselves pass: only the edit fails the run.
    for m in report["migrations"].as_array().unwrap() {
        assert_eq!(m["verdict"], "pass", "{m}");
    }
}

#[test]
fn a_migration_removed_since_the_base_is_edited_history() {
    let (_dir, root) = shop();
    std::fs::remove_file(root.join("migrations/V003__add_order_status.sql")).unwrap();
    std::fs::remove_file(root.join("migrations/V003__add_order_status_rollback.sql")).unwrap();
    let run = rehearse_local(&root, &["--since", "base"]);
    assert_eq!(run.code, 1, "stderr: {}", run.stderr);
    let report = run.report();
    assert!(ids(&report).is_empty(), "{:?}", ids(&report));
    assert_eq!(
        finding_kinds(&report),
        ["edited_history", "edited_history"]
    );
    assert!(report["findings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("V003__add_order_status.sql was in base and is gone"));
}

#[test]
fn since_a_ref_that_names_no_commit_is_bad_input() {
    let (_dir, root) = shop();
    let run = rehearse_local(&root, &["--since", "no-such-branch"]);
    assert_eq!(run.code, 2, "stderr: {}", run.stderr);
    assert!(
        run.stderr.contains("--since no-such-branch: the repository at")
            && run.stderr.contains("has no commit named no-such-branch"),
        "{}",
        run.stderr
    );
}

#[test]
fn since_outside_a_git_repository_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("shop");
    copy_folder(&fixture("pull_request/shop"), &root);
    let run = rehearse_local(&root, &["--since", "main"]);
    assert_eq!(run.code, 2, "stderr: {}", run.stderr);
    assert!(
        run.stderr.contains("is not inside a git repository"),
        "{}",
        run.stderr
    );
}

/// What must be the same whether the seeded state was built or restored.
fn outcome(report: &Value) -> Value {
    let migrations: Vec<Value> = report["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            serde_json::json!({
                "id": m["id"], "verdict": m["verdict"],
                "schema_restored": m["schema_restored"], "differences": m["differences"],
                "data_preserved": m["data_preserved"], "data_differences": m["data_differences"],
                "findings": m["findings"], "hazards": m["hazards"],
            })
        })
        .collect();
    serde_json::json!({
        "verdict": report["verdict"],
        "findings": report["findings"],
        "migrations": migrations,
        "seed_rows": report["seed"]["rows"],
        "seed_tables": report["seed"]["tables"].as_array().map(|t| t.iter().map(|t| (t["table"].clone(), t["rows"].clone())).collect::<Vec<_>>()),
        "tables": report["tables"],
    })
}

fn cached_run(root: &Path, cache: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["--baseline", "002", "--cache", cache.to_str().unwrap()];
    args.extend_from_slice(extra);
    let run = rehearse_local(root, &args);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    run.report()
}

#[test]
fn a_warm_run_gives_the_cold_report_and_any_changed_input_misses() {
    let (_dir, root) = shop();
    let cache = tempfile::tempdir().unwrap();

    let cold = cached_run(&root, cache.path(), &[]);
    assert_eq!(cold["cache"]["outcome"], "miss", "{}", cold["cache"]);
    let warm = cached_run(&root, cache.path(), &[]);
    assert_eq!(warm["cache"]["outcome"], "hit", "{}", warm["cache"]);
    assert_eq!(warm["cache"]["key"], cold["cache"]["key"]);
    assert_eq!(outcome(&warm), outcome(&cold));

    // The seed.
    let seed = cached_run(&root, cache.path(), &["--seed", "9"]);
    assert_eq!(seed["cache"]["outcome"], "miss");
    assert_eq!(seed["cache"]["changed"], serde_json::json!(["seed changed"]));

    // The dataset definition.
    let dataset = root.join("shop.toml");
    let text = std::fs::read_to_string(&dataset).unwrap();
    std::fs::write(&dataset, text.replace("rows = 400", "rows = 300")).unwrap();
    let defined = cached_run(&root, cache.path(), &[]);
    assert_eq!(defined["cache"]["outcome"], "miss");
    assert_eq!(
        defined["cache"]["changed"],
        serde_json::json!(["dataset changed"])
    );

    // A baseline file, by one byte.
    let first = root.join("migrations/V001__create_users.sql");
    let mut sql = std::fs::read_to_string(&first).unwrap();
    sql.push('\n');
    std::fs::write(&first, sql).unwrap();
    let edited = cached_run(&root, cache.path(), &[]);
    assert_eq!(edited["cache"]["outcome"], "miss");
    assert_eq!(
        edited["cache"]["changed"],
        serde_json::json!(["baseline file V001__create_users.sql changed"])
    );
    // ... and the same inputs again hit.
    let again = cached_run(&root, cache.path(), &[]);
    assert_eq!(again["cache"]["outcome"], "hit");
    assert_eq!(outcome(&again), outcome(&edited));

    // A smaller cache keeps the newest entry only.
    let entries = |dir: &Path| {
        std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .filter(|e| e.path().join("manifest.json").is_file())
            .count()
    };
    assert_eq!(entries(cache.path()), 4);
    let evicting = cached_run(&root, cache.path(), &["--seed", "10", "--cache-max", "1B"]);
    assert_eq!(evicting["cache"]["outcome"], "miss");
    assert_eq!(entries(cache.path()), 1);
}

#[test]
fn since_and_cache_together_restore_the_base_and_rehearse_the_branch() {
    let (_dir, root) = shop();
    let cache = tempfile::tempdir().unwrap();
    on_branch(&root, "V004__add_user_name.sql");
    on_branch(&root, "V004__add_user_name_rollback.sql");
    let args = ["--since", "base", "--cache", cache.path().to_str().unwrap()];
    let cold = rehearse_local(&root, &args);
    assert_eq!(cold.code, 0, "stderr: {}", cold.stderr);
    let warm = rehearse_local(&root, &args);
    assert_eq!(warm.code, 0, "stderr: {}", warm.stderr);
    assert!(
        warm.stderr.contains("baseline and seed point restored from the cache"),
        "{}",
        warm.stderr
    );
    assert!(!warm.stderr.contains("baseline 001"), "{}", warm.stderr);
    assert_eq!(outcome(&warm.report()), outcome(&cold.report()));
    assert_eq!(ids(&warm.report()), ["004"]);
}

#[test]
fn a_cache_max_that_is_not_a_size_is_bad_input() {
    let (_dir, root) = shop();
    let run = rehearse_local(&root, &["--cache", "/tmp/x", "--cache-max", "lots"]);
    assert_eq!(run.code, 2, "stderr: {}", run.stderr);
    assert!(run.stderr.contains("lots is not a size"), "{}", run.stderr);
}

/// Each migration's verdict and what its rollback left, by id.
fn verdicts(report: &Value) -> Vec<Value> {
    report["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            serde_json::json!([m["id"], m["verdict"], m["schema_restored"], m["differences"],
                m["data_preserved"], m["findings"]])
        })
        .collect()
}

#[test]
fn two_shards_merged_give_the_verdicts_of_one_run() {
    let (_dir, root) = shop();
    on_branch(&root, "V004__add_user_name.sql");
    on_branch(&root, "V004__add_user_name_rollback.sql");
    let whole = rehearse_local(&root, &[]);
    assert_eq!(whole.code, 0, "stderr: {}", whole.stderr);
    let first = rehearse_local(&root, &["--shard", "1/2"]);
    assert_eq!(first.code, 0, "stderr: {}", first.stderr);
    assert_eq!(ids(&first.report()), ["001", "002"]);
    let second = rehearse_local(&root, &["--shard", "2/2"]);
    assert_eq!(second.code, 0, "stderr: {}", second.stderr);
    assert_eq!(ids(&second.report()), ["003", "004"]);
    assert!(
        second.stderr.contains("shard 2/2: 2 migrations of the 4 pending (003 to 004), after 2 applied as baseline"),
        "{}",
        second.stderr
    );
    // Shards given in any order.
    let merged = rehearse(&[
        "merge",
        second.out.path().to_str().unwrap(),
        first.out.path().join("report.json").to_str().unwrap(),
    ]);
    assert_eq!(merged.code, 0, "stderr: {}", merged.stderr);
    let report = merged.report();
    assert_eq!(verdicts(&report), verdicts(&whole.report()));
    assert_eq!(report["verdict"], whole.report()["verdict"]);
    assert!(report.get("shard").is_none());
    for file in ["report.md", "report.html", "junit.xml"] {
        let text = std::fs::read_to_string(merged.out.path().join(file)).unwrap();
        assert!(text.contains("004"), "{file} lacks 004");
    }

    let alone = rehearse(&["merge", second.out.path().to_str().unwrap()]);
    assert_eq!(alone.code, 2);
    assert!(
        alone
            .stderr
            .contains("shard 1/2 is missing: give the report.json of every shard"),
        "{}",
        alone.stderr
    );
}

#[test]
fn shards_with_a_cache_each_restore_their_own_start_and_merge_as_one_run() {
    let (_dir, root) = shop();
    on_branch(&root, "V004__add_user_name.sql");
    on_branch(&root, "V004__add_user_name_rollback.sql");
    let cache = tempfile::tempdir().unwrap();
    let whole = rehearse_local(&root, &[]);
    assert_eq!(whole.code, 0, "stderr: {}", whole.stderr);
    let shard = |k: &str| {
        let run = rehearse_local(
            &root,
            &["--shard", k, "--cache", cache.path().to_str().unwrap()],
        );
        assert_eq!(run.code, 0, "stderr: {}", run.stderr);
        run
    };
    // Each shard starts at another point (nothing applied, 001 and 002 applied): two keys.
    let (cold_1, cold_2) = (shard("1/2"), shard("2/2"));
    assert_eq!(cold_1.report()["cache"]["outcome"], "miss");
    assert_eq!(cold_2.report()["cache"]["outcome"], "miss");
    assert_ne!(cold_1.report()["cache"]["key"], cold_2.report()["cache"]["key"]);
    let (warm_1, warm_2) = (shard("1/2"), shard("2/2"));
    for (warm, cold) in [(&warm_1, &cold_1), (&warm_2, &cold_2)] {
        assert_eq!(warm.report()["cache"]["outcome"], "hit", "{}", warm.stderr);
        assert_eq!(warm.report()["cache"]["key"], cold.report()["cache"]["key"]);
        assert_eq!(outcome(&warm.report()), outcome(&cold.report()));
    }
    let merged = rehearse(&[
        "merge",
        warm_1.out.path().to_str().unwrap(),
        warm_2.out.path().to_str().unwrap(),
    ]);
    assert_eq!(merged.code, 0, "stderr: {}", merged.stderr);
    assert_eq!(verdicts(&merged.report()), verdicts(&whole.report()));
}

/// Docker with `image` is here (CI must have it; elsewhere the test says it skipped).
fn docker_image_or_skip(image: &str) -> bool {
    let present = Command::new("docker")
        .args(["image", "inspect", image])
        .output()
        .is_ok_and(|o| o.status.success());
    if !present && in_ci() {
        panic!("CI=true and {image} is missing: images/postgres/build.sh builds it");
    }
    if !present {
        eprintln!("skipped: {image} is missing");
    }
    present
}

fn cached_docker_run(root: &Path, cache: &Path, extra: &[&str]) -> Value {
    let mut args = vec![
        "run",
        root.to_str().unwrap(),
        "--provider",
        "docker",
        "--baseline",
        "002",
        "--cache",
        cache.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let run = rehearse(&args);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    run.report()
}

#[test]
fn on_docker_a_warm_run_gives_the_cold_report_and_a_changed_baseline_file_or_image_misses() {
    if !docker_image_or_skip("postgres:15") || !docker_image_or_skip("postgres:17") {
        return;
    }
    let (_dir, root) = shop();
    let cache = tempfile::tempdir().unwrap();
    let cold = cached_docker_run(&root, cache.path(), &[]);
    assert_eq!(cold["cache"]["outcome"], "miss", "{}", cold["cache"]);
    assert_eq!(cold["database"]["provider"], "docker");
    assert!(
        cold["cache"]["storage"].as_str().unwrap().contains("in the container"),
        "{}",
        cold["cache"]
    );
    let warm = cached_docker_run(&root, cache.path(), &[]);
    assert_eq!(warm["cache"]["outcome"], "hit", "{}", warm["cache"]);
    assert_eq!(warm["cache"]["key"], cold["cache"]["key"]);
    assert_eq!(outcome(&warm), outcome(&cold));

    // A baseline file, by one byte.
    let first = root.join("migrations/V001__create_users.sql");
    let mut sql = std::fs::read_to_string(&first).unwrap();
    sql.push('\n');
    std::fs::write(&first, sql).unwrap();
    let edited = cached_docker_run(&root, cache.path(), &[]);
    assert_eq!(edited["cache"]["outcome"], "miss");
    assert_eq!(
        edited["cache"]["changed"],
        serde_json::json!(["baseline file V001__create_users.sql changed"])
    );
    // Another image is another server (its id is in the key).
    let other = cached_docker_run(&root, cache.path(), &["--image", "postgres:17"]);
    assert_eq!(other["cache"]["outcome"], "miss");
    assert_eq!(other["cache"]["changed"], serde_json::json!(["server changed"]));
    // Nothing of the containers' data folders is left beside the entries.
    let servers = cache.path().join(".servers");
    assert_eq!(std::fs::read_dir(&servers).unwrap().count(), 0);
}
