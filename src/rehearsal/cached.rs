//! The rehearsal's side of the seeded-state cache: start the server on a cached state or a new
//! one, go on from a restored state, and store the state a cold run built. What the cache is and
//! how it keys and keeps entries is [`crate::cache`]'s; this module never decides a verdict, and
//! a cache that fails (a full disk, a corrupt entry) never fails the rehearsal: it says so and
//! the run goes on cold.

use super::seeding::SeedPoints;
use super::Progress;
use crate::cache::{self, backup, store, CacheRequest, Lookup};
use crate::provision::{self, Database, DatabaseRequest};
use crate::report::CacheReport;
use crate::Error;
use std::time::Instant;

/// Provisions the database: from the cached state on a hit, else as usual. A cached state the
/// server cannot start from turns the hit into a miss, said.
pub(super) async fn provision(
    request: &DatabaseRequest,
    lookup: &mut Option<Lookup>,
    report: &mut Option<CacheReport>,
    progress: &dyn Progress,
) -> Result<Database, Error> {
    let Some(Lookup::Hit { entry, .. }) = lookup.as_ref() else {
        return Ok(provision::provision(request).await?);
    };
    let started = Instant::now();
    let reason = "restored from the cache: the local provider keeps the seeded state".to_string();
    match provision::local::start_from(request, reason, Some(&entry.data())).await {
        Ok(database) => {
            if let Some(r) = report.as_mut() {
                r.seconds = started.elapsed().as_secs_f64();
            }
            Ok(database)
        }
        Err(e) => {
            let why = format!("the cached state {} could not be started ({e}); rehearsing without it", entry.dir.display());
            progress.step(&why);
            *lookup = Some(Lookup::Off(why.clone()));
            *report = lookup.as_ref().map(Lookup::report);
            Ok(provision::provision(request).await?)
        }
    }
}

/// Stores the state the run just built (after the baseline and the first seed point, before
/// the template), and evicts past the cache's size. Says what it did on `progress`.
pub(super) async fn store(
    request: &CacheRequest,
    lookup: &Lookup,
    database: &Database,
    seeding: &SeedPoints,
    report: &mut CacheReport,
    progress: &dyn Progress,
) {
    let Lookup::Miss {
        key,
        inputs,
        bindir,
        server,
        ..
    } = lookup
    else {
        return;
    };
    let started = Instant::now();
    let stored = async {
        let staging = store::Staging::begin(&request.dir, key)?;
        let (bindir, connection, into) = (
            bindir.clone(),
            database.connection.clone(),
            staging.dir.join("data"),
        );
        tokio::task::spawn_blocking(move || backup::take(&bindir, &connection, &into))
            .await
            .map_err(|e| e.to_string())??;
        staging.commit(store::Manifest {
            format: cache::key::FORMAT_VERSION,
            key: key.clone(),
            inputs: inputs.clone(),
            storage: backup::STORAGE.into(),
            server_version: server.clone(),
            bytes: 0,
            created_unix: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
            seed_state: seeding.save(),
        })
    }
    .await;
    report.seconds = started.elapsed().as_secs_f64();
    match stored {
        Ok(entry) => {
            progress.step(&format!(
                "cache: stored the seeded state as {} ({:.1} MB) in {:.1}s",
                &key[..12],
                entry.manifest.bytes as f64 / 1e6,
                report.seconds
            ));
            if let Some(max) = request.max_bytes {
                let removed = store::evict(&request.dir, max, key);
                if !removed.is_empty() {
                    progress.step(&format!(
                        "cache: evicted {} to stay under {} bytes",
                        crate::words::count(removed.len(), "entry"),
                        max
                    ));
                }
            }
        }
        Err(why) => {
            let why = format!("the seeded state could not be stored: {why}");
            progress.step(&format!("cache: {why}; the rehearsal goes on"));
            report.reason = Some(why);
        }
    }
}
