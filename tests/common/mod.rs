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
    let output: Output = Command::new(binary())
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

/// The binary under test. `REHEARSE_BIN` overrides it: with a build folder shared between
/// branches, another branch's build can replace `target/debug/rehearse` between build and test.
pub fn binary() -> PathBuf {
    std::env::var_os("REHEARSE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_rehearse")))
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

/// A `rehearse run` in the background, past the point where its database is up.
pub struct Running {
    pub child: std::process::Child,
    pub out: tempfile::TempDir,
}

/// Starts `rehearse run ARGS --out DIR` with `envs`, and returns once it reports its server.
pub fn start_until_provisioned(args: &[&str], envs: &[(&str, &Path)]) -> Running {
    use std::io::{BufRead, BufReader};
    let out = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_rehearse"));
    command.args(args).arg("--out").arg(out.path());
    for (k, v) in envs {
        command.env(k, v);
    }
    let mut child = command
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "rehearse exited before its database was up"
        );
        if line.contains("PostgreSQL") {
            break;
        }
    }
    // Keep draining stderr so the child never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    Running { child, out }
}

impl Running {
    /// Sends SIGINT and returns the exit code, failing the test if the process hangs.
    pub fn interrupt(mut self) -> Option<i32> {
        use std::time::{Duration, Instant};
        unsafe { libc::kill(self.child.id() as i32, libc::SIGINT) };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            assert!(
                Instant::now() < deadline,
                "rehearse did not exit after SIGINT"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
