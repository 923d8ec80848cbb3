//! `--in-transaction`, for a server where nothing can be cloned: the pending migrations run on
//! the URL's database itself, inside one transaction that is always rolled back. Each script runs
//! under a savepoint (its own BEGIN and COMMIT become one), so a failure undoes that script and
//! the run goes on; locks, rewrites and durations are measured as usual, and the schema after
//! each rollback is compared with the one before, inside the transaction.
//!
//! What this module must never let happen: a COMMIT. A script holding a statement that cannot
//! run inside a transaction (`CREATE INDEX CONCURRENTLY`, `VACUUM`, …) is not run at all, and
//! neither is any migration after it (it may depend on it). A short `lock_timeout` and
//! `statement_timeout` are set unless the scenario sets its own, so that staging's sessions
//! queue behind the rehearsal's locks for moments, not minutes. If the process dies, the server
//! rolls the transaction back when the connection closes.

use crate::migrations::{Migration, Script, Transactionality};
use crate::probe::ProbeSettings;
use crate::report::{Finding, FindingKind, MigrationReport, Verdict};

/// Why the data check is not made (the report's `data_check.reason`).
pub(super) const UNSIGNED: &str = "--in-transaction: other sessions see the rows as committed, unchanged whatever the migration did inside its transaction, so the rows were not compared";

/// The defaults that keep staging's sessions from waiting long behind the rehearsal.
pub(super) const LOCK_TIMEOUT: &str = "2s";
pub(super) const STATEMENT_TIMEOUT: &str = "30s";

/// The probe's settings for a rehearsal inside the target's transaction: savepoints instead of
/// transactions, no synthetic workload (staging's own traffic is there), and short timeouts
/// unless the scenario set its own.
pub(super) fn settings(mut settings: ProbeSettings) -> ProbeSettings {
    settings.nested = true;
    settings.workload = None;
    settings
        .lock_timeout
        .get_or_insert_with(|| LOCK_TIMEOUT.into());
    settings
        .statement_timeout
        .get_or_insert_with(|| STATEMENT_TIMEOUT.into());
    settings
}

/// The first statement of the migration's scripts that cannot run inside a transaction: its
/// file's label, line, and its first words.
pub(super) fn outside_transaction(migration: &Migration) -> Option<(&Script, usize, String)> {
    std::iter::once(&migration.forward)
        .chain(migration.rollback.as_ref())
        .find_map(|script| {
            script
                .statements
                .iter()
                .find(|s| s.transactionality == Transactionality::NonTransactional)
                .map(|s| {
                    let words: Vec<&str> = s.sql.split_whitespace().take(4).collect();
                    (script, s.line, words.join(" "))
                })
        })
}

/// The report of a migration `--in-transaction` could not run: `why` says which statement, or
/// which earlier migration, kept it out.
pub(super) fn not_rehearsed(file: String, migration: &Migration, why: String) -> MigrationReport {
    MigrationReport {
        id: migration.version.to_string(),
        name: migration.name.clone(),
        verdict: Verdict::NotRun,
        findings: vec![Finding::of(FindingKind::NotRehearsed, why)],
        file,
        ..Default::default()
    }
}
