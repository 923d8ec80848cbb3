//! The concurrent workload: client connections that keep running weighted, parameterized
//! application queries at a target rate while one migration step runs.
//!
//! Parameters come from the probe's `ParameterCache`: drawn once per rehearsal and drawn again
//! only after a step that may have changed what they read. The default workload draws its keys with
//! `TABLESAMPLE SYSTEM` sized to read a few dozen blocks, never the whole table. Latency goes into
//! HDR histograms; the time a query was blocked by the migration comes from the monitor's samples
//! of `pg_blocking_pids`. The workload is bounded: it stops when the step ends, and it only talks
//! to the rehearsal database.
//!
//! Writes are rehearsed, never committed. Every query that is not a plain read (a SELECT with no
//! locking clause, no data-modifying CTE and no call to a function outside `pg_catalog`, as
//! `pg_query` reads it) is sent as `BEGIN; <query>; ROLLBACK` in one simple-query round trip. So
//! it takes and waits for exactly the locks the same write takes in production (table and row
//! locks, foreign-key checks, triggers, which fire as they would), is blocked by the migration
//! exactly as long, and blocks it in turn; but nothing it does survives, so the rollback's data
//! check can never blame the workload's writes on the migration. What this does not measure is
//! the commit itself: the WAL flush (and synchronous replication) a committed write waits for,
//! which the migration does not change. Plain reads run as written.
//!
//! It must never commit a write, and never scan a whole table to draw the default parameters.

use super::observe::Sample;
use super::parameters::{self, ParameterCache};
use super::sessions::Sessions;
use super::query_kind::QueryKind;
use super::timeline;
use crate::report::{
    Latency, LatencyBucket, StatementReport, StatementWorkload, WorkloadQueryReport,
    WorkloadReport, LATENCY_BUCKETS,
};
use crate::scenario::WorkloadSection;
use hdrhistogram::Histogram;
use rand::{Rng, SeedableRng};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_postgres::{CancelToken, Client};

/// How long in-flight queries may run on after the step ended before they are cancelled.
const GRACE: Duration = Duration::from_secs(2);
/// Values drawn per parameter.
const DEFAULT_SAMPLE: u32 = 100;
/// Heap blocks the default workload's key sample reads at least: enough rows for the sample on
/// most tables, a few hundred kB to read on any table.
const SAMPLE_BLOCKS: u32 = 32;

/// One kind of query, with the values its parameters take.
#[derive(Debug, Clone)]
struct Planned {
    name: String,
    sql: String,
    weight: u32,
    /// One list of values per parameter ($1, $2, ...); a value may be NULL.
    values: Vec<parameters::Values>,
    skipped: Option<String>,
    /// Not a plain read: runs in a transaction that is rolled back.
    rolled_back: bool,
}

impl Planned {
    fn runnable(&self) -> bool {
        self.skipped.is_none()
    }

    /// What a client sends: the bound query, inside a transaction that is rolled back unless it
    /// is a plain read. The newlines keep a trailing `--` comment from swallowing the ROLLBACK.
    fn text(&self, rng: &mut impl Rng) -> String {
        let sql = self.bind(rng);
        if self.rolled_back {
            format!("BEGIN;\n{sql}\n;ROLLBACK")
        } else {
            sql
        }
    }

    /// The query text with each `$n` replaced by a literal drawn at random.
    fn bind(&self, rng: &mut impl Rng) -> String {
        let chosen: Vec<String> = self
            .values
            .iter()
            .map(|values| literal(values[rng.random_range(0..values.len())].as_deref()))
            .collect();
        let mut sql = String::with_capacity(self.sql.len());
        let mut rest = self.sql.as_str();
        while let Some(dollar) = rest.find('$') {
            sql.push_str(&rest[..dollar]);
            let after = &rest[dollar + 1..];
            let digits = after.len() - after.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            match after[..digits].parse::<usize>() {
                Ok(n) if n >= 1 && n <= chosen.len() => sql.push_str(&chosen[n - 1]),
                _ => sql.push_str(&rest[dollar..dollar + 1 + digits]),
            }
            rest = &after[digits..];
        }
        sql.push_str(rest);
        sql
    }
}

