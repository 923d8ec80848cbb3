//! The report model. Field names and meanings of schema_version 1 are a contract (DESIGN.md):
//! add fields freely, never rename or remove one.

use serde::{Deserialize, Serialize};

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    /// The default, so that a report nobody finished never reads as a pass.
    #[default]
    Fail,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub verdict: Verdict,
    /// Tool version that wrote the report.
    pub rehearse_version: String,
    pub scenario: String,
    pub started_at: String,
    pub duration_ms: f64,
    pub database: DatabaseInfo,
    pub migrations: Vec<MigrationReport>,
    /// Run-level problems (a baseline that failed to apply, ...).
    #[serde(default)]
    pub findings: Vec<Finding>,
    /// The gate settings the verdict was judged against (null when gates were not evaluated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gates: Option<GateSettings>,
    /// Sizes of the tables the rehearsal ran on, when known; "large table" hazards use them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<TableSize>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DatabaseInfo {
    pub provider: crate::provision::ProviderKind,
    pub server_version: String,
    /// Why this provider was chosen.
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
}

impl Default for DatabaseInfo {
    fn default() -> Self {
        DatabaseInfo {
            provider: crate::provision::ProviderKind::Local,
            server_version: String::new(),
            reason: String::new(),
            image: None,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MigrationReport {
    /// The version as written in the file name.
    pub id: String,
    pub name: String,
    pub verdict: Verdict,
    /// The forward script's path relative to the migrations folder.
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollback_file: Option<String>,
    pub forward: Direction,
    /// Null when there is no rollback or it did not run.
    pub rollback: Option<Direction>,
    /// The forward applied again after the rollback; null when it did not run.
    #[serde(default)]
    pub redo: Option<Direction>,
    /// S0 == S2; null when it could not be checked.
    pub schema_restored: Option<bool>,
    pub differences: Vec<Difference>,
    pub data_preserved: Option<bool>,
    pub data_differences: Vec<DataDifference>,
    /// Everything that made this migration fail, one sentence each.
    #[serde(default)]
    pub findings: Vec<Finding>,
    /// Hazards that do not fail the migration by themselves, each with the safer pattern.
    #[serde(default)]
    pub hazards: Vec<Finding>,
    /// Destructive changes found in the forward script's parse trees, with their approvals.
    #[serde(default)]
    pub destructive_changes: Vec<DestructiveChange>,
    /// The migration file says `-- rehearse:irreversible`.
    #[serde(default)]
    pub irreversible: bool,
    /// Each gate's result for this migration.
    #[serde(default)]
    pub gates: Vec<GateResult>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Direction {
    pub ok: bool,
    pub error: Option<StatementError>,
    pub duration_ms: f64,
    pub statements: Vec<StatementReport>,
    /// The concurrent workload while this direction ran; null without a workload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<WorkloadReport>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatementError {
    pub message: String,
    /// The file the failing statement is in.
    pub file: String,
    /// 1-based line in the file where the error is (the statement's line when the server gave no position).
    pub line: usize,
    /// SQLSTATE, when the server gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StatementReport {
    pub sql: String,
    pub line: usize,
    pub duration_ms: f64,
    pub ok: bool,
    /// True for statements run outside a transaction block (`CREATE INDEX CONCURRENTLY`, ...).
    pub transactional: bool,
    pub locks: Vec<LockReport>,
    pub rewrites: Vec<String>,
    /// When the statement started, in ms from the start of its direction (charts align on it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_ms: Option<f64>,
    /// WAL written by the statement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wal_bytes: Option<u64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LockReport {
    /// Schema-qualified relation.
    pub relation: String,
    /// As `pg_locks.mode` spells it.
    pub mode: String,
    /// When the lock was acquired, in ms from the start of its direction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acquired_ms: Option<f64>,
    /// How long it was held (until commit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_ms: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Difference {
    pub kind: String,
    pub object: String,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DataDifference {
    pub object: String,
    pub detail: String,
}

/// One failed check or hazard, in one sentence.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Finding {
    /// A stable identifier (`missing_rollback`, `forward_failed`, ...).
    pub kind: String,
    pub message: String,
    /// The safer pattern, in one sentence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advice: Option<String>,
}

impl Finding {
    pub fn new(kind: &str, message: impl Into<String>) -> Finding {
        Finding {
            kind: kind.to_string(),
            message: message.into(),
            advice: None,
        }
    }

    pub fn with_advice(mut self, advice: impl Into<String>) -> Finding {
        self.advice = Some(advice.into());
        self
    }
}

/// The concurrent application workload's experience while a direction ran.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct WorkloadReport {
    /// Queries completed.
    pub queries: u64,
    #[serde(default)]
    pub errors: u64,
    pub latency_ms: Latency,
    /// Total time workload queries spent blocked by the migration (`pg_blocking_pids`).
    pub blocked_ms_total: f64,
    /// The longest single wait of one workload query.
    pub blocked_ms_max: f64,
    /// Latency over time, for the chart.
    #[serde(default)]
    pub samples: Vec<WorkloadSample>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Latency {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct WorkloadSample {
    /// When the query started, in ms from the start of the direction.
    pub at_ms: f64,
    pub latency_ms: f64,
    /// Whether the migration blocked it.
    #[serde(default)]
    pub blocked: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct TableSize {
    pub relation: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
}

/// A change that loses data or breaks readers: it needs a person's approval.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct DestructiveChange {
    /// `drop_table`, `drop_column`, `drop_schema`, `truncate`, `alter_column_type`, `drop_constraint`.
    pub kind: String,
    /// The object it destroys (`public.users.status`).
    pub object: String,
    /// Line of the statement in the forward file.
    pub line: usize,
    pub sql: String,
    /// Measured differences or data loss that confirm it (empty when none were measured).
    #[serde(default)]
    pub confirmed_by: Vec<String>,
    /// Null when nobody approved it: then the destructive gate fails.
    pub approval: Option<Approval>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Approval {
    pub by: String,
    pub reason: String,
    /// Where it was given: the migration file's annotation or the approvals file.
    pub source: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GateStatus {
    Pass,
    Fail,
    /// The measurement the gate needs was not taken (no workload, no lock timings).
    NotMeasured,
}

/// One gate, judged for one migration.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GateResult {
    /// `max_duration`, `max_lock_hold`, `max_blocked`, `rollback`, `destructive`.
    pub gate: String,
    pub status: GateStatus,
    /// One sentence: what was measured against which limit.
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual_ms: Option<f64>,
}

/// The thresholds in force, as the report shows them.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct GateSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_duration_ms: Option<f64>,
    /// Lock mode (as `pg_locks.mode` spells it) → longest allowed hold.
    #[serde(default)]
    pub max_lock_hold_ms: std::collections::BTreeMap<String, f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_blocked_ms: Option<f64>,
    pub require_rollback: bool,
    /// The approvals file that was read, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approvals_file: Option<String>,
}
