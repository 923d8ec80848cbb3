//! End-to-end: `rehearse lint` runs the real binary on fixture folders, without a database, and
//! says what it found in every format users read.

mod common;

use common::*;
use std::process::Command;

struct Lint {
    code: i32,
    stdout: String,
    stderr: String,
}

fn lint(args: &[&str]) -> Lint {
    let output = Command::new(binary())
        .arg("lint")
        .args(args)
        .current_dir(repo())
        .output()
        .expect("the rehearse binary runs");
    Lint {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

const SHOP: &str = "tests/fixtures/lint/shop";

#[test]
fn a_scenario_with_hazards_exits_1_and_names_rule_file_line_and_fix() {
    let run = lint(&[SHOP]);
    assert_eq!(run.code, 1, "stderr: {}", run.stderr);
    insta::assert_snapshot!("lint_shop_human", run.stdout);
}

#[test]
fn json_lists_findings_and_what_was_ignored_with_the_reasons() {
    let run = lint(&[SHOP, "--format", "json"]);
    assert_eq!(run.code, 1, "stderr: {}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let found: Vec<(String, String, u64)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["file"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    let has = |rule: &str, file: &str, line: u64| {
        found.contains(&(rule.to_string(), file.to_string(), line))
    };
    // V1 creates the table: its index is on a new table, but its types are still findings.
    assert!(
        has("prefer-identity", "V1__create_orders.sql", 1),
        "{found:?}"
    );
    assert!(
        has("prefer-bigint-key", "V1__create_orders.sql", 1),
        "{found:?}"
    );
    assert!(
        has("prefer-text-over-char", "V1__create_orders.sql", 1),
        "{found:?}"
    );
    assert!(!found
        .iter()
        .any(|(r, f, _)| r == "require-concurrent-index" && f == "V1__create_orders.sql"));
    assert!(
        has("require-concurrent-index", "V2__index_and_fk.sql", 5),
        "{found:?}"
    );
    assert!(
        has("adding-volatile-default", "V3__add_columns.sql", 1),
        "{found:?}"
    );
    assert!(
        has("adding-required-column", "V3__add_columns.sql", 2),
        "{found:?}"
    );
    // char(8) to varchar(20) rewrites: the type V1 declared is known.
    assert!(
        has("changing-column-type", "V3__add_columns.sql", 3),
        "{found:?}"
    );
    assert!(
        has("require-lock-timeout", "V3__add_columns.sql", 1),
        "{found:?}"
    );
    // The stale file-wide ignore and the scenario's ignore of a rule nothing breaks.
    assert!(
        has("unmatched-ignore", "V2__index_and_fk.sql", 1),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|(r, f, _)| r == "unmatched-ignore" && f == "rehearse.toml"),
        "{found:?}"
    );
    let ignored: Vec<(&str, &str)> = report["ignored"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["rule"].as_str().unwrap(), i["reason"].as_str().unwrap()))
        .collect();
    assert!(
        ignored.contains(&(
            "require-not-valid-foreign-key",
            "users has 12 rows in every environment"
        )),
        "{ignored:?}"
    );
    assert!(
        ignored.contains(&(
            "prefer-timestamptz",
            "created_at is written in UTC by the one writer"
        )),
        "{ignored:?}"
    );
    let relation = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "require-concurrent-index")
        .map(|f| f["relation"].clone());
    assert_eq!(relation, Some(serde_json::json!("public.orders")));
}

#[test]
fn sarif_and_github_annotations_carry_rule_ids_and_lines() {
    let sarif = lint(&[SHOP, "--format", "sarif"]);
    assert_eq!(sarif.code, 1);
    let doc: serde_json::Value = serde_json::from_str(&sarif.stdout).unwrap();
    assert_eq!(doc["version"], "2.1.0");
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let index = results
        .iter()
        .find(|r| r["ruleId"] == "require-concurrent-index")
        .expect("the index finding");
    assert_eq!(
        index["locations"][0]["physicalLocation"]["region"]["startLine"],
        5
    );
    assert!(
        results
            .iter()
            .any(|r| r["suppressions"][0]["justification"]
                == "users has 12 rows in every environment")
    );
    let rules = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert!(rules.iter().any(|r| r["id"] == "require-concurrent-index"
        && r["helpUri"] == "docs/rules/require-concurrent-index.md"));

    let github = lint(&[SHOP, "--format", "github"]);
    assert_eq!(github.code, 1);
    assert!(github.stdout.lines().any(|l| l.starts_with(
        "::warning file=tests/fixtures/lint/shop/migrations/V2__index_and_fk.sql,line=5,title=require-concurrent-index::"
    )), "{}", github.stdout);
    assert!(github
        .stdout
        .lines()
        .all(|l| l.starts_with("::warning file=")));
}

#[test]
fn a_clean_folder_exits_0_and_a_file_that_does_not_parse_exits_2() {
    let clean = lint(&["tests/fixtures/lint/clean"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);
    assert!(
        clean.stdout.starts_with("0 findings in 2 files"),
        "{}",
        clean.stdout
    );
    let broken = lint(&["tests/fixtures/lint/broken"]);
    assert_eq!(broken.code, 2, "{}", broken.stdout);
    assert!(
        broken.stderr.contains("V1__create.sql, line 2"),
        "{}",
        broken.stderr
    );
    let missing = lint(&["tests/fixtures/lint/nowhere"]);
    assert_eq!(missing.code, 2);
    // Single files lint without discovery.
    let one = lint(&["tests/fixtures/lint/shop/migrations/V3__add_columns.sql"]);
    assert_eq!(one.code, 1);
    assert!(
        one.stdout
            .contains("V3__add_columns.sql:1: adding-volatile-default"),
        "{}",
        one.stdout
    );
}

#[test]
fn rules_lists_every_rule_and_the_help_names_lint() {
    let output = Command::new(binary()).arg("rules").output().unwrap();
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    for rule in rehearse::rules::RULES {
        assert!(text.contains(rule.id), "{} missing", rule.id);
    }
}
