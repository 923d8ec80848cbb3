//! tern (jackc/tern): `<number>_<desc>.sql` holding the forward and the rollback in one file,
//! split at the first `---- create above / drop below ----`.
//!
//! tern numbers its migrations 1, 2, 3 in name order and refuses a folder with a number missing
//! or repeated; it runs each file in a transaction and keeps one row, the number of the last
//! migration applied, in `public.schema_version`. A file without the separator, or with nothing
//! below it, has no rollback (tern calls it irreversible).
//!
//! tern renders each file as a Go template first. The two actions migrations use are rendered
//! here as tern renders them: `{{ template "func/x.sql" . }}` includes a `.sql` file of a
//! subfolder (itself rendered), and `{{.name}}` is the value of `name` in the `[data]` section
//! of `tern.conf` (in the folder, or the folder above it, where tern is run from). Anything else
//! between `{{` and `}}`, or a name no `tern.conf` defines, is the migration's failure, naming
//! the line: rehearse never guesses a value. Lines after an included file are lines of the
//! rendered text.

use super::dbmate::Sections;
use super::split::script_of;
use super::syntax::count_newlines;
use super::{MigrationError, Script};
use std::path::{Path, PathBuf};

/// The text between the forward and the rollback.
pub(crate) const SEPARATOR: &str = "---- create above / drop below ----";

/// Whether `text` is a tern migration with a rollback section.
pub(crate) fn has_separator(text: &str) -> bool {
    text.contains(SEPARATOR)
}

/// What tern renders a migration with: the folder its shared templates are read from, and the
/// `[data]` of its `tern.conf`.
pub(crate) struct Templates {
    root: PathBuf,
    data: Vec<(String, String)>,
    /// The `tern.conf` the data came from, for messages.
    conf: Option<PathBuf>,
}

impl Templates {
    /// Reads `tern.conf` from `root`, else from the folder above it.
    pub(crate) fn of(root: &Path) -> Templates {
        let conf = std::iter::once(root)
            .chain(root.parent())
            .map(|folder| folder.join("tern.conf"))
            .find(|conf| conf.is_file());
        let data = conf
            .as_deref()
            .and_then(|conf| std::fs::read_to_string(conf).ok())
            .map(|text| data_section(&text))
            .unwrap_or_default();
        Templates {
            root: root.to_path_buf(),
            data,
            conf,
        }
    }

    /// `text` with its template actions rendered; an action rehearse cannot render is a
    /// syntax error at its line of `path`. `depth` bounds includes that include themselves.
    fn render(&self, path: &Path, text: &str, depth: usize) -> Result<String, MigrationError> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            let line = 1 + count_newlines(&text[..text.len() - rest.len() + start]);
            let fail = |message: String| MigrationError::Syntax {
                path: path.to_path_buf(),
                line,
                message,
            };
            out.push_str(&rest[..start]);
            let Some(end) = rest[start..].find("}}") else {
                return Err(fail(
                    "`{{` without its `}}`: tern's template cannot be rendered".into(),
                ));
            };
            let inner = &rest[start + 2..start + end];
            let action = inner.trim_start_matches('-').trim_end_matches('-').trim();
            out.push_str(&self.action(action, depth).map_err(fail)?);
            rest = &rest[start + end + 2..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn action(&self, action: &str, depth: usize) -> Result<String, String> {
        if let Some(name) = action.strip_prefix('.') {
            if name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') && !name.is_empty() {
                return match self.data.iter().find(|(key, _)| key == name) {
                    Some((_, value)) => Ok(value.clone()),
                    None => Err(match &self.conf {
                        Some(conf) => format!(
                            "{{{{.{name}}}}} has no value: the [data] section of {} does not define {name}",
                            conf.display()
                        ),
                        None => format!(
                            "{{{{.{name}}}}} has no value: tern takes it from the [data] section of tern.conf, and there is none in {} or the folder above it",
                            self.root.display()
                        ),
                    }),
                };
            }
        }
        if let Some(args) = action.strip_prefix("template") {
            let args = args.trim();
            let name = args
                .strip_prefix('"')
                .and_then(|a| a.split_once('"'))
                .filter(|(_, after)| matches!(after.trim(), "" | "."))
                .map(|(name, _)| name);
            if let Some(name) = name {
                let file = self.root.join(name);
                if depth > 8 {
                    return Err(format!("{{{{ template \"{name}\" }}}} includes itself"));
                }
                let text = std::fs::read_to_string(&file).map_err(|e| {
                    format!(
                        "{{{{ template \"{name}\" }}}}: {} cannot be read: {}",
                        file.display(),
                        crate::error::io_reason(&e)
                    )
                })?;
                return self
                    .render(&file, &text, depth + 1)
                    .map_err(|e| e.to_string());
            }
        }
        Err(format!(
            "{{{{ {action} }}}} is Go template syntax rehearse does not render (it renders {{{{ template \"file\" . }}}} and {{{{.name}}}} from tern.conf)"
        ))
    }
}

/// The `key = value` lines of the `[data]` section of a tern.conf.
fn data_section(text: &str) -> Vec<(String, String)> {
    let mut in_data = false;
    let mut data = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_data = line == "[data]";
        } else if let (true, Some((key, value))) = (in_data, line.split_once('=')) {
            if !line.starts_with(['#', ';']) {
                data.push((key.trim().to_string(), value.trim().to_string()));
            }
        }
    }
    data
}

