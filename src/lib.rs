//! `rehearse`: rehearse PostgreSQL schema migrations forward and back on an ephemeral database.
//!
//! The pipeline runs one way (see DESIGN.md): scenario → plan → provision → baseline → seed →
//! rehearsal → report → gates. Each stage is a module with one job; [`pipeline::run`] runs them
//! all, [`cli`] holds what each command does with its arguments, and the binary in `main.rs` only
//! parses them, runs one command and exits with its code. Nothing below [`cli`] prints to stdout.

/// A line on stderr that never panics: a reader that went away (`rehearse run … 2>&1 | head`)
/// must not turn a rehearsal into a crash that leaves its database behind. Use it instead of
/// `eprintln!`, which panics when stderr is a closed pipe. Every line passes through
/// [`redact::redact`]: no password reaches stderr, whoever wrote the sentence.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let line = $crate::redact::redact(&format!($($arg)*));
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    }};
}

pub mod cache;
pub mod cli;
pub mod compare;
pub mod error;
pub mod gate;
pub mod identifier;
pub mod input;
pub mod lock_mode;
pub mod merge;
pub mod migrations;
pub mod pipeline;
pub mod predict;
pub mod probe;
pub mod profile;
pub mod provision;
pub mod redact;
pub mod rehearsal;
pub mod render;
pub mod report;
pub mod rules;
pub mod scenario;
pub mod seed;
pub mod server_text;
pub mod snapshot;
pub mod toml_lines;
pub mod words;

pub use error::{Error, ExitCode};
