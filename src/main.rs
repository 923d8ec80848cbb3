//! The `rehearse` binary: parse arguments, call the library, map errors to exit codes.

use clap::{Args, Parser, Subcommand};
use rehearse::gate;
use rehearse::migrations::Format;
use rehearse::pipeline::{self, Outcome};
use rehearse::provision::{cleanup, ProviderChoice};
use rehearse::report::{self, Verdict};
use rehearse::scenario::{Overrides, Scenario};
use rehearse::{compare, render};
use rehearse::{Error, ExitCode};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "rehearse",
    version,
    about = "Rehearse PostgreSQL schema migrations forward and back on an ephemeral database before they reach production"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
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
    /// Write report.md, report.html and junit.xml again from a report.json.
    Render(RenderArgs),
    /// Remove what killed runs left behind: containers, local servers and folders, and with
    /// --url their scratch databases. What live runs hold is never touched.
    #[command(after_help = CLEAN_EXAMPLES)]
    Clean(CleanArgs),
}

const CLEAN_EXAMPLES: &str = "\
Examples:
  rehearse clean
  rehearse clean --url postgresql://ci@staging-db:5432/postgres

Every run marks what it creates with this machine and its process id; `clean` removes what
belongs to runs that are no longer running on this machine (every run also does this for its
provider before it starts). Things made by older versions, or by other machines, are left alone.
Exit codes: 0 done (each removal printed); 3 Docker or the --url server could not be asked.";

#[derive(Args)]
struct CleanArgs {
    /// Also drop the scratch databases killed runs left on this server.
    #[arg(long, env = "REHEARSE_URL", hide_env_values = true)]
    url: Option<String>,
}

const PROFILE_EXAMPLES: &str = "\
Examples:
  rehearse profile --url postgresql://ci@replica:5432/app --out data-generators/prod.toml
  rehearse run migrations/ --dataset data-generators/prod.toml --scale 0.1

Reads pg_class and pg_stats on a read-only connection (CONNECT and SELECT on the catalogs are
enough; a table never analyzed is counted). Text values are replaced by synthetic ones of the
same width and weight unless an enum or CHECK names them or --include-values is given.
Exit codes: 0 written; 2 bad input; 3 the server could not be reached or read.";

#[derive(Args)]
struct ProfileArgs {
    /// The database to profile (its password is never printed).
    #[arg(long, env = "REHEARSE_URL", hide_env_values = true)]
    url: String,
    /// The definition file to write.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Schemas to profile (repeatable; default public).
    #[arg(long = "schema", value_name = "SCHEMA")]
    schemas: Vec<String>,
    /// Copy the most common text values as they are (they may be personal data).
    #[arg(long)]
    include_values: bool,
    /// Leave out the bounds and common values of numbers, dates and timestamps too.
    #[arg(long)]
    no_values: bool,
    /// Instead of writing a profile, compare the database with this one (a twin seeded from
    /// it): exit 0 when every table and column is within tolerance, 1 when one is not.
    #[arg(long, value_name = "FILE", conflicts_with = "out")]
    compare: Option<PathBuf>,
    /// With --compare: the scale the twin was seeded at (its rows against the profile's).
    #[arg(long, default_value_t = 1.0, requires = "compare")]
    scale: f64,
}

const SNAPSHOT_EXAMPLES: &str = "\
Examples:
  rehearse snapshot --url postgresql://ci@staging-db:5432/app --out schema.json

Exit codes: 0 written; 2 bad input; 3 the server could not be reached.";

const DIFF_EXAMPLES: &str = "\
Examples:
  rehearse diff schema.json postgresql://ci@staging-db:5432/app
      the drift check: does staging still have the schema we recorded?
  rehearse diff before.json after.json

Exit codes: 0 no difference; 1 differences (each named); 2 bad input (a missing or
malformed file); 3 a server could not be reached.";

#[derive(Args)]
struct SnapshotArgs {
    /// The database to read (its password is never printed).
    #[arg(long, env = "REHEARSE_URL", hide_env_values = true)]
    url: String,
    /// The JSON file to write.
    #[arg(long, default_value = "schema.json")]
    out: PathBuf,
}

#[derive(Args)]
struct DiffArgs {
    /// The expected schema: a postgresql:// URL or a snapshot file.
    before: String,
    /// The actual schema: a postgresql:// URL or a snapshot file.
    after: String,
}

#[derive(Args)]
struct RenderArgs {
    /// A report.json written by `rehearse run`.
    report: PathBuf,
    /// Folder the reports are written to.
    #[arg(long, default_value = "reports")]
    out: PathBuf,
}

const COMPARE_EXAMPLES: &str = "\
Examples:
  rehearse compare main/report.json branch/report.json
  rehearse compare old.json new.json --markdown --fail-on-regression > compare.md

