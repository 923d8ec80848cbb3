//! Compiled generators: a column's value at a row index, as a pure function of (seed, row).
//!
//! Nothing here keeps state between rows. That is what makes seeding deterministic whatever the
//! thread scheduling, lets a unique column be a permutation of the row index, and lets a
//! reference recompute its parent's key at a parent row index instead of storing keys.

use super::copy::CopyEncoder;
use super::distribution::Dist;
use super::fake_text::{fake_text, make_unique, FakeKind};
use super::rng::{CellRng, Permutation};
use super::values::{PgType, Range, Value};
use rand_distr::Distribution as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

/// One column: what to generate, how often NULL, and the type to encode it as.
#[derive(Debug, Clone)]
pub struct ColumnGen {
    pub name: String,
    pub ty: PgType,
    pub gen: Gen,
    /// Fraction of NULLs.
    pub nulls: f64,
    pub seed: u64,
}

/// How a reference picks its parent row.
#[derive(Debug, Clone)]
pub enum Pick {
    Uniform,
    Zipf(rand_distr::Zipf<f64>),
    /// One-to-one: every child row a distinct parent row.
    Permuted(Permutation),
    /// One digit of the row index in a mixed radix, for composite keys made only of references.
    Digit {
        divisor: u64,
        modulus: u64,
    },
}

/// The keys a reference points at.
#[derive(Debug)]
pub enum KeySource {
    /// A table we generate: its key columns evaluated at a row index below `rows`.
    Generated { rows: u64, columns: Vec<ColumnGen> },
    /// A table that already had rows: their keys, read once.
    Existing { rows: Vec<Vec<Value>> },
}

