//! Observation of one direction: catalog snapshots on the migration connection, `pg_locks` on the
//! monitor connection, and the sampler. Lock holds, rewrites, sizes and WAL are derived here and
//! written into the statement reports.

use super::timeline;
use crate::provision::ConnectionInfo;
use crate::report::{LockReport, SizeChange, StatementReport};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_postgres::Client;

/// One relation as the migration's backend sees it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Relation {
    pub name: String,
    pub kind: &'static str,
    pub filenode: u32,
    pub bytes: Option<u64>,
}

/// User relations (not in pg_catalog, information_schema, pg_toast or temporary schemas) as the
/// migration's backend sees them, with the WAL insert position.
#[derive(Debug, Clone, Default)]
pub(crate) struct Catalog {
    pub relations: HashMap<u32, Relation>,
    pub wal_lsn: Option<u64>,
}

/// Reads relfilenodes and main-fork sizes without locking any user relation: a relation's path
/// comes from the syscache and its size from the file system, one 1 GB segment at a time.
const CATALOG_SQL: &str = "
WITH RECURSIVE rel AS (
    SELECT c.oid, n.nspname, c.relname, c.relkind::text AS relkind, c.relfilenode,
           CASE WHEN $1 AND c.relkind IN ('r', 'i', 'm', 't') THEN pg_relation_filepath(c.oid) END AS path
    FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
), seg AS (
    SELECT oid, path, 0 AS n, (pg_catalog.pg_stat_file(path, true)).size AS size
    FROM rel WHERE path IS NOT NULL
    UNION ALL
    SELECT s.oid, s.path, s.n + 1, (pg_catalog.pg_stat_file(s.path || '.' || (s.n + 1), true)).size
    FROM seg s
    WHERE s.size >= pg_catalog.pg_size_bytes(pg_catalog.current_setting('segment_size'))
)
SELECT r.oid, pg_catalog.quote_ident(r.nspname) || '.' || pg_catalog.quote_ident(r.relname), r.relkind, r.relfilenode, s.bytes,
       pg_catalog.pg_current_wal_insert_lsn()::text AS lsn
FROM rel r
LEFT JOIN (SELECT oid, sum(size)::int8 AS bytes FROM seg GROUP BY oid) s USING (oid)";

/// Whether this role may stat files in the data directory (superuser or pg_read_server_files).
pub(crate) async fn can_stat_files(client: &Client) -> bool {
    client
        .query_one(
            "SELECT rolsuper OR pg_catalog.pg_has_role(current_user, 'pg_read_server_files', 'MEMBER')
             FROM pg_catalog.pg_roles WHERE rolname = current_user",
            &[],
        )
        .await
        .map(|row| row.get::<_, bool>(0))
        .unwrap_or(false)
}

pub(crate) async fn read_catalog(
    client: &Client,
    with_sizes: bool,
) -> Result<Catalog, tokio_postgres::Error> {
    let rows = client.query(CATALOG_SQL, &[&with_sizes]).await?;
    let mut catalog = Catalog::default();
    for row in rows {
        let oid: u32 = row.get(0);
        // Spelled by the server, as the snapshot spells it, so that the names match.
        let name: String = row.get(1);
        let kind: String = row.get(2);
        let filenode: u32 = row.get(3);
        let bytes: Option<i64> = row.get(4);
        catalog.wal_lsn = parse_lsn(row.get::<_, &str>(5));
        catalog.relations.insert(
            oid,
            Relation {
                name,
                kind: relation_kind(&kind),
                filenode,
                bytes: bytes.map(|b| b as u64),
            },
        );
    }
    if catalog.wal_lsn.is_none() {
        let row = client
            .query_one("SELECT pg_catalog.pg_current_wal_insert_lsn()::text", &[])
            .await?;
        catalog.wal_lsn = parse_lsn(row.get::<_, &str>(0));
    }
    Ok(catalog)
}

