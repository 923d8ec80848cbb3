//! The `rehearse` binary: parse arguments, call the library, map errors to exit codes.

use clap::{Args, Parser, Subcommand};
use rehearse::migrations::{self, Format};
use rehearse::provision::{cleanup, ProviderChoice};
use rehearse::rehearsal::{self, PlainProgress};
use rehearse::report::{self, Verdict};
use rehearse::scenario::Scenario;
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
    Run(RunArgs),
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
    /// Apply migrations up to this version before the rehearsal instead of rehearsing them.
    #[arg(long)]
    baseline: Option<String>,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("rehearse: could not start the async runtime: {e}");
            return std::process::ExitCode::from(ExitCode::Environment as u8);
        }
    };
    let code = runtime.block_on(async {
        cleanup::install_signal_handlers();
        match cli.command {
            Command::Run(args) => run(args).await,
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

async fn run(args: RunArgs) -> ExitCode {
    match try_run(args).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("rehearse: {}", report::redact(&e.to_string()));
            e.exit_code()
        }
    }
}

async fn try_run(args: RunArgs) -> Result<ExitCode, Error> {
    let mut scenario = Scenario::load(&args.path)?;
    if let Some(f) = args.format {
        scenario.format = Some(f);
    }
    if let Some(p) = args.provider {
        scenario.database.provider = p;
    }
    if args.image.is_some() {
        scenario.database.image = args.image;
    }
    if args.pg_version.is_some() {
        scenario.database.major = args.pg_version;
    }
    if args.url.is_some() {
        scenario.database.url = args.url;
    }
    if args.baseline.is_some() {
        scenario.baseline = args.baseline;
    }
    if scenario.database.url.is_some()
        && args.provider.is_none()
        && scenario.raw.database.provider.is_none()
    {
        scenario.database.provider = ProviderChoice::Url;
    }
    scenario.database.allow_non_disposable |= args.allow_non_disposable;

    // Everything the user wrote is checked before anything starts.
    let set = migrations::discover(&scenario.migrations_dir, scenario.format)?;
    let report = rehearsal::rehearse(&scenario, &set, &PlainProgress).await?;
    if cleanup::interrupted().is_some() {
        // The servers were taken away under the run: its report would only show the interruption.
        return Ok(ExitCode::Fail);
    }
    let path = report::write_json(&report, &args.out).map_err(|e| {
        Error::Environment(format!(
            "could not write the report into {}: {e}",
            args.out.display()
        ))
    })?;
    print!("{}", report::summary::render(&report));
    println!("report: {}", path.display());
    Ok(if report.verdict == Verdict::Pass {
        ExitCode::Pass
    } else {
        ExitCode::Fail
    })
}
