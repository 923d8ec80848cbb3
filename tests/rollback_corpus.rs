//! The rollback corpus: every pair under `tests/corpus/<nn>_<name>/` runs forward and back on a
//! fresh copy of `tests/corpus/baseline.sql` (real rows), and the snapshot's verdict is checked
//! against the oracle, `pg_dump --schema-only` before and after:
//!
//! - `schema_restored` is true exactly when the two dumps are the same text (only the header's
//!   version comments and the random `\restrict` key are set aside, and GRANT lines are compared
//!   as a set within each ACL entry: see `normalize`);
//! - every dump section that differs is named by a `Difference` on that object;
//! - `data_preserved` is false exactly for the pairs whose `expect.toml` lists lost columns, and
//!   each of those columns is named;
//! - the real rehearsal loop (`rehearse_migration`) reports the same verdicts.
//!
//! One server for the whole corpus; each pair gets two databases cloned from a template. The
//! corpus runs on the local PostgreSQL 15 with its pg_dump, and on the docker image of 17 with
//! the pg_dump inside the container (a pg_dump must be at least as new as its server).

use rehearse::migrations::{
    Format, Migration, MigrationSet, Script, Statement, Transactionality, Version,
};
use rehearse::probe::{Probe, ProbeSettings};
use rehearse::provision::{
    self, docker, ConnectionInfo, DatabaseRequest, ProviderChoice, ProviderKind,
};
use rehearse::rehearsal::{rehearse_migration, QuietProgress};
use rehearse::report::{Difference, Verdict};
use rehearse::snapshot;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const TEMPLATE: &str = "corpus_template";

