//! Does a profile-seeded twin behave like its source? A shop (customers, and orders with a
//! skewed foreign key, a 30%-NULL coupon, a four-value status, long notes, a cubic-skewed
//! total) is filled with `REHEARSE_BENCH_ORDERS` rows (default 1,000,000), profiled, and seeded
//! twice more at the same row counts: from the profile (the twin) and by inference alone. On each,
//! three migration steps are timed: `CREATE INDEX` on the skewed foreign key, `VALIDATE
//! CONSTRAINT` of a CHECK added NOT VALID, and an `ALTER COLUMN TYPE` that rewrites the table.
//! Printed: each time, and its ratio to the source's (target for the twin: within 0.7 to 1.3).
//!
//! `cargo bench --bench profile_fidelity`. Pause other compiles first: two shared cores move
//! these ratios by 20-30%.

#[path = "../tests/common/mod.rs"]
mod common;

use rehearse::profile::{self, fit::ValuePolicy, ProfileRequest};
use rehearse::provision::{ConnectionInfo, Database};
use rehearse::seed::{self, DatasetSection, ProgressMode, SeedRequest};
use std::time::Instant;

const SCHEMA: &str = include_str!("../tests/fixtures/profile/schema.sql");

fn rows_sql(orders: u64) -> String {
    include_str!("../tests/fixtures/profile/rows.sql").replace("60000", &orders.to_string())
}

/// A fresh database `name` on `server`, each SQL text run in it in order (the tests' helper
/// takes files; the bench's SQL is built in memory).
async fn database(server: &Database, name: &str, sql: &[&str]) -> ConnectionInfo {
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<_> = sql
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let path = dir.path().join(format!("{i}.sql"));
            std::fs::write(&path, text).unwrap();
            path
        })
        .collect();
    common::database_with(server, name, &files).await
}

async fn seeded(db: &ConnectionInfo, section: DatasetSection) {
    let mut request = SeedRequest::from_section(Some(&section), None).unwrap();
    request.progress = ProgressMode::Quiet;
    seed::seed(db, &request).await.unwrap();
}

/// Seconds of each step on `db`: the index and the validation are measured three times each
/// (undone between) and the median kept; the rewrite, last, once.
async fn steps(db: &ConnectionInfo) -> [f64; 3] {
    let client = db.connect().await.unwrap();
    client.batch_execute("ANALYZE").await.unwrap();
    let timed = |sql: &'static str| {
        let client = &client;
        async move {
            let t = Instant::now();
            client.batch_execute(sql).await.unwrap();
            t.elapsed().as_secs_f64()
        }
    };
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let mut index = Vec::new();
    let mut validate = Vec::new();
    for _ in 0..3 {
        index.push(timed("CREATE INDEX orders_customer ON orders (customer_id)").await);
        timed("DROP INDEX orders_customer").await;
        timed("ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total >= 0 AND length(notes) >= 0) NOT VALID").await;
        validate.push(timed("ALTER TABLE orders VALIDATE CONSTRAINT total_positive").await);
        timed("ALTER TABLE orders DROP CONSTRAINT total_positive").await;
    }
    let rewrite =
        timed("ALTER TABLE orders ALTER COLUMN total TYPE double precision USING total::float8")
            .await;
    [median(index), median(validate), rewrite]
}

#[tokio::main]
async fn main() {
    let orders: u64 = std::env::var("REHEARSE_BENCH_ORDERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let server = common::local_server().await;

    let rows = rows_sql(orders);
    let source = database(&server, "bench_source", &[SCHEMA, &rows]).await;
    let text = profile::profile(&ProfileRequest {
        url: source.url(),
        schemas: vec!["public".into()],
        values: ValuePolicy {
            text: false,
            numbers: true,
        },
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shop.toml");
    std::fs::write(&file, &text).unwrap();

    let twin = database(&server, "bench_twin", &[SCHEMA]).await;
    seeded(
        &twin,
        DatasetSection {
            generators: Some(file.display().to_string()),
            ..Default::default()
        },
    )
    .await;
    let inferred = database(&server, "bench_inferred", &[SCHEMA]).await;
    let counts: DatasetSection = toml::from_str(&format!(
        "[tables.customers]\nrows = 2000\n[tables.orders]\nrows = {orders}\n"
    ))
    .unwrap();
    seeded(&inferred, counts).await;

    let names = [
        "CREATE INDEX on the skewed key",
        "VALIDATE CONSTRAINT",
        "ALTER COLUMN TYPE rewrite",
    ];
    let (s, t, i) = (
        steps(&source).await,
        steps(&twin).await,
        steps(&inferred).await,
    );
    println!("profile_fidelity: {orders} orders; seconds on the source, the profile's twin and inferred data");
    let mut all_within = true;
    for k in 0..3 {
        let (rt, ri) = (t[k] / s[k], i[k] / s[k]);
        let within = (0.7..=1.3).contains(&rt);
        all_within &= within;
        println!(
            "  {:<32} source {:>7.3} s  twin {:>7.3} s (ratio {:.2}{})  inferred {:>7.3} s (ratio {:.2})",
            names[k],
            s[k],
            t[k],
            rt,
            if within { ", within 30%" } else { ", OUTSIDE 30%" },
            i[k],
            ri
        );
    }
    println!(
        "profile_fidelity: the twin is {} the source's times within 30%",
        if all_within { "at" } else { "NOT at" }
    );
}
