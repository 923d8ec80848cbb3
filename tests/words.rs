//! The words agree everywhere (issue L, items 6 and 7), on the real binary and a local
//! PostgreSQL: advice that fits the difference and shows its SQL, counts in English, a headline
//! that says how much of the run was rehearsed, a stderr line that never says FAILED for a
//! migration report.json passes, JUnit totals that add up, and a report.md of a long run of
//! passing migrations sized by what matters.

mod common;
use common::{fixture, rehearse_local};
use std::path::Path;

/// Writes `NNN_name.up.sql` and `NNN_name.down.sql` for each (name, up, down).
fn up_down(dir: &Path, migrations: &[(&str, &str, &str)]) {
    for (i, (name, up, down)) in migrations.iter().enumerate() {
        let stem = format!("{:03}_{name}", i + 1);
        std::fs::write(dir.join(format!("{stem}.up.sql")), up).unwrap();
        std::fs::write(dir.join(format!("{stem}.down.sql")), down).unwrap();
    }
}

/// The (tests, failures, skipped) of `<testsuites>` and the sum over its `<testsuite>`s.
fn junit_totals(xml: &str) -> ([usize; 3], [usize; 3]) {
    let attr = |line: &str, name: &str| -> usize {
        let start = line.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        line[start..].split('"').next().unwrap().parse().unwrap()
    };
    let of = |line: &str| {
        [
            attr(line, "tests"),
            attr(line, "failures"),
            attr(line, "skipped"),
        ]
    };
    let top = of(xml.lines().find(|l| l.starts_with("<testsuites ")).unwrap());
    let sum = xml
        .lines()
        .filter(|l| l.trim_start().starts_with("<testsuite "))
        .map(of)
        .fold([0; 3], |a, s| [a[0] + s[0], a[1] + s[1], a[2] + s[2]]);
    (top, sum)
}

fn finding<'a>(m: &'a serde_json::Value, kind: &str) -> &'a serde_json::Value {
    m["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} finding in {m}"))
}

