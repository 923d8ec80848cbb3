//! Statement splitting with the real PostgreSQL parser (libpg_query).

use super::{MigrationError, Statement};
use std::path::Path;

/// Splits `sql` (whose first line is line `first_line` of `path`) into statements.
pub fn split_statements(
    _path: &Path,
    _sql: &str,
    _first_line: usize,
) -> Result<Vec<Statement>, MigrationError> {
    todo!("statement splitting")
}
