//! A generator for a column nobody defined, from its type, its name and its constraints (the
//! inference of data-generators/README). Pure: the catalog's column in, a definition out; it
//! never looks at rows.

use super::catalog::is_unique_alone;
use super::catalog::{numeric_precision, Column, Table};
use super::check_facts::{facts_for, CheckFacts};
use super::definition::toml_f64;
use super::definition::{ColumnDef, Kind};
use super::values::PgType;
use std::collections::BTreeMap;

/// A generator for a column nobody defined, from its type, name and constraints.
///
/// The steps run in this order, each later one overriding what an earlier one set: CHECK
/// values, else a sequence, else the type (then the name within the type, then uniqueness);
/// then CHECK bounds; then nulls.
pub fn infer(table: &Table, column: &Column, ty: &PgType) -> ColumnDef {
    let name = column.name.to_ascii_lowercase();
    let facts = facts_for(table, &column.name);
    let unique = must_be_distinct(table, column);
    let mut def = ColumnDef::of(Kind::Words);
    def.unique = unique;

    if let Some(values) = &facts.values {
        def.kind = Kind::Choice;
        def.values = Some(check_values(values, ty));
    } else if column.sequence.is_some() && ty.is_integer() {
        def.kind = Kind::Sequence;
        def.unique = false;
    } else {
        by_type(&mut def, table, column, ty, &name);
        for_uniqueness(&mut def, ty, unique);
        fit_text_length(&mut def, ty);
    }
    narrow_to_check_bounds(&mut def, &facts);
    nulls(&mut def, column, &name);
    def
}

/// Whether the column must get distinct values: unique alone, or the first column outside
/// every foreign key of a unique key over several columns.
fn must_be_distinct(table: &Table, column: &Column) -> bool {
    is_unique_alone(table, &column.name)
        || table.unique.iter().any(|u| {
            u.len() > 1
                && u.iter()
                    .find(|c| !table.foreign_keys.iter().any(|f| f.columns.contains(c)))
                    == Some(&column.name)
        })
}

/// Whether the (lowercased) column name is one of `words`, or starts or ends with one as a
/// `_`-separated part.
fn has(name: &str, words: &[&str]) -> bool {
    words.iter().any(|w| {
        name == *w || name.ends_with(&format!("_{w}")) || name.starts_with(&format!("{w}_"))
    })
}

/// The values a CHECK allows, typed as the column is: `CHECK (id = 1)` on an int column allows
/// the integer 1.
fn check_values(values: &[String], ty: &PgType) -> Vec<toml::Value> {
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
        .collect()
}

