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
//!
//! Names are read in two steps: a plan (what each name says, every problem of the names
//! collected rather than the first one returned), then the scripts. A folder no convention
//! reads may be read by whole file name instead ([`super::by_name`]); a folder nothing reads is
//! refused once with every problem of each reading tried.

use super::bookkeeping::{self, Tool};
use super::by_name;
use super::layout::{self, Name, Role};
use super::go_template::{self, TemplateValues};
use super::split::{read_script, read_script_with};
use super::{
    dbmate, node_pg_migrate, options, read_text, tern, Format, Migration, MigrationError,
    MigrationSet, ParseFailure, Script, Version,
};
use crate::error::io_reason;
use std::path::{Path, PathBuf};

/// Reads a migrations folder, detecting its format unless `forced`.
///
/// Detection picks the one convention the names follow. A folder of numbered names that
/// convention cannot read (a number shared by several files, a name without description,
/// `NAME_up.sql`), or of names no convention reads, is read by whole file name (`by-name`) when
/// that is unambiguous, with a note saying so. A folder that cannot be read is refused with
/// every problem of each reading tried at once, and the `--format` that reads it if one does.
pub fn discover(root: &Path, forced: Option<Format>) -> Result<MigrationSet, MigrationError> {
    discover_with(root, forced, &TemplateValues::default())
}

/// [`discover`], rendering the files' Go template actions with `values` when the folder's
/// runner renders them (see [`super::go_template`]).
pub fn discover_with(
    root: &Path,
    forced: Option<Format>,
    values: &TemplateValues,
) -> Result<MigrationSet, MigrationError> {
    let all = list(root)?;
    let (entries, others): (Vec<Entry>, Vec<Entry>) = all
        .into_iter()
        .partition(|e| e.is_dir || e.name.ends_with(".sql"));
    let detection = match forced {
        Some(_) => detect(root, &entries).unwrap_or_default(),
        None => detect(root, &entries)?,
    };
    let tried = forced.or(detection.format);
    let mut readings = Vec::new();
    if let Some(format) = tried {
        let plan = plan(root, format, &entries)?;
        if plan.problems.is_empty() {
            return load(root, values, format, plan, &others, None);
        }
        readings.push((format, plan.problems));
    }
    // Names its convention cannot read, or that follow none: by whole file name, when that
    // leaves nothing to guess. Flyway, diesel and dbmate folders are their tools' alone.
    let whole_name_family = matches!(detection.format, None | Some(Format::UpDown));
    let mut by_name_reads = false;
    if forced.is_none() && whole_name_family {
        let mut by_name_plan = plan(root, Format::ByName, &entries)?;
        by_name_reads = by_name_plan.problems.is_empty();
        let mut problems = std::mem::take(&mut by_name_plan.problems);
        problems.extend(by_name::guesses(root, &by_name_plan.pairs));
        if problems.is_empty() {
            let note = |format| by_name::assumed_note(root, format, &readings, &detection.unknown);
            let set = load(root, values, Format::ByName, by_name_plan, &others, None)?;
            // A script that uses maragudk/migrate's table says whose folder it is.
            if by_name::uses_maragu_table(&set) {
                let maragu = plan(root, Format::Maragu, &entries)?;
                if maragu.problems.is_empty() && maragu.pairs.len() == set.migrations.len() {
                    return load(
                        root,
                        values,
                        Format::Maragu,
                        maragu,
                        &others,
                        Some(note(Format::Maragu)),
                    );
                }
            }
            let mut set = set;
            set.notes.insert(0, note(Format::ByName));
            return Ok(set);
        }
        readings.push((Format::ByName, problems));
    }
    // Which format would read it, to name in the refusal.
    let mut candidates: Vec<Format> = detection.format.into_iter().collect();
    if whole_name_family {
        candidates.extend([Format::ByName, Format::Maragu]);
    }
    let mut reader = None;
    for format in candidates {
        if Some(format) == forced || readings.iter().any(|(f, _)| *f == format) {
            if format == Format::ByName && by_name_reads {
                reader = Some(format);
                break;
            }
            continue;
        }
        if plan(root, format, &entries).is_ok_and(|p| p.problems.is_empty()) {
            reader = Some(format);
            break;
        }
    }
    Err(refusal(root, readings, reader))
}

/// One problem of one reading, with no format to suggest, is that problem itself; anything
/// more is the list of them all.
fn refusal(
    root: &Path,
    mut readings: Vec<(Format, Vec<MigrationError>)>,
    reader: Option<Format>,
) -> MigrationError {
    if reader.is_none() && readings.len() == 1 && readings[0].1.len() == 1 {
        return readings.remove(0).1.remove(0);
    }
    MigrationError::Conflicts {
        path: root.to_path_buf(),
        readings,
        reader,
    }
}

/// What a format makes of the folder's names, before any script is read.
pub(super) struct Plan {
    /// Each forward script with its rollback (a dbmate file holds its own), in no order yet.
    pub(super) pairs: Vec<(Named, Option<Named>)>,
    /// Every problem of the names, each a reason the tool would refuse the folder or skip a
    /// file meant as a migration.
    problems: Vec<MigrationError>,
    ignored: Ignored,
    /// What reading the names took on itself (a rollback paired by its place in name order).
    notes: Vec<String>,
}

