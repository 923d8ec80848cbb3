//! Statement splitting with the real PostgreSQL parser (libpg_query).
//!
//! A hand-written splitter gets dollar quoting, nested comments, `E''` strings and `BEGIN ATOMIC`
//! bodies wrong sooner or later; the parser that the server itself uses does not. Each statement
//! keeps the verbatim text of the file, because the probe maps a server error position back to a
//! file line by counting newlines inside [`Statement::sql`].

use super::transaction::transactionality;
use super::{syntax, MigrationError, Script, Statement};
use pg_query::protobuf::Token;
use std::path::Path;

/// Splits `sql` (whose first line is line `first_line` of `path`) into statements.
///
/// Returns no statements for text that holds only whitespace and comments; whether that is an
/// error is the caller's decision (an empty dbmate `down` section is not, an empty file is).
pub fn split_statements(
    path: &Path,
    sql: &str,
    first_line: usize,
) -> Result<Vec<Statement>, MigrationError> {
    if sql.contains('\0') {
        return Err(MigrationError::Unreadable {
            path: path.to_path_buf(),
            reason: "it contains a NUL byte, which is not valid in SQL text".into(),
        });
    }
    let parsed = match pg_query::parse(sql, 0) {
        Ok(parsed) => parsed,
        Err(pg_query::Error::Parse(message)) => {
            return Err(syntax::locate(path, sql, first_line, &message))
        }
        Err(other) => {
            return Err(MigrationError::Syntax {
                path: path.to_path_buf(),
                line: first_line,
                message: other.to_string(),
            })
        }
    };
    let mut statements = Vec::with_capacity(parsed.protobuf.stmts.len());
    // Lines are counted from the previous statement on, not from the top of the file each
    // time: a 50 MB `pg_dump --inserts` file has tens of thousands of statements.
    let (mut counted_to, mut line) = (0, first_line);
    for raw in &parsed.protobuf.stmts {
        let start = usize::try_from(raw.stmt_location).unwrap_or(0);
        // A length of 0 means "to the end of the input" (the last statement, no semicolon).
        let end = match usize::try_from(raw.stmt_len) {
            Ok(0) | Err(_) => sql.len(),
            Ok(len) => (start + len).min(sql.len()),
        };
        let Some((from, to)) = significant_span(&sql[start..end]) else {
            continue;
        };
        let (from, to) = (start + from, start + to);
        line += syntax::count_newlines(&sql[counted_to..from]);
        counted_to = from;
        let node = raw.stmt.as_ref().and_then(|n| n.node.as_ref());
        statements.push(Statement {
            sql: sql[from..to].to_string(),
            line,
            transactionality: node.map_or(super::Transactionality::Transactional, transactionality),
        });
    }
    Ok(statements)
}

/// [`split_statements`] for a script rehearse will run: a `BEGIN` the file never ends is
/// refused, naming its line (what follows would be rolled back when the session closes). The
/// linter splits with [`split_statements`] and reports it as the `uncommitted-transaction` rule.
pub(crate) fn split_script(
    path: &Path,
    sql: &str,
    first_line: usize,
) -> Result<Vec<Statement>, MigrationError> {
    let statements = split_statements(path, sql, first_line)?;
    if let Some(line) = unclosed_begin(&statements) {
        return Err(MigrationError::Syntax {
            path: path.to_path_buf(),
            line,
            message: "BEGIN here opens a transaction that the file never ends (no COMMIT or ROLLBACK after it): what follows would stay uncommitted and be rolled back when the session closes; end the transaction with COMMIT, or drop the BEGIN and let the migration tool wrap the file".into(),
        });
    }
    Ok(statements)
}

/// The line of a `BEGIN` (or `START TRANSACTION`) that no `COMMIT` or `ROLLBACK` after it ends.
fn unclosed_begin(statements: &[Statement]) -> Option<usize> {
    let mut open = None;
    for s in statements {
        match s.transactionality {
            super::Transactionality::Begin => open = open.or(Some(s.line)),
            super::Transactionality::Commit => open = None,
            _ => {}
        }
    }
    open
}

/// Reads and splits a whole file: the unit that Flyway, sqlx, golang-migrate and diesel use.
/// A file that cannot be read or parsed gives a script without statements that says why; an
/// empty (or comment-only) file gives a script that runs nothing, as the tools run it.
pub(crate) fn read_script(path: &Path) -> (Script, Option<String>) {
    read_script_with(path, |text| text)
}

/// [`read_script`] of the text `render` makes of the file (its Go template actions rendered).
pub(crate) fn read_script_with(
    path: &Path,
    render: impl FnOnce(String) -> String,
) -> (Script, Option<String>) {
    match super::read_text(path) {
        Ok(text) => {
            let text = render(text);
            (script_of(path, &text, 1), Some(text))
        }
        Err(e) => (unparsed(path, 1, &e), None),
    }
}

/// `text` (line `first_line` of `path` onwards) as a script, or a script saying why it is not one.
pub(crate) fn script_of(path: &Path, text: &str, first_line: usize) -> Script {
    match split_script(path, text, first_line) {
        Ok(statements) => Script {
            path: path.to_path_buf(),
            first_line,
            statements,
            ..Default::default()
        },
        Err(e) => unparsed(path, first_line, &e),
    }
}

fn unparsed(path: &Path, first_line: usize, error: &MigrationError) -> Script {
    Script {
        path: path.to_path_buf(),
        first_line,
        parse_error: Some(error.as_parse_failure()),
        ..Default::default()
    }
}

