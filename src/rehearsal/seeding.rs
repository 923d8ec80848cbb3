//! Seed points: before each rehearsed migration, the tables that earlier migrations created and
//! left empty get their synthetic rows, and the template follows the seeded state so that a
//! reset replays only the migrations after it. The first seed point is right after the baseline.
//! Each table is considered once, at the first seed point where it exists: a table a migration
//! filled (a lookup table) is left alone, and one a later migration empties is not refilled.

use super::blame::{self, Needs};
use super::{connect, Progress};
use crate::migrations::Migration;
use crate::provision::{Database, ProviderKind};
use crate::report::{MigrationReport, SeedReport, TableSize};
use crate::seed::{self, catalog::table_key, SeedOutcome, SeedRequest, Template};
use crate::Error;
use std::collections::BTreeSet;
use std::path::Path;
use tokio_postgres::Client;

/// Replays shorter than this are never worth a clone, however fast the clone: a small
/// database's migrations replay in milliseconds.
const MIN_REFRESH_SECONDS: f64 = 1.0;

/// The seeded table a forward failed on.
pub(super) struct FailedOn {
    /// (schema, name).
    pub table: (String, String),
    /// Any table with rows would refuse the statement (`ADD COLUMN ... NOT NULL` without a
    /// default): the failure is the migration's, not the inferred rows'.
    pub own_failure: bool,
}

pub(super) struct SeedPoints {
    /// `[migrations] init_sql`, for the migration session a seed point reconnects.
    init_sql: Option<String>,
    request: SeedRequest,
    keep_template: bool,
    template: Option<Template>,
    /// Rehearsed migrations the template holds: a reset replays the ones after them.
    template_at: usize,
    /// Every clone into the template, summed.
    template_seconds: f64,
    /// Tables an earlier seed point considered, by `schema.name`.
    known: BTreeSet<String>,
    /// Every seed point's outcome, summed.
    outcome: Option<SeedOutcome>,
    /// The tables seed points loaded, by oid, with the name they had then: a later migration
    /// may rename one (`packages` to `crates`), and its rows are still rehearse's.
    seeded_oids: std::collections::BTreeMap<u32, String>,
    /// Seed points after the template that loaded rows: (the rehearsed migration they precede,
    /// the tables known before them). A reset replays them between the forwards, so the
    /// template need not be cloned again at every seed point.
    since_template: Vec<(usize, BTreeSet<String>)>,
    /// Seconds the last clone into the template took: what refreshing it costs.
    clone_seconds: f64,
    /// What a reset would replay now: the forwards and seed points since the template, in ms.
    replay_ms: f64,
    /// The first seed point leaves the template to [`SeedPoints::take_template`]: the cache
    /// stores the state before a template database doubles it.
    defer_template: bool,
}

/// What the seed points know after the first one, beside the database: kept with a cached
/// state, so that a run restoring it goes on exactly as the run that stored it.
#[derive(serde::Serialize, serde::Deserialize)]
struct Saved {
    known: BTreeSet<String>,
    outcome: Option<SeedOutcome>,
    seeded_oids: std::collections::BTreeMap<u32, String>,
}

impl SeedPoints {
    /// `keep_template`: keep the state as a template so that a reset is a clone.
    pub fn new(
        mut request: SeedRequest,
        keep_template: bool,
        init_sql: Option<&str>,
    ) -> SeedPoints {
        // A definition of a table a later migration creates waits for it; [`SeedRequest::check_against`]
        // refused those no migration creates.
        request.plan.defer_missing = true;
        SeedPoints {
            request,
            keep_template,
            init_sql: init_sql.map(str::to_string),
            template: None,
            template_at: 0,
            template_seconds: 0.0,
            known: BTreeSet::new(),
            outcome: None,
            seeded_oids: Default::default(),
            since_template: Vec::new(),
            clone_seconds: 0.0,
            replay_ms: 0.0,
            defer_template: false,
        }
    }

    /// What [`SeedPoints::restore`] needs to go on from this state (oids included: a physical
    /// copy of the cluster keeps them).
    pub fn save(&self) -> serde_json::Value {
        serde_json::to_value(Saved {
            known: self.known.clone(),
            outcome: self.outcome.clone(),
            seeded_oids: self.seeded_oids.clone(),
        })
        .unwrap_or(serde_json::Value::Null)
    }