/// Reads the names of `entries` as `format` does. Errors are the ones no name explains (a
/// subfolder that cannot be listed, no migration at all); problems of names are collected.
fn plan(root: &Path, format: Format, entries: &[Entry]) -> Result<Plan, MigrationError> {
    let mut ignored = Ignored::default();
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    let files = match format {
        Format::Flyway => flyway_names(entries, &mut ignored, &mut problems),
        Format::UpDown => up_down_names(entries, &mut ignored, &mut problems),
        Format::Diesel => diesel_names(entries, &mut ignored, &mut problems)?,
        Format::Dbmate | Format::Goose | Format::Tern | Format::NodePgMigrate => named(
            entries,
            format,
            plain_forward,
            starts_with_digit,
            &mut ignored,
            &mut problems,
        ),
        Format::Prisma => prisma_names(entries, &mut ignored, &mut problems)?,
        Format::Maragu => named(
            entries,
            format,
            layout::maragu,
            |file| {
                let stem = file.strip_suffix(".sql").unwrap_or(file);
                stem.ends_with("up") || stem.ends_with("down")
            },
            &mut ignored,
            &mut problems,
        ),
        Format::ByName => named(
            entries,
            format,
            layout::by_name,
            |_| false,
            &mut ignored,
            &mut problems,
        ),
        Format::Pop => pop_names(entries, &mut ignored, &mut problems, &mut notes),
    };
    let pairs = if format.holds_its_rollback() {
        check_unique(&files, format, &mut problems);
        if format == Format::Tern {
            tern_numbering(root, &files, &mut problems);
        }
        files.into_iter().map(|f| (f, None)).collect()
    } else {
        pair_names(files, format, &mut problems, &mut notes)
    };
    if pairs.is_empty() && problems.is_empty() {
        // Nothing followed the convention: a `.sql` file it passed over is the likelier mistake
        // (a format forced on the wrong folder) than an empty folder.
        match entries
            .iter()
            .find(|e| !e.is_dir && ignored.files.contains(&e.name))
        {
            Some(file) => problems.push(malformed(&file.path, format)),
            None => return Err(MigrationError::NoMigrations(root.to_path_buf())),
        }
    }
    Ok(Plan {
        pairs,
        problems,
        ignored,
        notes,
    })
}

/// Reads and splits every script of `plan`, orders the migrations, and fills the tool's
/// bookkeeping. `assumed` says why the format was assumed, for the notes.
fn load(
    root: &Path,
    values: &TemplateValues,
    format: Format,
    plan: Plan,
    others: &[Entry],
    assumed: Option<String>,
) -> Result<MigrationSet, MigrationError> {
    let Plan {
        pairs,
        mut ignored,
        notes: paired,
        ..
    } = plan;
    // Flyway reads a script's configuration from `<script>.conf` beside it, Prisma its
    // provider from `migration_lock.toml`, tern its template data from `tern.conf`.
    let read_beside = |e: &&Entry| match format {
        Format::Flyway => e.name.ends_with(".sql.conf"),
        Format::Prisma => e.name == "migration_lock.toml",
        Format::Tern => e.name == "tern.conf",
        _ => false,
    };
    ignored.files.extend(
        others
            .iter()
            .filter(|e| !read_beside(e))
            .map(|e| e.name.clone()),
    );
    // tern renders its own actions (its module); other runners' are rendered here when the
    // folder is theirs to render.
    let render = match format {
        Format::Tern => None,
        _ => Render::for_folder(&pairs, values),
    };
    let mut migrations = if format.holds_its_rollback() {
        sectioned_migrations(root, pairs, format, render.as_ref())?
    } else {
        read_pairs(pairs, format, render.as_ref())
    };
    let rendered_with = match render {
        Some(render) => Some(render.finish(root)?),
        None => None,
    };
    if format.orders_by_name() {
        // The runner compares its versions as text.
        migrations.sort_by(|a, b| a.version.as_str().cmp(b.version.as_str()));
    } else {
        migrations.sort_by(|a, b| (a.repeatable, &a.version).cmp(&(b.repeatable, &b.version)));
    }
    let tool = Tool::of(format, &migrations);
    if let Some(tool) = tool {
        bookkeeping::record(tool, &mut migrations)?;
    }
    let mut notes: Vec<String> = assumed.into_iter().collect();
    if format == Format::Prisma {
        notes.extend(prisma_notes(root));
    }
    notes.extend(paired);
    notes.extend(ignored.notes(tool.map_or("the runner", Tool::name)));
    Ok(MigrationSet {
        root: root.to_path_buf(),
        format,
        migrations,
        notes,
        bookkeeping: tool.map(bookkeeping::Bookkeeping::of),
        rendered_with,
    })
}

/// Renders the Go template actions of a folder whose runner renders them, collecting every
/// action it cannot render so that all are said at once.
struct Render<'a> {
    values: &'a TemplateValues,
    unrendered: std::cell::RefCell<Vec<(PathBuf, go_template::Unrendered)>>,
}

impl<'a> Render<'a> {
    /// A renderer when the folder's files are templates: some file holds an action, and values
    /// were given or an action stands where SQL cannot (the file as written does not parse).
    fn for_folder(pairs: &[(Named, Option<Named>)], values: &'a TemplateValues) -> Option<Self> {
        let mut with_actions = false;
        let mut unparsable = false;
        let files = pairs
            .iter()
            .flat_map(|(forward, rollback)| std::iter::once(forward).chain(rollback));
        for file in files {
            let Ok(text) = crate::input::read_text(&file.path) else {
                continue;
            };
            if go_template::has_actions(&text) {
                with_actions = true;
                if super::split::script_of(&file.path, &text, 1).parse_error.is_some() {
                    unparsable = true;
                    break;
                }
            }
        }
        (with_actions && go_template::is_templated(values, unparsable)).then(|| Render {
            values,
            unrendered: Default::default(),
        })
    }

