//! Predictions for production's size: the same migrations rehearsed at three or more seeded
//! sizes, each measure of each forward statement (duration, longest lock hold, WAL, workload
//! blocked time) fitted against the rows of the table that drives it, and carried to the rows
//! the dataset declares for production, always with an interval and the model chosen.
//!
//! Pure: it reads finished reports and returns predictions. It never runs a rehearsal (the
//! pipeline does, once per size) and never extrapolates a measure that did not grow with rows.

pub mod fit;
pub mod production;

use crate::report::measures::on_table;
use crate::report::prediction::{Estimate, LockEstimate, Prediction, StatementPrediction};
use crate::report::{MigrationReport, Report, StatementReport};
use fit::{Growth, Point};

/// Seeded sizes `--predict` rehearses, as fractions of what the scale gives; the last is the
/// run the report is about.
pub const FRACTIONS: [f64; 3] = [0.25, 0.5, 1.0];

/// A sequential scan of a table larger than a quarter of shared_buffers (32 MiB at the default
/// 128 MB) goes through a small ring of buffers, so its pages come from outside PostgreSQL's
/// cache: a seeded table under that size is scanned from memory, production's is not.
const SCAN_RING_BYTES: f64 = 32.0 * 1024.0 * 1024.0;
/// How much slower per row such a scan ran past that size in `benches/prediction` (7.5x for
/// VALIDATE CONSTRAINT and SET NOT NULL at 1.6M rows against 100k): the interval's top.
const OUT_OF_CACHE_FACTOR: f64 = 8.0;

/// PostgreSQL's default shared_buffers: a statement on a table larger than this reads it from
/// outside PostgreSQL's cache and evicts dirty pages as it writes (its sort may spill past
/// maintenance_work_mem, its WAL force checkpoints), which a seeded table that fits never does.
const SHARED_BUFFERS_BYTES: f64 = 128.0 * 1024.0 * 1024.0;
/// How much slower per row statements ran past that size in `benches/prediction` (at 3M rows
/// against 300k: VALIDATE 3.1x, an index build 2.0x, a rewrite 1.8x, an UPDATE 1.5x, SET NOT
/// NULL 1.4x; at 1.6M against 100k up to 2.2x): the interval's top.
const PAST_SHARED_BUFFERS_FACTOR: f64 = 3.5;

/// Durations under this many milliseconds are noise on a busy machine.
const FLOOR_MS: f64 = 5.0;
/// WAL under this many bytes is catalog traffic, not rows.
const FLOOR_WAL: f64 = 256.0 * 1024.0;

/// Writes `migrations[].prediction` into `report` (the run at the largest seeded size) from
/// `smaller` (the same migrations rehearsed at smaller sizes); returns one sentence per
/// migration that could not be predicted, saying why.
pub fn attach(report: &mut Report, smaller: &[Report]) -> Vec<String> {
    let mut notes = Vec::new();
    let full = report.clone();
    for m in &mut report.migrations {
        let mut runs: Vec<(&Report, &MigrationReport)> = Vec::new();
        for r in smaller.iter().chain(std::iter::once(&full)) {
            if let Some(found) = r.migrations.iter().find(|o| o.id == m.id) {
                runs.push((r, found));
            }
        }
        match predict(&runs, &full) {
            Ok(p) => m.prediction = Some(p),
            Err(why) => notes.push(format!("{} {}: not predicted: {why}", m.id, m.name)),
        }
    }
    notes
}

