//! The rehearsal pipeline of DESIGN.md, and nothing else: provision, baseline, then for each
//! rehearsed migration a seed point, forward, rollback, forward again, and a reset from the
//! template when the rollback left damage behind; then a report. Measuring, comparing and
//! rendering belong to the probe, snapshot and report modules.

use crate::migrations::{Migration, MigrationSet};
use crate::probe::{self, Probe, ProbeSettings, Step};
use crate::provision::{self, Database};
use crate::report::{
    DatabaseInfo, Direction, Finding, FindingKind, MigrationReport, Report, StateReset, Timings,
    Verdict, SCHEMA_VERSION,
};
use crate::scenario::Scenario;
use crate::seed::{self, Template};
use crate::snapshot;
use crate::Error;
use seeding::SeedPoints;
use std::time::Instant;

mod applied;
mod drift;
mod in_transaction;
pub mod journal;
mod progress;
mod seeding;

pub use progress::{for_stderr, PlainProgress, Progress, QuietProgress, TerminalProgress};

/// Runs the whole rehearsal on a freshly provisioned database.
pub async fn rehearse(
    scenario: &Scenario,
    set: &MigrationSet,
    progress: &dyn Progress,
) -> Result<Report, Error> {
    // A missing or malformed dataset definition, or a baseline that names no migration, is bad
    // input: say so before starting a server.
    seed_request(scenario, set)?;
    split_baseline(set, scenario.baseline.as_deref())?;
    let database = provision::provision(&scenario.database).await?;
    journal::provisioned(DatabaseInfo {
        provider: database.kind,
        server_version: database.server_version.clone(),
        reason: database.reason.clone(),
        image: (database.kind == provision::ProviderKind::Docker)
            .then(|| provision::docker::image_for(&scenario.database)),
        data: database.data.clone(),
    });
    progress.step(&format!(
        "PostgreSQL {} via {:?} ({})",
        database.server_version, database.kind, database.reason
    ));
    let report = rehearse_on(&database, scenario, set, progress).await;
    drop(database);
    report
}

