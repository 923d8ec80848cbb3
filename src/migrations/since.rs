//! `--since REF`: which migrations a branch adds or changes against a git ref, so that a pull
//! request rehearses only those and everything before them is the baseline (applied, not
//! rehearsed). A migration whose forward script REF already had and the branch edited is
//! *edited history*: databases that applied the old text will never run the new one, so it is
//! said as a finding of its own (and still rehearsed, with everything after it).
//!
//! The comparison is [`compare`], pure: the blob ids of REF's tree against those of the files
//! on disk. Asking git for them is [`changes`], through the `git` command (the user's own git,
//! with their attributes and filters, so a file counts as changed exactly when `git diff REF`
//! would say so). This module never writes to the repository and never runs a migration.

use super::{Migration, MigrationSet};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// How one migration stands against REF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// REF has every file of it, byte for byte.
    Unchanged,
    /// REF has no forward script of it: the branch adds it.
    Added,
    /// REF had the forward script and it differs now: edited history.
    ForwardEdited,
    /// Only its rollback is new or different: nothing applied anywhere changes. A file that
    /// holds both directions (dbmate, goose, tern) whose forward section's statements are the
    /// same as REF's stands here too: an edit of its down section changes what a rollback does,
    /// which the rehearsal tries, not what any database applied.
    RollbackChanged,
}

/// What `--since` decided: the baseline, what is rehearsed and why, and the edited history.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Since {
    /// The ref as the user wrote it, and the commit it named.
    pub reference: String,
    pub commit: String,
    /// The last migration applied as baseline; None when the first migration is rehearsed.
    pub baseline: Option<String>,
    /// How many migrations are rehearsed (from the first added or changed one to the end).
    pub rehearsed: usize,
    /// Versions added since REF.
    pub added: Vec<String>,
    /// Versions whose rollback alone changed.
    pub rollback_changed: Vec<String>,
    /// Edited history, one sentence each naming the file: forward scripts changed since REF
    /// although REF had them, and migration files REF had that are gone.
    pub edited: Vec<String>,
    /// Lines for the log: what is baseline, what is rehearsed and why.
    pub notes: Vec<String>,
}

/// Compares the set against REF's blob ids (`tree`: path relative to the repository's top →
/// blob id) and the files' blob ids now (`now`, same keys). `relative` gives a file's key.
/// `forward_same` holds the keys of files holding both directions whose bytes changed but
/// whose forward section did not.
pub fn compare(
    set: &MigrationSet,
    tree: &BTreeMap<String, String>,
    now: &BTreeMap<String, String>,
    forward_same: &BTreeSet<String>,
    relative: &dyn Fn(&Path) -> String,
) -> Vec<Standing> {
    set.migrations
        .iter()
        .map(|m| standing(m, tree, now, forward_same, relative))
        .collect()
}

fn standing(
    m: &Migration,
    tree: &BTreeMap<String, String>,
    now: &BTreeMap<String, String>,
    forward_same: &BTreeSet<String>,
    relative: &dyn Fn(&Path) -> String,
) -> Standing {
    let differs = |path: &Path| {
        let key = relative(path);
        match tree.get(&key) {
            None => Some(false),
            Some(then) => Some(now.get(&key) != Some(then)),
        }
        .map(|changed| (tree.contains_key(&key), changed))
    };
    let (forward_was_there, forward_changed) = differs(&m.forward.path).unwrap_or((false, false));
    if !forward_was_there {
        return Standing::Added;
    }
    if forward_changed {
        let one_file = m.rollback.as_ref().is_some_and(|r| r.path == m.forward.path);
        if one_file && forward_same.contains(&relative(&m.forward.path)) {
            return Standing::RollbackChanged;
        }
        return Standing::ForwardEdited;
    }
    match &m.rollback {
        Some(r) if r.path != m.forward.path => match differs(&r.path) {
            Some((false, _)) | Some((true, true)) => Standing::RollbackChanged,
            _ => Standing::Unchanged,
        },
        _ => Standing::Unchanged,
    }
}

