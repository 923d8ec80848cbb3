//! Files that hold their own rollback in marked sections: dbmate's `-- migrate:up` and
//! `-- migrate:down`, and goose's `-- +goose Up` and `-- +goose Down` (pressly/goose).
//!
//! Each section becomes a [`Script`] whose `first_line` is the line after its marker, so that
//! statement lines stay lines of the file. dbmate's `-- migrate:up transaction:false` and goose's
//! `-- +goose NO TRANSACTION` are honoured by marking the statements non-transactional, which is
//! what the tools do with them. An empty down section is a rollback that runs nothing; a section
//! that does not parse is its migration's failure, said when the rehearsal reaches it.

use super::options::outside_transaction;
use super::split::{script_of, split_statements};
use super::{MigrationError, Script};
use std::path::Path;

/// How one tool marks its sections.
#[derive(Clone, Copy)]
pub(crate) struct Dialect {
    /// The tool, for messages.
    tool: &'static str,
    /// The up and down markers as the tool's documentation spells them.
    up: &'static str,
    down: &'static str,
    /// Reads a marker line: its direction and whether it says the section runs outside a
    /// transaction.
    marker: fn(&str) -> Option<(Direction, bool)>,
    /// Whether a line that is not a marker puts the whole file outside a transaction.
    whole_file_outside: fn(&str) -> bool,
}

/// dbmate: `-- migrate:up [transaction:false]`, `-- migrate:down [transaction:false]`.
pub(crate) const DBMATE: Dialect = Dialect {
    tool: "dbmate",
    up: "-- migrate:up",
    down: "-- migrate:down",
    marker,
    whole_file_outside: |_| false,
};

/// goose: `-- +goose Up`, `-- +goose Down` (any case), `-- +goose NO TRANSACTION` for the
/// whole file. `StatementBegin`/`StatementEnd` are comments to the parser, which splits
/// function bodies correctly without them.
pub(crate) const GOOSE: Dialect = Dialect {
    tool: "goose",
    up: "-- +goose Up",
    down: "-- +goose Down",
    marker: goose_marker,
    whole_file_outside: |line| {
        goose_annotation(line).is_some_and(|a| a.eq_ignore_ascii_case("no transaction"))
    },
};

/// What follows `-- +goose` on a line, trimmed.
fn goose_annotation(line: &str) -> Option<&str> {
    let rest = line.trim().strip_prefix("--")?.trim_start();
    let rest = rest.strip_prefix("+goose")?;
    (rest.is_empty() || rest.starts_with(char::is_whitespace)).then(|| rest.trim())
}

fn goose_marker(line: &str) -> Option<(Direction, bool)> {
    let annotation = goose_annotation(line)?;
    if annotation.eq_ignore_ascii_case("up") {
        Some((Direction::Up, false))
    } else if annotation.eq_ignore_ascii_case("down") {
        Some((Direction::Down, false))
    } else {
        None
    }
}

/// Whether `text` is a goose SQL migration (it has `-- +goose Up`).
pub(crate) fn has_goose_up(text: &str) -> bool {
    text.lines()
        .any(|line| matches!(goose_marker(line), Some((Direction::Up, _))))
}

/// The up and (possibly absent or empty) down sections of a dbmate file.
pub(crate) struct Sections {
    pub up: Script,
    pub down: Option<Script>,
}

/// Whether `text` is a dbmate migration (it has an up marker).
pub(crate) fn has_up_marker(text: &str) -> bool {
    text.lines()
        .any(|line| matches!(marker(line), Some((Direction::Up, _))))
}

/// One marker line: where it is and where its section's text begins.
struct Marker {
    direction: Direction,
    no_transaction: bool,
    /// 1-based line of the marker itself.
    line: usize,
    starts_at: usize,
    section_starts_at: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Up,
    Down,
}