impl Script {
    /// Reads and splits one SQL file; an empty file (only whitespace and comments) or one that
    /// does not parse is an error.
    pub fn from_file(path: &Path) -> Result<Script, MigrationError> {
        let text = super::read_text(path)?;
        let statements = split_script(path, &text, 1)?;
        if statements.is_empty() {
            return Err(MigrationError::EmptyFile(path.to_path_buf()));
        }
        Ok(Script {
            path: path.to_path_buf(),
            first_line: 1,
            statements,
            ..Default::default()
        })
    }
}

/// Byte range of `text` from its first real token to the end of its last one, so that leading
/// and trailing comments, whitespace and a trailing semicolon are left out. `None` when the text
/// holds no token at all.
fn significant_span(text: &str) -> Option<(usize, usize)> {
    let Ok(scanned) = pg_query::scan(text) else {
        // Text that parsed always scans; should it not, keep the statement rather than lose it.
        let start = text.len() - text.trim_start().len();
        let end = text.trim_end().trim_end_matches(';').trim_end().len();
        return (start < end).then_some((start, end));
    };
    let mut tokens = scanned
        .tokens
        .iter()
        .filter(|t| t.token != Token::SqlComment as i32 && t.token != Token::CComment as i32);
    let first = tokens.next()?;
    let mut last = first;
    for token in tokens {
        if token.token != Token::Ascii59 as i32 {
            last = token;
        }
    }
    Some((first.start as usize, last.end as usize))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_begin_without_commit_is_named_with_its_line() {
        let e = super::split_script(
            std::path::Path::new("V2__open.sql"),
            "CREATE TABLE a (id int);\nBEGIN;\nALTER TABLE a ADD COLUMN b int;\n",
            1,
        )
        .unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with(
                "V2__open.sql, line 2: BEGIN here opens a transaction that the file never ends"
            ),
            "{text}"
        );
        assert!(super::split_script(
            std::path::Path::new("V3__closed.sql"),
            "BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\n",
            1,
        )
        .is_ok());
    }

    use super::split_statements;
    use crate::migrations::{MigrationError, Transactionality};
    use std::path::Path;

    fn split(sql: &str) -> Vec<(String, usize)> {
        split_statements(Path::new("x.sql"), sql, 1)
            .unwrap()
            .into_iter()
            .map(|s| (s.sql, s.line))
            .collect()
    }

    #[test]
    fn statements_keep_file_text_and_start_line() {
        let sql = "-- header\n\nCREATE TABLE a (id int);\n/* block */ ALTER TABLE a\n  ADD COLUMN b text;\n";
        assert_eq!(
            split(sql),
            vec![
                ("CREATE TABLE a (id int)".to_string(), 3),
                ("ALTER TABLE a\n  ADD COLUMN b text".to_string(), 4),
            ]
        );
    }

    #[test]
    fn dollar_quotes_and_strings_hide_semicolons() {
        let sql = "CREATE FUNCTION f() RETURNS text LANGUAGE plpgsql AS $body$\nBEGIN\n  RETURN 'a;b';\nEND;\n$body$;\nSELECT ';';";
        let got = split(sql);
        assert_eq!(got.len(), 2);
        assert!(got[0].0.ends_with("$body$"));
        assert_eq!(got[1], ("SELECT ';'".to_string(), 6));
    }

    #[test]
    fn begin_atomic_body_is_one_statement() {
        let sql = "CREATE FUNCTION one() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\nEND;\nSELECT one();\n";
        let got = split(sql);
        assert_eq!(got.len(), 2);
        assert!(got[0].0.ends_with("END"), "{:?}", got[0]);
        assert_eq!(got[1].1, 5);
    }

    #[test]
    fn last_statement_without_semicolon_drops_trailing_comment() {
        assert_eq!(
            split("SELECT 1;\nSELECT 2 -- trailing\n"),
            vec![("SELECT 1".to_string(), 1), ("SELECT 2".to_string(), 2)]
        );
    }

    #[test]
    fn non_ascii_text_keeps_byte_offsets_right() {
        assert_eq!(
            split("-- café ☕\nINSERT INTO t VALUES ('naïve; ☕');\nSELECT 'é'"),
            vec![
                ("INSERT INTO t VALUES ('naïve; ☕')".to_string(), 2),
                ("SELECT 'é'".to_string(), 3),
            ]
        );
    }

    #[test]
    fn first_line_offsets_statement_lines() {
        let got = split_statements(Path::new("x.sql"), "\nSELECT 1;", 10).unwrap();
        assert_eq!(got[0].line, 11);
    }

    #[test]
    fn comments_only_give_no_statements() {
        assert!(split("-- nothing\n/* at all */\n  ;\n").is_empty());
    }

    #[test]
    fn explicit_transaction_control_is_recognised() {
        let got = split_statements(
            Path::new("x.sql"),
            "BEGIN; SELECT 1; COMMIT; START TRANSACTION; END; BEGIN; ROLLBACK;",
            1,
        )
        .unwrap();
        let kinds: Vec<_> = got.iter().map(|s| s.transactionality).collect();
        use Transactionality::*;
        assert_eq!(
            kinds,
            vec![Begin, Transactional, Commit, Begin, Commit, Begin, Commit]
        );
    }

    #[test]
    fn syntax_error_points_at_the_offending_line() {
        let sql = "CREATE TABLE a (id int);\n\nALTER TABLE a\n  ADDD COLUMN b text;\n";
        match split_statements(Path::new("V3__x.sql"), sql, 1) {
            Err(MigrationError::Syntax { line, message, .. }) => {
                assert_eq!(line, 4);
                assert!(message.contains("ADDD"), "{message}");
            }
            other => panic!("expected a syntax error, got {other:?}"),
        }
    }

    #[test]
    fn nul_byte_is_unreadable_not_a_panic() {
        assert!(matches!(
            split_statements(Path::new("x.sql"), "SELECT 1;\0", 1),
            Err(MigrationError::Unreadable { .. })
        ));
    }
}
