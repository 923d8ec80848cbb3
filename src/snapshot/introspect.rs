//! Catalog introspection: one bulk query per object kind, sent together on one connection inside
//! one read-only repeatable-read transaction, decoded into the [`Snapshot`] model.
//!
//! Never one query per table: the cost must grow with the catalog, not with round trips, so a
//! 10,000-table schema is read in about the time a handful of scans of `pg_class` take.
//! Introspection reads the system catalogs only: it never reads table rows and never writes.

use super::catalog_sql::{queries, COLUMNS, INDEXES, QUERY_COUNT, SMALL_KINDS};
use super::model::*;
use std::collections::{BTreeMap, HashMap};
use tokio_postgres::{Client, Row};

/// Every read runs in a read-only repeatable-read transaction with an empty `search_path` (so
/// every name in a definition is schema-qualified, whatever the session's settings) and enough
/// `work_mem` that no sort spills, without parallel workers (the deparsing functions run in the
/// leader anyway, and the parallel snapshot already keeps the cores busy with its own
/// connections) and without JIT (past a few thousand tables the catalog queries cost enough to
/// be compiled, and compiling took longer than the query: 75 ms of a 185 ms query at 5,000
/// tables). The settings query also answers the server's version, which
/// decides the catalog columns a query may name.
const BEGIN: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
const SETTINGS: &str = "SELECT pg_catalog.set_config('search_path', '', true), \
     pg_catalog.set_config('work_mem', '64MB', true), \
     pg_catalog.set_config('max_parallel_workers_per_gather', '0', true), \
     pg_catalog.set_config('jit', 'off', true), \
     pg_catalog.current_setting('server_version_num'), \
     (SELECT pg_catalog.string_agg(name, ' ') FROM pg_catalog.pg_prepared_statements \
       WHERE name LIKE 'rehearse\\_snapshot\\_%')";

/// What the settings query answers: the server's version and the snapshot statements the
/// session has prepared already.
struct Session {
    /// `server_version_num`; the newest when the server does not say, so a query names a
    /// column rather than miss one.
    version: i32,
    prepared: std::collections::HashSet<String>,
}

/// Runs `statements` (ending with [`SETTINGS`]) in one round trip.
async fn begin(client: &Client, statements: &str) -> Result<Session, tokio_postgres::Error> {
    let messages = client.simple_query(statements).await?;
    let row = messages.iter().find_map(|m| match m {
        tokio_postgres::SimpleQueryMessage::Row(r) => Some(r),
        _ => None,
    });
    Ok(Session {
        version: row
            .and_then(|r| r.get(4))
            .and_then(|v| v.parse().ok())
            .unwrap_or(i32::MAX),
        prepared: row
            .and_then(|r| r.get(5))
            .map(|names| names.split(' ').map(str::to_string).collect())
            .unwrap_or_default(),
    })
}

/// The name a query is prepared under in a session: its place and a hash of its text, so a
/// statement prepared from another text (another server version) is never taken for it.
fn prepared_name(i: usize, sql: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    sql.hash(&mut h);
    format!("rehearse_snapshot_{i}_{:016x}", h.finish())
}

/// Sends every query of a snapshot as the session's prepared statement, preparing first (in
/// one round trip) those the session does not hold yet.
///
/// Planning these catalog queries costs about four times what running them does on a small
/// schema (about 22 ms of 30 per snapshot, four snapshots per migration): a statement without
/// parameters keeps its generic plan in the session, so a session that snapshots again only
/// runs them. `PREPARE` is SQL, not the protocol's: the session itself says what it holds
/// (`pg_prepared_statements`, read in [`begin`]'s round trip), so a migration that runs
/// `DEALLOCATE ALL` or `DISCARD ALL` costs a new plan, never a wrong answer; and `PREPARE`
/// outlives a rolled-back transaction or savepoint. The plans read the system catalogs only;
/// PostgreSQL replans them when a catalog they read is invalidated.
async fn run_prepared(
    client: &Client,
    session: &Session,
) -> Result<Vec<(usize, Vec<Row>)>, tokio_postgres::Error> {
    let all = queries(session.version);
    let names: Vec<String> = all
        .iter()
        .enumerate()
        .map(|(i, sql)| prepared_name(i, sql))
        .collect();
    let missing: Vec<String> = all
        .iter()
        .zip(&names)
        .filter(|(_, name)| !session.prepared.contains(*name))
        .map(|(sql, name)| format!("PREPARE {name} AS {sql}"))
        .collect();
    if !missing.is_empty() {
        client.batch_execute(&missing.join(";\n")).await?;
    }
    let executes: Vec<String> = names.iter().map(|n| format!("EXECUTE {n}")).collect();
    let which: Vec<usize> = (0..executes.len()).collect();
    run(client, &executes, &which).await
}