impl KeySource {
    pub fn len(&self) -> u64 {
        match self {
            KeySource::Generated { rows, .. } => *rows,
            KeySource::Existing { rows } => rows.len() as u64,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn key(&self, row: u64, column: usize) -> Value {
        match self {
            KeySource::Generated { columns, .. } => columns[column].value(row),
            KeySource::Existing { rows } => rows[row as usize][column].clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub enum Gen {
    Null,
    Constant(Value),
    Sequence {
        start: i64,
        step: i64,
    },
    /// `row / divisor + offset`: the line number beside a foreign key picked as `row % divisor`,
    /// so that (parent, line) is unique.
    Quotient {
        divisor: u64,
        offset: i64,
    },
    Int {
        min: i64,
        max: i64,
        dist: Dist,
        unique: Option<Permutation>,
    },
    Float {
        min: f64,
        max: f64,
        dist: Dist,
        decimals: u32,
        unique: Option<Permutation>,
    },
    Bool {
        true_fraction: f64,
    },
    /// Days since 1970.
    Date {
        min: i64,
        max: i64,
        unique: Option<Permutation>,
        /// Uniform, or a histogram of days (ordered or not).
        dist: Dist,
    },
    /// Microseconds since 1970.
    Timestamp {
        min: i64,
        max: i64,
        unique: Option<Permutation>,
        /// Uniform, or a histogram of microseconds.
        dist: Dist,
    },
    Choice {
        values: Vec<Value>,
        cumulative: Vec<f64>,
        unique: Option<Permutation>,
    },
    Fake {
        kind: FakeKind,
        count: [usize; 2],
        unique: bool,
        /// The column's length: a unique value keeps its distinguishing suffix within it.
        max_chars: Option<usize>,
    },
    Ip {
        v6: bool,
        unique: Option<Permutation>,
    },
    Uuid,
    /// A JSON object, one field per generator.
    Object(Vec<ColumnGen>),
    /// A one-dimensional array of `count[0]..=count[1]` elements, a fraction of them NULL.
    Array {
        element: Box<Gen>,
        count: [usize; 2],
        element_nulls: f64,
    },
    /// Ranges that never overlap from one row to the next: row `r` owns the slot
    /// `[origin + r * step, origin + (r + 1) * step)` (in `grain`s past `origin`), and its range,
    /// `[lower, upper)` with a length of `length[0]..=length[1]` grains, lies within it. A
    /// multirange (`parts` = Some) holds 1 to `parts[1]` ranges, each in its share of the slot
    /// with a gap before the next, so the server keeps them apart.
    Range {
        origin: i64,
        grain: i64,
        step: i64,
        length: [i64; 2],
        bound: RangeBound,
        parts: Option<[usize; 2]>,
    },
    /// At least (`min_step` > 0: more than) another column of the same row, for a CHECK that
    /// orders the two (`seed::ordering`): the base plus `min_step` and a whole number of
    /// `unit`s up to `max_step`; the column's own generator where the base is NULL.
    After {
        base: Box<ColumnGen>,
        own: Box<Gen>,
        min_step: f64,
        max_step: f64,
        unit: f64,
    },
    /// Text matching a CHECK's regular expression (`seed::pattern`).
    Pattern(Arc<super::pattern::Pattern>),
    Reference {
        seed: u64,
        parent: Arc<KeySource>,
        column: usize,
        pick: Pick,
    },
    /// A column whose NULLs follow another's (`seed::null_coupling`): NULL where `leader` is,
    /// elsewhere `inner`'s value (NULL at `own_nulls`).
    NullWith {
        leader: Box<ColumnGen>,
        own_nulls: f64,
        inner: Box<Gen>,
    },
    /// One column of an exclusive arc (`seed::exclusive_arc`): `inner`'s value on the rows
    /// whose turn is `position` of `size`, NULL on the others.
    Turn {
        seed: u64,
        position: u64,
        size: u64,
        inner: Box<Gen>,
    },
}

/// What a range generator's bounds are: whole numbers, days since 1970, microseconds since 1970.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RangeBound {
    Number,
    Date,
    Timestamp,
}

impl RangeBound {
    fn value(self, at: i64) -> Value {
        match self {
            RangeBound::Number => Value::Int(at),
            RangeBound::Date => Value::Date(at),
            RangeBound::Timestamp => Value::Timestamp(at),
        }
    }
}

/// A range within the `width` grains from `start`, `length` grains long (capped by the width),
/// at a random place: (its first grain, its length).
fn place(rng: &mut CellRng, start: i64, width: i64, length: [i64; 2]) -> (i64, i64) {
    let hi = length[1].min(width).max(1);
    let lo = length[0].clamp(1, hi);
    let len = rng.between(lo, hi);
    (start + rng.between(0, (width - len).max(0)), len)
}

impl ColumnGen {
    /// The value at `row`.
    #[inline]
    pub fn value(&self, row: u64) -> Value {
        let mut rng = CellRng::at(self.seed, row);
        if self.nulls > 0.0 && rng.f64() < self.nulls {
            return Value::Null;
        }
        self.gen.value(&mut rng, row)
    }
}

impl Gen {
    pub fn value(&self, rng: &mut CellRng, row: u64) -> Value {
        match self {
            Gen::Turn {
                seed,
                position,
                size,
                inner,
            } => {
                if CellRng::at(*seed, row).below(*size) == *position {
                    inner.value(rng, row)
                } else {
                    Value::Null
                }
            }
            Gen::NullWith {
                leader,
                own_nulls,
                inner,
            } => {
                if leader.value(row) == Value::Null || (*own_nulls > 0.0 && rng.f64() < *own_nulls)
                {
                    Value::Null
                } else {
                    inner.value(rng, row)
                }
            }
            Gen::Null => Value::Null,
            Gen::Constant(v) => v.clone(),
            Gen::Sequence { start, step } => Value::Int(start + step * row as i64),
            Gen::Quotient { divisor, offset } => {
                Value::Int((row / divisor.max(&1)) as i64 + offset)
            }
            Gen::Int {
                min,
                max,
                dist,
                unique,
            } => match (unique, dist) {
                (Some(p), _) => Value::Int(min + p.apply(row) as i64),
                (None, Dist::Uniform) => Value::Int(rng.between(*min, *max)),
                (None, d) => Value::Int(
                    d.sample_at(rng, *min as f64, *max as f64 + 0.999, row)
                        .floor() as i64,
                ),
            },
            Gen::Float {
                min,
                max,
                dist,
                decimals,
                unique,
            } => {
                let f = 10f64.powi(*decimals as i32);
                match unique {
                    Some(p) => Value::Float(min + p.apply(row) as f64 / f),
                    None => Value::Float((dist.sample_at(rng, *min, *max, row) * f).round() / f),
                }
            }
            Gen::Bool { true_fraction } => Value::Bool(rng.f64() < *true_fraction),
            Gen::Date {
                min,
                max,
                unique,
                dist,
            } => Value::Date(match (unique, dist) {
                (Some(p), _) => min + p.apply(row) as i64,
                (None, Dist::Uniform) => rng.between(*min, *max),
                (None, d) => d
                    .sample_at(rng, *min as f64, *max as f64 + 0.999, row)
                    .floor() as i64,
            }),
            Gen::Timestamp {
                min,
                max,
                unique,
                dist,
            } => Value::Timestamp(match (unique, dist) {
                (Some(p), _) => min + p.apply(row) as i64,
                (None, Dist::Uniform) => rng.between(*min, *max),
                (None, d) => d.sample_at(rng, *min as f64, *max as f64, row) as i64,
            }),
            Gen::Choice {
                values,
                cumulative,
                unique,
            } => {
                let i = match unique {
                    Some(p) => p.apply(row) as usize,
                    None => {
                        let x = rng.f64() * cumulative.last().copied().unwrap_or(1.0);
                        cumulative
                            .partition_point(|c| *c <= x)
                            .min(values.len() - 1)
                    }
                };
                values[i].clone()
            }
            Gen::Fake {
                kind,
                count,
                unique,
                max_chars,
            } => {
                let s = fake_text(*kind, *count, rng);
                Value::Text(if *unique {
                    make_unique(*kind, s, row, *max_chars)
                } else {
                    s
                })
            }
            Gen::Ip { v6, unique } => {
                let bits = match unique {
                    Some(p) => p.apply(row) as u128,
                    None => ((rng.u64() as u128) << 64) | rng.u64() as u128,
                };
                Value::Ip(if *v6 {
                    IpAddr::V6(Ipv6Addr::from(bits | (0x2001_0db8u128 << 96)))
                } else {
                    // 10.0.0.0/8 for random ones looks like a private network; unique ones span v4.
                    let v = if unique.is_some() {
                        bits as u32
                    } else {
                        0x0a00_0000 | (bits as u32 & 0x00ff_ffff)
                    };
                    IpAddr::V4(Ipv4Addr::from(v))
                })
            }
            Gen::Pattern(p) => Value::Text(p.sample(rng.u64())),
            Gen::Uuid => {
                let mut b = [0u8; 16];
                b[..8].copy_from_slice(&rng.u64().to_be_bytes());
                b[8..].copy_from_slice(&rng.u64().to_be_bytes());
                b[6] = (b[6] & 0x0f) | 0x40;
                b[8] = (b[8] & 0x3f) | 0x80;
                Value::Uuid(b)
            }
            Gen::Object(fields) => {
                // Written straight into one buffer, fields in the plan's order (jsonb's key
                // order): building a serde_json map first cost more than the rest of a row.
                let mut out = Vec::with_capacity(32 * fields.len());
                out.push(b'{');
                for (i, f) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_json_string(&mut out, &f.name);
                    out.push(b':');
                    write_json_value(&mut out, &f.value(row));
                }
                out.push(b'}');
                Value::Json(String::from_utf8(out).expect("JSON written from UTF-8 strings"))
            }
            Gen::Array {
                element,
                count,
                element_nulls,
            } => {
                let n = rng.between(count[0] as i64, count[1] as i64) as usize;
                Value::Array(
                    (0..n)
                        .map(|_| {
                            if *element_nulls > 0.0 && rng.f64() < *element_nulls {
                                Value::Null
                            } else {
                                element.value(rng, row)
                            }
                        })
                        .collect(),
                )
            }
            Gen::Range {
                origin,
                grain,
                step,
                length,
                bound,
                parts,
            } => {
                let slot = row as i64 * step;
                let at = |g: i64| bound.value(origin + g * grain);
                match parts {
                    None => {
                        let (first, len) = place(rng, slot, *step, *length);
                        Value::Range(Box::new(Range::half_open(at(first), at(first + len))))
                    }
                    Some([lo, hi]) => {
                        // Each part needs two grains at least: one in the range, one of gap.
                        let most = (*hi as i64).min(step / 2).max(1);
                        let n = rng.between((*lo as i64).clamp(1, most), most);
                        let share = step / n;
                        let gap = i64::from(n > 1);
                        Value::Multirange(
                            (0..n)
                                .map(|i| {
                                    let (first, len) =
                                        place(rng, slot + i * share, share - gap, *length);
                                    Range::half_open(at(first), at(first + len))
                                })
                                .collect(),
                        )
                    }
                }
            }
            Gen::After {
                base,
                own,
                min_step,
                max_step,
                unit,
            } => match base.value(row) {
                Value::Null => own.value(rng, row),
                b => above(&b, own, *min_step, *max_step, *unit, rng),
            },
            Gen::Reference {
                seed,
                parent,
                column,
                pick,
            } => {
                let n = parent.len();
                if n == 0 {
                    return Value::Null;
                }
                // The pick is drawn from the reference group's own stream so that every column
                // of a composite foreign key lands on the same parent row.
                let mut group = CellRng::at(*seed, row);
                let j = match pick {
                    Pick::Uniform => group.below(n),
                    Pick::Zipf(z) => (z.sample(&mut group) as u64).saturating_sub(1).min(n - 1),
                    Pick::Permuted(p) => p.apply(row),
                    Pick::Digit { divisor, modulus } => (row / divisor) % modulus,
                };
                parent.key(j, *column)
            }
        }
    }

    /// How many distinct values the generator can produce, when that is small enough to matter.
    pub fn domain(&self) -> Option<u128> {
        match self {
            Gen::Null => Some(0),
            Gen::Constant(_) => Some(1),
            Gen::Bool { .. } => Some(2),
            Gen::Choice { values, .. } => Some(values.len() as u128),
            Gen::Int { min, max, .. } => Some((*max as i128 - *min as i128 + 1).max(0) as u128),
            Gen::Date { min, max, .. } | Gen::Timestamp { min, max, .. } => {
                Some((*max as i128 - *min as i128 + 1).max(0) as u128)
            }
            Gen::Float {
                min, max, decimals, ..
            } => Some((((max - min) * 10f64.powi(*decimals as i32)).floor() as u128) + 1),
            Gen::Ip { v6: false, .. } => Some(1u128 << 32),
            Gen::Reference { parent, .. } => Some(parent.len() as u128),
            Gen::Turn { inner, .. } | Gen::NullWith { inner, .. } => inner.domain(),
            _ => None,
        }
    }
}

fn write_json_string(out: &mut Vec<u8>, s: &str) {
    serde_json::to_writer(out, s).expect("writing to a Vec cannot fail");
}

/// `value` as JSON text, exactly as `serde_json` prints [`Value::to_json`].
fn write_json_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Int(i) => serde_json::to_writer(out, i).expect("writing to a Vec cannot fail"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Text(s) => write_json_string(out, s),
        other => {
            serde_json::to_writer(out, &other.to_json()).expect("writing to a Vec cannot fail")
        }
    }
}

/// A table ready to generate: its COPY column list and row count.
#[derive(Debug, Clone)]
pub struct TableGen {
    /// Schema-qualified, quoted for SQL.
    pub qualified: String,
    pub columns: Vec<ColumnGen>,
    pub rows: u64,
}

impl TableGen {
    /// Appends rows `range` to the encoder.
    pub fn encode_rows(
        &self,
        range: std::ops::Range<u64>,
        enc: &mut CopyEncoder,
    ) -> Result<(), String> {
        let n = self.columns.len() as u16;
        for row in range {
            enc.begin_row(n);
            for c in &self.columns {
                enc.value(&c.value(row), &c.ty)
                    .map_err(|e| format!("{}: {e}", c.name))?;
            }
        }
        Ok(())
    }
}

/// A value above `base` by `min_step` to `max_step`, within `own`'s range where it has one,
/// in whole `unit`s (numbers keep their decimal places).
fn above(
    base: &Value,
    own: &Gen,
    min_step: f64,
    max_step: f64,
    unit: f64,
    rng: &mut CellRng,
) -> Value {
    let Some(at) = number(base) else {
        return base.clone();
    };
    let (own_min, own_max) = own.range().unwrap_or((f64::NEG_INFINITY, f64::INFINITY));
    let low = (at + min_step).max(own_min);
    let high = (at + max_step).min(own_max).max(low);
    let units = ((high - low) / unit).floor() as i64;
    let v = low + rng.between(0, units) as f64 * unit;
    match base {
        Value::Int(_) => Value::Int(v as i64),
        Value::Date(_) => Value::Date(v as i64),
        Value::Timestamp(_) => Value::Timestamp(v as i64),
        _ => Value::Float((v / unit).round() * unit),
    }
}

impl Gen {
    /// The numeric range of a number, date or timestamp generator (days, microseconds).
    pub(super) fn range(&self) -> Option<(f64, f64)> {
        match self {
            Gen::Int { min, max, .. }
            | Gen::Date { min, max, .. }
            | Gen::Timestamp { min, max, .. } => Some((*min as f64, *max as f64)),
            Gen::Float { min, max, .. } => Some((*min, *max)),
            _ => None,
        }
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) | Value::Date(i) | Value::Timestamp(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(gen: Gen) -> ColumnGen {
        ColumnGen {
            name: "c".into(),
            ty: PgType::Text { max_chars: None },
            gen,
            nulls: 0.0,
            seed: 7,
        }
    }

    #[test]
    fn an_ordered_histogram_follows_the_rows_and_keeps_its_buckets() {
        let rows = 1000;
        let ordered = |descending| {
            column(Gen::Int {
                min: 0,
                max: 1000,
                dist: Dist::Ordered {
                    inner: Box::new(Dist::Histogram(vec![0.0, 10.0, 1000.0])),
                    rows,
                    descending,
                },
                unique: None,
            })
        };
        let values = |c: &ColumnGen| -> Vec<i64> {
            (0..rows)
                .map(|row| match c.value(row) {
                    Value::Int(v) => v,
                    other => panic!("{other:?}"),
                })
                .collect()
        };
        let up = values(&ordered(false));
        assert!(
            up.windows(2).all(|w| w[0] <= w[1]),
            "ascending along the rows"
        );
        // Half the rows in each bucket, as the histogram says: the first half below 10.
        assert!(up[..500].iter().all(|v| *v <= 10) && up[500..].iter().all(|v| *v >= 10));
        let down = values(&ordered(true));
        assert!(
            down.windows(2).all(|w| w[0] >= w[1]),
            "descending along the rows"
        );
    }

    #[test]
    fn a_unique_int_column_never_repeats_within_its_range() {
        let c = column(Gen::Int {
            min: 10,
            max: 1009,
            dist: Dist::Uniform,
            unique: Some(Permutation::new(1000, 3)),
        });
        let mut seen = std::collections::HashSet::new();
        for row in 0..1000 {
            let Value::Int(v) = c.value(row) else {
                panic!()
            };
            assert!((10..=1009).contains(&v));
            assert!(seen.insert(v));
        }
    }

    #[test]
    fn zipf_numbers_favour_the_low_end() {
        let c = column(Gen::Int {
            min: 1,
            max: 1000,
            dist: Dist::Zipf(rand_distr::Zipf::new(1000.0, 1.2).unwrap()),
            unique: None,
        });
        let ones = (0..2000).filter(|r| c.value(*r) == Value::Int(1)).count();
        assert!(ones > 200, "{ones}");
    }

    #[test]
    fn nulls_come_at_about_the_asked_fraction() {
        let mut c = column(Gen::Fake {
            kind: FakeKind::Email,
            count: [1, 1],
            unique: true,
            max_chars: None,
        });
        c.nulls = 0.25;
        let nulls = (0..4000).filter(|r| c.value(*r) == Value::Null).count();
        assert!((800..1200).contains(&nulls), "{nulls}");
    }

    #[test]
    fn every_fake_kind_produces_text() {
        for kind in [
            FakeKind::Name,
            FakeKind::Email,
            FakeKind::Phone,
            FakeKind::Street,
            FakeKind::City,
            FakeKind::Country,
            FakeKind::Company,
            FakeKind::Username,
            FakeKind::Url,
            FakeKind::Words,
            FakeKind::Sentences,
            FakeKind::Paragraphs,
        ] {
            let c = column(Gen::Fake {
                kind,
                count: [1, 3],
                unique: false,
                max_chars: None,
            });
            let Value::Text(s) = c.value(1) else { panic!() };
            assert!(!s.is_empty(), "{kind:?}");
            assert_eq!(c.value(1), Value::Text(s));
        }
    }

    #[test]
    fn an_object_is_its_fields_as_json_in_the_order_given() {
        let field = |name: &str, gen: Gen, nulls: f64| ColumnGen {
            name: name.into(),
            nulls,
            ..column(gen)
        };
        let fields = vec![
            field("a \"quoted\" key", Gen::Bool { true_fraction: 0.5 }, 0.0),
            field(
                "n",
                Gen::Int {
                    min: -5,
                    max: 5,
                    dist: Dist::Uniform,
                    unique: None,
                },
                0.3,
            ),
            field(
                "t",
                Gen::Fake {
                    kind: FakeKind::Sentence,
                    count: [1, 4],
                    unique: false,
                    max_chars: None,
                },
                0.0,
            ),
            field("u", Gen::Uuid, 0.0),
            field(
                "x",
                Gen::Constant(Value::Text("tab\tand \u{e9}\\".into())),
                0.0,
            ),
        ];
        let object = column(Gen::Object(fields.clone()));
        for row in 0..300 {
            let Value::Json(text) = object.value(row) else {
                panic!("not JSON")
            };
            let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
            let mut map = serde_json::Map::new();
            for f in &fields {
                map.insert(f.name.clone(), f.value(row).to_json());
            }
            assert_eq!(parsed, serde_json::Value::Object(map), "row {row}: {text}");
            // The keys come in the fields' order.
            let positions: Vec<usize> = fields
                .iter()
                .map(|f| text.find(&serde_json::to_string(&f.name).unwrap()).unwrap())
                .collect();
            assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
        }
    }

    fn bounds(r: &Range) -> (i64, i64) {
        let at = |v: &Option<Value>| match v {
            Some(Value::Int(i) | Value::Date(i) | Value::Timestamp(i)) => *i,
            other => panic!("{other:?}"),
        };
        assert!(r.lower_inclusive && !r.upper_inclusive && !r.empty);
        (at(&r.lower), at(&r.upper))
    }

    #[test]
    fn ranges_never_overlap_from_one_row_to_the_next() {
        for (grain, step, length) in [
            (1_000_000, 3_600, [60, 2_700]),
            (1, 1, [1, 1]),
            (1, 7, [1, 20]),
        ] {
            let c = column(Gen::Range {
                origin: 1_700_000_000_000_000,
                grain,
                step,
                length,
                bound: RangeBound::Timestamp,
                parts: None,
            });
            let ranges: Vec<(i64, i64)> = (0..3000)
                .map(|row| match c.value(row) {
                    Value::Range(r) => bounds(&r),
                    other => panic!("{other:?}"),
                })
                .collect();
            for (row, (lo, hi)) in ranges.iter().enumerate() {
                assert!(lo < hi, "row {row}: [{lo}, {hi}) is empty");
                // Within the row's own slot: the lower bound grows with the row.
                let slot = 1_700_000_000_000_000 + row as i64 * step * grain;
                assert!(*lo >= slot && *hi <= slot + step * grain, "row {row}");
                assert_eq!((lo - slot) % grain, 0);
            }
            assert!(ranges.windows(2).all(|w| w[0].1 <= w[1].0));
            let lengths: std::collections::HashSet<i64> =
                ranges.iter().map(|(lo, hi)| hi - lo).collect();
            assert!(lengths.len() as i64 >= (length[1].min(step) - length[0]).min(20));
        }
    }

    #[test]
    fn a_multirange_holds_one_to_three_ranges_apart_within_its_row_slot() {
        let c = column(Gen::Range {
            origin: 19_000,
            grain: 1,
            step: 30,
            length: [1, 7],
            bound: RangeBound::Date,
            parts: Some([1, 3]),
        });
        let mut counts = [0; 4];
        let mut last_upper = i64::MIN;
        for row in 0..3000 {
            let Value::Multirange(ranges) = c.value(row) else {
                panic!("not a multirange")
            };
            counts[ranges.len()] += 1;
            let slot = 19_000 + row as i64 * 30;
            for (i, r) in ranges.iter().enumerate() {
                let (lo, hi) = bounds(r);
                assert!(lo < hi && lo >= slot && hi <= slot + 30, "row {row}");
                // Within the row a gap before each next range (the server would merge adjacent
                // ones); after the previous row's, at most touching.
                if i > 0 {
                    assert!(lo > last_upper, "row {row}");
                } else {
                    assert!(lo >= last_upper, "row {row}");
                }
                last_upper = hi;
            }
        }
        assert_eq!(counts[0], 0);
        assert!(counts[1..].iter().all(|n| *n > 500), "{counts:?}");
    }

    #[test]
    fn a_reference_lands_on_an_existing_parent_key() {
        let parent = Arc::new(KeySource::Generated {
            rows: 50,
            columns: vec![column(Gen::Sequence {
                start: 100,
                step: 1,
            })],
        });
        let c = column(Gen::Reference {
            seed: 1,
            parent,
            column: 0,
            pick: Pick::Zipf(rand_distr::Zipf::new(50.0, 1.1).unwrap()),
        });
        for row in 0..1000 {
            let Value::Int(v) = c.value(row) else {
                panic!()
            };
            assert!((100..150).contains(&v));
        }
    }
}
