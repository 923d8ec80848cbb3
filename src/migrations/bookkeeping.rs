//! Each tool's bookkeeping table, created and filled the way the tool itself does, so that a
//! migration reading it (`SELECT max(version) FROM __diesel_schema_migrations`) behaves as in
//! production.
//!
//! The DDL and the rows are the tools' own: diesel (`diesel_migrations`), sqlx
//! (`sqlx-core/src/postgres/migrate.rs`), golang-migrate (`database/postgres`), dbmate
//! (`pkg/driver/postgres`), Flyway (`createMetaDataTable.sql` for PostgreSQL),
//! maragudk/migrate (`migrate.go`: one row, the last version), Prisma Migrate
//! (`_prisma_migrations`: one row per migration, the script's SHA-256), tern (`schema_version`:
//! one row, the number of the last migration), goose (`goose_db_version`: one row per
//! migration after a row for version 0) and node-pg-migrate (`pgmigrations`: one row per
//! migration, its file name without `.sql`). A `by-name` folder's runner is not known: it has no
//! table. What each
//! applied migration writes is the SQL a script carries in [`Script::bookkeeping`]; the probe runs
//! it after the script's statements, in the script's transaction when it has one, as the tools do.
//!
//! The table carries a comment ([`BOOKKEEPING_MARKER`]) by which the snapshot leaves it out of
//! the schema and data verdicts: it is the tool's, not the migration's.
//!
//! This module writes SQL text; it never talks to a database. The one file it reads is a
//! migration's forward script, for the checksum the tool records.

use super::{Format, Migration, MigrationError};
use crate::identifier::literal;

/// The comment on the bookkeeping table that the snapshot recognises it by.
pub const BOOKKEEPING_MARKER: &str = "rehearse: the migration tool's bookkeeping table";

/// Which tool runs a folder: the format says, except that sqlx and golang-migrate share one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tool {
    Flyway,
    Sqlx,
    GolangMigrate,
    Diesel,
    Dbmate,
    /// maragudk/migrate: one row holding the last version applied.
    Maragu,
    Prisma,
    /// tern: one row holding the number of the last migration applied.
    Tern,
    Goose,
    NodePgMigrate,
}

impl Tool {
    /// The tool of a folder of `format`: none for `by-name`, whose runner is not known. An
    /// up/down folder is sqlx's unless its scripts read golang-migrate's `schema_migrations`
    /// (and not sqlx's `_sqlx_migrations`).
    pub(crate) fn of(format: Format, migrations: &[Migration]) -> Option<Tool> {
        Some(match format {
            // pop's `schema_migration` is its runner's, made before the first migration runs
            // and read by none: nothing to keep.
            Format::ByName | Format::Pop => return None,
            Format::Maragu => Tool::Maragu,
            Format::Flyway => Tool::Flyway,
            Format::Diesel => Tool::Diesel,
            Format::Dbmate => Tool::Dbmate,
            Format::Prisma => Tool::Prisma,
            Format::Tern => Tool::Tern,
            Format::Goose => Tool::Goose,
            Format::NodePgMigrate => Tool::NodePgMigrate,
            Format::UpDown => {
                let mentions = |needle: &str| {
                    migrations.iter().any(|m| {
                        std::iter::once(&m.forward)
                            .chain(m.rollback.as_ref())
                            .flat_map(|s| &s.statements)
                            .any(|s| s.sql.to_lowercase().contains(needle))
                    })
                };
                if !mentions("_sqlx_migrations") && mentions("schema_migrations") {
                    Tool::GolangMigrate
                } else {
                    Tool::Sqlx
                }
            }
        })
    }

    /// The tool's name, for notes.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Tool::Flyway => "Flyway",
            Tool::Sqlx => "sqlx",
            Tool::GolangMigrate => "golang-migrate",
            Tool::Diesel => "diesel",
            Tool::Dbmate => "dbmate",
            Tool::Maragu => "maragudk/migrate",
            Tool::Prisma => "Prisma Migrate",
            Tool::Tern => "tern",
            Tool::Goose => "goose",
            Tool::NodePgMigrate => "node-pg-migrate",
        }
    }
}

/// The schema-qualified bookkeeping table of `format`'s tool (sqlx's for up/down folders; none
/// for `by-name`).
pub fn bookkeeping_table(format: Format) -> Option<&'static str> {
    Tool::of(format, &[]).map(table_of)
}