A change counts when it is at least 20% and 50 ms larger (or smaller); a lock mode stronger
than any the relation had before always counts.
Exit codes: 0 compared (or no regression with --fail-on-regression); 1 a regression with
--fail-on-regression; 2 a file is missing or not a report.";

#[derive(Args)]
struct CompareArgs {
    /// The report of the baseline run (e.g. main).
    old: PathBuf,
    /// The report of the run to judge (e.g. the branch).
    new: PathBuf,
    /// Print Markdown (for a pull-request comment) instead of plain text.
    #[arg(long)]
    markdown: bool,
    /// Exit 1 when something got slower or locks longer.
    #[arg(long)]
    fail_on_regression: bool,
}

const RUN_EXAMPLES: &str = "\
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

Exit codes: 0 every migration passed; 1 something failed (a verdict or a gate);
2 bad usage or bad input; 3 the environment failed (no Docker, no PostgreSQL binaries).";

#[derive(Args)]
struct RunArgs {
    /// A scenario file, a folder holding rehearse.toml, or a bare migrations folder.
    path: PathBuf,
    /// Folder the reports are written to.
    #[arg(long, default_value = "reports")]
    out: PathBuf,
    /// Force a migration format instead of detecting it.
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Where the ephemeral PostgreSQL comes from.
    #[arg(long, value_enum)]
    provider: Option<ProviderChoice>,
    /// Docker image (default postgres:<version>).
    #[arg(long)]
    image: Option<String>,
    /// PostgreSQL major version.
    #[arg(long = "pg-version")]
    pg_version: Option<u32>,
    /// Server for --provider url; a scratch database is created and dropped there.
    #[arg(long, env = "REHEARSE_URL", hide_env_values = true)]
    url: Option<String>,
    /// Accept a --url target that does not look disposable (not loopback, no test/ci/staging in its name).
    #[arg(long)]
    allow_non_disposable: bool,
    /// With --url: the scratch database starts as a copy of the URL's database, schema and
    /// rows, which is only ever read. auto (default): a template copy when nobody else is
    /// connected to it, else pg_dump's schema and parallel binary COPY.
    #[arg(long, value_name = "METHOD", value_enum, num_args = 0..=1, default_missing_value = "auto")]
    clone: Option<rehearse::provision::clone::CloneMethod>,
    /// With --url: rehearse on the URL's database itself, every migration inside one
    /// transaction that is always rolled back (lock_timeout 2s and statement_timeout 30s unless
    /// the scenario sets them). For a server where nothing can be cloned.
    #[arg(long, conflicts_with = "clone")]
    in_transaction: bool,
    /// Connections streaming rows at once for --clone (default 4).
    #[arg(long, value_name = "N", requires = "clone", value_parser = clap::value_parser!(u16).range(1..=64))]
    clone_jobs: Option<u16>,
    /// Apply migrations up to this version before the rehearsal instead of rehearsing them.
    #[arg(long)]
    baseline: Option<String>,
    /// Multiply every table's row count of the dataset (overrides [dataset] scale).
    #[arg(long)]
    scale: Option<f64>,
    /// Seed of the synthetic data: the same seed gives the same rows (overrides [dataset] seed).
    #[arg(long)]
    seed: Option<u64>,
    /// Rows for each table the dataset does not define, before scale (overrides [dataset] default_rows; default 1000).
    #[arg(long, value_name = "N")]
    rows: Option<u64>,
    /// Seed no rows at all: the migrations run on the tables as the migrations leave them.
    #[arg(long, conflicts_with_all = ["scale", "seed", "rows", "dataset"])]
    no_seed: bool,
    /// Seed from this definition file (overrides [dataset] generators), e.g. one written by
    /// `rehearse profile`.
    #[arg(long, value_name = "FILE")]
    dataset: Option<PathBuf>,
    #[command(flatten)]
    gates: GateArgs,
}

/// Gates; each flag replaces the scenario's [gates] value.
#[derive(Args)]
#[command(next_help_heading = "Gates")]
struct GateArgs {
    /// Longest a migration may take in one direction, e.g. 30s.
    #[arg(long, value_name = "DURATION", value_parser = rehearse::scenario::gates::parse_duration)]
    max_duration: Option<f64>,
    /// Longest a lock mode may be held, e.g. AccessExclusiveLock=2s (repeatable).
    #[arg(long, value_name = "MODE=DURATION", value_parser = gate::parse_lock_limit)]
    max_lock_hold: Vec<(String, f64)>,
    /// Longest one workload query may be blocked by the migration, e.g. 500ms.
    #[arg(long, value_name = "DURATION", value_parser = rehearse::scenario::gates::parse_duration)]
    max_blocked: Option<f64>,
    /// Do not fail migrations that have no rollback script.
    #[arg(long)]
    allow_missing_rollback: bool,
    /// Approvals file for destructive and irreversible migrations (default: approvals.toml beside the scenario).
    #[arg(long, value_name = "FILE")]
    approvals: Option<PathBuf>,
}

