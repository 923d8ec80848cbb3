//! Suppression with a reason: `-- rehearse:ignore <id>[,<id>] reason="..."` directly before a
//! statement silences those rules on that statement; in the comments at the top of a file,
//! separated from the first statement by a blank line (or written `-- rehearse:ignore-file`),
//! on the whole file; `[rules] ignore = [{ rule = "...", reason = "..." }]` in the scenario on
//! every migration (or on one, with `migration = "<version or file>"`).
//!
//! Every ignore needs a reason; an ignore that matched nothing is itself a finding
//! (`unmatched-ignore`), so that a stale or misspelled one cannot hide the next real hazard.

use crate::gate::annotation::key_values;

/// What an ignore applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The statement starting on this line of the file.
    Statement(usize),
    /// Every statement of the file.
    File,
    /// Every migration, or the one whose version or file name is given.
    Run(Option<String>),
}

/// One ignore, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignore {
    pub rule: String,
    pub reason: String,
    pub scope: Scope,
    /// Where it was written: `V2__x.sql, line 3` or `rehearse.toml, [rules]`.
    pub source: String,
    /// The file (as labelled) an annotation sits in; empty for the scenario's.
    pub file: String,
    /// The line of the comment itself (0 for the scenario's).
    pub line: usize,
    /// How many findings it silenced.
    pub matched: usize,
}

impl Ignore {
    /// True when this ignore silences a finding of `rule` on the statement at `line` of `file`
    /// (a migration whose version is `version`).
    pub fn covers(&self, rule: &str, file: &str, version: &str, line: usize) -> bool {
        if self.rule != rule {
            return false;
        }
        match &self.scope {
            Scope::Statement(l) => self.file == file && *l == line,
            Scope::File => self.file == file,
            Scope::Run(None) => true,
            Scope::Run(Some(m)) => {
                m == version
                    || m == file
                    || std::path::Path::new(file)
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy() == *m)
            }
        }
    }

    /// The finding an ignore that matched nothing is: where it was written, what it names.
    pub fn unmatched_message(&self) -> String {
        let known = super::by_id(&self.rule).is_some();
        let target = match &self.scope {
            Scope::Statement(l) => format!("on the statement at line {l}"),
            Scope::File => "in this file".to_string(),
            Scope::Run(None) => "in any migration".to_string(),
            Scope::Run(Some(m)) => format!("in migration {m}"),
        };
        if known {
            format!(
                "the ignore of {} ({}) matched no finding {target}",
                self.rule, self.source
            )
        } else {
            format!(
                "the ignore of {} ({}) names no rule: `rehearse rules` lists them",
                self.rule, self.source
            )
        }
    }
}

/// The ignores a file's comments declare. `label` names the file in messages. An ignore
/// without a reason, or one that cannot be read, is refused with its line.
pub fn parse(text: &str, label: &str) -> Result<Vec<Ignore>, String> {
    let lines: Vec<&str> = text.lines().collect();
    let is_comment = |l: &str| l.trim_start().starts_with("--");
    let is_blank = |l: &str| l.trim().is_empty();
    let mut out = Vec::new();
    let mut seen_sql = false;
    for (i, raw) in lines.iter().enumerate() {
        let line_no = i + 1;
        if !is_comment(raw) {
            if !is_blank(raw) {
                seen_sql = true;
            }
            continue;
        }
        let body = raw.trim_start().trim_start_matches('-').trim();
        let (file_wide, rest) = if let Some(r) = body.strip_prefix("rehearse:ignore-file") {
            (true, r)
        } else if let Some(r) = body.strip_prefix("rehearse:ignore") {
            (false, r)
        } else {
            continue;
        };
        if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
            continue;
        }
        let rest = rest.trim();
        let split = rest.find(|c: char| c.is_whitespace()).unwrap_or(rest.len());
        let (ids, pairs) = rest.split_at(split);
        let at = format!("{label}, line {line_no}");
        if ids.is_empty() || ids.contains('=') {
            return Err(format!(
                "{at}: -- rehearse:ignore needs a rule id and a reason: -- rehearse:ignore <rule-id> reason=\"...\""
            ));
        }
        let pairs = key_values(pairs).map_err(|e| format!("{at}: {e}"))?;
        let reason = pairs
            .iter()
            .find(|(k, _)| k == "reason")
            .map(|(_, v)| v.trim().to_string())
            .filter(|r| !r.is_empty())
            .ok_or_else(|| {
                format!("{at}: the ignore of {ids} has no reason: add reason=\"...\" saying why it is safe here")
            })?;
        if let Some((k, _)) = pairs.iter().find(|(k, _)| k != "reason") {
            return Err(format!("{at}: unknown key {k} (only reason=\"...\")"));
        }
        // The first line after the comment block: the statement it sits on, if directly below.
        let mut j = i + 1;
        while j < lines.len() && is_comment(lines[j]) {
            j += 1;
        }
        let directly_before = j < lines.len() && !is_blank(lines[j]);
        let scope = if file_wide || (!seen_sql && !directly_before) {
            Scope::File
        } else {
            let mut k = j;
            while k < lines.len() && (is_blank(lines[k]) || is_comment(lines[k])) {
                k += 1;
            }
            // An ignore with no statement below it covers nothing, and says so.
            Scope::Statement(if directly_before { k + 1 } else { 0 })
        };
        for id in ids.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            out.push(Ignore {
                rule: id.to_string(),
                reason: reason.clone(),
                scope: scope.clone(),
                source: at.clone(),
                file: label.to_string(),
                line: line_no,
                matched: 0,
            });
        }
    }
    Ok(out)
}