pub(crate) fn table_of(tool: Tool) -> &'static str {
    match tool {
        Tool::Flyway => "public.flyway_schema_history",
        Tool::Sqlx => "public._sqlx_migrations",
        Tool::GolangMigrate | Tool::Dbmate => "public.schema_migrations",
        Tool::Diesel => "public.__diesel_schema_migrations",
        Tool::Maragu => "public.migrations",
        Tool::Prisma => "public._prisma_migrations",
        Tool::Tern => "public.schema_version",
        Tool::Goose => "public.goose_db_version",
        Tool::NodePgMigrate => "public.pgmigrations",
    }
}

/// The tool's table: its name and the DDL that creates it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bookkeeping {
    /// Schema-qualified: `public.__diesel_schema_migrations`.
    pub table: String,
    /// The tool's DDL, and the comment the snapshot leaves the table out by.
    pub create_sql: String,
    tool: Tool,
}

impl Bookkeeping {
    pub(crate) fn of(tool: Tool) -> Bookkeeping {
        Bookkeeping {
            table: table_of(tool).to_string(),
            create_sql: create_sql_for(tool),
            tool,
        }
    }

    /// The query reading what the table says is applied: each row a version as text and
    /// whether it marks a failed, half-applied migration (golang-migrate's `dirty`, a Flyway or
    /// sqlx row that did not succeed).
    pub fn applied_sql(&self) -> &'static str {
        match self.tool {
            Tool::Flyway => "SELECT version::text, NOT success FROM public.flyway_schema_history WHERE version IS NOT NULL AND type <> 'UNDO_SQL'",
            Tool::Sqlx => "SELECT version::text, NOT success FROM public._sqlx_migrations",
            Tool::Diesel => "SELECT version::text, false FROM public.__diesel_schema_migrations",
            Tool::GolangMigrate => "SELECT version::text, dirty FROM public.schema_migrations",
            Tool::Dbmate => "SELECT version::text, false FROM public.schema_migrations",
            Tool::Maragu => "SELECT version, false FROM public.migrations",
            // A row rolled back by `prisma migrate resolve` is not applied; one never finished
            // is a failed migration.
            Tool::Prisma => "SELECT migration_name, finished_at IS NULL FROM public._prisma_migrations WHERE rolled_back_at IS NULL",
            Tool::Tern => "SELECT version::text, false FROM public.schema_version",
            Tool::Goose => "SELECT version_id::text, false FROM public.goose_db_version WHERE version_id <> 0 AND is_applied",
            // The name is `<timestamp>_<name>`; its number is the version.
            Tool::NodePgMigrate => "SELECT split_part(name, '_', 1), false FROM public.pgmigrations",
        }
    }

    /// How many of `migrations` (in order) the table's `rows` say are applied. golang-migrate
    /// and maragudk/migrate keep one row, the last version applied (maragudk/migrate compares
    /// versions as text, and `''` means none); the others one row per migration. Applied
    /// migrations must come first: a gap, or a failed row, is a sentence for the user.
    /// Versions the table holds that the folder lacks are returned for a note.
    pub fn applied_count(
        &self,
        rows: &[(String, bool)],
        migrations: &[Migration],
    ) -> Result<(usize, Vec<String>), String> {
        if let Some((version, _)) = rows.iter().find(|(_, failed)| *failed) {
            return Err(format!(
                "{} marks version {version} as failed (half applied): repair it with the migration tool before rehearsing on this database",
                self.table
            ));
        }
        let is_applied: Vec<bool> = if self.tool == Tool::Maragu {
            let last = rows.iter().map(|(v, _)| v.as_str()).max().unwrap_or("");
            migrations
                .iter()
                .map(|m| !last.is_empty() && m.version.as_str() <= last)
                .collect()
        } else if matches!(self.tool, Tool::GolangMigrate | Tool::Tern) {
            let last = rows
                .iter()
                .map(|(v, _)| super::Version::new(v.clone()))
                .max();
            migrations
                .iter()
                .map(|m| last.as_ref().is_some_and(|l| m.version <= *l))
                .collect()
        } else {
            migrations
                .iter()
                .map(|m| {
                    rows.iter()
                        .any(|(v, _)| super::Version::new(v.clone()).same_as(&m.version))
                })
                .collect()
        };
        let count = is_applied.iter().rposition(|a| *a).map_or(0, |i| i + 1);
        if let Some(gap) = is_applied[..count].iter().position(|a| !a) {
            return Err(format!(
                "{} lists later migrations as applied but not {} ({}): rehearse runs pending migrations in order, so apply or remove it first",
                self.table,
                migrations[gap].version,
                super::file_name(&migrations[gap].forward.path)
            ));
        }
        let unknown = if matches!(self.tool, Tool::GolangMigrate | Tool::Maragu | Tool::Tern) {
            Vec::new()
        } else {
            rows.iter()
                .filter(|(v, _)| {
                    !migrations
                        .iter()
                        .any(|m| super::Version::new(v.clone()).same_as(&m.version))
                })
                .map(|(v, _)| v.clone())
                .collect()
        };
        Ok((count, unknown))
    }
}

