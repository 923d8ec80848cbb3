//! The workload's parameter values, drawn once per rehearsal and drawn again only when a step may
//! have changed what their query reads.
//!
//! A [`Probe`](super::Probe) lives for the whole rehearsal and keeps one [`ParameterCache`]. Each
//! parameter query (the default workload's key samples and the user's own queries, run as
//! written) runs the first time a step needs it; its values are kept with the tables the query
//! reads, resolved in the catalog at draw time (partitions and inheritance children included).
//! After every step, [`ParameterCache::forget_written`] drops the values whose tables the step may
//! have written, rewritten or altered:
//!
//! - a table's rows change only through a session holding `RowExclusiveLock` or stronger on it,
//!   or through a new relfilenode; the probe reports both per statement (triggers and cascades
//!   run in the migration's backend, so their locks are its locks), so every table locked in a
//!   writing mode or rewritten is forgotten;
//! - a statement that ran outside a transaction (autocommit in a file with its own `BEGIN`, or a
//!   statement that cannot run in one) releases its locks before the probe looks, so unless its
//!   parse tree shows it cannot change rows (an index build, `VACUUM`, `SET`, ...), everything is
//!   forgotten;
//! - a parameter query that reads something other than plain tables (a view, a function, a name
//!   the catalog does not know) is forgotten after any step that wrote anything;
//! - a step the probe could not observe forgets everything, and so does a new database under the
//!   same name (a reset from the template).
//!
//! Empty or failed draws are never kept: the next step tries again. Stale values would only make
//! the workload look up keys that are gone (a write still takes its table lock, so blocking is
//! measured all the same); the rules above keep even that from happening.

use super::query_kind::QueryKind;
use crate::lock_mode::LockMode;
use crate::migrations::{Script, Transactionality};
use crate::report::Direction;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use tokio_postgres::{Client, SimpleQueryMessage};

/// A table as the catalog names it: schema and name, unquoted.
type Table = (String, String);

/// The values one parameter query returned: one per row, NULL kept.
pub(crate) type Values = Arc<Vec<Option<String>>>;

/// Lock modes that let a session change a table's rows or definition; weaker ones
/// (`ShareUpdateExclusiveLock` of `VACUUM`, `ShareLock` of `CREATE INDEX`) cannot.
const WRITING_MODES: [LockMode; 4] = [
    LockMode::RowExclusive,
    LockMode::ShareRowExclusive,
    LockMode::Exclusive,
    LockMode::AccessExclusive,
];

#[derive(Default)]
pub(crate) struct ParameterCache {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// The database's oid when the values were drawn: a reset replaces it.
    database: Option<u32>,
    drawn: HashMap<String, Drawn>,
}

struct Drawn {
    values: Values,
    reads: Reads,
}

/// What a parameter query reads, as far as the catalog could tell at draw time.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Reads {
    Tables(HashSet<Table>),
    /// Views, functions or names not found: any write may matter.
    Unknown,
}

/// The values of every wanted parameter query, and how many queries were run to get them.
pub(crate) struct Draws {
    pub values: HashMap<String, Result<Values, String>>,
    pub queries_run: u32,
}

impl ParameterCache {
    /// The values of each query in `wanted`, drawn on `client` unless kept from an earlier step.
    pub async fn values(
        &self,
        client: &Client,
        wanted: &[String],
    ) -> Result<Draws, tokio_postgres::Error> {
        let database: u32 = client
            .query_one(
                "SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database()",
                &[],
            )
            .await?
            .get(0);
        let mut values = HashMap::new();
        {
            let mut state = self
                .state
                .lock()
                .expect("the parameter cache is never poisoned");
            if state.database != Some(database) {
                state.drawn.clear();
                state.database = Some(database);
            }
            for sql in wanted {
                if let Some(kept) = state.drawn.get(sql) {
                    values.insert(sql.clone(), Ok(kept.values.clone()));
                }
            }
        }
        let mut queries_run = 0;
        for sql in wanted {
            if values.contains_key(sql) {
                continue;
            }
            queries_run += 1;
            let drawn = match draw(client, sql).await {
                Ok(v) => Ok(Arc::new(v)),
                Err(e) => Err(crate::server_text::of(&e)),
            };
            if let Ok(v) = &drawn {
                if !v.is_empty() {
                    let reads = reads(client, sql).await;
                    let mut state = self
                        .state
                        .lock()
                        .expect("the parameter cache is never poisoned");
                    state.drawn.insert(
                        sql.clone(),
                        Drawn {
                            values: v.clone(),
                            reads,
                        },
                    );
                }
            }
            values.insert(sql.clone(), drawn);
        }
        Ok(Draws {
            values,
            queries_run,
        })
    }

    /// Drops the values a step that ran `script` (as `direction` observed it) may have changed.
    pub fn forget_written(&self, script: &Script, direction: &Direction) {
        let written = Written::by(script, direction);
        if written.nothing() {
            return;
        }
        let mut state = self
            .state
            .lock()
            .expect("the parameter cache is never poisoned");
        state.drawn.retain(|_, d| match &d.reads {
            _ if written.everything => false,
            Reads::Unknown => false,
            Reads::Tables(tables) => tables.is_disjoint(&written.tables),
        });
    }

