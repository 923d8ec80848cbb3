//! The command line as clap reads it: every command's flags, their help and examples. Only the
//! shape of the arguments; what a command does is [`super::commands`]'s, and nothing here runs.

use crate::migrations::Format;
use crate::provision::ProviderChoice;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "rehearse",
    version,
    about = "Rehearse PostgreSQL schema migrations forward and back on an ephemeral database before they reach production"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Rehearse every migration forward, back and forward again, and write the reports.
    #[command(after_help = RUN_EXAMPLES)]
    Run(Box<RunArgs>),
    /// Write the schema of a live database to a JSON snapshot file.
    #[command(after_help = SNAPSHOT_EXAMPLES)]
    Snapshot(SnapshotArgs),
    /// Name every difference between two schemas (URLs or snapshot files); exit 1 when any.
    #[command(after_help = DIFF_EXAMPLES)]
    Diff(DiffArgs),
    /// Compare two report.json files: what got slower or locks longer (main against a branch).
    #[command(after_help = COMPARE_EXAMPLES)]
    Compare(CompareArgs),
    /// Write a dataset definition shaped like a live database, from its statistics (never
    /// its rows), for `run --dataset`.
    #[command(after_help = PROFILE_EXAMPLES)]
    Profile(ProfileArgs),
    /// Check migrations against the rules without a database: exit 1 on findings.
    #[command(after_help = LINT_EXAMPLES)]
    Lint(LintArgs),
    /// List the rules, or write their pages (docs/rules) with --write-docs.
    Rules(RulesArgs),
    /// Write report.md, report.html and junit.xml again from a report.json.
    Render(RenderArgs),
    /// Join the report.json of every `run --shard K/N` into one report, as one run would
    /// have written it (every rendering); exit 1 when it fails.
    Merge(MergeArgs),
    /// Remove what killed runs left behind: containers, local servers and folders, and with
    /// --url their scratch databases. What live runs hold is never touched.
    #[command(after_help = CLEAN_EXAMPLES)]
    Clean(CleanArgs),
}

pub const LINT_EXAMPLES: &str = "\
Examples:
  rehearse lint db/migrations
      the folder read as `run` reads it (format detected, rollbacks not linted)
  rehearse lint scenarios/quickstart
      a scenario: its migrations, with its [rules] ignore entries
  rehearse lint db/migrations/V7__add_index.sql --format github
      GitHub workflow annotations on the diff

Silence a finding where it is safe, with the reason:
  -- rehearse:ignore require-concurrent-index reason=\"sessions has 200 rows\"
directly before the statement (or at the top of the file, followed by a blank line, for the
whole file). An ignore that matches nothing is itself a finding.
Exit codes: 0 no finding; 1 findings; 2 bad input (a path, a file that does not parse, an
ignore without a reason).";

#[derive(Args)]
pub struct LintArgs {
    /// Migrations folders, scenario files or folders holding rehearse.toml, or .sql files.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Output: human (default), json, sarif or github (workflow annotations).
    #[arg(long, value_enum, default_value = "human")]
    pub format: crate::rules::lint::OutputFormat,
    /// Force a migration layout instead of detecting it (as `run --format`).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub migrations_format: Option<Format>,
}

#[derive(Args)]
pub struct RulesArgs {
    /// Write every rule's page (and the index) into this folder, e.g. docs/rules.
    #[arg(long, value_name = "DIR")]
    pub write_docs: Option<PathBuf>,
}

pub const CLEAN_EXAMPLES: &str = "\
Examples:
  rehearse clean
  rehearse clean --url postgresql://ci@staging-db:5432/postgres

Every run marks what it creates with this machine and its process id (a database also with
COMMENT ON DATABASE); `clean` removes what belongs to runs that are no longer running on this
machine (every run also does this for its provider before it starts). A database is dropped only
when it carries the mark, never for its name alone. Things made by older versions, or by other
machines, are left alone.
Exit codes: 0 done (each removal printed); 3 Docker or the --url server could not be asked.";

#[derive(Args)]
pub struct CleanArgs {
    /// Also drop the scratch databases killed runs left on this server.
    #[arg(long, env = "REHEARSE_URL", hide_env_values = true)]
    pub url: Option<String>,
}

pub const PROFILE_EXAMPLES: &str = "\
Examples:
  rehearse profile --url postgresql://ci@replica:5432/app --out data-generators/prod.toml
  rehearse run migrations/ --dataset data-generators/prod.toml --scale 0.1