#[derive(serde::Deserialize)]
struct Expect {
    schema_restored: Option<bool>,
    #[serde(default)]
    data_lost: Vec<String>,
    /// The forward applied again after the rollback gives another schema than S1.
    #[serde(default)]
    redo_differs: bool,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

fn pairs() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

fn script(path: PathBuf) -> Script {
    let sql = std::fs::read_to_string(&path).unwrap();
    // The whole file as one simple-query batch: the corpus has no non-transactional statements.
    Script {
        path,
        first_line: 1,
        statements: vec![Statement {
            sql,
            line: 1,
            transactionality: Transactionality::Transactional,
        }],
        ..Default::default()
    }
}

/// Which pg_dump is the oracle: the local one, or the one inside the server's container.
#[derive(Clone)]
enum Dumper {
    Local,
    Container(String),
}

fn pg_dump(dumper: &Dumper, conn: &ConnectionInfo) -> String {
    let out = match dumper {
        Dumper::Local => std::process::Command::new("pg_dump")
            .args(["--schema-only", &conn.url()])
            .output(),
        // The server's own socket inside the container: the image trusts local connections.
        Dumper::Container(id) => std::process::Command::new("docker")
            .args(["exec", id, "pg_dump", "--schema-only", "-U", &conn.user])
            .arg(&conn.dbname)
            .output(),
    }
    .expect("pg_dump runs");
    assert!(
        out.status.success(),
        "pg_dump failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    normalize(&String::from_utf8(out.stdout).unwrap())
}

/// Only what must go: the versions in the header and the random `\restrict` key; and the order
/// of the GRANT lines inside one ACL entry, which pg_dump prints in `aclitem` array order. That
/// order has no meaning (REVOKE ALL then GRANT moves a role to the end of the array, with the
/// same privileges), and the model compares privileges as a set: pair
/// `75_grants_reissued_in_another_order` shows it.
fn normalize(dump: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut acl_body: Vec<String> = Vec::new();
    let mut in_acl = false;
    for l in dump.lines() {
        if l.starts_with("-- Dumped from database version")
            || l.starts_with("-- Dumped by pg_dump version")
            || l.starts_with("\\restrict ")
            || l.starts_with("\\unrestrict ")
        {
            continue;
        }
        if l.starts_with("-- Name: ") || l == "-- PostgreSQL database dump complete" {
            acl_body.sort();
            out.append(&mut acl_body);
            in_acl = l.contains("; Type: ACL;");
            out.push(l.to_string());
            continue;
        }
        if in_acl && (l.starts_with("GRANT ") || l.starts_with("REVOKE ")) {
            acl_body.push(l.to_string());
        } else {
            out.push(l.to_string());
        }
    }
    acl_body.sort();
    out.append(&mut acl_body);
    out.join("\n")
}

/// The dump cut into its TOC entries, keyed by `Name; Type; Schema` (the owner is in the body).
fn sections(dump: &str) -> BTreeMap<(String, String, String), Vec<String>> {
    let mut out: BTreeMap<(String, String, String), Vec<String>> = BTreeMap::new();
    let mut key = ("(preamble)".to_string(), String::new(), String::new());
    for line in dump.lines() {
        if line == "-- PostgreSQL database dump complete" {
            break;
        }
        if let Some(header) = line.strip_prefix("-- Name: ") {
            let parts: Vec<&str> = header.split("; ").collect();
            let field = |p: &str| {
                parts
                    .iter()
                    .find_map(|x| x.strip_prefix(p))
                    .unwrap_or("")
                    .to_string()
            };
            key = (parts[0].to_string(), field("Type: "), field("Schema: "));
            out.entry(key.clone())
                .or_default()
                .push(format!("owner {}", field("Owner: ")));
            continue;
        }
        // pg_dump switches back to the default tablespace and access method before the first
        // object that needs them; which section that lands in depends on what precedes it in
        // the dump, not on any object. A non-default one stays, in its object's section.
        if line.is_empty()
            || line == "--"
            || line == "SET default_tablespace = '';"
            || line == "SET default_table_access_method = heap;"
        {
            continue;
        }
        out.entry(key.clone()).or_default().push(line.to_string());
    }
    out
}

/// The objects a pg_dump section is about, spelled as the model spells them without quotes:
/// `shop.orders`, `shop.orders.orders_pkey`, `shop.customers.email`, `shop.order_total`. An
/// identity sequence's section also carries its column (`ALTER TABLE ... ADD GENERATED`).
fn objects_of(name: &str, kind: &str, schema: &str, body: &[String]) -> Vec<String> {
    if kind == "DEFAULT ACL" {
        // "DEFAULT PRIVILEGES FOR TABLES" in a schema: the model keys them by role, schema, kind.
        return vec![DEFAULT_PRIVILEGES.to_string()];
    }
    // Kinds the model keys with a word in front (`server archive`), or by what they convert.
    match kind {
        "CAST" => {
            let inner = name.trim_start_matches("CAST (").trim_end_matches(')');
            return vec![inner.to_string()];
        }
        "TEXT SEARCH CONFIGURATION" => return vec![format!("configuration {schema}.{name}")],
        "TEXT SEARCH DICTIONARY" => return vec![format!("dictionary {schema}.{name}")],
        "FOREIGN DATA WRAPPER" => {
            return vec![format!("wrapper {}", strip(name, "FOREIGN DATA WRAPPER "))]
        }
        "SERVER" => return vec![format!("server {}", strip(name, "SERVER "))],
        "USER MAPPING" => {
            // "USER MAPPING postgres SERVER archive"
            let rest = strip(name, "USER MAPPING ");
            let (user, server) = rest.split_once(" SERVER ").unwrap_or((rest, ""));
            return vec![format!("user mapping for {user} on {server}")];
        }
        _ => {}
    }
    if kind == "PUBLICATION TABLE" || kind == "PUBLICATION TABLES IN SCHEMA" {
        // "shop_changes orders": a membership, which the model keeps in the publication's
        // definition.
        return vec![name.split(' ').next().unwrap_or(name).to_string()];
    }
    let mut objects = vec![object_of(name, kind, schema)];
    for line in body {
        if let Some(rest) = line.strip_prefix("ALTER TABLE ") {
            if let Some((table, column)) = rest.split_once(" ALTER COLUMN ") {
                if let Some(column) = column.split(' ').next() {
                    if line.contains(" ADD GENERATED ") {
                        objects.push(
                            format!("{}.{column}", table.trim_start_matches("ONLY "))
                                .replace('"', ""),
                        );
                    }
                }
            }
        }
    }
    objects
}

fn strip<'a>(name: &'a str, prefix: &str) -> &'a str {
    name.strip_prefix(prefix).unwrap_or(name)
}

