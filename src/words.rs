//! Counting in English: `1 difference`, `2 differences`, `1 index`, `3 indexes`. Every sentence
//! that says how many of something uses [`count`] (or [`noun`] when the number stands apart), so
//! no message says `1 differences` or hedges with `migration(s)`. A leaf: it knows words, not
//! reports.

/// `n` and the noun, plural when `n` is not 1: `count(1, "migration")` is `1 migration`,
/// `count(0, "table")` is `0 tables`.
pub fn count(n: usize, singular: &str) -> String {
    format!("{n} {}", noun(n, singular))
}

/// The noun alone, plural when `n` is not 1: `noun(2, "index")` is `indexes`.
pub fn noun(n: usize, singular: &str) -> String {
    if n == 1 {
        singular.to_string()
    } else {
        plural(singular)
    }
}

/// Items joined as English lists them: "a", "a and b", "a, b and c".
pub fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// The regular English plural of the last word: `finding` → `findings`, `index` → `indexes`,
/// `policy` → `policies`, `destructive change` → `destructive changes`; `query` → `queries`.
pub fn plural(singular: &str) -> String {
    let irregular = [
        ("is", "are"),
        ("was", "were"),
        ("needs", "need"),
        ("has", "have"),
    ];
    if let Some((_, p)) = irregular.iter().find(|(s, _)| *s == singular) {
        return p.to_string();
    }
    let ends = |s: &str| singular.ends_with(s);
    if ends("s") || ends("x") || ends("ch") || ends("sh") || ends("z") {
        format!("{singular}es")
    } else if ends("y")
        && !singular
            .chars()
            .rev()
            .nth(1)
            .is_some_and(|c| "aeiou".contains(c))
    {
        format!("{}ies", &singular[..singular.len() - 1])
    } else {
        format!("{singular}s")
    }
}

/// `a` or `an` before `word`, by how it is written (`an index`, `a default`, `an OWNED BY`).
pub fn article(word: &str) -> &'static str {
    match word.chars().next() {
        Some(c) if "aeiouAEIOU".contains(c) => "an",
        _ => "a",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_read_as_english() {
        let items = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(list(&items(&[])), "");
        assert_eq!(list(&items(&["a"])), "a");
        assert_eq!(list(&items(&["a", "b"])), "a and b");
        assert_eq!(list(&items(&["a", "b", "c"])), "a, b and c");
    }

    #[test]
    fn one_is_singular_and_everything_else_plural() {
        assert_eq!(count(1, "difference"), "1 difference");
        assert_eq!(count(2, "difference"), "2 differences");
        assert_eq!(count(0, "migration"), "0 migrations");
        assert_eq!(count(3, "index"), "3 indexes");
        assert_eq!(count(2, "policy"), "2 policies");
        assert_eq!(count(2, "day"), "2 days");
        assert_eq!(count(5, "destructive change"), "5 destructive changes");
        assert_eq!(count(1, "query"), "1 query");
        assert_eq!(count(7, "query"), "7 queries");
        assert_eq!(noun(2, "needs"), "need");
        assert_eq!(noun(1, "needs"), "needs");
    }

    #[test]
    fn the_article_follows_the_first_letter() {
        assert_eq!(article("index"), "an");
        assert_eq!(article("default"), "a");
        assert_eq!(article("OWNED BY column"), "an");
    }
}
