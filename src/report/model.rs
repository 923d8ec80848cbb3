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
    /// A migration that was never rehearsed (one before it failed): neither a pass nor a
    /// failure of its own. Only migrations have it; a run's verdict is pass or fail.
    #[serde(rename = "not_run")]
    NotRun,
    /// A signal (SIGINT, SIGTERM, SIGHUP) stopped the run: the report says what ran before it,
    /// and the migration that was running has this verdict. Neither a pass nor a finding.
    Interrupted,
    /// The run's `--timeout` ran out while this migration was being rehearsed: its running
    /// statement was cancelled and nothing after it was measured.
    #[serde(rename = "timed_out")]
    TimedOut,
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
    /// The synthetic dataset, summed over every seed point (after the baseline, and before each
    /// migration that follows the creation of tables); absent when nothing was seeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<SeedReport>,
    /// Hazards of the run as a whole: a `[rules] ignore` of the scenario that matched nothing.
    /// Never a failure.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hazards: Vec<Finding>,
    /// How the migrations folder was read; absent in reports of runs that never read one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discovery: Option<DiscoveryReport>,
    /// `--since REF`: the baseline it chose and what the branch added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<super::SinceReport>,
    /// `--cache DIR`: hit or miss, and on a miss which input changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<super::CacheReport>,
    /// `--shard K/N`: this report holds the K-th slice of the pending migrations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<super::ShardReport>,
}

/// How the migrations folder was read: its format (detected or `--format`), and what discovery
/// said about it (a layout assumed because no convention fits, files the tool does not read).
/// Notes, not findings: they never change a verdict.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct DiscoveryReport {
    /// `flyway`, `up-down`, `diesel`, `dbmate`, `maragu` or `by-name`, as `--format` spells it.
    pub format: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl DiscoveryReport {
    pub fn of(set: &crate::migrations::MigrationSet) -> DiscoveryReport {
        DiscoveryReport {
            format: set.format.to_string(),
            notes: set.notes.clone(),
        }
    }
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
    /// Seconds to clone the seeded database into the template, over every seed point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_seconds: Option<f64>,
    /// Tables nobody defined that got fewer rows than asked for, because a constraint allows
    /// no more (down to none), each with the reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub limits: Vec<SeedLimit>,
}

/// An inferred table given fewer rows than asked for.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SeedLimit {
    /// Schema-qualified.
    pub table: String,
    pub asked: u64,
    pub rows: u64,
    /// One sentence naming the constraint.
    pub reason: String,
    /// `[dataset.tables.X]` lines that would seed the table without the limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl SeedLimit {
    /// "public.user_ban gets 1 row instead of 1000: its foreign key ... references ...".
    pub fn sentence(&self) -> String {
        format!(
            "{} gets {} row{} instead of {}: {}",
            self.table,
            self.rows,
            if self.rows == 1 { "" } else { "s" },
            self.asked,
            self.reason
        )
    }
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
    /// Nobody defined the table: its rows were inferred from the catalog.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub inferred: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DatabaseInfo {
    pub provider: ProviderKind,
    pub server_version: String,
    /// Why this provider was chosen.
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Where the rows the migrations ran on came from.
    #[serde(default)]
    pub data: DataSource,
    /// How the server copied databases (the template, every reset): `clone` (reflinks,
    /// PostgreSQL 18 on XFS or btrfs) or `copy`, and why. Absent where rehearse did not start
    /// the server (url, command).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_copy: Option<FileCopy>,
}

/// How a server copies a database's files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileCopyMethod {
    /// Reflinks: the copy shares the source's blocks until either is written.
    Clone,
    /// Every byte read and written.
    Copy,
}

impl FileCopyMethod {
    pub fn word(self) -> &'static str {
        match self {
            FileCopyMethod::Clone => "clone",
            FileCopyMethod::Copy => "copy",
        }
    }
}