    /// `text` of `path` rendered.
    fn text(&self, path: &Path, text: String) -> String {
        if !go_template::has_actions(&text) {
            return text;
        }
        let (rendered, unrendered) = go_template::render(&text, self.values);
        self.unrendered
            .borrow_mut()
            .extend(unrendered.into_iter().map(|u| (path.to_path_buf(), u)));
        rendered
    }

    /// The values rendered with, or every action that could not be rendered.
    fn finish(self, root: &Path) -> Result<TemplateValues, MigrationError> {
        let unrendered = self.unrendered.into_inner();
        if unrendered.is_empty() {
            Ok(self.values.clone())
        } else {
            Err(MigrationError::TemplateValues {
                path: root.to_path_buf(),
                unrendered,
            })
        }
    }
}

/// What the tool does not read, for the notes.
#[derive(Default)]
pub(super) struct Ignored {
    /// Files (or `folder/file`) the tool never reads.
    files: Vec<String>,
    /// Flyway callbacks, which the rehearsal does not run.
    callbacks: Vec<String>,
}

impl Ignored {
    /// The notes, naming the tool (`name`) that does not read the files.
    fn notes(mut self, name: &str) -> Vec<String> {
        let mut notes = Vec::new();
        self.files.sort();
        // goose runs `<version>_<name>.go` from the application's binary, in the same order as
        // its SQL files: they are migrations rehearse cannot run, not files goose ignores.
        let (code, files): (Vec<String>, Vec<String>) = std::mem::take(&mut self.files)
            .into_iter()
            .partition(|f| name == "goose" && f.ends_with(".go"));
        self.files = files;
        if !code.is_empty() {
            let names: Vec<&str> = code.iter().map(String::as_str).collect();
            notes.push(format!(
                "{} goose runs from the application's code, which rehearse cannot run: {}; a later migration that needs what one of them does fails without it",
                crate::words::count(names.len(), "Go migration"),
                examples(&names)
            ));
        }
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
        let has = |f: &str| entry.path.join(f).is_file();
        return if has("up.sql") || has("down.sql") {
            Evidence::Follows(Format::Diesel)
        } else if has(PRISMA_SCRIPT) {
            Evidence::Follows(Format::Prisma)
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
    } else if layout::pop_marked(name) {
        Evidence::Follows(Format::Pop)
    } else if layout::up_down(name).is_some() {
        Evidence::Follows(Format::UpDown)
    } else if layout::plain(name).is_some() {
        // sqlx's migration without rollback, unless its content says dbmate, goose or tern.
        match crate::input::read_text(&entry.path) {
            Ok(text) if dbmate::has_up_marker(&text) => Evidence::Follows(Format::Dbmate),
            Ok(text) if dbmate::has_goose_up(&text) => Evidence::Follows(Format::Goose),
            Ok(text) if tern::has_separator(&text) => Evidence::Follows(Format::Tern),
            Ok(text) if node_pg_migrate::has_up_marker(&text) => {
                Evidence::Follows(Format::NodePgMigrate)
            }
            Ok(_) => Evidence::Follows(Format::UpDown),
            Err(_) => Evidence::Plain,
        }
    } else {
        Evidence::Unknown
    }
}

/// What the names say about the folder: the one convention they follow (none when no name
/// follows one), and the `.sql` files that follow no convention.
#[derive(Default)]
struct Detection {
    format: Option<Format>,
    unknown: Vec<String>,
}

/// The one convention the folder follows; an error names the files of each when it mixes them.
fn detect(root: &Path, entries: &[Entry]) -> Result<Detection, MigrationError> {
    let mut found: Vec<(Format, Vec<&str>)> = Vec::new();
    let (mut unknown, mut plain) = (Vec::new(), false);
    for entry in entries {
        match evidence(entry) {
            Evidence::Follows(format) => match found.iter_mut().find(|(f, _)| *f == format) {
                Some((_, names)) => names.push(&entry.name),
                None => found.push((format, vec![&entry.name])),
            },
            Evidence::Plain => plain = true,
            Evidence::Unknown => unknown.push(entry.name.clone()),
            Evidence::Irrelevant => {}
        }
    }
    // A tern or node-pg-migrate file without markers is all forward, and reads like sqlx's
    // plain file: it belongs to the folder's tool.
    if let [(a, first), (b, second)] = found.as_slice() {
        let marked = [Format::Tern, Format::NodePgMigrate];
        let (tool, plain_names) = match (*a, *b) {
            (Format::UpDown, tool) if marked.contains(&tool) => (tool, first),
            (tool, Format::UpDown) if marked.contains(&tool) => (tool, second),
            _ => (Format::UpDown, first),
        };
        if tool != Format::UpDown && plain_names.iter().all(|n| layout::plain(n).is_some()) {
            let plain_names = plain_names.clone();
            found.retain(|(f, _)| *f == tool);
            found[0].1.extend(plain_names);
        }
    }
    // pop's generic files (`1_x.up.sql`) read like sqlx's: beside files naming a database, they
    // are pop's.
    if found.len() == 2 && found.iter().any(|(f, _)| *f == Format::Pop) {
        if let Some(at) = found.iter().position(|(f, names)| {
            *f == Format::UpDown && names.iter().all(|n| layout::pop(n).is_some())
        }) {
            let (_, generic) = found.remove(at);
            found[0].1.extend(generic);
        }
    }
    let format = match found.len() {
        // Only unreadable plain files: read them as sqlx files, so that reading names the problem.
        0 if plain => Some(Format::UpDown),
        0 if unknown.is_empty() => return Err(MigrationError::NoMigrations(root.to_path_buf())),
        0 => None,
        1 => Some(found[0].0),
        _ => {
            return Err(MigrationError::MixedConventions {
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
            })
        }
    };
    Ok(Detection { format, unknown })
}

/// `a.sql, b.sql and 3 more`: enough names to find the files, not a wall of them.
pub(super) fn examples(names: &[&str]) -> String {
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
        Format::Maragu => "expected <name>.up.sql and <name>.down.sql, the name made of ASCII letters, digits, _ and -",
        Format::ByName => "expected <name>.sql, or <name>.up.sql with <name>.down.sql",
        Format::Prisma => "expected a folder <timestamp>_<name> holding migration.sql",
        Format::Tern => "expected <number>_<description>.sql, the rollback below ---- create above / drop below ----",
        Format::Goose => "expected <version>_<description>.sql with -- +goose Up and -- +goose Down sections",
        Format::NodePgMigrate => "expected <timestamp>_<name>.sql with -- Up Migration and -- Down Migration sections",
        Format::Pop => "expected <version>_<description>.up.sql and .down.sql, with .<database> (postgres, cockroach, mysql, sqlite3) or .autocommit before .up or .down",
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
pub(super) struct Named {
    pub(super) name: Name,
    pub(super) path: PathBuf,
    /// A Flyway repeatable migration.
    repeatable: bool,
}

/// Reads every `.sql` file's name with `parse`; folders are not part of these conventions. A file
/// that `near_miss` says looks like a migration is a problem; any other is ignored with a note.
fn named(
    entries: &[Entry],
    format: Format,
    parse: fn(&str) -> Option<Name>,
    near_miss: fn(&str) -> bool,
    ignored: &mut Ignored,
    problems: &mut Vec<MigrationError>,
) -> Vec<Named> {
    let mut files = Vec::new();
    for entry in entries.iter().filter(|e| !e.is_dir) {
        match parse(&entry.name) {
            Some(name) => files.push(Named {
                name,
                path: entry.path.clone(),
                repeatable: false,
            }),
            None if near_miss(&entry.name) => problems.push(malformed(&entry.path, format)),
            None => ignored.files.push(entry.name.clone()),
        }
    }
    files
}

/// Flyway: versioned and undo scripts, repeatable scripts (run after the versioned ones), and
/// callbacks (noted, not run).
fn flyway_names(
    entries: &[Entry],
    ignored: &mut Ignored,
    problems: &mut Vec<MigrationError>,
) -> Vec<Named> {
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
        problems,
    ));
    files
}

