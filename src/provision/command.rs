//! The command provider (`provider = "command"`): the team's own CLI makes the database (a
//! Database Lab thin clone, a Neon branch, an Aurora clone, a pod) and removes it. `create`
//! prints a connection URL as the last line of its stdout; `destroy` removes what `create` made.
//! Both run through `sh -c` in the scenario's folder with `REHEARSE_RUN_ID` set (the same value
//! for both, so `destroy` can find what `create` named after it) and, for `destroy`,
//! `REHEARSE_DATABASE_URL`.
//!
//! `destroy` is registered before `create` starts, so it runs whatever ends the run: success,
//! error, panic, SIGINT or SIGTERM, and a `create` that timed out or failed half-way (a destroy
//! must therefore accept that there is nothing to remove). The URL is never printed: `create`'s
//! stdout is read and kept, and what either command says on stderr reaches the user only through
//! [`crate::redact`]. On the server, work happens as with the url provider, in a scratch
//! database it drops.

use super::{cleanup, url, wait_until_ready, Database, DatabaseRequest, ProviderKind, ProvisionError};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `create` gets this long by default (a clone of a large volume, a pod pulling its image).
pub const DEFAULT_CREATE_TIMEOUT: Duration = Duration::from_secs(600);
/// `destroy` gets this long by default.
pub const DEFAULT_DESTROY_TIMEOUT: Duration = Duration::from_secs(120);

/// `[database.command]` as the provider takes it.
#[derive(Debug, Clone)]
pub struct CommandSpec {
    pub create: String,
    pub destroy: String,
    pub create_timeout: Duration,
    pub destroy_timeout: Duration,
    /// Where both run: the scenario's folder.
    pub dir: PathBuf,
}

/// Runs `create`, waits for the server its URL names, and returns the database; `destroy` runs
/// when it is dropped (or on a signal).
pub async fn start(request: &DatabaseRequest) -> Result<Database, ProvisionError> {
    let spec = request.command.clone().ok_or_else(|| {
        ProvisionError::Refused(
            "provider = \"command\" needs [database.command] with create and destroy commands in the scenario".into(),
        )
    })?;
    let run_id = super::ownership::scratch_database_name();
    let created_url: std::sync::Arc<std::sync::Mutex<Option<String>>> = Default::default();
    let destroy_guard = cleanup::register({
        let spec = spec.clone();
        let run_id = run_id.clone();
        let url = created_url.clone();
        move || destroy(&spec, &run_id, url.lock().ok().and_then(|u| u.clone()))
    });
    let started = Instant::now();
    let spec_for_create = spec.clone();
    let id = run_id.clone();
    let stdout = tokio::task::spawn_blocking(move || create(&spec_for_create, &id))
        .await
        .map_err(|e| ProvisionError::Failed(e.to_string()))??;
    let url = stdout
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .filter(|l| l.starts_with("postgres://") || l.starts_with("postgresql://"))
        .map(str::to_string)
        .ok_or_else(|| {
            ProvisionError::Failed(format!(
                "the create command ({}) printed no postgresql:// URL on the last line of its stdout",
                spec.create
            ))
        })?;
    if let Ok(mut slot) = created_url.lock() {
        *slot = Some(url.clone());
    }
    let target = url::parse(&url)?;
    let left = spec.create_timeout.saturating_sub(started.elapsed());
    wait_until_ready(&target, left.max(Duration::from_secs(10)))
        .await
        .map_err(|e| {
            ProvisionError::Unavailable(format!(
                "the server the create command made ({}) did not answer: {}",
                target.redacted(),
                crate::redact::redact(&e)
            ))
        })?;
    let inner = url::start(&DatabaseRequest {
        provider: super::ProviderChoice::Url,
        url: Some(url),
        // The create command made it for this run alone.
        allow_non_disposable: true,
        clone: None,
        in_transaction: false,
        command: None,
        ..request.clone()
    })
    .await?;
    let reason = format!(
        "provider = \"command\": {} made {} in {:.1}s",
        spec.create,
        inner.connection.redacted(),
        started.elapsed().as_secs_f64()
    );
    let database = Database::new(
        ProviderKind::Command,
        inner.connection.clone(),
        inner.server_version.clone(),
        reason,
        // The scratch database goes first (inner), then the server (destroy).
        Box::new(Owned {
            inner: Some(inner),
            destroy: Some(destroy_guard),
        }),
    );
    Ok(database)
}

