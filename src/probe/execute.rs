//! Running a script's statements: the statement loop and its transactions (ours, the file's own
//! BEGIN/COMMIT, or savepoints under `--in-transaction`), each statement timed, a server error
//! mapped to its file line and culprit, and a server that went away told apart from a migration
//! that failed. [`run_script`] runs unobserved (baselines, replays); an observed run brings in
//! the monitor, the workload and the long transaction. It never commits inside a transaction it
//! must not end, and never blames the migration for the environment's failure.

use super::long_transaction::LongTransaction;
use super::observe::{Observation, Sampler};
use super::workload::Workload;
use super::Probe;
use crate::migrations::{Script, Statement, Transactionality};
use crate::report::{Culprit, Direction, StatementError, StatementReport};
use crate::scenario::LongTransactionSection;
use std::borrow::Cow;
use std::sync::Arc;
use std::time::Instant;
use tokio_postgres::Client;

/// How the statements of a script are wrapped in transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wrapping {
    /// The file has its own BEGIN/COMMIT: run every statement as written, in autocommit.
    AsWritten,
    /// We open a transaction around each run of transactional statements.
    Managed,
}

/// Runs `script` on `client` without observing it (baselines); stops at the first error, rolling
/// back the open transaction.
pub async fn run_script(client: &Client, script: &Script, file_label: &str) -> Direction {
    execute(
        client,
        script,
        file_label,
        Instant::now(),
        None,
        false,
        None,
    )
    .await
}

/// [`run_script`] inside a transaction that must stay open (`--in-transaction`): the script's
/// transactions become savepoints and an error rolls back to the one around the script.
pub async fn run_script_nested(client: &Client, script: &Script, file_label: &str) -> Direction {
    execute(client, script, file_label, Instant::now(), None, true, None).await
}

/// The savepoint a file's own BEGIN … COMMIT becomes inside a transaction it must not end.
const STEP_SAVEPOINT: &str = "rehearse_step";
/// The savepoint around a whole script inside such a transaction: a failure undoes the script.
const SCRIPT_SAVEPOINT: &str = "rehearse_script";

/// Runs `script` observed: locks, rewrites, WAL, sizes, lock waits, and the workload around it.
pub(crate) async fn run_observed(
    probe: &Probe,
    client: &Client,
    script: &Script,
    file_label: &str,
    long_transaction: Option<&LongTransactionSection>,
    beats: Option<&dyn super::Heartbeats>,
) -> Direction {
    if let Some(failed) = unparsed(script, file_label) {
        return failed;
    }
    let settings = &probe.settings;
    if let Err(e) = apply_timeouts(client, settings).await {
        let first = script.statements.first();
        return Direction {
            ok: false,
            error: Some(StatementError {
                message: format!(
                    "the scenario's lock_timeout or statement_timeout was refused: {e}"
                ),
                file: file_label.to_string(),
                line: first.map(|s| s.line).unwrap_or(script.first_line),
                code: None,
                environment: None,
                culprit: None,
            }),
            ..Default::default()
        };
    }
    let cancellable = super::running::register(client);
    let mut direction = observed(probe, client, script, file_label, long_transaction, beats).await;
    drop(cancellable);
    confirm_environment_failure(probe, &mut direction).await;
    let _ = client
        .batch_execute("RESET lock_timeout; RESET statement_timeout")
        .await;
    direction
}

