//! A measure taken at several seeded sizes, fitted against rows and carried to production's
//! size with an interval. Pure arithmetic on numbers: it never reads a report or a database.
//!
//! The estimate is the least-squares fit of the chosen model (linear, or n log n for sorts and
//! index builds, switched when the other fits far better). The interval is the envelope of the
//! same fit with every point moved by what the data says a measurement may be off (the
//! disagreement of two runs at the same size, or the fit's worst residual, whichever is
//! larger), in every combination, of each size read alone through the origin (the largest in
//! both models), and of the other model where it fits nearly as well; widened by 10% plus twice the fit's unexplained share. A measure
//! that grew less than 10% across the sizes, or stayed under the noise floor, is constant and
//! never extrapolated; one the models do not follow gets no estimate at all.

use crate::report::prediction::{Estimate, Model};

/// The shape a measure is expected to have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Growth {
    Linear,
    NLogN,
}

/// Growth below this ratio across the seeded sizes is no growth.
const CONSTANT_GROWTH: f64 = 1.10;
/// A fit explaining less than this share of the variance is not extrapolated. Three sizes of a
/// statement of tens of milliseconds on a busy machine often explain only 0.7-0.8 (measured in
/// `benches/prediction`); the interval widens by twice the unexplained share instead.
const MIN_R2: f64 = 0.6;
/// How far every size may be off together: forward and redo run a second apart and share the
/// machine's load, so their agreement under-reads it. On the 2-core machine of
/// `benches/prediction` and tests/predict, the real run at production's size came out 0.55x
/// to 1.5x of what the seeded sizes' per-row cost said, from one minute to the next.
const MACHINE_DOUBT: f64 = 0.4;
/// The interval's margin beyond the envelope, before the fit's own doubt is added.
const MARGIN: f64 = 0.10;

/// One size: the rows of the driving table, and the value measured there.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub rows: f64,
    pub value: f64,
}

/// Fits `points` and predicts the value at `target` rows. `floor`: values under it at every
/// size are noise (a few milliseconds, a few WAL pages), so the measure is constant.
pub fn extrapolate(points: &[Point], target: f64, expected: Growth, floor: f64) -> Estimate {
    extrapolate_with_spread(points, target, expected, floor, 0.0)
}

/// [`extrapolate`], with `spread` the relative disagreement of repeated measurements at the
/// same size (0.2: two runs of the same statement differed by 20%): the interval widens by it,
/// since the run at production's size will be as noisy as these were.
pub fn extrapolate_with_spread(
    points: &[Point],
    target: f64,
    expected: Growth,
    floor: f64,
    spread: f64,
) -> Estimate {
    extrapolate_with_spreads(points, &vec![spread; points.len()], target, expected, floor)
}