/// Runs the rehearsal on a database someone else provisioned.
pub async fn rehearse_on(
    database: &Database,
    scenario: &Scenario,
    set: &MigrationSet,
    progress: &dyn Progress,
) -> Result<Report, Error> {
    let started_at = now_rfc3339();
    let started = Instant::now();
    let seed_request = seed_request(scenario, set)?;
    let mut client = connect(database).await?;

    // A clone of a live database has its migrations applied already: which ones, its
    // bookkeeping table (or --baseline) says; only the rest are rehearsed.
    // --in-transaction: everything from here runs inside one transaction on the target, rolled
    // back at the end (and by the server if this process dies first).
    let in_transaction = matches!(
        database.data,
        crate::report::DataSource::InTransaction { .. }
    );
    if in_transaction {
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
            })?;
    }
    // How many migrations a live source (a clone, or the target of --in-transaction) already
    // has; None for a database rehearse builds from nothing.
    let applied_already = match &database.data {
        crate::report::DataSource::Clone {
            database: source, ..
        }
        | crate::report::DataSource::InTransaction {
            database: source, ..
        } => {
            let (count, notes) =
                applied::already_applied(&client, set, scenario.baseline.as_deref(), source)
                    .await?;
            for note in notes {
                progress.step(&note);
            }
            Some(count)
        }
        _ => None,
    };
    // The migration tool's bookkeeping table, as the tool creates it before its first migration.
    if let (Some(bookkeeping), None) = (&set.bookkeeping, applied_already) {
        client
            .batch_execute(&bookkeeping.create_sql)
            .await
            .map_err(|e| {
                Error::Environment(format!(
                    "could not create the bookkeeping table {}: {}",
                    bookkeeping.table,
                    crate::server_text::of(&e)
                ))
            })?;
    }

    let (baseline, rehearsed) = match applied_already {
        Some(count) => set.migrations.split_at(count),
        None => split_baseline(set, scenario.baseline.as_deref())?,
    };
    let mut findings = Vec::new();
    let mut migrations = Vec::new();
    let mut blocked_by: Option<String> = None;

    // A clone whose schema is not what its applied migrations give is said before anything runs.
    if let (
        Some(count @ 1..),
        crate::report::DataSource::Clone {
            database: source, ..
        },
    ) = (applied_already, &database.data)
    {
        progress.running(&format!(
            "comparing {source}'s schema with what its {count} applied migrations give"
        ));
        match drift::check(
            &client,
            &database.connection,
            set.bookkeeping.as_ref(),
            baseline,
        )
        .await
        {
            drift::Drift::Agrees => progress.step(&format!(
                "{source}'s schema is the one its {count} applied migrations give: no drift"
            )),
            drift::Drift::Differs(differences) => {
                let finding = drift::finding(source, count, &differences);
                progress.step(&finding.message);
                findings.push(finding);
            }
            drift::Drift::NotJudged(why) => {
                progress.step(&format!("drift of {source} not checked: {why}"))
            }
        }
    }

    // A clone has its baseline already: nothing to replay.
    for migration in baseline.iter().filter(|_| applied_already.is_none()) {
        progress.step(&format!(
            "baseline {} {}",
            migration.version, migration.name
        ));
        let direction = probe::run_script(
            &client,
            &migration.forward,
            &label(set, &migration.forward.path),
        )
        .await;
        if let Some(what) = crate::probe::environment_failure(std::iter::once(&direction)) {
            return Err(Error::Environment(what));
        }
        if let Some(e) = direction.error {
            findings.push(Finding::of(
                FindingKind::BaselineFailed,
                format!(
                    "{}, line {}: the baseline migration {} failed: {}",
                    e.file, e.line, migration.version, e.message
                ),
            ));
            blocked_by = Some(migration.version.to_string());
            break;
        }
    }

    journal::run_findings(&findings);

    // Seed points: right after the baseline, then before every rehearsed migration whose
    // predecessors created tables. Each keeps the state as a template so that a reset is a clone;
    // without seeded rows the clone is cheap, and still saves replaying the baseline. The
    // template is dropped with this function's scope.
    let keep_template = scenario
        .raw
        .dataset
        .as_ref()
        .and_then(|d| d.template)
        .unwrap_or(true);
    let mut seeding = SeedPoints::new(seed_request, keep_template);
    seeding.leave_alone(set.bookkeeping.iter().map(|b| b.table.clone()));
    if applied_already.is_some() {
        // The clone's tables hold staging's rows: only tables the migrations create are seeded.
        let existing = seed::catalog::table_keys(&client).await.map_err(|e| {
            Error::Environment(format!(
                "could not list the clone's tables: {}",
                crate::server_text::of(&e)
            ))
        })?;
        seeding.leave_alone(existing);
    }
    // Inside the target's transaction nothing is seeded: its rows are the data, and a template
    // (CREATE DATABASE) cannot be made in a transaction.
    if blocked_by.is_none() && !in_transaction {
        match seeding
            .seed(database, client, 0, rehearsed.first(), progress)
            .await
        {
            Ok((reconnected, _)) => client = reconnected,
            // Nothing has run yet: a dataset that cannot be loaded is the input's fault.
            Err(e) if baseline.is_empty() => return Err(e),
            // The baseline has run: keep it, and say why nothing after it was rehearsed.
            Err(e) => {
                let message = format!("seeding after the baseline failed: {e}");
                progress.step(&message);
                findings.push(Finding::of(FindingKind::SeedFailed, message));
                blocked_by = Some("the seed point after the baseline".into());
                client = connect(database).await?;
            }
        }
    }

    // Sizes as the rehearsed migrations find them (after seeding), for the "large table" hazards.
    let mut tables = crate::probe::table_sizes(&client).await.unwrap_or_default();

    let mut settings = ProbeSettings::from_scenario(scenario);
    if in_transaction {
        settings = in_transaction::settings(settings);
    }
    let probe = Probe::new(database.connection.clone(), settings);
    // --in-transaction: the migration that could not run inside it, which those after wait on.
    let mut outside: Option<String> = None;
    for (index, migration) in rehearsed.iter().enumerate() {
        if let Some(blocker) = &blocked_by {
            let skipped = not_run(set, migration, blocker);
            journal::finished(&skipped);
            migrations.push(skipped);
            continue;
        }
        if in_transaction {
            let file = label(set, &migration.forward.path);
            let why = match (&outside, in_transaction::outside_transaction(migration)) {
                (Some(earlier), _) => Some(format!(
                    "{file} was not rehearsed: it follows {earlier}, which cannot run inside a transaction (--in-transaction)"
                )),
                (None, Some((script, line, words))) => {
                    outside = Some(migration.version.to_string());
                    Some(format!(
                        "{}, line {line}: {words} … cannot run inside a transaction, so --in-transaction did not rehearse {}",
                        label(set, &script.path),
                        migration.version
                    ))
                }
                (None, None) => None,
            };
            if let Some(why) = why {
                let skipped = in_transaction::not_rehearsed(file, migration, why);
                progress.step(&skipped.findings[0].message);
                journal::finished(&skipped);
                migrations.push(skipped);
                continue;
            }
        }
        journal::rehearsing(&migration.version.to_string());
        let seed_started = Instant::now();
        let mut seeded_before = None;
        if index > 0 && !in_transaction {
            // Migrations have run: a seed point that fails is a finding of this run, and the
            // migrations from here on are not run; the report keeps everything done so far.
            match seeding
                .seed(database, client, index, Some(migration), progress)
                .await
            {
                Ok((reconnected, seeded)) => {
                    client = reconnected;
                    if seeded.is_some() {
                        let fresh = crate::probe::table_sizes(&client).await.unwrap_or_default();
                        seeding::merge_sizes(&mut tables, fresh);
                    }
                    seeded_before = seeded;
                }
                Err(e) => {
                    let message = format!(
                        "seeding the tables created before {} {} failed: {}",
                        migration.version, migration.name, e
                    );
                    progress.step(&message);
                    findings.push(Finding::of(FindingKind::SeedFailed, message));
                    blocked_by = Some(format!("the seed point before {}", migration.version));
                    migrations.push(not_run(set, migration, blocked_by.as_deref().unwrap_or("")));
                    client = connect(database).await?;
                    continue;
                }
            }
        }
        let seed_ms = elapsed_ms(seed_started);
        let mut report = rehearse_migration(&client, &probe, set, migration, progress).await;
        seeding.explain_inferred(&client, &mut report).await;
        if let Some(what) = crate::probe::environment_failure(measures_directions(&report)) {
            return Err(Error::Environment(what));
        }
        let reset_started = Instant::now();
        let redo_failed = report.redo.as_ref().is_some_and(|r| !r.ok);
        if !report.forward.ok {
            blocked_by = Some(migration.version.to_string());
        } else if let Some((template, template_at)) = seeding
            .template()
            .filter(|_| index + 1 < rehearsed.len() && left_unclean(&report))
        {
            // Even a redo that failed leaves a state a reset can repair: the forward applied
            // once, so replaying it on the template gives what later migrations need.
            drop(client);
            progress.running(&format!(
                "{} {} resetting the state from the template",
                migration.version, migration.name
            ));
            let (reconnected, reset, failure) = reset_state(
                database,
                template,
                &seeding,
                set,
                rehearsed,
                template_at..=index,
            )
            .await?;
            client = reconnected;
            if let Some(failure) = failure {
                report.findings.push(failure);
                report.verdict = Verdict::Fail;
                blocked_by = Some(migration.version.to_string());
            } else {
                // The template takes the repaired state, so the next reset replays only what
                // follows: one clone instead of replaying (possibly rewriting) migrations again.
                drop(client);
                seeding
                    .advance_template(database, index + 1, progress)
                    .await;
                client = connect(database).await?;
            }
            report.reset = Some(reset);
        } else if redo_failed {
            blocked_by = Some(migration.version.to_string());
        } else if index + 1 < rehearsed.len()
            && !in_transaction
            && seeding.passed(report.forward.duration_ms, seed_ms)
        {
            // Replaying since the template now costs more than a clone: clone now instead.
            drop(client);
            seeding
                .advance_template(database, index + 1, progress)
                .await;
            client = connect(database).await?;
        }
        if let Some(t) = report.timings.as_mut() {
            t.seed_ms = seed_ms;
            // A reset, or the template's refresh once replays would cost more than a clone.
            t.reset_ms = elapsed_ms(reset_started);
            t.wall_ms += t.seed_ms + t.reset_ms;
            t.settle();
        }
        progress.step(&progress::migration_line(
            &report,
            index + 1,
            rehearsed.len(),
            seeded_before.as_deref(),
        ));
        journal::finished(&report);
        migrations.push(report);
    }
    let skipped = migrations
        .iter()
        .filter(|m| m.verdict == Verdict::NotRun)
        .count();
    if let (Some(blocker), 1..) = (&blocked_by, skipped) {
        progress.step(&format!(
            "{skipped} migration{} not run because {} failed",
            if skipped == 1 { "" } else { "s" },
            if blocker.starts_with("the ") {
                blocker.clone()
            } else {
                format!("migration {blocker}")
            }
        ));
    }

    // Definitions that waited for a table no seed point saw. A table that appeared after the last
    // migration only had nowhere to be seeded; one that never appeared is a mistake.
    if blocked_by.is_none() {
        let unused = seeding.unused_definitions();
        if !unused.is_empty() {
            let now = seed::catalog::table_keys(&client).await.unwrap_or_default();
            for (name, file) in unused {
                if now.contains(&seed::catalog::table_key(name)) {
                    progress.step(&format!(
                        "the dataset's definition of table {name} ({}) was not used: the table exists only after the last migration, and no seed point follows it",
                        file.display()
                    ));
                } else {
                    findings.push(Finding::of(FindingKind::DatasetTableMissing,
                        format!(
                            "{}: table \"{name}\" is defined in the dataset, but the migrations never created it, so it was never seeded",
                            file.display()
                        ),
                    ));
                }
            }
        }
    }

    if in_transaction {
        // Nothing the rehearsal did may stay: the one transaction ends here, rolled back.
        client.batch_execute("ROLLBACK").await.map_err(|e| {
            Error::Environment(format!(
                "could not roll back the transaction on the target (the server rolls it back when this connection closes): {}",
                crate::server_text::of(&e)
            ))
        })?;
    }
    let verdict = if findings.is_empty() && migrations.iter().all(|m| m.verdict == Verdict::Pass) {
        Verdict::Pass
    } else {
        Verdict::Fail
    };
    Ok(Report {
        schema_version: SCHEMA_VERSION,
        verdict,
        rehearse_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: scenario.name.clone(),
        started_at,
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        database: DatabaseInfo {
            provider: database.kind,
            server_version: database.server_version.clone(),
            reason: database.reason.clone(),
            image: (database.kind == provision::ProviderKind::Docker)
                .then(|| provision::docker::image_for(&scenario.database)),
            data: database.data.clone(),
        },
        migrations,
        findings,
        seed: seeding.report(),
        tables,
        ..Default::default()
    })
}