/// Writes to stdout; a reader that went away (`rehearse diff A B | head -3`) ends the output
/// quietly instead of panicking, and the run still cleans up and exits with its own code.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($arg)*);
    }};
}

macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            rehearse::say!("rehearse: could not start the async runtime: {e}");
            return std::process::ExitCode::from(ExitCode::Environment as u8);
        }
    };
    let code = runtime.block_on(async {
        cleanup::install_signal_handlers();
        match cli.command {
            // `run` hears the signal itself: it writes its partial report before it returns.
            Command::Run(args) => run(*args).await,
            // Any other command stops where it is: dropping its work releases what it holds.
            other => tokio::select! {
                code = command(other) => code,
                _ = cleanup::interruption() => ExitCode::Fail,
            },
        }
    });
    // Anything still registered (a panic in a task, say) is released before we go; when a signal
    // interrupted the run, this waits for the handler's release and exits with the signal's code.
    cleanup::release_all();
    if let Some(signal_code) = cleanup::interrupted() {
        std::process::exit(signal_code);
    }
    drop(runtime);
    std::process::ExitCode::from(code as u8)
}

async fn command(command: Command) -> ExitCode {
    match command {
        Command::Run(args) => run(*args).await,
        Command::Snapshot(args) => report_error(write_snapshot(args).await),
        Command::Diff(args) => report_error(diff(args).await),
        Command::Compare(args) => compare(args),
        Command::Profile(args) => report_error(write_profile(args).await),
        Command::Render(args) => render(args),
        Command::Clean(args) => clean(args).await,
    }
}

fn render(args: RenderArgs) -> ExitCode {
    if let Err(e) = render::prepare_out_dir(&args.out) {
        rehearse::say!("rehearse: {e}");
        return ExitCode::BadInput;
    }
    let report = match report::read_json(&args.report) {
        Ok(r) => r,
        Err(e) => {
            rehearse::say!("rehearse: {e}");
            return ExitCode::BadInput;
        }
    };
    match render::write_all(&report, &args.out) {
        Ok(w) => {
            outln!(
                "reports: {}, {}, {}, {}",
                w.json.display(),
                w.markdown.display(),
                w.html.display(),
                w.junit.display()
            );
            ExitCode::Pass
        }
        Err(e) => {
            rehearse::say!(
                "rehearse: could not write the reports into {}: {e}",
                args.out.display()
            );
            ExitCode::Environment
        }
    }
}

fn compare(args: CompareArgs) -> ExitCode {
    let (old, new) = match (report::read_json(&args.old), report::read_json(&args.new)) {
        (Ok(o), Ok(n)) => (o, n),
        (Err(e), _) | (_, Err(e)) => {
            rehearse::say!("rehearse: {e}");
            return ExitCode::BadInput;
        }
    };
    let comparison = compare::compare(&old, &new);
    if args.markdown {
        out!("{}", compare::render_markdown(&comparison));
    } else {
        out!("{}", compare::render_text(&comparison));
    }
    if args.fail_on_regression && comparison.regressions() > 0 {
        ExitCode::Fail
    } else {
        ExitCode::Pass
    }
}

async fn clean(args: CleanArgs) -> ExitCode {
    use rehearse::provision::{docker, leftovers, url};
    let mut removed = leftovers::reap_local_folders(&std::env::temp_dir());
    let mut code = ExitCode::Pass;
    match docker::reap_dead_runs().await {
        Ok(containers) => removed.extend(containers),
        Err(why) => rehearse::say!("rehearse: containers not checked: {why}"),
    }
    if let Some(target) = &args.url {
        let outcome = match url::parse(target) {
            Ok(target) => leftovers::reap_scratch_databases(&target).await,
            Err(e) => Err(e.to_string()),
        };
        match outcome {
            Ok(databases) => removed.extend(databases),
            Err(why) => {
                rehearse::say!("rehearse: {}", report::redact(&why));
                code = ExitCode::Environment;
            }
        }
    }
    for what in &removed {
        println!("removed {}", report::redact(what));
    }
    if removed.is_empty() {
        println!("nothing to remove: no run that is gone left anything behind");
    }
    code
}

async fn run(args: RunArgs) -> ExitCode {
    match try_run(args).await {
        Ok(code) => code,
        Err(e) => {
            rehearse::say!("rehearse: {}", report::redact(&e.to_string()));
            e.exit_code()
        }
    }
}

fn report_error(result: Result<ExitCode, Error>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(e) => {
            rehearse::say!("rehearse: {}", report::redact(&e.to_string()));
            e.exit_code()
        }
    }
}

