//! Text made safe for each language a report is written in: HTML (and the SVG inside it),
//! Markdown, XML attributes and XML element text. One walk over the characters, one table per
//! language; every piece of user text (identifiers, SQL, server messages) passes through here
//! before it reaches a rendering. Nothing here may ever let a character through that starts
//! markup in its language.

/// What becomes of one character.
enum Out {
    Keep,
    Drop,
    Spell(&'static str),
    /// Markdown: a backslash before the character.
    Backslashed,
}

fn escape(s: &str, rule: impl Fn(char) -> Out) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match rule(c) {
            Out::Keep => out.push(c),
            Out::Drop => {}
            Out::Spell(text) => out.push_str(text),
            Out::Backslashed => {
                out.push('\\');
                out.push(c);
            }
        }
    }
    out
}

/// The three characters every markup language here spells the same way.
fn markup(c: char) -> Option<Out> {
    match c {
        '&' => Some(Out::Spell("&amp;")),
        '<' => Some(Out::Spell("&lt;")),
        '>' => Some(Out::Spell("&gt;")),
        _ => None,
    }
}

/// Characters XML 1.0 allows at all; the rest are dropped.
fn xml_allowed(c: char) -> bool {
    matches!(c, '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

/// Text and attribute values for HTML and SVG.
pub fn html(s: &str) -> String {
    escape(s, |c| {
        markup(c).unwrap_or(match c {
            '"' => Out::Spell("&quot;"),
            '\'' => Out::Spell("&#39;"),
            _ => Out::Keep,
        })
    })
}

/// Text for Markdown (tables included): HTML-escaped, pipes and backticks neutralised, and the
/// characters that start emphasis or links escaped, so an identifier shows as written.
pub fn markdown(s: &str) -> String {
    escape(s, |c| {
        markup(c).unwrap_or(match c {
            '"' => Out::Spell("&quot;"),
            '|' => Out::Spell("&#124;"),
            '`' => Out::Spell("&#96;"),
            '*' | '_' | '[' | ']' | '\\' | '#' | '~' => Out::Backslashed,
            '\n' | '\r' => Out::Spell(" "),
            _ => Out::Keep,
        })
    })
}

/// XML attribute text: escaped, and characters XML 1.0 forbids dropped.
pub fn xml_attribute(s: &str) -> String {
    escape(s, |c| {
        markup(c).unwrap_or(match c {
            '"' => Out::Spell("&quot;"),
            '\'' => Out::Spell("&apos;"),
            '\n' => Out::Spell("&#10;"),
            '\t' => Out::Spell("&#9;"),
            c if xml_allowed(c) => Out::Keep,
            _ => Out::Drop,
        })
    })
}

/// XML element text: escaped, and characters XML 1.0 forbids dropped.
pub fn xml_text(s: &str) -> String {
    escape(s, |c| {
        markup(c).unwrap_or(match c {
            c if c == '\n' || c == '\t' || xml_allowed(c) => Out::Keep,
            _ => Out::Drop,
        })
    })
}

/// At most `max` characters, the last one an ellipsis when cut.
pub fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let cut: String = s.chars().take(max - 1).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_identifiers_becomes_text() {
        assert_eq!(
            html("<script>x=\"1\"&'</script>"),
            "&lt;script&gt;x=&quot;1&quot;&amp;&#39;&lt;/script&gt;"
        );
    }

    #[test]
    fn each_language_spells_its_own_specials() {
        assert_eq!(markdown("a|b_c\n`d`"), "a&#124;b\\_c &#96;d&#96;");
        assert_eq!(xml_attribute("'a'\n\u{1}"), "&apos;a&apos;&#10;");
        assert_eq!(xml_text("<a>\n\u{1}"), "&lt;a&gt;\n");
    }
}
