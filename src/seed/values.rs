//! The values the seeder generates and the types it writes them to: `PgType`, `Value`, and the
//! calendar, timestamp and uuid text forms they are printed in and parsed from (a date is days
//! since 1970-01-01, a timestamp microseconds since then, UTC).
//!
//! Pure: no encoding to the wire (that is `seed::copy`), never talks to a database.

use std::net::IpAddr;

/// Microseconds and days between 1970-01-01 and PostgreSQL's epoch, 2000-01-01.
pub const PG_EPOCH_DAYS: i64 = 10_957;
pub const US_PER_DAY: i64 = 86_400_000_000;

/// A column's type as the encoder needs it.
#[derive(Debug, Clone, PartialEq)]
pub enum PgType {
    Int2,
    Int4,
    Int8,
    Float4,
    Float8,
    /// `numeric(p, s)`: digits after the point.
    Numeric {
        scale: Option<u32>,
    },
    /// text, varchar(n), char(n), name, citext: at most `max_chars` characters.
    Text {
        max_chars: Option<usize>,
    },
    Bool,
    Date,
    Timestamp,
    Timestamptz,
    Time,
    Interval,
    Uuid,
    Json,
    Jsonb,
    Inet,
    Bytea,
    /// An enum: its labels, in order.
    Enum(Vec<String>),
    /// A one-dimensional array; `element` is None for an element type the encoder cannot
    /// write (the array is then always empty).
    Array {
        element_oid: u32,
        element: Option<Box<PgType>>,
    },
    /// A range type (int4range, daterange, tstzrange, a user's range over one of those
    /// subtypes): its bounds are values of `subtype`.
    Range {
        subtype: Box<PgType>,
    },
    /// A multirange type (PostgreSQL 14+: datemultirange, ...): ranges over `subtype`.
    Multirange {
        subtype: Box<PgType>,
    },
}

impl PgType {
    pub fn is_text(&self) -> bool {
        matches!(self, PgType::Text { .. })
    }
    pub fn is_integer(&self) -> bool {
        matches!(self, PgType::Int2 | PgType::Int4 | PgType::Int8)
    }
}

/// One generated value, before encoding.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Float(f64),
    Bool(bool),
    Text(String),
    /// Days since 1970-01-01.
    Date(i64),
    /// Microseconds since 1970-01-01 UTC.
    Timestamp(i64),
    Uuid([u8; 16]),
    /// A JSON document, already serialised.
    Json(String),
    Ip(IpAddr),
    /// Elements of a one-dimensional array.
    Array(Vec<Value>),
    Range(Box<Range>),
    /// The ranges of a multirange, in order, none overlapping.
    Multirange(Vec<Range>),
}

/// One range value: `[lower, upper)` and the like; a bound of None is infinite.
#[derive(Debug, Clone, PartialEq)]
pub struct Range {
    pub lower: Option<Value>,
    pub upper: Option<Value>,
    pub lower_inclusive: bool,
    pub upper_inclusive: bool,
    pub empty: bool,
}

impl Range {
    /// `[lower, upper)`, the canonical form of a discrete range.
    pub fn half_open(lower: Value, upper: Value) -> Range {
        Range {
            lower: Some(lower),
            upper: Some(upper),
            lower_inclusive: true,
            upper_inclusive: false,
            empty: false,
        }
    }

    /// The range literal PostgreSQL reads (`[2024-01-01,2024-01-05)`, `empty`).
    pub fn to_text(&self) -> String {
        if self.empty {
            return "empty".into();
        }
        let bound = |v: &Option<Value>| match v.as_ref().and_then(Value::to_text) {
            None => String::new(),
            Some(t) if t.is_empty() || t.contains(['(', ')', '[', ']', ',', '"', '\\', ' ']) => {
                format!("\"{}\"", t.replace('\\', "\\\\").replace('"', "\\\""))
            }
            Some(t) => t,
        };
        format!(
            "{}{},{}{}",
            if self.lower_inclusive && self.lower.is_some() {
                '['
            } else {
                '('
            },
            bound(&self.lower),
            bound(&self.upper),
            if self.upper_inclusive && self.upper.is_some() {
                ']'
            } else {
                ')'
            },
        )
    }