/// A lost connection is the environment's failure only if the server is really gone: when a new
/// connection works, the server lived and only the migration's session ended (a migration that
/// terminates its own backend, a backend that crashed on the statement), which is the
/// migration's to answer for.
async fn confirm_environment_failure(probe: &Probe, direction: &mut Direction) {
    let Some(error) = direction.error.as_mut() else {
        return;
    };
    let Some(what) = error.environment.take() else {
        return;
    };
    if error.code.as_deref() == Some("53100") {
        error.environment = Some(what);
        return;
    }
    // A server that crashed restarts within moments; one that was killed never answers.
    let mut last = String::new();
    for _ in 0..3 {
        match probe.connection.connect().await {
            Ok(c) => match c.simple_query("SELECT 1").await {
                Ok(_) => {
                    error.message.push_str(
                        " (the server itself stayed up: the migration's own session ended)",
                    );
                    return;
                }
                Err(e) => last = crate::server_text::of(&e),
            },
            Err(e) => last = crate::server_text::of(&e),
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    error.environment = Some(format!("{what}, and it does not answer any more ({last})"));
}

async fn observed(
    probe: &Probe,
    client: &Client,
    script: &Script,
    file_label: &str,
    long_transaction: Option<&LongTransactionSection>,
    beats: Option<&dyn super::Heartbeats>,
) -> Direction {
    let settings = &probe.settings;
    let interval = settings.sample_interval;
    let monitor = match probe.sessions.take().await {
        Ok(m) => m,
        Err(e) => {
            // No monitor connection: the migration still runs, unobserved, rather than not at
            // all, and the report says that its locks were not read.
            probe.parameters.forget_all();
            let mut direction = run_script(client, script, file_label).await;
            direction.unobserved.push(format!(
                "the probe could not open its monitor connection ({}), so the migration's locks and lock waits were not observed",
                crate::server_text::of(&e)
            ));
            return direction;
        }
    };
    let monitor = Arc::new(monitor);
    let kept_monitor = monitor.clone();
    // Parameters are drawn before the long transaction takes its lock, which could block them.
    // What the scenario asked for and could not start is said, not skipped: a report without
    // the measurement someone gates on must not look like a clean one.
    let mut unobserved = Vec::new();
    let workload = match &settings.workload {
        Some(section) => {
            match Workload::prepare(&probe.sessions, section, &probe.parameters).await {
                Ok(w) => Some(w),
                Err(e) => {
                    unobserved.push(format!(
                    "the scenario's workload could not start, so no query ran beside the migration: {}",
                    crate::server_text::of(&e)
                ));
                    None
                }
            }
        }
        None => None,
    };
    let long = match long_transaction {
        Some(lt) => {
            let (table, mode) = Probe::long_transaction_settings(lt);
            match LongTransaction::start(&probe.connection, &table, mode, lt.seconds).await {
                Ok(l) => Some(l),
                Err(e) => {
                    unobserved.push(format!(
                        "the scenario's long transaction could not lock {table} in {mode} mode, so the lock queue was not measured: {}",
                        crate::server_text::of(&e)
                    ));
                    None
                }
            }
        }
        None => None,
    };
    let mut observation = match Observation::start(
        client,
        monitor.clone(),
        probe.connection.clone(),
    )
    .await
    {
        Ok(o) => o,
        Err(e) => {
            probe.parameters.forget_all();
            let mut direction = run_script(client, script, file_label).await;
            unobserved.push(format!(
                    "the probe could not read the starting catalog ({}), so the migration's locks and rewrites were not observed",
                    crate::server_text::of(&e)
                ));
            direction.unobserved = unobserved;
            return direction;
        }
    };
    let t0 = observation.t0;
    let running = workload.map(|w| w.start(t0));
    let watched = running.as_ref().map(|r| r.pids()).unwrap_or_default();
    let sampler = Sampler::start(
        monitor,
        probe.connection.clone(),
        observation.pid,
        watched,
        t0,
        interval,
    );

    let mut direction = execute(
        client,
        script,
        file_label,
        t0,
        Some(&mut observation),
        settings.nested,
        beats,
    )
    .await;

    let (samples, sampler_lost) = sampler.finish().await;
    // A probe that lost sight of the migration says so: an empty lock list must mean no locks.
    unobserved.append(&mut observation.lost);
    unobserved.extend(sampler_lost);
    let interval_ms = interval.as_secs_f64() * 1000.0;
    direction.wal_bytes = observation.wal_bytes();
    direction.lock_wait_ms = observation.finish(&samples, interval_ms, &mut direction.statements);
    probe.parameters.forget_written(script, &direction);
    if let Some(running) = running {
        let records = running.finish().await;
        let report = records.summarise(
            &samples,
            interval_ms,
            &mut direction.statements,
            direction.duration_ms,
        );
        // The default workload skips tables it cannot draw keys from; a query the scenario
        // wrote itself that never ran is a measurement missing.
        if !report.default {
            for q in &report.queries {
                if let Some(why) = &q.skipped {
                    unobserved.push(format!(
                        "the scenario's workload query \"{}\" never ran beside the migration: {why}",
                        q.name
                    ));
                }
            }
            unobserved.extend(failing_queries(&report));
        }
        direction.workload = Some(report);
    }
    if let Some(long) = long {
        direction.long_transaction = Some(long.finish(t0, &samples, interval_ms, &direction).await);
    }
    direction.unobserved = unobserved;
    if let Ok(monitor) = Arc::try_unwrap(kept_monitor) {
        probe.sessions.give_back(monitor);
    }
    direction
}

/// A query the scenario wrote that failed every time it ran measured nothing: a workload of
/// errors must not read as a workload the migration did not disturb.
fn failing_queries(report: &crate::report::WorkloadReport) -> Vec<String> {
    report
        .queries
        .iter()
        .filter(|q| q.stats.queries > 0 && q.stats.errors == q.stats.queries)
        .map(|q| {
            let sample = report
                .error_samples
                .first()
                .map(|e| format!(": {e}"))
                .unwrap_or_default();
            format!(
                "the scenario's workload query \"{}\" failed every time it ran beside the migration ({} of {}), so it measured nothing{sample}",
                q.name, q.stats.errors, q.stats.queries
            )
        })
        .collect()
}

async fn apply_timeouts(
    client: &Client,
    settings: &super::ProbeSettings,
) -> Result<(), tokio_postgres::Error> {
    let mut sql = String::new();
    if let Some(t) = &settings.lock_timeout {
        sql.push_str(&format!("SET lock_timeout = '{t}';"));
    }
    match &settings.statement_timeout {
        Some(t) => sql.push_str(&format!("SET statement_timeout = '{t}';")),
        // The default budget, unless the server already gives this role or database one (a
        // staging server's own limit is kept); a SET in the migration itself wins either way.
        None => sql.push_str(&format!(
            "SELECT CASE WHEN current_setting('statement_timeout') = '0' \
             THEN set_config('statement_timeout', '{}', false) END;",
            super::DEFAULT_STATEMENT_TIMEOUT
        )),
    }
    client.batch_execute(&sql).await
}

/// The statement loop. `t0` is the direction's start; `observation`, when given, is told about
/// each statement and each end of a transaction. `nested`: the session is inside a transaction
/// that must stay open (`--in-transaction`): the script's transaction, ours or the file's, is a
/// savepoint; an error rolls back to it; nothing is ever committed.
async fn execute(
    client: &Client,
    script: &Script,
    file_label: &str,
    t0: Instant,
    observation: Option<&mut Observation>,
    nested: bool,
    beats: Option<&dyn super::Heartbeats>,
) -> Direction {
    if let Some(failed) = unparsed(script, file_label) {
        return failed;
    }
    let mut run = Run {
        client,
        script,
        file_label,
        t0,
        observation,
        beats,
        nested,
        wrapping: wrapping_of(script),
        reports: Vec::with_capacity(script.statements.len()),
        in_managed_tx: false,
        in_file_tx: false,
    };
    let mut error = run.open_script_savepoint().await;
    if error.is_none() {
        error = run.statements().await;
    }
    if error.is_none() {
        error = run.bookkeeping().await;
    }
    if error.is_none() && nested {
        error = run.release_script_savepoint().await;
    }
    run.end_transaction(&mut error).await;
    if let Some(e) = &mut error {
        if e.code.as_deref() == Some(SYNTAX_ERROR) {
            e.message.push_str(&newer_syntax_hint(client).await);
        }
        if let Some(name) = missing_extension(&e.message) {
            e.message.push_str(&format!(
                " (the rehearsal server has no extension {name}, which production has if this migration runs there: the failure is the server image's, not the migration's; rehearse on an image that carries {name} with --image or [database] image)"
            ));
        }
    }
    Direction {
        ok: error.is_none(),
        error,
        duration_ms: t0.elapsed().as_secs_f64() * 1000.0,
        statements: run.reports,
        ..Default::default()
    }
}

/// An INSERT, UPDATE or DELETE, which can write rows and take row locks but never rewrite or
/// change the catalog (a trigger could; the run's last statement is read in full either way).
fn plain_dml(sql: &str) -> bool {
    let first = sql
        .split(|c: char| c.is_whitespace() || c == '(')
        .next()
        .unwrap_or("");
    ["INSERT", "UPDATE", "DELETE"]
        .iter()
        .any(|k| first.eq_ignore_ascii_case(k))
}

/// Whether the file runs as written (it has its own BEGIN/COMMIT) or in our transactions.
fn wrapping_of(script: &Script) -> Wrapping {
    if script.statements.iter().any(|s| {
        matches!(
            s.transactionality,
            Transactionality::Begin | Transactionality::Commit
        )
    }) {
        Wrapping::AsWritten
    } else {
        Wrapping::Managed
    }
}

/// One run of the statement loop: where it runs, what it has measured, and which transactions
/// are open.
struct Run<'a> {
    client: &'a Client,
    script: &'a Script,
    file_label: &'a str,
    t0: Instant,
    observation: Option<&'a mut Observation>,
    /// Hears a heartbeat while a statement runs long (only when observed: the monitor reads).
    beats: Option<&'a dyn super::Heartbeats>,
    nested: bool,
    wrapping: Wrapping,
    reports: Vec<StatementReport>,
    /// Our own transaction is open (Managed scripts).
    in_managed_tx: bool,
    /// The file's own BEGIN ... COMMIT is open (AsWritten scripts).
    in_file_tx: bool,
}

impl Run<'_> {
    /// Milliseconds from the direction's start to `at`.
    fn ms(&self, at: Instant) -> f64 {
        at.duration_since(self.t0).as_secs_f64() * 1000.0
    }

    /// Nested, opens the savepoint around the whole script; its failure is the first statement's.
    async fn open_script_savepoint(&self) -> Option<StatementError> {
        if !self.nested {
            return None;
        }
        let e = self
            .client
            .batch_execute(&format!("SAVEPOINT {SCRIPT_SAVEPOINT}"))
            .await
            .err()?;
        self.script
            .statements
            .first()
            .map(|first| to_error(&e, first, self.file_label))
    }

    /// Runs the statements in order and stops at the first error.
    async fn statements(&mut self) -> Option<StatementError> {
        let script = self.script;
        for (index, statement) in script.statements.iter().enumerate() {
            if let Err(e) = self.statement(index, statement).await {
                return Some(e);
            }
        }
        None
    }

    /// One statement: refused when it cannot run nested, then its transaction, then the run.
    async fn statement(
        &mut self,
        index: usize,
        statement: &Statement,
    ) -> Result<(), StatementError> {
        let transactional = statement.transactionality != Transactionality::NonTransactional;
        if self.nested && !transactional {
            // Never reached through the rehearsal, which does not run such scripts nested; a
            // COMMIT here would end the transaction that must be rolled back.
            return Err(StatementError {
                message: "this statement cannot run inside a transaction, so it was not run (--in-transaction)".into(),
                file: self.file_label.to_string(),
                line: statement.line,
                code: None,
                environment: None,
                culprit: None,
            });
        }
        if self.wrapping == Wrapping::Managed {
            self.manage_transaction(statement, transactional).await?;
        }
        self.timed(index, statement, transactional).await
    }

    /// Managed scripts: opens our transaction before a transactional statement, and commits it
    /// before a statement that cannot run in one.
    async fn manage_transaction(
        &mut self,
        statement: &Statement,
        transactional: bool,
    ) -> Result<(), StatementError> {
        // Nested, the script's savepoint is its transaction: nothing to open or commit.
        if transactional && !self.in_managed_tx && self.nested {
            self.in_managed_tx = true;
        } else if transactional && !self.in_managed_tx {
            if let Err(e) = self.client.batch_execute("BEGIN").await {
                return Err(to_error(&e, statement, self.file_label));
            }
            self.in_managed_tx = true;
        } else if !transactional && self.in_managed_tx {
            let result = self.client.batch_execute("COMMIT").await;
            self.in_managed_tx = false;
            if let Some(o) = self.observation.as_deref_mut() {
                o.released_all();
            }
            if let Err(e) = result {
                return Err(to_error(&e, statement, self.file_label));
            }
        }
        Ok(())
    }

    /// Runs the statement, timed, and records its report (told to the observation, if any).
    async fn timed(
        &mut self,
        index: usize,
        statement: &Statement,
        transactional: bool,
    ) -> Result<(), StatementError> {
        // Inside a transaction that must stay open, the file's own BEGIN and COMMIT become a
        // savepoint and its release.
        let sql: Cow<str> = match (self.nested, statement.transactionality) {
            (true, Transactionality::Begin) => format!("SAVEPOINT {STEP_SAVEPOINT}").into(),
            (true, Transactionality::Commit) => {
                format!("RELEASE SAVEPOINT {STEP_SAVEPOINT}").into()
            }
            _ => statement.sql.as_str().into(),
        };
        let t = Instant::now();
        let work = self.client.batch_execute(&sql);
        let result = match (self.beats, self.observation.as_deref()) {
            (Some(beats), Some(o)) => {
                let (monitor, pid) = (o.monitor.clone(), o.pid);
                super::heartbeat::beating(
                    work,
                    beats,
                    monitor,
                    pid,
                    (statement.line, &statement.sql),
                    t,
                )
                .await
            }
            _ => work.await,
        };
        let end = Instant::now();
        let mut report = StatementReport {
            sql: statement.sql.clone(),
            line: statement.line,
            duration_ms: end.duration_since(t).as_secs_f64() * 1000.0,
            ok: result.is_ok(),
            transactional,
            started_ms: self.ms(t),
            ..Default::default()
        };
        if result.is_ok() {
            match statement.transactionality {
                Transactionality::Begin => self.in_file_tx = true,
                Transactionality::Commit => self.in_file_tx = false,
                _ => {}
            }
        }
        let (start_ms, end_ms) = (self.ms(t), self.ms(end));
        let in_transaction = self.nested || self.in_managed_tx || self.in_file_tx;
        let within_a_run = plain_dml(&statement.sql)
            && self
                .script
                .statements
                .get(index + 1)
                .is_some_and(|next| plain_dml(&next.sql));
        if let Some(o) = self.observation.as_deref_mut() {
            o.after_statement(
                self.client,
                index,
                (start_ms, end_ms),
                result.is_ok(),
                in_transaction,
                within_a_run,
                &mut report,
            )
            .await;
        }
        self.reports.push(report);
        result.map_err(|e| to_error(&e, statement, self.file_label))
    }

    /// Writes the tool's own row in its bookkeeping table, when the script has one; its failure
    /// is the migration's, as it would be in production.
    async fn bookkeeping(&self) -> Option<StatementError> {
        // In the script's transaction when it has one, as the tool writes it: not a statement of
        // the migration, so not measured.
        let sql = self.script.bookkeeping.as_ref()?;
        let e = self.client.batch_execute(sql).await.err()?;
        let at = self
            .script
            .statements
            .last()
            .map_or(self.script.first_line, |s| s.line);
        Some(StatementError {
            message: format!(
                "recording the migration in the tool's bookkeeping table failed, as it would in production: {}",
                crate::server_text::of(&e)
            ),
            file: self.file_label.to_string(),
            line: at,
            code: e.as_db_error().map(|d| d.code().code().to_string()),
            environment: None,
            culprit: None,
        })
    }

    /// Nested, releases the script's savepoint; its failure is the last statement's.
    async fn release_script_savepoint(&self) -> Option<StatementError> {
        // Deferred constraints are checked at a commit, which never comes here: not checked.
        let e = self
            .client
            .batch_execute(&format!("RELEASE SAVEPOINT {SCRIPT_SAVEPOINT}"))
            .await
            .err()?;
        let last = self
            .script
            .statements
            .last()
            .expect("a script has statements");
        Some(to_error(&e, last, self.file_label))
    }

    /// Ends what is still open: after an error it is rolled back, else our own transaction is
    /// committed (never when nested).
    async fn end_transaction(&mut self, error: &mut Option<StatementError>) {
        if error.is_some() {
            self.roll_back().await;
        } else if self.in_managed_tx && !self.nested {
            *error = self.commit().await;
        }
    }

    /// After an error: whatever is open (ours or the file's) must not leak into the next step.
    async fn roll_back(&mut self) {
        let undo = if self.nested {
            // The whole script is undone, as a failed script's transaction is.
            format!(
                "ROLLBACK TO SAVEPOINT {SCRIPT_SAVEPOINT}; RELEASE SAVEPOINT {SCRIPT_SAVEPOINT}"
            )
        } else {
            "ROLLBACK".to_string()
        };
        let _ = self.client.batch_execute(&undo).await;
        if let Some(o) = self.observation.as_deref_mut() {
            o.released_all();
        }
    }

    /// Commits our transaction; its time (deferred constraints) is the last statement's.
    async fn commit(&mut self) -> Option<StatementError> {
        let t = Instant::now();
        let mut error = None;
        if let Err(e) = self.client.batch_execute("COMMIT").await {
            let last = self
                .script
                .statements
                .last()
                .expect("a transaction was opened for a statement");
            error = Some(to_error(&e, last, self.file_label));
        }
        if let Some(o) = self.observation.as_deref_mut() {
            o.released_all();
        }
        if let Some(last) = self.reports.last_mut() {
            // Deferred constraints are checked at commit; the time belongs to the script.
            last.duration_ms += t.elapsed().as_secs_f64() * 1000.0;
        }
        error
    }
}

