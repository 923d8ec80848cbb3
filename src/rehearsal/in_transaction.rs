//! `--in-transaction`, for a server where nothing can be cloned: the pending migrations run on
//! the URL's database itself, inside one transaction that is always rolled back. This module holds
//! the mode's rules: the probe's settings (each script under a savepoint, no synthetic workload,
//! a short `lock_timeout` and `statement_timeout` unless the scenario sets its own), the first
//! statement that cannot run inside a transaction (`CREATE INDEX CONCURRENTLY`, `VACUUM`, …: its
//! migration is not run, nor any after it), and the report of a migration kept out.
//!
//! It never talks to a database: the rehearsal ([`super`]) opens the one transaction and rolls it
//! back, the probe runs the savepoints, and the reset takes one before each forward to undo a
//! rollback's damage. What the mode must never let happen is a COMMIT; if the
//! process dies, the server rolls the transaction back when the connection closes.

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
