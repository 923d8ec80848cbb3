//! Text that matches a CHECK's regular expression (`phone ~ '^\+[1-9][0-9]{7,14}$'`, a domain's
//! `VALUE ~ '^\d{5}(-\d{4})?$'`, `slug ~* '^[a-z0-9-]+$'`).
//!
//! PostgreSQL's advanced regular expressions are read with regex-syntax, which agrees with
//! them on what application schemas write (classes, bracket expressions, POSIX classes,
//! counted repetition, alternation); every class is narrowed to printable ASCII (PostgreSQL's
//! `\d` and `.` would accept more, the sample need not) and the anchors are dropped, since a
//! generated match is the whole value. A pattern regex-syntax cannot read (back references,
//! `\m`, `\y`) is left alone: the sieve keeps what the server accepts. Pure.

use rand::SeedableRng;
use regex_syntax::hir::{
    Class, ClassBytes, ClassBytesRange, ClassUnicode, ClassUnicodeRange, Hir, HirKind,
};

/// Longest run an unbounded repetition (`+`, `*`, `{3,}`) generates.
const MAX_REPEAT: u32 = 12;

/// A CHECK's regular expression, ready to test values and to make ones that match.
#[derive(Debug, Clone)]
pub struct Pattern {
    /// The expression as the CHECK wrote it.
    pub source: String,
    pub case_insensitive: bool,
    sampler: rand_regex::Regex,
    matcher: regex::Regex,
}

impl Pattern {
    /// None when the expression uses what regex-syntax does not read.
    pub fn compile(source: &str, case_insensitive: bool) -> Option<Pattern> {
        let flags = if case_insensitive { "(?i)" } else { "" };
        let matcher = regex::Regex::new(&format!("{flags}{source}")).ok()?;
        let hir = regex_syntax::ParserBuilder::new()
            .case_insensitive(case_insensitive)
            .build()
            .parse(source)
            .ok()?;
        let sampler = rand_regex::Regex::with_hir(printable(&hir)?, MAX_REPEAT).ok()?;
        Some(Pattern {
            source: source.to_string(),
            case_insensitive,
            sampler,
            matcher,
        })
    }

    /// A matching value, the same for the same `seed`.
    pub fn sample(&self, seed: u64) -> String {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        rand::Rng::sample(&mut rng, &self.sampler)
    }

    /// Whether `value` matches, as the CHECK would judge it.
    pub fn matches(&self, value: &str) -> bool {
        self.matcher.is_match(value)
    }
}

/// The expression with each class narrowed to printable ASCII and anchors and word boundaries
/// taken out; None when a class has nothing printable left.
fn printable(hir: &Hir) -> Option<Hir> {
    Some(match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Hir::empty(),
        HirKind::Literal(l) => Hir::literal(l.0.clone()),
        HirKind::Class(Class::Unicode(c)) => {
            let mut c = c.clone();
            c.intersect(&ClassUnicode::new([ClassUnicodeRange::new(' ', '~')]));
            if c.ranges().is_empty() {
                return None;
            }
            Hir::class(Class::Unicode(c))
        }
        HirKind::Class(Class::Bytes(c)) => {
            let mut c = c.clone();
            c.intersect(&ClassBytes::new([ClassBytesRange::new(b' ', b'~')]));
            if c.ranges().is_empty() {
                return None;
            }
            Hir::class(Class::Bytes(c))
        }
        HirKind::Repetition(r) => {
            let mut r = r.clone();
            r.sub = Box::new(printable(&r.sub)?);
            Hir::repetition(r)
        }
        HirKind::Capture(c) => printable(&c.sub)?,
        HirKind::Concat(parts) => Hir::concat(parts.iter().map(printable).collect::<Option<_>>()?),
        HirKind::Alternation(parts) => {
            // A branch with nothing printable is dropped; the others still match.
            let kept: Vec<Hir> = parts.iter().filter_map(printable).collect();
            if kept.is_empty() {
                return None;
            }
            Hir::alternation(kept)
        }
    })
}

/// A regular expression a single-column CHECK holds its column to: `column ~ '...'` or
/// `column ~* '...'` as `pg_get_constraintdef` prints it (casts already stripped), not negated.
/// Returns the expression and whether it ignores case.
pub(super) fn check_pattern(column: &str, check: &str) -> Option<(String, bool)> {
    let quoted = crate::identifier::quote(column);
    for name in [column, quoted.as_str()] {
        for (op, ci) in [(" ~* '", true), (" ~ '", false)] {
            let needle = format!("{name}{op}");
            let Some(at) = check.find(&needle) else {
                continue;
            };
            let before = check[..at].trim_end();
            // The name must start there (not the tail of another), and not be negated.
            let starts = check[..at]
                .chars()
                .last()
                .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '"'));
            if !starts || before.ends_with("NOT") || before.ends_with("NOT (") {
                continue;
            }
            let literal = &check[at + needle.len()..];
            let mut value = String::new();
            let mut chars = literal.chars().peekable();
            while let Some(c) = chars.next() {
                if c == '\'' {
                    if chars.peek() == Some(&'\'') {
                        chars.next();
                        value.push('\'');
                        continue;
                    }
                    return Some((value, ci));
                }
                value.push(c);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples(p: &Pattern) -> Vec<String> {
        (0..200).map(|s| p.sample(s)).collect()
    }

    #[test]
    fn samples_match_what_application_checks_write() {
        for (source, ci) in [
            (r"^\+[1-9][0-9]{7,14}$", false),
            (r"^\d{5}(-\d{4})?$", false),
            (r"^[a-z0-9-]{3,30}$", false),
            (r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", true),
            (r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$", false),
            (r"\S", false),
            (r"^[[:alpha:]]+$", false),
        ] {
            let p = Pattern::compile(source, ci).unwrap_or_else(|| panic!("{source}"));
            for s in samples(&p) {
                assert!(p.matches(&s), "{source}: {s:?}");
                assert!(
                    s.chars().all(|c| (' '..='~').contains(&c)),
                    "{source}: {s:?}"
                );
            }
        }
    }

    #[test]
    fn samples_are_deterministic_and_varied() {
        let p = Pattern::compile(r"^[a-z]{8}$", false).unwrap();
        assert_eq!(p.sample(7), p.sample(7));
        let distinct: std::collections::BTreeSet<String> = samples(&p).into_iter().collect();
        assert!(distinct.len() > 190, "{}", distinct.len());
    }

    #[test]
    fn what_regex_syntax_cannot_read_is_left_alone() {
        assert!(Pattern::compile(r"^(a)\1$", false).is_none());
    }

    #[test]
    fn reads_the_pattern_of_a_check_as_the_catalog_prints_it() {
        assert_eq!(
            check_pattern("phone", r"CHECK ((phone ~ '^\+[1-9][0-9]{7,14}$'))"),
            Some((r"^\+[1-9][0-9]{7,14}$".to_string(), false))
        );
        assert_eq!(
            check_pattern("email", r"CHECK ((email ~* '^[^@]+@x''s$'))"),
            Some((r"^[^@]+@x's$".to_string(), true))
        );
        assert_eq!(
            check_pattern("order", r#"CHECK (("order" ~ '^[0-9]+$'))"#),
            Some(("^[0-9]+$".to_string(), false))
        );
        assert_eq!(check_pattern("code", r"CHECK ((NOT (code ~ '^x')))"), None);
        assert_eq!(check_pattern("code", r"CHECK ((code !~ '^x'))"), None);
        assert_eq!(check_pattern("de", r"CHECK ((code ~ '^x'))"), None);
    }
}
