//! Migration sets: discovery of the files on disk (in the convention of Flyway, sqlx and
//! golang-migrate, diesel, dbmate, maragudk/migrate, Prisma Migrate, tern, goose or
//! node-pg-migrate, or by whole
//! file name when none fits),
//! pairing each forward script with its rollback, ordering by version (by name where the whole
//! file name is the version), splitting scripts into statements with the real PostgreSQL parser,
//! and reading which tables they create.
//!
//! This module reads files and parses SQL; it never talks to a database.

mod bookkeeping;
mod by_name;
mod dbmate;
mod discover;
pub mod go_template;
mod layout;
mod node_pg_migrate;
mod options;
pub mod shard;
pub mod since;
mod split;
mod syntax;
mod tables;
mod tern;
mod transaction;
mod version;

pub use bookkeeping::{bookkeeping_table, Bookkeeping, BOOKKEEPING_MARKER};
pub use discover::{discover, discover_with};
pub use go_template::TemplateValues;
pub use split::split_statements;
pub use tables::CreatedTables;
pub use version::Version;

use std::path::{Path, PathBuf};
use thiserror::Error;

/// The on-disk conventions we read unchanged (`--format`, kebab-case).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// `V<version>__<desc>.sql` with `U<version>__<desc>.sql` or `V<version>__<desc>_rollback.sql`.
    Flyway,
    /// `<version>_<desc>.up.sql` + `<version>_<desc>.down.sql` (sqlx and golang-migrate).
    UpDown,
    /// `<version>_<desc>/up.sql` + `down.sql`.
    Diesel,
    /// One file with `-- migrate:up` and `-- migrate:down` sections.
    Dbmate,
    /// maragudk/migrate: `<name>.up.sql` + `<name>.down.sql` (also `<name>_up.sql`), the whole
    /// `<name>` as the version, in name order, with its `migrations` table.
    Maragu,
    /// The whole file name as the version, in name order: `<name>.up.sql` or `<name>_up.sql`
    /// with its `down`, any other `<name>.sql` forward only. No bookkeeping table.
    ByName,
    /// Prisma Migrate: `<timestamp>_<name>/migration.sql`, the whole folder name as the version,
    /// in name order, with its `_prisma_migrations` table. Forward only: Prisma has no down.
    Prisma,
    /// tern (jackc/tern): `<number>_<desc>.sql`, forward above `---- create above / drop below
    /// ----` and rollback below it, numbered 1, 2, 3 in name order.
    Tern,
    /// goose (pressly/goose): `<version>_<desc>.sql` with `-- +goose Up` and `-- +goose Down`.
    Goose,
    /// node-pg-migrate's SQL files: `<timestamp>_<name>.sql` with `-- Up Migration` and
    /// `-- Down Migration`.
    NodePgMigrate,
    /// gobuffalo pop and ory's popx: `<version>_<desc>[.<dialect>][.autocommit].up.sql` with its
    /// `.down.sql`; a file for another database is not run, and a `postgres` file replaces the
    /// generic one of its version.
    Pop,
}

impl Format {
    /// The formats whose version is the whole file (or folder) name, ordered as text rather
    /// than as numbers.
    pub fn orders_by_name(self) -> bool {
        matches!(self, Format::Maragu | Format::ByName | Format::Prisma)
    }

    /// The formats whose one file holds the forward and its rollback.
    pub(crate) fn holds_its_rollback(self) -> bool {
        matches!(
            self,
            Format::Dbmate | Format::Goose | Format::Tern | Format::NodePgMigrate
        )
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Format::Flyway => "flyway",
            Format::UpDown => "up-down",
            Format::Diesel => "diesel",
            Format::Dbmate => "dbmate",
            Format::Maragu => "maragu",
            Format::ByName => "by-name",
            Format::Prisma => "prisma",
            Format::Tern => "tern",
            Format::Goose => "goose",
            Format::NodePgMigrate => "node-pg-migrate",
            Format::Pop => "pop",
        })
    }
}

/// How a statement must be run with respect to transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Transactionality {
    /// May run inside the migration's transaction.
    Transactional,
    /// Cannot run inside a transaction block (`CREATE INDEX CONCURRENTLY`, `VACUUM`, ...).
    NonTransactional,
    /// The file's own `BEGIN`/`START TRANSACTION`.
    Begin,
    /// The file's own `COMMIT`/`END`/`ROLLBACK`.
    Commit,
}

