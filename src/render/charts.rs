//! The inline SVG charts of `report.html`: a lock timeline per direction (which lock each
//! statement held, and for how long) and the workload's latency beside it. Pure: a direction in,
//! SVG text out; every piece of user text goes through [`escape`]. It never draws from anything
//! but the report, and never emits a script or a link.

use super::escape::{html as escape, shorten};
use crate::lock_mode::LockMode;
use crate::report::measures::{self, duration};
use crate::report::Direction;
use std::fmt::Write;

/// Colour of each lock mode, weakest (blue) to strongest (dark red).
/// Modes that are not table lock modes are grey.
pub(super) fn lock_colour(mode: &str) -> &'static str {
    match LockMode::from_pg_locks_name(mode) {
        Some(LockMode::AccessShare) => "#9ecae1",
        Some(LockMode::RowShare) => "#6baed6",
        Some(LockMode::RowExclusive) => "#3182bd",
        Some(LockMode::ShareUpdateExclusive) => "#fdd0a2",
        Some(LockMode::Share) => "#fdae6b",
        Some(LockMode::ShareRowExclusive) => "#fd8d3c",
        Some(LockMode::Exclusive) => "#e6550d",
        Some(LockMode::AccessExclusive) => "#a50f15",
        None => "#8c8c8c",
    }
}

/// When each statement started: as the probe measured it; a report without start times (all
/// zero) gets the sum of the durations before.
pub(super) fn statement_starts(d: &Direction) -> Vec<f64> {
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
fn acquired(l: &crate::report::LockReport, statement_start: f64) -> f64 {
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
pub(super) fn lock_timeline(d: &Direction, starts: &[f64], id: &str) -> String {
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
pub(super) fn latency_chart(d: &Direction, starts: &[f64]) -> String {
    let spans: Vec<(f64, f64, usize, &crate::report::StatementWorkload)> = d
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
    timeline: &[crate::report::LatencyBucket],
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
