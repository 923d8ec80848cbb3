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
use super::{CreatedTables, Format, MigrationError, MigrationSet};
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

/// Pairs each rollback whose name matches no forward (`0026_drop_join_id.down.sql` beside
/// `0026_drop_job_id.up.sql`) with the forward just before it in name order, when that forward
/// has no rollback and both names start with the same number: maragudk/migrate runs its down
/// files in name order whatever their names, so that is the forward it undoes. Each pairing is
/// a note; the rollbacks left are returned.
pub(super) fn pair_by_place(
    pending: &mut [(Named, Option<Named>)],
    orphans: Vec<Named>,
    notes: &mut Vec<String>,
) -> Vec<Named> {
    let mut left = Vec::new();
    for orphan in orphans {
        let stem = orphan.name.version.as_str();
        let before = pending
            .iter_mut()
            .filter(|(forward, _)| forward.name.version.as_str() < stem)
            .max_by(|(a, _), (b, _)| a.name.version.cmp(&b.name.version));
        match before {
            Some((forward, slot @ None))
                if leading_number(&forward.name.version).is_some()
                    && leading_number(&forward.name.version) == leading_number(stem) =>
            {
                notes.push(format!(
                    "{} names no forward script; it is read as the rollback of {}, the forward before it in name order, which has none (maragudk/migrate runs down files in name order whatever their names)",
                    file(&orphan),
                    file(forward)
                ));
                *slot = Some(orphan);
            }
            _ => left.push(orphan),
        }
    }
    left
}

/// The note said when the folder was read as `by-name` without being asked: why, how, and the
/// `--format` that reads it otherwise. `readings` are the problems of the convention tried
/// first (none when no name follows one); `unknown` the names that follow none.
pub(super) fn assumed_note(
    root: &Path,
    assumed: Format,
    readings: &[(Format, Vec<MigrationError>)],
    unknown: &[String],
) -> String {
    let why = match readings.first() {
        Some((format, problems)) => format!(
            "the file names do not follow the {format} convention ({})",
            summary(root, problems)
        ),
        None => {
            let names: Vec<&str> = unknown.iter().map(String::as_str).collect();
            format!(
                "no known convention reads the file names ({})",
                examples(&names)
            )
        }
    };
    let others = if assumed == Format::Maragu {
        "a script uses maragudk/migrate's migrations table; --format by-name reads it without that table"
    } else {
        "--format maragu reads it as maragudk/migrate does (with its migrations table)"
    };
    format!(
        "{why}; read as {assumed}: {}; {others}; --format up-down, flyway, diesel or dbmate forces another",
        assumed.reading()
    )
}

/// Whether a script of `set` uses a table named `migrations` (as harness's
/// `ALTER TABLE migrations ADD PRIMARY KEY (version)`) that no script creates: maragudk/migrate
/// creates it before the first migration.
pub(super) fn uses_maragu_table(set: &MigrationSet) -> bool {
    let scripts = || {
        set.migrations
            .iter()
            .flat_map(|m| std::iter::once(&m.forward).chain(m.rollback.as_ref()))
    };
    let mentions = scripts()
        .flat_map(|s| &s.statements)
        .any(|s| names_word(&s.sql.to_lowercase(), "migrations"));
    mentions && !CreatedTables::read(scripts()).may_create("public.migrations")
}

/// `word` in `text` as a word of its own: no letter, digit or `_` glued to it (`schema_migrations`
/// is not `migrations`).
fn names_word(text: &str, word: &str) -> bool {
    let glued = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    text.match_indices(word).any(|(at, _)| {
        !glued(text[..at].chars().next_back()) && !glued(text[at + word.len()..].chars().next())
    })
}

/// The problems of a reading by kind, each kind with a few of its files: `45 names it does not
/// read (0157.up.sql, 0157.down.sql, 0158.up.sql and 42 more); version 0001 shared by ...`.
fn summary(root: &Path, problems: &[MigrationError]) -> String {
    let names = |path: &Path| super::file_name(path);
    let (mut unread, mut shared, mut orphans, mut other) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for problem in problems {
        match problem {
            MigrationError::MalformedName { path, .. } => unread.push(names(path)),
            MigrationError::DuplicateVersion { version, paths } => {
                shared.push(format!("{version} ({} files)", paths.len()))
            }
            MigrationError::OrphanRollback { path, .. } => orphans.push(names(path)),
            other_problem => other.push(super::within(root, other_problem)),
        }
    }
    let listed = |items: &[String]| {
        let shown: Vec<&str> = items.iter().map(String::as_str).collect();
        examples(&shown)
    };
    let mut parts = Vec::new();
    if !unread.is_empty() {
        parts.push(format!(
            "{} names it does not read: {}",
            unread.len(),
            listed(&unread)
        ));
    }
    if !shared.is_empty() {
        parts.push(format!(
            "{} versions shared by several files: {}",
            shared.len(),
            listed(&shared)
        ));
    }
    if !orphans.is_empty() {
        parts.push(format!(
            "{} rollbacks without forward: {}",
            orphans.len(),
            listed(&orphans)
        ));
    }
    parts.extend(other);
    parts.join("; ")
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