/// One statement of a script, as the parser delimited it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The statement text without the trailing semicolon, comments around it trimmed.
    pub sql: String,
    /// 1-based line in the file where the statement starts.
    pub line: usize,
    pub transactionality: Transactionality,
}

/// One SQL file (or one section of a dbmate file), already split.
///
/// A script that could not be read or parsed has no statements and says why in `parse_error`:
/// that is its migration's failure when the rehearsal reaches it, not an abort of the run (a
/// baseline's rollback is never executed, so its typo never matters).
#[derive(Debug, Clone, Default)]
pub struct Script {
    pub path: PathBuf,
    /// Line of the file where this script's text begins (1 unless it is a dbmate section).
    pub first_line: usize,
    pub statements: Vec<Statement>,
    pub parse_error: Option<ParseFailure>,
    /// What the migration tool itself runs after the script, in the same transaction when the
    /// script has one: the insert into (or delete from) its bookkeeping table. Not measured.
    pub bookkeeping: Option<String>,
}

/// Why a script could not be split into statements: the line and the parser's (or reader's)
/// message. The file is the script's own path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseFailure {
    pub line: usize,
    pub message: String,
}

/// A forward script and, when there is one, its rollback.
#[derive(Debug, Clone)]
pub struct Migration {
    /// The version as written in the file name (`002`, `1.2.10`, `20240101120000`).
    pub version: Version,
    /// The description part of the name (`add_status_column`).
    pub name: String,
    pub forward: Script,
    pub rollback: Option<Script>,
    /// A Flyway repeatable migration (`R__name.sql`): no version, run after the versioned ones.
    pub repeatable: bool,
}

/// Every migration of a folder, ordered by version (Flyway's repeatable ones last, by name).
#[derive(Debug, Clone)]
pub struct MigrationSet {
    pub root: PathBuf,
    pub format: Format,
    pub migrations: Vec<Migration>,
    /// One line per thing the format's tool ignores and so do we (a data script beside diesel's
    /// folders, a README, a Flyway callback): said, never an error.
    pub notes: Vec<String>,
    /// The tool's bookkeeping table (`public.__diesel_schema_migrations`), created before the
    /// first migration and filled by each script's `bookkeeping`.
    pub bookkeeping: Option<Bookkeeping>,
    /// The values the folder's Go template actions were rendered with, when its runner renders
    /// them (see [`go_template`]): part of what the migrations are, so part of a cache key.
    pub rendered_with: Option<go_template::TemplateValues>,
}

