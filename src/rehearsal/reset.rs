//! Repairing the state between migrations: when a rollback left damage behind, the database is
//! replaced by a clone of the seed point's template and the forwards since then are replayed,
//! unmeasured, so the next migration starts from the state production would have. Inside
//! `--in-transaction`'s one transaction, where nothing can be cloned, a savepoint taken before
//! each forward does the template's work. Only the mechanics: whether to reset is the
//! rehearsal's decision ([`left_unclean`] says when it is due). It never commits.

use super::seeding::SeedPoints;
use super::{connect, label};
use crate::migrations::{Migration, MigrationSet};
use crate::probe;
use crate::provision::Database;
use crate::report::{Finding, FindingKind, MigrationReport, ResetFrom, StateReset};
use crate::seed::Template;
use crate::Error;
use std::time::Instant;

/// True when a rehearsal left the database unlike "forward applied cleanly": what the next
/// migration would find is the rollback's damage, not the state production would have.
pub(super) fn left_unclean(m: &MigrationReport) -> bool {
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
pub(super) async fn reset_state(
    database: &Database,
    template: &Template,
    seeding: &SeedPoints,
    set: &MigrationSet,
    rehearsed: &[Migration],
    replay: std::ops::RangeInclusive<usize>,
    init_sql: Option<&str>,
) -> Result<(tokio_postgres::Client, StateReset, Option<Finding>), Error> {
    let (seconds, method) = template.reset().await.map_err(Error::Environment)?;
    let started = Instant::now();
    let mut replayed = Vec::new();
    let mut failure = None;
    let first = *replay.start();
    let mut reseeded = Vec::new();
    let client = connect(database, init_sql).await?;
    for at in replay {
        let migration = &rehearsed[at];
        // The template holds the state after the seed point before `first`.
        if at > first && seeding.replay(database, at).await? {
            reseeded.push(migration.version.to_string());
        }
        let file = label(set, &migration.forward.path);
        let direction = probe::run_script(&client, &migration.forward, &file).await;
        if let Some(e) = direction.error {
            failure = Some(replay_failed(&e, migration, "reset from the template"));
            break;
        }
        replayed.push(migration.version.to_string());
    }
    let reset = StateReset {
        from: ResetFrom::Template,
        seconds,
        replay_seconds: started.elapsed().as_secs_f64(),
        replayed,
        reseeded,
        method: Some(method),
    };
    Ok((client, reset, failure))
}

/// The savepoint `--in-transaction` takes before each migration's forward: what a reset goes
/// back to when the rollback leaves damage.
const BEFORE_FORWARD: &str = "rehearse_before_forward";

/// `--in-transaction`: marks the state before a migration's forward, inside the one transaction.
pub(super) async fn mark_before_forward(client: &tokio_postgres::Client) -> Result<(), Error> {
    savepoint_command(client, &format!("SAVEPOINT {BEFORE_FORWARD}")).await
}

/// `--in-transaction`: the migration is done with; its savepoint is merged into the
/// transaction (whose locks are held to the end whatever happens).
pub(super) async fn release_before_forward(client: &tokio_postgres::Client) -> Result<(), Error> {
    savepoint_command(client, &format!("RELEASE SAVEPOINT {BEFORE_FORWARD}")).await
}

/// `--in-transaction`'s reset: rolls back to the savepoint before `migration`'s forward, which
/// undoes the forward, the rollback's damage and the redo, then replays the forward, unmeasured
/// and nested (its own transactions become savepoints). Returns what it cost, and the finding of
/// a replayed forward that failed.
pub(super) async fn to_savepoint(
    client: &tokio_postgres::Client,
    set: &MigrationSet,
    migration: &Migration,
) -> Result<(StateReset, Option<Finding>), Error> {
    let started = Instant::now();
    savepoint_command(client, &format!("ROLLBACK TO SAVEPOINT {BEFORE_FORWARD}")).await?;
    let seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let file = label(set, &migration.forward.path);
    let direction = probe::run_script_nested(client, &migration.forward, &file).await;
    let failure = direction
        .error
        .map(|e| replay_failed(&e, migration, "rolled back to the savepoint before it"));
    let replayed = if failure.is_none() {
        vec![migration.version.to_string()]
    } else {
        Vec::new()
    };
    let reset = StateReset {
        from: ResetFrom::Savepoint,
        seconds,
        replay_seconds: started.elapsed().as_secs_f64(),
        replayed,
        reseeded: Vec::new(),
        method: None,
    };
    Ok((reset, failure))
}

async fn savepoint_command(client: &tokio_postgres::Client, sql: &str) -> Result<(), Error> {
    client.batch_execute(sql).await.map_err(|e| {
        Error::Environment(format!(
            "the transaction on the target could not {sql}: {}",
            crate::server_text::of(&e)
        ))
    })
}

/// A forward replayed to repair the state failed: later migrations cannot start clean.
fn replay_failed(e: &crate::report::StatementError, migration: &Migration, on: &str) -> Finding {
    Finding::of(
        FindingKind::ReplayFailed,
        format!(
            "{}, line {}: replayed on the state {on}, the forward of {} failed, so later migrations cannot start clean: {}",
            e.file, e.line, migration.version, e.message
        ),
    )
}