/// A SQL literal; PostgreSQL casts an untyped literal to whatever the parameter's context needs.
fn literal(value: Option<&str>) -> String {
    match value {
        None => "NULL".into(),
        Some(v) => format!("'{}'", v.replace('\'', "''")),
    }
}

/// A workload ready to start: queries planned, client connections open.
pub(crate) struct Workload {
    queries: Arc<Vec<Planned>>,
    clients: Vec<(Client, i32)>,
    /// Where the clients go back when the step is over.
    sessions: Sessions,
    rate: f64,
    default: bool,
    parameter_draws: u32,
}

impl Workload {
    /// Plans the queries of `section` (the default workload when it has none) with parameter
    /// values from `cache`, and connects the clients.
    pub async fn prepare(
        sessions: &Sessions,
        section: &WorkloadSection,
        cache: &ParameterCache,
    ) -> Result<Workload, tokio_postgres::Error> {
        // The clients are taken (and their pids read) side by side, beside the planning: one
        // after the other they were a dozen round trips before every step's first statement.
        let (planned, clients) = tokio::join!(
            Self::plan(sessions, section, cache),
            take_clients(sessions, section.clients)
        );
        let (queries, parameter_draws) = match planned {
            Ok(p) => p,
            Err(e) => {
                give_back_all(sessions, clients.unwrap_or_default());
                return Err(e);
            }
        };
        // Without a query to run, no client is needed, nor a failure to take one said.
        let clients = match (queries.iter().any(Planned::runnable), clients) {
            (true, clients) => clients?,
            (false, Ok(clients)) => {
                give_back_all(sessions, clients);
                Vec::new()
            }
            (false, Err(_)) => Vec::new(),
        };
        Ok(Workload {
            queries: Arc::new(queries),
            clients,
            sessions: sessions.clone(),
            rate: section.rate,
            default: section.queries.is_empty(),
            parameter_draws,
        })
    }

    /// The queries of `section` (the default workload's when it has none), with their
    /// parameter values, and how many parameter queries ran.
    async fn plan(
        sessions: &Sessions,
        section: &WorkloadSection,
        cache: &ParameterCache,
    ) -> Result<(Vec<Planned>, u32), tokio_postgres::Error> {
        let setup = sessions.take().await?;
        let default = section.queries.is_empty();
        let wanted: Vec<(String, String, u32, Vec<String>)> = if default {
            default_queries(&setup).await?
        } else {
            section
                .queries
                .iter()
                .enumerate()
                .map(|(i, q)| {
                    (
                        q.name.clone().unwrap_or_else(|| format!("query {}", i + 1)),
                        q.sql.clone(),
                        q.weight,
                        q.params.clone(),
                    )
                })
                .collect()
        };
        // The default workload's reads and updates share their draw.
        let mut parameter_queries: Vec<String> = Vec::new();
        for param in wanted.iter().flat_map(|w| &w.3) {
            if !parameter_queries.contains(param) {
                parameter_queries.push(param.clone());
            }
        }
        let draws = cache.values(&setup, &parameter_queries).await?;
        let kinds: Vec<Option<QueryKind>> = wanted.iter().map(|w| QueryKind::of(&w.1)).collect();
        let unqualified: Vec<&str> = kinds
            .iter()
            .flatten()
            .flat_map(QueryKind::unqualified_functions)
            .collect();
        // Where the catalog cannot say, every unqualified function may be the user's.
        let theirs = parameters::user_functions(&setup, &unqualified).await;
        let mut queries = Vec::new();
        for ((name, sql, weight, params), kind) in wanted.into_iter().zip(kinds) {
            let rolled_back = !kind.as_ref().is_some_and(|k| {
                k.is_plain_read(|f| theirs.as_ref().is_none_or(|t| t.contains(f)))
            });
            let mut planned = Planned {
                name,
                sql,
                weight,
                values: Vec::new(),
                skipped: None,
                rolled_back,
            };
            if kind.as_ref().is_some_and(|k| k.transaction_control) {
                planned.skipped = Some(
                    "it controls its own transaction, and the workload runs every write in a transaction it rolls back".into(),
                );
            }
            for param in &params {
                match &draws.values[param] {
                    Ok(values) if values.is_empty() => {
                        planned.skipped =
                            Some(format!("the parameter query `{param}` returned no rows"));
                    }
                    Ok(values) => planned.values.push(values.clone()),
                    Err(e) => {
                        planned.skipped =
                            Some(format!("the parameter query `{param}` failed: {e}"));
                    }
                }
            }
            queries.push(planned);
        }
        sessions.give_back(setup);
        Ok((queries, draws.queries_run))
    }

