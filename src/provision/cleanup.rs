//! Process-wide registry of what must be released if the run is interrupted.
//!
//! Normal exits and panics release resources through `Drop`. A signal does not unwind, so the
//! binary's signal handler calls [`release_all`], which runs every registered action exactly once.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::Mutex;

type Action = Box<dyn FnOnce() + Send>;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);
static ACTIONS: Mutex<BTreeMap<u64, Action>> = Mutex::new(BTreeMap::new());
/// Held for the whole of a release, so that a second caller waits for the first to finish
/// (the process must not exit while the signal handler is still stopping a server).
static RELEASING: Mutex<()> = Mutex::new(());
/// The exit code of the signal that interrupted the run (130 SIGINT, 143 SIGTERM), 0 if none.
static INTERRUPTED: AtomicI32 = AtomicI32::new(0);

/// Runs its action when dropped, unless the signal handler ran it first.
pub struct CleanupGuard {
    id: u64,
}

/// Registers `action` to run once: when the guard drops, or on [`release_all`].
pub fn register(action: impl FnOnce() + Send + 'static) -> CleanupGuard {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    lock().insert(id, Box::new(action));
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

/// Runs every registered action, newest first (a scratch database before its server).
pub fn release_all() {
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
pub fn drop_database_blocking(admin: &super::ConnectionInfo, name: &str) {
    let admin = admin.clone();
    let name = name.to_string();
    block_on_own_thread(async move {
        let quoted = crate::identifier::quote(&name);
        let outcome = match admin.connect().await {
            Ok(client) => client
                .batch_execute(&format!("DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(format!("could not reconnect: {e}")),
        };
        if let Err(e) = outcome {
            eprintln!("rehearse: could not drop database {name}: {e}");
        }
    });
}

/// The exit code owed to a signal that interrupted the run, if one did.
pub fn interrupted() -> Option<i32> {
    match INTERRUPTED.load(Ordering::SeqCst) {
        0 => None,
        code => Some(code),
    }
}

/// Installs SIGINT/SIGTERM handlers that release everything and exit 130/143.
/// Must be called from within a tokio runtime.
pub fn install_signal_handlers() {
    use tokio::signal::unix::{signal, SignalKind};
    tokio::spawn(async {
        let mut int = signal(SignalKind::interrupt()).expect("SIGINT handler");
        let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
        let code = tokio::select! {
            _ = int.recv() => 130,
            _ = term.recv() => 143,
        };
        INTERRUPTED.store(code, Ordering::SeqCst);
        eprintln!("rehearse: interrupted, removing what this run started");
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
