//! A column's whole distribution rebuilt from what `pg_stats` keeps of it: the most common
//! values with their frequencies, a histogram of equally frequent buckets over the rest, and for
//! a partitioned table each partition's rows. Pure arithmetic on numbers (days, microseconds);
//! it never sees a value as text and never reads a row.

/// Buckets of a histogram that holds the common values as well as the rest.
pub(super) const FOLDED_BUCKETS: usize = 100;

/// Equally frequent bucket bounds (`buckets + 1` of them) for a column whose statistics split it
/// in two: `common` values with their frequencies (of the non-NULL rows), and a `histogram` of
/// equally frequent buckets over the rest. A common value becomes a run of equal bounds (buckets
/// of width zero) as long as its frequency; without common values the histogram comes back as
/// it is.
pub(super) fn fold_common_values(
    histogram: &[f64],
    common: &[(f64, f64)],
    buckets: usize,
) -> Vec<f64> {
    if common.is_empty() || histogram.len() < 2 {
        return histogram.to_vec();
    }
    let covered: f64 = common.iter().map(|(_, f)| f).sum::<f64>().min(1.0);
    let per_bucket = (1.0 - covered) / (histogram.len() - 1) as f64;
    // (from, to, mass), walked in order of where they start.
    let pieces: Vec<(f64, f64, f64)> = histogram
        .windows(2)
        .map(|w| (w[0], w[1], per_bucket))
        .chain(common.iter().map(|&(v, f)| (v, v, f)))
        .collect();
    equal_frequency(pieces, buckets)
}

/// Equally frequent bucket bounds of a distribution given as pieces (from, to, mass), each
/// uniform over its range (a point when from = to).
pub(super) fn equal_frequency(mut pieces: Vec<(f64, f64, f64)>, buckets: usize) -> Vec<f64> {
    pieces.retain(|p| p.2 > 0.0);
    if pieces.is_empty() {
        return Vec::new();
    }
    pieces.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let total: f64 = pieces.iter().map(|p| p.2).sum::<f64>().max(1e-12);
    let mut bounds = Vec::with_capacity(buckets + 1);
    let (mut piece, mut before) = (0, 0.0);
    for k in 0..=buckets {
        let q = total * k as f64 / buckets as f64;
        while piece + 1 < pieces.len() && before + pieces[piece].2 < q {
            before += pieces[piece].2;
            piece += 1;
        }
        let (from, to, mass) = pieces[piece];
        let within = if mass > 0.0 {
            ((q - before) / mass).clamp(0.0, 1.0)
        } else {
            0.0
        };
        bounds.push(from + within * (to - from));
    }
    // A common value inside a bucket's range is walked after that bucket: sorted, the bounds
    // are the same values in the order a histogram needs.
    bounds.sort_by(f64::total_cmp);
    bounds
}

/// Reweights equally frequent `bounds` so that each range partition (from, to, rows) holds its
/// share of the rows: the statistics of a partitioned table are a sample across its partitions,
/// the partitions' row counts are exact. A partition the histogram missed gets its share spread
/// over its range (when the range is bounded).
pub(super) fn share_by_partition(
    bounds: &[f64],
    partitions: &[(f64, f64, f64)],
    buckets: usize,
) -> Vec<f64> {
    let total: f64 = partitions.iter().map(|p| p.2).sum();
    if bounds.len() < 2 || total <= 0.0 {
        return bounds.to_vec();
    }
    let per_bucket = 1.0 / (bounds.len() - 1) as f64;
    // The histogram's buckets cut at the partitions' edges, each part with its partition.
    let mut pieces: Vec<(usize, f64, f64, f64)> = Vec::new();
    for w in bounds.windows(2) {
        let (lo, hi) = (w[0], w[1]);
        for (j, &(from, to, _)) in partitions.iter().enumerate() {
            if hi == lo {
                if lo >= from && lo < to {
                    pieces.push((j, lo, lo, per_bucket));
                }
                continue;
            }
            let (a, b) = (lo.max(from), hi.min(to));
            if b > a {
                pieces.push((j, a, b, per_bucket * (b - a) / (hi - lo)));
            }
        }
    }
    let mut out: Vec<(f64, f64, f64)> = Vec::new();
    for (j, &(from, to, rows)) in partitions.iter().enumerate() {
        let share = rows / total;
        let seen: f64 = pieces.iter().filter(|p| p.0 == j).map(|p| p.3).sum();
        if seen > 0.0 {
            out.extend(
                pieces
                    .iter()
                    .filter(|p| p.0 == j)
                    .map(|p| (p.1, p.2, p.3 * share / seen)),
            );
        } else if share > 0.0 && from.is_finite() && to.is_finite() {
            out.push((from, to, share));
        }
    }
    let shared = equal_frequency(out, buckets);
    if shared.len() < 2 {
        bounds.to_vec()
    } else {
        shared
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_partition_gets_its_share_whatever_the_sample_said() {
        // The sample put half the rows in each of two partitions; they hold 10% and 90%.
        let bounds: Vec<f64> = (0..=10).map(|i| f64::from(i) * 20.0).collect();
        let shared =
            share_by_partition(&bounds, &[(0.0, 100.0, 1000.0), (100.0, 200.0, 9000.0)], 10);
        assert_eq!(shared.len(), 11);
        assert!(shared.windows(2).all(|w| w[0] <= w[1]));
        // One bucket of ten below 100, nine above.
        assert!(shared[1] <= 100.0 + 1e-9 && shared[2] > 100.0, "{shared:?}");
        // A partition the sample missed still gets its rows, over its range.
        let missed = share_by_partition(
            &[0.0, 50.0, 100.0],
            &[(0.0, 100.0, 5000.0), (100.0, 200.0, 5000.0)],
            10,
        );
        assert!(
            missed[10] > 150.0 && missed[5] <= 100.0 + 1e-9,
            "{missed:?}"
        );
    }

    #[test]
    fn common_values_are_folded_into_the_histogram_with_their_weight() {
        // Half the rows are 0; the rest spread evenly between 100 and 200.
        let bounds = fold_common_values(&[100.0, 150.0, 200.0], &[(0.0, 0.5)], 10);
        assert_eq!(bounds.len(), 11);
        assert!(bounds.windows(2).all(|w| w[0] <= w[1]));
        // Five of the ten buckets are the common value alone, the others cover 100..200.
        assert_eq!(bounds.iter().filter(|b| **b == 0.0).count(), 6);
        assert!((bounds[10] - 200.0).abs() < 1e-9);
        assert!((bounds[8] - 160.0).abs() < 1e-6, "{bounds:?}");
        // Without common values, the histogram as it is.
        assert_eq!(
            fold_common_values(&[1.0, 2.0, 3.0], &[], 10),
            vec![1.0, 2.0, 3.0]
        );
    }
}
