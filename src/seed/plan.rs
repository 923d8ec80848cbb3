//! The dataset plan: definitions resolved against the catalog, the gaps inferred, everything
//! validated, tables put in foreign-key order. Pure: it takes the catalog and returns a plan or
//! one sentence that names the definition at fault.

use super::catalog::{display_name, table_key, Catalog};
pub use super::check_facts::{check_facts, CheckFacts};
use super::column_gen::{column_gen, couple_nulls, order_columns, sequence_name, take_arc_turns};
use super::context::{Ctx, ExistingKeys};
use super::copy::CopyEncoder;
use super::definition::{Kind, LoadedDefinitions};
use super::fk_order::{check_not_null_cycles, layers};
use super::generator::{Gen, TableGen};
use super::reference::implied_reference;
use super::row_limits::{limit_inferred_rows, RowLimit};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Rows for a table nobody defined, before scale.
pub const DEFAULT_ROWS: u64 = 1000;

#[derive(Debug, Clone)]
pub struct PlanOptions {
    pub seed: u64,
    pub scale: f64,
    pub default_rows: u64,
    /// Seed tables that have no definition, from the catalog.
    pub infer: bool,
    /// Tables an earlier seed point already considered: left alone, defined or not.
    pub known: BTreeSet<String>,
    /// A definition naming a table that does not exist yet waits for a later seed point instead
    /// of being an error (the caller has checked that a migration creates the table).
    pub defer_missing: bool,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            seed: 1,
            scale: 1.0,
            default_rows: DEFAULT_ROWS,
            infer: true,
            known: BTreeSet::new(),
            defer_missing: false,
        }
    }
}