/// Reads the marker on `line`: direction and whether it says `transaction:false`.
fn marker(line: &str) -> Option<(Direction, bool)> {
    let rest = line.trim_start().strip_prefix("--")?.trim_start();
    let (direction, options) = if let Some(options) = rest.strip_prefix("migrate:up") {
        (Direction::Up, options)
    } else {
        (Direction::Down, rest.strip_prefix("migrate:down")?)
    };
    if !(options.is_empty() || options.starts_with(char::is_whitespace)) {
        return None;
    }
    let no_transaction = options.split_whitespace().any(|o| o == "transaction:false");
    Some((direction, no_transaction))
}

/// The line of the file's first marker, where a structure error is shown.
pub(crate) fn first_marker_line(dialect: &Dialect, text: &str) -> Option<usize> {
    text.lines()
        .position(|line| (dialect.marker)(line).is_some())
        .map(|i| i + 1)
}

/// Splits a dbmate file at its markers and each section into statements.
pub(crate) fn sections(path: &Path, text: &str) -> Result<Sections, MigrationError> {
    sections_of(&DBMATE, path, text)
}

/// Splits the file at `dialect`'s markers and each section into statements.
pub(crate) fn sections_of(
    dialect: &Dialect,
    path: &Path,
    text: &str,
) -> Result<Sections, MigrationError> {
    let (tool, up_marker) = (dialect.tool, dialect.up);
    let structure = |message: String| MigrationError::Structure {
        path: path.to_path_buf(),
        message,
    };
    let mut markers = Vec::new();
    let mut offset = 0;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        if let Some((direction, no_transaction)) = (dialect.marker)(line) {
            markers.push(Marker {
                direction,
                no_transaction,
                line: index + 1,
                starts_at: offset,
                section_starts_at: offset + line.len(),
            });
        }
        offset += line.len();
    }
    let count = |d: Direction| markers.iter().filter(|m| m.direction == d).count();
    match (count(Direction::Up), count(Direction::Down)) {
        (0, _) => {
            return Err(structure(format!(
                "it has no `{up_marker}` line, which every {tool} migration needs"
            )))
        }
        (1, 0 | 1) => {}
        _ => {
            let lines: Vec<_> = markers.iter().map(|m| m.line.to_string()).collect();
            return Err(structure(format!(
                "it has more than one `{up_marker}` or `{}` line (lines {}); {tool} allows one of each",
                dialect.down,
                lines.join(", ")
            )));
        }
    }
    let first = &markers[0];
    let before = &text[..first.starts_at];
    if !split_statements(path, before, 1)?.is_empty() {
        return Err(structure(format!(
            "it has SQL before its first `{up_marker}` or `{}` line (line {}); {tool} would not run it",
            dialect.down,
            first.line
        )));
    }
    let whole_file_outside = text.lines().any(dialect.whole_file_outside);
    let section = |index: usize| -> Script {
        let marker = &markers[index];
        let (start, line) = (marker.section_starts_at, marker.line);
        let end = markers
            .get(index + 1)
            .map_or(text.len(), |next| next.starts_at);
        let mut script = script_of(path, &text[start..end], line + 1);
        if marker.no_transaction || whole_file_outside {
            outside_transaction(&mut script);
        }
        script
    };
    let up_index = markers
        .iter()
        .position(|m| m.direction == Direction::Up)
        .unwrap_or(0);
    let up = section(up_index);
    if up.statements.is_empty() && up.parse_error.is_none() {
        return Err(structure(format!(
            "its `{up_marker}` section (line {}) is empty: a migration must contain at least one statement",
            markers[up_index].line
        )));
    }
    // An empty down section is a rollback that does nothing, as dbmate runs it; no down marker
    // at all is no rollback.
    let down = markers
        .iter()
        .position(|m| m.direction == Direction::Down)
        .map(section);
    Ok(Sections { up, down })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_keep_file_lines() {
        let text = "-- a comment\n-- migrate:up\nCREATE TABLE t (id int);\n\n-- migrate:down\nDROP TABLE t;\n";
        let s = sections(Path::new("1_t.sql"), text).unwrap();
        assert_eq!(s.up.first_line, 3);
        assert_eq!(s.up.statements[0].line, 3);
        assert_eq!(s.up.statements[0].sql, "CREATE TABLE t (id int)");
        let down = s.down.unwrap();
        assert_eq!(down.first_line, 6);
        assert_eq!(down.statements[0].sql, "DROP TABLE t");
        assert_eq!(down.statements[0].line, 6);
    }

    #[test]
    fn empty_down_section_is_a_rollback_that_does_nothing() {
        let s = sections(
            Path::new("1_t.sql"),
            "-- migrate:up\nSELECT 1;\n-- migrate:down\n\n",
        )
        .unwrap();
        assert!(s.down.unwrap().statements.is_empty());
        let s = sections(Path::new("1_t.sql"), "-- migrate:up\nSELECT 1;\n").unwrap();
        assert!(s.down.is_none());
    }

    #[test]
    fn a_section_that_does_not_parse_says_where() {
        let s = sections(
            Path::new("1_t.sql"),
            "-- migrate:up\nSELECT 1;\n-- migrate:down\nDROP TABLEE t;\n",
        )
        .unwrap();
        let failure = s.down.unwrap().parse_error.unwrap();
        assert_eq!(failure.line, 4);
        assert!(failure.message.contains("TABLEE"), "{failure:?}");
    }

    #[test]
    fn transaction_false_runs_statements_outside_a_transaction() {
        let s = sections(
            Path::new("1_t.sql"),
            "-- migrate:up transaction:false\nCREATE INDEX i ON t (a);\n",
        )
        .unwrap();
        assert_eq!(
            s.up.statements[0].transactionality,
            crate::migrations::Transactionality::NonTransactional
        );
    }

    #[test]
    fn missing_up_marker_and_sql_before_it_are_errors() {
        assert!(sections(Path::new("1_t.sql"), "SELECT 1;\n").is_err());
        let err = sections(
            Path::new("1_t.sql"),
            "SELECT 1;\n-- migrate:up\nSELECT 2;\n",
        )
        .err()
        .unwrap()
        .to_string();
        assert!(err.contains("before its first"), "{err}");
    }

    #[test]
    fn marker_needs_the_exact_word() {
        assert!(!has_up_marker("-- migrate:upgrade\n"));
        assert!(has_up_marker("--migrate:up\n"));
    }

    #[test]
    fn goose_sections_split_at_its_annotations_and_honour_no_transaction() {
        let text = "-- +goose Up\n-- +goose StatementBegin\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n-- +goose StatementEnd\n\n-- +goose down\nDROP FUNCTION f();\n";
        assert!(has_goose_up(text));
        let s = sections_of(&GOOSE, Path::new("00001_f.sql"), text).unwrap();
        assert_eq!(s.up.statements.len(), 1, "{:?}", s.up.statements);
        assert_eq!(s.up.statements[0].line, 3);
        let down = s.down.unwrap();
        assert_eq!(down.statements[0].sql, "DROP FUNCTION f()");
        assert_eq!(down.statements[0].line, 7);
        let s = sections_of(
            &GOOSE,
            Path::new("00002_i.sql"),
            "-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX CONCURRENTLY i ON t (a);\n-- +goose Down\nDROP INDEX CONCURRENTLY i;\n",
        )
        .unwrap();
        assert_eq!(
            s.down.unwrap().statements[0].transactionality,
            crate::migrations::Transactionality::NonTransactional
        );
        let err = sections_of(&GOOSE, Path::new("3_x.sql"), "SELECT 1;\n")
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("no `-- +goose Up` line"), "{err}");
        assert!(!has_goose_up("-- +gooseUp\n-- +goose Upgrade\n"));
    }
}
