//! Discovery and splitting on the fixture folders under `tests/fixtures/migrations/`.
//!
//! The good fixtures (flyway, updown, diesel, dbmate, nontransactional) are valid PostgreSQL 15
//! that end-to-end tests also run; here we only check what discovery makes of them. The bad
//! fixtures each hold one input error, and the message must name the file that has it.

use rehearse::migrations::{
    discover, Format, Migration, MigrationError, MigrationSet, Script, Transactionality,
};
use std::path::{Path, PathBuf};

fn fixture(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/migrations")
        .join(case)
}

fn found(case: &str) -> MigrationSet {
    discover(&fixture(case), None)
        .unwrap_or_else(|e| panic!("discovery of the {case} fixture failed: {e}"))
}

fn refused(case: &str) -> (MigrationError, String) {
    match discover(&fixture(case), None) {
        Ok(set) => panic!(
            "the {case} fixture was accepted with {} migrations",
            set.migrations.len()
        ),
        Err(e) => {
            let message = e.to_string();
            (e, message)
        }
    }
}

fn file(script: &Script) -> String {
    script.file_name()
}

fn rollback_file(migration: &Migration) -> Option<String> {
    migration.rollback.as_ref().map(file)
}

/// (version, name, forward file, rollback file) of each migration, in order.
fn outline(set: &MigrationSet) -> Vec<(String, String, String, Option<String>)> {
    set.migrations
        .iter()
        .map(|m| {
            (
                m.version.to_string(),
                m.name.clone(),
                file(&m.forward),
                rollback_file(m),
            )
        })
        .collect()
}

fn row(
    v: &str,
    name: &str,
    forward: &str,
    rollback: Option<&str>,
) -> (String, String, String, Option<String>) {
    (
        v.into(),
        name.into(),
        forward.into(),
        rollback.map(Into::into),
    )
}

/// (line, first line of sql) of each statement.
fn lines(script: &Script) -> Vec<(usize, String)> {
    script
        .statements
        .iter()
        .map(|s| (s.line, s.sql.lines().next().unwrap_or("").to_string()))
        .collect()
}

/// Every statement's `sql` must be the file's own text starting at its line, so that the probe
/// can turn a server error position into a file line.
fn assert_verbatim(script: &Script) {
    let text = std::fs::read_to_string(&script.path).unwrap();
    let file_lines: Vec<&str> = text.lines().collect();
    for statement in &script.statements {
        for (offset, sql_line) in statement.sql.lines().enumerate() {
            let file_line = file_lines[statement.line - 1 + offset];
            assert!(
                file_line.contains(sql_line),
                "{}: statement line {} `{sql_line}` is not line {} of the file `{file_line}`",
                script.file_name(),
                offset,
                statement.line + offset
            );
        }
        assert!(!statement.sql.ends_with(';'), "{:?}", statement.sql);
    }
}

#[test]
fn flyway_versions_order_as_versions() {
    let set = found("flyway");
    assert_eq!(set.format, Format::Flyway);
    let versions: Vec<_> = set
        .migrations
        .iter()
        .map(|m| m.version.to_string())
        .collect();
    assert_eq!(versions, ["001", "1_1", "002", "010"]);
}

#[test]
fn flyway_undo_file_pairs_with_forward() {
    let set = found("flyway");
    assert_eq!(
        outline(&set)[..2],
        [
            row(
                "001",
                "create_users",
                "V001__create_users.sql",
                Some("U001__create_users.sql")
            ),
            row(
                "1_1",
                "add_email",
                "V1_1__add_email.sql",
                Some("U1_1__add_email.sql")
            ),
        ]
    );
}

#[test]
fn flyway_rollback_suffix_pairs_with_forward() {
    let set = found("flyway");
    assert_eq!(
        outline(&set)[2..],
        [
            row(
                "002",
                "add_status_column",
                "V002__add_status_column.sql",
                Some("V002__add_status_column_rollback.sql")
            ),
            row(
                "010",
                "user_functions",
                "V010__user_functions.sql",
                Some("V010__user_functions_rollback.sql")
            ),
        ]
    );
}

