//! `--predict`'s predictions in every rendering: one sentence per migration ("predicted on
//! production's rows (40M in public.posts): 42.0 s (35.0 s-50.0 s), AccessExclusiveLock on
//! public.posts for 41.0 s"), then per statement its estimate, interval, model and fit. Pure:
//! the report in, text out; nothing here fits or decides anything.

use super::escape;
use crate::report::measures::{bytes, duration};
use crate::report::prediction::{Estimate, Prediction, StatementPrediction};
use crate::report::{MigrationReport, Report};
use std::fmt::Write as _;

fn predicted(report: &Report) -> Vec<(&MigrationReport, &Prediction)> {
    report
        .migrations
        .iter()
        .filter_map(|m| m.prediction.as_ref().map(|p| (m, p)))
        .collect()
}

/// "n log n, r² 0.99" or the note: how the estimate came about.
fn how(e: &Estimate) -> String {
    match (&e.note, e.r2) {
        (Some(note), _) => format!("{}: {note}", e.model.name()),
        (None, Some(r2)) => format!("{}, r² {r2:.2}", e.model.name()),
        (None, None) => e.model.name().to_string(),
    }
}

fn statement_line(s: &StatementPrediction) -> String {
    let ms = |v: f64| duration(v);
    let mut out = format!(
        "line {}: {} ({} rows of {}; {})",
        s.line,
        s.duration_ms.phrase(&ms),
        crate::report::model::short_count(s.rows as f64),
        s.relation,
        how(&s.duration_ms)
    );
    if let Some(lock) = &s.max_lock_hold_ms {
        let _ = write!(
            out,
            "; {} on {} for {}",
            lock.mode,
            lock.relation,
            lock.hold.phrase(&ms)
        );
    }
    if let Some(w) = &s.wal_bytes {
        let _ = write!(out, "; WAL {}", w.phrase(&|v| bytes(v as u64)));
    }
    if let Some(b) = &s.blocked_ms {
        let _ = write!(out, "; workload blocked {}", b.phrase(&ms));
    }
    out
}

/// The Markdown section; empty when nothing was predicted.
pub fn markdown(report: &Report) -> String {
    let all = predicted(report);
    if all.is_empty() {
        return String::new();
    }
    let mut out = String::from("### Predicted on production's rows\n\n");
    for (m, p) in all {
        let _ = writeln!(
            out,
            "- **{} {}**: {}",
            escape::markdown(&m.id),
            escape::markdown(&m.name),
            escape::markdown(&p.sentence())
        );
        for s in &p.statements {
            let _ = writeln!(out, "  - {}", escape::markdown(&statement_line(s)));
        }
        for n in &p.notes {
            let _ = writeln!(out, "  - {}", escape::markdown(n));
        }
    }
    out.push_str(&format!(
        "\nFitted on {} seeded sizes per migration; an interval is the envelope of every reading of the points, widened by the fit's doubt.\n\n",
        report
            .migrations
            .iter()
            .find_map(|m| m.prediction.as_ref().map(|p| p.seeded_rows.len()))
            .unwrap_or(0)
    ));
    out
}

/// The HTML section of one migration; empty when it has no prediction.
pub fn html(m: &MigrationReport) -> String {
    let Some(p) = &m.prediction else {
        return String::new();
    };
    let mut out = format!(
        "<h3>Predicted on production's rows</h3><p class=\"prediction\">{}</p><ul class=\"prediction\">",
        escape::html(&p.sentence())
    );
    for s in &p.statements {
        let _ = write!(out, "<li>{}</li>", escape::html(&statement_line(s)));
    }
    for n in &p.notes {
        let _ = write!(out, "<li class=\"muted\">{}</li>", escape::html(n));
    }
    let seeded: Vec<String> = p.seeded_rows.iter().map(|r| r.to_string()).collect();
    let _ = write!(
        out,
        "</ul><p class=\"muted\">Measured at {} rows of {}; predicted for {}.</p>",
        escape::html(&seeded.join(", ")),
        escape::html(&p.relation),
        p.rows
    );
    out
}

/// The console's lines: one per predicted migration.
pub fn console(report: &Report) -> String {
    predicted(report)
        .iter()
        .map(|(m, p)| format!("  {} {}: {}\n", m.id, m.name, p.sentence()))
        .collect()
}
