//! Sequence positions put back after a rollback, before the redo. `nextval` is never undone, so
//! a migration that inserts rows with generated keys, rolled back and applied again, leaves keys
//! a production database (which applies it once) would not have. The next reset from the template
//! replays the forward once, so without this the rows after a reset and the rows without one
//! differ, and where the template happens to be (its refresh follows measured times) would decide
//! what later seed points and migrations meet. With the positions put back, the redo writes the
//! keys the forward wrote, whichever way the state is reached.
//!
//! Never used inside `--in-transaction`'s one transaction, where `setval` would outlive the
//! savepoints that undo everything else.

use tokio_postgres::Client;

/// Every sequence's position: (qualified name, last value or None when never called, start).
pub(super) struct Positions(Vec<(String, Option<i64>, i64)>);

/// The positions now; None when they cannot be read (then nothing is put back).
pub(super) async fn read(client: &Client) -> Option<Positions> {
    let rows = client
        .query(
            "SELECT format('%I.%I', schemaname, sequencename), last_value, start_value
               FROM pg_catalog.pg_sequences",
            &[],
        )
        .await
        .ok()?;
    Some(Positions(
        rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect(),
    ))
}

/// Puts every sequence that existed at `before` and has moved since back where it was.
pub(super) async fn restore(client: &Client, before: &Positions) {
    if before.0.is_empty() {
        return;
    }
    let names: Vec<&str> = before.0.iter().map(|(n, _, _)| n.as_str()).collect();
    let lasts: Vec<Option<i64>> = before.0.iter().map(|(_, l, _)| *l).collect();
    let starts: Vec<i64> = before.0.iter().map(|(_, _, s)| *s).collect();
    // A failure leaves the keys as they are: the rehearsal is no worse than before.
    let _ = client
        .execute(
            "SELECT CASE WHEN b.last IS NULL THEN pg_catalog.setval(b.name::regclass, b.start, false)
                         ELSE pg_catalog.setval(b.name::regclass, b.last, true) END
               FROM unnest($1::text[], $2::int8[], $3::int8[]) AS b(name, last, start)
               JOIN pg_catalog.pg_sequences s
                 ON format('%I.%I', s.schemaname, s.sequencename) = b.name
              WHERE s.last_value IS DISTINCT FROM b.last",
            &[&names, &lasts, &starts],
        )
        .await;
}