/// `database.file_copy`: the method the server used, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileCopy {
    pub method: FileCopyMethod,
    pub reason: String,
}

impl Default for DatabaseInfo {
    fn default() -> Self {
        DatabaseInfo {
            provider: ProviderKind::Local,
            server_version: String::new(),
            reason: String::new(),
            image: None,
            data: DataSource::Synthetic,
            file_copy: None,
        }
    }
}

/// The provider that actually runs the database, as the report names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    Docker,
    Local,
    Url,
    /// `provider = "command"`: the scenario's own create and destroy commands.
    Command,
}

/// Where the rows the migrations ran on came from: generated by rehearse, a copy of a live
/// database (`--clone`), or the live database itself inside transactions that were all rolled
/// back (`--in-transaction`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DataSource {
    /// Rows rehearse generated (the dataset, inferred or profiled).
    #[default]
    Synthetic,
    /// A scratch database copied from `database` before anything ran.
    Clone {
        /// The source database's name (the URL's, without credentials).
        database: String,
        /// Its size when the copy began (`pg_database_size`).
        bytes: u64,
        /// `template` (CREATE DATABASE … TEMPLATE) or `copy` (pg_dump schema, parallel COPY).
        method: String,
        /// Why auto chose `copy`, when it did.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        why: Option<String>,
        seconds: f64,
        /// What the copy left out (large objects, database-level settings).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        notes: Vec<String>,
    },
    /// The migrations ran on `database` itself, each in a transaction that was rolled back:
    /// nothing was committed.
    InTransaction { database: String, bytes: u64 },
}

impl DataSource {
    /// One phrase for the reports' headers: None for synthetic data (the usual case).
    pub fn phrase(&self) -> Option<String> {
        match self {
            DataSource::Synthetic => None,
            DataSource::Clone {
                database,
                bytes,
                method,
                ..
            } => Some(format!(
                "on a clone of {database} ({}, by {method})",
                human_bytes(*bytes)
            )),
            DataSource::InTransaction { database, bytes } => Some(format!(
                "on {database} itself ({}) in transactions that were rolled back: nothing was committed",
                human_bytes(*bytes)
            )),
        }
    }
}

fn human_bytes(bytes: u64) -> String {
    const MB: f64 = 1024.0 * 1024.0;
    if bytes as f64 >= 1024.0 * MB {
        format!("{:.1} GB", bytes as f64 / (1024.0 * MB))
    } else {
        format!("{:.0} MB", bytes as f64 / MB)
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
    /// S1 (after the forward) against the schema after the forward applied again; empty when
    /// the redo gave S1 again or did not run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub redo_differences: Vec<Difference>,
    /// Everything that made this migration fail, one sentence each.
    #[serde(default)]
    pub findings: Vec<Finding>,
    /// Hazards that do not fail the migration by themselves, each with the safer pattern and
    /// its rule.
    #[serde(default)]
    pub hazards: Vec<Finding>,
    /// What the rehearsal did to rehearse this migration that the reader must know but that
    /// does not fail it (inferred rows a constraint refused, removed before it was rehearsed
    /// again), each with what to check in production.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Finding>,
    /// Hazards an ignore silenced (`-- rehearse:ignore`, `[rules] ignore`), with the reasons.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignored: Vec<IgnoredFinding>,
    /// The scenario's `[rules] ignore` entries (by source and rule) that matched something here.
    #[serde(skip)]
    pub matched_rule_ignores: Vec<(String, String)>,
    /// Destructive changes found in the forward script's parse trees, with their approvals.
    #[serde(default)]
    pub destructive_changes: Vec<DestructiveChange>,
    /// The migration file says `-- rehearse:irreversible`.
    #[serde(default)]
    pub irreversible: bool,
    /// Each gate's result for this migration.
    #[serde(default)]
    pub gates: Vec<GateResult>,
    /// The database was reset from the template after this migration, because its rehearsal
    /// left a state unlike "forward applied cleanly"; absent when no reset happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset: Option<StateReset>,
    /// Which tables the data check signed and why the others needed no check; absent when the
    /// rollback did not run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_check: Option<DataCheck>,
    /// Where this migration's wall time went, the tool's own work included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timings: Option<Timings>,
    /// `--predict`: the forward measured at several seeded sizes and carried to production's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prediction: Option<super::prediction::Prediction>,
    /// `--prove-fixes`: every rewrite rehearsed for this migration; the gate copies each onto
    /// the hazard it fixes (`hazards[].proof`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub proofs: Vec<super::proof::Proof>,
}

/// The data check's scope: a table's rows change only through a session holding
/// `RowExclusiveLock` on it or through a new layout (file node, columns), so the check signs
/// the tables the migration locked that way or changed, and proves the rest unchanged unread.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct DataCheck {
    /// `touched`: only the tables the migration could have changed; `all`: every table, because
    /// the proof does not hold for these scripts (`reason` says why); `none`: no table could be
    /// read as the migration left it (`--in-transaction`), so the data is not judged.
    pub scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The tables compared before and after, each with why it was checked.
    pub checked: Vec<CheckedTable>,
    /// Tables proven unchanged without reading them.
    pub unchanged_tables: usize,
    /// Tables the migration may have changed whose state before it could not be read exactly:
    /// their data is not judged (never a guess).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unproven: Vec<CheckedTable>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct CheckedTable {
    pub table: String,
    pub why: String,
}

