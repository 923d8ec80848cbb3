//! The dataset plan: definitions resolved against the catalog, the gaps inferred, everything
//! validated, tables put in foreign-key order. Pure: it takes the catalog and returns a plan or
//! one sentence that names the definition at fault.

use super::catalog::{Catalog, Column, Table};
pub use super::check_facts::{check_facts, CheckFacts};
use super::compile::compile;
use super::copy::CopyEncoder;
use super::definition::{ColumnDef, Kind, LoadedDefinitions, TableDef};
use super::fk_order::{check_not_null_cycles, layers};
use super::generator::{ColumnGen, Gen, KeySource, Pick, TableGen};
pub use super::infer::infer;
use super::rng::{hash_name, Permutation};
use super::row_limits::limit_inferred_rows;
use super::values::{self, PgType, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

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
}

/// A table nobody defined that gets fewer rows than asked for, because a constraint allows no
/// more; the reason is one sentence naming the constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowLimit {
    /// `schema.name`.
    pub table: String,
    pub asked: u64,
    pub rows: u64,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct Plan {
    /// Tables in foreign-key order; `layers` index into it.
    pub tables: Vec<TablePlan>,
    /// Inferred tables given fewer rows than asked for, and why.
    pub limits: Vec<RowLimit>,
    /// Groups of tables whose parents are all in earlier groups: each group loads in parallel.
    pub layers: Vec<Vec<usize>>,
}

/// Keys of tables that already hold rows and are referenced by seeded ones: read before planning.
pub type ExistingKeys = HashMap<String, Vec<Vec<Value>>>;

pub(super) struct Ctx<'a> {
    pub(super) catalog: &'a Catalog,
    pub(super) defs: BTreeMap<String, (&'a TableDef, PathBuf)>,
    pub(super) rows: BTreeMap<String, u64>,
    pub(super) options: &'a PlanOptions,
    pub(super) existing: &'a ExistingKeys,
    pub(super) key_sources: HashMap<String, Arc<KeySource>>,
    pub(super) in_progress: BTreeSet<String>,
}

/// The table key a definition name refers to (`users` is `public.users`).
pub fn table_key(name: &str) -> String {
    if name.contains('.') {
        name.to_string()
    } else {
        format!("public.{name}")
    }
}

pub(super) fn display_name(key: &str) -> &str {
    key.strip_prefix("public.").unwrap_or(key)
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
        options,
        existing,
        key_sources: HashMap::new(),
        in_progress: BTreeSet::new(),
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
    let limits = limit_inferred_rows(&mut ctx);

    let mut tables = Vec::new();
    let seeded: Vec<String> = ctx.rows.keys().cloned().collect();
    for key in &seeded {
        let table = &catalog.tables[key];
        let mut columns = Vec::new();
        let mut sequences = Vec::new();
        for column in &table.columns {
            if column.generated {
                continue;
            }
            let Some(gen) = column_gen(&mut ctx, table, column)? else {
                continue;
            };
            if matches!(gen.gen, Gen::Sequence { .. }) {
                if let Some(seq) = sequence_name(column) {
                    sequences.push((seq, column.name.clone()));
                }
            }
            columns.push(gen);
        }
        order_columns(&ctx, table, &mut columns);
        let gen = TableGen {
            qualified: table.qualified(),
            columns,
            rows: ctx.rows[key],
        };
        probe(&ctx, key, &gen)?;
        tables.push(TablePlan {
            key: key.clone(),
            gen,
            sequences,
            was_empty: !table.has_rows,
            oid: table.oid,
            inferred: !ctx.defs.contains_key(key),
        });
    }
    let layers = layers(catalog, &tables);
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
        layers: new_layers,
    })
}

/// Rows a parent will hold when its children are generated: what it is seeded with, else the
/// keys read from it; None when nothing is known.
pub(super) fn parent_rows(ctx: &Ctx, parent: &str) -> Option<u64> {
    ctx.rows
        .get(parent)
        .copied()
        .or_else(|| ctx.existing.get(parent).map(|r| r.len() as u64))
}

