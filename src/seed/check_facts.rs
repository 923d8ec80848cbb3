//! What single-column CHECK constraints say about a column: its bounds and its allowed values,
//! read from the constraint's text as `pg_get_constraintdef` prints it. Pure; it never guesses a
//! bound the constraint does not state.

use super::catalog::Table;

/// Bounds and allowed values found in single-column CHECK constraints.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct CheckFacts {
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Exclusive bounds are recorded as such so that integers can move them by one.
    pub min_exclusive: bool,
    pub max_exclusive: bool,
    pub values: Option<Vec<String>>,
}

/// A domain's CHECK (as the catalog prints it) with its keyword `VALUE` replaced by `column`,
/// outside string literals and quoted identifiers.
pub(super) fn with_column(expression: &str, column: &str) -> String {
    let mut out = String::with_capacity(expression.len());
    let bytes = expression.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'\'' || c == b'"' {
            // Copy the literal or identifier through its closing quote (a doubled quote is
            // part of it).
            let start = i;
            i += 1;
            while i < bytes.len() {
                if bytes[i] == c {
                    if bytes.get(i + 1) == Some(&c) {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            i = (i + 1).min(bytes.len());
            out.push_str(&expression[start..i]);
            continue;
        }
        let word_char = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$';
        if expression[i..].starts_with("VALUE")
            && (i == 0 || !word_char(bytes[i - 1]))
            && bytes.get(i + 5).is_none_or(|b| !word_char(*b))
        {
            out.push_str(column);
            i += 5;
            continue;
        }
        let ch = expression[i..].chars().next().unwrap_or(' ');
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

/// Strips `::type` casts from a constraint definition.
pub(super) fn strip_casts(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("::") {
        out.push_str(&rest[..i]);
        rest = &rest[i + 2..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '"'))
            .unwrap_or(rest.len());
        rest = &rest[end..];
        for tail in [
            " varying",
            " precision",
            " with time zone",
            " without time zone",
        ] {
            if let Some(r) = rest.strip_prefix(tail) {
                rest = r;
            }
        }
        if let Some(r) = rest.strip_prefix("[]") {
            rest = r;
        }
    }
    out.push_str(rest);
    out
}

/// Reads `CHECK ((x >= 0) AND (x <= 10))`, `CHECK (x > 0)`, `CHECK (x = ANY (ARRAY['a', 'b']))`.
pub fn check_facts(column: &str, defs: &[&str]) -> CheckFacts {
    let mut facts = CheckFacts::default();
    for def in defs {
        let text = strip_casts(def);
        let text = text.trim().strip_prefix("CHECK").unwrap_or(&text).trim();
        if text.contains("ANY (") || text.contains(" IN (") {
            if let Some(start) = text
                .find("ARRAY[")
                .map(|i| i + 6)
                .or_else(|| text.find(" IN (").map(|i| i + 5))
            {
                let inner = &text[start..];
                let mut values = Vec::new();
                let mut chars = inner.chars().peekable();
                while let Some(c) = chars.next() {
                    if c == ']' || c == ')' {
                        break;
                    }
                    if c == '\'' {
                        let mut v = String::new();
                        while let Some(c) = chars.next() {
                            if c == '\'' {
                                if chars.peek() == Some(&'\'') {
                                    chars.next();
                                    v.push('\'');
                                    continue;
                                }
                                break;
                            }
                            v.push(c);
                        }
                        values.push(v);
                    }
                }
                if !values.is_empty() {
                    facts.values = Some(values);
                }
            }
            continue;
        }
        let cleaned: String = text.chars().filter(|c| *c != '(' && *c != ')').collect();
        for part in cleaned.split(" AND ") {
            let tokens: Vec<&str> = part.split_whitespace().collect();
            if tokens.len() != 3 {
                continue;
            }
            let unquote = |s: &str| s.trim_matches('"').to_string();
            let (op, number) = if unquote(tokens[0]) == column {
                (tokens[1].to_string(), tokens[2])
            } else if unquote(tokens[2]) == column {
                let flipped = match tokens[1] {
                    ">" => "<",
                    ">=" => "<=",
                    "<" => ">",
                    "<=" => ">=",
                    o => o,
                };
                (flipped.to_string(), tokens[0])
            } else {
                continue;
            };
            if op == "=" {
                // `CHECK (id = 1)`: the one value the column may take (a one-row table's key).
                facts.values = Some(vec![number.trim_matches('\'').to_string()]);
                continue;
            }
            let Ok(n) = number.trim_matches('\'').parse::<f64>() else {
                continue;
            };
            match op.as_str() {
                ">" => {
                    facts.min = Some(n);
                    facts.min_exclusive = true
                }
                ">=" => {
                    facts.min = Some(n);
                    facts.min_exclusive = false
                }
                "<" => {
                    facts.max = Some(n);
                    facts.max_exclusive = true
                }
                "<=" => {
                    facts.max = Some(n);
                    facts.max_exclusive = false
                }
                _ => {}
            }
        }
    }
    facts
}

pub(super) fn facts_for(table: &Table, column: &str) -> CheckFacts {
    let mut defs: Vec<&str> = table
        .checks
        .iter()
        .filter(|(c, _)| c == column)
        .map(|(_, d)| d.as_str())
        .collect();
    // A CHECK over several columns that orders them and bounds each by constants (`lo < hi AND
    // hi <= 1000 AND lo >= 0`) states this column's bounds too; one with OR, NOT or anything
    // else is left alone (its parts hold only together).
    defs.extend(
        table
            .row_checks
            .iter()
            .map(|(_, d)| d.as_str())
            .filter(|d| super::ordering::orderings(d).is_some()),
    );
    check_facts(column, &defs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_is_replaced_outside_quotes_only() {
        assert_eq!(
            with_column("(VALUE ~ '^VALUE\\d{5}$'::text)", "\"zip\""),
            "(\"zip\" ~ '^VALUE\\d{5}$'::text)"
        );
        assert_eq!(
            with_column("((VALUE > 0) AND (\"VALUE\" < 3) AND (VALUES_x = 1))", "c"),
            "((c > 0) AND (\"VALUE\" < 3) AND (VALUES_x = 1))"
        );
    }
}
