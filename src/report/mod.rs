//! The report: one serde model (the `report.json` contract of DESIGN.md); every output format is a
//! pure rendering of it. Nothing here talks to a database.

mod charts;
pub mod compare;
pub mod html;
pub mod junit;
pub mod markdown;
pub mod measures;
pub mod model;
pub mod summary;

pub use model::*;

use std::path::{Path, PathBuf};

pub use crate::redact::redact;

/// Writes `report.json` into `dir`, creating it.
pub fn write_json(report: &Report, dir: &Path) -> std::io::Result<std::path::PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join("report.json");
    let text = serde_json::to_string_pretty(report).expect("the report model always serializes");
    std::fs::write(&path, redact(&text) + "\n")?;
    Ok(path)
}

/// Reads a report.json written by any version of schema 1.
pub fn read_json(path: &Path) -> Result<Report, String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "{} cannot be read: {}",
            path.display(),
            crate::migrations::io_reason(&e)
        )
    })?;
    serde_json::from_str(&text).map_err(|e| {
        format!(
            "{}, line {}: not a rehearse report.json: {e}",
            path.display(),
            e.line()
        )
    })
}

/// The files [`write_all`] wrote.
#[derive(Debug, Clone)]
pub struct Written {
    pub json: PathBuf,
    pub markdown: PathBuf,
    pub html: PathBuf,
    pub junit: PathBuf,
}

/// Writes every rendering of the report into `dir` (created): `report.json`, `report.md`,
/// `report.html`, `junit.xml`. Each passes through [`redact`] on its way to disk.
/// Makes sure the reports can be written into `dir` before any work starts: it is created when
/// missing, and a file or an unwritable folder there is bad usage, said in one sentence.
pub fn prepare_out_dir(dir: &Path) -> Result<(), String> {
    if dir.exists() && !dir.is_dir() {
        return Err(format!(
            "--out {} is a file, not a folder: the reports (report.json, report.md, report.html, junit.xml) need a folder",
            dir.display()
        ));
    }
    std::fs::create_dir_all(dir).map_err(|e| {
        format!(
            "--out {}: the folder cannot be created: {}",
            dir.display(),
            crate::migrations::io_reason(&e)
        )
    })?;
    let probe = dir.join(".rehearse-write-check");
    std::fs::write(&probe, b"")
        .and_then(|_| std::fs::remove_file(&probe))
        .map_err(|e| {
            format!(
                "--out {}: the folder is not writable: {}",
                dir.display(),
                crate::migrations::io_reason(&e)
            )
        })
}

pub fn write_all(report: &Report, dir: &Path) -> std::io::Result<Written> {
    let json = write_json(report, dir)?;
    let write = |name: &str, text: String| -> std::io::Result<PathBuf> {
        let path = dir.join(name);
        std::fs::write(&path, redact(&text))?;
        Ok(path)
    };
    Ok(Written {
        json,
        markdown: write("report.md", markdown::render(report))?,
        html: write("report.html", html::render(report))?,
        junit: write("junit.xml", junit::render(report))?,
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
