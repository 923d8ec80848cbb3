//! Process-wide registry of what must be released if the run is interrupted.
//!
//! Normal exits and panics release resources through `Drop`. On SIGINT, SIGTERM or SIGHUP the
//! binary stops the work in progress (dropping it releases what it holds), writes what it can,
//! and calls [`release_all`], which runs every registered action exactly once; if the work does
//! not stop within [`GRACE`], the signal handler releases everything itself. Once a release has
//! begun, an action registered later (by work that had not noticed yet) runs at once, so nothing
//! created during the release is forgotten.
//!
//! This module never decides what to release: providers register their own actions.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// How long the signal handler waits for the interrupted work to stop and write its partial
/// report before it releases everything itself.
pub const GRACE: Duration = Duration::from_secs(20);

type Action = Box<dyn FnOnce() + Send>;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);
static ACTIONS: Mutex<BTreeMap<u64, Action>> = Mutex::new(BTreeMap::new());
/// Held for the whole of a release, so that a second caller waits for the first to finish
/// (the process must not exit while the signal handler is still stopping a server).
static RELEASING: Mutex<()> = Mutex::new(());
/// The exit code of the signal that interrupted the run (130 SIGINT, 143 SIGTERM), 0 if none.
static INTERRUPTED: AtomicI32 = AtomicI32::new(0);
/// Set when an interrupted run starts releasing: later registrations run at once.
static CLOSED: AtomicBool = AtomicBool::new(false);

/// Runs its action when dropped, unless the signal handler ran it first.
pub struct CleanupGuard {
    id: u64,
}

/// Registers `action` to run once: when the guard drops, or on [`release_all`].
/// After an interrupted run began releasing, `action` runs at once instead.
pub fn register(action: impl FnOnce() + Send + 'static) -> CleanupGuard {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    if CLOSED.load(Ordering::SeqCst) {
        action();
        return CleanupGuard { id };
    }
    lock().insert(id, Box::new(action));
    // The release may have begun between the check and the insert: it then runs the action, or
    // we do.
    if CLOSED.load(Ordering::SeqCst) {
        let action = lock().remove(&id);
        if let Some(action) = action {
            action();
        }
    }
    CleanupGuard { id }
}

impl Drop for CleanupGuard {
    fn drop(&mut self) {
        let action = lock().remove(&self.id);
        if let Some(action) = action {
            action();
        }
    }
}

/// Runs every registered action, newest first (a scratch database before its server). When a
/// signal interrupted the run, actions registered from now on run at once.
pub fn release_all() {
    if interrupted().is_some() {
        CLOSED.store(true, Ordering::SeqCst);
    }
    let _releasing = RELEASING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    loop {
        let next = {
            let mut actions = lock();
            let last = actions.keys().next_back().copied();
            last.and_then(|id| actions.remove(&id))
        };
        match next {
            Some(action) => action(),
            None => break,
        }
    }
}

fn lock() -> std::sync::MutexGuard<'static, BTreeMap<u64, Action>> {
    ACTIONS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs `work` to completion on a thread with its own small runtime, and waits for it.
///
/// Cleanup actions are synchronous and run from `Drop` (inside an async runtime, where blocking
/// on another future would panic) or from the signal handler: a thread of their own works in both.
pub fn block_on_own_thread<F>(work: F) -> Option<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .ok()?;
        Some(runtime.block_on(work))
    })
    .join()
    .ok()
    .flatten()
}

/// Drops database `name` on the server of `admin`, blocking; says so on stderr when it cannot.
///
/// The action is registered before the `CREATE DATABASE` it undoes, which may still be running
/// in a session whose client was dropped (the server finishes it regardless): it waits for any
/// statement naming the database to end first, so the drop never comes before the creation.
pub fn drop_database_blocking(admin: &super::ConnectionInfo, name: &str) {
    let admin = admin.clone();
    let name = name.to_string();
    block_on_own_thread(async move {
        let quoted = crate::identifier::quote(&name);
        let outcome = match admin.connect().await {
            Ok(client) => {
                let drop = format!("DROP DATABASE IF EXISTS {quoted} WITH (FORCE)");
                wait_for_statements_naming(&client, &name).await;
                let mut outcome = client
                    .batch_execute(&drop)
                    .await
                    .map_err(|e| crate::server_text::of(&e));
                if interrupted().is_some() {
                    // An interrupted CREATE DATABASE may still be on its way to the server (the
                    // connection sends what was queued): look once more after a moment.
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    wait_for_statements_naming(&client, &name).await;
                    outcome = outcome.and(
                        client
                            .batch_execute(&drop)
                            .await
                            .map_err(|e| crate::server_text::of(&e)),
                    );
                }
                outcome
            }
            Err(e) => Err(format!("could not reconnect: {e}")),
        };
        if let Err(e) = outcome {
            crate::say!("rehearse: could not drop database {name}: {e}");
        }
    });
}