    /// Reads a range literal as PostgreSQL prints it, its bounds as values of `subtype`.
    pub fn parse(text: &str, subtype: &PgType) -> Option<Range> {
        let t = text.trim();
        if t.eq_ignore_ascii_case("empty") {
            return Some(Range {
                lower: None,
                upper: None,
                lower_inclusive: false,
                upper_inclusive: false,
                empty: true,
            });
        }
        let lower_inclusive = match t.chars().next()? {
            '[' => true,
            '(' => false,
            _ => return None,
        };
        let upper_inclusive = match t.chars().last()? {
            ']' => true,
            ')' => false,
            _ => return None,
        };
        let inner = &t[1..t.len() - 1];
        let (lo, hi) = inner.split_once(',')?;
        let bound = |b: &str| -> Option<Option<Value>> {
            let b = b.trim().trim_matches('"');
            if b.is_empty() {
                return Some(None);
            }
            match value_from_text(b, subtype) {
                // A numeric stays its decimal text, which the encoder reads.
                Value::Text(_) if !matches!(subtype, PgType::Numeric { .. }) => None,
                v => Some(Some(v)),
            }
        };
        let (lower, upper) = (bound(lo)?, bound(hi)?);
        Some(Range {
            lower_inclusive: lower_inclusive && lower.is_some(),
            upper_inclusive: upper_inclusive && upper.is_some(),
            lower,
            upper,
            empty: false,
        })
    }
}

impl Value {
    /// The value as text, the way PostgreSQL would print it.
    pub fn to_text(&self) -> Option<String> {
        Some(match self {
            Value::Null => return None,
            Value::Int(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Text(s) => s.clone(),
            Value::Date(d) => format_date(*d),
            Value::Timestamp(us) => format_timestamp(*us),
            Value::Uuid(u) => format_uuid(u),
            Value::Json(j) => j.clone(),
            Value::Ip(ip) => ip.to_string(),
            Value::Array(items) => {
                // PostgreSQL's array literal, every element quoted.
                let inner: Vec<String> = items
                    .iter()
                    .map(|v| match v.to_text() {
                        None => "NULL".to_string(),
                        Some(t) => format!("\"{}\"", t.replace('\\', "\\\\").replace('"', "\\\"")),
                    })
                    .collect();
                format!("{{{}}}", inner.join(","))
            }
            Value::Range(r) => r.to_text(),
            Value::Multirange(rs) => {
                let inner: Vec<String> = rs.iter().map(Range::to_text).collect();
                format!("{{{}}}", inner.join(","))
            }
        })
    }

    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Int(i) => (*i).into(),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::Bool(b) => (*b).into(),
            Value::Json(j) => serde_json::from_str(j).unwrap_or(serde_json::Value::Null),
            Value::Array(items) => items.iter().map(Value::to_json).collect(),
            other => other.to_text().unwrap_or_default().into(),
        }
    }

    /// A short name for messages.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Bool(_) => "a boolean",
            Value::Text(_) => "text",
            Value::Date(_) => "a date",
            Value::Timestamp(_) => "a timestamp",
            Value::Uuid(_) => "a uuid",
            Value::Json(_) => "a JSON object",
            Value::Ip(_) => "an IP address",
            Value::Array(_) => "an array",
            Value::Range(_) => "a range",
            Value::Multirange(_) => "a multirange",
        }
    }
}

pub fn type_label(ty: &PgType) -> String {
    match ty {
        PgType::Text { max_chars: Some(n) } => format!("varchar({n})"),
        PgType::Text { max_chars: None } => "text".into(),
        PgType::Numeric { .. } => "numeric".into(),
        PgType::Enum(_) => "enum".into(),
        PgType::Array { .. } => "array".into(),
        PgType::Range { subtype } => format!("range of {}", type_label(subtype)),
        PgType::Multirange { subtype } => format!("multirange of {}", type_label(subtype)),
        other => format!("{other:?}").to_lowercase(),
    }
}

