//! Dataset definitions as users write them: `data-generators/<name>.toml` files and the
//! `[dataset]` section of a scenario, found beside the scenario, read, and their numbers checked
//! with the line they sit on. It reads definition files but never knows about the database:
//! what a definition means for a column is decided when the plan compiles it.

use super::values::{self, Value};
use crate::toml_lines::{Step, TomlLines};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A dataset definition file (`data-generators/<name>.toml`), or the inline tables of a
/// scenario's `[dataset]` section.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetFile {
    /// Rows for tables the file does not define (inferred), before `scale`.
    pub default_rows: Option<u64>,
    /// Tables by name (`accounts` or `schema.accounts`).
    #[serde(default)]
    pub tables: BTreeMap<String, TableDef>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableDef {
    /// Rows at scale 1.
    pub rows: Option<u64>,
    /// Rows the table has in production, when fewer are seeded: hazards are judged at this
    /// size and `--predict` extrapolates to it. Never seeded.
    pub production_rows: Option<u64>,
    /// Leave this table alone: no rows are generated for it.
    #[serde(default)]
    pub skip: bool,
    /// Columns by name; columns left out are inferred from the catalog.
    #[serde(default)]
    pub columns: BTreeMap<String, ColumnDef>,
}

/// How a skew is applied to picks (numbers with `distribution`, references with `skew`).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Distribution {
    #[default]
    Uniform,
    Normal,
    Zipf,
    /// Equally frequent buckets between `bounds` (as `pg_stats.histogram_bounds` gives them):
    /// a bucket at random, then a value uniformly within it.
    Histogram,
}

/// The order of a column's values along the rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    Ascending,
    Descending,
}

/// The generator kinds a column can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    // fake-backed text
    Name,
    FirstName,
    LastName,
    Email,
    Phone,
    Street,
    City,
    Country,
    CountryCode,
    Company,
    Username,
    Url,
    Ip,
    Ipv6,
    Uuid,
    Word,
    Words,
    Sentence,
    Sentences,
    Paragraph,
    Paragraphs,
    UserAgent,
    // numbers, time, choices
    Int,
    Float,
    Sequence,
    Date,
    Timestamp,
    Bool,
    Choice,
    Constant,
    // structure
    Object,
    /// A one-dimensional array of `element` values, `count` of them.
    Array,
    /// Ranges (or a multirange's ranges) that never overlap from one row to the next.
    Range,
    Reference,
    /// NULL in every row.
    Null,
    /// Leave the column out of the COPY so that its DEFAULT applies.
    Default,
}

/// One column's generator. Which fields apply depends on `kind`; validation says which are wrong.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnDef {
    pub kind: Kind,
    /// Lower bound: a number, or a date / timestamp string for `date` and `timestamp`.
    pub min: Option<toml::Value>,
    /// Upper bound (inclusive), same forms as `min`.
    pub max: Option<toml::Value>,
    #[serde(default)]
    pub distribution: Distribution,
    /// `normal`: mean and standard deviation (default: middle of the range, a sixth of it).
    pub mean: Option<f64>,
    pub std_dev: Option<f64>,
    /// `zipf` exponent (default 1.1).
    pub exponent: Option<f64>,
    /// `histogram`: ascending bucket bounds, each bucket as frequent as the others (numbers,
    /// or times as `min` and `max` take them for `timestamp`).
    pub bounds: Option<Vec<toml::Value>>,
    /// Values follow the rows' order (uniform or histogram numbers and times): row i of n gets
    /// the value at the distribution's quantile i/n, so the table is loaded in this column's
    /// order, as a table filled over time is (`pg_stats.correlation` near 1, or -1).
    pub order: Option<Order>,
    /// `float`: digits after the decimal point (default 2).
    pub decimals: Option<u32>,
    /// `choice`: the values; `weights` the same length (default equal).
    pub values: Option<Vec<toml::Value>>,
    pub weights: Option<Vec<f64>>,
    /// `bool`: the fraction of `true` (default 0.5).
    pub true_fraction: Option<f64>,
    /// `constant`: the value.
    pub value: Option<toml::Value>,
    /// `words`, `sentences`, `paragraphs`, `sentence`: how many, as `[min, max]`.
    pub count: Option<[usize; 2]>,
    /// `object`: jsonb fields built from other generators.
    pub fields: Option<BTreeMap<String, ColumnDef>>,
    /// `array`: the generator of each element (default: inferred from the element type and the
    /// column's name); its `nulls` is the fraction of NULL elements.
    pub element: Option<Box<ColumnDef>>,
    /// `range`: how long each range is, `[shortest, longest]`: numbers for a number range, days
    /// for a date range, seconds or a text such as `"2 hours"` for a timestamp range.
    pub length: Option<[toml::Value; 2]>,
    /// `reference`: the table and its key column (default its primary key).
    pub table: Option<String>,
    pub column: Option<String>,
    /// `reference`: how picks of parent rows are skewed (`uniform` or `zipf`).
    pub skew: Option<Distribution>,
    /// `sequence`: first value and step (default 1, 1).
    pub start: Option<i64>,
    pub step: Option<i64>,
    /// Fraction of rows that are NULL.
    #[serde(default)]
    pub nulls: f64,
    /// Every value distinct.
    #[serde(default)]
    pub unique: bool,
}