fn object_of(name: &str, kind: &str, schema: &str) -> String {
    let mut n = name;
    for prefix in [
        "MATERIALIZED VIEW ",
        "TABLE ",
        "COLUMN ",
        "SCHEMA ",
        "TYPE ",
        "DOMAIN ",
        "SEQUENCE ",
        "FUNCTION ",
        "PROCEDURE ",
        "VIEW ",
        "EXTENSION ",
        "INDEX ",
        "CONSTRAINT ",
        "TRIGGER ",
        "POLICY ",
        "COLLATION ",
        "PUBLICATION ",
    ] {
        if let Some(rest) = n.strip_prefix(prefix) {
            n = rest;
            break;
        }
    }
    let n = n.split('(').next().unwrap();
    let n = match kind {
        // "table sub-object": constraint, trigger, policy, rule, default.
        "CONSTRAINT" | "FK CONSTRAINT" | "TRIGGER" | "POLICY" | "RULE" | "DEFAULT" => {
            n.replacen(' ', ".", 1)
        }
        _ => n.to_string(),
    };
    if schema == "-" || schema.is_empty() {
        n
    } else {
        format!("{schema}.{n}")
    }
}

const DEFAULT_PRIVILEGES: &str = "(default privileges)";

fn covers(d: &Difference, object: &str) -> bool {
    if object == DEFAULT_PRIVILEGES {
        return d.kind == "default_privileges_changed";
    }
    let named = d.object.replace('"', "");
    named == object
        || named.starts_with(&format!("{object}."))
        || named.starts_with(&format!("{object}("))
        // a whole object gone or left behind covers its parts
        || (matches!(d.kind.as_str(), "object_missing" | "object_left_behind")
            && object.starts_with(&format!("{named}.")))
}

struct Outcome {
    failures: Vec<String>,
}

async fn exec(conn: &ConnectionInfo, sql: &str) -> Result<(), String> {
    let client = conn.connect().await.map_err(|e| e.to_string())?;
    client.batch_execute(sql).await.map_err(|e| {
        e.as_db_error()
            .map(|d| d.message().to_string())
            .unwrap_or_else(|| e.to_string())
    })
}

