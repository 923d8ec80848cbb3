//! The seeded-state cache (`--cache DIR`, `[cache] dir`): the state after the baseline and the
//! first seed point, kept under a key that hashes everything that made it, so that a pull
//! request's run restores it instead of replaying hundreds of migrations and seeding again.
//!
//! Storage, and why: for the local provider a plain `pg_basebackup` of the running server (a
//! checkpointed, consistent copy of the data directory, taken without stopping the server). A
//! warm run copies it into a new data folder (a reflink where the filesystem can) and the
//! server recovers from it at start-up, which costs a copy of the files and no SQL at all:
//! faster than any logical restore, whose indexes and constraints are rebuilt row by row. For
//! the docker provider the same, taken inside the container (`pg_basebackup` of the image's own
//! version) into a mounted host folder, and restored as the data directory of a new container
//! (a host folder beside the cache, so that the copy is a reflink where the cache's filesystem
//! can), the image's id in the key. The url and command providers keep no cache yet; a run
//! there says so (`off`) and goes on cold.
//!
//! The key's inputs are listed beside each entry, so a miss says which one changed. The cache
//! never decides anything about a migration: a warm run's report is the cold run's.

pub mod backup;
pub mod key;
pub mod size;
pub mod store;

use crate::migrations::{Migration, MigrationSet};
use crate::provision::{self, DatabaseRequest, ProviderChoice};
use crate::report::CacheReport;
use crate::seed::SeedRequest;
use key::Inputs;
use std::path::PathBuf;

/// What the user asked of the cache.
#[derive(Debug, Clone)]
pub struct CacheRequest {
    /// `--cache DIR` or `[cache] dir`.
    pub dir: PathBuf,
    /// `--cache-max SIZE` or `[cache] max`: evict the least recently used entries past it.
    pub max_bytes: Option<u64>,
}

/// Which server keeps and restores the state, and how.
#[derive(Debug, Clone)]
pub enum Keeper {
    /// The local provider's binaries: `pg_basebackup` from here, settled once.
    Local { bindir: PathBuf },
    /// A docker container of `image`: `pg_basebackup` inside it, into a host folder mounted
    /// for it; a hit starts a container on a copy of the entry (its data directory a host
    /// folder beside the cache, or under `--data-dir`).
    Docker { image: String },
}

impl Keeper {
    /// The report's word for the storage.
    pub fn storage(&self) -> &'static str {
        match self {
            Keeper::Local { .. } => backup::STORAGE,
            Keeper::Docker { .. } => {
                "pg_basebackup in the container (plain data directory, recovered and shut down; bind-mounted on restore)"
            }
        }
    }
}

/// Where a run stands with the cache, decided before the server starts.
pub enum Lookup {
    /// Not used, and why.
    Off(String),
    /// The state is in the cache.
    Hit {
        key: String,
        entry: store::Entry,
        keeper: Keeper,
    },
    /// It is not: build it, then store it. `changed` names the inputs that differ from the
    /// closest entry (empty when the cache is empty).
    Miss {
        key: String,
        inputs: Inputs,
        changed: Vec<String>,
        keeper: Keeper,
        server: String,
    },
}

impl Lookup {
    /// The report's cache section before anything was restored or stored.
    pub fn report(&self) -> CacheReport {
        match self {
            Lookup::Off(why) => CacheReport {
                outcome: "off".into(),
                reason: Some(why.clone()),
                ..Default::default()
            },
            Lookup::Hit { key, keeper, .. } => CacheReport {
                outcome: "hit".into(),
                key: key.clone(),
                storage: Some(keeper.storage().into()),
                ..Default::default()
            },
            Lookup::Miss {
                key,
                changed,
                keeper,
                ..
            } => CacheReport {
                outcome: "miss".into(),
                key: key.clone(),
                storage: Some(keeper.storage().into()),
                changed: changed.clone(),
                ..Default::default()
            },
        }
    }

    /// One line for the log.
    pub fn sentence(&self) -> String {
        match self {
            Lookup::Off(why) => format!("cache not used: {why}"),
            Lookup::Hit { key, entry, .. } => format!(
                "cache hit {}: restoring the seeded state ({:.1} MB) instead of replaying the baseline and seeding",
                &key[..12],
                entry.manifest.bytes as f64 / 1e6
            ),
            Lookup::Miss { key, changed, .. } if changed.is_empty() => format!(
                "cache miss {}: the cache holds no earlier entry; the state after the baseline and seeding will be stored",
                &key[..12]
            ),
            Lookup::Miss { key, changed, .. } => format!(
                "cache miss {}: against the closest entry in the cache, {}; the new state will be stored",
                &key[..12],
                changed.join(", ")
            ),
        }
    }
}

