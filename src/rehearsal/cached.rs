//! The rehearsal's side of the seeded-state cache: start the server on a cached state or a new
//! one, go on from a restored state, and store the state a cold run built. What the cache is and
//! how it keys and keeps entries is [`crate::cache`]'s; this module never decides a verdict, and
//! a cache that fails (a full disk, a corrupt entry) never fails the rehearsal: it says so and
//! the run goes on cold.

use super::seeding::SeedPoints;
use super::Progress;
use crate::cache::{self, backup, store, CacheRequest, Keeper, Lookup};
use crate::provision::{self, Database, DatabaseRequest};
use crate::report::CacheReport;
use crate::Error;
use std::time::Instant;

/// Provisions the database: from the cached state on a hit, else as usual. A cached state the
/// server cannot start from turns the hit into a miss, said.
pub(super) async fn provision(
    request: &DatabaseRequest,
    cache: Option<&CacheRequest>,
    lookup: &mut Option<Lookup>,
    report: &mut Option<CacheReport>,
    progress: &dyn Progress,
) -> Result<Database, Error> {
    let docker = match (lookup.as_ref(), cache) {
        (
            Some(
                Lookup::Hit {
                    keeper: Keeper::Docker { .. },
                    ..
                }
                | Lookup::Miss {
                    keeper: Keeper::Docker { .. },
                    ..
                },
            ),
            Some(cache),
        ) => {
            let docker = docker_request(request, cache)?;
            // What runs that are gone left behind, as provision::provision removes it.
            if let Ok(removed) = provision::docker::reap_dead_runs().await {
                provision::leftovers::tell(&removed);
            }
            if let Some(dir) = &docker.data_dir {
                provision::leftovers::tell(&provision::leftovers::reap_local_folders(dir));
            }
            Some(docker)
        }
        _ => None,
    };
    if let (Some(docker), Some(Lookup::Miss { .. })) = (&docker, lookup.as_ref()) {
        // A container with a folder mounted for the backup the store takes.
        let cached = provision::docker::Cached {
            restore: None,
            backup: true,
        };
        return Ok(provision::docker::start_with(
            docker,
            "the docker provider keeps the seeded state for the cache".into(),
            &cached,
        )
        .await?);
    }
    let Some(Lookup::Hit { entry, .. }) = lookup.as_ref() else {
        return Ok(provision::provision(request).await?);
    };
    let started = Instant::now();
    let started_on_entry = match &docker {
        Some(docker) => {
            let cached = provision::docker::Cached {
                restore: Some(entry.data()),
                backup: false,
            };
            provision::docker::start_with(
                docker,
                "restored from the cache: a container on the seeded state".into(),
                &cached,
            )
            .await
        }
        None => {
            let reason =
                "restored from the cache: the local provider keeps the seeded state".to_string();
            provision::local::start_from(request, reason, Some(&entry.data())).await
        }
    };
    match started_on_entry {
        Ok(database) => {
            if let Some(r) = report.as_mut() {
                r.seconds = started.elapsed().as_secs_f64();
            }
            Ok(database)
        }
        Err(e) => {
            let why = format!(
                "the cached state {} could not be started ({e}); rehearsing without it",
                entry.dir.display()
            );
            progress.step(&why);
            *lookup = Some(Lookup::Off(why.clone()));
            *report = lookup.as_ref().map(Lookup::report);
            Ok(provision::provision(request).await?)
        }
    }
}

/// The docker request for a cached run: its data directory a host folder, under `--data-dir`
/// or beside the cache (`DIR/.servers`, where the restore's copy is a reflink when the cache's
/// filesystem can make one).
fn docker_request(
    request: &DatabaseRequest,
    cache: &CacheRequest,
) -> Result<DatabaseRequest, Error> {
    let mut docker = request.clone();
    docker.provider = provision::ProviderChoice::Docker;
    if docker.data_dir.is_none() {
        let servers = cache.dir.join(".servers");
        std::fs::create_dir_all(&servers).map_err(|e| {
            Error::Environment(format!(
                "the cache folder {} cannot hold a server's data: {e}",
                servers.display()
            ))
        })?;
        docker.data_dir = Some(std::path::absolute(&servers).unwrap_or(servers));
    }
    Ok(docker)
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
        keeper,
        server,
        ..
    } = lookup
    else {
        return;
    };
    let started = Instant::now();
    let stored = async {
        let staging = store::Staging::begin(&request.dir, key)?;
        let into = staging.dir.join("data");
        match keeper {
            Keeper::Local { bindir } => {
                let (bindir, connection) = (bindir.clone(), database.connection.clone());
                tokio::task::spawn_blocking(move || backup::take(&bindir, &connection, &into))
                    .await
                    .map_err(|e| e.to_string())??;
            }
            Keeper::Docker { .. } => {
                let handle = database
                    .container
                    .as_ref()
                    .ok_or("the database is not a container of this run")?;
                provision::docker::take_backup(handle, &into).await?;
            }
        }
        staging.commit(store::Manifest {
            format: cache::key::FORMAT_VERSION,
            key: key.clone(),
            inputs: inputs.clone(),
            storage: keeper.storage().into(),
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
