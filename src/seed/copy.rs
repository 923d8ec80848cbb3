//! The binary COPY encoder: generated values straight into PostgreSQL's `COPY ... (FORMAT
//! binary)` wire format, one growing buffer per chunk of rows.
//!
//! Our own encoder rather than `BinaryCopyInWriter`: that writer takes `&dyn ToSql` per field
//! and flushes per row through the async sink, while here a generator thread fills a buffer of a
//! few hundred kilobytes with no allocation per field and hands the whole chunk over (see
//! `benches/copy_encoder.rs`).

use std::net::IpAddr;

/// The COPY binary signature, flags and header-extension length.
pub const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// The file trailer: a field count of -1.
pub const TRAILER: &[u8] = &[0xff, 0xff];

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
        }
    }
}

/// A buffer of binary COPY rows.
#[derive(Default)]
pub struct CopyEncoder {
    pub buf: Vec<u8>,
}

impl CopyEncoder {
    pub fn with_capacity(n: usize) -> Self {
        CopyEncoder {
            buf: Vec::with_capacity(n),
        }
    }

    #[inline]
    pub fn begin_row(&mut self, fields: u16) {
        self.buf.extend_from_slice(&(fields as i16).to_be_bytes());
    }

    #[inline]
    pub fn null(&mut self) {
        self.buf.extend_from_slice(&(-1i32).to_be_bytes());
    }

    #[inline]
    pub fn field(&mut self, bytes: &[u8]) {
        self.buf
            .extend_from_slice(&(bytes.len() as i32).to_be_bytes());
        self.buf.extend_from_slice(bytes);
    }

    #[inline]
    fn fixed<const N: usize>(&mut self, bytes: [u8; N]) {
        self.buf.extend_from_slice(&(N as i32).to_be_bytes());
        self.buf.extend_from_slice(&bytes);
    }

    /// Writes a text field, cut to `max_chars` characters.
    #[inline]
    pub fn text(&mut self, s: &str, max_chars: Option<usize>) {
        let s = match max_chars {
            Some(n) if s.len() > n => truncate_chars(s, n),
            _ => s,
        };
        self.field(s.as_bytes());
    }

