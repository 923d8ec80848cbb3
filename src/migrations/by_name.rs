//! Folders read by whole file name, when no known tool's convention reads their names.
//!
//! Some runners take the whole file name as the version and apply files in name order:
//! maragudk/migrate (`1-accounts.up.sql`, and `NAME_up.sql` through its patterns' unescaped
//! dots), and the many small runners that read `NAME.up.sql`/`NAME.down.sql` or plain
//! `NAME.sql`. Their folders break the numbered conventions freely: a number shared by several
//! files (`001_a.up.sql`, `001_b.up.sql`), a name without description (`002.up.sql`). Discovery
//! reads such a folder as `by-name` (every `.sql` file, `NAME` as the version, ordered as text)
//! without being asked only when nothing is left to guess: every name starts with a number, so
//! that name order is an order its author chose, and name order agrees with number order
//! (`10_x` sorting before `2_y` would be a runner's choice we cannot know). What it would have
//! to guess is listed here as problems; `--format by-name` reads the folder anyway.
//!
//! This module reads names only; it never opens a file.

use super::discover::{examples, Named};
use super::{Format, MigrationError};
use std::cmp::Ordering;
use std::path::Path;

/// What reading the folder by name would have to guess: a forward script whose name starts
/// with no number (its place in name order is a guess), and each place where name order and
/// number order disagree. `pairs` are the forward scripts with their rollbacks.
pub(super) fn guesses(root: &Path, pairs: &[(Named, Option<Named>)]) -> Vec<MigrationError> {
    let mut forwards: Vec<&Named> = pairs.iter().map(|(forward, _)| forward).collect();
    forwards.sort_by(|a, b| a.name.version.cmp(&b.name.version));
    let mut problems: Vec<MigrationError> = forwards
        .iter()
        .filter(|f| leading_number(&f.name.version).is_none())
        .map(|f| MigrationError::UnknownConvention(f.path.clone()))
        .collect();
    let numbered: Vec<(&str, &Named)> = forwards
        .iter()
        .filter_map(|f| leading_number(&f.name.version).map(|n| (n, *f)))
        .collect();
    let disagreements: Vec<String> = numbered
        .windows(2)
        .filter(|w| compare_numbers(w[0].0, w[1].0) == Ordering::Greater)
        .map(|w| format!("{} before {}", file(w[0].1), file(w[1].1)))
        .collect();
    if !disagreements.is_empty() {
        let shown: Vec<&str> = disagreements.iter().map(String::as_str).collect();
        problems.push(MigrationError::Structure {
            path: root.to_path_buf(),
            message: format!(
                "name order and number order disagree ({} by name, the other way by number): a runner that sorts names and one that sorts numbers apply these in different orders",
                examples(&shown)
            ),
        });
    }
    problems
}

/// The note said when the folder was read as `by-name` without being asked: why, how, and the
/// `--format` that reads it otherwise. `readings` are the problems of the convention tried
/// first (none when no name follows one); `unknown` the names that follow none.
pub(super) fn assumed_note(
    readings: &[(Format, Vec<MigrationError>)],
    unknown: &[String],
) -> String {
    const SHOWN: usize = 2;
    let why = match readings.first() {
        Some((format, problems)) => {
            let shown: Vec<String> = problems.iter().take(SHOWN).map(|p| p.to_string()).collect();
            let more = match problems.len().saturating_sub(SHOWN) {
                0 => String::new(),
                n => format!("; and {n} more"),
            };
            format!(
                "the file names do not follow the {format} convention ({}{more})",
                shown.join("; ")
            )
        }
        None => {
            let names: Vec<&str> = unknown.iter().map(String::as_str).collect();
            format!(
                "no known convention reads the file names ({})",
                examples(&names)
            )
        }
    };
    format!(
        "{why}; read as by-name: {}. --format maragu reads it as maragudk/migrate does (with its migrations table); --format up-down, flyway, diesel or dbmate forces another",
        Format::ByName.reading()
    )
}

/// The digits a name starts with, when it does.
fn leading_number(name: &str) -> Option<&str> {
    let end = name
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(name.len());
    (end > 0).then(|| &name[..end])
}

/// Digit strings as numbers, of any length.
fn compare_numbers(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn file(named: &Named) -> String {
    super::file_name(&named.path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_as_numbers_of_any_length() {
        assert_eq!(compare_numbers("10", "2"), Ordering::Greater);
        assert_eq!(compare_numbers("002", "2"), Ordering::Equal);
        assert_eq!(
            compare_numbers("20240101120000000000", "3"),
            Ordering::Greater
        );
        assert_eq!(leading_number("001_users"), Some("001"));
        assert_eq!(leading_number("init"), None);
    }
}