/// The scenario's dataset as a seeding request (a bare folder: every table inferred). A
/// definition of a table that no migration of `set` creates is bad input.
pub fn seed_request(scenario: &Scenario, set: &MigrationSet) -> Result<seed::SeedRequest, Error> {
    let request =
        seed::SeedRequest::from_section(scenario.raw.dataset.as_ref(), scenario.file.as_deref())?;
    seeding::check_definitions(&request, set)?;
    Ok(request)
}

/// Forward, rollback, forward again, for one migration.
///
/// Around them, the snapshot module proves the rollback: S0 and D0 before the forward, S1 after
/// it, S2 and D2 after the rollback (compared with S0 and D0), and S1 again after the redo.
pub async fn rehearse_migration(
    client: &tokio_postgres::Client,
    probe: &Probe,
    set: &MigrationSet,
    migration: &Migration,
    progress: &dyn Progress,
) -> MigrationReport {
    let started = Instant::now();
    let mut timings = Timings::default();
    let forward_file = label(set, &migration.forward.path);
    let rollback_file = migration.rollback.as_ref().map(|r| label(set, &r.path));
    let mut findings = Vec::new();

    let mut scripts = vec![&migration.forward];
    scripts.extend(migration.rollback.as_ref());
    let checkpoint = if probe.settings().nested {
        snapshot::check::checkpoint_schema_only(client, in_transaction::UNSIGNED).await
    } else {
        snapshot::checkpoint_scoped(
            client,
            probe.connection(),
            &scripts,
            probe.settings().data_check_all,
        )
        .await
    };
    let checkpoint = match checkpoint {
        Ok(c) => {
            timings.snapshots_ms += c.schema_ms;
            timings.signatures_ms += c.signature_ms;
            Some(c)
        }
        Err(e) => {
            findings.push(snapshot_failed("before the forward", &e));
            None
        }
    };
    progress.running(&format!("{} {} forward", migration.version, migration.name));
    let forward = observed(
        &mut timings,
        probe.run(client, &migration.forward, &forward_file, Step::Forward),
    )
    .await;
    findings.extend(probe.direction_findings(&forward));
    if let Some(e) = &forward.error {
        findings.push(statement_failed(FindingKind::ForwardFailed, e, ""));
    }

    let mut rollback = None;
    let mut redo = None;
    let mut redo_differences = Vec::new();
    let mut restoration = None;
    let after_forward = if forward.ok && migration.rollback.is_some() {
        let t = Instant::now();
        let s1 = snapshot::snapshot_of(client, probe.settings().nested).await;
        timings.snapshots_ms += elapsed_ms(t);
        match s1 {
            Ok(s) => Some(s),
            Err(e) => {
                findings.push(snapshot_failed("after the forward", &e));
                None
            }
        }
    } else {
        None
    };
    if forward.ok {
        match &migration.rollback {
            None => findings.push(Finding::of(
                FindingKind::MissingRollback,
                format!(
                    "{} has no rollback script, so it cannot be undone if the release goes wrong",
                    forward_file
                ),
            )),
            Some(script) => {
                progress.running(&format!(
                    "{} {} rollback",
                    migration.version, migration.name
                ));
                let back = observed(
                    &mut timings,
                    probe.run(
                        client,
                        script,
                        rollback_file.as_deref().unwrap_or_default(),
                        Step::Rollback,
                    ),
                )
                .await;
                findings.extend(probe.direction_findings(&back));
                if let Some(e) = &back.error {
                    findings.push(statement_failed(FindingKind::RollbackFailed, e, ""));
                } else {
                    if let Some(checkpoint) = checkpoint {
                        let written =
                            snapshot::written_tables(&[("forward", &forward), ("rollback", &back)]);
                        match snapshot::restoration_scoped(
                            client,
                            probe.connection(),
                            checkpoint,
                            &written,
                        )
                        .await
                        {
                            Ok(r) => {
                                timings.snapshots_ms += r.schema_ms;
                                timings.signatures_ms += r.signature_ms;
                                findings.extend(restoration_findings(&forward_file, &r));
                                restoration = Some(r);
                            }
                            Err(e) => findings.push(snapshot_failed("after the rollback", &e)),
                        }
                    }
                    progress.running(&format!(
                        "{} {} forward again",
                        migration.version, migration.name
                    ));
                    let again = observed(
                        &mut timings,
                        probe.run(client, &migration.forward, &forward_file, Step::Redo),
                    )
                    .await;
                    findings.extend(probe.direction_findings(&again));
                    if let Some(e) = &again.error {
                        findings.push(statement_failed(
                            FindingKind::RedoFailed,
                            e,
                            "the migration does not apply again after its rollback: ",
                        ));
                    } else if let Some(s1) = &after_forward {
                        let t = Instant::now();
                        let s3 = snapshot::snapshot_of(client, probe.settings().nested).await;
                        timings.snapshots_ms += elapsed_ms(t);
                        match s3 {
                            Ok(s3) => {
                                redo_differences = snapshot::diff(s1, &s3);
                                let differences = &redo_differences;
                                if let Some(first) = differences.first() {
                                    findings.push(Finding::of(
                                        FindingKind::RedoDiffers,
                                        format!(
                                            "{forward_file} applied again after its rollback gives another schema than the first time ({} differences, first {})",
                                            differences.len(),
                                            snapshot::check::describe(first)
                                        ),
                                    ));
                                }
                            }
                            Err(e) => findings.push(snapshot_failed("after the redo", &e)),
                        }
                    }
                    redo = Some(again);
                }
                rollback = Some(back);
            }
        }
    }

    // The workload runs in every direction: a problem it has is said once.
    let mut seen = std::collections::HashSet::new();
    findings.retain(|f| seen.insert((f.kind.clone(), f.message.clone())));

    timings.statements_ms = [Some(&forward), rollback.as_ref(), redo.as_ref()]
        .into_iter()
        .flatten()
        .flat_map(|d| d.statements.iter())
        .map(|s| s.duration_ms)
        .sum();
    timings.observation_ms = (timings.observation_ms - timings.statements_ms).max(0.0);
    timings.wall_ms = elapsed_ms(started);
    timings.settle();

    MigrationReport {
        id: migration.version.to_string(),
        name: migration.name.clone(),
        verdict: if findings.is_empty() {
            Verdict::Pass
        } else {
            Verdict::Fail
        },
        file: forward_file,
        rollback_file,
        forward,
        rollback,
        redo,
        schema_restored: restoration.as_ref().map(|r| r.schema_restored()),
        data_preserved: restoration.as_ref().and_then(|r| r.data_verdict()),
        differences: restoration
            .as_ref()
            .map(|r| r.differences.clone())
            .unwrap_or_default(),
        data_check: restoration.as_ref().and_then(|r| r.data_check.clone()),
        data_differences: restoration.map(|r| r.data_differences).unwrap_or_default(),
        redo_differences,
        findings,
        timings: Some(timings),
        ..Default::default()
    }
}

