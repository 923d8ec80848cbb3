//! The `rehearse` binary: parse arguments, run one command on an async runtime, release what is
//! still held, and exit with the command's code (or the signal's).

use clap::Parser;
use rehearse::cli::{commands, Cli, Command};
use rehearse::provision::cleanup;
use rehearse::ExitCode;

fn main() -> std::process::ExitCode {
    // Every password given on the command line or in the environment is remembered before
    // anything can print, so that no output (an error, a usage line) can carry it.
    for arg in std::env::args_os().skip(1) {
        rehearse::redact::remember_in(&arg.to_string_lossy());
    }
    if let Some(url) = std::env::var_os("REHEARSE_URL") {
        rehearse::redact::remember_in(&url.to_string_lossy());
    }
    // clap's own messages (a usage error quotes the argument) go through the same redaction.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use std::io::Write as _;
            let text = rehearse::redact::redact(&e.render().to_string());
            let _ = if e.use_stderr() {
                write!(std::io::stderr().lock(), "{text}")
            } else {
                write!(std::io::stdout().lock(), "{text}")
            };
            return std::process::ExitCode::from(e.exit_code() as u8);
        }
    };
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
            Command::Run(args) => commands::run(*args).await,
            // Any other command stops where it is: dropping its work releases what it holds.
            other => tokio::select! {
                code = commands::command(other) => code,
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
