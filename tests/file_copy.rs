//! Database copies (the template, every reset) are clones where PostgreSQL 18's data directory
//! sits on a filesystem that reflinks, and copies elsewhere, and the report says which. The
//! evidence does not hang on time: on the loop XFS a clone adds (almost) no used blocks, a copy
//! adds the database's size.
//!
//! Needs Docker with rehearse/postgres:18 (images/postgres/build.sh 18), root and xfsprogs;
//! skipped where any is missing, except under CI=true.

mod common;
#[path = "loop_xfs/mod.rs"]
mod loop_xfs;

use common::*;
use loop_xfs::LoopXfs;
use rehearse::provision::{self, DatabaseRequest, ProviderChoice};
use rehearse::report::FileCopyMethod;
use rehearse::seed::Template;

const IMAGE: &str = "rehearse/postgres:18";

fn image_or_skip() -> bool {
    let present = std::process::Command::new("docker")
        .args(["image", "inspect", IMAGE])
        .output()
        .is_ok_and(|o| o.status.success());
    if !present && in_ci() {
        panic!("CI=true and {IMAGE} is missing: build it with images/postgres/build.sh 18");
    }
    if !present {
        eprintln!("skipped: {IMAGE} is missing (images/postgres/build.sh 18)");
    }
    present
}

fn request(data_dir: &std::path::Path, settings: Vec<(String, String)>) -> DatabaseRequest {
    DatabaseRequest {
        provider: ProviderChoice::Docker,
        image: Some(IMAGE.into()),
        major: Some(18),
        data_dir: Some(data_dir.to_path_buf()),
        settings,
        ..Default::default()
    }
}

/// Fills the database with about 60 MB and returns its size in bytes.
async fn fill(db: &provision::Database) -> u64 {
    let client = db.connection.connect().await.unwrap();
    client
        .batch_execute(
            "CREATE TABLE big AS SELECT g, repeat(md5(g::text), 6) AS pad FROM generate_series(1, 250000) g;
             CHECKPOINT",
        )
        .await
        .unwrap();
    let size: i64 = client
        .query_one("SELECT pg_database_size(current_database())", &[])
        .await
        .unwrap()
        .get(0);
    size as u64
}

/// Bytes of the loop XFS that copying the database into a template (and once more, into a
/// throwaway copy) took, with the method each copy reported.
async fn cost_of_copies(xfs: &LoopXfs, db: &provision::Database) -> (u64, Vec<FileCopyMethod>) {
    let before = xfs.used_bytes();
    let template = Template::create(&db.connection, false).await.unwrap();
    let (_, reset) = template.reset().await.unwrap();
    let after = xfs.used_bytes();
    (after.saturating_sub(before), vec![template.method, reset])
}

#[tokio::test(flavor = "multi_thread")]
async fn on_xfs_postgres_18_clones_the_template_and_every_reset_sharing_their_blocks() {
    if !image_or_skip() {
        return;
    }
    let Some(xfs) = LoopXfs::or_skip("2G") else {
        return;
    };
    let db = provision::provision(&request(xfs.path(), Vec::new()))
        .await
        .expect("postgres 18 starts with its data directory on the loop XFS");
    let said = db.file_copy.clone().expect("the docker provider says how it copies");
    assert_eq!(said.method, FileCopyMethod::Clone, "{said:?}");
    let size = fill(&db).await;
    assert!(size > 40_000_000, "{size}");
    let (grew, methods) = cost_of_copies(&xfs, &db).await;
    assert_eq!(methods, [FileCopyMethod::Clone, FileCopyMethod::Clone]);
    // A copy would add the database's size; a clone shares its blocks.
    assert!(grew < size / 4, "the clones took {grew} bytes of a {size}-byte database");
    drop(db);
    assert_eq!(
        std::fs::read_dir(xfs.path()).unwrap().count(),
        0,
        "the container's data folder is removed with it"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_scenarios_own_file_copy_method_wins_and_the_copy_is_said_and_costs_its_bytes() {
    if !image_or_skip() {
        return;
    }
    let Some(xfs) = LoopXfs::or_skip("2G") else {
        return;
    };
    let settings = vec![("file_copy_method".to_string(), "copy".to_string())];
    let db = provision::provision(&request(xfs.path(), settings))
        .await
        .unwrap();
    let said = db.file_copy.clone().unwrap();
    assert_eq!(said.method, FileCopyMethod::Copy, "{said:?}");
    assert!(said.reason.contains("scenario's settings"), "{said:?}");
    let size = fill(&db).await;
    let (grew, methods) = cost_of_copies(&xfs, &db).await;
    assert_eq!(methods, [FileCopyMethod::Copy, FileCopyMethod::Copy]);
    assert!(grew > size / 2, "the copies took only {grew} bytes of a {size}-byte database");
}

fn scenario() -> std::path::PathBuf {
    fixture("rehearsals/rollback_loses_data/rehearse.toml")
}

fn run_on(data_dir: &std::path::Path) -> Run {
    rehearse(&[
        "run",
        scenario().to_str().unwrap(),
        "--provider",
        "docker",
        "--image",
        IMAGE,
        "--data-dir",
        data_dir.to_str().unwrap(),
    ])
}

#[test]
fn the_report_and_the_log_say_clone_on_xfs_and_copy_on_a_folder_that_cannot_reflink() {
    if !image_or_skip() {
        return;
    }
    let Some(xfs) = LoopXfs::or_skip("1G") else {
        return;
    };
    let run = run_on(xfs.path());
    assert_eq!(run.code, 1, "002's rollback loses data: {}", run.stderr);
    let report = run.report();
    assert_eq!(report["database"]["file_copy"]["method"], "clone", "{}", report["database"]);
    let reset = report["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "002")
        .map(|m| m["reset"].clone())
        .unwrap();
    assert_eq!(reset["method"], "clone", "{reset}");
    assert!(
        run.stderr.contains("database copies (template, resets): clone"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("kept as a template by clone"), "{}", run.stderr);
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("schema/report.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert!(validator.is_valid(&report), "report.json follows the schema");

    // A folder on the machine's own disk (ext4 or overlay here: no reflink).
    let plain = tempfile::tempdir().unwrap();
    if rehearse::provision::file_copy::can_reflink(plain.path()).is_ok() {
        eprintln!("the temporary folder's filesystem reflinks: the copy half is not tried");
        return;
    }
    let run = run_on(plain.path());
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.report();
    assert_eq!(report["database"]["file_copy"]["method"], "copy", "{}", report["database"]);
    assert!(
        report["database"]["file_copy"]["reason"]
            .as_str()
            .unwrap()
            .contains("cannot reflink"),
        "{}",
        report["database"]
    );
    assert!(run.stderr.contains("kept as a template by copy"), "{}", run.stderr);
}
