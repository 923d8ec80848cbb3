//! Discovery: which files form which migration, in which format.
//!
//! The folder is read as its tool would read it, unchanged. Every file is read and split here,
//! before anything runs, so that a typo in the last migration is known in a second instead of
//! after an hour of seeding; a file that does not parse is that migration's failure (its script
//! says why), not an abort of the run. What the tool ignores (a README, a data script beside
//! diesel's folders, a Flyway callback) is ignored with a one-line note in
//! [`MigrationSet::notes`]; a name that looks like a migration but breaks the convention
//! (`V2_add.sql` in a Flyway folder) stays an error, because the tool would silently skip a
//! migration its author meant to run. Hidden entries are ignored without a note.

use super::bookkeeping::{self, Tool};
use super::layout::{self, Name, Role};
use super::split::read_script;
use super::{
    dbmate, options, read_text, Format, Migration, MigrationError, MigrationSet, ParseFailure,
    Script, Version,
};
use crate::error::io_reason;
use std::path::{Path, PathBuf};

/// Reads a migrations folder, detecting its format unless `forced`.
pub fn discover(root: &Path, forced: Option<Format>) -> Result<MigrationSet, MigrationError> {
    let all = list(root)?;
    let (entries, others): (Vec<Entry>, Vec<Entry>) = all
        .into_iter()
        .partition(|e| e.is_dir || e.name.ends_with(".sql"));
    let format = match forced {
        Some(format) => format,
        None => detect(root, &entries)?,
    };
    let mut ignored = Ignored::default();
    // Flyway reads a script's configuration from `<script>.conf` beside it.
    let read_beside = |e: &&Entry| format == Format::Flyway && e.name.ends_with(".sql.conf");
    ignored.files.extend(
        others
            .iter()
            .filter(|e| !read_beside(e))
            .map(|e| e.name.clone()),
    );
    let mut migrations = match format {
        Format::Flyway => pair(flyway_names(&entries, &mut ignored)?, format)?,
        Format::UpDown => pair(up_down_names(&entries, &mut ignored)?, format)?,
        Format::Diesel => pair(diesel_names(&entries, &mut ignored)?, format)?,
        Format::Dbmate => dbmate_migrations(&entries, &mut ignored)?,
    };
    if migrations.is_empty() {
        // Nothing followed the convention: a `.sql` file it passed over is the likelier mistake
        // (a format forced on the wrong folder) than an empty folder.
        if let Some(file) = entries
            .iter()
            .find(|e| !e.is_dir && ignored.files.contains(&e.name))
        {
            return Err(malformed(&file.path, format));
        }
        return Err(MigrationError::NoMigrations(root.to_path_buf()));
    }
    migrations.sort_by(|a, b| (a.repeatable, &a.version).cmp(&(b.repeatable, &b.version)));
    let tool = Tool::of(format, &migrations);
    bookkeeping::record(tool, &mut migrations)?;
    Ok(MigrationSet {
        root: root.to_path_buf(),
        format,
        migrations,
        notes: ignored.notes(tool),
        bookkeeping: Some(bookkeeping::Bookkeeping::of(tool)),
    })
}

/// What the tool does not read, for the notes.
#[derive(Default)]
struct Ignored {
    /// Files (or `folder/file`) the tool never reads.
    files: Vec<String>,
    /// Flyway callbacks, which the rehearsal does not run.
    callbacks: Vec<String>,
}

impl Ignored {
    fn notes(mut self, tool: Tool) -> Vec<String> {
        let name = match tool {
            Tool::Flyway => "Flyway",
            Tool::Sqlx => "sqlx",
            Tool::GolangMigrate => "golang-migrate",
            Tool::Diesel => "diesel",
            Tool::Dbmate => "dbmate",
        };
        let mut notes = Vec::new();
        self.files.sort();
        if !self.files.is_empty() {
            let names: Vec<&str> = self.files.iter().map(String::as_str).collect();
            let (count, noun) = match names.len() {
                1 => (String::new(), "file"),
                n => (format!("{n} "), "files"),
            };
            notes.push(format!(
                "ignored {count}{noun} that {name} does not read as migrations: {}",
                examples(&names)
            ));
        }
        if !self.callbacks.is_empty() {
            let names: Vec<&str> = self.callbacks.iter().map(String::as_str).collect();
            notes.push(format!(
                "Flyway callbacks are not rehearsed (rehearse runs migrations, not the scripts around them): {}",
                examples(&names)
            ));
        }
        notes
    }
}

