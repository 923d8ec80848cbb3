//! The overview table's row for one migration, shared by the HTML and Markdown reports: which
//! measures a row shows, in which order, each as plain text. Each rendering lays the row out
//! and escapes it its own way; nothing here escapes, and nothing here knows a markup.

use crate::report::measures::{self, duration};
use crate::report::{MigrationReport, Verdict};

/// The cells of one migration's row, as text before any escaping.
pub struct OverviewRow {
    /// `id name`.
    pub migration: String,
    pub verdict: Verdict,
    pub forward: String,
    /// `—` without a rollback.
    pub rollback: String,
    /// `mode on relation (held)`, or `—`.
    pub strongest_lock: String,
    /// The rewritten relations, or `—`.
    pub rewrites: String,
    pub schema_restored: Option<bool>,
    pub data_preserved: Option<bool>,
    /// The longest a workload query waited, or `—`.
    pub blocked: String,
}

const NONE: &str = "—";

pub fn row(m: &MigrationReport) -> OverviewRow {
    let rewrites = measures::rewrites(m);
    OverviewRow {
        migration: format!("{} {}", m.id, m.name),
        verdict: m.verdict,
        forward: duration(m.forward.duration_ms),
        rollback: m
            .rollback
            .as_ref()
            .map(|r| duration(r.duration_ms))
            .unwrap_or_else(|| NONE.into()),
        strongest_lock: measures::strongest_lock(m)
            .map(|l| format!("{} on {} ({})", l.mode, l.relation, duration(l.held_ms)))
            .unwrap_or_else(|| NONE.into()),
        rewrites: if rewrites.is_empty() {
            NONE.into()
        } else {
            rewrites.join(", ")
        },
        schema_restored: m.schema_restored,
        data_preserved: m.data_preserved,
        blocked: measures::blocked_ms(m)
            .map(duration)
            .unwrap_or_else(|| NONE.into()),
    }
}
