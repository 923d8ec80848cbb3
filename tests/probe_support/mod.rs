//! Shared by the probe tests (`probe_locks`, `probe_workload`): a local PostgreSQL, fixture scripts, and lookups in a report.
#![allow(dead_code)]

use rehearse::migrations::Script;
use rehearse::provision::{self, Database, DatabaseRequest, ProviderChoice};
use rehearse::report::{LockReport, StatementReport};
use std::path::PathBuf;

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/probe")
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

/// A fixture, split by the real splitter.
pub fn script(name: &str) -> Script {
    Script::from_file(&fixture(name)).expect("the fixture splits")
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
