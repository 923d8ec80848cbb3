//! How a column points at parent rows: the pick of a foreign key that keeps the child's unique
//! constraints true (one-to-one, join tables, line numbers), and the reference a column's name
//! implies when no foreign key says so.
//!
//! Pure: it reads the catalog and the planning context, never talks to a database and never
//! chooses a column's generator (that is `seed::column_gen`).

use super::catalog::{display_name, in_unique, Catalog, Column, Table};
use super::context::Ctx;
use super::generator::{KeySource, Pick};
use super::rng::{hash_name, Permutation};
use std::sync::Arc;

/// The table a column is named after when no foreign key says so: `user_id` (or `userid`)
/// beside a table `user`, `users`, `useres` or (for `category_id`) `categories` in the same
/// schema, whose primary key is one column of the same type. A unique, generated or
/// CHECK-bounded column is left to inference: its values have rules of their own.
pub(super) fn implied_reference(
    catalog: &Catalog,
    table: &Table,
    column: &Column,
) -> Option<(String, String)> {
    if column.generated
        || column.sequence.is_some()
        || in_unique(table, &column.name)
        || table.checks.iter().any(|(c, _)| *c == column.name)
        || table
            .foreign_keys
            .iter()
            .any(|f| f.columns.contains(&column.name))
    {
        return None;
    }
    let name = column.name.to_ascii_lowercase();
    let stem = name
        .strip_suffix("_id")
        .or_else(|| name.strip_suffix("id"))?;
    let stem = stem.trim_end_matches('_');
    if stem.is_empty() {
        return None;
    }
    let mut candidates = vec![stem.to_string(), format!("{stem}s"), format!("{stem}es")];
    if let Some(base) = stem.strip_suffix('y') {
        candidates.push(format!("{base}ies"));
    }
    candidates.into_iter().find_map(|candidate| {
        let key = format!("{}.{candidate}", table.schema);
        let parent = catalog.tables.get(&key)?;
        if parent.key() == table.key() || parent.primary_key.len() != 1 {
            return None;
        }
        let pk = parent.column(&parent.primary_key[0])?;
        (pk.ty.is_some() && pk.ty == column.ty).then(|| (key, pk.name.clone()))
    })
}

/// A line number: an integer column that, with exactly one foreign key's columns, forms a
/// unique key (`order_items (order_id, line_no)`). Returns the foreign key and its parent's rows.
pub(super) fn line_number_of(ctx: &Ctx, table: &Table, column: &str) -> Option<(usize, u64)> {
    let explicit = |c: &str| {
        ctx.defs
            .get(&table.key())
            .is_some_and(|(d, _)| d.columns.contains_key(c))
    };
    if explicit(column)
        || !table
            .column(column)
            .and_then(|c| c.ty.as_ref())
            .is_some_and(|t| t.is_integer())
        || table.column(column).is_some_and(|c| c.sequence.is_some())
        || table
            .foreign_keys
            .iter()
            .any(|f| f.columns.iter().any(|c| c == column))
    {
        return None;
    }
    for u in &table.unique {
        if !u.iter().any(|c| c == column) {
            continue;
        }
        let rest: Vec<&String> = u.iter().filter(|c| *c != column).collect();
        for (i, fk) in table.foreign_keys.iter().enumerate() {
            if !rest.is_empty()
                && fk.columns.len() == rest.len()
                && rest.iter().all(|c| fk.columns.contains(c))
                && !fk.columns.iter().any(|c| explicit(c))
            {
                let n = ctx
                    .rows
                    .get(&fk.parent)
                    .copied()
                    .or_else(|| ctx.existing.get(&fk.parent).map(|r| r.len() as u64))?;
                return Some((i, n));
            }
        }
    }
    None
}

/// How a foreign key picks parent rows so that the child's unique constraints hold.
pub(super) fn fk_pick(
    ctx: &Ctx,
    table: &Table,
    fk_index: usize,
    parent: &Arc<KeySource>,
    label: &str,
) -> Result<Pick, String> {
    let fk = &table.foreign_keys[fk_index];
    let rows = ctx.rows.get(&table.key()).copied().unwrap_or(0);
    let n = parent.len();
    // Beside a line number: parent `row % n`, line `row / n + 1`.
    if table
        .columns
        .iter()
        .any(|c| line_number_of(ctx, table, &c.name).is_some_and(|(i, _)| i == fk_index))
    {
        return Ok(Pick::Digit {
            divisor: 1,
            modulus: n.max(1),
        });
    }
    // One-to-one: the foreign key's columns are unique by themselves.
    let one_to_one = table
        .unique
        .iter()
        .any(|u| u.iter().all(|c| fk.columns.contains(c)));
    if one_to_one {
        if rows > n {
            return Err(format!(
                "{label}: it is unique and references {}, which gets {n} rows, fewer than the {rows} rows asked for",
                display_name(&fk.parent)
            ));
        }
        return Ok(Pick::Permuted(Permutation::new(
            n,
            hash_name(ctx.seed, &fk.name),
        )));
    }
    // A unique constraint made only of foreign-key columns (a join table): a mixed-radix digit.
    // A foreign key in several such constraints (person_id in both (person_id, post_id) and
    // (person_id, comment_id)) is the lowest digit of each, so that it has one place in all of
    // them; otherwise it would be the high digit of one and the low of the other, and both
    // would repeat one pair on every row.
    let in_sets = |f: &crate::seed::catalog::ForeignKey| {
        table
            .unique
            .iter()
            .filter(|u| f.columns.iter().all(|c| u.contains(c)))
            .count()
    };
    for u in &table.unique {
        let mut covering: Vec<usize> = table
            .foreign_keys
            .iter()
            .enumerate()
            .filter(|(_, f)| f.columns.iter().all(|c| u.contains(c)))
            .map(|(i, _)| i)
            .collect();
        covering.sort_by_key(|&i| (std::cmp::Reverse(in_sets(&table.foreign_keys[i])), i));
        let covered = u.iter().all(|c| {
            covering
                .iter()
                .any(|&i| table.foreign_keys[i].columns.contains(c))
        });
        if covered && covering.len() > 1 && covering.contains(&fk_index) {
            let mut divisor: u128 = 1;
            for &i in &covering {
                let f = &table.foreign_keys[i];
                let m = ctx.rows.get(&f.parent).copied().unwrap_or_else(|| {
                    ctx.existing
                        .get(&f.parent)
                        .map(|r| r.len() as u64)
                        .unwrap_or(0)
                }) as u128;
                if i == fk_index {
                    return Ok(Pick::Digit {
                        divisor: divisor.min(u64::MAX as u128) as u64,
                        modulus: (m as u64).max(1),
                    });
                }
                divisor *= m.max(1);
            }
            let total = covering.iter().fold(1u128, |acc, &i| {
                acc * ctx
                    .rows
                    .get(&table.foreign_keys[i].parent)
                    .copied()
                    .unwrap_or(1) as u128
            });
            if (rows as u128) > total {
                return Err(format!(
                    "{label}: the unique ({}) can only take {total} combinations of parent rows, fewer than the {rows} rows asked for",
                    u.join(", ")
                ));
            }
        }
    }
    Ok(Pick::Uniform)
}
