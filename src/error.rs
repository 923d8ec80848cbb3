//! The library's top-level error, the exit code contract of DESIGN.md, and an I/O error said as
//! the end of a sentence.
//!
//! Every variant's message is one sentence a user can act on: it names the file, line or object.
//! A leaf: each module turns its own error into this one (its `From` impl lives beside that error),
//! so nothing here names a module above it.

use thiserror::Error;

/// Exit codes, as DESIGN.md fixes them. Scripts rely on these numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Every migration passed.
    Pass = 0,
    /// The rehearsal ran and something failed (a verdict or a gate).
    Fail = 1,
    /// Bad usage or bad input: scenario, migration files.
    BadInput = 2,
    /// The environment failed: no Docker, no PostgreSQL binaries, a server that did not start.
    Environment = 3,
}

#[derive(Debug, Error)]
pub enum Error {
    /// The user's input is wrong (exit 2).
    #[error("{0}")]
    Input(String),
    /// The environment could not give us a database (exit 3).
    #[error("{0}")]
    Environment(String),
}

impl Error {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::Input(_) => ExitCode::BadInput,
            Error::Environment(_) => ExitCode::Environment,
        }
    }
}

/// An I/O error as the end of a sentence ("permission denied"), without Rust's `(os error 13)`.
pub fn io_reason(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "it does not exist".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => {
            let text = error.to_string();
            match text.find(" (os error") {
                Some(cut) => text[..cut].to_lowercase(),
                None => text,
            }
        }
    }
}
