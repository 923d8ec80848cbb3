//! `report.html`: one self-contained file for a release manager. Verdict first; per migration the
//! statements, a lock timeline and the workload's latency as inline SVG made here. It stays fast
//! for hundreds of migrations: a migration's details are folded (`<details>`, open for failures),
//! and charts are drawn only where a lock was held or a query blocked past [`CHART_FROM_MS`]. It loads
//! nothing from anywhere and carries no script; every piece of user text goes through [`escape`],
//! and a Content-Security-Policy forbids scripts as a second line of defence.

use super::measures::{self, duration, tri};
use super::{Direction, GateStatus, MigrationReport, Report, Verdict};
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

/// Colour of each lock mode, weakest (blue) to strongest (dark red).
fn lock_colour(mode: &str) -> &'static str {
    match mode {
        "AccessShareLock" => "#9ecae1",
        "RowShareLock" => "#6baed6",
        "RowExclusiveLock" => "#3182bd",
        "ShareUpdateExclusiveLock" => "#fdd0a2",
        "ShareLock" => "#fdae6b",
        "ShareRowExclusiveLock" => "#fd8d3c",
        "ExclusiveLock" => "#e6550d",
        "AccessExclusiveLock" => "#a50f15",
        _ => "#8c8c8c",
    }
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
        "<header class=\"verdict {verdict}\" id=\"verdict\"><h1>{}</h1><p>Scenario <strong>{}</strong> · PostgreSQL {} via {} · {} migration(s) · {} · started {}</p></header>",
        escape(&measures::headline(report)),
        escape(&report.scenario),
        escape(&report.database.server_version),
        measures::provider(report),
        report.migrations.len(),
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
        let lock = measures::strongest_lock(m)
            .map(|l| {
                format!(
                    "{} on {} ({})",
                    escape(&l.mode),
                    escape(&l.relation),
                    duration(l.held_ms)
                )
            })
            .unwrap_or_else(|| "—".into());
        let rewrites = measures::rewrites(m);
        let _ = write!(
            out,
            "<tr><td><a href=\"#m{i}\">{} {}</a></td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
            escape(&m.id),
            escape(&m.name),
            badge(m.verdict),
            duration(m.forward.duration_ms),
            m.rollback
                .as_ref()
                .map(|r| duration(r.duration_ms))
                .unwrap_or_else(|| "—".into()),
            lock,
            if rewrites.is_empty() {
                "—".into()
            } else {
                escape(&rewrites.join(", "))
            },
            tri_html(m.schema_restored),
            tri_html(m.data_preserved),
            measures::blocked_ms(m)
                .map(duration)
                .unwrap_or_else(|| "—".into())
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
    if !m.findings.is_empty() {
        out.push_str("<h3>Findings</h3><ul class=\"findings\">");
        for f in &m.findings {
            finding(out, f, "fail-text");
        }
        out.push_str("</ul>");
    }
    if !m.hazards.is_empty() {
        out.push_str("<h3>Hazards</h3><ul class=\"findings\">");
        for f in &m.hazards {
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
            "<h3>Workload during the {name}</h3><p>{} client(s){} · {} queries, {} errors · latency p50 {} · p95 {} · p99 {} · max {}{} · {} blocked by the migration, {} in total, longest {}</p>",
            w.clients,
            if w.default { " (default workload)" } else { "" },
            t.queries,
            t.errors,
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

/// When each statement started: as the probe measured it; a report without start times (all
/// zero) gets the sum of the durations before.
fn statement_starts(d: &Direction) -> Vec<f64> {
    let measured = d.statements.iter().skip(1).any(|s| s.started_ms > 0.0);
    let mut t = 0.0;
    d.statements
        .iter()
        .map(|s| {
            let start = if measured { s.started_ms } else { t };
            t = start + s.duration_ms;
            start
        })
        .collect()
}

/// When a lock was taken; a report without lock times (zero) uses its statement's start.
fn acquired(l: &super::LockReport, statement_start: f64) -> f64 {
    if l.acquired_ms > 0.0 {
        l.acquired_ms
    } else {
        statement_start
    }
}

const CHART_W: f64 = 960.0;
const LABEL_W: f64 = 230.0;
const PLOT_W: f64 = CHART_W - LABEL_W - 20.0;

fn x_of(t: f64, span: f64) -> f64 {
    LABEL_W + (t / span).clamp(0.0, 1.0) * PLOT_W
}

/// Relations down, time across, one bar per lock coloured by its mode. Without measured
/// acquisition and hold times a lock is drawn from its statement's start to the end of the
/// direction (a transactional lock is held until commit), paler, and said to be estimated.
fn lock_timeline(d: &Direction, starts: &[f64], id: &str) -> String {
    // One row per relation, one lane per lock mode inside it, strongest mode on top.
    let mut relations: Vec<(&str, Vec<&str>)> = Vec::new();
    for l in d.statements.iter().flat_map(|s| &s.locks) {
        match relations.iter_mut().find(|(r, _)| *r == l.relation) {
            Some((_, modes)) if !modes.contains(&l.mode.as_str()) => modes.push(&l.mode),
            Some(_) => {}
            None => relations.push((&l.relation, vec![&l.mode])),
        }
    }
    for (_, modes) in &mut relations {
        modes.sort_by_key(|m| -measures::lock_strength(m));
    }
    let span = d
        .statements
        .iter()
        .zip(starts)
        .flat_map(|(s, start)| {
            s.locks
                .iter()
                .map(move |l| acquired(l, *start) + l.held_ms)
                .chain(std::iter::once(start + s.duration_ms))
        })
        .fold(d.duration_ms, f64::max)
        .max(0.001);
    // The workload's queries queued behind a statement: the longest block, from its start.
    let queued: Vec<(usize, f64, f64)> = d
        .statements
        .iter()
        .zip(starts)
        .enumerate()
        .filter_map(|(i, (s, start))| {
            s.workload
                .as_ref()
                .filter(|w| w.blocked_longest_ms > 0.0)
                .map(|w| (i, *start, w.blocked_longest_ms))
        })
        .collect();
    let span = queued
        .iter()
        .map(|(_, start, ms)| start + ms)
        .fold(span, f64::max);
    let lane = 12.0;
    let pad = 5.0;
    let top = 12.0;
    let mut row_top = Vec::new();
    let mut y = top;
    for (_, modes) in &relations {
        row_top.push(y);
        y += pad * 2.0 + lane * modes.len() as f64;
    }
    let queue_top = y;
    if !queued.is_empty() {
        y += pad * 2.0 + lane;
    }
    let axis_y = y + 2.0;
    let height = axis_y + 34.0;
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg id=\"{id}-locks\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {CHART_W} {height}\" width=\"{CHART_W}\" height=\"{height}\" role=\"img\" aria-label=\"lock timeline\">"
    );
    for (r, (rel, modes)) in relations.iter().enumerate() {
        let h = pad * 2.0 + lane * modes.len() as f64;
        let _ = write!(
            svg,
            "<rect x=\"{LABEL_W}\" y=\"{}\" width=\"{PLOT_W}\" height=\"{}\" fill=\"{}\"/>",
            row_top[r],
            h - 1.0,
            if r % 2 == 0 { "#f6f8fa" } else { "#eef1f4" }
        );
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\"><title>{}</title>{}</text>",
            LABEL_W - 6.0,
            row_top[r] + h / 2.0 + 4.0,
            escape(rel),
            escape(&shorten(rel, 34))
        );
    }
    if !queued.is_empty() {
        let _ = write!(
            svg,
            "<rect x=\"{LABEL_W}\" y=\"{queue_top}\" width=\"{PLOT_W}\" height=\"{}\" fill=\"#fff5f5\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">workload queued behind</text>",
            pad * 2.0 + lane - 1.0,
            LABEL_W - 6.0,
            queue_top + (pad * 2.0 + lane) / 2.0 + 4.0
        );
        for (i, start, ms) in &queued {
            let (x0, x1) = (x_of(*start, span), x_of(start + ms, span));
            let _ = write!(
                svg,
                "<rect x=\"{x0:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{}\" rx=\"2\" fill=\"#cf222e\" fill-opacity=\"0.8\"><title>a workload query queued behind statement {} for {}</title></rect>",
                queue_top + pad + 1.0,
                (x1 - x0).max(2.0),
                lane - 2.0,
                i + 1,
                duration(*ms)
            );
        }
    }
    let mut waited = false;
    let mut estimated = false;
    let mut modes: Vec<&str> = Vec::new();
    for (i, (s, start)) in d.statements.iter().zip(starts).enumerate() {
        for l in &s.locks {
            let r = relations
                .iter()
                .position(|(x, _)| *x == l.relation)
                .unwrap_or(0);
            let lane_index = relations[r]
                .1
                .iter()
                .position(|m| *m == l.mode)
                .unwrap_or(0);
            let measured = !l.sampled;
            estimated |= l.sampled;
            let from = acquired(l, *start);
            let to = from + l.held_ms;
            // The wait before the lock was granted: from the statement's start to the grant
            // when the grant time was measured, else the statement's sampled lock wait.
            let wait_to = if from > *start + 0.5 {
                from
            } else {
                start + s.lock_wait_ms
            };
            if wait_to - start >= 1.0 {
                waited = true;
                let (w0, w1) = (x_of(*start, span), x_of(wait_to, span));
                let _ = write!(
                    svg,
                    "<rect x=\"{w0:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{}\" rx=\"2\" fill=\"#8c8c8c\" fill-opacity=\"0.35\" stroke=\"{}\" stroke-dasharray=\"3 2\"><title>statement {} (line {}) waited {} for {} on {}</title></rect>",
                    row_top[r] + pad + lane * lane_index as f64 + 1.0,
                    (w1 - w0).max(2.0),
                    lane - 2.0,
                    lock_colour(&l.mode),
                    i + 1,
                    s.line,
                    duration(wait_to - start),
                    escape(&l.mode),
                    escape(&l.relation)
                );
            }
            let (x0, x1) = (x_of(from, span), x_of(to, span));
            if !modes.contains(&l.mode.as_str()) {
                modes.push(&l.mode);
            }
            let _ = write!(
                svg,
                "<rect x=\"{x0:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{}\" rx=\"2\" fill=\"{}\" fill-opacity=\"{}\"><title>{} on {}, statement {} (line {}), {} {}</title></rect>",
                row_top[r] + pad + lane * lane_index as f64 + 1.0,
                (x1 - x0).max(2.0),
                lane - 2.0,
                lock_colour(&l.mode),
                if measured { "0.95" } else { "0.5" },
                escape(&l.mode),
                escape(&l.relation),
                i + 1,
                s.line,
                if measured { "held" } else { "held (sampled)" },
                duration(to - from)
            );
        }
    }
    statement_marks(&mut svg, starts, span, top, axis_y);
    axis(&mut svg, span, axis_y);
    svg.push_str("</svg>");
    let mut legend = String::from("<p class=\"legend\">");
    modes.sort_by_key(|m| measures::lock_strength(m));
    for m in modes {
        let _ = write!(
            legend,
            "<span><i style=\"background:{}\"></i>{}</span>",
            lock_colour(m),
            escape(m)
        );
    }
    if waited {
        legend.push_str("<span><i style=\"background:#8c8c8c;opacity:.35;border:1px dashed #57606a\"></i>waiting for the lock</span>");
    }
    if !queued.is_empty() {
        legend.push_str("<span><i style=\"background:#cf222e\"></i>longest workload query queued behind the statement</span>");
    }
    if estimated {
        legend.push_str(
            "<span class=\"muted\">pale bars: locks seen by sampling, times accurate to the sampling interval</span>",
        );
    }
    legend.push_str("</p>");
    svg + &legend
}

/// The workload's latency over time, statement by statement: a bar to p95 across each
/// statement's time, a tick at the slowest query, and in red the longest block the migration
/// caused; the statements are marked by dashed lines.
fn latency_chart(d: &Direction, starts: &[f64]) -> String {
    let spans: Vec<(f64, f64, usize, &super::StatementWorkload)> = d
        .statements
        .iter()
        .zip(starts)
        .enumerate()
        .filter_map(|(i, (s, start))| {
            s.workload
                .as_ref()
                .map(|w| (*start, start + s.duration_ms, i, w))
        })
        .collect();
    let span = spans
        .iter()
        .map(|(_, end, _, _)| *end)
        .fold(d.duration_ms, f64::max)
        .max(0.001);
    let timeline = d
        .workload
        .as_ref()
        .map(|w| w.timeline.as_slice())
        .unwrap_or_default();
    let max_latency = spans
        .iter()
        .map(|(_, _, _, w)| w.latency.max_ms.max(w.blocked_longest_ms))
        .chain(timeline.iter().map(|b| b.p95_ms.max(b.oldest_waiting_ms)))
        .fold(0.0, f64::max)
        .max(0.001);
    let (top, plot_h) = (18.0, 160.0);
    let axis_y = top + plot_h + 2.0;
    let height = axis_y + 34.0;
    // Logarithmic: a 2 ms p95 and a 2 s blocked query both have to be readable.
    let lo = 0.1_f64;
    let hi = 10f64.powf(max_latency.max(1.0).log10().ceil());
    let y_of = |v: f64| {
        let f = (v.max(lo) / lo).log10() / (hi / lo).log10();
        top + plot_h - f.clamp(0.0, 1.0) * plot_h
    };
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {CHART_W} {height}\" width=\"{CHART_W}\" height=\"{height}\" role=\"img\" aria-label=\"workload latency over time\">"
    );
    let _ = write!(
        svg,
        "<rect x=\"{LABEL_W}\" y=\"{top}\" width=\"{PLOT_W}\" height=\"{plot_h}\" fill=\"#f6f8fa\"/>"
    );
    let mut v = lo;
    while v <= hi * 1.001 {
        let y = y_of(v);
        let _ = write!(
            svg,
            "<line x1=\"{LABEL_W}\" y1=\"{y:.1}\" x2=\"{}\" y2=\"{y:.1}\" stroke=\"#d0d7de\" stroke-width=\"0.6\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            LABEL_W + PLOT_W,
            LABEL_W - 6.0,
            y + 4.0,
            escape(&duration(v))
        );
        v *= 10.0;
    }
    let _ = write!(
        svg,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#57606a\">workload latency</text>",
        LABEL_W - 70.0,
        top + plot_h / 2.0
    );
    if !timeline.is_empty() {
        return bucket_chart(d, timeline, starts, svg, hi);
    }
    for (start, end, i, w) in &spans {
        let (x0, x1) = (x_of(*start, span), x_of(*end, span));
        let width = (x1 - x0).max(2.0);
        let tip = format!(
            "statement {}: {} queries, p50 {}, p95 {}, max {}; {} blocked, longest {}",
            i + 1,
            w.queries,
            duration(w.latency.p50_ms),
            duration(w.latency.p95_ms),
            duration(w.latency.max_ms),
            w.blocked_count,
            duration(w.blocked_longest_ms)
        );
        let _ = write!(
            svg,
            "<g><title>{}</title><rect x=\"{x0:.1}\" y=\"{:.1}\" width=\"{width:.1}\" height=\"{:.1}\" fill=\"#3182bd\" fill-opacity=\"0.55\"/><line x1=\"{x0:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#08519c\" stroke-width=\"2\"/>",
            escape(&tip),
            y_of(w.latency.p95_ms),
            (top + plot_h - y_of(w.latency.p95_ms)).max(1.0),
            y_of(w.latency.max_ms),
            x0 + width,
            y_of(w.latency.max_ms)
        );
        if w.blocked_longest_ms > 0.0 {
            let _ = write!(
                svg,
                "<line x1=\"{x0:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#cf222e\" stroke-width=\"3\"/>",
                y_of(w.blocked_longest_ms),
                x0 + width,
                y_of(w.blocked_longest_ms)
            );
        }
        svg.push_str("</g>");
    }
    statement_marks(&mut svg, starts, span, top, axis_y);
    axis(&mut svg, span, axis_y);
    svg.push_str("</svg><p class=\"legend\"><span><i style=\"background:#3182bd;opacity:.55\"></i>p95 latency while the statement ran</span><span><i style=\"background:#08519c\"></i>slowest query</span><span><i style=\"background:#cf222e\"></i>longest block by the migration</span><span class=\"muted\">dashed lines: statement starts</span></p>");
    svg
}

