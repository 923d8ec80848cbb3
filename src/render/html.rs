//! `report.html`: one self-contained file for a release manager. Verdict first; per migration the
//! statements, a lock timeline and the workload's latency as inline SVG (drawn by `charts`). It stays fast
//! for hundreds of migrations: a migration's details are folded (`<details>`, open for failures),
//! and charts are drawn only where a lock was held or a query blocked past [`CHART_FROM_MS`]. It loads
//! nothing from anywhere and carries no script; every piece of user text goes through [`escape`],
//! and a Content-Security-Policy forbids scripts as a second line of defence.

use super::charts::{latency_chart, lock_colour, lock_timeline, statement_starts};
use super::escape::html as escape;
use crate::report::measures::{self, duration, tri};
use crate::report::{Direction, GateStatus, MigrationReport, Report, Verdict};
use crate::words::count;
use std::fmt::Write;

const STYLE: &str = r#"
:root { --pass: #1a7f37; --fail: #cf222e; --warn: #9a6700; --muted: #57606a; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1f2328; background: #f6f8fa; }
main { max-width: 1340px; margin: 0 auto; padding: 24px; }
.verdict { padding: 20px 24px; border-radius: 8px; color: #fff; margin-bottom: 16px; }
.verdict.pass { background: var(--pass); } .verdict.fail { background: var(--fail); }
.verdict h1 { margin: 0 0 6px; font-size: 24px; }
.verdict p { margin: 0; opacity: .9; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px; margin-bottom: 16px; }
h2 { margin: 0 0 8px; font-size: 18px; } h3 { font-size: 15px; margin: 18px 0 6px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; overflow-wrap: break-word; }
section { overflow-x: auto; }
td { overflow-wrap: anywhere; } th { overflow-wrap: normal; }
details.migration { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 20px; margin-bottom: 10px; }
details.migration > summary { cursor: pointer; font-weight: 600; font-size: 15px; }
details.migration[open] > summary { margin-bottom: 8px; }
th { background: #f6f8fa; font-weight: 600; }
td.num { text-align: right; white-space: nowrap; }
pre { margin: 0; white-space: pre-wrap; word-break: break-word; font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; color: #fff; vertical-align: middle; }
.badge.pass { background: var(--pass); } .badge.fail { background: var(--fail); } .badge.not_measured { background: var(--muted); }
ul.findings { padding-left: 20px; } ul.findings li { margin: 4px 0; }
.fail-text { color: var(--fail); } .warn-text { color: var(--warn); } .muted { color: var(--muted); }
.advice { color: var(--muted); font-style: italic; }
svg { display: block; max-width: 100%; height: auto; background: #fff; }
svg text { font: 11px system-ui, sans-serif; fill: #1f2328; }
.legend span { display: inline-block; margin-right: 12px; font-size: 12px; }
.legend i { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: -2px; border-radius: 2px; }
footer { color: var(--muted); font-size: 12px; text-align: center; padding: 8px; }
"#;

/// A lock held this long, a statement that waited this long for its lock, or a workload query
/// blocked this long gets its direction's charts; below it the tables say everything.
pub const CHART_FROM_MS: f64 = 100.0;

/// Whether a direction is worth a picture: a lock held or waited for, or a query blocked, past
/// [`CHART_FROM_MS`].
fn worth_a_chart(d: &Direction) -> bool {
    d.statements.iter().any(|s| {
        s.lock_wait_ms >= CHART_FROM_MS
            || s.locks.iter().any(|l| l.held_ms >= CHART_FROM_MS)
            || s.workload
                .as_ref()
                .is_some_and(|w| w.blocked_longest_ms >= CHART_FROM_MS)
    }) || d.lock_wait_ms >= CHART_FROM_MS
        || d.long_transaction.is_some()
}

pub fn render(report: &Report) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let verdict = measures::verdict_word(report.verdict);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>rehearse {}: {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n",
        escape(&report.scenario),
        verdict
    );
    let _ = writeln!(
        out,
        "<header class=\"verdict {verdict}\" id=\"verdict\"><h1>{}</h1><p>Scenario <strong>{}</strong> · PostgreSQL {} via {} · {} · {} · started {}</p></header>",
        escape(&measures::headline(report)),
        escape(&report.scenario),
        escape(&report.database.server_version),
        measures::provider(report),
        count(report.migrations.len(), "migration"),
        duration(report.duration_ms),
        escape(&report.started_at)
    );
    if let Some(data) = report.database.data.phrase() {
        let _ = writeln!(out, "<p class=\"data-source\">Data: {}</p>", escape(&data));
    }

    if !report.findings.is_empty() {
        out.push_str("<section id=\"run-findings\"><h2>Run findings</h2><ul class=\"findings\">");
        for f in &report.findings {
            finding(&mut out, f, "fail-text");
        }
        out.push_str("</ul></section>\n");
    }
    if !report.hazards.is_empty() {
        out.push_str("<section id=\"run-hazards\"><h2>Run hazards</h2><ul class=\"findings\">");
        for f in &report.hazards {
            finding(&mut out, f, "warn-text");
        }
        out.push_str("</ul></section>\n");
    }

    approvals(&mut out, report);
    overview(&mut out, report);
    for (i, m) in report.migrations.iter().enumerate() {
        migration(&mut out, i, m);
    }
    if let Some(g) = &report.gates {
        out.push_str("<section id=\"gate-settings\"><h2>Gate settings</h2><table><tbody>");
        let limit = |v: Option<f64>| v.map(duration).unwrap_or_else(|| "none".into());
        let _ = write!(
            out,
            "<tr><th>Longest direction of a migration</th><td>{}</td></tr><tr><th>Longest block of a workload query</th><td>{}</td></tr><tr><th>Rollback required</th><td>{}</td></tr>",
            limit(g.max_duration_ms),
            limit(g.max_blocked_ms),
            if g.require_rollback { "yes" } else { "no" }
        );
        for (mode, ms) in &g.max_lock_hold_ms {
            let _ = write!(
                out,
                "<tr><th>Longest hold of {}</th><td>{}</td></tr>",
                escape(mode),
                duration(*ms)
            );
        }
        if let Some(f) = &g.approvals_file {
            let _ = write!(
                out,
                "<tr><th>Approvals file</th><td>{}</td></tr>",
                escape(f)
            );
        }
        out.push_str("</tbody></table></section>\n");
    }
    let _ = write!(
        out,
        "<footer>rehearse {} · report schema {}</footer>\n</main>\n</body>\n</html>\n",
        escape(&report.rehearse_version),
        report.schema_version
    );
    out
}

fn approvals(out: &mut String, report: &Report) {
    let all: Vec<_> = report
        .migrations
        .iter()
        .flat_map(|m| m.destructive_changes.iter().map(move |d| (m, d)))
        .collect();
    if all.is_empty() {
        return;
    }
    out.push_str("<section id=\"destructive\"><h2>Destructive changes and approvals</h2><table><thead><tr><th>Migration</th><th>Line</th><th>Change</th><th>Object</th><th>Approval</th><th>Confirmed by the rehearsal</th></tr></thead><tbody>");
    for (m, d) in all {
        let approval = match &d.approval {
            Some(a) => format!(
                "<span class=\"badge pass\">approved</span> by {} <span class=\"muted\">({})</span>: {}",
                escape(&a.by),
                escape(&a.source),
                escape(&a.reason)
            ),
            None => "<span class=\"badge fail\">needs approval</span>".into(),
        };
        let confirmed = if d.confirmed_by.is_empty() {
            "<span class=\"muted\">no measured loss</span>".to_string()
        } else {
            d.confirmed_by
                .iter()
                .map(|c| escape(c))
                .collect::<Vec<_>>()
                .join("<br>")
        };
        let _ = write!(
            out,
            "<tr><td>{} {}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&m.id),
            escape(&m.name),
            d.line,
            escape(&d.kind.replace('_', " ")),
            escape(&d.object),
            approval,
            confirmed
        );
    }
    out.push_str("</tbody></table></section>\n");
}

fn overview(out: &mut String, report: &Report) {
    if report.migrations.is_empty() {
        return;
    }
    out.push_str("<section id=\"overview\"><h2>Migrations</h2><table><thead><tr><th>Migration</th><th>Verdict</th><th>Forward</th><th>Rollback</th><th>Strongest lock (held)</th><th>Rewrites</th><th>Schema restored</th><th>Data preserved</th><th>Workload blocked</th></tr></thead><tbody>");
    for (i, m) in report.migrations.iter().enumerate() {
        let row = super::overview::row(m);
        let _ = write!(
            out,
            "<tr><td><a href=\"#m{i}\">{}</a></td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
            escape(&row.migration),
            badge(row.verdict),
            row.forward,
            row.rollback,
            escape(&row.strongest_lock),
            escape(&row.rewrites),
            tri_html(row.schema_restored),
            tri_html(row.data_preserved),
            row.blocked
        );
    }
    out.push_str("</tbody></table></section>\n");
}

fn migration(out: &mut String, index: usize, m: &MigrationReport) {
    let _ = writeln!(
        out,
        "<details class=\"migration\" id=\"m{index}\"{}><summary>{} {} {}</summary><p class=\"muted\">{}{}{}</p>",
        if m.verdict == Verdict::Fail { " open" } else { "" },
        escape(&m.id),
        escape(&m.name),
        badge(m.verdict),
        escape(&m.file),
        m.rollback_file
            .as_ref()
            .map(|f| format!(" · rollback {}", escape(f)))
            .unwrap_or_else(|| " · no rollback script".into()),
        if m.irreversible {
            " · marked irreversible"
        } else {
            ""
        }
    );
    out.push_str(&super::prediction::html(m));
    if !m.findings.is_empty() {
        out.push_str("<h3>Findings</h3><ul class=\"findings\">");
        for f in &m.findings {
            finding(out, f, "fail-text");
        }
        out.push_str("</ul>");
    }
    if !m.hazards.is_empty() || !m.ignored.is_empty() {
        out.push_str("<h3>Hazards</h3><ul class=\"findings\">");
        for f in &m.hazards {
            finding(out, f, "warn-text");
        }
        for i in &m.ignored {
            let _ = write!(
                out,
                "<li><a class=\"rule\" href=\"{}\"><code>{}</code></a> <span class=\"muted\">ignored ({}): {}</span> <span class=\"advice\">{}</span></li>",
                escape(&crate::rules::page_of(&i.rule)),
                escape(&i.rule),
                escape(&i.source),
                escape(&i.reason),
                escape(&i.message)
            );
        }
        out.push_str("</ul>");
    }
    if !m.notes.is_empty() {
        out.push_str("<h3>Notes</h3><ul class=\"findings\">");
        for f in &m.notes {
            finding(out, f, "warn-text");
        }
        out.push_str("</ul>");
    }
    if !m.gates.is_empty() {
        out.push_str("<h3>Gates</h3><table><thead><tr><th>Gate</th><th>Result</th><th>Detail</th></tr></thead><tbody>");
        for g in &m.gates {
            let (class, word) = match g.status {
                GateStatus::Pass => ("pass", "pass"),
                GateStatus::Fail => ("fail", "fail"),
                GateStatus::NotMeasured => ("not_measured", "not measured"),
            };
            let _ = write!(
                out,
                "<tr><td>{}</td><td><span class=\"badge {class}\">{word}</span></td><td>{}</td></tr>",
                escape(&g.gate),
                escape(&g.message)
            );
        }
        out.push_str("</tbody></table>");
    }
    for (name, d) in measures::directions(m) {
        let file = if name == "rollback" {
            m.rollback_file.as_deref().unwrap_or("")
        } else {
            &m.file
        };
        direction(out, index, name, file, d);
    }
    if !m.differences.is_empty() || m.schema_restored == Some(false) {
        let _ = write!(
            out,
            "<h3>Schema after the rollback (restored: {})</h3>",
            tri(m.schema_restored)
        );
        out.push_str("<table><thead><tr><th>Kind</th><th>Object</th><th>Detail</th><th>Before</th><th>After</th></tr></thead><tbody>");
        for d in &m.differences {
            let accepted = if d.accepted {
                format!(
                    " <span class=\"badge not_measured\">accepted</span> <span class=\"advice\">{}</span>",
                    escape(d.accepted_reason.as_deref().unwrap_or(""))
                )
            } else {
                String::new()
            };
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}{accepted}</td><td><pre>{}</pre></td><td><pre>{}</pre></td></tr>",
                escape(&d.kind),
                escape(&d.object),
                escape(&d.detail),
                escape(d.before.as_deref().unwrap_or("")),
                escape(d.after.as_deref().unwrap_or(""))
            );
        }
        out.push_str("</tbody></table>");
    }
    if !m.data_differences.is_empty() || m.data_preserved == Some(false) {
        let _ = write!(
            out,
            "<h3>Data after the rollback (preserved: {})</h3>",
            tri(m.data_preserved)
        );
        out.push_str("<table><thead><tr><th>Object</th><th>Detail</th></tr></thead><tbody>");
        for d in &m.data_differences {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td></tr>",
                escape(&d.object),
                escape(&d.detail)
            );
        }
        out.push_str("</tbody></table>");
    }
    if let Some(r) = &m.reset {
        let _ = write!(
            out,
            "<p class=\"muted\">{}</p>",
            escape(&measures::reset_sentence(r))
        );
    }
    out.push_str("</details>\n");
}

fn direction(out: &mut String, index: usize, name: &str, file: &str, d: &Direction) {
    let _ = write!(
        out,
        "<h3>{} <span class=\"muted\">{} · {}</span> {}</h3>",
        capitalise(name),
        escape(file),
        escape(&measures::cost(d)),
        if d.ok {
            ""
        } else {
            "<span class=\"badge fail\">failed</span>"
        }
    );
    if let Some(e) = &d.error {
        let _ = write!(
            out,
            "<p class=\"fail-text\">{}, line {}: {}{}</p>",
            escape(&e.file),
            e.line,
            escape(&e.message),
            e.code
                .as_ref()
                .map(|c| format!(" (SQLSTATE {})", escape(c)))
                .unwrap_or_default()
        );
    }
    if d.statements.is_empty() {
        return;
    }
    out.push_str("<table><thead><tr><th>#</th><th>Line</th><th>Duration</th><th>Locks</th><th>Rewrites</th><th>SQL</th></tr></thead><tbody>");
    for (i, s) in d.statements.iter().enumerate() {
        let locks = s
            .locks
            .iter()
            .map(|l| {
                format!(
                    "<span style=\"color:{}\">■</span> {} on {}, held {}",
                    lock_colour(&l.mode),
                    escape(&l.mode),
                    escape(&l.relation),
                    duration(l.held_ms)
                )
            })
            .collect::<Vec<_>>()
            .join("<br>");
        let _ = write!(
            out,
            "<tr><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}{}</td><td>{}</td><td>{}</td><td><pre>{}</pre></td></tr>",
            i + 1,
            s.line,
            duration(s.duration_ms),
            if s.ok { "" } else { " <span class=\"badge fail\">failed</span>" },
            locks,
            escape(&s.rewrites.join(", ")),
            escape(&s.sql)
        );
    }
    out.push_str("</tbody></table>");
    let starts = statement_starts(d);
    let charts = worth_a_chart(d);
    if charts && d.statements.iter().any(|s| !s.locks.is_empty()) {
        let _ = write!(out, "<h3>Lock timeline, {name}</h3>");
        out.push_str(&lock_timeline(
            d,
            &starts,
            &format!("m{index}-{}", slug(name)),
        ));
    }
    if let Some(w) = &d.workload {
        let t = &w.totals;
        let _ = write!(
            out,
            "<h3>Workload during the {name}</h3><p>{}{} · {}, {} · latency p50 {} · p95 {} · p99 {} · max {}{} · {} blocked by the migration, {} in total, longest {}</p>",
            count(w.clients as usize, "client"),
            if w.default { " (default workload)" } else { "" },
            count(t.queries as usize, "query"),
            count(t.errors as usize, "error"),
            duration(t.latency.p50_ms),
            duration(t.latency.p95_ms),
            duration(t.latency.p99_ms),
            duration(t.latency.max_ms),
            escape(&measures::on_schedule(t)),
            t.blocked_count,
            duration(t.blocked_total_ms),
            duration(t.blocked_longest_ms)
        );
        if charts
            && d.statements
                .iter()
                .any(|s| s.workload.as_ref().is_some_and(|w| w.queries > 0))
        {
            out.push_str(&latency_chart(d, &starts));
        }
        if !w.error_samples.is_empty() {
            out.push_str("<p class=\"muted\">Workload errors:</p><ul class=\"findings\">");
            for e in &w.error_samples {
                let _ = write!(out, "<li><pre>{}</pre></li>", escape(e));
            }
            out.push_str("</ul>");
        }
    }
    if let Some(lt) = &d.long_transaction {
        let _ = write!(
            out,
            "<p class=\"warn-text\">A transaction held {} on {} for {} from before this step: the migration waited {} for its lock, and {} workload queries queued behind it (longest {}).</p>",
            escape(&lt.mode),
            escape(&lt.relation),
            duration(lt.held_ms),
            duration(lt.migration_lock_wait_ms),
            lt.blocked_queries,
            duration(lt.blocked_longest_ms)
        );
    }
}

fn finding(out: &mut String, f: &crate::report::Finding, class: &str) {
    let rule = f
        .rule
        .as_deref()
        .map(|id| {
            format!(
                "<a class=\"rule\" href=\"{}\"><code>{}</code></a> ",
                escape(&crate::rules::page_of(id)),
                escape(id)
            )
        })
        .unwrap_or_default();
    let _ = write!(
        out,
        "<li>{rule}<span class=\"{class}\">{}</span>{}{}</li>",
        escape(&f.message),
        f.advice
            .as_ref()
            .map(|a| format!(" <span class=\"advice\">{}</span>", escape(a)))
            .unwrap_or_default(),
        f.proof
            .as_deref()
            .map(super::proof::html)
            .unwrap_or_default()
    );
}

fn badge(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "<span class=\"badge pass\">pass</span>",
        Verdict::Fail => "<span class=\"badge fail\">fail</span>",
        Verdict::NotRun => "<span class=\"badge not_measured\">not run</span>",
        Verdict::Interrupted => "<span class=\"badge fail\">interrupted</span>",
        Verdict::TimedOut => "<span class=\"badge fail\">timed out</span>",
    }
}

fn tri_html(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "<span class=\"badge pass\">yes</span>",
        Some(false) => "<span class=\"badge fail\">no</span>",
        None => "<span class=\"muted\">not checked</span>",
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn slug(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}
