//! `rehearse compare OLD.json NEW.json` on the real binary.

mod common;

use common::*;

fn slower_copy(dir: &std::path::Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(fixture("reports/sample.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    // The branch made 002's forward four times slower and its lock four times longer.
    let m = &mut v["migrations"][1];
    m["forward"]["duration_ms"] = 7320.0.into();
    m["forward"]["statements"][1]["locks"][0]["held_ms"] = 7300.0.into();
    // Its first statement now also locks a table it never touched.
    m["forward"]["statements"][0]["locks"] = serde_json::json!([
        { "relation": "public.orders", "mode": "AccessExclusiveLock", "acquired_ms": 0.0, "held_ms": 900.0 }
    ]);
    let path = dir.join("new.json");
    std::fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    path
}

fn compare(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(binary())
        .arg("compare")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn compare_names_what_got_slower_and_locks_longer() {
    let dir = tempfile::tempdir().unwrap();
    let old = fixture("reports/sample.json");
    let new = slower_copy(dir.path());
    let (code, stdout, stderr) = compare(&[old.to_str().unwrap(), new.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("WORSE 002 add_status_column: forward duration: 1.83 s -> 7.32 s"),
        "{stdout}"
    );
    assert!(
        stdout.contains("AccessExclusiveLock on public.users held: 1.83 s -> 7.30 s"),
        "{stdout}"
    );
    assert!(
        stdout.contains("AccessExclusiveLock on public.orders: not taken -> taken, held 900.0 ms"),
        "{stdout}"
    );

    let (code, markdown, _) = compare(&[
        old.to_str().unwrap(),
        new.to_str().unwrap(),
        "--markdown",
        "--fail-on-regression",
    ]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(markdown);
}

#[test]
fn the_same_report_twice_has_no_regression() {
    let old = fixture("reports/sample.json");
    let (code, stdout, _) = compare(&[
        old.to_str().unwrap(),
        old.to_str().unwrap(),
        "--fail-on-regression",
    ]);
    assert_eq!(code, 0);
    assert!(
        stdout.starts_with("0 regressions, 0 improvements"),
        "{stdout}"
    );
}

#[test]
fn a_missing_or_foreign_file_is_bad_input_naming_it() {
    let (code, _, stderr) = compare(&[
        "/nonexistent/old.json",
        fixture("reports/sample.json").to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("/nonexistent/old.json"), "{stderr}");
    let dir = tempfile::tempdir().unwrap();
    let foreign = dir.path().join("package.json");
    std::fs::write(&foreign, "{\"name\": \"x\"}").unwrap();
    let (code, _, stderr) = compare(&[foreign.to_str().unwrap(), foreign.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("package.json, line 1: not a rehearse report.json"),
        "{stderr}"
    );
}
