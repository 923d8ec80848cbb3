//! Approvals: a person's signature on a destructive or irreversible migration.
//!
//! Two places hold them, and both count:
//! - an annotation in the migration file itself:
//!   `-- rehearse:approve destructive by="Ana" reason="legacy_name unused since 2024"`,
//!   `-- rehearse:approve irreversible by="Ana" reason="..."`, and the marker
//!   `-- rehearse:irreversible` that says the migration has no rollback on purpose;
//! - an approvals file (`approvals.toml`), keyed by migration version:
//!   ```toml
//!   [003]
//!   destructive = { by = "Ana", reason = "legacy_name unused since 2024" }
//!   irreversible = { by = "Ana", reason = "the old data is archived" }
//!   ```
//!
//! Reading the files happens here, at the edge; judging them is [`super::evaluate`]'s job.

use super::annotation::key_values;
use crate::migrations::{MigrationSet, Version};
use crate::report::Approval;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// What people declared about one migration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Declarations {
    pub destructive: Option<Approval>,
    pub irreversible: Option<Approval>,
    /// `-- rehearse:irreversible` (or an irreversible approval, which implies it).
    pub marked_irreversible: bool,
    /// Differences accepted for this migration (its own `-- rehearse:accept` lines, the
    /// scenario's entries for it and those for the whole run).
    pub accepts: Vec<super::accept::Acceptance>,
    /// Rules ignored in this migration's file (`-- rehearse:ignore`), each with its reason.
    pub ignores: Vec<crate::rules::suppress::Ignore>,
    /// Rules the scenario ignores (`[rules] ignore`) that apply to this migration.
    pub run_ignores: Vec<crate::rules::suppress::Ignore>,
}

