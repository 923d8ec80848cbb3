//! From a column's statistics to a generator: the pure half of `rehearse profile`.
//!
//! PostgreSQL's `pg_stats` already describes each column's shape (NULL fraction, distinct count,
//! most common values and their frequencies, histogram bounds, average width); this module turns
//! one column's statistics into the `data-generators` definition that reproduces that shape.
//! It must never put a source text value in the definition unless the schema names the domain
//! (an enum, a CHECK `IN` list) or the user asked for values (`--include-values`): a profile is
//! meant to be committed and read in CI, where personal data has no place.

use super::shape::{fold_common_values, share_by_partition, FOLDED_BUCKETS};
use toml::Value;

/// What the statistics say about one column, read by [`super::read`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ColumnStats {
    pub name: String,
    /// `format_type`, for the kind of generator.
    pub type_name: String,
    pub not_null: bool,
    /// Filled by a sequence or identity: left to inference (a sequence).
    pub sequence: bool,
    pub generated: bool,
    /// The column alone is a unique key or primary key.
    pub unique: bool,
    /// Values the schema allows (enum labels, a CHECK `IN` list): not personal, kept.
    pub domain: Option<Vec<String>>,
    /// The table and column it references, when it is a one-column foreign key.
    pub references: Option<(String, String)>,
    /// None when the table was never analyzed.
    pub stats: Option<Stats>,
    /// The range partitions of the table this column is the partition key of, with their rows:
    /// each partition gets its own share of the generated rows.
    pub partition_rows: Vec<PartitionRows>,
}

/// One range partition: its bounds as the bound prints its literals (None for MINVALUE or
/// MAXVALUE) and its rows.
#[derive(Debug, Clone, PartialEq)]
pub struct PartitionRows {
    pub from: Option<String>,
    pub to: Option<String>,
    pub rows: f64,
}

/// One row of `pg_stats`, as text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    pub null_frac: f64,
    pub avg_width: i32,
    /// Positive: a count; negative: minus the fraction of rows (-1: every value distinct).
    pub n_distinct: f64,
    pub most_common_vals: Vec<String>,
    pub most_common_freqs: Vec<f64>,
    pub histogram_bounds: Vec<String>,
    /// How closely the rows' physical order follows the column's (-1 to 1; 0 when unknown).
    pub correlation: f64,
}

/// A correlation this close to ±1 means the table was loaded in the column's order (a table
/// filled over time, by its timestamp or its growing id).
const ORDERED: f64 = 0.9;

/// Which values may be copied into the profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValuePolicy {
    /// `--include-values`: text values as they are.
    pub text: bool,
    /// Not `--no-values`: numeric, date and timestamp bounds and common values.
    pub numbers: bool,
}