/// One entry of the migrations folder.
struct Entry {
    path: PathBuf,
    name: String,
    is_dir: bool,
}

/// The folder's non-hidden entries, sorted by name so that errors are deterministic.
fn list(root: &Path) -> Result<Vec<Entry>, MigrationError> {
    let unreadable = |e: std::io::Error| MigrationError::FolderUnreadable {
        path: root.to_path_buf(),
        reason: io_reason(&e),
    };
    if !root.is_dir() && root.exists() {
        return Err(MigrationError::FolderUnreadable {
            path: root.to_path_buf(),
            reason: "it is a file, not a folder".into(),
        });
    }
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(root).map_err(unreadable)? {
        let entry = entry.map_err(unreadable)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if name.starts_with('.') {
            continue;
        }
        // Symbolic links are followed, as the migration tools follow them.
        let meta = std::fs::metadata(&path).map_err(|e| MigrationError::Unreadable {
            path: path.clone(),
            reason: io_reason(&e),
        })?;
        let is_dir = meta.is_dir();
        if !name.ends_with(".sql") {
            // Folders hold migrations (diesel, sqlx); other files are noted as ignored.
            entries.push(Entry { path, name, is_dir });
            continue;
        }
        // Named like a migration, it must be one: a folder would be skipped silently and a FIFO
        // would block the read forever.
        if !meta.is_file() {
            let what = if is_dir {
                "a folder"
            } else {
                "not a regular file (a FIFO, socket or device)"
            };
            return Err(MigrationError::Structure {
                path,
                message: format!(
                    "it is named like a migration but is {what}; a migration is a .sql file"
                ),
            });
        }
        entries.push(Entry { path, name, is_dir });
    }
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(entries)
}

/// What an entry's name (and, for `<version>_<desc>.sql`, its content) says about the folder.
enum Evidence {
    Follows(Format),
    /// `<version>_<desc>.sql` that cannot be read: sqlx or dbmate, the reading step will say why.
    Plain,
    /// A `.sql` file that follows no convention.
    Unknown,
    /// A folder that holds no `up.sql` or `down.sql`: not a migration, ignored.
    Irrelevant,
}

fn evidence(entry: &Entry) -> Evidence {
    if entry.is_dir {
        let has_scripts = ["up.sql", "down.sql"]
            .iter()
            .any(|f| entry.path.join(f).is_file());
        return if has_scripts {
            Evidence::Follows(Format::Diesel)
        } else {
            Evidence::Irrelevant
        };
    }
    let name = entry.name.as_str();
    if layout::flyway(name).is_some()
        || layout::flyway_repeatable(name).is_some()
        || layout::flyway_callback(name)
    {
        Evidence::Follows(Format::Flyway)
    } else if layout::up_down(name).is_some() {
        Evidence::Follows(Format::UpDown)
    } else if layout::plain(name).is_some() {
        // sqlx's migration without rollback, unless its content says dbmate.
        match std::fs::read_to_string(&entry.path) {
            Ok(text) if dbmate::has_up_marker(&text) => Evidence::Follows(Format::Dbmate),
            Ok(_) => Evidence::Follows(Format::UpDown),
            Err(_) => Evidence::Plain,
        }
    } else {
        Evidence::Unknown
    }
}