/// The tool of a format whose files hold their own rollback, for messages.
fn tool_of(format: Format) -> &'static str {
    match format {
        Format::Goose => "goose",
        Format::Tern => "tern",
        Format::NodePgMigrate => "node-pg-migrate",
        _ => "dbmate",
    }
}

/// The script each Prisma Migrate folder holds.
const PRISMA_SCRIPT: &str = "migration.sql";

/// Prisma Migrate: every folder is a migration, its whole name the version (Prisma lists the
/// folders and sorts their names), `migration.sql` its script. A folder without one is a
/// problem: Prisma stops on it. Files beside the folders (`migration_lock.toml`) and other files
/// inside them are not migrations.
fn prisma_names(
    entries: &[Entry],
    ignored: &mut Ignored,
    problems: &mut Vec<MigrationError>,
) -> Result<Vec<Named>, MigrationError> {
    let mut files = Vec::new();
    for entry in entries {
        if !entry.is_dir {
            ignored.files.push(entry.name.clone());
            continue;
        }
        let mut script = None;
        for path in sql_files(&entry.path)? {
            if super::file_name(&path) == PRISMA_SCRIPT {
                script = Some(path);
            } else {
                ignored
                    .files
                    .push(format!("{}/{}", entry.name, super::file_name(&path)));
            }
        }
        let Some(path) = script else {
            problems.push(MigrationError::Structure {
                path: entry.path.clone(),
                message: format!(
                    "Prisma Migrate reads every folder here as a migration, and this one has no {PRISMA_SCRIPT}"
                ),
            });
            continue;
        };
        let (version, description) = layout::prisma_folder(&entry.name);
        files.push(Named {
            name: Name {
                version,
                description,
                role: Role::Forward,
            },
            path,
            repeatable: false,
        });
    }
    Ok(files)
}

/// What a Prisma folder says beyond its migrations: that Prisma has no rollback, and the
/// provider its lock file names when that is not PostgreSQL.
fn prisma_notes(root: &Path) -> Vec<String> {
    let mut notes = vec![
        "Prisma Migrate has no down migrations: each migration is rehearsed forward only and reported without a rollback (the rollback gate fails unless --allow-missing-rollback or [gates] require_rollback = false)".to_string(),
    ];
    let lock = root.join("migration_lock.toml");
    if let Ok(text) = std::fs::read_to_string(&lock) {
        let provider = text.lines().find_map(|line| {
            let (key, value) = line.split_once('=')?;
            (key.trim() == "provider").then(|| value.trim().trim_matches('"').to_string())
        });
        if let Some(provider) = provider.filter(|p| p != "postgresql" && p != "postgres") {
            notes.push(format!(
                "migration_lock.toml says provider = \"{provider}\": these migrations were generated for {provider}, not PostgreSQL"
            ));
        }
    }
    notes
}

