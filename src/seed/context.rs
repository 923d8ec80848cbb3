//! What the planner knows while it builds the plan: the catalog, the definitions in scope, the
//! rows each seeded table gets, the keys read from tables that already hold rows, and the key
//! sources built so far. Shared by the plan, the column generators, the reference picks, the
//! compiler of definitions, the row limits and the foreign-key order.
//!
//! Pure: never talks to a database; the existing keys are read by the caller beforehand.

use super::catalog::Catalog;
use super::definition::TableDef;
use super::generator::KeySource;
use super::values::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

/// Keys of tables that already hold rows and are referenced by seeded ones: read before planning.
pub type ExistingKeys = HashMap<String, Vec<Vec<Value>>>;

/// Builds the key source of a parent's columns (`column_gen::key_source`, which chooses the
/// parent's column generators, which compile definitions). Compiling a reference definition needs
/// it, so it is handed in here rather than imported: compiling knows nothing of the column choice
/// that calls it.
pub(super) type KeySourceOf =
    fn(&mut Ctx, &str, &[String], &str) -> Result<Option<Arc<KeySource>>, String>;

/// The planning state, passed to every step of building the plan.
pub(super) struct Ctx<'a> {
    pub(super) catalog: &'a Catalog,
    pub(super) defs: BTreeMap<String, (&'a TableDef, PathBuf)>,
    pub(super) rows: BTreeMap<String, u64>,
    /// The dataset's seed (`PlanOptions::seed`).
    pub(super) seed: u64,
    pub(super) existing: &'a ExistingKeys,
    pub(super) key_sources: HashMap<String, Arc<KeySource>>,
    pub(super) in_progress: BTreeSet<String>,
    /// See [`KeySourceOf`].
    pub(super) key_source: KeySourceOf,
}

/// Rows a parent will hold when its children are generated: what it is seeded with, else the
/// keys read from it; None when nothing is known.
pub(super) fn parent_rows(ctx: &Ctx, parent: &str) -> Option<u64> {
    ctx.rows
        .get(parent)
        .copied()
        .or_else(|| ctx.existing.get(parent).map(|r| r.len() as u64))
}