#[test]
fn flyway_readme_is_ignored() {
    let set = found("flyway");
    assert!(set
        .migrations
        .iter()
        .all(|m| !file(&m.forward).ends_with(".md")));
    assert_eq!(set.migrations.len(), 4);
}

#[test]
fn statements_start_at_their_first_token_line() {
    let set = found("flyway");
    assert_eq!(
        lines(&set.migrations[0].forward),
        [(2, "CREATE TABLE users (".to_string())]
    );
    assert_eq!(
        lines(&set.migrations[1].forward),
        [
            (1, "ALTER TABLE users ADD COLUMN email text".to_string()),
            (
                2,
                "COMMENT ON COLUMN users.email IS 'contact address; may be null'".to_string()
            ),
        ]
    );
}

#[test]
fn dollar_quoted_and_begin_atomic_bodies_stay_whole() {
    let set = found("flyway");
    let functions = &set.migrations[3].forward;
    assert_eq!(
        lines(functions),
        [
            (
                3,
                "CREATE FUNCTION normalize_status(s text) RETURNS text".to_string()
            ),
            (
                11,
                "CREATE FUNCTION active_user_count() RETURNS bigint".to_string()
            ),
            (17, "SELECT normalize_status(' Active ')".to_string()),
        ]
    );
    assert!(functions.statements[0].sql.ends_with("$body$"));
    assert!(functions.statements[1].sql.ends_with("END"));
    assert_eq!(
        functions.statements[2].sql,
        "SELECT normalize_status(' Active ')"
    );
}

#[test]
fn statement_text_is_the_file_text_at_its_line() {
    for case in ["flyway", "updown", "diesel", "dbmate", "nontransactional"] {
        for migration in found(case).migrations {
            assert_verbatim(&migration.forward);
            if let Some(rollback) = &migration.rollback {
                assert_verbatim(rollback);
            }
        }
    }
}

#[test]
fn up_down_files_pair_and_order_numerically() {
    let set = found("updown");
    assert_eq!(set.format, Format::UpDown);
    assert_eq!(
        outline(&set),
        [
            row(
                "1",
                "create_users",
                "1_create_users.up.sql",
                Some("1_create_users.down.sql")
            ),
            row(
                "2",
                "add_status_column",
                "2_add_status_column.up.sql",
                Some("2_add_status_column.down.sql")
            ),
            row(
                "10",
                "create_orders",
                "10_create_orders.up.sql",
                Some("10_create_orders.down.sql")
            ),
        ]
    );
}

#[test]
fn explicit_begin_and_commit_in_a_file_are_marked() {
    let set = found("updown");
    let kinds: Vec<_> = set.migrations[2]
        .forward
        .statements
        .iter()
        .map(|s| (s.line, s.transactionality))
        .collect();
    assert_eq!(
        kinds,
        [
            (2, Transactionality::Begin),
            (3, Transactionality::Transactional),
            (8, Transactionality::Transactional),
            (9, Transactionality::Commit),
        ]
    );
}

#[test]
fn diesel_folders_pair_up_and_down_in_version_order() {
    let set = found("diesel");
    assert_eq!(set.format, Format::Diesel);
    let outline: Vec<_> = set
        .migrations
        .iter()
        .map(|m| {
            (
                m.version.to_string(),
                m.name.clone(),
                m.forward
                    .path
                    .strip_prefix(&set.root)
                    .unwrap()
                    .to_path_buf(),
                m.rollback
                    .as_ref()
                    .map(|r| r.path.strip_prefix(&set.root).unwrap().to_path_buf()),
            )
        })
        .collect();
    let p = |s: &str| PathBuf::from(s);
    assert_eq!(
        outline,
        [
            (
                "00000000000000".to_string(),
                "diesel_initial_setup".to_string(),
                p("00000000000000_diesel_initial_setup/up.sql"),
                Some(p("00000000000000_diesel_initial_setup/down.sql"))
            ),
            (
                "2024-01-01-120000".to_string(),
                "create_users".to_string(),
                p("2024-01-01-120000_create_users/up.sql"),
                Some(p("2024-01-01-120000_create_users/down.sql"))
            ),
            (
                "2024-01-02-090000".to_string(),
                "add_status_column".to_string(),
                p("2024-01-02-090000_add_status_column/up.sql"),
                Some(p("2024-01-02-090000_add_status_column/down.sql"))
            ),
        ]
    );
    let setup = &set.migrations[0];
    assert_eq!(setup.forward.statements.len(), 2);
    assert_eq!(setup.forward.statements[0].line, 5);
    assert_eq!(setup.forward.statements[1].line, 12);
    assert_eq!(lines(setup.rollback.as_ref().unwrap())[0].0, 5);
}

