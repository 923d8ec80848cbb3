//! A proven fix (`--prove-fixes`) as each rendering shows it under its hazard: the verdict in
//! words, then the two runs side by side (queries blocked, the longest write-blocking lock,
//! duration, WAL) and the rewrite. Pure text from [`crate::report::Proof`].

use super::escape::{html as esc, markdown as md};
use crate::report::measures::{bytes, duration};
use crate::report::{Proof, ProofRun, ProofVerdict};

/// The verdict as a reader scans for it.
pub fn headline(p: &Proof) -> &'static str {
    match p.verdict {
        ProofVerdict::Proven => "fix proven",
        ProofVerdict::NoBetter => "fix measured no better",
        ProofVerdict::FixFailed => "fix failed",
        ProofVerdict::SchemaChanged => "fix changes the schema",
        ProofVerdict::NotCompared => "fix not compared",
    }
}

/// The rows of the comparison: label, as written, fixed.
fn rows(p: &Proof) -> Vec<(&'static str, String, String)> {
    let both = |f: &dyn Fn(&ProofRun) -> String| (f(&p.original), f(&p.fixed));
    let mut out = Vec::new();
    let (a, b) = both(&|r| format!("{} ({} queries)", duration(r.blocked_ms), r.blocked_queries));
    out.push(("queries blocked", a, b));
    let (a, b) = both(&|r| match &r.lock {
        Some(lock) => format!("{} ({lock})", duration(r.max_lock_hold_ms)),
        None => "none".into(),
    });
    out.push(("longest write-blocking lock", a, b));
    let (a, b) = both(&|r| duration(r.duration_ms));
    out.push(("duration", a, b));
    let (a, b) = both(&|r| r.wal_bytes.map(bytes).unwrap_or_else(|| "—".into()));
    out.push(("WAL", a, b));
    out
}

/// Markdown under a hazard's bullet (indented to stay inside it).
pub fn markdown(p: &Proof) -> String {
    let mut out = format!(
        "\n\n  🧪 **{}**: {}\n\n  | | as written | fixed |\n  |---|---|---|\n",
        headline(p),
        md(&p.summary)
    );
    for (label, a, b) in rows(p) {
        out.push_str(&format!("  | {label} | {} | {} |\n", md(&a), md(&b)));
    }
    out.push_str(&format!(
        "\n  Rewritten as: `{}`",
        p.rewrite.replace('\n', " ").replace('`', "'")
    ));
    out
}

/// HTML inside a hazard's list item.
pub fn html(p: &Proof) -> String {
    let class = if p.verdict == ProofVerdict::Proven {
        "pass"
    } else {
        "fail"
    };
    let mut out = format!(
        "<div class=\"proof\"><span class=\"badge {class}\">{}</span> {}<table><tr><th></th><th>as written</th><th>fixed</th></tr>",
        headline(p),
        esc(&p.summary)
    );
    for (label, a, b) in rows(p) {
        out.push_str(&format!(
            "<tr><td>{label}</td><td>{}</td><td>{}</td></tr>",
            esc(&a),
            esc(&b)
        ));
    }
    out.push_str(&format!("</table><pre>{}</pre></div>", esc(&p.rewrite)));
    out
}

/// One console line: `fix proven: queries blocked 1.2 s → 0.0 ms, ...`.
pub fn line(p: &Proof) -> String {
    let (o, f) = (&p.original, &p.fixed);
    match p.verdict {
        ProofVerdict::Proven | ProofVerdict::NoBetter => format!(
            "{}: queries blocked {} → {}, longest write-blocking lock {} → {}, duration {} → {}",
            headline(p),
            duration(o.blocked_ms),
            duration(f.blocked_ms),
            duration(o.max_lock_hold_ms),
            duration(f.max_lock_hold_ms),
            duration(o.duration_ms),
            duration(f.duration_ms)
        ),
        _ => format!("{}: {}", headline(p), p.summary),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proof() -> Proof {
        let mut p = Proof {
            rule: "require-concurrent-index".into(),
            line: 2,
            statement: "CREATE INDEX i ON orders (customer_id)".into(),
            rewrite: "CREATE INDEX CONCURRENTLY i ON orders USING btree (customer_id)".into(),
            original: ProofRun {
                ok: true,
                blocked_ms: 1500.0,
                blocked_queries: 40,
                max_lock_hold_ms: 1600.0,
                lock: Some("ShareLock on public.orders".into()),
                duration_ms: 1600.0,
                wal_bytes: Some(30 << 20),
                attempts: 1,
                ..Default::default()
            },
            fixed: ProofRun {
                ok: true,
                duration_ms: 2400.0,
                wal_bytes: Some(31 << 20),
                attempts: 1,
                ..Default::default()
            },
            same_schema: Some(true),
            ..Default::default()
        };
        p.judge();
        p
    }

    #[test]
    fn every_rendering_shows_both_runs_and_the_rewrite() {
        let p = proof();
        let md = markdown(&p);
        assert!(md.contains("fix proven"), "{md}");
        assert!(
            md.contains("| queries blocked | 1.50 s (40 queries) | 0.0 ms (0 queries) |"),
            "{md}"
        );
        assert!(md.contains("ShareLock on public.orders"), "{md}");
        assert!(md.contains("CONCURRENTLY"), "{md}");
        let h = html(&p);
        assert!(
            h.contains("<td>queries blocked</td>") && h.contains("badge pass"),
            "{h}"
        );
        assert_eq!(
            line(&p),
            "fix proven: queries blocked 1.50 s → 0.0 ms, longest write-blocking lock 1.60 s → 0.0 ms, duration 1.60 s → 2.40 s"
        );
    }
}
