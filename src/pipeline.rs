//! The whole of `rehearse run` as one library call: check everything the user wrote, rehearse,
//! gate the report, write it in every format. A caller of [`run`] gets the report a CI job gates
//! on, not one that was never gated.
//!
//! It never prints to stdout (the caller owns it: the summary is in the report) and never exits
//! the process; a signal that stops the run ends it with [`Outcome::Interrupted`] after the
//! partial report is written, and the database was released before that.

use crate::gate::{self, GateOverrides};
use crate::migrations::{self, MigrationSet};
use crate::probe;
use crate::provision::cleanup;
use crate::rehearsal;
use crate::render;
use crate::report::{self, Report};
use crate::scenario::Scenario;
use crate::seed;
use crate::Error;
use std::path::{Path, PathBuf};

/// How a run ended.
pub enum Outcome {
    /// The rehearsal ran to its end: the gated report, and where report.json was written (the
    /// Markdown, HTML and JUnit files are beside it).
    Finished { report: Box<Report>, json: PathBuf },
    /// A signal stopped it; what finished is in the partial report, when it could be written.
    Interrupted,
    /// The run's timeout ran out: the running statement was cancelled and the partial report
    /// written. `what` says in one sentence what was running; `json` is the partial report.
    TimedOut { what: String, json: Option<PathBuf> },
}

/// How the run writes its reports and how long it may take, beside the scenario.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// report.json compact (default) or indented (`--pretty`).
    pub json: report::JsonStyle,
    /// The longest the whole run may take, as the user wrote it and in milliseconds
    /// (`--timeout`, else `[run] timeout`).
    pub timeout: Option<(String, f64)>,
    /// `--prove-fixes`: each hazard with a mechanical rewrite is rehearsed rewritten beside it.
    pub prove_fixes: bool,
    /// `--since REF`: rehearse only the migrations added or changed since the git ref.
    pub since: Option<String>,
    /// `--cache DIR` (replaces `[cache] dir`).
    pub cache_dir: Option<PathBuf>,
    /// `--cache-max SIZE` in bytes (replaces `[cache] max`).
    pub cache_max: Option<u64>,
    /// `--shard K/N`: rehearse only that slice of the pending migrations.
    pub shard: Option<crate::migrations::shard::Shard>,
}