#[test]
fn dbmate_sections_become_forward_and_rollback_with_file_lines() {
    let set = found("dbmate");
    assert_eq!(set.format, Format::Dbmate);
    assert_eq!(
        outline(&set),
        [
            row(
                "20240101120000",
                "create_users",
                "20240101120000_create_users.sql",
                Some("20240101120000_create_users.sql")
            ),
            row(
                "20240102090000",
                "add_status_column",
                "20240102090000_add_status_column.sql",
                Some("20240102090000_add_status_column.sql")
            ),
        ]
    );
    let second = &set.migrations[1];
    assert_eq!(second.forward.first_line, 2);
    assert_eq!(
        lines(&second.forward),
        [
            (
                2,
                "ALTER TABLE users ADD COLUMN status VARCHAR(20) NOT NULL DEFAULT 'active'"
                    .to_string()
            ),
            (
                3,
                "CREATE INDEX users_status_idx ON users (status)".to_string()
            ),
        ]
    );
    let rollback = second.rollback.as_ref().unwrap();
    assert_eq!(rollback.first_line, 6);
    assert_eq!(
        lines(rollback),
        [
            (6, "DROP INDEX users_status_idx".to_string()),
            (7, "ALTER TABLE users DROP COLUMN status".to_string()),
        ]
    );
}

#[test]
fn create_index_concurrently_runs_outside_a_transaction() {
    let set = found("nontransactional");
    let index = &set.migrations[1];
    assert_eq!(file(&index.forward), "V002__index_users_name.sql");
    assert_eq!(index.forward.statements.len(), 1);
    assert_eq!(index.forward.statements[0].line, 2);
    assert_eq!(
        index.forward.statements[0].transactionality,
        Transactionality::NonTransactional
    );
    let rollback = index.rollback.as_ref().unwrap();
    assert_eq!(
        rollback.statements[0].transactionality,
        Transactionality::NonTransactional
    );
    assert_eq!(
        set.migrations[0].forward.statements[0].transactionality,
        Transactionality::Transactional
    );
}

#[test]
fn migration_without_rollback_is_discovered_with_none() {
    let set = found("missing_rollback");
    assert_eq!(set.format, Format::UpDown);
    assert_eq!(
        outline(&set),
        [
            row(
                "1",
                "create_users",
                "1_create_users.up.sql",
                Some("1_create_users.down.sql")
            ),
            row("2", "add_status_column", "2_add_status_column.sql", None),
        ]
    );
}

#[test]
fn forced_format_overrides_detection() {
    let set = discover(&fixture("updown"), Some(Format::UpDown)).unwrap();
    assert_eq!(set.migrations.len(), 3);
    let (_, message) = match discover(&fixture("updown"), Some(Format::Flyway)) {
        Err(e) => ((), e.to_string()),
        Ok(_) => panic!("an up/down folder read as Flyway must be refused"),
    };
    assert!(message.contains("10_create_orders.down.sql"), "{message}");
    assert!(message.contains("flyway naming convention"), "{message}");
}

#[test]
fn duplicate_versions_name_both_files() {
    let (error, message) = refused("duplicate_versions");
    assert!(
        matches!(error, MigrationError::DuplicateVersion { .. }),
        "{error:?}"
    );
    assert!(message.contains("V001__create_users.sql"), "{message}");
    assert!(message.contains("V1__create_accounts.sql"), "{message}");
}

