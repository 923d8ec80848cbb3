//! `--clone`: the url provider's scratch database starts as a copy of the URL's database, its
//! schema and its rows, so that migrations rehearse on staging's real data.
//!
//! Two ways, the cheapest that works on a live server:
//! - **template**: `CREATE DATABASE scratch TEMPLATE source`, a file-level copy inside the
//!   server. PostgreSQL allows it only while no other session is connected to the source (and to
//!   the source's owner or a superuser), and new sessions to the source wait while it copies.
//! - **copy**: the schema as `pg_dump` writes it (the real tool: every object kind PostgreSQL
//!   has, in dependency order), the rows streamed table by table, big tables in block ranges,
//!   with binary COPY on several connection pairs at once, all reading one exported snapshot so
//!   the copy is consistent; then indexes, constraints and triggers with `pg_restore -j`, the
//!   sequences' positions, and `ANALYZE` so the planner sees what staging's sees.
//!
//! What this module must never do: write to the source. Every connection to it is read-only
//! (`default_transaction_read_only`, and the snapshot's transaction is `READ ONLY`), `pg_dump`
//! runs with the same setting, and no statement here names the source except as a template or in
//! a `COPY … TO`. Nothing it creates outlives the run: the scratch database is dropped by the
//! caller's cleanup guard, registered before it exists; `pg_dump` and `pg_restore` die with it.

use super::{ConnectionInfo, ProvisionError};
use crate::identifier::literal;
use bytes::Bytes;
use futures_util::{SinkExt, TryStreamExt};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How the user asked the clone to be made.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum CloneMethod {
    /// `template` when nobody else is connected to the source, else `copy`.
    #[default]
    Auto,
    /// `CREATE DATABASE … TEMPLATE source` only.
    Template,
    /// Schema with pg_dump, rows with parallel binary COPY.
    Copy,
}

/// What a clone was, for the report.
#[derive(Debug, Clone)]
pub struct Cloned {
    /// The source database's name.
    pub source: String,
    /// `pg_database_size` of the source when the clone began.
    pub source_bytes: u64,
    /// `template` or `copy`: the way taken.
    pub method: &'static str,
    /// Why the way taken was taken, when auto chose copy.
    pub why: Option<String>,
    /// Tables whose rows were copied (every table, for a template).
    pub tables: u64,
    /// Bytes streamed through COPY (0 for a template).
    pub bytes_streamed: u64,
    pub seconds: f64,
    /// What the copy left out and why (large objects, database-level settings).
    pub notes: Vec<String>,
}

/// The number of connection pairs streaming rows when the user does not say.
pub const DEFAULT_JOBS: usize = 4;

