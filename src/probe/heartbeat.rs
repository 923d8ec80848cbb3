//! Heartbeats during a long statement: every [`interval`] a statement is still running, what it
//! holds and whether it waits, read from the monitor connection, so that a person watching a
//! 40-minute rewrite knows it is alive and who it blocks.
//!
//! It only reads `pg_locks` from the monitor and hands the sentence to whoever listens; it never
//! measures (the sampler and the observation do that) and never delays the statement's own
//! timing: the reads run in a task of their own, and the statement's end is seen at once.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_postgres::Client;

/// Seconds between heartbeats, unless `REHEARSE_HEARTBEAT_SECONDS` says otherwise (for tests,
/// which cannot wait ten seconds per beat; not a user setting).
const DEFAULT_SECONDS: f64 = 10.0;

/// What a statement is doing after running for a while.
#[derive(Debug, Clone, PartialEq)]
pub struct Heartbeat {
    /// The statement's line in its file.
    pub line: usize,
    /// Its first line, shortened.
    pub sql: String,
    pub elapsed: Duration,
    /// (relation, mode) granted to the migration's backend, user relations only.
    pub locks: Vec<(String, String)>,
    /// The backend waits for a lock it asked for.
    pub waiting: bool,
}

impl Heartbeat {
    /// `line 3 (ALTER TABLE posts ALTER COLUMN score TYPE bigint) running for 20 s, holds
    /// AccessExclusiveLock on public.posts, not waiting for a lock`.
    pub fn sentence(&self) -> String {
        const SHOWN: usize = 3;
        let held = match self.locks.len() {
            0 => "holds no lock on a table".to_string(),
            n => {
                let mut said: Vec<String> = self
                    .locks
                    .iter()
                    .take(SHOWN)
                    .map(|(relation, mode)| format!("{mode} on {relation}"))
                    .collect();
                if n > SHOWN {
                    said.push(format!("{} more", n - SHOWN));
                }
                format!("holds {}", crate::words::list(&said))
            }
        };
        format!(
            "line {} ({}) running for {}, {held}, {}",
            self.line,
            self.sql,
            crate::report::measures::duration(self.elapsed.as_secs_f64() * 1000.0),
            if self.waiting {
                "WAITING for a lock"
            } else {
                "not waiting for a lock"
            }
        )
    }
}

/// Whoever is told about heartbeats (the rehearsal's progress).
pub trait Heartbeats: Send + Sync {
    fn beat(&self, beat: &Heartbeat);
}

/// The time between heartbeats.
pub fn interval() -> Duration {
    let seconds = std::env::var("REHEARSE_HEARTBEAT_SECONDS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| *s > 0.0 && s.is_finite())
        .unwrap_or(DEFAULT_SECONDS);
    Duration::from_secs_f64(seconds)
}

const LOCKS_SQL: &str = "
SELECT coalesce(pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname),
                'relation ' || l.relation::text),
       l.mode, l.granted
FROM pg_catalog.pg_locks l
LEFT JOIN pg_catalog.pg_class c ON c.oid = l.relation
LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE l.pid = $1
  AND (NOT l.granted
       OR (l.locktype = 'relation'
           AND coalesce(n.nspname NOT IN ('pg_catalog', 'information_schema')
                        AND n.nspname !~ '^pg_toast', true)))
ORDER BY 1, 2";

/// Runs `work` (the statement), and while it runs gives `beats` a heartbeat every
/// [`interval`] from `started`.
pub(crate) async fn beating<T>(
    work: impl Future<Output = T>,
    beats: &dyn Heartbeats,
    monitor: Arc<Client>,
    pid: i32,
    (line, sql): (usize, &str),
    started: Instant,
) -> T {
    let every = interval();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Vec<(String, String)>, bool)>();
    let reader = tokio::spawn(async move {
        let mut next = started + every;
        loop {
            tokio::time::sleep_until(next.into()).await;
            let Ok(rows) = monitor.query(LOCKS_SQL, &[&pid]).await else {
                break;
            };
            let mut locks = Vec::new();
            let mut waiting = false;
            for row in rows {
                if row.get::<_, bool>(2) {
                    locks.push((row.get::<_, String>(0), row.get::<_, String>(1)));
                } else {
                    waiting = true;
                }
            }
            if tx.send((locks, waiting)).is_err() {
                break;
            }
            next += every;
        }
    });
    let sql = first_line(sql);
    tokio::pin!(work);
    let done = loop {
        tokio::select! {
            biased;
            done = &mut work => break done,
            Some((locks, waiting)) = rx.recv() => beats.beat(&Heartbeat {
                line,
                sql: sql.clone(),
                elapsed: started.elapsed(),
                locks,
                waiting,
            }),
        }
    };
    reader.abort();
    done
}

/// The statement's first line, at most 60 characters.
fn first_line(sql: &str) -> String {
    let line = sql.trim().lines().next().unwrap_or_default().trim();
    if line.chars().count() > 60 {
        format!("{}…", line.chars().take(59).collect::<String>())
    } else {
        line.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_heartbeat_says_the_statement_its_time_its_locks_and_whether_it_waits() {
        let beat = Heartbeat {
            line: 3,
            sql: first_line("ALTER TABLE posts ALTER COLUMN score TYPE bigint;\n-- more"),
            elapsed: Duration::from_secs(20),
            locks: vec![("public.posts".into(), "AccessExclusiveLock".into())],
            waiting: false,
        };
        assert_eq!(
            beat.sentence(),
            "line 3 (ALTER TABLE posts ALTER COLUMN score TYPE bigint;) running for 20.00 s, holds AccessExclusiveLock on public.posts, not waiting for a lock"
        );
        let waiting = Heartbeat {
            locks: Vec::new(),
            waiting: true,
            ..beat
        };
        assert!(waiting
            .sentence()
            .ends_with("holds no lock on a table, WAITING for a lock"));
    }
}