#[derive(Debug, Error)]
pub enum MigrationError {
    #[error("the migrations folder {} cannot be read: {reason}", .path.display())]
    FolderUnreadable { path: PathBuf, reason: String },
    #[error("no migrations were found in {}: expected Flyway (V1__name.sql), sqlx/golang-migrate (1_name.up.sql), diesel (1_name/up.sql), dbmate (-- migrate:up), goose (-- +goose Up), node-pg-migrate (-- Up Migration), tern (---- create above / drop below ----), maragudk/migrate (1-name.up.sql) or Prisma (20240101120000_name/migration.sql) files", .0.display())]
    NoMigrations(PathBuf),
    #[error("{} does not follow the {format} naming convention: {expected}", .path.display())]
    MalformedName {
        path: PathBuf,
        format: Format,
        expected: String,
    },
    #[error("version {version} appears more than once: {}", join_paths(.paths))]
    DuplicateVersion {
        version: String,
        paths: Vec<PathBuf>,
    },
    #[error("{} is a rollback with no forward migration of version {version}", .path.display())]
    OrphanRollback { path: PathBuf, version: String },
    #[error("{} is empty: a migration must contain at least one statement", .0.display())]
    EmptyFile(PathBuf),
    #[error("{} cannot be read: {reason}", .path.display())]
    Unreadable { path: PathBuf, reason: String },
    #[error("{}, line {line}: {}", .path.display(), crate::server_text::shorten(.message))]
    Syntax {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{}: {message}", .path.display())]
    Structure { path: PathBuf, message: String },
    #[error("{} does not follow a known naming convention: expected Flyway (V1__name.sql), sqlx/golang-migrate (1_name.up.sql), diesel (1_name/up.sql) or dbmate (1_name.sql with -- migrate:up)", .0.display())]
    UnknownConvention(PathBuf),
    #[error("{} mixes migration conventions ({conventions}): keep one convention per folder, or force one with --format", .path.display())]
    MixedConventions { path: PathBuf, conventions: String },
    /// Every reason the folder cannot be read, at once: as the convention it seems to follow
    /// and, when that was tried too, by whole file name; and the `--format` that reads it.
    #[error("{}", conflicts_message(.path, .readings, .reader))]
    Conflicts {
        path: PathBuf,
        /// Each reading tried, with every problem it met.
        readings: Vec<(Format, Vec<MigrationError>)>,
        /// A format that reads the folder without a problem, when one does.
        reader: Option<Format>,
    },
    /// The folder's files are Go templates its runner renders, and some of their actions have
    /// no value (or are a form rehearse does not render): every one at once.
    #[error("{}", template_message(.path, .unrendered))]
    TemplateValues {
        path: PathBuf,
        unrendered: Vec<(PathBuf, go_template::Unrendered)>,
    },
}

/// One sentence naming how many actions lack a value in how many files and why rehearse asks,
/// the scenario lines that give every value (a snippet to paste), then each distinct action
/// with its first file and line.
fn template_message(root: &Path, unrendered: &[(PathBuf, go_template::Unrendered)]) -> String {
    let mut files: Vec<&PathBuf> = unrendered.iter().map(|(p, _)| p).collect();
    files.dedup();
    let needed: std::collections::BTreeSet<&str> = unrendered
        .iter()
        .filter_map(|(_, u)| u.needs.as_deref())
        .collect();
    let mut text = format!(
        "{}: {} in {} cannot be rendered: the files are Go templates that the folder's runner renders before running them (as gobuffalo pop renders `{{{{ index .Options \"Namespace\" }}}}`), and rehearse never guesses a value",
        root.display(),
        crate::words::count(unrendered.len(), "template action"),
        crate::words::count(files.len(), "file"),
    );
    if !needed.is_empty() {
        text.push_str(&format!(
            "; give {} in the scenario file:\n  [migrations.template]\n",
            if needed.len() == 1 { "its value" } else { "their values" }
        ));
        for line in placeholder_lines(&needed) {
            text.push_str(&format!("  {line}\n"));
        }
        let flags: Vec<String> = needed.iter().map(|p| format!("--template {p}=...")).collect();
        text.push_str(&format!("or on the command line: {}", flags.join(" ")));
    }
    let mut seen = std::collections::BTreeSet::new();
    for (path, u) in unrendered {
        if !seen.insert(u.action.as_str()) {
            continue;
        }
        let more = unrendered.iter().filter(|(_, o)| o.action == u.action).count() - 1;
        let why = match &u.needs {
            Some(p) => format!("needs {p}"),
            None => "is Go template syntax rehearse does not render (it renders `{{ .Field }}` and `{{ index .Field \"key\" }}`)".to_string(),
        };
        text.push_str(&format!(
            "\n  - {}, line {}: `{{{{ {} }}}}` {why}{}",
            within_root(root, path),
            u.line,
            u.action,
            match more {
                0 => String::new(),
                n => format!(" ({n} more like it)"),
            }
        ));
    }
    text
}

/// The `[migrations.template]` lines that give each path a placeholder value: paths sharing a
/// first name share its line (`Options = { Namespace = "...", Role = "..." }`).
fn placeholder_lines(paths: &std::collections::BTreeSet<&str>) -> Vec<String> {
    #[derive(Default)]
    struct Tree(std::collections::BTreeMap<String, Tree>);
    fn value(tree: &Tree) -> String {
        if tree.0.is_empty() {
            return "\"...\"".into();
        }
        let fields: Vec<String> = tree.0.iter().map(|(k, t)| format!("{k} = {}", value(t))).collect();
        format!("{{ {} }}", fields.join(", "))
    }
    let mut root = Tree::default();
    for path in paths {
        let mut at = &mut root;
        for name in path.split('.') {
            at = at.0.entry(name.to_string()).or_default();
        }
    }
    root.0.iter().map(|(k, t)| format!("{k} = {}", value(t))).collect()
}

fn within_root(root: &Path, path: &Path) -> String {
    path.strip_prefix(root).unwrap_or(path).display().to_string()
}

/// One sentence first (what cannot be read, how many problems each reading met, the format
/// that reads it), then every problem on a line of its own under the reading that met it.
fn conflicts_message(
    path: &Path,
    readings: &[(Format, Vec<MigrationError>)],
    reader: &Option<Format>,
) -> String {
    let counts: Vec<String> = readings
        .iter()
        .map(|(format, problems)| match problems.len() {
            1 => format!("1 problem as {format}"),
            n => format!("{n} problems as {format}"),
        })
        .collect();
    let outcome = match reader {
        Some(format) => format!("--format {format} reads it ({})", format.reading()),
        None => "no format reads it as it is".to_string(),
    };
    let mut text = format!(
        "{} cannot be read: {}; {outcome}",
        path.display(),
        counts.join(", ")
    );
    for (format, problems) in readings {
        text.push_str(&format!("\n  as {format}:"));
        for problem in problems {
            text.push_str(&format!("\n  - {}", within(path, problem)));
        }
    }
    text
}

/// A problem's message with the folder's own path left out of the file names it gives: the
/// list is under a line naming the folder.
pub(crate) fn within(root: &Path, problem: &MigrationError) -> String {
    problem.to_string().replace(
        &format!("{}{}", root.display(), std::path::MAIN_SEPARATOR),
        "",
    )
}

impl Format {
    /// How the format reads a folder, in a phrase for notes and errors.
    pub fn reading(self) -> &'static str {
        match self {
            Format::Flyway => "Flyway's V<version>__<description>.sql, in version order",
            Format::UpDown => "sqlx and golang-migrate's <version>_<description>.up.sql and .down.sql, in version order",
            Format::Diesel => "diesel's <version>_<description>/up.sql and down.sql folders, in version order",
            Format::Dbmate => "dbmate's <version>_<description>.sql with -- migrate:up and -- migrate:down sections",
            Format::Maragu => "maragudk/migrate's <name>.up.sql and <name>.down.sql (or <name>_up.sql), the whole name as the version, in name order, with its migrations table",
            Format::ByName => "every .sql file, the whole file name as the version, in name order; <name>.up.sql or <name>_up.sql pairs with its down, any other <name>.sql runs forward without rollback",
            Format::Prisma => "Prisma Migrate's <timestamp>_<name>/migration.sql folders, the whole folder name as the version, in name order, forward only, with its _prisma_migrations table",
            Format::Tern => "tern's <number>_<description>.sql, forward above ---- create above / drop below ---- and rollback below it, numbered 1, 2, 3 in name order",
            Format::Goose => "goose's <version>_<description>.sql with -- +goose Up and -- +goose Down sections, in version order",
            Format::NodePgMigrate => "node-pg-migrate's <timestamp>_<name>.sql with -- Up Migration and -- Down Migration sections, in version order",
            Format::Pop => "gobuffalo pop's <version>_<description>[.<database>][.autocommit].up.sql and .down.sql, in version order, the postgres file of a version over its generic one",
        }
    }
}