async fn write_snapshot(args: SnapshotArgs) -> Result<ExitCode, Error> {
    let snapshot = rehearse::snapshot::source::from_url(&args.url).await?;
    snapshot
        .save(&args.out)
        .map_err(|e| Error::Input(format!("could not write {}: {e}", args.out.display())))?;
    rehearse::say!(
        "rehearse: {} objects of {} written to {}",
        snapshot.object_count(),
        report::redact(&args.url),
        args.out.display()
    );
    Ok(ExitCode::Pass)
}

async fn write_profile(args: ProfileArgs) -> Result<ExitCode, Error> {
    let request = rehearse::profile::ProfileRequest {
        url: args.url,
        schemas: if args.schemas.is_empty() {
            vec!["public".into()]
        } else {
            args.schemas
        },
        values: rehearse::profile::fit::ValuePolicy {
            text: args.include_values,
            numbers: !args.no_values,
        },
    };
    if let Some(file) = &args.compare {
        let checks = rehearse::profile::compare_with(&request, file, args.scale).await?;
        let mut out = String::new();
        for c in &checks {
            out.push_str(&c.line());
            out.push('\n');
        }
        let failed = checks.iter().filter(|c| !c.ok).count();
        out.push_str(&format!(
            "{} of {} checks within tolerance against {}\n",
            checks.len() - failed,
            checks.len(),
            file.display()
        ));
        out!("{}", report::redact(&out));
        return Ok(if failed == 0 {
            ExitCode::Pass
        } else {
            ExitCode::Fail
        });
    }
    let out = args.out.unwrap_or_else(|| PathBuf::from("profile.toml"));
    let text = rehearse::profile::profile(&request).await?;
    std::fs::write(&out, &text)
        .map_err(|e| Error::Input(format!("could not write {}: {e}", out.display())))?;
    rehearse::say!(
        "rehearse: profile of {} ({} tables) written to {}",
        report::redact(&request.url),
        text.matches("\nrows = ").count(),
        out.display()
    );
    Ok(ExitCode::Pass)
}

async fn diff(args: DiffArgs) -> Result<ExitCode, Error> {
    let before = rehearse::snapshot::source::load(&args.before).await?;
    let after = rehearse::snapshot::source::load(&args.after).await?;
    let differences = rehearse::snapshot::diff(&before, &after);
    let mut out = String::new();
    for d in &differences {
        out.push_str(&format!("{} {}: {}\n", d.kind, d.object, d.detail));
        if let Some(b) = &d.before {
            out.push_str(&format!("    before: {b}\n"));
        }
        if let Some(a) = &d.after {
            out.push_str(&format!("    after:  {a}\n"));
        }
    }
    out!("{}", report::redact(&out));
    let (b, a) = (report::redact(&args.before), report::redact(&args.after));
    if differences.is_empty() {
        outln!("no difference between {b} and {a}");
        Ok(ExitCode::Pass)
    } else {
        outln!("{} differences between {b} and {a}", differences.len());
        Ok(ExitCode::Fail)
    }
}

async fn try_run(args: RunArgs) -> Result<ExitCode, Error> {
    let mut scenario = Scenario::load(&args.path)?;
    let dataset = match &args.dataset {
        Some(file) if !file.is_file() => {
            return Err(Error::Input(format!(
                "--dataset {}: no such file",
                file.display()
            )))
        }
        Some(file) => Some(std::path::absolute(file).unwrap_or_else(|_| file.clone())),
        None => None,
    };
    scenario.apply(Overrides {
        format: args.format,
        provider: args.provider,
        image: args.image,
        pg_version: args.pg_version,
        url: args.url,
        allow_non_disposable: args.allow_non_disposable,
        baseline: args.baseline,
        scale: args.scale,
        seed: args.seed,
        rows: args.rows,
        no_seed: args.no_seed,
        dataset,
        clone: args.clone,
        clone_jobs: args.clone_jobs.map(usize::from),
        in_transaction: args.in_transaction,
    })?;

    let gates = gate::GateOverrides {
        max_duration_ms: args.gates.max_duration,
        max_lock_hold: args.gates.max_lock_hold,
        max_blocked_ms: args.gates.max_blocked,
        allow_missing_rollback: args.gates.allow_missing_rollback,
        approvals_file: args.gates.approvals,
    };
    match pipeline::run(&scenario, &args.out, &gates).await? {
        // The exit code is the signal's, set by `main`.
        Outcome::Interrupted => Ok(ExitCode::Fail),
        Outcome::Finished { report, json } => {
            out!("{}", report::redact(&render::summary::render(&report)));
            outln!(
                "reports: {} (also report.md, report.html, junit.xml)",
                json.display()
            );
            Ok(if report.verdict == Verdict::Pass {
                ExitCode::Pass
            } else {
                ExitCode::Fail
            })
        }
    }
}
