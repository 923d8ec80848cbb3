//! `report.md`: sized for a pull-request comment. A verdict line, one table row per migration, and
//! everything else folded into `<details>` blocks. Every piece of user text is escaped, because the
//! forges render HTML inside Markdown. Pure: the report in, text out; it never writes the file.

use crate::report::measures::{self, duration, tri};
use crate::report::{Direction, GateStatus, MigrationReport, Report, Verdict};
use crate::words::{count, noun};
use std::fmt::Write;

/// Forges cap a comment at 65,536 characters; the details that do not fit are left to the HTML.
const COMMENT_LIMIT: usize = 60_000;

/// Statements longer than this are cut in the Markdown (the HTML report has them whole).
const SQL_LIMIT: usize = 600;

/// What is kept for the closing line that points at the HTML report.
const TRAILER: usize = 400;

/// The comment being written: every piece goes in only while the whole stays under
/// [`COMMENT_LIMIT`]; what does not fit is counted for the closing pointer.
struct Comment {
    out: String,
    cut: usize,
}

impl Comment {
    fn fits(&self, piece: &str) -> bool {
        self.out.len() + piece.len() + TRAILER <= COMMENT_LIMIT
    }
    /// Adds `piece` when it fits; returns whether it did.
    fn push(&mut self, piece: &str) -> bool {
        if self.fits(piece) {
            self.out.push_str(piece);
            true
        } else {
            self.cut += 1;
            false
        }
    }
}

/// The comment: verdict, run findings and the seed, then the failures with their details
/// (before and after of every difference), the migrations that did not run in one line, the
/// passes in one table, and the details of the passes while there is room. Never longer than
/// [`COMMENT_LIMIT`] characters; what is left out is said, with a pointer to report.html.
pub fn render(report: &Report) -> String {
    let mut c = Comment {
        out: String::new(),
        cut: 0,
    };
    let icon = match report.verdict {
        Verdict::Pass => "✅",
        Verdict::Interrupted => "⏹",
        _ => "❌",
    };
    let mut head = String::new();
    let _ = writeln!(
        head,
        "## {icon} rehearse: {}\n",
        text(&measures::headline(report))
    );
    let _ = writeln!(
        head,
        "Scenario **{}** · PostgreSQL {} ({}) · {} · {}\n",
        text(&report.scenario),
        text(&report.database.server_version),
        measures::provider(report),
        count(report.migrations.len(), "migration"),
        duration(report.duration_ms)
    );
    if let Some(data) = report.database.data.phrase() {
        let _ = writeln!(head, "Data: {}\n", text(&data));
    }
    c.push(&head);

    for f in &report.findings {
        c.push(&format!("- ❌ {}\n", cut_text(&finding(f), 2000)));
    }
    for f in &report.hazards {
        c.push(&format!("- ⚠️ {}\n", cut_text(&finding(f), 2000)));
    }
    if !report.findings.is_empty() || !report.hazards.is_empty() {
        c.push("\n");
    }
    if let Some(seed) = &report.seed {
        let mut block = format!(
            "Seeded {} into {} ({}) in {}.\n",
            count(seed.rows as usize, "row"),
            count(seed.tables.len(), "table"),
            measures::bytes(seed.bytes),
            duration(seed.seconds * 1000.0)
        );
        for l in &seed.limits {
            let _ = writeln!(block, "- {}", text(&l.sentence()));
        }
        block.push('\n');
        c.push(&block);
    }

    let predicted = super::prediction::markdown(report);
    if !predicted.is_empty() {
        c.push(&predicted);
    }
    let pending: Vec<_> = report
        .migrations
        .iter()
        .flat_map(|m| {
            m.destructive_changes
                .iter()
                .filter(|d| d.approval.is_none())
                .map(move |d| (m, d))
        })
        .collect();
    if !pending.is_empty() {
        c.push("### Needs approval\n\n");
        for (m, d) in pending {
            c.push(&format!(
                "- **{} {}**, line {}: {} of {}\n",
                text(&m.id),
                text(&m.name),
                d.line,
                text(&d.kind.replace('_', " ")),
                text(&d.object)
            ));
        }
        c.push("\nApprove with `-- rehearse:approve destructive by=\"...\" reason=\"...\"` in the migration file, or in the approvals file.\n\n");
    }

    let of = |v: Verdict| -> Vec<&MigrationReport> {
        report
            .migrations
            .iter()
            .filter(|m| m.verdict == v)
            .collect()
    };
    let (failed, not_run, passed) = (of(Verdict::Fail), of(Verdict::NotRun), of(Verdict::Pass));

    if !failed.is_empty() {
        c.push(&format!("### Failed ({})\n\n", failed.len()));
        table(&mut c, &failed);
        for m in &failed {
            let mut block = String::new();
            details(&mut block, m);
            c.push(&block);
        }
    }
    if !not_run.is_empty() {
        let ids: Vec<String> = not_run.iter().map(|m| text(&m.id)).collect();
        let why = not_run
            .first()
            .and_then(|m| {
                m.findings
                    .iter()
                    .find(|f| f.is(crate::report::FindingKind::NotRun))
            })
            .map(|f| format!(" The first: {}", text(&f.message)))
            .unwrap_or_default();
        c.push(&format!(
            "### Not run ({})\n\nThese migrations were not rehearsed, because something before them failed:{why}\n\n{}\n\n",
            not_run.len(),
            cut_text(&ids.join(", "), 4000)
        ));
    }
    if !passed.is_empty() {
        c.push(&format!("### Passed ({})\n\n", passed.len()));
        table(&mut c, &passed);
        // A pass is its row: only what a reviewer should still see (hazards, approved
        // destructive changes, accepted differences, a reset) is folded under it. Statements,
        // locks and workload of the passes are in report.html.
        for m in &passed {
            let mut block = String::new();
            noted_pass(&mut block, m);
            c.push(&block);
        }
        c.push(
            "The statements, locks and workload of the passing migrations are in report.html.\n\n",
        );
    }
    if c.cut > 0 {
        let _ = writeln!(
            c.out,
            "_{} of this report {} left out to fit a pull-request comment ({} characters at most); report.html has everything._",
            count(c.cut, "part"),
            noun(c.cut, "was"),
            COMMENT_LIMIT
        );
    }
    c.out
}

