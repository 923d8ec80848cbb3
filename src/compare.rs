//! `rehearse compare OLD.json NEW.json`: what got slower or locks longer between two runs (main
//! against a branch). Pure: two reports in, a list of changes out; [`crate::render::compare`]
//! renders it as text or Markdown. It never renders or prints.

use crate::report::measures::{self, duration};
use crate::report::{MigrationReport, Report, Verdict};
use std::collections::BTreeMap;

/// A change counts as a regression when it is both this much larger...
pub const MIN_RATIO: f64 = 1.2;
/// ...and at least this many milliseconds longer; timing noise on small numbers is not news.
pub const MIN_DELTA_MS: f64 = 50.0;
/// WAL counts when it is MIN_RATIO larger and at least this many bytes more: WAL is server-wide,
/// so a concurrent workload's writes are in both numbers.
pub const MIN_DELTA_WAL: u64 = 1_000_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The migration (`002 add_status_column`), or `run` for the whole run.
    pub migration: String,
    /// What was measured: `forward duration`, `AccessExclusiveLock on public.users held`, ...
    pub what: String,
    pub old: String,
    pub new: String,
    pub regression: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Comparison {
    pub changes: Vec<Change>,
    /// Migrations only in the new run.
    pub added: Vec<String>,
    /// Migrations only in the old run.
    pub removed: Vec<String>,
}

impl Comparison {
    pub fn regressions(&self) -> usize {
        self.changes.iter().filter(|c| c.regression).count()
    }
}

fn grew(old: f64, new: f64) -> bool {
    new > old * MIN_RATIO && new - old >= MIN_DELTA_MS
}

fn shrank(old: f64, new: f64) -> bool {
    grew(new, old)
}

pub fn compare(old: &Report, new: &Report) -> Comparison {
    let mut c = Comparison::default();
    let label = |m: &MigrationReport| format!("{} {}", m.id, m.name);
    for n in &new.migrations {
        let Some(o) = old.migrations.iter().find(|o| o.id == n.id) else {
            c.added.push(label(n));
            continue;
        };
        let name = label(n);
        timing(
            &mut c.changes,
            &name,
            "forward duration",
            Some(o.forward.duration_ms),
            Some(n.forward.duration_ms),
        );
        timing(
            &mut c.changes,
            &name,
            "rollback duration",
            o.rollback.as_ref().map(|r| r.duration_ms),
            n.rollback.as_ref().map(|r| r.duration_ms),
        );
        timing(
            &mut c.changes,
            &name,
            "workload blocked",
            measures::blocked_ms(o),
            measures::blocked_ms(n),
        );
        timing(
            &mut c.changes,
            &name,
            "longest workload block",
            measures::longest_block_ms(o),
            measures::longest_block_ms(n),
        );
        if let (Some(a), Some(b)) = (o.forward.wal_bytes, n.forward.wal_bytes) {
            let more = |x: u64, y: u64| y as f64 > x as f64 * MIN_RATIO && y >= x + MIN_DELTA_WAL;
            if more(a, b) || more(b, a) {
                c.changes.push(Change {
                    migration: name.clone(),
                    what: "forward WAL".into(),
                    old: measures::bytes(a),
                    new: measures::bytes(b),
                    regression: more(a, b),
                });
            }
        }
        // A table the migration now rewrites is news whatever the timings say: on production's
        // data a rewrite is the difference between seconds and an outage.
        let old_rewrites = measures::rewrites(o);
        for table in measures::rewrites(n) {
            if !old_rewrites.contains(&table) {
                c.changes.push(Change {
                    migration: name.clone(),
                    what: format!("rewrite of {table}"),
                    old: "no rewrite".into(),
                    new: "rewritten".into(),
                    regression: true,
                });
            }
        }
        let (old_locks, new_locks) = (locks(o), locks(n));
        for ((relation, mode), held) in &new_locks {
            let what = format!("{mode} on {relation} held");
            match old_locks.get(&(relation.clone(), mode.clone())) {
                Some(before) => timing(&mut c.changes, &name, &what, *before, *held),
                None => {
                    let strongest_before = old_locks
                        .keys()
                        .filter(|(r, _)| r == relation)
                        .map(|(_, m)| m.as_str())
                        .max_by_key(|m| measures::lock_strength(m));
                    let stronger = strongest_before
                        .map(|b| measures::lock_strength(mode) > measures::lock_strength(b))
                        .unwrap_or(true);
                    if stronger {
                        c.changes.push(Change {
                            migration: name.clone(),
                            what: format!("{mode} on {relation}"),
                            old: strongest_before
                                .map(|b| format!("{b} at most"))
                                .unwrap_or_else(|| "not taken".into()),
                            new: held
                                .map(|h| format!("taken, held {}", duration(h)))
                                .unwrap_or_else(|| "taken".into()),
                            regression: true,
                        });
                    }
                }
            }
        }
        if o.verdict != n.verdict {
            c.changes.push(Change {
                migration: name.clone(),
                what: "verdict".into(),
                old: measures::verdict_word(o.verdict).into(),
                new: measures::verdict_word(n.verdict).into(),
                regression: n.verdict == Verdict::Fail,
            });
        }
    }
    for o in &old.migrations {
        if !new.migrations.iter().any(|n| n.id == o.id) {
            c.removed.push(label(o));
        }
    }
    if old.verdict != new.verdict {
        c.changes.push(Change {
            migration: "run".into(),
            what: "verdict".into(),
            old: measures::verdict_word(old.verdict).into(),
            new: measures::verdict_word(new.verdict).into(),
            regression: new.verdict == Verdict::Fail,
        });
    }
    c
}