/// The kind (and its range or values) the column's type decides, refined by its name.
fn by_type(def: &mut ColumnDef, table: &Table, column: &Column, ty: &PgType, name: &str) {
    match ty {
        PgType::Int2 | PgType::Int4 | PgType::Int8 => integer(def, ty, name),
        PgType::Float4 | PgType::Float8 | PgType::Numeric { .. } => float(def, column, ty, name),
        PgType::Bool => def.kind = Kind::Bool,
        PgType::Date | PgType::Timestamp | PgType::Timestamptz | PgType::Time => {
            date_or_time(def, ty, name)
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
        PgType::Json | PgType::Jsonb => object(def),
        // Elements are inferred from the element type and the column's name at compile time.
        PgType::Array {
            element: Some(_), ..
        } => {
            def.kind = Kind::Array;
            def.count = Some([0, 4]);
        }
        PgType::Array { element: None, .. } => def.kind = Kind::Null,
        // Ranges that never overlap from row to row, in recent years for dates and times.
        PgType::Range { .. } | PgType::Multirange { .. } => def.kind = Kind::Range,
        PgType::Text { max_chars } => text(def, table, name, *max_chars),
        PgType::Bytea => def.kind = Kind::Words,
    }
}

/// An integer's range: from what the name counts (quantity, age, year, rating, amount), else
/// the type's width.
fn integer(def: &mut ColumnDef, ty: &PgType, name: &str) {
    def.kind = Kind::Int;
    let (lo, hi) = if has(name, &["quantity", "qty"]) {
        (1, 10)
    } else if has(name, &["age"]) {
        (18, 90)
    } else if has(name, &["year"]) {
        (1990, 2030)
    } else if has(name, &["rating", "stars", "score"]) {
        (1, 5)
    } else if has(name, &["count", "total", "amount", "cents", "price"]) {
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
}

/// A decimal's range and decimals: from what the name measures (money, a rate), capped by the
/// column's numeric precision.
fn float(def: &mut ColumnDef, column: &Column, ty: &PgType, name: &str) {
    def.kind = Kind::Float;
    let scale = match ty {
        PgType::Numeric { scale } => scale.unwrap_or(2),
        _ => 2,
    };
    let limit = numeric_precision(&column.type_name)
        .map(|(p, s)| 10f64.powi(p.saturating_sub(s) as i32) - 10f64.powi(-(s as i32)))
        .unwrap_or(1e6);
    let hi: f64 = if has(
        name,
        &["price", "amount", "total", "cost", "balance", "fee"],
    ) {
        1000.0
    } else if has(name, &["rate", "ratio", "percent", "pct"]) {
        1.0
    } else {
        10_000.0
    };
    def.min = Some(toml::Value::Float(0.0));
    def.max = Some(toml::Value::Float(hi.min(limit)));
    def.decimals = Some(scale.min(6));
}

/// A date's or time's range: birth dates in the past century's second half, anything else in
/// recent years.
fn date_or_time(def: &mut ColumnDef, ty: &PgType, name: &str) {
    if let PgType::Date = ty {
        def.kind = Kind::Date;
        let (lo, hi) = if has(name, &["birth", "dob", "birthday", "born"]) {
            ("1950-01-01", "2006-12-31")
        } else {
            ("2020-01-01", "2025-12-31")
        };
        def.min = Some(toml::Value::String(lo.into()));
        def.max = Some(toml::Value::String(hi.into()));
    } else {
        def.kind = Kind::Timestamp;
        def.min = Some(toml::Value::String("2020-01-01".into()));
        def.max = Some(toml::Value::String("2025-12-31T23:59:59Z".into()));
    }
}

/// A JSON document's shape: an object with a source, a value and a note.
fn object(def: &mut ColumnDef) {
    def.kind = Kind::Object;
    let mut fields = BTreeMap::new();
    let mut source = ColumnDef::of(Kind::Choice);
    source.values = Some(strings(&["web", "ios", "android", "api"]));
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

/// A text's kind from its name: a person or place, else prose, a status or an identifier.
fn text(def: &mut ColumnDef, table: &Table, name: &str, max_chars: Option<usize>) {
    let short = max_chars.is_some_and(|n| n <= 3);
    def.kind = match person_or_place(name, short) {
        Some(kind) => kind,
        None => prose_status_or_key(def, table, name),
    };
}

/// The fake kind a name asks for when it names a person, a contact or a place (an email, a
/// first name, a phone, a country, a city, a company, a URL, an IP); None otherwise.
fn person_or_place(name: &str, short: bool) -> Option<Kind> {
    let has = |words: &[&str]| has(name, words);
    Some(if has(&["email", "mail"]) {
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
    } else {
        return None;
    })
}

/// The kind of any other text: a name (a company's in an account or organisation table), a
/// title, prose, a status or currency choice, a key-like identifier, else a few words.
fn prose_status_or_key(def: &mut ColumnDef, table: &Table, name: &str) -> Kind {
    let has = |words: &[&str]| has(name, words);
    if has(&["name", "full_name", "display_name", "fullname"]) {
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
        def.values = Some(strings(&["active", "pending", "inactive"]));
        def.weights = Some(vec![80.0, 15.0, 5.0]);
        Kind::Choice
    } else if has(&["currency"]) {
        def.values = Some(strings(&["USD", "EUR", "GBP"]));
        Kind::Choice
    } else if has(&[
        "token",
        "hash",
        "key",
        // An identifier (`space_uid`): production's are distinct, and a later migration that
        // copies them into a unique index (or adds one) relies on it.
        "uid",
        "identifier",
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
    }
}

/// What a distinct column needs instead: an integer gets its type's whole positive range, a
/// text choice (too few values to be distinct) becomes words.
fn for_uniqueness(def: &mut ColumnDef, ty: &PgType, unique: bool) {
    if !unique {
        return;
    }
    match ty {
        PgType::Int2 | PgType::Int4 | PgType::Int8 => {
            def.min = Some(toml::Value::Integer(1));
            def.max = Some(toml::Value::Integer(match ty {
                PgType::Int2 => i16::MAX as i64,
                PgType::Int4 => i32::MAX as i64,
                _ => i64::MAX / 2,
            }));
        }
        PgType::Text { .. } if def.kind == Kind::Choice => {
            def.kind = Kind::Words;
            def.values = None;
            def.weights = None;
        }
        _ => {}
    }
}

/// A key-like text too short for a UUID (under 36 characters) gets one word instead.
fn fit_text_length(def: &mut ColumnDef, ty: &PgType) {
    if let (PgType::Text { max_chars: Some(n) }, Kind::Uuid) = (ty, def.kind) {
        if *n < 36 {
            def.kind = Kind::Word;
        }
    }
}

/// A number's range narrowed to the column's CHECK bounds (an exclusive bound moved by one
/// step), the other end moved along when the bound passes it.
fn narrow_to_check_bounds(def: &mut ColumnDef, facts: &CheckFacts) {
    if !matches!(def.kind, Kind::Int | Kind::Float) {
        return;
    }
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

/// The share of NULLs in a nullable, non-distinct, non-sequence column: most rows for a
/// soft-delete marker, a few otherwise.
fn nulls(def: &mut ColumnDef, column: &Column, name: &str) {
    if !column.not_null && !def.unique && def.kind != Kind::Sequence {
        def.nulls = if has(
            name,
            &[
                "deleted_at",
                "archived_at",
                "cancelled_at",
                "canceled_at",
                "deleted",
                "archived",
            ],
        ) {
            0.9
        } else {
            0.05
        };
    }
}

/// Strings as TOML values.
fn strings(words: &[&str]) -> Vec<toml::Value> {
    words
        .iter()
        .map(|s| toml::Value::String(s.to_string()))
        .collect()
}
