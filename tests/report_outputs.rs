//! The reports a real rehearsal writes (local PostgreSQL, the real binary): report.json matches
//! the committed schema, and every other rendering is there and says the same verdict.

mod common;

use common::*;
use std::path::Path;

fn validate(report: &serde_json::Value) {
    let text = std::fs::read_to_string(repo().join("schema/report.schema.json")).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(report)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "report.json breaks its schema:\n{}",
        errors.join("\n")
    );
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn a_passing_rehearsal_writes_every_format_and_its_json_matches_the_schema() {
    let run = rehearse_local(&repo().join("scenarios/quickstart"), &[]);
    assert_eq!(
        run.code, 0,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let report = run.report();
    validate(&report);
    // The quickstart's [gates] were judged.
    assert_eq!(
        report["gates"]["max_lock_hold_ms"]["AccessExclusiveLock"],
        2000.0
    );
    let gates = report["migrations"][1]["gates"].as_array().unwrap();
    assert!(
        gates.iter().any(|g| g["gate"] == "max_lock_hold"),
        "{gates:?}"
    );
    let dir = run.out.path();
    assert!(read(dir, "report.md").starts_with("## ✅ rehearse: PASS"));
    let junit = read(dir, "junit.xml");
    assert!(junit.contains("tests=\"10\" failures=\"0\""), "{junit}");
    assert!(read(dir, "report.html").contains("<header class=\"verdict pass\""));
}

#[test]
fn a_failing_rehearsal_writes_every_format_and_its_json_matches_the_schema() {
    let run = rehearse_local(&fixture("rehearsals/forward_fails"), &[]);
    assert_eq!(run.code, 1, "stderr: {}", run.stderr);
    validate(&run.report());
    let dir = run.out.path();
    assert!(read(dir, "report.md").starts_with("## ❌ rehearse: FAIL"));
    let junit = read(dir, "junit.xml");
    assert!(junit.contains("<failure message=\"V002__"), "{junit}");
    assert!(read(dir, "report.html").contains("<header class=\"verdict fail\""));
}

#[test]
fn report_json_is_compact_unless_pretty_is_asked_for() {
    let compact = rehearse_local(&repo().join("scenarios/quickstart"), &[]);
    assert_eq!(compact.code, 0, "{}", compact.stderr);
    let text = read(compact.out.path(), "report.json");
    assert_eq!(
        text.trim_end().lines().count(),
        1,
        "report.json is one line"
    );
    assert!(!text.contains("\n  "), "no indentation");

    let pretty = rehearse_local(&repo().join("scenarios/quickstart"), &["--pretty"]);
    assert_eq!(pretty.code, 0, "{}", pretty.stderr);
    let indented = read(pretty.out.path(), "report.json");
    assert!(indented.lines().count() > 50 && indented.contains("\n  \"verdict\""));
    let (a, b): (serde_json::Value, serde_json::Value) = (
        serde_json::from_str(&text).unwrap(),
        serde_json::from_str(&indented).unwrap(),
    );
    assert_eq!(a["verdict"], b["verdict"]);
    assert_eq!(
        a["migrations"].as_array().unwrap().len(),
        b["migrations"].as_array().unwrap().len()
    );

    // `render` keeps the same choice.
    let rendered = tempfile::tempdir().unwrap();
    let source = compact.out.path().join("report.json");
    for (flag, one_line) in [(None, true), (Some("--pretty"), false)] {
        let mut command = std::process::Command::new(binary());
        command
            .arg("render")
            .arg(&source)
            .arg("--out")
            .arg(rendered.path());
        if let Some(flag) = flag {
            command.arg(flag);
        }
        let output = command.output().unwrap();
        assert!(output.status.success());
        let json = read(rendered.path(), "report.json");
        assert_eq!(json.trim_end().lines().count() == 1, one_line, "{flag:?}");
    }
}
