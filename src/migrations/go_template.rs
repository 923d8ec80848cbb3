//! Go template actions in migration files, rendered as the runner renders them.
//!
//! gobuffalo pop (soda, and runners built on it such as supabase/auth's) renders every SQL
//! migration with Go's text/template before running it, with the connection's details as data:
//! `CREATE TABLE {{ index .Options "Namespace" }}.users`, `{{ .Database }}`. Such a file is not
//! SQL until rendered, and the values live in the application's configuration, not in the
//! folder. So the values are the scenario's (`[migrations.template]`, `--template KEY=VALUE`),
//! and rehearse never guesses one: every action without a value is listed at once, with the
//! lines that would give it, before any server starts.
//!
//! This module is pure (text in, text out). It renders the two forms migrations use, a field
//! path (`.Options.Namespace`) and `index` of a field by string keys; anything else between
//! `{{` and `}}` is named as Go template syntax rehearse does not render. It must never render a
//! folder whose runner does not (sqlx, diesel and Flyway run `{{` as written): the caller decides
//! that (see [`is_templated`]). tern's own actions are tern's module's.

use std::collections::BTreeMap;

/// Values for the actions, as a tree of names (`Options` → `Namespace` → `auth`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TemplateValues {
    fields: BTreeMap<String, Node>,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Text(String),
    Fields(TemplateValues),
}

impl TemplateValues {
    /// The values of a `[migrations.template]` table: strings, numbers and booleans are written
    /// as they read; tables nest. An array has no place in a path and is refused by key.
    pub fn from_toml(table: &toml::Table) -> Result<TemplateValues, String> {
        Self::from_table(table, "")
    }

    fn from_table(table: &toml::Table, prefix: &str) -> Result<TemplateValues, String> {
        let mut fields = BTreeMap::new();
        for (key, value) in table {
            let path = format!("{prefix}{key}");
            let node = match value {
                toml::Value::String(s) => Node::Text(s.clone()),
                toml::Value::Integer(i) => Node::Text(i.to_string()),
                toml::Value::Float(f) => Node::Text(f.to_string()),
                toml::Value::Boolean(b) => Node::Text(b.to_string()),
                toml::Value::Datetime(d) => Node::Text(d.to_string()),
                toml::Value::Table(t) => Node::Fields(Self::from_table(t, &format!("{path}."))?),
                toml::Value::Array(_) => {
                    return Err(format!(
                        "[migrations.template] {path} is a list; a template value is a string, a number or a table of them"
                    ))
                }
            };
            fields.insert(key.clone(), node);
        }
        Ok(TemplateValues { fields })
    }

