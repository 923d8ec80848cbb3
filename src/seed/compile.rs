//! One column's definition compiled into its generator, checked against the column: its type,
//! its NOT NULL, its CHECKs, its uniqueness. [`compile`] checks what every kind shares and hands
//! the definition to its kind's function (`int`, `float`, `time`, `choice`, `array`, `object`,
//! `fake`, ...; the reference kind is `seed::reference_kind`), which reads the column through a
//! [`Site`]. Pure: a definition and the catalog's column in, a generator or one sentence naming
//! the definition at fault out; it never talks to a database.

use super::catalog::{numeric_precision, Column, Table};
use super::check_facts::{facts_for, CheckFacts};
use super::context::Ctx;
use super::definition::{toml_f64, toml_time, toml_value, ColumnDef, Distribution, Kind};
use super::distribution::Dist;
use super::fake_text::FakeKind;
use super::generator::{ColumnGen, Gen, RangeBound};
use super::infer::infer;
use super::reference_kind::reference;
use super::rng::{hash_name, Permutation};
use super::values::{self, PgType, Value};

/// The column being compiled and what the rules of every kind read: its table, its type, its
/// definition, its seed and label, the rows its table gets, its CHECK facts and its length limit.
struct Site<'a> {
    table: &'a Table,
    column: &'a Column,
    ty: &'a PgType,
    def: &'a ColumnDef,
    seed: u64,
    label: &'a str,
    rows: u64,
    facts: CheckFacts,
    max_chars: Option<usize>,
}

/// Compiles a definition for one column, checking it against the column's constraints.
pub(super) fn compile(
    ctx: &mut Ctx,
    table: &Table,
    column: &Column,
    ty: &PgType,
    def: &ColumnDef,
    seed: u64,
    label: &str,
) -> Result<Gen, String> {
    let s = Site {
        table,
        column,
        ty,
        def,
        seed,
        label,
        rows: ctx.rows.get(&table.key()).copied().unwrap_or(0),
        facts: facts_for(table, &column.name),
        max_chars: match ty {
            PgType::Text { max_chars } => *max_chars,
            _ => None,
        },
    };
    if !(0.0..=1.0).contains(&def.nulls) {
        return Err(format!(
            "{label}: nulls = {} must be between 0 and 1",
            def.nulls
        ));
    }
    if def.nulls > 0.0 && column.not_null {
        return Err(format!(
            "{label}: nulls = {} but the column is NOT NULL",
            def.nulls
        ));
    }
    match def.kind {
        Kind::Array => array(ctx, &s),
        Kind::Null => null(&s),
        Kind::Default => Ok(Gen::Null),
        Kind::Constant => constant(&s),
        Kind::Sequence => sequence(&s),
        Kind::Int => int(&s),
        Kind::Float => float(&s),
        Kind::Bool => boolean(&s),
        Kind::Date | Kind::Timestamp => time(&s),
        Kind::Choice => choice(&s),
        Kind::Uuid => uuid(&s),
        Kind::Ip | Kind::Ipv6 => ip(&s),
        Kind::Object => object(ctx, &s),
        Kind::Range => range(&s),
        Kind::Reference => reference(ctx, column, def, s.rows, seed, label),
        fake_kind => fake(&s, fake_kind),
    }
}

