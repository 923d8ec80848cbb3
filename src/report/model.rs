//! The report model. Field names and meanings of schema_version 1 are a contract (DESIGN.md):
//! add fields freely, never rename or remove one.

use serde::{Deserialize, Serialize};

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Fail,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
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
    /// The synthetic dataset seeded after the baseline; absent when nothing was seeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<SeedReport>,
}

/// What seeding cost, per table and in total.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SeedReport {
    /// The RNG seed: the same seed gives the same data.
    pub seed: u64,
    pub scale: f64,
    pub rows: u64,
    /// Bytes on disk of the seeded tables (heap and TOAST, without indexes).
    pub bytes: u64,
    /// Wall time of the whole seeding: plan, load, index rebuild, analyze.
    pub seconds: f64,
    pub mb_per_s: f64,
    pub tables: Vec<SeedTableReport>,
    /// The template database holding the seeded state, when one was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// Seconds to clone the seeded database into the template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_seconds: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SeedTableReport {
    /// Schema-qualified.
    pub table: String,
    pub rows: u64,
    /// Bytes on disk (heap and TOAST).
    pub bytes: u64,
    /// Bytes of binary COPY data sent.
    pub copy_bytes: u64,
    /// Generation and COPY of this table, wall time.
    pub seconds: f64,
    /// `bytes` per second, in MB (10^6).
    pub mb_per_s: f64,
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

#[derive(Debug, Clone, Serialize, Deserialize)]
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
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Direction {
    pub ok: bool,
    pub error: Option<StatementError>,
    pub duration_ms: f64,
    pub statements: Vec<StatementReport>,
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

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatementReport {
    pub sql: String,
    pub line: usize,
    pub duration_ms: f64,
    pub ok: bool,
    /// True for statements run outside a transaction block (`CREATE INDEX CONCURRENTLY`, ...).
    pub transactional: bool,
    pub locks: Vec<LockReport>,
    pub rewrites: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LockReport {
    /// Schema-qualified relation.
    pub relation: String,
    /// As `pg_locks.mode` spells it.
    pub mode: String,
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
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Finding {
    /// A stable identifier (`missing_rollback`, `forward_failed`, ...).
    pub kind: String,
    pub message: String,
}
