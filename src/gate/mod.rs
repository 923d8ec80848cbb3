//! Gates: thresholds, destructive-change approvals, and the verdict.
//!
//! [`evaluate`] is a pure function: a rehearsal's report, the gate settings and the approvals in,
//! the judged report out (gate results, destructive changes, findings with advice, hazards,
//! verdicts). It never measures and never reads a file; [`Approvals`] and [`GateConfig`] are
//! built at the edge, by [`prepare`], which reads the approvals file before anything starts.

pub mod accept;
pub(crate) mod advice;
pub(crate) mod annotation;
pub mod approvals;
pub mod sql;

pub use approvals::{Approvals, Declarations};

use crate::lock_mode::LockMode;
use crate::report::{
    measures::{self, duration},
    DestructiveChange, Finding, FindingKind, GateResult, GateSettings, GateStatus, MigrationReport,
    Report, Verdict,
};
use crate::scenario::gates::{parse_duration, GatesSection};
use crate::words::{count, noun};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Rows from which a table counts as large for the hazards, unless the scenario says otherwise.
pub const DEFAULT_LARGE_TABLE_ROWS: u64 = 1_000_000;

/// The gate settings in force: the scenario's `[gates]` with the command line's flags on top.
#[derive(Debug, Clone, PartialEq)]
pub struct GateConfig {
    pub max_duration_ms: Option<f64>,
    pub max_lock_hold_ms: BTreeMap<String, f64>,
    pub max_blocked_ms: Option<f64>,
    pub require_rollback: bool,
    pub large_table_rows: u64,
    pub approvals_file: Option<PathBuf>,
    /// The scenario sets `lock_timeout` for the migration session ([migrations] lock_timeout),
    /// so a migration that does not set it itself still gives up instead of queueing.
    pub lock_timeout_in_session: bool,
}

impl Default for GateConfig {
    fn default() -> Self {
        GateConfig {
            max_duration_ms: None,
            max_lock_hold_ms: BTreeMap::new(),
            max_blocked_ms: None,
            require_rollback: true,
            large_table_rows: DEFAULT_LARGE_TABLE_ROWS,
            approvals_file: None,
            lock_timeout_in_session: false,
        }
    }
}

impl GateConfig {
    /// From the scenario's section; `base` is the folder relative paths start from.
    pub fn from_section(
        section: &GatesSection,
        base: &std::path::Path,
    ) -> Result<GateConfig, String> {
        let mut c = GateConfig {
            max_duration_ms: section.max_duration.map(|m| m.0),
            max_blocked_ms: section.max_blocked.map(|m| m.0),
            require_rollback: section.require_rollback.unwrap_or(true),
            large_table_rows: section.large_table_rows.unwrap_or(DEFAULT_LARGE_TABLE_ROWS),
            approvals_file: section.approvals.as_ref().map(|p| base.join(p)),
            ..Default::default()
        };
        for (mode, limit) in &section.max_lock_hold {
            c.set_lock_limit(mode, limit.0)?;
        }
        Ok(c)
    }

    /// Adds a `MODE=DURATION` limit as the command line gives it.
    pub fn set_lock_limit(&mut self, mode: &str, ms: f64) -> Result<(), String> {
        if LockMode::from_pg_locks_name(mode).is_none() {
            let names: Vec<&str> = LockMode::ALL.map(LockMode::pg_locks_name).to_vec();
            return Err(format!(
                "{mode} is not a table lock mode; use one of {}",
                names.join(", ")
            ));
        }
        self.max_lock_hold_ms.insert(mode.to_string(), ms);
        Ok(())
    }

    fn settings(&self) -> GateSettings {
        GateSettings {
            max_duration_ms: self.max_duration_ms,
            max_lock_hold_ms: self.max_lock_hold_ms.clone(),
            max_blocked_ms: self.max_blocked_ms,
            require_rollback: self.require_rollback,
            approvals_file: self
                .approvals_file
                .as_ref()
                .map(|p| p.display().to_string()),
        }
    }
}