Reads pg_class and pg_stats on a read-only connection (CONNECT and SELECT on the catalogs are
enough; a table never analyzed is counted). Text values are replaced by synthetic ones of the
same width and weight unless an enum or CHECK names them or --include-values is given.
Exit codes: 0 written; 2 bad input; 3 the server could not be reached or read.";

#[derive(Args)]
pub struct ProfileArgs {
    /// The database to profile (its password is never printed).
    #[arg(long, env = "REHEARSE_URL", hide_env_values = true)]
    pub url: String,
    /// The definition file to write.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Schemas to profile (repeatable; default public).
    #[arg(long = "schema", value_name = "SCHEMA")]
    pub schemas: Vec<String>,
    /// Copy the most common text values as they are (they may be personal data).
    #[arg(long)]
    pub include_values: bool,
    /// Leave out the bounds and common values of numbers, dates and timestamps too.
    #[arg(long)]
    pub no_values: bool,
    /// Instead of writing a profile, compare the database with this one (a twin seeded from
    /// it): exit 0 when every table and column is within tolerance, 1 when one is not.
    #[arg(long, value_name = "FILE", conflicts_with = "out")]
    pub compare: Option<PathBuf>,
    /// With --compare: the scale the twin was seeded at (its rows against the profile's).
    #[arg(long, default_value_t = 1.0, requires = "compare")]
    pub scale: f64,
}

pub const SNAPSHOT_EXAMPLES: &str = "\
Examples:
  rehearse snapshot --url postgresql://ci@staging-db:5432/app --out schema.json

Exit codes: 0 written; 2 bad input; 3 the server could not be reached.";

pub const DIFF_EXAMPLES: &str = "\
Examples:
  rehearse diff schema.json postgresql://ci@staging-db:5432/app
      the drift check: does staging still have the schema we recorded?
  rehearse diff before.json after.json

Exit codes: 0 no difference; 1 differences (each named); 2 bad input (a missing or
malformed file); 3 a server could not be reached.";

#[derive(Args)]
pub struct SnapshotArgs {
    /// The database to read (its password is never printed).
    #[arg(long, env = "REHEARSE_URL", hide_env_values = true)]
    pub url: String,
    /// The JSON file to write.
    #[arg(long, default_value = "schema.json")]
    pub out: PathBuf,
}

#[derive(Args)]
pub struct DiffArgs {
    /// The expected schema: a postgresql:// URL or a snapshot file.
    pub before: String,
    /// The actual schema: a postgresql:// URL or a snapshot file.
    pub after: String,
}

#[derive(Args)]
pub struct MergeArgs {
    /// The shards' output folders (or their report.json files), in any order.
    #[arg(required = true)]
    pub reports: Vec<PathBuf>,
    /// Folder the merged reports are written to.
    #[arg(long, default_value = "reports")]
    pub out: PathBuf,
    /// Indent report.json for reading (it is compact by default).
    #[arg(long)]
    pub pretty: bool,
}

#[derive(Args)]
pub struct RenderArgs {
    /// A report.json written by `rehearse run`.
    pub report: PathBuf,
    /// Folder the reports are written to.
    #[arg(long, default_value = "reports")]
    pub out: PathBuf,
    /// Indent report.json for reading (it is compact by default).
    #[arg(long)]
    pub pretty: bool,
}

pub const COMPARE_EXAMPLES: &str = "\
Examples:
  rehearse compare main/report.json branch/report.json
  rehearse compare old.json new.json --markdown --fail-on-regression > compare.md

A change counts when it is at least 20% and 50 ms larger (or smaller); a lock mode stronger
than any the relation had before always counts.
Exit codes: 0 compared (or no regression with --fail-on-regression); 1 a regression with
--fail-on-regression; 2 a file is missing or not a report.";

#[derive(Args)]
pub struct CompareArgs {
    /// The report of the baseline run (e.g. main).
    pub old: PathBuf,
    /// The report of the run to judge (e.g. the branch).
    pub new: PathBuf,
    /// Print Markdown (for a pull-request comment) instead of plain text.
    #[arg(long)]
    pub markdown: bool,
    /// Exit 1 when something got slower or locks longer.
    #[arg(long)]
    pub fail_on_regression: bool,
}

