//! `rehearse run --prove-fixes`: for each hazard whose rule has a mechanical rewrite
//! ([`crate::rules::fixes`]), the migration as written and the migration with that statement
//! rewritten are each rehearsed forward on a fresh copy of the state the migration met (kept
//! as the template `<db>_proof` before its forward ran), under the same probe and workload;
//! their schemas are compared with the snapshot model. The figures are read by
//! [`crate::report::proof`].
//!
//! Only the mechanics of the copies and the runs: which hazards there are is the gate's
//! ([`crate::gate::Judge`]). It never touches the rehearsal's own database, whose state the
//! next migration needs, except to copy it while nobody is connected.

use crate::migrations::{Migration, Script};
use crate::probe::{Probe, ProbeSettings, Step};
use crate::provision::{cleanup, Database, ProviderKind};
use crate::report::{Finding, Proof, ProofRun};
use crate::rules::{self, fixes};
use crate::seed::Template;
use crate::snapshot::{self, Snapshot};

/// Runs a fix whose lock_timeout gave up (the workload held a lock) this many times at most,
/// each on a fresh copy: lock_timeout is only safe with a retry.
const LOCK_TIMEOUT_ATTEMPTS: u32 = 3;

/// Whether `migration`'s forward has a statement some rule finds and knows a rewrite for: only
/// then is the state before it worth keeping.
pub(super) fn worth_keeping(migration: &Migration) -> bool {
    let statements = &migration.forward.statements;
    let parsed = rules::Parsed::new(
        statements.iter().map(|s| (s.sql.as_str(), s.line)),
        &mut rules::Schema::default(),
    );
    rules::check(&parsed).iter().any(|(rule, hit)| {
        statements
            .iter()
            .find(|s| s.line == hit.line)
            .is_some_and(|s| fixes::rewrite(rule.id, &s.sql).is_some())
    })
}

/// The state before one migration's forward, kept while its fixes are proven.
pub(super) struct ProofState {
    template: Template,
    /// The name of the copy each run gets.
    copy: String,
    _copy_guard: Option<cleanup::CleanupGuard>,
}

impl ProofState {
    /// Copies `database` as it is now. Nobody may be connected to it.
    pub(super) async fn keep(database: &Database) -> Result<ProofState, String> {
        let ours = database.kind != ProviderKind::Url;
        let name = format!("{}_proof", database.connection.dbname);
        let template = Template::create_as(&database.connection, &name, !ours).await?;
        let copy = format!("{}_proof_run", database.connection.dbname);
        // On a server we do not own, the copy goes whatever happens to this process.
        let _copy_guard = (!ours).then(|| {
            let admin = database.connection.with_dbname("postgres");
            let copy = copy.clone();
            cleanup::register(move || cleanup::drop_database_blocking(&admin, &copy))
        });
        Ok(ProofState {
            template,
            copy,
            _copy_guard,
        })
    }

    /// Proves the fix of every hazard of `migration` that has one; a hazard whose statement has
    /// no rewrite of its shape gets no proof.
    pub(super) async fn prove(
        &self,
        settings: &ProbeSettings,
        migration: &Migration,
        file: &str,
        hazards: &[Finding],
        init_sql: Option<&str>,
    ) -> Vec<Proof> {
        let mut proofs = Vec::new();
        let mut original: Option<(ProofRun, Option<Snapshot>)> = None;
        for hazard in hazards {
            let (Some(rule), Some(line)) = (hazard.rule.as_deref(), hazard.line) else {
                continue;
            };
            if proofs
                .iter()
                .any(|p: &Proof| p.rule == rule && p.line == line)
            {
                continue;
            }
            let Some(at) = migration
                .forward
                .statements
                .iter()
                .position(|s| s.line == line)
            else {
                continue;
            };
            let statement = &migration.forward.statements[at];
            let Some(rewrite) = fixes::rewrite(rule, &statement.sql) else {
                continue;
            };
            let Some(fixed_script) = with_rewrite(&migration.forward, at, &rewrite) else {
                continue;
            };
            // The original is the same for every hazard of the migration: run it once.
            if original.is_none() {
                original = Some(
                    self.run(settings, &migration.forward, file, init_sql, 1)
                        .await,
                );
            }
            let (original_run, original_schema) = original.clone().expect("just run");
            let retries = if rule == "require-lock-timeout" {
                LOCK_TIMEOUT_ATTEMPTS
            } else {
                1
            };
            let (fixed_run, fixed_schema) = self
                .run(settings, &fixed_script, file, init_sql, retries)
                .await;
            let differences = match (&original_schema, &fixed_schema) {
                (Some(a), Some(b)) => Some(snapshot::diff(a, b)),
                _ => None,
            };
            let mut proof = Proof {
                rule: rule.to_string(),
                line,
                statement: statement.sql.clone(),
                rewrite,
                original: original_run,
                fixed: fixed_run,
                same_schema: differences.as_ref().map(Vec::is_empty),
                differences: differences.unwrap_or_default(),
                ..Default::default()
            };
            proof.judge();
            proofs.push(proof);
        }
        proofs
    }

