//! The terminal summary: the verdict line, one line per migration, and under a failed one what
//! failed and what needs approval. Hazards and unmeasured gates seen by more than one migration
//! are said once, with a count (`no_lock_timeout: 153 migrations`), so a long run stays
//! readable. Plain text for CI logs; pure: the report in, text out, and it never prints itself.

use crate::report::measures::{self, duration};
use crate::report::{GateStatus, Report, Verdict};
use crate::words::count;

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let mark = |v: Verdict| match v {
        Verdict::Pass => "PASS",
        Verdict::Fail => "FAIL",
        Verdict::NotRun => "SKIP",
        Verdict::Interrupted => "INTERRUPTED",
        Verdict::TimedOut => "TIMED OUT",
    };
    out.push_str(&format!(
        "{} — {}, {} on PostgreSQL {} ({})\n",
        measures::headline(report),
        report.scenario,
        count(report.migrations.len(), "migration"),
        report.database.server_version,
        measures::provider(report)
    ));
    if let Some(data) = report.database.data.phrase() {
        out.push_str(&format!("  data: {data}\n"));
    }
    for f in &report.findings {
        out.push_str(&format!("  ! {}\n", f.message));
    }
    let migrations = &report.migrations;
    let mut i = 0;
    while i < migrations.len() {
        let m = &migrations[i];
        i += 1;
        if m.verdict == Verdict::NotRun {
            // A run of migrations left behind one failure is one line, not one per migration.
            // "<file> was not rehearsed because ..." / ": it follows ..." share their reason;
            // a migration --in-transaction could not run says its own.
            let why = |m: &crate::report::MigrationReport| {
                m.findings
                    .iter()
                    .find(|f| {
                        f.is(crate::report::FindingKind::NotRun)
                            || f.is(crate::report::FindingKind::NotRehearsed)
                    })
                    .map(|f| {
                        f.message
                            .strip_prefix(m.file.as_str())
                            .and_then(|rest| rest.strip_prefix(" was not rehearsed"))
                            .map(|why| why.trim_start_matches(':').trim_start().to_string())
                            .unwrap_or_else(|| f.message.clone())
                    })
                    .unwrap_or_default()
            };
            let reason = why(m);
            let mut last = m;
            let mut count = 1;
            while let Some(next) = migrations.get(i) {
                if next.verdict != Verdict::NotRun || why(next) != reason {
                    break;
                }
                last = next;
                count += 1;
                i += 1;
            }
            let what = if count == 1 {
                format!("{} {}", m.id, m.name)
            } else {
                format!("{count} migrations, {} to {}", m.id, last.id)
            };
            let reason = if reason.is_empty() {
                String::new()
            } else if reason.starts_with("because") {
                format!(" {reason}")
            } else {
                format!(": {reason}")
            };
            out.push_str(&format!("  {} {what}: not run{reason}\n", mark(m.verdict)));
            continue;
        }
        let ms = |d: &Option<crate::report::Direction>| {
            d.as_ref()
                .map(|d| duration(d.duration_ms))
                .unwrap_or_else(|| "-".into())
        };
        let lock = measures::strongest_lock(m)
            .map(|l| {
                format!(
                    ", {} on {} held {}",
                    l.mode,
                    l.relation,
                    duration(l.held_ms)
                )
            })
            .unwrap_or_default();
        out.push_str(&format!(
            "  {} {} {}: forward {}, rollback {}, redo {}{}\n",
            mark(m.verdict),
            m.id,
            m.name,
            duration(m.forward.duration_ms),
            ms(&m.rollback),
            ms(&m.redo),
            lock
        ));
        for f in &m.findings {
            out.push_str(&format!("      - {}\n", f.message));
            if let Some(a) = &f.advice {
                out.push_str(&format!("        {a}\n"));
            }
        }
        for d in m
            .destructive_changes
            .iter()
            .filter(|d| d.approval.is_none())
        {
            out.push_str(&format!(
                "      needs approval: line {}: {} of {}\n",
                d.line,
                d.kind.replace('_', " "),
                d.object
            ));
        }
    }
    out.push_str(&super::prediction::console(report));
    // Hazards (by rule) and unmeasured gates (by gate): one line for one migration, a count
    // for several. A hazard's line names its rule and the rule's page.
    let mut seen: Vec<(String, String, Vec<&str>, String)> = Vec::new();
    for m in &report.migrations {
        let notes = m
            .hazards
            .iter()
            .map(|h| match &h.rule {
                Some(rule) => (
                    format!("⚠ {rule}"),
                    format!("{rule}: "),
                    format!("{} ({})", h.message, crate::rules::page_of(rule)),
                ),
                None => (format!("⚠ {}", h.kind), String::new(), h.message.clone()),
            })
            .chain(
                m.notes
                    .iter()
                    .map(|n| (format!("ℹ {}", n.kind), String::new(), n.message.clone())),
            )
            .chain(
                m.gates
                    .iter()
                    .filter(|g| g.status == GateStatus::NotMeasured)
                    .map(|g| {
                        (
                            format!("~ {} not measured", g.gate),
                            String::new(),
                            g.message.clone(),
                        )
                    }),
            );
        for (kind, label, message) in notes {
            match seen.iter_mut().find(|(k, _, _, _)| *k == kind) {
                Some((_, _, ids, _)) => {
                    if ids.last() != Some(&m.id.as_str()) {
                        ids.push(&m.id)
                    }
                }
                None => seen.push((kind, label, vec![&m.id], message)),
            }
        }
    }
    for (kind, label, ids, first) in seen {
        if ids.len() == 1 {
            let mark = kind.split(' ').next().unwrap_or_default();
            out.push_str(&format!("  {mark} {} {label}{first}\n", ids[0]));
        } else {
            let shown: Vec<&str> = ids.iter().take(8).copied().collect();
            out.push_str(&format!(
                "  {kind}: {} migrations ({}{}); first: {first}\n",
                ids.len(),
                shown.join(", "),
                if ids.len() > shown.len() { ", …" } else { "" }
            ));
        }
    }
    // --prove-fixes: each proof on its own line, under the hazards.
    for m in &report.migrations {
        for h in &m.hazards {
            if let (Some(p), Some(rule)) = (h.proof.as_deref(), h.rule.as_deref()) {
                out.push_str(&format!(
                    "  🧪 {} {rule} (line {}): {}\n",
                    m.id,
                    p.line,
                    super::proof::line(p)
                ));
            }
        }
    }
    for h in &report.hazards {
        out.push_str(&format!(
            "  ⚠ {}: {}\n",
            h.rule.as_deref().unwrap_or(&h.kind),
            h.message
        ));
    }
    let ignored: usize = report.migrations.iter().map(|m| m.ignored.len()).sum();
    if ignored > 0 {
        out.push_str(&format!(
            "  {} ignored with a reason (report.md lists them)\n",
            crate::words::count(ignored, "hazard")
        ));
    }
    out
}
