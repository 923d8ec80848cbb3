//! Per-script options the tools read beside the SQL: whether a script runs in a transaction.
//!
//! - sqlx: a first line `-- no-transaction`;
//! - diesel: `run_in_transaction = false` in the migration folder's `metadata.toml`;
//! - Flyway: `executeInTransaction=false` in the script's `<file>.sql.conf`;
//! - dbmate: `-- migrate:up transaction:false` (read with the sections, in `dbmate`).
//!
//! A script the tool runs outside a transaction is rehearsed statement by statement in
//! autocommit, which is what the tool's one multi-statement call amounts to for DDL: an
//! `ALTER TYPE ... ADD VALUE` is committed before the next statement uses the value.

use super::{ParseFailure, Script, Transactionality};
use std::path::Path;

/// Marks every statement of `script` to run outside a transaction.
pub(crate) fn outside_transaction(script: &mut Script) {
    for statement in &mut script.statements {
        if statement.transactionality == Transactionality::Transactional {
            statement.transactionality = Transactionality::NonTransactional;
        }
    }
}

/// sqlx's marker: the file's first line is `-- no-transaction`.
pub(crate) fn sqlx_no_transaction(text: &str) -> bool {
    text.trim_start_matches('\u{feff}')
        .lines()
        .next()
        .is_some_and(|line| line.trim_end() == "-- no-transaction")
}

/// diesel's `metadata.toml` in `folder`: whether the migration runs in a transaction (true when
/// there is no file or it does not say). A file that is not TOML is the migration's failure.
pub(crate) fn diesel_run_in_transaction(folder: &Path) -> Result<bool, ParseFailure> {
    #[derive(serde::Deserialize)]
    struct Metadata {
        run_in_transaction: Option<bool>,
    }
    let path = folder.join("metadata.toml");
    let Ok(text) = crate::input::read_text(&path) else {
        return Ok(true);
    };
    match toml::from_str::<Metadata>(&text) {
        Ok(m) => Ok(m.run_in_transaction.unwrap_or(true)),
        Err(e) => Err(ParseFailure {
            line: e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
                .unwrap_or(1),
            message: format!(
                "metadata.toml: {}",
                crate::toml_lines::toml_message(e.message())
            ),
        }),
    }
}

/// Flyway's script configuration `<script>.conf`: whether the script runs in a transaction.
pub(crate) fn flyway_execute_in_transaction(script: &Path) -> bool {
    let mut conf = script.as_os_str().to_owned();
    conf.push(".conf");
    let Ok(text) = crate::input::read_text(Path::new(&conf)) else {
        return true;
    };
    !text.lines().any(|line| {
        line.split_once('=').is_some_and(|(key, value)| {
            key.trim() == "executeInTransaction" && value.trim().eq_ignore_ascii_case("false")
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlx_marker_must_be_the_first_line() {
        assert!(sqlx_no_transaction(
            "-- no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);"
        ));
        assert!(!sqlx_no_transaction(
            "-- add an index\n-- no-transaction\nSELECT 1;"
        ));
        assert!(!sqlx_no_transaction("SELECT 1; -- no-transaction"));
    }

    #[test]
    fn diesel_metadata_says_whether_to_use_a_transaction() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(diesel_run_in_transaction(dir.path()), Ok(true));
        std::fs::write(
            dir.path().join("metadata.toml"),
            "run_in_transaction = false\n",
        )
        .unwrap();
        assert_eq!(diesel_run_in_transaction(dir.path()), Ok(false));
        std::fs::write(
            dir.path().join("metadata.toml"),
            "\nrun_in_transaction = \n",
        )
        .unwrap();
        let failure = diesel_run_in_transaction(dir.path()).unwrap_err();
        assert_eq!(failure.line, 2);
        assert!(failure.message.starts_with("metadata.toml"), "{failure:?}");
    }

    #[test]
    fn flyway_script_configuration_turns_the_transaction_off() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("V2__index.sql");
        assert!(flyway_execute_in_transaction(&script));
        std::fs::write(
            dir.path().join("V2__index.sql.conf"),
            "# Flyway script configuration\nexecuteInTransaction = false\n",
        )
        .unwrap();
        assert!(!flyway_execute_in_transaction(&script));
    }
}