/// tern numbers its files 1, 2, 3 in name order and refuses a folder where that breaks.
fn tern_numbering(root: &Path, files: &[Named], problems: &mut Vec<MigrationError>) {
    let mut numbered: Vec<(&str, u64, String)> = files
        .iter()
        .map(|f| {
            let file = super::file_name(&f.path);
            let number = f.name.version.parse().unwrap_or(u64::MAX);
            (
                f.path.file_name().and_then(|n| n.to_str()).unwrap_or(""),
                number,
                file,
            )
        })
        .collect();
    numbered.sort_by(|a, b| a.0.cmp(b.0));
    let numbers: Vec<(u64, String)> = numbered.into_iter().map(|(_, n, f)| (n, f)).collect();
    problems.extend(tern::numbering_breaks(&numbers).into_iter().map(|message| {
        MigrationError::Structure {
            path: root.to_path_buf(),
            message,
        }
    }));
}

/// A name starting with a digit is meant as a migration of the numbered conventions.
fn starts_with_digit(file: &str) -> bool {
    file.starts_with(|c: char| c.is_ascii_digit())
}

/// `<version>_<desc>.sql` as a forward script (sqlx without rollback, a dbmate file).
fn plain_forward(file: &str) -> Option<Name> {
    layout::plain(file).map(|(version, description)| Name {
        version,
        description,
        role: Role::Forward,
    })
}

/// sqlx/golang-migrate: `.up.sql`/`.down.sql` pairs, and plain `.sql` files without rollback.
fn up_down_names(
    entries: &[Entry],
    ignored: &mut Ignored,
    problems: &mut Vec<MigrationError>,
) -> Vec<Named> {
    named(
        entries,
        Format::UpDown,
        |file| layout::up_down(file).or_else(|| plain_forward(file)),
        starts_with_digit,
        ignored,
        problems,
    )
}

/// gobuffalo pop and ory's popx: `<version>_<desc>[.<database>][.autocommit].{up,down}.sql`. The
/// runner keeps the files of its own database and the generic ones, and a version's file for its
/// database replaces the generic one (popx's rule; an empty file so skips a version on one
/// database). The other databases' files are said in a note, not read.
fn pop_names(
    entries: &[Entry],
    ignored: &mut Ignored,
    problems: &mut Vec<MigrationError>,
    notes: &mut Vec<String>,
) -> Vec<Named> {
    let mut kept: Vec<(layout::PopName, &Entry)> = Vec::new();
    let mut elsewhere: Vec<&str> = Vec::new();
    let mut databases = std::collections::BTreeSet::new();
    for entry in entries.iter().filter(|e| !e.is_dir) {
        match layout::pop(&entry.name) {
            Some(name) => match name.dialect.as_deref() {
                None | Some("postgres") => kept.push((name, entry)),
                Some(other) => {
                    databases.insert(other.to_string());
                    elsewhere.push(&entry.name);
                }
            },
            None if starts_with_digit(&entry.name) => {
                problems.push(malformed(&entry.path, Format::Pop))
            }
            None => ignored.files.push(entry.name.clone()),
        }
    }
    let replaced = |name: &layout::PopName| {
        name.dialect.is_none()
            && kept.iter().any(|(other, _)| {
                other.dialect.is_some()
                    && other.name.role == name.name.role
                    && same_version(Format::Pop, &other.name.version, &name.name.version)
            })
    };
    let generic_replaced = kept.iter().filter(|(n, _)| replaced(n)).count();
    if !elsewhere.is_empty() {
        notes.push(format!(
            "{} pop runs only on other databases ({}) are not rehearsed: {}",
            crate::words::count(elsewhere.len(), "file"),
            databases.into_iter().collect::<Vec<_>>().join(", "),
            examples(&elsewhere)
        ));
    }
    if generic_replaced > 0 {
        notes.push(format!(
            "{} {} replaced by the version's .postgres file, as pop runs them on PostgreSQL",
            crate::words::count(generic_replaced, "generic file"),
            if generic_replaced == 1 { "is" } else { "are" }
        ));
    }
    kept.iter()
        .filter(|(n, _)| !replaced(n))
        .map(|(n, entry)| Named {
            name: n.name.clone(),
            path: entry.path.clone(),
            repeatable: false,
        })
        .collect()
}