/// Runs `scenario` with the command line's `gates` and writes the reports into `out`.
pub async fn run(
    scenario: &Scenario,
    out: &Path,
    gates: &GateOverrides,
    options: &RunOptions,
) -> Result<Outcome, Error> {
    // Everything the user wrote is checked before anything starts.
    render::prepare_out_dir(out).map_err(Error::Input)?;
    let set = migrations::discover_with(
        &scenario.migrations_dir,
        scenario.format,
        &scenario.template,
    )?;
    let (gates, approvals) = gate::prepare(scenario, &set, gates)?;
    for note in &set.notes {
        crate::say!("rehearse: note: {note}");
    }
    let mut settings = rehearsal_settings(scenario, &set)?;
    let since = match &options.since {
        Some(reference) => {
            let since = migrations::since::changes(&set, reference).map_err(Error::Input)?;
            apply_since(&mut settings, scenario, &since);
            Some(since)
        }
        None => None,
    };
    settings.cache = cache_request(scenario, options)?;
    if settings.predict && settings.cache.take().is_some() {
        crate::say!(
            "rehearse: note: --predict measures smaller sizes on the state after the baseline, which a cached state skips: the cache is not used"
        );
    }
    settings.shard = options.shard;
    settings.judge = gate::Judge {
        config: gates.clone(),
        approvals: approvals.clone(),
    };
    settings.prove_fixes = options.prove_fixes;
    let progress = rehearsal::for_stderr();
    rehearsal::journal::begin(&settings, &set);
    let journaled = rehearsal::journal::Journaled(progress.as_ref());
    let timeout = options.timeout.clone().or_else(|| {
        scenario
            .run_timeout_ms()
            .map(|ms| (format!("[run] timeout = {ms}ms"), ms))
    });
    let timed_out = std::sync::atomic::AtomicBool::new(false);
    let deadline = timeout.as_ref().map(|t| (std::time::Instant::now(), t.1));
    let left = || deadline.map(|(start, ms)| ms - start.elapsed().as_secs_f64() * 1000.0);
    let outcome = tokio::select! {
        report = rehearsal::rehearse(&settings, &set, &journaled) => Some(report),
        _ = cleanup::interruption() => None,
        _ = past(left(), &timed_out) => None,
    };
    // The timeout: the running statement was cancelled in the server above, and dropping the
    // rehearsal released the database; what ran so far is the report.
    if timed_out.load(std::sync::atomic::Ordering::SeqCst) && cleanup::interrupted().is_none() {
        let limit = timeout.map(|t| t.0).unwrap_or_default();
        return Ok(write_timed_out(out, &limit, options.json));
    }
    // Stopped by a signal: the rehearsal's work was dropped above, which released its
    // database; what ran so far is the report. A signal that came as the rehearsal finished
    // still stopped the run.
    let Some(report) = outcome.filter(|_| cleanup::interrupted().is_none()) else {
        write_interrupted(out, options.json);
        return Ok(Outcome::Interrupted);
    };
    let report = match report {
        Ok(report) => report,
        Err(Error::Environment(why)) => {
            write_failed(out, &why, options.json);
            return Err(Error::Environment(why));
        }
        Err(e) => return Err(e),
    };
    let mut report = report;
    report.since = since.map(|s| report::SinceReport {
        reference: s.reference,
        commit: s.commit,
        baseline: s.baseline,
        added: s.added,
        rollback_changed: s.rollback_changed,
    });
    let report = gate::evaluate(&report, &gates, &approvals);
    let written = render::write_all_styled(&report, out, options.json).map_err(|e| {
        Error::Environment(format!(
            "could not write the reports into {}: {e}",
            out.display()
        ))
    })?;
    Ok(Outcome::Finished {
        report: Box::new(report),
        json: written.json,
    })
}

/// `--predict` or `[dataset] predict = true`.
fn predicting(scenario: &Scenario) -> bool {
    scenario.dataset().and_then(|d| d.predict).unwrap_or(false)
}

/// `--since`: its baseline replaces the scenario's, its edited history becomes run findings,
/// and its notes are said.
fn apply_since(
    settings: &mut rehearsal::Settings,
    scenario: &Scenario,
    since: &migrations::since::Since,
) {
    if let Some(theirs) = &scenario.baseline {
        crate::say!(
            "rehearse: note: --since {} decides the baseline; the scenario's baseline {theirs} is not used",
            since.reference
        );
    }
    for note in &since.notes {
        crate::say!("rehearse: {note}");
    }
    settings.baseline = since.baseline.clone();
    settings.findings.extend(
        since
            .edited
            .iter()
            .map(|sentence| report::Finding::of(report::FindingKind::EditedHistory, sentence.clone())),
    );
}

/// The cache the run uses: `--cache`/`--cache-max` over `[cache]`. A `max` that is not a size
/// is bad input naming the scenario file.
fn cache_request(
    scenario: &Scenario,
    options: &RunOptions,
) -> Result<Option<crate::cache::CacheRequest>, Error> {
    let section = scenario.cache().unwrap_or_default();
    let Some(dir) = options.cache_dir.clone().or(section.dir) else {
        return Ok(None);
    };
    let max_bytes = match (options.cache_max, &section.max) {
        (Some(bytes), _) => Some(bytes),
        (None, Some(text)) => Some(crate::cache::size::parse_size(text).map_err(|why| {
            Error::Input(format!(
                "{}: [cache] max = \"{text}\": {why}",
                scenario
                    .file
                    .as_deref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| "the scenario".into())
            ))
        })?),
        (None, None) => None,
    };
    Ok(Some(crate::cache::CacheRequest { dir, max_bytes }))
}

/// Returns once `limit_ms` has passed (never without one), after it has set `flag` and asked
/// the server to cancel the migration's running statement.
async fn past(limit_ms: Option<f64>, flag: &std::sync::atomic::AtomicBool) {
    let Some(ms) = limit_ms else {
        return std::future::pending().await;
    };
    // A limit longer than a Duration holds is no limit.
    let Ok(limit) = std::time::Duration::try_from_secs_f64(ms.max(0.0) / 1000.0) else {
        return std::future::pending().await;
    };
    tokio::time::sleep(limit).await;
    flag.store(true, std::sync::atomic::Ordering::SeqCst);
    probe::running::cancel_all().await;
}

