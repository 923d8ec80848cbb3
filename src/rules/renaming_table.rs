//! `renaming-table`: RENAME of an existing table.

use super::script::{renames_of_existing, Parsed};
use super::{Hit, InRun, Rule};
use pg_query::protobuf::ObjectType;

pub static RULE: Rule = Rule {
    id: "renaming-table",
    summary: "ALTER TABLE ... RENAME TO on an existing table",
    why: "The rename is instant, but the application version still running during the deploy uses the old name: its queries fail until every instance runs the new code.",
    fix: "Create the new table (or a view with the new name), move writes and reads over, and drop the old name in a later release.",
    safe: "CREATE TABLE clients (LIKE customers INCLUDING ALL);\n-- copy the rows, move writes and reads to clients; in a later release:\nDROP TABLE customers;",
    bad: "ALTER TABLE customers RENAME TO clients;",
    good: "CREATE TABLE clients (id bigint);\nALTER TABLE clients RENAME TO customers_v2;",
    in_run: InRun::Always,
    kind: "renaming-table",
    check: Some(check),
    squawk: &["renaming-table"],
};

fn check(p: &Parsed) -> Vec<Hit> {
    renames_of_existing(p, ObjectType::ObjectTable)
        .into_iter()
        .map(|(s, table, r)| {
            let message = format!(
                "renaming {table} to {} breaks the running application's queries that use the old name",
                crate::identifier::display(&r.newname)
            );
            Hit::new(s.line, Some(table), message)
        })
        .collect()
}

#[cfg(test)]
super::example_tests!();
