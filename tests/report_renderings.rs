//! Every rendering of one fixed report: Markdown and JUnit are snapshot-tested (a change in what
//! users read is reviewed like code), and report.json is checked against the committed schema.

use rehearse::render;
use rehearse::report::{self, Report};
use std::path::Path;

fn fixture(name: &str) -> Report {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/reports")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/report.schema.json"),
    )
    .unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).expect("the committed schema is itself valid")
}

fn assert_valid(value: &serde_json::Value) {
    let validator = schema();
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "report.json breaks its schema:\n{}",
        errors.join("\n")
    );
}

#[test]
fn markdown_of_the_sample_report() {
    insta::assert_snapshot!(render::markdown::render(&fixture("sample.json")));
}

/// The page a release manager reads, reviewed like code: a change to it shows in the diff.
#[test]
fn html_of_the_sample_report() {
    insta::assert_snapshot!(render::html::render(&fixture("sample.json")));
}

#[test]
fn junit_of_the_sample_report() {
    insta::assert_snapshot!(render::junit::render(&fixture("sample.json")));
}

#[test]
fn terminal_summary_of_the_sample_report() {
    insta::assert_snapshot!(render::summary::render(&fixture("sample.json")));
}

#[test]
fn written_report_json_matches_the_schema() {
    for name in ["sample.json", "hostile.json"] {
        let dir = tempfile::tempdir().unwrap();
        let written = render::write_all(&fixture(name), dir.path()).unwrap();
        let text = std::fs::read_to_string(&written.json).unwrap();
        assert_valid(&serde_json::from_str(&text).unwrap());
    }
}

#[test]
fn a_minimal_report_matches_the_schema() {
    // What the rehearsal writes before any optional section is filled.
    let report = Report {
        schema_version: report::SCHEMA_VERSION,
        migrations: vec![report::MigrationReport::default()],
        ..Default::default()
    };
    let value = serde_json::to_value(report).unwrap();
    assert_valid(&value);
}

#[test]
fn the_schema_rejects_a_report_that_breaks_the_contract() {
    let mut value = serde_json::to_value(fixture("sample.json")).unwrap();
    value["verdict"] = "maybe".into();
    assert!(!schema().is_valid(&value));
    let mut value = serde_json::to_value(fixture("sample.json")).unwrap();
    value["migrations"][0]
        .as_object_mut()
        .unwrap()
        .remove("schema_restored");
    assert!(!schema().is_valid(&value));
}

#[test]
fn write_all_writes_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let w = render::write_all(&fixture("sample.json"), dir.path()).unwrap();
    for path in [&w.json, &w.markdown, &w.html, &w.junit] {
        assert!(path.is_file(), "{} was not written", path.display());
    }
    assert!(w.junit.ends_with("junit.xml"));
}

#[test]
fn hostile_identifiers_are_escaped_in_markdown_and_junit() {
    let r = fixture("hostile.json");
    let md = outside_code_fences(&render::markdown::render(&r));
    assert!(!md.contains("<script"), "{md}");
    assert!(!md.contains("<img"), "{md}");
    assert!(!md.contains("<svg"), "{md}");
    let junit = render::junit::render(&r);
    assert!(!junit.contains("<script"), "{junit}");
    // Still well-formed enough for a CI parser: every quote inside attributes is escaped.
    assert!(junit.contains("&quot;"), "{junit}");
}

/// Markdown without its fenced code blocks, where forges show text as written.
fn outside_code_fences(md: &str) -> String {
    let mut out = String::new();
    let mut fence: Option<String> = None;
    for line in md.lines() {
        let ticks: String = line.chars().take_while(|c| *c == '`').collect();
        match &fence {
            None if ticks.len() >= 3 => fence = Some(ticks),
            None => {
                out.push_str(line);
                out.push('\n');
            }
            Some(f) if line.trim_end() == f => fence = None,
            Some(_) => {}
        }
    }
    out
}