impl ColumnDef {
    pub fn of(kind: Kind) -> ColumnDef {
        ColumnDef {
            kind,
            min: None,
            max: None,
            distribution: Distribution::Uniform,
            mean: None,
            std_dev: None,
            exponent: None,
            bounds: None,
            order: None,
            decimals: None,
            values: None,
            weights: None,
            true_fraction: None,
            value: None,
            count: None,
            fields: None,
            element: None,
            length: None,
            table: None,
            column: None,
            skew: None,
            start: None,
            step: None,
            nulls: 0.0,
            unique: false,
        }
    }
}

/// The typed `[dataset]` section of a scenario.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetSection {
    /// A definition file: a name (`saas` → `data-generators/saas.toml`, looked up beside the
    /// scenario and in its parent folders) or a path relative to the scenario file.
    pub generators: Option<String>,
    /// Row multiplier; `--scale` overrides it.
    pub scale: Option<f64>,
    /// RNG seed; `--seed` overrides it.
    pub seed: Option<u64>,
    /// Rows for tables without a definition, before scale (default 1000).
    pub default_rows: Option<u64>,
    /// Whether tables without a definition are seeded from the catalog (default true).
    pub infer: Option<bool>,
    /// `false` seeds nothing at all, defined or not (`--no-seed`); default true.
    pub enabled: Option<bool>,
    /// Keep the seeded state as a template database so that a reset is a clone (default true).
    pub template: Option<bool>,
    /// Rehearse at several seeded sizes and predict each migration on production's declared
    /// rows (`--predict`); default false.
    pub predict: Option<bool>,
    /// Inline table definitions, merged over the file's (inline wins).
    #[serde(default)]
    pub tables: BTreeMap<String, TableDef>,
}

/// A definition file read from disk, remembered with its path for error messages.
#[derive(Debug, Clone)]
pub struct LoadedDefinitions {
    /// The file each table's definition came from (for messages).
    pub sources: BTreeMap<String, PathBuf>,
    pub tables: BTreeMap<String, TableDef>,
    pub default_rows: Option<u64>,
}

/// Finds `data-generators/<name>.toml` from `base` upwards, or resolves a relative path.
pub fn resolve_generators(base: &Path, reference: &str) -> Option<PathBuf> {
    if reference.ends_with(".toml") || reference.contains('/') {
        let p = base.join(reference);
        return p.is_file().then_some(p);
    }
    let mut dir = Some(base);
    while let Some(d) = dir {
        let p = d.join("data-generators").join(format!("{reference}.toml"));
        if p.is_file() {
            return Some(p);
        }
        dir = d.parent();
    }
    let p = Path::new("data-generators").join(format!("{reference}.toml"));
    p.is_file().then_some(p)
}

/// Reads a definition file; the error is one sentence naming the file and line.
pub fn read_file(path: &Path) -> Result<DatasetFile, String> {
    let text = crate::input::read_text(path)
        .map_err(|e| format!("{} cannot be read: {e}", path.display()))?;
    toml::from_str(&text)
        .map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            format!(
                "{}{}: {}",
                path.display(),
                line.map(|l| format!(", line {l}")).unwrap_or_default(),
                crate::toml_lines::toml_message(e.message())
            )
        })
        .and_then(|file: DatasetFile| {
            let lines = TomlLines::new(&text);
            let at = |line: Option<usize>| {
                format!(
                    "{}{}",
                    path.display(),
                    line.map(|l| format!(", line {l}")).unwrap_or_default()
                )
            };
            if let Some((line, key)) = lines.first_non_finite() {
                return Err(format!("{}: {key} is not a finite number", at(Some(line))));
            }
            check_numbers(&file.tables, &["tables"], &lines)
                .map_err(|(line, message)| format!("{}: {message}", at(line)))?;
            Ok(file)
        })
}

/// Checks the numbers of every column generator (standard deviations, zipf exponents, fractions,
/// weights, counts) before anything starts; the error is (line, sentence). `prefix` is where the
/// tables sit in the file (`tables`, or `dataset.tables` in a scenario).
pub fn check_numbers(
    tables: &BTreeMap<String, TableDef>,
    prefix: &[&str],
    lines: &TomlLines,
) -> Result<(), (Option<usize>, String)> {
    for (table, def) in tables {
        check_production(table, def, prefix, lines)?;
        for (column, c) in &def.columns {
            let mut path: Vec<String> = prefix.iter().map(|s| s.to_string()).collect();
            path.extend([table.clone(), "columns".into(), column.clone()]);
            check_column(c, &format!("{table}.{column}"), &mut path, lines)?;
        }
    }
    Ok(())
}