/// Declarations for every migration, by version as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Approvals {
    by_version: BTreeMap<String, Declarations>,
    /// Differences accepted for every migration.
    run_wide: Vec<super::accept::Acceptance>,
    /// The scenario's `[rules] ignore` entries.
    pub rule_ignores: Vec<crate::rules::suppress::Ignore>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileEntry {
    destructive: Option<FileApproval>,
    irreversible: Option<FileApproval>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileApproval {
    by: String,
    reason: String,
}

impl Approvals {
    /// The declarations for migration `id`, matched as versions (`2` is `002`).
    pub fn for_migration(&self, id: &str) -> Declarations {
        let wanted = Version::new(id);
        // `2` in the scenario and `002` in the file name are one migration: merge every match.
        let mut d = Declarations::default();
        for (_, found) in self
            .by_version
            .iter()
            .filter(|(v, _)| Version::new(v.as_str()).same_as(&wanted))
        {
            d.destructive = d.destructive.or_else(|| found.destructive.clone());
            d.irreversible = d.irreversible.or_else(|| found.irreversible.clone());
            d.marked_irreversible |= found.marked_irreversible;
            d.accepts.extend(found.accepts.iter().cloned());
        }
        d.accepts.extend(self.run_wide.iter().cloned());
        d.ignores = self
            .by_version
            .iter()
            .filter(|(v, _)| Version::new(v.as_str()).same_as(&wanted))
            .flat_map(|(_, found)| found.ignores.iter().cloned())
            .collect();
        d.run_ignores = self.rule_ignores.clone();
        d
    }

    /// Adds the scenario's `[accept]` entries: those naming a migration for it, the others for
    /// every migration. `source` names the scenario file.
    pub fn accept(&mut self, entries: &[crate::scenario::accept::AcceptEntry], source: &str) {
        for e in entries {
            let acceptance = super::accept::Acceptance {
                kind: e.kind.0.clone(),
                object: e.object.clone(),
                reason: e.reason.clone(),
                source: format!("{source} [accept]"),
            };
            match &e.migration {
                Some(v) => self
                    .by_version
                    .entry(v.clone())
                    .or_default()
                    .accepts
                    .push(acceptance),
                None => self.run_wide.push(acceptance),
            }
        }
    }

    pub fn insert(&mut self, version: &str, declarations: Declarations) {
        let entry = self.by_version.entry(version.to_string()).or_default();
        if declarations.destructive.is_some() {
            entry.destructive = declarations.destructive;
        }
        if declarations.irreversible.is_some() {
            entry.irreversible = declarations.irreversible;
        }
        entry.marked_irreversible |= declarations.marked_irreversible;
        entry.accepts.extend(declarations.accepts);
        entry.ignores.extend(declarations.ignores);
    }

    /// Reads the annotations of every forward script in `set`.
    pub fn from_annotations(set: &MigrationSet) -> Result<Approvals, String> {
        let mut approvals = Approvals::default();
        for m in &set.migrations {
            let path = &m.forward.path;
            let text = crate::input::read_text(path)
                .map_err(|e| format!("{} cannot be read: {e}", path.display()))?;
            let label = path
                .strip_prefix(&set.root)
                .unwrap_or(path)
                .display()
                .to_string();
            let mut d = parse_annotations(&text, &label)?;
            // A difference shows after the rollback, so its acceptance may sit in the rollback.
            if let Some(rollback) = &m.rollback {
                let text = crate::input::read_text(&rollback.path)
                    .map_err(|e| format!("{} cannot be read: {e}", rollback.path.display()))?;
                let label = rollback
                    .path
                    .strip_prefix(&set.root)
                    .unwrap_or(&rollback.path)
                    .display()
                    .to_string();
                d.accepts.extend(parse_accepts(&text, &label)?);
            }
            approvals.insert(m.version.as_str(), d);
        }
        Ok(approvals)
    }

    /// Reads an approvals file; every entry must be a version with `destructive` and/or
    /// `irreversible`, each with `by` and `reason`.
    pub fn from_file(path: &Path) -> Result<Approvals, String> {
        let text = crate::input::read_text(path)
            .map_err(|e| format!("the approvals file {} cannot be read: {e}", path.display()))?;
        Self::from_toml(&text, &path.display().to_string())
    }

    pub fn from_toml(text: &str, label: &str) -> Result<Approvals, String> {
        let entries: BTreeMap<String, FileEntry> = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| format!(", line {}", text[..s.start.min(text.len())].matches('\n').count() + 1))
                .unwrap_or_default();
            format!(
                "{label}{line}: {} (expected entries such as [003] destructive = {{ by = \"...\", reason = \"...\" }})",
                crate::toml_lines::toml_message(e.message())
            )
        })?;
        let mut approvals = Approvals::default();
        for (version, entry) in entries {
            let approval = |a: Option<FileApproval>| -> Result<Option<Approval>, String> {
                a.map(|a| {
                    if a.by.trim().is_empty() || a.reason.trim().is_empty() {
                        Err(format!(
                            "{label}: the approval for {version} needs a non-empty by and reason"
                        ))
                    } else {
                        Ok(Approval {
                            by: a.by,
                            reason: a.reason,
                            source: label.to_string(),
                        })
                    }
                })
                .transpose()
            };
            let irreversible = approval(entry.irreversible)?;
            approvals.insert(
                &version,
                Declarations {
                    destructive: approval(entry.destructive)?,
                    marked_irreversible: irreversible.is_some(),
                    irreversible,
                    accepts: Vec::new(),
                    ..Default::default()
                },
            );
        }
        Ok(approvals)
    }

    /// Both sources together; an approvals-file entry wins over an annotation of the same kind.
    pub fn merged(mut self, other: Approvals) -> Approvals {
        for (v, d) in other.by_version {
            self.insert(&v, d);
        }
        self.run_wide.extend(other.run_wide);
        self.rule_ignores.extend(other.rule_ignores);
        self
    }
}

