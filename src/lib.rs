//! `rehearse`: rehearse PostgreSQL schema migrations forward and back on an ephemeral database.
//!
//! The pipeline runs one way (see DESIGN.md): scenario → plan → provision → baseline → seed →
//! rehearsal → report → gates. Each stage is a module with one job; the binary in `main.rs` only
//! parses arguments and maps [`Error`] to exit codes.

pub mod error;
pub mod gate;
pub mod identifier;
pub mod migrations;
pub mod probe;
pub mod profile;
pub mod provision;
pub mod rehearsal;
pub mod report;
pub mod scenario;
pub mod seed;
pub mod snapshot;
pub mod toml_lines;

pub use error::{Error, ExitCode};