/// [`read_catalog`] that cannot leave the migration's transaction aborted.
async fn read_catalog_guarded(
    client: &Client,
    with_sizes: bool,
    in_transaction: bool,
) -> Option<Catalog> {
    if !in_transaction {
        return read_catalog(client, with_sizes).await.ok();
    }
    client
        .batch_execute("SAVEPOINT rehearse_probe")
        .await
        .ok()?;
    match read_catalog(client, with_sizes).await {
        Ok(catalog) => {
            let _ = client
                .batch_execute("RELEASE SAVEPOINT rehearse_probe")
                .await;
            Some(catalog)
        }
        Err(_) => {
            let _ = client
                .batch_execute(
                    "ROLLBACK TO SAVEPOINT rehearse_probe; RELEASE SAVEPOINT rehearse_probe",
                )
                .await;
            None
        }
    }
}

/// `16/B374D848` → bytes.
pub(crate) fn parse_lsn(text: &str) -> Option<u64> {
    let (hi, lo) = text.split_once('/')?;
    Some((u64::from_str_radix(hi, 16).ok()? << 32) | u64::from_str_radix(lo, 16).ok()?)
}

fn relation_kind(relkind: &str) -> &'static str {
    match relkind {
        "r" => "table",
        "i" => "index",
        "m" => "materialized_view",
        "S" => "sequence",
        "v" => "view",
        "p" => "partitioned_table",
        "I" => "partitioned_index",
        "f" => "foreign_table",
        "t" => "toast_table",
        "c" => "composite_type",
        _ => "relation",
    }
}

/// Rewrites and size changes between two catalog snapshots of the migration's backend.
/// A relation that is new in `after` is created, not rewritten, unless it replaces a relation of
/// the same name and kind that the same statement dropped (ALTER COLUMN TYPE rebuilds the indexes
/// on the column that way). TRUNCATE is a rewrite.
pub(crate) fn compare(before: &Catalog, after: &Catalog) -> (Vec<String>, Vec<SizeChange>) {
    let mut rewrites = Vec::new();
    let mut sizes = Vec::new();
    let dropped: HashSet<(&str, &str)> = before
        .relations
        .iter()
        .filter(|(oid, _)| !after.relations.contains_key(oid))
        .map(|(_, r)| (r.name.as_str(), r.kind))
        .collect();
    for (oid, a) in &after.relations {
        let rewritable = matches!(a.kind, "table" | "index" | "materialized_view");
        if rewritable
            && !before.relations.contains_key(oid)
            && dropped.contains(&(a.name.as_str(), a.kind))
        {
            rewrites.push(a.name.clone());
        }
        match before.relations.get(oid) {
            Some(b) => {
                if rewritable && b.filenode != 0 && a.filenode != 0 && b.filenode != a.filenode {
                    rewrites.push(a.name.clone());
                }
                if b.bytes != a.bytes && (b.bytes.is_some() && a.bytes.is_some()) {
                    sizes.push(SizeChange {
                        relation: a.name.clone(),
                        kind: a.kind.into(),
                        before_bytes: b.bytes,
                        after_bytes: a.bytes,
                    });
                }
            }
            None if a.bytes.is_some() => sizes.push(SizeChange {
                relation: a.name.clone(),
                kind: a.kind.into(),
                before_bytes: None,
                after_bytes: a.bytes,
            }),
            None => {}
        }
    }
    for (oid, b) in &before.relations {
        if !after.relations.contains_key(oid) && b.bytes.is_some() {
            sizes.push(SizeChange {
                relation: b.name.clone(),
                kind: b.kind.into(),
                before_bytes: b.bytes,
                after_bytes: None,
            });
        }
    }
    rewrites.sort();
    sizes.sort_by(|x, y| x.relation.cmp(&y.relation));
    (rewrites, sizes)
}

/// A relation lock as `pg_locks` shows it for the migration's backend.
pub(crate) type LockKey = (u32, String);

const LOCKS_SQL: &str = "SELECT relation, mode, granted FROM pg_catalog.pg_locks
    WHERE pid = $1 AND locktype = 'relation'
      AND database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())";

