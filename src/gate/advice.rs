//! Findings with advice: every failed check and every hazard in one sentence, with the safer
//! pattern beside it. Hazards come from the parse trees and the measurements together; a hazard
//! that depends on table size fires only when the table is known to be large or the statement
//! was slow in the rehearsal.

use super::sql::{self, Action};
use crate::lock_mode::LockMode;
use crate::report::measures::{self, duration};
use crate::report::{Finding, FindingKind, MigrationReport};
use std::collections::BTreeSet;

/// A statement this slow in the rehearsal is evidence of a large table when sizes are unknown.
const SLOW_STATEMENT_MS: f64 = 1000.0;
/// An AccessExclusiveLock held this long blocks every reader of the table noticeably.
const LONG_EXCLUSIVE_LOCK_MS: f64 = 1000.0;

/// Adds the advice for its kind to a finding that has none.
pub fn attach(f: &mut Finding) {
    if f.advice.is_none() {
        f.advice = f.catalogued().map(|k| k.advice().to_string());
    }
}

/// The hazards of one migration's forward direction.
/// `lock_timeout_in_session`: the scenario sets lock_timeout for the migration's session.
pub fn hazards(
    m: &MigrationReport,
    large: &dyn Fn(&str) -> Option<bool>,
    lock_timeout_in_session: bool,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut created: BTreeSet<String> = BTreeSet::new();
    let mut lock_timeout_set = lock_timeout_in_session;
    let mut warned_timeout = false;
    let file = &m.file;
    for s in &m.forward.statements {
        let is_large = |table: &str| match large(table) {
            Some(l) => l,
            None => s.duration_ms >= SLOW_STATEMENT_MS,
        };
        let size_note = |table: &str| match large(table) {
            Some(true) => "a large table".to_string(),
            _ => format!("a table that took {} to process", duration(s.duration_ms)),
        };
        let actions = sql::actions(&s.sql);
        // What this statement creates is new, and locking it hurts no one: the tables its parse
        // tree creates, and every relation the probe saw appear (no size before the statement).
        for a in &actions {
            if let Action::CreateTable { table } = a {
                created.insert(table.clone());
            }
        }
        for c in &s.size_changes {
            if c.before_bytes.is_none() {
                created.insert(c.relation.clone());
            }
        }
        let mut locks_existing = s.locks.iter().any(|l| {
            LockMode::from_pg_locks_name(&l.mode) == Some(LockMode::AccessExclusive)
                && measures::on_table(l)
                && !created.contains(&l.relation)
        });
        for a in &actions {
            match a {
                Action::SetLockTimeout => lock_timeout_set = true,
                Action::LocksTable { table } if !created.contains(table) => locks_existing = true,
                Action::Destructive { .. } => {}
                Action::CreateIndex {
                    table,
                    name,
                    concurrently: false,
                } if !created.contains(table) && is_large(table) => out.push(Finding::of(
                    FindingKind::IndexWithoutConcurrently,
                    format!(
                        "{file}, line {}: CREATE INDEX {name} without CONCURRENTLY blocks writes to {table}, {}, while it builds.",
                        s.line,
                        size_note(table)
                    ),
                )),
                Action::AddForeignKey {
                    table,
                    name,
                    not_valid: false,
                } if !created.contains(table) => out.push(Finding::of(
                    FindingKind::ForeignKeyValidated,
                    format!(
                        "{file}, line {}: foreign key {name} on {table} is added without NOT VALID, so it scans the table while blocking writes to both tables.",
                        s.line
                    ),
                )),
                Action::SetNotNull { table, column }
                    if !created.contains(table) && is_large(table) =>
                {
                    out.push(Finding::of(
                    FindingKind::SetNotNullScan,
                        format!(
                            "{file}, line {}: SET NOT NULL on {table}.{column} scans {} under an AccessExclusiveLock.",
                            s.line,
                            size_note(table)
                        ),
                    ))
                }
                _ => {}
            }
        }
        for r in &s.rewrites {
            if !created.contains(r) && is_large(r) {
                out.push(Finding::of(
                    FindingKind::RewriteLargeTable,
                    format!(
                        "{file}, line {}: the statement rewrites {r}, {}, holding an AccessExclusiveLock throughout.",
                        s.line,
                        size_note(r)
                    ),
                ));
            }
        }
        for l in &s.locks {
            if LockMode::from_pg_locks_name(&l.mode) == Some(LockMode::AccessExclusive)
                && measures::on_table(l)
                && !created.contains(&l.relation)
                && l.held_ms >= LONG_EXCLUSIVE_LOCK_MS
            {
                out.push(Finding::of(
                    FindingKind::LongAccessExclusiveLock,
                    format!(
                        "{file}, line {}: AccessExclusiveLock on {} was held for {}; every query on the table waits that long.",
                        s.line,
                        l.relation,
                        duration(l.held_ms)
                    ),
                ));
            }
        }
        if locks_existing && !lock_timeout_set && !warned_timeout {
            warned_timeout = true;
            out.push(Finding::of(
                    FindingKind::NoLockTimeout,
                format!(
                    "{file}, line {}: the migration locks an existing table without setting lock_timeout first.",
                    s.line
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::gate::{evaluate, Approvals, GateConfig};
    use crate::report::{
        Direction, LockReport, MigrationReport, Report, StatementReport, TableSize, Verdict,
    };

    /// A one-migration report whose forward runs `statements` (sql, duration, locks held for).
    fn hazards_of(statements: &[(&str, f64, Option<f64>, &[&str])]) -> Vec<(String, String)> {
        let statements = statements
            .iter()
            .enumerate()
            .map(|(i, (sql, ms, held, rewrites))| StatementReport {
                sql: sql.to_string(),
                line: i + 1,
                duration_ms: *ms,
                ok: true,
                transactional: true,
                locks: held
                    .map(|h| LockReport {
                        relation: "public.orders".into(),
                        mode: "AccessExclusiveLock".into(),
                        held_ms: h,
                        ..Default::default()
                    })
                    .into_iter()
                    .collect(),
                rewrites: rewrites.iter().map(|r| r.to_string()).collect(),
                ..Default::default()
            })
            .collect();
        let report = Report {
            migrations: vec![MigrationReport {
                id: "005".into(),
                file: "V005__x.sql".into(),
                rollback_file: Some("V005__x_rollback.sql".into()),
                verdict: Verdict::Pass,
                forward: Direction {
                    ok: true,
                    statements,
                    ..Default::default()
                },
                ..Default::default()
            }],
            tables: vec![
                TableSize {
                    relation: "public.orders".into(),
                    rows: Some(50_000_000),
                    bytes: None,
                },
                TableSize {
                    relation: "public.tiny".into(),
                    rows: Some(10),
                    bytes: None,
                },
            ],
            ..Default::default()
        };
        let judged = evaluate(&report, &GateConfig::default(), &Approvals::default());
        let m = &judged.migrations[0];
        assert_eq!(
            m.verdict,
            Verdict::Pass,
            "hazards never fail a migration by themselves"
        );
        m.hazards
            .iter()
            .map(|h| {
                assert!(h.advice.is_some(), "{} has no advice", h.kind);
                (h.kind.clone(), h.message.clone())
            })
            .collect()
    }

    fn kinds(h: &[(String, String)]) -> Vec<&str> {
        h.iter().map(|(k, _)| k.as_str()).collect()
    }

    const TIMEOUT: (&str, f64, Option<f64>, &[&str]) = ("SET lock_timeout = '2s'", 0.1, None, &[]);

    #[test]
    fn an_index_without_concurrently_on_a_large_table_is_a_hazard() {
        let h = hazards_of(&[
            TIMEOUT,
            (
                "CREATE INDEX orders_user_idx ON orders (user_id)",
                5.0,
                None,
                &[],
            ),
        ]);
        assert_eq!(kinds(&h), ["index_without_concurrently"]);
        assert!(h[0].1.contains("V005__x.sql, line 2"), "{}", h[0].1);
        assert!(hazards_of(&[
            TIMEOUT,
            (
                "CREATE INDEX CONCURRENTLY i ON orders (user_id)",
                5.0,
                None,
                &[]
            )
        ])
        .is_empty());
        assert!(hazards_of(&[TIMEOUT, ("CREATE INDEX i ON tiny (x)", 5.0, None, &[])]).is_empty());
        // A table of unknown size that made the statement slow counts as large.
        assert_eq!(
            kinds(&hazards_of(&[
                TIMEOUT,
                ("CREATE INDEX i ON unknown (x)", 4000.0, None, &[])
            ])),
            ["index_without_concurrently"]
        );
        // A table created by the same migration is empty.
        assert!(hazards_of(&[
            ("CREATE TABLE fresh (x int)", 1.0, None, &[]),
            ("CREATE INDEX i ON fresh (x)", 4000.0, None, &[])
        ])
        .is_empty());
    }

    #[test]
    fn a_foreign_key_without_not_valid_is_a_hazard() {
        let fk = "ALTER TABLE tiny ADD CONSTRAINT fk FOREIGN KEY (o) REFERENCES orders (id)";
        assert_eq!(
            kinds(&hazards_of(&[TIMEOUT, (fk, 1.0, None, &[])])),
            ["foreign_key_validated"]
        );
        let not_valid = format!("{fk} NOT VALID");
        assert!(hazards_of(&[TIMEOUT, (&not_valid, 1.0, None, &[])]).is_empty());
    }

    #[test]
    fn set_not_null_on_a_large_table_is_a_hazard() {
        let h = hazards_of(&[
            TIMEOUT,
            (
                "ALTER TABLE orders ALTER COLUMN user_id SET NOT NULL",
                5.0,
                None,
                &[],
            ),
        ]);
        assert_eq!(kinds(&h), ["set_not_null_scan"]);
        assert!(hazards_of(&[
            TIMEOUT,
            (
                "ALTER TABLE tiny ALTER COLUMN x SET NOT NULL",
                5.0,
                None,
                &[]
            )
        ])
        .is_empty());
    }

    #[test]
    fn a_rewrite_of_a_large_table_is_a_hazard() {
        let h = hazards_of(&[
            TIMEOUT,
            (
                "ALTER TABLE orders ADD COLUMN n int DEFAULT random()",
                5.0,
                None,
                &["public.orders"],
            ),
        ]);
        assert_eq!(kinds(&h), ["rewrite_large_table"]);
    }

    #[test]
    fn a_long_access_exclusive_lock_is_a_hazard() {
        let h = hazards_of(&[
            TIMEOUT,
            (
                "ALTER TABLE orders ADD COLUMN n int",
                5.0,
                Some(2500.0),
                &[],
            ),
        ]);
        assert_eq!(kinds(&h), ["long_access_exclusive_lock"]);
        assert!(h[0].1.contains("2.50 s"), "{}", h[0].1);
        assert!(hazards_of(&[
            TIMEOUT,
            ("ALTER TABLE orders ADD COLUMN n int", 5.0, Some(20.0), &[])
        ])
        .is_empty());
    }

    #[test]
    fn locking_an_existing_table_without_lock_timeout_is_a_hazard() {
        let h = hazards_of(&[("ALTER TABLE tiny ADD COLUMN n int", 1.0, None, &[])]);
        assert_eq!(kinds(&h), ["no_lock_timeout"]);
        assert!(h[0].1.contains("line 1"));
        assert!(hazards_of(&[
            TIMEOUT,
            ("ALTER TABLE tiny ADD COLUMN n int", 1.0, None, &[])
        ])
        .is_empty());
        assert!(hazards_of(&[("CREATE TABLE fresh (x int)", 1.0, None, &[])]).is_empty());
    }

    #[test]
    fn every_failure_kind_the_rehearsal_reports_has_advice() {
        for kind in [
            "forward_failed",
            "rollback_failed",
            "redo_failed",
            "missing_rollback",
            "not_run",
            "baseline_failed",
            "schema_not_restored",
            "data_not_preserved",
            "redo_differs",
            "snapshot_failed",
            "lock_timeout",
            "statement_timeout",
            "gate_max_duration",
            "gate_max_lock_hold",
            "gate_max_blocked",
            "gate_rollback",
            "gate_destructive",
        ] {
            assert!(crate::report::FindingKind::parse(kind).is_some(), "{kind}");
        }
    }
}
