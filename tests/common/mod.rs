//! Shared by the probe tests: a local PostgreSQL, fixture scripts, and lookups in a report.
#![allow(dead_code)]

use rehearse::migrations::{Script, Statement, Transactionality};
use rehearse::provision::{self, Database, DatabaseRequest, ProviderChoice};
use rehearse::report::{LockReport, StatementReport};
use std::path::PathBuf;

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/probe")
        .join(name)
}

/// A fresh local server with `schema.sql` applied.
pub async fn database() -> Database {
    let db = provision::provision(&DatabaseRequest {
        provider: ProviderChoice::Local,
        ..Default::default()
    })
    .await
    .expect("a local PostgreSQL starts");
    let client = db.connection.connect().await.unwrap();
    client
        .batch_execute(&std::fs::read_to_string(fixture("schema.sql")).unwrap())
        .await
        .unwrap();
    db
}

/// A fixture split at semicolons that end a line. The fixtures are simple on purpose: the real
/// splitter lives in `migrations` and has its own tests.
pub fn script(name: &str) -> Script {
    let path = fixture(name);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut statements = Vec::new();
    let mut current = String::new();
    let mut start = 0;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if current.is_empty() && (trimmed.is_empty() || trimmed.starts_with("--")) {
            continue;
        }
        if current.is_empty() {
            start = i + 1;
        }
        current.push_str(line);
        current.push('\n');
        if trimmed.ends_with(';') {
            let sql = current.trim().trim_end_matches(';').to_string();
            let upper = sql.to_ascii_uppercase();
            let transactionality = if upper.contains("CONCURRENTLY") || upper.starts_with("VACUUM")
            {
                Transactionality::NonTransactional
            } else if upper == "BEGIN" {
                Transactionality::Begin
            } else if upper == "COMMIT" {
                Transactionality::Commit
            } else {
                Transactionality::Transactional
            };
            statements.push(Statement {
                sql,
                line: start,
                transactionality,
            });
            current.clear();
        }
    }
    Script {
        path,
        first_line: 1,
        statements,
    }
}

/// Lock modes from weakest to strongest, as pg_locks spells them.
pub const MODES: [&str; 8] = [
    "AccessShareLock",
    "RowShareLock",
    "RowExclusiveLock",
    "ShareUpdateExclusiveLock",
    "ShareLock",
    "ShareRowExclusiveLock",
    "ExclusiveLock",
    "AccessExclusiveLock",
];

pub fn locks_on<'a>(statement: &'a StatementReport, relation: &str) -> Vec<&'a LockReport> {
    statement
        .locks
        .iter()
        .filter(|l| l.relation == relation)
        .collect()
}

/// The strongest mode the statement took on `relation` (the one that decides who waits).
pub fn strongest(statement: &StatementReport, relation: &str) -> Option<String> {
    locks_on(statement, relation)
        .into_iter()
        .max_by_key(|l| MODES.iter().position(|m| *m == l.mode))
        .map(|l| l.mode.clone())
}
