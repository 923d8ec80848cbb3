//! The `key="value"` syntax shared by the annotations a migration file carries
//! (`-- rehearse:approve ... by="Ana" reason="..."`, `-- rehearse:accept ... reason="..."`).
//! Pure text to pairs; what a pair means is the approval's or the acceptance's business.

/// `by="Ana" reason="it is \"fine\""` → pairs. Values are double-quoted; `\"` and `\\` escape.
pub fn key_values(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut chars = text.trim().chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            return Ok(out);
        }
        let key: String =
            std::iter::from_fn(|| chars.next_if(|c| *c != '=' && !c.is_whitespace())).collect();
        if chars.next() != Some('=') || chars.next() != Some('"') {
            return Err(format!("expected {key}=\"...\""));
        }
        let mut value = String::new();
        loop {
            match chars.next() {
                None => return Err(format!("the value of {key} has no closing quote")),
                Some('"') => break,
                Some('\\') => value.extend(chars.next()),
                Some(c) => value.push(c),
            }
        }
        out.push((key, value));
    }
}
