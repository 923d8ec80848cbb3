//! The rehearsal pipeline of DESIGN.md, and nothing else: provision, baseline, then for each
//! rehearsed migration a seed point, forward, rollback, forward again, and a reset from the
//! template when the rollback left damage behind; then the report model. Measuring is the
//! probe's and comparing the snapshot's; it never gates or renders the report (that is
//! [`crate::pipeline`]'s, through [`crate::gate`] and [`crate::render`]).

use crate::migrations::{Migration, MigrationSet};
use crate::probe::{self, Probe, ProbeSettings};
use crate::provision::{self, Database};
use crate::report::{
    DataSource, DatabaseInfo, Direction, Finding, FindingKind, MigrationReport, Report, TableSize,
    Verdict, SCHEMA_VERSION,
};
use crate::seed;
use crate::Error;
use seeding::SeedPoints;
use std::time::Instant;
use tokio_postgres::Client;

mod applied;
mod blame;
mod cached;
mod drift;
mod in_transaction;
pub mod journal;
mod migration;
mod progress;
mod proof;
mod reset;
mod sequences;
mod seeding;
mod sizes;

pub use migration::rehearse_migration;
pub use progress::{for_stderr, PlainProgress, Progress, QuietProgress, TerminalProgress};

/// What the rehearsal takes of the scenario: typed, and checked before anything starts. The
/// rehearsal never reads the scenario itself; the pipeline (`rehearsal_settings`) builds
/// these from it (the dataset definitions read and checked against the migrations).
#[derive(Debug, Clone)]
pub struct Settings {
    /// The scenario's name, for the report.
    pub name: String,
    /// The database to provision.
    pub database: provision::DatabaseRequest,
    /// `--baseline` or `[migrations] baseline`: the last migration applied before the rehearsal.
    pub baseline: Option<String>,
    /// `[migrations] init_sql`, run on every migration session first.
    pub init_sql: Option<String>,
    /// Keep each seed point's state as a template (`[dataset] template`).
    pub keep_template: bool,
    /// What to seed at the seed points.
    pub seed: seed::SeedRequest,
    /// How the probe measures.
    pub probe: ProbeSettings,
    /// The gates and approvals, to say each migration's verdict as report.json will.
    pub judge: crate::gate::Judge,
    /// `--prove-fixes`: rehearse each hazard's mechanical rewrite beside it ([`proof`]).
    pub prove_fixes: bool,
    /// Run-level findings known before the run (`--since`: edited history).
    pub findings: Vec<Finding>,
    /// `--cache DIR`: restore the seeded state after the baseline, or store it.
    pub cache: Option<crate::cache::CacheRequest>,
    /// `--shard K/N`: rehearse only that slice of the pending migrations; those before it are
    /// baseline, those after it are left out.
    pub shard: Option<crate::migrations::shard::Shard>,
    /// `--predict`: before seeding its full size, the run measures the migrations' forwards at
    /// the smaller sizes of [`crate::predict::FRACTIONS`] on the same server ([`sizes`]), and
    /// its report carries each migration's prediction.
    pub predict: bool,
}

/// Runs the whole rehearsal on a freshly provisioned database.
pub async fn rehearse(
    settings: &Settings,
    set: &MigrationSet,
    progress: &dyn Progress,
) -> Result<Report, Error> {
    // A baseline that names no migration is bad input: say so before starting a server.
    let (baseline, rehearsed) = split_baseline(set, settings.baseline.as_deref())?;
    let (baseline, _) = sharded(set, settings.shard, baseline.len(), rehearsed.len(), progress);
    let mut lookup = match &settings.cache {
        Some(request) => Some(
            crate::cache::look_up(
                request,
                &settings.database,
                set,
                baseline,
                &settings.seed,
                settings.init_sql.as_deref(),
            )
            .await,
        ),
        None => None,
    };
    if let Some(l) = &lookup {
        progress.step(&l.sentence());
    }
    let mut cache_report = lookup.as_ref().map(crate::cache::Lookup::report);
    let database =
        cached::provision(
            &settings.database,
            settings.cache.as_ref(),
            &mut lookup,
            &mut cache_report,
            progress,
        )
        .await?;
    journal::provisioned(database_info(&database, &settings.database));
    progress.step(&format!(
        "PostgreSQL {} via {:?} ({})",
        database.server_version, database.kind, database.reason
    ));
    if let Some(file_copy) = &database.file_copy {
        progress.step(&file_copy.sentence());
    }
    let report = rehearse_with(&database, settings, set, progress, lookup, cache_report).await;
    drop(database);
    report
}

/// The rehearsal itself, on a database someone else may have provisioned, step by step: the
/// target opened, what it has applied already, the baseline, the first seed point, every
/// migration with the seed point before it, and the report.
pub async fn rehearse_on(
    database: &Database,
    settings: &Settings,
    set: &MigrationSet,
    progress: &dyn Progress,
) -> Result<Report, Error> {
    rehearse_with(database, settings, set, progress, None, None).await
}

