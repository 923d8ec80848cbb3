//! The probe: runs a script's statements one at a time on the migration connection and observes
//! each one. It owns transaction handling: statements that can share the migration's transaction
//! do, statements that cannot run in one run alone, and a file's own BEGIN/COMMIT are respected.
//!
//! What it observes, and from where:
//! - catalog state (`relfilenode`, on-disk size, names of relations the migration just created)
//!   is read on the migration connection itself, inside its transaction, because uncommitted
//!   catalog changes are visible to no other backend;
//! - relation locks are read from `pg_locks` on a second, monitor connection, so that reading them
//!   adds nothing to the migration's transaction and works even after a statement failed;
//! - a sampler on that monitor connection polls `pg_locks` and `pg_blocking_pids` every few
//!   milliseconds: the locks of statements that run outside a transaction, the migration's own
//!   lock waits, and which workload queries the migration blocked.
//!
//! The probe never takes a lock on a user relation of its own: sizes come from `pg_stat_file` on
//! `pg_relation_filepath`, which touch only the catalog.

pub mod execute;
pub mod heartbeat;
mod long_transaction;
mod observe;
mod parameters;
mod query_kind;
pub mod running;
pub mod timeline;
pub mod workload;
mod sessions;

pub use execute::{run_script, run_script_nested};
pub use heartbeat::{Heartbeat, Heartbeats};
pub use observe::table_sizes;

use crate::lock_mode::LockMode;
use crate::migrations::Script;
use crate::provision::ConnectionInfo;
use crate::report::{Direction, Finding, FindingKind};
use crate::scenario::{LongTransactionSection, Scenario, WorkloadSection};
use std::time::Duration;
use tokio_postgres::Client;

/// Which run of a migration this is; the long transaction applies to chosen steps only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Forward,
    Rollback,
    Redo,
}

impl Step {
    pub fn name(self) -> &'static str {
        match self {
            Step::Forward => "forward",
            Step::Rollback => "rollback",
            Step::Redo => "redo",
        }
    }
}

/// The budget of one statement of a migration when the scenario sets no `statement_timeout`
/// and the server gives the session none: long enough for any statement on a rehearsal's data
/// that production could afford to run under a lock, short enough that a statement that never
/// ends (`pg_sleep(3600)`, a lock wait with no end) fails the migration well inside a CI job's
/// hour instead of holding it until the CI kills it. A `statement_timeout` the migration sets
/// itself wins (it comes after this one in the session).
pub const DEFAULT_STATEMENT_TIMEOUT: &str = "10min";

/// How the probe observes, from the scenario.
#[derive(Debug, Clone)]
pub struct ProbeSettings {
    /// How often the monitor samples `pg_locks` and `pg_blocking_pids`.
    pub sample_interval: Duration,
    /// `lock_timeout` for the migration session, as `SET` takes it.
    pub lock_timeout: Option<String>,
    /// `statement_timeout` for the migration session.
    pub statement_timeout: Option<String>,
    /// The concurrent workload; None runs none.
    pub workload: Option<WorkloadSection>,
    /// Sign every table around every migration instead of the ones it could have changed.
    pub data_check_all: bool,
    /// The migration session is inside a transaction that must never end here
    /// (`--in-transaction`): scripts run under savepoints, never BEGIN or COMMIT.
    pub nested: bool,
}

impl Default for ProbeSettings {
    fn default() -> Self {
        ProbeSettings {
            sample_interval: Duration::from_millis(10),
            lock_timeout: None,
            statement_timeout: None,
            workload: None,
            data_check_all: false,
            nested: false,
        }
    }
}

impl ProbeSettings {
    /// The scenario's `[probe]`, timeouts and `[workload]`; a scenario without `[workload]` gets
    /// the default workload.
    pub fn from_scenario(scenario: &Scenario) -> ProbeSettings {
        let workload = match scenario.workload() {
            Some(w) if !w.enabled => None,
            Some(w) => Some(w.clone()),
            None => Some(WorkloadSection::default()),
        };
        ProbeSettings {
            sample_interval: Duration::from_millis(
                scenario
                    .probe()
                    .and_then(|p| p.sample_interval_ms)
                    .unwrap_or(10)
                    .max(1),
            ),
            lock_timeout: scenario.lock_timeout().and_then(|t| t.as_setting()),
            statement_timeout: scenario.statement_timeout().and_then(|t| t.as_setting()),
            workload,
            data_check_all: scenario.probe().and_then(|p| p.data_check)
                == Some(crate::scenario::DataCheckScope::All),
            nested: false,
        }
    }
}

/// Runs scripts on the migration connection while observing them from monitor connections.
pub struct Probe {
    connection: ConnectionInfo,
    settings: ProbeSettings,
    /// The workload's parameter values, kept across the steps of the rehearsal.
    parameters: parameters::ParameterCache,
    /// Monitor and workload sessions kept between steps.
    sessions: sessions::Sessions,
}

impl Probe {
    /// `connection` reaches the database the migration client is connected to; the probe opens
    /// its monitor, workload and long-transaction connections there.
    pub fn new(connection: ConnectionInfo, settings: ProbeSettings) -> Probe {
        Probe {
            sessions: sessions::Sessions::new(connection.clone()),
            connection,
            settings,
            parameters: parameters::ParameterCache::default(),
        }
    }

