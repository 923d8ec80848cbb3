//! The seeded state kept as a template database, so that a reset is a file-level clone
//! (`CREATE DATABASE ... TEMPLATE ... STRATEGY FILE_COPY`) instead of a second seeding.

use super::catalog::quote_ident;
use crate::provision::{cleanup, ConnectionInfo};
use std::time::Instant;

/// A template holding the seeded state of `database`. On a server we do not own (the url
/// provider) it is dropped when this value is.
pub struct Template {
    pub name: String,
    /// The database it was taken from, and that [`Template::reset`] recreates.
    pub database: ConnectionInfo,
    /// Seconds the clone took.
    pub create_seconds: f64,
    _guard: Option<cleanup::CleanupGuard>,
}

/// A database to connect to for CREATE/DROP DATABASE of `db`.
fn maintenance(conn: &ConnectionInfo) -> ConnectionInfo {
    if conn.dbname == "postgres" {
        conn.with_dbname("template1")
    } else {
        conn.with_dbname("postgres")
    }
}

async fn file_copy_clause(client: &tokio_postgres::Client) -> &'static str {
    let version: i32 = client
        .query_one("SELECT current_setting('server_version_num')::int", &[])
        .await
        .map(|r| r.get(0))
        .unwrap_or(0);
    // PostgreSQL 15 made WAL_LOG the default, which writes the whole database to WAL; a file
    // copy is several times faster for a large template.
    if version >= 150_000 {
        " STRATEGY = FILE_COPY"
    } else {
        ""
    }
}

/// Replaces database `name` with a clone of `database`; returns the seconds the clone took.
async fn clone_into(
    admin_info: &ConnectionInfo,
    database: &ConnectionInfo,
    name: &str,
) -> Result<f64, String> {
    let admin = admin_info
        .connect()
        .await
        .map_err(|e| format!("could not connect to create the template database: {e}"))?;
    let strategy = file_copy_clause(&admin).await;
    let started = Instant::now();
    // Separate statements: several in one simple query form an implicit transaction,
    // where CREATE/DROP DATABASE may not run.
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {}", quote_ident(name)))
        .await
        .map_err(|e| format!("could not replace an old template {name}: {e}"))?;
    admin
        .batch_execute(&format!(
            "CREATE DATABASE {} TEMPLATE {}{strategy}",
            quote_ident(name),
            quote_ident(&database.dbname)
        ))
        .await
        .map_err(|e| {
            format!(
                "could not keep the seeded database as a template: {}",
                e.as_db_error()
                    .map(|d| d.message().to_string())
                    .unwrap_or(e.to_string())
            )
        })?;
    Ok(started.elapsed().as_secs_f64())
}

impl Template {
    /// Clones `database` into a template. Nobody may be connected to `database` meanwhile
    /// (PostgreSQL waits a few seconds for sessions that are closing).
    pub async fn create(database: &ConnectionInfo, drop_on_exit: bool) -> Result<Template, String> {
        let name = format!("{}_seeded", database.dbname);
        let admin_info = maintenance(database);
        let create_seconds = clone_into(&admin_info, database, &name).await?;
        let guard = drop_on_exit.then(|| {
            let admin_info = admin_info.clone();
            let name = name.clone();
            cleanup::register(move || cleanup::drop_database_blocking(&admin_info, &name))
        });
        Ok(Template {
            name,
            database: database.clone(),
            create_seconds,
            _guard: guard,
        })
    }

    /// Replaces the template with a clone of the database as it is now (a later seed point);
    /// returns the seconds it took. Nobody may be connected to the database meanwhile.
    pub async fn refresh(&self) -> Result<f64, String> {
        clone_into(&maintenance(&self.database), &self.database, &self.name).await
    }

    /// Replaces the database with a fresh clone of the template; returns the seconds it took.
    /// Sessions still connected to the database are terminated.
    pub async fn reset(&self) -> Result<f64, String> {
        let admin = maintenance(&self.database)
            .connect()
            .await
            .map_err(|e| format!("could not connect to reset the database: {e}"))?;
        let strategy = file_copy_clause(&admin).await;
        let started = Instant::now();
        let db = quote_ident(&self.database.dbname);
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
            .await
            .map_err(|e| format!("could not drop {} to reset it: {e}", self.database.dbname))?;
        admin
            .batch_execute(&format!(
                "CREATE DATABASE {db} TEMPLATE {}{strategy}",
                quote_ident(&self.name)
            ))
            .await
            .map_err(|e| {
                format!(
                    "could not reset {} from its template: {}",
                    self.database.dbname,
                    e.as_db_error()
                        .map(|d| d.message().to_string())
                        .unwrap_or(e.to_string())
                )
            })?;
        Ok(started.elapsed().as_secs_f64())
    }
}
