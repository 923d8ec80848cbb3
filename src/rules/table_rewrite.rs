//! `table-rewrite`: a statement the rehearsal saw rewrite a large table (a new relfilenode),
//! when no rule of the statement's own shape names the rewrite.

use super::{InRun, Rule};

pub static RULE: Rule = Rule {
    id: "table-rewrite",
    summary: "A statement rewrote a large table (measured: the table got a new file)",
    why: "A rewrite copies every row and rebuilds every index while it holds an ACCESS EXCLUSIVE lock: nobody reads or writes the table until it is done, and it needs the table's size again in free disk.",
    fix: "Avoid the rewrite: add a new column, backfill it in batches and switch over, instead of changing the table in place.",
    safe: "ALTER TABLE orders ADD COLUMN total_v2 numeric(14,2);\n-- backfill in batches, then switch readers to total_v2",
    bad: "VACUUM FULL orders;",
    good: "VACUUM orders;",
    in_run: InRun::Measured,
    kind: "rewrite_large_table",
    check: None,
    squawk: &[],
};