/// The one convention the folder follows; an error names the files of each when it mixes them.
fn detect(root: &Path, entries: &[Entry]) -> Result<Format, MigrationError> {
    let mut found: Vec<(Format, Vec<&str>)> = Vec::new();
    let (mut unknown, mut plain) = (None, false);
    for entry in entries {
        match evidence(entry) {
            Evidence::Follows(format) => match found.iter_mut().find(|(f, _)| *f == format) {
                Some((_, names)) => names.push(&entry.name),
                None => found.push((format, vec![&entry.name])),
            },
            Evidence::Plain => plain = true,
            Evidence::Unknown => unknown = unknown.or(Some(&entry.path)),
            Evidence::Irrelevant => {}
        }
    }
    match found.len() {
        // Only unreadable plain files: read them as sqlx files, so that reading names the problem.
        0 if plain => Ok(Format::UpDown),
        0 => Err(match unknown {
            Some(path) => MigrationError::UnknownConvention(path.clone()),
            None => MigrationError::NoMigrations(root.to_path_buf()),
        }),
        1 => Ok(found[0].0),
        _ => Err(MigrationError::MixedConventions {
            path: root.to_path_buf(),
            conventions: found
                .iter()
                .map(|(format, names)| {
                    let verb = if names.len() == 1 {
                        "follows"
                    } else {
                        "follow"
                    };
                    format!("{} {verb} {format}", examples(names))
                })
                .collect::<Vec<_>>()
                .join("; "),
        }),
    }
}

/// `a.sql, b.sql and 3 more`: enough names to find the files, not a wall of them.
fn examples(names: &[&str]) -> String {
    const SHOWN: usize = 3;
    let mut text = names
        .iter()
        .take(SHOWN)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        text.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    text
}

/// What the naming error says is expected of each convention.
fn expected(format: Format) -> &'static str {
    match format {
        Format::Flyway => "expected V<version>__<description>.sql, U<version>__<description>.sql or V<version>__<description>_rollback.sql",
        Format::UpDown => "expected <version>_<description>.up.sql, <version>_<description>.down.sql or <version>_<description>.sql",
        Format::Diesel => "expected a folder <version>_<description> holding up.sql and down.sql",
        Format::Dbmate => "expected <version>_<description>.sql with -- migrate:up and -- migrate:down sections",
    }
}

fn malformed(path: &Path, format: Format) -> MigrationError {
    MigrationError::MalformedName {
        path: path.to_path_buf(),
        format,
        expected: expected(format).into(),
    }
}

/// A script file with what its name says.
struct Named {
    name: Name,
    path: PathBuf,
    /// A Flyway repeatable migration.
    repeatable: bool,
}

/// Reads every `.sql` file's name with `parse`; folders are not part of these conventions. A file
/// that `near_miss` says looks like a migration is an error; any other is ignored with a note.
fn named(
    entries: &[Entry],
    format: Format,
    parse: fn(&str) -> Option<Name>,
    near_miss: fn(&str) -> bool,
    ignored: &mut Ignored,
) -> Result<Vec<Named>, MigrationError> {
    let mut files = Vec::new();
    for entry in entries.iter().filter(|e| !e.is_dir) {
        match parse(&entry.name) {
            Some(name) => files.push(Named {
                name,
                path: entry.path.clone(),
                repeatable: false,
            }),
            None if near_miss(&entry.name) => return Err(malformed(&entry.path, format)),
            None => ignored.files.push(entry.name.clone()),
        }
    }
    Ok(files)
}

/// Flyway: versioned and undo scripts, repeatable scripts (run after the versioned ones), and
/// callbacks (noted, not run).
fn flyway_names(entries: &[Entry], ignored: &mut Ignored) -> Result<Vec<Named>, MigrationError> {
    let mut rest = Vec::new();
    let mut files = Vec::new();
    for entry in entries.iter().filter(|e| !e.is_dir) {
        if let Some(description) = layout::flyway_repeatable(&entry.name) {
            files.push(Named {
                name: Name {
                    version: format!("R__{description}"),
                    description: description.to_string(),
                    role: Role::Forward,
                },
                path: entry.path.clone(),
                repeatable: true,
            });
        } else if layout::flyway_callback(&entry.name) {
            ignored.callbacks.push(entry.name.clone());
        } else {
            rest.push(Entry {
                path: entry.path.clone(),
                name: entry.name.clone(),
                is_dir: false,
            });
        }
    }
    files.extend(named(
        &rest,
        Format::Flyway,
        layout::flyway,
        |file| {
            let mut chars = file.chars();
            matches!(chars.next(), Some('V' | 'U'))
                && chars.next().is_some_and(|c| c.is_ascii_digit())
        },
        ignored,
    )?);
    Ok(files)
}

