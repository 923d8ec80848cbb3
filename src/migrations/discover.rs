//! Discovery: which files form which migration, in which format.

use super::{Format, MigrationError, MigrationSet};
use std::path::Path;

/// Reads a migrations folder, detecting its format unless `forced`.
pub fn discover(_root: &Path, _forced: Option<Format>) -> Result<MigrationSet, MigrationError> {
    todo!("migration discovery")
}
