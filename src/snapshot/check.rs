//! The rollback check the rehearsal runs: capture the schema and data before the forward, then
//! compare what the rollback left against it.
//!
//! The data half signs only the tables the migration could have changed ([`super::scope`] has
//! the argument): the ones its scripts may change the layout of are signed before the forward;
//! the ones it wrote are found afterwards by their `RowExclusiveLock` and read as they were
//! through a snapshot held open across the forward and the rollback; every other table is proven
//! unchanged without reading it. Where the proof does not hold, every table is signed.

use super::layout::{self, Layouts};
use super::scope::{self, Prediction};
use super::{data, diff, introspect, DataSignature, Snapshot};
use crate::lock_mode::LockMode;
use crate::migrations::Script;
use crate::provision::ConnectionInfo;
use crate::report::{CheckedTable, DataCheck, DataDifference, Difference, Direction};
use data::TableRead;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;
use tokio_postgres::Client;

/// The state a rollback must restore: schema S0 and the data signature D0 of the tables that
/// need one before the forward.
pub struct Checkpoint {
    pub schema: Snapshot,
    pub data: DataSignature,
    /// How the data check is scoped; None: every table was signed (the unscoped check).
    scoped: Option<Scoped>,
    /// Why no table was signed at all, when none was: the data is then not judged.
    unsigned: Option<String>,
    /// Milliseconds spent on the schema snapshot and on data signatures.
    pub schema_ms: f64,
    pub signature_ms: f64,
}

struct Scoped {
    layouts: Layouts,
    /// Why every table was signed before the forward, when it was.
    everything_before: Option<String>,
    /// Why every table is signed after the rollback too, when it is.
    everything_after: Option<String>,
    held: Option<HeldSnapshot>,
}

/// A REPEATABLE READ transaction opened before the forward and kept open until the data check:
/// its exported snapshot reads the rows as they were before the migration.
struct HeldSnapshot {
    /// Never read: its open transaction is what keeps the snapshot importable.
    _client: Client,
    id: String,
}

/// What the rollback left, compared with the checkpoint.
#[derive(Debug, Clone)]
pub struct Restoration {
    /// S2, the schema after the rollback.
    pub schema: Snapshot,
    pub differences: Vec<Difference>,
    pub data_differences: Vec<DataDifference>,
    /// The data check's scope; None for the unscoped check.
    pub data_check: Option<DataCheck>,
    pub schema_ms: f64,
    pub signature_ms: f64,
}