/// [`rehearse_on`], going on from a cached state (a hit) or storing the one it builds (a miss).
async fn rehearse_with(
    database: &Database,
    settings: &Settings,
    set: &MigrationSet,
    progress: &dyn Progress,
    lookup: Option<crate::cache::Lookup>,
    mut cache_report: Option<crate::report::CacheReport>,
) -> Result<Report, Error> {
    let restored = match &lookup {
        Some(crate::cache::Lookup::Hit { entry, .. }) => Some(entry.manifest.seed_state.clone()),
        _ => None,
    };
    let started_at = now_rfc3339();
    let started = Instant::now();
    let in_transaction = matches!(database.data, DataSource::InTransaction { .. });
    let probe_settings = if in_transaction {
        in_transaction::settings(settings.probe.clone())
    } else {
        settings.probe.clone()
    };
    let mut run = Run {
        database,
        set,
        progress,
        name: &settings.name,
        baseline: settings.baseline.as_deref(),
        init_sql: settings.init_sql.as_deref(),
        keep_template: settings.keep_template,
        judge: &settings.judge,
        prove_fixes: settings.prove_fixes,
        info: database_info(database, &settings.database),
        in_transaction,
        findings: settings.findings.clone(),
        migrations: Vec::new(),
        blocked_by: None,
        kept_out: None,
    };
    let mut client = connect(database, run.init_sql).await?;
    run.open_transaction(&client).await?;
    let applied_already = run.applied_already(&client).await?;
    let (baseline, rehearsed) = match applied_already {
        Some(count) => set.migrations.split_at(count),
        None => {
            if restored.is_none() {
                run.create_bookkeeping(&client).await?;
            }
            split_baseline(set, run.baseline)?
        }
    };
    if let Some(count @ 1..) = applied_already {
        run.check_drift(&client, count, baseline).await;
    }
    let applied = baseline.len();
    let (baseline, rehearsed) =
        sharded(set, settings.shard, applied, rehearsed.len(), &QuietProgress);
    // A clone has its baseline already: nothing to replay but the pending migrations before
    // a shard's slice. Nor has a state restored from the cache.
    if applied_already.is_some() {
        run.replay_baseline(&client, &baseline[applied..]).await?;
    } else if restored.is_none() {
        run.replay_baseline(&client, baseline).await?;
    }
    journal::run_findings(&run.findings);

    // --predict: the smaller sizes, on the state after the baseline (never on a cached state,
    // a clone's rows or inside the target's transaction: the pipeline refuses those).
    let mut smaller = Vec::new();
    if settings.predict
        && restored.is_none()
        && applied_already.is_none()
        && run.blocked_by.is_none()
        && !run.in_transaction
    {
        drop(client);
        let fractions = &crate::predict::FRACTIONS[..crate::predict::FRACTIONS.len() - 1];
        smaller = sizes::measure(database, settings, set, rehearsed, fractions, progress).await?;
        client = connect(database, run.init_sql).await?;
    }

    let mut seeding = run
        .seed_points(&client, settings.seed.clone(), applied_already.is_some())
        .await?;
    if let Some(saved) = restored {
        seeding.restore(saved).map_err(|e| {
            Error::Environment(format!("the cached seeded state cannot be read: {e}"))
        })?;
        progress.step("baseline and seed point restored from the cache");
    } else {
        let storing = matches!(lookup, Some(crate::cache::Lookup::Miss { .. }));
        if storing {
            seeding.defer_template();
        }
        client = run
            .seed_after_baseline(client, &mut seeding, baseline, rehearsed.first())
            .await?;
        if let (true, None, Some(request), Some(l), Some(r)) = (
            storing,
            &run.blocked_by,
            &settings.cache,
            &lookup,
            cache_report.as_mut(),
        ) {
            cached::store(request, l, database, &seeding, r, progress).await;
        }
    }
    if run.blocked_by.is_none() && !run.in_transaction {
        client = seeding
            .take_template(database, client, rehearsed.first(), progress)
            .await?;
    }
    // Sizes as the rehearsed migrations find them (after seeding), for the "large table" hazards.
    let mut tables = crate::probe::table_sizes(&client).await.unwrap_or_default();
    seeding.declare_production(&mut tables);
    let probe = Probe::new(database.connection.clone(), probe_settings);
    for (index, migration) in rehearsed.iter().enumerate() {
        if let Some(skipped) = run.left_out(migration) {
            journal::finished(&skipped);
            run.migrations.push(skipped);
            continue;
        }
        client = run
            .rehearse_at(client, &probe, &mut seeding, &mut tables, rehearsed, index)
            .await?;
    }
    run.say_not_run();
    run.unused_definitions(&client, &seeding).await;
    run.close_transaction(&client).await?;
    let mut report = run.report(started_at, started, &seeding, tables);
    report.cache = cache_report;
    report.shard = settings.shard.map(|s| crate::report::ShardReport {
        index: s.index,
        count: s.count,
    });
    if settings.predict {
        for note in crate::predict::attach(&mut report, &smaller) {
            progress.step(&format!("note: --predict: {note}"));
        }
    }
    Ok(report)
}

/// One rehearsal on its way through the migrations: where it runs, what it found, and what
/// stops the migrations still to come.
struct Run<'a> {
    database: &'a Database,
    set: &'a MigrationSet,
    progress: &'a dyn Progress,
    /// The scenario's name, for the report.
    name: &'a str,
    /// `--baseline`: the last migration applied before the rehearsal.
    baseline: Option<&'a str>,
    /// `[migrations] init_sql`, run on every migration session first.
    init_sql: Option<&'a str>,
    /// Keep each seed point's state as a template (`[dataset] template`).
    keep_template: bool,
    /// Judges each migration for its line on stderr.
    judge: &'a crate::gate::Judge,
    /// `--prove-fixes`.
    prove_fixes: bool,
    /// The database as the report describes it.
    info: DatabaseInfo,
    /// --in-transaction: everything runs inside one transaction on the target, rolled back at
    /// the end (and by the server if this process dies first).
    in_transaction: bool,
    findings: Vec<Finding>,
    migrations: Vec<MigrationReport>,
    /// The version (or "the seed point ...") whose failure stops the migrations after it.
    blocked_by: Option<String>,
    /// --in-transaction: the migration it could not rehearse, which those after it wait on, and
    /// why ("20240101000003, which cannot run inside a transaction").
    kept_out: Option<String>,
}