/// One row per migration, as long as there is room.
fn table(c: &mut Comment, migrations: &[&MigrationReport]) {
    c.push("| Migration | Verdict | Forward | Rollback | Strongest lock (held) | Rewrites | Rollback restored schema | Data preserved | Workload blocked |\n|---|:-:|--:|--:|---|---|:-:|:-:|--:|\n");
    let mut rows = 0;
    for m in migrations {
        let cells = super::overview::row(m);
        let row = format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            text(&cells.migration),
            verdict(cells.verdict),
            cells.forward,
            cells.rollback,
            text(&cells.strongest_lock),
            text(&cells.rewrites),
            check(cells.schema_restored),
            check(cells.data_preserved),
            cells.blocked,
        );
        if !c.push(&row) {
            break;
        }
        rows += 1;
    }
    if rows < migrations.len() {
        let _ = writeln!(
            c.out,
            "| … {} more in report.html | | | | | | | | |",
            migrations.len() - rows
        );
    }
    c.out.push('\n');
}

/// At most `max` characters of `s`, cut with an ellipsis.
fn cut_text(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let cut: String = s.chars().take(max).collect();
        format!("{cut} …")
    }
}

fn details(out: &mut String, m: &MigrationReport) {
    let hazards = m.hazards.len();
    let _ = writeln!(
        out,
        "<details><summary>{} {}: {}{}{}</summary>\n",
        html(&m.id),
        html(&m.name),
        measures::verdict_word(m.verdict),
        if m.findings.is_empty() {
            String::new()
        } else {
            format!(", {}", count(m.findings.len(), "finding"))
        },
        if hazards == 0 {
            String::new()
        } else {
            format!(", {}", count(hazards, "hazard"))
        }
    );
    let mut measured = vec![format!("forward {}", measures::cost(&m.forward))];
    if let Some(r) = &m.rollback {
        measured.push(format!("rollback {}", measures::cost(r)));
    }
    if let Some(r) = &m.redo {
        measured.push(format!("forward again {}", measures::cost(r)));
    }
    let _ = writeln!(out, "Measured: {}.\n", text(&measured.join("; ")));
    if !m.findings.is_empty() {
        out.push_str("**Findings**\n\n");
        for f in &m.findings {
            let _ = writeln!(out, "- ❌ {}", finding(f));
        }
        out.push('\n');
    }
    if !m.hazards.is_empty() || !m.ignored.is_empty() {
        out.push_str("**Hazards**\n\n");
        for f in &m.hazards {
            let _ = writeln!(out, "- ⚠️ {}", finding(f));
        }
        ignored(out, m);
        out.push('\n');
    }
    if !m.notes.is_empty() {
        out.push_str("**Notes**\n\n");
        for f in &m.notes {
            let _ = writeln!(out, "- ℹ️ {}", finding(f));
        }
        out.push('\n');
    }
    if !m.gates.is_empty() {
        out.push_str("**Gates**\n\n| Gate | Result | Detail |\n|---|:-:|---|\n");
        for g in &m.gates {
            let status = match g.status {
                GateStatus::Pass => "✅ pass",
                GateStatus::Fail => "❌ fail",
                GateStatus::NotMeasured => "➖ not measured",
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                text(&g.gate),
                status,
                text(&g.message)
            );
        }
        out.push('\n');
    }
    if !m.destructive_changes.is_empty() {
        out.push_str("**Destructive changes**\n\n");
        for d in &m.destructive_changes {
            let approval = match &d.approval {
                Some(a) => format!(
                    "approved by {} ({}): {}",
                    text(&a.by),
                    text(&a.source),
                    text(&a.reason)
                ),
                None => "**not approved**".into(),
            };
            let confirmed = if d.confirmed_by.is_empty() {
                String::new()
            } else {
                format!("; confirmed by {}", text(&d.confirmed_by.join("; ")))
            };
            let _ = writeln!(
                out,
                "- line {}: {} of {}, {}{}",
                d.line,
                text(&d.kind.replace('_', " ")),
                text(&d.object),
                approval,
                confirmed
            );
        }
        out.push('\n');
    }
    direction(out, "Forward", &m.file, &m.forward);
    if let Some(r) = &m.rollback {
        direction(out, "Rollback", m.rollback_file.as_deref().unwrap_or(""), r);
    }
    if m.schema_restored == Some(false) || !m.differences.is_empty() {
        let _ = writeln!(
            out,
            "**Schema after rollback** (restored: {})\n",
            tri(m.schema_restored)
        );
        for d in &m.differences {
            let _ = writeln!(
                out,
                "- {} {}: {}{}{}",
                text(&d.kind),
                text(&d.object),
                text(&d.detail),
                before_after(d),
                accepted(d)
            );
        }
        out.push('\n');
    }
    if m.data_preserved == Some(false) || !m.data_differences.is_empty() {
        let _ = writeln!(
            out,
            "**Data after rollback** (preserved: {})\n",
            tri(m.data_preserved)
        );
        for d in &m.data_differences {
            let _ = writeln!(out, "- {}: {}", text(&d.object), text(&d.detail));
        }
        out.push('\n');
    }
    if let Some(r) = &m.reset {
        let _ = writeln!(out, "↩️ {}\n", text(&measures::reset_sentence(r)));
    }
    out.push_str("</details>\n\n");
}