/// What the profile says of a column: its generator as an inline TOML table, or why it is
/// left to inference.
#[derive(Debug, Clone, PartialEq)]
pub enum Fitted {
    Generator(toml::Table),
    Inferred(&'static str),
}

/// The share of non-NULL rows the most common values cover, above which a column is a choice
/// among them.
const CHOICE_COVERAGE: f64 = 0.95;

/// The generator that reproduces `column`'s statistics over `rows` rows.
pub fn fit(column: &ColumnStats, rows: f64, policy: ValuePolicy) -> Fitted {
    if column.generated {
        return Fitted::Inferred("generated column");
    }
    if column.sequence {
        return Fitted::Inferred("filled by its sequence");
    }
    let Some(stats) = &column.stats else {
        return Fitted::Inferred("never analyzed");
    };
    let mut g = toml::Table::new();
    let nulls = round(stats.null_frac, 4);
    let non_null = (1.0 - stats.null_frac).max(1e-9);
    let covered: f64 = stats.most_common_freqs.iter().sum::<f64>() / non_null;
    let distinct = distinct_count(stats.n_distinct, rows);
    let class = TypeClass::of(&column.type_name);

    if let Some((table, key)) = &column.references {
        g.insert("kind".into(), "reference".into());
        g.insert("table".into(), table.clone().into());
        g.insert("column".into(), key.clone().into());
        if let Some(s) = zipf_exponent(&stats.most_common_freqs) {
            g.insert("skew".into(), "zipf".into());
            g.insert("exponent".into(), Value::Float(round(s, 3)));
        }
    } else if class == TypeClass::Bool {
        g.insert("kind".into(), "bool".into());
        let t = stats
            .most_common_vals
            .iter()
            .zip(&stats.most_common_freqs)
            .find(|(v, _)| *v == "t" || *v == "true")
            .map(|(_, f)| f / non_null)
            .unwrap_or(0.0);
        g.insert("true_fraction".into(), Value::Float(round(t, 4)));
    } else if !column.unique && !stats.most_common_vals.is_empty() && covered >= CHOICE_COVERAGE {
        // A column of few values: a choice among the common ones, weighted as they are.
        let values: Vec<Value> = match (class, &column.domain) {
            (_, Some(_)) => stats
                .most_common_vals
                .iter()
                .map(|v| typed(v, class))
                .collect(),
            (TypeClass::Text | TypeClass::Other, None) if !policy.text => stats
                .most_common_vals
                .iter()
                .enumerate()
                .map(|(i, v)| Value::String(synthetic(&column.name, i, v.chars().count())))
                .collect(),
            (TypeClass::Text | TypeClass::Other, None) => stats
                .most_common_vals
                .iter()
                .map(|v| Value::String(v.clone()))
                .collect(),
            _ if !policy.numbers => {
                return range_or_inferred(column, class, stats, policy, rows, g)
            }
            _ => stats
                .most_common_vals
                .iter()
                .map(|v| typed(v, class))
                .collect(),
        };
        g.insert("kind".into(), "choice".into());
        g.insert("values".into(), Value::Array(values));
        g.insert(
            "weights".into(),
            Value::Array(
                stats
                    .most_common_freqs
                    .iter()
                    .map(|f| Value::Float(round(f / non_null, 4)))
                    .collect(),
            ),
        );
    } else if let Some((values, weights)) = (class == TypeClass::Int && policy.numbers)
        .then(|| integer_pool(column, stats, rows))
        .flatten()
    {
        // Integers of few values: as many values as the column has, its common ones weighted as
        // they are, the rest spread over the histogram's buckets (a histogram alone would give
        // every integer of the range).
        g.insert("kind".into(), "choice".into());
        g.insert("values".into(), Value::Array(values));
        g.insert("weights".into(), Value::Array(weights));
    } else {
        return finish(
            range_or_inferred(column, class, stats, policy, rows, g),
            column,
            nulls,
            distinct,
            rows,
        );
    }
    finish(Fitted::Generator(g), column, nulls, distinct, rows)
}

/// Sets `nulls` and `unique` on a fitted generator.
fn finish(fitted: Fitted, column: &ColumnStats, nulls: f64, distinct: f64, rows: f64) -> Fitted {
    let Fitted::Generator(mut g) = fitted else {
        return fitted;
    };
    if nulls > 0.0 && !column.not_null {
        g.insert("nulls".into(), Value::Float(nulls));
    }
    let is_choice = g.get("kind").and_then(Value::as_str) == Some("choice");
    let is_reference = g.get("kind").and_then(Value::as_str) == Some("reference");
    // Values drawn from a histogram are distinct by chance at microsecond or cent resolution; a
    // permutation would flatten the shape, so only a declared key makes them unique.
    let from_histogram = g.get("distribution").and_then(Value::as_str) == Some("histogram");
    let all_distinct = rows > 0.0 && distinct >= rows * 0.999 && !from_histogram;
    if !is_choice && !is_reference && (column.unique || all_distinct) {
        g.insert("unique".into(), Value::Boolean(true));
    }
    Fitted::Generator(g)
}

/// Numbers, dates and timestamps between their histogram's (or common values') bounds; text by
/// its width; anything else left to inference.
fn range_or_inferred(
    column: &ColumnStats,
    class: TypeClass,
    stats: &Stats,
    policy: ValuePolicy,
    rows: f64,
    mut g: toml::Table,
) -> Fitted {
    let bounds: Vec<&String> = stats
        .histogram_bounds
        .iter()
        .chain(&stats.most_common_vals)
        .collect();
    match class {
        TypeClass::Int | TypeClass::Float | TypeClass::Date | TypeClass::Timestamp => {
            g.insert(
                "kind".into(),
                match class {
                    TypeClass::Int => "int",
                    TypeClass::Float => "float",
                    TypeClass::Date => "date",
                    _ => "timestamp",
                }
                .into(),
            );
            if policy.numbers {
                let (lo, hi) = match class {
                    TypeClass::Int | TypeClass::Float => {
                        let nums: Vec<f64> = bounds.iter().filter_map(|b| b.parse().ok()).collect();
                        let lo = nums.iter().copied().fold(f64::INFINITY, f64::min);
                        let hi = nums.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                        if !lo.is_finite() {
                            return Fitted::Inferred("no bounds in its statistics");
                        }
                        if class == TypeClass::Int {
                            (Value::Integer(lo as i64), Value::Integer(hi as i64))
                        } else {
                            (Value::Float(lo), Value::Float(hi))
                        }
                    }
                    _ => {
                        // ISO text sorts as time does.
                        let mut times: Vec<String> = bounds.iter().map(|b| iso(b)).collect();
                        times.sort();
                        match (times.first(), times.last()) {
                            (Some(lo), Some(hi)) => {
                                (Value::String(lo.clone()), Value::String(hi.clone()))
                            }
                            _ => return Fitted::Inferred("no bounds in its statistics"),
                        }
                    }
                };
                g.insert("min".into(), lo);
                g.insert("max".into(), hi);
                // The histogram's buckets are equally frequent among the values that are not
                // common; the common values hold their own frequencies. Both folded into one
                // histogram of equally frequent buckets give the whole column's shape.
                let as_number = |text: &str| -> Option<f64> {
                    match class {
                        TypeClass::Int | TypeClass::Float => text.parse().ok(),
                        TypeClass::Date => crate::seed::values::parse_timestamp(&iso(text))
                            .map(|us| us.div_euclid(crate::seed::values::US_PER_DAY) as f64),
                        _ => crate::seed::values::parse_timestamp(&iso(text)).map(|us| us as f64),
                    }
                };
                let histogram: Vec<f64> = stats
                    .histogram_bounds
                    .iter()
                    .filter_map(|b| as_number(b))
                    .collect();
                let non_null = (1.0 - stats.null_frac).max(1e-9);
                let common: Vec<(f64, f64)> = stats
                    .most_common_vals
                    .iter()
                    .zip(&stats.most_common_freqs)
                    .filter_map(|(v, f)| Some((as_number(v)?, f / non_null)))
                    .collect();
                if histogram.len() >= 3 {
                    let mut folded = fold_common_values(&histogram, &common, FOLDED_BUCKETS);
                    let partitions: Vec<(f64, f64, f64)> = column
                        .partition_rows
                        .iter()
                        .map(|p| {
                            let end = |b: &Option<String>, open: f64| {
                                b.as_deref().and_then(as_number).unwrap_or(open)
                            };
                            (
                                end(&p.from, f64::NEG_INFINITY),
                                end(&p.to, f64::INFINITY),
                                p.rows,
                            )
                        })
                        .collect();
                    if !partitions.is_empty() {
                        folded = share_by_partition(&folded, &partitions, FOLDED_BUCKETS);
                    }
                    let bound = |x: f64| -> Value {
                        match class {
                            TypeClass::Int | TypeClass::Float => Value::Float(x),
                            TypeClass::Date => {
                                Value::String(crate::seed::values::format_date(x.round() as i64))
                            }
                            _ => Value::String(crate::seed::values::format_timestamp(
                                x.round() as i64
                            )),
                        }
                    };
                    g.insert("distribution".into(), "histogram".into());
                    g.insert(
                        "bounds".into(),
                        Value::Array(folded.into_iter().map(bound).collect()),
                    );
                }
            }
            // Rows loaded in this column's order stay in it.
            let unique = g.get("unique").and_then(Value::as_bool) == Some(true);
            if stats.correlation.abs() >= ORDERED && !unique {
                let order = if stats.correlation > 0.0 {
                    "ascending"
                } else {
                    "descending"
                };
                g.insert("order".into(), order.into());
            }
            Fitted::Generator(g)
        }
        TypeClass::Text if column.name.to_ascii_lowercase().contains("email") => {
            g.insert("kind".into(), "email".into());
            Fitted::Generator(g)
        }
        TypeClass::Text if pooled(column, stats, rows).is_some() => {
            let (values, weights) = pooled(column, stats, rows).unwrap_or_default();
            g.insert("kind".into(), "choice".into());
            g.insert("values".into(), Value::Array(values));
            g.insert("weights".into(), Value::Array(weights));
            Fitted::Generator(g)
        }
        TypeClass::Text => {
            // Lorem words average about 6.5 characters with their space.
            let width = f64::from(stats.avg_width.max(1));
            let words = (width / 6.5).round().max(1.0) as i64;
            g.insert("kind".into(), "words".into());
            g.insert(
                "count".into(),
                Value::Array(vec![
                    Value::Integer((words / 2).max(1)),
                    Value::Integer(words + words / 2),
                ]),
            );
            Fitted::Generator(g)
        }
        TypeClass::Uuid => {
            g.insert("kind".into(), "uuid".into());
            Fitted::Generator(g)
        }
        TypeClass::Bool | TypeClass::Other => Fitted::Inferred("its type is left to inference"),
    }
}

/// Most text columns with fewer distinct values than this come back as a pool of synthetic
/// values (a longer list belongs in a generator of its own).
const POOL_LIMIT: f64 = 2000.0;

/// A text column with few distinct values that its most common ones do not cover: synthetic
/// values as many as the distinct count, the common ones weighted as they are and the rest
/// sharing what is left, each as wide as the column's average.
fn pooled(column: &ColumnStats, stats: &Stats, rows: f64) -> Option<(Vec<Value>, Vec<Value>)> {
    let distinct = distinct_count(stats.n_distinct, rows).round();
    if column.unique || !(2.0..=POOL_LIMIT).contains(&distinct) || distinct >= rows * 0.5 {
        return None;
    }
    let non_null = (1.0 - stats.null_frac).max(1e-9);
    let width = stats.avg_width.max(1) as usize;
    let common = stats.most_common_freqs.len().min(distinct as usize);
    let covered: f64 = stats.most_common_freqs[..common].iter().sum::<f64>() / non_null;
    let rest = distinct as usize - common;
    let share = if rest > 0 {
        (1.0 - covered).max(0.0) / rest as f64
    } else {
        0.0
    };
    let values = (0..distinct as usize)
        .map(|i| Value::String(synthetic(&column.name, i, width)))
        .collect();
    let weights = (0..distinct as usize)
        .map(|i| {
            Value::Float(round(
                stats
                    .most_common_freqs
                    .get(i)
                    .filter(|_| i < common)
                    .map(|f| f / non_null)
                    .unwrap_or(share),
                6,
            ))
        })
        .collect();
    Some((values, weights))
}

/// An integer column's values when it has few (up to [`POOL_LIMIT`], and fewer than half its
/// rows): its most common values with their weights, and the others evenly spaced inside the
/// histogram's buckets, each bucket holding its share of them and of the remaining rows.
fn integer_pool(
    column: &ColumnStats,
    stats: &Stats,
    rows: f64,
) -> Option<(Vec<Value>, Vec<Value>)> {
    let distinct = distinct_count(stats.n_distinct, rows).round();
    if column.unique || !(2.0..=POOL_LIMIT).contains(&distinct) || distinct >= rows * 0.5 {
        return None;
    }
    let bounds: Vec<i64> = stats
        .histogram_bounds
        .iter()
        .filter_map(|b| b.parse().ok())
        .collect();
    if bounds.len() < 2 {
        return None;
    }
    let non_null = (1.0 - stats.null_frac).max(1e-9);
    let mut values: Vec<i64> = Vec::new();
    let mut weights: Vec<f64> = Vec::new();
    for (v, f) in stats.most_common_vals.iter().zip(&stats.most_common_freqs) {
        if let Ok(v) = v.parse::<i64>() {
            values.push(v);
            weights.push(f / non_null);
        }
    }
    let covered: f64 = weights.iter().sum();
    let rest = (distinct as usize).saturating_sub(values.len());
    if rest == 0 {
        return None;
    }
    // Each bucket's share of the values the common ones leave, no more than it has integers
    // for (a narrow bucket's excess goes to the wider ones).
    let last = bounds.len() - 2;
    let capacity: Vec<usize> = bounds
        .windows(2)
        .enumerate()
        .map(|(k, pair)| {
            let span = (pair[1] - pair[0]).max(0) as u64 + u64::from(k == last);
            let taken = values
                .iter()
                .filter(|v| **v >= pair[0] && (**v < pair[1] || (k == last && **v == pair[1])))
                .count() as u64;
            span.saturating_sub(taken).min(POOL_LIMIT as u64) as usize
        })
        .collect();
    let mut share = vec![0usize; capacity.len()];
    let mut left = rest;
    while left > 0 {
        let open: Vec<usize> = (0..capacity.len())
            .filter(|&k| share[k] < capacity[k])
            .collect();
        if open.is_empty() {
            break;
        }
        let each = (left / open.len()).max(1);
        for k in open {
            let add = each.min(capacity[k] - share[k]).min(left);
            share[k] += add;
            left -= add;
        }
    }
    let mut others = Vec::new();
    for (k, pair) in bounds.windows(2).enumerate() {
        let (lo, hi) = (pair[0], pair[1] + i64::from(k == last));
        let n = share[k];
        for j in 0..n {
            // Evenly spaced, stepping past a value already taken.
            let mut v = lo + ((hi - lo) as f64 * j as f64 / n as f64) as i64;
            while v < hi && (values.contains(&v) || others.contains(&v)) {
                v += 1;
            }
            if v < hi {
                others.push(v);
            }
        }
    }
    if others.is_empty() {
        return None;
    }
    let weight = (1.0 - covered).max(0.0) / others.len() as f64;
    weights.extend(std::iter::repeat_n(weight, others.len()));
    values.extend(others);
    Some((
        values.into_iter().map(Value::Integer).collect(),
        weights
            .into_iter()
            .map(|w| Value::Float(round(w, 6)))
            .collect(),
    ))
}

/// `status_1`, padded to the width of the value it stands for, so that sizes stay the same.
fn synthetic(column: &str, index: usize, width: usize) -> String {
    let base = format!("{column}_{}", index + 1);
    if base.len() >= width {
        base
    } else {
        format!("{base}{}", "x".repeat(width - base.len()))
    }
}

/// The number of distinct values `n_distinct` stands for over `rows` rows.
pub fn distinct_count(n_distinct: f64, rows: f64) -> f64 {
    if n_distinct < 0.0 {
        -n_distinct * rows
    } else {
        n_distinct
    }
}

/// The exponent `s` of a zipf law `f(k) ∝ k^-s` fitted to the most common frequencies by least
/// squares on their logarithms; None when there are too few to say, or no skew.
pub fn zipf_exponent(freqs: &[f64]) -> Option<f64> {
    let points: Vec<(f64, f64)> = freqs
        .iter()
        .enumerate()
        .filter(|(_, f)| **f > 0.0)
        .map(|(i, f)| (((i + 1) as f64).ln(), f.ln()))
        .collect();
    if points.len() < 3 {
        return None;
    }
    let n = points.len() as f64;
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = points.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = points.iter().map(|(x, _)| (x - mx).powi(2)).sum();
    let s = -sxy / sxx;
    (s > 0.05).then_some(s)
}

/// A date or timestamp as PostgreSQL prints it, in the ISO form the definition format reads.
fn iso(text: &str) -> String {
    let t = text.trim();
    match t.split_once(' ') {
        Some((date, time)) => {
            let time = time.split(['+', '-']).next().unwrap_or(time);
            let time = time.split('.').next().unwrap_or(time);
            format!("{date}T{time}Z")
        }
        None => t.to_string(),
    }
}

fn typed(text: &str, class: TypeClass) -> Value {
    match class {
        TypeClass::Int => text
            .parse()
            .map(Value::Integer)
            .unwrap_or_else(|_| Value::String(text.into())),
        TypeClass::Float => text
            .parse()
            .map(Value::Float)
            .unwrap_or_else(|_| Value::String(text.into())),
        _ => Value::String(text.into()),
    }
}

fn round(x: f64, digits: i32) -> f64 {
    let m = 10f64.powi(digits);
    (x * m).round() / m
}

/// The families of types a generator is chosen for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TypeClass {
    Int,
    Float,
    Bool,
    Text,
    Date,
    Timestamp,
    Uuid,
    Other,
}