impl Site<'_> {
    /// The permutation that makes a unique column's `n` possible values distinct, None when the
    /// column is not unique; an error when `n` is fewer than the rows.
    fn perm(&self, n: u128) -> Result<Option<Permutation>, String> {
        let (label, rows) = (self.label, self.rows);
        if !self.def.unique {
            return Ok(None);
        }
        if n < rows as u128 {
            return Err(format!(
                "{label}: it is unique but its generator has only {n} distinct values for {rows} rows"
            ));
        }
        Ok(Some(Permutation::new(
            n.min(u64::MAX as u128) as u64,
            self.seed,
        )))
    }

    /// The definition's distribution over `lo..=hi`, before any order. `unit`: what a time
    /// bound is divided by (microseconds; a day's for dates).
    fn dist_unordered(&self, lo: f64, hi: f64, unit: f64) -> Result<Dist, String> {
        let (def, label) = (self.def, self.label);
        Ok(match def.distribution {
            Distribution::Uniform => Dist::Uniform,
            Distribution::Normal => Dist::Normal {
                mean: def.mean.unwrap_or((lo + hi) / 2.0),
                std_dev: def
                    .std_dev
                    .unwrap_or((hi - lo) / 6.0)
                    .max(f64::MIN_POSITIVE),
            },
            Distribution::Zipf => Dist::Zipf(
                rand_distr::Zipf::new((hi - lo + 1.0).max(1.0), def.exponent.unwrap_or(1.1))
                    .map_err(|e| format!("{label}: the zipf distribution is invalid: {e}"))?,
            ),
            Distribution::Histogram => {
                // Numbers as they are; times in microseconds, as `lo` and `hi` are then.
                let bounds: Vec<f64> = def
                    .bounds
                    .iter()
                    .flatten()
                    .map(|b| match b {
                        toml::Value::String(t) => values::parse_timestamp(t)
                            .map(|us| (us as f64 / unit).floor())
                            .ok_or_else(|| format!("{label}: the bound \"{t}\" is not a time such as \"2024-01-31T12:00:00Z\"")),
                        other => toml_f64(Some(other))
                            .ok_or_else(|| format!("{label}: the bound {other} is not a number")),
                    })
                    .collect::<Result<_, _>>()?;
                if bounds.len() < 2
                    || bounds
                        .windows(2)
                        .any(|w| w[0].partial_cmp(&w[1]).is_none_or(|o| o.is_gt()))
                {
                    return Err(format!(
                        "{label}: distribution = \"histogram\" needs bounds, at least two, ascending"
                    ));
                }
                if bounds[0] < lo || bounds[bounds.len() - 1] > hi {
                    return Err(format!(
                        "{label}: the histogram's bounds {} to {} fall outside min and max ({lo} to {hi})",
                        bounds[0],
                        bounds[bounds.len() - 1]
                    ));
                }
                Dist::Histogram(bounds)
            }
        })
    }

    /// The definition's distribution over `lo..=hi` in the order it asks for, if any.
    fn dist_in(&self, lo: f64, hi: f64, unit: f64) -> Result<Dist, String> {
        let (def, label) = (self.def, self.label);
        let base = self.dist_unordered(lo, hi, unit)?;
        let Some(order) = def.order else {
            return Ok(base);
        };
        if def.unique {
            return Err(format!(
                "{label}: order and unique together: a unique column in row order is kind = \"sequence\""
            ));
        }
        match base {
            Dist::Uniform | Dist::Histogram(_) => Ok(Dist::Ordered {
                inner: Box::new(base),
                rows: self.rows,
                descending: order == crate::seed::definition::Order::Descending,
            }),
            _ => Err(format!(
                "{label}: order needs distribution = \"uniform\" or \"histogram\""
            )),
        }
    }

    /// [`Site::dist_in`] for numbers and timestamps, whose bounds are not divided.
    fn dist(&self, lo: f64, hi: f64) -> Result<Dist, String> {
        self.dist_in(lo, hi, 1.0)
    }

    /// Whether `lo..hi` keeps within the bounds of the column's CHECK constraints.
    fn check_range(&self, lo: f64, hi: f64) -> Result<(), String> {
        let (facts, label) = (&self.facts, self.label);
        let below = facts
            .min
            .is_some_and(|m| lo < m || (facts.min_exclusive && lo <= m));
        let above = facts
            .max
            .is_some_and(|m| hi > m || (facts.max_exclusive && hi >= m));
        if below || above {
            let c = self
                .table
                .checks
                .iter()
                .find(|(c, _)| *c == self.column.name)
                .map(|(_, d)| d.as_str())
                .unwrap_or("CHECK");
            return Err(format!(
                "{label}: its range {lo}..{hi} breaks the constraint {c}"
            ));
        }
        Ok(())
    }

    /// Whether the text `s` fits the column: its length, its CHECK's values, its enum's labels.
    fn fits(&self, s: &str) -> Result<(), String> {
        let (column, label) = (self.column, self.label);
        if let Some(n) = self.max_chars {
            if s.chars().count() > n {
                return Err(format!(
                    "{label}: the value \"{s}\" is {} characters, longer than the column's {}",
                    s.chars().count(),
                    column.type_name
                ));
            }
        }
        if let Some(allowed) = &self.facts.values {
            if !allowed.iter().any(|a| a == s) {
                return Err(format!(
                    "{label}: the value \"{s}\" is not allowed by its CHECK constraint (allowed: {})",
                    allowed.join(", ")
                ));
            }
        }
        if let PgType::Enum(labels) = self.ty {
            if !labels.iter().any(|l| l == s) {
                return Err(format!(
                    "{label}: the value \"{s}\" is not a label of its enum type {} ({})",
                    column.type_name,
                    labels.join(", ")
                ));
            }
        }
        Ok(())
    }
}