/// The finding of a direction whose statement failed: where, what the server said (after
/// `lead`), and advice of its own when the error code says more than the kind (a deadlock).
fn statement_failed(kind: FindingKind, e: &crate::report::StatementError, lead: &str) -> Finding {
    let finding = Finding::of(
        kind,
        format!("{}, line {}: {lead}{}", e.file, e.line, e.message),
    );
    match crate::report::catalogue::advice_for_error(e.code.as_deref()) {
        Some(advice) => finding.with_advice(advice),
        None => finding,
    }
}

/// The directions a migration ran, in order.
fn measures_directions(m: &MigrationReport) -> impl Iterator<Item = &crate::report::Direction> {
    std::iter::once(&m.forward)
        .chain(m.rollback.as_ref())
        .chain(m.redo.as_ref())
}

/// Runs one observed step, adding its wall time to the observation bucket (the statements'
/// share is taken out once all steps have run).
async fn observed(
    timings: &mut Timings,
    step: impl std::future::Future<Output = Direction>,
) -> Direction {
    let t = Instant::now();
    let direction = step.await;
    timings.observation_ms += elapsed_ms(t);
    direction
}

fn elapsed_ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

async fn connect(database: &Database) -> Result<tokio_postgres::Client, Error> {
    database.connection.connect().await.map_err(|e| {
        Error::Environment(format!("could not connect to the rehearsal database: {e}"))
    })
}