/// Reads `-- rehearse:` annotations from a migration file's text.
pub fn parse_annotations(text: &str, label: &str) -> Result<Declarations, String> {
    let mut d = Declarations {
        ignores: crate::rules::suppress::parse(text, label)?,
        ..Default::default()
    };
    for (i, line) in text.lines().enumerate() {
        let Some(comment) = line.trim_start().strip_prefix("--") else {
            continue;
        };
        let Some(rest) = comment.trim_start().strip_prefix("rehearse:") else {
            continue;
        };
        let at = |msg: String| format!("{label}, line {}: {msg}", i + 1);
        let mut words = rest.splitn(2, char::is_whitespace);
        match words.next().unwrap_or_default() {
            "irreversible" => d.marked_irreversible = true,
            // Read above, with the statement each one sits on.
            "ignore" | "ignore-file" => {}
            "accept" => d.accepts.push(
                super::accept::parse_annotation(
                    words.next().unwrap_or_default(),
                    format!("{label}, line {}", i + 1),
                )
                .map_err(at)?,
            ),
            "approve" => {
                let rest = words.next().unwrap_or_default().trim_start();
                let (what, pairs) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
                let fields = key_values(pairs).map_err(at)?;
                let get = |k: &str| fields.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
                let (Some(by), Some(reason)) = (get("by"), get("reason")) else {
                    return Err(at(format!(
                        "an approval needs by=\"...\" and reason=\"...\", as in -- rehearse:approve {what} by=\"Ana\" reason=\"why it is safe\""
                    )));
                };
                if by.trim().is_empty() || reason.trim().is_empty() {
                    return Err(at("an approval needs a non-empty by and reason".into()));
                }
                let approval = Some(Approval {
                    by,
                    reason,
                    source: format!("{label}, line {}", i + 1),
                });
                match what {
                    "destructive" => d.destructive = approval,
                    "irreversible" => {
                        d.irreversible = approval;
                        d.marked_irreversible = true;
                    }
                    other => {
                        return Err(at(format!(
                            "rehearse:approve {other} is not known: approve destructive or irreversible"
                        )))
                    }
                }
            }
            other => {
                return Err(at(format!(
                    "rehearse:{other} is not a known annotation: use rehearse:approve destructive|irreversible by=\"...\" reason=\"...\", rehearse:accept KIND [object] reason=\"...\", rehearse:ignore RULE reason=\"...\", or rehearse:irreversible"
                )))
            }
        }
    }
    Ok(d)
}

/// The `-- rehearse:accept` lines of a file that holds no other annotation (a rollback script).
pub fn parse_accepts(text: &str, label: &str) -> Result<Vec<super::accept::Acceptance>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let rest = line
            .trim_start()
            .strip_prefix("--")
            .and_then(|c| c.trim_start().strip_prefix("rehearse:accept"));
        if let Some(rest) = rest.filter(|r| r.is_empty() || r.starts_with(char::is_whitespace)) {
            let source = format!("{label}, line {}", i + 1);
            out.push(
                super::accept::parse_annotation(rest, source.clone())
                    .map_err(|e| format!("{source}: {e}"))?,
            );
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotations_approve_and_mark() {
        let d = parse_annotations(
            "-- rehearse:approve destructive by=\"Ana Lima\" reason=\"unused since \\\"2024\\\"\"\n-- rehearse:irreversible\nALTER TABLE users DROP COLUMN x;\n",
            "V003__x.sql",
        )
        .unwrap();
        let a = d.destructive.unwrap();
        assert_eq!(a.by, "Ana Lima");
        assert_eq!(a.reason, "unused since \"2024\"");
        assert_eq!(a.source, "V003__x.sql, line 1");
        assert!(d.marked_irreversible);
        assert!(d.irreversible.is_none());
    }

    #[test]
    fn an_approval_without_a_reason_names_file_and_line() {
        let err = parse_annotations(
            "SELECT 1;\n-- rehearse:approve destructive by=\"Ana\"\n",
            "V003__x.sql",
        )
        .unwrap_err();
        assert!(err.starts_with("V003__x.sql, line 2:"), "{err}");
    }

    #[test]
    fn approvals_file_is_keyed_by_version() {
        let a = Approvals::from_toml(
            "[003]\ndestructive = { by = \"Ana\", reason = \"archived\" }\n[\"1.2\"]\nirreversible = { by = \"Bo\", reason = \"one way\" }\n",
            "approvals.toml",
        )
        .unwrap();
        assert_eq!(a.for_migration("3").destructive.unwrap().by, "Ana");
        let d = a.for_migration("1.2");
        assert!(d.marked_irreversible && d.irreversible.is_some());
        assert_eq!(a.for_migration("004"), Declarations::default());
    }

    #[test]
    fn a_typo_in_the_approvals_file_names_the_line() {
        let err = Approvals::from_toml(
            "[003]\ndestructiv = { by = \"a\", reason = \"b\" }\n",
            "approvals.toml",
        )
        .unwrap_err();
        assert!(err.contains("approvals.toml, line 2"), "{err}");
    }
}
