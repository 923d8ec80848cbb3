//! What a database that already has rows and a schema has applied (a `--clone` of staging, or
//! the target of `--in-transaction`), so that only the pending migrations are rehearsed: from
//! `--baseline` when the user names it, else from the migration tool's own bookkeeping table.
//!
//! It works on the database the rehearsal runs on (the clone, or the target inside its
//! rolled-back transaction). On a clone it marks the bookkeeping table (the comment the snapshot
//! leaves the tool's table out by); on the target of `--in-transaction` it never does, since the
//! comment's lock would stay on staging's table until the run ends. It never runs a migration
//! and never touches a clone's source.

use crate::migrations::{MigrationSet, BOOKKEEPING_MARKER};
use crate::Error;
use tokio_postgres::Client;

/// How many of the set's migrations, in order, the database already has, and what to say about
/// it. Errors are the user's input: a baseline that is no migration, a bookkeeping table with a
/// gap or a failed row, or no way to know.
pub(super) async fn already_applied(
    client: &Client,
    set: &MigrationSet,
    baseline: Option<&str>,
    source: &str,
    on_a_copy: bool,
) -> Result<(usize, Vec<String>), Error> {
    let has_tables = user_tables(client).await? > 0;
    let table = match &set.bookkeeping {
        Some(b) => exists(client, &b.table).await?.then_some(b),
        None => None,
    };
    if let Some(b) = table.filter(|_| on_a_copy) {
        // The tool's table is the tool's, not the migrations': left out of the verdicts as in
        // a rehearsal that created it. This writes the clone, never the source. The target of
        // --in-transaction is left unmarked: COMMENT takes SHARE UPDATE EXCLUSIVE, which would
        // be held on staging's table (blocking its VACUUM and DDL) until the final ROLLBACK;
        // no rows are compared there, and the table's schema is the same before and after.
        client
            .batch_execute(&format!(
                "COMMENT ON TABLE {} IS {}",
                b.table,
                crate::identifier::literal(BOOKKEEPING_MARKER)
            ))
            .await
            .map_err(|e| {
                Error::Environment(format!(
                    "could not mark the bookkeeping table {} in the clone: {}",
                    b.table,
                    crate::server_text::of(&e)
                ))
            })?;
    }
    if let (Some(b), None) = (&set.bookkeeping, table) {
        // Rehearsed scripts record themselves in it, as the tool would after creating it.
        client.batch_execute(&b.create_sql).await.map_err(|e| {
            Error::Environment(format!(
                "could not create the bookkeeping table {} in the clone: {}",
                b.table,
                crate::server_text::of(&e)
            ))
        })?;
    }
    if let Some(version) = baseline {
        let (applied, _) = super::split_baseline(set, Some(version))?;
        return Ok((
            applied.len(),
            vec![format!(
                "{source} is taken to have every migration up to {version} applied (--baseline)"
            )],
        ));
    }
    let Some(b) = table else {
        if !has_tables {
            return Ok((
                0,
                vec![format!(
                    "{source} has no tables: every migration is pending"
                )],
            ));
        }
        return Err(Error::Input(format!(
            "--clone: {source} has tables but no {} saying which migrations it has, so rehearse cannot tell which are pending: pass --baseline VERSION, the last migration applied to {source}",
            set.bookkeeping
                .as_ref()
                .map_or("bookkeeping table", |b| b.table.as_str())
        )));
    };
    let rows: Vec<(String, bool)> = client
        .query(b.applied_sql(), &[])
        .await
        .map_err(|e| {
            Error::Input(format!(
                "--clone: {} in {source} cannot be read as the migration tool writes it: {}",
                b.table,
                crate::server_text::of(&e)
            ))
        })?
        .iter()
        .map(|r| (r.get::<_, Option<String>>(0).unwrap_or_default(), r.get(1)))
        .collect();
    let (count, unknown) = b
        .applied_count(&rows, &set.migrations)
        .map_err(|why| Error::Input(format!("--clone: {source}: {why}")))?;
    let mut notes = vec![format!(
        "{source} has {count} of the {} migrations applied ({}); {} pending",
        set.migrations.len(),
        b.table,
        set.migrations.len() - count
    )];
    if !unknown.is_empty() {
        notes.push(format!(
            "{} lists {} the migrations folder does not have: {}",
            b.table,
            crate::words::count(unknown.len(), "version"),
            unknown
                .iter()
                .take(5)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok((count, notes))
}

async fn exists(client: &Client, table: &str) -> Result<bool, Error> {
    client
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&table])
        .await
        .map(|r| r.get(0))
        .map_err(|e| Error::Environment(crate::server_text::of(&e)))
}

/// The database's own tables (not the system's, not an extension's).
pub(super) async fn user_tables(client: &Client) -> Result<i64, Error> {
    client
        .query_one(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
              WHERE c.relkind IN ('r', 'p') \
                AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
                AND n.nspname NOT LIKE 'pg\\_%'",
            &[],
        )
        .await
        .map(|r| r.get(0))
        .map_err(|e| Error::Environment(crate::server_text::of(&e)))
}
