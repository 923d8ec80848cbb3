//! The rule catalogue: every hazard rehearse names is a rule here, one rule per file, each with
//! a stable kebab-case id, a summary, why it hurts (the lock and what it blocks), the safe
//! pattern as SQL, a bad and a good example that its own tests run, and whether the table's
//! size decides it. `rehearse lint` runs the rules on parse trees alone; `rehearse run` runs the
//! same rules and confirms or sizes them with what it measured (see [`crate::gate::advice`]).
//! The pages in `docs/rules/` are rendered from these values ([`docs`]).
//!
//! Rules read parse trees only: nothing here connects to a database or reads a file.

pub mod docs;
pub mod fixes;
pub mod lint;
pub mod script;
pub mod suppress;

mod adding_required_column;
mod adding_volatile_default;
mod changing_column_type;
mod concurrently_in_transaction;
mod domain_check_constraint;
mod drop_column;
mod drop_database;
mod drop_not_null;
mod drop_schema;
mod drop_table;
mod enum_value_used_in_transaction;
mod identifier_too_long;
mod long_access_exclusive_lock;
mod prefer_bigint_key;
mod prefer_identity;
mod prefer_text_over_char;
mod prefer_timestamptz;
mod renaming_column;
mod renaming_object;
mod renaming_table;
mod require_check_before_set_not_null;
mod require_concurrent_index;
mod require_concurrent_index_drop;
mod require_concurrent_partition_detach;
mod require_concurrent_reindex;
mod require_lock_timeout;
mod require_not_valid_check;
mod require_not_valid_foreign_key;
mod require_prebuilt_unique_index;
mod require_statement_timeout;
mod statements_after_exclusive_lock;
mod table_rewrite;
mod transaction_nesting;
mod truncate_cascade;
mod uncommitted_transaction;
mod unmatched_ignore;
mod vacuum_full_or_cluster;

pub use script::{Parsed, Schema, Stmt};

/// Where the rule's pages live, relative to the repository root; reports link the id there.
pub const DOCS_DIR: &str = "docs/rules";

/// The page of the rule `id`, relative to the repository root (what reports link to).
pub fn page_of(id: &str) -> String {
    format!("{DOCS_DIR}/{id}.md")
}

/// How `rehearse run` treats a rule (lint always applies the static check, when there is one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InRun {
    /// The parse tree decides: the same finding as lint.
    Always,
    /// The parse tree finds it, and it is a hazard only on a large table (by the seeded or
    /// declared rows) or when the statement was slow in the rehearsal.
    WhenLarge,
    /// The rehearsal's measurement decides (a rewrite seen, a lock held long): the static
    /// check is lint's estimate of it.
    Measured,
    /// Not a hazard of a run: the destructive gate asks for an approval instead, or the
    /// rehearsal's own measurement says more (a duration instead of a missing timeout).
    LintOnly,
}

/// One place a rule matched: the statement's line, the relation it is about, one sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub line: usize,
    pub relation: Option<String>,
    pub message: String,
}

impl Hit {
    pub fn new(line: usize, relation: Option<String>, message: impl Into<String>) -> Hit {
        Hit {
            line,
            relation,
            message: message.into(),
        }
    }
}

/// A named, documented pattern.
#[derive(Debug)]
pub struct Rule {
    /// Stable, kebab-case: what users write in `-- rehearse:ignore` and what links name.
    pub id: &'static str,
    /// One line: what the rule finds.
    pub summary: &'static str,
    /// Why it hurts: the lock it takes and what that blocks, or what it breaks.
    pub why: &'static str,
    /// The fix in one sentence: the advice a finding carries.
    pub fix: &'static str,
    /// The safe pattern as SQL.
    pub safe: &'static str,
    /// SQL the rule finds (its tests assert that it does).
    pub bad: &'static str,
    /// The same change written safely (its tests assert the rule stays quiet).
    pub good: &'static str,
    pub in_run: InRun,
    /// The `kind` a finding of this rule carries in report.json: the names the run's hazards had
    /// before they were rules stay, so that readers of report.json keep working.
    pub kind: &'static str,
    /// The static check, on one script's parse trees; None for rules only a measurement finds.
    pub check: Option<fn(&Parsed) -> Vec<Hit>>,
    /// squawk's rule ids this rule covers (for the comparison table and the page).
    pub squawk: &'static [&'static str],
}

impl Rule {
    /// Whether the table's size decides the hazard.
    pub fn size_aware(&self) -> bool {
        self.in_run == InRun::WhenLarge
    }

    /// Whether `rehearse lint` reports it: every static rule, and the ignores that matched
    /// nothing (which lint finds without a check of its own).
    pub fn in_lint(&self) -> bool {
        self.check.is_some() || self.id == unmatched_ignore::RULE.id
    }

