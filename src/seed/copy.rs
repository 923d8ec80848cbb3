//! The binary COPY encoder: generated values straight into PostgreSQL's `COPY ... (FORMAT
//! binary)` wire format, one growing buffer per chunk of rows. Pure: values in, bytes out; it
//! never talks to a database (the loader sends the buffers).
//!
//! Our own encoder rather than `BinaryCopyInWriter`: that writer takes `&dyn ToSql` per field
//! and flushes per row through the async sink, while here a generator thread fills a buffer of a
//! few hundred kilobytes with no allocation per field and hands the whole chunk over (see
//! `benches/copy_encoder.rs`).

use super::values::{
    parse_uuid, truncate_chars, type_label, PgType, Range, Value, PG_EPOCH_DAYS, US_PER_DAY,
};
use std::net::IpAddr;

/// The COPY binary signature, flags and header-extension length.
pub const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// The file trailer: a field count of -1.
pub const TRAILER: &[u8] = &[0xff, 0xff];

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
            (V::Range(r), T::Range { subtype }) => {
                let start = self.open_length();
                self.range(r, subtype)?;
                self.close_length(start);
            }
            (V::Text(s), T::Range { subtype }) => {
                let r = Range::parse(s, subtype)
                    .ok_or_else(|| format!("\"{s}\" is not a range literal such as \"[1,5)\""))?;
                return self.value(&V::Range(Box::new(r)), ty);
            }
            (V::Multirange(ranges), T::Multirange { subtype }) => {
                // The count of ranges, then each as a field of its own.
                let start = self.open_length();
                self.buf
                    .extend_from_slice(&(ranges.len() as i32).to_be_bytes());
                for r in ranges {
                    let one = self.open_length();
                    self.range(r, subtype)?;
                    self.close_length(one);
                }
                self.close_length(start);
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

    /// Reserves a field's length, to be patched by [`CopyEncoder::close_length`].
    #[inline]
    fn open_length(&mut self) -> usize {
        self.buf.extend_from_slice(&[0; 4]);
        self.buf.len()
    }

    #[inline]
    fn close_length(&mut self, start: usize) {
        let len = (self.buf.len() - start) as i32;
        self.buf[start - 4..start].copy_from_slice(&len.to_be_bytes());
    }

    /// A range's body as `range_send` writes it: a flags byte, then each finite bound as a
    /// field of the subtype.
    fn range(&mut self, r: &Range, subtype: &PgType) -> Result<(), String> {
        const EMPTY: u8 = 0x01;
        const LOWER_INCLUSIVE: u8 = 0x02;
        const UPPER_INCLUSIVE: u8 = 0x04;
        const LOWER_INFINITE: u8 = 0x08;
        const UPPER_INFINITE: u8 = 0x10;
        if r.empty {
            self.buf.push(EMPTY);
            return Ok(());
        }
        let mut flags = 0;
        match &r.lower {
            None => flags |= LOWER_INFINITE,
            Some(_) if r.lower_inclusive => flags |= LOWER_INCLUSIVE,
            Some(_) => {}
        }
        match &r.upper {
            None => flags |= UPPER_INFINITE,
            Some(_) if r.upper_inclusive => flags |= UPPER_INCLUSIVE,
            Some(_) => {}
        }
        self.buf.push(flags);
        for bound in [&r.lower, &r.upper].into_iter().flatten() {
            if *bound == Value::Null {
                return Err("a range bound is NULL".into());
            }
            self.value(bound, subtype)?;
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
    fn text_is_cut_to_the_column_length_on_a_character_boundary() {
        let mut e = CopyEncoder::default();
        e.value(
            &Value::Text("héllo".into()),
            &PgType::Text { max_chars: Some(2) },
        )
        .unwrap();
        assert_eq!(e.buf, [0, 0, 0, 3, b'h', 0xc3, 0xa9]);
    }

    fn encoded(value: &Value, ty: &PgType) -> Vec<u8> {
        let mut e = CopyEncoder::default();
        e.value(value, ty).unwrap();
        e.buf
    }

    #[test]
    fn ranges_encode_as_range_send_writes_them() {
        let int4range = PgType::Range {
            subtype: Box::new(PgType::Int4),
        };
        // [1,5): length 17, lower inclusive, then two int4 fields.
        assert_eq!(
            encoded(
                &Value::Range(Box::new(Range::half_open(Value::Int(1), Value::Int(5)))),
                &int4range
            ),
            [0, 0, 0, 17, 0x02, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 5]
        );
        // [3,): no upper field, its infinity in the flags.
        let open = Range {
            upper: None,
            ..Range::half_open(Value::Int(3), Value::Int(0))
        };
        assert_eq!(
            encoded(&Value::Range(Box::new(open)), &int4range),
            [0, 0, 0, 9, 0x02 | 0x10, 0, 0, 0, 4, 0, 0, 0, 3]
        );
        // (,] with both bounds infinite: the inclusive flags go with the infinite bounds.
        let everything = Range {
            lower: None,
            upper: None,
            lower_inclusive: true,
            upper_inclusive: true,
            empty: false,
        };
        assert_eq!(
            encoded(&Value::Range(Box::new(everything)), &int4range),
            [0, 0, 0, 1, 0x08 | 0x10]
        );
        let empty = Range::parse("empty", &PgType::Int4).unwrap();
        assert_eq!(
            encoded(&Value::Range(Box::new(empty)), &int4range),
            [0, 0, 0, 1, 0x01]
        );
        // A literal as a definition's constant is read with the subtype.
        assert_eq!(
            encoded(&Value::Text("[1,5)".into()), &int4range),
            encoded(
                &Value::Range(Box::new(Range::half_open(Value::Int(1), Value::Int(5)))),
                &int4range
            )
        );
        // A date bound is days since 2000-01-01.
        let day = Value::Range(Box::new(Range::half_open(
            Value::Date(PG_EPOCH_DAYS + 1),
            Value::Date(PG_EPOCH_DAYS + 3),
        )));
        let daterange = PgType::Range {
            subtype: Box::new(PgType::Date),
        };
        assert_eq!(
            encoded(&day, &daterange),
            [0, 0, 0, 17, 0x02, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 3]
        );
    }

    #[test]
    fn a_multirange_is_its_count_then_each_range_as_a_field() {
        let r = |a, b| {
            Range::half_open(
                Value::Date(PG_EPOCH_DAYS + a),
                Value::Date(PG_EPOCH_DAYS + b),
            )
        };
        let bytes = encoded(
            &Value::Multirange(vec![r(0, 2), r(5, 6)]),
            &PgType::Multirange {
                subtype: Box::new(PgType::Date),
            },
        );
        let mut want = vec![0, 0, 0, 46, 0, 0, 0, 2];
        for (a, b) in [(0u8, 2u8), (5, 6)] {
            want.extend([
                0, 0, 0, 17, 0x02, 0, 0, 0, 4, 0, 0, 0, a, 0, 0, 0, 4, 0, 0, 0, b,
            ]);
        }
        assert_eq!(bytes, want);
        let err = CopyEncoder::default()
            .value(
                &Value::Multirange(vec![r(0, 1)]),
                &PgType::Range {
                    subtype: Box::new(PgType::Date),
                },
            )
            .unwrap_err();
        assert!(err.contains("a multirange"), "{err}");
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