fn direction(out: &mut String, title: &str, file: &str, d: &Direction) {
    let _ = writeln!(
        out,
        "**{title}** {} · {}{}\n",
        text(file),
        duration(d.duration_ms),
        if d.ok { "" } else { " · failed" }
    );
    if d.statements.is_empty() {
        return;
    }
    for (i, s) in d.statements.iter().enumerate() {
        // A PR comment shows the table locks; the indexes and sequences locked along with
        // them are counted (the HTML report lists them all).
        let mut locks: Vec<String> = s
            .locks
            .iter()
            .filter(|l| measures::on_table(l))
            .map(|l| {
                format!(
                    "{} on {} held {}",
                    text(&l.mode),
                    text(&l.relation),
                    duration(l.held_ms)
                )
            })
            .collect();
        let others = s.locks.iter().filter(|l| !measures::on_table(l)).count();
        if others > 0 {
            locks.push(format!("{others} more on indexes and sequences"));
        }
        let mut facts = vec![format!("line {}", s.line), duration(s.duration_ms)];
        if !s.ok {
            facts.push("**failed**".into());
        }
        if !s.locks.is_empty() {
            facts.push(locks.join(", "));
        }
        if !s.rewrites.is_empty() {
            facts.push(format!(
                "rewrites {}",
                text(
                    &s.rewrites
                        .iter()
                        .map(String::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            ));
        }
        let _ = writeln!(out, "{}. {}\n", i + 1, facts.join(" · "));
        out.push_str(&code_block(&s.sql));
        out.push('\n');
    }
    if let Some(w) = &d.workload {
        let t = &w.totals;
        let _ = writeln!(
            out,
            "Workload: {}, {}, {}, latency p50 {} · p95 {} · p99 {} · max {}{}; {} blocked by the migration, {} in total (longest {})\n",
            count(w.clients as usize, "client"),
            count(t.queries as usize, "query"),
            count(t.errors as usize, "error"),
            duration(t.latency.p50_ms),
            duration(t.latency.p95_ms),
            duration(t.latency.p99_ms),
            duration(t.latency.max_ms),
            measures::on_schedule(t),
            t.blocked_count,
            duration(t.blocked_total_ms),
            duration(t.blocked_longest_ms)
        );
        if w.writes_rolled_back {
            out.push_str("The workload's writes ran as `BEGIN; …; ROLLBACK`: they took and waited for production's locks, and committed nothing (the commit's WAL flush is not measured).\n\n");
        }
    }
}

/// What a passing migration still shows: hazards, destructive changes (approved, or it would
/// not pass), accepted differences and a reset, folded; nothing when it has none of them.
fn noted_pass(out: &mut String, m: &MigrationReport) {
    let kept: Vec<_> = m.differences.iter().filter(|d| d.accepted).collect();
    if m.hazards.is_empty()
        && m.ignored.is_empty()
        && m.destructive_changes.is_empty()
        && kept.is_empty()
        && m.reset.is_none()
    {
        return;
    }
    let _ = writeln!(
        out,
        "<details><summary>{} {}: pass{}</summary>\n",
        html(&m.id),
        html(&m.name),
        if m.hazards.is_empty() {
            String::new()
        } else {
            format!(", {}", count(m.hazards.len(), "hazard"))
        }
    );
    for f in &m.hazards {
        let _ = writeln!(out, "- ⚠️ {}", finding(f));
    }
    ignored(out, m);
    for d in &m.destructive_changes {
        let approval = d
            .approval
            .as_ref()
            .map(|a| {
                format!(
                    ", approved by {} ({}): {}",
                    text(&a.by),
                    text(&a.source),
                    text(&a.reason)
                )
            })
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "- line {}: {} of {}{}",
            d.line,
            text(&d.kind.replace('_', " ")),
            text(&d.object),
            approval
        );
    }
    for d in kept {
        let _ = writeln!(
            out,
            "- {} {}: {}{}",
            text(&d.kind),
            text(&d.object),
            text(&d.detail),
            accepted(d)
        );
    }
    if let Some(r) = &m.reset {
        let _ = writeln!(out, "- ↩️ {}", text(&measures::reset_sentence(r)));
    }
    out.push_str("\n</details>\n\n");
}

/// " (before `x`, after `y`)", each cut short: what the rollback should have restored.
fn before_after(d: &crate::report::Difference) -> String {
    let show = |v: &Option<String>| match v {
        Some(v) => text(&cut_text(v, 200)),
        None => "none".into(),
    };
    if d.before.is_none() && d.after.is_none() {
        return String::new();
    }
    format!(" (before: {}; after: {})", show(&d.before), show(&d.after))
}

/// " (accepted: reason)" for an accepted difference, else nothing.
fn accepted(d: &crate::report::Difference) -> String {
    match (&d.accepted, &d.accepted_reason) {
        (true, Some(r)) => format!(" *(accepted: {})*", text(r)),
        (true, None) => " *(accepted)*".into(),
        _ => String::new(),
    }
}

fn finding(f: &crate::report::Finding) -> String {
    let rule = f
        .rule
        .as_deref()
        .map(|id| format!("[`{id}`]({}) ", crate::rules::page_of(id)))
        .unwrap_or_default();
    let proof = f
        .proof
        .as_deref()
        .map(super::proof::markdown)
        .unwrap_or_default();
    match &f.advice {
        Some(a) => format!("{rule}{} *{}*{proof}", text(&f.message), text(a)),
        None => format!("{rule}{}{proof}", text(&f.message)),
    }
}

/// The hazards an ignore silenced, with the reason and where it was said.
fn ignored(out: &mut String, m: &MigrationReport) {
    for i in &m.ignored {
        let _ = writeln!(
            out,
            "- 🔕 [`{}`]({}) ignored ({}): {} — {}",
            i.rule,
            crate::rules::page_of(&i.rule),
            text(&i.source),
            text(&i.reason),
            text(&i.message)
        );
    }
}

fn verdict(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "✅ pass",
        Verdict::Fail => "❌ fail",
        Verdict::NotRun => "⏭️ not run",
        Verdict::Interrupted => "⏹ interrupted",
        Verdict::TimedOut => "⏱ timed out",
    }
}