/// Makes database `scratch` on `source`'s server a copy of `source` (the URL's database).
/// `scratch` must not exist yet; its drop must already be registered by the caller.
pub async fn clone_into(
    source: &ConnectionInfo,
    scratch: &str,
    method: CloneMethod,
    jobs: usize,
) -> Result<Cloned, ProvisionError> {
    let started = Instant::now();
    let admin = admin_connection(source).await?;
    let (source_bytes, mut others) = source_facts(&admin.client, &source.dbname).await?;
    // Sessions just closed (this run's own readiness check among them) take a moment to end:
    // only one still there after a second counts.
    for _ in 0..10 {
        if others == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        others = source_facts(&admin.client, &source.dbname).await?.1;
    }
    let try_template = match method {
        CloneMethod::Copy => None,
        CloneMethod::Template => Some(()),
        CloneMethod::Auto if others == 0 && admin.off_source => Some(()),
        CloneMethod::Auto => None,
    };
    let mut why = match method {
        CloneMethod::Auto if others > 0 => Some(format!(
            "{others} other session{} connected to {}, so it cannot be a template",
            if others == 1 { " is" } else { "s are" },
            source.dbname
        )),
        CloneMethod::Auto if !admin.off_source => Some(
            "no maintenance database (postgres, template1) accepts this role's connection, so the source cannot be a template".into(),
        ),
        _ => None,
    };
    if try_template.is_some() {
        let sql = format!(
            "CREATE DATABASE {} TEMPLATE {}",
            crate::identifier::quote(scratch),
            crate::identifier::quote(&source.dbname)
        );
        match admin.client.batch_execute(&sql).await {
            Ok(()) => {
                super::ownership::mark_database(&admin.client, scratch)
                    .await
                    .map_err(|e| {
                        ProvisionError::Failed(format!(
                            "could not mark the scratch database {scratch} as this run's: {}",
                            crate::server_text::of(&e)
                        ))
                    })?;
                return Ok(Cloned {
                    source: source.dbname.clone(),
                    source_bytes,
                    method: "template",
                    why: None,
                    tables: 0,
                    bytes_streamed: 0,
                    seconds: started.elapsed().as_secs_f64(),
                    notes: Vec::new(),
                });
            }
            Err(e) if method == CloneMethod::Auto => {
                why = Some(format!(
                    "CREATE DATABASE … TEMPLATE {} was refused ({})",
                    source.dbname,
                    crate::server_text::of(&e)
                ));
            }
            Err(e) => {
                return Err(ProvisionError::Failed(format!(
                    "--clone template: could not copy {} into a scratch database: {}",
                    source.dbname,
                    crate::server_text::of(&e)
                )))
            }
        }
    }
    if let Some(why) = &why {
        crate::say!("rehearse: clone of {} by copy: {why}", source.dbname);
    }
    let mut cloned = copy_into(source, &admin.client, scratch, jobs).await?;
    cloned.source_bytes = source_bytes;
    cloned.why = why;
    cloned.seconds = started.elapsed().as_secs_f64();
    Ok(cloned)
}

/// A connection that can create databases, on a maintenance database when one lets us in (a
/// template must have no session connected, ours included), else on the source itself.
struct Admin {
    client: tokio_postgres::Client,
    off_source: bool,
}

async fn admin_connection(source: &ConnectionInfo) -> Result<Admin, ProvisionError> {
    for name in ["postgres", "template1"] {
        if name == source.dbname {
            continue;
        }
        if let Ok(client) = source.with_dbname(name).connect().await {
            return Ok(Admin {
                client,
                off_source: true,
            });
        }
    }
    let client = source.connect_or_unavailable().await?;
    Ok(Admin {
        client,
        off_source: false,
    })
}

/// The source's size and how many other sessions are connected to it.
async fn source_facts(
    admin: &tokio_postgres::Client,
    source: &str,
) -> Result<(u64, i64), ProvisionError> {
    let row = admin
        .query_one(
            "SELECT pg_database_size($1::text)::bigint, \
                    (SELECT count(*) FROM pg_stat_activity \
                      WHERE datname = $1::text AND pid <> pg_backend_pid())",
            &[&source],
        )
        .await
        .map_err(|e| {
            ProvisionError::Failed(format!(
                "could not read the size of {source}: {}",
                crate::server_text::of(&e)
            ))
        })?;
    Ok((row.get::<_, i64>(0).max(0) as u64, row.get(1)))
}

/// Connects to the source so that nothing it runs can write: every transaction read-only.
pub async fn connect_read_only(
    source: &ConnectionInfo,
) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let mut config = source.config();
    config.options("-c default_transaction_read_only=on");
    let (client, connection) = config.connect(source.tls.connector.clone()).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

fn failed(what: &str) -> impl Fn(tokio_postgres::Error) -> ProvisionError + '_ {
    move |e| ProvisionError::Failed(format!("--clone: {what}: {}", crate::server_text::of(&e)))
}

/// One unit of row copying: a table, or a range of its blocks.
#[derive(Debug, Clone)]
struct Piece {
    table: String,
    columns: String,
    /// Blocks `[from, to)`; `to` None means to the end; both None means the whole table.
    from: Option<u64>,
    to: Option<u64>,
    bytes: u64,
}