/// [`extrapolate_with_spread`] with a spread for each point (`spreads[i]` is `points[i]`'s):
/// the smallest size is usually the noisiest, and moving the largest by as much would widen
/// the interval for nothing.
pub fn extrapolate_with_spreads(
    points: &[Point],
    spreads: &[f64],
    target: f64,
    expected: Growth,
    floor: f64,
) -> Estimate {
    let mut paired: Vec<(Point, f64)> = points
        .iter()
        .copied()
        .zip(spreads.iter().copied().chain(std::iter::repeat(0.0)))
        .filter(|(p, _)| p.rows > 0.0 && p.value.is_finite())
        .collect();
    paired.sort_by(|a, b| a.0.rows.total_cmp(&b.0.rows));
    let points: Vec<Point> = paired.iter().map(|(p, _)| *p).collect();
    let spreads: Vec<f64> = paired.iter().map(|(_, s)| s.clamp(0.0, 0.5)).collect();
    let measured: Vec<f64> = points.iter().map(|p| p.value).collect();
    let distinct = {
        let mut r: Vec<f64> = points.iter().map(|p| p.rows).collect();
        r.dedup();
        r.len()
    };
    let (_, max) = measured
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(*v), hi.max(*v))
        });
    if distinct < 3 {
        return Estimate {
            estimate: None,
            low: None,
            high: None,
            model: Model::PoorFit,
            r2: None,
            measured,
            note: Some(format!(
                "measured at {distinct} distinct size{}; a fit needs three",
                if distinct == 1 { "" } else { "s" }
            )),
        };
    }
    let first = points[0];
    let last = *points.last().expect("three points");
    let flat = |note: String| constant(&measured, floor, &note);
    let growth = if first.value > 0.0 {
        last.value / first.value
    } else {
        f64::INFINITY
    };
    // Under the noise floor a measure is constant unless it grew at least half as fast as the
    // rows did (a SET NOT NULL scan of a small table is fast, but it is a scan).
    let rows_growth = last.rows / first.rows;
    let rising = points.windows(2).all(|w| w[1].value >= w[0].value);
    if max < floor && (growth < rows_growth.sqrt() || !rising) {
        return flat(format!(
            "under {} at every size: not driven by rows, not extrapolated",
            trim(floor)
        ));
    }
    if growth < CONSTANT_GROWTH {
        return flat(format!(
            "grew {:.0}% while rows grew {:.1}x: does not grow with rows, not extrapolated",
            (growth - 1.0).max(0.0) * 100.0,
            last.rows / first.rows
        ));
    }
    let linear = Fit::of(&points, Growth::Linear);
    let nlogn = Fit::of(&points, Growth::NLogN);
    let (chosen, other) = match expected {
        Growth::Linear => (linear, nlogn),
        Growth::NLogN => (nlogn, linear),
    };
    let chosen = if other.sse < 0.5 * chosen.sse && other.slope > 0.0 {
        other
    } else {
        chosen
    };
    if chosen.slope <= 0.0 || chosen.r2 < MIN_R2 {
        return Estimate {
            estimate: None,
            low: Some(last.value),
            high: None,
            model: Model::PoorFit,
            r2: Some(chosen.r2),
            measured,
            note: Some(format!(
                "the values do not follow rows (r² {:.2}): not extrapolated; at least {} at production's size",
                chosen.r2,
                trim(last.value)
            )),
        };
    }
    let estimate = chosen.at(target).max(last.value);
    // The interval: the chosen model fitted again with every point moved up or down by what
    // the data says a measurement may be off (the larger of the repeated runs' disagreement
    // and the fit's own worst residual), every combination; and the other model where it
    // fits nearly as well. Never the slope of two neighbouring sizes alone, which noise
    // turns into anything.
    // Each point's doubt: its own runs' disagreement, or its distance from the fit.
    let doubt: Vec<f64> = points
        .iter()
        .zip(&spreads)
        .map(|(p, spread)| {
            let residual = if p.value > 0.0 {
                (p.value - chosen.at(p.rows)).abs() / p.value
            } else {
                0.0
            };
            spread.max(residual).min(0.5)
        })
        .collect();
    let mut readings = vec![estimate];
    let n = points.len().min(10);
    for signs in 0u32..(1 << n) {
        let moved: Vec<Point> = points
            .iter()
            .enumerate()
            .map(|(i, p)| Point {
                rows: p.rows,
                value: p.value
                    * match (i < n, signs & (1 << i) != 0) {
                        (true, true) => 1.0 + doubt[i],
                        (true, false) => 1.0 - doubt[i],
                        (false, _) => 1.0,
                    },
            })
            .collect();
        let fit = Fit::of(&moved, chosen.shape);
        if fit.slope > 0.0 {
            readings.push(fit.at(target));
        }
    }
    // Each size read on its own, through the origin: the rows' cost as that size measured it
    // (the smallest carries the most fixed cost per row, so it reads high).
    for p in &points {
        readings.push(p.value * scaled(chosen.shape, target) / scaled(chosen.shape, p.rows));
    }
    // The largest size in both shapes: which one a statement follows is itself a doubt at ten
    // times the rows.
    for shape in [Growth::Linear, Growth::NLogN] {
        readings.push(last.value * scaled(shape, target) / scaled(shape, last.rows));
    }
    let alternative = Fit::of(
        &points,
        match chosen.shape {
            Growth::Linear => Growth::NLogN,
            Growth::NLogN => Growth::Linear,
        },
    );
    if alternative.slope > 0.0 && alternative.sse <= 2.0 * chosen.sse.max(f64::MIN_POSITIVE) {
        readings.push(alternative.at(target));
    }
    let margin = MARGIN + 2.0 * (1.0 - chosen.r2).max(0.0);
    // The machine's own doubt moves every size together (see MACHINE_DOUBT).
    let low = readings.iter().copied().fold(f64::INFINITY, f64::min)
        * (1.0 - margin)
        * (1.0 - MACHINE_DOUBT);
    let high = readings.iter().copied().fold(f64::NEG_INFINITY, f64::max)
        * (1.0 + margin)
        * (1.0 + MACHINE_DOUBT);
    Estimate {
        estimate: Some(estimate),
        low: Some(low.max(last.value).min(estimate)),
        high: Some(high.max(estimate)),
        model: match chosen.shape {
            Growth::Linear => Model::Linear,
            Growth::NLogN => Model::NLogN,
        },
        r2: Some(chosen.r2),
        measured,
        note: None,
    }
}