/// SQLSTATE of a syntax error.
const SYNTAX_ERROR: &str = "42601";

/// The major version of the parser that split the files (libpg_query's).
const PARSER_MAJOR: u32 = 18;

/// The extension a `CREATE EXTENSION` found missing from the server's files, from the
/// server's message (`extension "pg_cron" is not available`, or before PostgreSQL 15 `could not
/// open extension control file ".../pg_cron.control"`).
pub(crate) fn missing_extension(message: &str) -> Option<String> {
    if let Some(rest) = message.split("extension \"").nth(1) {
        if let Some((name, after)) = rest.split_once('"') {
            if after.trim_start().starts_with("is not available") {
                return Some(name.to_string());
            }
        }
    }
    let control = message.split("could not open extension control file \"").nth(1)?;
    let path = control.split('"').next()?;
    let file = path.rsplit('/').next()?;
    file.strip_suffix(".control").map(str::to_string)
}

/// A statement reached the server, so the parser (PostgreSQL 18's) accepted it; a server that
/// calls it a syntax error is older and lacks the syntax. Says so, with the way to choose a
/// newer server. Empty when the server is as new as the parser (a real error then).
async fn newer_syntax_hint(client: &Client) -> String {
    let version: Option<String> = client
        .query_one("SHOW server_version", &[])
        .await
        .ok()
        .map(|row| row.get(0));
    let Some(version) = version
        .as_deref()
        .and_then(|v| v.split_whitespace().next())
        .map(str::to_string)
    else {
        return String::new();
    };
    let major = version
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|m| m.parse::<u32>().ok())
        .unwrap_or(0);
    if major >= PARSER_MAJOR {
        return String::new();
    }
    format!(
        " (PostgreSQL {PARSER_MAJOR}'s parser accepts this statement, but the rehearsal server is PostgreSQL {version}: the syntax may need a newer server; rehearse on the version production runs with [database] version = {PARSER_MAJOR} in the scenario or --pg-version {PARSER_MAJOR})"
    )
}