/// Decides the baseline from the standings: everything before the first migration that is not
/// unchanged. `gone` are files REF had under the migrations folder that are no longer there.
pub fn decide(
    set: &MigrationSet,
    standings: &[Standing],
    gone: &[String],
    reference: &str,
    commit: &str,
) -> Since {
    let label = |p: &Path| {
        p.strip_prefix(&set.root)
            .unwrap_or(p)
            .display()
            .to_string()
    };
    let mut since = Since {
        reference: reference.to_string(),
        commit: commit.to_string(),
        ..Default::default()
    };
    for (m, s) in set.migrations.iter().zip(standings) {
        match s {
            Standing::Added => since.added.push(m.version.to_string()),
            Standing::RollbackChanged => since.rollback_changed.push(m.version.to_string()),
            Standing::ForwardEdited => since.edited.push(format!(
                "{} changed since {reference} although {reference} already had it: a database that applied the old text will not run this one (edited history); write a new migration instead",
                label(&m.forward.path)
            )),
            Standing::Unchanged => {}
        }
    }
    for path in gone {
        since.edited.push(format!(
            "{path} was in {reference} and is gone: a database that applied it keeps what it did (edited history); write a new migration that undoes it instead"
        ));
    }
    let first = standings.iter().position(|s| *s != Standing::Unchanged);
    let short = &commit[..commit.len().min(12)];
    match first {
        None => {
            since.baseline = set.migrations.last().map(|m| m.version.to_string());
            since.notes.push(format!(
                "--since {reference} ({short}): no migration was added or changed, so all {} are baseline and none is rehearsed",
                set.migrations.len()
            ));
        }
        Some(index) => {
            since.baseline = index
                .checked_sub(1)
                .map(|i| set.migrations[i].version.to_string());
            since.rehearsed = set.migrations.len() - index;
            let unchanged_after = standings[index..]
                .iter()
                .filter(|s| **s == Standing::Unchanged)
                .count();
            since.notes.push(format!(
                "--since {reference} ({short}): {} baseline, {} rehearsed from {} on ({} added, {} edited, {} with a changed rollback{})",
                crate::words::count(index, "migration"),
                since.rehearsed,
                set.migrations[index].version,
                since.added.len(),
                standings.iter().filter(|s| **s == Standing::ForwardEdited).count(),
                since.rollback_changed.len(),
                if unchanged_after > 0 {
                    format!(", and {unchanged_after} unchanged that follow the first change")
                } else {
                    String::new()
                }
            ));
        }
    }
    since
}

