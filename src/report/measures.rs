//! Facts every rendering shows the same way: the strongest lock of a migration, the workload's
//! blocked time, durations as people read them. Computed from the model, never measured here.

use super::{Direction, LockReport, MigrationReport, Report, StateReset, Verdict};
use crate::lock_mode::LockMode;
use crate::words::{count, noun};

/// [`LockMode::strength`] of `mode` as `pg_locks.mode` spells it; unknown modes (any other
/// spelling, or a lock type's mode that is not a table lock mode) rank below every known one.
pub fn lock_strength(mode: &str) -> i32 {
    LockMode::from_pg_locks_name(mode).map_or(-1, LockMode::strength)
}

/// True for locks on tables (what readers and writers wait on), false for the indexes and
/// sequences a statement locks along with them. Reports without a kind count as tables.
pub fn on_table(lock: &LockReport) -> bool {
    matches!(lock.kind.as_str(), "" | "table" | "partitioned_table")
}

/// The strongest lock the forward direction took (a table's before an index's of the same
/// mode), and the longest it was held.
pub fn strongest_lock(m: &MigrationReport) -> Option<&LockReport> {
    m.forward
        .statements
        .iter()
        .flat_map(|s| s.locks.iter())
        .max_by(|a, b| {
            (lock_strength(&a.mode), on_table(a))
                .cmp(&(lock_strength(&b.mode), on_table(b)))
                .then(a.held_ms.total_cmp(&b.held_ms))
        })
}

/// Every direction that ran, with its name.
pub fn directions(m: &MigrationReport) -> Vec<(&'static str, &Direction)> {
    let mut out = vec![("forward", &m.forward)];
    if let Some(r) = &m.rollback {
        out.push(("rollback", r));
    }
    if let Some(r) = &m.redo {
        out.push(("forward again", r));
    }
    out
}

/// Total time workload queries were blocked during this migration; None without a workload.
pub fn blocked_ms(m: &MigrationReport) -> Option<f64> {
    let loads: Vec<_> = directions(m)
        .into_iter()
        .filter_map(|(_, d)| d.workload.as_ref())
        .collect();
    if loads.is_empty() {
        None
    } else {
        Some(loads.iter().map(|w| w.totals.blocked_total_ms).sum())
    }
}

/// Longest single block of a workload query during this migration.
pub fn longest_block_ms(m: &MigrationReport) -> Option<f64> {
    directions(m)
        .into_iter()
        .filter_map(|(_, d)| d.workload.as_ref())
        .map(|w| w.totals.blocked_longest_ms)
        .reduce(f64::max)
}

/// Every relation rewritten by the forward direction, deduplicated in order.
pub fn rewrites(m: &MigrationReport) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for r in m.forward.statements.iter().flat_map(|s| s.rewrites.iter()) {
        if !out.contains(&r.as_str()) {
            out.push(r);
        }
    }
    out
}

/// Destructive changes nobody approved.
pub fn unapproved(m: &MigrationReport) -> usize {
    m.destructive_changes
        .iter()
        .filter(|d| d.approval.is_none())
        .count()
}

/// "12.5 ms", "2.35 s", "3 min 05 s".
pub fn duration(ms: f64) -> String {
    if ms < 1000.0 {
        format!("{ms:.1} ms")
    } else if ms < 60_000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else {
        let s = (ms / 1000.0).round() as u64;
        format!("{} min {:02} s", s / 60, s % 60)
    }
}

/// "812 B", "45.3 kB", "12.0 MB", "1.25 GB" (decimal units, as PostgreSQL's sizes in docs).
pub fn bytes(n: u64) -> String {
    let n = n as f64;
    if n < 1e3 {
        format!("{n} B")
    } else if n < 1e6 {
        format!("{:.1} kB", n / 1e3)
    } else if n < 1e9 {
        format!("{:.1} MB", n / 1e6)
    } else {
        format!("{:.2} GB", n / 1e9)
    }
}