    /// Drops every value: a step ran that the probe could not observe.
    pub fn forget_all(&self) {
        self.state
            .lock()
            .expect("the parameter cache is never poisoned")
            .drawn
            .clear();
    }
}

async fn draw(client: &Client, sql: &str) -> Result<Vec<Option<String>>, tokio_postgres::Error> {
    Ok(client
        .simple_query(sql)
        .await?
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some(row.get(0).map(str::to_string)),
            _ => None,
        })
        .collect())
}

/// The tables `sql` reads, resolved as its session resolves them, with their partitions and
/// inheritance children; Unknown when any name is not a plain or partitioned table.
async fn reads(client: &Client, sql: &str) -> Reads {
    let Some(kind) = QueryKind::of(sql) else {
        return Reads::Unknown;
    };
    let unqualified: Vec<&str> = kind.unqualified_functions().collect();
    let theirs = user_functions(client, &unqualified).await;
    let calls_user_function = kind.functions.iter().any(|(schema, name)| match schema {
        Some(s) => s != "pg_catalog",
        None => theirs.as_ref().is_none_or(|t| t.contains(name)),
    });
    if calls_user_function || kind.writes_rows {
        // A function may read anything: the values are kept only while nothing is written.
        return Reads::Unknown;
    }
    let schemas: Vec<String> = kind
        .relations
        .iter()
        .map(|(s, _)| s.clone().unwrap_or_default())
        .collect();
    let names: Vec<String> = kind.relations.iter().map(|(_, n)| n.clone()).collect();
    let rows = client
        .query(
            "WITH RECURSIVE named AS (
                 SELECT pg_catalog.to_regclass(CASE WHEN s = '' THEN pg_catalog.quote_ident(n)
                        ELSE pg_catalog.quote_ident(s) || '.' || pg_catalog.quote_ident(n) END) AS oid
                 FROM unnest($1::text[], $2::text[]) AS u(s, n)
             ), tree AS (
                 SELECT oid FROM named WHERE oid IS NOT NULL
                 UNION
                 SELECT i.inhrelid FROM pg_catalog.pg_inherits i JOIN tree t ON i.inhparent = t.oid
             )
             SELECT n.nspname::text, c.relname::text, c.relkind IN ('r', 'p'),
                    (SELECT count(*) FROM named WHERE oid IS NULL)
             FROM tree JOIN pg_catalog.pg_class c ON c.oid = tree.oid
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace",
            &[&schemas, &names],
        )
        .await;
    let Ok(rows) = rows else {
        return Reads::Unknown;
    };
    let mut tables = HashSet::new();
    for row in rows {
        let (schema, name, table, unresolved): (String, String, bool, i64) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        if unresolved > 0 || (!table && schema != "pg_catalog") {
            return Reads::Unknown;
        }
        tables.insert((schema, name));
    }
    if tables.is_empty() && !names.is_empty() {
        return Reads::Unknown;
    }
    Reads::Tables(tables)
}

/// Which of `names` (unqualified function names) some function outside `pg_catalog` is called:
/// such a call may be the user's. None when the catalog could not be read.
pub(crate) async fn user_functions(client: &Client, names: &[&str]) -> Option<HashSet<String>> {
    if names.is_empty() {
        return Some(HashSet::new());
    }
    let rows = client
        .query(
            "SELECT DISTINCT p.proname::text FROM pg_catalog.pg_proc p
             WHERE p.pronamespace <> 'pg_catalog'::regnamespace AND p.proname = ANY($1)",
            &[&names],
        )
        .await
        .ok()?;
    Some(rows.into_iter().map(|r| r.get(0)).collect())
}

/// What one step may have written, from its observed locks and rewrites and its statements.
#[derive(Debug, Default, PartialEq, Eq)]
struct Written {
    tables: HashSet<Table>,
    /// Some statement may have written rows unseen: forget every value.
    everything: bool,
}

impl Written {
    fn by(script: &Script, direction: &Direction) -> Written {
        let mut written = Written::default();
        let as_written = script.statements.iter().any(|s| {
            matches!(
                s.transactionality,
                Transactionality::Begin | Transactionality::Commit
            )
        });
        let mut in_file_transaction = false;
        for (statement, report) in script.statements.iter().zip(&direction.statements) {
            for lock in &report.locks {
                if LockMode::from_pg_locks_name(&lock.mode)
                    .is_some_and(|m| WRITING_MODES.contains(&m))
                {
                    written.tables.insert(split_qualified(&lock.relation));
                }
            }
            for relation in &report.rewrites {
                written.tables.insert(split_qualified(relation));
            }
            let in_transaction = match statement.transactionality {
                Transactionality::Begin => {
                    in_file_transaction = report.ok;
                    true
                }
                Transactionality::Commit => {
                    in_file_transaction = false;
                    true
                }
                Transactionality::NonTransactional => false,
                Transactionality::Transactional => !as_written || in_file_transaction,
            };
            if !in_transaction
                && !QueryKind::of(&statement.sql).is_some_and(|k| k.cannot_change_rows())
            {
                written.everything = true;
            }
        }
        written
    }