pub const RUN_EXAMPLES: &str = "\
Examples:
  rehearse run scenarios/quickstart --out reports/quickstart
      a folder holding rehearse.toml, on the default provider (auto)
  rehearse run db/migrations
      a bare migrations folder: format detected, every default applies
  rehearse run rehearse.toml --provider docker --image postgres:17
  rehearse run db/migrations --provider local --pg-version 15
  rehearse run db/migrations --provider url --url postgresql://ci@localhost:5432/postgres
  rehearse run db/migrations --url postgresql://ci@staging-db:5432/app --clone
      rehearse the migrations app has not applied yet, on a copy of app's rows
  rehearse run db/migrations --url postgresql://ci@staging-db:5432/app --in-transaction
      the same on app itself, every migration inside a transaction that is rolled back
  rehearse run scenarios/saas --scale 0.01 --seed 7
      seed the scenario's dataset at 1% of its rows, with a fixed seed
  rehearse run db/migrations --timeout 40m
      stop (cancelling the running statement) and write the partial report after 40 minutes

Every statement has a 10min statement_timeout unless the scenario, the server or the migration
sets one. --url honours libpq's application_name, connect_timeout, options, hostaddr,
target_session_attrs and keepalives parameters, and TLS as libpq does (sslmode up to verify-full,
sslrootcert, sslcert/sslkey); it refuses any other parameter by name rather than drop it.
Exit codes: 0 every migration passed; 1 something failed (a verdict or a gate, or --timeout ran
out); 2 bad usage or bad input; 3 the environment failed (no Docker, no PostgreSQL binaries).";

#[derive(Args)]
pub struct RunArgs {
    /// A scenario file, a folder holding rehearse.toml, or a bare migrations folder.
    pub path: PathBuf,
    /// Folder the reports are written to.
    #[arg(long, default_value = "reports")]
    pub out: PathBuf,
    /// Indent report.json for reading (it is compact by default).
    #[arg(long)]
    pub pretty: bool,
    /// The longest the whole run may take, e.g. 20min (replaces [run] timeout). Past it the
    /// running statement is cancelled, the partial report is written with that migration
    /// marked timed_out, and the run exits 1.
    #[arg(long, value_name = "DURATION", value_parser = parse_timeout)]
    pub timeout: Option<(String, f64)>,
    /// For each hazard whose rule has a mechanical rewrite (CONCURRENTLY, NOT VALID then
    /// VALIDATE, a validated CHECK before SET NOT NULL, lock_timeout with retries), rehearse the
    /// rewritten migration beside the original on copies of the same state and report both
    /// (hazards[].proof in report.json).
    #[arg(long)]
    pub prove_fixes: bool,
    /// Force a migration format instead of detecting it (by-name: the whole file name is the
    /// version, in name order; maragu: maragudk/migrate's layout and table).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// The value of a Go template action the folder's runner renders in its files (gobuffalo
    /// pop's `{{ index .Options "Namespace" }}` is `--template Options.Namespace=auth`); over
    /// the scenario's `[migrations.template]`. Repeatable.
    #[arg(long, value_name = "NAME=VALUE")]
    pub template: Vec<String>,
    /// Where the ephemeral PostgreSQL comes from.
    #[arg(long, value_enum)]
    pub provider: Option<ProviderChoice>,
    /// Docker image (default postgres:<version>).
    #[arg(long)]
    pub image: Option<String>,
    /// PostgreSQL major version.
    #[arg(long = "pg-version")]
    pub pg_version: Option<u32>,
    /// Server for --provider url; a scratch database is created and dropped there.
    #[arg(long, env = "REHEARSE_URL", hide_env_values = true)]
    pub url: Option<String>,
    /// Accept a --url target that does not look disposable (not loopback, no test/ci/staging in its name).
    #[arg(long)]
    pub allow_non_disposable: bool,
    /// With --url: the scratch database starts as a copy of the URL's database, schema and
    /// rows, which is only ever read. auto (default): a template copy when nobody else is
    /// connected to it, else pg_dump's schema and parallel binary COPY.
    #[arg(long, value_name = "METHOD", value_enum, num_args = 0..=1, default_missing_value = "auto")]
    pub clone: Option<crate::provision::clone::CloneMethod>,
    /// With --url: rehearse on the URL's database itself, every migration inside one
    /// transaction that is always rolled back (lock_timeout 2s and statement_timeout 30s unless
    /// the scenario sets them). For a server where nothing can be cloned.
    #[arg(long, conflicts_with = "clone")]
    pub in_transaction: bool,
    /// Where the server's data directory goes (local provider), or the host folder mounted as
    /// the container's data directory (docker): on XFS (reflink=1) or btrfs, PostgreSQL 18
    /// then clones the template and every reset instead of copying them (replaces
    /// [database] data_dir).
    #[arg(long, value_name = "PATH")]
    pub data_dir: Option<PathBuf>,
    /// Connections streaming rows at once for --clone (default 4).
    #[arg(long, value_name = "N", requires = "clone", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub clone_jobs: Option<u16>,
    /// Apply migrations up to this version before the rehearsal instead of rehearsing them.
    #[arg(long)]
    pub baseline: Option<String>,
    /// Rehearse only the migrations added or changed since this git ref (e.g. origin/main);
    /// the ones before the first of them are the baseline. A migration the ref already had
    /// whose forward script changed is an edited_history finding.
    #[arg(long, value_name = "REF", conflicts_with = "baseline")]
    pub since: Option<String>,
    /// Keep the state after the baseline and seeding in this folder, keyed by everything that
    /// made it, and restore it on the next run instead of replaying (replaces [cache] dir).
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// The most the cache folder may hold, e.g. 10GB; least recently used entries go first
    /// (replaces [cache] max).
    #[arg(long, value_name = "SIZE", value_parser = crate::cache::size::parse_size)]
    pub cache_max: Option<u64>,
    /// Rehearse only the K-th of N contiguous slices of the pending migrations (e.g. 2/4),
    /// those before it applied as baseline; join the N report.json with `rehearse merge`.
    #[arg(long, value_name = "K/N", value_parser = crate::migrations::shard::Shard::parse)]
    pub shard: Option<crate::migrations::shard::Shard>,
    /// Multiply every table's row count of the dataset (overrides [dataset] scale).
    #[arg(long)]
    pub scale: Option<f64>,
    /// Seed of the synthetic data: the same seed gives the same rows (overrides [dataset] seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Rows for each table the dataset does not define, before scale (overrides [dataset] default_rows; default 1000).
    #[arg(long, value_name = "N")]
    pub rows: Option<u64>,
    /// Seed no rows at all: the migrations run on the tables as the migrations leave them.
    #[arg(long, conflicts_with_all = ["scale", "seed", "rows", "dataset", "predict"])]
    pub no_seed: bool,
    /// Rehearse at 1/4, 1/2 and all of the seeded rows, and predict each migration's duration,
    /// lock hold, WAL and blocked time on production's rows (`production_rows` in the dataset,
    /// or rows under a scale below 1), each with its interval ([dataset] predict = true).
    #[arg(long)]
    pub predict: bool,
    /// Seed from this definition file (overrides [dataset] generators), e.g. one written by
    /// `rehearse profile`.
    #[arg(long, value_name = "FILE")]
    pub dataset: Option<PathBuf>,
    #[command(flatten)]
    pub gates: GateArgs,
}

