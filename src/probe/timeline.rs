//! Turning periodic samples into durations. Pure: the sampler records, this module measures.
//!
//! A sample taken at `t` stands for the span halfway to its neighbours, so a condition seen in a
//! run of consecutive samples lasted from halfway before the first to halfway after the last,
//! clipped to the window asked about (a statement, a query). Accuracy is half the interval.

/// Milliseconds within `[from, to]` during which `flag(i)` held, given sample times `at`
/// (ascending, in ms) and the nominal `interval` (for the first and last samples).
pub fn covered_ms(
    at: &[f64],
    flag: impl Fn(usize) -> bool,
    from: f64,
    to: f64,
    interval: f64,
) -> f64 {
    if to <= from || at.is_empty() {
        return 0.0;
    }
    // Only samples whose span can touch the window matter.
    let first = at
        .partition_point(|&t| t < from - interval)
        .saturating_sub(1);
    let last = at.partition_point(|&t| t <= to + interval).min(at.len());
    let mut total = 0.0;
    for i in first..last {
        if !flag(i) {
            continue;
        }
        let lo = if i == 0 {
            at[i] - interval / 2.0
        } else {
            (at[i - 1] + at[i]) / 2.0
        };
        let hi = if i + 1 == at.len() {
            at[i] + interval / 2.0
        } else {
            (at[i] + at[i + 1]) / 2.0
        };
        let (lo, hi) = (lo.max(from), hi.min(to));
        if hi > lo {
            total += hi - lo;
        }
    }
    total
}

/// The span `[first, last]` of samples within `[from, to]` where `flag` held, widened halfway
/// to the neighbouring samples and clipped to the window; None when no sample saw it.
pub fn seen_span(
    at: &[f64],
    flag: impl Fn(usize) -> bool,
    from: f64,
    to: f64,
) -> Option<(f64, f64)> {
    let start = at.partition_point(|&t| t < from);
    let end = at.partition_point(|&t| t <= to);
    let hits: Vec<usize> = (start..end).filter(|&i| flag(i)).collect();
    let (&a, &b) = (hits.first()?, hits.last()?);
    let lo = if a > start {
        (at[a - 1] + at[a]) / 2.0
    } else {
        from
    };
    let hi = if b + 1 < end {
        (at[b] + at[b + 1]) / 2.0
    } else {
        to
    };
    Some((lo.max(from), hi.min(to)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_of_flagged_samples_covers_its_span() {
        let at: Vec<f64> = (0..10).map(|i| i as f64 * 10.0).collect();
        // flagged at 30, 40, 50: from 25 to 55
        let got = covered_ms(&at, |i| (3..=5).contains(&i), 0.0, 100.0, 10.0);
        assert!((got - 30.0).abs() < 1e-9, "{got}");
        // clipped to the window
        let got = covered_ms(&at, |i| (3..=5).contains(&i), 40.0, 100.0, 10.0);
        assert!((got - 15.0).abs() < 1e-9, "{got}");
        assert_eq!(covered_ms(&at, |_| false, 0.0, 100.0, 10.0), 0.0);
    }

    #[test]
    fn seen_span_starts_at_the_window_when_the_first_sample_saw_it() {
        let at = [12.0, 22.0, 32.0, 42.0];
        assert_eq!(seen_span(&at, |i| i < 2, 10.0, 50.0), Some((10.0, 27.0)));
        assert_eq!(seen_span(&at, |i| i == 3, 10.0, 50.0), Some((37.0, 50.0)));
        assert_eq!(seen_span(&at, |_| false, 10.0, 50.0), None);
    }
}