/// The relation locks `pid` holds now, read from the monitor connection.
pub(crate) async fn granted_locks(
    monitor: &Client,
    pid: i32,
) -> Result<HashSet<LockKey>, tokio_postgres::Error> {
    let rows = monitor.query(LOCKS_SQL, &[&pid]).await?;
    Ok(rows
        .iter()
        .filter(|r| r.get::<_, bool>(2))
        .map(|r| (r.get::<_, u32>(0), r.get::<_, String>(1)))
        .collect())
}

/// Every lock of the backend, any type, granted or waited for: a relation lock is held, an
/// ungranted one of any type (relation, transactionid, virtualxid, ...) is a lock wait.
const SAMPLED_LOCKS_SQL: &str = "SELECT CASE WHEN locktype = 'relation' AND database =
        (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()) THEN relation END,
        mode, granted
    FROM pg_catalog.pg_locks WHERE pid = $1";

/// What the monitor saw at one instant.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sample {
    /// ms since the direction started (midpoint of the round trip).
    pub at: f64,
    /// Relation locks of the migration's backend, granted.
    pub granted: Vec<LockKey>,
    /// The migration's backend waits for a lock (`wait_event_type = 'Lock'`).
    pub waiting: bool,
    /// Watched pids (workload clients) whose `pg_blocking_pids` include the migration's backend.
    pub blocked: Vec<i32>,
}

const ACTIVITY_SQL: &str = "SELECT pid, coalesce(wait_event_type = 'Lock', false),
        CASE WHEN wait_event_type = 'Lock' THEN $1 = ANY(pg_catalog.pg_blocking_pids(pid)) ELSE false END
    FROM pg_catalog.pg_stat_activity WHERE pid = ANY($2)";

/// Polls the monitor connection until stopped; returns what it saw, and what it could not see.
///
/// A migration may terminate the monitor's backend (`pg_terminate_backend` on every other
/// session): the sampler reconnects and says how long it was blind, or says that it stayed blind.
/// Either way the gap is reported, never left as an empty result.
pub(crate) struct Sampler {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<(Vec<Sample>, Vec<String>)>,
}