/// One migration's prediction from its rehearsals at each size (smallest first, the largest
/// last); `full` gives production's declared rows.
fn predict(runs: &[(&Report, &MigrationReport)], full: &Report) -> Result<Prediction, String> {
    if runs.len() < 3 {
        return Err(format!(
            "it was rehearsed at {} size{}; a prediction needs three",
            runs.len(),
            if runs.len() == 1 { "" } else { "s" }
        ));
    }
    if let Some((r, _)) = runs.iter().find(|(_, m)| !m.forward.ok) {
        let rows = r.seed.as_ref().map_or(0, |s| s.rows);
        return Err(format!(
            "its forward failed at the size of {rows} seeded rows"
        ));
    }
    let (_, last) = runs.last().expect("three runs");
    let count = last.forward.statements.len();
    if runs
        .iter()
        .any(|(_, m)| m.forward.statements.len() != count)
    {
        return Err("its forward ran different statements at different sizes".into());
    }
    let production = |relation: &str| {
        full.tables
            .iter()
            .find(|t| t.relation == relation)
            .and_then(|t| t.production_rows)
    };
    let seeded = |r: &Report, relation: &str| {
        r.tables
            .iter()
            .find(|t| t.relation == relation)
            .and_then(|t| t.rows)
            .unwrap_or(0)
    };
    let driver_of = |s: &StatementReport| -> Option<(String, u64)> {
        s.locks
            .iter()
            .filter(|l| on_table(l))
            .map(|l| l.relation.as_str())
            .chain(s.rewrites.iter().map(String::as_str))
            .chain(s.size_changes.iter().map(|c| c.relation.as_str()))
            .filter_map(|r| production(r).map(|p| (r.to_string(), p)))
            .max_by_key(|(_, p)| *p)
    };
    let drivers: Vec<Option<(String, u64)>> =
        last.forward.statements.iter().map(driver_of).collect();
    let Some((relation, rows)) = drivers.iter().flatten().max_by_key(|(_, p)| *p).cloned() else {
        return Err(
            "it touches no table whose production size is declared (production_rows)".into(),
        );
    };
    let sizes_of = |relation: &str| -> Vec<f64> {
        runs.iter()
            .map(|(r, _)| seeded(r, relation) as f64)
            .collect()
    };
    let mut notes = Vec::new();
    let mut statements = Vec::new();
    // What the statements' intervals grew by for scans that leave the cache at production's size.
    let mut widened = 0.0;
    for (i, driver) in drivers.iter().enumerate() {
        let s = &last.forward.statements[i];
        let Some((driving, target)) = driver else {
            notes.push(format!(
                "line {}: touches no table whose production size is declared",
                s.line
            ));
            continue;
        };
        let at: Vec<&StatementReport> =
            runs.iter().map(|(_, m)| &m.forward.statements[i]).collect();
        let again: Vec<Option<&StatementReport>> = runs.iter().map(|(_, m)| redone(m, i)).collect();
        let xs = sizes_of(driving);
        let shape = shape_of(&s.sql);
        let (durations, spreads) = repeated(&at, &again, |s| s.duration_ms);
        let mut duration = fit::extrapolate_with_spreads(
            &xs.iter()
                .zip(&durations)
                .map(|(rows, value)| Point {
                    rows: *rows,
                    value: *value,
                })
                .collect::<Vec<_>>(),
            &spreads,
            *target as f64,
            shape,
            FLOOR_MS,
        );
        if s.lock_wait_ms > 0.5 * s.duration_ms && s.duration_ms >= FLOOR_MS {
            duration = lock_wait(duration, s.lock_wait_ms);
        } else if catalog_only(&s.sql) && at.iter().all(|s| s.rewrites.is_empty()) {
            duration = fit::constant(
                &duration.measured,
                FLOOR_MS,
                "a catalog change that rewrote nothing: constant time, whatever the rows",
            );
        }
        let (last_run, _) = runs.last().expect("three runs");
        let bytes = last_run
            .tables
            .iter()
            .find(|t| &t.relation == driving)
            .and_then(|t| Some((t.bytes? as f64, t.rows? as f64)));
        if let Some((bytes, rows)) = bytes.filter(|(_, rows)| *rows > 0.0) {
            let production_bytes = bytes * *target as f64 / rows;
            let reads_only = s.wal_bytes.is_none_or(|w| (w as f64) < 0.1 * bytes);
            if reads_only && bytes < SCAN_RING_BYTES && production_bytes >= SCAN_RING_BYTES {
                widened += out_of_cache(&mut duration, production_bytes, OUT_OF_CACHE_FACTOR);
            } else if bytes < SHARED_BUFFERS_BYTES && production_bytes >= SHARED_BUFFERS_BYTES {
                widened +=
                    out_of_cache(&mut duration, production_bytes, PAST_SHARED_BUFFERS_FACTOR);
            }
        }
        statements.push(StatementPrediction {
            line: s.line,
            sql: s.sql.clone(),
            relation: driving.clone(),
            rows: *target,
            duration_ms: duration,
            max_lock_hold_ms: longest_hold(&xs, &at, &again, *target, shape),
            wal_bytes: measure(
                &xs,
                &at,
                |s| s.wal_bytes.map(|b| b as f64),
                *target,
                Growth::Linear,
                FLOOR_WAL,
            ),
            blocked_ms: measure(
                &xs,
                &at,
                |s| s.workload.as_ref().map(|w| w.blocked_longest_ms),
                *target,
                shape,
                FLOOR_MS,
            ),
        });
    }
    let xs = sizes_of(&relation);
    // The migration's shape is its longest statement's.
    let shape = last
        .forward
        .statements
        .iter()
        .max_by(|a, b| a.duration_ms.total_cmp(&b.duration_ms))
        .map_or(Growth::Linear, |s| shape_of(&s.sql));
    let target = rows as f64;
    let points = |value: &dyn Fn(&MigrationReport) -> Option<f64>| -> Option<Vec<Point>> {
        runs.iter()
            .zip(&xs)
            .map(|((_, m), rows)| value(m).map(|value| Point { rows: *rows, value }))
            .collect()
    };
    // The forward ran twice at each size (forward, then redo after the rollback): the faster
    // of the two is the statement's cost, their difference the machine's noise.
    let redo_ms = |m: &MigrationReport| m.redo.as_ref().filter(|r| r.ok).map(|r| r.duration_ms);
    let spreads: Vec<f64> = runs
        .iter()
        .map(|(_, m)| redo_ms(m).map_or(0.0, |r| relative_gap(m.forward.duration_ms, r)))
        .collect();
    let forward = points(&|m| {
        Some(redo_ms(m).map_or(m.forward.duration_ms, |r| r.min(m.forward.duration_ms)))
    })
    .expect("durations");
    let mut forward_ms = fit::extrapolate_with_spreads(&forward, &spreads, target, shape, FLOOR_MS);
    if last.forward.lock_wait_ms > 0.5 * last.forward.duration_ms
        && last.forward.duration_ms >= FLOOR_MS
    {
        forward_ms = lock_wait(forward_ms, last.forward.lock_wait_ms);
    }
    if widened > 0.0 {
        if let Some(high) = forward_ms.high.as_mut() {
            *high += widened;
        }
    }
    // Every statement constant (a catalog change): so is the migration, and its locks.
    let all_constant = !statements.is_empty()
        && statements.len() == count
        && statements.iter().all(|s| {
            matches!(
                s.duration_ms.model,
                crate::report::prediction::Model::Constant
            )
        });
    let constant_note = "every statement is constant: not extrapolated";
    if all_constant {
        forward_ms = fit::constant(&forward_ms.measured, FLOOR_MS, constant_note);
    }
    let wal_bytes = points(&|m| m.forward.wal_bytes.map(|b| b as f64))
        .map(|p| fit::extrapolate(&p, target, Growth::Linear, FLOOR_WAL));
    let blocked_ms = points(&|m| {
        m.forward
            .statements
            .iter()
            .map(|s| s.workload.as_ref().map(|w| w.blocked_longest_ms))
            .collect::<Option<Vec<f64>>>()
            .filter(|v| !v.is_empty())
            .map(|v| v.into_iter().fold(0.0, f64::max))
    })
    .map(|p| fit::extrapolate(&p, target, shape, FLOOR_MS));
    let mut max_lock_hold_ms = migration_hold(runs, &xs, target, shape);
    if all_constant {
        if let Some(lock) = max_lock_hold_ms.as_mut() {
            lock.hold = fit::constant(&lock.hold.measured, FLOOR_MS, constant_note);
        }
    }
    Ok(Prediction {
        rows,
        relation,
        seeded_rows: xs.iter().map(|x| *x as u64).collect(),
        forward_ms,
        max_lock_hold_ms,
        wal_bytes,
        blocked_ms,
        statements,
        notes,
    })
}