/// The latency chart from the workload's timeline: per short bucket a bar to the p95 of the
/// queries that finished in it, and in red the age of the oldest query still waiting, which
/// climbs from the moment queries queue behind a lock to the moment it is released.
fn bucket_chart(
    d: &Direction,
    timeline: &[super::LatencyBucket],
    starts: &[f64],
    mut svg: String,
    hi: f64,
) -> String {
    // `svg` holds the opening tag, the background and the grid drawn up to `hi`: the bars use
    // the same scale.
    let span = timeline
        .last()
        .map(|b| b.start_ms + b.width_ms)
        .unwrap_or(0.0)
        .max(d.duration_ms)
        .max(0.001);
    let (top, plot_h) = (18.0, 160.0);
    let axis_y = top + plot_h + 2.0;
    let lo = 0.1_f64;
    let y_of = |v: f64| {
        let f = (v.max(lo) / lo).log10() / (hi / lo).log10();
        top + plot_h - f.clamp(0.0, 1.0) * plot_h
    };
    let mut waiting = Vec::new();
    for b in timeline {
        let (x0, x1) = (x_of(b.start_ms, span), x_of(b.start_ms + b.width_ms, span));
        let width = (x1 - x0 - 0.5).max(1.0);
        let tip = format!(
            "{} to {}: {} queries finished, p95 {}; oldest still waiting {}",
            duration(b.start_ms),
            duration(b.start_ms + b.width_ms),
            b.completed,
            duration(b.p95_ms),
            duration(b.oldest_waiting_ms)
        );
        let _ = write!(
            svg,
            "<g><title>{}</title><rect x=\"{x0:.1}\" y=\"{top}\" width=\"{width:.1}\" height=\"{plot_h}\" fill=\"transparent\"/>",
            escape(&tip)
        );
        if b.completed > 0 {
            let _ = write!(
                svg,
                "<rect x=\"{x0:.1}\" y=\"{:.1}\" width=\"{width:.1}\" height=\"{:.1}\" fill=\"#3182bd\" fill-opacity=\"0.55\"/>",
                y_of(b.p95_ms),
                (top + plot_h - y_of(b.p95_ms)).max(1.0)
            );
        }
        svg.push_str("</g>");
        waiting.push(format!(
            "{x0:.1},{:.1} {x1:.1},{:.1}",
            y_of(b.oldest_waiting_ms),
            y_of(b.oldest_waiting_ms)
        ));
    }
    if timeline.iter().any(|b| b.oldest_waiting_ms >= 1.0) {
        let _ = write!(
            svg,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"#cf222e\" stroke-width=\"2\"/>",
            waiting.join(" ")
        );
    }
    statement_marks(&mut svg, starts, span, top, axis_y);
    axis(&mut svg, span, axis_y);
    let width = timeline.first().map(|b| b.width_ms).unwrap_or(0.0);
    let _ = write!(
        svg,
        "</svg><p class=\"legend\"><span><i style=\"background:#3182bd;opacity:.55\"></i>p95 latency of the queries that finished, per {}</span><span><i style=\"background:#cf222e\"></i>how long the oldest query still running had waited</span><span class=\"muted\">dashed lines: statement starts</span></p>",
        escape(&duration(width))
    );
    svg
}