/// Derives the greater column of each CHECK that orders two columns from the lesser one, so
/// inferred values satisfy it (`seed::ordering`); columns the dataset defines are left as given.
fn order_columns(ctx: &Ctx, table: &Table, columns: &mut [ColumnGen]) {
    let orderings: Vec<_> = table
        .row_checks
        .iter()
        .filter_map(|(_, def)| super::ordering::orderings(def))
        .flatten()
        .collect();
    if orderings.is_empty() {
        return;
    }
    let def = ctx.defs.get(&table.key()).map(|(d, _)| d);
    super::ordering::derive(
        columns,
        &orderings,
        &|name| def.is_some_and(|d| d.columns.contains_key(name)),
        &|name| in_unique(table, name),
    );
}

fn sequence_name(column: &Column) -> Option<String> {
    let s = column.sequence.as_deref()?;
    if s.is_empty() {
        return None;
    }
    if let Some(rest) = s.strip_prefix("nextval('") {
        return rest.split('\'').next().map(|x| x.to_string());
    }
    Some(s.to_string())
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

/// The generator of one column: its definition, else its foreign key, else inference.
/// None leaves the column out of the COPY (its DEFAULT or NULL applies).
fn column_gen(ctx: &mut Ctx, table: &Table, column: &Column) -> Result<Option<ColumnGen>, String> {
    let key = table.key();
    let seed = hash_name(ctx.options.seed, &format!("{key}.{}", column.name));
    let def = ctx
        .defs
        .get(&key)
        .and_then(|(d, f)| d.columns.get(&column.name).map(|c| (c.clone(), f.clone())));
    let ty = match &column.ty {
        Some(t) => t.clone(),
        None => {
            if let Some((_, file)) = &def {
                return Err(format!(
                    "{}: column \"{}.{}\" has type {}, which the seeder cannot write; remove its definition and give it a DEFAULT or allow NULL",
                    file.display(),
                    display_name(&key),
                    column.name,
                    column.type_name
                ));
            }
            if column.not_null && column.default.is_none() {
                return Err(format!(
                    "column \"{}.{}\" has type {}, which the seeder cannot write, and is NOT NULL without a DEFAULT; give it a DEFAULT or skip the table in the dataset",
                    display_name(&key),
                    column.name,
                    column.type_name
                ));
            }
            return Ok(None);
        }
    };
    let label = |file: &Option<PathBuf>| {
        format!(
            "{}{}.{}",
            file.as_ref()
                .map(|f| format!("{}: ", f.display()))
                .unwrap_or_default(),
            display_name(&key),
            column.name
        )
    };

    if let Some((def, file)) = def {
        if def.kind == Kind::Default {
            return Ok(None);
        }
        let gen = compile(ctx, table, column, &ty, &def, seed, &label(&Some(file)))?;
        return Ok(Some(ColumnGen {
            name: column.name.clone(),
            ty,
            gen,
            nulls: def.nulls,
            seed,
        }));
    }

    // A foreign key: point at the parent's generated (or existing) keys.
    if let Some((fk_index, position)) = table.foreign_keys.iter().enumerate().find_map(|(i, fk)| {
        fk.columns
            .iter()
            .position(|c| *c == column.name)
            .map(|p| (i, p))
    }) {
        let fk = &table.foreign_keys[fk_index];
        let parent = key_source(ctx, &fk.parent, &fk.parent_columns, &label(&None))?;
        if let Some(parent) = parent {
            let nullable = fk
                .columns
                .iter()
                .any(|c| table.column(c).is_some_and(|c| !c.not_null));
            let pick = fk_pick(ctx, table, fk_index, &parent, &label(&None))?;
            if parent.is_empty() && !nullable && ctx.rows.get(&key).is_some_and(|r| *r > 0) {
                return Err(format!(
                    "{}: it references {}, which has no rows and gets none",
                    label(&None),
                    display_name(&fk.parent)
                ));
            }
            return Ok(Some(ColumnGen {
                name: column.name.clone(),
                ty,
                gen: Gen::Reference {
                    seed: hash_name(ctx.options.seed, &format!("{key}#{}", fk.name)),
                    parent,
                    column: position,
                    pick,
                },
                nulls: if nullable && !in_unique(table, &column.name) {
                    0.1
                } else {
                    0.0
                },
                seed,
            }));
        }
    }

    if let Some((fk, parent_rows)) = line_number_of(ctx, table, &column.name) {
        let _ = fk;
        return Ok(Some(ColumnGen {
            name: column.name.clone(),
            ty,
            gen: Gen::Quotient {
                divisor: parent_rows.max(1),
                offset: 1,
            },
            nulls: 0.0,
            seed,
        }));
    }

    // A column named for a table (`user_id` beside `users`) holds that table's keys in
    // production even without a foreign key; a later `ADD FOREIGN KEY` must find them valid.
    if let Some((parent_key, parent_column)) = implied_reference(ctx.catalog, table, column) {
        if ctx.existing.contains_key(&parent_key) || ctx.rows.contains_key(&parent_key) {
            let parent = key_source(ctx, &parent_key, &[parent_column], &label(&None))?;
            if let Some(parent) = parent.filter(|p| !p.is_empty()) {
                return Ok(Some(ColumnGen {
                    name: column.name.clone(),
                    ty,
                    gen: Gen::Reference {
                        seed: hash_name(ctx.options.seed, &format!("{key}~{}", column.name)),
                        parent,
                        column: 0,
                        pick: Pick::Uniform,
                    },
                    nulls: if column.not_null { 0.0 } else { 0.1 },
                    seed,
                }));
            }
        }
    }

    let mut def = infer(table, column, &ty);
    within_partitions(table, column, &ty, &mut def);
    if def.kind == Kind::Default {
        return Ok(None);
    }
    let gen = compile(ctx, table, column, &ty, &def, seed, &label(&None))?;
    Ok(Some(ColumnGen {
        name: column.name.clone(),
        ty,
        gen,
        nulls: def.nulls,
        seed,
    }))
}

/// The table a column is named after when no foreign key says so: `user_id` (or `userid`)
/// beside a table `user`, `users`, `useres` or (for `category_id`) `categories` in the same
/// schema, whose primary key is one column of the same type. A unique, generated or
/// CHECK-bounded column is left to inference: its values have rules of their own.
pub fn implied_reference(
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

/// A partition key nobody defined gets values that some partition accepts: a listed value, or
/// one between the lowest bound and the highest of the ranges (a DEFAULT partition takes
/// anything, and a hash partition every value). A key with a DEFAULT expression (`now()`) is
/// generated too, since its default may fall outside every partition. Timestamps keep a day
/// clear of each end, so that a bound printed in another time zone is still respected.
fn within_partitions(table: &Table, column: &Column, ty: &PgType, def: &mut ColumnDef) {
    let Some(p) = &table.partitions else {
        return;
    };
    if p.column != column.name || p.has_default {
        return;
    }
    match p.strategy.as_str() {
        "list" if !p.values.is_empty() => {
            let nulls = def.nulls;
            *def = ColumnDef::of(Kind::Choice);
            def.nulls = if column.not_null { 0.0 } else { nulls.min(0.0) };
            def.values = Some(
                p.values
                    .iter()
                    .map(|v| match v.parse::<i64>() {
                        Ok(n) if ty.is_integer() => toml::Value::Integer(n),
                        _ => toml::Value::String(v.clone()),
                    })
                    .collect(),
            );
        }
        "range" if !p.ranges.is_empty() => {
            let unbounded_low = p.ranges.iter().any(|(from, _)| from.is_none());
            let unbounded_high = p.ranges.iter().any(|(_, to)| to.is_none());
            let froms: Vec<&String> = p.ranges.iter().filter_map(|r| r.0.as_ref()).collect();
            let tos: Vec<&String> = p.ranges.iter().filter_map(|r| r.1.as_ref()).collect();
            def.nulls = 0.0;
            if ty.is_integer() {
                let lo = froms.iter().filter_map(|v| v.parse::<i64>().ok()).min();
                let hi = tos.iter().filter_map(|v| v.parse::<i64>().ok()).max();
                def.kind = Kind::Int;
                if let (Some(lo), false) = (lo, unbounded_low) {
                    def.min = Some(toml::Value::Integer(lo));
                }
                if let (Some(hi), false) = (hi, unbounded_high) {
                    def.max = Some(toml::Value::Integer(hi - 1));
                }
            } else if matches!(ty, PgType::Date | PgType::Timestamp | PgType::Timestamptz) {
                let lo = froms
                    .iter()
                    .filter_map(|v| values::parse_timestamp(v))
                    .min();
                let hi = tos.iter().filter_map(|v| values::parse_timestamp(v)).max();
                let date = *ty == PgType::Date;
                def.kind = if date { Kind::Date } else { Kind::Timestamp };
                let day = values::US_PER_DAY;
                let margin = match (lo, hi) {
                    (Some(lo), Some(hi)) if !date && hi - lo > 3 * day => day,
                    _ if date => 0,
                    _ => 1_000_000,
                };
                let show = |us: i64| {
                    toml::Value::String(if date {
                        values::format_date(us.div_euclid(day))
                    } else {
                        values::format_timestamp(us)
                    })
                };
                if let (Some(lo), false) = (lo, unbounded_low) {
                    def.min = Some(show(lo + margin));
                }
                if let (Some(hi), false) = (hi, unbounded_high) {
                    def.max = Some(show(hi - if date { day } else { margin.max(1_000_000) }));
                }
            }
        }
        _ => {}
    }
}

fn in_unique(table: &Table, column: &str) -> bool {
    table.unique.iter().any(|u| u.iter().any(|c| c == column))
}

pub(super) fn is_unique_alone(table: &Table, column: &str) -> bool {
    table.unique.iter().any(|u| u.len() == 1 && u[0] == column)
}

/// A line number: an integer column that, with exactly one foreign key's columns, forms a
/// unique key (`order_items (order_id, line_no)`). Returns the foreign key and its parent's rows.
fn line_number_of(ctx: &Ctx, table: &Table, column: &str) -> Option<(usize, u64)> {
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
fn fk_pick(
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
            hash_name(ctx.options.seed, &fk.name),
        )));
    }
    // A unique constraint made only of foreign-key columns (a join table): a mixed-radix digit.
    for u in &table.unique {
        let covering: Vec<usize> = table
            .foreign_keys
            .iter()
            .enumerate()
            .filter(|(_, f)| f.columns.iter().all(|c| u.contains(c)))
            .map(|(i, _)| i)
            .collect();
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

/// The parent's key columns as a key source (generated or existing); None when the parent is
/// neither seeded nor has rows we read.
pub(super) fn key_source(
    ctx: &mut Ctx,
    parent_key: &str,
    parent_columns: &[String],
    label: &str,
) -> Result<Option<Arc<KeySource>>, String> {
    let id = format!("{parent_key}({})", parent_columns.join(","));
    if let Some(s) = ctx.key_sources.get(&id) {
        return Ok(Some(s.clone()));
    }
    if let Some(rows) = ctx.existing.get(parent_key) {
        let s = Arc::new(KeySource::Existing { rows: rows.clone() });
        ctx.key_sources.insert(id, s.clone());
        return Ok(Some(s));
    }
    let Some(&rows) = ctx.rows.get(parent_key) else {
        return Ok(None);
    };
    if !ctx.in_progress.insert(id.clone()) {
        return Err(format!(
            "{label}: the keys of {} depend on themselves through references",
            display_name(parent_key)
        ));
    }
    let parent = ctx.catalog.tables[parent_key].clone();
    let mut columns = Vec::new();
    for name in parent_columns {
        let Some(col) = parent.column(name) else {
            return Err(format!(
                "{label}: {}.{name} does not exist",
                display_name(parent_key)
            ));
        };
        match column_gen(ctx, &parent, col)? {
            Some(g) if g.nulls == 0.0 => columns.push(g),
            _ => {
                return Err(format!(
                    "{label}: it references {}.{name}, whose generator can produce NULL, so some references would point at no row",
                    display_name(parent_key)
                ))
            }
        }
    }
    ctx.in_progress.remove(&id);
    let s = Arc::new(KeySource::Generated { rows, columns });
    ctx.key_sources.insert(id, s.clone());
    Ok(Some(s))
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