fn check(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "✅",
        Some(false) => "❌",
        None => "—",
    }
}

/// Text for Markdown (tables included); see [`super::escape::markdown`].
pub fn text(s: &str) -> String {
    super::escape::markdown(s)
}

/// Text inside an HTML element, where Markdown is not processed.
fn html(s: &str) -> String {
    super::escape::html(s)
}

/// A fenced SQL block whose fence is longer than any backtick run inside it.
fn code_block(sql: &str) -> String {
    let sql = if sql.chars().count() > SQL_LIMIT {
        let cut: String = sql.chars().take(SQL_LIMIT).collect();
        format!("{cut}\n-- … cut; the HTML report has the whole statement")
    } else {
        sql.to_string()
    };
    let mut longest = 0;
    let mut run = 0;
    for c in sql.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest.max(2) + 1);
    format!("{fence}sql\n{sql}\n{fence}\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Direction, MigrationReport, StatementReport};

    #[test]
    fn a_report_too_long_for_a_comment_leaves_details_to_the_html() {
        let statement = StatementReport {
            sql: "UPDATE t SET x = 1 WHERE id IN (1, 2, 3)".repeat(15),
            ..Default::default()
        };
        let migration = |i: usize| MigrationReport {
            id: format!("{i:03}"),
            name: "bulk".into(),
            forward: Direction {
                ok: true,
                statements: vec![statement.clone(); 20],
                ..Default::default()
            },
            ..Default::default()
        };
        let report = Report {
            migrations: (0..40).map(migration).collect(),
            ..Default::default()
        };
        let md = render(&report);
        assert!(md.len() < 65_536, "{} characters", md.len());
        // Every migration still has its row in the table.
        assert!(md.contains("| 039 bulk |"));
        assert!(md.contains("report.html has everything"));
    }

    #[test]
    fn a_reset_is_one_line_under_its_migration() {
        let migration = |id: &str, reset: Option<crate::report::StateReset>| MigrationReport {
            id: id.into(),
            name: "m".into(),
            reset,
            ..Default::default()
        };
        let report = Report {
            migrations: vec![
                migration(
                    "002",
                    Some(crate::report::StateReset {
                        seconds: 0.25,
                        replay_seconds: 0.0125,
                        replayed: vec!["001".into(), "002".into()],
                        ..Default::default()
                    }),
                ),
                migration("003", None),
            ],
            ..Default::default()
        };
        let md = render(&report);
        let lines: Vec<&str> = md.lines().filter(|l| l.contains("reset")).collect();
        assert_eq!(
            lines,
            ["↩️ The state was reset from the template in 250.0 ms and 2 migrations were replayed (12.5 ms), so later migrations start clean."]
        );
        let (before_003, _) = md.split_once("<summary>003").unwrap();
        assert!(before_003.contains(lines[0]), "{md}");
    }
}