impl Sampler {
    pub fn start(
        monitor: Arc<Client>,
        connection: ConnectionInfo,
        pid: i32,
        watched: Vec<i32>,
        t0: Instant,
        interval: Duration,
    ) -> Sampler {
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut lost = Vec::new();
            let mut monitor = monitor;
            let prepared = match tokio::join!(
                monitor.prepare(SAMPLED_LOCKS_SQL),
                monitor.prepare(ACTIVITY_SQL)
            ) {
                (Ok(l), Ok(a)) => Ok((l, a)),
                // Closed already (a migration that terminates every other session runs again
                // on each step): one more connection.
                _ => {
                    async {
                        let client = connection.connect().await?;
                        let (l, a) = tokio::join!(
                            client.prepare(SAMPLED_LOCKS_SQL),
                            client.prepare(ACTIVITY_SQL)
                        );
                        monitor = Arc::new(client);
                        Ok::<_, tokio_postgres::Error>((l?, a?))
                    }
                    .await
                }
            };
            let (mut locks, mut activity) = match prepared {
                Ok(p) => p,
                Err(e) => {
                    lost.push(format!(
                        "the probe's sampler could not prepare its queries on a monitor connection ({}), so lock waits and blocked queries were not sampled",
                        crate::server_text::of(&e)
                    ));
                    return (samples, lost);
                }
            };
            let watching = !watched.is_empty();
            let mut pids = watched;
            pids.push(pid);
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    _ = ticker.tick() => {}
                }
                let sent = t0.elapsed().as_secs_f64() * 1000.0;
                let lock_params: [&(dyn tokio_postgres::types::ToSql + Sync); 1] = [&pid];
                let activity_params: [&(dyn tokio_postgres::types::ToSql + Sync); 2] =
                    [&pid, &pids];
                // Without workload clients to watch, one query per tick: an ungranted row in
                // pg_locks is exactly what wait_event_type = 'Lock' reports.
                let (l, a) = if watching {
                    let (l, a) = tokio::join!(
                        monitor.query(&locks, &lock_params),
                        monitor.query(&activity, &activity_params)
                    );
                    (l, a.map(Some))
                } else {
                    (monitor.query(&locks, &lock_params).await, Ok(None))
                };
                let (l, a) = match (l, a) {
                    (Ok(l), Ok(a)) => (l, a),
                    (Err(e), _) | (_, Err(e)) => {
                        let why = crate::server_text::of(&e);
                        let reconnected = async {
                            let client = connection.connect().await?;
                            let (l, a) = tokio::join!(
                                client.prepare(SAMPLED_LOCKS_SQL),
                                client.prepare(ACTIVITY_SQL)
                            );
                            Ok::<_, tokio_postgres::Error>((client, l?, a?))
                        }
                        .await;
                        match reconnected {
                            Ok((client, l, a)) => {
                                let back = t0.elapsed().as_secs_f64() * 1000.0;
                                lost.push(format!(
                                    "the probe's monitor connection was closed under it ({why}); it reconnected, but lock waits and blocked queries were not sampled from {sent:.0} ms to {back:.0} ms of the direction"
                                ));
                                monitor = Arc::new(client);
                                locks = l;
                                activity = a;
                                continue;
                            }
                            Err(e) => {
                                lost.push(format!(
                                    "the probe's monitor connection was closed under it ({why}) and could not be reopened ({}), so lock waits and blocked queries were not sampled after {sent:.0} ms of the direction",
                                    crate::server_text::of(&e)
                                ));
                                break;
                            }
                        }
                    }
                };
                let received = t0.elapsed().as_secs_f64() * 1000.0;
                let mut sample = Sample {
                    at: (sent + received) / 2.0,
                    ..Default::default()
                };
                for row in l {
                    if row.get::<_, bool>(2) {
                        if let Some(relation) = row.get::<_, Option<u32>>(0) {
                            sample.granted.push((relation, row.get(1)));
                        }
                    } else {
                        sample.waiting = true;
                    }
                }
                for row in a.unwrap_or_default() {
                    let p: i32 = row.get(0);
                    if p == pid {
                        sample.waiting = row.get(1);
                    } else if row.get::<_, bool>(2) {
                        sample.blocked.push(p);
                    }
                }
                samples.push(sample);
            }
            (samples, lost)
        });
        Sampler { stop, task }
    }

    /// The samples, and one sentence per time the sampler went blind.
    pub async fn finish(self) -> (Vec<Sample>, Vec<String>) {
        let _ = self.stop.send(());
        self.task.await.unwrap_or_else(|e| {
            (
                Vec::new(),
                vec![format!("the probe's sampler stopped unexpectedly ({e}), so lock waits and blocked queries were not sampled")],
            )
        })
    }
}

/// A lock the migration holds, from the statement that first took it until it is released.
#[derive(Debug, Clone)]
struct Hold {
    key: LockKey,
    statement: usize,
    released_ms: Option<f64>,
}

