//! `unmatched-ignore`: an ignore that matched no finding (see [`super::suppress`]).

use super::{InRun, Rule};

pub static RULE: Rule = Rule {
    id: "unmatched-ignore",
    summary: "A -- rehearse:ignore or [rules] ignore that matched no finding",
    why: "An ignore that silences nothing is stale (the statement changed) or misspelled (the id or the statement it sits on): it hides nothing today and will hide the wrong thing tomorrow.",
    fix: "Remove the ignore, or correct its rule id and put it directly before the statement the finding is on.",
    safe: "-- rehearse:ignore require-concurrent-index reason=\"sessions has 200 rows\"\nCREATE INDEX sessions_user_idx ON sessions (user_id);",
    bad: "-- rehearse:ignore require-concurrent-index reason=\"sessions has 200 rows\"\nCREATE INDEX CONCURRENTLY sessions_user_idx ON sessions (user_id);",
    good: "-- rehearse:ignore require-concurrent-index reason=\"sessions has 200 rows\"\nCREATE INDEX sessions_user_idx ON sessions (user_id);",
    in_run: InRun::Always,
    kind: "unmatched-ignore",
    check: None,
    squawk: &[],
};
