//! `report.md`: sized for a pull-request comment. A verdict line, one table row per migration, and
//! everything else folded into `<details>` blocks. Every piece of user text is escaped, because the
//! forges render HTML inside Markdown.

use super::measures::{self, duration, tri};
use super::{Direction, GateStatus, MigrationReport, Report, Verdict};
use std::fmt::Write;

/// Forges cap a comment at 65,536 characters; the details that do not fit are left to the HTML.
const COMMENT_LIMIT: usize = 60_000;

/// Statements longer than this are cut in the Markdown (the HTML report has them whole).
const SQL_LIMIT: usize = 600;

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let icon = match report.verdict {
        Verdict::Pass => "✅",
        Verdict::Fail => "❌",
        Verdict::Interrupted => "⏹",
    };
    let _ = writeln!(
        out,
        "## {icon} rehearse: {}\n",
        text(&measures::headline(report))
    );
    let _ = writeln!(
        out,
        "Scenario **{}** · PostgreSQL {} ({}) · {} migration(s) · {}\n",
        text(&report.scenario),
        text(&report.database.server_version),
        measures::provider(report),
        report.migrations.len(),
        duration(report.duration_ms)
    );

    for f in &report.findings {
        let _ = writeln!(out, "- ❌ {}", finding(f));
    }
    if !report.findings.is_empty() {
        out.push('\n');
    }

    if !report.migrations.is_empty() {
        out.push_str("| Migration | Verdict | Forward | Rollback | Strongest lock (held) | Rewrites | Rollback restored schema | Data preserved | Workload blocked |\n");
        out.push_str("|---|:-:|--:|--:|---|---|:-:|:-:|--:|\n");
        for m in &report.migrations {
            let _ = writeln!(
                out,
                "| {} {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                text(&m.id),
                text(&m.name),
                verdict(m.verdict),
                duration(m.forward.duration_ms),
                m.rollback
                    .as_ref()
                    .map(|r| duration(r.duration_ms))
                    .unwrap_or_else(|| "—".into()),
                strongest(m),
                join_or_dash(&measures::rewrites(m)),
                check(m.schema_restored),
                check(m.data_preserved),
                measures::blocked_ms(m)
                    .map(duration)
                    .unwrap_or_else(|| "—".into()),
            );
        }
        out.push('\n');
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
        out.push_str("### Needs approval\n\n");
        for (m, d) in pending {
            let _ = writeln!(
                out,
                "- **{} {}**, line {}: {} of {}",
                text(&m.id),
                text(&m.name),
                d.line,
                text(&d.kind.replace('_', " ")),
                text(&d.object)
            );
        }
        out.push_str("\nApprove with `-- rehearse:approve destructive by=\"...\" reason=\"...\"` in the migration file, or in the approvals file.\n\n");
    }

    let mut left_out = 0;
    for m in &report.migrations {
        let mut block = String::new();
        details(&mut block, m);
        if out.len() + block.len() + 200 > COMMENT_LIMIT {
            left_out += 1;
        } else {
            out.push_str(&block);
        }
    }
    if left_out > 0 {
        let _ = writeln!(
            out,
            "_The details of {left_out} migration(s) were left out to fit a pull-request comment; report.html has everything._"
        );
    }
    out
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
            format!(", {} finding(s)", m.findings.len())
        },
        if hazards == 0 {
            String::new()
        } else {
            format!(", {hazards} hazard(s)")
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
    if !m.hazards.is_empty() {
        out.push_str("**Hazards**\n\n");
        for f in &m.hazards {
            let _ = writeln!(out, "- ⚠️ {}", finding(f));
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
                "- {} {}: {}",
                text(&d.kind),
                text(&d.object),
                text(&d.detail)
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
            "Workload: {} client(s), {} queries, {} errors, latency p50 {} · p95 {} · p99 {} · max {}{}; {} blocked by the migration, {} in total (longest {})\n",
            w.clients,
            t.queries,
            t.errors,
            duration(t.latency.p50_ms),
            duration(t.latency.p95_ms),
            duration(t.latency.p99_ms),
            duration(t.latency.max_ms),
            measures::on_schedule(t),
            t.blocked_count,
            duration(t.blocked_total_ms),
            duration(t.blocked_longest_ms)
        );
    }
}

fn strongest(m: &MigrationReport) -> String {
    match measures::strongest_lock(m) {
        None => "—".into(),
        Some(l) => {
            let held = format!(" ({})", duration(l.held_ms));
            format!("{} on {}{}", text(&l.mode), text(&l.relation), held)
        }
    }
}

fn finding(f: &super::Finding) -> String {
    match &f.advice {
        Some(a) => format!("{} *{}*", text(&f.message), text(a)),
        None => text(&f.message),
    }
}

fn verdict(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "✅ pass",
        Verdict::Fail => "❌ fail",
        Verdict::Interrupted => "⏹ interrupted",
    }
}

fn check(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "✅",
        Some(false) => "❌",
        None => "—",
    }
}

fn join_or_dash(items: &[&str]) -> String {
    if items.is_empty() {
        "—".into()
    } else {
        text(&items.join(", "))
    }
}

/// Text for Markdown (tables included): HTML-escaped, pipes and backticks neutralised, and the
/// characters that start emphasis or links escaped, so an identifier shows as written.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '|' => out.push_str("&#124;"),
            '`' => out.push_str("&#96;"),
            '*' | '_' | '[' | ']' | '\\' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// Text inside an HTML element, where Markdown is not processed.
fn html(s: &str) -> String {
    super::html::escape(s)
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
            ["↩️ The state was reset from the template in 250.0 ms and 2 migrations replayed (12.5 ms), so later migrations start clean."]
        );
        let (before_003, _) = md.split_once("<summary>003").unwrap();
        assert!(before_003.contains(lines[0]), "{md}");
    }
}
