//! The `rehearse` command line: arguments ([`args`]) and what each command does with them
//! ([`commands`]). The binary parses, runs one command and exits with its code; everything a
//! command does is a library call, so the binary stays a thin shell.

pub mod args;
pub mod commands;

pub use args::{Cli, Command};