    pub fn settings(&self) -> &ProbeSettings {
        &self.settings
    }

    /// Closes the sessions the probe keeps between steps: nothing of ours may stay connected to
    /// a database that is about to be cloned or dropped.
    pub fn close_sessions(&self) {
        self.sessions.close_all();
    }

    /// The database the probe observes, for other connections to it (the data check's).
    pub fn connection(&self) -> &ConnectionInfo {
        &self.connection
    }

    /// Runs `script` on `client` as one step of a rehearsal, observed.
    pub async fn run(
        &self,
        client: &Client,
        script: &Script,
        file_label: &str,
        step: Step,
    ) -> Direction {
        self.run_beating(client, script, file_label, step, None).await
    }

    /// [`Probe::run`], and `beats` hears a heartbeat during each statement that runs longer
    /// than [`heartbeat::interval`].
    pub async fn run_beating(
        &self,
        client: &Client,
        script: &Script,
        file_label: &str,
        step: Step,
        beats: Option<&dyn Heartbeats>,
    ) -> Direction {
        let long_transaction = self
            .settings
            .workload
            .as_ref()
            .and_then(|w| w.long_transaction.as_ref())
            .filter(|lt| lt.during.iter().any(|s| s == step.name()));
        execute::run_observed(self, client, script, file_label, long_transaction, beats).await
    }

    /// Findings for a direction that hit the scenario's `lock_timeout` or `statement_timeout`,
    /// and for what the scenario asked to run beside it and could not start.
    pub fn direction_findings(&self, direction: &Direction) -> Vec<Finding> {
        let mut findings = timeout_findings(&self.settings, direction);
        findings.extend(
            direction
                .unobserved
                .iter()
                .map(|m| Finding::of(FindingKind::NotObserved, m.clone())),
        );
        findings
    }

    fn long_transaction_settings(lt: &LongTransactionSection) -> (String, LockMode) {
        (
            lt.table.clone(),
            LockMode::parse(&lt.mode).unwrap_or(LockMode::AccessShare),
        )
    }
}

/// The first direction that failed because of the environment (the server died, its disk is
/// full), as one sentence naming the file and line: the run ends with exit 3, never blaming the
/// migration for it.
pub fn environment_failure<'a>(
    directions: impl IntoIterator<Item = &'a Direction>,
) -> Option<String> {
    directions.into_iter().find_map(|d| {
        let e = d.error.as_ref()?;
        let what = e.environment.as_ref()?;
        Some(format!(
            "{}, line {}: not the migration's fault: {what}",
            e.file, e.line
        ))
    })
}

/// A statement cancelled by `lock_timeout` or `statement_timeout` is a finding that names it.
pub fn timeout_findings(settings: &ProbeSettings, direction: &Direction) -> Vec<Finding> {
    let Some(error) = &direction.error else {
        return Vec::new();
    };
    let statement = direction
        .statements
        .iter()
        .rev()
        .find(|s| !s.ok)
        .map(|s| first_line(&s.sql))
        .unwrap_or_default();
    let (kind, what, value) = match error.code.as_deref() {
        Some("55P03") if error.message.contains("lock timeout") => (
            FindingKind::LockTimeout,
            "waited longer than lock_timeout",
            settings.lock_timeout.clone(),
        ),
        Some("57014") if error.message.contains("statement timeout") => (
            FindingKind::StatementTimeout,
            "ran longer than statement_timeout",
            Some(settings.statement_timeout.clone().unwrap_or_else(|| {
                format!("{DEFAULT_STATEMENT_TIMEOUT}, rehearse's default per statement; [migrations] statement_timeout changes it")
            })),
        ),
        _ => return Vec::new(),
    };
    vec![Finding::of(
        kind,
        format!(
            "{}, line {}: `{}` {what} ({}) and was cancelled; in production it would fail the same way or block others for that long",
            error.file,
            error.line,
            statement,
            value.unwrap_or_else(|| "server setting".into())
        ),
    )]
}

fn first_line(sql: &str) -> String {
    let line = sql.lines().next().unwrap_or_default().trim();
    if line.chars().count() > 80 {
        format!("{}...", line.chars().take(77).collect::<String>())
    } else if sql.trim().lines().count() > 1 {
        format!("{line} ...")
    } else {
        line.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_folder_gets_the_default_workload_and_enabled_false_turns_it_off() {
        let bare = Scenario::bare(std::path::Path::new("."));
        let settings = ProbeSettings::from_scenario(&bare);
        let workload = settings.workload.expect("the default workload");
        assert!(workload.queries.is_empty());
        assert_eq!(settings.sample_interval, Duration::from_millis(10));

        let off = Scenario::bare(std::path::Path::new(".")).with_workload(WorkloadSection {
            enabled: false,
            ..Default::default()
        });
        assert!(ProbeSettings::from_scenario(&off).workload.is_none());
    }

    #[test]
    fn a_long_statement_is_named_by_its_first_line() {
        assert_eq!(
            first_line("ALTER TABLE t\n  ADD COLUMN c int"),
            "ALTER TABLE t ..."
        );
        assert_eq!(first_line("SELECT 1"), "SELECT 1");
    }
}