    /// Starts every client; times are recorded in ms since `t0`.
    pub fn start(self, t0: Instant) -> RunningWorkload {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let connected = self.clients.len() as u32;
        let period = Duration::from_secs_f64(f64::from(connected.max(1)) / self.rate);
        let mut pids = Vec::new();
        let mut cancels = Vec::new();
        let mut tasks = Vec::new();
        for (index, (client, pid)) in self.clients.into_iter().enumerate() {
            pids.push(pid);
            cancels.push(client.cancel_token());
            let queries = self.queries.clone();
            let stopped = stopped.clone();
            tasks.push(tokio::spawn(run_client(
                client, pid, index, queries, period, t0, stopped,
            )));
        }
        RunningWorkload {
            stop,
            tasks,
            pids,
            cancels,
            queries: self.queries,
            clients: connected,
            rate: self.rate,
            default: self.default,
            parameter_draws: self.parameter_draws,
            sessions: self.sessions,
        }
    }
}

/// `count` sessions with their backend pids, taken side by side.
async fn take_clients(
    sessions: &Sessions,
    count: u32,
) -> Result<Vec<(Client, i32)>, tokio_postgres::Error> {
    let taken = futures_util::future::join_all((0..count).map(|_| async {
        let client = sessions.take().await?;
        match client.query_one("SELECT pg_backend_pid()", &[]).await {
            Ok(row) => Ok((client, row.get::<_, i32>(0))),
            Err(e) => Err(e),
        }
    }))
    .await;
    let mut clients = Vec::new();
    let mut failed = None;
    for t in taken {
        match t {
            Ok(c) => clients.push(c),
            Err(e) => failed = Some(e),
        }
    }
    match failed {
        None => Ok(clients),
        Some(e) => {
            give_back_all(sessions, clients);
            Err(e)
        }
    }
}

/// Idle sessions the workload took and will not use, kept for the next step.
fn give_back_all(sessions: &Sessions, clients: Vec<(Client, i32)>) {
    for (client, _) in clients {
        sessions.give_back(client);
    }
}

/// The largest tables with a one-column primary key: reads by key, and updates by key that set
/// a column to itself (one that is neither an identity nor a generated column, which could not
/// be set; tables without such a column get no update).
async fn default_queries(
    client: &Client,
) -> Result<Vec<(String, String, u32, Vec<String>)>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT format('%I.%I', n.nspname, c.relname), format('%I', a.attname),
                    pg_catalog.quote_ident(w.attname)
             FROM pg_catalog.pg_class c
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             JOIN pg_catalog.pg_index i ON i.indrelid = c.oid AND i.indisprimary AND i.indnatts = 1
             JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
             LEFT JOIN LATERAL (
                 SELECT x.attname FROM pg_catalog.pg_attribute x
                 WHERE x.attrelid = c.oid AND x.attnum > 0 AND NOT x.attisdropped
                   AND x.attidentity = '' AND x.attgenerated = ''
                 ORDER BY x.attnum = a.attnum, x.attnum
                 LIMIT 1
             ) w ON true
             WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
               AND n.nspname !~ '^pg_'
             ORDER BY pg_catalog.pg_relation_size(c.oid) DESC, 1
             LIMIT 3",
            &[],
        )
        .await?;
    let mut queries = Vec::new();
    for row in rows {
        let table: String = row.get(0);
        let key: String = row.get(1);
        let writable: Option<String> = row.get(2);
        let params = vec![key_sample(&table, &key)];
        queries.push((
            format!("read {table} by {key}"),
            format!("SELECT * FROM {table} WHERE {key} = $1"),
            4,
            params.clone(),
        ));
        if let Some(column) = writable {
            queries.push((
                format!("update {table} by {key}"),
                format!("UPDATE {table} SET {column} = {column} WHERE {key} = $1"),
                1,
                params,
            ));
        }
    }
    Ok(queries)
}