/// Milliseconds of one migration's wall time, by what spent them.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Timings {
    /// From the first step of this migration (its seed point) to the end of its reset.
    pub wall_ms: f64,
    /// The migration's own statements, forward, rollback and redo.
    pub statements_ms: f64,
    /// The probe around the statements: monitor and workload connections, parameter draws,
    /// catalog reads between statements, the workload's grace period.
    pub observation_ms: f64,
    /// Schema snapshots (before, after the forward, after the rollback, after the redo).
    pub snapshots_ms: f64,
    /// Data signatures before the forward and after the rollback.
    pub signatures_ms: f64,
    /// Seeding the tables earlier migrations created, before this one.
    pub seed_ms: f64,
    /// Resetting from the template and replaying after this one, or refreshing the template
    /// (once replaying the migrations since it would cost more than a clone).
    pub reset_ms: f64,
    /// Everything else (connections, bookkeeping).
    pub other_ms: f64,
}

impl Timings {
    /// Sets `other_ms` to what the named parts leave of `wall_ms`.
    pub fn settle(&mut self) {
        let named = self.statements_ms
            + self.observation_ms
            + self.snapshots_ms
            + self.signatures_ms
            + self.seed_ms
            + self.reset_ms;
        self.other_ms = (self.wall_ms - named).max(0.0);
    }
}

/// A reset from the template, and the forward scripts replayed on the clone so that the next
/// migration meets the state it would meet in production.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct StateReset {
    /// Where the state was taken back to: the template (a clone), or, with `--in-transaction`,
    /// the savepoint taken before the migration's forward.
    #[serde(default, skip_serializing_if = "ResetFrom::is_template")]
    pub from: ResetFrom,
    /// Seconds to replace the database with a clone of the template (or to roll back to the
    /// savepoint).
    pub seconds: f64,
    /// Seconds to replay the forward scripts, unmeasured, on the clone (or after the savepoint).
    pub replay_seconds: f64,
    /// Ids of the migrations whose forward scripts were replayed, in order.
    pub replayed: Vec<String>,
    /// Ids of the migrations whose seed points were loaded again between the replayed forwards
    /// (the template is taken once, at the first seed point, not at every one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reseeded: Vec<String>,
    /// How the template's copy was made: `clone` or `copy` (absent for a savepoint).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<FileCopyMethod>,
}