impl Run<'_> {
    /// --in-transaction: opens the one transaction everything runs in.
    async fn open_transaction(&self, client: &Client) -> Result<(), Error> {
        if !self.in_transaction {
            return Ok(());
        }
        client
            .batch_execute(&format!(
                "BEGIN; SET LOCAL lock_timeout = '{}'",
                in_transaction::LOCK_TIMEOUT
            ))
            .await
            .map_err(|e| {
                Error::Environment(format!(
                    "could not open the transaction on the target: {}",
                    crate::server_text::of(&e)
                ))
            })
    }

    /// How many migrations a live source (a clone, or the target of --in-transaction) already
    /// has, as its bookkeeping table (or --baseline) says; None for a database rehearse builds
    /// from nothing.
    async fn applied_already(&self, client: &Client) -> Result<Option<usize>, Error> {
        let (DataSource::Clone {
            database: source, ..
        }
        | DataSource::InTransaction {
            database: source, ..
        }) = &self.database.data
        else {
            return Ok(None);
        };
        let on_a_copy = matches!(self.database.data, DataSource::Clone { .. });
        let (count, notes) =
            applied::already_applied(client, self.set, self.baseline, source, on_a_copy).await?;
        for note in notes {
            self.progress.step(&note);
        }
        Ok(Some(count))
    }

    /// The migration tool's bookkeeping table, as the tool creates it before its first migration.
    async fn create_bookkeeping(&self, client: &Client) -> Result<(), Error> {
        let Some(bookkeeping) = &self.set.bookkeeping else {
            return Ok(());
        };
        client
            .batch_execute(&bookkeeping.create_sql)
            .await
            .map_err(|e| {
                Error::Environment(format!(
                    "could not create the bookkeeping table {}: {}",
                    bookkeeping.table,
                    crate::server_text::of(&e)
                ))
            })
    }

    /// A clone whose schema is not what its `count` applied migrations give is said before
    /// anything runs.
    async fn check_drift(&mut self, client: &Client, count: usize, applied: &[Migration]) {
        let DataSource::Clone {
            database: source, ..
        } = &self.database.data
        else {
            return;
        };
        self.progress.running(&format!(
            "comparing {source}'s schema with what its {count} applied migrations give"
        ));
        match drift::check(
            client,
            &self.database.connection,
            self.set.bookkeeping.as_ref(),
            applied,
            self.init_sql,
        )
        .await
        {
            drift::Drift::Agrees => self.progress.step(&format!(
                "{source}'s schema is the one its {count} applied migrations give: no drift"
            )),
            drift::Drift::Differs(differences) => {
                let finding = drift::finding(source, count, &differences);
                self.progress.step(&finding.message);
                self.findings.push(finding);
            }
            drift::Drift::NotJudged(why) => self
                .progress
                .step(&format!("drift of {source} not checked: {why}")),
        }
    }

    /// Applies the baseline migrations, unmeasured; the first that fails stops the run.
    async fn replay_baseline(
        &mut self,
        client: &Client,
        baseline: &[Migration],
    ) -> Result<(), Error> {
        for migration in baseline {
            self.progress.step(&format!(
                "baseline {} {}",
                migration.version, migration.name
            ));
            let direction = probe::run_script(
                client,
                &migration.forward,
                &label(self.set, &migration.forward.path),
            )
            .await;
            if let Some(what) = crate::probe::environment_failure(std::iter::once(&direction))
                .map(|what| self.database.explain_failure(what))
            {
                return Err(Error::Environment(what));
            }
            if let Some(e) = direction.error {
                self.findings.push(Finding::of(
                    FindingKind::BaselineFailed,
                    format!(
                        "{}, line {}: the baseline migration {} failed: {}",
                        e.file, e.line, migration.version, e.message
                    ),
                ));
                self.blocked_by = Some(migration.version.to_string());
                break;
            }
        }
        Ok(())
    }

    /// Seed points: right after the baseline, then before every rehearsed migration whose
    /// predecessors created tables. Each keeps the state as a template so that a reset is a
    /// clone; without seeded rows the clone is cheap, and still saves replaying the baseline.
    /// The template is dropped with the seed points.
    async fn seed_points(
        &self,
        client: &Client,
        request: seed::SeedRequest,
        live_rows: bool,
    ) -> Result<SeedPoints, Error> {
        let mut seeding = SeedPoints::new(request, self.keep_template, self.init_sql);
        seeding.leave_alone(self.set.bookkeeping.iter().map(|b| b.table.clone()));
        if live_rows {
            // A clone's tables (or the target's) hold staging's rows: only tables the
            // migrations create are seeded.
            let existing = seed::catalog::table_keys(client).await.map_err(|e| {
                Error::Environment(format!(
                    "could not list the clone's tables: {}",
                    crate::server_text::of(&e)
                ))
            })?;
            seeding.leave_alone(existing);
        }
        Ok(seeding)
    }

    /// The seed point after the baseline. Inside the target's transaction nothing is seeded:
    /// its rows are the data, and a template (CREATE DATABASE) cannot be made in a transaction.
    async fn seed_after_baseline(
        &mut self,
        client: Client,
        seeding: &mut SeedPoints,
        baseline: &[Migration],
        first: Option<&Migration>,
    ) -> Result<Client, Error> {
        if self.blocked_by.is_some() || self.in_transaction {
            return Ok(client);
        }
        match seeding
            .seed(self.database, client, 0, first, self.progress)
            .await
        {
            Ok((reconnected, _)) => Ok(reconnected),
            // Nothing has run yet: a dataset that cannot be loaded is the input's fault.
            Err(e) if baseline.is_empty() => Err(e),
            // The baseline has run: keep it, and say why nothing after it was rehearsed.
            Err(e) => {
                let message = format!("seeding after the baseline failed: {e}");
                self.progress.step(&message);
                self.findings
                    .push(Finding::of(FindingKind::SeedFailed, message));
                self.blocked_by = Some("the seed point after the baseline".into());
                connect(self.database, self.init_sql).await
            }
        }
    }

    /// The report of a migration that is not rehearsed, when it is not: an earlier failure
    /// blocks it, or --in-transaction cannot run it (or one before it).
    fn left_out(&mut self, migration: &Migration) -> Option<MigrationReport> {
        if let Some(blocker) = &self.blocked_by {
            return Some(not_run(self.set, migration, blocker));
        }
        if !self.in_transaction {
            return None;
        }
        let file = label(self.set, &migration.forward.path);
        let why = match (
            &self.kept_out,
            in_transaction::outside_transaction(migration),
        ) {
            (Some(earlier), _) => {
                format!("{file} was not rehearsed: it follows {earlier} (--in-transaction)")
            }
            (None, Some((script, line, words))) => {
                self.kept_out = Some(format!(
                    "{}, which cannot run inside a transaction",
                    migration.version
                ));
                format!(
                    "{}, line {line}: {words} … cannot run inside a transaction, so --in-transaction did not rehearse {}",
                    label(self.set, &script.path),
                    migration.version
                )
            }
            (None, None) => return None,
        };
        let skipped = in_transaction::not_rehearsed(file, migration, why);
        self.progress.step(&skipped.findings[0].message);
        Some(skipped)
    }

    /// The seed point before migration `index`, then the migration rehearsed, then the state
    /// made ready for the next one (a reset, or the template moved on). Returns the client on
    /// the database the next migration runs on.
    async fn rehearse_at(
        &mut self,
        client: Client,
        probe: &Probe,
        seeding: &mut SeedPoints,
        tables: &mut Vec<TableSize>,
        rehearsed: &[Migration],
        index: usize,
    ) -> Result<Client, Error> {
        let migration = &rehearsed[index];
        journal::rehearsing(&migration.version.to_string());
        // A line when it starts, so that a log shows what a long migration is; heartbeats
        // follow while a statement runs long, and its line below says how it ended.
        self.progress.step(&format!(
            "starting {} {} ({} of {})",
            migration.version,
            migration.name,
            index + 1,
            rehearsed.len()
        ));
        let seed_started = Instant::now();
        let (client, seeded_before) = match self
            .seed_before(client, seeding, tables, index, migration)
            .await?
        {
            Seeded::Ready(client, seeded) => (client, seeded),
            Seeded::Failed(client) => return Ok(client),
        };
        let seed_ms = elapsed_ms(seed_started);
        if self.in_transaction {
            reset::mark_before_forward(&client).await?;
        }
        let (client, proof_state) = self.keep_for_proof(client, migration).await?;
        let mut report =
            rehearse_migration(&client, probe, self.set, migration, self.progress).await;
        if let Some(state) = proof_state {
            self.prove_fixes(state, probe, migration, &mut report, tables)
                .await;
        }
        if self
            .kept_out_by_enum_value(&client, migration, &report)
            .await?
        {
            return Ok(client);
        }
        let failed_on = seeding.explain_inferred(&client, &mut report).await;
        if let Some(what) = crate::probe::environment_failure(measures_directions(&report))
            .map(|what| self.database.explain_failure(what))
        {
            return Err(Error::Environment(what));
        }
        let reset_started = Instant::now();
        let client = match failed_on.filter(|_| !report.forward.ok) {
            Some(on) if !on.own_failure && !self.in_transaction && seeding.template().is_some() => {
                self.again_without_inferred_rows(
                    client,
                    probe,
                    seeding,
                    &mut report,
                    rehearsed,
                    (index, seed_ms),
                    on.table,
                )
                .await?
            }
            Some(on) => {
                self.past_inferred_rows(client, seeding, &mut report, rehearsed, index, on.table)
                    .await?
            }
            None => {
                self.ready_for_next(client, seeding, &mut report, rehearsed, index, seed_ms)
                    .await?
            }
        };
        if self.in_transaction {
            reset::release_before_forward(&client).await?;
            if in_transaction::rollback_needs_commit(migration, &mut report) {
                self.progress.step(&report.findings[0].message);
            }
        }
        if let Some(t) = report.timings.as_mut() {
            t.seed_ms = seed_ms;
            // A reset, or the template's refresh once replays would cost more than a clone.
            t.reset_ms = elapsed_ms(reset_started);
            t.wall_ms += t.seed_ms + t.reset_ms;
            t.settle();
        }
        // The line says the verdict report.json will carry: gates and acceptances applied.
        self.progress.step(&progress::migration_line(
            &self.judge.migration(&report, tables),
            index + 1,
            rehearsed.len(),
            seeded_before.as_deref(),
        ));
        journal::finished(&report);
        self.migrations.push(report);
        Ok(client)
    }

    /// The seed point before migration `index` (the first one's is after the baseline). Once
    /// migrations have run, a seed point that fails is a finding of this run and the migrations
    /// from here on are not run; the report keeps everything done so far.
    async fn seed_before(
        &mut self,
        client: Client,
        seeding: &mut SeedPoints,
        tables: &mut Vec<TableSize>,
        index: usize,
        migration: &Migration,
    ) -> Result<Seeded, Error> {
        if index == 0 || self.in_transaction {
            return Ok(Seeded::Ready(client, None));
        }
        match seeding
            .seed(self.database, client, index, Some(migration), self.progress)
            .await
        {
            Ok((reconnected, seeded)) => {
                if seeded.is_some() {
                    let fresh = crate::probe::table_sizes(&reconnected)
                        .await
                        .unwrap_or_default();
                    seeding::merge_sizes(tables, fresh);
                    seeding.declare_production(tables);
                }
                Ok(Seeded::Ready(reconnected, seeded))
            }
            Err(e) => {
                let message = format!(
                    "seeding the tables created before {} {} failed: {}",
                    migration.version, migration.name, e
                );
                self.progress.step(&message);
                self.findings
                    .push(Finding::of(FindingKind::SeedFailed, message));
                let blocker = format!("the seed point before {}", migration.version);
                self.migrations.push(not_run(self.set, migration, &blocker));
                self.blocked_by = Some(blocker);
                Ok(Seeded::Failed(connect(self.database, self.init_sql).await?))
            }
        }
    }

    /// After migration `index`: what stops the rest, or the state repaired from the template
    /// when the rollback left damage, or the template moved on once replaying since it costs
    /// more than a clone.
    async fn ready_for_next(
        &mut self,
        client: Client,
        seeding: &mut SeedPoints,
        report: &mut MigrationReport,
        rehearsed: &[Migration],
        index: usize,
        seed_ms: f64,
    ) -> Result<Client, Error> {
        let migration = &rehearsed[index];
        let more = index + 1 < rehearsed.len();
        if !report.forward.ok {
            self.blocked_by = Some(migration.version.to_string());
            return Ok(client);
        }
        if self.in_transaction && more && reset::left_unclean(report) {
            // Nothing can be cloned inside the target's transaction: the savepoint before the
            // forward is the template.
            self.progress.running(&format!(
                "{} {} rolling back to the savepoint before the forward",
                migration.version, migration.name
            ));
            let (reset, failure) = reset::to_savepoint(&client, self.set, migration).await?;
            report.reset = Some(reset);
            if let Some(failure) = failure {
                self.not_clean_after(report, migration, failure);
            }
            return Ok(client);
        }
        if let Some((template, template_at)) = seeding
            .template()
            .filter(|_| more && reset::left_unclean(report))
        {
            // Even a redo that failed leaves a state a reset can repair: the forward applied
            // once, so replaying it on the template gives what later migrations need.
            drop(client);
            self.progress.running(&format!(
                "{} {} resetting the state from the template",
                migration.version, migration.name
            ));
            let (client, reset, failure) = reset::reset_state(
                self.database,
                template,
                seeding,
                self.set,
                rehearsed,
                template_at..=index,
                self.init_sql,
            )
            .await?;
            report.reset = Some(reset);
            if let Some(failure) = failure {
                self.not_clean_after(report, migration, failure);
                return Ok(client);
            }
            // The template takes the repaired state, so the next reset replays only what
            // follows: one clone instead of replaying (possibly rewriting) migrations again.
            drop(client);
            seeding
                .advance_template(self.database, index + 1, self.progress)
                .await;
            return connect(self.database, self.init_sql).await;
        }
        if report.redo.as_ref().is_some_and(|r| !r.ok) {
            self.blocked_by = Some(migration.version.to_string());
            return Ok(client);
        }
        if more && !self.in_transaction && seeding.passed(report.forward.duration_ms, seed_ms) {
            // Replaying since the template now costs more than a clone: clone now instead.
            drop(client);
            seeding
                .advance_template(self.database, index + 1, self.progress)
                .await;
            return connect(self.database, self.init_sql).await;
        }
        Ok(client)
    }

    /// --in-transaction: a forward that failed only because it uses an enum value an earlier
    /// migration added inside the one transaction is not rehearsed, and the migrations after it
    /// wait on it. True when it was so (its report is then in the run).
    async fn kept_out_by_enum_value(
        &mut self,
        client: &Client,
        migration: &Migration,
        report: &MigrationReport,
    ) -> Result<bool, Error> {
        if !self.in_transaction {
            return Ok(false);
        }
        let Some(why) = in_transaction::uncommitted_enum_value(migration, &report.forward) else {
            return Ok(false);
        };
        reset::release_before_forward(client).await?;
        self.kept_out = Some(format!(
            "{}, which uses an enum value added earlier in the same transaction",
            migration.version
        ));
        let skipped = in_transaction::not_rehearsed(report.file.clone(), migration, why);
        self.progress.step(&skipped.findings[0].message);
        journal::finished(&skipped);
        self.migrations.push(skipped);
        Ok(true)
    }

    /// A reset whose replay of `migration`'s forward failed (`failure`): the state is not the
    /// one later migrations need, so the migration fails and those after it are not run.
    fn not_clean_after(
        &mut self,
        report: &mut MigrationReport,
        migration: &Migration,
        failure: Finding,
    ) {
        report.findings.push(failure);
        report.verdict = Verdict::Fail;
        self.blocked_by = Some(migration.version.to_string());
    }

    /// A forward that failed only because rehearse's inferred rows break what it asks of them
    /// (a duplicate of a generated pair under a new unique key, an inferred NULL under SET NOT
    /// NULL) says nothing about production, whose rows the migration was written for. The rows
    /// it refused are removed (with the inferred rows referencing them), the template takes that
    /// state, and the migration is rehearsed again from it, measured as any other: its verdict
    /// is that rehearsal's, and a note says what was removed and the query that shows whether
    /// production holds such rows. A forward that fails again on other inferred rows is
    /// repaired again, a few times at most; one that fails for any other reason keeps that
    /// failure.
    #[allow(clippy::too_many_arguments)]
    async fn again_without_inferred_rows(
        &mut self,
        mut client: Client,
        probe: &Probe,
        seeding: &mut SeedPoints,
        report: &mut MigrationReport,
        rehearsed: &[Migration],
        (index, seed_ms): (usize, f64),
        mut table: (String, String),
    ) -> Result<Client, Error> {
        /// Repairs of one migration before its failure is left to stand.
        const MOST_REPAIRS: usize = 3;
        let migration = &rehearsed[index];
        let mut notes = Vec::new();
        for _ in 0..MOST_REPAIRS {
            let (schema, name) = &table;
            self.progress.running(&format!(
                "{} {} removing the inferred rows of {schema}.{name} its forward refused, to rehearse it again",
                migration.version, migration.name
            ));
            let failed_sql = report
                .forward
                .statements
                .iter()
                .find(|s| !s.ok)
                .map(|s| s.sql.clone())
                .unwrap_or_default();
            let refusal = report
                .forward
                .error
                .as_ref()
                .map(|e| e.message.clone())
                .unwrap_or_default();
            let nulls_in = nulls_met(report);
            let version = migration.version.to_string();
            let to = format!("rehearse {version} again");
            let Some(removed) = self
                .remove_inferred(&client, seeding, &table, &report.forward, (&version, &to))
                .await
            else {
                return Ok(client);
            };
            let qualified = crate::identifier::quote_qualified(schema, name);
            let check = blame::precondition(&failed_sql, &qualified, &nulls_in)
                .map(|q| format!(" Before releasing, check that production holds none: `{q}` must return no row."))
                .unwrap_or_default();
            // The advice explain_inferred gave the failure (which column to define, and why
            // inference put such rows there) is the note's advice.
            let advice = report
                .findings
                .iter()
                .find(|f| f.kind == FindingKind::ForwardFailed.name())
                .and_then(|f| f.advice.clone());
            notes.push(Finding::of(
                FindingKind::InferredRowsRepaired,
                format!(
                    "the forward first failed on rehearse's inferred rows of {schema}.{name} ({refusal}); {} {} removed, and the migration was rehearsed again on what remained: the figures and verdict are that rehearsal's.{check}",
                    removed_rows(removed),
                    crate::words::noun(removed.0 as usize, "was"),
                ),
            ));
            if let (Some(advice), Some(note)) = (advice, notes.last_mut()) {
                note.advice = Some(advice);
            }
            drop(client);
            seeding
                .advance_template(self.database, index, self.progress)
                .await;
            client = connect(self.database, self.init_sql).await?;
            let mut again =
                rehearse_migration(&client, probe, self.set, migration, self.progress).await;
            let failed_on = seeding.explain_inferred(&client, &mut again).await;
            if let Some(what) = crate::probe::environment_failure(measures_directions(&again))
                .map(|what| self.database.explain_failure(what))
            {
                return Err(Error::Environment(what));
            }
            again.notes = notes.clone();
            *report = again;
            if report.forward.ok {
                return self
                    .ready_for_next(client, seeding, report, rehearsed, index, seed_ms)
                    .await;
            }
            match failed_on {
                Some(on) if !on.own_failure => table = on.table,
                Some(on) => {
                    return self
                        .past_inferred_rows(client, seeding, report, rehearsed, index, on.table)
                        .await
                }
                None => break,
            }
        }
        self.blocked_by = Some(migration.version.to_string());
        Ok(client)
    }

    /// Removes the inferred rows of `table` that the failed `forward` met (seeding::remove_rows).
    /// When they cannot be, says so (they had to go `to` do what) and the migrations after this
    /// one are not run: None then.
    async fn remove_inferred(
        &mut self,
        client: &Client,
        seeding: &SeedPoints,
        (schema, name): &(String, String),
        forward: &crate::report::Direction,
        (version, to): (&str, &str),
    ) -> Option<(u64, u64)> {
        let failed_sql = forward
            .statements
            .iter()
            .find(|s| !s.ok)
            .map(|s| s.sql.as_str())
            .unwrap_or_default();
        match seeding::remove_rows(
            client,
            (schema, name),
            failed_sql,
            &nulls_in(forward),
            &seeding.seeded_tables(client).await,
        )
        .await
        {
            Ok(rows) => Some(rows),
            Err(e) => {
                self.progress.step(&format!(
                    "the inferred rows of {schema}.{name} could not be removed to {to}: {e}"
                ));
                self.blocked_by = Some(version.to_string());
                None
            }
        }
    }

    /// A forward that failed on rows rehearse inferred (a duplicate of a generated pair, say)
    /// keeps its failure, but need not stop every migration after it: the inferred rows of the
    /// `table` it failed on are removed, the forward applied again, unmeasured, and the template
    /// takes that state, so the rest is rehearsed on it and said to be. When either step fails,
    /// the migrations after it are not run, as after any failed forward.
    async fn past_inferred_rows(
        &mut self,
        client: Client,
        seeding: &mut SeedPoints,
        report: &mut MigrationReport,
        rehearsed: &[Migration],
        index: usize,
        mut table: (String, String),
    ) -> Result<Client, Error> {
        /// Tables emptied for one migration before its failure stops the run: a forward that
        /// adds a required column to several seeded tables meets them one at a time.
        const MOST_TABLES: usize = 8;
        let migration = &rehearsed[index];
        let file = label(self.set, &migration.forward.path);
        let mut failed = report.forward.clone();
        let mut said = Vec::new();
        let mut rows = 0;
        for _ in 0..MOST_TABLES {
            let (schema, name) = &table;
            self.progress.running(&format!(
                "{} {} removing the inferred rows of {schema}.{name} and applying it again",
                migration.version, migration.name
            ));
            let version = migration.version.to_string();
            let to = format!("go on past {version}");
            let Some(removed) = self
                .remove_inferred(&client, seeding, &table, &failed, (&version, &to))
                .await
            else {
                return Ok(client);
            };
            rows += removed.0 + removed.1;
            said.push(format!("{} of {schema}.{name}", removed_rows(removed)));
            let applied = probe::run_script(&client, &migration.forward, &file).await;
            let Some(e) = applied.error.as_ref() else {
                report.findings.push(Finding::of(
                    FindingKind::InferredRowsRemoved,
                    format!(
                        "to go on, {} {} removed and {file} applied without them; the migrations after it were rehearsed on that state",
                        crate::words::list(&said),
                        crate::words::noun(rows as usize, "was"),
                    ),
                ));
                drop(client);
                seeding
                    .advance_template(self.database, index + 1, self.progress)
                    .await;
                return connect(self.database, self.init_sql).await;
            };
            // The same forward failing on another seeded table's rows: empty that one too.
            let next = match e.culprit.as_ref() {
                Some(c) => seeding.seeded_table(&client, c).await,
                None => None,
            };
            match next {
                Some(next) if next != table => {
                    table = next;
                    failed = applied;
                }
                _ => {
                    self.progress.step(&format!(
                        "{file} fails even without the inferred rows of {schema}.{name}: {}",
                        e.message
                    ));
                    break;
                }
            }
        }
        self.blocked_by = Some(migration.version.to_string());
        Ok(client)
    }

    /// How many migrations were not run, and because of what.
    fn say_not_run(&self) {
        let skipped = self
            .migrations
            .iter()
            .filter(|m| m.verdict == Verdict::NotRun)
            .count();
        if let (Some(blocker), 1..) = (&self.blocked_by, skipped) {
            self.progress.step(&format!(
                "{skipped} migration{} not run because {} failed",
                if skipped == 1 { "" } else { "s" },
                if blocker.starts_with("the ") {
                    blocker.clone()
                } else {
                    format!("migration {blocker}")
                }
            ));
        }
    }

    /// Definitions that waited for a table no seed point saw. A table that appeared after the
    /// last migration only had nowhere to be seeded; one that never appeared is a mistake.
    async fn unused_definitions(&mut self, client: &Client, seeding: &SeedPoints) {
        if self.blocked_by.is_some() {
            return;
        }
        let unused = seeding.unused_definitions();
        if unused.is_empty() {
            return;
        }
        let now = seed::catalog::table_keys(client).await.unwrap_or_default();
        for (name, file) in unused {
            if now.contains(&seed::catalog::table_key(name)) {
                self.progress.step(&format!(
                    "the dataset's definition of table {name} ({}) was not used: the table exists only after the last migration, and no seed point follows it",
                    file.display()
                ));
            } else {
                self.findings.push(Finding::of(
                    FindingKind::DatasetTableMissing,
                    format!(
                        "{}: table \"{name}\" is defined in the dataset, but the migrations never created it, so it was never seeded",
                        file.display()
                    ),
                ));
            }
        }
    }

    /// --in-transaction: nothing the rehearsal did may stay; the one transaction ends here,
    /// rolled back.
    async fn close_transaction(&self, client: &Client) -> Result<(), Error> {
        if !self.in_transaction {
            return Ok(());
        }
        client.batch_execute("ROLLBACK").await.map_err(|e| {
            Error::Environment(format!(
                "could not roll back the transaction on the target (the server rolls it back when this connection closes): {}",
                crate::server_text::of(&e)
            ))
        })
    }

    /// The run's report: every migration's, the run's own findings, and its verdict.
    fn report(
        self,
        started_at: String,
        started: Instant,
        seeding: &SeedPoints,
        tables: Vec<TableSize>,
    ) -> Report {
        let verdict = if self.findings.is_empty()
            && self.migrations.iter().all(|m| m.verdict == Verdict::Pass)
        {
            Verdict::Pass
        } else {
            Verdict::Fail
        };
        Report {
            schema_version: SCHEMA_VERSION,
            verdict,
            rehearse_version: env!("CARGO_PKG_VERSION").to_string(),
            scenario: self.name.to_string(),
            started_at,
            duration_ms: started.elapsed().as_secs_f64() * 1000.0,
            database: self.info,
            migrations: self.migrations,
            findings: self.findings,
            seed: seeding.report(),
            tables,
            discovery: Some(crate::report::DiscoveryReport::of(self.set)),
            ..Default::default()
        }
    }
}

