//! The probe's spare connections, kept from one step to the next: a trivial migration is
//! rehearsed in three steps, each wanting a monitor and the workload's clients, and opening
//! them anew (a server process forked and authenticated each time) was most of what a
//! one-line migration cost. A session is handed out again only after it answered an empty
//! query, so one that a reset or a terminated backend closed is replaced, never used.
//!
//! It must only ever hold idle sessions outside any transaction: a caller gives back only a
//! session that finished its work normally.

use crate::provision::ConnectionInfo;
use std::sync::{Arc, Mutex};
use tokio_postgres::Client;

/// How many idle sessions are kept; more are closed.
const KEPT: usize = 16;

#[derive(Clone)]
pub(crate) struct Sessions {
    connection: ConnectionInfo,
    idle: Arc<Mutex<Vec<Client>>>,
}

impl Sessions {
    pub fn new(connection: ConnectionInfo) -> Sessions {
        Sessions {
            connection,
            idle: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// An idle session that still answers, or a new one.
    pub async fn take(&self) -> Result<Client, tokio_postgres::Error> {
        loop {
            let kept = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
            match kept {
                Some(client) if !client.is_closed() => {
                    if client.simple_query("").await.is_ok() {
                        return Ok(client);
                    }
                }
                Some(_) => {}
                None => return self.connection.connect().await,
            }
        }
    }

    /// Keeps `client` for a later step. Only a session idle outside a transaction may come back.
    pub fn give_back(&self, client: Client) {
        if client.is_closed() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < KEPT {
            idle.push(client);
        }
    }

    /// Closes every idle session: before the database is cloned or dropped, no session of ours
    /// may be connected to it.
    pub fn close_all(&self) {
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}