/// Writes the report of a run its timeout stopped, and says what was running.
fn write_timed_out(out: &Path, limit: &str, style: report::JsonStyle) -> Outcome {
    let Some(report) = rehearsal::journal::timed_out_report(limit) else {
        return Outcome::TimedOut {
            what: format!("the run took longer than its timeout ({limit})"),
            json: None,
        };
    };
    let what = report
        .migrations
        .iter()
        .find(|m| m.verdict == report::Verdict::TimedOut)
        .and_then(|m| m.findings.first())
        .or_else(|| report.findings.last())
        .map(|f| f.message.clone())
        .unwrap_or_else(|| format!("the run took longer than its timeout ({limit})"));
    let json = match render::write_all_styled(&report, out, style) {
        Ok(written) => Some(written.json),
        Err(e) => {
            crate::say!(
                "rehearse: could not write the partial report into {}: {e}",
                out.display()
            );
            None
        }
    };
    Outcome::TimedOut { what, json }
}

/// What the rehearsal takes of `scenario`, built before it starts: a missing or malformed
/// dataset definition, or one naming a table no migration of `set` creates, is bad input said
/// before a server starts.
pub fn rehearsal_settings(
    scenario: &Scenario,
    set: &MigrationSet,
) -> Result<rehearsal::Settings, Error> {
    let seed = seed::SeedRequest::from_section(scenario.dataset(), scenario.file.as_deref())?;
    seed.check_against(set)?;
    if predicting(scenario)
        && (scenario.database.clone.is_some() || scenario.database.in_transaction)
    {
        return Err(Error::Input(
            "--predict rehearses on seeded rows at three sizes; it cannot be used with --clone or --in-transaction, whose rows are the server's own".into(),
        ));
    }
    if predicting(scenario) && !seed.enabled {
        return Err(Error::Input(
            "--predict rehearses on seeded rows at three sizes; it cannot be used when nothing is seeded ([dataset] enabled = false)".into(),
        ));
    }
    Ok(rehearsal::Settings {
        name: scenario.name.clone(),
        database: scenario.database.clone(),
        baseline: scenario.baseline.clone(),
        init_sql: scenario.init_sql().map(str::to_string),
        keep_template: scenario.dataset().and_then(|d| d.template).unwrap_or(true),
        seed,
        probe: probe::ProbeSettings::from_scenario(scenario),
        judge: gate::Judge::default(),
        prove_fixes: false,
        findings: Vec::new(),
        cache: None,
        shard: None,
        predict: predicting(scenario),
    })
}

/// Writes the report of a run an environment failure stopped after its database was up (what
/// finished before it), and says where; the failure itself is the caller's to say, last.
fn write_failed(out: &Path, why: &str, style: report::JsonStyle) {
    if let Some(report) = rehearsal::journal::failed_report(why) {
        match render::write_all_styled(&report, out, style) {
            Ok(written) => crate::say!(
                "rehearse: partial report (what finished before the environment failed): {}",
                written.json.display()
            ),
            Err(e) => crate::say!(
                "rehearse: could not write the partial report into {}: {e}",
                out.display()
            ),
        }
    }
}

/// Writes the report of a run a signal stopped (what finished, the migration that was running
/// marked interrupted), and says where.
fn write_interrupted(out: &Path, style: report::JsonStyle) {
    let code = cleanup::interrupted().unwrap_or(130);
    let signal = cleanup::signal_name(code);
    if let Some(report) = rehearsal::journal::interrupted_report(signal) {
        match render::write_all_styled(&report, out, style) {
            Ok(written) => crate::say!(
                "rehearse: {}; partial report: {}",
                report::measures::headline(&report),
                written.json.display()
            ),
            Err(e) => crate::say!(
                "rehearse: could not write the partial report into {}: {e}",
                out.display()
            ),
        }
    }
}
