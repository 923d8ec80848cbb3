//! Statement execution with timing and error positions.

use crate::migrations::{Script, Statement, Transactionality};
use crate::report::{Direction, StatementError, StatementReport};
use std::time::Instant;
use tokio_postgres::Client;

/// How the statements of a script are wrapped in transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wrapping {
    /// The file has its own BEGIN/COMMIT: run every statement as written, in autocommit.
    AsWritten,
    /// We open a transaction around each run of transactional statements.
    Managed,
}

/// Runs `script` on `client`; stops at the first error, rolling back the open transaction.
pub async fn run_script(client: &Client, script: &Script, file_label: &str) -> Direction {
    let wrapping = if script.statements.iter().any(|s| {
        matches!(
            s.transactionality,
            Transactionality::Begin | Transactionality::Commit
        )
    }) {
        Wrapping::AsWritten
    } else {
        Wrapping::Managed
    };
    let started = Instant::now();
    let mut reports = Vec::with_capacity(script.statements.len());
    let mut in_managed_tx = false;
    let mut error = None;

    for statement in &script.statements {
        let transactional = statement.transactionality != Transactionality::NonTransactional;
        if wrapping == Wrapping::Managed {
            if transactional && !in_managed_tx {
                if let Err(e) = client.batch_execute("BEGIN").await {
                    error = Some(to_error(&e, statement, file_label));
                    break;
                }
                in_managed_tx = true;
            } else if !transactional && in_managed_tx {
                if let Err(e) = client.batch_execute("COMMIT").await {
                    error = Some(to_error(&e, statement, file_label));
                    in_managed_tx = false;
                    break;
                }
                in_managed_tx = false;
            }
        }
        let t = Instant::now();
        let result = client.batch_execute(&statement.sql).await;
        let duration_ms = t.elapsed().as_secs_f64() * 1000.0;
        reports.push(StatementReport {
            sql: statement.sql.clone(),
            line: statement.line,
            duration_ms,
            ok: result.is_ok(),
            transactional,
            locks: Vec::new(),
            rewrites: Vec::new(),
            ..Default::default()
        });
        if let Err(e) = result {
            error = Some(to_error(&e, statement, file_label));
            break;
        }
    }

    if error.is_some() {
        // Whatever is open (ours or the file's), it must not leak into the next step.
        let _ = client.batch_execute("ROLLBACK").await;
    } else if in_managed_tx {
        let t = Instant::now();
        if let Err(e) = client.batch_execute("COMMIT").await {
            let last = script
                .statements
                .last()
                .expect("a transaction was opened for a statement");
            error = Some(to_error(&e, last, file_label));
        }
        if let Some(last) = reports.last_mut() {
            // Deferred constraints are checked at commit; the time belongs to the script.
            last.duration_ms += t.elapsed().as_secs_f64() * 1000.0;
        }
    }

    Direction {
        ok: error.is_none(),
        error,
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        statements: reports,
        ..Default::default()
    }
}

/// The server's message, and the line in the file where it points.
fn to_error(e: &tokio_postgres::Error, statement: &Statement, file_label: &str) -> StatementError {
    let (message, code, line) = match e.as_db_error() {
        Some(db) => {
            let line = match db.position() {
                Some(tokio_postgres::error::ErrorPosition::Original(pos)) => {
                    let offset = statement
                        .sql
                        .char_indices()
                        .nth((*pos as usize).saturating_sub(1))
                        .map(|(i, _)| i)
                        .unwrap_or(statement.sql.len());
                    statement.line + statement.sql[..offset].matches('\n').count()
                }
                _ => statement.line,
            };
            let mut message = db.message().to_string();
            if let Some(detail) = db.detail() {
                message.push_str(&format!(" ({detail})"));
            }
            (message, Some(db.code().code().to_string()), line)
        }
        None => (e.to_string(), None, statement.line),
    };
    StatementError {
        message,
        file: file_label.to_string(),
        line,
        code,
    }
}