/// What a [`StateReset`] went back to.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ResetFrom {
    /// A clone of the seed point's template replaced the database.
    #[default]
    Template,
    /// `--in-transaction`: the transaction rolled back to the savepoint before the forward.
    Savepoint,
}

impl ResetFrom {
    fn is_template(&self) -> bool {
        *self == ResetFrom::Template
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Direction {
    pub ok: bool,
    pub error: Option<StatementError>,
    pub duration_ms: f64,
    pub statements: Vec<StatementReport>,
    /// WAL the server wrote while this direction ran (`pg_current_wal_insert_lsn` difference).
    /// Server-wide: it includes the concurrent workload's writes when one runs.
    #[serde(default)]
    pub wal_bytes: Option<u64>,
    /// Time the migration's backend spent waiting for locks (`wait_event_type = 'Lock'`, sampled).
    #[serde(default)]
    pub lock_wait_ms: f64,
    /// The concurrent workload that ran during this direction; null when none ran.
    #[serde(default)]
    pub workload: Option<WorkloadReport>,
    /// The long transaction that held a lock from before this direction started (lock queue).
    #[serde(default)]
    pub long_transaction: Option<LongTransactionReport>,
    /// What the scenario asked the probe to run alongside and could not start, one sentence
    /// each (a workload or long transaction on a table that does not exist, say).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unobserved: Vec<String>,
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
    /// Set when the failure is the environment's, not the statement's (the server died, its
    /// disk is full): one sentence saying what happened. The run then ends with exit 3 instead
    /// of blaming the migration, so it never reaches report.json.
    #[serde(skip)]
    pub environment: Option<String>,
    /// The rows an integrity error (SQLSTATE class 23) is about, as the server named them: the
    /// rehearsal says when they are its own inferred data rather than production's.
    #[serde(skip)]
    pub culprit: Option<Culprit>,
}

/// The table, columns and constraint an integrity error names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Culprit {
    pub schema: String,
    pub table: String,
    /// From the error's column, or its detail's `Key (a, b)=(...)`; empty when it names none.
    pub columns: Vec<String>,
    pub constraint: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StatementReport {
    pub sql: String,
    pub line: usize,
    pub duration_ms: f64,
    pub ok: bool,
    /// False for statements run outside a transaction block (`CREATE INDEX CONCURRENTLY`, ...).
    pub transactional: bool,
    /// Relation locks this statement took first; a lock already held from an earlier statement of
    /// the same transaction is listed there, not here.
    pub locks: Vec<LockReport>,
    /// Schema-qualified tables, indexes and materialized views whose `relfilenode` changed.
    pub rewrites: Vec<String>,
    /// When the statement started, in ms from the start of its direction.
    #[serde(default)]
    pub started_ms: f64,
    /// Time this statement's backend spent waiting for a lock (sampled).
    #[serde(default)]
    pub lock_wait_ms: f64,
    /// WAL written while the statement ran; null when it was not observed.
    #[serde(default)]
    pub wal_bytes: Option<u64>,
    /// Relations whose on-disk size (main fork) changed, were created or were dropped.
    #[serde(default)]
    pub size_changes: Vec<SizeChange>,
    /// The concurrent workload's queries that started while this statement ran.
    #[serde(default)]
    pub workload: Option<StatementWorkload>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct LockReport {
    /// Schema-qualified relation.
    pub relation: String,
    /// As `pg_locks.mode` spells it.
    pub mode: String,
    /// `table`, `index`, `materialized_view`, `sequence`, `view`, `partitioned_table`, ...
    #[serde(default)]
    pub kind: String,
    /// When the lock was granted, in ms from the start of the direction.
    #[serde(default)]
    pub acquired_ms: f64,
    /// How long it was held: until commit for a transaction, until the statement released it
    /// otherwise. The probe's own catalog reads between statements are not counted.
    #[serde(default)]
    pub held_ms: f64,
    /// True when the lock was seen by sampling `pg_locks` during a statement that runs outside a
    /// transaction block; times are then accurate to the sampling interval.
    #[serde(default)]
    pub sampled: bool,
    /// The relation's OID in the rehearsal database, for the data check's scope; not reported.
    #[serde(skip)]
    pub oid: u32,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SizeChange {
    pub relation: String,
    pub kind: String,
    /// Null when the relation did not exist before the statement.
    pub before_bytes: Option<u64>,
    /// Null when the statement dropped it.
    pub after_bytes: Option<u64>,
}

/// Latency percentiles, in milliseconds.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Latency {
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// What the workload's queries suffered while one migration statement ran.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct StatementWorkload {
    pub queries: u64,
    pub errors: u64,
    pub latency: Latency,
    /// Queries that the migration's backend blocked (it was in their `pg_blocking_pids`).
    pub blocked_count: u64,
    pub blocked_total_ms: f64,
    pub blocked_longest_ms: f64,
    /// Sends the clients missed because they were still waiting for an earlier query: an
    /// application that does not wait would have queued this many more queries.
    #[serde(default)]
    pub delayed: u64,
    /// The latency an application sending on schedule would have seen: a client blocked for
    /// several periods missed those sends, and each missed send counts with the wait it would
    /// have had (coordinated omission corrected, as HdrHistogram's `record_correct` does).
    /// `latency` is what the queries that ran took.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_on_schedule: Option<Latency>,
}

/// The concurrent workload of one direction.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct WorkloadReport {
    pub clients: u32,
    /// Queries per second aimed for, over all clients.
    pub target_rate: f64,
    /// True when this is the default workload (no `[workload]` in the scenario).
    pub default: bool,
    /// True when some queries write: each ran as `BEGIN; <query>; ROLLBACK`, so it took and waited
    /// for the locks production's would, and committed nothing (the commit's WAL flush is not
    /// measured).
    #[serde(default)]
    pub writes_rolled_back: bool,
    /// Parameter queries run before this step: 0 when every value was kept from an earlier step.
    #[serde(default)]
    pub parameter_draws: u32,
    pub totals: StatementWorkload,
    pub queries: Vec<WorkloadQueryReport>,
    /// The first distinct error messages, for a reader to see what failed.
    pub error_samples: Vec<String>,
    /// Latency over the direction's time in short buckets (at most [`LATENCY_BUCKETS`], none
    /// shorter than 50 ms), so an outage's start and end show: a direction of a few
    /// milliseconds has one bucket.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timeline: Vec<LatencyBucket>,
}

/// At most this many buckets in a workload timeline.
pub const LATENCY_BUCKETS: usize = 60;

/// The workload in one short stretch of a direction.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct LatencyBucket {
    /// Since the direction started.
    pub start_ms: f64,
    pub width_ms: f64,
    /// Queries that finished in the bucket.
    pub completed: u64,
    /// The 95th percentile latency of those queries (0 when none finished).
    pub p95_ms: f64,
    /// How long the oldest query still running at the bucket's end had waited: it climbs while
    /// queries queue behind a lock and falls when the lock is released.
    pub oldest_waiting_ms: f64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct WorkloadQueryReport {
    pub name: String,
    pub sql: String,
    pub stats: StatementWorkload,
    /// Why the query never ran (no parameter values, ...), when it did not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// Not a plain read: it ran in a transaction that was rolled back.
    #[serde(default)]
    pub rolled_back: bool,
}

/// A transaction that held a lock from before the migration started: the lock-queue outage.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct LongTransactionReport {
    pub relation: String,
    /// As `pg_locks.mode` spells it.
    pub mode: String,
    /// How long it held the lock, from before the direction started.
    pub held_ms: f64,
    /// The migration's own time waiting for a lock while it held its lock.
    pub migration_lock_wait_ms: f64,
    /// Workload queries blocked behind the migration (in the queue behind its lock request).
    pub blocked_queries: u64,
    pub blocked_longest_ms: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Difference {
    /// One of [`crate::snapshot::diff::KINDS`].
    pub kind: String,
    pub object: String,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// Someone accepted this difference (`[accept]` or `-- rehearse:accept`): still listed, but
    /// it does not fail the migration.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub accepted: bool,
    /// Why it was accepted, and where that was said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_reason: Option<String>,
    /// SQL that turns the second schema back into the first, where a statement does it
    /// mechanically: for a rollback, what to add to it (`DROP EXTENSION citext;`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DataDifference {
    pub object: String,
    pub detail: String,
}

/// One failed check or hazard, in one sentence.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Finding {
    /// A stable identifier (`missing_rollback`, `forward_failed`, ...).
    pub kind: String,
    pub message: String,
    /// The safer pattern, in one sentence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advice: Option<String>,
    /// The rule this finding is (`require-concurrent-index`): its page is
    /// `docs/rules/<rule>.md`. Absent for failures that are not hazards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// The line of the statement in the migration's file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The relation it is about, schema-qualified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relation: Option<String>,
    /// `--prove-fixes`: the rule's rewrite rehearsed beside this statement on the same state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof: Option<Box<super::proof::Proof>>,
}

/// A hazard an ignore silenced: still listed, with why and where that was said.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct IgnoredFinding {
    pub rule: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    pub reason: String,
    /// Where the ignore was written (`V2__x.sql, line 3`, `rehearse.toml, [rules]`).
    pub source: String,
}