/// A direction that failed before anything ran, because its file could not be parsed.
fn unparsed(script: &Script, file_label: &str) -> Option<Direction> {
    let failure = script.parse_error.as_ref()?;
    Some(Direction {
        ok: false,
        error: Some(StatementError {
            message: format!(
                "the file cannot be parsed, so none of it ran: {}",
                crate::server_text::shorten(&failure.message)
            ),
            file: file_label.to_string(),
            line: failure.line,
            code: None,
            environment: None,
            culprit: None,
        }),
        ..Default::default()
    })
}

/// The server's message, and the line in the file where it points.
fn to_error(e: &tokio_postgres::Error, statement: &Statement, file_label: &str) -> StatementError {
    let (message, code, line) = match e.as_db_error() {
        Some(db) => {
            let line = match db.position() {
                Some(tokio_postgres::error::ErrorPosition::Original(pos)) => {
                    let offset = statement
                        .sql
                        .char_indices()
                        .nth((*pos as usize).saturating_sub(1))
                        .map(|(i, _)| i)
                        .unwrap_or(statement.sql.len());
                    statement.line + statement.sql[..offset].matches('\n').count()
                }
                _ => statement.line,
            };
            let mut message = crate::server_text::shorten(db.message());
            if let Some(detail) = db.detail() {
                message.push_str(&format!(" ({detail})"));
            }
            (message, Some(db.code().code().to_string()), line)
        }
        None => (e.to_string(), None, statement.line),
    };
    let environment = environment_failure(e, code.as_deref(), &message);
    StatementError {
        message,
        file: file_label.to_string(),
        line,
        code,
        environment,
        culprit: e.as_db_error().and_then(culprit),
    }
}