/// Tables bigger than this are copied in block ranges, several at once.
const PIECE_BYTES: u64 = 128 * 1024 * 1024;

async fn copy_into(
    source: &ConnectionInfo,
    admin: &tokio_postgres::Client,
    scratch: &str,
    jobs: usize,
) -> Result<Cloned, ProvisionError> {
    let jobs = jobs.max(1);
    let tools = ClientTools::find(admin).await?;
    let coordinator = connect_read_only(source)
        .await
        .map_err(failed("could not connect to the source"))?;
    // One snapshot for pg_dump and every stream: the copy is the source at one moment.
    coordinator
        .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .await
        .map_err(failed("could not open the snapshot transaction"))?;
    let snapshot: String = coordinator
        .query_one("SELECT pg_export_snapshot()", &[])
        .await
        .map_err(failed("could not export a snapshot of the source"))?
        .get(0);
    let settings = coordinator
        .query_one(
            "SELECT pg_encoding_to_char(encoding), datcollate, datctype \
               FROM pg_database WHERE datname = current_database()",
            &[],
        )
        .await
        .map_err(failed("could not read the source's encoding"))?;
    let (encoding, collate, ctype): (String, String, String) =
        (settings.get(0), settings.get(1), settings.get(2));
    admin
        .batch_execute(&format!(
            "CREATE DATABASE {} TEMPLATE template0 ENCODING {} LC_COLLATE {} LC_CTYPE {}",
            crate::identifier::quote(scratch),
            literal(&encoding),
            literal(&collate),
            literal(&ctype)
        ))
        .await
        .map_err(failed("could not create the scratch database"))?;
    super::ownership::mark_database(admin, scratch)
        .await
        .map_err(failed("could not mark the scratch database as this run's"))?;
    let target = source.with_dbname(scratch);

    let folder = tempfile::Builder::new()
        .prefix("rehearse-clone-")
        .tempdir()
        .map_err(|e| ProvisionError::Failed(format!("--clone: no temporary folder: {e}")))?;
    let dump = folder.path().join("schema.dump");
    let t = Instant::now();
    tools.dump_schema(source, &snapshot, &dump).await?;
    tools.restore(&target, &dump, "pre-data", 1).await?;
    let schema_seconds = t.elapsed().as_secs_f64();

    let pieces = pieces(&coordinator).await?;
    let tables = pieces
        .iter()
        .map(|p| p.table.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .len() as u64;
    let total: u64 = pieces.iter().map(|p| p.bytes).sum();
    let t = Instant::now();
    let streamed = stream_rows(source, &target, &snapshot, pieces, jobs, total).await?;
    let rows_seconds = t.elapsed().as_secs_f64();
    let sequences = sequence_positions(&coordinator).await?;
    let mut notes = leftovers(&coordinator).await;
    drop(coordinator);

    let t = Instant::now();
    let scratch_client = target
        .connect()
        .await
        .map_err(failed("could not connect to the scratch database"))?;
    for (sequence, value) in &sequences {
        if let Err(e) = scratch_client
            .batch_execute(&format!(
                "SELECT setval({}, {value}, true)",
                literal(sequence)
            ))
            .await
        {
            notes.push(format!(
                "sequence {sequence} was left at its start: {}",
                crate::server_text::of(&e)
            ));
        }
    }
    tools.restore(&target, &dump, "post-data", jobs).await?;
    let post_seconds = t.elapsed().as_secs_f64();
    let t = Instant::now();
    scratch_client
        .batch_execute("ANALYZE")
        .await
        .map_err(failed("could not ANALYZE the clone"))?;
    crate::say!(
        "rehearse: clone of {}: schema {schema_seconds:.1}s, rows {rows_seconds:.1}s ({} in {tables} tables, {:.0} MB/s on {jobs} streams), indexes and constraints {post_seconds:.1}s, analyze {:.1}s",
        source.dbname,
        megabytes(streamed),
        streamed as f64 / 1e6 / rows_seconds.max(1e-3),
        t.elapsed().as_secs_f64()
    );
    Ok(Cloned {
        source: source.dbname.clone(),
        source_bytes: 0,
        method: "copy",
        why: None,
        tables,
        bytes_streamed: streamed,
        seconds: 0.0,
        notes,
    })
}

fn megabytes(bytes: u64) -> String {
    if bytes >= 1 << 30 {
        format!("{:.2} GB", bytes as f64 / (1u64 << 30) as f64)
    } else {
        format!("{:.1} MB", bytes as f64 / (1u64 << 20) as f64)
    }
}

/// The source's tables with rows of their own (ordinary tables and partitions; a partitioned
/// parent holds none), biggest first, big ones cut into block ranges. Extension members and
/// temporary tables are left out, as pg_dump leaves them.
async fn pieces(source: &tokio_postgres::Client) -> Result<Vec<Piece>, ProvisionError> {
    let tid_ranges = source
        .query_one(
            "SELECT current_setting('server_version_num')::int >= 140000",
            &[],
        )
        .await
        .map_err(failed("could not read the server version"))?
        .get::<_, bool>(0);
    let rows = source
        .query(
            "SELECT format('%I.%I', n.nspname, c.relname), \
                    (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) \
                       FROM pg_attribute a \
                      WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
                        AND a.attgenerated = ''), \
                    pg_relation_size(c.oid)::bigint, \
                    current_setting('block_size')::bigint \
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
              WHERE c.relkind = 'r' AND c.relpersistence <> 't' \
                AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
                AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%' \
                AND NOT EXISTS (SELECT 1 FROM pg_depend d \
                                 WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid \
                                   AND d.deptype = 'e') \
              ORDER BY 3 DESC, 1",
            &[],
        )
        .await
        .map_err(failed("could not list the source's tables"))?;
    let mut pieces = Vec::new();
    for row in rows {
        let table: String = row.get(0);
        let Some(columns) = row.get::<_, Option<String>>(1) else {
            continue; // a table without columns has no rows to copy
        };
        let bytes = row.get::<_, i64>(2).max(0) as u64;
        let block = row.get::<_, i64>(3).max(1) as u64;
        if !tid_ranges || bytes <= PIECE_BYTES {
            pieces.push(Piece {
                table,
                columns,
                from: None,
                to: None,
                bytes,
            });
            continue;
        }
        let blocks = bytes / block;
        let per_piece = (PIECE_BYTES / block).max(1);
        let mut from = 0;
        while from < blocks {
            let to = from + per_piece;
            pieces.push(Piece {
                table: table.clone(),
                columns: columns.clone(),
                from: Some(from),
                // The last range is open: rows in blocks past the size read above still come.
                to: (to < blocks).then_some(to),
                bytes: (to.min(blocks) - from) * block,
            });
            from = to;
        }
    }
    Ok(pieces)
}