/// Everything observed during one direction, turned into report fields at the end.
pub(crate) struct Observation {
    pub t0: Instant,
    pub pid: i32,
    pub monitor: Arc<Client>,
    /// Where the monitor reconnects when the migration closed its connection.
    connection: ConnectionInfo,
    /// One sentence per statement whose locks could not be read: the monitor connection was lost.
    pub lost: Vec<String>,
    with_sizes: bool,
    /// The last catalog snapshot of the migration's backend.
    current: Catalog,
    first_lsn: Option<u64>,
    /// Every user relation seen in any snapshot of this direction (names of dropped ones too).
    names: HashMap<u32, (String, &'static str)>,
    holds: Vec<Hold>,
    /// Locks the session held before this direction began (an earlier step's, inside the
    /// transaction `--in-transaction` keeps open): not this direction's, so never reported.
    held_before: HashSet<LockKey>,
    /// Each statement's (start, end), ms since t0.
    windows: Vec<(f64, f64)>,
    /// When the probe itself read the catalog and the locks between statements; inside a
    /// transaction that time would otherwise count as lock hold time the migration does not have.
    probing: Vec<(f64, f64)>,
}

impl Observation {
    /// Reads the starting catalog; the direction's clock starts when this returns.
    pub async fn start(
        client: &Client,
        monitor: Arc<Client>,
        connection: ConnectionInfo,
    ) -> Result<Observation, tokio_postgres::Error> {
        let (pid, with_sizes) = tokio::join!(
            client.query_one("SELECT pg_backend_pid()", &[]),
            can_stat_files(client)
        );
        let pid: i32 = pid?.get(0);
        let current = read_catalog(client, with_sizes).await?;
        // After the catalog read: inside a transaction, the locks that read took are held.
        let held_before = granted_locks(&monitor, pid).await?;
        let mut observation = Observation {
            t0: Instant::now(),
            pid,
            monitor,
            connection,
            lost: Vec::new(),
            with_sizes,
            first_lsn: current.wal_lsn,
            current: Catalog::default(),
            names: HashMap::new(),
            holds: Vec::new(),
            held_before,
            windows: Vec::new(),
            probing: Vec::new(),
        };
        observation.remember(&current);
        observation.current = current;
        observation.t0 = Instant::now();
        Ok(observation)
    }

    pub fn now_ms(&self) -> f64 {
        self.t0.elapsed().as_secs_f64() * 1000.0
    }

    fn remember(&mut self, catalog: &Catalog) {
        for (oid, r) in &catalog.relations {
            self.names.insert(*oid, (r.name.clone(), r.kind));
        }
    }

    /// After statement `index` (which ran from `start` to `end`): its rewrites, size changes and
    /// WAL from the migration's backend, and the locks it now holds from the monitor.
    ///
    /// `in_transaction` says whether the migration's transaction is open: the catalog read then
    /// runs under a savepoint, so that a failure of the probe's own query (a `SET ROLE` that
    /// forbids `pg_stat_file`, a tight `statement_timeout`) never aborts the migration.
    ///
    /// `within_a_run`: the statement is an INSERT, UPDATE or DELETE followed by another: when it
    /// took no lock it did not hold already, the catalog is not read (a DML statement rewrites
    /// nothing), and its size change and WAL are counted with the run's last statement, which is
    /// read in full. A 50 MB file of one-row INSERTs is then one lock read per statement.
    #[allow(clippy::too_many_arguments)]
    pub async fn after_statement(
        &mut self,
        client: &Client,
        index: usize,
        (start, end): (f64, f64),
        ok: bool,
        in_transaction: bool,
        within_a_run: bool,
        report: &mut StatementReport,
    ) {
        self.windows.push((start, end));
        report.started_ms = start;
        let probe_start = self.now_ms();
        let monitor = self.monitor.clone();
        if within_a_run && ok {
            if let Ok(held) = granted_locks(&monitor, self.pid).await {
                let nothing_new = held.iter().all(|k| {
                    self.held_before.contains(k)
                        || !self.names.contains_key(&k.0)
                        || self
                            .holds
                            .iter()
                            .any(|h| h.released_ms.is_none() && &h.key == k)
                });
                if nothing_new {
                    self.probing.push((probe_start, self.now_ms()));
                    return;
                }
            }
        }
        let (catalog, locks) = if ok {
            tokio::join!(
                read_catalog_guarded(client, self.with_sizes, in_transaction),
                granted_locks(&monitor, self.pid)
            )
        } else {
            // The transaction is aborted: the catalog cannot be read, the locks still can.
            (None, granted_locks(&monitor, self.pid).await)
        };
        let locks = match locks {
            Ok(held) => Some(held),
            Err(e) => self.reconnected_locks(&e, report.line).await,
        };
        if let Some(catalog) = catalog {
            let (rewrites, sizes) = compare(&self.current, &catalog);
            report.rewrites = rewrites;
            report.size_changes = sizes;
            report.wal_bytes = match (self.current.wal_lsn, catalog.wal_lsn) {
                (Some(a), Some(b)) => Some(b.saturating_sub(a)),
                _ => None,
            };
            self.remember(&catalog);
            self.current = catalog;
        }
        if let Some(held) = locks {
            for hold in self.holds.iter_mut().filter(|h| h.released_ms.is_none()) {
                if !held.contains(&hold.key) {
                    hold.released_ms = Some(end);
                }
            }
            let mut new: Vec<LockKey> = held
                .into_iter()
                .filter(|k| self.names.contains_key(&k.0) && !self.held_before.contains(k))
                .filter(|k| {
                    !self
                        .holds
                        .iter()
                        .any(|h| h.released_ms.is_none() && &h.key == k)
                })
                .collect();
            new.sort();
            for key in new {
                self.holds.push(Hold {
                    key,
                    statement: index,
                    released_ms: None,
                });
            }
        }
        self.probing.push((probe_start, self.now_ms()));
    }

