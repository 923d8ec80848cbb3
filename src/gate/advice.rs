//! Findings with advice: every failed check and every hazard in one sentence, with the safer
//! pattern beside it. Hazards are the rules of [`crate::rules`] (their id, advice and page come
//! from there), found in the parse trees and confirmed by the measurements: a size-aware rule
//! fires only when the table is known to be large or the statement was slow in the rehearsal,
//! and rewrites and long locks are what the probe measured.

use super::sql::{self, Action};
use crate::lock_mode::LockMode;
use crate::report::measures::{self, duration};
use crate::report::{Difference, Finding, FindingKind, MigrationReport};

use std::collections::BTreeSet;

/// A statement this slow in the rehearsal is evidence of a large table when sizes are unknown.
const SLOW_STATEMENT_MS: f64 = 1000.0;
/// An AccessExclusiveLock held this long blocks every reader of the table noticeably.
const LONG_EXCLUSIVE_LOCK_MS: f64 = 1000.0;

/// The sizes the hazards are judged at: production's rows where the dataset declares them,
/// else the rows seeded, against the gates' `large_table_rows`.
pub struct Sizes<'a> {
    pub tables: &'a [crate::report::TableSize],
    pub large_rows: u64,
}

impl Sizes<'_> {
    /// Whether `relation` is large; None when its size is unknown.
    pub fn large(&self, relation: &str) -> Option<bool> {
        self.table(relation)
            .and_then(|t| t.judged_rows())
            .map(|rows| rows >= self.large_rows)
    }

    /// "a large table", with production's size beside the seeded one when it is declared:
    /// "a large table (40M rows in production, 1M seeded)".
    fn large_phrase(&self, relation: &str) -> String {
        match self.table(relation).and_then(|t| t.production_phrase()) {
            Some(sizes) => format!("a large table ({sizes})"),
            None => "a large table".to_string(),
        }
    }

    fn table(&self, relation: &str) -> Option<&crate::report::TableSize> {
        self.tables.iter().find(|t| t.relation == relation)
    }
}

/// Adds the advice for its kind to a finding that has none.
pub fn attach(f: &mut Finding) {
    if f.advice.is_none() {
        f.advice = f.catalogued().map(|k| k.advice().to_string());
    }
}