    /// One version of the migration, forward, on a fresh copy of the kept state: its figures
    /// and the schema it leaves (None when it failed or the schema could not be read). A run
    /// that lock_timeout gave up is run again on another copy, `attempts` runs at most.
    async fn run(
        &self,
        settings: &ProbeSettings,
        script: &Script,
        file: &str,
        init_sql: Option<&str>,
        attempts: u32,
    ) -> (ProofRun, Option<Snapshot>) {
        let mut tried = 0;
        loop {
            tried += 1;
            let (direction, schema) = match self.run_once(settings, script, file, init_sql).await {
                Ok(done) => done,
                Err(why) => {
                    let failed = ProofRun {
                        error: Some(why),
                        attempts: tried,
                        ..Default::default()
                    };
                    return (failed, None);
                }
            };
            let gave_up = direction
                .error
                .as_ref()
                .is_some_and(|e| e.code.as_deref() == Some("55P03"));
            if gave_up && tried < attempts {
                continue;
            }
            return (ProofRun::of(&direction, tried), schema);
        }
    }

    async fn run_once(
        &self,
        settings: &ProbeSettings,
        script: &Script,
        file: &str,
        init_sql: Option<&str>,
    ) -> Result<(crate::report::Direction, Option<Snapshot>), String> {
        self.template.copy_to(&self.copy).await?;
        let connection = self.template.database.with_dbname(&self.copy);
        let client = connection
            .connect()
            .await
            .map_err(|e| format!("could not connect to the copy {}: {e}", self.copy))?;
        if let Some(sql) = init_sql {
            client.batch_execute(sql).await.map_err(|e| {
                format!(
                    "init_sql failed on the copy: {}",
                    crate::server_text::of(&e)
                )
            })?;
        }
        let probe = Probe::new(connection, settings.clone());
        let direction = probe.run(&client, script, file, Step::Forward).await;
        let schema = if direction.ok {
            snapshot::snapshot_of(&client, false).await.ok()
        } else {
            None
        };
        Ok((direction, schema))
    }

    /// Drops the copy and the kept state.
    pub(super) async fn discard(self) {
        let _ = self.template.drop_database(&self.copy).await;
        let name = self.template.name.clone();
        let _ = self.template.drop_database(&name).await;
    }
}

impl super::Run<'_> {
    /// With `--prove-fixes`, before `migration`'s forward: the state kept for its proofs when
    /// it has a finding with a rewrite. The client is dropped for the copy and a new one
    /// returned. A state that cannot be kept is said, and the migration goes on unproven.
    pub(super) async fn keep_for_proof(
        &mut self,
        client: tokio_postgres::Client,
        migration: &Migration,
    ) -> Result<(tokio_postgres::Client, Option<ProofState>), crate::Error> {
        if !self.prove_fixes || self.in_transaction || !worth_keeping(migration) {
            return Ok((client, None));
        }
        drop(client);
        self.progress.running(&format!(
            "{} {} keeping the state before it to prove its fixes",
            migration.version, migration.name
        ));
        let state = match ProofState::keep(self.database).await {
            Ok(state) => Some(state),
            Err(why) => {
                self.progress.step(&format!(
                    "the fixes of {} were not proven: {why}",
                    migration.version
                ));
                None
            }
        };
        Ok((super::connect(self.database, self.init_sql).await?, state))
    }

    /// Proves the fixes of the hazards the gate finds in `report` (ignored ones are not
    /// hazards), into `report.proofs`, and lets the kept state go.
    pub(super) async fn prove_fixes(
        &self,
        state: ProofState,
        probe: &Probe,
        migration: &Migration,
        report: &mut crate::report::MigrationReport,
        tables: &[crate::report::TableSize],
    ) {
        let hazards = self.judge.migration(report, tables).hazards;
        if hazards.iter().any(|h| {
            h.rule
                .as_deref()
                .is_some_and(|r| fixes::REWRITTEN.contains(&r))
        }) {
            self.progress.running(&format!(
                "{} {} proving its fixes beside it on copies of the same state",
                migration.version, migration.name
            ));
            report.proofs = state
                .prove(
                    probe.settings(),
                    migration,
                    &report.file,
                    &hazards,
                    self.init_sql,
                )
                .await;
        }
        state.discard().await;
    }
}