/// Sends the queries numbered `which` together (the connection pipelines them).
async fn run(
    client: &Client,
    all: &[String],
    which: &[usize],
) -> Result<Vec<(usize, Vec<Row>)>, tokio_postgres::Error> {
    futures_util::future::try_join_all(
        which
            .iter()
            .map(|&i| async move { client.query(&all[i], &[]).await.map(|rows| (i, rows)) }),
    )
    .await
}

/// Reads the schema as the open transaction of `client` sees it (`--in-transaction`), under a
/// savepoint that is rolled back afterwards, so the snapshot's settings (an empty search_path)
/// never reach the migration's statements and a failed query never aborts the transaction.
pub async fn snapshot_within(client: &Client) -> Result<Snapshot, tokio_postgres::Error> {
    let session = begin(client, &format!("SAVEPOINT rehearse_snapshot; {SETTINGS}")).await?;
    let result = run_prepared(client, &session).await;
    let ended = client
        .batch_execute(
            "ROLLBACK TO SAVEPOINT rehearse_snapshot; RELEASE SAVEPOINT rehearse_snapshot",
        )
        .await;
    let rows = result?;
    ended?;
    Ok(decode(rows))
}

/// Reads the schema of the database `client` is connected to, on that one connection, with the
/// session's prepared statements ([`run_prepared`]).
///
/// The client must not be inside a transaction.
pub async fn snapshot(client: &Client) -> Result<Snapshot, tokio_postgres::Error> {
    let session = begin(client, &format!("{BEGIN}; {SETTINGS}")).await?;
    let result = run_prepared(client, &session).await;
    let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
    let ended = client.batch_execute(end).await;
    let rows = result?;
    ended?;
    Ok(decode(rows))
}

/// Reads the schema of the database `connection` names on three connections that share one
/// exported snapshot (`pg_export_snapshot`), so the result is the same consistent view as
/// [`snapshot`] gives, in about the time of the slowest query instead of the sum of all: the
/// columns, the indexes and everything else each get their own server process.
pub async fn snapshot_parallel(
    connection: &crate::provision::ConnectionInfo,
) -> Result<Snapshot, tokio_postgres::Error> {
    let connect = || connection.connect();
    let (main, columns, indexes) = tokio::try_join!(connect(), connect(), connect())?;
    let version = begin(&main, &format!("{BEGIN}; {SETTINGS}")).await?.version;
    let exported: String = main
        .query_one("SELECT pg_catalog.pg_export_snapshot()", &[])
        .await?
        .get(0);
    let join = format!("{BEGIN}; SET TRANSACTION SNAPSHOT '{exported}'; {SETTINGS}");
    tokio::try_join!(columns.batch_execute(&join), indexes.batch_execute(&join))?;
    let all = queries(version);
    let rest: Vec<usize> = (0..all.len())
        .filter(|i| *i != COLUMNS && *i != INDEXES && !SMALL_KINDS.contains(i))
        .collect();
    let beside_indexes: Vec<usize> = std::iter::once(INDEXES).chain(SMALL_KINDS).collect();
    let (mut rows, c, i) = tokio::try_join!(
        run(&main, &all, &rest),
        run(&columns, &all, &[COLUMNS]),
        run(&indexes, &all, &beside_indexes),
    )?;
    rows.extend(c);
    rows.extend(i);
    // Read-only transactions: how they end changes nothing, and the connections close on drop.
    Ok(decode(rows))
}