/// The `i`th statement of the migration's redo (its forward applied again after the
/// rollback), when the redo ran the same statements cleanly.
fn redone(m: &MigrationReport, i: usize) -> Option<&StatementReport> {
    m.redo
        .as_ref()
        .filter(|r| r.ok && r.statements.len() == m.forward.statements.len())
        .map(|r| &r.statements[i])
}

/// A measure taken twice at each size (forward and redo): the smaller of the two at each size,
/// and the relative gap between them at each size (the machine's noise there).
fn repeated(
    at: &[&StatementReport],
    again: &[Option<&StatementReport>],
    value: impl Fn(&StatementReport) -> f64,
) -> (Vec<f64>, Vec<f64>) {
    let mut spreads = Vec::new();
    let values = at
        .iter()
        .zip(again)
        .map(|(first, second)| {
            let a = value(first);
            match second {
                Some(second) => {
                    let b = value(second);
                    spreads.push(if a.max(b) >= FLOOR_MS {
                        relative_gap(a, b)
                    } else {
                        0.0
                    });
                    a.min(b)
                }
                None => {
                    spreads.push(0.0);
                    a
                }
            }
        })
        .collect();
    (values, spreads)
}

/// |a - b| over the smaller of the two.
fn relative_gap(a: f64, b: f64) -> f64 {
    let low = a.min(b);
    if low > 0.0 {
        (a - b).abs() / low
    } else {
        0.0
    }
}

