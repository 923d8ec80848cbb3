//! How many rows a table nobody defined may get: as many as asked, unless its constraints allow
//! fewer (a required reference to a parent without rows, a unique reference no more than the
//! parent's rows, a CHECK that pins a unique column). Each limit comes with one sentence naming
//! the constraint. Pure; a defined table is never limited here.

use super::catalog::display_name;
use super::catalog::{Column, Table};
use super::check_facts::facts_for;
use super::context::{parent_rows, Ctx};
use super::values::PgType;
use std::collections::{BTreeMap, BTreeSet};

/// A table nobody defined that gets fewer rows than asked for, because a constraint allows no
/// more; the reason is one sentence naming the constraint.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RowLimit {
    /// `schema.name`.
    pub table: String,
    pub asked: u64,
    pub rows: u64,
    pub reason: String,
    /// Dataset lines the user can paste to seed the table as production holds it.
    pub fix: Option<String>,
}

/// Gives each table nobody defined as many rows as its constraints allow, down to none: a
/// required reference to a parent without rows allows none, a unique reference no more than the
/// parent's rows, a unique set of references no more than their combinations. Parents are
/// limited before their children (repeated until nothing changes). Defined tables are left as
/// asked: a definition that cannot be met stays an error.
pub(super) fn limit_inferred_rows(ctx: &mut Ctx) -> Vec<RowLimit> {
    let inferred: Vec<String> = ctx
        .rows
        .keys()
        .filter(|k| !ctx.defs.contains_key(*k))
        .cloned()
        .collect();
    let mut limits: BTreeMap<String, RowLimit> = BTreeMap::new();
    for _ in 0..=inferred.len() {
        let mut changed = false;
        for key in &inferred {
            let table = &ctx.catalog.tables[key];
            let rows = ctx.rows[key];
            if rows == 0 {
                continue;
            }
            let mut cap: Option<(u64, String)> = None;
            let mut tighten = |n: u64, reason: String| {
                if n < rows && cap.as_ref().is_none_or(|(c, _)| n < *c) {
                    cap = Some((n, reason));
                }
            };
            if let Some(index) = &table.constant_unique {
                tighten(
                    1,
                    format!("its unique index {index} is on an expression of no column, so it allows one row"),
                );
            }
            for fk in &table.foreign_keys {
                if fk.parent == *key {
                    continue;
                }
                let Some(n) = parent_rows(ctx, &fk.parent) else {
                    continue;
                };
                let required = fk
                    .columns
                    .iter()
                    .all(|c| table.column(c).is_some_and(|c| c.not_null));
                let columns = fk.columns.join(", ");
                if required && n == 0 {
                    tighten(
                        0,
                        format!(
                            "its foreign key {} ({columns}) is NOT NULL and references {}, which has no rows",
                            fk.name,
                            display_name(&fk.parent)
                        ),
                    );
                }
                let one_to_one = table
                    .unique
                    .iter()
                    .any(|u| u.iter().all(|c| fk.columns.contains(c)));
                if one_to_one {
                    tighten(
                        n,
                        format!(
                            "its foreign key {} ({columns}) is unique and references {}, which has {n} rows{}",
                            fk.name,
                            display_name(&fk.parent),
                            left_alone(ctx, &[&fk.parent])
                        ),
                    );
                }
            }
            // A unique column that CHECKs or its type allow only so many values.
            for u in table.unique.iter().filter(|u| u.len() == 1) {
                let Some(column) = table.column(&u[0]) else {
                    continue;
                };
                if let Some((n, why)) = distinct_values_allowed(table, column) {
                    tighten(n, format!("its column {} is unique and {why}", column.name));
                }
            }
            // A unique constraint made only of foreign-key columns (a join table).
            for u in &table.unique {
                let covering: Vec<_> = table
                    .foreign_keys
                    .iter()
                    .filter(|f| f.columns.iter().all(|c| u.contains(c)))
                    .collect();
                let covered = u
                    .iter()
                    .all(|c| covering.iter().any(|f| f.columns.contains(c)));
                if !covered || covering.len() < 2 {
                    continue;
                }
                let total = covering.iter().try_fold(1u128, |acc, f| {
                    parent_rows(ctx, &f.parent).map(|n| acc * n as u128)
                });
                if let Some(total) = total {
                    let parents: Vec<&str> = covering.iter().map(|f| f.parent.as_str()).collect();
                    tighten(
                        total.min(u64::MAX as u128) as u64,
                        format!(
                            "its unique ({}) allows {total} combinations of parent rows{}",
                            u.join(", "),
                            left_alone(ctx, &parents)
                        ),
                    );
                }
            }
            // An exclusive arc whose every column references a table without rows: no row can
            // set one of them, so none can satisfy the CHECK.
            for (name, def) in &table.row_checks {
                let Some(arc) = super::exclusive_arc::arc_columns(def) else {
                    continue;
                };
                let parents: Option<Vec<&str>> = arc
                    .iter()
                    .map(|c| {
                        let fk = table
                            .foreign_keys
                            .iter()
                            .find(|f| f.columns == [c.clone()])?;
                        (parent_rows(ctx, &fk.parent) == Some(0)).then_some(fk.parent.as_str())
                    })
                    .collect();
                if let Some(parents) = parents {
                    let names: Vec<&str> = parents.iter().map(|p| display_name(p)).collect();
                    tighten(
                        0,
                        format!(
                            "its CHECK {name} needs one of {} set, and {} {} no rows",
                            arc.join(", "),
                            names.join(", "),
                            if names.len() == 1 { "has" } else { "have" }
                        ),
                    );
                }
            }
            if let Some((n, reason)) = cap {
                let asked = limits.get(key).map(|l| l.asked).unwrap_or(rows);
                ctx.rows.insert(key.clone(), n);
                limits.insert(
                    key.clone(),
                    RowLimit {
                        table: key.clone(),
                        asked,
                        rows: n,
                        reason,
                        fix: None,
                    },
                );
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    limits.into_values().collect()
}

/// When some of `parents` hold only rows a migration inserted (an admin user, a default site)
/// and nobody defined them, the way out: rehearse leaves such tables alone, so they stay that
/// small unless the dataset gives them rows. Empty otherwise.
fn left_alone(ctx: &Ctx, parents: &[&str]) -> String {
    let small: Vec<&str> = parents
        .iter()
        .copied()
        .filter(|p| {
            !ctx.rows.contains_key(*p)
                && !ctx.defs.contains_key(*p)
                && ctx.existing.get(*p).is_some_and(|r| !r.is_empty())
        })
        .collect();
    if small.is_empty() {
        return String::new();
    }
    let names: Vec<&str> = small.iter().map(|p| display_name(p)).collect();
    format!(
        " ({} only what a migration inserted, and rehearse leaves a table a migration filled alone: give {} rows in the dataset to seed more)",
        if names.len() == 1 {
            format!("{} holds", names[0])
        } else {
            format!("{} hold", names.join(" and "))
        },
        if names.len() == 1 { "it" } else { "them" }
    )
}

/// How many distinct values a column nobody defined can take, when its CHECKs or its type
/// bound them (`CHECK (id = 1)` on a one-row table, a `boolean`, an integer range), with the
/// reason in words; None when the column is filled from elsewhere or is unbounded.
fn distinct_values_allowed(table: &Table, column: &Column) -> Option<(u64, String)> {
    if column.generated
        || table
            .foreign_keys
            .iter()
            .any(|f| f.columns.contains(&column.name))
    {
        return None;
    }
    let facts = facts_for(table, &column.name);
    if let Some(values) = &facts.values {
        let n = values.iter().collect::<BTreeSet<_>>().len() as u64;
        let constraint = table
            .checks
            .iter()
            .find(|(c, _)| *c == column.name)
            .map(|(_, d)| d.as_str())
            .unwrap_or("its CHECK");
        return Some((n, format!("{constraint} allows {n} value{}", plural(n))));
    }
    match &column.ty {
        Some(PgType::Bool) => Some((2, "a boolean has 2 values".into())),
        Some(PgType::Enum(labels)) => {
            let n = labels.len() as u64;
            Some((
                n,
                format!("its enum {} has {n} label{}", column.type_name, plural(n)),
            ))
        }
        Some(ty) if ty.is_integer() && column.sequence.is_none() => {
            let (lo, hi) = (facts.min?, facts.max?);
            let lo = if facts.min_exclusive {
                lo.floor() + 1.0
            } else {
                lo.ceil()
            };
            let hi = if facts.max_exclusive {
                hi.ceil() - 1.0
            } else {
                hi.floor()
            };
            let n = if hi < lo { 0 } else { (hi - lo + 1.0) as u64 };
            Some((n, format!("its CHECKs allow {n} integer{}", plural(n))))
        }
        _ => None,
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