/// Bad migration files are bad input (exit 2).
impl From<MigrationError> for crate::Error {
    fn from(e: MigrationError) -> Self {
        crate::Error::Input(e.to_string())
    }
}

fn join_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

impl MigrationError {
    /// The failure as a script carries it: line and message (the file is the script's).
    pub(crate) fn as_parse_failure(&self) -> ParseFailure {
        match self {
            MigrationError::Syntax { line, message, .. } => ParseFailure {
                line: *line,
                message: message.clone(),
            },
            MigrationError::Unreadable { reason, .. } => ParseFailure {
                line: 1,
                message: format!("the file cannot be read: {reason}"),
            },
            other => ParseFailure {
                line: 1,
                message: other.to_string(),
            },
        }
    }
}

impl Script {
    /// The file name, for messages and reports.
    pub fn file_name(&self) -> String {
        file_name(&self.path)
    }
}

/// Reads a file as UTF-8 text; every failure becomes one sentence naming the file.
/// A byte order mark at its start is dropped (see [`crate::input`]).
pub(crate) fn read_text(path: &Path) -> Result<String, MigrationError> {
    crate::input::read_text(path).map_err(|e| MigrationError::Unreadable {
        path: path.to_path_buf(),
        reason: e.reason,
    })
}

pub(crate) fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}
