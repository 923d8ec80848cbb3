//! A proven fix (`rehearse run --prove-fixes`): a finding's statement and its rule's mechanical
//! rewrite, each rehearsed on a copy of the same seeded state, with what each cost the
//! application (queries blocked, the longest hold of a lock that blocks writers, duration, WAL)
//! and whether the rewrite leaves the schema the original leaves. The model and the pure
//! reading of a measured direction; nothing here runs SQL or renders.
//!
//! A rewrite that fails, or that leaves another schema, is said as such: a proof never hides it.

use super::{Difference, Direction, LockReport};
use crate::lock_mode::LockMode;
use serde::{Deserialize, Serialize};

/// One finding's fix, rehearsed beside the original.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Proof {
    /// The rule whose rewrite this is (`require-concurrent-index`).
    pub rule: String,
    /// The line of the finding's statement in the migration's file.
    pub line: usize,
    /// The statement as written.
    pub statement: String,
    /// What it was rewritten to (the rest of the migration unchanged).
    pub rewrite: String,
    pub original: ProofRun,
    pub fixed: ProofRun,
    /// The fixed migration leaves the schema the original leaves (the snapshot model, which
    /// compares as `pg_dump --schema-only` does); null when either did not run to its end.
    pub same_schema: Option<bool>,
    /// Every way the fixed migration's schema differs from the original's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub differences: Vec<Difference>,
    pub verdict: ProofVerdict,
    /// One sentence: what the fix changed, or why it is not a fix here.
    pub summary: String,
}

/// What one version of the migration cost, on its own copy of the seeded state.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ProofRun {
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Time the workload's queries (reads and writes) spent blocked by the migration, summed
    /// over queries.
    pub blocked_ms: f64,
    /// Workload queries the migration blocked.
    pub blocked_queries: u64,
    /// The longest a lock that blocks writers (one that conflicts with RowExclusiveLock) was
    /// held on a relation that existed before the migration.
    pub max_lock_hold_ms: f64,
    /// That lock: `ShareLock on public.orders`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock: Option<String>,
    /// The migration's statements, summed.
    pub duration_ms: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wal_bytes: Option<u64>,
    /// Runs it took: more than one when the fix's lock_timeout gave up and it was retried.
    pub attempts: u32,
    /// The migration's own wait for its locks (a queue behind other transactions).
    #[serde(default)]
    pub lock_wait_ms: f64,
}

/// What a proof says of the fix.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProofVerdict {
    /// Same schema, and queries were blocked at most half as long (or a write-blocking lock was
    /// held at most half as long): more than two runs of the same migration differ by.
    Proven,
    /// Same schema, and the rehearsal measured no clear difference (within what two runs of the
    /// same migration differ by): this data and workload do not show the fix helping.
    NoBetter,
    /// The rewritten migration failed.
    FixFailed,
    /// The rewritten migration leaves another schema than the original.
    SchemaChanged,
    /// The original itself failed on the copy: nothing to compare.
    #[default]
    NotCompared,
}

impl ProofRun {
    /// The figures of a measured forward direction. `attempts` is how many runs it took.
    pub fn of(direction: &Direction, attempts: u32) -> ProofRun {
        let created: std::collections::BTreeSet<&str> = direction
            .statements
            .iter()
            .flat_map(|s| s.size_changes.iter())
            .filter(|c| c.before_bytes.is_none())
            .map(|c| c.relation.as_str())
            .collect();
        let longest = direction
            .statements
            .iter()
            .flat_map(|s| s.locks.iter())
            .filter(|l| blocks_writers(l) && !created.contains(l.relation.as_str()))
            .max_by(|a, b| a.held_ms.total_cmp(&b.held_ms));
        let totals = direction.workload.as_ref().map(|w| &w.totals);
        ProofRun {
            ok: direction.ok,
            error: direction.error.as_ref().map(|e| e.message.clone()),
            blocked_ms: totals.map_or(0.0, |t| t.blocked_total_ms),
            blocked_queries: totals.map_or(0, |t| t.blocked_count),
            max_lock_hold_ms: longest.map_or(0.0, |l| l.held_ms),
            lock: longest.map(|l| format!("{} on {}", l.mode, l.relation)),
            duration_ms: direction.statements.iter().map(|s| s.duration_ms).sum(),
            wal_bytes: direction.wal_bytes,
            attempts,
            lock_wait_ms: direction.lock_wait_ms,
        }
    }
}