impl Piece {
    fn copy_out(&self) -> String {
        let condition = match (self.from, self.to) {
            (None, _) => {
                return format!(
                    "COPY {} ({}) TO STDOUT (FORMAT binary)",
                    self.table, self.columns
                )
            }
            (Some(from), None) => format!("ctid >= '({from},0)'::tid"),
            (Some(from), Some(to)) => {
                format!("ctid >= '({from},0)'::tid AND ctid < '({to},0)'::tid")
            }
        };
        format!(
            "COPY (SELECT {} FROM ONLY {} WHERE {condition}) TO STDOUT (FORMAT binary)",
            self.columns, self.table
        )
    }

    fn copy_in(&self) -> String {
        format!(
            "COPY {} ({}) FROM STDIN (FORMAT binary)",
            self.table, self.columns
        )
    }
}

/// Streams every piece from the source into the scratch database on `jobs` connection pairs,
/// biggest first, each source connection inside the exported snapshot.
async fn stream_rows(
    source: &ConnectionInfo,
    target: &ConnectionInfo,
    snapshot: &str,
    pieces: Vec<Piece>,
    jobs: usize,
    total: u64,
) -> Result<u64, ProvisionError> {
    let queue = Arc::new(Mutex::new(pieces.into_iter().collect::<VecDeque<_>>()));
    let streamed = Arc::new(AtomicU64::new(0));
    let reporter = Reporter::start(streamed.clone(), total);
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..jobs {
        let (source, target, snapshot) = (source.clone(), target.clone(), snapshot.to_string());
        let (queue, streamed) = (queue.clone(), streamed.clone());
        workers.spawn(async move {
            let from = connect_read_only(&source)
                .await
                .map_err(failed("could not connect to the source"))?;
            from.batch_execute(&format!(
                "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT {}",
                literal(&snapshot)
            ))
            .await
            .map_err(failed("could not join the source's snapshot"))?;
            let into = target
                .connect()
                .await
                .map_err(failed("could not connect to the scratch database"))?;
            loop {
                let next = queue.lock().unwrap_or_else(|p| p.into_inner()).pop_front();
                let Some(piece) = next else { break };
                copy_piece(&from, &into, &piece, &streamed)
                    .await
                    .map_err(|e| {
                        ProvisionError::Failed(format!(
                            "--clone: copying the rows of {} failed: {}",
                            piece.table,
                            crate::server_text::of(&e)
                        ))
                    })?;
            }
            let _ = from.batch_execute("COMMIT").await;
            Ok::<(), ProvisionError>(())
        });
    }
    let mut outcome = Ok(());
    while let Some(joined) = workers.join_next().await {
        let result = joined.unwrap_or_else(|e| {
            Err(ProvisionError::Failed(format!(
                "--clone: a copy stream stopped: {e}"
            )))
        });
        if let (Err(e), Ok(())) = (result, &outcome) {
            // The first failure ends the copy: the other streams are dropped with the set.
            outcome = Err(e);
            workers.abort_all();
        }
    }
    reporter.finish();
    outcome.map(|()| streamed.load(Ordering::Relaxed))
}