    /// The monitor connection failed (the migration may have terminated it): reconnect and read
    /// the locks again, which a transaction still holds. Either way the loss is said.
    async fn reconnected_locks(
        &mut self,
        error: &tokio_postgres::Error,
        line: usize,
    ) -> Option<HashSet<LockKey>> {
        let why = crate::server_text::of(error);
        let retried = match self.connection.connect().await {
            Ok(client) => {
                self.monitor = Arc::new(client);
                granted_locks(&self.monitor, self.pid)
                    .await
                    .map_err(|e| crate::server_text::of(&e))
            }
            Err(e) => Err(crate::server_text::of(&e)),
        };
        match retried {
            Ok(held) => {
                self.lost.push(format!(
                    "the probe's monitor connection was closed after the statement at line {line} ({why}); it reconnected and read that statement's locks again, but locks taken and released in between were not seen"
                ));
                Some(held)
            }
            Err(again) => {
                self.lost.push(format!(
                    "the probe's monitor connection was closed after the statement at line {line} ({why}) and could not be reopened ({again}), so that statement's locks are missing from the report"
                ));
                None
            }
        }
    }

    /// Time the probe spent reading between `from` and `to`.
    fn probing_within(&self, from: f64, to: f64) -> f64 {
        self.probing
            .iter()
            .map(|&(a, b)| (b.min(to) - a.max(from)).max(0.0))
            .sum()
    }

    /// The transaction ended (COMMIT or ROLLBACK): every lock it held is released now.
    pub fn released_all(&mut self) {
        let now = self.now_ms();
        for hold in self.holds.iter_mut().filter(|h| h.released_ms.is_none()) {
            hold.released_ms = Some(now);
        }
    }

    pub fn wal_bytes(&self) -> Option<u64> {
        Some(self.current.wal_lsn?.saturating_sub(self.first_lsn?))
    }

    /// Fills in each statement's locks and lock wait from the holds and the samples.
    pub fn finish(
        mut self,
        samples: &[Sample],
        interval: f64,
        reports: &mut [StatementReport],
    ) -> f64 {
        self.released_all();
        let at: Vec<f64> = samples.iter().map(|s| s.at).collect();
        let mut total_wait = 0.0;
        for (index, &(start, end)) in self.windows.iter().enumerate() {
            let wait = timeline::covered_ms(&at, |i| samples[i].waiting, start, end, interval);
            total_wait += wait;
            let report = &mut reports[index];
            report.lock_wait_ms = wait;

            let mut locks = Vec::new();
            for hold in self.holds.iter().filter(|h| h.statement == index) {
                let granted_at = timeline::seen_span(
                    &at,
                    |i| samples[i].granted.contains(&hold.key),
                    start,
                    end,
                )
                .map(|(lo, _)| lo)
                .unwrap_or((start + wait).min(end));
                let released = hold.released_ms.unwrap_or(end);
                let (name, kind) = &self.names[&hold.key.0];
                locks.push(LockReport {
                    relation: name.clone(),
                    mode: hold.key.1.clone(),
                    kind: (*kind).into(),
                    acquired_ms: granted_at,
                    held_ms: (released - granted_at - self.probing_within(granted_at, released))
                        .max(0.0),
                    sampled: false,
                    oid: hold.key.0,
                });
            }
            // Locks taken and released within the statement (outside a transaction block) are
            // only visible to the sampler.
            let mut sampled: Vec<&LockKey> = samples
                .iter()
                .filter(|s| s.at >= start && s.at <= end)
                .flat_map(|s| s.granted.iter())
                .filter(|k| self.names.contains_key(&k.0) && !self.held_before.contains(k))
                .filter(|k| !self.held_during(k, start, end))
                .collect();
            sampled.sort();
            sampled.dedup();
            for key in sampled {
                let Some((lo, hi)) =
                    timeline::seen_span(&at, |i| samples[i].granted.contains(key), start, end)
                else {
                    continue;
                };
                let (name, kind) = &self.names[&key.0];
                locks.push(LockReport {
                    relation: name.clone(),
                    mode: key.1.clone(),
                    kind: (*kind).into(),
                    acquired_ms: lo,
                    held_ms: hi - lo,
                    sampled: true,
                    oid: key.0,
                });
            }
            report.locks = locks;
        }
        total_wait
    }

