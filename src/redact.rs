//! Passwords out of any text before it is shown: a URL's `user:secret@` and a connection
//! string's `password=secret`. It depends on nothing else in the crate, so that every stage,
//! however low, can redact what it says without reaching up to the report.

/// Removes passwords from any text that may carry a connection string, before it is shown.
pub fn redact(text: &str) -> String {
    // postgresql://user:secret@host -> postgresql://user:***@host
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| c.is_whitespace() || c == '/' || c == '"' || c == '\'')
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match (authority.rfind('@'), authority.find(':')) {
            (Some(at), Some(colon)) if colon < at => {
                out.push_str(&authority[..colon]);
                out.push_str(":***");
                out.push_str(&authority[at..]);
            }
            _ => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    // key=value connection strings: password=secret
    let mut result = String::with_capacity(out.len());
    for word in out.split_inclusive(char::is_whitespace) {
        if let Some(stripped) = word.strip_prefix("password=") {
            let ws: String = stripped.chars().filter(|c| c.is_whitespace()).collect();
            result.push_str("password=***");
            result.push_str(&ws);
        } else {
            result.push_str(word);
        }
    }
    result
}
