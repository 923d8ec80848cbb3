//! What `--predict` writes into a migration's report: each measure fitted against rows at
//! three or more seeded sizes and carried to production's declared size, always with its
//! interval and the model that was chosen. New fields of report.json, never required.

use serde::{Deserialize, Serialize};

/// How a measure was carried to production's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Model {
    /// a + b·rows (least squares).
    Linear,
    /// a + b·rows·ln(rows): sorts and index builds.
    NLogN,
    /// It did not grow with rows (less than 10% across the sizes, or too small to measure):
    /// the value measured is the prediction, nothing was extrapolated.
    Constant,
    /// The values did not follow rows closely enough to extrapolate: no estimate.
    PoorFit,
    /// The statement spent most of its time waiting for a lock: it depends on other sessions,
    /// not on rows, so nothing was extrapolated.
    LockWait,
}

impl Model {
    pub fn name(self) -> &'static str {
        match self {
            Model::Linear => "linear",
            Model::NLogN => "n log n",
            Model::Constant => "constant",
            Model::PoorFit => "poor fit",
            Model::LockWait => "lock wait",
        }
    }
}

/// One measure at production's size: `estimate` within [`low`, `high`]. Null estimate: the
/// measure could not be extrapolated, and `note` says why.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Estimate {
    pub estimate: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub model: Model,
    /// Coefficient of determination of the chosen model over the seeded sizes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r2: Option<f64>,
    /// The values measured, one per seeded size, smallest size first.
    pub measured: Vec<f64>,
    /// Why the measure was not extrapolated, or what to keep in mind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The longest lock hold, with the lock it is about.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LockEstimate {
    /// As `pg_locks.mode` spells it.
    pub mode: String,
    /// Schema-qualified.
    pub relation: String,
    #[serde(flatten)]
    pub hold: Estimate,
}

/// A migration's forward direction predicted on production's rows.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Prediction {
    /// Production's rows of `relation`, the size everything here is predicted for.
    pub rows: u64,
    /// The largest table the migration touches whose production size is declared.
    pub relation: String,
    /// Rows of `relation` at each seeded size the fit used, smallest first.
    pub seeded_rows: Vec<u64>,
    pub forward_ms: Estimate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_lock_hold_ms: Option<LockEstimate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wal_bytes: Option<Estimate>,
    /// The longest a workload query was blocked by the migration; null when no workload ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked_ms: Option<Estimate>,
    pub statements: Vec<StatementPrediction>,
    /// What limits the prediction (a statement not predicted, and why).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// One forward statement predicted on production's rows of the table it works on.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StatementPrediction {
    pub line: usize,
    pub sql: String,
    /// The table whose rows drive it, and its production rows.
    pub relation: String,
    pub rows: u64,
    pub duration_ms: Estimate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_lock_hold_ms: Option<LockEstimate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wal_bytes: Option<Estimate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked_ms: Option<Estimate>,
}

impl Estimate {
    /// "42.0 s (35.0 s-50.0 s)", "12.0 ms (constant)", "not predicted (poor fit)", with
    /// `unit` writing one value.
    pub fn phrase(&self, unit: &dyn Fn(f64) -> String) -> String {
        match (self.model, self.estimate) {
            (_, None) => format!("not predicted ({})", self.model.name()),
            (Model::Constant | Model::LockWait, Some(v)) => {
                format!("{} ({}, not extrapolated)", unit(v), self.model.name())
            }
            (_, Some(v)) => match (self.low, self.high) {
                (Some(low), Some(high)) => format!("{} ({}-{})", unit(v), unit(low), unit(high)),
                _ => unit(v),
            },
        }
    }
}

impl Prediction {
    /// "predicted on production's rows (40M in public.posts): 42.0 s (35.0 s-50.0 s),
    /// AccessExclusiveLock on public.posts for 41.0 s (34.0 s-49.0 s)": the line every rendering
    /// shows.
    pub fn sentence(&self) -> String {
        let ms = |v: f64| crate::report::measures::duration(v);
        let mut out = format!(
            "predicted on production's rows ({} in {}): {}",
            super::model::short_count(self.rows as f64),
            self.relation,
            self.forward_ms.phrase(&ms)
        );
        if let Some(lock) = &self.max_lock_hold_ms {
            out.push_str(&format!(
                ", {} on {} for {}",
                lock.mode,
                lock.relation,
                lock.hold.phrase(&ms)
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn estimate(model: Model, v: Option<f64>, low: f64, high: f64) -> Estimate {
        Estimate {
            estimate: v,
            low: Some(low),
            high: Some(high),
            model,
            r2: None,
            measured: vec![],
            note: None,
        }
    }

    #[test]
    fn the_sentence_says_estimate_interval_and_lock() {
        let p = Prediction {
            rows: 40_000_000,
            relation: "public.posts".into(),
            seeded_rows: vec![250_000, 500_000, 1_000_000],
            forward_ms: estimate(Model::Linear, Some(42_000.0), 35_000.0, 50_000.0),
            max_lock_hold_ms: Some(LockEstimate {
                mode: "AccessExclusiveLock".into(),
                relation: "public.posts".into(),
                hold: estimate(Model::Linear, Some(41_000.0), 34_000.0, 49_000.0),
            }),
            wal_bytes: None,
            blocked_ms: None,
            statements: vec![],
            notes: vec![],
        };
        assert_eq!(
            p.sentence(),
            "predicted on production's rows (40M in public.posts): 42.00 s (35.00 s-50.00 s), AccessExclusiveLock on public.posts for 41.00 s (34.00 s-49.00 s)"
        );
    }

    #[test]
    fn a_constant_measure_says_it_was_not_extrapolated() {
        let e = estimate(Model::Constant, Some(3.0), 2.0, 4.0);
        assert_eq!(
            e.phrase(&|v| format!("{v:.0} ms")),
            "3 ms (constant, not extrapolated)"
        );
        let e = estimate(Model::PoorFit, None, 2.0, 4.0);
        assert_eq!(e.phrase(&|v| format!("{v}")), "not predicted (poor fit)");
    }
}