/// "1.2 s, 45.3 MB of WAL": a direction's duration and, when measured, the WAL it wrote.
pub fn cost(d: &Direction) -> String {
    match d.wal_bytes {
        Some(w) => format!("{}, {} of WAL", duration(d.duration_ms), bytes(w)),
        None => duration(d.duration_ms),
    }
}

/// " (on schedule: p95 1.20 s · p99 1.85 s)": what an application sending on schedule saw,
/// when it differs from what the queries that ran took; empty otherwise.
pub fn on_schedule(w: &crate::report::StatementWorkload) -> String {
    match &w.latency_on_schedule {
        Some(s) if (s.p95_ms, s.p99_ms) != (w.latency.p95_ms, w.latency.p99_ms) => format!(
            " (on schedule: p95 {} · p99 {})",
            duration(s.p95_ms),
            duration(s.p99_ms)
        ),
        _ => String::new(),
    }
}

/// The sentence that says a migration's damage was undone before the next one ran.
pub fn reset_sentence(r: &StateReset) -> String {
    let n = r.replayed.len();
    let from = match r.from {
        crate::report::ResetFrom::Template => "reset from the template",
        crate::report::ResetFrom::Savepoint => "rolled back to the savepoint before the forward",
    };
    let method = match r.method {
        Some(m) => format!(" by {}", m.word()),
        None => String::new(),
    };
    format!(
        "The state was {from} in {}{method} and {} {} replayed ({}), so later migrations start clean.",
        duration(r.seconds * 1000.0),
        count(n, "migration"),
        noun(n, "was"),
        duration(r.replay_seconds * 1000.0)
    )
}

/// The provider as the report.json spells it.
pub fn provider(report: &Report) -> &'static str {
    match report.database.provider {
        crate::report::ProviderKind::Docker => "docker",
        crate::report::ProviderKind::Local => "local",
        crate::report::ProviderKind::Url => "url",
        crate::report::ProviderKind::Command => "command",
    }
}

pub fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "pass",
        Verdict::Fail => "fail",
        Verdict::NotRun => "not run",
        Verdict::Interrupted => "interrupted",
        Verdict::TimedOut => "timed out",
    }
}

/// Migrations by verdict: (passed, failed, not run).
pub fn counts(report: &Report) -> (usize, usize, usize) {
    let count = |v: Verdict| report.migrations.iter().filter(|m| m.verdict == v).count();
    (
        count(Verdict::Pass),
        count(Verdict::Fail),
        count(Verdict::NotRun),
    )
}

/// The one-line headline every format starts with. A run that rehearsed only some of its
/// migrations says so first (`FAIL: 1 of 10 rehearsed: 1 failed, 9 not run`).
pub fn headline(report: &Report) -> String {
    let total = report.migrations.len();
    let (passed, failed, not_run) = counts(report);
    let interrupted = report
        .migrations
        .iter()
        .filter(|m| m.verdict == Verdict::Interrupted)
        .count();
    let timed_out = report
        .migrations
        .iter()
        .filter(|m| m.verdict == Verdict::TimedOut)
        .count();
    let approvals: usize = report.migrations.iter().map(unapproved).sum();
    let mut line = match report.verdict {
        Verdict::Pass if total == 1 => "PASS: 1 migration passed".to_string(),
        Verdict::Pass => format!("PASS: all {total} migrations passed"),
        Verdict::Interrupted => format!(
            "INTERRUPTED: {} of {} finished before the run was stopped",
            total - interrupted - not_run,
            count(total, "migration")
        ),
        _ if failed == 0 && not_run == 0 && interrupted == 0 && timed_out == 0 => {
            format!(
                "FAIL: {} passed but the run failed",
                count(total, "migration")
            )
        }
        _ if not_run == 0 && interrupted == 0 && timed_out == 0 => {
            format!("FAIL: {failed} of {} failed", count(total, "migration"))
        }
        _ => {
            let parts: Vec<String> = [
                (failed, "failed"),
                (interrupted, "interrupted"),
                (timed_out, "timed out"),
                (passed, "passed"),
                (not_run, "not run"),
            ]
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, what)| format!("{n} {what}"))
            .collect();
            format!(
                "FAIL: {} of {total} rehearsed: {}",
                total - not_run,
                parts.join(", ")
            )
        }
    };
    if approvals > 0 {
        line.push_str(&format!(
            "; {} {} approval",
            count(approvals, "destructive change"),
            noun(approvals, "needs")
        ));
    }
    line
}