/// The hazards of one migration's forward direction: the rules' findings in its parse trees,
/// confirmed and sized by what the rehearsal measured. A size-aware rule is a hazard only on a
/// large table (or a slow statement); a rewrite or a long lock is one when it was measured.
/// `lock_timeout_in_session`: the scenario sets lock_timeout for the migration's session.
pub fn hazards(m: &MigrationReport, sizes: &Sizes, lock_timeout_in_session: bool) -> Vec<Finding> {
    let large = |table: &str| sizes.large(table);
    use crate::rules::{self, InRun};
    let file = &m.file;
    let statements = &m.forward.statements;
    let parsed = rules::Parsed::new(
        statements.iter().map(|s| (s.sql.as_str(), s.line)),
        &mut rules::Schema::default(),
    );
    // What the probe saw appear is new too (a table a function created): before each line.
    let mut appeared: Vec<(usize, String)> = Vec::new();
    for s in statements {
        for c in &s.size_changes {
            if c.before_bytes.is_none() {
                appeared.push((s.line, c.relation.clone()));
            }
        }
    }
    let new_before =
        |line: usize, relation: &str| appeared.iter().any(|(l, r)| *l < line && r == relation);
    let statement_at = |line: usize| statements.iter().find(|s| s.line == line);
    let mut out = Vec::new();
    for (rule, hit) in rules::check(&parsed) {
        if hit
            .relation
            .as_deref()
            .is_some_and(|r| new_before(hit.line, r))
        {
            continue;
        }
        let lead = format!("{file}, line {}: {}", hit.line, hit.message);
        let message = match rule.in_run {
            InRun::LintOnly | InRun::Measured => continue,
            InRun::Always => {
                if rule.id == "require-lock-timeout" && lock_timeout_in_session {
                    continue;
                }
                format!("{lead}.")
            }
            InRun::WhenLarge => {
                let Some(table) = hit.relation.as_deref() else {
                    continue;
                };
                let ms = statement_at(hit.line).map_or(0.0, |s| s.duration_ms);
                match large(table) {
                    Some(true) => format!("{lead}: {table} is {}.", sizes.large_phrase(table)),
                    Some(false) => continue,
                    None if ms >= SLOW_STATEMENT_MS => {
                        format!("{lead}: the statement took {} on it.", duration(ms))
                    }
                    None => continue,
                }
            }
        };
        out.push(rule.finding(message).located(hit.line, hit.relation));
    }
    // What only the measurements show: rewrites, long exclusive locks, and an exclusive lock
    // on an existing table that no statement's tree explains, without lock_timeout.
    let mut warned_timeout = lock_timeout_in_session
        || out
            .iter()
            .any(|f| f.rule.as_deref() == Some("require-lock-timeout"));
    for (s, parsed_s) in statements.iter().zip(&parsed.stmts) {
        let is_large = |table: &str| match large(table) {
            Some(l) => l,
            None => s.duration_ms >= SLOW_STATEMENT_MS,
        };
        let size_note = |table: &str| match large(table) {
            Some(true) => sizes.large_phrase(table),
            _ => format!("a table that took {} to process", duration(s.duration_ms)),
        };
        // What this statement itself creates is new too: locking it blocks nobody.
        let created_here: BTreeSet<String> = parsed_s
            .node
            .as_ref()
            .map(rules::script::creates)
            .unwrap_or_default()
            .into_iter()
            .chain(
                s.size_changes
                    .iter()
                    .filter(|c| c.before_bytes.is_none())
                    .map(|c| c.relation.clone()),
            )
            .collect();
        let existing = |r: &str| {
            parsed_s.before.exists(r) && !new_before(s.line, r) && !created_here.contains(r)
        };
        let actions = sql::actions(&s.sql);
        for (table, indexes) in rewritten_tables(s, &actions) {
            if existing(table) && is_large(table) {
                out.push(rewrite_finding(
                    file,
                    s.line,
                    table,
                    indexes,
                    &size_note(table),
                    &actions,
                ));
            }
        }
        for l in &s.locks {
            let exclusive = LockMode::from_pg_locks_name(&l.mode)
                == Some(LockMode::AccessExclusive)
                && measures::on_table(l)
                && existing(&l.relation);
            if exclusive && l.held_ms >= LONG_EXCLUSIVE_LOCK_MS {
                out.push(
                    rules::by_id("long-access-exclusive-lock")
                        .expect("catalogued")
                        .finding(format!(
                            "{file}, line {}: AccessExclusiveLock on {} was held for {}; every query on the table waits that long.",
                            s.line,
                            l.relation,
                            duration(l.held_ms)
                        ))
                        .located(s.line, Some(l.relation.clone())),
                );
            }
            if exclusive && !warned_timeout && !parsed_s.before.lock_timeout {
                warned_timeout = true;
                out.push(
                    rules::by_id("require-lock-timeout")
                        .expect("catalogued")
                        .finding(format!(
                            "{file}, line {}: the migration locks {}, which already exists, without setting lock_timeout first.",
                            s.line, l.relation
                        ))
                        .located(s.line, Some(l.relation.clone())),
                );
            }
        }
    }
    out.sort_by_key(|f| f.line);
    out
}

/// The tables a statement rewrote, each with how many of the statement's other rewrites are
/// indexes (rebuilt along with it): a rewrite is one hazard per table, not one per index. A
/// relation is an index when the probe saw it as one, or when the statement names the tables it
/// changes and this is not one of them.
fn rewritten_tables<'a>(
    s: &'a crate::report::StatementReport,
    actions: &[Action],
) -> Vec<(&'a str, usize)> {
    let named: BTreeSet<&str> = actions
        .iter()
        .filter_map(|a| match a {
            Action::LocksTable { table }
            | Action::AddColumn { table, .. }
            | Action::SetNotNull { table, .. } => Some(table.as_str()),
            _ => None,
        })
        .collect();
    let seen_as_index = |r: &str| {
        s.locks.iter().any(|l| l.relation == r && l.kind == "index")
            || s.size_changes
                .iter()
                .any(|c| c.relation == r && c.kind == "index")
    };
    let any_named = s.rewrites.iter().any(|r| named.contains(r.as_str()));
    let is_table = |r: &str| !seen_as_index(r) && (!any_named || named.contains(r));
    let tables: Vec<&str> = s
        .rewrites
        .iter()
        .map(String::as_str)
        .filter(|r| is_table(r))
        .collect();
    let indexes = s.rewrites.len() - tables.len();
    tables
        .iter()
        .map(|t| (*t, if tables.len() == 1 { indexes } else { 0 }))
        .collect()
}