impl Restoration {
    pub fn schema_restored(&self) -> bool {
        self.differences.is_empty()
    }
    pub fn data_preserved(&self) -> bool {
        self.data_differences.is_empty()
    }
    /// True when the data was lost; None when some table's data could not be judged and nothing
    /// was found lost elsewhere.
    pub fn data_verdict(&self) -> Option<bool> {
        if !self.data_differences.is_empty() {
            return Some(false);
        }
        match &self.data_check {
            Some(check) if !check.unproven.is_empty() || check.scope == "none" => None,
            _ => Some(true),
        }
    }
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

/// Takes S0 and D0 of every table.
pub async fn checkpoint(client: &Client) -> Result<Checkpoint, tokio_postgres::Error> {
    let t = Instant::now();
    let schema = introspect::snapshot(client).await?;
    let schema_ms = ms(t);
    let t = Instant::now();
    let data = data::signature(client, &schema).await?;
    Ok(Checkpoint {
        schema,
        data,
        scoped: None,
        unsigned: None,
        schema_ms,
        signature_ms: ms(t),
    })
}

/// S0 alone, for a migration rehearsed inside a transaction other sessions cannot see into
/// (`--in-transaction`): signatures are read on other connections, which would see the rows as
/// committed, unchanged whatever the migration did; so the data is not judged, and the report
/// says `why`.
pub async fn checkpoint_schema_only(
    client: &Client,
    why: &str,
) -> Result<Checkpoint, tokio_postgres::Error> {
    let t = Instant::now();
    let schema = introspect::snapshot_within(client).await?;
    Ok(Checkpoint {
        schema,
        data: DataSignature::default(),
        scoped: None,
        unsigned: Some(why.to_string()),
        schema_ms: ms(t),
        signature_ms: 0.0,
    })
}

/// Takes S0, the table layouts, and D0 of the tables `scripts` (the forward and its rollback)
/// may change the layout of; holds a snapshot open when the scripts allow it. `conn` reaches the
/// database `client` is connected to, for the signing connections. `sign_all` signs every table
/// before, whatever the scripts allow.
pub async fn checkpoint_scoped(
    client: &Client,
    conn: &ConnectionInfo,
    scripts: &[&Script],
    sign_all: bool,
) -> Result<Checkpoint, tokio_postgres::Error> {
    let t = Instant::now();
    let (schema, layouts) = tokio::join!(introspect::snapshot(client), layout::read(client));
    let (schema, mut layouts) = (schema?, layouts?);
    // The tables the schema model holds: what an extension or the migration tool's bookkeeping
    // owns is neither signed nor counted.
    layouts.tables.retain(|_, l| {
        schema
            .relations
            .get(&l.name)
            .is_some_and(|r| r.kind == "table")
    });
    let schema_ms = ms(t);

    let t = Instant::now();
    let mut prediction = scope::predict(scripts);
    if sign_all {
        prediction.everything_before =
            Some("the scenario asks for every table ([probe] data_check = \"all\")".into());
    }
    judge_functions(client, &mut prediction).await?;
    let before: BTreeSet<String> = match &prediction.everything_before {
        Some(_) => layouts.tables.values().map(|l| l.name.clone()).collect(),
        None => prediction
            .tables
            .iter()
            .flat_map(|named| {
                let start = layouts.matching(named.schema.as_deref(), &named.name);
                layouts.closure(&start, named.referencing_too)
            })
            .filter_map(|oid| layouts.tables.get(&oid).map(|l| l.name.clone()))
            .collect(),
    };
    let held = if prediction.hold_snapshot
        && prediction.everything_before.is_none()
        && prediction.everything_after.is_none()
    {
        Some(hold_snapshot(conn).await?)
    } else {
        None
    };
    let reads = reads_of(&schema, &layouts, &before);
    let data = data::sign(conn, reads, held.as_ref().map(|h| h.id.as_str())).await?;
    Ok(Checkpoint {
        schema,
        data,
        scoped: Some(Scoped {
            layouts,
            everything_before: prediction.everything_before,
            everything_after: prediction.everything_after,
            held,
        }),
        unsigned: None,
        schema_ms,
        signature_ms: ms(t),
    })
}

/// Every table of `names` that `schema` holds as an ordinary table, with its size for the order
/// of work.
fn reads_of(schema: &Snapshot, layouts: &Layouts, names: &BTreeSet<String>) -> Vec<TableRead> {
    let pages = layouts.pages_by_name();
    names
        .iter()
        .filter_map(|name| {
            let mut read = TableRead::of(schema, name)?;
            read.pages = pages.get(name.as_str()).copied().unwrap_or(0);
            Some(read)
        })
        .collect()
}

async fn hold_snapshot(conn: &ConnectionInfo) -> Result<HeldSnapshot, tokio_postgres::Error> {
    let client = conn.connect().await?;
    client
        .batch_execute(
            "SET idle_in_transaction_session_timeout = 0; \
             BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        )
        .await?;
    let id: String = client
        .query_one("SELECT pg_catalog.pg_export_snapshot()", &[])
        .await?
        .get(0);
    Ok(HeldSnapshot {
        _client: client,
        id,
    })
}

/// Extensions whose functions reach other sessions or servers: their writes hold no lock of the
/// migration's backend.
const REACHING_EXTENSIONS: &[&str] = &["dblink", "pg_background", "postgres_fdw"];

/// Signs everything before (and after, for calls outside a transaction) when the scripts call a
/// function that is neither in `pg_catalog` nor part of an ordinary extension: its body can run
/// any SQL, and the catalog does not say what.
async fn judge_functions(
    client: &Client,
    prediction: &mut Prediction,
) -> Result<(), tokio_postgres::Error> {
    if prediction.functions.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = prediction
        .functions
        .iter()
        .map(|f| f.rsplit('.').next().unwrap_or(f).to_string())
        .collect();
    let rows = client
        .query(
            "SELECT p.proname::text, n.nspname::text, x.extname::text
             FROM pg_catalog.pg_proc p
             JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
             LEFT JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_proc'::regclass
                  AND d.objid = p.oid AND d.deptype = 'e'
             LEFT JOIN pg_catalog.pg_extension x ON x.oid = d.refobjid
             WHERE p.proname = ANY($1)",
            &[&names],
        )
        .await?;
    let built_in = |called: &str| {
        let (schema, name) = match called.rsplit_once('.') {
            Some((s, n)) => (Some(s), n),
            None => (None, called),
        };
        let matching: Vec<_> = rows
            .iter()
            .filter(|r| r.get::<_, &str>(0) == name)
            .filter(|r| schema.is_none_or(|s| r.get::<_, &str>(1) == s))
            .collect();
        !matching.is_empty()
            && matching.iter().all(|r| {
                let extension: Option<&str> = r.get(2);
                r.get::<_, &str>(1) == "pg_catalog"
                    || extension.is_some_and(|x| !REACHING_EXTENSIONS.contains(&x))
            })
    };
    if let Some(f) = prediction.functions.iter().find(|f| !built_in(f)) {
        if prediction.everything_before.is_none() {
            prediction.everything_before = Some(format!(
                "the scripts call {f}(), whose body can change any table"
            ));
        }
    }
    if let Some(f) = prediction.functions_outside.iter().find(|f| !built_in(f)) {
        if prediction.everything_after.is_none() {
            prediction.everything_after = Some(format!(
                "{f}() is called outside a transaction block, where its writes hold no lock the probe can see"
            ));
        }
    }
    Ok(())
}

/// Takes S2 and D2 and compares them with the checkpoint: every table and column of S0 counts.
pub async fn restoration(
    client: &Client,
    checkpoint: &Checkpoint,
) -> Result<Restoration, tokio_postgres::Error> {
    let t = Instant::now();
    let schema = introspect::snapshot(client).await?;
    let schema_ms = ms(t);
    let t = Instant::now();
    let now = data::signature_like(client, &checkpoint.data, &schema).await?;
    Ok(Restoration {
        differences: diff(&checkpoint.schema, &schema),
        data_differences: data::compare(&checkpoint.data, &now),
        schema,
        data_check: None,
        schema_ms,
        signature_ms: ms(t),
    })
}

/// The tables each direction wrote (held `RowExclusiveLock` on), by OID, with the first
/// statement that did.
pub fn written_tables(directions: &[(&str, &Direction)]) -> BTreeMap<u32, String> {
    let mut out = BTreeMap::new();
    for (step, direction) in directions {
        for statement in &direction.statements {
            for lock in &statement.locks {
                let mode = LockMode::from_pg_locks_name(&lock.mode);
                if mode == Some(LockMode::RowExclusive) && lock.oid != 0 {
                    out.entry(lock.oid).or_insert_with(|| {
                        format!(
                            "{} in the {step}, line {}",
                            LockMode::RowExclusive,
                            statement.line
                        )
                    });
                }
            }
        }
    }
    out
}

/// Takes S2 and compares it with S0; compares the data of the tables the migration could have
/// changed: those it wrote (`written`, from [`written_tables`]) and those whose layout changed.
/// Consumes the checkpoint: the held snapshot is released here, before anything else runs.
pub async fn restoration_scoped(
    client: &Client,
    conn: &ConnectionInfo,
    checkpoint: Checkpoint,
    written: &BTreeMap<u32, String>,
) -> Result<Restoration, tokio_postgres::Error> {
    if let Some(why) = &checkpoint.unsigned {
        let t = Instant::now();
        let schema = introspect::snapshot_within(client).await?;
        return Ok(Restoration {
            differences: diff(&checkpoint.schema, &schema),
            data_differences: Vec::new(),
            schema,
            data_check: Some(DataCheck {
                scope: "none".into(),
                reason: Some(why.clone()),
                ..Default::default()
            }),
            schema_ms: ms(t),
            signature_ms: 0.0,
        });
    }
    let Some(scoped) = checkpoint.scoped else {
        return restoration(client, &checkpoint).await;
    };
    let t = Instant::now();
    let (schema, now_layouts) = tokio::join!(introspect::snapshot(client), layout::read(client));
    let (schema, now_layouts) = (schema?, now_layouts?);
    let differences = diff(&checkpoint.schema, &schema);
    let schema_ms = ms(t);

    let t = Instant::now();
    let before_layouts = &scoped.layouts;
    let changed = before_layouts.changed_in(&now_layouts);
    let mut candidates: BTreeMap<String, String> = BTreeMap::new();
    if let Some(reason) = &scoped.everything_after {
        for l in before_layouts.tables.values() {
            candidates.insert(l.name.clone(), format!("every table is checked: {reason}"));
        }
    } else {
        for (oid, why) in written {
            if let Some(l) = before_layouts.tables.get(oid) {
                candidates.insert(l.name.clone(), why.clone());
            }
        }
        for (name, why) in &changed {
            candidates
                .entry(name.clone())
                .and_modify(|w| *w = format!("{w}; {why}"))
                .or_insert_with(|| why.clone());
        }
    }

    let pages_by_name = before_layouts.pages_by_name();
    let mut before = DataSignature::default();
    let mut past_reads = Vec::new();
    let mut now_reads = Vec::new();
    let mut checked = Vec::new();
    let mut unproven = Vec::new();
    for (name, why) in &candidates {
        let entry = CheckedTable {
            table: name.clone(),
            why: why.clone(),
        };
        let pages = pages_by_name.get(name.as_str()).copied().unwrap_or(0);
        if let Some(reference) = checkpoint.data.tables.get(name) {
            before.tables.insert(name.clone(), reference.clone());
            if let Some(mut read) = TableRead::like(reference, &schema, name) {
                read.pages = pages;
                now_reads.push(read);
            }
            checked.push(entry);
        } else if scoped.held.is_some() && !changed.contains_key(name) {
            if let Some(mut read) = TableRead::of(&checkpoint.schema, name) {
                read.pages = pages;
                past_reads.push(read.clone());
                now_reads.push(read);
                checked.push(entry);
            }
        } else if checkpoint.schema.relations.contains_key(name) {
            unproven.push(CheckedTable {
                table: name.clone(),
                why: format!(
                    "{why}, and no statement of the scripts predicted it, so its rows before the forward could not be read"
                ),
            });
        }
    }
    if let Some(held) = &scoped.held {
        let past = data::sign(conn, past_reads, Some(&held.id)).await?;
        before.tables.extend(past.tables);
    }
    // The old row versions are no longer needed: let vacuum have them before the redo.
    drop(scoped.held);
    let now = data::sign(conn, now_reads, None).await?;
    let data_differences = data::compare(&before, &now);
    let tables = before_layouts.tables.len();
    let data_check = DataCheck {
        scope: if scoped.everything_before.is_some() || scoped.everything_after.is_some() {
            "all".into()
        } else {
            "touched".into()
        },
        reason: scoped
            .everything_after
            .clone()
            .or(scoped.everything_before.clone()),
        unchanged_tables: tables.saturating_sub(checked.len() + unproven.len()),
        checked,
        unproven,
    };
    Ok(Restoration {
        schema,
        differences,
        data_differences,
        data_check: Some(data_check),
        schema_ms,
        signature_ms: ms(t),
    })
}

/// One line naming a difference, with its kind, for lists of many.
pub fn describe(d: &Difference) -> String {
    format!("{} {}: {}", d.kind, d.object, d.detail)
}

/// How many differences there are and what the first is, for a finding's sentence:
/// `1 difference: the extension citext was left behind`,
/// `3 differences, the first: the index public.i on public.t is gone`. The detail names the
/// object already; the kind is in report.json.
pub fn summarize(all: &[Difference], first: &Difference) -> String {
    format!(
        "{}{}: {}",
        crate::words::count(all.len(), "difference"),
        if all.len() == 1 { "" } else { ", the first" },
        first.detail
    )
}