async fn check_pair(
    dumper: &Dumper,
    admin: &tokio_postgres::Client,
    server: &ConnectionInfo,
    dir: &Path,
    out: &mut Outcome,
) {
    let name = dir.file_name().unwrap().to_string_lossy().to_string();
    let fail = |out: &mut Outcome, m: String| out.failures.push(format!("{name}: {m}"));
    let expect: Expect = toml::from_str(&std::fs::read_to_string(dir.join("expect.toml")).unwrap())
        .unwrap_or_else(|e| panic!("{name}/expect.toml: {e}"));
    let forward_sql = std::fs::read_to_string(dir.join("forward.sql")).unwrap();
    let rollback_sql = std::fs::read_to_string(dir.join("rollback.sql")).unwrap();

    // A: the oracle path, step by step.
    let db_a = format!("a_{}", &name[..2]);
    admin
        .batch_execute(&format!("CREATE DATABASE {db_a} TEMPLATE {TEMPLATE}"))
        .await
        .unwrap();
    let conn_a = server.with_dbname(&db_a);
    let dump0 = pg_dump(dumper, &conn_a);
    let client = conn_a.connect().await.unwrap();
    let checkpoint = snapshot::checkpoint(&client).await.unwrap();
    if let Err(e) = exec(&conn_a, &forward_sql).await {
        return fail(out, format!("forward.sql failed: {e}"));
    }
    if let Err(e) = exec(&conn_a, &rollback_sql).await {
        return fail(out, format!("rollback.sql failed: {e}"));
    }
    let restoration = snapshot::restoration(&client, &checkpoint).await.unwrap();
    let dump2 = pg_dump(dumper, &conn_a);
    drop(client);

    let dumps_equal = dump0 == dump2;
    if restoration.schema_restored() != dumps_equal {
        let (s0, s2) = (sections(&dump0), sections(&dump2));
        let differing: Vec<_> = s0
            .keys()
            .chain(s2.keys())
            .filter(|k| s0.get(*k) != s2.get(*k))
            .collect();
        fail(
            out,
            format!(
                "snapshot says schema_restored={} but pg_dump says {}; differences {:?}; pg_dump sections differing {:?}",
                restoration.schema_restored(),
                dumps_equal,
                restoration.differences,
                differing
            ),
        );
    }
    if let Some(expected) = expect.schema_restored {
        if expected != dumps_equal {
            fail(
                out,
                format!(
                    "expect.toml says schema_restored={expected} but pg_dump says {dumps_equal}"
                ),
            );
        }
    }
    // Every section pg_dump shows as different is named by a difference.
    let (s0, s2) = (sections(&dump0), sections(&dump2));
    for key in s0.keys().chain(s2.keys()) {
        if s0.get(key) == s2.get(key) {
            continue;
        }
        let empty = Vec::new();
        let (before, after) = (s0.get(key).unwrap_or(&empty), s2.get(key).unwrap_or(&empty));
        let objects = objects_of(
            &key.0,
            &key.1,
            &key.2,
            if before.is_empty() { after } else { before },
        );
        let object = objects.join(" or ");
        // A section whose only change is its owner line follows its parent's new owner.
        let owner_only = !before.is_empty() && !after.is_empty() && before[1..] == after[1..];
        let covered = objects.iter().any(|o| {
            restoration.differences.iter().any(|d| {
                covers(d, o)
                    || (owner_only
                        && d.kind == "owner_changed"
                        && o.starts_with(&format!("{}.", d.object.replace('"', ""))))
            })
        });
        if !covered {
            fail(
                out,
                format!(
                    "pg_dump section {key:?} differs (object {object}) but no difference names it: before {:?} after {:?}; differences {:?}",
                    s0.get(key),
                    s2.get(key),
                    restoration.differences
                ),
            );
        }
    }
    // Data.
    let data_named: Vec<String> = restoration
        .data_differences
        .iter()
        .map(|d| d.object.clone())
        .collect();
    if restoration.data_preserved() != expect.data_lost.is_empty() {
        fail(
            out,
            format!(
                "data_preserved={} but expect.toml lists lost data {:?}; data differences {:?}",
                restoration.data_preserved(),
                expect.data_lost,
                restoration.data_differences
            ),
        );
    }
    for col in &expect.data_lost {
        if !data_named.contains(col) {
            fail(
                out,
                format!(
                    "lost data in {col} is not named; data differences {:?}",
                    restoration.data_differences
                ),
            );
        }
    }

    // B: the real rehearsal loop reports the same.
    let db_b = format!("b_{}", &name[..2]);
    admin
        .batch_execute(&format!("CREATE DATABASE {db_b} TEMPLATE {TEMPLATE}"))
        .await
        .unwrap();
    let conn_b = server.with_dbname(&db_b);
    let client_b = conn_b.connect().await.unwrap();
    // No concurrent workload: the corpus checks what the rollback leaves, not how it locks.
    let probe = Probe::new(conn_b.clone(), ProbeSettings::default());
    let migration = Migration {
        version: Version::new(&name[..2]),
        name: name[3..].to_string(),
        forward: script(dir.join("forward.sql")),
        rollback: Some(script(dir.join("rollback.sql"))),
        repeatable: false,
    };
    let set = MigrationSet {
        root: dir.to_path_buf(),
        format: Format::Flyway,
        migrations: vec![migration.clone()],
        notes: Vec::new(),
        bookkeeping: None,
        rendered_with: None,
    };
    let report = rehearse_migration(&client_b, &probe, &set, &migration, &QuietProgress).await;
    if report.schema_restored != Some(restoration.schema_restored())
        || report.data_preserved != Some(restoration.data_preserved())
        || report.differences != restoration.differences
    {
        fail(out, format!("the rehearsal reports schema_restored={:?} data_preserved={:?}, the direct check {} {}",
            report.schema_restored, report.data_preserved, restoration.schema_restored(), restoration.data_preserved()));
    }
    let should_pass = restoration.schema_restored() && restoration.data_preserved();
    let redo_differs = report.findings.iter().any(|f| f.kind == "redo_differs");
    if redo_differs == report.redo_differences.is_empty() {
        fail(
            out,
            format!(
                "redo_differs finding {redo_differs} but redo_differences {:?}",
                report.redo_differences
            ),
        );
    }
    if redo_differs != expect.redo_differs {
        fail(
            out,
            format!(
                "redo_differs finding {redo_differs}, expected {}; findings {:?}",
                expect.redo_differs, report.findings
            ),
        );
    }
    if (report.verdict == Verdict::Pass) != (should_pass && !redo_differs)
        || (should_pass && report.verdict != Verdict::Pass)
    {
        fail(
            out,
            format!(
                "verdict {:?} with findings {:?}",
                report.verdict, report.findings
            ),
        );
    }
    drop(client_b);
    for db in [db_a, db_b] {
        admin
            .batch_execute(&format!("DROP DATABASE {db} WITH (FORCE)"))
            .await
            .unwrap();
    }
}