    /// Encodes `value` for a column of type `ty`. The error says what could not be converted.
    pub fn value(&mut self, value: &Value, ty: &PgType) -> Result<(), String> {
        use PgType as T;
        use Value as V;
        match (value, ty) {
            (V::Null, _) => self.null(),
            (V::Int(i), T::Int2) => {
                self.fixed(((*i).clamp(i16::MIN as i64, i16::MAX as i64) as i16).to_be_bytes())
            }
            (V::Int(i), T::Int4) => {
                self.fixed(((*i).clamp(i32::MIN as i64, i32::MAX as i64) as i32).to_be_bytes())
            }
            (V::Int(i), T::Int8) => self.fixed(i.to_be_bytes()),
            (V::Float(f), T::Int2 | T::Int4 | T::Int8) => {
                return self.value(&V::Int(f.round() as i64), ty)
            }
            (V::Int(i), T::Float4) => self.fixed((*i as f32).to_be_bytes()),
            (V::Int(i), T::Float8) => self.fixed((*i as f64).to_be_bytes()),
            (V::Float(f), T::Float4) => self.fixed((*f as f32).to_be_bytes()),
            (V::Float(f), T::Float8) => self.fixed(f.to_be_bytes()),
            (V::Int(i), T::Numeric { .. }) => {
                let s = i.to_string();
                self.numeric(&s)
            }
            (V::Float(f), T::Numeric { scale }) => {
                let s = format!("{:.*}", scale.unwrap_or(2) as usize, f);
                self.numeric(&s)
            }
            (V::Bool(b), T::Bool) => self.fixed([*b as u8]),
            (V::Date(d), T::Date) => self.fixed(((*d - PG_EPOCH_DAYS) as i32).to_be_bytes()),
            (V::Date(d), T::Timestamp | T::Timestamptz) => {
                self.fixed(((*d - PG_EPOCH_DAYS) * US_PER_DAY).to_be_bytes())
            }
            (V::Timestamp(us), T::Timestamp | T::Timestamptz) => {
                self.fixed((*us - PG_EPOCH_DAYS * US_PER_DAY).to_be_bytes())
            }
            (V::Timestamp(us), T::Date) => {
                self.fixed(((us.div_euclid(US_PER_DAY) - PG_EPOCH_DAYS) as i32).to_be_bytes())
            }
            (V::Timestamp(us), T::Time) => self.fixed(us.rem_euclid(US_PER_DAY).to_be_bytes()),
            (V::Int(i), T::Interval) => {
                // whole seconds
                let mut b = [0u8; 16];
                b[..8].copy_from_slice(&(i * 1_000_000).to_be_bytes());
                self.fixed(b)
            }
            (V::Uuid(u), T::Uuid) => self.fixed(*u),
            (V::Json(j), T::Jsonb) => {
                self.buf
                    .extend_from_slice(&(j.len() as i32 + 1).to_be_bytes());
                self.buf.push(1);
                self.buf.extend_from_slice(j.as_bytes());
            }
            (V::Json(j), T::Json) => self.field(j.as_bytes()),
            (V::Ip(ip), T::Inet) => match ip {
                IpAddr::V4(v4) => {
                    let o = v4.octets();
                    self.fixed([2, 32, 0, 4, o[0], o[1], o[2], o[3]])
                }
                IpAddr::V6(v6) => {
                    let mut b = [0u8; 20];
                    b[..4].copy_from_slice(&[3, 128, 0, 16]);
                    b[4..].copy_from_slice(&v6.octets());
                    self.fixed(b)
                }
            },
            (V::Text(s), T::Enum(labels)) => {
                if !labels.iter().any(|l| l == s) {
                    return Err(format!("\"{s}\" is not one of the enum's labels"));
                }
                self.field(s.as_bytes())
            }
            (V::Text(s), T::Bytea) => self.field(s.as_bytes()),
            (V::Text(s), T::Json | T::Jsonb) => {
                let j = serde_json::Value::String(s.clone()).to_string();
                return self.value(&V::Json(j), ty);
            }
            (V::Text(s), T::Inet) => {
                let ip: IpAddr = s
                    .parse()
                    .map_err(|_| format!("\"{s}\" is not an IP address"))?;
                return self.value(&V::Ip(ip), ty);
            }
            (V::Text(s), T::Numeric { .. }) if parse_decimal(s).is_some() => self.numeric(s),
            (V::Text(s), T::Uuid) => {
                let u = parse_uuid(s).ok_or_else(|| format!("\"{s}\" is not a uuid"))?;
                self.fixed(u)
            }
            (v, T::Json | T::Jsonb) if !matches!(v, V::Text(_)) => {
                let j = v.to_json().to_string();
                return self.value(&V::Json(j), ty);
            }
            (
                V::Array(items),
                T::Array {
                    element_oid,
                    element: Some(element),
                },
            ) if !items.is_empty() => {
                // The array's length, patched below; then ndim 1, whether any element is NULL,
                // the element type, the dimension and its lower bound; then each element in
                // the same form as a COPY field.
                let start = self.buf.len();
                self.buf.extend_from_slice(&[0; 4]);
                let has_nulls = items.iter().any(|v| matches!(v, V::Null));
                for word in [
                    1,
                    has_nulls as i32,
                    *element_oid as i32,
                    items.len() as i32,
                    1,
                ] {
                    self.buf.extend_from_slice(&word.to_be_bytes());
                }
                for item in items {
                    self.value(item, element)?;
                }
                let len = (self.buf.len() - start - 4) as i32;
                self.buf[start..start + 4].copy_from_slice(&len.to_be_bytes());
            }
            (_, T::Array { element_oid, .. }) => {
                // ndim 0, no nulls, element type: an empty array.
                let mut b = [0u8; 12];
                b[8..].copy_from_slice(&element_oid.to_be_bytes());
                self.fixed(b)
            }
            (v, T::Text { max_chars }) => match v {
                V::Text(s) => self.text(s, *max_chars),
                other => {
                    let s = other.to_text().unwrap_or_default();
                    self.text(&s, *max_chars)
                }
            },
            (v, ty) => {
                return Err(format!(
                    "it produces {}, which cannot be written to a column of type {}",
                    v.kind_name(),
                    type_label(ty)
                ))
            }
        }
        Ok(())
    }

