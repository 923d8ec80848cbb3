//! Passwords out of any text before it is shown: a URL's `user:secret@`, its `?password=secret`
//! parameter, and a connection string's `password=secret` (quoted or not). Every password the
//! process has read from a connection string is also remembered and replaced wherever it turns up
//! (a server's error that echoes it, a percent-decoded copy), so that one function guards every
//! output: stdout and stderr through [`crate::say!`] and the CLI's printing, and every file
//! rehearse writes. It depends on nothing else in the crate, so that every stage, however low,
//! can redact what it says without reaching up to the report.

use std::sync::{Mutex, OnceLock};

/// What a password is replaced by.
const MASK: &str = "***";

/// Keys whose value is a secret, in a URL's query or a key=value connection string.
const SECRET_KEYS: &[&str] = &["password", "sslpassword"];

/// Shorter remembered secrets are not replaced as bare text: a one-letter password would
/// mangle every sentence. The structural rules still catch them in any connection string.
const SHORTEST_REMEMBERED: usize = 4;

fn remembered() -> &'static Mutex<Vec<String>> {
    static SECRETS: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    SECRETS.get_or_init(|| Mutex::new(Vec::new()))
}

/// Remembers a password so that [`redact`] replaces it wherever it appears, in whatever form
/// (as given, percent-encoded, percent-decoded).
pub fn remember(secret: &str) {
    if secret.chars().count() < SHORTEST_REMEMBERED {
        return;
    }
    let mut forms = vec![secret.to_string(), percent_encoded(secret)];
    if let Some(decoded) = percent_decoded(secret) {
        forms.push(decoded);
    }
    let mut secrets = remembered().lock().unwrap_or_else(|e| e.into_inner());
    for form in forms {
        if form.chars().count() >= SHORTEST_REMEMBERED && !secrets.contains(&form) {
            secrets.push(form);
        }
    }
    // Longest first: a secret that contains another is replaced whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

/// Remembers every password a connection string carries (URL userinfo, `?password=`,
/// key=value `password=`), without judging whether the string is otherwise valid.
pub fn remember_in(connection_string: &str) {
    if let Ok(config) = connection_string.parse::<tokio_postgres::Config>() {
        if let Some(p) = config.get_password() {
            remember(&String::from_utf8_lossy(p));
        }
    }
    // A string the driver refuses may still carry one: take what the rules below would mask.
    for secret in secrets_in(connection_string) {
        remember(&secret);
    }
}

/// Removes passwords from any text that may carry a connection string, before it is shown.
pub fn redact(text: &str) -> String {
    let mut out = {
        let secrets = remembered().lock().unwrap_or_else(|e| e.into_inner());
        let mut text = text.to_string();
        for secret in secrets.iter() {
            if text.contains(secret.as_str()) {
                text = text.replace(secret.as_str(), MASK);
            }
        }
        text
    };
    out = redact_userinfo(&out);
    for key in SECRET_KEYS {
        out = redact_key(&out, key);
    }
    out
}

/// `postgresql://user:secret@host` -> `postgresql://user:***@host`.
fn redact_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| c.is_whitespace() || c == '/' || c == '"' || c == '\'' || c == '?')
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match (authority.rfind('@'), authority.find(':')) {
            (Some(at), Some(colon)) if colon < at => {
                out.push_str(&authority[..colon]);
                out.push(':');
                out.push_str(MASK);
                out.push_str(&authority[at..]);
            }
            _ => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// The byte ranges of every value of `key` in `text`: `key=value`, `key = 'quoted value'`,
/// `?key=value&...`, as libpq reads them. The key must start a word (start, whitespace, `?`,
/// `&`, or a quote).
fn values_of(text: &str, key: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let lower = text.to_ascii_lowercase();
    let mut ranges = Vec::new();
    let mut from = 0;
    while let Some(found) = lower[from..].find(key) {
        let start = from + found;
        from = start + key.len();
        let boundary = start == 0
            || matches!(
                bytes[start - 1],
                b' ' | b'\t' | b'\n' | b'\r' | b'?' | b'&' | b'"' | b'\'' | b'(' | b',' | b';'
            );
        if !boundary {
            continue;
        }
        let in_query = start > 0 && matches!(bytes[start - 1], b'?' | b'&');
        let mut i = start + key.len();
        while i < bytes.len() && (bytes[i] == b' ' || bytes[i] == b'\t') {
            i += 1;
        }
        if i >= bytes.len() || bytes[i] != b'=' {
            continue;
        }
        i += 1;
        while !in_query && i < bytes.len() && (bytes[i] == b' ' || bytes[i] == b'\t') {
            i += 1;
        }
        let value_start = i;
        if !in_query && i < bytes.len() && bytes[i] == b'\'' {
            // A quoted value ends at the first quote not escaped by a backslash.
            i += 1;
            while i < bytes.len() && bytes[i] != b'\'' {
                if bytes[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            let end = (i + 1).min(bytes.len());
            ranges.push((value_start, end));
            from = end.max(from);
            continue;
        }
        let ends_value = |b: u8| {
            b.is_ascii_whitespace()
                || matches!(b, b'"' | b'\'' | b'`')
                || (in_query && matches!(b, b'&' | b'#'))
        };
        while i < bytes.len() && !ends_value(bytes[i]) {
            i += 1;
        }
        if i > value_start {
            ranges.push((value_start, i));
        }
        from = i.max(from);
    }
    ranges
}

fn redact_key(text: &str, key: &str) -> String {
    let ranges = values_of(text, key);
    if ranges.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (start, end) in ranges {
        out.push_str(&text[last..start]);
        out.push_str(MASK);
        last = end;
    }
    out.push_str(&text[last..]);
    out
}

/// The secrets the structural rules would mask, unquoted.
fn secrets_in(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for key in SECRET_KEYS {
        for (start, end) in values_of(text, key) {
            let value = text[start..end].trim_matches('\'').replace("\\'", "'");
            found.push(percent_decoded(&value).unwrap_or(value));
        }
    }
    if let Some(i) = text.find("://") {
        let tail = &text[i + 3..];
        let end = tail
            .find(|c: char| c.is_whitespace() || c == '/' || c == '?')
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        if let (Some(at), Some(colon)) = (authority.rfind('@'), authority.find(':')) {
            if colon < at {
                let value = &authority[colon + 1..at];
                found.push(percent_decoded(value).unwrap_or_else(|| value.to_string()));
            }
        }
    }
    found
}

fn percent_encoded(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decoded(s: &str) -> Option<String> {
    if !s.contains('%') {
        return None;
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() && s.is_char_boundary(i + 3) {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_url_form_loses_its_password() {
        assert_eq!(
            redact("postgresql://app:s3cret@db:5432/x"),
            "postgresql://app:***@db:5432/x"
        );
        assert_eq!(
            redact("could not connect to postgresql://app@db/x?password=s3cret&sslmode=disable"),
            "could not connect to postgresql://app@db/x?password=***&sslmode=disable"
        );
        assert_eq!(
            redact("postgresql://app@db/x?sslmode=disable&password=s3cret"),
            "postgresql://app@db/x?sslmode=disable&password=***"
        );
        assert_eq!(
            redact("host=db password=s3cret user=x"),
            "host=db password=*** user=x"
        );
        assert_eq!(
            redact("host=db password = 'two words\\' here' user=x"),
            "host=db password = *** user=x"
        );
        assert_eq!(redact("PASSWORD=s3cret"), "PASSWORD=***");
        assert_eq!(
            redact("password authentication failed for user \"x\""),
            "password authentication failed for user \"x\""
        );
        assert_eq!(redact("no secrets here"), "no secrets here");
    }

    #[test]
    fn a_remembered_password_is_masked_anywhere() {
        remember_in("postgresql://app@db/x?password=Rem3mbered%21Secret");
        assert_eq!(
            redact("the server said: Rem3mbered!Secret is wrong"),
            "the server said: *** is wrong"
        );
        assert_eq!(redact("Rem3mbered%21Secret"), "***");
    }
}
