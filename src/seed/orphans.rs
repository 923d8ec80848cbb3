//! Rows whose parent is gone: after the sieve kept only part of a table, after duplicates were
//! removed, after a repair removed inferred rows a forward failed on. Found with the foreign
//! keys' own columns (`NOT EXISTS` on the parent), removed down the chain of children.
//!
//! Only ever deletes rows of the tables it is told were seeded; never changes the schema.

use crate::identifier::quote as quote_ident;
use tokio_postgres::Client;

/// A foreign key: its columns and its parent's, to find orphans.
#[derive(Debug, Clone)]
pub struct ForeignKey {
    pub child_oid: u32,
    pub parent_oid: u32,
    /// Quoted, schema-qualified tables.
    pub child: String,
    pub parent: String,
    pub name: String,
    pub columns: Vec<String>,
    pub parent_columns: Vec<String>,
    /// The key's columns that allow NULL: one NULL is enough for a key to hold (MATCH SIMPLE),
    /// so an orphan is repaired by setting them to NULL, not removed.
    pub nullable: Vec<String>,
}

/// Every foreign key of the database (partition copies left out).
pub async fn foreign_keys(client: &Client) -> Result<Vec<ForeignKey>, tokio_postgres::Error> {
    Ok(client
        .query(
            "SELECT conrelid::oid, confrelid::oid, conrelid::regclass::text, confrelid::regclass::text, conname::text,
                    ARRAY(SELECT a.attname::text FROM unnest(conkey) WITH ORDINALITY k(n, i)
                            JOIN pg_attribute a ON a.attrelid = conrelid AND a.attnum = k.n ORDER BY k.i),
                    ARRAY(SELECT a.attname::text FROM unnest(confkey) WITH ORDINALITY k(n, i)
                            JOIN pg_attribute a ON a.attrelid = confrelid AND a.attnum = k.n ORDER BY k.i),
                    ARRAY(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = conrelid
                            AND a.attnum = ANY (conkey) AND NOT a.attnotnull ORDER BY a.attnum)
               FROM pg_constraint WHERE contype = 'f' AND conparentid = 0 ORDER BY 3, 5",
            &[],
        )
        .await?
        .iter()
        .map(|r| ForeignKey {
            child_oid: r.get(0),
            parent_oid: r.get(1),
            child: r.get(2),
            parent: r.get(3),
            name: r.get(4),
            columns: r.get(5),
            parent_columns: r.get(6),
            nullable: r.get(7),
        })
        .collect())
}

/// The first foreign key whose parent is in `lost` that still has an orphan: (child, key).
pub async fn remaining(
    client: &Client,
    keys: &[ForeignKey],
    lost: &std::collections::BTreeSet<u32>,
) -> Result<Option<(String, String)>, tokio_postgres::Error> {
    for fk in keys.iter().filter(|k| lost.contains(&k.parent_oid)) {
        let orphan: bool = client
            .query_one(
                &format!(
                    "SELECT EXISTS (SELECT 1 FROM {} c WHERE {})",
                    fk.child,
                    orphan_condition(fk)
                ),
                &[],
            )
            .await?
            .get(0);
        if orphan {
            return Ok(Some((fk.child.clone(), fk.name.clone())));
        }
    }
    Ok(None)
}

/// The rows of `c` (the child) whose parent row is missing, by `fk`'s MATCH SIMPLE rule.
fn orphan_condition(fk: &ForeignKey) -> String {
    let not_null: Vec<String> = fk
        .columns
        .iter()
        .map(|c| format!("c.{} IS NOT NULL", quote_ident(c)))
        .collect();
    let matches: Vec<String> = fk
        .columns
        .iter()
        .zip(&fk.parent_columns)
        .map(|(c, p)| format!("p.{} = c.{}", quote_ident(p), quote_ident(c)))
        .collect();
    format!(
        "{} AND NOT EXISTS (SELECT 1 FROM {} p WHERE {})",
        not_null.join(" AND "),
        fk.parent,
        matches.join(" AND ")
    )
}

/// Links of a self-reference followed in one pass (a generated tree is a few levels deep; a
/// long chain goes on in the next passes).
const SELF_CHAIN: usize = 1000;

/// Removes, from the children of tables that lost rows, the rows whose parent is gone, and from
/// their children in turn, until no foreign key of `keys` has an orphan; keys over several
/// columns or to their own table are checked whatever their parent lost. `lost` holds the oids
/// of the tables that lost rows; `loaded` those this seed point loaded (only they are touched).
/// A key with a column that allows NULL has it set to NULL on its orphans instead: the row stays.
/// Returns (child oid, rows removed, foreign key name) for each removal; `lost` ends with every
/// table that lost rows.
pub async fn remove(
    client: &Client,
    keys: &[ForeignKey],
    lost: &mut std::collections::BTreeSet<u32>,
    loaded: &std::collections::BTreeSet<u32>,
) -> Result<Vec<(u32, u64, String)>, tokio_postgres::Error> {
    let mut removed = Vec::new();
    // A chain of n tables settles in n passes; a self-reference may take a few more.
    for _ in 0..(keys.len() + 8) {
        let mut changed = false;
        for fk in keys {
            // A key over several columns (or to its own table) is checked even when its parent
            // lost nothing: inference picks each column of it on its own.
            let own_pairs = fk.columns.len() > 1 || fk.child_oid == fk.parent_oid;
            if !(lost.contains(&fk.parent_oid) || own_pairs) || !loaded.contains(&fk.child_oid) {
                continue;
            }
            let delete = format!("DELETE FROM {} c WHERE {}", fk.child, orphan_condition(fk));
            let statement = if !fk.nullable.is_empty() {
                let nulls: Vec<String> = fk
                    .nullable
                    .iter()
                    .map(|c| format!("{} = NULL", quote_ident(c)))
                    .collect();
                format!(
                    "UPDATE {} c SET {} WHERE {}",
                    fk.child,
                    nulls.join(", "),
                    orphan_condition(fk)
                )
            } else {
                delete.clone()
            };
            // A NULL the table's CHECKs refuse (a polymorphic row needs its reference): the
            // orphans go instead. The savepoint keeps a caller's transaction alive (outside one
            // it is refused, and nothing needs keeping).
            let _ = client.batch_execute("SAVEPOINT rehearse_orphans").await;
            let (mut n, kept) = match client.execute(&statement, &[]).await {
                Ok(n) => (n, !fk.nullable.is_empty()),
                Err(_) if !fk.nullable.is_empty() => {
                    let _ = client
                        .batch_execute("ROLLBACK TO SAVEPOINT rehearse_orphans")
                        .await;
                    (client.execute(&delete, &[]).await?, false)
                }
                Err(e) => return Err(e),
            };
            // Rows of a table that references itself lose their parent to the removal just
            // made: follow the chain down to its end here, rather than one link per pass.
            if fk.child_oid == fk.parent_oid && !kept && n > 0 {
                for _ in 0..SELF_CHAIN {
                    let more = client.execute(&delete, &[]).await?;
                    if more == 0 {
                        break;
                    }
                    n += more;
                }
            }
            if n > 0 && !kept {
                removed.push((fk.child_oid, n, fk.name.clone()));
                lost.insert(fk.child_oid);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    Ok(removed)
}