impl Finding {
    pub fn new(kind: &str, message: impl Into<String>) -> Finding {
        Finding {
            kind: kind.to_string(),
            message: message.into(),
            ..Default::default()
        }
    }

    /// A finding of a kind in the catalogue, with the catalogue's advice.
    pub fn of(kind: super::FindingKind, message: impl Into<String>) -> Finding {
        Finding {
            kind: kind.name().to_string(),
            message: message.into(),
            advice: Some(kind.advice().to_string()),
            ..Default::default()
        }
    }

    /// This finding's entry in the catalogue, when its kind is one of this version's.
    pub fn catalogued(&self) -> Option<super::FindingKind> {
        super::FindingKind::parse(&self.kind)
    }

    /// True when this finding is of `kind`.
    pub fn is(&self, kind: super::FindingKind) -> bool {
        self.kind == kind.name()
    }

    /// The statement's line and the relation, for a finding of a rule.
    pub fn located(mut self, line: usize, relation: Option<String>) -> Finding {
        self.line = Some(line);
        self.relation = relation;
        self
    }

    pub fn with_advice(mut self, advice: impl Into<String>) -> Finding {
        self.advice = Some(advice.into());
        self
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct TableSize {
    pub relation: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// Rows in production as the dataset declares them (`production_rows`, or `rows` under a
    /// scale below 1); the hazards are judged at this size when it is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub production_rows: Option<u64>,
}

impl TableSize {
    /// The rows the hazards are judged at: production's when declared, else the seeded ones.
    pub fn judged_rows(&self) -> Option<u64> {
        self.production_rows.or(self.rows)
    }

    /// "40M rows in production, 1M seeded" when production's size is declared.
    pub fn production_phrase(&self) -> Option<String> {
        let production = self.production_rows?;
        Some(format!(
            "{} rows in production, {} seeded",
            short_count(production as f64),
            short_count(self.rows.unwrap_or(0) as f64)
        ))
    }
}

/// 40M, 1.5M, 250k, 999: a row count as a reader takes it in at a glance.
pub fn short_count(n: f64) -> String {
    let trim = |v: f64| {
        let s = format!("{v:.1}");
        s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
    };
    if n >= 1e9 {
        format!("{}G", trim(n / 1e9))
    } else if n >= 1e6 {
        format!("{}M", trim(n / 1e6))
    } else if n >= 1e4 {
        format!("{}k", trim(n / 1e3))
    } else {
        format!("{n:.0}")
    }
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