/// Cuts `s` to at most `n` characters, on a character boundary.
pub fn truncate_chars(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Days since 1970-01-01 from a civil date (Howard Hinnant's days_from_civil).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + if m <= 2 { 1 } else { 0 }, m, d)
}

pub fn format_date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

pub fn format_timestamp(us: i64) -> String {
    let days = us.div_euclid(US_PER_DAY);
    let rem = us.rem_euclid(US_PER_DAY) / 1_000_000;
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        format_date(days),
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Parses `2024-01-31`, `2024-01-31T12:00:00Z` or `2024-01-31 12:00:00` into microseconds since
/// 1970 (UTC).
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let t = text.trim();
    let (date, time) = match t.find(['T', ' ']) {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t, None),
    };
    let mut parts = date.split('-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let mut us = days_from_civil(y, m, d) * US_PER_DAY;
    if let Some(time) = time {
        let time = time.trim_end_matches('Z');
        let time = time.split(['+']).next().unwrap_or(time);
        let mut hms = time.split(':');
        let h: i64 = hms.next()?.parse().ok()?;
        let mi: i64 = hms.next().unwrap_or("0").parse().ok()?;
        // Seconds with their fraction read as digits, not as a float: a key read back from the
        // server must encode to the very microsecond it holds.
        let seconds = hms.next().unwrap_or("0");
        let (whole, fraction) = seconds.split_once('.').unwrap_or((seconds, ""));
        let s: i64 = whole.parse().ok()?;
        if fraction.len() > 6 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let micros: i64 = format!("{fraction:0<6}").parse().ok()?;
        us += (h * 3600 + mi * 60 + s) * 1_000_000 + micros;
    }
    Some(us)
}

pub fn format_uuid(u: &[u8; 16]) -> String {
    let h: String = u.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// A UUID as PostgreSQL prints it (`8-4-4-4-12` hex digits).
pub fn parse_uuid(text: &str) -> Option<[u8; 16]> {
    let hex: Vec<u8> = text.bytes().filter(|b| *b != b'-').collect();
    if hex.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, pair) in hex.chunks(2).enumerate() {
        out[i] = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(out)
}

/// Converts keys read as text into values of the parent column's type.
pub fn value_from_text(text: &str, ty: &PgType) -> Value {
    match ty {
        PgType::Int2 | PgType::Int4 | PgType::Int8 => text
            .parse()
            .map(Value::Int)
            .unwrap_or(Value::Text(text.to_string())),
        PgType::Float4 | PgType::Float8 => text
            .parse()
            .map(Value::Float)
            .unwrap_or(Value::Text(text.to_string())),
        PgType::Date => parse_timestamp(text)
            .map(|us| Value::Date(us.div_euclid(US_PER_DAY)))
            .unwrap_or(Value::Text(text.to_string())),
        // Read in a session whose time zone is UTC, so the offset is always +00.
        PgType::Timestamp | PgType::Timestamptz => parse_timestamp(text)
            .map(Value::Timestamp)
            .unwrap_or(Value::Text(text.to_string())),
        PgType::Uuid => parse_uuid(text)
            .map(Value::Uuid)
            .unwrap_or(Value::Text(text.to_string())),
        PgType::Bool => match text {
            "t" | "true" => Value::Bool(true),
            "f" | "false" => Value::Bool(false),
            _ => Value::Text(text.to_string()),
        },
        PgType::Inet => text
            .split('/')
            .next()
            .and_then(|ip| ip.parse().ok())
            .map(Value::Ip)
            .unwrap_or(Value::Text(text.to_string())),
        PgType::Range { subtype } => Range::parse(text, subtype)
            .map(|r| Value::Range(Box::new(r)))
            .unwrap_or(Value::Text(text.to_string())),
        _ => Value::Text(text.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_through_civil_days() {
        assert_eq!(days_from_civil(2000, 1, 1), PG_EPOCH_DAYS);
        assert_eq!(format_date(days_from_civil(2024, 2, 29)), "2024-02-29");
        assert_eq!(
            parse_timestamp("2020-01-01T01:00:00Z"),
            Some(days_from_civil(2020, 1, 1) * US_PER_DAY + 3_600_000_000)
        );
        assert_eq!(parse_timestamp("2020-13-01"), None);
    }

    #[test]
    fn range_literals_print_and_read_back() {
        let r = Range::half_open(
            Value::Timestamp(days_from_civil(2024, 1, 5) * US_PER_DAY),
            Value::Timestamp(days_from_civil(2024, 1, 6) * US_PER_DAY),
        );
        assert_eq!(r.to_text(), "[2024-01-05T00:00:00Z,2024-01-06T00:00:00Z)");
        assert_eq!(Range::parse(&r.to_text(), &PgType::Timestamptz), Some(r));
        // As the server prints a tstzrange in a UTC session.
        let served = Range::parse(
            "[\"2024-01-05 00:00:00+00\",\"2024-01-06 00:00:00+00\")",
            &PgType::Timestamptz,
        );
        assert!(served.is_some());
        let open = Range::parse("(,10]", &PgType::Int4).unwrap();
        assert_eq!((open.lower, open.upper), (None, Some(Value::Int(10))));
        assert!(open.upper_inclusive && !open.lower_inclusive);
        assert_eq!(Range::parse("[a,b)", &PgType::Int4), None);
        assert!(Range::parse("empty", &PgType::Date).unwrap().empty);
    }

    #[test]
    fn keys_read_as_text_come_back_as_the_values_they_print() {
        let ts = value_from_text("2024-01-05 10:00:00.123456+00", &PgType::Timestamptz);
        let Value::Timestamp(us) = ts else {
            panic!("{ts:?}")
        };
        assert_eq!(us.rem_euclid(1_000_000), 123_456);
        assert_eq!(format_timestamp(us), "2024-01-05T10:00:00Z");
        let id = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11";
        let Value::Uuid(u) = value_from_text(id, &PgType::Uuid) else {
            panic!("not a uuid")
        };
        assert_eq!(format_uuid(&u), id);
        assert_eq!(value_from_text("t", &PgType::Bool), Value::Bool(true));
    }
}
