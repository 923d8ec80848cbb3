//! One migration rehearsed: a checkpoint, forward, rollback, the proof that the rollback restored
//! what was there, forward again, and the migration's verdict. Each step is one function and
//! [`rehearse_migration`] runs them in order.
//!
//! It never provisions, seeds or resets: the caller hands it a database in the state the
//! migration needs and decides what happens after it. Measuring is the probe's, comparing the
//! snapshot's; here they are only put in order and turned into findings.

use super::{elapsed_ms, label};
use crate::migrations::{Migration, MigrationSet, Script};
use crate::probe::{Probe, Step};
use crate::report::{
    catalogue, Difference, Direction, Finding, FindingKind, MigrationReport, StatementError,
    Timings, Verdict,
};
use crate::snapshot::{self, Checkpoint, Restoration, Snapshot};
use std::time::Instant;
use tokio_postgres::Client;

use super::{in_transaction, Progress};

/// Forward, rollback, forward again, for one migration.
///
/// Around them, the snapshot module proves the rollback: S0 and D0 before the forward, S1 after
/// it, S2 and D2 after the rollback (compared with S0 and D0), and S1 again after the redo.
pub async fn rehearse_migration(
    client: &Client,
    probe: &Probe,
    set: &MigrationSet,
    migration: &Migration,
    progress: &dyn Progress,
) -> MigrationReport {
    let mut run = MigrationRun {
        client,
        probe,
        migration,
        progress,
        started: Instant::now(),
        timings: Timings::default(),
        forward_file: label(set, &migration.forward.path),
        rollback_file: migration.rollback.as_ref().map(|r| label(set, &r.path)),
        findings: Vec::new(),
    };
    let checkpoint = run.checkpoint().await;
    let positions = match probe.settings().nested {
        false => super::sequences::read(client).await,
        true => None,
    };
    let forward = run.direction(Step::Forward, &migration.forward).await;
    let mut outcome = Outcome::default();
    if forward.ok {
        match &migration.rollback {
            None => run.findings.push(Finding::of(
                FindingKind::MissingRollback,
                format!(
                    "{} has no rollback script, so it cannot be undone if the release goes wrong",
                    run.forward_file
                ),
            )),
            Some(script) => {
                let after_forward = run.snapshot("after the forward").await;
                let back = run.direction(Step::Rollback, script).await;
                if back.error.is_none() {
                    if let Some(checkpoint) = checkpoint {
                        outcome.restoration = run.restoration(checkpoint, &forward, &back).await;
                    }
                    if let Some(positions) = &positions {
                        super::sequences::restore(client, positions).await;
                    }
                    let again = run.direction(Step::Redo, &migration.forward).await;
                    if let (None, Some(s1)) = (&again.error, &after_forward) {
                        outcome.redo_differences = run.redo_differences(s1).await;
                    }
                    outcome.redo = Some(again);
                }
                outcome.rollback = Some(back);
            }
        }
    }
    run.finish(forward, outcome)
}

/// What the steps after the forward gave.
#[derive(Default)]
struct Outcome {
    rollback: Option<Direction>,
    redo: Option<Direction>,
    restoration: Option<Restoration>,
    redo_differences: Vec<Difference>,
}

/// One migration's rehearsal in progress: where it runs, what it costs, what it found.
struct MigrationRun<'a> {
    client: &'a Client,
    probe: &'a Probe,
    migration: &'a Migration,
    progress: &'a dyn Progress,
    started: Instant,
    timings: Timings,
    forward_file: String,
    rollback_file: Option<String>,
    findings: Vec<Finding>,
}