    fn nothing(&self) -> bool {
        self.tables.is_empty() && !self.everything
    }
}

/// `schema.name` as the probe spells a relation (each part quoted where needed), unquoted.
fn split_qualified(relation: &str) -> Table {
    let mut parts = Vec::new();
    let mut part = String::new();
    let mut chars = relation.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                part.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            '.' if !quoted => parts.push(std::mem::take(&mut part)),
            c => part.push(c),
        }
    }
    parts.push(part);
    let name = parts.pop().unwrap_or_default();
    (parts.pop().unwrap_or_default(), name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrations::Statement;
    use crate::report::{LockReport, StatementReport};

    fn statement(sql: &str, transactionality: Transactionality) -> Statement {
        Statement {
            sql: sql.into(),
            line: 1,
            transactionality,
        }
    }

    fn report(locks: &[(&str, &str)], rewrites: &[&str]) -> StatementReport {
        StatementReport {
            ok: true,
            locks: locks
                .iter()
                .map(|(relation, mode)| LockReport {
                    relation: relation.to_string(),
                    mode: mode.to_string(),
                    ..Default::default()
                })
                .collect(),
            rewrites: rewrites.iter().map(|r| r.to_string()).collect(),
            ..Default::default()
        }
    }

    fn written(statements: Vec<(Statement, StatementReport)>) -> Written {
        let (statements, reports): (Vec<_>, Vec<_>) = statements.into_iter().unzip();
        let script = Script {
            path: "m.sql".into(),
            first_line: 1,
            statements,
            parse_error: None,
            bookkeeping: None,
        };
        Written::by(
            &script,
            &Direction {
                statements: reports,
                ..Default::default()
            },
        )
    }

    fn table(schema: &str, name: &str) -> Table {
        (schema.into(), name.into())
    }

    #[test]
    fn quoted_relation_names_are_split_and_unquoted() {
        assert_eq!(split_qualified("public.orders"), table("public", "orders"));
        assert_eq!(
            split_qualified("\"My.Schema\".\"say \"\"hi\"\"\""),
            table("My.Schema", "say \"hi\"")
        );
    }

    #[test]
    fn tables_locked_to_write_or_rewritten_are_written_and_weaker_locks_are_not() {
        let w = written(vec![
            (
                statement("UPDATE a SET x = 1", Transactionality::Transactional),
                report(
                    &[
                        ("public.a", "RowExclusiveLock"),
                        ("public.a_pkey", "RowExclusiveLock"),
                    ],
                    &[],
                ),
            ),
            (
                statement("CREATE INDEX ON b (x)", Transactionality::Transactional),
                report(&[("public.b", "ShareLock")], &[]),
            ),
            (
                statement("VACUUM c", Transactionality::NonTransactional),
                report(&[("public.c", "ShareUpdateExclusiveLock")], &[]),
            ),
            (
                statement(
                    "ALTER TABLE d ALTER x TYPE bigint",
                    Transactionality::Transactional,
                ),
                report(&[], &["public.d"]),
            ),
        ]);
        assert!(!w.everything);
        assert!(w.tables.contains(&table("public", "a")));
        assert!(!w.tables.contains(&table("public", "b")));
        assert!(!w.tables.contains(&table("public", "c")));
        assert!(w.tables.contains(&table("public", "d")));
    }

    #[test]
    fn a_write_outside_a_transaction_forgets_everything_and_an_index_build_does_not() {
        let concurrently = written(vec![(
            statement(
                "CREATE INDEX CONCURRENTLY i ON t (x)",
                Transactionality::NonTransactional,
            ),
            report(&[], &[]),
        )]);
        assert!(concurrently.nothing());
        // A file with its own BEGIN/COMMIT: the UPDATE before it ran in autocommit.
        let autocommit = written(vec![
            (
                statement("UPDATE t SET x = 1", Transactionality::Transactional),
                report(&[], &[]),
            ),
            (
                statement("BEGIN", Transactionality::Begin),
                report(&[], &[]),
            ),
            (
                statement("COMMIT", Transactionality::Commit),
                report(&[], &[]),
            ),
        ]);
        assert!(autocommit.everything);
        let inside = written(vec![
            (
                statement("BEGIN", Transactionality::Begin),
                report(&[], &[]),
            ),
            (
                statement(
                    "DO $$ BEGIN PERFORM 1; END $$",
                    Transactionality::Transactional,
                ),
                report(&[], &[]),
            ),
            (
                statement("COMMIT", Transactionality::Commit),
                report(&[], &[]),
            ),
        ]);
        assert!(inside.nothing(), "{inside:?}");
    }
}
