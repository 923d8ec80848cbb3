//! The line of a syntax error, which libpg_query knows but the `pg_query` crate does not pass on.
//!
//! `pg_query::Error::Parse` carries only the server's message (`syntax error at or near "ADDD"`);
//! the cursor position stays behind in C. The parser reads left to right and stops at the first
//! token it cannot accept, so the error line is the first line L such that the text up to the end
//! of L fails with the very same message: before L the text is merely incomplete ("at end of
//! input"), from L on it contains the offending token. This costs one parse per line, only when a
//! file is already known to be broken.

use super::MigrationError;
use std::path::Path;

/// Builds the error for `sql` (line `first_line` of `path`), which failed with `message`.
pub(crate) fn locate(path: &Path, sql: &str, first_line: usize, message: &str) -> MigrationError {
    MigrationError::Syntax {
        path: path.to_path_buf(),
        line: first_line + error_offset_line(sql, message),
        message: message.to_string(),
    }
}

/// 0-based line of `sql` where the error named by `message` is.
fn error_offset_line(sql: &str, message: &str) -> usize {
    if message.ends_with("at end of input") {
        return last_token_line(sql);
    }
    let mut end = 0;
    for (index, line) in sql.split_inclusive('\n').enumerate() {
        end += line.len();
        if let Err(pg_query::Error::Parse(prefix_message)) = pg_query::parse(&sql[..end], 0) {
            if same_error(&prefix_message, message) {
                return index;
            }
        }
    }
    last_token_line(sql)
}

/// Whether a prefix failed for the reason the whole text did. The "near" text of a scanner error
/// (an unterminated string) runs to the end of the input, so the prefix's may be a shorter start.
fn same_error(prefix: &str, whole: &str) -> bool {
    const NEAR: &str = " at or near \"";
    match (prefix.split_once(NEAR), whole.split_once(NEAR)) {
        (Some((prefix_kind, prefix_near)), Some((kind, near))) => {
            prefix_kind == kind && near.starts_with(prefix_near.trim_end_matches('"'))
        }
        _ => prefix == whole,
    }
}

/// The line of the last token that is not a comment: where "at end of input" is felt.
fn last_token_line(sql: &str) -> usize {
    let significant = match pg_query::scan(sql) {
        Ok(scanned) => scanned
            .tokens
            .iter()
            .rfind(|t| {
                t.token != pg_query::protobuf::Token::SqlComment as i32
                    && t.token != pg_query::protobuf::Token::CComment as i32
            })
            .map(|t| t.start as usize),
        Err(_) => None,
    };
    let at = significant.unwrap_or_else(|| sql.trim_end().len());
    count_newlines(&sql[..at.min(sql.len())])
}

/// Lines a text spans before its end: the line of a position is the first line plus this.
pub(crate) fn count_newlines(text: &str) -> usize {
    text.bytes().filter(|&b| b == b'\n').count()
}

#[cfg(test)]
mod tests {
    use super::error_offset_line;

    fn line_of(sql: &str) -> usize {
        let message = match pg_query::parse(sql, 0) {
            Err(pg_query::Error::Parse(m)) => m,
            other => panic!("expected a parse error, got {other:?}"),
        };
        error_offset_line(sql, &message)
    }

    #[test]
    fn error_inside_a_multi_line_statement_is_on_its_own_line() {
        assert_eq!(
            line_of("ALTER TABLE a\n  ADD COLUMN b text,\n  ADDD c int;"),
            2
        );
    }

    #[test]
    fn earlier_harmless_occurrence_of_the_same_word_is_skipped() {
        assert_eq!(line_of("SELECT 1 AS x;\nSELECT x x x FROM t;"), 1);
    }

    #[test]
    fn missing_end_is_reported_at_the_last_token() {
        assert_eq!(
            line_of("SELECT 1;\nCREATE TABLE t (\n  id int\n-- trailing\n"),
            2
        );
    }

    #[test]
    fn unterminated_string_is_reported_where_it_opens() {
        assert_eq!(line_of("SELECT 1;\nSELECT 'abc\n;\n"), 1);
    }
}