/// True when a rehearsal left the database unlike "forward applied cleanly": what the next
/// migration would find is the rollback's damage, not the state production would have.
fn left_unclean(m: &MigrationReport) -> bool {
    m.rollback.as_ref().is_some_and(|r| !r.ok)
        || m.redo.as_ref().is_some_and(|r| !r.ok)
        || m.schema_restored == Some(false)
        || m.data_preserved == Some(false)
        || !m.redo_differences.is_empty()
}

/// Replaces the database with a clone of the template and replays, unmeasured, the forward
/// scripts of `rehearsed[replay]` on it, with the seed points between them that loaded rows
/// after the template was taken. Returns a client on the clone, what the reset cost, and the
/// finding of a replayed forward that failed (the state is then not the one later migrations
/// need). Nobody may hold a connection to the database that should survive: the reset ends them.
async fn reset_state(
    database: &Database,
    template: &Template,
    seeding: &SeedPoints,
    set: &MigrationSet,
    rehearsed: &[Migration],
    replay: std::ops::RangeInclusive<usize>,
) -> Result<(tokio_postgres::Client, StateReset, Option<Finding>), Error> {
    let seconds = template.reset().await.map_err(Error::Environment)?;
    let started = Instant::now();
    let mut replayed = Vec::new();
    let mut failure = None;
    let first = *replay.start();
    let mut reseeded = Vec::new();
    let client = connect(database).await?;
    for at in replay {
        let migration = &rehearsed[at];
        // The template holds the state after the seed point before `first`.
        if at > first && seeding.replay(database, at).await? {
            reseeded.push(migration.version.to_string());
        }
        let file = label(set, &migration.forward.path);
        let direction = probe::run_script(&client, &migration.forward, &file).await;
        if let Some(e) = direction.error {
            failure = Some(Finding::of(
                FindingKind::ReplayFailed,
                format!(
                    "{}, line {}: replayed on the state reset from the template, the forward of {} failed, so later migrations cannot start clean: {}",
                    e.file, e.line, migration.version, e.message
                ),
            ));
            break;
        }
        replayed.push(migration.version.to_string());
    }
    let reset = StateReset {
        seconds,
        replay_seconds: started.elapsed().as_secs_f64(),
        replayed,
        reseeded,
    };
    Ok((client, reset, failure))
}