/// What the seed point before a migration left.
enum Seeded {
    /// The migration can run: the client, and what was seeded (a line for the progress).
    Ready(Client, Option<String>),
    /// It failed: the migration is not run, and neither is any after it.
    Failed(Client),
}

/// The database as the report describes it.
fn database_info(database: &Database, request: &provision::DatabaseRequest) -> DatabaseInfo {
    DatabaseInfo {
        provider: database.kind,
        server_version: database.server_version.clone(),
        reason: database.reason.clone(),
        image: (database.kind == provision::ProviderKind::Docker)
            .then(|| provision::docker::image_for(request)),
        data: database.data.clone(),
        file_copy: database.file_copy.clone(),
    }
}

/// The directions a migration ran, in order.
fn measures_directions(m: &MigrationReport) -> impl Iterator<Item = &crate::report::Direction> {
    std::iter::once(&m.forward)
        .chain(m.rollback.as_ref())
        .chain(m.redo.as_ref())
}

fn elapsed_ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

/// A session for the migrations on the rehearsal database, prepared by the scenario's
/// `[migrations] init_sql` when it has one, as the project's own runner prepares its session.
/// What a repair removed, in words: `12 inferred rows with the 3 inferred rows referencing
/// them`.
fn removed_rows((own, referencing): (u64, u64)) -> String {
    let mut said = crate::words::count(own as usize, "inferred row");
    if referencing > 0 {
        said.push_str(&format!(
            " with the {} referencing them",
            crate::words::count(referencing as usize, "inferred row")
        ));
    }
    said
}

