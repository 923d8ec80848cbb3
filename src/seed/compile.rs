//! One column's definition compiled into its generator, checked against the column: its type,
//! its NOT NULL, its CHECKs, its uniqueness. Each generator kind's rules are one arm of
//! [`compile`]'s match. Pure: a definition and the catalog's column in, a generator or one
//! sentence naming the definition at fault out; it never talks to a database.

use super::catalog::{numeric_precision, table_key, Column, Table};
use super::check_facts::facts_for;
use super::context::Ctx;
use super::definition::{toml_f64, ColumnDef, Distribution, Kind};
use super::distribution::Dist;
use super::fake_text::FakeKind;
use super::generator::{ColumnGen, Gen, Pick};
use super::infer::infer;
use super::rng::{hash_name, Permutation};
use super::values::{self, PgType, Value};

pub(super) fn toml_time(v: Option<&toml::Value>) -> Option<Result<i64, String>> {
    Some(match v? {
        toml::Value::String(s) => values::parse_timestamp(s).ok_or_else(|| s.clone()),
        toml::Value::Datetime(d) => {
            let s = d.to_string();
            values::parse_timestamp(&s).ok_or(s)
        }
        other => Err(other.to_string()),
    })
}

pub(super) fn toml_value(v: &toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::Text(s.clone()),
        toml::Value::Integer(i) => Value::Int(*i),
        toml::Value::Float(f) => Value::Float(*f),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => values::parse_timestamp(&d.to_string())
            .map(Value::Timestamp)
            .unwrap_or(Value::Text(d.to_string())),
        other => Value::Json(serde_json::to_string(other).unwrap_or_default()),
    }
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
    let rows = ctx.rows.get(&table.key()).copied().unwrap_or(0);
    let facts = facts_for(table, &column.name);
    let max_chars = match ty {
        PgType::Text { max_chars } => *max_chars,
        _ => None,
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
    let perm = |n: u128| -> Result<Option<Permutation>, String> {
        if !def.unique {
            return Ok(None);
        }
        if n < rows as u128 {
            return Err(format!(
                "{label}: it is unique but its generator has only {n} distinct values for {rows} rows"
            ));
        }
        Ok(Some(Permutation::new(n.min(u64::MAX as u128) as u64, seed)))
    };
    // `unit`: what a time bound is divided by (microseconds; a day's for dates).
    let dist_unordered = |lo: f64, hi: f64, unit: f64| -> Result<Dist, String> {
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
    };
    let dist_in = |lo: f64, hi: f64, unit: f64| -> Result<Dist, String> {
        let base = dist_unordered(lo, hi, unit)?;
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
                rows,
                descending: order == crate::seed::definition::Order::Descending,
            }),
            _ => Err(format!(
                "{label}: order needs distribution = \"uniform\" or \"histogram\""
            )),
        }
    };
    let dist = |lo: f64, hi: f64| dist_in(lo, hi, 1.0);
    let check_range = |lo: f64, hi: f64| -> Result<(), String> {
        let below = facts
            .min
            .is_some_and(|m| lo < m || (facts.min_exclusive && lo <= m));
        let above = facts
            .max
            .is_some_and(|m| hi > m || (facts.max_exclusive && hi >= m));
        if below || above {
            let c = table
                .checks
                .iter()
                .find(|(c, _)| *c == column.name)
                .map(|(_, d)| d.as_str())
                .unwrap_or("CHECK");
            return Err(format!(
                "{label}: its range {lo}..{hi} breaks the constraint {c}"
            ));
        }
        Ok(())
    };
    let fits = |s: &str| -> Result<(), String> {
        if let Some(n) = max_chars {
            if s.chars().count() > n {
                return Err(format!(
                    "{label}: the value \"{s}\" is {} characters, longer than the column's {}",
                    s.chars().count(),
                    column.type_name
                ));
            }
        }
        if let Some(allowed) = &facts.values {
            if !allowed.iter().any(|a| a == s) {
                return Err(format!(
                    "{label}: the value \"{s}\" is not allowed by its CHECK constraint (allowed: {})",
                    allowed.join(", ")
                ));
            }
        }
        if let PgType::Enum(labels) = ty {
            if !labels.iter().any(|l| l == s) {
                return Err(format!(
                    "{label}: the value \"{s}\" is not a label of its enum type {} ({})",
                    column.type_name,
                    labels.join(", ")
                ));
            }
        }
        Ok(())
    };

    Ok(match def.kind {
        Kind::Array => {
            let PgType::Array {
                element: Some(element_ty),
                ..
            } = ty
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
                seed ^ 0x9e37_79b9_7f4a_7c15,
                &format!("{label} (element)"),
            )?;
            Gen::Array {
                element: Box::new(element),
                count,
                element_nulls,
            }
        }
        Kind::Null => {
            if column.not_null {
                return Err(format!(
                    "{label}: kind = \"null\" but the column is NOT NULL"
                ));
            }
            Gen::Null
        }
        Kind::Default => Gen::Null,
        Kind::Constant => {
            let v = def
                .value
                .as_ref()
                .ok_or_else(|| format!("{label}: kind = \"constant\" needs a value"))?;
            let v = toml_value(v);
            if let Value::Text(s) = &v {
                fits(s)?;
            }
            perm(1)?;
            Gen::Constant(v)
        }
        Kind::Sequence => {
            let start = def.start.unwrap_or(1);
            let step = def.step.unwrap_or(1);
            if step == 0 {
                return Err(format!("{label}: a sequence's step cannot be 0"));
            }
            let last = start as f64 + step as f64 * rows.saturating_sub(1) as f64;
            let limit = match ty {
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
            if let Some(n) = max_chars {
                let len = (last.abs() as u64).to_string().len();
                if len > n {
                    return Err(format!(
                        "{label}: the sequence reaches {last} ({len} characters), longer than the column's {}",
                        column.type_name
                    ));
                }
            }
            Gen::Sequence { start, step }
        }
        Kind::Int => {
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
            check_range(lo as f64, hi as f64)?;
            let type_max = match ty {
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
            if let Some(n) = max_chars {
                let len = lo.to_string().len().max(hi.to_string().len());
                if len > n {
                    return Err(format!(
                        "{label}: numbers up to {hi} are longer than the column's {}",
                        column.type_name
                    ));
                }
            }
            Gen::Int {
                min: lo,
                max: hi,
                dist: dist(lo as f64, hi as f64)?,
                unique: perm((hi as i128 - lo as i128 + 1) as u128)?,
            }
        }
        Kind::Float => {
            let lo = toml_f64(def.min.as_ref()).unwrap_or(facts.min.unwrap_or(0.0));
            let hi = toml_f64(def.max.as_ref()).unwrap_or(facts.max.unwrap_or(lo + 1000.0));
            if lo > hi {
                return Err(format!("{label}: min {lo} is greater than max {hi}"));
            }
            check_range(lo, hi)?;
            let decimals = def.decimals.unwrap_or(match ty {
                PgType::Numeric { scale: Some(s) } => *s,
                _ => 2,
            });
            if let Some((p, s)) = numeric_precision(&column.type_name) {
                let limit = 10f64.powi(p as i32 - s as i32);
                if hi.abs() >= limit || lo.abs() >= limit {
                    return Err(format!(
                        "{label}: its range {lo}..{hi} does not fit {}",
                        column.type_name
                    ));
                }
            }
            let n = ((hi - lo) * 10f64.powi(decimals as i32)).floor() as u128 + 1;
            Gen::Float {
                min: lo,
                max: hi,
                dist: dist(lo, hi)?,
                decimals,
                unique: perm(n)?,
            }
        }
        Kind::Bool => {
            perm(2)?;
            Gen::Bool {
                true_fraction: def.true_fraction.unwrap_or(0.5),
            }
        }
        Kind::Date | Kind::Timestamp => {
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
            if def.kind == Kind::Date || *ty == PgType::Date {
                let (lo, hi) = (
                    lo.div_euclid(values::US_PER_DAY),
                    hi.div_euclid(values::US_PER_DAY),
                );
                Gen::Date {
                    min: lo,
                    max: hi,
                    unique: perm((hi - lo + 1) as u128)?,
                    dist: match (def.distribution, def.order) {
                        (Distribution::Histogram, _) | (_, Some(_)) => {
                            dist_in(lo as f64, hi as f64, values::US_PER_DAY as f64)?
                        }
                        _ => Dist::Uniform,
                    },
                }
            } else {
                Gen::Timestamp {
                    min: lo,
                    max: hi,
                    unique: perm((hi - lo + 1) as u128)?,
                    dist: match (def.distribution, def.order) {
                        (Distribution::Histogram, _) | (_, Some(_)) => dist(lo as f64, hi as f64)?,
                        _ => Dist::Uniform,
                    },
                }
            }
        }
        Kind::Choice => {
            let values = def
                .values
                .as_ref()
                .filter(|v| !v.is_empty())
                .ok_or_else(|| {
                    format!("{label}: kind = \"choice\" needs a non-empty values list")
                })?;
            let values: Vec<Value> = values.iter().map(toml_value).collect();
            for v in &values {
                if let Value::Text(s) = v {
                    fits(s)?;
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
            Gen::Choice {
                unique: perm(values.len() as u128)?,
                values,
                cumulative,
            }
        }
        Kind::Uuid => {
            if let Some(n) = max_chars {
                if n < 36 {
                    return Err(format!(
                        "{label}: a uuid is 36 characters, longer than the column's {}",
                        column.type_name
                    ));
                }
            }
            Gen::Uuid
        }
        Kind::Ip | Kind::Ipv6 => {
            let v6 = def.kind == Kind::Ipv6;
            if let Some(n) = max_chars {
                let need = if v6 { 39 } else { 15 };
                if n < need {
                    return Err(format!(
                        "{label}: an IP address can be {need} characters, longer than the column's {}",
                        column.type_name
                    ));
                }
            }
            Gen::Ip {
                v6,
                unique: perm(if v6 { u64::MAX as u128 } else { 1u128 << 32 })?,
            }
        }
        Kind::Object => {
            let mut fields = Vec::new();
            for (name, f) in def.fields.iter().flatten() {
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
                let sub_seed = hash_name(seed, name);
                let mut no_unique = f.clone();
                no_unique.unique = false;
                let gen = compile(
                    ctx,
                    table,
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
            if !matches!(ty, PgType::Json | PgType::Jsonb | PgType::Text { .. }) {
                return Err(format!(
                    "{label}: kind = \"object\" builds JSON, which cannot be written to a column of type {}",
                    column.type_name
                ));
            }
            // The generator writes the fields in this order: jsonb's own key order (shorter
            // keys first, then bytewise), so the server's sort of each object's keys finds
            // them sorted already (PostgreSQL's qsort checks that first) instead of sorting.
            fields.sort_by(|a, b| {
                (a.name.len(), a.name.as_bytes()).cmp(&(b.name.len(), b.name.as_bytes()))
            });
            Gen::Object(fields)
        }
        Kind::Reference => {
            let parent_name = def
                .table
                .as_ref()
                .ok_or_else(|| format!("{label}: kind = \"reference\" needs table = \"...\""))?;
            let parent_key = table_key(parent_name);
            let Some(parent) = ctx.catalog.tables.get(&parent_key) else {
                return Err(format!(
                    "{label}: it references table \"{parent_name}\", which does not exist"
                ));
            };
            let parent_column = match &def.column {
                Some(c) => c.clone(),
                None if parent.primary_key.len() == 1 => parent.primary_key[0].clone(),
                None => {
                    return Err(format!(
                        "{label}: {parent_name} has no single-column primary key; name the column with column = \"...\""
                    ))
                }
            };
            if parent.column(&parent_column).is_none() {
                return Err(format!(
                    "{label}: it references column \"{parent_name}.{parent_column}\", which does not exist"
                ));
            }
            let key_source = ctx.key_source;
            let source = key_source(
                ctx,
                &parent_key,
                std::slice::from_ref(&parent_column),
                label,
            )?
            .ok_or_else(|| {
                format!("{label}: it references {parent_name}, which has no rows and is not seeded")
            })?;
            if source.is_empty() && column.not_null {
                return Err(format!(
                    "{label}: it references {parent_name}, which gets no rows"
                ));
            }
            let n = source.len();
            let pick = if def.unique {
                if rows > n {
                    return Err(format!(
                        "{label}: it is unique but {parent_name} gets only {n} rows for {rows} rows"
                    ));
                }
                Pick::Permuted(Permutation::new(n, seed))
            } else {
                match def.skew.unwrap_or(def.distribution) {
                    Distribution::Zipf => Pick::Zipf(
                        rand_distr::Zipf::new(n.max(1) as f64, def.exponent.unwrap_or(1.1))
                            .map_err(|e| format!("{label}: the zipf skew is invalid: {e}"))?,
                    ),
                    _ => Pick::Uniform,
                }
            };
            Gen::Reference {
                seed: hash_name(seed, "reference"),
                parent: source,
                column: 0,
                pick,
            }
        }
        fake_kind => {
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
            Gen::Fake {
                kind,
                count,
                unique: def.unique,
                max_chars,
            }
        }
    })
}