/// Up to [`DEFAULT_SAMPLE`] keys of `table` at random, from a block sample: at least
/// [`SAMPLE_BLOCKS`] blocks, more where the statistics say rows are wide, all of a small table.
/// Its text depends on the table's name only, so that the cache knows it again after the table
/// grew. Where the sample finds no row (a table of mostly empty pages), the first rows do.
fn key_sample(table: &str, key: &str) -> String {
    let regclass = format!("'{}'::pg_catalog.regclass", table.replace('\'', "''"));
    let percent = format!(
        "(SELECT least(100, 100.0 * greatest({SAMPLE_BLOCKS}, \
         CASE WHEN c.reltuples > 0 AND c.relpages > 0 THEN {} * c.relpages / c.reltuples ELSE 0 END) \
         / greatest(1, pg_catalog.pg_relation_size(c.oid) / pg_catalog.current_setting('block_size')::int)) \
         FROM pg_catalog.pg_class c WHERE c.oid = {regclass})",
        4.0 * f64::from(DEFAULT_SAMPLE)
    );
    format!(
        "WITH sample AS (SELECT {key} FROM {table} TABLESAMPLE SYSTEM ({percent})) \
         (SELECT {key}::text FROM sample ORDER BY pg_catalog.random() LIMIT {DEFAULT_SAMPLE}) \
         UNION ALL \
         (SELECT {key}::text FROM {table} WHERE NOT EXISTS (SELECT FROM sample) LIMIT {DEFAULT_SAMPLE})"
    )
}

/// One query a client ran.
#[derive(Debug, Clone)]
struct Record {
    pid: i32,
    query: usize,
    start: f64,
    end: f64,
    error: Option<String>,
}

/// One workload client: sends on schedule until stopped. Client `index` sends the runnable
/// query of that index first, so that with as many clients as queries every query is sent at
/// least once even when the first ones block for the whole step (a client waiting behind a lock
/// sends nothing else); after that the picks are weighted at random.
async fn run_client(
    client: Client,
    pid: i32,
    index: usize,
    queries: Arc<Vec<Planned>>,
    period: Duration,
    t0: Instant,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) -> (Vec<Record>, Client) {
    let mut rng = rand::rngs::StdRng::from_os_rng();
    let runnable: Vec<usize> = (0..queries.len())
        .filter(|&i| queries[i].runnable())
        .collect();
    let total: u32 = runnable.iter().map(|&i| queries[i].weight).sum();
    let mut records = Vec::new();
    if total == 0 {
        return (records, client);
    }
    // Clients start spread over one period, not in lockstep.
    let mut next = tokio::time::Instant::now() + period.mul_f64(rng.random::<f64>());
    let ms = |at: Instant| at.duration_since(t0).as_secs_f64() * 1000.0;
    loop {
        if *stopped.borrow() {
            break;
        }
        tokio::select! {
            _ = stopped.changed() => break,
            _ = tokio::time::sleep_until(next) => {}
        }
        let query = if records.is_empty() {
            let weighted: Vec<usize> = runnable
                .iter()
                .copied()
                .filter(|&i| queries[i].weight > 0)
                .collect();
            weighted[index % weighted.len()]
        } else {
            let mut pick = rng.random_range(0..total);
            *runnable
                .iter()
                .find(|&&i| {
                    if pick < queries[i].weight {
                        true
                    } else {
                        pick -= queries[i].weight;
                        false
                    }
                })
                .expect("the pick is below the total weight")
        };
        let sql = queries[query].text(&mut rng);
        let start = Instant::now();
        let result = client.simple_query(&sql).await;
        let end = Instant::now();
        if result.is_err() && queries[query].rolled_back {
            // The error skipped the ROLLBACK: the transaction is open, aborted.
            let _ = client.batch_execute("ROLLBACK").await;
        }
        records.push(Record {
            pid,
            query,
            start: ms(start),
            end: ms(end),
            error: result.err().map(|e| crate::server_text::of(&e)),
        });
        // A blocked client does not fire a burst afterwards: the schedule restarts from now.
        next = (next + period).max(tokio::time::Instant::now());
    }
    (records, client)
}