/// A measure that does not grow with rows: the median measured, and anything up to twice the
/// largest plus ten noise floors (a catalog change jitters by its own size on a busy machine).
pub fn constant(measured: &[f64], floor: f64, note: &str) -> Estimate {
    let mut sorted = measured.to_vec();
    sorted.sort_by(f64::total_cmp);
    let max = sorted.last().copied().unwrap_or(0.0);
    Estimate {
        estimate: sorted.get(sorted.len() / 2).copied(),
        low: Some(0.0),
        high: Some(max * 2.0 + 10.0 * floor),
        model: Model::Constant,
        r2: None,
        measured: measured.to_vec(),
        note: Some(note.to_string()),
    }
}

/// The model's x for `rows`.
fn scaled(shape: Growth, rows: f64) -> f64 {
    match shape {
        Growth::Linear => rows,
        Growth::NLogN => rows * rows.max(2.0).ln(),
    }
}

fn trim(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// value = intercept + slope · x(rows), by least squares.
#[derive(Debug, Clone, Copy)]
struct Fit {
    shape: Growth,
    intercept: f64,
    slope: f64,
    sse: f64,
    r2: f64,
}

impl Fit {
    fn of(points: &[Point], shape: Growth) -> Fit {
        let n = points.len() as f64;
        let xs: Vec<f64> = points.iter().map(|p| scaled(shape, p.rows)).collect();
        let mx = xs.iter().sum::<f64>() / n;
        let my = points.iter().map(|p| p.value).sum::<f64>() / n;
        let sxx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
        let sxy: f64 = xs
            .iter()
            .zip(points)
            .map(|(x, p)| (x - mx) * (p.value - my))
            .sum();
        let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
        let intercept = my - slope * mx;
        let sse: f64 = xs
            .iter()
            .zip(points)
            .map(|(x, p)| (p.value - intercept - slope * x).powi(2))
            .sum();
        let sst: f64 = points.iter().map(|p| (p.value - my).powi(2)).sum();
        let r2 = if sst > 0.0 { 1.0 - sse / sst } else { 1.0 };
        Fit {
            shape,
            intercept,
            slope,
            sse,
            r2,
        }
    }

    fn at(&self, rows: f64) -> f64 {
        self.intercept + self.slope * scaled(self.shape, rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(values: &[(f64, f64)]) -> Vec<Point> {
        values
            .iter()
            .map(|(rows, value)| Point {
                rows: *rows,
                value: *value,
            })
            .collect()
    }

    fn within(e: &Estimate, actual: f64) -> bool {
        e.low.unwrap() <= actual && actual <= e.high.unwrap()
    }

    #[test]
    fn a_linear_measure_is_carried_to_production_with_its_interval() {
        // 2 ms of overhead and 0.1 ms per thousand rows.
        let p = points(&[(250e3, 27.0), (500e3, 52.0), (1e6, 102.0)]);
        let e = extrapolate(&p, 20e6, Growth::Linear, 5.0);
        assert_eq!(e.model, Model::Linear);
        let estimate = e.estimate.unwrap();
        assert!((estimate - 2002.0).abs() < 1.0, "{e:?}");
        assert!(within(&e, 2002.0), "{e:?}");
        assert!(e.r2.unwrap() > 0.999);
    }

    #[test]
    fn noisy_points_widen_the_interval_around_the_truth() {
        let p = points(&[(250e3, 30.0), (500e3, 48.0), (1e6, 105.0)]);
        let e = extrapolate(&p, 20e6, Growth::Linear, 5.0);
        assert!(within(&e, 2002.0), "{e:?}");
        assert!(e.high.unwrap() > e.estimate.unwrap() * 1.05, "{e:?}");
    }

    #[test]
    fn an_index_build_follows_n_log_n() {
        let truth = |n: f64| 3.0 + 1e-5 * n * n.ln();
        let p = points(&[
            (250e3, truth(250e3)),
            (500e3, truth(500e3)),
            (1e6, truth(1e6)),
        ]);
        let e = extrapolate(&p, 20e6, Growth::NLogN, 5.0);
        assert_eq!(e.model, Model::NLogN);
        let actual = truth(20e6);
        assert!(
            (e.estimate.unwrap() - actual).abs() / actual < 0.01,
            "{e:?}"
        );
        assert!(within(&e, actual), "{e:?}");
        // Read as linear, the same points still put production inside the interval.
        let as_linear = extrapolate(&p, 20e6, Growth::Linear, 5.0);
        assert!(within(&as_linear, actual), "{as_linear:?}");
    }

    #[test]
    fn a_constant_default_is_constant_not_extrapolated() {
        let p = points(&[(250e3, 11.0), (500e3, 11.5), (1e6, 11.8)]);
        let e = extrapolate(&p, 40e6, Growth::Linear, 5.0);
        assert_eq!(e.model, Model::Constant);
        assert_eq!(e.estimate, Some(11.5));
        assert!(e.note.unwrap().contains("does not grow with rows"));
    }

    #[test]
    fn a_fast_scan_that_grows_with_rows_is_extrapolated() {
        let p = points(&[(5e3, 0.5), (10e3, 1.0), (20e3, 2.0)]);
        let e = extrapolate(&p, 200e3, Growth::Linear, 5.0);
        assert_eq!(e.model, Model::Linear, "{e:?}");
        assert!(within(&e, 20.0), "{e:?}");
    }

    #[test]
    fn values_under_the_floor_are_constant() {
        let p = points(&[(250e3, 0.4), (500e3, 1.9), (1e6, 0.8)]);
        let e = extrapolate(&p, 40e6, Growth::Linear, 5.0);
        assert_eq!(e.model, Model::Constant);
        assert!(e.note.unwrap().contains("under 5.0"));
    }

    #[test]
    fn values_that_do_not_follow_rows_get_no_estimate() {
        let p = points(&[(250e3, 100.0), (500e3, 20.0), (1e6, 130.0)]);
        let e = extrapolate(&p, 40e6, Growth::Linear, 5.0);
        assert_eq!(e.model, Model::PoorFit);
        assert_eq!(e.estimate, None);
        assert_eq!(e.low, Some(130.0));
        assert!(e.note.unwrap().contains("do not follow rows"));
    }

    #[test]
    fn a_noisy_machine_widens_the_interval() {
        let p = points(&[(250e3, 27.0), (500e3, 52.0), (1e6, 102.0)]);
        let calm = extrapolate(&p, 20e6, Growth::Linear, 5.0);
        let noisy = extrapolate_with_spread(&p, 20e6, Growth::Linear, 5.0, 0.3);
        assert_eq!(calm.estimate, noisy.estimate);
        assert!(noisy.high.unwrap() > calm.high.unwrap() * 1.2, "{noisy:?}");
        assert!(within(&noisy, 2002.0 * 1.25), "{noisy:?}");
    }

    #[test]
    fn two_sizes_are_not_enough() {
        let p = points(&[(500e3, 50.0), (1e6, 100.0), (1e6, 101.0)]);
        let e = extrapolate(&p, 40e6, Growth::Linear, 5.0);
        assert_eq!(e.model, Model::PoorFit);
        assert!(e.note.unwrap().contains("2 distinct sizes"));
    }

    #[test]
    fn a_far_better_fit_of_the_other_shape_wins() {
        let truth = |n: f64| 1e-5 * n * n.ln();
        let p = points(&[
            (1e3, truth(1e3)),
            (1e5, truth(1e5)),
            (1e7, truth(1e7)),
            (3e7, truth(3e7)),
        ]);
        let e = extrapolate(&p, 1e9, Growth::Linear, 0.0);
        assert_eq!(e.model, Model::NLogN, "{e:?}");
    }
}

#[cfg(test)]
mod interval_tests {
    use super::*;

    #[test]
    fn a_clean_fit_gets_an_interval_as_wide_as_the_machines_doubt_not_an_order_of_magnitude() {
        // 2 ms of overhead and 0.1 ms per thousand rows; two runs at each size differed by 10%.
        let p: Vec<Point> = [(250e3, 27.0), (500e3, 52.0), (1e6, 102.0)]
            .iter()
            .map(|(rows, value)| Point {
                rows: *rows,
                value: *value,
            })
            .collect();
        let e = extrapolate_with_spread(&p, 20e6, Growth::Linear, 5.0, 0.1);
        let (estimate, low, high) = (e.estimate.unwrap(), e.low.unwrap(), e.high.unwrap());
        assert!(low <= 2002.0 && 2002.0 <= high, "{e:?}");
        // Not the order of magnitude two neighbouring sizes' slope would allow.
        assert!(high / low < 5.0, "{e:?}");
        assert!(low > estimate * 0.3 && high < estimate * 2.0, "{e:?}");
    }
}
