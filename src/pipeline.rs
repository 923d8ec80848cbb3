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
}

/// Runs `scenario` with the command line's `gates` and writes the reports into `out`.
pub async fn run(scenario: &Scenario, out: &Path, gates: &GateOverrides) -> Result<Outcome, Error> {
    // Everything the user wrote is checked before anything starts.
    render::prepare_out_dir(out).map_err(Error::Input)?;
    let set = migrations::discover(&scenario.migrations_dir, scenario.format)?;
    let (gates, approvals) = gate::prepare(scenario, &set, gates)?;
    for note in &set.notes {
        crate::say!("rehearse: note: {note}");
    }
    let mut settings = rehearsal_settings(scenario, &set)?;
    settings.judge = gate::Judge {
        config: gates.clone(),
        approvals: approvals.clone(),
    };
    let progress = rehearsal::for_stderr();
    rehearsal::journal::begin(&settings, &set);
    let journaled = rehearsal::journal::Journaled(progress.as_ref());
    let outcome = tokio::select! {
        report = rehearsal::rehearse(&settings, &set, &journaled) => Some(report),
        _ = cleanup::interruption() => None,
    };
    // Stopped by a signal: the rehearsal's work was dropped above, which released its
    // database; what ran so far is the report. A signal that came as the rehearsal finished
    // still stopped the run.
    let Some(report) = outcome.filter(|_| cleanup::interrupted().is_none()) else {
        write_interrupted(out);
        return Ok(Outcome::Interrupted);
    };
    let report = match report {
        Ok(report) => report,
        Err(Error::Environment(why)) => {
            write_failed(out, &why);
            return Err(Error::Environment(why));
        }
        Err(e) => return Err(e),
    };
    let report = gate::evaluate(&report, &gates, &approvals);
    let written = render::write_all(&report, out).map_err(|e| {
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

/// What the rehearsal takes of `scenario`, built before it starts: a missing or malformed
/// dataset definition, or one naming a table no migration of `set` creates, is bad input said
/// before a server starts.
pub fn rehearsal_settings(
    scenario: &Scenario,
    set: &MigrationSet,
) -> Result<rehearsal::Settings, Error> {
    let seed = seed::SeedRequest::from_section(scenario.dataset(), scenario.file.as_deref())?;
    seed.check_against(set)?;
    Ok(rehearsal::Settings {
        name: scenario.name.clone(),
        database: scenario.database.clone(),
        baseline: scenario.baseline.clone(),
        init_sql: scenario.init_sql().map(str::to_string),
        keep_template: scenario.dataset().and_then(|d| d.template).unwrap_or(true),
        seed,
        probe: probe::ProbeSettings::from_scenario(scenario),
        judge: gate::Judge::default(),
    })
}

/// Writes the report of a run an environment failure stopped after its database was up (what
/// finished before it), and says where; the failure itself is the caller's to say, last.
fn write_failed(out: &Path, why: &str) {
    if let Some(report) = rehearsal::journal::failed_report(why) {
        match render::write_all(&report, out) {
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
fn write_interrupted(out: &Path) {
    let code = cleanup::interrupted().unwrap_or(130);
    let signal = cleanup::signal_name(code);
    if let Some(report) = rehearsal::journal::interrupted_report(signal) {
        match render::write_all(&report, out) {
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
