//! Drift: does a clone of a live database have the schema its applied migrations give? The
//! applied migrations are replayed into an empty scratch database on the same server, both
//! schemas are snapshotted, and every difference is named, before anything is rehearsed: a
//! rehearsal on a drifted schema rehearses something production may not have.
//!
//! Owners and privileges are left out: the clone's objects belong to staging's roles, the
//! replay's to the role rehearse connects as. The empty database is dropped when the check ends
//! (and on a signal, by the cleanup registry); the clone and the source are only read here.

use crate::migrations::{Bookkeeping, Migration};
use crate::provision::{cleanup, ownership, ConnectionInfo};
use crate::report::{Difference, Finding, FindingKind};
use tokio_postgres::Client;

/// What the check found: differences (empty when the schemas agree), or why it could not judge.
pub(super) enum Drift {
    Agrees,
    Differs(Vec<Difference>),
    NotJudged(String),
}

/// Replays `applied` into an empty database beside `clone` and compares the schemas.
pub(super) async fn check(
    clone: &Client,
    server: &ConnectionInfo,
    bookkeeping: Option<&Bookkeeping>,
    applied: &[Migration],
    init_sql: Option<&str>,
) -> Drift {
    let actual = match crate::snapshot::snapshot(clone).await {
        Ok(s) => s,
        Err(e) => {
            return Drift::NotJudged(format!(
                "the clone's schema could not be read: {}",
                crate::server_text::of(&e)
            ))
        }
    };
    let name = ownership::scratch_database_name();
    let _guard = cleanup::register({
        let (server, name) = (server.clone(), name.clone());
        move || cleanup::drop_database_blocking(&server, &name)
    });
    let expected = match replay(server, &name, bookkeeping, applied, init_sql).await {
        Ok(s) => s,
        Err(why) => return Drift::NotJudged(why),
    };
    let differences: Vec<Difference> = crate::snapshot::diff(&expected, &actual)
        .into_iter()
        .filter(|d| !matches!(d.kind.as_str(), "owner_changed" | "privileges_changed"))
        .collect();
    if differences.is_empty() {
        Drift::Agrees
    } else {
        Drift::Differs(differences)
    }
}

async fn replay(
    server: &ConnectionInfo,
    name: &str,
    bookkeeping: Option<&Bookkeeping>,
    applied: &[Migration],
    init_sql: Option<&str>,
) -> Result<crate::snapshot::Snapshot, String> {
    let admin = server
        .connect()
        .await
        .map_err(|e| format!("could not connect: {}", crate::server_text::of(&e)))?;
    admin
        .batch_execute(&format!(
            "CREATE DATABASE {}",
            crate::identifier::quote(name)
        ))
        .await
        .map_err(|e| {
            format!(
                "an empty database to replay the applied migrations in could not be created: {}",
                crate::server_text::of(&e)
            )
        })?;
    let _ = crate::provision::ownership::mark_database(&admin, name).await;
    let client = server
        .with_dbname(name)
        .connect()
        .await
        .map_err(|e| format!("could not connect: {}", crate::server_text::of(&e)))?;
    if let Some(sql) = init_sql {
        client.batch_execute(sql).await.map_err(|e| {
            format!(
                "[migrations] init_sql failed on the replay's database: {}",
                crate::server_text::of(&e)
            )
        })?;
    }
    // The tool's table, which the scripts record themselves in (and the snapshot leaves out).
    if let Some(b) = bookkeeping {
        client.batch_execute(&b.create_sql).await.map_err(|e| {
            format!(
                "the bookkeeping table could not be created for the replay: {}",
                crate::server_text::of(&e)
            )
        })?;
    }
    for migration in applied {
        let file = crate::migrations::file_name(&migration.forward.path);
        let direction = crate::probe::run_script(&client, &migration.forward, &file).await;
        if let Some(e) = direction.error {
            return Err(format!(
                "the applied migration {} fails on an empty database ({}, line {}: {}), so what they should give is unknown",
                migration.version, e.file, e.line, e.message
            ));
        }
    }
    crate::snapshot::snapshot(&client).await.map_err(|e| {
        format!(
            "the replay's schema could not be read: {}",
            crate::server_text::of(&e)
        )
    })
}

/// The finding for a drifted clone: how many differences, the first few by name.
pub(super) fn finding(source: &str, applied: usize, differences: &[Difference]) -> Finding {
    let shown: Vec<String> = differences
        .iter()
        .take(5)
        .map(crate::snapshot::check::describe)
        .collect();
    Finding::of(
        FindingKind::SchemaDrift,
        format!(
            "{source} has drifted: its schema is not the one its {applied} applied migrations give ({} difference{}: {}{})",
            differences.len(),
            if differences.len() == 1 { "" } else { "s" },
            shown.join("; "),
            if differences.len() > shown.len() { "; …" } else { "" }
        ),
    )
}