/// Two rehearsals of the same statement on copies of the same state differ by a fifth to a
/// third in blocked time and lock hold (measured: lock_timeout's rewrite, which changes
/// neither, came out 20-30% apart either way). A fix is proven when it at least halves one,
/// by more than [`NOISE_MS`].
fn clearly_less(after: f64, before: f64) -> bool {
    after <= before * 0.5 && before - after >= NOISE_MS
}

/// Below this, a difference in blocked time or lock hold between two runs is noise: the
/// workload's clients are blocked for a sampling interval or two either way (measured: a
/// 20,000-row index came out 140 ms and 48 ms blocked with no change that could matter).
const NOISE_MS: f64 = 100.0;

/// The original's own lock wait from which lock_timeout has a queue to cut.
const QUEUED_MS: f64 = 10.0;

/// A lock an INSERT, UPDATE or DELETE would wait for.
fn blocks_writers(l: &LockReport) -> bool {
    LockMode::from_pg_locks_name(&l.mode).is_some_and(|m| m.conflicts_with(LockMode::RowExclusive))
}

impl Proof {
    /// The verdict and its sentence from the two runs and the schema comparison.
    pub fn judge(&mut self) {
        let ms = super::measures::duration;
        let (o, f) = (&self.original, &self.fixed);
        self.verdict = if !o.ok {
            ProofVerdict::NotCompared
        } else if !f.ok {
            ProofVerdict::FixFailed
        } else if self.same_schema == Some(false) {
            ProofVerdict::SchemaChanged
        } else if self.rule == "require-lock-timeout" && o.lock_wait_ms < QUEUED_MS {
            // lock_timeout changes nothing when the migration never queued: what differs is noise.
            ProofVerdict::NoBetter
        } else if clearly_less(f.blocked_ms, o.blocked_ms)
            || clearly_less(f.max_lock_hold_ms, o.max_lock_hold_ms)
        {
            ProofVerdict::Proven
        } else {
            ProofVerdict::NoBetter
        };
        let compared = format!(
            "queries blocked {} ({} queries) before, {} ({}) after; longest write-blocking lock {} before, {} after; duration {} before, {} after",
            ms(o.blocked_ms),
            o.blocked_queries,
            ms(f.blocked_ms),
            f.blocked_queries,
            ms(o.max_lock_hold_ms),
            ms(f.max_lock_hold_ms),
            ms(o.duration_ms),
            ms(f.duration_ms),
        );
        self.summary = match self.verdict {
            ProofVerdict::Proven => format!("the fix is proven on this data: {compared}"),
            ProofVerdict::NoBetter if self.rule == "require-lock-timeout" => format!(
                "lock_timeout bounds how long the migration queues for its lock, and the original never queued here (no transaction held a conflicting lock), so the difference is noise: {compared}"
            ),
            ProofVerdict::NoBetter => format!(
                "the fix leaves the same schema, but this rehearsal measured no clear difference (a fix must at least halve the blocking; two runs of the same migration differ by a third): {compared}"
            ),
            ProofVerdict::FixFailed => format!(
                "the rewritten migration failed{}: {}; while it ran, queries were blocked {} ({} before)",
                if f.attempts > 1 {
                    format!(" on each of {} attempts", f.attempts)
                } else {
                    String::new()
                },
                f.error.as_deref().unwrap_or("no error was reported"),
                ms(f.blocked_ms),
                ms(o.blocked_ms)
            ),
            ProofVerdict::SchemaChanged => format!(
                "the rewritten migration leaves another schema than the original ({}): it is not the same change",
                self.differences
                    .first()
                    .map(|d| format!("{} {}: {}", d.kind, d.object, d.detail))
                    .unwrap_or_else(|| "differences not named".into())
            ),
            ProofVerdict::NotCompared => format!(
                "the original migration failed on the copy, so there is nothing to compare the fix with: {}",
                o.error.as_deref().unwrap_or("no error was reported")
            ),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{StatementReport, StatementWorkload, WorkloadReport};

    fn direction(mode: &str, held_ms: f64, blocked_ms: f64) -> Direction {
        Direction {
            ok: true,
            duration_ms: 900.0,
            statements: vec![StatementReport {
                sql: "CREATE INDEX i ON t (x)".into(),
                duration_ms: 900.0,
                ok: true,
                locks: vec![LockReport {
                    relation: "public.t".into(),
                    mode: mode.into(),
                    kind: "table".into(),
                    held_ms,
                    ..Default::default()
                }],
                ..Default::default()
            }],
            wal_bytes: Some(8192),
            workload: Some(WorkloadReport {
                totals: StatementWorkload {
                    blocked_count: (blocked_ms > 0.0) as u64,
                    blocked_total_ms: blocked_ms,
                    ..Default::default()
                },
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn only_a_lock_that_blocks_writers_counts_as_the_longest_hold() {
        let share = ProofRun::of(&direction("ShareLock", 900.0, 850.0), 1);
        assert_eq!(share.max_lock_hold_ms, 900.0);
        assert_eq!(share.lock.as_deref(), Some("ShareLock on public.t"));
        assert_eq!(share.blocked_ms, 850.0);
        let concurrent = ProofRun::of(&direction("ShareUpdateExclusiveLock", 900.0, 0.0), 1);
        assert_eq!(concurrent.max_lock_hold_ms, 0.0);
        assert_eq!(concurrent.lock, None);
    }

    #[test]
    fn a_fix_that_blocks_less_is_proven_and_one_that_fails_or_changes_the_schema_is_said() {
        let mut proof = Proof {
            original: ProofRun::of(&direction("ShareLock", 900.0, 850.0), 1),
            fixed: ProofRun::of(&direction("ShareUpdateExclusiveLock", 1200.0, 0.0), 1),
            same_schema: Some(true),
            ..Default::default()
        };
        proof.judge();
        assert_eq!(proof.verdict, ProofVerdict::Proven);
        assert!(proof.summary.contains("before"), "{}", proof.summary);

        // Within what two runs of the same migration differ by: no better.
        let noise = Proof {
            original: ProofRun::of(&direction("ShareLock", 900.0, 850.0), 1),
            fixed: ProofRun::of(&direction("ShareLock", 700.0, 650.0), 1),
            same_schema: Some(true),
            ..Default::default()
        };
        let mut noise = noise;
        noise.judge();
        assert_eq!(noise.verdict, ProofVerdict::NoBetter, "{}", noise.summary);

        let mut timeout = Proof {
            rule: "require-lock-timeout".into(),
            original: ProofRun::of(&direction("ShareLock", 900.0, 850.0), 1),
            fixed: ProofRun::of(&direction("ShareLock", 300.0, 200.0), 1),
            same_schema: Some(true),
            ..Default::default()
        };
        timeout.judge();
        assert_eq!(
            timeout.verdict,
            ProofVerdict::NoBetter,
            "{}",
            timeout.summary
        );
        assert!(
            timeout.summary.contains("never queued"),
            "{}",
            timeout.summary
        );

        proof.same_schema = Some(false);
        proof.judge();
        assert_eq!(proof.verdict, ProofVerdict::SchemaChanged);

        proof.fixed.ok = false;
        proof.fixed.error =
            Some("CREATE INDEX CONCURRENTLY cannot run inside a transaction block".into());
        proof.judge();
        assert_eq!(proof.verdict, ProofVerdict::FixFailed);
        assert!(proof.summary.contains("cannot run inside"));
    }
}
