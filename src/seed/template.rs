//! The seeded state kept as a template database, so that a reset is a file-level clone
//! (`CREATE DATABASE ... TEMPLATE ... STRATEGY FILE_COPY`) instead of a second seeding.
//!
//! On a server the rehearsal started itself (local, docker) the clone runs with `fsync` off:
//! the copy then stays in the page cache instead of waiting for the disk, which is most of its
//! time, and a disposable server loses nothing by it (a crash discards the whole server anyway).
//! `fsync` is back on before the rehearsal measures anything again.
//!
//! How the files are copied is the server's `file_copy_method` (PostgreSQL 18): a clone where
//! the provider found the data directory's filesystem able to reflink ([`crate::provision::
//! file_copy`]), else a copy. Each copy says which it was; a clone the server could not make is
//! made again as a copy, and said.

use crate::identifier::quote as quote_ident;
use crate::provision::{cleanup, ConnectionInfo};
use crate::report::FileCopyMethod;
use std::time::Instant;

/// A template holding the seeded state of `database`. On a server we do not own (the url
/// provider) it is dropped when this value is.
pub struct Template {
    pub name: String,
    /// The database it was taken from, and that [`Template::reset`] recreates.
    pub database: ConnectionInfo,
    /// Seconds the clone took.
    pub create_seconds: f64,
    /// How the template itself was copied.
    pub method: FileCopyMethod,
    /// The server is ours to throw away: clones may skip fsync.
    disposable_server: bool,
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

/// Turns `fsync` off on a disposable server for the length of a clone, and back on after.
struct FsyncOff<'a> {
    admin: &'a tokio_postgres::Client,
    active: bool,
}