struct Owned {
    inner: Option<Database>,
    destroy: Option<cleanup::CleanupGuard>,
}

impl Drop for Owned {
    fn drop(&mut self) {
        drop(self.inner.take());
        drop(self.destroy.take());
    }
}

/// Runs `create` and returns its stdout; the error says the command, its exit or its timeout,
/// and its stderr's last lines (redacted).
fn create(spec: &CommandSpec, run_id: &str) -> Result<String, ProvisionError> {
    let mut cmd = shell(&spec.create, spec);
    cmd.env("REHEARSE_RUN_ID", run_id);
    let (status, stdout, stderr) = run(cmd, spec.create_timeout).map_err(|e| {
        ProvisionError::Unavailable(format!("the create command ({}) could not run: {e}", spec.create))
    })?;
    match status {
        Some(s) if s.success() => Ok(stdout),
        Some(s) => Err(ProvisionError::Failed(format!(
            "the create command ({}) failed ({s}){}",
            spec.create,
            said(&stderr)
        ))),
        None => Err(ProvisionError::Failed(format!(
            "the create command ({}) did not finish within {}s and was stopped{}",
            spec.create,
            spec.create_timeout.as_secs(),
            said(&stderr)
        ))),
    }
}

/// Runs `destroy` (from a cleanup action: blocking), and says on stderr when it failed, so a
/// database left behind is never silent.
fn destroy(spec: &CommandSpec, run_id: &str, url: Option<String>) {
    let mut cmd = shell(&spec.destroy, spec);
    cmd.env("REHEARSE_RUN_ID", run_id);
    if let Some(url) = url {
        cmd.env("REHEARSE_DATABASE_URL", url);
    }
    match run(cmd, spec.destroy_timeout) {
        Ok((Some(s), _, _)) if s.success() => {}
        Ok((Some(s), _, stderr)) => crate::say!(
            "rehearse: the destroy command ({}) failed ({s}){}: the database it should remove may still exist",
            spec.destroy,
            said(&stderr)
        ),
        Ok((None, _, stderr)) => crate::say!(
            "rehearse: the destroy command ({}) did not finish within {}s and was stopped{}: the database it should remove may still exist",
            spec.destroy,
            spec.destroy_timeout.as_secs(),
            said(&stderr)
        ),
        Err(e) => crate::say!(
            "rehearse: the destroy command ({}) could not run: {e}",
            spec.destroy
        ),
    }
}

fn said(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.is_empty() {
        return String::new();
    }
    let tail = lines[lines.len().saturating_sub(3)..].join(" | ");
    format!(": {}", crate::redact::redact(&tail))
}

fn shell(script: &str, spec: &CommandSpec) -> Command {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(script)
        .current_dir(&spec.dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own group: a timeout stops the whole pipeline, and a terminal's Ctrl-C reaches
        // us first, so destroy runs in order.
        .process_group(0);
    cmd
}

/// Runs `cmd` for at most `limit`: the exit status (None when it was stopped), stdout, stderr.
fn run(
    mut cmd: Command,
    limit: Duration,
) -> std::io::Result<(Option<std::process::ExitStatus>, String, String)> {
    use std::io::Read;
    let mut child = cmd.spawn()?;
    let mut out = child.stdout.take().expect("piped");
    let mut err = child.stderr.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = out.read_to_string(&mut text);
        text
    });
    let err_reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = err.read_to_string(&mut text);
        text
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if Instant::now() >= deadline {
            // SAFETY: kill(2) on the group our unreaped child leads.
            unsafe {
                libc::kill(-(child.id() as i32), libc::SIGKILL);
            }
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Ok((
        status,
        reader.join().unwrap_or_default(),
        err_reader.join().unwrap_or_default(),
    ))
}