/// `script` with its statement `at` replaced by the statements of `rewrite`, at the same line.
/// A VALIDATE CONSTRAINT of the rewrite runs in a transaction of its own, as the rule's fix
/// says (a migration of its own): the exclusive lock of the NOT VALID step is released before
/// the scan, which is the whole point; so does a backfill, whose batches commit
/// ([`fixes::runs_alone`]). In a file with its own BEGIN/COMMIT it stays where the
/// file puts it, and the proof shows what that costs.
fn with_rewrite(script: &Script, at: usize, rewrite: &str) -> Option<Script> {
    let line = script.statements[at].line;
    let mut replacement = crate::migrations::split_statements(&script.path, rewrite, line).ok()?;
    for s in &mut replacement {
        if fixes::runs_alone(&s.sql) {
            s.transactionality = crate::migrations::Transactionality::NonTransactional;
        }
    }
    let mut fixed = script.clone();
    fixed.statements.splice(at..=at, replacement);
    Some(fixed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrations::Transactionality;

    #[test]
    fn the_rewrite_takes_the_statements_place_and_runs_outside_a_transaction_when_it_must() {
        let path = std::path::Path::new("002_index.sql");
        let sql = "ALTER TABLE orders ADD COLUMN note text;\nCREATE INDEX orders_user_idx ON orders (user_id);\nSELECT 1;";
        let script = Script {
            path: path.to_path_buf(),
            first_line: 1,
            statements: crate::migrations::split_statements(path, sql, 1).unwrap(),
            ..Default::default()
        };
        let rewrite =
            fixes::rewrite("require-concurrent-index", &script.statements[1].sql).unwrap();
        let fixed = with_rewrite(&script, 1, &rewrite).unwrap();
        assert_eq!(fixed.statements.len(), 3);
        assert!(fixed.statements[1]
            .sql
            .starts_with("CREATE INDEX CONCURRENTLY"));
        assert_eq!(fixed.statements[1].line, 2);
        assert_eq!(
            fixed.statements[1].transactionality,
            Transactionality::NonTransactional
        );
        assert_eq!(fixed.statements[2].sql, "SELECT 1");

        let check = "ALTER TABLE orders ADD CONSTRAINT positive CHECK (amount > 0)";
        let rewrite = fixes::rewrite("require-not-valid-check", check).unwrap();
        let fixed = with_rewrite(&script, 1, &rewrite).unwrap();
        assert_eq!(fixed.statements.len(), 4);
        assert_eq!(
            fixed.statements[1].transactionality,
            Transactionality::Transactional
        );
        assert!(fixed.statements[2].sql.contains("VALIDATE CONSTRAINT"));
        assert_eq!(
            fixed.statements[2].transactionality,
            Transactionality::NonTransactional,
            "VALIDATE runs after the NOT VALID step committed"
        );
    }

    #[test]
    fn only_a_migration_with_a_rewritable_finding_keeps_its_state() {
        let path = std::path::Path::new("002.sql");
        let migration = |sql: &str| Migration {
            version: crate::migrations::Version::new("002"),
            name: "x".into(),
            forward: Script {
                path: path.to_path_buf(),
                first_line: 1,
                statements: crate::migrations::split_statements(path, sql, 1).unwrap(),
                ..Default::default()
            },
            rollback: None,
            repeatable: false,
        };
        // The table exists before the migration (it is not created in it), as rules assume of
        // a table they do not see created.
        assert!(worth_keeping(&migration("CREATE INDEX i ON orders (x);")));
        assert!(!worth_keeping(&migration(
            "CREATE INDEX CONCURRENTLY i ON orders (x);"
        )));
        assert!(!worth_keeping(&migration(
            "CREATE TABLE t (x int);\nCREATE INDEX i ON t (x);"
        )));
    }
}
