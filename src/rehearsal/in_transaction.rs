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
use crate::report::{Direction, Finding, FindingKind, MigrationReport, StatementError, Verdict};

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

/// Why a forward that failed did so only because the one transaction never commits, when it
/// did: PostgreSQL refuses a value added to an enum (`ALTER TYPE … ADD VALUE`) until the
/// transaction that added it commits, and here an earlier migration added it, which in
/// production would have committed first. None when the forward did not fail so, or when the
/// migration adds the value itself (production refuses that too: a real failure).
pub(super) fn uncommitted_enum_value(migration: &Migration, forward: &Direction) -> Option<String> {
    let error = forward.error.as_ref()?;
    if !uncommitted_elsewhere(error, &migration.forward) {
        return None;
    }
    Some(format!(
        "{}, line {}: {}; an earlier migration added it inside --in-transaction's one transaction, which never commits, and PostgreSQL refuses a new enum value until its transaction commits, so {} was not rehearsed (deployed one by one, the earlier migration commits first)",
        error.file, error.line, error.message, migration.version
    ))
}

/// The same for a rollback that uses a value its forward (or an earlier migration) added: in
/// production the forward commits before a rollback ever runs. The migration is then not
/// rehearsed: its forward's measures stay in `report`, its rollback's failure and what followed
/// from it go, and its verdict is not_run. The state is repaired as after any failed rollback,
/// so the migrations after it still run. True when it was so.
pub(super) fn rollback_needs_commit(migration: &Migration, report: &mut MigrationReport) -> bool {
    let (Some(rollback), Some(script)) = (report.rollback.as_ref(), migration.rollback.as_ref())
    else {
        return false;
    };
    let Some(error) = rollback.error.as_ref() else {
        return false;
    };
    if !uncommitted_elsewhere(error, script) {
        return false;
    }
    let why = format!(
        "{}, line {}: {}; its forward (or an earlier migration) added it inside --in-transaction's one transaction, which never commits, and PostgreSQL refuses a new enum value until its transaction commits, so the rollback of {} was not rehearsed (in production the forward commits first)",
        error.file, error.line, error.message, migration.version
    );
    report.findings.retain(|f| {
        !f.is(FindingKind::RollbackFailed)
            && !f.is(FindingKind::SchemaNotRestored)
            && !f.is(FindingKind::RedoDiffers)
    });
    report
        .findings
        .insert(0, Finding::of(FindingKind::NotRehearsed, why));
    report.schema_restored = None;
    report.verdict = Verdict::NotRun;
    true
}

/// SQLSTATE unsafe_new_enum_value_usage: a value added to an enum used before its transaction
/// committed.
const UNSAFE_NEW_ENUM_VALUE: &str = "55P04";

/// True when `error` is a new enum value used before its transaction committed and `script`
/// does not add that value itself (then production, where each script commits, would not
/// refuse it).
fn uncommitted_elsewhere(error: &StatementError, script: &Script) -> bool {
    if error.code.as_deref() != Some(UNSAFE_NEW_ENUM_VALUE) {
        return false;
    }
    // "unsafe use of new value "sad" of enum type mood": the type's own name, without a schema.
    let type_name = error
        .message
        .split(" of enum type ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|name| name.rsplit('.').next())
        .unwrap_or("")
        .trim_matches('"')
        .to_lowercase();
    !script.statements.iter().any(|s| {
        let sql = s.sql.to_lowercase();
        sql.contains("add value") && (type_name.is_empty() || sql.contains(&type_name))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrations::Format;

    fn migration(forward: &str) -> Migration {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("V2__use_sad.sql"), forward).unwrap();
        let set = crate::migrations::discover(dir.path(), Some(Format::Flyway)).unwrap();
        set.migrations.into_iter().next().unwrap()
    }

    fn failed(code: &str, message: &str) -> Direction {
        Direction {
            error: Some(StatementError {
                message: message.into(),
                file: "V2__use_sad.sql".into(),
                line: 1,
                code: Some(code.into()),
                environment: None,
                culprit: None,
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_value_an_earlier_migration_added_is_the_transactions_doing_not_the_migrations() {
        let m = migration("ALTER TABLE orders ADD COLUMN mood public.mood DEFAULT 'sad';");
        let why = uncommitted_enum_value(
            &m,
            &failed(
                "55P04",
                "unsafe use of new value \"sad\" of enum type public.mood",
            ),
        )
        .expect("not rehearsed, not failed");
        assert!(why.contains("V2__use_sad.sql, line 1"), "{why}");
        assert!(why.contains("was not rehearsed"), "{why}");
    }

    #[test]
    fn a_migration_that_adds_the_value_and_uses_it_fails_as_in_production() {
        let m = migration(
            "ALTER TYPE mood ADD VALUE 'sad';\nALTER TABLE orders ADD COLUMN mood mood DEFAULT 'sad';",
        );
        let error = failed("55P04", "unsafe use of new value \"sad\" of enum type mood");
        assert_eq!(uncommitted_enum_value(&m, &error), None);
        let other = migration("ALTER TABLE orders ADD COLUMN n int;");
        assert_eq!(
            uncommitted_enum_value(&other, &failed("42P07", "relation exists")),
            None
        );
    }
}
