//! The finding catalogue: every kind of finding a rehearsal can report, its stable name in
//! `report.json`, the promise of DESIGN.md it breaks, and the safer pattern to follow, in one
//! place. Stages create findings from it ([`super::Finding::of`]); the renderings read the
//! promise and the advice from it, so a kind is never spelled or advised twice.
//!
//! Pure data: nothing here measures, renders or talks to a database. A kind's name is part of
//! the report contract and never changes once released.

/// Which promise of a migration a finding is about, as the JUnit cases name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Promise {
    /// "forward applies".
    Forward,
    /// "rollback applies" (and applies again after its redo).
    Rollback,
    /// "rollback restores schema", when it could not be judged.
    Schema,
    /// "rollback preserves data".
    Data,
    /// The migration was not rehearsed at all.
    NotRun,
    /// A gate, a hazard, or the run as a whole.
    Other,
}

macro_rules! catalogue {
    ($($variant:ident = $name:literal, $promise:ident, $advice:literal;)*) => {
        /// Every kind of finding, in the order DESIGN.md lists them.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum FindingKind {
            $($variant,)*
        }

        impl FindingKind {
            /// Every kind, for tests and documentation.
            pub const ALL: &'static [FindingKind] = &[$(FindingKind::$variant,)*];

            /// The name `report.json` carries (`missing_rollback`, `forward_failed`, ...).
            pub fn name(self) -> &'static str {
                match self {
                    $(FindingKind::$variant => $name,)*
                }
            }

            /// The promise this kind of finding is about.
            pub fn promise(self) -> Promise {
                match self {
                    $(FindingKind::$variant => Promise::$promise,)*
                }
            }

            /// The safer pattern, in one sentence.
            pub fn advice(self) -> &'static str {
                match self {
                    $(FindingKind::$variant => $advice,)*
                }
            }

            /// The kind a report names, if it is one of this version's.
            pub fn parse(name: &str) -> Option<FindingKind> {
                match name {
                    $($name => Some(FindingKind::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

catalogue! {
    // What the rehearsal of one migration finds.
    ForwardFailed = "forward_failed", Forward,
        "Fix the statement and rehearse again: the error is the one production would give.";
    LockTimeout = "lock_timeout", Forward,
        "Run the statement when the table is quiet, or change it so it needs a weaker lock (CONCURRENTLY, NOT VALID), and retry on timeout.";
    StatementTimeout = "statement_timeout", Forward,
        "Make the statement cheaper (batches, CONCURRENTLY, NOT VALID then VALIDATE) or move the data work out of the migration.";
    RollbackFailed = "rollback_failed", Rollback,
        "Make the rollback undo exactly what the forward did, and rehearse forward and back again.";
    RedoFailed = "redo_failed", Rollback,
        "Make the rollback remove everything the forward creates, so the migration applies again after a rollback.";
    RedoDiffers = "redo_differs", Rollback,
        "Make the rollback remove everything the forward creates: its leftovers change what the forward does the second time.";
    MissingRollback = "missing_rollback", Rollback,
        "Add a rollback script, or mark the migration -- rehearse:irreversible and get that approved.";
    SchemaNotRestored = "schema_not_restored", Schema,
        "Make the rollback recreate every object it drops exactly as it was (name, column position, default, privileges, comment), or rebuild the table when column order matters; or mark the migration irreversible and get it approved.";
    DataNotPreserved = "data_not_preserved", Data,
        "Keep what the forward destroys (copy the column or rows into a backup table, or drop the column only in a later release) so the rollback can put it back, or mark the migration irreversible.";
    DataUnproven = "data_unproven", Data,
        "A table's layout changed where no statement of the scripts names it (DDL run by a trigger or an event trigger): set `[probe] data_check = \"all\"` in the scenario to sign every table before each migration.";
    SnapshotFailed = "snapshot_failed", Schema,
        "Run the rehearsal again; if it fails the same way, report it, because this rollback could not be checked.";
    NotObserved = "not_observed", Other,
        "Fix what the scenario asked to run beside the migration (the workload query or the long transaction named) so the next rehearsal measures the waits it causes.";
    // Why a migration was not rehearsed.
    NotRun = "not_run", NotRun,
        "Fix the earlier migration first; this one is rehearsed after it.";
    NotRehearsed = "not_rehearsed", NotRun,
        "Rehearse it on a copy instead (--clone, or the docker or local provider), where each migration commits before the next: statements outside a transaction run there, and enum values added earlier can be used.";
    Interrupted = "interrupted", Other,
        "Rehearse again without interrupting the run: nothing after the signal was measured.";
    TimedOut = "timed_out", Other,
        "Find the statement that ran long (the report names it) and make it cheaper, or give the run the time it needs with --timeout ([run] timeout).";
    EnvironmentFailed = "environment_failed", Other,
        "Fix what the message names (the server, its disk, Docker) and rehearse again: it is not the migrations' fault, and nothing after it was measured.";
    // The run as a whole.
    BaselineFailed = "baseline_failed", Other,
        "Fix the baseline migration, or move the baseline version past it.";
    InferredRowsRemoved = "inferred_rows_removed", Other,
        "Define the table in the dataset with rows like production's at this point (`skip = true` when it has none there), so the migration is rehearsed on them and no rows have to be removed to go on.";
    InferredRowsRepaired = "inferred_rows_repaired", Other,
        "Check that production holds no such rows before releasing (the query in the note), and define the columns in the dataset with values like production's so the first try rehearses the migration.";
    ReplayFailed = "replay_failed", Other,
        "Make the migration apply again on the state its rollback left repaired from the template (it depends on something the rollback removed); the migrations after it were not rehearsed on a clean state.";
    SeedFailed = "seed_failed", Other,
        "Fix the dataset definition named in the message (or give the table a definition of its own), then rehearse again.";
    DatasetTableMissing = "dataset_table_missing", Other,
        "Remove the table's definition from the dataset, or correct its name (schema.table) to one the migrations create.";
    EditedHistory = "edited_history", Other,
        "Leave migrations that the base branch already has as they are (a database that applied them will not run them again), and put the change in a new migration.";
    SchemaDrift = "schema_drift", Other,
        "Bring the database back in line with its migrations (or write the migration that makes the change official) before trusting a rehearsal on it: production may not have what staging has.";
    // Gates.
    GateMaxDuration = "gate_max_duration", Other,
        "Split the migration, and move data backfills into batched jobs outside it.";
    GateMaxLockHold = "gate_max_lock_hold", Other,
        "Hold the lock for less time: SET lock_timeout, one change per transaction, and the CONCURRENTLY or NOT VALID forms.";
    GateMaxBlocked = "gate_max_blocked", Other,
        "Use forms that take weaker locks (CREATE INDEX CONCURRENTLY, NOT VALID then VALIDATE) and SET lock_timeout so application queries do not queue behind the migration.";
    GateRollback = "gate_rollback", Other,
        "Add a rollback script, or mark the migration -- rehearse:irreversible with an approval (-- rehearse:approve irreversible by=\"...\" reason=\"...\").";
    GateDestructive = "gate_destructive", Other,
        "Approve it with -- rehearse:approve destructive by=\"...\" reason=\"...\" in the migration or an approvals-file entry, and prefer expand-contract: stop using the object in one release, drop it in a later one.";
}

impl std::fmt::Display for FindingKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The advice for a statement that failed with SQLSTATE `code`, when the code says more than
/// the finding's kind: a deadlock (40P01) in a rehearsal is with the concurrent workload, and
/// production's writers would meet the same one.
pub fn advice_for_error(code: Option<&str>) -> Option<&'static str> {
    match code? {
        "40P01" => Some("The migration deadlocked with the application's concurrent writes, as it can in production: take the strongest lock it needs first (LOCK TABLE ... at the start of the transaction), or move the backfill into its own transaction before the ALTER, and SET lock_timeout so a retry is cheap. Whether a rehearsal meets the deadlock depends on timing: rehearse again to see how often."),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_one_name_and_reads_back() {
        let mut names = std::collections::HashSet::new();
        for kind in FindingKind::ALL {
            assert!(names.insert(kind.name()), "{kind} twice");
            assert_eq!(FindingKind::parse(kind.name()), Some(*kind));
            assert!(kind.advice().ends_with('.'), "{kind}: {}", kind.advice());
        }
        assert_eq!(FindingKind::parse("no_such_kind"), None);
    }
}