/// diesel: one folder per migration holding `up.sql` and `down.sql` (and `metadata.toml`).
/// diesel reads nothing else: files beside the folders, and other files inside them, are noted.
fn diesel_names(
    entries: &[Entry],
    ignored: &mut Ignored,
    problems: &mut Vec<MigrationError>,
) -> Result<Vec<Named>, MigrationError> {
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
        let Some((version, description)) = layout::diesel_folder(&entry.name) else {
            problems.push(malformed(&entry.path, Format::Diesel));
            continue;
        };
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

/// Two versions name the same migration: as numbers for the numbered conventions (`V1` and
/// `V001`), as the same text where the whole file name is the version.
fn same_version(format: Format, a: &str, b: &str) -> bool {
    if format.orders_by_name() {
        a == b
    } else {
        Version::new(a).same_as(&Version::new(b))
    }
}

/// Pairs forwards with rollbacks by version; a rollback without its forward is a problem, unless
/// the whole name is the version and its place in name order says whose it is (`notes` say so).
fn pair_names(
    files: Vec<Named>,
    format: Format,
    problems: &mut Vec<MigrationError>,
    notes: &mut Vec<String>,
) -> Vec<(Named, Option<Named>)> {
    let (forwards, rollbacks): (Vec<_>, Vec<_>) = files
        .into_iter()
        .partition(|f| f.name.role == Role::Forward);
    check_unique(&forwards, format, problems);
    check_unique(&rollbacks, format, problems);
    let mut pending: Vec<(Named, Option<Named>)> =
        forwards.into_iter().map(|f| (f, None)).collect();
    let mut orphans = Vec::new();
    for rollback in rollbacks {
        match pending
            .iter_mut()
            .find(|(f, _)| same_version(format, &f.name.version, &rollback.name.version))
        {
            Some((_, slot)) => {
                // A second rollback of one version was named by check_unique already.
                if slot.is_none() {
                    *slot = Some(rollback);
                }
            }
            None => orphans.push(rollback),
        }
    }
    if format.orders_by_name() {
        orphans = by_name::pair_by_place(&mut pending, orphans, notes);
    }
    problems.extend(
        orphans
            .into_iter()
            .map(|rollback| MigrationError::OrphanRollback {
                path: rollback.path,
                version: rollback.name.version,
            }),
    );
    pending
}

/// Reads and splits every script and applies the options the tool reads beside it.
fn read_pairs(
    pairs: Vec<(Named, Option<Named>)>,
    format: Format,
    render: Option<&Render>,
) -> Vec<Migration> {
    pairs
        .into_iter()
        .map(|(forward, rollback)| {
            let mut migration = Migration {
                version: Version::new(forward.name.version),
                name: forward.name.description,
                forward: read_with_options(&forward.path, format, render),
                rollback: rollback.map(|r| read_with_options(&r.path, format, render)),
                repeatable: forward.repeatable,
            };
            if format == Format::Diesel {
                apply_diesel_metadata(&mut migration);
            }
            migration
        })
        .collect()
}

/// Reads one script and applies the per-file option of its tool (sqlx's `-- no-transaction`,
/// Flyway's `<file>.conf`).
fn read_with_options(path: &Path, format: Format, render: Option<&Render>) -> super::Script {
    let (mut script, text) = match render {
        Some(render) => read_script_with(path, |text| render.text(path, text)),
        None => read_script(path),
    };
    let outside = match format {
        Format::UpDown => text.as_deref().is_some_and(options::sqlx_no_transaction),
        Format::Pop => layout::pop(&super::file_name(path)).is_some_and(|p| p.autocommit),
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

/// No two scripts of one role may name the same version (`V1` and `V001` are the same): each
/// version shared is one problem naming every file that shares it.
fn check_unique(files: &[Named], format: Format, problems: &mut Vec<MigrationError>) {
    let mut reported = vec![false; files.len()];
    for (index, file) in files.iter().enumerate() {
        if reported[index] {
            continue;
        }
        let mut same = Vec::new();
        for (other_index, other) in files.iter().enumerate().skip(index) {
            if same_version(format, &file.name.version, &other.name.version) {
                reported[other_index] = true;
                same.push(other.path.clone());
            }
        }
        if same.len() > 1 {
            problems.push(MigrationError::DuplicateVersion {
                version: file.name.version.clone(),
                paths: same,
            });
        }
    }
}

/// The forward section's statements (their SQL) of a file of a format that holds both
/// directions in one file, as it would be discovered from `text`; None when the format keeps
/// them apart or the text does not split. `--since` compares them to tell an edit of the
/// rollback alone from an edit of what databases applied.
pub(crate) fn forward_statements(
    root: &Path,
    format: Format,
    path: &Path,
    text: &str,
) -> Option<Vec<String>> {
    let sections = match format {
        Format::Goose => dbmate::sections_of(&dbmate::GOOSE, path, text),
        Format::Tern => tern::sections(&tern::Templates::of(root), path, text),
        Format::NodePgMigrate => Ok(node_pg_migrate::sections(path, text)),
        Format::Dbmate => dbmate::sections(path, text),
        _ => return None,
    }
    .ok()?;
    if sections.up.parse_error.is_some() {
        return None;
    }
    Some(sections.up.statements.into_iter().map(|s| s.sql).collect())
}

/// dbmate, goose and tern: each file holds its own rollback; a file without one has none.
fn sectioned_migrations(
    root: &Path,
    files: Vec<(Named, Option<Named>)>,
    format: Format,
    render: Option<&Render>,
) -> Result<Vec<Migration>, MigrationError> {
    let mut templates = None;
    let mut migrations = Vec::with_capacity(files.len());
    for (file, _) in files {
        let mut text = read_text(&file.path)?;
        if let Some(render) = render {
            text = render.text(&file.path, text);
        }
        let sections = match format {
            Format::Goose => dbmate::sections_of(&dbmate::GOOSE, &file.path, &text),
            Format::Tern => tern::sections(
                templates.get_or_insert_with(|| tern::Templates::of(root)),
                &file.path,
                &text,
            ),
            Format::NodePgMigrate => Ok(node_pg_migrate::sections(&file.path, &text)),
            _ => dbmate::sections(&file.path, &text),
        };
        // A file its tool would refuse (no up marker, two of them, SQL before the first) is
        // that migration's failure in the report, as a file that does not parse is.
        let (forward, rollback) = match sections {
            Ok(sections) => (sections.up, sections.down),
            Err(e @ (MigrationError::Structure { .. } | MigrationError::Syntax { .. })) => {
                let failure = match &e {
                    MigrationError::Structure { message, .. } => ParseFailure {
                        line: match format {
                            Format::Goose => dbmate::first_marker_line(&dbmate::GOOSE, &text),
                            Format::Tern => None,
                            _ => dbmate::first_marker_line(&dbmate::DBMATE, &text),
                        }
                        .unwrap_or(1),
                        message: format!("{} cannot run it: {message}", tool_of(format)),
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
        // Read by name, its place in the order would be a guess: refused, with the format
        // that reads it anyway.
        assert!(
            matches!(
                error,
                MigrationError::Conflicts {
                    reader: Some(Format::ByName),
                    ..
                }
            ),
            "{error}"
        );
        let message = error.to_string();
        assert!(
            message.contains("create_users.sql does not follow"),
            "{message}"
        );
        assert!(message.contains("--format by-name reads it"), "{message}");
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
    fn goose_go_migrations_are_named_as_migrations_rehearse_cannot_run() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("20240101000000_users.sql"),
            "-- +goose Up\nCREATE TABLE u (id int);\n-- +goose Down\nDROP TABLE u;\n",
        )
        .unwrap();
        fs::write(
            dir.path().join("20240102000000_backfill.go"),
            "package migrations\n",
        )
        .unwrap();
        let set = discover(dir.path(), None).unwrap();
        assert_eq!(set.format, Format::Goose);
        assert_eq!(
            set.notes,
            ["1 Go migration goose runs from the application's code, which rehearse cannot run: 20240102000000_backfill.go; a later migration that needs what one of them does fails without it"]
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

    fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, sql) in files {
            fs::write(dir.path().join(name), sql).unwrap();
        }
        dir
    }

    fn versions(set: &crate::migrations::MigrationSet) -> Vec<(String, Option<String>)> {
        set.migrations
            .iter()
            .map(|m| {
                (
                    m.version.to_string(),
                    m.rollback.as_ref().map(|r| r.file_name()),
                )
            })
            .collect()
    }

    #[test]
    fn names_that_follow_no_one_convention_are_read_by_whole_name_with_a_note() {
        // A number shared by two files, names without description, NAME_up.sql pairs.
        let dir = folder(&[
            ("001_users.up.sql", "CREATE TABLE users (id int);"),
            ("001_users.down.sql", "DROP TABLE users;"),
            ("001_roles.up.sql", "CREATE TABLE roles (id int);"),
            ("002.up.sql", "ALTER TABLE users ADD c int;"),
            ("002.down.sql", "ALTER TABLE users DROP c;"),
            ("003_backfill_up.sql", "UPDATE users SET c = 1;"),
            ("003_backfill_down.sql", "UPDATE users SET c = NULL;"),
            ("004_index.sql", "CREATE INDEX ON users (c);"),
        ]);
        let set = discover(dir.path(), None).unwrap();
        assert_eq!(set.format, Format::ByName);
        let some = |s: &str| Some(s.to_string());
        assert_eq!(
            versions(&set),
            [
                ("001_roles".to_string(), None),
                ("001_users".to_string(), some("001_users.down.sql")),
                ("002".to_string(), some("002.down.sql")),
                ("003_backfill".to_string(), some("003_backfill_down.sql")),
                ("004_index".to_string(), None),
            ]
        );
        assert_eq!(set.migrations[1].name, "users");
        assert!(set.bookkeeping.is_none());
        let note = &set.notes[0];
        for said in [
            "do not follow the up-down convention",
            "2 names it does not read: 002.down.sql, 002.up.sql",
            "2 versions shared by several files: 001 (2 files), 003 (2 files)",
            "read as by-name",
            "--format maragu",
            "--format up-down",
        ] {
            assert!(note.contains(said), "{said} not in: {note}");
        }
    }

    #[test]
    fn a_folder_that_cannot_be_read_lists_every_problem_at_once() {
        let dir = folder(&[
            ("1_a.up.sql", "SELECT 1;"),
            ("1_b.up.sql", "SELECT 1;"),
            ("2.up.sql", "SELECT 1;"),
            ("3_c.down.sql", "SELECT 1;"),
            ("4_d.up.sql", "SELECT 1;"),
            ("4_d_up.sql", "SELECT 1;"),
        ]);
        let error = discover(dir.path(), None).unwrap_err();
        let MigrationError::Conflicts {
            readings, reader, ..
        } = &error
        else {
            panic!("{error}")
        };
        assert_eq!(*reader, None);
        let formats: Vec<Format> = readings.iter().map(|(f, _)| *f).collect();
        assert_eq!(formats, [Format::UpDown, Format::ByName]);
        let message = error.to_string();
        for said in [
            "cannot be read: 4 problems as up-down, 2 problems as by-name; no format reads it as it is\n  as up-down:",
            "version 4 appears more than once",
            "version 1 appears more than once",
            "2.up.sql does not follow the up-down naming convention",
            "3_c.down.sql is a rollback with no forward migration of version 3",
            "\n  as by-name:\n",
            "version 4_d appears more than once",
            "3_c.down.sql is a rollback with no forward migration of version 3_c",
            "no format reads it",
        ] {
            assert!(message.contains(said), "{said} not in:\n{message}");
        }
    }

    #[test]
    fn the_refusal_names_the_format_that_reads_the_folder() {
        // By name, 2.sql and 2.up.sql are one version twice; maragudk/migrate ignores 2.sql.
        let dir = folder(&[
            ("1_a.up.sql", "SELECT 1;"),
            ("1_b.up.sql", "SELECT 1;"),
            ("2.up.sql", "SELECT 1;"),
            ("2.sql", "SELECT 1;"),
        ]);
        let error = discover(dir.path(), None).unwrap_err();
        assert!(
            matches!(
                error,
                MigrationError::Conflicts {
                    reader: Some(Format::Maragu),
                    ..
                }
            ),
            "{error}"
        );
        assert!(
            error.to_string().contains("--format maragu reads it"),
            "{error}"
        );
        let set = discover(dir.path(), Some(Format::Maragu)).unwrap();
        assert_eq!(set.migrations.len(), 3);
        assert_eq!(
            set.notes,
            ["ignored file that maragudk/migrate does not read as migrations: 2.sql"]
        );
    }

    #[test]
    fn name_order_is_read_only_when_numbers_agree_or_by_name_is_forced() {
        let dir = folder(&[("2.up.sql", "SELECT 2;"), ("10.up.sql", "SELECT 10;")]);
        let error = discover(dir.path(), None).unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("name order and number order disagree (10.up.sql before 2.up.sql"),
            "{message}"
        );
        assert!(message.contains("--format by-name reads it"), "{message}");
        let set = discover(dir.path(), Some(Format::ByName)).unwrap();
        let order: Vec<String> = set
            .migrations
            .iter()
            .map(|m| m.version.to_string())
            .collect();
        assert_eq!(order, ["10", "2"]);
        assert!(set.notes.is_empty(), "{:?}", set.notes);
    }

    #[test]
    fn maragu_folders_keep_its_one_row_of_bookkeeping() {
        let dir = folder(&[
            ("1-accounts.up.sql", "CREATE TABLE accounts (id int);"),
            ("1-accounts.down.sql", "DROP TABLE accounts;"),
            ("2-users_up.sql", "CREATE TABLE users (id int);"),
            ("2-users_down.sql", "DROP TABLE users;"),
        ]);
        // Detected, these names are read by name; forced, as maragudk/migrate with its table.
        assert_eq!(discover(dir.path(), None).unwrap().format, Format::ByName);
        let set = discover(dir.path(), Some(Format::Maragu)).unwrap();
        assert_eq!(set.bookkeeping.as_ref().unwrap().table, "public.migrations");
        let second = &set.migrations[1];
        assert_eq!(second.version.to_string(), "2-users");
        assert_eq!(
            second.forward.bookkeeping.as_deref(),
            Some("UPDATE public.migrations SET version = '2-users'")
        );
        assert_eq!(
            second.rollback.as_ref().unwrap().bookkeeping.as_deref(),
            Some("UPDATE public.migrations SET version = '1-accounts'")
        );
        assert_eq!(
            set.migrations[0]
                .rollback
                .as_ref()
                .unwrap()
                .bookkeeping
                .as_deref(),
            Some("UPDATE public.migrations SET version = ''")
        );
    }

    #[test]
    fn flyway_folders_are_never_read_by_name() {
        let dir = folder(&[
            ("V1__a.sql", "SELECT 1;"),
            ("V001__b.sql", "SELECT 1;"),
            ("V2_c.sql", "SELECT 1;"),
        ]);
        let error = discover(dir.path(), None).unwrap_err();
        let MigrationError::Conflicts {
            readings, reader, ..
        } = &error
        else {
            panic!("{error}")
        };
        assert_eq!(*reader, None);
        assert_eq!(readings.len(), 1, "{error}");
        assert_eq!(readings[0].1.len(), 2, "{error}");
    }

    #[test]
    fn a_folder_using_maragus_table_is_read_as_maragu_and_a_misnamed_rollback_by_its_place() {
        // As harness/harness: maragudk/migrate's table altered, a down file whose name has a typo.
        let dir = folder(&[
            (
                "0000_alter_table_migrations.up.sql",
                "ALTER TABLE migrations ADD PRIMARY KEY (version);",
            ),
            (
                "0000_create_users.up.sql",
                "CREATE TABLE users (id int, job_id int);",
            ),
            ("0001.up.sql", "ALTER TABLE users DROP job_id;"),
            (
                "0001_drop_jb_id.down.sql",
                "ALTER TABLE users ADD job_id int;",
            ),
        ]);
        let set = discover(dir.path(), None).unwrap();
        assert_eq!(set.format, Format::Maragu);
        assert!(set.notes[0].contains("read as maragu"), "{:?}", set.notes);
        assert!(
            set.notes[1].contains("0001_drop_jb_id.down.sql names no forward script; it is read as the rollback of 0001.up.sql"),
            "{:?}",
            set.notes
        );
        assert_eq!(
            set.migrations[2].rollback.as_ref().map(|r| r.file_name()),
            Some("0001_drop_jb_id.down.sql".to_string())
        );
        // A table named migrations the scripts create themselves is theirs: read by name.
        fs::write(
            dir.path().join("0000_create_users.up.sql"),
            "CREATE TABLE migrations (version text); CREATE TABLE users (id int, job_id int);",
        )
        .unwrap();
        assert_eq!(discover(dir.path(), None).unwrap().format, Format::ByName);
    }
}