/// `kind = "array"`: its element compiled as a column of the element type, with its own seed.
fn array(ctx: &mut Ctx, s: &Site) -> Result<Gen, String> {
    let (table, column, def, label) = (s.table, s.column, s.def, s.label);
    let PgType::Array {
        element: Some(element_ty),
        ..
    } = s.ty
    else {
        return Err(format!(
            "{label}: kind = \"array\" needs an array column of a type the seeder can write, not {}",
            column.type_name
        ));
    };
    let count = def.count.unwrap_or([0, 4]);
    if count[0] > count[1] || count[1] > 10_000 {
        return Err(format!(
            "{label}: count = [{}, {}] must be a range [min, max] of at most 10000 elements",
            count[0], count[1]
        ));
    }
    let mut element_def = match &def.element {
        Some(d) => (**d).clone(),
        None => infer(table, column, element_ty),
    };
    let element_nulls = element_def.nulls;
    if !(0.0..=1.0).contains(&element_nulls) {
        return Err(format!(
            "{label}: element nulls = {element_nulls} must be between 0 and 1"
        ));
    }
    if element_def.unique || matches!(element_def.kind, Kind::Array | Kind::Reference) {
        return Err(format!(
            "{label}: an array element cannot be unique, another array or a reference"
        ));
    }
    // NULL elements are the array's business, not the column's NOT NULL.
    element_def.nulls = 0.0;
    let element = compile(
        ctx,
        table,
        column,
        element_ty,
        &element_def,
        s.seed ^ 0x9e37_79b9_7f4a_7c15,
        &format!("{label} (element)"),
    )?;
    Ok(Gen::Array {
        element: Box::new(element),
        count,
        element_nulls,
    })
}

/// `kind = "null"`: only for a column that may be NULL.
fn null(s: &Site) -> Result<Gen, String> {
    let label = s.label;
    if s.column.not_null {
        return Err(format!(
            "{label}: kind = \"null\" but the column is NOT NULL"
        ));
    }
    Ok(Gen::Null)
}

/// `kind = "constant"`: one value, which a unique column cannot have for more than one row.
fn constant(s: &Site) -> Result<Gen, String> {
    let label = s.label;
    let v = s
        .def
        .value
        .as_ref()
        .ok_or_else(|| format!("{label}: kind = \"constant\" needs a value"))?;
    let v = toml_value(v);
    if let Value::Text(t) = &v {
        s.fits(t)?;
    }
    s.perm(1)?;
    Ok(Gen::Constant(v))
}