impl MigrationRun<'_> {
    /// S0 and D0: the schema and the signatures of the tables the scripts may touch (every
    /// table's schema only, inside a transaction that cannot sign rows).
    async fn checkpoint(&mut self) -> Option<Checkpoint> {
        let mut scripts = vec![&self.migration.forward];
        scripts.extend(self.migration.rollback.as_ref());
        let checkpoint = if self.probe.settings().nested {
            snapshot::check::checkpoint_schema_only(self.client, in_transaction::UNSIGNED).await
        } else {
            snapshot::checkpoint_scoped(
                self.client,
                self.probe.connection(),
                &scripts,
                self.probe.settings().data_check_all,
            )
            .await
        };
        match checkpoint {
            Ok(c) => {
                self.timings.snapshots_ms += c.schema_ms;
                self.timings.signatures_ms += c.signature_ms;
                Some(c)
            }
            Err(e) => {
                self.findings
                    .push(snapshot_failed("before the forward", &e));
                None
            }
        }
    }

    /// Runs one direction under the probe: progress, the measured run, the probe's findings,
    /// and the finding of a statement that failed.
    async fn direction(&mut self, step: Step, script: &Script) -> Direction {
        let (doing, file, kind, lead) = match step {
            Step::Forward => (
                "forward",
                &self.forward_file,
                FindingKind::ForwardFailed,
                "",
            ),
            Step::Rollback => (
                "rollback",
                self.rollback_file.as_ref().unwrap_or(&self.forward_file),
                FindingKind::RollbackFailed,
                "",
            ),
            Step::Redo => (
                "forward again",
                &self.forward_file,
                FindingKind::RedoFailed,
                "the migration does not apply again after its rollback: ",
            ),
        };
        let doing = format!("{} {} {doing}", self.migration.version, self.migration.name);
        self.progress.running(&doing);
        let beats = super::progress::Beats {
            progress: self.progress,
            doing,
        };
        let file = file.clone();
        let t = Instant::now();
        let direction = self
            .probe
            .run_beating(self.client, script, &file, step, Some(&beats))
            .await;
        // The observation bucket takes the whole wall time; the statements' share is taken out
        // once every direction has run.
        self.timings.observation_ms += elapsed_ms(t);
        self.findings
            .extend(self.probe.direction_findings(&direction));
        if let Some(e) = &direction.error {
            self.findings.push(statement_failed(kind, e, lead));
        }
        direction
    }

    /// A schema snapshot taken now (S1 after the forward, S3 after the redo).
    async fn snapshot(&mut self, when: &str) -> Option<Snapshot> {
        let t = Instant::now();
        let s = snapshot::snapshot_of(self.client, self.probe.settings().nested).await;
        self.timings.snapshots_ms += elapsed_ms(t);
        s.map_err(|e| self.findings.push(snapshot_failed(when, &e)))
            .ok()
    }

    /// S2 and D2 after the rollback, compared with the checkpoint: did it restore the schema
    /// and preserve the data.
    async fn restoration(
        &mut self,
        checkpoint: Checkpoint,
        forward: &Direction,
        back: &Direction,
    ) -> Option<Restoration> {
        let written = snapshot::written_tables(&[("forward", forward), ("rollback", back)]);
        match snapshot::restoration_scoped(
            self.client,
            self.probe.connection(),
            checkpoint,
            &written,
        )
        .await
        {
            Ok(r) => {
                self.timings.snapshots_ms += r.schema_ms;
                self.timings.signatures_ms += r.signature_ms;
                self.findings
                    .extend(restoration_findings(&self.forward_file, &r));
                Some(r)
            }
            Err(e) => {
                self.findings
                    .push(snapshot_failed("after the rollback", &e));
                None
            }
        }
    }

    /// S3 against S1: what the forward applied a second time did differently.
    async fn redo_differences(&mut self, s1: &Snapshot) -> Vec<Difference> {
        let Some(s3) = self.snapshot("after the redo").await else {
            return Vec::new();
        };
        let differences = snapshot::diff(s1, &s3);
        if let Some(first) = differences.first() {
            self.findings.push(Finding::of(
                FindingKind::RedoDiffers,
                format!(
                    "{} applied again after its rollback gives another schema than the first time ({})",
                    self.forward_file,
                    snapshot::check::summarize(&differences, first)
                ),
            ));
        }
        differences
    }

    /// The migration's report: its directions, the rollback's proof, its findings said once,
    /// its verdict and where its time went.
    fn finish(mut self, forward: Direction, outcome: Outcome) -> MigrationReport {
        // The workload runs in every direction: a problem it has is said once.
        let mut seen = std::collections::HashSet::new();
        self.findings
            .retain(|f| seen.insert((f.kind.clone(), f.message.clone())));

        let timings = &mut self.timings;
        timings.statements_ms = [
            Some(&forward),
            outcome.rollback.as_ref(),
            outcome.redo.as_ref(),
        ]
        .into_iter()
        .flatten()
        .flat_map(|d| d.statements.iter())
        .map(|s| s.duration_ms)
        .sum();
        timings.observation_ms = (timings.observation_ms - timings.statements_ms).max(0.0);
        timings.wall_ms = elapsed_ms(self.started);
        timings.settle();

        let restoration = outcome.restoration;
        MigrationReport {
            id: self.migration.version.to_string(),
            name: self.migration.name.clone(),
            verdict: if self.findings.is_empty() {
                Verdict::Pass
            } else {
                Verdict::Fail
            },
            file: self.forward_file,
            rollback_file: self.rollback_file,
            forward,
            rollback: outcome.rollback,
            redo: outcome.redo,
            schema_restored: restoration.as_ref().map(|r| r.schema_restored()),
            data_preserved: restoration.as_ref().and_then(|r| r.data_verdict()),
            differences: restoration
                .as_ref()
                .map(|r| r.differences.clone())
                .unwrap_or_default(),
            data_check: restoration.as_ref().and_then(|r| r.data_check.clone()),
            data_differences: restoration.map(|r| r.data_differences).unwrap_or_default(),
            redo_differences: outcome.redo_differences,
            findings: self.findings,
            timings: Some(self.timings),
            ..Default::default()
        }
    }
}