/// Tri-state checks (`schema_restored`, `data_preserved`) in words.
pub fn tri(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "yes",
        Some(false) => "NO",
        None => "not checked",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_exclusive_is_the_strongest_mode() {
        assert!(lock_strength("AccessExclusiveLock") > lock_strength("ShareLock"));
        assert!(lock_strength("AccessShareLock") > lock_strength("NoSuchLock"));
    }

    #[test]
    fn sizes_read_in_decimal_units() {
        assert_eq!(bytes(812), "812 B");
        assert_eq!(bytes(45_300), "45.3 kB");
        assert_eq!(bytes(12_000_000), "12.0 MB");
        assert_eq!(bytes(1_250_000_000), "1.25 GB");
    }

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(duration(12.54), "12.5 ms");
        assert_eq!(duration(2345.0), "2.35 s");
        assert_eq!(duration(185_000.0), "3 min 05 s");
    }
}

#[cfg(test)]
mod headline_tests {
    use super::*;
    use crate::report::{DestructiveChange, MigrationReport};

    fn report(verdicts: &[Verdict]) -> Report {
        let migrations: Vec<MigrationReport> = verdicts
            .iter()
            .enumerate()
            .map(|(i, v)| MigrationReport {
                id: format!("{:03}", i + 1),
                verdict: *v,
                ..Default::default()
            })
            .collect();
        let verdict = if verdicts.iter().all(|v| *v == Verdict::Pass) {
            Verdict::Pass
        } else {
            Verdict::Fail
        };
        Report {
            verdict,
            migrations,
            ..Default::default()
        }
    }

    #[test]
    fn a_run_that_rehearsed_one_of_ten_says_so_first() {
        let mut verdicts = vec![Verdict::Fail];
        verdicts.extend([Verdict::NotRun; 9]);
        assert_eq!(
            headline(&report(&verdicts)),
            "FAIL: 1 of 10 rehearsed: 1 failed, 9 not run"
        );
        let mut verdicts = vec![Verdict::Pass, Verdict::Pass, Verdict::Fail];
        verdicts.extend([Verdict::NotRun; 2]);
        assert_eq!(
            headline(&report(&verdicts)),
            "FAIL: 3 of 5 rehearsed: 1 failed, 2 passed, 2 not run"
        );
    }

    #[test]
    fn headlines_count_in_english() {
        assert_eq!(
            headline(&report(&[Verdict::Pass])),
            "PASS: 1 migration passed"
        );
        assert_eq!(
            headline(&report(&[Verdict::Pass, Verdict::Pass])),
            "PASS: all 2 migrations passed"
        );
        assert_eq!(
            headline(&report(&[Verdict::Fail])),
            "FAIL: 1 of 1 migration failed"
        );
        let mut r = report(&[Verdict::Fail, Verdict::Pass]);
        r.migrations[0]
            .destructive_changes
            .push(DestructiveChange::default());
        assert_eq!(
            headline(&r),
            "FAIL: 1 of 2 migrations failed; 1 destructive change needs approval"
        );
        r.migrations[1]
            .destructive_changes
            .push(DestructiveChange::default());
        assert!(
            headline(&r).ends_with("; 2 destructive changes need approval"),
            "{}",
            headline(&r)
        );
        for h in [headline(&r), headline(&report(&[Verdict::Pass]))] {
            assert!(!h.contains("(s)"), "{h}");
        }
    }
}