    /// Sets `PATH=VALUE` (`Options.Namespace=auth`), as `--template` gives it; the command line
    /// wins over the file.
    pub fn set(&mut self, assignment: &str) -> Result<(), String> {
        let Some((path, value)) = assignment.split_once('=') else {
            return Err(format!(
                "--template {assignment}: expected NAME=VALUE, such as Options.Namespace=auth"
            ));
        };
        let names: Vec<&str> = path.trim().split('.').map(str::trim).collect();
        if names.iter().any(|n| n.is_empty()) {
            return Err(format!(
                "--template {assignment}: the name is empty or has an empty part; expected NAME=VALUE, such as Options.Namespace=auth"
            ));
        }
        let mut at = self;
        for name in &names[..names.len() - 1] {
            let node = at
                .fields
                .entry((*name).to_string())
                .or_insert_with(|| Node::Fields(TemplateValues::default()));
            if let Node::Text(_) = node {
                *node = Node::Fields(TemplateValues::default());
            }
            let Node::Fields(inner) = node else {
                unreachable!("made a table just above")
            };
            at = inner;
        }
        at.fields.insert(
            names[names.len() - 1].to_string(),
            Node::Text(value.to_string()),
        );
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Adds every value of `other` over these (`other` wins).
    pub fn overlay(&mut self, other: &TemplateValues) {
        for (name, node) in &other.fields {
            match (self.fields.get_mut(name), node) {
                (Some(Node::Fields(mine)), Node::Fields(theirs)) => mine.overlay(theirs),
                _ => {
                    self.fields.insert(name.clone(), node.clone());
                }
            }
        }
    }

    fn lookup(&self, path: &[String]) -> Option<&str> {
        let (first, rest) = path.split_first()?;
        match (self.fields.get(first)?, rest.is_empty()) {
            (Node::Text(text), true) => Some(text),
            (Node::Fields(inner), false) => inner.lookup(rest),
            _ => None,
        }
    }
}

/// An action that could not be rendered, at its line of the text.
#[derive(Debug, Clone, PartialEq)]
pub struct Unrendered {
    pub line: usize,
    /// The action as written between the braces, trimmed.
    pub action: String,
    /// The value's path (`Options.Namespace`) when the action is one rehearse renders.
    pub needs: Option<String>,
}

/// Whether `text` holds a Go template action: `{{` then a field (`.`), a comment, or one of
/// the words Go templates begin actions with. A PostgreSQL array literal (`'{{1,2},{3,4}}'`)
/// does not.
pub fn has_actions(text: &str) -> bool {
    let mut rest = text;
    while let Some(at) = rest.find("{{") {
        let after = rest[at + 2..].trim_start_matches('-').trim_start();
        if begins_action(after) {
            return true;
        }
        rest = &rest[at + 2..];
    }
    false
}

fn begins_action(after: &str) -> bool {
    const WORDS: [&str; 16] = [
        "index", "template", "if", "else", "end", "range", "with", "define", "block", "printf",
        "print", "len", "eq", "ne", "not", "and",
    ];
    after.starts_with('.')
        || after.starts_with("/*")
        || WORDS.iter().any(|w| {
            after
                .strip_prefix(w)
                .is_some_and(|tail| tail.starts_with(|c: char| c.is_whitespace() || c == '}'))
        })
}

/// Whether a folder's files are Go templates its runner renders: values were given for them,
/// or an action stands where SQL could not (the file as written does not parse).
pub fn is_templated(values: &TemplateValues, texts_that_do_not_parse: bool) -> bool {
    !values.is_empty() || texts_that_do_not_parse
}

/// `text` with every action rendered from `values`. Actions that cannot be rendered are
/// returned, each at its line, and left out of the text.
pub fn render(text: &str, values: &TemplateValues) -> (String, Vec<Unrendered>) {
    let mut out = String::with_capacity(text.len());
    let mut unrendered = Vec::new();
    let mut rest = text;
    let mut line = 1;
    while let Some(start) = rest.find("{{") {
        let after = rest[start + 2..].trim_start_matches('-').trim_start();
        if !begins_action(after) {
            out.push_str(&rest[..start + 2]);
            line += rest[..start + 2].matches('\n').count();
            rest = &rest[start + 2..];
            continue;
        }
        let Some(len) = rest[start..].find("}}") else {
            break;
        };
        let inner = &rest[start + 2..start + len];
        let mut before = &rest[..start];
        if inner.starts_with('-') {
            before = before.trim_end();
        }
        out.push_str(before);
        line += rest[..start].matches('\n').count();
        let action = inner.trim_start_matches('-').trim_end_matches('-').trim();
        match rendered(action, values) {
            Ok(text) => out.push_str(&text),
            Err(needs) => unrendered.push(Unrendered {
                line,
                action: action.to_string(),
                needs,
            }),
        }
        line += inner.matches('\n').count();
        rest = &rest[start + len + 2..];
        if inner.ends_with('-') {
            let trimmed = rest.trim_start();
            line += rest[..rest.len() - trimmed.len()].matches('\n').count();
            rest = trimmed;
        }
    }
    out.push_str(rest);
    (out, unrendered)
}

/// One action's text, or the path of the value it needs (None: not a form rehearse renders).
fn rendered(action: &str, values: &TemplateValues) -> Result<String, Option<String>> {
    if action.starts_with("/*") && action.ends_with("*/") {
        return Ok(String::new());
    }
    let path = if let Some(field) = action.strip_prefix('.') {
        field_path(field).ok_or(None)?
    } else if let Some(args) = action.strip_prefix("index") {
        index_path(args).ok_or(None)?
    } else {
        return Err(None);
    };
    values
        .lookup(&path)
        .map(str::to_string)
        .ok_or_else(|| Some(path.join(".")))
}

/// `Options.Namespace` (after the leading dot) as its names.
fn field_path(field: &str) -> Option<Vec<String>> {
    let names: Vec<String> = field.split('.').map(str::to_string).collect();
    names
        .iter()
        .all(|n| !n.is_empty() && n.chars().all(|c| c.is_alphanumeric() || c == '_'))
        .then_some(names)
}

/// `index .Options "Namespace"`'s arguments (after `index`) as one path.
fn index_path(args: &str) -> Option<Vec<String>> {
    let args = args.trim();
    let (field, mut keys) = args.split_once(char::is_whitespace)?;
    let mut path = field_path(field.strip_prefix('.')?)?;
    loop {
        keys = keys.trim_start();
        if keys.is_empty() {
            break;
        }
        let quoted = keys.strip_prefix('"')?;
        let (key, after) = quoted.split_once('"')?;
        path.push(key.to_string());
        keys = after;
    }
    (path.len() > 1).then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(toml_text: &str) -> TemplateValues {
        TemplateValues::from_toml(&toml_text.parse::<toml::Table>().unwrap()).unwrap()
    }

    #[test]
    fn pop_namespace_is_rendered_from_the_values() {
        let v = values("Options = { Namespace = \"auth\" }");
        let text = "CREATE TABLE {{ index .Options \"Namespace\" }}.users (id int);\n\
                    GRANT ALL ON {{index .Options \"Namespace\" }}.users TO {{ .Options.Role }};";
        let (out, missing) = render(text, &v);
        assert!(out.starts_with("CREATE TABLE auth.users (id int);\nGRANT ALL ON auth.users TO "));
        assert_eq!(
            missing,
            vec![Unrendered {
                line: 2,
                action: ".Options.Role".into(),
                needs: Some("Options.Role".into())
            }]
        );
    }

    #[test]
    fn array_literals_are_not_actions() {
        assert!(!has_actions("SELECT '{{1,2},{3,4}}'::int[];"));
        assert!(has_actions("CREATE SCHEMA {{ .Schema }};"));
        assert!(has_actions("{{- index .Options \"Namespace\" -}}"));
        assert!(has_actions("{{/* a comment */}}"));
        let (out, missing) = render("SELECT '{{1,2}}'::int[];", &TemplateValues::default());
        assert_eq!(out, "SELECT '{{1,2}}'::int[];");
        assert!(missing.is_empty());
    }

    #[test]
    fn lines_count_across_the_text_and_trim_markers_trim() {
        let v = values("Schema = \"app\"");
        let (out, missing) = render(
            "a\n{{ .Schema }}\nb {{- /* x */ -}}\n c\n{{ printf \"%s\" .Schema }}",
            &v,
        );
        assert_eq!(out, "a\napp\nbc\n");
        assert_eq!(missing.len(), 1);
        assert_eq!(missing[0].line, 5);
        assert_eq!(missing[0].needs, None);
    }

    #[test]
    fn the_command_line_sets_nested_values_over_the_file() {
        let mut v = values("Options = { Namespace = \"auth\", Other = \"x\" }");
        let mut cli = TemplateValues::default();
        cli.set("Options.Namespace=public").unwrap();
        v.overlay(&cli);
        let (out, _) = render("{{ index .Options \"Namespace\" }} {{ .Options.Other }}", &v);
        assert_eq!(out, "public x");
        assert!(cli.set("Options..x=1").is_err());
        assert!(cli.set("novalue").is_err());
        let list = "A = [1]".parse::<toml::Table>().unwrap();
        assert!(TemplateValues::from_toml(&list)
            .unwrap_err()
            .contains("[migrations.template] A is a list"));
    }
}
