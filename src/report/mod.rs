//! The report: one serde model (the `report.json` contract of DESIGN.md) that every stage writes
//! into, the measures derived from it, and reading and writing `report.json`. The renderings live
//! in [`crate::render`], above it: nothing here renders, and nothing here talks to a database.

pub mod catalogue;
pub mod incremental;
pub mod measures;
pub mod model;
pub mod prediction;
pub mod proof;

pub use catalogue::{FindingKind, Promise};
pub use incremental::{CacheReport, ShardReport, SinceReport};
pub use model::*;
pub use prediction::Prediction;
pub use proof::{Proof, ProofRun, ProofVerdict};

use std::path::Path;

pub use crate::redact::redact;

/// How report.json is laid out: compact by default (a file a machine reads, its size linear in
/// what ran), indented with `--pretty` for a person reading it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum JsonStyle {
    #[default]
    Compact,
    Pretty,
}

/// Writes a compact `report.json` into `dir`, creating it.
pub fn write_json(report: &Report, dir: &Path) -> std::io::Result<std::path::PathBuf> {
    write_json_styled(report, dir, JsonStyle::Compact)
}

/// Writes `report.json` into `dir` laid out as `style` says, creating the folder.
pub fn write_json_styled(
    report: &Report,
    dir: &Path,
    style: JsonStyle,
) -> std::io::Result<std::path::PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join("report.json");
    let text = match style {
        JsonStyle::Compact => serde_json::to_string(report),
        JsonStyle::Pretty => serde_json::to_string_pretty(report),
    }
    .expect("the report model always serializes");
    std::fs::write(&path, redact(&text) + "\n")?;
    Ok(path)
}

/// Reads a report.json written by any version of schema 1.
pub fn read_json(path: &Path) -> Result<Report, String> {
    let text = crate::input::read_text(path)
        .map_err(|e| format!("{} cannot be read: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| {
        format!(
            "{}, line {}: not a rehearse report.json: {e}",
            path.display(),
            e.line()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_in_urls_are_masked() {
        assert_eq!(
            redact("postgresql://app:s3cret@db:5432/x"),
            "postgresql://app:***@db:5432/x"
        );
        assert_eq!(
            redact("host=db password=s3cret user=x"),
            "host=db password=*** user=x"
        );
        assert_eq!(redact("no secrets here"), "no secrets here");
    }
}
