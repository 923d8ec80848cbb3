//! A generator for a column nobody defined, from its type, its name and its constraints (the
//! inference of data-generators/README). Pure: the catalog's column in, a definition out; it
//! never looks at rows.

use super::catalog::is_unique_alone;
use super::catalog::{numeric_precision, Column, Table};
use super::check_facts::facts_for;
use super::definition::toml_f64;
use super::definition::{ColumnDef, Kind};
use super::values::PgType;
use std::collections::BTreeMap;

/// A generator for a column nobody defined, from its type, name and constraints.
pub fn infer(table: &Table, column: &Column, ty: &PgType) -> ColumnDef {
    let name = column.name.to_ascii_lowercase();
    let facts = facts_for(table, &column.name);
    let unique = is_unique_alone(table, &column.name)
        || table.unique.iter().any(|u| {
            u.len() > 1
                && u.iter()
                    .find(|c| !table.foreign_keys.iter().any(|f| f.columns.contains(c)))
                    == Some(&column.name)
        });
    let mut def = ColumnDef::of(Kind::Words);
    def.unique = unique;
    let has = |words: &[&str]| {
        words.iter().any(|w| {
            name == *w || name.ends_with(&format!("_{w}")) || name.starts_with(&format!("{w}_"))
        })
    };

    if let Some(values) = &facts.values {
        def.kind = Kind::Choice;
        // Typed as the column is: `CHECK (id = 1)` on an int column allows the integer 1.
        def.values = Some(
            values
                .iter()
                .map(|v| match ty {
                    _ if ty.is_integer() => v
                        .parse::<i64>()
                        .map(toml::Value::Integer)
                        .unwrap_or_else(|_| toml::Value::String(v.clone())),
                    PgType::Float4 | PgType::Float8 | PgType::Numeric { .. } => v
                        .parse::<f64>()
                        .map(toml::Value::Float)
                        .unwrap_or_else(|_| toml::Value::String(v.clone())),
                    _ => toml::Value::String(v.clone()),
                })
                .collect(),
        );
    } else if column.sequence.is_some() && ty.is_integer() {
        def.kind = Kind::Sequence;
        def.unique = false;
    } else {
        match ty {
            PgType::Int2 | PgType::Int4 | PgType::Int8 => {
                def.kind = Kind::Int;
                let (lo, hi) = if has(&["quantity", "qty"]) {
                    (1, 10)
                } else if has(&["age"]) {
                    (18, 90)
                } else if has(&["year"]) {
                    (1990, 2030)
                } else if has(&["rating", "stars", "score"]) {
                    (1, 5)
                } else if has(&["count", "total", "amount", "cents", "price"]) {
                    (0, 10_000)
                } else {
                    match ty {
                        PgType::Int2 => (0, 1000),
                        PgType::Int4 => (0, 1_000_000),
                        _ => (0, 1_000_000_000),
                    }
                };
                def.min = Some(toml::Value::Integer(lo));
                def.max = Some(toml::Value::Integer(hi));
                if unique {
                    def.min = Some(toml::Value::Integer(1));
                    def.max = Some(toml::Value::Integer(match ty {
                        PgType::Int2 => i16::MAX as i64,
                        PgType::Int4 => i32::MAX as i64,
                        _ => i64::MAX / 2,
                    }));
                }
            }
            PgType::Float4 | PgType::Float8 | PgType::Numeric { .. } => {
                def.kind = Kind::Float;
                let scale = match ty {
                    PgType::Numeric { scale } => scale.unwrap_or(2),
                    _ => 2,
                };
                let limit = numeric_precision(&column.type_name)
                    .map(|(p, s)| 10f64.powi(p.saturating_sub(s) as i32) - 10f64.powi(-(s as i32)))
                    .unwrap_or(1e6);
                let hi: f64 = if has(&["price", "amount", "total", "cost", "balance", "fee"]) {
                    1000.0
                } else if has(&["rate", "ratio", "percent", "pct"]) {
                    1.0
                } else {
                    10_000.0
                };
                def.min = Some(toml::Value::Float(0.0));
                def.max = Some(toml::Value::Float(hi.min(limit)));
                def.decimals = Some(scale.min(6));
            }
            PgType::Bool => def.kind = Kind::Bool,
            PgType::Date => {
                def.kind = Kind::Date;
                let (lo, hi) = if has(&["birth", "dob", "birthday", "born"]) {
                    ("1950-01-01", "2006-12-31")
                } else {
                    ("2020-01-01", "2025-12-31")
                };
                def.min = Some(toml::Value::String(lo.into()));
                def.max = Some(toml::Value::String(hi.into()));
            }
            PgType::Timestamp | PgType::Timestamptz | PgType::Time => {
                def.kind = Kind::Timestamp;
                def.min = Some(toml::Value::String("2020-01-01".into()));
                def.max = Some(toml::Value::String("2025-12-31T23:59:59Z".into()));
            }
            PgType::Interval => {
                def.kind = Kind::Int;
                def.min = Some(toml::Value::Integer(0));
                def.max = Some(toml::Value::Integer(86_400));
            }
            PgType::Uuid => def.kind = Kind::Uuid,
            PgType::Inet => def.kind = Kind::Ip,
            PgType::Enum(labels) => {
                def.kind = Kind::Choice;
                def.values = Some(
                    labels
                        .iter()
                        .map(|l| toml::Value::String(l.clone()))
                        .collect(),
                );
            }
            PgType::Json | PgType::Jsonb => {
                def.kind = Kind::Object;
                let mut fields = BTreeMap::new();
                let mut source = ColumnDef::of(Kind::Choice);
                source.values = Some(
                    ["web", "ios", "android", "api"]
                        .iter()
                        .map(|s| toml::Value::String(s.to_string()))
                        .collect(),
                );
                fields.insert("source".to_string(), source);
                let mut n = ColumnDef::of(Kind::Int);
                n.min = Some(toml::Value::Integer(0));
                n.max = Some(toml::Value::Integer(1000));
                fields.insert("value".to_string(), n);
                let mut w = ColumnDef::of(Kind::Words);
                w.count = Some([1, 4]);
                fields.insert("note".to_string(), w);
                def.fields = Some(fields);
            }
            // Elements are inferred from the element type and the column's name at compile time.
            PgType::Array {
                element: Some(_), ..
            } => {
                def.kind = Kind::Array;
                def.count = Some([0, 4]);
            }
            PgType::Array { element: None, .. } => def.kind = Kind::Null,
            PgType::Text { max_chars } => {
                let short = max_chars.is_some_and(|n| n <= 3);
                def.kind = if has(&["email", "mail"]) {
                    Kind::Email
                } else if has(&["first_name", "firstname", "given_name"]) {
                    Kind::FirstName
                } else if has(&["last_name", "lastname", "surname", "family_name"]) {
                    Kind::LastName
                } else if has(&["username", "login", "handle", "nickname"]) {
                    Kind::Username
                } else if has(&["phone", "mobile", "tel", "telephone"]) {
                    Kind::Phone
                } else if has(&["country"]) && short || has(&["country_code", "locale"]) {
                    Kind::CountryCode
                } else if has(&["country"]) {
                    Kind::Country
                } else if has(&["city", "town"]) {
                    Kind::City
                } else if has(&["street", "address", "address1", "line1"]) {
                    Kind::Street
                } else if has(&["company", "organization", "organisation", "employer"]) {
                    Kind::Company
                } else if has(&["url", "website", "homepage", "link"]) {
                    Kind::Url
                } else if has(&["ip", "ip_address"]) {
                    Kind::Ip
                } else if has(&["name", "full_name", "display_name", "fullname"]) {
                    if table.name.contains("account")
                        || table.name.contains("compan")
                        || table.name.contains("org")
                    {
                        Kind::Company
                    } else {
                        Kind::Name
                    }
                } else if has(&["title", "subject", "headline", "summary"]) {
                    def.count = Some([3, 8]);
                    Kind::Sentence
                } else if has(&[
                    "description",
                    "body",
                    "content",
                    "comment",
                    "bio",
                    "notes",
                    "note",
                    "text",
                    "message",
                ]) {
                    def.count = Some([2, 5]);
                    Kind::Sentences
                } else if has(&[
                    "status", "state", "kind", "type", "category", "plan", "role", "tier",
                ]) {
                    def.values = Some(
                        ["active", "pending", "inactive"]
                            .iter()
                            .map(|s| toml::Value::String(s.to_string()))
                            .collect(),
                    );
                    def.weights = Some(vec![80.0, 15.0, 5.0]);
                    Kind::Choice
                } else if has(&["currency"]) {
                    def.values = Some(
                        ["USD", "EUR", "GBP"]
                            .iter()
                            .map(|s| toml::Value::String(s.to_string()))
                            .collect(),
                    );
                    Kind::Choice
                } else if has(&[
                    "token",
                    "hash",
                    "key",
                    "code",
                    "slug",
                    "sku",
                    "reference",
                    "external_id",
                ]) {
                    Kind::Uuid
                } else {
                    def.count = Some([1, 3]);
                    Kind::Words
                };
                if unique && def.kind == Kind::Choice {
                    def.kind = Kind::Words;
                    def.values = None;
                    def.weights = None;
                }
                if let (Some(n), Kind::Uuid) = (max_chars, def.kind) {
                    if *n < 36 {
                        def.kind = Kind::Word;
                    }
                }
            }
            PgType::Bytea => def.kind = Kind::Words,
        }
    }

    // CHECK bounds narrow numeric ranges.
    if matches!(def.kind, Kind::Int | Kind::Float) {
        let int = def.kind == Kind::Int;
        let step = if int {
            1.0
        } else {
            10f64.powi(-(def.decimals.unwrap_or(2) as i32))
        };
        let mut lo = toml_f64(def.min.as_ref()).unwrap_or(0.0);
        let mut hi = toml_f64(def.max.as_ref()).unwrap_or(1e6);
        if let Some(m) = facts.min {
            let m = if facts.min_exclusive { m + step } else { m };
            lo = m;
            if hi < lo {
                hi = lo + 1000.0 * step;
            }
        }
        if let Some(m) = facts.max {
            let m = if facts.max_exclusive { m - step } else { m };
            hi = m;
            if lo > hi {
                lo = (hi - 1000.0 * step).max(facts.min.unwrap_or(f64::MIN));
            }
        }
        def.min = Some(if int {
            toml::Value::Integer(lo.ceil() as i64)
        } else {
            toml::Value::Float(lo)
        });
        def.max = Some(if int {
            toml::Value::Integer(hi.floor() as i64)
        } else {
            toml::Value::Float(hi)
        });
    }

    if !column.not_null && !def.unique && def.kind != Kind::Sequence {
        def.nulls = if has(&[
            "deleted_at",
            "archived_at",
            "cancelled_at",
            "canceled_at",
            "deleted",
            "archived",
        ]) {
            0.9
        } else {
            0.05
        };
    }
    def
}