/// `kind = "sequence"`: `start`, `start + step`, ..., whose last value must fit the column.
fn sequence(s: &Site) -> Result<Gen, String> {
    let (column, def, label) = (s.column, s.def, s.label);
    let start = def.start.unwrap_or(1);
    let step = def.step.unwrap_or(1);
    if step == 0 {
        return Err(format!("{label}: a sequence's step cannot be 0"));
    }
    let last = start as f64 + step as f64 * s.rows.saturating_sub(1) as f64;
    let limit = match s.ty {
        PgType::Int2 => i16::MAX as f64,
        PgType::Int4 => i32::MAX as f64,
        _ => i64::MAX as f64,
    };
    if last > limit {
        return Err(format!(
            "{label}: the sequence reaches {last}, beyond what {} holds",
            column.type_name
        ));
    }
    if let Some(n) = s.max_chars {
        let len = (last.abs() as u64).to_string().len();
        if len > n {
            return Err(format!(
                "{label}: the sequence reaches {last} ({len} characters), longer than the column's {}",
                column.type_name
            ));
        }
    }
    Ok(Gen::Sequence { start, step })
}

/// `kind = "int"`: whole numbers between min and max (by default the CHECK's bounds).
fn int(s: &Site) -> Result<Gen, String> {
    let (column, def, facts, label) = (s.column, s.def, &s.facts, s.label);
    let lo_default = facts
        .min
        .map(|m| if facts.min_exclusive { m + 1.0 } else { m })
        .unwrap_or(0.0);
    let hi_default = facts
        .max
        .map(|m| if facts.max_exclusive { m - 1.0 } else { m })
        .unwrap_or(lo_default + 1_000_000.0);
    let lo = toml_f64(def.min.as_ref()).unwrap_or(lo_default).ceil() as i64;
    let hi = toml_f64(def.max.as_ref()).unwrap_or(hi_default).floor() as i64;
    if lo > hi {
        return Err(format!("{label}: min {lo} is greater than max {hi}"));
    }
    s.check_range(lo as f64, hi as f64)?;
    let type_max = match s.ty {
        PgType::Int2 => Some(i16::MAX as i64),
        PgType::Int4 => Some(i32::MAX as i64),
        _ => None,
    };
    if let Some(tm) = type_max {
        if hi > tm || lo < -tm - 1 {
            return Err(format!(
                "{label}: its range {lo}..{hi} does not fit {}",
                column.type_name
            ));
        }
    }
    if let Some(n) = s.max_chars {
        let len = lo.to_string().len().max(hi.to_string().len());
        if len > n {
            return Err(format!(
                "{label}: numbers up to {hi} are longer than the column's {}",
                column.type_name
            ));
        }
    }
    Ok(Gen::Int {
        min: lo,
        max: hi,
        dist: s.dist(lo as f64, hi as f64)?,
        unique: s.perm((hi as i128 - lo as i128 + 1) as u128)?,
    })
}

/// `kind = "float"`: numbers between min and max with `decimals` digits after the point.
fn float(s: &Site) -> Result<Gen, String> {
    let (column, def, facts, label) = (s.column, s.def, &s.facts, s.label);
    let lo = toml_f64(def.min.as_ref()).unwrap_or(facts.min.unwrap_or(0.0));
    let hi = toml_f64(def.max.as_ref()).unwrap_or(facts.max.unwrap_or(lo + 1000.0));
    if lo > hi {
        return Err(format!("{label}: min {lo} is greater than max {hi}"));
    }
    s.check_range(lo, hi)?;
    let decimals = def.decimals.unwrap_or(match s.ty {
        PgType::Numeric { scale: Some(scale) } => *scale,
        _ => 2,
    });
    if let Some((p, scale)) = numeric_precision(&column.type_name) {
        let limit = 10f64.powi(p as i32 - scale as i32);
        if hi.abs() >= limit || lo.abs() >= limit {
            return Err(format!(
                "{label}: its range {lo}..{hi} does not fit {}",
                column.type_name
            ));
        }
    }
    let n = ((hi - lo) * 10f64.powi(decimals as i32)).floor() as u128 + 1;
    Ok(Gen::Float {
        min: lo,
        max: hi,
        dist: s.dist(lo, hi)?,
        decimals,
        unique: s.perm(n)?,
    })
}