/// The inputs that make the seeded state: each baseline file's bytes and their order, the
/// migration format (its bookkeeping), the dataset, seed and scale, the server and its
/// settings, `init_sql`, and rehearse's version.
pub fn inputs(
    set: &MigrationSet,
    baseline: &[Migration],
    seed: &SeedRequest,
    database: &DatabaseRequest,
    server: &str,
    init_sql: Option<&str>,
) -> Result<Inputs, String> {
    let mut inputs = Inputs::default();
    inputs.add("rehearse version", env!("CARGO_PKG_VERSION"));
    inputs.add(
        "migration format",
        format!(
            "{}\n{}",
            set.format,
            set.bookkeeping
                .as_ref()
                .map(|b| b.create_sql.as_str())
                .unwrap_or("")
        ),
    );
    let label = |m: &Migration| {
        m.forward
            .path
            .strip_prefix(&set.root)
            .unwrap_or(&m.forward.path)
            .display()
            .to_string()
    };
    let order: Vec<String> = baseline.iter().map(label).collect();
    inputs.add("baseline order", order.join("\n"));
    for m in baseline {
        let bytes = std::fs::read(&m.forward.path)
            .map_err(|e| format!("{} cannot be read: {e}", m.forward.path.display()))?;
        // A file holding both directions (dbmate) is keyed whole, the forward's line with it.
        let mut keyed = format!("{}\n", m.forward.first_line).into_bytes();
        keyed.extend(bytes);
        keyed.extend(m.forward.bookkeeping.as_deref().unwrap_or("").as_bytes());
        inputs.add(format!("baseline file {}", label(m)), keyed);
    }
    inputs.add(
        "dataset",
        format!(
            "enabled {}\ninfer {}\n{:?}\n{:?}",
            seed.enabled, seed.plan.infer, seed.definitions.default_rows, seed.definitions.tables
        ),
    );
    inputs.add("seed", seed.plan.seed.to_string());
    inputs.add("scale", format!("{:?}", seed.plan.scale));
    inputs.add("default rows", seed.plan.default_rows.to_string());
    inputs.add("server", server);
    inputs.add("settings", format!("{:?}", database.settings));
    inputs.add("init_sql", init_sql.unwrap_or(""));
    if let Some(values) = &set.rendered_with {
        // The files' bytes do not say what their Go template actions became.
        inputs.add("template values", format!("{values:?}"));
    }
    Ok(inputs)
}

/// Decides, before the server starts, whether the run restores a cached state, builds one to
/// store, or runs without the cache (and why).
pub async fn look_up(
    request: &CacheRequest,
    database: &DatabaseRequest,
    set: &MigrationSet,
    baseline: &[Migration],
    seed: &SeedRequest,
    init_sql: Option<&str>,
) -> Lookup {
    let docker = match database.provider {
        ProviderChoice::Local => false,
        ProviderChoice::Auto => {
            let image = provision::docker::image_for(database);
            provision::docker::availability(&image).await.is_ok()
        }
        ProviderChoice::Docker => true,
        ProviderChoice::Url => {
            return Lookup::Off("the url provider keeps no cache yet".into())
        }
        ProviderChoice::Command => {
            return Lookup::Off("the command provider keeps no cache yet".into())
        }
    };
    let (keeper, server) = if docker {
        let image = provision::docker::image_for(database);
        match provision::docker::image_identity(&image).await {
            // The image's id: a rebuilt image with the same tag misses.
            Ok(id) => (Keeper::Docker { image: image.clone() }, format!("docker image {image} {id}")),
            // The provider will say it better when it fails the same way.
            Err(why) => return Lookup::Off(why),
        }
    } else {
        match provision::local::find_bindir(database.major) {
            Ok(bindir) => {
                let server = provision::local::server_identity(&bindir);
                (Keeper::Local { bindir }, server)
            }
            Err(e) => return Lookup::Off(e.to_string()),
        }
    };
    let inputs = match inputs(set, baseline, seed, database, &server, init_sql) {
        Ok(inputs) => inputs,
        Err(why) => return Lookup::Off(why),
    };
    let key = inputs.key();
    if let Some(entry) = store::lookup(&request.dir, &key) {
        return Lookup::Hit { key, entry, keeper };
    }
    // Against the closest entry (fewest inputs differing; the most recently used of equals):
    // the answer to "what did I change?" is the smallest one.
    let changed = store::entries(&request.dir)
        .iter()
        .map(|(_, entry)| inputs.changed_from(&entry.manifest.inputs))
        .min_by_key(Vec::len)
        .unwrap_or_default();
    Lookup::Miss {
        key,
        inputs,
        changed,
        keeper,
        server,
    }
}