/// The scenario's `[rules]` section.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesSection {
    #[serde(default)]
    pub ignore: Vec<IgnoreEntry>,
}

/// One `[rules] ignore` entry: `{ rule = "...", reason = "...", migration = "..." }`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(untagged)]
pub enum IgnoreEntry {
    Full {
        rule: String,
        reason: Option<String>,
        migration: Option<String>,
    },
    /// A bare id: refused with the form that works, because an ignore needs a reason.
    Bare(String),
}

impl RulesSection {
    /// The section's ignores; `source` names the scenario file.
    pub fn ignores(&self, source: &str) -> Result<Vec<Ignore>, String> {
        let mut out = Vec::new();
        for entry in &self.ignore {
            match entry {
                IgnoreEntry::Bare(id) => {
                    return Err(format!(
                        "{source}, [rules] ignore: \"{id}\" needs a reason: write {{ rule = \"{id}\", reason = \"...\" }}"
                    ))
                }
                IgnoreEntry::Full {
                    rule,
                    reason,
                    migration,
                } => {
                    let reason = reason
                        .as_deref()
                        .map(str::trim)
                        .filter(|r| !r.is_empty())
                        .ok_or_else(|| {
                            format!("{source}, [rules] ignore of {rule}: reason = \"...\" is required")
                        })?;
                    out.push(Ignore {
                        rule: rule.clone(),
                        reason: reason.to_string(),
                        scope: Scope::Run(migration.clone()),
                        source: format!("{source}, [rules]"),
                        file: String::new(),
                        line: 0,
                        matched: 0,
                    });
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ignore_directly_before_a_statement_covers_that_statement() {
        let text = "SET lock_timeout = '2s';\n\n-- rehearse:ignore require-concurrent-index reason=\"200 rows\"\n-- another comment\nCREATE INDEX i ON t (x);\n";
        let ig = parse(text, "V2__x.sql").unwrap();
        assert_eq!(ig.len(), 1);
        assert_eq!(ig[0].scope, Scope::Statement(5));
        assert_eq!(ig[0].reason, "200 rows");
        assert!(ig[0].covers("require-concurrent-index", "V2__x.sql", "2", 5));
        assert!(!ig[0].covers("require-concurrent-index", "V2__x.sql", "2", 6));
        assert!(!ig[0].covers("prefer-identity", "V2__x.sql", "2", 5));
    }

    #[test]
    fn an_ignore_at_the_top_apart_from_the_first_statement_covers_the_file() {
        let top = "-- rehearse:ignore prefer-identity,prefer-bigint-key reason=\"legacy ids\"\n\nCREATE TABLE t (id serial PRIMARY KEY);\n";
        let ig = parse(top, "f.sql").unwrap();
        assert_eq!(ig.len(), 2);
        assert!(ig.iter().all(|i| i.scope == Scope::File));
        let direct =
            "-- rehearse:ignore prefer-identity reason=\"x\"\nCREATE TABLE t (id serial);\n";
        assert_eq!(
            parse(direct, "f.sql").unwrap()[0].scope,
            Scope::Statement(2)
        );
        let explicit = "SELECT 1;\n-- rehearse:ignore-file prefer-identity reason=\"x\"\nCREATE TABLE t (id serial);\n";
        assert_eq!(parse(explicit, "f.sql").unwrap()[0].scope, Scope::File);
    }

    #[test]
    fn an_ignore_without_a_reason_is_refused_with_its_line() {
        let err = parse(
            "SELECT 1;\n-- rehearse:ignore drop-table\nDROP TABLE t;",
            "V3__d.sql",
        )
        .unwrap_err();
        assert!(
            err.starts_with("V3__d.sql, line 2:") && err.contains("reason"),
            "{err}"
        );
        assert!(
            parse("-- rehearse:ignored is another word\nSELECT 1;", "f.sql")
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn the_scenario_section_needs_reasons() {
        let s: RulesSection = toml::from_str(
            "ignore = [{ rule = \"prefer-identity\", reason = \"legacy\", migration = \"002\" }]",
        )
        .unwrap();
        let ig = s.ignores("rehearse.toml").unwrap();
        assert!(ig[0].covers("prefer-identity", "V002__x.sql", "002", 9));
        assert!(!ig[0].covers("prefer-identity", "V003__x.sql", "003", 9));
        let bare: RulesSection = toml::from_str("ignore = [\"prefer-identity\"]").unwrap();
        assert!(bare
            .ignores("rehearse.toml")
            .unwrap_err()
            .contains("needs a reason"));
    }
}
