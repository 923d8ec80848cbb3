//! Seeding: production-scale synthetic data from declarative generators, loaded by binary COPY.
//!
//! Definitions (`data-generators/*.toml`, the scenario's `[dataset]`) are resolved against the
//! catalog at each seed point (after the baseline, and before a migration that meets new
//! tables); tables and columns without one are inferred from their type, name and constraints. Everything is validated before the first row is generated. Generation is a
//! pure function of (seed, table, column, row), so the same seed gives byte-identical data
//! whatever the thread scheduling. Seeding must never change the schema: indexes and
//! constraints dropped for speed are recreated from their own definitions.

mod branches;
pub mod catalog;
mod check_facts;
mod column_gen;
mod compile;
mod context;
pub mod copy;
pub mod definition;
pub mod distribution;
mod exclusive_arc;
pub mod fake_text;
mod fk_order;
pub mod generator;
mod infer;
pub mod load;
mod null_coupling;
pub mod ordering;
pub mod orphans;
mod pattern;
pub mod plan;
pub mod progress;
mod reference;
mod reference_kind;
pub mod repair;
pub mod rng;
pub mod row_limits;
pub mod sieve;
pub mod template;
pub mod values;

pub use definition::{DatasetSection, LoadedDefinitions};
pub use load::{LoadOptions, TableLoad};
pub use plan::PlanOptions;
pub use progress::ProgressMode;
pub use template::Template;

use crate::migrations::{CreatedTables, MigrationSet};
use crate::provision::ConnectionInfo;
use crate::Error;
use std::path::Path;
use std::time::Instant;

/// Everything a seeding run needs besides the database.
#[derive(Debug, Clone)]
pub struct SeedRequest {
    /// False: no seed point loads anything (`--no-seed`, `[dataset] enabled = false`).
    pub enabled: bool,
    pub definitions: LoadedDefinitions,
    pub plan: PlanOptions,
    pub load: LoadOptions,
    pub progress: ProgressMode,
    /// Production's rows by schema-qualified table, as the dataset declares them (never
    /// seeded): the hazards are judged at this size and `--predict` extrapolates to it.
    pub production_rows: std::collections::BTreeMap<String, u64>,
}

impl SeedRequest {
    /// From a scenario's `[dataset]` section (None: a bare folder, every table inferred).
    /// Reads the definition file, so a missing or malformed one is reported before anything
    /// starts.
    pub fn from_section(
        section: Option<&DatasetSection>,
        scenario_file: Option<&Path>,
    ) -> Result<SeedRequest, Error> {
        let default = DatasetSection::default();
        let section = section.unwrap_or(&default);
        let definitions = definition::load(section, scenario_file).map_err(Error::Input)?;
        let scale = section.scale.unwrap_or(1.0);
        if !(scale >= 0.0 && scale.is_finite()) {
            return Err(Error::Input(format!(
                "{}: [dataset] scale = {scale} must be a positive number",
                scenario_file
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| "--scale".into())
            )));
        }
        Ok(SeedRequest {
            production_rows: crate::predict::production::declared(&definitions, scale),
            enabled: section.enabled.unwrap_or(true),
            plan: PlanOptions {
                seed: section.seed.unwrap_or(1),
                scale,
                default_rows: definitions.default_rows.unwrap_or(plan::DEFAULT_ROWS),
                infer: section.infer.unwrap_or(true),
                ..PlanOptions::default()
            },
            definitions,
            load: LoadOptions::default(),
            progress: ProgressMode::Auto,
        })
    }

    /// A definition of a table that neither the baseline nor any migration of `set` creates can
    /// never be seeded: bad input, reported before anything starts.
    pub fn check_against(&self, set: &MigrationSet) -> Result<(), Error> {
        let definitions = &self.definitions;
        if definitions.tables.is_empty() {
            return Ok(());
        }
        let created = CreatedTables::read(set.migrations.iter().map(|m| &m.forward));
        for name in definitions.tables.keys() {
            if !created.may_create(&catalog::table_key(name)) {
                return Err(Error::Input(format!(
                    "{}: table \"{name}\" is created by no migration in {}, so it can never be seeded",
                    definitions.sources[name].display(),
                    set.root.display()
                )));
            }
        }
        Ok(())
    }
}

/// What a seeding run did.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SeedOutcome {
    pub seed: u64,
    pub scale: f64,
    /// Wall time of the whole run: catalog, plan, load, index rebuild, vacuum and analyze.
    pub seconds: f64,
    pub tables: Vec<TableLoad>,
    /// Tables nobody defined that got fewer rows than asked for, and why.
    pub limits: Vec<row_limits::RowLimit>,
}

impl SeedOutcome {
    /// Adds a later seed point's outcome to this one: the tables of both, the time of both.
    pub fn absorb(&mut self, later: SeedOutcome) {
        self.seconds += later.seconds;
        self.tables.extend(later.tables);
        self.limits.extend(later.limits);
    }

    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }
    pub fn bytes(&self) -> u64 {
        self.tables.iter().map(|t| t.table_bytes).sum()
    }
}