/// The DDL that creates `table` (one of [`table_of`]'s) as its tool does, with our marker.
fn create_bookkeeping_sql(table: &str) -> String {
    let ddl = match table {
        "public.flyway_schema_history" => {
            "CREATE TABLE public.flyway_schema_history (
                installed_rank INT NOT NULL,
                version VARCHAR(50),
                description VARCHAR(200) NOT NULL,
                type VARCHAR(20) NOT NULL,
                script VARCHAR(1000) NOT NULL,
                checksum INTEGER,
                installed_by VARCHAR(100) NOT NULL,
                installed_on TIMESTAMP NOT NULL DEFAULT now(),
                execution_time INTEGER NOT NULL,
                success BOOLEAN NOT NULL);
             ALTER TABLE public.flyway_schema_history
                ADD CONSTRAINT flyway_schema_history_pk PRIMARY KEY (installed_rank);
             CREATE INDEX flyway_schema_history_s_idx ON public.flyway_schema_history (success);"
        }
        "public._sqlx_migrations" => {
            "CREATE TABLE IF NOT EXISTS public._sqlx_migrations (
                version BIGINT PRIMARY KEY,
                description TEXT NOT NULL,
                installed_on TIMESTAMPTZ NOT NULL DEFAULT now(),
                success BOOLEAN NOT NULL,
                checksum BYTEA NOT NULL,
                execution_time BIGINT NOT NULL);"
        }
        "public.__diesel_schema_migrations" => {
            "CREATE TABLE IF NOT EXISTS public.__diesel_schema_migrations (
                version VARCHAR(50) PRIMARY KEY NOT NULL,
                run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);"
        }
        // dbmate's shape; golang-migrate's differs and is chosen by `create_sql_for`.
        _ => "CREATE TABLE IF NOT EXISTS public.schema_migrations (version VARCHAR(128) PRIMARY KEY);",
    };
    format!(
        "{ddl}\nCOMMENT ON TABLE {table} IS {};",
        literal(BOOKKEEPING_MARKER)
    )
}

/// The DDL for `tool`'s table.
pub(crate) fn create_sql_for(tool: Tool) -> String {
    match tool {
        Tool::GolangMigrate => format!(
            "CREATE TABLE IF NOT EXISTS public.schema_migrations (version BIGINT NOT NULL PRIMARY KEY, dirty BOOLEAN NOT NULL);\nCOMMENT ON TABLE public.schema_migrations IS {};",
            literal(BOOKKEEPING_MARKER)
        ),
        // maragudk/migrate's table and the empty version it inserts when the table is empty.
        Tool::Maragu => format!(
            "CREATE TABLE IF NOT EXISTS public.migrations (version text not null);\nINSERT INTO public.migrations SELECT '' WHERE NOT EXISTS (SELECT FROM public.migrations);\nCOMMENT ON TABLE public.migrations IS {};",
            literal(BOOKKEEPING_MARKER)
        ),
        // Prisma's `_prisma_migrations` as its schema engine creates it.
        Tool::Prisma => format!(
            "CREATE TABLE IF NOT EXISTS public._prisma_migrations (
                id VARCHAR(36) PRIMARY KEY NOT NULL,
                checksum VARCHAR(64) NOT NULL,
                finished_at TIMESTAMPTZ,
                migration_name VARCHAR(255) NOT NULL,
                logs TEXT,
                rolled_back_at TIMESTAMPTZ,
                started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                applied_steps_count INTEGER NOT NULL DEFAULT 0);\nCOMMENT ON TABLE public._prisma_migrations IS {};",
            literal(BOOKKEEPING_MARKER)
        ),
        // tern's table and the 0 it inserts when the table is empty.
        Tool::Tern => format!(
            "CREATE TABLE IF NOT EXISTS public.schema_version (version int4 not null);\nINSERT INTO public.schema_version (version) SELECT 0 WHERE 0 = (SELECT count(*) FROM public.schema_version);\nCOMMENT ON TABLE public.schema_version IS {};",
            literal(BOOKKEEPING_MARKER)
        ),
        // goose's table for PostgreSQL and the row of version 0 it inserts on creating it.
        Tool::Goose => format!(
            "CREATE TABLE IF NOT EXISTS public.goose_db_version (
                id integer PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY,
                version_id bigint NOT NULL,
                is_applied boolean NOT NULL,
                tstamp timestamp NOT NULL DEFAULT now());\nINSERT INTO public.goose_db_version (version_id, is_applied) SELECT 0, true WHERE NOT EXISTS (SELECT FROM public.goose_db_version);\nCOMMENT ON TABLE public.goose_db_version IS {};",
            literal(BOOKKEEPING_MARKER)
        ),
        // node-pg-migrate's table as it creates it.
        Tool::NodePgMigrate => format!(
            "CREATE TABLE IF NOT EXISTS public.pgmigrations (id SERIAL PRIMARY KEY, name varchar(255) NOT NULL, run_on timestamp NOT NULL);\nCOMMENT ON TABLE public.pgmigrations IS {};",
            literal(BOOKKEEPING_MARKER)
        ),
        other => create_bookkeeping_sql(table_of(other)),
    }
}