/// One finding per broken promise of the rollback: schema not restored, data not preserved.
fn restoration_findings(forward_file: &str, r: &snapshot::Restoration) -> Vec<Finding> {
    let mut findings = Vec::new();
    if let Some(first) = r.differences.first() {
        findings.push(Finding::of(
            FindingKind::SchemaNotRestored,
            format!(
                "the rollback of {forward_file} does not restore the schema: {} differences, first {}",
                r.differences.len(),
                snapshot::check::describe(first)
            ),
        ));
    }
    if let Some(check) = r.data_check.as_ref().filter(|c| !c.unproven.is_empty()) {
        let first = &check.unproven[0];
        findings.push(Finding::of(
            FindingKind::DataUnproven,
            format!(
                "the data of {} table(s) that the migration {forward_file} changed could not be compared with the state before it: {} {}",
                check.unproven.len(),
                first.table,
                first.why
            ),
        ));
    }
    if let Some(first) = r.data_differences.first() {
        findings.push(Finding::of(
            FindingKind::DataNotPreserved,
            format!(
                "the rollback of {forward_file} does not preserve the data: {} differences, first {}: {}",
                r.data_differences.len(),
                first.object,
                first.detail
            ),
        ));
    }
    findings
}

fn snapshot_failed(when: &str, e: &tokio_postgres::Error) -> Finding {
    let message = crate::server_text::of(e);
    Finding::of(
        FindingKind::SnapshotFailed,
        format!("the schema and data could not be read {when}: {message}"),
    )
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

/// Splits the set into migrations applied as a baseline and those rehearsed.
fn split_baseline<'a>(
    set: &'a MigrationSet,
    baseline: Option<&str>,
) -> Result<(&'a [Migration], &'a [Migration]), Error> {
    let Some(version) = baseline else {
        return Ok((&[], &set.migrations));
    };
    let target = crate::migrations::Version::new(version);
    let Some(index) = set
        .migrations
        .iter()
        .position(|m| m.version.same_as(&target))
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