/// `kind = "bool"`: true with `true_fraction`.
fn boolean(s: &Site) -> Result<Gen, String> {
    s.perm(2)?;
    Ok(Gen::Bool {
        true_fraction: s.def.true_fraction.unwrap_or(0.5),
    })
}

/// `kind = "date"` and `kind = "timestamp"`: times between min and max, in days for a date
/// (or a date column), in microseconds otherwise.
fn time(s: &Site) -> Result<Gen, String> {
    let (def, label) = (s.def, s.label);
    let parse = |v: Option<&toml::Value>, default: &str| -> Result<i64, String> {
        match toml_time(v) {
            None => Ok(values::parse_timestamp(default).unwrap_or(0)),
            Some(Ok(t)) => Ok(t),
            Some(Err(s)) => Err(format!(
                "{label}: \"{s}\" is not a date such as \"2024-01-31\" or \"2024-01-31T12:00:00Z\""
            )),
        }
    };
    let lo = parse(def.min.as_ref(), "2020-01-01")?;
    let hi = parse(def.max.as_ref(), "2025-12-31T23:59:59Z")?;
    if lo > hi {
        return Err(format!("{label}: min is after max"));
    }
    Ok(if def.kind == Kind::Date || *s.ty == PgType::Date {
        let (lo, hi) = (
            lo.div_euclid(values::US_PER_DAY),
            hi.div_euclid(values::US_PER_DAY),
        );
        Gen::Date {
            min: lo,
            max: hi,
            unique: s.perm((hi - lo + 1) as u128)?,
            dist: match (def.distribution, def.order) {
                (Distribution::Histogram, _) | (_, Some(_)) => {
                    s.dist_in(lo as f64, hi as f64, values::US_PER_DAY as f64)?
                }
                _ => Dist::Uniform,
            },
        }
    } else {
        Gen::Timestamp {
            min: lo,
            max: hi,
            unique: s.perm((hi - lo + 1) as u128)?,
            dist: match (def.distribution, def.order) {
                (Distribution::Histogram, _) | (_, Some(_)) => s.dist(lo as f64, hi as f64)?,
                _ => Dist::Uniform,
            },
        }
    })
}