/// The columns a NOT NULL of the failed forward met NULLs in.
fn nulls_met(report: &MigrationReport) -> Vec<String> {
    nulls_in(&report.forward)
}

/// The columns a NOT NULL met NULLs in when `direction` failed.
fn nulls_in(direction: &crate::report::Direction) -> Vec<String> {
    direction
        .error
        .as_ref()
        .filter(|e| e.code.as_deref() == Some("23502"))
        .and_then(|e| e.culprit.as_ref())
        .map(|c| c.columns.clone())
        .unwrap_or_default()
}

async fn connect(
    database: &Database,
    init_sql: Option<&str>,
) -> Result<tokio_postgres::Client, Error> {
    let client = database.connection.connect().await.map_err(|e| {
        Error::Environment(format!("could not connect to the rehearsal database: {e}"))
    })?;
    if let Some(sql) = init_sql {
        client.batch_execute(sql).await.map_err(|e| {
            Error::Input(format!(
                "[migrations] init_sql failed on the rehearsal database: {}",
                crate::server_text::of(&e)
            ))
        })?;
    }
    Ok(client)
}

fn not_run(set: &MigrationSet, migration: &Migration, blocker: &str) -> MigrationReport {
    let file = label(set, &migration.forward.path);
    MigrationReport {
        id: migration.version.to_string(),
        name: migration.name.clone(),
        verdict: Verdict::NotRun,
        rollback_file: migration.rollback.as_ref().map(|r| label(set, &r.path)),
        forward: Direction::default(),
        rollback: None,
        redo: None,
        schema_restored: None,
        differences: Vec::new(),
        data_preserved: None,
        data_differences: Vec::new(),
        findings: vec![Finding::of(
            FindingKind::NotRun,
            if blocker.starts_with("the ") {
                format!("{file} was not rehearsed because {blocker} failed")
            } else {
                format!("{file} was not rehearsed because migration {blocker} before it failed")
            },
        )],
        file,
        ..Default::default()
    }
}

