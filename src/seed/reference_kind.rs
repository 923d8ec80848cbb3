//! `kind = "reference"` compiled: a column whose values are keys of a parent table's rows, picked
//! uniformly, by a zipf skew, or (for a unique column) each parent row at most once. The parent's
//! keys come from the key source built through `Ctx::key_source`, so this file knows nothing of
//! how the parent's generators are chosen; `seed::compile` calls it for that one kind.
//!
//! Pure: it reads the catalog and the planning context and never talks to a database.

use super::catalog::{table_key, Column};
use super::context::Ctx;
use super::definition::{ColumnDef, Distribution};
use super::generator::{Gen, Pick};
use super::rng::{hash_name, Permutation};

/// Compiles `kind = "reference"` for a column whose table gets `rows` rows: the parent table and
/// column must exist and, for a unique column, hold at least as many rows.
pub(super) fn reference(
    ctx: &mut Ctx,
    column: &Column,
    def: &ColumnDef,
    rows: u64,
    seed: u64,
    label: &str,
) -> Result<Gen, String> {
    let parent_name = def
        .table
        .as_ref()
        .ok_or_else(|| format!("{label}: kind = \"reference\" needs table = \"...\""))?;
    let parent_key = table_key(parent_name);
    let Some(parent) = ctx.catalog.tables.get(&parent_key) else {
        return Err(format!(
            "{label}: it references table \"{parent_name}\", which does not exist"
        ));
    };
    let parent_column = match &def.column {
        Some(c) => c.clone(),
        None if parent.primary_key.len() == 1 => parent.primary_key[0].clone(),
        None => {
            return Err(format!(
                "{label}: {parent_name} has no single-column primary key; name the column with column = \"...\""
            ))
        }
    };
    if parent.column(&parent_column).is_none() {
        return Err(format!(
            "{label}: it references column \"{parent_name}.{parent_column}\", which does not exist"
        ));
    }
    let key_source = ctx.key_source;
    let source = key_source(
        ctx,
        &parent_key,
        std::slice::from_ref(&parent_column),
        label,
    )?
    .ok_or_else(|| {
        format!("{label}: it references {parent_name}, which has no rows and is not seeded")
    })?;
    if source.is_empty() && column.not_null {
        return Err(format!(
            "{label}: it references {parent_name}, which gets no rows"
        ));
    }
    let n = source.len();
    let pick = if def.unique {
        if rows > n {
            return Err(format!(
                "{label}: it is unique but {parent_name} gets only {n} rows for {rows} rows"
            ));
        }
        Pick::Permuted(Permutation::new(n, seed))
    } else {
        match def.skew.unwrap_or(def.distribution) {
            Distribution::Zipf => Pick::Zipf(
                rand_distr::Zipf::new(n.max(1) as f64, def.exponent.unwrap_or(1.1))
                    .map_err(|e| format!("{label}: the zipf skew is invalid: {e}"))?,
            ),
            _ => Pick::Uniform,
        }
    };
    Ok(Gen::Reference {
        seed: hash_name(seed, "reference"),
        parent: source,
        column: 0,
        pick,
    })
}
