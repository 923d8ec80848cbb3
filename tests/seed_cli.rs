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