    /// A numeric from its decimal text (`-123.4500`): base-10000 digit groups.
    pub fn numeric(&mut self, text: &str) {
        let Some((negative, int_part, frac_part)) = parse_decimal(text) else {
            self.null();
            return;
        };
        let dscale = frac_part.len() as u16;
        let int_pad = (4 - int_part.len() % 4) % 4;
        let frac_pad = (4 - frac_part.len() % 4) % 4;
        let mut digits_text = String::with_capacity(int_part.len() + frac_part.len() + 8);
        digits_text.extend(std::iter::repeat_n('0', int_pad));
        digits_text.push_str(int_part);
        digits_text.push_str(frac_part);
        digits_text.extend(std::iter::repeat_n('0', frac_pad));
        let int_groups = (int_part.len() + int_pad) / 4;
        let mut groups: Vec<i16> = digits_text
            .as_bytes()
            .chunks(4)
            .map(|c| c.iter().fold(0i16, |acc, d| acc * 10 + (d - b'0') as i16))
            .collect();
        let mut weight = int_groups as i16 - 1;
        while groups.first() == Some(&0) {
            groups.remove(0);
            weight -= 1;
        }
        while groups.last() == Some(&0) {
            groups.pop();
        }
        if groups.is_empty() {
            weight = 0;
        }
        let len = 8 + 2 * groups.len();
        self.buf.extend_from_slice(&(len as i32).to_be_bytes());
        self.buf
            .extend_from_slice(&(groups.len() as i16).to_be_bytes());
        self.buf.extend_from_slice(&weight.to_be_bytes());
        let sign: u16 = if negative && !groups.is_empty() {
            0x4000
        } else {
            0
        };
        self.buf.extend_from_slice(&sign.to_be_bytes());
        self.buf.extend_from_slice(&dscale.to_be_bytes());
        for g in groups {
            self.buf.extend_from_slice(&g.to_be_bytes());
        }
    }
}

fn parse_decimal(text: &str) -> Option<(bool, &str, &str)> {
    let t = text.trim();
    let (negative, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (i, f) = t.split_once('.').unwrap_or((t, ""));
    if (i.is_empty() && f.is_empty())
        || !i.bytes().all(|b| b.is_ascii_digit())
        || !f.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    Some((negative, i.trim_start_matches('0'), f))
}

pub fn type_label(ty: &PgType) -> String {
    match ty {
        PgType::Text { max_chars: Some(n) } => format!("varchar({n})"),
        PgType::Text { max_chars: None } => "text".into(),
        PgType::Numeric { .. } => "numeric".into(),
        PgType::Enum(_) => "enum".into(),
        PgType::Array { .. } => "array".into(),
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

fn parse_uuid(s: &str) -> Option<[u8; 16]> {
    let hex: String = s.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric_bytes(s: &str) -> Vec<u8> {
        let mut e = CopyEncoder::default();
        e.numeric(s);
        e.buf
    }

    #[test]
    fn numerics_encode_as_base_10000_groups() {
        // 12345.678 = [1][2345].[6780], weight 1, dscale 3
        let b = numeric_bytes("12345.678");
        assert_eq!(&b[4..12], &[0, 3, 0, 1, 0, 0, 0, 3]);
        assert_eq!(&b[12..], &[0, 1, 0x09, 0x29, 0x1a, 0x7c]);
        let zero = numeric_bytes("0.00");
        assert_eq!(&zero[4..], &[0, 0, 0, 0, 0, 0, 0, 2]);
        let neg = numeric_bytes("-0.5");
        assert_eq!(&neg[4..], &[0, 1, 0xff, 0xff, 0x40, 0, 0, 1, 0x13, 0x88]);
    }

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
    fn text_is_cut_to_the_column_length_on_a_character_boundary() {
        let mut e = CopyEncoder::default();
        e.value(
            &Value::Text("héllo".into()),
            &PgType::Text { max_chars: Some(2) },
        )
        .unwrap();
        assert_eq!(e.buf, [0, 0, 0, 3, b'h', 0xc3, 0xa9]);
    }

    #[test]
    fn a_value_of_the_wrong_kind_is_refused() {
        let mut e = CopyEncoder::default();
        let err = e
            .value(&Value::Text("x".into()), &PgType::Int4)
            .unwrap_err();
        assert!(err.contains("text"), "{err}");
    }
}