/// Parses `AccessExclusiveLock=2s` (a `--max-lock-hold` value).
pub fn parse_lock_limit(text: &str) -> Result<(String, f64), String> {
    let (mode, limit) = text.split_once('=').ok_or_else(|| {
        format!(
            "\"{}\" should be MODE=DURATION, as in AccessExclusiveLock=2s",
            crate::toml_lines::excerpt(text)
        )
    })?;
    Ok((mode.trim().to_string(), parse_duration(limit)?))
}

/// `0`, `0ms`, `0s`: PostgreSQL's "no timeout".
fn is_zero_duration(setting: &str) -> bool {
    setting
        .trim_end_matches(|c: char| c.is_ascii_alphabetic())
        .parse::<u64>()
        .is_ok_and(|n| n == 0)
}

/// The gate settings and approvals of a run, so that a migration can be judged the moment it
/// is rehearsed: the line a run prints for it then says the verdict report.json will carry
/// (an accepted difference is no failure there either).
#[derive(Debug, Clone, Default)]
pub struct Judge {
    pub config: GateConfig,
    pub approvals: Approvals,
}

impl Judge {
    /// `m` judged as [`evaluate`] will judge it; `tables` sizes the hazards.
    pub fn migration(
        &self,
        m: &MigrationReport,
        tables: &[crate::report::TableSize],
    ) -> MigrationReport {
        let sizes = advice::Sizes {
            tables,
            large_rows: self.config.large_table_rows,
        };
        let mut judged = m.clone();
        let declared = self.approvals.for_migration(&m.id);
        judge(&mut judged, &self.config, &declared, &sizes);
        judged
    }
}

/// Judges a rehearsal: the report with gate results, destructive changes, findings with advice,
/// hazards, and every verdict recomputed.
pub fn evaluate(report: &Report, config: &GateConfig, approvals: &Approvals) -> Report {
    let mut judged = report.clone();
    judged.gates = Some(config.settings());
    let sizes = advice::Sizes {
        tables: &report.tables,
        large_rows: config.large_table_rows,
    };
    for m in &mut judged.migrations {
        let declared = approvals.for_migration(&m.id);
        judge(m, config, &declared, &sizes);
    }
    for f in &mut judged.findings {
        advice::attach(f);
    }
    // A scenario's ignore that matched nothing in any rehearsed migration.
    judged.hazards = approvals
        .rule_ignores
        .iter()
        .filter(|ig| {
            !judged.migrations.iter().any(|m| {
                m.matched_rule_ignores
                    .iter()
                    .any(|(source, rule)| *source == ig.source && *rule == ig.rule)
            })
        })
        .map(|ig| {
            crate::rules::by_id("unmatched-ignore")
                .expect("catalogued")
                .finding(format!("{}.", ig.unmatched_message()))
        })
        .collect();
    judged.verdict = if judged.findings.is_empty()
        && judged.migrations.iter().all(|m| m.verdict == Verdict::Pass)
    {
        Verdict::Pass
    } else {
        Verdict::Fail
    };
    judged
}

/// The locks of a migration on relations that existed before it: a relation the migration
/// itself created (its parse tree says CREATE TABLE, or the probe saw it appear) is used by no
/// one yet, so holding a lock on it blocks nobody and no lock gate counts it. The rollback's
/// locks on what the forward created (dropping it again) count as the migration's own too.
fn locks_on_existing(m: &MigrationReport) -> Vec<&crate::report::LockReport> {
    let forward_created = created_relations(&m.forward);
    let mut out = Vec::new();
    for (name, d) in measures::directions(m) {
        let mut created = if name == "rollback" {
            forward_created.clone()
        } else {
            std::collections::BTreeSet::new()
        };
        for s in &d.statements {
            add_created(s, &mut created);
            out.extend(s.locks.iter().filter(|l| !created.contains(&l.relation)));
        }
    }
    out
}

