//! A [`Comparison`] of two reports as the terminal's text or a pull request's Markdown. Pure text
//! from the comparison; it never compares anything itself.

use super::markdown::text;
use crate::compare::Comparison;
use crate::words::count;
use std::fmt::Write;

/// The comparison as the terminal's lines.
pub fn render_text(c: &Comparison) -> String {
    let mut out = String::new();
    let regressions = c.regressions();
    let _ = writeln!(
        out,
        "{}, {}{}{}",
        count(regressions, "regression"),
        count(c.changes.len() - regressions, "improvement"),
        if c.added.is_empty() {
            String::new()
        } else {
            format!(", {} new", count(c.added.len(), "migration"))
        },
        if c.removed.is_empty() {
            String::new()
        } else {
            format!(", {} gone", count(c.removed.len(), "migration"))
        }
    );
    for ch in &c.changes {
        let _ = writeln!(
            out,
            "  {} {}: {}: {} -> {}",
            if ch.regression { "WORSE" } else { "better" },
            ch.migration,
            ch.what,
            ch.old,
            ch.new
        );
    }
    for a in &c.added {
        let _ = writeln!(out, "  new     {a}");
    }
    for r in &c.removed {
        let _ = writeln!(out, "  gone    {r}");
    }
    out
}

/// The comparison as a pull request comment.
pub fn render_markdown(c: &Comparison) -> String {
    let mut out = String::new();
    let regressions = c.regressions();
    let _ = writeln!(
        out,
        "## {} rehearse compare: {}, {}\n",
        if regressions == 0 { "✅" } else { "⚠️" },
        count(regressions, "regression"),
        count(c.changes.len() - regressions, "improvement")
    );
    if !c.changes.is_empty() {
        out.push_str("| | Migration | Measure | Before | After |\n|---|---|---|--:|--:|\n");
        for ch in &c.changes {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                if ch.regression { "🔺" } else { "🔻" },
                text(&ch.migration),
                text(&ch.what),
                text(&ch.old),
                text(&ch.new)
            );
        }
        out.push('\n');
    }
    for a in &c.added {
        let _ = writeln!(out, "- new migration {}", text(a));
    }
    for r in &c.removed {
        let _ = writeln!(out, "- migration {} is gone", text(r));
    }
    out
}
