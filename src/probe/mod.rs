//! The probe: runs a script's statements one at a time on the migration connection and observes
//! each one. It owns transaction handling: statements that can share the migration's transaction
//! do, statements that cannot run in one run alone, and a file's own BEGIN/COMMIT are respected.

pub mod execute;

pub use execute::run_script;
