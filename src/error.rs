//! The library's top-level error, and the exit code contract of DESIGN.md.
//!
//! Every variant's message is one sentence a user can act on: it names the file, line or object.

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

impl From<crate::migrations::MigrationError> for Error {
    fn from(e: crate::migrations::MigrationError) -> Self {
        Error::Input(e.to_string())
    }
}

impl From<crate::scenario::ScenarioError> for Error {
    fn from(e: crate::scenario::ScenarioError) -> Self {
        Error::Input(e.to_string())
    }
}

impl From<crate::provision::ProvisionError> for Error {
    fn from(e: crate::provision::ProvisionError) -> Self {
        match e {
            crate::provision::ProvisionError::Refused(_) => Error::Input(e.to_string()),
            _ => Error::Environment(e.to_string()),
        }
    }
}

/// What the server said, for a sentence: `tokio_postgres`'s own text of a server error is only
/// "db error", so the server's message is taken when there is one.
pub fn server_message(e: &tokio_postgres::Error) -> String {
    e.as_db_error()
        .map(|d| d.message().to_string())
        .unwrap_or_else(|| e.to_string())
}