/// What an integrity error (class 23: NOT NULL, foreign key, unique, CHECK) is about.
fn culprit(db: &tokio_postgres::error::DbError) -> Option<Culprit> {
    if !db.code().code().starts_with("23") {
        return None;
    }
    let columns = match db.column() {
        Some(c) => vec![c.to_string()],
        None => db.detail().map(key_columns).unwrap_or_default(),
    };
    Some(Culprit {
        schema: db.schema()?.to_string(),
        table: db.table()?.to_string(),
        columns,
        constraint: db.constraint().map(str::to_string),
    })
}

/// The columns of a detail `Key (user_id, kind)=(7, a) is not present …`; none for an
/// expression (`Key (lower(email))=…`).
fn key_columns(detail: &str) -> Vec<String> {
    let Some(rest) = detail.strip_prefix("Key (") else {
        return Vec::new();
    };
    let Some((inside, _)) = rest.split_once(")=(") else {
        return Vec::new();
    };
    if inside.contains('(') {
        return Vec::new();
    }
    inside
        .split(", ")
        .map(|c| c.trim_matches('"').to_string())
        .collect()
}

/// What happened, when a statement failed because of the environment rather than itself: the
/// server went away (stopped, killed, crashed, its container removed) or its disk is full.
/// Production would not fail this way, so the migration must not be blamed for it.
fn environment_failure(
    e: &tokio_postgres::Error,
    code: Option<&str>,
    message: &str,
) -> Option<String> {
    match code {
        Some("53100") => Some(format!(
            "the rehearsal server's disk is full ({message}); free space where its data lives (the docker volume or the local provider's temporary folder) and run again"
        )),
        Some("57P01") | Some("57P02") => Some(format!(
            "the rehearsal server shut down while the statement ran ({message})"
        )),
        Some("57P03") => Some(format!(
            "the rehearsal server is not accepting connections ({message})"
        )),
        Some(class) if class.starts_with("08") => Some(format!(
            "the connection to the rehearsal server failed ({message})"
        )),
        Some(_) => None,
        None if e.as_db_error().is_none() => Some(format!(
            "the connection to the rehearsal server was lost while the statement ran ({})",
            if e.is_closed() { "connection closed".to_string() } else { e.to_string() }
        )),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::missing_extension;

    #[test]
    fn a_missing_extension_is_named_from_the_servers_message() {
        assert_eq!(
            missing_extension("extension \"pg_cron\" is not available (Could not open extension control file \"/usr/share/postgresql/15/extension/pg_cron.control\": No such file or directory.)"),
            Some("pg_cron".into())
        );
        assert_eq!(
            missing_extension("could not open extension control file \"/usr/share/postgresql/14/extension/pg_net.control\": No such file or directory"),
            Some("pg_net".into())
        );
        assert_eq!(missing_extension("extension \"x\" already exists"), None);
        assert_eq!(missing_extension("relation \"t\" does not exist"), None);
    }
}
