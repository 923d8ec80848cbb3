//! Where a key sits in a TOML file, so that a value found wrong after deserializing (a rate of
//! `nan`, a negative `std_dev`) is named by its line, as a syntax error is.
//!
//! Pure: takes the file's text, never reads a file.

use toml_edit::{ImDocument, Item, TableLike, Value};

/// A value the user wrote, cut short for a message: a runaway string (an unterminated quote that
/// swallowed the rest of the file) must not be echoed whole.
pub fn excerpt(text: &str) -> String {
    const MAX: usize = 80;
    let first_line = text.lines().next().unwrap_or_default();
    if first_line.chars().count() > MAX || first_line.len() < text.trim_end().len() {
        format!("{}...", first_line.chars().take(MAX).collect::<String>())
    } else {
        first_line.to_string()
    }
}

/// A TOML parser's message on one line and of a readable length: it may quote the value it
/// could not take, and that value may be the rest of the file.
pub fn toml_message(message: &str) -> String {
    const MAX: usize = 240;
    // serde's words for a value none of a key's forms take name our types, not the user's.
    let message = if message.contains("did not match any variant of untagged enum") {
        "the value is not of a type this key takes (see the documentation of the key)"
    } else {
        message
    };
    let one_line = message.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > MAX {
        format!("{}...", one_line.chars().take(MAX).collect::<String>())
    } else {
        one_line
    }
}

/// A parsed TOML text that answers "on which line is this key".
pub struct TomlLines {
    text: String,
    doc: Option<ImDocument<String>>,
}

/// One step of a key path: a key, or an index into an array (of tables).
#[derive(Debug, Clone, Copy)]
pub enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

impl<'a> From<&'a str> for Step<'a> {
    fn from(key: &'a str) -> Self {
        Step::Key(key)
    }
}

impl<'a> From<&'a String> for Step<'a> {
    fn from(key: &'a String) -> Self {
        Step::Key(key)
    }
}

impl From<usize> for Step<'_> {
    fn from(index: usize) -> Self {
        Step::Index(index)
    }
}

impl TomlLines {
    pub fn new(text: &str) -> TomlLines {
        TomlLines {
            text: text.to_string(),
            doc: ImDocument::parse(text.to_string()).ok(),
        }
    }

    /// The 1-based line of the key at `path` (of its value for an array index), when present.
    pub fn line(&self, path: &[Step]) -> Option<usize> {
        let doc = self.doc.as_ref()?;
        let mut table: &dyn TableLike = doc.as_table();
        let mut array: Option<&Item> = None;
        let mut span = None;
        for step in path {
            match (*step, array) {
                (Step::Key(k), None) => {
                    let (key, item) = table.get_key_value(k)?;
                    span = key.span().or_else(|| item.span());
                    if let Some(t) = item.as_table_like() {
                        table = t;
                    } else {
                        array = Some(item);
                    }
                }
                (Step::Index(i), Some(item)) => {
                    if let Some(tables) = item.as_array_of_tables() {
                        let t = tables.get(i)?;
                        span = t.span().or(span);
                        table = t;
                        array = None;
                    } else {
                        let value = item.as_array()?.get(i)?;
                        span = value.span().or(span);
                        match value.as_inline_table() {
                            Some(t) => {
                                table = t;
                                array = None;
                            }
                            None => return span.map(|s| self.line_at(s.start)),
                        }
                    }
                }
                _ => return None,
            }
        }
        span.map(|s| self.line_at(s.start))
    }

    /// The first float that is not a finite number (`nan`, `inf`), as (line, dotted key).
    pub fn first_non_finite(&self) -> Option<(usize, String)> {
        let doc = self.doc.as_ref()?;
        let mut found = None;
        visit(doc.as_table(), &mut Vec::new(), &mut |path, value| {
            if found.is_some() {
                return;
            }
            if let Value::Float(f) = value {
                if !f.value().is_finite() {
                    let line = value.span().map(|s| self.line_at(s.start)).unwrap_or(1);
                    found = Some((line, path.join(".")));
                }
            }
        });
        found
    }

    fn line_at(&self, offset: usize) -> usize {
        self.text[..offset.min(self.text.len())]
            .matches('\n')
            .count()
            + 1
    }
}

fn visit(table: &dyn TableLike, path: &mut Vec<String>, f: &mut dyn FnMut(&[String], &Value)) {
    for (key, item) in table.iter() {
        path.push(key.to_string());
        visit_item(item, path, f);
        path.pop();
    }
}

fn visit_item(item: &Item, path: &mut Vec<String>, f: &mut dyn FnMut(&[String], &Value)) {
    match item {
        Item::Value(v) => visit_value(v, path, f),
        Item::Table(t) => visit(t, path, f),
        Item::ArrayOfTables(a) => {
            for t in a.iter() {
                visit(t, path, f);
            }
        }
        Item::None => {}
    }
}

fn visit_value(value: &Value, path: &mut Vec<String>, f: &mut dyn FnMut(&[String], &Value)) {
    match value {
        Value::Array(a) => {
            for v in a.iter() {
                visit_value(v, path, f);
            }
        }
        Value::InlineTable(t) => visit(t, path, f),
        other => f(path, other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "name = \"x\"\n[workload]\nrate = 5\n[[workload.queries]]\nsql = \"a\"\n[[workload.queries]]\nsql = \"b\"\n\n[dataset.tables.t.columns]\nc = { kind = \"int\", std_dev = -1 }\n";

    #[test]
    fn keys_tables_and_inline_tables_have_lines() {
        let lines = TomlLines::new(TEXT);
        assert_eq!(lines.line(&["workload".into(), "rate".into()]), Some(3));
        assert_eq!(
            lines.line(&["workload".into(), "queries".into(), 1.into(), "sql".into()]),
            Some(7)
        );
        assert_eq!(
            lines.line(&[
                "dataset".into(),
                "tables".into(),
                "t".into(),
                "columns".into(),
                "c".into(),
                "std_dev".into()
            ]),
            Some(10)
        );
        assert_eq!(lines.line(&["nope".into()]), None);
    }

    #[test]
    fn a_non_finite_float_is_found_with_its_line() {
        let lines = TomlLines::new("[a]\nx = 1.5\n[b]\ny = [1.0, nan]\n");
        assert_eq!(lines.first_non_finite(), Some((4, "b.y".into())));
        assert_eq!(
            TomlLines::new("x = inf\n").first_non_finite(),
            Some((1, "x".into()))
        );
        assert_eq!(TomlLines::new("x = 1e300\n").first_non_finite(), None);
    }
}
