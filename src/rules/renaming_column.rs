//! `renaming-column`: RENAME COLUMN on an existing table.

use super::script::{renames_of_existing, Parsed};
use super::{Hit, InRun, Rule};
use pg_query::protobuf::ObjectType;

pub static RULE: Rule = Rule {
    id: "renaming-column",
    summary: "ALTER TABLE ... RENAME COLUMN on an existing table",
    why: "The rename is instant, but the application version still running during the deploy reads and writes the old name: its queries fail until every instance runs the new code.",
    fix: "Add the new column, write to both, backfill, move readers, then drop the old column in a later release (or keep the old name behind a view).",
    safe: "ALTER TABLE users ADD COLUMN full_name text;\n-- write both, backfill, switch readers; in a later release:\nALTER TABLE users DROP COLUMN name;",
    bad: "ALTER TABLE users RENAME COLUMN name TO full_name;",
    good: "ALTER TABLE users ADD COLUMN full_name text;",
    in_run: InRun::Always,
    kind: "renaming-column",
    check: Some(check),
    squawk: &["renaming-column"],
};

fn check(p: &Parsed) -> Vec<Hit> {
    renames_of_existing(p, ObjectType::ObjectColumn)
        .into_iter()
        .map(|(s, table, r)| {
            let message = format!(
                "renaming {table}.{} to {} breaks the running application's queries that use the old name",
                crate::identifier::display(&r.subname),
                crate::identifier::display(&r.newname)
            );
            Hit::new(s.line, Some(table), message)
        })
        .collect()
}

#[cfg(test)]
super::example_tests!();