/// The snapshot model from each query's rows, decoded kind by kind in the queries' order.
fn decode(rows: Vec<(usize, Vec<Row>)>) -> Snapshot {
    let mut by_query: Vec<Vec<Row>> = (0..QUERY_COUNT).map(|_| Vec::new()).collect();
    for (i, r) in rows {
        by_query[i] = r;
    }
    let mut take = by_query.into_iter();
    let mut next = || take.next().unwrap_or_default();
    let (schemas, extensions, relations, columns, constraints, indexes) =
        (next(), next(), next(), next(), next(), next());
    let (triggers, policies, rules, sequences, functions, types) =
        (next(), next(), next(), next(), next(), next());
    let (statistics, default_privileges, event_triggers) = (next(), next(), next());
    let (collations, publications) = (next(), next());
    let (casts, text_search, foreign) = (next(), next(), next());

    let mut s = Snapshot {
        format: FORMAT,
        ..Default::default()
    };
    decode_schemas(&mut s, schemas);
    decode_extensions(&mut s, extensions);
    let names = decode_relations(&mut s, relations);
    decode_columns(&mut s, &names, columns);
    decode_constraints(&mut s, &names, constraints);
    decode_triggers(&mut s, &names, triggers);
    decode_policies(&mut s, &names, policies);
    decode_rules(&mut s, &names, rules);
    decode_indexes(&mut s, &names, indexes);
    decode_sequences(&mut s, sequences);
    decode_functions(&mut s, functions);
    decode_types(&mut s, types);
    for r in default_privileges {
        s.default_privileges.insert(r.get(0), r.get(1));
    }
    s.statistics = definitions(statistics);
    s.event_triggers = definitions(event_triggers);
    s.collations = definitions(collations);
    s.publications = definitions(publications);
    s.casts = definitions(casts);
    s.text_search = definitions(text_search);
    s.foreign = definitions(foreign);
    without_bookkeeping(&mut s);
    s
}

/// Schemas by name: owner, privileges and comment.
fn decode_schemas(s: &mut Snapshot, rows: Vec<Row>) {
    for r in rows {
        s.schemas.insert(
            r.get(0),
            Schema {
                owner: r.get(1),
                acl: sorted(r.get(2)),
                comment: r.get(3),
            },
        );
    }
}

/// Extensions by name: version and schema.
fn decode_extensions(s: &mut Snapshot, rows: Vec<Row>) {
    for r in rows {
        s.extensions.insert(
            r.get(0),
            Extension {
                version: r.get(1),
                schema: r.get(2),
            },
        );
    }
}

/// Relations (tables, views, ...) by name, still without their sub-objects; answers the name
/// of each relation's OID, which the sub-objects' rows name their relation by.
fn decode_relations(s: &mut Snapshot, rows: Vec<Row>) -> HashMap<u32, String> {
    // OIDs join the rows of one read together; none of them is kept in the model.
    let mut names: HashMap<u32, String> = HashMap::with_capacity(rows.len());
    for r in rows {
        let kind: String = r.get(1);
        let persistence: String = r.get(2);
        names.insert(r.get(15), r.get(0));
        s.relations.insert(
            r.get(0),
            Relation {
                kind: relation_kind(&kind).to_string(),
                persistence: persistence_name(&persistence).to_string(),
                partition_key: r.get(3),
                partition_of: r.get(4),
                partition_bound: r.get(5),
                inherits: r.get(6),
                options: sorted(r.get(7)),
                rls_enabled: r.get(8),
                rls_forced: r.get(9),
                replica_identity: r.get(10),
                owner: r.get(11),
                acl: sorted(r.get(12)),
                comment: r.get(13),
                definition: r.get(14),
                ..Default::default()
            },
        );
    }
    names
}

/// Each relation's columns, in physical (attnum) order.
fn decode_columns(s: &mut Snapshot, names: &HashMap<u32, String>, rows: Vec<Row>) {
    // Rows of sub-objects name their relation; a relation that vanished between two queries
    // cannot happen inside the repeatable-read transaction, but is skipped rather than trusted.
    // Rows come unordered (sorting them in the server costs more); physical order is attnum.
    let mut physical: Vec<(u32, i16, Column)> = rows
        .iter()
        .map(|r| {
            let column = Column {
                name: r.get(1),
                data_type: r.get(2),
                collation: r.get(3),
                not_null: r.get(4),
                default: r.get(5),
                identity: r.get(6),
                generated: r.get(7),
                storage: r.get(8),
                statistics: r.get(9),
                options: sorted(r.get(10)),
                acl: sorted(r.get(11)),
                comment: r.get(12),
            };
            (r.get::<_, u32>(0), r.get::<_, i16>(13), column)
        })
        .collect();
    physical.sort_by_key(|(oid, attnum, _)| (*oid, *attnum));
    for (oid, _, column) in physical {
        if let Some(relation) = names.get(&oid).and_then(|n| s.relations.get_mut(n)) {
            relation.columns.push(column);
        }
    }
}