impl<'a> FsyncOff<'a> {
    async fn begin(admin: &'a tokio_postgres::Client, disposable_server: bool) -> FsyncOff<'a> {
        let on = fsync_setting(admin).await.as_deref() == Some("on");
        let active = disposable_server
            && on
            && admin
                .batch_execute("ALTER SYSTEM SET fsync = off")
                .await
                .is_ok();
        if active {
            reload_until(admin, "off").await;
        }
        FsyncOff { admin, active }
    }

    async fn end(self) -> Result<(), String> {
        if !self.active {
            return Ok(());
        }
        self.admin
            .batch_execute("ALTER SYSTEM RESET fsync")
            .await
            .map_err(|e| format!("could not turn fsync back on after the clone: {e}"))?;
        reload_until(self.admin, "on").await;
        Ok(())
    }
}

async fn fsync_setting(admin: &tokio_postgres::Client) -> Option<String> {
    admin
        .query_one("SELECT current_setting('fsync')", &[])
        .await
        .ok()
        .map(|r| r.get(0))
}

/// Reloads the configuration and waits until this session sees `fsync = want` (a backend reads
/// the new file between statements, shortly after the postmaster forwards the signal).
async fn reload_until(admin: &tokio_postgres::Client, want: &str) {
    let _ = admin.batch_execute("SELECT pg_reload_conf()").await;
    for _ in 0..200 {
        if fsync_setting(admin).await.as_deref() == Some(want) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

impl Template {
    /// Clones `database` into a template. Nobody may be connected to `database` meanwhile
    /// (PostgreSQL waits a few seconds for sessions that are closing). `drop_on_exit` is for a
    /// server we do not own (the url provider): the template goes when this value does, and the
    /// clones keep the server's own fsync setting.
    pub async fn create(database: &ConnectionInfo, drop_on_exit: bool) -> Result<Template, String> {
        Template::create_as(
            database,
            &format!("{}_seeded", database.dbname),
            drop_on_exit,
        )
        .await
    }

    /// [`Template::create`] under another name (`--prove-fixes` keeps the state before a
    /// migration as `<db>_proof`, beside the seed point's template).
    pub async fn create_as(
        database: &ConnectionInfo,
        name: &str,
        drop_on_exit: bool,
    ) -> Result<Template, String> {
        let name = name.to_string();
        let admin_info = maintenance(database);
        let admin = admin_info
            .connect()
            .await
            .map_err(|e| format!("could not connect to create the template database: {e}"))?;
        // Registered before the clone: a signal while it runs still drops the template.
        let guard = drop_on_exit.then(|| {
            let admin_info = admin_info.clone();
            let name = name.clone();
            cleanup::register(move || cleanup::drop_database_blocking(&admin_info, &name))
        });
        let started = Instant::now();
        let method = clone_database(&admin, &database.dbname, &name, !drop_on_exit)
            .await
            .map_err(|e| format!("could not keep the seeded database as a template: {e}"))?;
        let create_seconds = started.elapsed().as_secs_f64();
        Ok(Template {
            name,
            database: database.clone(),
            create_seconds,
            method,
            disposable_server: !drop_on_exit,
            _guard: guard,
        })
    }

    /// Replaces the template with a clone of the database as it is now (a later seed point);
    /// returns the seconds it took. Nobody may be connected to the database meanwhile.
    pub async fn refresh(&self) -> Result<f64, String> {
        self.timed_clone(&self.database.dbname, &self.name)
            .await
            .map(|(seconds, _)| seconds)
            .map_err(|e| format!("could not refresh the template {}: {e}", self.name))
    }

    /// Replaces the database with a fresh clone of the template; returns the seconds it took
    /// and how the files were copied. Sessions still connected to the database are terminated.
    pub async fn reset(&self) -> Result<(f64, FileCopyMethod), String> {
        self.timed_clone(&self.name, &self.database.dbname)
            .await
            .map_err(|e| {
                format!(
                    "could not reset {} from its template: {e}",
                    self.database.dbname
                )
            })
    }

    /// A fresh copy of the template as the database `target` (replacing one of that name);
    /// returns the seconds it took. The caller drops `target` when done with it.
    pub async fn copy_to(&self, target: &str) -> Result<f64, String> {
        self.timed_clone(&self.name, target)
            .await
            .map(|(seconds, _)| seconds)
            .map_err(|e| format!("could not copy {} into {target}: {e}", self.name))
    }

    /// Drops the database `name` on the template's server (a copy made by [`Template::copy_to`],
    /// or the template itself when the caller is done with it).
    pub async fn drop_database(&self, name: &str) -> Result<(), String> {
        let admin = maintenance(&self.database)
            .connect()
            .await
            .map_err(|e| format!("could not connect to the server: {e}"))?;
        admin
            .batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                quote_ident(name)
            ))
            .await
            .map_err(|e| crate::server_text::of(&e))
    }

    /// [`clone_database`] from the maintenance database, timed.
    async fn timed_clone(
        &self,
        source: &str,
        target: &str,
    ) -> Result<(f64, FileCopyMethod), String> {
        let admin = maintenance(&self.database)
            .connect()
            .await
            .map_err(|e| format!("could not connect to the server: {e}"))?;
        let started = Instant::now();
        let method = clone_database(&admin, source, target, self.disposable_server).await?;
        Ok((started.elapsed().as_secs_f64(), method))
    }
}

/// Replaces `target` with a file copy of `source`, skipping fsync on a disposable server;
/// returns how the files were copied. Sessions connected to `target` are terminated; `fsync`
/// is restored whatever happens.
async fn clone_database(
    admin: &tokio_postgres::Client,
    source: &str,
    target: &str,
    disposable_server: bool,
) -> Result<FileCopyMethod, String> {
    let strategy = file_copy_clause(admin).await;
    let mut method = match crate::provision::file_copy::setting(admin).await.as_deref() {
        Some("clone") if !strategy.is_empty() => FileCopyMethod::Clone,
        _ => FileCopyMethod::Copy,
    };
    let fsync_off = FsyncOff::begin(admin, disposable_server).await;
    // Separate statements: several in one simple query form an implicit transaction, where
    // CREATE/DROP DATABASE may not run.
    let result = async {
        let drop_target = format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote_ident(target)
        );
        admin.batch_execute(&drop_target).await?;
        if let Err(e) = create_from(admin, source, target, strategy).await {
            if method != FileCopyMethod::Clone {
                return Err(e);
            }
            // The filesystem refused a clone it made in the provider's test (another mount
            // under the data directory, a full reflink tree): copy instead, in this session.
            crate::say!(
                "rehearse: the server could not clone {source} into {target} ({}); copying instead",
                crate::server_text::of(&e)
            );
            admin.batch_execute(&drop_target).await?;
            admin.batch_execute("SET file_copy_method = copy").await?;
            method = FileCopyMethod::Copy;
            create_from(admin, source, target, strategy).await?;
        }
        // A comment is not copied with the template: each copy gets the run's mark itself.
        crate::provision::ownership::mark_database(admin, target).await
    }
    .await
    .map_err(|e| crate::server_text::of(&e));
    fsync_off.end().await?;
    result.map(|()| method)
}

/// How many times a clone is tried while sessions of this run are still leaving the source.
const CLONE_ATTEMPTS: u32 = 20;

/// `CREATE DATABASE target TEMPLATE source`. A client this run dropped a moment ago may still
/// have its server process on `source` (it exits asynchronously); PostgreSQL then waits up to
/// five seconds and refuses, and how long the process takes depends on the machine's load, so a
/// busy machine would lose the template where an idle one kept it, and the same input would
/// rehearse differently. The source is always the run's own database (on its own server, or
/// its scratch database), so those sessions are ended and the clone tried again.
async fn create_from(
    admin: &tokio_postgres::Client,
    source: &str,
    target: &str,
    strategy: &str,
) -> Result<(), tokio_postgres::Error> {
    let create = format!(
        "CREATE DATABASE {} TEMPLATE {}{strategy}",
        quote_ident(target),
        quote_ident(source)
    );
    let mut attempt = 0;
    loop {
        admin
            .execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                  WHERE datname = $1 AND pid <> pg_backend_pid()",
                &[&source],
            )
            .await?;
        match admin.batch_execute(&create).await {
            Err(e)
                if attempt + 1 < CLONE_ATTEMPTS
                    && e.code() == Some(&tokio_postgres::error::SqlState::OBJECT_IN_USE) =>
            {
                attempt += 1;
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            other => return other,
        }
    }
}