/// Records a timing that moved by more than noise.
fn timing(changes: &mut Vec<Change>, name: &str, what: &str, old: Option<f64>, new: Option<f64>) {
    if let (Some(a), Some(b)) = (old, new) {
        if grew(a, b) || shrank(a, b) {
            changes.push(Change {
                migration: name.to_string(),
                what: what.to_string(),
                old: duration(a),
                new: duration(b),
                regression: grew(a, b),
            });
        }
    }
}

/// The longest hold of each (relation, mode) in every direction of a migration; None when taken
/// but not timed.
fn locks(m: &MigrationReport) -> BTreeMap<(String, String), Option<f64>> {
    let mut out: BTreeMap<(String, String), Option<f64>> = BTreeMap::new();
    for (_, d) in measures::directions(m) {
        for l in d.statements.iter().flat_map(|s| &s.locks) {
            let e = out
                .entry((l.relation.clone(), l.mode.clone()))
                .or_insert(None);
            *e = Some(e.map_or(l.held_ms, |x: f64| x.max(l.held_ms)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::compare::render_text;
    use crate::report::{Direction, LockReport, StatementReport};

    fn run(forward_ms: f64, lock: Option<(&str, f64)>) -> Report {
        Report {
            verdict: Verdict::Pass,
            migrations: vec![MigrationReport {
                id: "002".into(),
                name: "add_status".into(),
                verdict: Verdict::Pass,
                forward: Direction {
                    ok: true,
                    duration_ms: forward_ms,
                    statements: vec![StatementReport {
                        locks: lock
                            .map(|(mode, held)| LockReport {
                                relation: "public.users".into(),
                                mode: mode.into(),
                                held_ms: held,
                                ..Default::default()
                            })
                            .into_iter()
                            .collect(),
                        ..Default::default()
                    }],
                    ..Default::default()
                },
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn slower_and_longer_locks_are_regressions_noise_is_not() {
        let old = run(100.0, Some(("AccessExclusiveLock", 100.0)));
        let new = run(900.0, Some(("AccessExclusiveLock", 850.0)));
        let c = compare(&old, &new);
        assert_eq!(c.regressions(), 2, "{c:?}");
        assert!(render_text(&c)
            .contains("WORSE 002 add_status: forward duration: 100.0 ms -> 900.0 ms"));
        // 10 ms more is noise.
        assert!(
            compare(&old, &run(110.0, Some(("AccessExclusiveLock", 110.0))))
                .changes
                .is_empty()
        );
    }

    #[test]
    fn a_stronger_lock_mode_than_before_is_a_regression() {
        let old = run(10.0, Some(("ShareLock", 5.0)));
        let new = run(10.0, Some(("AccessExclusiveLock", 5.0)));
        let c = compare(&old, &new);
        assert_eq!(c.regressions(), 1);
        assert_eq!(c.changes[0].what, "AccessExclusiveLock on public.users");
        assert_eq!(c.changes[0].old, "ShareLock at most");
    }

    #[test]
    fn more_wal_and_a_new_rewrite_are_regressions_small_wal_changes_are_not() {
        let with = |wal: u64, rewrites: &[&str]| {
            let mut r = run(10.0, None);
            r.migrations[0].forward.wal_bytes = Some(wal);
            r.migrations[0].forward.statements[0].rewrites =
                rewrites.iter().map(|s| s.to_string()).collect();
            r
        };
        let c = compare(&with(2_000_000, &[]), &with(90_000_000, &["public.users"]));
        assert_eq!(c.regressions(), 2, "{c:?}");
        let text = render_text(&c);
        assert!(text.contains("forward WAL: 2.0 MB -> 90.0 MB"), "{text}");
        assert!(
            text.contains("rewrite of public.users: no rewrite -> rewritten"),
            "{text}"
        );
        // 300 kB more is noise; less WAL is an improvement.
        assert!(compare(&with(2_000_000, &[]), &with(2_300_000, &[]))
            .changes
            .is_empty());
        let c = compare(&with(90_000_000, &[]), &with(2_000_000, &[]));
        assert_eq!((c.regressions(), c.changes.len()), (0, 1));
    }

    #[test]
    fn faster_runs_are_improvements() {
        let c = compare(&run(900.0, None), &run(100.0, None));
        assert_eq!(c.regressions(), 0);
        assert_eq!(c.changes.len(), 1);
    }
}
