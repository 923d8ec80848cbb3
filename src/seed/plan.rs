//! The dataset plan: definitions resolved against the catalog, the gaps inferred, everything
//! validated, tables put in foreign-key order. Pure: it takes the catalog and returns a plan or
//! one sentence that names the definition at fault.

use super::catalog::{numeric_precision, Catalog, Column, Table};
use super::copy::{self, CopyEncoder, PgType, Value};
use super::definition::{ColumnDef, Distribution, Kind, LoadedDefinitions, TableDef};
use super::generator::{ColumnGen, Dist, FakeKind, Gen, KeySource, Pick, TableGen};
use super::rng::{hash_name, Permutation};
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

struct Ctx<'a> {
    catalog: &'a Catalog,
    defs: BTreeMap<String, (&'a TableDef, PathBuf)>,
    rows: BTreeMap<String, u64>,
    options: &'a PlanOptions,
    existing: &'a ExistingKeys,
    key_sources: HashMap<String, Arc<KeySource>>,
    in_progress: BTreeSet<String>,
}

/// The table key a definition name refers to (`users` is `public.users`).
pub fn table_key(name: &str) -> String {
    if name.contains('.') {
        name.to_string()
    } else {
        format!("public.{name}")
    }
}

fn display_name(key: &str) -> &str {
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
fn parent_rows(ctx: &Ctx, parent: &str) -> Option<u64> {
    ctx.rows
        .get(parent)
        .copied()
        .or_else(|| ctx.existing.get(parent).map(|r| r.len() as u64))
}

/// Gives each table nobody defined as many rows as its constraints allow, down to none: a
/// required reference to a parent without rows allows none, a unique reference no more than the
/// parent's rows, a unique set of references no more than their combinations. Parents are
/// limited before their children (repeated until nothing changes). Defined tables are left as
/// asked: a definition that cannot be met stays an error.
fn limit_inferred_rows(ctx: &mut Ctx) -> Vec<RowLimit> {
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
                            "its foreign key {} ({columns}) is unique and references {}, which has {n} rows",
                            fk.name,
                            display_name(&fk.parent)
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
                    tighten(
                        total.min(u64::MAX as u128) as u64,
                        format!(
                            "its unique ({}) allows {total} combinations of parent rows",
                            u.join(", ")
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

/// A cycle of foreign keys whose columns are all NOT NULL cannot be loaded in any order.
fn check_not_null_cycles(ctx: &Ctx) -> Result<(), String> {
    let mut edges: BTreeMap<&str, Vec<(&str, String)>> = BTreeMap::new();
    for key in ctx.rows.keys() {
        let t = &ctx.catalog.tables[key];
        for fk in &t.foreign_keys {
            let not_null = fk
                .columns
                .iter()
                .all(|c| t.column(c).is_some_and(|c| c.not_null));
            if not_null && fk.parent != *key && ctx.rows.contains_key(&fk.parent) {
                edges.entry(key.as_str()).or_default().push((
                    fk.parent.as_str(),
                    format!(
                        "{}.{} → {}",
                        display_name(key),
                        fk.columns.join(","),
                        display_name(&fk.parent)
                    ),
                ));
            }
        }
    }
    // Depth-first search with colours; the stack names the cycle.
    let mut state: HashMap<&str, u8> = HashMap::new();
    fn visit<'a>(
        node: &'a str,
        edges: &BTreeMap<&'a str, Vec<(&'a str, String)>>,
        state: &mut HashMap<&'a str, u8>,
        path: &mut Vec<(&'a str, String)>,
    ) -> Option<Vec<String>> {
        state.insert(node, 1);
        for (next, label) in edges.get(node).into_iter().flatten() {
            path.push((node, label.clone()));
            match state.get(next).copied().unwrap_or(0) {
                1 => {
                    let start = path.iter().position(|(n, _)| n == next).unwrap_or(0);
                    return Some(path[start..].iter().map(|(_, l)| l.clone()).collect());
                }
                0 => {
                    if let Some(c) = visit(next, edges, state, path) {
                        return Some(c);
                    }
                }
                _ => {}
            }
            path.pop();
        }
        state.insert(node, 2);
        None
    }
    for node in edges.keys().copied().collect::<Vec<_>>() {
        if state.get(node).copied().unwrap_or(0) == 0 {
            if let Some(cycle) = visit(node, &edges, &mut state, &mut Vec::new()) {
                let files: BTreeSet<String> = ctx
                    .defs
                    .values()
                    .map(|(_, f)| f.display().to_string())
                    .collect();
                return Err(format!(
                    "{}the NOT NULL foreign keys {} form a cycle, so no table in it can be loaded first; make one of them nullable or leave one table out with skip = true",
                    if files.is_empty() {
                        String::new()
                    } else {
                        format!("{}: ", files.into_iter().collect::<Vec<_>>().join(", "))
                    },
                    cycle.join(", ")
                ));
            }
        }
    }
    Ok(())
}

/// Tables grouped so that each group's parents are in earlier groups. Nullable foreign keys are
/// dropped from the ordering when they would close a cycle.
fn layers(catalog: &Catalog, tables: &[TablePlan]) -> Vec<Vec<usize>> {
    let index: HashMap<&str, usize> = tables
        .iter()
        .enumerate()
        .map(|(i, t)| (t.key.as_str(), i))
        .collect();
    // (child, parent, hard)
    let mut deps: Vec<Vec<(usize, bool)>> = vec![Vec::new(); tables.len()];
    for (i, t) in tables.iter().enumerate() {
        let table = &catalog.tables[&t.key];
        for fk in &table.foreign_keys {
            if let Some(&p) = index.get(fk.parent.as_str()) {
                if p != i {
                    let hard = fk
                        .columns
                        .iter()
                        .all(|c| table.column(c).is_some_and(|c| c.not_null));
                    deps[i].push((p, hard));
                }
            }
        }
    }
    let mut done = vec![false; tables.len()];
    let mut out = Vec::new();
    let mut soft_ok = false;
    while done.iter().any(|d| !d) {
        let ready: Vec<usize> = (0..tables.len())
            .filter(|&i| {
                !done[i]
                    && deps[i]
                        .iter()
                        .all(|&(p, hard)| done[p] || (soft_ok && !hard))
            })
            .collect();
        if ready.is_empty() {
            if soft_ok {
                // Only NOT NULL cycles remain, which validation refused; load the rest anyway.
                out.push((0..tables.len()).filter(|&i| !done[i]).collect());
                break;
            }
            soft_ok = true;
            continue;
        }
        soft_ok = false;
        for &i in &ready {
            done[i] = true;
        }
        out.push(ready);
    }
    out
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
                let lo = froms.iter().filter_map(|v| copy::parse_timestamp(v)).min();
                let hi = tos.iter().filter_map(|v| copy::parse_timestamp(v)).max();
                let date = *ty == PgType::Date;
                def.kind = if date { Kind::Date } else { Kind::Timestamp };
                let day = copy::US_PER_DAY;
                let margin = match (lo, hi) {
                    (Some(lo), Some(hi)) if !date && hi - lo > 3 * day => day,
                    _ if date => 0,
                    _ => 1_000_000,
                };
                let show = |us: i64| {
                    toml::Value::String(if date {
                        copy::format_date(us.div_euclid(day))
                    } else {
                        copy::format_timestamp(us)
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

fn is_unique_alone(table: &Table, column: &str) -> bool {
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
fn key_source(
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

/// Bounds and allowed values found in single-column CHECK constraints.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct CheckFacts {
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Exclusive bounds are recorded as such so that integers can move them by one.
    pub min_exclusive: bool,
    pub max_exclusive: bool,
    pub values: Option<Vec<String>>,
}

/// Strips `::type` casts from a constraint definition.
fn strip_casts(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("::") {
        out.push_str(&rest[..i]);
        rest = &rest[i + 2..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '"'))
            .unwrap_or(rest.len());
        rest = &rest[end..];
        for tail in [
            " varying",
            " precision",
            " with time zone",
            " without time zone",
        ] {
            if let Some(r) = rest.strip_prefix(tail) {
                rest = r;
            }
        }
        if let Some(r) = rest.strip_prefix("[]") {
            rest = r;
        }
    }
    out.push_str(rest);
    out
}

/// Reads `CHECK ((x >= 0) AND (x <= 10))`, `CHECK (x > 0)`, `CHECK (x = ANY (ARRAY['a', 'b']))`.
pub fn check_facts(column: &str, defs: &[&str]) -> CheckFacts {
    let mut facts = CheckFacts::default();
    for def in defs {
        let text = strip_casts(def);
        let text = text.trim().strip_prefix("CHECK").unwrap_or(&text).trim();
        if text.contains("ANY (") || text.contains(" IN (") {
            if let Some(start) = text
                .find("ARRAY[")
                .map(|i| i + 6)
                .or_else(|| text.find(" IN (").map(|i| i + 5))
            {
                let inner = &text[start..];
                let mut values = Vec::new();
                let mut chars = inner.chars().peekable();
                while let Some(c) = chars.next() {
                    if c == ']' || c == ')' {
                        break;
                    }
                    if c == '\'' {
                        let mut v = String::new();
                        while let Some(c) = chars.next() {
                            if c == '\'' {
                                if chars.peek() == Some(&'\'') {
                                    chars.next();
                                    v.push('\'');
                                    continue;
                                }
                                break;
                            }
                            v.push(c);
                        }
                        values.push(v);
                    }
                }
                if !values.is_empty() {
                    facts.values = Some(values);
                }
            }
            continue;
        }
        let cleaned: String = text.chars().filter(|c| *c != '(' && *c != ')').collect();
        for part in cleaned.split(" AND ") {
            let tokens: Vec<&str> = part.split_whitespace().collect();
            if tokens.len() != 3 {
                continue;
            }
            let unquote = |s: &str| s.trim_matches('"').to_string();
            let (op, number) = if unquote(tokens[0]) == column {
                (tokens[1].to_string(), tokens[2])
            } else if unquote(tokens[2]) == column {
                let flipped = match tokens[1] {
                    ">" => "<",
                    ">=" => "<=",
                    "<" => ">",
                    "<=" => ">=",
                    o => o,
                };
                (flipped.to_string(), tokens[0])
            } else {
                continue;
            };
            if op == "=" {
                // `CHECK (id = 1)`: the one value the column may take (a one-row table's key).
                facts.values = Some(vec![number.trim_matches('\'').to_string()]);
                continue;
            }
            let Ok(n) = number.trim_matches('\'').parse::<f64>() else {
                continue;
            };
            match op.as_str() {
                ">" => {
                    facts.min = Some(n);
                    facts.min_exclusive = true
                }
                ">=" => {
                    facts.min = Some(n);
                    facts.min_exclusive = false
                }
                "<" => {
                    facts.max = Some(n);
                    facts.max_exclusive = true
                }
                "<=" => {
                    facts.max = Some(n);
                    facts.max_exclusive = false
                }
                _ => {}
            }
        }
    }
    facts
}

fn facts_for(table: &Table, column: &str) -> CheckFacts {
    let defs: Vec<&str> = table
        .checks
        .iter()
        .filter(|(c, _)| c == column)
        .map(|(_, d)| d.as_str())
        .collect();
    check_facts(column, &defs)
}

/// A generator for a column nobody defined, from its type, name and constraints.
pub fn infer(table: &Table, column: &Column, ty: &PgType) -> ColumnDef {
    let name = column.name.to_ascii_lowercase();
    let facts = facts_for(table, &column.name);
    let unique = is_unique_alone(table, &column.name)
        || table.unique.iter().any(|u| {
            u.len() > 1
                && u.iter()
                    .find(|c| !table.foreign_keys.iter().any(|f| f.columns.contains(c)))
                    == Some(&column.name)
        });
    let mut def = ColumnDef::of(Kind::Words);
    def.unique = unique;
    let has = |words: &[&str]| {
        words.iter().any(|w| {
            name == *w || name.ends_with(&format!("_{w}")) || name.starts_with(&format!("{w}_"))
        })
    };

    if let Some(values) = &facts.values {
        def.kind = Kind::Choice;
        // Typed as the column is: `CHECK (id = 1)` on an int column allows the integer 1.
        def.values = Some(
            values
                .iter()
                .map(|v| match ty {
                    _ if ty.is_integer() => v
                        .parse::<i64>()
                        .map(toml::Value::Integer)
                        .unwrap_or_else(|_| toml::Value::String(v.clone())),
                    PgType::Float4 | PgType::Float8 | PgType::Numeric { .. } => v
                        .parse::<f64>()
                        .map(toml::Value::Float)
                        .unwrap_or_else(|_| toml::Value::String(v.clone())),
                    _ => toml::Value::String(v.clone()),
                })
                .collect(),
        );
    } else if column.sequence.is_some() && ty.is_integer() {
        def.kind = Kind::Sequence;
        def.unique = false;
    } else {
        match ty {
            PgType::Int2 | PgType::Int4 | PgType::Int8 => {
                def.kind = Kind::Int;
                let (lo, hi) = if has(&["quantity", "qty"]) {
                    (1, 10)
                } else if has(&["age"]) {
                    (18, 90)
                } else if has(&["year"]) {
                    (1990, 2030)
                } else if has(&["rating", "stars", "score"]) {
                    (1, 5)
                } else if has(&["count", "total", "amount", "cents", "price"]) {
                    (0, 10_000)
                } else {
                    match ty {
                        PgType::Int2 => (0, 1000),
                        PgType::Int4 => (0, 1_000_000),
                        _ => (0, 1_000_000_000),
                    }
                };
                def.min = Some(toml::Value::Integer(lo));
                def.max = Some(toml::Value::Integer(hi));
                if unique {
                    def.min = Some(toml::Value::Integer(1));
                    def.max = Some(toml::Value::Integer(match ty {
                        PgType::Int2 => i16::MAX as i64,
                        PgType::Int4 => i32::MAX as i64,
                        _ => i64::MAX / 2,
                    }));
                }
            }
            PgType::Float4 | PgType::Float8 | PgType::Numeric { .. } => {
                def.kind = Kind::Float;
                let scale = match ty {
                    PgType::Numeric { scale } => scale.unwrap_or(2),
                    _ => 2,
                };
                let limit = numeric_precision(&column.type_name)
                    .map(|(p, s)| 10f64.powi(p.saturating_sub(s) as i32) - 10f64.powi(-(s as i32)))
                    .unwrap_or(1e6);
                let hi: f64 = if has(&["price", "amount", "total", "cost", "balance", "fee"]) {
                    1000.0
                } else if has(&["rate", "ratio", "percent", "pct"]) {
                    1.0
                } else {
                    10_000.0
                };
                def.min = Some(toml::Value::Float(0.0));
                def.max = Some(toml::Value::Float(hi.min(limit)));
                def.decimals = Some(scale.min(6));
            }
            PgType::Bool => def.kind = Kind::Bool,
            PgType::Date => {
                def.kind = Kind::Date;
                let (lo, hi) = if has(&["birth", "dob", "birthday", "born"]) {
                    ("1950-01-01", "2006-12-31")
                } else {
                    ("2020-01-01", "2025-12-31")
                };
                def.min = Some(toml::Value::String(lo.into()));
                def.max = Some(toml::Value::String(hi.into()));
            }
            PgType::Timestamp | PgType::Timestamptz | PgType::Time => {
                def.kind = Kind::Timestamp;
                def.min = Some(toml::Value::String("2020-01-01".into()));
                def.max = Some(toml::Value::String("2025-12-31T23:59:59Z".into()));
            }
            PgType::Interval => {
                def.kind = Kind::Int;
                def.min = Some(toml::Value::Integer(0));
                def.max = Some(toml::Value::Integer(86_400));
            }
            PgType::Uuid => def.kind = Kind::Uuid,
            PgType::Inet => def.kind = Kind::Ip,
            PgType::Enum(labels) => {
                def.kind = Kind::Choice;
                def.values = Some(
                    labels
                        .iter()
                        .map(|l| toml::Value::String(l.clone()))
                        .collect(),
                );
            }
            PgType::Json | PgType::Jsonb => {
                def.kind = Kind::Object;
                let mut fields = BTreeMap::new();
                let mut source = ColumnDef::of(Kind::Choice);
                source.values = Some(
                    ["web", "ios", "android", "api"]
                        .iter()
                        .map(|s| toml::Value::String(s.to_string()))
                        .collect(),
                );
                fields.insert("source".to_string(), source);
                let mut n = ColumnDef::of(Kind::Int);
                n.min = Some(toml::Value::Integer(0));
                n.max = Some(toml::Value::Integer(1000));
                fields.insert("value".to_string(), n);
                let mut w = ColumnDef::of(Kind::Words);
                w.count = Some([1, 4]);
                fields.insert("note".to_string(), w);
                def.fields = Some(fields);
            }
            // Elements are inferred from the element type and the column's name at compile time.
            PgType::Array {
                element: Some(_), ..
            } => {
                def.kind = Kind::Array;
                def.count = Some([0, 4]);
            }
            PgType::Array { element: None, .. } => def.kind = Kind::Null,
            PgType::Text { max_chars } => {
                let short = max_chars.is_some_and(|n| n <= 3);
                def.kind = if has(&["email", "mail"]) {
                    Kind::Email
                } else if has(&["first_name", "firstname", "given_name"]) {
                    Kind::FirstName
                } else if has(&["last_name", "lastname", "surname", "family_name"]) {
                    Kind::LastName
                } else if has(&["username", "login", "handle", "nickname"]) {
                    Kind::Username
                } else if has(&["phone", "mobile", "tel", "telephone"]) {
                    Kind::Phone
                } else if has(&["country"]) && short || has(&["country_code", "locale"]) {
                    Kind::CountryCode
                } else if has(&["country"]) {
                    Kind::Country
                } else if has(&["city", "town"]) {
                    Kind::City
                } else if has(&["street", "address", "address1", "line1"]) {
                    Kind::Street
                } else if has(&["company", "organization", "organisation", "employer"]) {
                    Kind::Company
                } else if has(&["url", "website", "homepage", "link"]) {
                    Kind::Url
                } else if has(&["ip", "ip_address"]) {
                    Kind::Ip
                } else if has(&["name", "full_name", "display_name", "fullname"]) {
                    if table.name.contains("account")
                        || table.name.contains("compan")
                        || table.name.contains("org")
                    {
                        Kind::Company
                    } else {
                        Kind::Name
                    }
                } else if has(&["title", "subject", "headline", "summary"]) {
                    def.count = Some([3, 8]);
                    Kind::Sentence
                } else if has(&[
                    "description",
                    "body",
                    "content",
                    "comment",
                    "bio",
                    "notes",
                    "note",
                    "text",
                    "message",
                ]) {
                    def.count = Some([2, 5]);
                    Kind::Sentences
                } else if has(&[
                    "status", "state", "kind", "type", "category", "plan", "role", "tier",
                ]) {
                    def.values = Some(
                        ["active", "pending", "inactive"]
                            .iter()
                            .map(|s| toml::Value::String(s.to_string()))
                            .collect(),
                    );
                    def.weights = Some(vec![80.0, 15.0, 5.0]);
                    Kind::Choice
                } else if has(&["currency"]) {
                    def.values = Some(
                        ["USD", "EUR", "GBP"]
                            .iter()
                            .map(|s| toml::Value::String(s.to_string()))
                            .collect(),
                    );
                    Kind::Choice
                } else if has(&[
                    "token",
                    "hash",
                    "key",
                    "code",
                    "slug",
                    "sku",
                    "reference",
                    "external_id",
                ]) {
                    Kind::Uuid
                } else {
                    def.count = Some([1, 3]);
                    Kind::Words
                };
                if unique && def.kind == Kind::Choice {
                    def.kind = Kind::Words;
                    def.values = None;
                    def.weights = None;
                }
                if let (Some(n), Kind::Uuid) = (max_chars, def.kind) {
                    if *n < 36 {
                        def.kind = Kind::Word;
                    }
                }
            }
            PgType::Bytea => def.kind = Kind::Words,
        }
    }

    // CHECK bounds narrow numeric ranges.
    if matches!(def.kind, Kind::Int | Kind::Float) {
        let int = def.kind == Kind::Int;
        let step = if int {
            1.0
        } else {
            10f64.powi(-(def.decimals.unwrap_or(2) as i32))
        };
        let mut lo = toml_f64(def.min.as_ref()).unwrap_or(0.0);
        let mut hi = toml_f64(def.max.as_ref()).unwrap_or(1e6);
        if let Some(m) = facts.min {
            let m = if facts.min_exclusive { m + step } else { m };
            lo = m;
            if hi < lo {
                hi = lo + 1000.0 * step;
            }
        }
        if let Some(m) = facts.max {
            let m = if facts.max_exclusive { m - step } else { m };
            hi = m;
            if lo > hi {
                lo = (hi - 1000.0 * step).max(facts.min.unwrap_or(f64::MIN));
            }
        }
        def.min = Some(if int {
            toml::Value::Integer(lo.ceil() as i64)
        } else {
            toml::Value::Float(lo)
        });
        def.max = Some(if int {
            toml::Value::Integer(hi.floor() as i64)
        } else {
            toml::Value::Float(hi)
        });
    }

    if !column.not_null && !def.unique && def.kind != Kind::Sequence {
        def.nulls = if has(&[
            "deleted_at",
            "archived_at",
            "cancelled_at",
            "canceled_at",
            "deleted",
            "archived",
        ]) {
            0.9
        } else {
            0.05
        };
    }
    def
}

fn toml_f64(v: Option<&toml::Value>) -> Option<f64> {
    match v? {
        toml::Value::Integer(i) => Some(*i as f64),
        toml::Value::Float(f) => Some(*f),
        _ => None,
    }
}

fn toml_time(v: Option<&toml::Value>) -> Option<Result<i64, String>> {
    Some(match v? {
        toml::Value::String(s) => copy::parse_timestamp(s).ok_or_else(|| s.clone()),
        toml::Value::Datetime(d) => {
            let s = d.to_string();
            copy::parse_timestamp(&s).ok_or(s)
        }
        other => Err(other.to_string()),
    })
}

fn toml_value(v: &toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::Text(s.clone()),
        toml::Value::Integer(i) => Value::Int(*i),
        toml::Value::Float(f) => Value::Float(*f),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => copy::parse_timestamp(&d.to_string())
            .map(Value::Timestamp)
            .unwrap_or(Value::Text(d.to_string())),
        other => Value::Json(serde_json::to_string(other).unwrap_or_default()),
    }
}

/// Compiles a definition for one column, checking it against the column's constraints.
fn compile(
    ctx: &mut Ctx,
    table: &Table,
    column: &Column,
    ty: &PgType,
    def: &ColumnDef,
    seed: u64,
    label: &str,
) -> Result<Gen, String> {
    let rows = ctx.rows.get(&table.key()).copied().unwrap_or(0);
    let facts = facts_for(table, &column.name);
    let max_chars = match ty {
        PgType::Text { max_chars } => *max_chars,
        _ => None,
    };
    if !(0.0..=1.0).contains(&def.nulls) {
        return Err(format!(
            "{label}: nulls = {} must be between 0 and 1",
            def.nulls
        ));
    }
    if def.nulls > 0.0 && column.not_null {
        return Err(format!(
            "{label}: nulls = {} but the column is NOT NULL",
            def.nulls
        ));
    }
    let perm = |n: u128| -> Result<Option<Permutation>, String> {
        if !def.unique {
            return Ok(None);
        }
        if n < rows as u128 {
            return Err(format!(
                "{label}: it is unique but its generator has only {n} distinct values for {rows} rows"
            ));
        }
        Ok(Some(Permutation::new(n.min(u64::MAX as u128) as u64, seed)))
    };
    // `unit`: what a time bound is divided by (microseconds; a day's for dates).
    let dist_unordered = |lo: f64, hi: f64, unit: f64| -> Result<Dist, String> {
        Ok(match def.distribution {
            Distribution::Uniform => Dist::Uniform,
            Distribution::Normal => Dist::Normal {
                mean: def.mean.unwrap_or((lo + hi) / 2.0),
                std_dev: def
                    .std_dev
                    .unwrap_or((hi - lo) / 6.0)
                    .max(f64::MIN_POSITIVE),
            },
            Distribution::Zipf => Dist::Zipf(
                rand_distr::Zipf::new((hi - lo + 1.0).max(1.0), def.exponent.unwrap_or(1.1))
                    .map_err(|e| format!("{label}: the zipf distribution is invalid: {e}"))?,
            ),
            Distribution::Histogram => {
                // Numbers as they are; times in microseconds, as `lo` and `hi` are then.
                let bounds: Vec<f64> = def
                    .bounds
                    .iter()
                    .flatten()
                    .map(|b| match b {
                        toml::Value::String(t) => copy::parse_timestamp(t)
                            .map(|us| (us as f64 / unit).floor())
                            .ok_or_else(|| format!("{label}: the bound \"{t}\" is not a time such as \"2024-01-31T12:00:00Z\"")),
                        other => toml_f64(Some(other))
                            .ok_or_else(|| format!("{label}: the bound {other} is not a number")),
                    })
                    .collect::<Result<_, _>>()?;
                if bounds.len() < 2
                    || bounds
                        .windows(2)
                        .any(|w| w[0].partial_cmp(&w[1]).is_none_or(|o| o.is_gt()))
                {
                    return Err(format!(
                        "{label}: distribution = \"histogram\" needs bounds, at least two, ascending"
                    ));
                }
                if bounds[0] < lo || bounds[bounds.len() - 1] > hi {
                    return Err(format!(
                        "{label}: the histogram's bounds {} to {} fall outside min and max ({lo} to {hi})",
                        bounds[0],
                        bounds[bounds.len() - 1]
                    ));
                }
                Dist::Histogram(bounds)
            }
        })
    };
    let dist_in = |lo: f64, hi: f64, unit: f64| -> Result<Dist, String> {
        let base = dist_unordered(lo, hi, unit)?;
        let Some(order) = def.order else {
            return Ok(base);
        };
        if def.unique {
            return Err(format!(
                "{label}: order and unique together: a unique column in row order is kind = \"sequence\""
            ));
        }
        match base {
            Dist::Uniform | Dist::Histogram(_) => Ok(Dist::Ordered {
                inner: Box::new(base),
                rows,
                descending: order == crate::seed::definition::Order::Descending,
            }),
            _ => Err(format!(
                "{label}: order needs distribution = \"uniform\" or \"histogram\""
            )),
        }
    };
    let dist = |lo: f64, hi: f64| dist_in(lo, hi, 1.0);
    let check_range = |lo: f64, hi: f64| -> Result<(), String> {
        let below = facts
            .min
            .is_some_and(|m| lo < m || (facts.min_exclusive && lo <= m));
        let above = facts
            .max
            .is_some_and(|m| hi > m || (facts.max_exclusive && hi >= m));
        if below || above {
            let c = table
                .checks
                .iter()
                .find(|(c, _)| *c == column.name)
                .map(|(_, d)| d.as_str())
                .unwrap_or("CHECK");
            return Err(format!(
                "{label}: its range {lo}..{hi} breaks the constraint {c}"
            ));
        }
        Ok(())
    };
    let fits = |s: &str| -> Result<(), String> {
        if let Some(n) = max_chars {
            if s.chars().count() > n {
                return Err(format!(
                    "{label}: the value \"{s}\" is {} characters, longer than the column's {}",
                    s.chars().count(),
                    column.type_name
                ));
            }
        }
        if let Some(allowed) = &facts.values {
            if !allowed.iter().any(|a| a == s) {
                return Err(format!(
                    "{label}: the value \"{s}\" is not allowed by its CHECK constraint (allowed: {})",
                    allowed.join(", ")
                ));
            }
        }
        if let PgType::Enum(labels) = ty {
            if !labels.iter().any(|l| l == s) {
                return Err(format!(
                    "{label}: the value \"{s}\" is not a label of its enum type {} ({})",
                    column.type_name,
                    labels.join(", ")
                ));
            }
        }
        Ok(())
    };

    Ok(match def.kind {
        Kind::Array => {
            let PgType::Array {
                element: Some(element_ty),
                ..
            } = ty
            else {
                return Err(format!(
                    "{label}: kind = \"array\" needs an array column of a type the seeder can write, not {}",
                    column.type_name
                ));
            };
            let count = def.count.unwrap_or([0, 4]);
            if count[0] > count[1] || count[1] > 10_000 {
                return Err(format!(
                    "{label}: count = [{}, {}] must be a range [min, max] of at most 10000 elements",
                    count[0], count[1]
                ));
            }
            let mut element_def = match &def.element {
                Some(d) => (**d).clone(),
                None => infer(table, column, element_ty),
            };
            let element_nulls = element_def.nulls;
            if !(0.0..=1.0).contains(&element_nulls) {
                return Err(format!(
                    "{label}: element nulls = {element_nulls} must be between 0 and 1"
                ));
            }
            if element_def.unique || matches!(element_def.kind, Kind::Array | Kind::Reference) {
                return Err(format!(
                    "{label}: an array element cannot be unique, another array or a reference"
                ));
            }
            // NULL elements are the array's business, not the column's NOT NULL.
            element_def.nulls = 0.0;
            let element = compile(
                ctx,
                table,
                column,
                element_ty,
                &element_def,
                seed ^ 0x9e37_79b9_7f4a_7c15,
                &format!("{label} (element)"),
            )?;
            Gen::Array {
                element: Box::new(element),
                count,
                element_nulls,
            }
        }
        Kind::Null => {
            if column.not_null {
                return Err(format!(
                    "{label}: kind = \"null\" but the column is NOT NULL"
                ));
            }
            Gen::Null
        }
        Kind::Default => Gen::Null,
        Kind::Constant => {
            let v = def
                .value
                .as_ref()
                .ok_or_else(|| format!("{label}: kind = \"constant\" needs a value"))?;
            let v = toml_value(v);
            if let Value::Text(s) = &v {
                fits(s)?;
            }
            perm(1)?;
            Gen::Constant(v)
        }
        Kind::Sequence => {
            let start = def.start.unwrap_or(1);
            let step = def.step.unwrap_or(1);
            if step == 0 {
                return Err(format!("{label}: a sequence's step cannot be 0"));
            }
            let last = start as f64 + step as f64 * rows.saturating_sub(1) as f64;
            let limit = match ty {
                PgType::Int2 => i16::MAX as f64,
                PgType::Int4 => i32::MAX as f64,
                _ => i64::MAX as f64,
            };
            if last > limit {
                return Err(format!(
                    "{label}: the sequence reaches {last}, beyond what {} holds",
                    column.type_name
                ));
            }
            if let Some(n) = max_chars {
                let len = (last.abs() as u64).to_string().len();
                if len > n {
                    return Err(format!(
                        "{label}: the sequence reaches {last} ({len} characters), longer than the column's {}",
                        column.type_name
                    ));
                }
            }
            Gen::Sequence { start, step }
        }
        Kind::Int => {
            let lo_default = facts
                .min
                .map(|m| if facts.min_exclusive { m + 1.0 } else { m })
                .unwrap_or(0.0);
            let hi_default = facts
                .max
                .map(|m| if facts.max_exclusive { m - 1.0 } else { m })
                .unwrap_or(lo_default + 1_000_000.0);
            let lo = toml_f64(def.min.as_ref()).unwrap_or(lo_default).ceil() as i64;
            let hi = toml_f64(def.max.as_ref()).unwrap_or(hi_default).floor() as i64;
            if lo > hi {
                return Err(format!("{label}: min {lo} is greater than max {hi}"));
            }
            check_range(lo as f64, hi as f64)?;
            let type_max = match ty {
                PgType::Int2 => Some(i16::MAX as i64),
                PgType::Int4 => Some(i32::MAX as i64),
                _ => None,
            };
            if let Some(tm) = type_max {
                if hi > tm || lo < -tm - 1 {
                    return Err(format!(
                        "{label}: its range {lo}..{hi} does not fit {}",
                        column.type_name
                    ));
                }
            }
            if let Some(n) = max_chars {
                let len = lo.to_string().len().max(hi.to_string().len());
                if len > n {
                    return Err(format!(
                        "{label}: numbers up to {hi} are longer than the column's {}",
                        column.type_name
                    ));
                }
            }
            Gen::Int {
                min: lo,
                max: hi,
                dist: dist(lo as f64, hi as f64)?,
                unique: perm((hi as i128 - lo as i128 + 1) as u128)?,
            }
        }
        Kind::Float => {
            let lo = toml_f64(def.min.as_ref()).unwrap_or(facts.min.unwrap_or(0.0));
            let hi = toml_f64(def.max.as_ref()).unwrap_or(facts.max.unwrap_or(lo + 1000.0));
            if lo > hi {
                return Err(format!("{label}: min {lo} is greater than max {hi}"));
            }
            check_range(lo, hi)?;
            let decimals = def.decimals.unwrap_or(match ty {
                PgType::Numeric { scale: Some(s) } => *s,
                _ => 2,
            });
            if let Some((p, s)) = numeric_precision(&column.type_name) {
                let limit = 10f64.powi(p as i32 - s as i32);
                if hi.abs() >= limit || lo.abs() >= limit {
                    return Err(format!(
                        "{label}: its range {lo}..{hi} does not fit {}",
                        column.type_name
                    ));
                }
            }
            let n = ((hi - lo) * 10f64.powi(decimals as i32)).floor() as u128 + 1;
            Gen::Float {
                min: lo,
                max: hi,
                dist: dist(lo, hi)?,
                decimals,
                unique: perm(n)?,
            }
        }
        Kind::Bool => {
            perm(2)?;
            Gen::Bool {
                true_fraction: def.true_fraction.unwrap_or(0.5),
            }
        }
        Kind::Date | Kind::Timestamp => {
            let parse = |v: Option<&toml::Value>, default: &str| -> Result<i64, String> {
                match toml_time(v) {
                    None => Ok(copy::parse_timestamp(default).unwrap_or(0)),
                    Some(Ok(t)) => Ok(t),
                    Some(Err(s)) => Err(format!(
                        "{label}: \"{s}\" is not a date such as \"2024-01-31\" or \"2024-01-31T12:00:00Z\""
                    )),
                }
            };
            let lo = parse(def.min.as_ref(), "2020-01-01")?;
            let hi = parse(def.max.as_ref(), "2025-12-31T23:59:59Z")?;
            if lo > hi {
                return Err(format!("{label}: min is after max"));
            }
            if def.kind == Kind::Date || *ty == PgType::Date {
                let (lo, hi) = (
                    lo.div_euclid(copy::US_PER_DAY),
                    hi.div_euclid(copy::US_PER_DAY),
                );
                Gen::Date {
                    min: lo,
                    max: hi,
                    unique: perm((hi - lo + 1) as u128)?,
                    dist: match (def.distribution, def.order) {
                        (Distribution::Histogram, _) | (_, Some(_)) => {
                            dist_in(lo as f64, hi as f64, copy::US_PER_DAY as f64)?
                        }
                        _ => Dist::Uniform,
                    },
                }
            } else {
                Gen::Timestamp {
                    min: lo,
                    max: hi,
                    unique: perm((hi - lo + 1) as u128)?,
                    dist: match (def.distribution, def.order) {
                        (Distribution::Histogram, _) | (_, Some(_)) => dist(lo as f64, hi as f64)?,
                        _ => Dist::Uniform,
                    },
                }
            }
        }
        Kind::Choice => {
            let values = def
                .values
                .as_ref()
                .filter(|v| !v.is_empty())
                .ok_or_else(|| {
                    format!("{label}: kind = \"choice\" needs a non-empty values list")
                })?;
            let values: Vec<Value> = values.iter().map(toml_value).collect();
            for v in &values {
                if let Value::Text(s) = v {
                    fits(s)?;
                }
            }
            let weights = match &def.weights {
                Some(w) if w.len() != values.len() => {
                    return Err(format!(
                        "{label}: {} weights for {} values",
                        w.len(),
                        values.len()
                    ))
                }
                Some(w) if w.iter().any(|x| *x < 0.0) || w.iter().sum::<f64>() <= 0.0 => {
                    return Err(format!("{label}: weights must be positive"))
                }
                Some(w) => w.clone(),
                None => vec![1.0; values.len()],
            };
            let mut acc = 0.0;
            let cumulative = weights
                .iter()
                .map(|w| {
                    acc += w;
                    acc
                })
                .collect();
            Gen::Choice {
                unique: perm(values.len() as u128)?,
                values,
                cumulative,
            }
        }
        Kind::Uuid => {
            if let Some(n) = max_chars {
                if n < 36 {
                    return Err(format!(
                        "{label}: a uuid is 36 characters, longer than the column's {}",
                        column.type_name
                    ));
                }
            }
            Gen::Uuid
        }
        Kind::Ip | Kind::Ipv6 => {
            let v6 = def.kind == Kind::Ipv6;
            if let Some(n) = max_chars {
                let need = if v6 { 39 } else { 15 };
                if n < need {
                    return Err(format!(
                        "{label}: an IP address can be {need} characters, longer than the column's {}",
                        column.type_name
                    ));
                }
            }
            Gen::Ip {
                v6,
                unique: perm(if v6 { u64::MAX as u128 } else { 1u128 << 32 })?,
            }
        }
        Kind::Object => {
            let mut fields = Vec::new();
            for (name, f) in def.fields.iter().flatten() {
                let sub = Column {
                    name: name.clone(),
                    type_name: "jsonb field".into(),
                    ty: None,
                    not_null: f.nulls == 0.0,
                    default: None,
                    sequence: None,
                    generated: false,
                };
                let sub_ty = match f.kind {
                    Kind::Object => PgType::Jsonb,
                    _ => PgType::Text { max_chars: None },
                };
                let sub_seed = hash_name(seed, name);
                let mut no_unique = f.clone();
                no_unique.unique = false;
                let gen = compile(
                    ctx,
                    table,
                    &sub,
                    &sub_ty,
                    &no_unique,
                    sub_seed,
                    &format!("{label}.{name}"),
                )?;
                fields.push(ColumnGen {
                    name: name.clone(),
                    ty: sub_ty,
                    gen,
                    nulls: f.nulls,
                    seed: sub_seed,
                });
            }
            if !matches!(ty, PgType::Json | PgType::Jsonb | PgType::Text { .. }) {
                return Err(format!(
                    "{label}: kind = \"object\" builds JSON, which cannot be written to a column of type {}",
                    column.type_name
                ));
            }
            // The generator writes the fields in this order: jsonb's own key order (shorter
            // keys first, then bytewise), so the server's sort of each object's keys finds
            // them sorted already (PostgreSQL's qsort checks that first) instead of sorting.
            fields.sort_by(|a, b| {
                (a.name.len(), a.name.as_bytes()).cmp(&(b.name.len(), b.name.as_bytes()))
            });
            Gen::Object(fields)
        }
        Kind::Reference => {
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
            Gen::Reference {
                seed: hash_name(seed, "reference"),
                parent: source,
                column: 0,
                pick,
            }
        }
        fake_kind => {
            let kind = match fake_kind {
                Kind::Name => FakeKind::Name,
                Kind::FirstName => FakeKind::FirstName,
                Kind::LastName => FakeKind::LastName,
                Kind::Email => FakeKind::Email,
                Kind::Phone => FakeKind::Phone,
                Kind::Street => FakeKind::Street,
                Kind::City => FakeKind::City,
                Kind::Country => FakeKind::Country,
                Kind::CountryCode => FakeKind::CountryCode,
                Kind::Company => FakeKind::Company,
                Kind::Username => FakeKind::Username,
                Kind::Url => FakeKind::Url,
                Kind::Word => FakeKind::Word,
                Kind::Words => FakeKind::Words,
                Kind::Sentence => FakeKind::Sentence,
                Kind::Sentences => FakeKind::Sentences,
                Kind::Paragraph => FakeKind::Paragraph,
                Kind::UserAgent => FakeKind::UserAgent,
                _ => FakeKind::Paragraphs,
            };
            if def.unique {
                if let Some(n) = max_chars {
                    let digits = rows.saturating_sub(1).to_string().len() + 1;
                    if n < digits + 1 {
                        return Err(format!(
                            "{label}: it is unique, and {rows} distinct values need more than the column's {}",
                            column.type_name
                        ));
                    }
                }
                if kind == FakeKind::CountryCode && rows > 250 {
                    return Err(format!(
                        "{label}: it is unique but there are only about 250 country codes for {rows} rows"
                    ));
                }
            }
            if kind == FakeKind::CountryCode {
                if let Some(n) = max_chars {
                    if n < 2 {
                        return Err(format!(
                            "{label}: a country code is 2 characters, longer than the column's {}",
                            column.type_name
                        ));
                    }
                }
            }
            let count = def.count.unwrap_or(match kind {
                FakeKind::Words => [1, 3],
                FakeKind::Sentence => [4, 10],
                FakeKind::Sentences | FakeKind::Paragraph => [2, 4],
                _ => [1, 2],
            });
            if count[0] > count[1] {
                return Err(format!(
                    "{label}: count = [{}, {}] is not a range",
                    count[0], count[1]
                ));
            }
            Gen::Fake {
                kind,
                count,
                unique: def.unique,
                max_chars,
            }
        }
    })
}

/// Converts keys read as text into values of the parent column's type.
pub fn value_from_text(text: &str, ty: &PgType) -> Value {
    match ty {
        PgType::Int2 | PgType::Int4 | PgType::Int8 => text
            .parse()
            .map(Value::Int)
            .unwrap_or(Value::Text(text.to_string())),
        PgType::Float4 | PgType::Float8 => text
            .parse()
            .map(Value::Float)
            .unwrap_or(Value::Text(text.to_string())),
        PgType::Date => copy::parse_timestamp(text)
            .map(|us| Value::Date(us.div_euclid(copy::US_PER_DAY)))
            .unwrap_or(Value::Text(text.to_string())),
        // Read in a session whose time zone is UTC, so the offset is always +00.
        PgType::Timestamp | PgType::Timestamptz => copy::parse_timestamp(text)
            .map(Value::Timestamp)
            .unwrap_or(Value::Text(text.to_string())),
        PgType::Uuid => parse_uuid(text)
            .map(Value::Uuid)
            .unwrap_or(Value::Text(text.to_string())),
        PgType::Bool => match text {
            "t" | "true" => Value::Bool(true),
            "f" | "false" => Value::Bool(false),
            _ => Value::Text(text.to_string()),
        },
        PgType::Inet => text
            .split('/')
            .next()
            .and_then(|ip| ip.parse().ok())
            .map(Value::Ip)
            .unwrap_or(Value::Text(text.to_string())),
        _ => Value::Text(text.to_string()),
    }
}

/// A UUID as PostgreSQL prints it (`8-4-4-4-12` hex digits).
fn parse_uuid(text: &str) -> Option<[u8; 16]> {
    let hex: Vec<u8> = text.bytes().filter(|b| *b != b'-').collect();
    if hex.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, pair) in hex.chunks(2).enumerate() {
        out[i] = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_read_as_text_come_back_as_the_values_they_print() {
        let ts = value_from_text("2024-01-05 10:00:00.123456+00", &PgType::Timestamptz);
        let Value::Timestamp(us) = ts else {
            panic!("{ts:?}")
        };
        assert_eq!(us.rem_euclid(1_000_000), 123_456);
        assert_eq!(copy::format_timestamp(us), "2024-01-05T10:00:00Z");
        let id = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11";
        let Value::Uuid(u) = value_from_text(id, &PgType::Uuid) else {
            panic!("not a uuid")
        };
        assert_eq!(copy::format_uuid(&u), id);
        assert_eq!(value_from_text("t", &PgType::Bool), Value::Bool(true));
    }

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