    /// Whether a hold seen after some statement covers `key` during `[start, end]`.
    fn held_during(&self, key: &LockKey, start: f64, end: f64) -> bool {
        self.holds.iter().any(|h| {
            &h.key == key
                && self.windows[h.statement].0 <= end
                && h.released_ms.is_none_or(|r| r >= start)
        })
    }
}

/// Rows (the planner's estimate, exact after the seeder's ANALYZE) and bytes of every user table,
/// in one catalog query: what the "large table" hazards are judged against.
pub async fn table_sizes(
    client: &tokio_postgres::Client,
) -> Result<Vec<crate::report::TableSize>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT format('%I.%I', n.nspname, c.relname), c.reltuples::float8, pg_table_size(c.oid)
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind IN ('r', 'p', 'm')
               AND n.nspname NOT IN ('pg_catalog', 'information_schema')
               AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
             ORDER BY 1",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let estimate: f64 = r.get(1);
            crate::report::TableSize {
                relation: r.get(0),
                // -1: never vacuumed or analyzed, so the planner does not know.
                rows: (estimate >= 0.0).then_some(estimate as u64),
                bytes: Some(r.get::<_, i64>(2) as u64),
                production_rows: None,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(name: &str, kind: &'static str, filenode: u32, bytes: u64) -> Relation {
        Relation {
            name: name.into(),
            kind,
            filenode,
            bytes: Some(bytes),
        }
    }

    #[test]
    fn a_changed_filenode_is_a_rewrite_and_a_new_relation_is_not() {
        let before = Catalog {
            relations: [(1, rel("public.t", "table", 10, 8192))].into(),
            wal_lsn: None,
        };
        let after = Catalog {
            relations: [
                (1, rel("public.t", "table", 11, 16384)),
                (2, rel("public.t_idx", "index", 12, 8192)),
            ]
            .into(),
            wal_lsn: None,
        };
        let (rewrites, sizes) = compare(&before, &after);
        assert_eq!(rewrites, vec!["public.t"]);
        assert_eq!(sizes.len(), 2);
        assert_eq!(sizes[1].before_bytes, None);
    }

    #[test]
    fn an_index_dropped_and_rebuilt_under_its_name_in_one_statement_is_a_rewrite() {
        let before = Catalog {
            relations: [(1, rel("public.t_a_idx", "index", 10, 8192))].into(),
            wal_lsn: None,
        };
        let after = Catalog {
            relations: [(2, rel("public.t_a_idx", "index", 20, 8192))].into(),
            wal_lsn: None,
        };
        assert_eq!(compare(&before, &after).0, vec!["public.t_a_idx"]);
    }

    #[test]
    fn lsns_parse_as_pg_lsn_prints_them() {
        assert_eq!(parse_lsn("0/10"), Some(16));
        assert_eq!(parse_lsn("1/0"), Some(1 << 32));
        assert_eq!(parse_lsn("nope"), None);
    }
}