/// `kind = "range"`, for a range or multirange column: ranges `[lower, upper)` between `min`
/// and `max` that never overlap from one row to the next, so that an exclusion constraint
/// (`EXCLUDE USING gist (room WITH =, during WITH &&)`) holds whatever the other columns are.
/// Each row owns an equal slot of the span, in row order; its range is `length` long within it
/// (by default a quarter to three quarters of the slot), a multirange's `count` ranges (default
/// 1 to 3) share it. Without a `max`, the span grows to fit the rows.
fn range(s: &Site) -> Result<Gen, String> {
    let (def, label, rows) = (s.def, s.label, s.rows.max(1) as i64);
    let (subtype, multirange) = match s.ty {
        PgType::Range { subtype } => (&**subtype, false),
        PgType::Multirange { subtype } => (&**subtype, true),
        _ => {
            return Err(format!(
                "{label}: kind = \"range\" needs a range or multirange column, not {}",
                s.column.type_name
            ))
        }
    };
    let bound = match subtype {
        PgType::Date => RangeBound::Date,
        PgType::Timestamp | PgType::Timestamptz => RangeBound::Timestamp,
        _ => RangeBound::Number,
    };
    let time = |v: Option<&toml::Value>, default: &str| -> Result<i64, String> {
        let us = match toml_time(v) {
            None => values::parse_timestamp(default).unwrap_or(0),
            Some(Ok(t)) => t,
            Some(Err(s)) => {
                return Err(format!(
                "{label}: \"{s}\" is not a date such as \"2024-01-31\" or \"2024-01-31T12:00:00Z\""
            ))
            }
        };
        Ok(match bound {
            RangeBound::Date => us.div_euclid(values::US_PER_DAY),
            _ => us,
        })
    };
    // The span, in the subtype's units (whole numbers, days, microseconds).
    let (lo, default_hi) = match bound {
        RangeBound::Number => {
            let lo = toml_f64(def.min.as_ref()).unwrap_or(0.0).ceil() as i64;
            (lo, lo.saturating_add(1_000_000))
        }
        _ => (
            time(def.min.as_ref(), "2020-01-01")?,
            time(None, "2025-12-31T23:59:59Z")?,
        ),
    };
    let given_hi = match (bound, def.max.as_ref()) {
        (_, None) => None,
        (RangeBound::Number, Some(m)) => Some(
            toml_f64(Some(m))
                .ok_or_else(|| format!("{label}: max = {m} is not a number"))?
                .floor() as i64,
        ),
        (_, m) => Some(time(m, "")?),
    };
    let to_units = |v: &toml::Value| -> Result<i64, String> {
        let units = match (bound, v) {
            (RangeBound::Timestamp, toml::Value::String(t)) => duration_us(t),
            (RangeBound::Date, toml::Value::String(t)) => {
                duration_us(t).map(|us| us / values::US_PER_DAY)
            }
            (RangeBound::Timestamp, v) => toml_f64(Some(v)).map(|s| (s * 1e6) as i64),
            (_, v) => toml_f64(Some(v)).map(|n| n as i64),
        };
        units.ok_or_else(|| format!("{label}: length {v} is not a length such as 3 or \"2 hours\""))
    };
    let length = match &def.length {
        Some([a, b]) => {
            let (a, b) = (to_units(a)?, to_units(b)?);
            if a < 1 || a > b {
                return Err(format!(
                    "{label}: length = [{a}, {b}] must be [shortest, longest] with 0 < shortest <= longest"
                ));
            }
            Some([a, b])
        }
        None => None,
    };
    let parts = if multirange {
        let count = def.count.unwrap_or([1, 3]);
        if count[0] < 1 || count[0] > count[1] {
            return Err(format!(
                "{label}: count = [{}, {}] must be [min, max] ranges with 1 <= min <= max",
                count[0], count[1]
            ));
        }
        Some(count)
    } else {
        None
    };
    // Without a max the span grows until every row's slot holds the longest range (a
    // multirange's, each with a gap after it).
    let hi = match given_hi {
        Some(hi) => hi,
        None => {
            let parts = parts.map_or(1, |[_, most]| most as i64);
            let longest = length.map_or(1, |[_, b]| b);
            let slot = if parts > 1 {
                parts * (longest + 1)
            } else {
                longest
            };
            default_hi.max(lo.saturating_add(rows.saturating_mul(slot)))
        }
    };
    if lo >= hi {
        return Err(format!("{label}: min is not below max"));
    }
    if let Some(limit) = match subtype {
        PgType::Int2 => Some(i16::MAX as i64),
        PgType::Int4 => Some(i32::MAX as i64),
        _ => None,
    } {
        if hi > limit || lo < -limit {
            return Err(format!(
                "{label}: its span {lo}..{hi} does not fit {}",
                s.column.type_name
            ));
        }
    }
    // Timestamps in whole seconds when each row's slot is wide enough.
    let grain = match bound {
        RangeBound::Timestamp if (hi - lo) / rows >= 2_000_000 => 1_000_000,
        _ => 1,
    };
    let step = (hi - lo) / grain / rows;
    if step < 1 {
        return Err(format!(
            "{label}: {rows} ranges that do not overlap need more room than min..max gives"
        ));
    }
    let length = match length {
        Some([a, b]) => {
            let (a, b) = ((a / grain).max(1), (b / grain).max(1));
            if a > step {
                return Err(format!(
                    "{label}: {rows} ranges of length {} or more do not fit between min and max without overlapping (each row has {} of it)",
                    a * grain,
                    step * grain
                ));
            }
            [a, b.min(step)]
        }
        None => [(step / 4).max(1), (step * 3 / 4).max(1)],
    };
    Ok(Gen::Range {
        origin: lo,
        grain,
        step,
        length,
        bound,
        parts,
    })
}

