//! Faults and hostile names that must neither break a rehearsal nor be blamed on the migration
//! (issue H): reserved words as names, a migration that kills the probe's connections, a server
//! that dies mid-migration, a workload that never succeeds. Real PostgreSQL, local provider.

mod common;

use common::{fixture, rehearse_local};

#[test]
fn reserved_words_as_table_and_column_names_seed_and_rehearse() {
    let run = rehearse_local(&fixture("rehearsals/reserved_words"), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.report();
    let seeded: Vec<&str> = report["seed"]["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["table"].as_str().unwrap())
        .collect();
    assert_eq!(seeded, ["public.user", "public.order"]);
    let m = &report["migrations"][0];
    assert_eq!(m["schema_restored"], true, "{m}");
    assert_eq!(m["data_preserved"], true, "{m}");
    // Shown to people as PostgreSQL's quote_ident() spells it.
    assert_eq!(
        m["forward"]["statements"][0]["locks"][0]["relation"],
        "public.\"order\""
    );
}