impl TypeClass {
    fn of(type_name: &str) -> TypeClass {
        let t = type_name.to_ascii_lowercase();
        match t.split('(').next().unwrap_or(&t).trim() {
            "smallint" | "integer" | "bigint" => TypeClass::Int,
            "real" | "double precision" | "numeric" => TypeClass::Float,
            "boolean" => TypeClass::Bool,
            "text" | "character varying" | "character" | "citext" => TypeClass::Text,
            "date" => TypeClass::Date,
            s if s.starts_with("timestamp") => TypeClass::Timestamp,
            "uuid" => TypeClass::Uuid,
            _ => TypeClass::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(name: &str, ty: &str, stats: Stats) -> ColumnStats {
        ColumnStats {
            name: name.into(),
            type_name: ty.into(),
            stats: Some(stats),
            ..Default::default()
        }
    }

    const PRIVATE: ValuePolicy = ValuePolicy {
        text: false,
        numbers: true,
    };

    #[test]
    fn integers_of_few_values_keep_their_count_and_common_weights() {
        let c = column(
            "quantity",
            "integer",
            Stats {
                n_distinct: 40.0,
                most_common_vals: vec!["1".into(), "2".into()],
                most_common_freqs: vec![0.5, 0.2],
                histogram_bounds: vec!["3".into(), "10".into(), "60".into()],
                ..Default::default()
            },
        );
        let Fitted::Generator(g) = fit(&c, 10_000.0, PRIVATE) else {
            panic!()
        };
        assert_eq!(g["kind"].as_str(), Some("choice"));
        let values = g["values"].as_array().unwrap();
        let weights: Vec<f64> = g["weights"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_float().unwrap())
            .collect();
        assert_eq!(values.len(), 40);
        assert_eq!(values[0].as_integer(), Some(1));
        assert!((weights[0] - 0.5).abs() < 1e-9);
        assert!((weights.iter().sum::<f64>() - 1.0).abs() < 1e-3);
        assert!(values
            .iter()
            .all(|v| (1..=60).contains(&v.as_integer().unwrap())));
        // Many values: the histogram keeps the shape, no pool.
        let wide = column(
            "amount",
            "integer",
            Stats {
                n_distinct: -0.8,
                histogram_bounds: vec!["3".into(), "10".into(), "60000".into()],
                ..Default::default()
            },
        );
        let Fitted::Generator(g) = fit(&wide, 10_000.0, PRIVATE) else {
            panic!()
        };
        assert_eq!(g["kind"].as_str(), Some("int"));
    }

    #[test]
    fn rows_loaded_in_a_columns_order_are_generated_in_it() {
        let with = |ty: &str, correlation: f64| {
            let c = column(
                "received_at",
                ty,
                Stats {
                    histogram_bounds: vec!["1".into(), "50".into(), "100".into()],
                    correlation,
                    ..Default::default()
                },
            );
            match fit(&c, 1000.0, PRIVATE) {
                Fitted::Generator(g) => g.get("order").and_then(|o| o.as_str()).map(str::to_string),
                _ => panic!("not fitted"),
            }
        };
        assert_eq!(with("bigint", 0.998).as_deref(), Some("ascending"));
        assert_eq!(with("numeric", -0.95).as_deref(), Some("descending"));
        assert_eq!(with("bigint", 0.4), None, "rows in no particular order");
        assert_eq!(with("date", 0.99).as_deref(), Some("ascending"));
    }

    #[test]
    fn a_few_text_values_become_synthetic_choices_of_the_same_width_and_weight() {
        let c = column(
            "status",
            "text",
            Stats {
                most_common_vals: vec!["delivered".into(), "paid".into()],
                most_common_freqs: vec![0.7, 0.3],
                n_distinct: 2.0,
                avg_width: 8,
                ..Default::default()
            },
        );
        let Fitted::Generator(g) = fit(&c, 1000.0, PRIVATE) else {
            panic!()
        };
        assert_eq!(g["kind"].as_str(), Some("choice"));
        let values: Vec<&str> = g["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        // As wide as "delivered" and "paid": the synthetic value is padded, never cut.
        assert_eq!(values, ["status_1x", "status_2"]);
        assert_eq!(g["weights"].as_array().unwrap()[0].as_float(), Some(0.7));
        let text = toml::to_string(&g).unwrap();
        assert!(
            !text.contains("delivered") && !text.contains("paid"),
            "{text}"
        );
    }

    #[test]
    fn an_enum_keeps_its_labels_and_values_are_copied_only_when_asked() {
        let mut c = column(
            "status",
            "text",
            Stats {
                most_common_vals: vec!["a".into(), "b".into()],
                most_common_freqs: vec![0.5, 0.5],
                ..Default::default()
            },
        );
        let asked = ValuePolicy {
            text: true,
            numbers: true,
        };
        let Fitted::Generator(g) = fit(&c, 10.0, asked) else {
            panic!()
        };
        assert_eq!(g["values"].as_array().unwrap()[0].as_str(), Some("a"));
        c.domain = Some(vec!["a".into(), "b".into()]);
        let Fitted::Generator(g) = fit(&c, 10.0, PRIVATE) else {
            panic!()
        };
        assert_eq!(g["values"].as_array().unwrap()[1].as_str(), Some("b"));
    }

    #[test]
    fn a_zipf_law_is_recovered_from_its_frequencies() {
        let s = 1.3;
        let norm: f64 = (1..=1000).map(|k| (k as f64).powf(-s)).sum();
        let freqs: Vec<f64> = (1..=50).map(|k| (k as f64).powf(-s) / norm).collect();
        let fitted = zipf_exponent(&freqs).unwrap();
        assert!((fitted - s).abs() < 0.01, "{fitted}");
        assert_eq!(zipf_exponent(&[0.01, 0.01, 0.01, 0.01]), None);
    }

    #[test]
    fn numbers_and_times_take_their_bounds_unless_values_are_refused() {
        let c = column(
            "total",
            "numeric(12,2)",
            Stats {
                histogram_bounds: vec!["1.50".into(), "20.00".into(), "999.99".into()],
                n_distinct: -0.8,
                ..Default::default()
            },
        );
        let Fitted::Generator(g) = fit(&c, 100.0, PRIVATE) else {
            panic!()
        };
        assert_eq!(g["min"].as_float(), Some(1.5));
        assert_eq!(g["max"].as_float(), Some(999.99));
        let none = ValuePolicy {
            text: false,
            numbers: false,
        };
        let Fitted::Generator(g) = fit(&c, 100.0, none) else {
            panic!()
        };
        assert!(!g.contains_key("min"));
        let t = column(
            "created_at",
            "timestamp with time zone",
            Stats {
                histogram_bounds: vec![
                    "2023-01-01 00:00:05+00".into(),
                    "2024-12-31 23:59:00.5+00".into(),
                ],
                ..Default::default()
            },
        );
        let Fitted::Generator(g) = fit(&t, 100.0, PRIVATE) else {
            panic!()
        };
        assert_eq!(g["min"].as_str(), Some("2023-01-01T00:00:05Z"));
        assert_eq!(g["max"].as_str(), Some("2024-12-31T23:59:00Z"));
        assert!(
            !g.contains_key("distribution"),
            "two bounds are one bucket: no shape to keep"
        );
    }
}