/// `"90 minutes"`, `"2 hours"`, `"3 days"`, `"1 week"` in microseconds.
fn duration_us(text: &str) -> Option<i64> {
    let (n, unit) = text.trim().split_once(char::is_whitespace)?;
    let n: f64 = n.parse().ok()?;
    let seconds = match unit.trim().trim_end_matches('s') {
        "second" | "sec" => 1.0,
        "minute" | "min" => 60.0,
        "hour" => 3600.0,
        "day" => 86_400.0,
        "week" => 604_800.0,
        _ => return None,
    };
    Some((n * seconds * 1e6) as i64)
}

/// `kind = "choice"`: one of `values`, by `weights` when given.
fn choice(s: &Site) -> Result<Gen, String> {
    let (def, label) = (s.def, s.label);
    let values = def
        .values
        .as_ref()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("{label}: kind = \"choice\" needs a non-empty values list"))?;
    let values: Vec<Value> = values.iter().map(toml_value).collect();
    for v in &values {
        if let Value::Text(t) = v {
            s.fits(t)?;
        }
    }
    let weights = match &def.weights {
        Some(w) if w.len() != values.len() => {
            return Err(format!(
                "{label}: {} weights for {} values",
                w.len(),
                values.len()
            ))
        }
        Some(w) if w.iter().any(|x| *x < 0.0) || w.iter().sum::<f64>() <= 0.0 => {
            return Err(format!("{label}: weights must be positive"))
        }
        Some(w) => w.clone(),
        None => vec![1.0; values.len()],
    };
    let mut acc = 0.0;
    let cumulative = weights
        .iter()
        .map(|w| {
            acc += w;
            acc
        })
        .collect();
    Ok(Gen::Choice {
        unique: s.perm(values.len() as u128)?,
        values,
        cumulative,
    })
}

/// `kind = "uuid"`: 36 characters in a text column.
fn uuid(s: &Site) -> Result<Gen, String> {
    let label = s.label;
    if let Some(n) = s.max_chars {
        if n < 36 {
            return Err(format!(
                "{label}: a uuid is 36 characters, longer than the column's {}",
                s.column.type_name
            ));
        }
    }
    Ok(Gen::Uuid)
}

/// `kind = "ip"` and `kind = "ipv6"`: addresses, up to 15 or 39 characters in a text column.
fn ip(s: &Site) -> Result<Gen, String> {
    let label = s.label;
    let v6 = s.def.kind == Kind::Ipv6;
    if let Some(n) = s.max_chars {
        let need = if v6 { 39 } else { 15 };
        if n < need {
            return Err(format!(
                "{label}: an IP address can be {need} characters, longer than the column's {}",
                s.column.type_name
            ));
        }
    }
    Ok(Gen::Ip {
        v6,
        unique: s.perm(if v6 { u64::MAX as u128 } else { 1u128 << 32 })?,
    })
}