/// The finding of a direction whose statement failed: where, what the server said (after
/// `lead`), and advice of its own when the error code says more than the kind (a deadlock).
fn statement_failed(kind: FindingKind, e: &StatementError, lead: &str) -> Finding {
    let finding = Finding::of(
        kind,
        format!("{}, line {}: {lead}{}", e.file, e.line, e.message),
    );
    // A server without the extension production has: the image's failure, not the statement's.
    if let Some(name) = crate::probe::execute::missing_extension(&e.message) {
        return finding.with_advice(format!(
            "Rehearse on a server that has the extension {name}, as production does: an image that carries it (--image, or [database] image in the scenario)."
        ));
    }
    match catalogue::advice_for_error(e.code.as_deref()) {
        Some(advice) => finding.with_advice(advice),
        None => finding,
    }
}

/// One finding per broken promise of the rollback: schema not restored, data not preserved.
fn restoration_findings(forward_file: &str, r: &Restoration) -> Vec<Finding> {
    let mut findings = Vec::new();
    if let Some(first) = r.differences.first() {
        findings.push(Finding::of(
            FindingKind::SchemaNotRestored,
            format!(
                "the rollback of {forward_file} does not restore the schema: {}",
                snapshot::check::summarize(&r.differences, first)
            ),
        ));
    }
    if let Some(check) = r.data_check.as_ref().filter(|c| !c.unproven.is_empty()) {
        let first = &check.unproven[0];
        findings.push(Finding::of(
            FindingKind::DataUnproven,
            format!(
                "the data of {} that the migration {forward_file} changed could not be compared with the state before it: {} {}",
                crate::words::count(check.unproven.len(), "table"),
                first.table,
                first.why
            ),
        ));
    }
    if let Some(first) = r.data_differences.first() {
        findings.push(Finding::of(
            FindingKind::DataNotPreserved,
            format!(
                "the rollback of {forward_file} does not preserve the data: {}{} in {}: {}",
                crate::words::count(r.data_differences.len(), "difference"),
                if r.data_differences.len() == 1 {
                    ""
                } else {
                    ", the first"
                },
                first.object,
                first.detail
            ),
        ));
    }
    findings
}

fn snapshot_failed(when: &str, e: &tokio_postgres::Error) -> Finding {
    let message = crate::server_text::of(e);
    Finding::of(
        FindingKind::SnapshotFailed,
        format!("the schema and data could not be read {when}: {message}"),
    )
}