/// `--timeout`: the text as written (for the messages) and milliseconds, more than zero.
fn parse_timeout(text: &str) -> Result<(String, f64), String> {
    let ms = crate::scenario::gates::parse_duration(text)?;
    if ms <= 0.0 {
        return Err(format!(
            "{text} is not a timeout: give a duration of more than zero, such as 20min"
        ));
    }
    Ok((text.trim().to_string(), ms))
}

/// Gates; each flag replaces the scenario's [gates] value.
#[derive(Args)]
#[command(next_help_heading = "Gates")]
pub struct GateArgs {
    /// Longest a migration may take in one direction, e.g. 30s: a gate judged on what was
    /// measured, so it never stops a statement (--timeout and statement_timeout do).
    #[arg(long, value_name = "DURATION", value_parser = crate::scenario::gates::parse_duration)]
    pub max_duration: Option<f64>,
    /// Longest a lock mode may be held, e.g. AccessExclusiveLock=2s (repeatable).
    #[arg(long, value_name = "MODE=DURATION", value_parser = crate::gate::parse_lock_limit)]
    pub max_lock_hold: Vec<(String, f64)>,
    /// Longest one workload query may be blocked by the migration, e.g. 500ms.
    #[arg(long, value_name = "DURATION", value_parser = crate::scenario::gates::parse_duration)]
    pub max_blocked: Option<f64>,
    /// Do not fail migrations that have no rollback script.
    #[arg(long)]
    pub allow_missing_rollback: bool,
    /// Approvals file for destructive and irreversible migrations (default: approvals.toml beside the scenario).
    #[arg(long, value_name = "FILE")]
    pub approvals: Option<PathBuf>,
}