    /// Takes back what [`SeedPoints::save`] kept, on a database restored from that state.
    pub fn restore(&mut self, saved: serde_json::Value) -> Result<(), String> {
        let saved: Saved = serde_json::from_value(saved).map_err(|e| e.to_string())?;
        self.known = saved.known;
        self.outcome = saved.outcome;
        self.seeded_oids = saved.seeded_oids;
        Ok(())
    }

    /// The first seed point will not take the template: [`SeedPoints::take_template`] will.
    pub fn defer_template(&mut self) {
        self.defer_template = true;
    }

    /// Takes the template the first seed point left (see [`SeedPoints::defer_template`]), when
    /// one is kept and a migration follows; the client comes back reconnected.
    pub async fn take_template(
        &mut self,
        database: &Database,
        client: Client,
        next: Option<&Migration>,
        progress: &dyn Progress,
    ) -> Result<Client, Error> {
        self.defer_template = false;
        if next.is_none() || !self.keep_template || self.template.is_some() {
            return Ok(client);
        }
        drop(client);
        self.keep_state(database, 0, progress).await;
        connect(database, self.init_sql.as_deref()).await
    }

    /// When a direction of `report` failed on rows that a seed point generated without a
    /// definition (a NOT NULL, foreign key, unique or CHECK error on an inferred column), says so
    /// in its finding and names the column to define: the error is then rehearse's guess at the
    /// data, not necessarily what production would give. Returns the seeded table the forward
    /// failed on, and whether the failure is the migration's own (any rows would refuse it) or
    /// the inferred rows'.
    pub async fn explain_inferred(
        &self,
        client: &Client,
        report: &mut MigrationReport,
    ) -> Option<FailedOn> {
        // A statement no table with rows can take fails on production's rows as well: the
        // migration's own failure, whatever rehearse seeded. The run can still go on past it
        // once the seeded rows of that table are gone.
        if let Some(failed) = report.forward.statements.iter().find(|s| !s.ok) {
            if let Needs::NoRows { column } = blame::needs(&failed.sql) {
                if let Some(f) = report
                    .findings
                    .iter_mut()
                    .find(|f| f.kind == "forward_failed")
                {
                    f.advice = Some(blame::add_required_column_advice(&column));
                }
                let culprit = report.forward.error.as_ref()?.culprit.as_ref()?;
                let (schema, name, _) = self.seeded_root(client, culprit).await?;
                return Some(FailedOn {
                    table: (schema, name),
                    own_failure: true,
                });
            }
            // An INSERT ... SELECT that leaves a required column out fails on any row it copies:
            // the migration's own failure, and the table it copies from is the seeded one.
            let error = report.forward.error.as_ref();
            let column = error
                .filter(|e| e.code.as_deref() == Some("23502"))
                .and_then(|e| e.culprit.as_ref())
                .and_then(|c| match c.columns.as_slice() {
                    [column] => Some(column.clone()),
                    _ => None,
                });
            if let Some(column) = column.filter(|c| blame::insert_leaves_out(&failed.sql, c)) {
                if let Some(source) = blame::copied_from(&failed.sql) {
                    if let Some((schema, name, _)) = self.seeded_root(client, &source).await {
                        let advice =
                            blame::insert_leaves_out_advice(&column, &format!("{schema}.{name}"));
                        if let Some(f) = report
                            .findings
                            .iter_mut()
                            .find(|f| f.kind == "forward_failed")
                        {
                            f.advice = Some(advice);
                        }
                        return Some(FailedOn {
                            table: (schema, name),
                            own_failure: true,
                        });
                    }
                }
            }
        }
        let outcome = self.outcome.as_ref()?;
        let mut forward_culprit = None;
        let directions = [
            ("forward_failed", Some(&report.forward)),
            ("rollback_failed", report.rollback.as_ref()),
            ("redo_failed", report.redo.as_ref()),
        ];
        let mut explained = Vec::new();
        for (kind, direction) in directions {
            let Some(error) = direction.and_then(|d| d.error.as_ref()) else {
                continue;
            };
            // A value the statement could not convert (class 22: a USING cast, an UPDATE's
            // arithmetic) names no table: the statement does.
            let from_statement = error
                .code
                .as_deref()
                .filter(|code| code.starts_with("22"))
                .and_then(|_| direction?.statements.iter().find(|s| !s.ok))
                .and_then(|s| blame::converted(&s.sql));
            let Some(mut culprit) = error.culprit.as_ref().or(from_statement.as_ref()) else {
                continue;
            };
            // Rows the statement wrote itself, copied from a seeded table (`INSERT ... SELECT
            // FROM spaces`): the values it refused are that table's inferred ones.
            let copied = direction
                .and_then(|d| d.statements.iter().find(|s| !s.ok))
                .and_then(|s| blame::copied_from(&s.sql));
            if self.seeded_root(client, culprit).await.is_none() {
                if let Some(source) = copied.as_ref() {
                    culprit = source;
                }
            }
            let Some((schema, name, seeded_as)) = self.seeded_root(client, culprit).await else {
                continue;
            };
            let root = format!("{schema}.{name}");
            let Some(load) = outcome.tables.iter().find(|t| t.table == seeded_as) else {
                continue;
            };
            let defined = self.defined_columns(&seeded_as);
            let columns: Vec<&String> = culprit
                .columns
                .iter()
                .filter(|c| load.inferred || !defined.contains(*c))
                .collect();
            // Named columns all defined by the user, or no column named on a defined table: the
            // rows are the user's.
            if columns.is_empty() && !(culprit.columns.is_empty() && load.inferred) {
                continue;
            }
            let what = if columns.is_empty() {
                format!(
                    "the columns of {} on {root}",
                    culprit.constraint.as_deref().unwrap_or("the constraint")
                )
            } else {
                columns
                    .iter()
                    .map(|c| format!("{root}.{c}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let direction = direction.expect("a culprit comes from a direction");
            let nulls_inferred = direction.error.as_ref().and_then(|e| e.code.as_deref())
                == Some("23502")
                && !columns.is_empty();
            let why = if nulls_inferred {
                format!(
                    " ({} {} nullable, so inference gave it NULLs in some rows, as a nullable column may hold in production: if production has none, the migration is safe there)",
                    columns.iter().map(|c| format!("{root}.{c}")).collect::<Vec<_>>().join(", "),
                    if columns.len() == 1 { "is" } else { "are" }
                )
            } else {
                String::new()
            };
            explained.push((
                kind,
                format!(
                    "The rows it fails on are rehearse's inferred data, not a definition of yours{why}: define {what} in the dataset (data-generators/README.md) with the values production holds, or give {root} `skip = true` when production has no rows there, then rehearse again"
                ),
            ));
            if kind == "forward_failed" {
                forward_culprit = Some((schema, name));
            }
        }
        for (kind, advice) in explained {
            if let Some(f) = report.findings.iter_mut().find(|f| f.kind == kind) {
                f.message.push_str(" (on inferred data)");
                f.advice = Some(advice);
            }
        }
        forward_culprit.map(|table| FailedOn {
            table,
            own_failure: false,
        })
    }

    /// Every table a seed point loaded, by `schema.name`: the only ones whose rows a repair may
    /// remove.
    pub async fn seeded_tables(&self, client: &Client) -> BTreeSet<u32> {
        let mut oids: BTreeSet<u32> = self.seeded_oids.keys().copied().collect();
        // A reset replays the migrations after the template: the tables they create are made
        // again, with new oids, under the names they were seeded with.
        let names: Vec<&String> = self.seeded_oids.values().collect();
        if let Ok(rows) = client
            .query(
                "SELECT to_regclass(quote_ident(split_part(t, '.', 1)) || '.' || quote_ident(substr(t, strpos(t, '.') + 1)))::oid
                   FROM unnest($1::text[]) t",
                &[&names],
            )
            .await
        {
            oids.extend(rows.iter().filter_map(|r| r.get::<_, Option<u32>>(0)));
        }
        oids
    }

    /// The seeded table (schema, name) an error names, if a seed point loaded it.
    pub async fn seeded_table(
        &self,
        client: &Client,
        culprit: &crate::report::Culprit,
    ) -> Option<(String, String)> {
        self.seeded_root(client, culprit)
            .await
            .map(|(schema, name, _)| (schema, name))
    }

    /// The seeded table an error names, by its name now, and the name it was seeded under
    /// (`schema.name`): a partition's rows were generated through its partitioned table, and a
    /// table may have been renamed since. None when a seed point did not load it.
    async fn seeded_root(
        &self,
        client: &Client,
        culprit: &crate::report::Culprit,
    ) -> Option<(String, String, String)> {
        let row = client
            .query_opt(
                "SELECT n.nspname, c.relname, c.oid FROM pg_class c
                   JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE c.oid = coalesce(pg_partition_root(to_regclass($1)), to_regclass($1))",
                &[&if culprit.schema.is_empty() {
                    crate::identifier::quote(&culprit.table)
                } else {
                    crate::identifier::quote_qualified(&culprit.schema, &culprit.table)
                }],
            )
            .await
            .ok()
            .flatten()?;
        let (schema, name): (String, String) = (row.get(0), row.get(1));
        let now = format!("{schema}.{name}");
        let seeded_as = match self.seeded_oids.get(&row.get::<_, u32>(2)) {
            Some(then) => then.clone(),
            // Made again by a reset's replay, under the name it was seeded with.
            None => self.seeded_oids.values().find(|then| **then == now)?.clone(),
        };
        Some((schema, name, seeded_as))
    }

    /// The columns the dataset defines for `table` (`schema.name`).
    fn defined_columns(&self, table: &str) -> BTreeSet<String> {
        let defs = &self.request.definitions.tables;
        let short = table.strip_prefix("public.").unwrap_or(table);
        defs.get(table)
            .or_else(|| defs.get(short))
            .map(|d| d.columns.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Tables no seed point fills (the migration tool's bookkeeping table), by `schema.name`.
    pub fn leave_alone(&mut self, tables: impl IntoIterator<Item = String>) {
        self.known.extend(tables);
    }

    /// The seed point before rehearsed migration `at` (`next`; None when nothing is rehearsed
    /// after the baseline). Seeds the tables no earlier seed point saw; then, when there is no
    /// template yet, clones the state into the template, which ends every session on the
    /// database: the client comes back reconnected. A later seed point leaves the template as it
    /// is (a clone costs the whole database, the seeding only the new tables) and is replayed by
    /// a reset instead. Returns what was loaded, in words ("seeded 300 rows into 1 tables …"),
    /// None when nothing was: the seed point after the baseline says it on a line of its own,
    /// a later one in the line of the migration it precedes.
    pub async fn seed(
        &mut self,
        database: &Database,
        client: Client,
        at: usize,
        next: Option<&Migration>,
        progress: &dyn Progress,
    ) -> Result<(Client, Option<String>), Error> {
        let tables = seed::catalog::table_keys(&client)
            .await
            .map_err(|e| Error::Environment(format!("could not list the tables to seed: {e}")))?;
        let mut seeded = None;
        let known_before = self.known.clone();
        if self.request.enabled && !tables.is_subset(&self.known) {
            let mut request = self.request.clone();
            request.plan.known = self.known.clone();
            request.progress = progress.seed_mode();
            let outcome = seed::seed(&database.connection, &request).await?;
            self.known.extend(tables);
            let names: Vec<String> = outcome.tables.iter().map(|t| t.table.clone()).collect();
            let oids = client
                .query(
                    "SELECT t, to_regclass(quote_ident(split_part(t, '.', 1)) || '.' || quote_ident(substr(t, strpos(t, '.') + 1)))::oid
                       FROM unnest($1::text[]) t",
                    &[&names],
                )
                .await
                .map_err(|e| Error::Environment(format!("could not read the seeded tables' oids: {e}")))?;
            for row in oids {
                if let Some(oid) = row.get::<_, Option<u32>>(1) {
                    self.seeded_oids.insert(oid, row.get(0));
                }
            }
            if !outcome.tables.is_empty() {
                let said = format!(
                    "seeded {} into {} ({:.1} MB) in {:.1}s",
                    crate::words::count(outcome.rows() as usize, "row"),
                    crate::words::count(outcome.tables.len(), "table"),
                    outcome.bytes() as f64 / 1e6,
                    outcome.seconds,
                );
                if at == 0 {
                    progress.step(&said);
                }
                seeded = Some(said);
                for limit in &outcome.report().limits {
                    progress.step(&format!("seed: {}", limit.sentence()));
                }
                match &mut self.outcome {
                    Some(sum) => sum.absorb(outcome),
                    None => self.outcome = Some(outcome),
                }
            }
        }
        if seeded.is_some() && self.template.is_some() {
            self.since_template.push((at, known_before));
        }
        if next.is_none() || !self.keep_template || self.template.is_some() || self.defer_template
        {
            return Ok((client, seeded));
        }
        drop(client);
        self.keep_state(database, at, progress).await;
        Ok((connect(database, self.init_sql.as_deref()).await?, seeded))
    }

    /// Counts a migration that passed (its forward, and the seed point before it) into what a
    /// reset would replay, and says whether the template is now worth refreshing: once
    /// replaying would cost more than one clone, a clone now bounds any later reset to about
    /// two clones, and a run that never resets pays at most as much again as its forwards
    /// (the ski-rental rule, since nobody knows which migration will need a reset).
    pub fn passed(&mut self, forward_ms: f64, seed_ms: f64) -> bool {
        if self.template.is_none() {
            return false;
        }
        self.replay_ms += forward_ms + seed_ms;
        self.replay_ms / 1000.0 > self.clone_seconds.max(MIN_REFRESH_SECONDS)
    }

    /// After a reset replayed the rehearsed migrations before `at`, the template takes that
    /// state, so a later reset replays only the migrations after it. Nobody may be connected to
    /// the database meanwhile.
    pub async fn advance_template(
        &mut self,
        database: &Database,
        at: usize,
        progress: &dyn Progress,
    ) {
        if self.template.is_some() {
            self.keep_state(database, at, progress).await;
        }
    }

    /// Clones the current state into the template, creating it the first time. A server that
    /// refuses (a role without CREATEDB on a server we do not own, a full disk) is no reason to
    /// stop the rehearsal: the template is given up with a line saying so, and the rehearsal
    /// goes on without resets, as with `template = false`.
    async fn keep_state(&mut self, database: &Database, at: usize, progress: &dyn Progress) {
        let cloned = match &self.template {
            Some(template) => template.refresh().await,
            None => Template::create(
                &database.connection,
                matches!(database.kind, ProviderKind::Url | ProviderKind::Command),
            )
                .await
                .map(|template| {
                    let seconds = template.create_seconds;
                    progress.step(&format!(
                        "seed point kept as a template by {} in {seconds:.2}s",
                        template.method.word()
                    ));
                    self.template = Some(template);
                    seconds
                }),
        };
        match cloned {
            Ok(seconds) => {
                self.template_seconds += seconds;
                self.template_at = at;
                self.since_template.clear();
                self.clone_seconds = seconds;
                self.replay_ms = 0.0;
            }
            Err(e) => {
                progress.step(&format!(
                    "{e}; the rehearsal goes on without a template, so a rollback's damage will not be reset"
                ));
                self.template = None;
                self.keep_template = false;
            }
        }
    }

    /// Loads again, on a database just reset from the template, the rows the seed point before
    /// rehearsed migration `at` loaded, if it loaded any after the template was taken: the same
    /// request on the same state gives the same rows. Returns whether it loaded any.
    pub async fn replay(&self, database: &Database, at: usize) -> Result<bool, Error> {
        let Some((_, known)) = self.since_template.iter().find(|(point, _)| *point == at) else {
            return Ok(false);
        };
        let mut request = self.request.clone();
        request.plan.known = known.clone();
        request.progress = seed::ProgressMode::Quiet;
        seed::seed(&database.connection, &request).await?;
        Ok(true)
    }

    /// The template and the number of rehearsed migrations it holds, when one is kept.
    pub fn template(&self) -> Option<(&Template, usize)> {
        self.template.as_ref().map(|t| (t, self.template_at))
    }

    /// The report's seed section: every seed point summed; None when nothing was seeded.
    pub fn report(&self) -> Option<SeedReport> {
        let mut report = self.outcome.as_ref()?.report();
        if let Some(template) = &self.template {
            report.template = Some(template.name.clone());
            report.template_seconds = Some(self.template_seconds);
        }
        Some(report)
    }

    /// Definitions no seed point applied, with their files: their table did not exist before
    /// any rehearsed migration.
    pub fn unused_definitions(&self) -> Vec<(&str, &Path)> {
        let definitions = &self.request.definitions;
        definitions
            .tables
            .keys()
            .filter(|name| !self.known.contains(&table_key(name)))
            .map(|name| (name.as_str(), definitions.sources[name].as_path()))
            .collect()
    }
}

/// Removes the inferred rows of `schema.name` that the failed statement `sql` met, and with
/// them the inferred rows that reference them, down the chain: only the duplicates when the
/// statement makes keys unique, only the NULLs when it met NULLs in `nulls_in`, else every row.
/// Runs in one transaction with triggers and foreign-key checks off (`session_replication_role
/// = replica`: a repair is not the application writing), and rolls back rather than leave a row
/// that references a removed one in a table nobody seeded (rows the migrations wrote are never
/// removed). Returns the rows removed from the table and from the tables referencing it; the
/// error is one sentence.
pub(super) async fn remove_rows(
    client: &Client,
    (schema, name): (&str, &str),
    sql: &str,
    nulls_in: &[String],
    seeded: &BTreeSet<u32>,
) -> Result<(u64, u64), String> {
    let table = crate::identifier::quote_qualified(schema, name);
    let server = |e: tokio_postgres::Error| crate::server_text::of(&e);
    // The narrowest removal first; a statement can name a column its own forward added (rolled
    // back with it), so a wider one follows: the duplicates over every row, then every row.
    let mut doomed = match blame::needs(sql) {
        Needs::DistinctKeys { keys, predicate } => {
            let mut tries = vec![crate::seed::repair::duplicates(
                &table,
                &keys,
                predicate.as_deref(),
                false,
            )];
            if predicate.is_some() {
                tries.push(crate::seed::repair::duplicates(&table, &keys, None, false));
            }
            tries
        }
        Needs::Parents { .. } => blame::orphans(sql, &table).into_iter().collect(),
        // Any row is in the way: all of them go.
        Needs::NoRows { .. } => Vec::new(),
        _ if !nulls_in.is_empty() => vec![nulls_in
            .iter()
            .map(|c| format!("{} IS NULL", crate::identifier::quote(c)))
            .collect::<Vec<_>>()
            .join(" OR ")],
        _ => Vec::new(),
    };
    doomed.push("true".to_string());
    client
        .batch_execute("BEGIN; SET LOCAL session_replication_role = replica")
        .await
        .map_err(server)?;
    let result = async {
        let mut removed = None;
        for condition in &doomed {
            client
                .batch_execute("SAVEPOINT rehearse_repair")
                .await
                .map_err(server)?;
            match client
                .execute(&format!("DELETE FROM {table} WHERE {condition}"), &[])
                .await
            {
                // A narrower removal that found nothing was not what was in the way.
                Ok(0) if condition != "true" => {}
                Ok(n) => {
                    removed = Some(n);
                    break;
                }
                Err(_) => client
                    .batch_execute("ROLLBACK TO SAVEPOINT rehearse_repair")
                    .await
                    .map_err(server)?,
            }
        }
        let removed = removed.ok_or_else(|| format!("no rows of {table} could be removed"))?;
        let keys = crate::seed::orphans::foreign_keys(client).await.map_err(server)?;
        let table_oid: u32 = client
            .query_one("SELECT to_regclass($1)::oid", &[&table])
            .await
            .map_err(server)?
            .get(0);
        let mut lost = std::collections::BTreeSet::from([table_oid]);
        let referencing = crate::seed::orphans::remove(client, &keys, &mut lost, seeded)
            .await
            .map_err(server)?;
        let left = crate::seed::orphans::remaining(client, &keys, &lost)
            .await
            .map_err(server)?;
        if let Some((child, fk)) = left {
            return Err(format!(
                "{child} holds rows that reference them through {fk}, and rehearse did not seed those rows"
            ));
        }
        Ok((removed, referencing.iter().map(|r| r.1).sum()))
    }
    .await;
    let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
    client.batch_execute(end).await.map_err(server)?;
    result
}

impl SeedPoints {
    /// Production's rows, as the dataset declares them, on the sizes measured.
    pub(super) fn declare_production(&self, tables: &mut [TableSize]) {
        crate::predict::production::declare(tables, &self.request.production_rows);
    }
}

/// `fresh` sizes over `sizes`, by relation: what the next migrations will find.
pub(super) fn merge_sizes(sizes: &mut Vec<TableSize>, fresh: Vec<TableSize>) {
    for size in fresh {
        match sizes.iter_mut().find(|s| s.relation == size.relation) {
            Some(old) => *old = size,
            None => sizes.push(size),
        }
    }
    sizes.sort_by(|a, b| a.relation.cmp(&b.relation));
}