/// Fills every script's `bookkeeping` with what `tool` writes when it applies (forward) or
/// reverts (rollback) it. `migrations` are in the order the tool applies them. A forward file
/// that read well at discovery and cannot be read again for its checksum (sqlx, Flyway) is an
/// error naming it, never the checksum of nothing.
pub(crate) fn record(tool: Tool, migrations: &mut [Migration]) -> Result<(), MigrationError> {
    let versions: Vec<String> = migrations.iter().map(|m| m.version.to_string()).collect();
    for (index, migration) in migrations.iter_mut().enumerate() {
        let version = &versions[index];
        let (applied, reverted) = match tool {
            Tool::Diesel => {
                // diesel keeps the folder's version without its dashes.
                let v = literal(&version.replace('-', ""));
                (
                    format!("INSERT INTO public.__diesel_schema_migrations (version) VALUES ({v})"),
                    format!("DELETE FROM public.__diesel_schema_migrations WHERE version = {v}"),
                )
            }
            Tool::Dbmate => {
                let v = literal(version);
                (
                    format!("INSERT INTO public.schema_migrations (version) VALUES ({v})"),
                    format!("DELETE FROM public.schema_migrations WHERE version = {v}"),
                )
            }
            Tool::Sqlx => {
                let v = number(version);
                let text = migration_text(migration)?;
                (
                    format!(
                        "INSERT INTO public._sqlx_migrations (version, description, success, checksum, execution_time) VALUES ({v}, {}, TRUE, sha384(convert_to({}, 'UTF8')), 0)",
                        literal(&migration.name.replace('_', " ")),
                        literal(&text)
                    ),
                    format!("DELETE FROM public._sqlx_migrations WHERE version = {v}"),
                )
            }
            Tool::Maragu => {
                // It sets the version being applied (on the way down, the one before it) in
                // the script's transaction.
                let set = |v: Option<&String>| {
                    format!(
                        "UPDATE public.migrations SET version = {}",
                        literal(v.map_or("", String::as_str))
                    )
                };
                let previous = index.checked_sub(1).map(|i| &versions[i]);
                (set(Some(version)), set(previous))
            }
            Tool::Prisma => {
                // Prisma inserts the row before the script and marks it finished after; one
                // statement does both. Its id is a UUID; a name's md5 is one, and stable.
                let name = literal(version);
                let text = migration_text(migration)?;
                (
                    format!(
                        "INSERT INTO public._prisma_migrations (id, checksum, finished_at, migration_name, started_at, applied_steps_count) VALUES (md5({name})::uuid::text, encode(sha256(convert_to({}, 'UTF8')), 'hex'), now(), {name}, now(), 1)",
                        literal(&text)
                    ),
                    format!("DELETE FROM public._prisma_migrations WHERE migration_name = {name}"),
                )
            }
            Tool::Tern => {
                // The number of migrations applied, which tern's numbering makes the file's.
                let set = |n: usize| format!("UPDATE public.schema_version SET version = {n}");
                (set(index + 1), set(index))
            }
            Tool::Goose => {
                let v = number(version);
                (
                    format!("INSERT INTO public.goose_db_version (version_id, is_applied) VALUES ({v}, true)"),
                    format!("DELETE FROM public.goose_db_version WHERE version_id = {v}"),
                )
            }
            Tool::NodePgMigrate => {
                let file = super::file_name(&migration.forward.path);
                let name = literal(file.strip_suffix(".sql").unwrap_or(&file));
                (
                    format!(
                        "INSERT INTO public.pgmigrations (name, run_on) VALUES ({name}, NOW())"
                    ),
                    format!("DELETE FROM public.pgmigrations WHERE name = {name}"),
                )
            }
            Tool::GolangMigrate => {
                let set = |v: Option<&String>| {
                    match v {
                    Some(v) => format!(
                        "TRUNCATE public.schema_migrations; INSERT INTO public.schema_migrations (version, dirty) VALUES ({}, false)",
                        number(v)
                    ),
                    None => "TRUNCATE public.schema_migrations".to_string(),
                }
                };
                let previous = index.checked_sub(1).map(|i| &versions[i]);
                (set(Some(version)), set(previous))
            }
            Tool::Flyway => {
                let description = literal(&migration.name.replace('_', " "));
                let script = |s: &super::Script| literal(&super::file_name(&s.path));
                let checksum = flyway_checksum(&migration_text(migration)?);
                let version = if migration.repeatable {
                    "NULL".to_string()
                } else {
                    literal(&version.replace('_', "."))
                };
                let row = |kind: &str, file: String| {
                    format!(
                        "INSERT INTO public.flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) SELECT coalesce(max(installed_rank), 0) + 1, {version}, {description}, '{kind}', {file}, {checksum}, current_user, 0, true FROM public.flyway_schema_history"
                    )
                };
                // The rollback removes the row rather than adding Flyway Teams' UNDO_SQL row:
                // after the rehearsal's redo, the history is then the one production has.
                let undo = format!(
                    "DELETE FROM public.flyway_schema_history WHERE installed_rank = (SELECT max(installed_rank) FROM public.flyway_schema_history WHERE script = {})",
                    script(&migration.forward)
                );
                (row("SQL", script(&migration.forward)), undo)
            }
        };
        migration.forward.bookkeeping = Some(applied);
        if let Some(rollback) = &mut migration.rollback {
            rollback.bookkeeping = Some(reverted);
        }
    }
    Ok(())
}