async fn copy_piece(
    from: &tokio_postgres::Client,
    into: &tokio_postgres::Client,
    piece: &Piece,
    streamed: &AtomicU64,
) -> Result<(), tokio_postgres::Error> {
    let rows = from.copy_out(&piece.copy_out()).await?.inspect_ok(|chunk| {
        streamed.fetch_add(chunk.len() as u64, Ordering::Relaxed);
    });
    let sink = into.copy_in::<_, Bytes>(&piece.copy_in()).await?;
    futures_util::pin_mut!(rows, sink);
    // Fed without a flush per chunk (send would flush each): the socket takes them in bulk.
    sink.send_all(&mut rows).await?;
    sink.finish().await?;
    Ok(())
}

/// Progress of the row streams: a bar with MB/s on a terminal, a line every five seconds in a
/// log.
struct Reporter {
    bar: Option<indicatif::ProgressBar>,
    task: tokio::task::JoinHandle<()>,
}

impl Reporter {
    fn start(streamed: Arc<AtomicU64>, total: u64) -> Reporter {
        use std::io::IsTerminal;
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(total);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "clone {bar:30} {bytes}/~{total_bytes} {binary_bytes_per_sec} ETA {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar
        });
        let shown = bar.clone();
        let task = tokio::spawn(async move {
            let started = Instant::now();
            let mut last_line = Instant::now();
            loop {
                tokio::time::sleep(Duration::from_millis(200)).await;
                let done = streamed.load(Ordering::Relaxed);
                match &shown {
                    Some(bar) => bar.set_position(done.min(total.max(done))),
                    None if last_line.elapsed() >= Duration::from_secs(5) => {
                        last_line = Instant::now();
                        crate::say!(
                            "rehearse: clone: {} of about {} streamed, {:.0} MB/s",
                            megabytes(done),
                            megabytes(total),
                            done as f64 / 1e6 / started.elapsed().as_secs_f64().max(1e-3)
                        );
                    }
                    None => {}
                }
            }
        });
        Reporter { bar, task }
    }

    fn finish(self) {
        self.task.abort();
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Where each sequence of the source stands (pg_dump's data section holds these; the schema
/// sections do not). Sequences never used keep their start.
async fn sequence_positions(
    source: &tokio_postgres::Client,
) -> Result<Vec<(String, i64)>, ProvisionError> {
    let rows = source
        .query(
            "SELECT format('%I.%I', schemaname, sequencename), last_value \
               FROM pg_sequences WHERE last_value IS NOT NULL \
                AND schemaname NOT IN ('pg_catalog', 'information_schema')",
            &[],
        )
        .await
        .map_err(failed("could not read the source's sequences"))?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// What the copy does not carry, said rather than silently dropped.
async fn leftovers(source: &tokio_postgres::Client) -> Vec<String> {
    let mut notes = Vec::new();
    let count = |sql: &'static str| async move {
        source
            .query_one(sql, &[])
            .await
            .map(|r| r.get::<_, i64>(0))
            .unwrap_or(0)
    };
    let objects = count("SELECT count(*) FROM pg_largeobject_metadata").await;
    if objects > 0 {
        notes.push(format!(
            "{objects} large objects of the source were not copied"
        ));
    }
    let settings = count(
        "SELECT count(*) FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase \
          WHERE d.datname = current_database()",
    )
    .await;
    if settings > 0 {
        notes.push(
            "the source's database-level settings (ALTER DATABASE … SET) were not copied".into(),
        );
    }
    notes
}

/// `pg_dump` and `pg_restore` of a major version at least the server's (an older pg_dump
/// refuses a newer server).
struct ClientTools {
    bindir: PathBuf,
}

impl ClientTools {
    async fn find(server: &tokio_postgres::Client) -> Result<ClientTools, ProvisionError> {
        let server_major = server
            .query_one(
                "SELECT current_setting('server_version_num')::int / 10000",
                &[],
            )
            .await
            .map_err(failed("could not read the server version"))?
            .get::<_, i32>(0) as u32;
        let mut candidates: Vec<PathBuf> = Vec::new();
        if let Some(path) = std::env::var_os("PATH") {
            for dir in std::env::split_paths(&path) {
                if let Ok(real) = std::fs::canonicalize(dir.join("pg_dump")) {
                    if let Some(parent) = real.parent() {
                        candidates.push(parent.to_path_buf());
                    }
                }
            }
        }
        for root in ["/usr/lib/postgresql", "/usr/pgsql"] {
            if let Ok(entries) = std::fs::read_dir(root) {
                candidates.extend(entries.flatten().map(|e| e.path().join("bin")));
            }
        }
        let mut found: Vec<(u32, PathBuf)> = candidates
            .into_iter()
            .filter(|d| d.join("pg_dump").is_file() && d.join("pg_restore").is_file())
            .filter_map(|d| Some((tool_major(&d.join("pg_dump"))?, d)))
            .filter(|(major, _)| *major >= server_major)
            .collect();
        found.sort_by_key(|(major, _)| *major);
        match found.into_iter().next() {
            Some((_, bindir)) => Ok(ClientTools { bindir }),
            None => Err(ProvisionError::Unavailable(format!(
                "--clone copies the schema with pg_dump and pg_restore, and none of version {server_major} or newer is on PATH or in /usr/lib/postgresql (install postgresql-client-{server_major})"
            ))),
        }
    }

    /// Environment for a tool reaching `conn`: the password never on a command line.
    fn command(&self, tool: &str, conn: &ConnectionInfo) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(self.bindir.join(tool));
        command
            .env("PGHOST", &conn.host)
            .env("PGPORT", conn.port.to_string())
            .env("PGUSER", &conn.user)
            .env("PGDATABASE", &conn.dbname)
            .env("PGAPPNAME", "rehearse")
            .env_remove("PGPASSWORD")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true);
        if let Some(p) = &conn.password {
            command.env("PGPASSWORD", p);
        }
        command
    }

    async fn dump_schema(
        &self,
        source: &ConnectionInfo,
        snapshot: &str,
        into: &Path,
    ) -> Result<(), ProvisionError> {
        let mut command = self.command("pg_dump", source);
        command
            .env("PGOPTIONS", "-c default_transaction_read_only=on")
            .arg("--schema-only")
            .arg("--format=custom")
            .arg(format!("--snapshot={snapshot}"))
            .arg("--file")
            .arg(into);
        run(command, "pg_dump --schema-only of the source").await
    }

    async fn restore(
        &self,
        target: &ConnectionInfo,
        dump: &Path,
        section: &str,
        jobs: usize,
    ) -> Result<(), ProvisionError> {
        let mut command = self.command("pg_restore", target);
        command
            .arg(format!("--section={section}"))
            .arg("--no-owner")
            .arg("--exit-on-error")
            .arg(format!("--jobs={}", jobs.max(1)))
            .arg("--dbname")
            .arg(&target.dbname)
            .arg(dump);
        run(
            command,
            &format!("pg_restore --section={section} into the scratch database"),
        )
        .await
    }
}