async fn corpus_agrees_with_pg_dump(request: DatabaseRequest) {
    let pairs = pairs();
    assert!(pairs.len() >= 40, "the corpus has {} pairs", pairs.len());
    let db = provision::provision(&request)
        .await
        .expect("the corpus server starts");
    let dumper = match db.kind {
        ProviderKind::Docker => {
            let filter = format!("label={}={}", docker::RUN_LABEL, docker::run_id());
            let out = std::process::Command::new("docker")
                .args(["ps", "-q", "--no-trunc", "--filter", &filter])
                .output()
                .expect("docker runs");
            let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
            assert!(
                !id.is_empty() && !id.contains('\n'),
                "one container: {id:?}"
            );
            // The oracle is the server's own major version.
            let version = std::process::Command::new("docker")
                .args(["exec", &id, "pg_dump", "--version"])
                .output()
                .expect("docker exec runs");
            let version = String::from_utf8_lossy(&version.stdout).to_string();
            let major = db.server_version.split('.').next().unwrap_or_default();
            assert!(
                version.contains(&format!(" {major}.")),
                "{version} inside a {} server",
                db.server_version
            );
            Dumper::Container(id)
        }
        _ => Dumper::Local,
    };
    let admin = db.connection.connect().await.unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {TEMPLATE}"))
        .await
        .unwrap();
    let baseline = std::fs::read_to_string(corpus_dir().join("baseline.sql")).unwrap();
    exec(&db.connection.with_dbname(TEMPLATE), &baseline)
        .await
        .expect("the baseline applies");

    let mut out = Outcome {
        failures: Vec::new(),
    };
    for dir in &pairs {
        check_pair(&dumper, &admin, &db.connection, dir, &mut out).await;
    }
    assert!(
        out.failures.is_empty(),
        "{} of {} corpus pairs disagree on PostgreSQL {}:\n{}",
        out.failures.len(),
        pairs.len(),
        db.server_version,
        out.failures.join("\n\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_corpus_pair_agrees_with_pg_dump() {
    corpus_agrees_with_pg_dump(DatabaseRequest {
        provider: ProviderChoice::Local,
        ..Default::default()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_corpus_pair_agrees_with_pg_dump_on_postgres_17() {
    let request = DatabaseRequest {
        provider: ProviderChoice::Docker,
        major: Some(17),
        ..Default::default()
    };
    let image = docker::image_for(&request);
    if let Err(why) = docker::availability(&image).await {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true, so the corpus on PostgreSQL 17 may not skip: {why}"
        );
        eprintln!("skipping: {why} (build it with images/postgres/build.sh 17)");
        return;
    }
    corpus_agrees_with_pg_dump(request).await;
}