/// Every relation `d` creates.
fn created_relations(d: &crate::report::Direction) -> std::collections::BTreeSet<String> {
    let mut created = std::collections::BTreeSet::new();
    for s in &d.statements {
        add_created(s, &mut created);
    }
    created
}

fn add_created(
    s: &crate::report::StatementReport,
    created: &mut std::collections::BTreeSet<String>,
) {
    for a in sql::actions(&s.sql) {
        if let sql::Action::CreateTable { table } = a {
            created.insert(table);
        }
    }
    for c in &s.size_changes {
        if c.before_bytes.is_none() {
            created.insert(c.relation.clone());
        }
    }
}

fn judge(
    m: &mut MigrationReport,
    config: &GateConfig,
    declared: &Declarations,
    sizes: &advice::Sizes,
) {
    m.irreversible = declared.marked_irreversible;
    if m.verdict == Verdict::NotRun {
        // Nothing ran, so nothing can be judged: it stays not run, with the reason it carries.
        return;
    }
    m.destructive_changes = destructive_changes(m, declared);
    m.gates = gates(m, config, declared);
    m.hazards = advice::hazards(m, sizes, config.lock_timeout_in_session);
    apply_ignores(m, declared);
    attach_proofs(m);

    // A missing rollback is no failure when nobody requires one or an approved irreversible
    // migration explains it; the rollback gate says which.
    let rollback_excused = !config.require_rollback
        || (declared.marked_irreversible && declared.irreversible.is_some());
    if rollback_excused {
        m.findings.retain(|f| !f.is(FindingKind::MissingRollback));
    }
    // Differences someone accepted stay listed; when every one is accepted they fail nothing.
    let schema_accepted = accept::apply(&mut m.differences, &declared.accepts);
    if schema_accepted {
        m.findings.retain(|f| !f.is(FindingKind::SchemaNotRestored));
    }
    if accept::apply(&mut m.redo_differences, &declared.accepts) {
        m.findings.retain(|f| !f.is(FindingKind::RedoDiffers));
    }
    if m.schema_restored == Some(false)
        && !schema_accepted
        && !m
            .findings
            .iter()
            .any(|f| f.is(FindingKind::SchemaNotRestored))
    {
        m.findings.push(Finding::of(
            FindingKind::SchemaNotRestored,
            format!(
                "{} does not restore the schema: {}",
                m.rollback_file.as_deref().unwrap_or("the rollback"),
                count(m.differences.len(), "difference")
            ),
        ));
    }
    // Data that an approved destructive change destroys is a loss someone signed for: it stays
    // in data_differences (and confirms the change) but does not fail the migration. A loss
    // anywhere else still does.
    let signed_for = |object: &str| {
        m.destructive_changes.iter().any(|c| {
            c.approval.is_some()
                && (object == c.object || object.starts_with(&format!("{}.", c.object)))
        })
    };
    let loss_approved = m.data_preserved == Some(false)
        && !m.data_differences.is_empty()
        && m.data_differences.iter().all(|d| signed_for(&d.object));
    if loss_approved {
        m.findings.retain(|f| !f.is(FindingKind::DataNotPreserved));
    }
    if m.data_preserved == Some(false)
        && !loss_approved
        && !m
            .findings
            .iter()
            .any(|f| f.is(FindingKind::DataNotPreserved))
    {
        m.findings.push(Finding::of(
            FindingKind::DataNotPreserved,
            format!(
                "{} does not preserve the data: {}",
                m.rollback_file.as_deref().unwrap_or("the rollback"),
                count(m.data_differences.len(), "difference")
            ),
        ));
    }
    for g in m.gates.iter().filter(|g| g.status == GateStatus::Fail) {
        let kind = format!("gate_{}", g.gate);
        // The rehearsal already said "no rollback script"; one sentence is enough.
        if g.gate == "rollback"
            && m.findings
                .iter()
                .any(|f| f.is(FindingKind::MissingRollback))
        {
            continue;
        }
        m.findings
            .push(Finding::new(&kind, format!("{}: {}", m.file, g.message)));
    }
    // Advice that fits what failed replaces the catalogue's general sentence (never advice of
    // its own, such as a deadlock's).
    for f in &mut m.findings {
        let general = |f: &Finding, kind: FindingKind| {
            f.is(kind) && f.advice.as_deref().is_none_or(|a| a == kind.advice())
        };
        let fitting = if general(f, FindingKind::SchemaNotRestored) {
            advice::schema_not_restored(&m.differences)
        } else if general(f, FindingKind::RedoFailed) {
            advice::redo_after_enum_values(&m.differences)
        } else {
            None
        };
        if fitting.is_some() {
            f.advice = fitting;
        }
        advice::attach(f);
    }
    m.verdict = if m.findings.is_empty() {
        Verdict::Pass
    } else {
        Verdict::Fail
    };
}