/// `--shard K/N`: the baseline grows to everything before the shard's slice of the
/// `rehearsed` pending migrations, and only the slice is rehearsed.
fn sharded<'a>(
    set: &'a MigrationSet,
    shard: Option<crate::migrations::shard::Shard>,
    baseline: usize,
    rehearsed: usize,
    progress: &dyn Progress,
) -> (&'a [Migration], &'a [Migration]) {
    let Some(shard) = shard else {
        return set.migrations[..baseline + rehearsed].split_at(baseline);
    };
    let slice = shard.slice(rehearsed);
    let (start, end) = (baseline + slice.start, baseline + slice.end);
    progress.step(&format!(
        "shard {}/{}: {} of the {rehearsed} pending ({}), after {} applied as baseline",
        shard.index,
        shard.count,
        crate::words::count(slice.len(), "migration"),
        match (
            set.migrations[start..end].first(),
            set.migrations[start..end].last()
        ) {
            (Some(a), Some(b)) => format!("{} to {}", a.version, b.version),
            _ => "none".to_string(),
        },
        start
    ));
    (&set.migrations[..start], &set.migrations[start..end])
}

/// Splits the set into migrations applied as a baseline and those rehearsed.
fn split_baseline<'a>(
    set: &'a MigrationSet,
    baseline: Option<&str>,
) -> Result<(&'a [Migration], &'a [Migration]), Error> {
    let Some(version) = baseline else {
        return Ok((&[], &set.migrations));
    };
    let target = crate::migrations::Version::new(version);
    // The version as written first: where the whole file name is the version, `001_a` and
    // `1_a` are two migrations.
    let Some(index) = set
        .migrations
        .iter()
        .position(|m| m.version == target)
        .or_else(|| {
            set.migrations
                .iter()
                .position(|m| m.version.same_as(&target))
        })
    else {
        return Err(Error::Input(format!(
            "the baseline version {version} (--baseline or [migrations] baseline) is not a migration in {}",
            set.root.display()
        )));
    };
    Ok(set.migrations.split_at(index + 1))
}

fn label(set: &MigrationSet, path: &std::path::Path) -> String {
    path.strip_prefix(&set.root)
        .unwrap_or(path)
        .display()
        .to_string()
}

fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    crate::seed::values::format_timestamp(secs as i64 * 1_000_000)
}
