//! PostgreSQL's words for a sentence: what the server said about a failed call, and a parser's
//! message cut to a readable size. A leaf every stage may use; it never decides what an error
//! means (that is [`crate::Error`]'s job) and never echoes a user's input whole.

/// What the server said, for a sentence: `tokio_postgres`'s own text of a server error is only
/// "db error", so the server's message is taken when there is one.
pub fn of(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(d) => d.message().to_string(),
        // "error connecting to server" says nothing without its cause ("Connection refused").
        None => match std::error::Error::source(e) {
            Some(cause) => format!("{e}: {cause}"),
            None => e.to_string(),
        },
    }
}

/// A parser's message of a readable size. PostgreSQL quotes the text "at or near" an error, and
/// for an unterminated quote that text is the rest of the file: it is cut to its first line.
/// Whatever remains is capped, so that no input is ever echoed whole.
pub fn shorten(message: &str) -> String {
    const NEAR: &str = "near \"";
    const TOKEN_MAX: usize = 60;
    const MAX: usize = 500;
    let mut out = String::new();
    let mut rest = message;
    while let Some(at) = rest.find(NEAR) {
        let (before, token) = rest.split_at(at + NEAR.len());
        out.push_str(before);
        let end = token.rfind('"').unwrap_or(token.len());
        let quoted = &token[..end];
        let first = quoted.lines().next().unwrap_or_default();
        if first.len() < quoted.len() || first.chars().count() > TOKEN_MAX {
            out.extend(first.chars().take(TOKEN_MAX));
            out.push_str("...");
        } else {
            out.push_str(quoted);
        }
        rest = &token[end..];
    }
    out.push_str(rest);
    if out.chars().count() > MAX {
        out = format!("{}...", out.chars().take(MAX).collect::<String>());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_near_an_error_is_cut_to_its_first_line() {
        let long = format!(
            "unterminated quoted string at or near \"'abc);\n{}\"",
            "INSERT INTO t VALUES (1);\n".repeat(10_000)
        );
        assert_eq!(
            shorten(&long),
            "unterminated quoted string at or near \"'abc);...\""
        );
        assert_eq!(
            shorten("syntax error at or near \"ADDD\""),
            "syntax error at or near \"ADDD\""
        );
        assert!(shorten(&"x".repeat(10_000)).len() <= 503);
    }
}
