//! The migration sessions of this process, so that a run past its `--timeout` can cancel the
//! statement running in the server. Dropping a connection is not enough: the server notices a
//! client that went away only when it next talks to it, so `pg_sleep(3600)`, or a lock held on
//! a staging server rehearse does not own, would outlive the run.
//!
//! It never decides when to cancel; the pipeline does.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use tokio_postgres::CancelToken;

static SESSIONS: Mutex<Vec<(u64, CancelToken)>> = Mutex::new(Vec::new());
static NEXT: AtomicU64 = AtomicU64::new(0);

/// A session registered for cancelling; dropping it unregisters the session.
pub struct Registered(u64);

impl Drop for Registered {
    fn drop(&mut self) {
        let mut sessions = SESSIONS.lock().unwrap_or_else(|e| e.into_inner());
        sessions.retain(|(id, _)| *id != self.0);
    }
}

/// Registers the session `client` while it runs a migration's statements.
pub fn register(client: &tokio_postgres::Client) -> Registered {
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    SESSIONS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((id, client.cancel_token()));
    Registered(id)
}

/// Asks the server to cancel whatever each registered session is running; returns how many
/// were asked. A session that is idle ignores the request.
pub async fn cancel_all() -> usize {
    let tokens: Vec<CancelToken> = SESSIONS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .map(|(_, t)| t.clone())
        .collect();
    for token in &tokens {
        let _ = token.cancel_query(crate::provision::tls::Tls::unverified().connector).await;
    }
    tokens.len()
}