/// `--prove-fixes`: each hazard carries the proof of its rule's rewrite at its line.
fn attach_proofs(m: &mut MigrationReport) {
    for h in &mut m.hazards {
        h.proof = m
            .proofs
            .iter()
            .find(|p| Some(p.rule.as_str()) == h.rule.as_deref() && Some(p.line) == h.line)
            .map(|p| Box::new(p.clone()));
    }
}

/// Moves the hazards an ignore covers to `m.ignored`, with its reason; an ignore written in the
/// migration's file that covers neither a hazard nor a static finding of its rule (a size-aware
/// rule on a small table still counts as found) is a hazard of its own, `unmatched-ignore`.
fn apply_ignores(m: &mut MigrationReport, declared: &Declarations) {
    use crate::rules;
    m.ignored.clear();
    m.matched_rule_ignores.clear();
    let mut own = declared.ignores.clone();
    let mut run = declared.run_ignores.clone();
    let parsed = rules::Parsed::new(
        m.forward
            .statements
            .iter()
            .map(|s| (s.sql.as_str(), s.line)),
        &mut rules::Schema::default(),
    );
    let found = rules::check(&parsed);
    for ig in own.iter_mut().chain(run.iter_mut()) {
        ig.matched = found
            .iter()
            .filter(|(r, h)| ig.covers(r.id, &m.file, &m.id, h.line))
            .count();
    }
    let mut kept = Vec::new();
    for h in std::mem::take(&mut m.hazards) {
        let (Some(rule), Some(line)) = (h.rule.clone(), h.line) else {
            kept.push(h);
            continue;
        };
        let ignore = own
            .iter_mut()
            .chain(run.iter_mut())
            .find(|i| i.covers(&rule, &m.file, &m.id, line));
        match ignore {
            Some(ig) => {
                ig.matched += 1;
                m.ignored.push(crate::report::IgnoredFinding {
                    rule,
                    message: h.message,
                    line: Some(line),
                    reason: ig.reason.clone(),
                    source: ig.source.clone(),
                });
            }
            None => kept.push(h),
        }
    }
    let unmatched = rules::by_id("unmatched-ignore").expect("catalogued");
    for ig in own.iter().filter(|i| i.matched == 0) {
        kept.push(
            unmatched
                .finding(format!(
                    "{}, line {}: {}.",
                    m.file,
                    ig.line,
                    ig.unmatched_message()
                ))
                .located(ig.line, None),
        );
    }
    m.matched_rule_ignores = run
        .iter()
        .filter(|i| i.matched > 0)
        .map(|i| (i.source.clone(), i.rule.clone()))
        .collect();
    m.hazards = kept;
}