/// The rewrite of `table`, in the words of the statement that caused it and as the rule of its
/// shape: ALTER COLUMN ... TYPE (`changing-column-type`), an ADD COLUMN that gives every row its
/// own value (`adding-volatile-default`), or any other (`table-rewrite`).
fn rewrite_finding(
    file: &str,
    line: usize,
    table: &str,
    indexes: usize,
    size: &str,
    actions: &[Action],
) -> Finding {
    let rule = |id: &str| crate::rules::by_id(id).expect("catalogued");
    let rebuilt = if indexes > 0 {
        format!(
            " and rebuilds its {}",
            crate::words::count(indexes, "index")
        )
    } else {
        String::new()
    };
    let column_of = |object: &str| {
        object
            .strip_prefix(table)
            .and_then(|c| c.strip_prefix('.'))
            .map(str::to_string)
    };
    let type_change = actions.iter().find_map(|a| match a {
        Action::Destructive {
            kind: "alter_column_type",
            object,
        } => column_of(object),
        _ => None,
    });
    let added = actions.iter().find_map(|a| match a {
        Action::AddColumn { table: t, column } if t == table => Some(column.clone()),
        _ => None,
    });
    let lead = format!("{file}, line {line}:");
    let finding = match (type_change, added) {
        (Some(column), _) => rule("changing-column-type").finding(format!(
            "{lead} ALTER COLUMN {column} TYPE rewrites {table}, {size},{rebuilt} holding an AccessExclusiveLock throughout."
        )),
        (None, Some(column)) => rule("adding-volatile-default").finding(format!(
            "{lead} ADD COLUMN {column} rewrites {table}, {size}, to give every existing row its own value (a volatile default, or a generated or identity column),{rebuilt} holding an AccessExclusiveLock throughout."
        )),
        (None, None) => rule("table-rewrite").finding(format!(
            "{lead} the statement rewrites {table}, {size},{rebuilt} holding an AccessExclusiveLock throughout."
        )),
    };
    finding.located(line, Some(table.to_string()))
}

/// The labels of an enum as a difference lists them (`{a, b}`).
fn labels(list: &Option<String>) -> Vec<&str> {
    list.as_deref()
        .map(|l| l.trim_start_matches('{').trim_end_matches('}'))
        .filter(|l| !l.is_empty())
        .map(|l| l.split(", ").collect())
        .unwrap_or_default()
}

/// The enum values a rollback could not remove: (type, values), when the difference is one.
fn enum_values_added(d: &Difference) -> Option<(&str, Vec<&str>)> {
    if d.kind != "enum_values" {
        return None;
    }
    let (before, after) = (labels(&d.before), labels(&d.after));
    let added: Vec<&str> = after
        .iter()
        .filter(|v| !before.contains(v))
        .copied()
        .collect();
    (!added.is_empty() && before.iter().all(|v| after.contains(v)))
        .then_some((d.object.as_str(), added))
}

/// What to do about enum values a forward added: PostgreSQL cannot drop them, so the rollback
/// cannot; accept the difference, and make the forward idempotent.
fn enum_advice(object: &str, added: &[&str]) -> String {
    let adds: Vec<String> = added
        .iter()
        .map(|v| {
            format!(
                "`ALTER TYPE {object} ADD VALUE IF NOT EXISTS {};`",
                crate::identifier::literal(v)
            )
        })
        .collect();
    format!(
        "PostgreSQL cannot remove a value from an enum, so no rollback can take {} out of {object}: accept it (`-- rehearse:accept enum_values {object} reason=\"...\"` in the migration) and write the forward as {} so that it applies again after the rollback.",
        added
            .iter()
            .map(|v| crate::identifier::literal(v))
            .collect::<Vec<_>>()
            .join(", "),
        adds.join(" ")
    )
}

/// How many statements the advice shows before it points at report.json for the rest.
const SHOWN_FIXES: usize = 6;