/// A workload whose clients are running.
pub(crate) struct RunningWorkload {
    stop: tokio::sync::watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<(Vec<Record>, Client)>>,
    sessions: Sessions,
    pids: Vec<i32>,
    cancels: Vec<CancelToken>,
    queries: Arc<Vec<Planned>>,
    clients: u32,
    rate: f64,
    default: bool,
    parameter_draws: u32,
}

impl RunningWorkload {
    /// The clients' backend pids, for the monitor to watch.
    pub fn pids(&self) -> Vec<i32> {
        self.pids.clone()
    }

    /// Stops the clients: in-flight queries get a grace period, then are cancelled.
    pub async fn finish(self) -> Records {
        let _ = self.stop.send(true);
        let mut records = Vec::new();
        let deadline = tokio::time::Instant::now() + GRACE;
        for (task, cancel) in self.tasks.into_iter().zip(self.cancels) {
            let mut task = task;
            match tokio::time::timeout_at(deadline, &mut task).await {
                // A client whose last query ended on its own is idle: it serves the next step.
                Ok(Ok((done, client))) => {
                    records.extend(done);
                    self.sessions.give_back(client);
                }
                Ok(Err(_)) => {}
                Err(_) => {
                    let _ = cancel.cancel_query(crate::provision::tls::Tls::unverified().connector).await;
                    match tokio::time::timeout(GRACE, &mut task).await {
                        // Cancelled mid-query: closed rather than kept, whatever state it is in.
                        Ok(Ok((done, _))) => records.extend(done),
                        Ok(Err(_)) => {}
                        Err(_) => task.abort(),
                    }
                }
            }
        }
        records.sort_by(|a, b| a.start.total_cmp(&b.start));
        Records {
            records,
            queries: self.queries,
            clients: self.clients,
            rate: self.rate,
            default: self.default,
            parameter_draws: self.parameter_draws,
        }
    }
}

/// What the clients did during one step.
pub(crate) struct Records {
    records: Vec<Record>,
    queries: Arc<Vec<Planned>>,
    /// Clients that connected: none when no query had parameter values to run with.
    clients: u32,
    rate: f64,
    default: bool,
    parameter_draws: u32,
}

/// Counts and a latency histogram, folded into a report value at the end.
struct Tally {
    latency: Histogram<u64>,
    /// The same, with the sends a blocked client missed filled in (coordinated omission).
    on_schedule: Histogram<u64>,
    stats: StatementWorkload,
}

/// Microseconds up to a day: a query blocked longer is a day.
const LONGEST_US: u64 = 24 * 3600 * 1_000_000;

impl Tally {
    fn new() -> Tally {
        let histogram = || {
            Histogram::new_with_bounds(1, LONGEST_US, 3).expect("static histogram bounds are valid")
        };
        Tally {
            latency: histogram(),
            on_schedule: histogram(),
            stats: StatementWorkload::default(),
        }
    }

    fn add(&mut self, record: &Record, blocked_ms: f64, period_ms: f64) {
        let micros = ((record.end - record.start) * 1000.0).round().max(1.0) as u64;
        self.stats.delayed += ((record.end - record.start) / period_ms).floor() as u64;
        self.latency.saturating_record(micros);
        let period_us = (period_ms * 1000.0).round().max(1.0) as u64;
        // Within the bounds, so it cannot fail.
        let _ = self
            .on_schedule
            .record_correct(micros.min(LONGEST_US), period_us);
        self.stats.queries += 1;
        if record.error.is_some() {
            self.stats.errors += 1;
        }
        if blocked_ms > 0.0 {
            self.stats.blocked_count += 1;
            self.stats.blocked_total_ms += blocked_ms;
            self.stats.blocked_longest_ms = self.stats.blocked_longest_ms.max(blocked_ms);
        }
    }

    fn done(mut self) -> StatementWorkload {
        if self.stats.queries > 0 {
            let percentiles = |h: &Histogram<u64>| {
                let ms = |v: u64| v as f64 / 1000.0;
                Latency {
                    p50_ms: ms(h.value_at_quantile(0.50)),
                    p95_ms: ms(h.value_at_quantile(0.95)),
                    p99_ms: ms(h.value_at_quantile(0.99)),
                    max_ms: ms(h.max()),
                }
            };
            self.stats.latency = percentiles(&self.latency);
            self.stats.latency_on_schedule = Some(percentiles(&self.on_schedule));
        }
        self.stats
    }
}