/// Destructive statements of the forward script, each confirmed by what the rehearsal measured.
fn destructive_changes(m: &MigrationReport, declared: &Declarations) -> Vec<DestructiveChange> {
    let mut out = Vec::new();
    for s in &m.forward.statements {
        for action in sql::actions(&s.sql) {
            let sql::Action::Destructive { kind, object } = action else {
                continue;
            };
            let touches = |o: &str| {
                o == object
                    || o.starts_with(&format!("{object}."))
                    || object.starts_with(&format!("{o}."))
            };
            let mut confirmed_by: Vec<String> = m
                .differences
                .iter()
                .filter(|d| touches(&d.object))
                .map(|d| format!("schema difference {} {}: {}", d.kind, d.object, d.detail))
                .collect();
            confirmed_by.extend(
                m.data_differences
                    .iter()
                    .filter(|d| touches(&d.object))
                    .map(|d| format!("data difference {}: {}", d.object, d.detail)),
            );
            out.push(DestructiveChange {
                kind: kind.to_string(),
                object,
                line: s.line,
                sql: s.sql.clone(),
                confirmed_by,
                approval: declared.destructive.clone(),
            });
        }
    }
    out
}

/// Every gate of one migration, in the order the report lists them.
fn gates(m: &MigrationReport, config: &GateConfig, declared: &Declarations) -> Vec<GateResult> {
    let mut out = Vec::new();
    out.extend(max_duration_gate(m, config));
    out.extend(max_lock_hold_gates(m, config));
    out.extend(max_blocked_gate(m, config));
    out.push(rollback_gate(m, config, declared));
    out.extend(destructive_gate(m, declared));
    out
}

/// A measured gate's result: passed when `ok`, failed otherwise.
fn gate_result(
    gate: &str,
    ok: bool,
    message: String,
    limit: Option<f64>,
    actual: Option<f64>,
) -> GateResult {
    GateResult {
        gate: gate.to_string(),
        status: if ok {
            GateStatus::Pass
        } else {
            GateStatus::Fail
        },
        message,
        limit_ms: limit,
        actual_ms: actual,
    }
}

/// `max_duration`: the slowest direction against the limit, when there is one.
fn max_duration_gate(m: &MigrationReport, config: &GateConfig) -> Option<GateResult> {
    let limit = config.max_duration_ms?;
    let (which, d) = measures::directions(m)
        .into_iter()
        .map(|(name, d)| (name, d.duration_ms))
        .fold(
            ("forward", 0.0),
            |best, x| if x.1 > best.1 { x } else { best },
        );
    let ok = d <= limit;
    Some(gate_result(
        "max_duration",
        ok,
        format!(
            "the {which} direction took {}, {} the limit of {}",
            duration(d),
            if ok { "within" } else { "over" },
            duration(limit)
        ),
        Some(limit),
        Some(d),
    ))
}

/// `max_lock_hold`: per limited mode, the longest such lock on a relation that existed before.
fn max_lock_hold_gates(m: &MigrationReport, config: &GateConfig) -> Vec<GateResult> {
    let mut out = Vec::new();
    for (mode, limit) in &config.max_lock_hold_ms {
        let locks: Vec<_> = locks_on_existing(m)
            .into_iter()
            .filter(|l| &l.mode == mode)
            .collect();
        let longest = locks.iter().max_by(|a, b| {
            a.held_ms
                .total_cmp(&b.held_ms)
                .then(measures::on_table(a).cmp(&measures::on_table(b)))
        });
        match longest {
            Some(lock) => {
                let held = lock.held_ms;
                let ok = held <= *limit;
                out.push(gate_result(
                    "max_lock_hold",
                    ok,
                    format!(
                        "{mode} on {} was held {}, {} the limit of {}{}",
                        lock.relation,
                        duration(held),
                        if ok { "within" } else { "over" },
                        duration(*limit),
                        if lock.sampled {
                            " (seen by sampling)"
                        } else {
                            ""
                        }
                    ),
                    Some(*limit),
                    Some(held),
                ));
            }
            None => out.push(gate_result(
                "max_lock_hold",
                true,
                format!(
                    "no {mode} was taken on a relation that existed before the migration (limit {})",
                    duration(*limit)
                ),
                Some(*limit),
                None,
            )),
        }
    }
    out
}

