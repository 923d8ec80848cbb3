//! Entries on disk: `DIR/<key>/manifest.json` beside the state itself (`DIR/<key>/data`). An
//! entry is written under a temporary name and renamed into place, so a reader never finds half
//! of one and two runs storing the same key at once both end with one whole entry. Eviction
//! removes the least recently used entries until the cache fits its size.
//!
//! It never removes an entry a run is restoring: eviction only runs after this run's own entry
//! was stored, and spares it.

use super::key::{Inputs, FORMAT_VERSION};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What an entry says about itself, beside the state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub key: String,
    pub inputs: Inputs,
    /// How the state is kept (`pg_basebackup`), and the server it came from.
    pub storage: String,
    pub server_version: String,
    /// Bytes of the whole entry.
    pub bytes: u64,
    pub created_unix: u64,
    /// What the rehearsal needs besides the database to go on from the state (which tables
    /// the seed point considered and loaded): the rehearsal's own, opaque here.
    pub seed_state: serde_json::Value,
}

/// An entry found whole.
#[derive(Debug, Clone)]
pub struct Entry {
    pub dir: PathBuf,
    pub manifest: Manifest,
}

impl Entry {
    /// The state itself.
    pub fn data(&self) -> PathBuf {
        self.dir.join("data")
    }
}

const USED: &str = "last_used";

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn read(dir: &Path) -> Option<Manifest> {
    let text = std::fs::read_to_string(dir.join("manifest.json")).ok()?;
    let manifest: Manifest = serde_json::from_str(&text).ok()?;
    (manifest.format == FORMAT_VERSION).then_some(manifest)
}

/// When the entry was last restored or stored (seconds since the epoch).
fn last_used(dir: &Path) -> u64 {
    std::fs::read_to_string(dir.join(USED))
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(0)
}

fn mark_used(dir: &Path) {
    let _ = std::fs::write(dir.join(USED), format!("{}\n", now()));
}

/// The whole entry of `key`, marked used; None when the cache has none.
pub fn lookup(cache: &Path, key: &str) -> Option<Entry> {
    let dir = cache.join(key);
    let manifest = read(&dir).filter(|m| m.key == key)?;
    if !dir.join("data").is_dir() {
        return None;
    }
    mark_used(&dir);
    Some(Entry { dir, manifest })
}

/// Every whole entry, most recently used first.
pub fn entries(cache: &Path) -> Vec<(u64, Entry)> {
    let Ok(listing) = std::fs::read_dir(cache) else {
        return Vec::new();
    };
    let mut found: Vec<(u64, Entry)> = listing
        .flatten()
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .filter_map(|e| {
            let dir = e.path();
            let manifest = read(&dir)?;
            Some((last_used(&dir), Entry { dir, manifest }))
        })
        .collect();
    found.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.manifest.created_unix.cmp(&a.1.manifest.created_unix)));
    found
}

/// A place to build an entry in, removed unless [`Staging::commit`] moves it into place (and
/// by the signal handler, when a signal ends the run first).
pub struct Staging {
    pub dir: PathBuf,
    cache: PathBuf,
    key: String,
    _guard: crate::provision::cleanup::CleanupGuard,
}

impl Staging {
    pub fn begin(cache: &Path, key: &str) -> Result<Staging, String> {
        std::fs::create_dir_all(cache)
            .map_err(|e| format!("the cache folder {} cannot be created: {e}", cache.display()))?;
        let dir = cache.join(format!(".partial-{key}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir(&dir)
            .map_err(|e| format!("{} cannot be created: {e}", dir.display()))?;
        let removed = dir.clone();
        let guard = crate::provision::cleanup::register(move || {
            let _ = std::fs::remove_dir_all(&removed);
        });
        Ok(Staging {
            dir,
            cache: cache.to_path_buf(),
            key: key.to_string(),
            _guard: guard,
        })
    }

    /// Writes the manifest (with the entry's size) and moves the entry into place. Another run
    /// that stored the same key first wins; this one's copy goes.
    pub fn commit(self, mut manifest: Manifest) -> Result<Entry, String> {
        manifest.bytes = folder_bytes(&self.dir);
        let text = serde_json::to_string_pretty(&manifest).map_err(|e| e.to_string())?;
        std::fs::write(self.dir.join("manifest.json"), text)
            .map_err(|e| format!("the cache manifest cannot be written: {e}"))?;
        mark_used(&self.dir);
        let target = self.cache.join(&self.key);
        if target.exists() {
            let _ = std::fs::remove_dir_all(&self.dir);
        } else if let Err(e) = std::fs::rename(&self.dir, &target) {
            let _ = std::fs::remove_dir_all(&self.dir);
            return Err(format!("the entry cannot be moved to {}: {e}", target.display()));
        }
        Ok(Entry {
            dir: target,
            manifest,
        })
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if self.dir.exists() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Removes the least recently used entries (never `keep`) until the cache holds at most
/// `max_bytes`; returns the keys removed.
pub fn evict(cache: &Path, max_bytes: u64, keep: &str) -> Vec<String> {
    let all = entries(cache);
    let mut total: u64 = all.iter().map(|(_, e)| e.manifest.bytes).sum();
    let mut removed = Vec::new();
    for (_, entry) in all.iter().rev() {
        if total <= max_bytes {
            break;
        }
        if entry.manifest.key == keep {
            continue;
        }
        if std::fs::remove_dir_all(&entry.dir).is_ok() {
            total = total.saturating_sub(entry.manifest.bytes);
            removed.push(entry.manifest.key.clone());
        }
    }
    removed
}

/// Bytes of every file under `dir` (blocks actually held are not asked: a reflinked copy counts
/// whole, as a CI cache upload would).
pub fn folder_bytes(dir: &Path) -> u64 {
    let Ok(listing) = std::fs::read_dir(dir) else {
        return 0;
    };
    listing
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => folder_bytes(&e.path()),
            Ok(t) if t.is_file() => e.metadata().map(|m| m.len()).unwrap_or(0),
            _ => 0,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(cache: &Path, key: &str, bytes: usize) {
        let staging = Staging::begin(cache, key).unwrap();
        std::fs::create_dir(staging.dir.join("data")).unwrap();
        std::fs::write(staging.dir.join("data/file"), vec![0u8; bytes]).unwrap();
        staging
            .commit(Manifest {
                format: FORMAT_VERSION,
                key: key.into(),
                inputs: Inputs::default(),
                storage: "test".into(),
                server_version: "15".into(),
                bytes: 0,
                created_unix: now(),
                seed_state: serde_json::Value::Null,
            })
            .unwrap();
    }

    #[test]
    fn a_stored_entry_is_found_and_the_least_recently_used_is_evicted_first() {
        let cache = tempfile::tempdir().unwrap();
        store(cache.path(), "old", 4000);
        std::fs::write(cache.path().join("old").join(USED), "1\n").unwrap();
        store(cache.path(), "new", 4000);
        assert!(lookup(cache.path(), "old").is_some());
        // "old" was just used: "new" is now the least recently used... but it is kept.
        std::fs::write(cache.path().join("old").join(USED), "1\n").unwrap();
        let removed = evict(cache.path(), 6000, "new");
        assert_eq!(removed, ["old"]);
        assert!(lookup(cache.path(), "old").is_none());
        assert!(lookup(cache.path(), "new").is_some());
        assert!(lookup(cache.path(), "missing").is_none());
    }
}