/// `production_rows`: at least one, and no fewer than the rows seeded at scale 1 (it is the
/// size the seeded rows stand for).
fn check_production(
    table: &str,
    def: &TableDef,
    prefix: &[&str],
    lines: &TomlLines,
) -> Result<(), (Option<usize>, String)> {
    let Some(production) = def.production_rows else {
        return Ok(());
    };
    let mut at: Vec<Step> = prefix.iter().map(|s| Step::Key(s)).collect();
    at.extend([Step::Key(table), Step::Key("production_rows")]);
    let line = lines.line(&at).or_else(|| lines.line(&at[..at.len() - 1]));
    if production == 0 {
        return Err((
            line,
            format!("table {table}: production_rows = 0 must be at least 1 (leave it out when production's size is unknown)"),
        ));
    }
    if let Some(rows) = def.rows.filter(|rows| *rows > production) {
        return Err((
            line,
            format!("table {table}: production_rows = {production} is fewer than rows = {rows}; production_rows is the size the seeded rows stand for, so seed at most that many"),
        ));
    }
    Ok(())
}

fn check_column(
    c: &ColumnDef,
    label: &str,
    path: &mut Vec<String>,
    lines: &TomlLines,
) -> Result<(), (Option<usize>, String)> {
    let fail = |key: &str, message: String| {
        let mut at: Vec<Step> = path.iter().map(Step::from).collect();
        at.push(Step::Key(key));
        let line = lines.line(&at).or_else(|| lines.line(&at[..at.len() - 1]));
        Err((line, format!("column {label}: {message}")))
    };
    if !(0.0..=1.0).contains(&c.nulls) {
        return fail(
            "nulls",
            format!("nulls = {} must be between 0 and 1", c.nulls),
        );
    }
    if let Some(sd) = c.std_dev {
        if !(sd > 0.0 && sd.is_finite()) {
            return fail("std_dev", format!("std_dev = {sd} must be greater than 0"));
        }
    }
    if let Some(mean) = c.mean {
        if !mean.is_finite() {
            return fail("mean", format!("mean = {mean} is not a finite number"));
        }
    }
    if let Some(e) = c.exponent {
        if !(e > 0.0 && e <= 100.0) {
            return fail(
                "exponent",
                format!("exponent = {e} must be greater than 0 and at most 100 (zipf)"),
            );
        }
    }
    if let Some(f) = c.true_fraction {
        if !(0.0..=1.0).contains(&f) {
            return fail(
                "true_fraction",
                format!("true_fraction = {f} must be between 0 and 1"),
            );
        }
    }
    if let Some(w) = &c.weights {
        if w.iter().any(|x| !(*x >= 0.0 && x.is_finite())) || w.iter().sum::<f64>() <= 0.0 {
            return fail(
                "weights",
                "weights must be zero or more, and not all zero".into(),
            );
        }
    }
    if let (Some(values), Some(weights)) = (&c.values, &c.weights) {
        if values.len() != weights.len() {
            return fail(
                "weights",
                format!(
                    "{} for {}: give one weight per value",
                    crate::words::count(weights.len(), "weight"),
                    crate::words::count(values.len(), "value")
                ),
            );
        }
    }
    if matches!(c.kind, Kind::Date | Kind::Timestamp) {
        let mut times = [None, None];
        for (i, (key, value)) in [("min", &c.min), ("max", &c.max)].into_iter().enumerate() {
            match toml_time(value.as_ref()) {
                Some(Err(written)) => {
                    return fail(
                        key,
                        format!("{key} = \"{written}\" is not a date such as \"2024-01-31\" or \"2024-01-31T12:00:00Z\""),
                    )
                }
                Some(Ok(t)) => times[i] = Some(t),
                None => {}
            }
        }
        if let [Some(lo), Some(hi)] = times {
            if lo > hi {
                return fail("min", "min is after max".into());
            }
        }
    } else if let (Some(lo), Some(hi)) = (toml_f64(c.min.as_ref()), toml_f64(c.max.as_ref())) {
        if lo > hi {
            return fail("min", format!("min = {lo} is greater than max = {hi}"));
        }
    }
    if let Some(d) = c.decimals {
        if d > 1000 {
            return fail(
                "decimals",
                format!("decimals = {d} must be at most 1000 (numeric's largest scale)"),
            );
        }
    }
    if let Some([lo, hi]) = c.count {
        if lo > hi || hi > 10_000 {
            return fail(
                "count",
                format!("count = [{lo}, {hi}] must be [min, max] with min <= max <= 10000"),
            );
        }
    }
    for (key, value) in [("min", &c.min), ("max", &c.max)] {
        if let Some(toml::Value::Float(f)) = value {
            if !f.is_finite() {
                return fail(key, format!("{key} = {f} is not a finite number"));
            }
        }
    }
    if let Some(fields) = &c.fields {
        for (name, f) in fields {
            path.extend(["fields".to_string(), name.clone()]);
            check_column(f, &format!("{label}.{name}"), path, lines)?;
            path.truncate(path.len() - 2);
        }
    }
    if let Some(e) = &c.element {
        path.push("element".into());
        check_column(e, &format!("{label} (element)"), path, lines)?;
        path.pop();
    }
    Ok(())
}