/// Hands each row to `f` with the relation its first column (an OID) names; a row whose
/// relation is unknown is skipped.
fn by_relation(
    s: &mut Snapshot,
    names: &HashMap<u32, String>,
    rows: Vec<Row>,
    mut f: impl FnMut(&mut Relation, &Row),
) {
    for r in rows {
        let oid: u32 = r.get(0);
        if let Some(relation) = names.get(&oid).and_then(|n| s.relations.get_mut(n)) {
            f(relation, &r);
        }
    }
}

/// Each relation's constraints by name: kind, definition, deferrability, validity.
fn decode_constraints(s: &mut Snapshot, names: &HashMap<u32, String>, rows: Vec<Row>) {
    by_relation(s, names, rows, |rel, r| {
        let kind: String = r.get(2);
        rel.constraints.insert(
            r.get(1),
            Constraint {
                kind: constraint_kind(&kind).to_string(),
                definition: r.get(3),
                deferrable: r.get(4),
                deferred: r.get(5),
                validated: r.get(6),
                comment: r.get(7),
                index_options: sorted(r.get::<_, Option<Vec<String>>>(8).unwrap_or_default()),
            },
        );
    });
}

/// Each relation's triggers by name: definition and enabled state.
fn decode_triggers(s: &mut Snapshot, names: &HashMap<u32, String>, rows: Vec<Row>) {
    by_relation(s, names, rows, |rel, r| {
        rel.triggers.insert(
            r.get(1),
            Trigger {
                definition: r.get(2),
                enabled: r.get(3),
                comment: r.get(4),
            },
        );
    });
}

/// Each relation's row-level security policies by name.
fn decode_policies(s: &mut Snapshot, names: &HashMap<u32, String>, rows: Vec<Row>) {
    by_relation(s, names, rows, |rel, r| {
        let cmd: String = r.get(2);
        rel.policies.insert(
            r.get(1),
            Policy {
                command: policy_command(&cmd).to_string(),
                permissive: r.get(3),
                roles: r.get(4),
                using: r.get(5),
                with_check: r.get(6),
                comment: r.get(7),
            },
        );
    });
}

/// Each relation's rewrite rules: name to definition.
fn decode_rules(s: &mut Snapshot, names: &HashMap<u32, String>, rows: Vec<Row>) {
    by_relation(s, names, rows, |rel, r| {
        rel.rules.insert(r.get(1), r.get(2));
    });
}

/// Indexes by name, on a known table; an index backing a constraint is described by the
/// constraint's definition (so it needs the constraints decoded first).
fn decode_indexes(s: &mut Snapshot, names: &HashMap<u32, String>, rows: Vec<Row>) {
    for r in rows {
        let Some(table) = names.get(&r.get::<_, u32>(1)) else {
            continue;
        };
        let definition = match r.get::<_, Option<String>>(9) {
            // Backs a constraint: the constraint's definition describes the index.
            Some(constraint) => s.relations[table]
                .constraints
                .get(&constraint)
                .map(|k| {
                    let mut d = format!("CONSTRAINT {constraint} {}", k.definition);
                    if !k.index_options.is_empty() {
                        d.push_str(&format!(" WITH ({})", k.index_options.join(", ")));
                    }
                    d
                })
                .unwrap_or_default(),
            None => r.get::<_, Option<String>>(2).unwrap_or_default(),
        };
        s.indexes.insert(
            r.get(0),
            Index {
                table: table.clone(),
                definition,
                unique: r.get(3),
                primary: r.get(4),
                valid: r.get(5),
                clustered: r.get(6),
                predicate: r.get(7),
                comment: r.get(8),
            },
        );
    }
}