/// Asks git how the set stands against `reference`, and decides. Errors are sentences: no git,
/// a folder outside a repository, a ref that names no commit.
pub fn changes(set: &MigrationSet, reference: &str) -> Result<Since, String> {
    let root = std::fs::canonicalize(&set.root)
        .map_err(|e| format!("--since: {} cannot be read: {e}", set.root.display()))?;
    let top = git(&root, &["rev-parse", "--show-toplevel"], None).map_err(|e| {
        format!(
            "--since {reference}: {} is not inside a git repository ({e})",
            set.root.display()
        )
    })?;
    let top = PathBuf::from(top.trim());
    let top = std::fs::canonicalize(&top).unwrap_or(top);
    let commit = git(
        &top,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{reference}^{{commit}}"),
        ],
        None,
    )
    .map_err(|_| {
        format!(
            "--since {reference}: the repository at {} has no commit named {reference} (fetch it first: a shallow CI clone may need `git fetch origin {reference}`)",
            top.display()
        )
    })?
    .trim()
    .to_string();
    let prefix = root
        .strip_prefix(&top)
        .map(|p| p.to_string_lossy().to_string())
        .unwrap_or_default();
    let mut ls = vec!["ls-tree", "-r", "-z", "--full-tree", commit.as_str()];
    if !prefix.is_empty() {
        ls.push("--");
        ls.push(prefix.as_str());
    }
    let listing = git(&top, &ls, None)
        .map_err(|e| format!("--since {reference}: git ls-tree failed: {e}"))?;
    let mut tree = BTreeMap::new();
    for entry in listing.split('\0').filter(|e| !e.is_empty()) {
        // "<mode> <type> <id>\t<path>"
        let Some((meta, path)) = entry.split_once('\t') else {
            continue;
        };
        let mut fields = meta.split(' ');
        let (_, kind, id) = (fields.next(), fields.next(), fields.next());
        if kind == Some("blob") {
            if let Some(id) = id {
                tree.insert(path.to_string(), id.to_string());
            }
        }
    }
    let relative = |p: &Path| {
        let absolute = std::fs::canonicalize(p).unwrap_or_else(|_| root.join(p));
        absolute
            .strip_prefix(&top)
            .map(|r| r.to_string_lossy().to_string())
            .unwrap_or_else(|_| absolute.to_string_lossy().to_string())
    };
    let mut paths: Vec<String> = set
        .migrations
        .iter()
        .flat_map(|m| std::iter::once(&m.forward).chain(m.rollback.as_ref()))
        .map(|s| relative(&s.path))
        .collect();
    paths.sort();
    paths.dedup();
    let mut now = BTreeMap::new();
    if !paths.is_empty() {
        let input = paths.join("\n") + "\n";
        let ids = git(&top, &["hash-object", "--stdin-paths"], Some(&input))
            .map_err(|e| format!("--since {reference}: git hash-object failed: {e}"))?;
        for (path, id) in paths.iter().zip(ids.lines()) {
            now.insert(path.clone(), id.trim().to_string());
        }
    }
    // A file holding both directions that changed: is its forward section REF's?
    let mut forward_same = BTreeSet::new();
    for m in &set.migrations {
        let one_file = m.rollback.as_ref().is_some_and(|r| r.path == m.forward.path);
        let key = relative(&m.forward.path);
        let (Some(then), true) = (tree.get(&key), one_file) else {
            continue;
        };
        if now.get(&key) == Some(then) || m.forward.parse_error.is_some() {
            continue;
        }
        let Ok(old_text) = git(&top, &["cat-file", "blob", then], None) else {
            continue;
        };
        let old = super::discover::forward_statements(&set.root, set.format, &m.forward.path, &old_text);
        let current: Vec<&str> = m.forward.statements.iter().map(|s| s.sql.as_str()).collect();
        if old.is_some_and(|old| old.iter().map(String::as_str).eq(current.iter().copied())) {
            forward_same.insert(key);
        }
    }
    let standings = compare(set, &tree, &now, &forward_same, &relative);
    // Files REF had under the folder, looking like migrations, that are gone from disk.
    let gone: Vec<String> = tree
        .keys()
        .filter(|p| p.ends_with(".sql") && !top.join(p).exists())
        .map(|p| {
            Path::new(p)
                .strip_prefix(&prefix)
                .map(|r| r.display().to_string())
                .unwrap_or_else(|_| p.clone())
        })
        .collect();
    Ok(decide(set, &standings, &gone, reference, &commit))
}

