//! End-to-end seeding speed against the anchor, `pgbench -i`, on one local PostgreSQL 15:
//!
//! 1. a table shaped like `pgbench_accounts`, at pgbench's row count: MB/s of both and the ratio
//!    (target ≥ 1.3);
//! 2. the widest table of `scenarios/saas` (`events`, jsonb) against the same pgbench run
//!    (target ≥ 1.0);
//! 3. a reset from the template of a ~1 GB saas dataset against the time it took to seed it
//!    (target ≤ 5%).
//!
//! `cargo bench --bench seed_vs_pgbench` (env: PGBENCH_SCALE, default 20 = 2M rows;
//! SAAS_SCALE for step 3, default 0.2 ≈ 1 GB; SKIP_SHAPE=1 skips steps 1 and 2, SKIP_WIDE=1 step 2,
//! SKIP_TEMPLATE=1 step 3; PG_VERSION=17 to run on the docker image of that version instead of the
//! local PostgreSQL 15;
//! REBUILD_INDEXES_FROM_ROWS=N to drop and rebuild indexes from N rows;
//! PARALLEL_COPY_FROM_ROWS=N to split tables of N rows or more over parallel COPY streams).
//! Both sides load into tables truncated in the same transaction with COPY FREEZE and build
//! their primary key after the load; pgbench's time is its generate + vacuum + primary keys.

use rehearse::provision::{self, ConnectionInfo, DatabaseRequest, ProviderChoice};
use rehearse::seed::{self, DatasetSection, ProgressMode, SeedRequest, Template};
use std::process::Command;
use std::time::Instant;

fn env_f64(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn request(toml_text: &str, scale: f64) -> SeedRequest {
    let mut section: DatasetSection = toml::from_str(toml_text).expect("bench dataset parses");
    section.scale = Some(scale);
    section.infer = Some(false);
    let mut r = SeedRequest::from_section(Some(&section), None).expect("dataset loads");
    r.progress = ProgressMode::Lines;
    if let Ok(rows) = std::env::var("REBUILD_INDEXES_FROM_ROWS") {
        r.load.rebuild_indexes_from_rows = rows.parse().expect("a row count");
    }
    if let Ok(rows) = std::env::var("PARALLEL_COPY_FROM_ROWS") {
        r.load.parallel_copy_from_rows = rows.parse().expect("a row count");
    }
    r
}

async fn exec(conn: &ConnectionInfo, sql: &str) {
    conn.connect()
        .await
        .unwrap()
        .batch_execute(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn table_bytes(conn: &ConnectionInfo, table: &str) -> f64 {
    let c = conn.connect().await.unwrap();
    let row = c
        .query_one(&format!("SELECT pg_table_size('{table}')"), &[])
        .await
        .unwrap();
    row.get::<_, i64>(0) as f64
}

/// Runs `pgbench -i -s scale` and returns the seconds of its load (generate + vacuum + keys).
fn pgbench_init(conn: &ConnectionInfo, scale: u32) -> f64 {
    let out = Command::new("pgbench")
        .args(["-i", "-s", &scale.to_string(), "-q"])
        .args([
            "-h",
            &conn.host,
            "-p",
            &conn.port.to_string(),
            "-U",
            &conn.user,
        ])
        .arg(&conn.dbname)
        .env("PGPASSWORD", conn.password.clone().unwrap_or_default())
        .output()
        .expect("pgbench is on PATH");
    let text =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "pgbench -i failed: {text}");
    // "done in 9.87 s (drop tables 0.00 s, create tables 0.00 s, client-side generate 6.1 s, vacuum 1.2 s, primary keys 2.5 s)."
    let line = text
        .lines()
        .find(|l| l.starts_with("done in"))
        .unwrap_or_else(|| panic!("no timing line in pgbench output: {text}"));
    let part = |name: &str| -> f64 {
        line.split(&format!("{name} "))
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0.0)
    };
    let total = part("done in");
    let setup = part("drop tables") + part("create tables");
    println!("  pgbench: {}", line.trim());
    total - setup
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run());
}