#[test]
fn a_rollback_that_forgets_drop_extension_is_told_the_statement_in_english() {
    let dir = tempfile::tempdir().unwrap();
    up_down(
        dir.path(),
        &[
            (
                "users",
                "CREATE EXTENSION citext;\nCREATE TABLE users (id bigint PRIMARY KEY, email citext);\n",
                "DROP TABLE users;\n",
            ),
            (
                "posts",
                "CREATE TABLE posts (id bigint PRIMARY KEY);\n",
                "DROP TABLE posts;\n",
            ),
            (
                "tags",
                "CREATE TABLE tags (id bigint PRIMARY KEY);\n",
                "DROP TABLE tags;\n",
            ),
            (
                "broken",
                "ALTER TABLE no_such_table ADD COLUMN x int;\n",
                "SELECT 1;\n",
            ),
            (
                "after_broken",
                "CREATE TABLE later (id bigint PRIMARY KEY);\n",
                "DROP TABLE later;\n",
            ),
        ],
    );
    let run = rehearse_local(dir.path(), &["--no-seed"]);
    assert_eq!(
        run.code, 1,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let report = run.report();
    let m = &report["migrations"][0];
    let schema = finding(m, "schema_not_restored");
    assert_eq!(
        schema["message"],
        "the rollback of 001_users.up.sql does not restore the schema: 1 difference: the extension citext was left behind"
    );
    assert_eq!(
        schema["advice"],
        "Add `DROP EXTENSION citext;` to the rollback."
    );
    assert_eq!(m["differences"][0]["fix"], "DROP EXTENSION citext;");
    // The run rehearsed four of five (a failed forward stops the rest), and says so first.
    let headline = "FAIL: 4 of 5 rehearsed: 2 failed, 2 passed, 1 not run";
    assert!(run.stdout.starts_with(headline), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("Add `DROP EXTENSION citext;` to the rollback."),
        "{}",
        run.stdout
    );
    let md = std::fs::read_to_string(run.out.path().join("report.md")).unwrap();
    assert!(md.contains(headline), "{md}");
    for (what, text) in [
        ("stdout", &run.stdout),
        ("stderr", &run.stderr),
        ("report.md", &md),
    ] {
        for wrong in ["(s)", "1 differences", "1 migrations", "1 tables"] {
            assert!(!text.contains(wrong), "{what} says {wrong:?}: {text}");
        }
    }
    assert!(
        run.stderr
            .contains("1 difference: the extension citext was left behind"),
        "{}",
        run.stderr
    );
    let junit = std::fs::read_to_string(run.out.path().join("junit.xml")).unwrap();
    let (top, sum) = junit_totals(&junit);
    assert_eq!(top, sum, "{junit}");
}

#[test]
fn a_down_that_forgets_drop_index_is_told_to_add_it() {
    let dir = tempfile::tempdir().unwrap();
    up_down(
        dir.path(),
        &[
            (
                "users",
                "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n",
                "DROP TABLE users;\n",
            ),
            (
                "email_index",
                "CREATE INDEX users_email_idx ON users (email);\n",
                "SELECT 1;\n",
            ),
        ],
    );
    let run = rehearse_local(dir.path(), &["--no-seed"]);
    assert_eq!(
        run.code, 1,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let report = run.report();
    let m = &report["migrations"][1];
    let schema = finding(m, "schema_not_restored");
    assert_eq!(
        schema["advice"],
        "Add `DROP INDEX public.users_email_idx;` to the rollback."
    );
    assert!(
        schema["message"].as_str().unwrap().ends_with(
            ": 1 difference: the index public.users_email_idx on public.users was left behind"
        ),
        "{schema}"
    );
}

#[test]
fn an_accepted_difference_is_no_failure_on_stderr_either() {
    let run = rehearse_local(&fixture("accept/in_file"), &["--no-seed"]);
    assert_eq!(
        run.code, 0,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    assert_eq!(run.report()["migrations"][1]["verdict"], "pass");
    let line = run
        .stderr
        .lines()
        .find(|l| l.starts_with("rehearse: 002 drop_nickname (2 of 2)"))
        .unwrap_or_else(|| panic!("no line for 002: {}", run.stderr));
    assert!(!line.contains("FAILED"), "{line}");
    assert!(!run.stderr.contains("FAILED"), "{}", run.stderr);
}

/// Characters report.md may take for a run of 60 passing migrations: their rows and the
/// header, not their statements (today's main wrote about 40,000).
const SIXTY_PASSES_MARKDOWN: usize = 14_000;

#[test]
fn the_report_md_of_a_long_passing_run_is_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let migrations: Vec<(String, String, String)> = (1..=60)
        .map(|i| {
            (
                format!("t{i}"),
                format!("SET lock_timeout = '2s';\nCREATE TABLE t{i} (id bigint PRIMARY KEY, note text);\n"),
                format!("DROP TABLE t{i};\n"),
            )
        })
        .collect();
    let borrowed: Vec<(&str, &str, &str)> = migrations
        .iter()
        .map(|(n, u, d)| (n.as_str(), u.as_str(), d.as_str()))
        .collect();
    up_down(dir.path(), &borrowed);
    let run = rehearse_local(dir.path(), &["--no-seed"]);
    assert_eq!(
        run.code, 0,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let md = std::fs::read_to_string(run.out.path().join("report.md")).unwrap();
    let chars = md.chars().count();
    assert!(
        chars <= SIXTY_PASSES_MARKDOWN,
        "report.md of 60 passing migrations has {chars} characters:\n{md}"
    );
    assert!(
        md.starts_with("## ✅ rehearse: PASS: all 60 migrations passed"),
        "{md}"
    );
    assert!(md.contains("| 060 t60 |"), "every pass keeps its row: {md}");
    assert!(
        !md.contains("CREATE TABLE t1 "),
        "a pass's statements stay in report.html"
    );
}

#[test]
fn an_enum_value_the_rollback_cannot_remove_gets_the_accept_or_if_not_exists_pattern() {
    let dir = tempfile::tempdir().unwrap();
    up_down(
        dir.path(),
        &[
            (
                "mood",
                "CREATE TYPE mood AS ENUM ('sad', 'ok');\n",
                "DROP TYPE mood;\n",
            ),
            (
                "happy",
                "ALTER TYPE mood ADD VALUE 'happy';\n",
                "SELECT 1;\n",
            ),
        ],
    );
    let run = rehearse_local(dir.path(), &["--no-seed"]);
    assert_eq!(
        run.code, 1,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let report = run.report();
    let m = &report["migrations"][1];
    let advice = finding(m, "schema_not_restored")["advice"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        advice.contains("-- rehearse:accept enum_values public.mood")
            && advice.contains("`ALTER TYPE public.mood ADD VALUE IF NOT EXISTS 'happy';`"),
        "{advice}"
    );
    // The forward fails again after the rollback for the same reason, and is told the same.
    assert_eq!(
        finding(m, "redo_failed")["advice"].as_str(),
        Some(advice.as_str())
    );
}
