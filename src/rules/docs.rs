//! The rules' pages (`docs/rules/<id>.md` and the index `docs/rules/README.md`), rendered from
//! the rules themselves so that a page never says something its rule does not do. A test
//! compares the checked-in pages with these; `rehearse rules --write-docs docs/rules` rewrites
//! them.

use super::{InRun, Rule, RULES};
use std::path::Path;

const GENERATED: &str =
    "<!-- Generated from src/rules by `rehearse rules --write-docs docs/rules`; do not edit. -->";

/// The page of one rule.
pub fn page(rule: &Rule) -> String {
    let mut out = format!("{GENERATED}\n\n# {}\n\n{}.\n\n", rule.id, rule.summary);
    out.push_str(&format!("## Why it hurts\n\n{}\n\n", rule.why));
    out.push_str(&format!(
        "## Fix\n\n{}\n\n```sql\n{}\n```\n\n",
        rule.fix, rule.safe
    ));
    if let Some(rewrite) = super::fixes::rewrite(rule.id, rule.bad.trim_end_matches(';')) {
        out.push_str(&format!(
            "## Proven fix\n\n`rehearse run --prove-fixes` rewrites a finding's statement mechanically, the bad example below becoming:\n\n```sql\n{rewrite};\n```\n\nand rehearses the rewritten migration beside the original on copies of the same seeded state, under the same workload{}. The measured effect (workload queries blocked, the longest write-blocking lock, duration and WAL, before and after) is in the report, under the finding (`hazards[].proof` in report.json); a rewrite that fails or leaves another schema is reported as such.\n\n",
            match (rewrite.contains("$rehearse_backfill$"), rewrite.contains("VALIDATE CONSTRAINT")) {
                (true, true) => " (the backfill outside the migration's transaction, each batch committed; the VALIDATE in a transaction of its own)",
                (true, false) => " (the backfill outside the migration's transaction, each batch committed)",
                (false, true) => " (the VALIDATE in a transaction of its own, after the NOT VALID step committed)",
                (false, false) => "",
            }
        ));
    }
    out.push_str(&format!(
        "## Examples\n\nFound:\n\n```sql\n{}\n```\n\nNot found:\n\n```sql\n{}\n```\n\n",
        rule.bad, rule.good
    ));
    out.push_str("## When it applies\n\n");
    out.push_str(match (rule.in_lint(), rule.in_run) {
        (false, _) => "Only a rehearsal finds it, from what it measured: `rehearse lint` cannot.\n",
        (true, InRun::Always) => {
            "`rehearse lint` finds it in the parse tree; `rehearse run` reports the same finding.\n"
        }
        (true, InRun::WhenLarge) => "Size-aware. `rehearse lint` finds it in the parse tree on any table that existed before the migration; `rehearse run` reports it only when the table is large (`[gates] large_table_rows`, default 1,000,000 rows, from the seeded or declared sizes) or the statement was slow in the rehearsal.\n",
        (true, InRun::Measured) => "`rehearse lint` finds it in the parse tree; `rehearse run` reports it when the rehearsal measured it (the table was rewritten, and is large or was slow to rewrite), in the measured figures.\n",
        (true, InRun::LintOnly) => "`rehearse lint` finds it in the parse tree. `rehearse run` does not repeat it as a hazard: the destructive gate asks for an approval of the change instead, or the rehearsal measures what the rule can only guess.\n",
    });
    out.push_str(&format!(
        "\n## Ignoring it\n\nDirectly before the statement, with the reason it is safe there:\n\n```sql\n-- rehearse:ignore {} reason=\"...\"\n```\n\nOr for every migration in the scenario: `[rules] ignore = [{{ rule = \"{}\", reason = \"...\" }}]`.\n",
        rule.id, rule.id
    ));
    if !rule.squawk.is_empty() {
        out.push_str(&format!(
            "\nsquawk's rules for the same hazard: {}.\n",
            rule.squawk
                .iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    out
}

/// The index: every rule, its summary and whether it is size-aware.
pub fn index() -> String {
    let mut out = format!("{GENERATED}\n\n# Rules\n\nEvery hazard rehearse names is one of these rules. `rehearse lint PATH` checks the static ones in a second without a database; `rehearse run` reports the same rules with what it measured, and `rehearse run --prove-fixes` rehearses a rule's mechanical rewrite beside the finding. [squawk.md](../squawk.md) sets them beside squawk's rules, and both tools' findings on four public folders.\n\n| Rule | Finds | Size-aware | Lint |\n|---|---|:-:|:-:|\n");
    for r in RULES {
        out.push_str(&format!(
            "| [{}]({}.md) | {} | {} | {} |\n",
            r.id,
            r.id,
            r.summary.replace('|', "\\|"),
            if r.size_aware() { "yes" } else { "" },
            if r.in_lint() { "yes" } else { "run only" }
        ));
    }
    out
}

/// Every page by file name, the index included.
pub fn pages() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = RULES
        .iter()
        .map(|r| (format!("{}.md", r.id), page(r)))
        .collect();
    out.push(("README.md".into(), index()));
    out
}

/// Writes every page into `dir`; returns how many were written.
pub fn write(dir: &Path) -> std::io::Result<usize> {
    std::fs::create_dir_all(dir)?;
    let pages = pages();
    for (name, text) in &pages {
        std::fs::write(dir.join(name), text)?;
    }
    Ok(pages.len())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_checked_in_pages_are_the_rules_pages() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(super::super::DOCS_DIR);
        let mut stale = Vec::new();
        for (name, text) in super::pages() {
            match std::fs::read_to_string(dir.join(&name)) {
                Ok(on_disk) if on_disk == text => {}
                _ => stale.push(name),
            }
        }
        assert!(
            stale.is_empty(),
            "docs/rules is out of date ({}): run `cargo run -- rules --write-docs docs/rules`",
            stale.join(", ")
        );
        // No page of a rule that is gone.
        for entry in std::fs::read_dir(&dir).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            let id = name.trim_end_matches(".md");
            assert!(
                name == "README.md" || super::super::by_id(id).is_some(),
                "docs/rules/{name} belongs to no rule"
            );
        }
    }
}
