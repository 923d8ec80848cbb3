//! Reports that scale: a 350-migration run gives a report.md that fits a pull-request comment,
//! a console summary with one line per migration and each repeated hint said once, and a
//! report.html whose charts are only where a lock or a block crossed the threshold.

mod common;
use rehearse::render;
use rehearse::report::Verdict;

#[test]
fn the_markdown_of_350_migrations_fits_a_pull_request_comment_failures_first() {
    let r = common::large_report(350);
    let md = render::markdown::render(&r);
    let chars = md.chars().count();
    assert!(chars <= 60_000, "{chars} characters");
    let failed = r
        .migrations
        .iter()
        .filter(|m| m.verdict == Verdict::Fail)
        .count();
    let headline = format!("FAIL: 256 of 350 rehearsed: {failed} failed, ");
    assert!(
        md.starts_with(&format!("## ❌ rehearse: {headline}")),
        "{}",
        &md[..200]
    );
    let (failures, rest) = md
        .split_once("### Not run (94)")
        .expect("a not-run section");
    assert!(failures.contains(&format!("### Failed ({failed})")));
    // The first failure's details, with what the schema was and became.
    assert!(
        failures.contains("<details><summary>0001 change"),
        "{failures}"
    );
    assert!(failures.contains("(before: id, column\\_0"), "{failures}");
    assert!(
        rest.contains("### Passed ("),
        "the passes are summarized after the failures"
    );
    assert!(md.contains("report.html has everything"));
    // A small run is not cut.
    let small = render::markdown::render(&common::large_report(100));
    assert!(!small.contains("were left out"), "{small}");
}

#[test]
fn the_console_prints_one_line_per_rehearsed_migration_one_per_run_left_behind_and_each_repeated_hint_once(
) {
    let r = common::large_report(350);
    let summary = render::summary::render(&r);
    let per_migration = summary
        .lines()
        .filter(|l| {
            l.starts_with("  PASS ") || l.starts_with("  FAIL ") || l.starts_with("  SKIP ")
        })
        .count();
    // 256 rehearsed, then the 94 that one failure left behind, in one line.
    assert_eq!(per_migration, 257, "{summary}");
    assert!(
        summary.contains(
            "  SKIP 94 migrations, 0256 to 0349: not run because migration 0255 before it failed\n"
        ),
        "{summary}"
    );
    let hints: Vec<&str> = summary
        .lines()
        .filter(|l| l.contains("no_lock_timeout"))
        .collect();
    assert_eq!(hints.len(), 1, "{hints:?}");
    assert!(
        hints[0].starts_with("  ⚠ no_lock_timeout: 256 migrations (0000, 0001,"),
        "{}",
        hints[0]
    );
    assert!(
        !summary.contains("forward 0.0 ms, rollback -"),
        "a migration not run shows as run"
    );
}

#[test]
fn the_html_of_350_migrations_draws_charts_only_past_the_threshold() {
    let r = common::large_report(350);
    let html = render::html::render(&r);
    // 10 of the 256 run migrations held a lock for seconds: one timeline each, nothing else.
    let slow = r
        .migrations
        .iter()
        .filter(|m| m.forward.statements.iter().any(|s| s.lock_wait_ms > 0.0))
        .count();
    assert_eq!(html.matches("aria-label=\"lock timeline\"").count(), slow);
    // Migrations are folded, the failures open.
    assert_eq!(html.matches("<details class=\"migration\"").count(), 350);
    assert!(html.contains("id=\"m1\" open>"));
    assert!(!html.contains("id=\"m0\" open>"));
    // The lock wait and the queue behind it are drawn, not only the hold.
    assert!(
        html.contains("waited 2.95 s for AccessExclusiveLock on public.table_7"),
        "no wait drawn"
    );
    assert!(html.contains("a workload query queued behind statement 1 for 2.96 s"));
    // The verdict comes first.
    let verdict = html.find("id=\"verdict\"").unwrap();
    assert!(verdict < html.find("id=\"overview\"").unwrap());
    assert!(html.len() < 3_000_000, "{} bytes", html.len());
}

/// Writes the 350-migration report to $REHEARSE_LARGE_REPORT_DIR for a person to open.
#[test]
fn write_the_large_report_when_asked() {
    if let Some(dir) = std::env::var_os("REHEARSE_LARGE_REPORT_DIR") {
        render::write_all(&common::large_report(350), std::path::Path::new(&dir)).unwrap();
    }
}
