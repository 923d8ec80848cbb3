//! The lock queue: a transaction that takes a lock before the migration starts and keeps it for
//! a while, the way a forgotten `BEGIN` in an application does. The migration's ACCESS EXCLUSIVE
//! request waits behind it, and every query that arrives afterwards waits behind the migration.
//!
//! It runs on its own connection, takes only the lock the scenario names (`LOCK TABLE`) and
//! writes nothing; its transaction ends when the step does, at the latest.

use super::observe::Sample;
use super::timeline;
use crate::lock_mode::LockMode;
use crate::provision::ConnectionInfo;
use crate::report::{Direction, LongTransactionReport};
use std::time::{Duration, Instant};

pub(crate) struct LongTransaction {
    relation: String,
    mode: LockMode,
    granted: Instant,
    end: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Instant>,
}

impl LongTransaction {
    /// Takes the lock in `mode` and returns once it is granted; the transaction commits after
    /// `seconds`, or when the step ends, whichever is first.
    pub async fn start(
        connection: &ConnectionInfo,
        table: &str,
        mode: LockMode,
        seconds: f64,
    ) -> Result<LongTransaction, tokio_postgres::Error> {
        let client = connection.connect().await?;
        let relation: String = client
            .query_one(
                "SELECT format('%I.%I', n.nspname, c.relname)
                 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                 WHERE c.oid = $1::text::regclass",
                &[&table],
            )
            .await?
            .get(0);
        client
            .batch_execute(&format!(
                "BEGIN; LOCK TABLE {relation} IN {} MODE",
                mode.lock_table_name()
            ))
            .await?;
        let granted = Instant::now();
        let (end, ended) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs_f64(seconds.max(0.0))) => {}
                _ = ended => {}
            }
            let _ = client.batch_execute("COMMIT").await;
            Instant::now()
        });
        Ok(LongTransaction {
            relation,
            mode,
            granted,
            end,
            task,
        })
    }

    /// Ends the transaction if it still runs, and reports what it caused.
    pub async fn finish(
        self,
        t0: Instant,
        samples: &[Sample],
        interval: f64,
        direction: &Direction,
    ) -> LongTransactionReport {
        let _ = self.end.send(());
        let released = self.task.await.unwrap_or_else(|_| Instant::now());
        let released_ms = released.saturating_duration_since(t0).as_secs_f64() * 1000.0;
        let at: Vec<f64> = samples.iter().map(|s| s.at).collect();
        let totals = direction.workload.as_ref().map(|w| w.totals.clone());
        LongTransactionReport {
            relation: self.relation,
            mode: self.mode.pg_locks_name().to_string(),
            held_ms: released.duration_since(self.granted).as_secs_f64() * 1000.0,
            migration_lock_wait_ms: timeline::covered_ms(
                &at,
                |i| samples[i].waiting,
                0.0,
                released_ms + interval,
                interval,
            ),
            blocked_queries: totals.as_ref().map(|t| t.blocked_count).unwrap_or(0),
            blocked_longest_ms: totals.map(|t| t.blocked_longest_ms).unwrap_or(0.0),
        }
    }
}
