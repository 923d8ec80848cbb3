//! The terminal summary: the verdict line, one line per migration, and under it what failed,
//! what needs approval and which hazards were seen. Plain text for CI logs.

use super::measures::{self, duration};
use super::{GateStatus, Report, Verdict};

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let mark = |v: Verdict| match v {
        Verdict::Pass => "PASS",
        Verdict::Fail => "FAIL",
        Verdict::Interrupted => "INTERRUPTED",
    };
    out.push_str(&format!(
        "{} — {}, {} migration(s) on PostgreSQL {} ({})\n",
        measures::headline(report),
        report.scenario,
        report.migrations.len(),
        report.database.server_version,
        measures::provider(report)
    ));
    for f in &report.findings {
        out.push_str(&format!("  ! {}\n", f.message));
    }
    for m in &report.migrations {
        let ms = |d: &Option<super::Direction>| {
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
        for g in m
            .gates
            .iter()
            .filter(|g| g.status == GateStatus::NotMeasured)
        {
            out.push_str(&format!("      ~ {}: {}\n", g.gate, g.message));
        }
        for h in &m.hazards {
            out.push_str(&format!("      ⚠ {}\n", h.message));
        }
    }
    out
}