/// The forward (above the first separator) and the rollback (below it, when it holds more than
/// whitespace), each rendered as tern renders it and keeping the file's line numbers.
pub(crate) fn sections(
    templates: &Templates,
    path: &Path,
    text: &str,
) -> Result<Sections, MigrationError> {
    let rendered;
    let text = if text.contains("{{") {
        rendered = templates.render(path, text, 0)?;
        rendered.as_str()
    } else {
        text
    };
    let (above, below) = match text.find(SEPARATOR) {
        Some(at) => (
            &text[..at],
            Some((at + SEPARATOR.len(), &text[at + SEPARATOR.len()..])),
        ),
        None => (text, None),
    };
    let up = script_of(path, above, 1);
    if up.statements.is_empty() && up.parse_error.is_none() {
        // tern refuses it: "no sql in forward migration step".
        return Err(MigrationError::Structure {
            path: path.to_path_buf(),
            message: format!(
                "it has no SQL above `{SEPARATOR}`: tern refuses a migration without a forward step"
            ),
        });
    }
    let down: Option<Script> = below
        .filter(|(_, rest)| !rest.trim().is_empty())
        .map(|(start, rest)| script_of(path, rest, 1 + count_newlines(&text[..start])));
    Ok(Sections { up, down })
}

/// Where tern's numbering breaks: `numbers` are the files' numbers in name order, which tern
/// requires to be 1, 2, 3 and so on. A number repeated is left to the check every numbered
/// convention makes; a gap is said once, at the first file after it.
pub(crate) fn numbering_breaks(numbers: &[(u64, String)]) -> Vec<String> {
    let mut breaks = Vec::new();
    let mut next = 1;
    for (number, file) in numbers {
        if *number == next {
            next += 1;
        } else if *number > next {
            breaks.push(format!(
                "migration {next} is missing before {file}: tern requires the numbers 1, 2, 3 and so on in name order"
            ));
            break;
        }
    }
    breaks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none() -> Templates {
        Templates::of(Path::new("/nonexistent/migrations"))
    }

    #[test]
    fn includes_and_data_render_as_tern_renders_them() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("func")).unwrap();
        std::fs::write(
            dir.path().join("func/f.sql"),
            "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql;\nGRANT EXECUTE ON FUNCTION f() TO {{ .app }};",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("tern.conf"),
            "[database]\nhost = x\n\n[data]\napp = reader\n",
        )
        .unwrap();
        let templates = Templates::of(dir.path());
        let text = "{{ template \"func/f.sql\" . }}\n---- create above / drop below ----\nDROP FUNCTION f();\n";
        let s = sections(&templates, Path::new("001_f.sql"), text).unwrap();
        let sql: Vec<&str> = s.up.statements.iter().map(|s| s.sql.as_str()).collect();
        assert_eq!(sql[1], "GRANT EXECUTE ON FUNCTION f() TO reader");
        let err = sections(
            &templates,
            Path::new("002_g.sql"),
            "SELECT 1;\nGRANT ALL ON t TO {{.owner}};\n",
        )
        .err()
        .unwrap();
        let message = err.to_string();
        assert!(
            message.contains("002_g.sql, line 2: {{.owner}} has no value"),
            "{message}"
        );
        let err = sections(
            &templates,
            Path::new("003_h.sql"),
            "{{ if .x }}SELECT 1;{{ end }}\n",
        )
        .err()
        .unwrap();
        assert!(
            err.to_string()
                .contains("{{ if .x }} is Go template syntax rehearse does not render"),
            "{err}"
        );
    }

    #[test]
    fn the_separator_gives_forward_and_rollback_with_file_lines() {
        let text = "CREATE TABLE users (id int);\n\n---- create above / drop below ----\n\nDROP TABLE users;\n";
        let s = sections(&none(), Path::new("001_users.sql"), text).unwrap();
        assert_eq!(s.up.statements.len(), 1);
        assert_eq!(s.up.statements[0].sql, "CREATE TABLE users (id int)");
        let down = s.down.unwrap();
        assert_eq!(down.statements[0].sql, "DROP TABLE users");
        assert_eq!(down.statements[0].line, 5);
    }

    #[test]
    fn no_separator_or_nothing_below_it_is_no_rollback() {
        let s = sections(&none(), Path::new("1_t.sql"), "CREATE TABLE t (id int);\n").unwrap();
        assert!(s.down.is_none());
        let s = sections(
            &none(),
            Path::new("1_t.sql"),
            "CREATE TABLE t (id int);\n---- create above / drop below ----\n\n",
        )
        .unwrap();
        assert!(s.down.is_none());
        let err = sections(
            &none(),
            Path::new("1_t.sql"),
            "-- nothing\n---- create above / drop below ----\nDROP TABLE t;\n",
        )
        .err()
        .unwrap()
        .to_string();
        assert!(err.contains("no SQL above"), "{err}");
    }

    #[test]
    fn numbering_must_run_from_one_without_gaps_or_repeats() {
        let files = |ns: &[u64]| -> Vec<(u64, String)> {
            ns.iter().map(|n| (*n, format!("{n:03}_x.sql"))).collect()
        };
        assert!(numbering_breaks(&files(&[1, 2, 3])).is_empty());
        assert!(numbering_breaks(&files(&[1, 1, 2])).is_empty());
        assert_eq!(
            numbering_breaks(&files(&[1, 3])),
            ["migration 2 is missing before 003_x.sql: tern requires the numbers 1, 2, 3 and so on in name order"]
        );
    }
}
