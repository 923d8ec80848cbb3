//! `rehearse profile --compare FILE`: how closely a database's shape follows a profile, column by
//! column, within the tolerances a seeded twin is held to. Pure: it compares two definitions,
//! the file's and the one the live database's statistics give now.

use crate::seed::definition::{ColumnDef, DatasetFile, Kind};

/// Rows within this fraction of the profile's (after `--scale`).
pub const ROWS: f64 = 0.05;
/// NULL fractions within this much.
pub const NULLS: f64 = 0.02;
/// Distinct counts (a choice's values) within this fraction.
pub const DISTINCT: f64 = 0.2;
/// Each of the most common values' weights within this much.
pub const WEIGHTS: f64 = 0.03;

/// One comparison: what was compared, the two values as text, and whether they agree.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub object: String,
    pub what: &'static str,
    pub expected: String,
    pub actual: String,
    pub ok: bool,
}

impl Check {
    pub fn line(&self) -> String {
        format!(
            "{} {} {}: {} (profile {})",
            if self.ok { "ok  " } else { "FAIL" },
            self.object,
            self.what,
            self.actual,
            self.expected
        )
    }
}

/// Compares `actual` (the database now) with `expected` (the file), the file's rows multiplied
/// by `scale`.
pub fn compare(expected: &DatasetFile, actual: &DatasetFile, scale: f64) -> Vec<Check> {
    let mut checks = Vec::new();
    for (name, want) in &expected.tables {
        let Some(have) = actual.tables.get(name) else {
            checks.push(Check {
                object: name.clone(),
                what: "table",
                expected: "present".into(),
                actual: "missing".into(),
                ok: false,
            });
            continue;
        };
        if let (Some(w), Some(h)) = (want.rows, have.rows) {
            let w = w as f64 * scale;
            checks.push(Check {
                object: name.clone(),
                what: "rows",
                expected: format!("{w:.0}"),
                actual: h.to_string(),
                ok: (h as f64 - w).abs() <= ROWS * w.max(1.0),
            });
        }
        for (column, w) in &want.columns {
            let object = format!("{name}.{column}");
            let Some(h) = have.columns.get(column) else {
                continue;
            };
            checks.extend(compare_column(&object, w, h));
        }
    }
    checks
}

fn compare_column(object: &str, want: &ColumnDef, have: &ColumnDef) -> Vec<Check> {
    let check = |what, expected: String, actual: String, ok| Check {
        object: object.to_string(),
        what,
        expected,
        actual,
        ok,
    };
    let mut out = vec![check(
        "NULL fraction",
        format!("{:.3}", want.nulls),
        format!("{:.3}", have.nulls),
        (want.nulls - have.nulls).abs() <= NULLS,
    )];
    if want.unique || have.unique {
        out.push(check(
            "unique",
            want.unique.to_string(),
            have.unique.to_string(),
            want.unique == have.unique,
        ));
    }
    if want.kind == Kind::Choice && have.kind == Kind::Choice {
        let count = |d: &ColumnDef| d.values.as_ref().map_or(0, Vec::len) as f64;
        let (w, h) = (count(want), count(have));
        out.push(check(
            "distinct values",
            format!("{w:.0}"),
            format!("{h:.0}"),
            (h - w).abs() <= DISTINCT * w.max(1.0),
        ));
        let sorted = |d: &ColumnDef| {
            let mut v = d.weights.clone().unwrap_or_default();
            v.sort_by(|a, b| b.total_cmp(a));
            v.truncate(10);
            v
        };
        let (w, h) = (sorted(want), sorted(have));
        let show = |v: &[f64]| {
            v.iter()
                .take(5)
                .map(|x| format!("{x:.3}"))
                .collect::<Vec<_>>()
                .join("/")
        };
        out.push(check(
            "most common weights",
            show(&w),
            show(&h),
            w.iter().zip(&h).all(|(a, b)| (a - b).abs() <= WEIGHTS),
        ));
    } else if want.kind == Kind::Reference && have.kind == Kind::Reference {
        let (w, h) = (want.exponent.unwrap_or(0.0), have.exponent.unwrap_or(0.0));
        out.push(check(
            "zipf exponent",
            format!("{w:.2}"),
            format!("{h:.2}"),
            (h - w).abs() <= 0.25 * w.max(0.1),
        ));
    } else if want.kind != have.kind {
        out.push(check(
            "kind",
            format!("{:?}", want.kind),
            format!("{:?}", have.kind),
            false,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> DatasetFile {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn a_twin_within_tolerance_passes_and_a_drifted_one_says_where() {
        let profile = file(
            "[tables.\"public.orders\"]\nrows = 1000\n[tables.\"public.orders\".columns]\n\
             status = { kind = \"choice\", values = [\"a\", \"b\"], weights = [0.7, 0.3] }\n\
             note = { kind = \"words\", nulls = 0.3 }\n",
        );
        let twin = file(
            "[tables.\"public.orders\"]\nrows = 102\n[tables.\"public.orders\".columns]\n\
             status = { kind = \"choice\", values = [\"x\", \"y\"], weights = [0.31, 0.69] }\n\
             note = { kind = \"words\", nulls = 0.29 }\n",
        );
        let checks = compare(&profile, &twin, 0.1);
        assert!(checks.iter().all(|c| c.ok), "{checks:#?}");
        let drifted = file(
            "[tables.\"public.orders\"]\nrows = 150\n[tables.\"public.orders\".columns]\n\
             status = { kind = \"choice\", values = [\"x\", \"y\"], weights = [0.5, 0.5] }\n\
             note = { kind = \"words\", nulls = 0.1 }\n",
        );
        let failed: Vec<String> = compare(&profile, &drifted, 0.1)
            .iter()
            .filter(|c| !c.ok)
            .map(|c| format!("{} {}", c.object, c.what))
            .collect();
        assert_eq!(
            failed,
            [
                "public.orders rows",
                "public.orders.note NULL fraction",
                "public.orders.status most common weights"
            ]
        );
    }
}