/// A name starting with a digit is meant as a migration of the numbered conventions.
fn starts_with_digit(file: &str) -> bool {
    file.starts_with(|c: char| c.is_ascii_digit())
}

/// sqlx/golang-migrate: `.up.sql`/`.down.sql` pairs, and plain `.sql` files without rollback.
fn up_down_names(entries: &[Entry], ignored: &mut Ignored) -> Result<Vec<Named>, MigrationError> {
    named(
        entries,
        Format::UpDown,
        |file| {
            layout::up_down(file).or_else(|| {
                layout::plain(file).map(|(version, description)| Name {
                    version,
                    description,
                    role: Role::Forward,
                })
            })
        },
        starts_with_digit,
        ignored,
    )
}

/// diesel: one folder per migration holding `up.sql` and `down.sql` (and `metadata.toml`).
/// diesel reads nothing else: files beside the folders, and other files inside them, are noted.
fn diesel_names(entries: &[Entry], ignored: &mut Ignored) -> Result<Vec<Named>, MigrationError> {
    let mut files = Vec::new();
    for entry in entries {
        if !entry.is_dir {
            ignored.files.push(entry.name.clone());
            continue;
        }
        let scripts = sql_files(&entry.path)?;
        if scripts.is_empty() {
            continue; // not a migration folder (diesel's own tooling ignores these too)
        }
        let (version, description) = layout::diesel_folder(&entry.name)
            .ok_or_else(|| malformed(&entry.path, Format::Diesel))?;
        for path in scripts {
            let role = match path.file_name().and_then(|n| n.to_str()) {
                Some("up.sql") => Role::Forward,
                Some("down.sql") => Role::Rollback,
                _ => {
                    ignored
                        .files
                        .push(format!("{}/{}", entry.name, super::file_name(&path)));
                    continue;
                }
            };
            files.push(Named {
                name: Name {
                    version: version.clone(),
                    description: description.clone(),
                    role,
                },
                path,
                repeatable: false,
            });
        }
    }
    Ok(files)
}