/// The advice for a rollback that did not restore the schema, from the differences nobody
/// accepted: the SQL to add to the rollback where a difference has a mechanical fix, what to
/// recreate where the object is gone, the enum and column-order cases in their own words, and
/// the general advice only for what none of these covers. None when there is no difference.
pub(crate) fn schema_not_restored(differences: &[Difference]) -> Option<String> {
    let open: Vec<&Difference> = differences.iter().filter(|d| !d.accepted).collect();
    if open.is_empty() {
        return None;
    }
    let mut fixes: Vec<&str> = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut general = false;
    for d in &open {
        if let Some(fix) = &d.fix {
            if !fixes.contains(&fix.as_str()) {
                fixes.push(fix);
            }
        } else if let Some((object, added)) = enum_values_added(d) {
            words.push(enum_advice(object, &added));
        } else if d.kind == "column_order" {
            words.push(format!(
                "PostgreSQL adds a column last, so a column dropped and added again moves: rebuild {} in the rollback to restore the column order, or accept it (`-- rehearse:accept column_order {} reason=\"...\"`) when nothing reads columns by position.",
                d.object, d.object
            ));
        } else if d.kind.ends_with("_missing") {
            let what = d.detail.strip_suffix(" is gone").unwrap_or(&d.object);
            words.push(format!(
                "The rollback must recreate {what} as it was before the migration."
            ));
        } else {
            general = true;
        }
    }
    let mut out: Vec<String> = Vec::new();
    match fixes.len() {
        0 => {}
        1 => out.push(format!("Add `{}` to the rollback.", fixes[0])),
        n => {
            let shown: Vec<String> = fixes
                .iter()
                .take(SHOWN_FIXES)
                .map(|f| format!("`{f}`"))
                .collect();
            let more = if n > SHOWN_FIXES {
                format!(
                    " … and {} more (each difference's fix is in report.json)",
                    n - SHOWN_FIXES
                )
            } else {
                String::new()
            };
            out.push(format!(
                "Add these to the rollback: {}{more}.",
                shown.join(" ")
            ));
        }
    }
    words.dedup();
    out.extend(words);
    if general {
        out.push(if out.is_empty() {
            FindingKind::SchemaNotRestored.advice().to_string()
        } else {
            format!(
                "For the rest: {}",
                lower_first(FindingKind::SchemaNotRestored.advice())
            )
        });
    }
    Some(out.join(" "))
}

