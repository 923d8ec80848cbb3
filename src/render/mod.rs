//! The renderings of a report: Markdown, HTML (with its SVG charts), JUnit XML and the terminal
//! summary, and writing them all beside `report.json`. Pure text from the model in
//! [`crate::report`]; a renderer never reads a database, a file or the clock, and every file it
//! writes passes through [`redact`].

mod charts;
pub mod compare;
pub mod escape;
pub mod html;
pub mod junit;
pub mod markdown;
mod overview;
pub mod prediction;
pub mod proof;
pub mod summary;

use crate::redact::redact;
use crate::report::{write_json_styled, JsonStyle, Report};
use std::path::{Path, PathBuf};

/// The files [`write_all`] wrote.
#[derive(Debug, Clone)]
pub struct Written {
    pub json: PathBuf,
    pub markdown: PathBuf,
    pub html: PathBuf,
    pub junit: PathBuf,
}

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
            crate::error::io_reason(&e)
        )
    })?;
    let probe = dir.join(".rehearse-write-check");
    std::fs::write(&probe, b"")
        .and_then(|_| std::fs::remove_file(&probe))
        .map_err(|e| {
            format!(
                "--out {}: the folder is not writable: {}",
                dir.display(),
                crate::error::io_reason(&e)
            )
        })
}

/// Writes every rendering of the report into `dir` (created): `report.json` (compact),
/// `report.md`, `report.html`, `junit.xml`. Each passes through [`redact`] on its way to disk.
pub fn write_all(report: &Report, dir: &Path) -> std::io::Result<Written> {
    write_all_styled(report, dir, JsonStyle::Compact)
}

/// [`write_all`], with report.json laid out as `style` says.
pub fn write_all_styled(report: &Report, dir: &Path, style: JsonStyle) -> std::io::Result<Written> {
    let json = write_json_styled(report, dir, style)?;
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