/// Builds the plan without loading anything: catalog, definitions, inference, validation.
pub async fn plan(conn: &ConnectionInfo, request: &SeedRequest) -> Result<plan::Plan, Error> {
    let client = conn
        .connect()
        .await
        .map_err(|e| Error::Environment(format!("could not connect to seed the database: {e}")))?;
    let catalog = catalog::read(&client)
        .await
        .map_err(|e| Error::Environment(format!("could not read the catalog to seed: {e}")))?;
    // Keys are read as text; in UTC a timestamptz prints with the offset `value_from_text` reads.
    client
        .batch_execute("SET TIME ZONE 'UTC'")
        .await
        .map_err(|e| Error::Environment(format!("could not read the keys to seed: {e}")))?;
    let mut existing = context::ExistingKeys::new();
    for (table, columns) in plan::existing_parents(&catalog, &request.definitions, &request.plan) {
        let t = &catalog.tables[&table];
        let cols: Vec<String> = columns
            .iter()
            .map(|c| format!("{}::text", crate::identifier::quote(c)))
            .collect();
        let q = format!(
            "SELECT {} FROM {} ORDER BY 1 LIMIT 1000000",
            cols.join(", "),
            t.qualified()
        );
        let rows = client
            .query(&q, &[])
            .await
            .map_err(|e| Error::Environment(format!("could not read the keys of {table}: {e}")))?;
        let keys = rows
            .iter()
            .map(|r| {
                columns
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        let text: Option<String> = r.get(i);
                        let ty = t
                            .column(c)
                            .and_then(|c| c.ty.clone())
                            .unwrap_or(values::PgType::Text { max_chars: None });
                        text.map(|s| values::value_from_text(&s, &ty))
                            .unwrap_or(values::Value::Null)
                    })
                    .collect()
            })
            .collect();
        existing.insert(table, keys);
    }
    plan::build(&catalog, &request.definitions, &request.plan, &existing).map_err(Error::Input)
}

/// Seeds the database: plan, validate, load. Nothing is generated when validation fails.
pub async fn seed(conn: &ConnectionInfo, request: &SeedRequest) -> Result<SeedOutcome, Error> {
    let started = Instant::now();
    let plan = plan(conn, request).await?;
    let progress = progress::SeedProgress::new(request.progress);
    let tables = load::load(conn, &plan, &request.load, &progress)
        .await
        .map_err(|e| match e.into_sentence() {
            (true, m) => Error::Input(m),
            (false, m) => Error::Environment(m),
        })?;
    let mut limits = plan.limits;
    limits.extend(tables.iter().filter_map(refused_limit));
    Ok(SeedOutcome {
        seed: request.plan.seed,
        scale: request.plan.scale,
        seconds: started.elapsed().as_secs_f64(),
        tables,
        limits,
    })
}

/// A table the server did not take every generated row of: the sieve's refusals and the rows
/// removed after the load, as a limit with the lines that would fix it.
fn refused_limit(load: &TableLoad) -> Option<row_limits::RowLimit> {
    if load.sieved.is_none() && load.removed.is_empty() {
        return None;
    }
    let mut reasons = Vec::new();
    let mut asked = load.rows + load.removed.iter().map(|(n, _)| n).sum::<u64>();
    if let Some(s) = &load.sieved {
        asked = s.asked;
        reasons.push(s.reason.clone());
    }
    reasons.extend(load.removed.iter().map(|(_, why)| why.clone()));
    Some(row_limits::RowLimit {
        table: load.table.clone(),
        asked,
        rows: load.rows,
        reason: reasons.join("; "),
        fix: Some(
            load.sieved
                .as_ref()
                .map(|s| s.fix.clone())
                .unwrap_or_else(|| sieve::fix_for_removed(&load.table)),
        ),
    })
}

impl SeedOutcome {
    /// The report's seed section.
    pub fn report(&self) -> crate::report::SeedReport {
        let mb = |bytes: u64, secs: f64| bytes as f64 / 1e6 / secs.max(1e-9);
        crate::report::SeedReport {
            seed: self.seed,
            scale: self.scale,
            rows: self.rows(),
            bytes: self.bytes(),
            seconds: self.seconds,
            mb_per_s: mb(self.bytes(), self.seconds),
            tables: self
                .tables
                .iter()
                .map(|t| crate::report::SeedTableReport {
                    table: t.table.clone(),
                    rows: t.rows,
                    bytes: t.table_bytes,
                    copy_bytes: t.copy_bytes,
                    seconds: t.seconds,
                    mb_per_s: mb(t.table_bytes, t.seconds),
                    inferred: t.inferred,
                })
                .collect(),
            limits: self
                .limits
                .iter()
                .map(|l| crate::report::SeedLimit {
                    table: l.table.clone(),
                    asked: l.asked,
                    rows: l.rows,
                    reason: l.reason.clone(),
                    fix: l.fix.clone(),
                })
                .collect(),
            template: None,
            template_seconds: None,
        }
    }
}
