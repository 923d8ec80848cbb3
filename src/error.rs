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
    match e.as_db_error() {
        Some(d) => d.message().to_string(),
        // "error connecting to server" says nothing without its cause ("Connection refused").
        None => match std::error::Error::source(e) {
            Some(cause) => format!("{e}: {cause}"),
            None => e.to_string(),
        },
    }
}

/// A parser's message of a readable size. PostgreSQL quotes the text "at or near" an error, and
/// for an unterminated quote that text is the rest of the file: it is cut to its first line.
/// Whatever remains is capped, so that no input is ever echoed whole.
pub fn shorten(message: &str) -> String {
    const NEAR: &str = "near \"";
    const TOKEN_MAX: usize = 60;
    const MAX: usize = 500;
    let mut out = String::new();
    let mut rest = message;
    while let Some(at) = rest.find(NEAR) {
        let (before, token) = rest.split_at(at + NEAR.len());
        out.push_str(before);
        let end = token.rfind('"').unwrap_or(token.len());
        let quoted = &token[..end];
        let first = quoted.lines().next().unwrap_or_default();
        if first.len() < quoted.len() || first.chars().count() > TOKEN_MAX {
            out.extend(first.chars().take(TOKEN_MAX));
            out.push_str("...");
        } else {
            out.push_str(quoted);
        }
        rest = &token[end..];
    }
    out.push_str(rest);
    if out.chars().count() > MAX {
        out = format!("{}...", out.chars().take(MAX).collect::<String>());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_near_an_error_is_cut_to_its_first_line() {
        let long = format!(
            "unterminated quoted string at or near \"'abc);\n{}\"",
            "INSERT INTO t VALUES (1);\n".repeat(10_000)
        );
        assert_eq!(
            shorten(&long),
            "unterminated quoted string at or near \"'abc);...\""
        );
        assert_eq!(
            shorten("syntax error at or near \"ADDD\""),
            "syntax error at or near \"ADDD\""
        );
        assert!(shorten(&"x".repeat(10_000)).len() <= 503);
    }
}
