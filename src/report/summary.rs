//! The terminal summary: a verdict line and one line per migration.

use super::{Report, Verdict};

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let mark = |v: Verdict| if v == Verdict::Pass { "PASS" } else { "FAIL" };
    out.push_str(&format!(
        "{} {} — {} migration(s) on PostgreSQL {} ({:?})\n",
        mark(report.verdict),
        report.scenario,
        report.migrations.len(),
        report.database.server_version,
        report.database.provider
    ));
    for f in &report.findings {
        out.push_str(&format!("  ! {}\n", f.message));
    }
    for m in &report.migrations {
        let ms = |d: &Option<super::Direction>| {
            d.as_ref()
                .map(|d| format!("{:.1} ms", d.duration_ms))
                .unwrap_or_else(|| "-".into())
        };
        out.push_str(&format!(
            "  {} {} {}: forward {:.1} ms, rollback {}, redo {}\n",
            mark(m.verdict),
            m.id,
            m.name,
            m.forward.duration_ms,
            ms(&m.rollback),
            ms(&m.redo)
        ));
        for f in &m.findings {
            out.push_str(&format!("      - {}\n", f.message));
        }
    }
    out
}