#[test]
fn orphan_rollback_names_the_rollback() {
    let (error, message) = refused("orphan_rollback");
    assert!(
        matches!(error, MigrationError::OrphanRollback { .. }),
        "{error:?}"
    );
    assert!(message.contains("U002__add_status_column.sql"), "{message}");
    assert!(message.contains("version 002"), "{message}");
}

#[test]
fn comment_only_file_is_a_script_that_runs_nothing() {
    let set = found("empty_file");
    let empty = &set.migrations[1];
    assert_eq!(file(&empty.forward), "V002__add_status_column.sql");
    assert!(empty.forward.statements.is_empty());
    assert!(empty.forward.parse_error.is_none());
}

#[test]
fn malformed_name_names_the_file_and_the_convention() {
    let (error, message) = refused("malformed_name");
    assert!(
        matches!(
            error,
            MigrationError::MalformedName {
                format: Format::Flyway,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(message.contains("V2_add_status_column.sql"), "{message}");
    assert!(
        message.contains("V<version>__<description>.sql"),
        "{message}"
    );
}

#[test]
fn syntax_error_is_that_migrations_failure_with_file_and_line() {
    let set = found("syntax_error");
    assert!(set.migrations[0].forward.parse_error.is_none());
    let broken = &set.migrations[1].forward;
    assert_eq!(file(broken), "V002__add_status_column.sql");
    assert!(broken.statements.is_empty());
    let failure = broken.parse_error.as_ref().expect("a parse failure");
    assert_eq!(failure.line, 5);
    assert!(failure.message.contains("\"ADDD\""), "{failure:?}");
}

#[test]
fn mixed_formats_say_which_files_follow_which() {
    let (error, message) = refused("mixed_formats");
    assert!(
        matches!(error, MigrationError::MixedConventions { .. }),
        "{error:?}"
    );
    assert!(
        message.contains("V001__create_users.sql follows flyway"),
        "{message}"
    );
    assert!(
        message.contains("2_add_status_column.down.sql, 2_add_status_column.up.sql follow up-down"),
        "{message}"
    );
}

#[test]
fn repeatable_flyway_migration_comes_after_the_versioned_ones() {
    let set = found("repeatable");
    let ids: Vec<_> = set
        .migrations
        .iter()
        .map(|m| (m.version.to_string(), m.repeatable))
        .collect();
    assert_eq!(
        ids,
        [
            ("001".to_string(), false),
            ("R__active_users_view".to_string(), true)
        ]
    );
    let repeatable = &set.migrations[1];
    assert_eq!(repeatable.name, "active_users_view");
    assert!(repeatable.rollback.is_none());
}

#[test]
fn file_that_is_not_utf8_is_that_migrations_failure() {
    let set = found("not_utf8");
    let broken = &set.migrations[1].forward;
    assert_eq!(file(broken), "V002__create_cafe.sql");
    let failure = broken.parse_error.as_ref().expect("a read failure");
    assert!(
        failure.message.contains("not valid UTF-8 (line 1"),
        "{failure:?}"
    );
}

#[test]
fn folder_without_migrations_says_so() {
    let (error, message) = refused("no_migrations");
    assert!(
        matches!(error, MigrationError::NoMigrations(_)),
        "{error:?}"
    );
    assert!(message.contains("no_migrations"), "{message}");
}

#[test]
fn missing_folder_is_named() {
    let (error, message) = refused("does_not_exist");
    assert!(
        matches!(error, MigrationError::FolderUnreadable { .. }),
        "{error:?}"
    );
    assert!(message.contains("does_not_exist"), "{message}");
}

#[test]
fn prisma_folders_are_forward_only_migrations_in_name_order_with_a_note() {
    let set = found("prisma");
    assert_eq!(set.format, Format::Prisma);
    assert_eq!(
        outline(&set),
        [
            row("20240105093000_init", "init", "migration.sql", None),
            row(
                "20240212141500_add_orders",
                "add_orders",
                "migration.sql",
                None
            ),
            row(
                "20240301080000_order_status",
                "order_status",
                "migration.sql",
                None
            ),
        ]
    );
    assert_eq!(
        set.notes,
        ["Prisma Migrate has no down migrations: each migration is rehearsed forward only and reported without a rollback (the rollback gate fails unless --allow-missing-rollback or [gates] require_rollback = false)"]
    );
    let bookkeeping = set.bookkeeping.as_ref().unwrap();
    assert_eq!(bookkeeping.table, "public._prisma_migrations");
    let recorded = set.migrations[0].forward.bookkeeping.as_deref().unwrap();
    assert!(
        recorded.contains("'20240105093000_init'") && recorded.contains("sha256"),
        "{recorded}"
    );
    assert_eq!(
        lines(&set.migrations[2].forward),
        [
            (
                2,
                "CREATE TYPE \"OrderStatus\" AS ENUM ('PENDING', 'PAID', 'SHIPPED')".to_string()
            ),
            (
                5,
                "ALTER TABLE \"Order\" ADD COLUMN \"status\" \"OrderStatus\" NOT NULL DEFAULT 'PENDING'"
                    .to_string()
            ),
        ]
    );
}

#[test]
fn tern_files_split_at_the_separator_into_forward_and_rollback() {
    let set = found("tern");
    assert_eq!(set.format, Format::Tern);
    assert_eq!(
        outline(&set),
        [
            row(
                "001",
                "create_accounts",
                "001_create_accounts.sql",
                Some("001_create_accounts.sql")
            ),
            row(
                "002",
                "add_plan",
                "002_add_plan.sql",
                Some("002_add_plan.sql")
            ),
            // No separator: tern's irreversible migration.
            row("003", "seed_plans", "003_seed_plans.sql", None),
        ]
    );
    let second = &set.migrations[1];
    assert_eq!(
        lines(&second.forward),
        [
            (
                1,
                "ALTER TABLE accounts ADD COLUMN plan text NOT NULL DEFAULT 'free'".to_string()
            ),
            (
                2,
                "CREATE INDEX accounts_plan_idx ON accounts (plan)".to_string()
            ),
        ]
    );
    assert_eq!(
        lines(second.rollback.as_ref().unwrap()),
        [
            (6, "DROP INDEX accounts_plan_idx".to_string()),
            (7, "ALTER TABLE accounts DROP COLUMN plan".to_string()),
        ]
    );
    assert_eq!(
        second.forward.bookkeeping.as_deref(),
        Some("UPDATE public.schema_version SET version = 2")
    );
    assert_eq!(
        second.rollback.as_ref().unwrap().bookkeeping.as_deref(),
        Some("UPDATE public.schema_version SET version = 1")
    );
    assert!(set.notes.is_empty(), "{:?}", set.notes);
}

#[test]
fn tern_refuses_a_gap_in_its_numbering() {
    let dir = tempfile::tempdir().unwrap();
    for (name, sql) in [
        (
            "001_a.sql",
            "SELECT 1;\n---- create above / drop below ----\nSELECT 2;\n",
        ),
        (
            "003_c.sql",
            "SELECT 3;\n---- create above / drop below ----\nSELECT 4;\n",
        ),
    ] {
        std::fs::write(dir.path().join(name), sql).unwrap();
    }
    let message = discover(dir.path(), None).unwrap_err().to_string();
    assert!(
        message.contains("migration 2 is missing before 003_c.sql"),
        "{message}"
    );
}

#[test]
fn goose_annotations_become_forward_and_rollback_and_no_transaction_is_honoured() {
    let set = found("goose");
    assert_eq!(set.format, Format::Goose);
    assert_eq!(
        outline(&set),
        [
            row(
                "20240110120000",
                "create_invoices",
                "20240110120000_create_invoices.sql",
                Some("20240110120000_create_invoices.sql")
            ),
            row(
                "20240115090000",
                "index_amount",
                "20240115090000_index_amount.sql",
                Some("20240115090000_index_amount.sql")
            ),
        ]
    );
    let first = &set.migrations[0];
    let starts: Vec<usize> = lines(&first.forward).iter().map(|(l, _)| *l).collect();
    assert_eq!(starts, [2, 8, 18], "{:?}", lines(&first.forward));
    assert_eq!(
        lines(first.rollback.as_ref().unwrap()),
        [
            (22, "DROP TRIGGER invoices_positive ON invoices".to_string()),
            (23, "DROP FUNCTION invoices_positive()".to_string()),
            (24, "DROP TABLE invoices".to_string()),
        ]
    );
    let index = &set.migrations[1];
    for script in [&index.forward, index.rollback.as_ref().unwrap()] {
        assert!(script
            .statements
            .iter()
            .all(|s| s.transactionality == Transactionality::NonTransactional));
    }
    assert_eq!(
        index.forward.bookkeeping.as_deref(),
        Some("INSERT INTO public.goose_db_version (version_id, is_applied) VALUES (20240115090000, true)")
    );
}

#[test]
fn node_pg_migrate_markers_become_forward_and_rollback_and_a_file_without_them_is_forward_only() {
    let set = found("node_pg_migrate");
    assert_eq!(set.format, Format::NodePgMigrate);
    assert_eq!(
        outline(&set),
        [
            row(
                "1704103200000",
                "create-projects",
                "1704103200000_create-projects.sql",
                Some("1704103200000_create-projects.sql")
            ),
            row(
                "1706781600000",
                "index-open-projects",
                "1706781600000_index-open-projects.sql",
                Some("1706781600000_index-open-projects.sql")
            ),
            row(
                "1709287200000",
                "backfill-owner",
                "1709287200000_backfill-owner.sql",
                None
            ),
        ]
    );
    let second = &set.migrations[1];
    assert_eq!(
        lines(second.rollback.as_ref().unwrap()),
        [
            (6, "ALTER TABLE projects DROP COLUMN owner".to_string()),
            (7, "DROP INDEX projects_open_idx".to_string()),
        ]
    );
    assert_eq!(second.forward.statements.len(), 2);
    assert_eq!(
        second.forward.bookkeeping.as_deref(),
        Some("INSERT INTO public.pgmigrations (name, run_on) VALUES ('1706781600000_index-open-projects', NOW())")
    );
}

#[test]
fn go_template_text_inside_sql_that_parses_is_left_as_written() {
    // sqlx runs `{{ .Name }}` in a string as written: the folder is not a template folder.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("1_templates.up.sql"),
        "CREATE TABLE mail (body text DEFAULT 'Hello {{ .Name }}');\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("1_templates.down.sql"), "DROP TABLE mail;\n").unwrap();
    let set = discover(dir.path(), None).unwrap();
    assert!(set.rendered_with.is_none());
    assert!(set.migrations[0].forward.statements[0]
        .sql
        .contains("'Hello {{ .Name }}'"));
}

#[test]
fn a_folder_of_only_generic_up_down_files_stays_sqlx_and_a_database_suffix_makes_it_pop() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("1_a.up.sql"), "CREATE TABLE a (id int);\n").unwrap();
    std::fs::write(dir.path().join("1_a.down.sql"), "DROP TABLE a;\n").unwrap();
    assert_eq!(discover(dir.path(), None).unwrap().format, Format::UpDown);
    std::fs::write(dir.path().join("2_b.postgres.up.sql"), "CREATE TABLE b (id int);\n").unwrap();
    std::fs::write(dir.path().join("2_b.mysql.up.sql"), "CREATE TABLE b (id int) ENGINE=InnoDB;\n").unwrap();
    let set = discover(dir.path(), None).unwrap();
    assert_eq!(set.format, Format::Pop);
    assert_eq!(set.migrations.len(), 2);
    assert_eq!(file(&set.migrations[1].forward), "2_b.postgres.up.sql");
}