/// Sequences by name: type, bounds, step, cache, owner column and persistence.
fn decode_sequences(s: &mut Snapshot, rows: Vec<Row>) {
    for r in rows {
        let persistence: String = r.get(12);
        s.sequences.insert(
            r.get(0),
            Sequence {
                persistence: persistence_name(&persistence).to_string(),
                data_type: r.get(1),
                start: r.get(2),
                increment: r.get(3),
                min: r.get(4),
                max: r.get(5),
                cache: r.get(6),
                cycle: r.get(7),
                owned_by: r.get(8),
                owner: r.get(9),
                acl: sorted(r.get(10)),
                comment: r.get(11),
            },
        );
    }
}

/// Functions, procedures and aggregates by signature: kind, definition and result.
fn decode_functions(s: &mut Snapshot, rows: Vec<Row>) {
    for r in rows {
        let kind: String = r.get(1);
        s.functions.insert(
            r.get(0),
            Function {
                kind: function_kind(&kind).to_string(),
                definition: r.get(2),
                result: r.get(3),
                owner: r.get(4),
                acl: sorted(r.get(5)),
                comment: r.get(6),
            },
        );
    }
}

/// User-defined types by name: enum labels, a domain's base and constraints, a composite's
/// attributes.
fn decode_types(s: &mut Snapshot, rows: Vec<Row>) {
    for r in rows {
        let kind: String = r.get(1);
        let names: Vec<String> = r.get(7);
        let defs: Vec<String> = r.get(8);
        s.types.insert(
            r.get(0),
            Type {
                kind: type_kind(&kind).to_string(),
                labels: r.get(2),
                base: r.get(3),
                not_null: r.get(4),
                default: r.get(5),
                collation: r.get(6),
                constraints: names.into_iter().zip(defs).collect::<BTreeMap<_, _>>(),
                attributes: r.get(9),
                owner: r.get(10),
                acl: sorted(r.get(11)),
                comment: r.get(12),
            },
        );
    }
}

/// Leaves out the migration tool's bookkeeping table (marked by its comment, see
/// `migrations::bookkeeping`) and its indexes: it is the tool's, so neither the schema nor the
/// data verdict may count it.
fn without_bookkeeping(s: &mut Snapshot) {
    let marker = crate::migrations::BOOKKEEPING_MARKER;
    let tool_tables: Vec<String> = s
        .relations
        .iter()
        .filter(|(_, r)| r.comment.as_deref() == Some(marker))
        .map(|(name, _)| name.clone())
        .collect();
    for table in &tool_tables {
        s.relations.remove(table);
    }
    s.indexes.retain(|_, i| !tool_tables.contains(&i.table));
}

/// Rows of (name, definition) as the model's map of them.
fn definitions(rows: Vec<Row>) -> BTreeMap<String, String> {
    rows.iter().map(|r| (r.get(0), r.get(1))).collect()
}

/// How `relpersistence` reads in the model: `u` is unlogged, anything else permanent.
fn persistence_name(p: &str) -> &'static str {
    if p == "u" {
        "unlogged"
    } else {
        "permanent"
    }
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn relation_kind(k: &str) -> &'static str {
    match k {
        "r" => "table",
        "p" => "partitioned table",
        "f" => "foreign table",
        "v" => "view",
        "m" => "materialized view",
        _ => "relation",
    }
}

fn constraint_kind(k: &str) -> &'static str {
    match k {
        "p" => "primary key",
        "u" => "unique",
        "c" => "check",
        "f" => "foreign key",
        "x" => "exclusion",
        "t" => "trigger",
        _ => "constraint",
    }
}

fn policy_command(k: &str) -> &'static str {
    match k {
        "r" => "SELECT",
        "a" => "INSERT",
        "w" => "UPDATE",
        "d" => "DELETE",
        _ => "ALL",
    }
}

fn function_kind(k: &str) -> &'static str {
    match k {
        "p" => "procedure",
        "a" => "aggregate",
        "w" => "window",
        _ => "function",
    }
}

fn type_kind(k: &str) -> &'static str {
    match k {
        "e" => "enum",
        "d" => "domain",
        "c" => "composite",
        "r" => "range",
        _ => "type",
    }
}
