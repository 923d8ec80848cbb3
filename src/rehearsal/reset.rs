//! Repairing the state between migrations: when a rollback left damage behind, the database is
//! replaced by a clone of the seed point's template and the forwards since then are replayed,
//! unmeasured, so the next migration starts from the state production would have. Only the
//! mechanics: whether to reset is the rehearsal's decision ([`left_unclean`] says when it is due).

use super::seeding::SeedPoints;
use super::{connect, label};
use crate::migrations::{Migration, MigrationSet};
use crate::probe;
use crate::provision::Database;
use crate::report::{Finding, FindingKind, MigrationReport, StateReset};
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
    let seconds = template.reset().await.map_err(Error::Environment)?;
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