    /// The rule's page, relative to the repository root.
    pub fn page(&self) -> String {
        page_of(self.id)
    }

    /// A finding of this rule for a report: its kind, id and fix.
    pub fn finding(&self, message: impl Into<String>) -> crate::report::Finding {
        crate::report::Finding {
            kind: self.kind.to_string(),
            message: message.into(),
            advice: Some(self.fix.to_string()),
            rule: Some(self.id.to_string()),
            ..Default::default()
        }
    }

    /// Runs the static check on `sql` alone (a fresh schema): what the rule's tests use.
    pub fn check_sql(&self, sql: &str) -> Vec<Hit> {
        let parsed = Parsed::from_sql(sql, &mut Schema::default()).expect("example parses");
        self.check.map(|c| c(&parsed)).unwrap_or_default()
    }
}

/// Every rule, in the order pages and listings show them.
pub static RULES: &[&Rule] = &[
    &require_concurrent_index::RULE,
    &require_concurrent_index_drop::RULE,
    &require_concurrent_reindex::RULE,
    &require_concurrent_partition_detach::RULE,
    &concurrently_in_transaction::RULE,
    &require_not_valid_foreign_key::RULE,
    &require_not_valid_check::RULE,
    &require_prebuilt_unique_index::RULE,
    &require_check_before_set_not_null::RULE,
    &adding_volatile_default::RULE,
    &adding_required_column::RULE,
    &changing_column_type::RULE,
    &table_rewrite::RULE,
    &vacuum_full_or_cluster::RULE,
    &long_access_exclusive_lock::RULE,
    &statements_after_exclusive_lock::RULE,
    &require_lock_timeout::RULE,
    &require_statement_timeout::RULE,
    &renaming_column::RULE,
    &renaming_table::RULE,
    &renaming_object::RULE,
    &drop_column::RULE,
    &drop_table::RULE,
    &drop_schema::RULE,
    &drop_database::RULE,
    &truncate_cascade::RULE,
    &drop_not_null::RULE,
    &domain_check_constraint::RULE,
    &enum_value_used_in_transaction::RULE,
    &prefer_identity::RULE,
    &prefer_bigint_key::RULE,
    &prefer_text_over_char::RULE,
    &prefer_timestamptz::RULE,
    &identifier_too_long::RULE,
    &transaction_nesting::RULE,
    &uncommitted_transaction::RULE,
    &unmatched_ignore::RULE,
];

/// The rule with this id.
pub fn by_id(id: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|r| r.id == id)
}

/// Every static rule's hits on one script, in line order, each with its rule.
pub fn check(parsed: &Parsed) -> Vec<(&'static Rule, Hit)> {
    let mut out: Vec<(&'static Rule, Hit)> = Vec::new();
    for rule in RULES {
        if let Some(check) = rule.check {
            out.extend(check(parsed).into_iter().map(|h| (*rule, h)));
        }
    }
    out.sort_by_key(|(_, h)| h.line);
    out
}

/// The tests every rule carries: its bad example is found, its good example is not.
#[cfg(test)]
macro_rules! example_tests {
    () => {
        #[cfg(test)]
        mod examples {
            #[test]
            fn the_bad_example_is_found() {
                let hits = super::RULE.check_sql(super::RULE.bad);
                assert!(
                    !hits.is_empty(),
                    "{} does not find its bad example",
                    super::RULE.id
                );
                assert!(hits.iter().all(|h| h.line >= 1 && !h.message.is_empty()));
            }

            #[test]
            fn the_good_example_is_clean() {
                let hits = super::RULE.check_sql(super::RULE.good);
                assert!(
                    hits.is_empty(),
                    "{} finds its good example: {hits:?}",
                    super::RULE.id
                );
            }
        }
    };
}
#[cfg(test)]
pub(crate) use example_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_kebab_case() {
        let mut seen = std::collections::BTreeSet::new();
        for r in RULES {
            assert!(seen.insert(r.id), "{} twice", r.id);
            assert!(
                r.id.chars().all(|c| c.is_ascii_lowercase() || c == '-')
                    && !r.id.starts_with('-')
                    && !r.id.ends_with('-'),
                "{}",
                r.id
            );
            assert!(!r.summary.is_empty() && !r.why.is_empty() && !r.fix.is_empty());
        }
    }

    #[test]
    fn every_example_parses() {
        for r in RULES {
            for sql in [r.bad, r.good, r.safe] {
                assert!(
                    Parsed::from_sql(sql, &mut Schema::default()).is_ok(),
                    "{}: {sql}",
                    r.id
                );
            }
        }
    }
}