/// The scenario's dataset section resolved: the file's tables with the inline ones over them.
pub fn load(
    section: &DatasetSection,
    scenario_file: Option<&Path>,
) -> Result<LoadedDefinitions, String> {
    let scenario_label = scenario_file
        .map(|p| p.to_path_buf())
        .unwrap_or_else(|| PathBuf::from("rehearse.toml"));
    let base = scenario_file
        .and_then(|p| p.parent())
        .unwrap_or(Path::new("."));
    let mut loaded = LoadedDefinitions {
        sources: BTreeMap::new(),
        tables: BTreeMap::new(),
        default_rows: section.default_rows,
    };
    if let Some(reference) = &section.generators {
        let path = resolve_generators(base, reference).ok_or_else(|| {
            format!(
                "{}: [dataset] generators = \"{reference}\" names no file (looked for {} and data-generators/{reference}.toml in its folder and the folders above)",
                scenario_label.display(),
                base.join(reference).display()
            )
        })?;
        let file = read_file(&path)?;
        if loaded.default_rows.is_none() {
            loaded.default_rows = file.default_rows;
        }
        for (name, table) in file.tables {
            loaded.sources.insert(name.clone(), path.clone());
            loaded.tables.insert(name, table);
        }
    }
    for (name, table) in &section.tables {
        loaded.sources.insert(name.clone(), scenario_label.clone());
        match loaded.tables.get_mut(name) {
            Some(existing) => {
                if table.rows.is_some() {
                    existing.rows = table.rows;
                }
                if table.production_rows.is_some() {
                    existing.production_rows = table.production_rows;
                }
                existing.skip |= table.skip;
                for (c, d) in &table.columns {
                    existing.columns.insert(c.clone(), d.clone());
                }
            }
            None => {
                loaded.tables.insert(name.clone(), table.clone());
            }
        }
    }
    Ok(loaded)
}

/// A definition's number (`min`, `max`, ...) as written, integer or float.
pub(super) fn toml_f64(v: Option<&toml::Value>) -> Option<f64> {
    match v? {
        toml::Value::Integer(i) => Some(*i as f64),
        toml::Value::Float(f) => Some(*f),
        _ => None,
    }
}

/// A definition's time (`min`, `max` of a date or timestamp) as written, a string or a TOML
/// datetime, in microseconds; the text as written when it is not a time, None when absent.
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

/// A definition's value (`value`, `values`) as written: a datetime becomes a timestamp, an array or
/// table JSON.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_definition_file_parses_columns_of_every_shape() {
        let text = r#"
            default_rows = 50
            [tables.accounts]
            rows = 100
            [tables.accounts.columns]
            name = { kind = "company", unique = true }
            plan = { kind = "choice", values = ["free", "pro"], weights = [9, 1] }
            score = { kind = "int", min = 0, max = 100, distribution = "zipf" }
            meta = { kind = "object", fields = { browser = { kind = "choice", values = ["a"] } } }
            [tables.users.columns]
            account_id = { kind = "reference", table = "accounts", skew = "zipf", nulls = 0.1 }
        "#;
        let file: DatasetFile = toml::from_str(text).unwrap();
        assert_eq!(file.default_rows, Some(50));
        let accounts = &file.tables["accounts"];
        assert_eq!(accounts.rows, Some(100));
        assert_eq!(accounts.columns["score"].distribution, Distribution::Zipf);
        assert!(accounts.columns["meta"].fields.as_ref().unwrap()["browser"]
            .values
            .is_some());
        assert_eq!(file.tables["users"].columns["account_id"].nulls, 0.1);
    }

    #[test]
    fn a_misspelt_field_names_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.toml");
        std::fs::write(
            &path,
            "[tables.a.columns]\nb = { kind = \"int\", mn = 1 }\n",
        )
        .unwrap();
        let err = read_file(&path).unwrap_err();
        assert!(err.contains("x.toml, line 2"), "{err}");
        assert!(err.contains("mn"), "{err}");
    }
}