/// A statement that changes only the catalog when it rewrites nothing (ADD COLUMN with a
/// constant default, a constraint NOT VALID, a rename, a drop): its time is not the rows'.
fn catalog_only(sql: &str) -> bool {
    let upper = sql.to_uppercase();
    let scans = [
        "UNIQUE",
        "PRIMARY KEY",
        "REFERENCES",
        "CHECK",
        "VALIDATE",
        "SET NOT NULL",
        " TYPE ",
    ];
    let catalog = [
        "ADD COLUMN",
        "NOT VALID",
        "DROP COLUMN",
        "DROP CONSTRAINT",
        "RENAME",
        "COMMENT ON",
        "SET DEFAULT",
        "DROP DEFAULT",
        "DROP NOT NULL",
    ];
    upper.starts_with("ALTER TABLE")
        && catalog.iter().any(|c| upper.contains(c))
        && (upper.contains("NOT VALID") || !scans.iter().any(|c| upper.contains(c)))
}

/// Sorts and index builds grow as n log n; everything else as n.
fn shape_of(sql: &str) -> Growth {
    let upper = sql.to_uppercase();
    let sorts = [
        "CREATE INDEX",
        "CREATE UNIQUE INDEX",
        "REINDEX",
        "CLUSTER",
        "PRIMARY KEY",
        "UNIQUE",
        " TYPE ",
        "VACUUM FULL",
    ];
    if sorts.iter().any(|s| upper.contains(s)) {
        Growth::NLogN
    } else {
        Growth::Linear
    }
}

/// A measure of one statement at each size, fitted; None when some size did not observe it.
fn measure(
    xs: &[f64],
    at: &[&StatementReport],
    value: impl Fn(&StatementReport) -> Option<f64>,
    target: u64,
    shape: Growth,
    floor: f64,
) -> Option<Estimate> {
    let points: Option<Vec<Point>> = xs
        .iter()
        .zip(at)
        .map(|(rows, s)| value(s).map(|value| Point { rows: *rows, value }))
        .collect();
    Some(fit::extrapolate(&points?, target as f64, shape, floor))
}

/// The statement's longest-held lock at the largest size, fitted over the same lock (mode and
/// relation) at every size.
fn longest_hold(
    xs: &[f64],
    at: &[&StatementReport],
    again: &[Option<&StatementReport>],
    target: u64,
    shape: Growth,
) -> Option<LockEstimate> {
    let last = at.last()?;
    let lock = last
        .locks
        .iter()
        .max_by(|a, b| a.held_ms.total_cmp(&b.held_ms))?;
    let held = |s: &StatementReport| {
        s.locks
            .iter()
            .find(|l| l.mode == lock.mode && l.relation == lock.relation)
            .map(|l| l.held_ms)
    };
    if at.iter().any(|s| held(s).is_none()) {
        return None;
    }
    let (holds, spreads) = repeated(at, again, |s| held(s).unwrap_or(0.0));
    let points: Vec<Point> = xs
        .iter()
        .zip(&holds)
        .map(|(rows, value)| Point {
            rows: *rows,
            value: *value,
        })
        .collect();
    let hold = fit::extrapolate_with_spreads(&points, &spreads, target as f64, shape, FLOOR_MS);
    Some(LockEstimate {
        mode: lock.mode.clone(),
        relation: lock.relation.clone(),
        hold,
    })
}