/// The forward file's text, as the tools checksum it. A forward that could not be read or split
/// (not UTF-8, say) fails when it runs, before its bookkeeping ever does: it needs no checksum.
fn migration_text(migration: &Migration) -> Result<String, MigrationError> {
    if migration.forward.parse_error.is_some() {
        return Ok(String::new());
    }
    super::read_text(&migration.forward.path)
}

/// Flyway's checksum: CRC-32 over the file's lines without their line ends (and without a
/// byte order mark), as a signed 32-bit integer.
fn flyway_checksum(text: &str) -> i32 {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut crc = Crc32::default();
    for line in text.lines() {
        crc.update(line.as_bytes());
    }
    crc.finish() as i32
}

/// CRC-32 (IEEE 802.3, the polynomial java.util.zip.CRC32 uses), bit by bit: it runs once per
/// Flyway file, so a table buys nothing.
#[derive(Default)]
struct Crc32(u32);

impl Crc32 {
    fn update(&mut self, bytes: &[u8]) {
        let mut crc = !self.0;
        for &byte in bytes {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        self.0 = !crc;
    }

    fn finish(&self) -> u32 {
        self.0
    }
}

/// A version as the bigint sqlx and golang-migrate store, leading zeros dropped.
fn number(version: &str) -> String {
    let digits = version.trim_start_matches('0');
    if digits.is_empty() {
        "0".into()
    } else if digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.into()
    } else {
        literal(version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        let mut crc = Crc32::default();
        crc.update(b"123456789");
        assert_eq!(crc.finish(), 0xCBF4_3926);
    }

    #[test]
    fn flyway_checksum_ignores_line_ends() {
        assert_eq!(
            flyway_checksum("CREATE TABLE t (id int);\nSELECT 1;\n"),
            flyway_checksum("CREATE TABLE t (id int);\r\nSELECT 1;")
        );
    }

    #[test]
    fn each_format_names_its_tools_table() {
        assert_eq!(
            bookkeeping_table(Format::Diesel),
            Some("public.__diesel_schema_migrations")
        );
        assert_eq!(
            bookkeeping_table(Format::UpDown),
            Some("public._sqlx_migrations")
        );
        assert_eq!(
            bookkeeping_table(Format::Flyway),
            Some("public.flyway_schema_history")
        );
        assert_eq!(
            bookkeeping_table(Format::Dbmate),
            Some("public.schema_migrations")
        );
        assert_eq!(
            bookkeeping_table(Format::Prisma),
            Some("public._prisma_migrations")
        );
        assert_eq!(
            bookkeeping_table(Format::Tern),
            Some("public.schema_version")
        );
        assert_eq!(
            bookkeeping_table(Format::Goose),
            Some("public.goose_db_version")
        );
    }

    fn folder(versions: &[&str]) -> Vec<Migration> {
        versions
            .iter()
            .map(|v| Migration {
                version: super::super::Version::new(*v),
                name: "m".into(),
                forward: super::super::Script {
                    path: format!("{v}_m.sql").into(),
                    first_line: 1,
                    statements: Vec::new(),
                    parse_error: None,
                    bookkeeping: None,
                },
                rollback: None,
                repeatable: false,
            })
            .collect()
    }

    fn rows(versions: &[&str]) -> Vec<(String, bool)> {
        versions.iter().map(|v| (v.to_string(), false)).collect()
    }

    #[test]
    fn applied_migrations_are_read_as_each_tool_writes_them() {
        // diesel drops the dashes, Flyway writes dots, sqlx a number without leading zeros.
        let diesel = Bookkeeping::of(Tool::Diesel);
        let set = folder(&[
            "2024-01-01-000001",
            "2024-01-02-000001",
            "2024-01-03-000001",
        ]);
        assert_eq!(
            diesel.applied_count(&rows(&["20240101000001", "20240102000001"]), &set),
            Ok((2, vec![]))
        );
        let flyway = Bookkeeping::of(Tool::Flyway);
        let set = folder(&["1", "1_1", "2"]);
        assert_eq!(
            flyway.applied_count(&rows(&["1", "1.1"]), &set),
            Ok((2, vec![]))
        );
        let sqlx = Bookkeeping::of(Tool::Sqlx);
        let set = folder(&["0001", "0002", "0003"]);
        assert_eq!(
            sqlx.applied_count(&rows(&["1", "2", "3", "4"]), &set),
            Ok((3, vec!["4".to_string()]))
        );
        assert_eq!(sqlx.applied_count(&[], &set), Ok((0, vec![])));
    }

    #[test]
    fn golang_migrate_keeps_only_the_last_version_and_a_dirty_flag() {
        let golang = Bookkeeping::of(Tool::GolangMigrate);
        let set = folder(&["1", "2", "10", "11"]);
        // 10 is after 2 as a number: three applied, not one.
        assert_eq!(golang.applied_count(&rows(&["10"]), &set), Ok((3, vec![])));
        let dirty = golang
            .applied_count(&[("10".to_string(), true)], &set)
            .unwrap_err();
        assert!(
            dirty.contains("version 10") && dirty.contains("failed"),
            "{dirty}"
        );
    }

    #[test]
    fn maragu_keeps_the_last_version_as_text_and_the_empty_one_for_none() {
        let maragu = Bookkeeping::of(Tool::Maragu);
        let set = folder(&["001_a", "001_b", "002", "003_c"]);
        assert_eq!(maragu.applied_count(&rows(&["002"]), &set), Ok((3, vec![])));
        assert_eq!(maragu.applied_count(&rows(&[""]), &set), Ok((0, vec![])));
        assert!(maragu
            .create_sql
            .contains("INSERT INTO public.migrations SELECT ''"));
    }

    #[test]
    fn a_gap_in_what_is_applied_names_the_missing_migration() {
        let dbmate = Bookkeeping::of(Tool::Dbmate);
        let set = folder(&["20240101", "20240102", "20240103"]);
        let gap = dbmate
            .applied_count(&rows(&["20240101", "20240103"]), &set)
            .unwrap_err();
        assert!(
            gap.contains("not 20240102") && gap.contains("20240102_m.sql"),
            "{gap}"
        );
    }

    #[test]
    fn versions_become_numbers_without_leading_zeros() {
        assert_eq!(number("0001"), "1");
        assert_eq!(number("000"), "0");
        assert_eq!(number("20240101120000"), "20240101120000");
    }
}
