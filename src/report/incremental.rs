//! The parts of the report that say how a pull request's run was made cheaper: which migrations
//! `--since` left as baseline, and whether the seeded state came from the cache. Plain data:
//! nothing here decides anything, and the verdicts never depend on it.

use serde::{Deserialize, Serialize};

/// `--since REF`: what was compared, and what it decided.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SinceReport {
    /// The ref as given, and the commit it named.
    pub reference: String,
    pub commit: String,
    /// The last migration applied as baseline (null: none, every migration rehearsed).
    pub baseline: Option<String>,
    /// Versions added since the ref.
    #[serde(default)]
    pub added: Vec<String>,
    /// Versions whose rollback alone changed.
    #[serde(default)]
    pub rollback_changed: Vec<String>,
}

/// `--shard K/N`: which slice of the pending migrations this report holds. `rehearse merge`
/// joins the N reports into one without it.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ShardReport {
    /// 1-based.
    pub index: usize,
    pub count: usize,
}

/// `--cache DIR`: whether the state after the baseline and the first seed point was restored.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct CacheReport {
    /// `hit`, `miss`, or `off` (the provider or the run cannot use it; `reason` says why).
    pub outcome: String,
    /// The content key (hex).
    pub key: String,
    /// How the state is kept (`pg_basebackup` of the data directory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<String>,
    /// On a miss: the inputs that differ from the closest entry in the cache (fewest differing) (`baseline file 0003_x.up.sql`,
    /// `seed`); empty when the cache held nothing to compare with.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changed: Vec<String>,
    /// Why the cache was not used, or what went wrong storing an entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Seconds spent restoring (hit) or storing (miss).
    #[serde(default)]
    pub seconds: f64,
}