/// The migration's longest-held lock at the largest size, fitted over the same lock.
fn migration_hold(
    runs: &[(&Report, &MigrationReport)],
    xs: &[f64],
    target: f64,
    shape: Growth,
) -> Option<LockEstimate> {
    let (_, last) = runs.last()?;
    let lock = last
        .forward
        .statements
        .iter()
        .flat_map(|s| &s.locks)
        .max_by(|a, b| a.held_ms.total_cmp(&b.held_ms))?;
    let points: Option<Vec<Point>> = runs
        .iter()
        .zip(xs)
        .map(|((_, m), rows)| {
            m.forward
                .statements
                .iter()
                .flat_map(|s| &s.locks)
                .filter(|l| l.mode == lock.mode && l.relation == lock.relation)
                .map(|l| l.held_ms)
                .reduce(f64::max)
                .map(|value| Point { rows: *rows, value })
        })
        .collect();
    Some(LockEstimate {
        mode: lock.mode.clone(),
        relation: lock.relation.clone(),
        hold: fit::extrapolate(&points?, target, shape, FLOOR_MS),
    })
}

/// Raises the top of a scan's interval for a table that fits in the scan's ring when seeded but
/// not in production; returns by how much.
fn out_of_cache(e: &mut Estimate, production_bytes: f64, factor: f64) -> f64 {
    let (Some(estimate), Some(high)) = (e.estimate, e.high) else {
        return 0.0;
    };
    let raised = (estimate * factor).max(high);
    e.high = Some(raised);
    let note = if factor == OUT_OF_CACHE_FACTOR {
        format!(
            "reads {} in production, past what PostgreSQL scans from its own cache (32 MiB at the default shared_buffers), which the seeded table is not: up to {factor:.0}x per row",
            crate::report::measures::bytes(production_bytes as u64)
        )
    } else {
        format!(
            "works on {} in production, more than PostgreSQL's cache holds (128 MB at the default shared_buffers), which the seeded table is not: up to {factor:.1}x per row",
            crate::report::measures::bytes(production_bytes as u64)
        )
    };
    e.note = Some(match e.note.take() {
        Some(old) => format!("{old}; {note}"),
        None => note,
    });
    raised - high
}

/// A measure of a statement that spent most of its time waiting for a lock: not driven by
/// rows, so not extrapolated.
fn lock_wait(mut e: Estimate, waited_ms: f64) -> Estimate {
    e.model = crate::report::prediction::Model::LockWait;
    e.estimate = e.measured.last().copied();
    e.low = e.measured.iter().copied().reduce(f64::min);
    e.high = e.measured.iter().copied().reduce(f64::max);
    e.r2 = None;
    e.note = Some(format!(
        "waited {} for a lock: depends on other sessions, not on rows; not extrapolated",
        crate::report::measures::duration(waited_ms)
    ));
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::prediction::Model;

    #[test]
    fn a_scan_that_leaves_the_cache_in_production_gets_a_higher_top_and_says_why() {
        let mut e = Estimate {
            estimate: Some(360.0),
            low: Some(300.0),
            high: Some(1200.0),
            model: Model::Linear,
            r2: Some(1.0),
            measured: vec![20.0, 40.0, 80.0],
            note: None,
        };
        let raised = out_of_cache(&mut e, 400e6, OUT_OF_CACHE_FACTOR);
        assert_eq!(e.high, Some(2880.0));
        assert_eq!(raised, 1680.0);
        assert!(e.note.unwrap().contains("400.0 MB in production"));
    }

    #[test]
    fn sorts_are_n_log_n_and_scans_linear() {
        assert_eq!(
            shape_of("CREATE INDEX CONCURRENTLY i ON t (a)"),
            Growth::NLogN
        );
        assert_eq!(
            shape_of("ALTER TABLE t ALTER COLUMN a TYPE bigint"),
            Growth::NLogN
        );
        assert_eq!(
            shape_of("ALTER TABLE t VALIDATE CONSTRAINT c"),
            Growth::Linear
        );
    }

    #[test]
    fn a_constant_default_and_a_constraint_not_valid_are_catalog_changes() {
        assert!(catalog_only(
            "ALTER TABLE posts ADD COLUMN created_at timestamptz DEFAULT now()"
        ));
        assert!(catalog_only(
            "ALTER TABLE posts ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES p (id) NOT VALID"
        ));
        assert!(!catalog_only("ALTER TABLE posts VALIDATE CONSTRAINT fk"));
        assert!(!catalog_only(
            "ALTER TABLE posts ALTER COLUMN title SET NOT NULL"
        ));
        assert!(!catalog_only(
            "ALTER TABLE posts ADD COLUMN code text UNIQUE"
        ));
    }
}