impl Records {
    /// Per statement (by the statement running when a query started), per query and in total.
    pub fn summarise(
        self,
        samples: &[Sample],
        interval: f64,
        statements: &mut [StatementReport],
        span_ms: f64,
    ) -> WorkloadReport {
        let at: Vec<f64> = samples.iter().map(|s| s.at).collect();
        let period_ms = 1000.0 * f64::from(self.clients.max(1)) / self.rate;
        let mut per_statement: Vec<Tally> = statements.iter().map(|_| Tally::new()).collect();
        let mut per_query: Vec<Tally> = self.queries.iter().map(|_| Tally::new()).collect();
        let mut totals = Tally::new();
        let mut error_samples: Vec<String> = Vec::new();
        for record in &self.records {
            let blocked = timeline::covered_ms(
                &at,
                |i| samples[i].blocked.contains(&record.pid),
                record.start,
                record.end,
                interval,
            );
            let statement = statements
                .iter()
                .rposition(|s| s.started_ms <= record.start)
                .unwrap_or(0);
            if let Some(tally) = per_statement.get_mut(statement) {
                tally.add(record, blocked, period_ms);
            }
            per_query[record.query].add(record, blocked, period_ms);
            totals.add(record, blocked, period_ms);
            if let Some(e) = &record.error {
                if error_samples.len() < 5 && !error_samples.contains(e) {
                    error_samples.push(e.clone());
                }
            }
        }
        let timeline = latency_timeline(&self.records, span_ms);
        if self.clients > 0 {
            for (report, tally) in statements.iter_mut().zip(per_statement) {
                report.workload = Some(tally.done());
            }
        }
        WorkloadReport {
            clients: self.clients,
            target_rate: self.rate,
            default: self.default,
            writes_rolled_back: self.queries.iter().any(|q| q.rolled_back),
            parameter_draws: self.parameter_draws,
            totals: totals.done(),
            queries: self
                .queries
                .iter()
                .zip(per_query)
                .map(|(q, tally)| WorkloadQueryReport {
                    name: q.name.clone(),
                    sql: q.sql.clone(),
                    stats: tally.done(),
                    skipped: q.skipped.clone(),
                    rolled_back: q.rolled_back,
                })
                .collect(),
            error_samples,
            timeline,
        }
    }
}

