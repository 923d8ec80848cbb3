//! Taking a seeded state out of a running local server: `pg_basebackup` in plain format with
//! its WAL streamed, after a fast checkpoint, so the copy is consistent without stopping the
//! server; the copy is then recovered once and shut down cleanly (with fsync off), so that a
//! server started on a copy of it starts at once. It never writes to the server it copies from.

use crate::provision::ConnectionInfo;
use std::path::Path;
use std::process::{Command, Stdio};

/// The report's word for this storage.
pub const STORAGE: &str = "pg_basebackup (plain data directory, recovered and shut down)";

/// Copies the whole cluster behind `connection` into `into` (which must not exist yet).
pub fn take(bindir: &Path, connection: &ConnectionInfo, into: &Path) -> Result<(), String> {
    let program = bindir.join("pg_basebackup");
    let out = Command::new(&program)
        .arg("-D")
        .arg(into)
        .args(["-F", "p", "-X", "stream", "--checkpoint=fast", "--no-sync"])
        .args(["--no-manifest", "-w"])
        .arg("-h")
        .arg(&connection.host)
        .arg("-p")
        .arg(connection.port.to_string())
        .arg("-U")
        .arg(&connection.user)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("{} could not be run: {e}", program.display()))?;
    if !out.status.success() {
        return Err(format!(
            "pg_basebackup failed: {}",
            crate::redact::redact(String::from_utf8_lossy(&out.stderr).trim())
        ));
    }
    // Recovered once here, so that every restore starts without recovery.
    crate::provision::local::settle_data_folder(bindir, into)
}