/// Runs git in `dir` and returns its stdout; the error is git's own last line.
fn git(dir: &Path, args: &[&str], input: Option<&str>) -> Result<String, String> {
    use std::io::Write;
    let mut child = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("git could not be run: {e}"))?;
    if let Some(text) = input {
        let mut stdin = child.stdin.take().expect("piped stdin");
        let text = text.to_string();
        // Written from a thread: a large list would otherwise fill the pipe while git's output
        // fills the other one.
        std::thread::spawn(move || {
            let _ = stdin.write_all(text.as_bytes());
        });
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("git could not be run: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(err
            .lines()
            .last()
            .unwrap_or("git failed")
            .trim()
            .to_string());
    }
    Ok(String::from_utf8_lossy(&out.stdout).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrations::{Format, Script, Version};

    fn script(path: &str) -> Script {
        Script {
            path: PathBuf::from(path),
            first_line: 1,
            statements: Vec::new(),
            parse_error: None,
            bookkeeping: None,
        }
    }

    fn set(names: &[(&str, bool)]) -> MigrationSet {
        MigrationSet {
            root: PathBuf::from("m"),
            format: Format::UpDown,
            migrations: names
                .iter()
                .map(|(v, rollback)| Migration {
                    version: Version::new(*v),
                    name: format!("n{v}"),
                    forward: script(&format!("m/{v}.up.sql")),
                    rollback: rollback.then(|| script(&format!("m/{v}.down.sql"))),
                    repeatable: false,
                })
                .collect(),
            notes: Vec::new(),
            bookkeeping: None,
            rendered_with: None,
        }
    }

    fn ids(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(p, i)| (p.to_string(), i.to_string()))
            .collect()
    }

    fn key(p: &Path) -> String {
        p.display().to_string()
    }

    #[test]
    fn a_migration_added_on_the_branch_is_the_only_one_rehearsed() {
        let s = set(&[("1", true), ("2", true), ("3", true)]);
        let then = ids(&[
            ("m/1.up.sql", "a"),
            ("m/1.down.sql", "b"),
            ("m/2.up.sql", "c"),
            ("m/2.down.sql", "d"),
        ]);
        let mut now = then.clone();
        now.insert("m/3.up.sql".into(), "e".into());
        let standings = compare(&s, &then, &now, &BTreeSet::new(), &key);
        assert_eq!(
            standings,
            [Standing::Unchanged, Standing::Unchanged, Standing::Added]
        );
        let since = decide(&s, &standings, &[], "main", "0123456789abcdef");
        assert_eq!(since.baseline.as_deref(), Some("2"));
        assert_eq!(since.rehearsed, 1);
        assert!(since.edited.is_empty());
    }

    #[test]
    fn an_edited_forward_is_edited_history_and_everything_after_it_is_rehearsed() {
        let s = set(&[("1", false), ("2", false), ("3", false)]);
        let then = ids(&[("m/1.up.sql", "a"), ("m/2.up.sql", "c"), ("m/3.up.sql", "e")]);
        let mut now = then.clone();
        now.insert("m/2.up.sql".into(), "c2".into());
        let standings = compare(&s, &then, &now, &BTreeSet::new(), &key);
        let since = decide(&s, &standings, &[], "main", "abc");
        assert_eq!(since.baseline.as_deref(), Some("1"));
        assert_eq!(since.rehearsed, 2);
        assert_eq!(since.edited.len(), 1);
        assert!(since.edited[0].starts_with("2.up.sql changed since main"));
    }

    #[test]
    fn a_new_rollback_for_an_old_migration_is_rehearsed_but_is_not_edited_history() {
        let s = set(&[("1", true), ("2", false)]);
        let then = ids(&[("m/1.up.sql", "a"), ("m/2.up.sql", "c")]);
        let mut now = then.clone();
        now.insert("m/1.down.sql".into(), "b".into());
        let standings = compare(&s, &then, &now, &BTreeSet::new(), &key);
        assert_eq!(standings[0], Standing::RollbackChanged);
        let since = decide(&s, &standings, &[], "main", "abc");
        assert_eq!(since.baseline, None);
        assert!(since.edited.is_empty());
    }

    /// A set whose migrations each hold both directions in one file (dbmate).
    fn one_file_set(versions: &[&str]) -> MigrationSet {
        let mut s = set(&versions.iter().map(|v| (*v, false)).collect::<Vec<_>>());
        s.format = Format::Dbmate;
        for m in &mut s.migrations {
            m.forward = script(&format!("m/{}.sql", m.version));
            m.rollback = Some(m.forward.clone());
        }
        s
    }

    #[test]
    fn a_one_file_migration_whose_forward_section_is_the_same_has_only_a_changed_rollback() {
        let s = one_file_set(&["1", "2"]);
        let then = ids(&[("m/1.sql", "a"), ("m/2.sql", "b")]);
        let now = ids(&[("m/1.sql", "a"), ("m/2.sql", "c")]);
        let same: BTreeSet<String> = ["m/2.sql".to_string()].into();
        let standings = compare(&s, &then, &now, &same, &key);
        assert_eq!(standings, [Standing::Unchanged, Standing::RollbackChanged]);
        let since = decide(&s, &standings, &[], "main", "abc");
        assert!(since.edited.is_empty());
        assert_eq!(since.rollback_changed, ["2"]);
        // Without that knowledge (the forward section changed too) it is edited history.
        let standings = compare(&s, &then, &now, &BTreeSet::new(), &key);
        assert_eq!(standings[1], Standing::ForwardEdited);
    }

    #[test]
    fn nothing_changed_leaves_everything_baseline() {
        let s = set(&[("1", false)]);
        let then = ids(&[("m/1.up.sql", "a")]);
        let since = decide(&s, &compare(&s, &then, &then, &BTreeSet::new(), &key), &[], "main", "abc");
        assert_eq!(since.baseline.as_deref(), Some("1"));
        assert_eq!(since.rehearsed, 0);
    }
}