/// The workload's latency in buckets over `span_ms` (the direction's time, or the last query's
/// end when later): per bucket, the queries that finished in it and their 95th percentile, and
/// the age of the oldest query still waiting at its end.
fn latency_timeline(records: &[Record], span_ms: f64) -> Vec<LatencyBucket> {
    if records.is_empty() {
        return Vec::new();
    }
    let span = records
        .iter()
        .map(|r| r.end)
        .fold(span_ms, f64::max)
        .max(1.0);
    let width = (span / LATENCY_BUCKETS as f64).max(50.0);
    let count = ((span / width).ceil() as usize).clamp(1, LATENCY_BUCKETS);
    let mut finished: Vec<Vec<f64>> = vec![Vec::new(); count];
    for r in records {
        let i = ((r.end / width) as usize).min(count - 1);
        finished[i].push(r.end - r.start);
    }
    finished
        .into_iter()
        .enumerate()
        .map(|(i, mut latencies)| {
            let (start, end) = (i as f64 * width, (i + 1) as f64 * width);
            latencies.sort_by(f64::total_cmp);
            let p95 = latencies
                .get(((latencies.len() as f64 * 0.95).ceil() as usize).saturating_sub(1))
                .copied()
                .unwrap_or(0.0);
            let oldest = records
                .iter()
                .filter(|r| r.start < end && r.end > end)
                .map(|r| end - r.start)
                .fold(0.0, f64::max);
            LatencyBucket {
                start_ms: start,
                width_ms: width,
                completed: latencies.len() as u64,
                p95_ms: p95,
                oldest_waiting_ms: oldest,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_become_quoted_literals() {
        let q = Planned {
            name: "q".into(),
            sql: "SELECT * FROM t WHERE a = $1 AND b = $2 AND c = $10".into(),
            weight: 1,
            values: vec![Arc::new(vec![Some("it's".into())]), Arc::new(vec![None])],
            skipped: None,
            rolled_back: false,
        };
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        assert_eq!(
            q.bind(&mut rng),
            "SELECT * FROM t WHERE a = 'it''s' AND b = NULL AND c = $10"
        );
    }

    #[test]
    fn a_write_is_sent_inside_a_transaction_that_is_rolled_back_and_a_read_as_written() {
        let mut q = Planned {
            name: "q".into(),
            sql: "UPDATE t SET v = v + 1 WHERE id = $1 -- bump".into(),
            weight: 1,
            values: vec![Arc::new(vec![Some("7".into())])],
            skipped: None,
            rolled_back: true,
        };
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        assert_eq!(
            q.text(&mut rng),
            "BEGIN;\nUPDATE t SET v = v + 1 WHERE id = '7' -- bump\n;ROLLBACK"
        );
        q.rolled_back = false;
        assert_eq!(
            q.text(&mut rng),
            "UPDATE t SET v = v + 1 WHERE id = '7' -- bump"
        );
    }

    #[test]
    fn the_key_sample_is_a_plain_read_of_its_table_by_block_sample() {
        let sql = key_sample("public.\"Order's\"", "id");
        let kind = QueryKind::of(&sql).expect("the key sample parses");
        assert!(kind.is_plain_read(|_| false), "{sql}");
        assert!(kind
            .relations
            .contains(&(Some("public".into()), "Order's".into())));
        assert!(sql.contains("TABLESAMPLE SYSTEM"), "{sql}");
    }

    #[test]
    fn the_timeline_shows_where_an_outage_starts_and_ends() {
        // Queries every 10 ms for 3 s; the ones sent between 1 s and 2 s wait until 2 s.
        let records: Vec<Record> = (0..300)
            .map(|i| {
                let start = i as f64 * 10.0;
                let end = if (1000.0..2000.0).contains(&start) {
                    2000.0
                } else {
                    start + 1.0
                };
                Record {
                    pid: 1,
                    query: 0,
                    start,
                    end,
                    error: None,
                }
            })
            .collect();
        let timeline = latency_timeline(&records, 3000.0);
        assert_eq!(timeline.len(), 60);
        let at = |ms: f64| &timeline[(ms / 50.0) as usize];
        assert_eq!(at(500.0).oldest_waiting_ms, 0.0);
        assert!(at(500.0).p95_ms <= 1.0);
        // Inside the outage nothing finishes and the oldest waiter ages.
        assert_eq!(at(1500.0).completed, 0);
        assert_eq!(at(1500.0).oldest_waiting_ms, 550.0);
        // At the release everything finishes at once, with the long latencies.
        assert_eq!(at(2000.0).completed, 100 + 5);
        assert!(at(2000.0).p95_ms >= 900.0);
        assert_eq!(at(2500.0).oldest_waiting_ms, 0.0);
    }

    #[test]
    fn a_client_blocked_for_a_second_counts_the_sends_it_missed_on_schedule() {
        // A client that sends every 10 ms: 200 quick queries, then one blocked for a second.
        let mut tally = Tally::new();
        let record = |start: f64, took: f64| Record {
            pid: 1,
            query: 0,
            start,
            end: start + took,
            error: None,
        };
        for i in 0..200 {
            tally.add(&record(i as f64 * 10.0, 1.0), 0.0, 10.0);
        }
        tally.add(&record(2000.0, 1000.0), 1000.0, 10.0);
        let stats = tally.done();
        // As the queries ran: one slow query in 201 does not reach the 99th percentile.
        assert!(stats.latency.p99_ms < 2.0, "{:?}", stats.latency);
        // On schedule, the ~99 sends the blocked client missed waited 10 ms to 990 ms each:
        // about a third of all sends, so the median is still quick but p95 and p99 are not.
        let on_schedule = stats.latency_on_schedule.unwrap();
        assert!(on_schedule.p50_ms < 2.0, "{on_schedule:?}");
        assert!(on_schedule.p95_ms > 800.0, "{on_schedule:?}");
        assert!((on_schedule.max_ms - stats.latency.max_ms).abs() < 1.0);
        assert_eq!(stats.delayed, 100);
    }
}