async fn run(mut command: tokio::process::Command, what: &str) -> Result<(), ProvisionError> {
    let output = command.output().await.map_err(|e| {
        ProvisionError::Unavailable(format!("--clone: {what} could not start: {e}"))
    })?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let first = stderr
        .lines()
        .find(|l| l.contains("error"))
        .or_else(|| stderr.lines().next())
        .unwrap_or("no message");
    Err(ProvisionError::Failed(format!(
        "--clone: {what} failed: {}",
        crate::redact::redact(first.trim())
    )))
}

/// The major version `pg_dump --version` prints ("pg_dump (PostgreSQL) 15.18 (Debian …)").
fn tool_major(binary: &Path) -> Option<u32> {
    let out = std::process::Command::new(binary)
        .arg("--version")
        .output()
        .ok()?;
    parse_major(&String::from_utf8_lossy(&out.stdout))
}

fn parse_major(version_line: &str) -> Option<u32> {
    version_line
        .split_whitespace()
        .find(|w| w.starts_with(|c: char| c.is_ascii_digit()))?
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_of_client_tools_are_read_from_their_banner() {
        assert_eq!(
            parse_major("pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"),
            Some(15)
        );
        assert_eq!(parse_major("pg_restore (PostgreSQL) 18beta1"), Some(18));
        assert_eq!(parse_major("nonsense"), None);
    }

    #[test]
    fn a_piece_reads_its_block_range_and_the_last_one_is_open() {
        let piece = |from, to| Piece {
            table: "public.t".into(),
            columns: "id, \"Name\"".into(),
            from,
            to,
            bytes: 0,
        };
        assert_eq!(
            piece(None, None).copy_out(),
            "COPY public.t (id, \"Name\") TO STDOUT (FORMAT binary)"
        );
        assert_eq!(
            piece(Some(0), Some(10)).copy_out(),
            "COPY (SELECT id, \"Name\" FROM ONLY public.t WHERE ctid >= '(0,0)'::tid AND ctid < '(10,0)'::tid) TO STDOUT (FORMAT binary)"
        );
        assert!(piece(Some(10), None)
            .copy_out()
            .ends_with("WHERE ctid >= '(10,0)'::tid) TO STDOUT (FORMAT binary)"));
        assert_eq!(
            piece(Some(10), None).copy_in(),
            "COPY public.t (id, \"Name\") FROM STDIN (FORMAT binary)"
        );
    }
}
