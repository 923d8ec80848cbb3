//! `long-access-exclusive-lock`: an ACCESS EXCLUSIVE lock the rehearsal measured held for long.

use super::{InRun, Rule};

pub static RULE: Rule = Rule {
    id: "long-access-exclusive-lock",
    summary: "An ACCESS EXCLUSIVE lock on an existing table was held for a second or more (measured)",
    why: "While ACCESS EXCLUSIVE is held, every query on the table waits, plain SELECTs included; the application's connection pool fills with waiting queries.",
    fix: "Split the change so that each step holds the lock briefly, and SET lock_timeout so that nobody queues behind it for long.",
    safe: "SET lock_timeout = '2s';\nALTER TABLE orders ADD COLUMN note text;\n-- one short statement per transaction; slow work (backfills, validation) outside the lock",
    bad: "ALTER TABLE orders ADD COLUMN note text;\nUPDATE orders SET note = '';",
    good: "SET lock_timeout = '2s';\nALTER TABLE orders ADD COLUMN note text;",
    in_run: InRun::Measured,
    kind: "long_access_exclusive_lock",
    check: None,
    squawk: &[],
};
