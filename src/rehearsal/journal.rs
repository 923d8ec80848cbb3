//! What the run has done so far, kept as it goes, so that a run stopped by a signal, or by an
//! environment failure once its database is up (the server died, its disk filled), can still
//! write a report: the migrations that finished, the one that was running (marked
//! `interrupted`), and what it was doing at the time.
//!
//! The journal is the process's (a signal stops the whole process) and records nothing until
//! [`begin`] is called, so library users and tests that never call it pay nothing. It never
//! decides a verdict beyond `interrupted`, and never touches the database.

use super::progress::Progress;
use crate::migrations::MigrationSet;
use crate::provision::cleanup;
use crate::report::{
    DatabaseInfo, DiscoveryReport, Finding, FindingKind, MigrationReport, Report, Verdict,
    SCHEMA_VERSION,
};
use std::sync::Mutex;
use std::time::Instant;

struct Journal {
    scenario: String,
    started_at: String,
    started: Instant,
    database: Option<DatabaseInfo>,
    /// Every rehearsed migration, in order: id, name, file.
    planned: Vec<(String, String, String)>,
    finished: Vec<MigrationReport>,
    /// The migration being rehearsed (an index into `planned`).
    running: Option<usize>,
    /// The last step that started ("002 add_status rollback", "seeding", ...).
    doing: Option<String>,
    findings: Vec<Finding>,
    discovery: DiscoveryReport,
}

static JOURNAL: Mutex<Option<Journal>> = Mutex::new(None);

fn with(f: impl FnOnce(&mut Journal)) {
    if let Some(journal) = JOURNAL.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
        f(journal);
    }
}

/// Starts keeping the journal of a run with `settings` over `set`.
pub fn begin(settings: &super::Settings, set: &MigrationSet) {
    let planned = super::split_baseline(set, settings.baseline.as_deref())
        .map(|(_, rehearsed)| rehearsed)
        .unwrap_or(&set.migrations)
        .iter()
        .map(|m| {
            (
                m.version.to_string(),
                m.name.clone(),
                super::label(set, &m.forward.path),
            )
        })
        .collect();
    *JOURNAL.lock().unwrap_or_else(|e| e.into_inner()) = Some(Journal {
        scenario: settings.name.clone(),
        started_at: super::now_rfc3339(),
        started: Instant::now(),
        database: None,
        planned,
        finished: Vec::new(),
        running: None,
        doing: None,
        findings: Vec::new(),
        discovery: DiscoveryReport::of(set),
    });
}

pub(super) fn provisioned(database: DatabaseInfo) {
    with(|j| j.database = Some(database));
}

pub(super) fn rehearsing(id: &str) {
    with(|j| j.running = j.planned.iter().position(|(pid, _, _)| pid == id));
}

pub(super) fn finished(report: &MigrationReport) {
    with(|j| {
        j.running = None;
        j.finished.push(report.clone());
    });
}

pub(super) fn run_findings(findings: &[Finding]) {
    with(|j| j.findings = findings.to_vec());
}

/// The report of a run stopped by `signal` (its name, e.g. SIGINT): what finished, the migration
/// that was running marked `interrupted`, and the run's verdict `interrupted`. None when no
/// journal was kept.
pub fn interrupted_report(signal: &str) -> Option<Report> {
    stopped_report(
        FindingKind::Interrupted,
        signal,
        Verdict::Interrupted,
        Verdict::Interrupted,
    )
}

/// The report of a run its `--timeout` stopped (`limit` as the user wrote it): what finished,
/// the migration that was running marked `timed_out`, and the run's verdict `fail`. None when
/// no journal was kept.
pub fn timed_out_report(limit: &str) -> Option<Report> {
    stopped_report(
        FindingKind::TimedOut,
        &format!("the run's timeout ({limit})"),
        Verdict::TimedOut,
        Verdict::Fail,
    )
}

/// The report of a run an environment failure stopped once its database was up (the server
/// died, its disk filled): as [`interrupted_report`], the failure named as the cause, so what
/// finished before it is not lost. None when no journal was kept or nothing was provisioned.
pub fn failed_report(why: &str) -> Option<Report> {
    let provisioned = JOURNAL
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .is_some_and(|j| j.database.is_some());
    if !provisioned {
        return None;
    }
    stopped_report(
        FindingKind::EnvironmentFailed,
        &format!("an environment failure ({why})"),
        Verdict::Interrupted,
        Verdict::Interrupted,
    )
}

/// What finished, and the migration `cause` stopped marked `running`, with findings of `kind`;
/// the run's verdict is `run`.
fn stopped_report(
    kind: FindingKind,
    cause: &str,
    running: Verdict,
    run: Verdict,
) -> Option<Report> {
    let guard = JOURNAL.lock().unwrap_or_else(|e| e.into_inner());
    let j = guard.as_ref()?;
    let doing = j
        .doing
        .as_deref()
        .map(|d| format!(" during \"{d}\""))
        .unwrap_or_default();
    let mut migrations = j.finished.clone();
    let mut findings = j.findings.clone();
    if let Some((id, name, file)) = j.running.and_then(|i| j.planned.get(i)) {
        migrations.push(MigrationReport {
            id: id.clone(),
            name: name.clone(),
            file: file.clone(),
            verdict: running,
            findings: vec![Finding::of(
                kind,
                format!("{file} was being rehearsed when {cause} stopped the run{doing}; nothing after that point was measured"),
            )],
            ..Default::default()
        });
    }
    let not_reached: Vec<&str> = j
        .planned
        .iter()
        .skip(migrations.len())
        .map(|(id, _, _)| id.as_str())
        .collect();
    findings.push(Finding::of(
        kind,
        format!(
            "{cause} stopped the run{doing}; {} of {} finished{}",
            j.finished.len(),
            crate::words::count(j.planned.len(), "migration"),
            if not_reached.is_empty() {
                String::new()
            } else {
                format!(", not reached: {}", not_reached.join(", "))
            }
        ),
    ));
    Some(Report {
        schema_version: SCHEMA_VERSION,
        verdict: run,
        rehearse_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: j.scenario.clone(),
        started_at: j.started_at.clone(),
        duration_ms: j.started.elapsed().as_secs_f64() * 1000.0,
        database: j.database.clone().unwrap_or_default(),
        migrations,
        findings,
        discovery: Some(j.discovery.clone()),
        ..Default::default()
    })
}

/// A [`Progress`] that notes each step in the journal, and falls silent once a signal has come
/// (what the work says while it is being stopped is noise, e.g. a closed connection).
pub struct Journaled<'a>(pub &'a dyn Progress);

impl Progress for Journaled<'_> {
    fn step(&self, message: &str) {
        if cleanup::interrupted().is_none() {
            self.0.step(message);
        }
    }

    fn running(&self, message: &str) {
        if cleanup::interrupted().is_none() {
            with(|j| j.doing = Some(message.to_string()));
            self.0.running(message);
        }
    }

    fn seed_mode(&self) -> crate::seed::ProgressMode {
        self.0.seed_mode()
    }

    fn heartbeat(&self, message: &str) {
        if cleanup::interrupted().is_none() {
            self.0.heartbeat(message);
        }
    }
}