/// One table to load.
#[derive(Debug, Clone)]
pub struct TablePlan {
    /// `schema.name`.
    pub key: String,
    pub gen: TableGen,
    /// Sequences to move past the generated keys: (sequence, column).
    pub sequences: Vec<(String, String)>,
    /// The table was empty before seeding.
    pub was_empty: bool,
    pub oid: u32,
    /// Nobody defined the table: its rows were inferred from the catalog.
    pub inferred: bool,
    /// The columns the dataset defines (empty when the table is inferred): a row the server
    /// refuses because of one of these is the definition's fault, not rehearse's guess.
    pub defined: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Plan {
    /// Tables in foreign-key order; `layers` index into it.
    pub tables: Vec<TablePlan>,
    /// Inferred tables given fewer rows than asked for, and why.
    pub limits: Vec<RowLimit>,
    /// Groups of tables whose parents are all in earlier groups: each group loads in parallel.
    pub layers: Vec<Vec<usize>>,
    /// Tables nobody defined that inference could give no rows (see `limits`): rows other
    /// tables generated for them have no parent.
    pub emptied: Vec<u32>,
}

/// A table nobody defined that inference cannot plan gets no rows, with `reason` as its only
/// limit and the lines that skip it.
fn give_up(ctx: &mut Ctx, limits: &mut Vec<RowLimit>, key: &str, reason: String) {
    let asked = ctx.rows.insert(key.to_string(), 0).unwrap_or(0);
    limits.retain(|l| l.table != key);
    limits.push(RowLimit {
        table: key.to_string(),
        asked,
        rows: 0,
        fix: Some(super::sieve::skip_lines(key)),
        reason,
    });
}

/// The definitions this seed point applies: those of tables that exist and that no earlier seed
/// point considered. A definition naming a missing table is an error, unless it is deferred.
fn in_scope(
    catalog: &Catalog,
    defs: &LoadedDefinitions,
    options: &PlanOptions,
) -> Result<LoadedDefinitions, String> {
    let mut scoped = LoadedDefinitions {
        sources: BTreeMap::new(),
        tables: BTreeMap::new(),
        default_rows: defs.default_rows,
    };
    for (name, def) in &defs.tables {
        let key = table_key(name);
        if options.known.contains(&key) {
            continue;
        }
        if !catalog.tables.contains_key(&key) {
            if options.defer_missing {
                continue;
            }
            let known: Vec<&str> = catalog.tables.keys().map(|k| display_name(k)).collect();
            return Err(format!(
                "{}: table \"{name}\" does not exist after the baseline migrations (tables: {})",
                defs.sources[name].display(),
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ));
        }
        scoped
            .sources
            .insert(name.clone(), defs.sources[name].clone());
        scoped.tables.insert(name.clone(), def.clone());
    }
    Ok(scoped)
}

/// Which (table, columns) already hold rows and are the parents of references: the caller reads
/// their keys (`SELECT cols FROM table`) before [`build`].
pub fn existing_parents(
    catalog: &Catalog,
    defs: &LoadedDefinitions,
    options: &PlanOptions,
) -> Vec<(String, Vec<String>)> {
    let Ok(defs) = in_scope(catalog, defs, options) else {
        return Vec::new();
    };
    let defs = &defs;
    let rows = row_counts(catalog, defs, options);
    let mut out = BTreeMap::new();
    for (key, t) in &catalog.tables {
        if !rows.contains_key(key) {
            continue;
        }
        for fk in &t.foreign_keys {
            if !rows.contains_key(&fk.parent) {
                out.insert(fk.parent.clone(), fk.parent_columns.clone());
            }
        }
        for column in &t.columns {
            if let Some((parent, key)) = implied_reference(catalog, t, column) {
                if !rows.contains_key(&parent) && catalog.tables[&parent].has_rows {
                    out.entry(parent).or_insert_with(|| vec![key]);
                }
            }
        }
        if let Some(def) = defs.tables.get(display_name(key)).or(defs.tables.get(key)) {
            for c in def.columns.values() {
                if let (Kind::Reference, Some(parent)) = (c.kind, &c.table) {
                    let pk = table_key(parent);
                    if !rows.contains_key(&pk) {
                        if let Some(p) = catalog.tables.get(&pk) {
                            let col = c
                                .column
                                .clone()
                                .or_else(|| p.primary_key.first().cloned())
                                .unwrap_or_default();
                            out.insert(pk, vec![col]);
                        }
                    }
                }
            }
        }
    }
    out.into_iter().collect()
}

/// Rows per seeded table (scaled); tables absent are not seeded. `defs` is in scope: every table
/// it names exists.
fn row_counts(
    catalog: &Catalog,
    defs: &LoadedDefinitions,
    options: &PlanOptions,
) -> BTreeMap<String, u64> {
    let scale = |n: u64| -> u64 {
        if n == 0 {
            0
        } else {
            ((n as f64 * options.scale).round() as u64).max(1)
        }
    };
    let mut rows = BTreeMap::new();
    for (name, def) in &defs.tables {
        if !def.skip {
            rows.insert(
                table_key(name),
                scale(
                    def.rows
                        .or(defs.default_rows)
                        .unwrap_or(options.default_rows),
                ),
            );
        }
    }
    if options.infer {
        for (key, t) in &catalog.tables {
            let defined =
                defs.tables.contains_key(display_name(key)) || defs.tables.contains_key(key);
            if !defined && !t.has_rows && !options.known.contains(key) {
                rows.insert(
                    key.clone(),
                    scale(defs.default_rows.unwrap_or(options.default_rows)),
                );
            }
        }
    }
    rows
}

/// Builds and validates the plan. The error is one sentence naming the file and table.column.
pub fn build(
    catalog: &Catalog,
    defs: &LoadedDefinitions,
    options: &PlanOptions,
    existing: &ExistingKeys,
) -> Result<Plan, String> {
    let defs = &in_scope(catalog, defs, options)?;
    let rows = row_counts(catalog, defs, options);
    let mut def_map = BTreeMap::new();
    for (name, def) in &defs.tables {
        def_map.insert(table_key(name), (def, defs.sources[name].clone()));
    }
    let mut ctx = Ctx {
        catalog,
        defs: def_map,
        rows,
        seed: options.seed,
        existing,
        key_sources: HashMap::new(),
        in_progress: BTreeSet::new(),
        key_source: super::column_gen::key_source,
    };

    // Unknown columns first: a typo is the likeliest mistake.
    for (key, (def, file)) in &ctx.defs {
        let table = &catalog.tables[key];
        for name in def.columns.keys() {
            match table.column(name) {
                None => {
                    return Err(format!(
                        "{}: column \"{}.{name}\" does not exist (columns: {})",
                        file.display(),
                        display_name(key),
                        table
                            .columns
                            .iter()
                            .map(|c| c.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                }
                Some(c) if c.generated => {
                    return Err(format!(
                    "{}: column \"{}.{name}\" is a generated column, so it cannot be given values",
                    file.display(),
                    display_name(key)
                ))
                }
                _ => {}
            }
        }
    }

    check_not_null_cycles(&ctx)?;
    let mut limits = limit_inferred_rows(&mut ctx);
    let mut emptied = Vec::new();

    let mut tables = Vec::new();
    let seeded: Vec<String> = ctx.rows.keys().cloned().collect();
    for key in &seeded {
        let table = &catalog.tables[key];
        let mut columns = Vec::new();
        let mut sequences = Vec::new();
        let mut unfit = None;
        for column in &table.columns {
            if column.generated {
                continue;
            }
            let gen = match column_gen(&mut ctx, table, column) {
                Ok(gen) => gen,
                // A table nobody defined whose constraints inference cannot meet (a CHECK
                // that contradicts itself, a reference to a table that gets no rows) gets no
                // rows, said with the reason, rather than stopping the seed point.
                Err(reason) if !ctx.defs.contains_key(key) => {
                    unfit = Some(reason);
                    break;
                }
                Err(e) => return Err(e),
            };
            let Some(gen) = gen else {
                continue;
            };
            if matches!(gen.gen, Gen::Sequence { .. }) {
                if let Some(seq) = sequence_name(column) {
                    sequences.push((seq, column.name.clone()));
                }
            }
            columns.push(gen);
        }
        if let Some(reason) = unfit {
            give_up(&mut ctx, &mut limits, key, reason);
            emptied.push(table.oid);
            continue;
        }
        order_columns(&ctx, table, &mut columns);
        couple_nulls(&ctx, table, &mut columns);
        take_arc_turns(&ctx, table, &mut columns);
        let gen = TableGen {
            qualified: table.qualified(),
            columns,
            rows: ctx.rows[key],
        };
        if let Err(reason) = probe(&ctx, key, &gen) {
            if ctx.defs.contains_key(key) {
                return Err(reason);
            }
            give_up(&mut ctx, &mut limits, key, reason);
            emptied.push(table.oid);
            continue;
        }
        tables.push(TablePlan {
            key: key.clone(),
            gen,
            sequences,
            was_empty: !table.has_rows,
            oid: table.oid,
            inferred: !ctx.defs.contains_key(key),
            defined: ctx
                .defs
                .get(key)
                .map(|(d, _)| d.columns.keys().cloned().collect())
                .unwrap_or_default(),
        });
    }
    let keys: Vec<&str> = tables.iter().map(|t| t.key.as_str()).collect();
    let layers = layers(catalog, &keys);
    // Reorder tables so that layers are contiguous and in order.
    let order: Vec<usize> = layers.iter().flatten().copied().collect();
    let mut reordered = Vec::new();
    let mut new_layers = Vec::new();
    for layer in &layers {
        let mut l = Vec::new();
        for i in layer {
            l.push(reordered.len());
            reordered.push(tables[*i].clone());
        }
        new_layers.push(l);
    }
    debug_assert_eq!(order.len(), tables.len());
    Ok(Plan {
        tables: reordered,
        limits,
        emptied,
        layers: new_layers,
    })
}

/// Generates a few rows of the table into a scratch buffer: a generator whose values do not fit
/// the column's type is caught before any row is sent.
fn probe(ctx: &Ctx, key: &str, gen: &TableGen) -> Result<(), String> {
    let mut enc = CopyEncoder::default();
    for row in 0..gen.rows.min(32) {
        for c in &gen.columns {
            enc.value(&c.value(row), &c.ty).map_err(|e| {
                format!(
                    "{}{}.{}: {e}",
                    ctx.defs
                        .get(key)
                        .map(|(_, f)| format!("{}: ", f.display()))
                        .unwrap_or_default(),
                    display_name(key),
                    c.name
                )
            })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_bounds_are_read_from_constraint_definitions() {
        let f = check_facts(
            "quantity",
            &["CHECK (((quantity > 0) AND (quantity <= 1000)))"],
        );
        assert_eq!(
            (f.min, f.min_exclusive, f.max),
            (Some(0.0), true, Some(1000.0))
        );
        let f = check_facts("price", &["CHECK ((price >= (0)::numeric))"]);
        assert_eq!(f.min, Some(0.0));
        let f = check_facts(
            "status",
            &["CHECK (((status)::text = ANY ((ARRAY['active'::character varying, 'it''s'::character varying])::text[])))"],
        );
        assert_eq!(
            f.values,
            Some(vec!["active".to_string(), "it's".to_string()])
        );
    }
}