/// `max_blocked`: the longest block of a workload query, or not measured without a workload.
fn max_blocked_gate(m: &MigrationReport, config: &GateConfig) -> Option<GateResult> {
    let limit = config.max_blocked_ms?;
    Some(match measures::longest_block_ms(m) {
        Some(b) => {
            let ok = b <= limit;
            gate_result(
                "max_blocked",
                ok,
                format!(
                    "a workload query was blocked for {}, {} the limit of {}",
                    duration(b),
                    if ok { "within" } else { "over" },
                    duration(limit)
                ),
                Some(limit),
                Some(b),
            )
        }
        None => GateResult {
            gate: "max_blocked".into(),
            status: GateStatus::NotMeasured,
            message: "no concurrent workload ran, so blocked time was not measured".into(),
            limit_ms: Some(limit),
            actual_ms: None,
        },
    })
}

/// `rollback`: a rollback script, an approved irreversible mark, or none when none is required.
fn rollback_gate(m: &MigrationReport, config: &GateConfig, declared: &Declarations) -> GateResult {
    match (&m.rollback_file, declared.marked_irreversible, &declared.irreversible) {
        (_, true, Some(a)) => gate_result(
            "rollback",
            true,
            format!(
                "marked irreversible; approved by {} ({}): {}",
                a.by, a.source, a.reason
            ),
            None,
            None,
        ),
        (Some(file), _, _) => gate_result("rollback", true, format!("{file} rolls it back"), None, None),
        (None, true, None) => gate_result(
            "rollback",
            false,
            "marked irreversible, but nobody approved that: add -- rehearse:approve irreversible by=\"...\" reason=\"...\" or an approvals-file entry".into(),
            None,
            None,
        ),
        (None, false, _) if !config.require_rollback => gate_result(
            "rollback",
            true,
            "no rollback script, and none is required".into(),
            None,
            None,
        ),
        (None, false, _) => gate_result(
            "rollback",
            false,
            "there is no rollback script".into(),
            None,
            None,
        ),
    }
}

/// `destructive`: every destructive change approved, when the forward script makes any.
fn destructive_gate(m: &MigrationReport, declared: &Declarations) -> Option<GateResult> {
    let destructive = destructive_changes(m, declared);
    if destructive.is_empty() {
        return None;
    }
    let pending: Vec<String> = destructive
        .iter()
        .filter(|d| d.approval.is_none())
        .map(|d| {
            format!(
                "{} of {} (line {})",
                d.kind.replace('_', " "),
                d.object,
                d.line
            )
        })
        .collect();
    Some(if pending.is_empty() {
        let a = declared.destructive.as_ref().expect("approved");
        gate_result(
            "destructive",
            true,
            format!(
                "{} approved by {} ({}): {}",
                count(destructive.len(), "destructive change"),
                a.by,
                a.source,
                a.reason
            ),
            None,
            None,
        )
    } else {
        gate_result(
            "destructive",
            false,
            format!(
                "{} {} an approval: {}",
                count(pending.len(), "destructive change"),
                noun(pending.len(), "needs"),
                pending.join("; ")
            ),
            None,
            None,
        )
    })
}

/// Gate settings given on the command line; each replaces the scenario's.
#[derive(Debug, Clone, Default)]
pub struct GateOverrides {
    pub max_duration_ms: Option<f64>,
    pub max_lock_hold: Vec<(String, f64)>,
    pub max_blocked_ms: Option<f64>,
    pub allow_missing_rollback: bool,
    pub approvals_file: Option<PathBuf>,
}

/// The file looked for beside the scenario (or in a bare migrations folder) when none is named.
pub const APPROVALS_FILE: &str = "approvals.toml";