/// Waits (at most a minute) until no other session runs a statement that names `name`.
async fn wait_for_statements_naming(client: &tokio_postgres::Client, name: &str) {
    let pattern = format!(
        "%{}%",
        name.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while std::time::Instant::now() < deadline {
        let busy = client
            .query_one(
                "SELECT count(*) FROM pg_stat_activity \
                 WHERE pid <> pg_backend_pid() AND state = 'active' AND query ILIKE $1",
                &[&pattern],
            )
            .await
            .map(|row| row.get::<_, i64>(0) > 0)
            .unwrap_or(false);
        if !busy {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The exit code owed to a signal that interrupted the run, if one did.
pub fn interrupted() -> Option<i32> {
    match INTERRUPTED.load(Ordering::SeqCst) {
        0 => None,
        code => Some(code),
    }
}

fn signalled() -> &'static tokio::sync::watch::Sender<i32> {
    static SENDER: OnceLock<tokio::sync::watch::Sender<i32>> = OnceLock::new();
    SENDER.get_or_init(|| tokio::sync::watch::channel(0).0)
}

/// Resolves with the exit code owed to the signal once one arrives (never, without one).
/// Work raced against it is dropped, which releases what it holds.
pub async fn interruption() -> i32 {
    let mut receiver = signalled().subscribe();
    let code = match receiver.wait_for(|code| *code != 0).await {
        Ok(code) => *code,
        Err(_) => 0,
    };
    if code == 0 {
        std::future::pending::<()>().await;
    }
    code
}

/// The signal's name for an exit code of [`interrupted`].
pub fn signal_name(code: i32) -> &'static str {
    match code {
        129 => "SIGHUP",
        130 => "SIGINT",
        _ => "SIGTERM",
    }
}

/// Records an interruption as a signal would (for the handler, and for tests of what follows).
pub fn interrupt(code: i32) {
    INTERRUPTED.store(code, Ordering::SeqCst);
    signalled().send_replace(code);
}

/// Installs SIGINT, SIGTERM and SIGHUP handlers (exit 130, 143, 129; a closed terminal is a
/// SIGTERM). The run is told through [`interruption`]; if it has not finished within [`GRACE`]
/// (or a second signal comes), the handler releases everything and exits itself.
/// Must be called from within a tokio runtime.
pub fn install_signal_handlers() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut int = signal(SignalKind::interrupt()).expect("SIGINT handler");
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    let mut hup = signal(SignalKind::hangup()).expect("SIGHUP handler");
    tokio::spawn(async move {
        let code = tokio::select! {
            _ = int.recv() => 130,
            _ = term.recv() => 143,
            _ = hup.recv() => 129,
        };
        interrupt(code);
        crate::say!(
            "rehearse: interrupted ({}), removing what this run started",
            signal_name(code)
        );
        tokio::select! {
            _ = int.recv() => {},
            _ = term.recv() => {},
            _ = hup.recv() => {},
            _ = tokio::time::sleep(GRACE) => {},
        }
        tokio::task::spawn_blocking(release_all).await.ok();
        std::process::exit(code);
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;

    #[test]
    fn guard_runs_its_action_once() {
        let count = Arc::new(AtomicUsize::new(0));
        let c = count.clone();
        let guard = register(move || {
            c.fetch_add(1, Ordering::SeqCst);
        });
        drop(guard);
        release_all();
        assert_eq!(count.load(Ordering::SeqCst), 1);
    }
}
