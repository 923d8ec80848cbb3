//! Shared helpers for tests that run the real `rehearse` binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(rel: &str) -> PathBuf {
    repo().join("tests/fixtures").join(rel)
}

/// The outcome of one `rehearse` invocation.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub out: tempfile::TempDir,
}

impl Run {
    pub fn report(&self) -> serde_json::Value {
        let path = self.out.path().join("report.json");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "no report at {}: {e}\nstderr: {}",
                path.display(),
                self.stderr
            )
        });
        serde_json::from_str(&text).expect("report.json is JSON")
    }
}

pub fn rehearse(args: &[&str]) -> Run {
    let out = tempfile::tempdir().unwrap();
    let output: Output = Command::new(env!("CARGO_BIN_EXE_rehearse"))
        .args(args)
        .arg("--out")
        .arg(out.path())
        .output()
        .expect("the rehearse binary runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        out,
    }
}

/// `rehearse run PATH --provider local` with extra args.
pub fn rehearse_local(path: &Path, extra: &[&str]) -> Run {
    let p = path.to_str().unwrap();
    let mut args = vec!["run", p, "--provider", "local"];
    args.extend_from_slice(extra);
    rehearse(&args)
}

/// True when docker tests must run: in CI they never skip.
pub fn in_ci() -> bool {
    std::env::var("CI").map(|v| v == "true").unwrap_or(false)
}