/// A dashed line at each statement's start, numbered as in the statements table. Numbers of
/// statements that start close together are set side by side instead of on top of each other.
fn statement_marks(svg: &mut String, starts: &[f64], span: f64, top: f64, bottom: f64) {
    let mut next_free_x = f64::MIN;
    for (i, t) in starts.iter().enumerate() {
        let x = x_of(*t, span);
        let label_x = (x + 2.0).max(next_free_x);
        let label = (i + 1).to_string();
        next_free_x = label_x + 7.0 * label.len() as f64 + 4.0;
        let _ = write!(
            svg,
            "<line x1=\"{x:.1}\" y1=\"{top}\" x2=\"{x:.1}\" y2=\"{bottom}\" stroke=\"#57606a\" stroke-dasharray=\"3 3\" stroke-width=\"0.8\"/><text x=\"{label_x:.1}\" y=\"{}\" fill=\"#57606a\">{label}</text>",
            top - 2.0
        );
    }
}

fn axis(svg: &mut String, span: f64, y: f64) {
    let _ = write!(
        svg,
        "<line x1=\"{LABEL_W}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"#57606a\"/>",
        LABEL_W + PLOT_W
    );
    for i in 0..=4 {
        let t = span * i as f64 / 4.0;
        let x = x_of(t, span);
        let _ = write!(
            svg,
            "<line x1=\"{x:.1}\" y1=\"{y}\" x2=\"{x:.1}\" y2=\"{}\" stroke=\"#57606a\"/><text x=\"{x:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            y + 4.0,
            y + 16.0,
            escape(&duration(t))
        );
    }
    let _ = write!(
        svg,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#57606a\">time since the direction started</text>",
        LABEL_W + PLOT_W / 2.0,
        y + 30.0
    );
}

fn finding(out: &mut String, f: &super::Finding, class: &str) {
    let _ = write!(
        out,
        "<li><span class=\"{class}\">{}</span>{}</li>",
        escape(&f.message),
        f.advice
            .as_ref()
            .map(|a| format!(" <span class=\"advice\">{}</span>", escape(a)))
            .unwrap_or_default()
    );
}

fn badge(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "<span class=\"badge pass\">pass</span>",
        Verdict::Fail => "<span class=\"badge fail\">fail</span>",
        Verdict::NotRun => "<span class=\"badge not_measured\">not run</span>",
        Verdict::Interrupted => "<span class=\"badge fail\">interrupted</span>",
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

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let cut: String = s.chars().take(max - 1).collect();
        format!("{cut}…")
    }
}

/// Text and attribute values for HTML and SVG.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn markup_in_identifiers_becomes_text() {
        assert_eq!(
            escape("<script>x=\"1\"&'</script>"),
            "&lt;script&gt;x=&quot;1&quot;&amp;&#39;&lt;/script&gt;"
        );
    }
}