/// The advice for a forward that fails the second time because its enum values are still
/// there (the rollback could not remove them); None when that is not the case.
pub(crate) fn redo_after_enum_values(differences: &[Difference]) -> Option<String> {
    differences
        .iter()
        .find_map(enum_values_added)
        .map(|(object, added)| enum_advice(object, &added))
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use crate::gate::{evaluate, Approvals, GateConfig};
    use crate::report::{
        Difference, Direction, LockReport, MigrationReport, Report, StatementReport, TableSize,
        Verdict,
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
                    production_rows: None,
                },
                TableSize {
                    relation: "public.tiny".into(),
                    rows: Some(10),
                    bytes: None,
                    production_rows: None,
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
    fn the_lock_a_create_table_takes_on_its_own_table_is_no_hazard() {
        // The probe sees CREATE TABLE hold AccessExclusiveLock on the table it creates.
        let m = MigrationReport {
            file: "V001__create.sql".into(),
            forward: Direction {
                ok: true,
                statements: vec![StatementReport {
                    sql: "CREATE TABLE orders (id bigint)".into(),
                    line: 1,
                    locks: vec![LockReport {
                        relation: "public.orders".into(),
                        mode: "AccessExclusiveLock".into(),
                        kind: "table".into(),
                        held_ms: 5000.0,
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            },
            ..Default::default()
        };
        let tables = [TableSize {
            relation: "public.orders".into(),
            rows: Some(50_000_000),
            ..Default::default()
        }];
        let sizes = super::Sizes {
            tables: &tables,
            large_rows: 1_000_000,
        };
        let h = super::hazards(&m, &sizes, false);
        assert!(h.is_empty(), "{h:?}");
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

    #[test]
    fn a_rewrite_is_one_hazard_per_table_in_the_words_of_its_statement() {
        // ALTER COLUMN TYPE is destructive too (it fails until approved): the hazards alone.
        let m = MigrationReport {
            file: "V005__x.sql".into(),
            forward: Direction {
                ok: true,
                statements: vec![StatementReport {
                    sql: "ALTER TABLE orders ALTER COLUMN total TYPE numeric(12,2)".into(),
                    line: 2,
                    duration_ms: 4000.0,
                    rewrites: vec![
                        "public.orders".into(),
                        "public.orders_pkey".into(),
                        "public.orders_total_idx".into(),
                    ],
                    ..Default::default()
                }],
                ..Default::default()
            },
            ..Default::default()
        };
        let tables = [TableSize {
            relation: "public.orders".into(),
            rows: Some(1_000),
            production_rows: Some(40_000_000),
            ..Default::default()
        }];
        let sizes = super::Sizes {
            tables: &tables,
            large_rows: 1_000_000,
        };
        let h = super::hazards(&m, &sizes, true);
        assert_eq!(h.len(), 1, "{h:?}");
        assert!(
            h[0].message
                .contains("ALTER COLUMN total TYPE rewrites public.orders, a large table (40M rows in production, 1000 seeded)")
                && h[0].message.contains("rebuilds its 2 indexes"),
            "{}",
            h[0].message
        );
        let h = hazards_of(&[
            TIMEOUT,
            (
                "ALTER TABLE orders ADD COLUMN token uuid DEFAULT gen_random_uuid()",
                4000.0,
                None,
                &["public.orders", "public.orders_pkey"],
            ),
        ]);
        assert_eq!(kinds(&h), ["rewrite_large_table"], "{h:?}");
        assert!(
            h[0].1.contains("ADD COLUMN token rewrites public.orders"),
            "{}",
            h[0].1
        );
    }

    fn difference(kind: &str, object: &str, detail: &str, fix: Option<&str>) -> Difference {
        Difference {
            kind: kind.into(),
            object: object.into(),
            detail: detail.into(),
            before: None,
            after: None,
            accepted: false,
            accepted_reason: None,
            fix: fix.map(str::to_string),
        }
    }

    #[test]
    fn a_forgotten_drop_is_advised_as_the_sql_to_add() {
        let advice = super::schema_not_restored(&[difference(
            "object_left_behind",
            "citext",
            "the extension citext was left behind",
            Some("DROP EXTENSION citext;"),
        )]);
        assert_eq!(
            advice.as_deref(),
            Some("Add `DROP EXTENSION citext;` to the rollback.")
        );
        let two = super::schema_not_restored(&[
            difference(
                "index_added",
                "public.a",
                "the index public.a on public.t was left behind",
                Some("DROP INDEX public.a;"),
            ),
            difference(
                "index_missing",
                "public.b",
                "the index public.b on public.t is gone",
                Some("CREATE INDEX b ON public.t USING btree (x);"),
            ),
        ])
        .unwrap();
        assert_eq!(
            two,
            "Add these to the rollback: `DROP INDEX public.a;` `CREATE INDEX b ON public.t USING btree (x);`."
        );
    }

    #[test]
    fn what_has_no_statement_gets_its_own_words() {
        let gone = super::schema_not_restored(&[difference(
            "object_missing",
            "public.users",
            "the relation public.users is gone",
            None,
        )])
        .unwrap();
        assert_eq!(
            gone,
            "The rollback must recreate the relation public.users as it was before the migration."
        );
        let order = super::schema_not_restored(&[difference(
            "column_order",
            "public.users",
            "the columns of public.users are in another order",
            None,
        )])
        .unwrap();
        assert!(
            order.contains("rebuild public.users in the rollback"),
            "{order}"
        );
        assert!(
            order.contains("-- rehearse:accept column_order public.users"),
            "{order}"
        );
        let mut enum_added = difference(
            "enum_values",
            "public.mood",
            "the values of enum public.mood differ",
            None,
        );
        enum_added.before = Some("{sad, ok}".into());
        enum_added.after = Some("{sad, ok, happy}".into());
        let advice = super::schema_not_restored(std::slice::from_ref(&enum_added)).unwrap();
        assert!(
            advice.contains("-- rehearse:accept enum_values public.mood")
                && advice.contains("ALTER TYPE public.mood ADD VALUE IF NOT EXISTS 'happy';"),
            "{advice}"
        );
        assert_eq!(
            super::redo_after_enum_values(&[enum_added]).as_deref(),
            Some(advice.as_str())
        );
        // Accepted differences need no advice; a kind without words keeps the general one.
        let mut accepted = difference("column_order", "public.t", "", None);
        accepted.accepted = true;
        assert_eq!(super::schema_not_restored(&[accepted]), None);
        let general = super::schema_not_restored(&[difference(
            "privileges_changed",
            "public.t",
            "the privileges on public.t differ",
            None,
        )]);
        assert_eq!(
            general.as_deref(),
            Some(crate::report::FindingKind::SchemaNotRestored.advice())
        );
    }
}
