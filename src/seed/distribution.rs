//! How a generated number is spread between its bounds: uniform, normal, zipf, a histogram's
//! equally frequent buckets, or one of these read in row order.
//!
//! Pure: a function of the distribution, the bounds, the row and the random stream; never
//! talks to a database.

use super::rng::CellRng;
use rand_distr::Distribution as _;

#[derive(Debug, Clone)]
pub enum Dist {
    Uniform,
    Normal {
        mean: f64,
        std_dev: f64,
    },
    Zipf(rand_distr::Zipf<f64>),
    /// Ascending bounds of equally frequent buckets.
    Histogram(Vec<f64>),
    /// `inner` (uniform or a histogram) read at quantile row/rows: values in the rows' order.
    Ordered {
        inner: Box<Dist>,
        rows: u64,
        descending: bool,
    },
}

impl Dist {
    /// A number in [min, max] under this distribution (zipf: min is the most frequent).
    fn sample(&self, rng: &mut CellRng, min: f64, max: f64) -> f64 {
        match self {
            Dist::Uniform => min + rng.f64() * (max - min),
            Dist::Normal { mean, std_dev } => {
                let z: f64 = rand_distr::StandardNormal.sample(rng);
                (mean + z * std_dev).clamp(min, max)
            }
            Dist::Zipf(z) => (min + z.sample(rng) - 1.0).min(max),
            Dist::Histogram(_) => {
                let q = rng.f64();
                self.quantile(q, min, max)
            }
            // Without a row there is no order to follow: as the distribution it orders.
            Dist::Ordered { inner, .. } => inner.sample(rng, min, max),
        }
    }

    /// A number under this distribution for row `row`: the same as [`Dist::sample`] except
    /// that an ordered distribution gives row i of n its quantile (i + u) / n.
    pub(super) fn sample_at(&self, rng: &mut CellRng, min: f64, max: f64, row: u64) -> f64 {
        match self {
            Dist::Ordered {
                inner,
                rows,
                descending,
            } => {
                let q = ((row as f64 + rng.f64()) / (*rows).max(1) as f64).clamp(0.0, 1.0);
                inner.quantile(if *descending { 1.0 - q } else { q }, min, max)
            }
            other => other.sample(rng, min, max),
        }
    }

    /// The value at quantile `q` (uniform and histogram; the plan orders no other).
    fn quantile(&self, q: f64, min: f64, max: f64) -> f64 {
        match self {
            Dist::Histogram(bounds) => {
                let buckets = bounds.len().saturating_sub(1).max(1);
                let at = q * buckets as f64;
                let i = (at as usize).min(buckets - 1);
                let (lo, hi) = (bounds[i], bounds.get(i + 1).copied().unwrap_or(bounds[i]));
                (lo + (at - i as f64).clamp(0.0, 1.0) * (hi - lo)).clamp(min, max)
            }
            _ => min + q * (max - min),
        }
    }
}