/// `kind = "object"`: a JSON object whose fields are compiled as columns of their own, each with
/// its own seed, written in jsonb's key order.
fn object(ctx: &mut Ctx, s: &Site) -> Result<Gen, String> {
    let (column, label) = (s.column, s.label);
    let mut fields = Vec::new();
    for (name, f) in s.def.fields.iter().flatten() {
        let sub = Column {
            name: name.clone(),
            type_name: "jsonb field".into(),
            ty: None,
            not_null: f.nulls == 0.0,
            default: None,
            sequence: None,
            generated: false,
        };
        let sub_ty = match f.kind {
            Kind::Object => PgType::Jsonb,
            _ => PgType::Text { max_chars: None },
        };
        let sub_seed = hash_name(s.seed, name);
        let mut no_unique = f.clone();
        no_unique.unique = false;
        let gen = compile(
            ctx,
            s.table,
            &sub,
            &sub_ty,
            &no_unique,
            sub_seed,
            &format!("{label}.{name}"),
        )?;
        fields.push(ColumnGen {
            name: name.clone(),
            ty: sub_ty,
            gen,
            nulls: f.nulls,
            seed: sub_seed,
        });
    }
    if !matches!(s.ty, PgType::Json | PgType::Jsonb | PgType::Text { .. }) {
        return Err(format!(
            "{label}: kind = \"object\" builds JSON, which cannot be written to a column of type {}",
            column.type_name
        ));
    }
    // The generator writes the fields in this order: jsonb's own key order (shorter
    // keys first, then bytewise), so the server's sort of each object's keys finds
    // them sorted already (PostgreSQL's qsort checks that first) instead of sorting.
    fields
        .sort_by(|a, b| (a.name.len(), a.name.as_bytes()).cmp(&(b.name.len(), b.name.as_bytes())));
    Ok(Gen::Object(fields))
}

/// The fake-text kinds (`name`, `email`, `words`, `paragraphs`, ...): `fake_kind` is every kind
/// the other functions do not take.
fn fake(s: &Site, fake_kind: Kind) -> Result<Gen, String> {
    let (column, def, rows, max_chars, label) = (s.column, s.def, s.rows, s.max_chars, s.label);
    let kind = match fake_kind {
        Kind::Name => FakeKind::Name,
        Kind::FirstName => FakeKind::FirstName,
        Kind::LastName => FakeKind::LastName,
        Kind::Email => FakeKind::Email,
        Kind::Phone => FakeKind::Phone,
        Kind::Street => FakeKind::Street,
        Kind::City => FakeKind::City,
        Kind::Country => FakeKind::Country,
        Kind::CountryCode => FakeKind::CountryCode,
        Kind::Company => FakeKind::Company,
        Kind::Username => FakeKind::Username,
        Kind::Url => FakeKind::Url,
        Kind::Word => FakeKind::Word,
        Kind::Words => FakeKind::Words,
        Kind::Sentence => FakeKind::Sentence,
        Kind::Sentences => FakeKind::Sentences,
        Kind::Paragraph => FakeKind::Paragraph,
        Kind::UserAgent => FakeKind::UserAgent,
        _ => FakeKind::Paragraphs,
    };
    if def.unique {
        if let Some(n) = max_chars {
            let digits = rows.saturating_sub(1).to_string().len() + 1;
            if n < digits + 1 {
                return Err(format!(
                    "{label}: it is unique, and {rows} distinct values need more than the column's {}",
                    column.type_name
                ));
            }
        }
        if kind == FakeKind::CountryCode && rows > 250 {
            return Err(format!(
                "{label}: it is unique but there are only about 250 country codes for {rows} rows"
            ));
        }
    }
    if kind == FakeKind::CountryCode {
        if let Some(n) = max_chars {
            if n < 2 {
                return Err(format!(
                    "{label}: a country code is 2 characters, longer than the column's {}",
                    column.type_name
                ));
            }
        }
    }
    let count = def.count.unwrap_or(match kind {
        FakeKind::Words => [1, 3],
        FakeKind::Sentence => [4, 10],
        FakeKind::Sentences | FakeKind::Paragraph => [2, 4],
        _ => [1, 2],
    });
    if count[0] > count[1] {
        return Err(format!(
            "{label}: count = [{}, {}] is not a range",
            count[0], count[1]
        ));
    }
    Ok(Gen::Fake {
        kind,
        count,
        unique: def.unique,
        max_chars,
    })
}