/// The `.sql` files directly inside `folder`, sorted.
fn sql_files(folder: &Path) -> Result<Vec<PathBuf>, MigrationError> {
    let unreadable = |e: std::io::Error| MigrationError::Unreadable {
        path: folder.to_path_buf(),
        reason: io_reason(&e),
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(folder).map_err(unreadable)? {
        let path = entry.map_err(unreadable)?.path();
        if path.is_file() && path.extension().is_some_and(|e| e == "sql") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Pairs forwards with rollbacks by version, then reads and splits every script and applies the
/// options the tool reads beside it.
fn pair(files: Vec<Named>, format: Format) -> Result<Vec<Migration>, MigrationError> {
    let (forwards, rollbacks): (Vec<_>, Vec<_>) = files
        .into_iter()
        .partition(|f| f.name.role == Role::Forward);
    check_unique(&forwards)?;
    check_unique(&rollbacks)?;
    let mut pending: Vec<(Named, Option<Named>)> =
        forwards.into_iter().map(|f| (f, None)).collect();
    for rollback in rollbacks {
        let version = Version::new(rollback.name.version.clone());
        match pending
            .iter_mut()
            .find(|(f, _)| Version::new(f.name.version.clone()).same_as(&version))
        {
            Some((_, slot)) => *slot = Some(rollback),
            None => {
                return Err(MigrationError::OrphanRollback {
                    path: rollback.path,
                    version: rollback.name.version,
                })
            }
        }
    }
    pending.sort_by_key(|(f, _)| Version::new(f.name.version.clone()));
    Ok(pending
        .into_iter()
        .map(|(forward, rollback)| {
            let mut migration = Migration {
                version: Version::new(forward.name.version),
                name: forward.name.description,
                forward: read_with_options(&forward.path, format),
                rollback: rollback.map(|r| read_with_options(&r.path, format)),
                repeatable: forward.repeatable,
            };
            if format == Format::Diesel {
                apply_diesel_metadata(&mut migration);
            }
            migration
        })
        .collect())
}

/// Reads one script and applies the per-file option of its tool (sqlx's `-- no-transaction`,
/// Flyway's `<file>.conf`).
fn read_with_options(path: &Path, format: Format) -> super::Script {
    let (mut script, text) = read_script(path);
    let outside = match format {
        Format::UpDown => text.as_deref().is_some_and(options::sqlx_no_transaction),
        Format::Flyway => !options::flyway_execute_in_transaction(path),
        _ => false,
    };
    if outside {
        options::outside_transaction(&mut script);
    }
    script
}

/// diesel's `metadata.toml` beside `up.sql`: `run_in_transaction = false` applies to both
/// scripts; a file that is not TOML is the forward's failure.
fn apply_diesel_metadata(migration: &mut Migration) {
    let Some(folder) = migration.forward.path.parent() else {
        return;
    };
    match options::diesel_run_in_transaction(folder) {
        Ok(true) => {}
        Ok(false) => {
            options::outside_transaction(&mut migration.forward);
            if let Some(rollback) = &mut migration.rollback {
                options::outside_transaction(rollback);
            }
        }
        Err(failure) => {
            if migration.forward.parse_error.is_none() {
                migration.forward.statements.clear();
                migration.forward.parse_error = Some(failure);
            }
        }
    }
}

/// No two scripts of one role may name the same version (`V1` and `V001` are the same).
fn check_unique(files: &[Named]) -> Result<(), MigrationError> {
    for (index, file) in files.iter().enumerate() {
        let version = Version::new(file.name.version.clone());
        let same: Vec<PathBuf> = files[index..]
            .iter()
            .filter(|other| Version::new(other.name.version.clone()).same_as(&version))
            .map(|other| other.path.clone())
            .collect();
        if same.len() > 1 {
            return Err(MigrationError::DuplicateVersion {
                version: file.name.version.clone(),
                paths: same,
            });
        }
    }
    Ok(())
}

/// dbmate: each file holds its own rollback; a file without a down section has none.
fn dbmate_migrations(
    entries: &[Entry],
    ignored: &mut Ignored,
) -> Result<Vec<Migration>, MigrationError> {
    let files = named(
        entries,
        Format::Dbmate,
        |file| {
            layout::plain(file).map(|(version, description)| Name {
                version,
                description,
                role: Role::Forward,
            })
        },
        starts_with_digit,
        ignored,
    )?;
    check_unique(&files)?;
    let mut migrations = Vec::with_capacity(files.len());
    for file in files {
        let text = read_text(&file.path)?;
        // A file dbmate would refuse (no `-- migrate:up`, two of them, SQL before the first) is
        // that migration's failure in the report, as a file that does not parse is.
        let (forward, rollback) = match dbmate::sections(&file.path, &text) {
            Ok(sections) => (sections.up, sections.down),
            Err(e @ (MigrationError::Structure { .. } | MigrationError::Syntax { .. })) => {
                let failure = match &e {
                    MigrationError::Structure { message, .. } => ParseFailure {
                        line: dbmate::first_marker_line(&text).unwrap_or(1),
                        message: format!("dbmate cannot run it: {message}"),
                    },
                    other => other.as_parse_failure(),
                };
                let forward = Script {
                    path: file.path.clone(),
                    first_line: 1,
                    parse_error: Some(failure),
                    ..Default::default()
                };
                (forward, None)
            }
            Err(e) => return Err(e),
        };
        migrations.push(Migration {
            version: Version::new(file.name.version),
            name: file.name.description,
            forward,
            rollback,
            repeatable: false,
        });
    }
    Ok(migrations)
}

#[cfg(test)]
mod tests {
    use super::discover;
    use crate::migrations::{Format, MigrationError};
    use std::fs;

    #[test]
    fn unreadable_file_in_a_dbmate_folder_is_unreadable_not_mixed() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("1_users.sql"),
            "-- migrate:up\nCREATE TABLE users (id int);\n-- migrate:down\nDROP TABLE users;\n",
        )
        .unwrap();
        fs::write(
            dir.path().join("2_bad.sql"),
            b"-- migrate:up\nSELECT '\xff';\n",
        )
        .unwrap();
        let error = discover(dir.path(), None).unwrap_err();
        assert!(
            matches!(error, MigrationError::Unreadable { .. }),
            "{error}"
        );
        assert!(error.to_string().contains("2_bad.sql"), "{error}");
    }

    #[test]
    fn file_that_follows_no_convention_is_named() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("create_users.sql"), "SELECT 1;").unwrap();
        let error = discover(dir.path(), None).unwrap_err();
        assert!(
            matches!(error, MigrationError::UnknownConvention(_)),
            "{error}"
        );
        assert!(
            error
                .to_string()
                .contains("create_users.sql does not follow"),
            "{error}"
        );
    }

    #[test]
    fn two_rollbacks_for_one_version_are_duplicates() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("V1__t.sql"), "CREATE TABLE t (id int);").unwrap();
        fs::write(dir.path().join("U1__t.sql"), "DROP TABLE t;").unwrap();
        fs::write(dir.path().join("V1__t_rollback.sql"), "DROP TABLE t;").unwrap();
        let error = discover(dir.path(), None).unwrap_err();
        assert!(
            matches!(error, MigrationError::DuplicateVersion { .. }),
            "{error}"
        );
        assert!(error.to_string().contains("U1__t.sql"), "{error}");
        assert!(error.to_string().contains("V1__t_rollback.sql"), "{error}");
    }

    #[test]
    fn diesel_folder_without_up_sql_is_an_orphan_rollback() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("2024-01-01-000000_t");
        fs::create_dir(&folder).unwrap();
        fs::write(folder.join("down.sql"), "DROP TABLE t;").unwrap();
        let error = discover(dir.path(), Some(Format::Diesel)).unwrap_err();
        assert!(
            matches!(error, MigrationError::OrphanRollback { .. }),
            "{error}"
        );
    }

    #[test]
    fn what_the_tool_does_not_read_is_noted_and_a_near_miss_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("1_users.up.sql"),
            "CREATE TABLE u (id int);",
        )
        .unwrap();
        fs::write(
            dir.path().join("seed_dev_data.sql"),
            "INSERT INTO u VALUES (1);",
        )
        .unwrap();
        fs::write(dir.path().join("NOTES.txt"), "x").unwrap();
        let set = discover(dir.path(), None).unwrap();
        assert_eq!(set.migrations.len(), 1);
        assert_eq!(
            set.notes,
            ["ignored 2 files that sqlx does not read as migrations: NOTES.txt, seed_dev_data.sql"]
        );
        fs::write(dir.path().join("2users.sql"), "SELECT 1;").unwrap();
        let error = discover(dir.path(), None).unwrap_err();
        assert!(error.to_string().contains("2users.sql"), "{error}");
    }

    #[test]
    fn diesel_versions_are_recorded_without_their_dashes() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("2024-01-01-120000_t");
        fs::create_dir(&folder).unwrap();
        fs::write(folder.join("up.sql"), "CREATE TABLE t (id int);").unwrap();
        fs::write(folder.join("down.sql"), "").unwrap();
        let set = discover(dir.path(), None).unwrap();
        let m = &set.migrations[0];
        assert_eq!(
            m.forward.bookkeeping.as_deref(),
            Some(
                "INSERT INTO public.__diesel_schema_migrations (version) VALUES ('20240101120000')"
            )
        );
        let rollback = m.rollback.as_ref().unwrap();
        assert!(rollback.statements.is_empty() && rollback.parse_error.is_none());
        assert_eq!(
            rollback.bookkeeping.as_deref(),
            Some("DELETE FROM public.__diesel_schema_migrations WHERE version = '20240101120000'")
        );
    }

    #[test]
    fn only_plain_sqlx_files_are_migrations_without_rollback() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("2_b.sql"), "CREATE TABLE b (id int);").unwrap();
        fs::write(dir.path().join("10_c.sql"), "CREATE TABLE c (id int);").unwrap();
        let set = discover(dir.path(), None).unwrap();
        assert_eq!(set.format, Format::UpDown);
        let versions: Vec<_> = set
            .migrations
            .iter()
            .map(|m| m.version.to_string())
            .collect();
        assert_eq!(versions, ["2", "10"]);
        assert!(set.migrations.iter().all(|m| m.rollback.is_none()));
    }
}
