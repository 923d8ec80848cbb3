//! How a rehearsal tells a person what it is doing: plain lines on stderr (CI logs, pipes), or
//! on a terminal the same lines with a spinner and the elapsed time under the step that is
//! running, so a migration that takes minutes is visibly alive.
//!
//! One line per migration, when it is done ([`migration_line`]): a 342-migration run is 342
//! lines, not three per direction; the steps in between live only in the spinner.

use crate::report::measures::duration;
use crate::report::{MigrationReport, Verdict};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressFinish, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

/// Where the run reports its steps.
pub trait Progress: Send + Sync {
    /// A step that finished (or a fact), one line.
    fn step(&self, message: &str);
    /// A step that starts now and may take a while; the next `step` ends it.
    fn running(&self, _message: &str) {}
    /// How seeding shows its per-table progress.
    fn seed_mode(&self) -> crate::seed::ProgressMode {
        crate::seed::ProgressMode::Auto
    }
    /// The running step is still running: what its statement holds and whether it waits
    /// ([`crate::probe::Heartbeat`]); it does not end the step.
    fn heartbeat(&self, _message: &str) {}
}

/// The running step, told about heartbeats: `003 widen_posts_score forward: line 3 (...)
/// running for 20.00 s, holds AccessExclusiveLock on public.posts, not waiting for a lock`.
pub(super) struct Beats<'a> {
    pub progress: &'a dyn Progress,
    pub doing: String,
}

impl crate::probe::Heartbeats for Beats<'_> {
    fn beat(&self, beat: &crate::probe::Heartbeat) {
        self.progress
            .heartbeat(&format!("{}: {}", self.doing, beat.sentence()));
    }
}

/// Plain lines on stderr, readable in CI logs.
pub struct PlainProgress;

impl Progress for PlainProgress {
    fn step(&self, message: &str) {
        crate::say!("rehearse: {message}");
    }

    /// A line per heartbeat: a CI log shows that a long statement is alive.
    fn heartbeat(&self, message: &str) {
        crate::say!("rehearse: {message}");
    }
}

/// Silence, for tests that call the library.
pub struct QuietProgress;

impl Progress for QuietProgress {
    fn step(&self, _message: &str) {}
    fn seed_mode(&self) -> crate::seed::ProgressMode {
        crate::seed::ProgressMode::Quiet
    }
}

/// Lines as [`PlainProgress`] prints them, plus a spinner with the elapsed time while a step
/// runs.
#[derive(Default)]
pub struct TerminalProgress {
    running: Mutex<Option<ProgressBar>>,
}

impl TerminalProgress {
    fn clear(&self) {
        if let Some(bar) = self
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            bar.finish_and_clear();
        }
    }
}

impl Progress for TerminalProgress {
    fn step(&self, message: &str) {
        self.clear();
        crate::say!("rehearse: {message}");
    }

    fn running(&self, message: &str) {
        self.clear();
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
            .with_style(
                ProgressStyle::with_template("{spinner} rehearse: {msg} ({elapsed})")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            )
            .with_message(message.to_string())
            .with_finish(ProgressFinish::AndClear);
        bar.enable_steady_tick(Duration::from_millis(120));
        *self.running.lock().unwrap_or_else(|e| e.into_inner()) = Some(bar);
    }

    /// The spinner's line takes the heartbeat (its elapsed time keeps counting); no line is
    /// left behind.
    fn heartbeat(&self, message: &str) {
        match &*self.running.lock().unwrap_or_else(|e| e.into_inner()) {
            Some(bar) => bar.set_message(message.to_string()),
            None => crate::say!("rehearse: {message}"),
        }
    }
}

impl Drop for TerminalProgress {
    fn drop(&mut self) {
        self.clear();
    }
}

/// A spinner on a terminal, plain lines anywhere else.
pub fn for_stderr() -> Box<dyn Progress> {
    if std::io::stderr().is_terminal() {
        Box::new(TerminalProgress::default())
    } else {
        Box::new(PlainProgress)
    }
}

/// The line a rehearsed migration leaves on stderr: its place in the run, the time of each
/// direction, the first reason it failed, what was seeded before it and whether the state was
/// reset after it. `report` is judged already (gates, approvals, acceptances), so the line says
/// FAILED only for a migration whose verdict in report.json is fail.
pub fn migration_line(
    report: &MigrationReport,
    index: usize,
    total: usize,
    seeded_before: Option<&str>,
) -> String {
    let mut line = format!("{} {} ({index} of {total})", report.id, report.name);
    let mut directions = vec![format!("forward {}", duration(report.forward.duration_ms))];
    if let Some(d) = &report.rollback {
        directions.push(format!("rollback {}", duration(d.duration_ms)));
    }
    if let Some(d) = &report.redo {
        directions.push(format!("redo {}", duration(d.duration_ms)));
    }
    line.push_str(&format!(": {}", directions.join(", ")));
    if report.verdict != Verdict::Pass {
        let reason = report
            .findings
            .first()
            .map(|f| f.message.lines().next().unwrap_or_default().to_string())
            .unwrap_or_default();
        line.push_str(&format!("; FAILED: {reason}"));
    }
    if let Some(seeded) = seeded_before {
        line.push_str(&format!("; {seeded} before it"));
    }
    if let Some(reset) = &report.reset {
        let from = match reset.from {
            crate::report::ResetFrom::Template => "reset from the template",
            crate::report::ResetFrom::Savepoint => "rolled back to the savepoint",
        };
        line.push_str(&format!(
            "; state {from} in {:.1}s, replayed {}",
            reset.seconds,
            crate::words::count(reset.replayed.len(), "migration")
        ));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Direction, Finding};

    #[test]
    fn a_migration_is_one_line_with_its_directions_its_failure_and_its_seed_point() {
        let mut report = MigrationReport {
            id: "004".into(),
            name: "drop_totals".into(),
            verdict: Verdict::Pass,
            forward: Direction {
                duration_ms: 12.04,
                ok: true,
                ..Default::default()
            },
            rollback: Some(Direction {
                duration_ms: 1500.0,
                ok: true,
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(
            migration_line(&report, 4, 13, None),
            "004 drop_totals (4 of 13): forward 12.0 ms, rollback 1.50 s"
        );
        report.verdict = Verdict::Fail;
        report.findings.push(Finding::new(
            "data_not_preserved",
            "the rollback of V004 does not preserve the data\nsecond line",
        ));
        let line = migration_line(
            &report,
            4,
            13,
            Some("seeded 300 rows into 1 tables (0.1 MB) in 0.1s"),
        );
        assert_eq!(
            line,
            "004 drop_totals (4 of 13): forward 12.0 ms, rollback 1.50 s; FAILED: the rollback of V004 does not preserve the data; seeded 300 rows into 1 tables (0.1 MB) in 0.1s before it"
        );
        assert!(!line.contains('\n'));
    }
}
