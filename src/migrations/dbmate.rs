//! dbmate's single file with `-- migrate:up` and `-- migrate:down` sections.
//!
//! Each section becomes a [`Script`] whose `first_line` is the line after its marker, so that
//! statement lines stay lines of the file. `-- migrate:up transaction:false` is honoured by
//! marking the section's statements non-transactional, which is what dbmate does with them. An
//! empty down section is a rollback that runs nothing; a section that does not parse is its
//! migration's failure, said when the rehearsal reaches it.

use super::options::outside_transaction;
use super::split::{script_of, split_statements};
use super::{MigrationError, Script};
use std::path::Path;

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

/// One `-- migrate:` line: where it is and where its section's text begins.
struct Marker {
    direction: Direction,
    no_transaction: bool,
    /// 1-based line of the marker itself.
    line: usize,
    starts_at: usize,
    section_starts_at: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
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

/// The line of the file's first `-- migrate:` marker, where a structure error is shown.
pub(crate) fn first_marker_line(text: &str) -> Option<usize> {
    text.lines()
        .position(|line| marker(line).is_some())
        .map(|i| i + 1)
}

/// Splits the file at its markers and each section into statements.
pub(crate) fn sections(path: &Path, text: &str) -> Result<Sections, MigrationError> {
    let structure = |message: String| MigrationError::Structure {
        path: path.to_path_buf(),
        message,
    };
    let mut markers = Vec::new();
    let mut offset = 0;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        if let Some((direction, no_transaction)) = marker(line) {
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
            return Err(structure(
                "it has no `-- migrate:up` line, which every dbmate migration needs".into(),
            ))
        }
        (1, 0 | 1) => {}
        _ => {
            let lines: Vec<_> = markers.iter().map(|m| m.line.to_string()).collect();
            return Err(structure(format!(
                "it has more than one `-- migrate:up` or `-- migrate:down` line (lines {}); dbmate allows one of each",
                lines.join(", ")
            )));
        }
    }
    let first = &markers[0];
    let before = &text[..first.starts_at];
    if !split_statements(path, before, 1)?.is_empty() {
        return Err(structure(format!(
            "it has SQL before its first `-- migrate:` line (line {}); dbmate would not run it",
            first.line
        )));
    }
    let section = |index: usize| -> Script {
        let marker = &markers[index];
        let (start, line) = (marker.section_starts_at, marker.line);
        let end = markers
            .get(index + 1)
            .map_or(text.len(), |next| next.starts_at);
        let mut script = script_of(path, &text[start..end], line + 1);
        if marker.no_transaction {
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
            "its `-- migrate:up` section (line {}) is empty: a migration must contain at least one statement",
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
}
