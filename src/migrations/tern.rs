//! tern (jackc/tern): `<number>_<desc>.sql` holding the forward and the rollback in one file,
//! split at the first `---- create above / drop below ----`.
//!
//! tern numbers its migrations 1, 2, 3 in name order and refuses a folder with a number missing
//! or repeated; it runs each file in a transaction and keeps one row, the number of the last
//! migration applied, in `public.schema_version`. A file without the separator, or with nothing
//! below it, has no rollback (tern calls it irreversible). tern renders each file as a Go
//! template first (`{{ template "shared/x.sql" . }}`): rehearse does not, so such a file fails to
//! parse and says where.

use super::dbmate::Sections;
use super::split::script_of;
use super::syntax::count_newlines;
use super::{MigrationError, Script};
use std::path::Path;

/// The text between the forward and the rollback.
pub(crate) const SEPARATOR: &str = "---- create above / drop below ----";

/// Whether `text` is a tern migration with a rollback section.
pub(crate) fn has_separator(text: &str) -> bool {
    text.contains(SEPARATOR)
}

/// The forward (above the first separator) and the rollback (below it, when it holds more than
/// whitespace), each keeping the file's line numbers.
pub(crate) fn sections(path: &Path, text: &str) -> Result<Sections, MigrationError> {
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

    #[test]
    fn the_separator_gives_forward_and_rollback_with_file_lines() {
        let text = "CREATE TABLE users (id int);\n\n---- create above / drop below ----\n\nDROP TABLE users;\n";
        let s = sections(Path::new("001_users.sql"), text).unwrap();
        assert_eq!(s.up.statements.len(), 1);
        assert_eq!(s.up.statements[0].sql, "CREATE TABLE users (id int)");
        let down = s.down.unwrap();
        assert_eq!(down.statements[0].sql, "DROP TABLE users");
        assert_eq!(down.statements[0].line, 5);
    }

    #[test]
    fn no_separator_or_nothing_below_it_is_no_rollback() {
        let s = sections(Path::new("1_t.sql"), "CREATE TABLE t (id int);\n").unwrap();
        assert!(s.down.is_none());
        let s = sections(
            Path::new("1_t.sql"),
            "CREATE TABLE t (id int);\n---- create above / drop below ----\n\n",
        )
        .unwrap();
        assert!(s.down.is_none());
        let err = sections(
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