/// Reads the gate settings and every approval before anything starts, so that a typo in either
/// is exit 2 with the file and line, not a failure after a long rehearsal.
pub fn prepare(
    scenario: &crate::scenario::Scenario,
    set: &crate::migrations::MigrationSet,
    overrides: &GateOverrides,
) -> Result<(GateConfig, Approvals), crate::Error> {
    let base = scenario
        .file
        .as_ref()
        .and_then(|f| f.parent().map(std::path::Path::to_path_buf))
        .unwrap_or_else(|| scenario.migrations_dir.clone());
    let label = scenario
        .file
        .as_ref()
        .map(|f| f.display().to_string())
        .unwrap_or_else(|| "the command line".into());
    let section = scenario.gates().cloned().unwrap_or_default();
    let mut config = GateConfig::from_section(&section, &base)
        .map_err(|e| crate::Error::Input(format!("{label}, [gates]: {e}")))?;
    config.lock_timeout_in_session = scenario
        .lock_timeout()
        .is_some_and(|t| t.as_setting().is_some_and(|v| !is_zero_duration(&v)));
    if let Some(ms) = overrides.max_duration_ms {
        config.max_duration_ms = Some(ms);
    }
    for (mode, ms) in &overrides.max_lock_hold {
        config
            .set_lock_limit(mode, *ms)
            .map_err(|e| crate::Error::Input(format!("--max-lock-hold: {e}")))?;
    }
    if let Some(ms) = overrides.max_blocked_ms {
        config.max_blocked_ms = Some(ms);
    }
    if overrides.allow_missing_rollback {
        config.require_rollback = false;
    }
    if let Some(file) = &overrides.approvals_file {
        config.approvals_file = Some(file.clone());
    }
    if config.approvals_file.is_none() {
        let beside = base.join(APPROVALS_FILE);
        if beside.is_file() {
            config.approvals_file = Some(beside);
        }
    }
    let mut approvals = Approvals::from_annotations(set).map_err(crate::Error::Input)?;
    let accepted = scenario.accepted();
    if !accepted.is_empty() {
        let source = scenario
            .file
            .as_ref()
            .map(|f| f.display().to_string())
            .unwrap_or_else(|| "the scenario".into());
        approvals.accept(accepted, &source);
    }
    if let Some(file) = &config.approvals_file {
        approvals = approvals.merged(Approvals::from_file(file).map_err(crate::Error::Input)?);
    }
    approvals.rule_ignores = scenario.rule_ignores().map_err(crate::Error::Input)?;
    Ok((config, approvals))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A report of one migration whose forward builds an index on a large table.
    fn index_on_a_large_table() -> Report {
        use crate::report::{Direction, StatementReport, TableSize};
        Report {
            migrations: vec![MigrationReport {
                id: "005".into(),
                file: "V005__x.sql".into(),
                rollback_file: Some("V005__x_rollback.sql".into()),
                verdict: Verdict::Pass,
                forward: Direction {
                    ok: true,
                    statements: vec![
                        StatementReport {
                            sql: "SET lock_timeout = '2s'".into(),
                            line: 1,
                            ok: true,
                            ..Default::default()
                        },
                        StatementReport {
                            sql: "CREATE INDEX orders_user_idx ON orders (user_id)".into(),
                            line: 3,
                            ok: true,
                            duration_ms: 5.0,
                            ..Default::default()
                        },
                    ],
                    ..Default::default()
                },
                ..Default::default()
            }],
            tables: vec![TableSize {
                relation: "public.orders".into(),
                rows: Some(50_000_000),
                bytes: None,
                production_rows: None,
            }],
            ..Default::default()
        }
    }

    #[test]
    fn an_ignored_hazard_is_listed_with_its_reason_and_a_stale_ignore_is_a_hazard() {
        let report = index_on_a_large_table();
        let judged = evaluate(&report, &GateConfig::default(), &Approvals::default());
        let rules: Vec<_> = judged.migrations[0]
            .hazards
            .iter()
            .map(|h| (h.rule.clone(), h.line, h.relation.clone()))
            .collect();
        assert_eq!(
            rules,
            [(
                Some("require-concurrent-index".to_string()),
                Some(3),
                Some("public.orders".to_string())
            )]
        );

        let text = "SET lock_timeout = '2s';\n-- rehearse:ignore require-concurrent-index reason=\"built at night\"\nCREATE INDEX orders_user_idx ON orders (user_id);\n";
        let mut approvals = Approvals::default();
        approvals.insert(
            "005",
            approvals::parse_annotations(text, "V005__x.sql").unwrap(),
        );
        approvals.rule_ignores = crate::rules::suppress::RulesSection {
            ignore: vec![crate::rules::suppress::IgnoreEntry::Full {
                rule: "drop-table".into(),
                reason: Some("none planned".into()),
                migration: None,
            }],
        }
        .ignores("rehearse.toml")
        .unwrap();
        let judged = evaluate(&report, &GateConfig::default(), &approvals);
        let m = &judged.migrations[0];
        assert!(m.hazards.is_empty(), "{:?}", m.hazards);
        assert_eq!(m.ignored.len(), 1);
        assert_eq!(m.ignored[0].reason, "built at night");
        assert_eq!(m.ignored[0].source, "V005__x.sql, line 2");
        assert_eq!(m.verdict, Verdict::Pass);
        // The scenario's ignore of a rule nothing here breaks is a hazard of the run.
        assert_eq!(judged.hazards.len(), 1);
        assert_eq!(judged.hazards[0].rule.as_deref(), Some("unmatched-ignore"));
        assert!(judged.hazards[0].message.contains("drop-table"));
        assert_eq!(judged.verdict, Verdict::Pass, "hazards never fail a run");
    }

    #[test]
    fn an_ignore_on_a_small_table_still_matches_the_rule_it_names() {
        // The size decides whether the run reports it; the ignore is not stale for that.
        let mut report = index_on_a_large_table();
        report.tables[0].rows = Some(10);
        let text = "SET lock_timeout = '2s';\n-- rehearse:ignore require-concurrent-index reason=\"small\"\nCREATE INDEX orders_user_idx ON orders (user_id);\n";
        let mut approvals = Approvals::default();
        approvals.insert(
            "005",
            approvals::parse_annotations(text, "V005__x.sql").unwrap(),
        );
        let judged = evaluate(&report, &GateConfig::default(), &approvals);
        assert!(
            judged.migrations[0].hazards.is_empty(),
            "{:?}",
            judged.migrations[0].hazards
        );
        assert!(judged.migrations[0].ignored.is_empty());
    }

    #[test]
    fn durations_take_units_or_milliseconds() {
        assert_eq!(parse_duration("2s"), Ok(2000.0));
        assert_eq!(parse_duration("500ms"), Ok(500.0));
        assert_eq!(parse_duration("1.5min"), Ok(90_000.0));
        assert!(parse_duration("250").unwrap_err().contains("no unit"));
        assert!(parse_duration("soon").is_err());
        assert_eq!(
            parse_lock_limit("AccessExclusiveLock=2s"),
            Ok(("AccessExclusiveLock".into(), 2000.0))
        );
    }

    #[test]
    fn the_gates_section_parses_and_rejects_unknown_lock_modes() {
        let section: GatesSection = toml::from_str(
            "max_duration = \"30s\"\nmax_lock_hold = { AccessExclusiveLock = \"2s\" }\nmax_blocked = 500\nrequire_rollback = false\n",
        )
        .unwrap();
        let c = GateConfig::from_section(&section, std::path::Path::new(".")).unwrap();
        assert_eq!(c.max_duration_ms, Some(30_000.0));
        assert_eq!(c.max_lock_hold_ms["AccessExclusiveLock"], 2000.0);
        assert_eq!(c.max_blocked_ms, Some(500.0));
        assert!(!c.require_rollback);
        let bad: GatesSection =
            toml::from_str("max_lock_hold = { ExclusiveLok = \"2s\" }").unwrap();
        let err = GateConfig::from_section(&bad, std::path::Path::new(".")).unwrap_err();
        assert!(err.contains("ExclusiveLok"), "{err}");
    }
}