async fn run() {
    let pg_scale = env_f64("PGBENCH_SCALE", 20.0) as u32;
    let rows = pg_scale as u64 * 100_000;
    // PG_VERSION=17 runs the same comparison on the docker provider's PostgreSQL 17 image
    // (images/postgres/build.sh 17); pgbench is the local client either way.
    let major = std::env::var("PG_VERSION")
        .ok()
        .and_then(|v| v.parse().ok());
    let server = provision::provision(&DatabaseRequest {
        provider: if major.is_some() {
            ProviderChoice::Docker
        } else {
            ProviderChoice::Local
        },
        major,
        settings: vec![
            ("max_wal_size".into(), "8GB".into()),
            ("shared_buffers".into(), "512MB".into()),
        ],
        ..Default::default()
    })
    .await
    .expect("local PostgreSQL starts");
    let admin = server.connection.connect().await.unwrap();
    for db in ["anchor", "shape", "wide"] {
        admin
            .batch_execute(&format!("CREATE DATABASE {db}"))
            .await
            .unwrap();
    }

    'shape: {
        if std::env::var("SKIP_SHAPE").is_ok() {
            break 'shape;
        }
        // 1. pgbench_accounts shape.
        println!("pgbench_accounts shape, {rows} rows");
        let anchor = server.connection.with_dbname("anchor");
        let pg_secs = pgbench_init(&anchor, pg_scale);
        let pg_bytes = table_bytes(&anchor, "pgbench_accounts").await;
        let pg_mbs = pg_bytes / 1e6 / pg_secs;

        let shape = server.connection.with_dbname("shape");
        exec(
        &shape,
        "CREATE TABLE accounts (aid int NOT NULL PRIMARY KEY, bid int, abalance int, filler char(84)) WITH (fillfactor = 100)",
    )
    .await;
        let req = request(
            &format!(
                r#"[tables.accounts]
            rows = {rows}
            [tables.accounts.columns]
            aid = {{ kind = "sequence" }}
            bid = {{ kind = "int", min = 1, max = {pg_scale} }}
            abalance = {{ kind = "constant", value = 0 }}
            filler = {{ kind = "constant", value = "" }}"#
            ),
            1.0,
        );
        let outcome = seed::seed(&shape, &req)
            .await
            .expect("seeding the pgbench shape");
        let our_bytes = table_bytes(&shape, "accounts").await;
        let our_mbs = our_bytes / 1e6 / outcome.seconds;
        println!(
            "  pgbench -i : {:>8.1} MB in {pg_secs:>6.2} s = {pg_mbs:>6.1} MB/s",
            pg_bytes / 1e6
        );
        println!(
            "  rehearse   : {:>8.1} MB in {:>6.2} s = {our_mbs:>6.1} MB/s",
            our_bytes / 1e6,
            outcome.seconds
        );
        println!("  ratio {:.2} (target >= 1.3)", our_mbs / pg_mbs);

        'wide: {
            if std::env::var("SKIP_WIDE").is_ok() {
                break 'wide;
            }
            // 2. The widest saas table, events (jsonb, user agents), against the same anchor.
            let wide = server.connection.with_dbname("wide");
            for f in [
                "V001__create_accounts.sql",
                "V002__create_users.sql",
                "V006__create_events.sql",
            ] {
                let sql =
                    std::fs::read_to_string(format!("scenarios/saas/migrations/{f}")).unwrap();
                exec(&wide, &sql).await;
            }
            let saas = std::fs::read_to_string("data-generators/saas.toml").unwrap();
            let saas_file: toml::Table = toml::from_str(&saas).unwrap();
            let tables = saas_file["tables"].as_table().unwrap();
            let mut parents = toml::Table::new();
            for t in ["accounts", "users"] {
                let mut def = tables[t].as_table().unwrap().clone();
                def.insert(
                    "rows".into(),
                    toml::Value::Integer(if t == "accounts" { 2_000 } else { 20_000 }),
                );
                parents.insert(t.into(), toml::Value::Table(def));
            }
            let mut section = toml::Table::new();
            section.insert("tables".into(), toml::Value::Table(parents));
            seed::seed(&wide, &request(&toml::to_string(&section).unwrap(), 1.0))
                .await
                .expect("seeding accounts and users");
            let event_rows = (pg_bytes / 370.0) as i64; // about the same bytes as pgbench_accounts
            let mut only_events = toml::Table::new();
            let mut events = tables["events"].as_table().unwrap().clone();
            events.insert("rows".into(), toml::Value::Integer(event_rows));
            only_events.insert("events".into(), toml::Value::Table(events));
            for t in ["accounts", "users"] {
                let mut skip = toml::Table::new();
                skip.insert("skip".into(), toml::Value::Boolean(true));
                only_events.insert(t.into(), toml::Value::Table(skip));
            }
            let mut section = toml::Table::new();
            section.insert("tables".into(), toml::Value::Table(only_events));
            println!("saas events, {event_rows} rows");
            let outcome = seed::seed(&wide, &request(&toml::to_string(&section).unwrap(), 1.0))
                .await
                .expect("seeding events");
            let ev_bytes = table_bytes(&wide, "events").await;
            let ev_mbs = ev_bytes / 1e6 / outcome.seconds;
            println!(
        "  rehearse   : {:>8.1} MB in {:>6.2} s = {ev_mbs:>6.1} MB/s (generation + COPY + indexes + foreign keys)",
        ev_bytes / 1e6,
        outcome.seconds
    );
            println!(
                "  ratio {:.2} against pgbench -i (target >= 1.0)",
                ev_mbs / pg_mbs
            );
        }
    }
    if std::env::var("SKIP_TEMPLATE").is_ok() {
        return;
    }
    // 3. Template reset of a ~1 GB saas dataset against its seeding.
    for db in ["anchor", "shape", "wide"] {
        admin
            .batch_execute(&format!("DROP DATABASE {db}"))
            .await
            .unwrap();
    }
    admin.batch_execute("CREATE DATABASE saas").await.unwrap();
    let saas_db = server.connection.with_dbname("saas");
    let mut files: Vec<_> = std::fs::read_dir("scenarios/saas/migrations")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy().to_string();
            !n.contains("rollback") && n.as_str() < "V007"
        })
        .collect();
    files.sort();
    for f in files {
        exec(&saas_db, &std::fs::read_to_string(f).unwrap()).await;
    }
    let saas_scale = env_f64("SAAS_SCALE", 0.2);
    let mut req = request("generators = \"data-generators/saas.toml\"", saas_scale);
    req.plan.infer = true;
    println!("saas dataset at scale {saas_scale}");
    let started = Instant::now();
    let outcome = seed::seed(&saas_db, &req).await.expect("seeding saas");
    let seed_secs = started.elapsed().as_secs_f64();
    let c = saas_db.connect().await.unwrap();
    let db_bytes: i64 = c
        .query_one("SELECT pg_database_size(current_database())", &[])
        .await
        .unwrap()
        .get(0);
    drop(c);
    println!(
        "  seeded {} rows, database {:.0} MB, in {seed_secs:.1} s ({:.1} MB/s of tables)",
        outcome.rows(),
        db_bytes as f64 / 1e6,
        outcome.bytes() as f64 / 1e6 / seed_secs
    );
    // A server the rehearsal started itself: the clone skips fsync (see seed::template). Then a
    // server we do not own (the url provider), which keeps its fsync. Three resets each, median.
    for (disposable, what) in [
        (true, "fsync off for the clone"),
        (false, "a server we do not own, fsync kept"),
    ] {
        let template = Template::create(&saas_db, !disposable)
            .await
            .expect("template");
        let mut resets = Vec::new();
        for _ in 0..3 {
            resets.push(template.reset().await.expect("reset"));
        }
        let shown: Vec<String> = resets.iter().map(|r| format!("{r:.2}")).collect();
        resets.sort_by(f64::total_cmp);
        let median = resets[1];
        println!(
            "  {what}: template created in {:.2} s; resets {} s; median {median:.2} s = {:.1}% of the seeding time (target <= 5%)",
            template.create_seconds,
            shown.join(", "),
            100.0 * median / seed_secs
        );
    }
}
