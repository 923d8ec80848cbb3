//! `rehearse profile` against a real PostgreSQL: a database filled with skewed rows is profiled,
//! a fresh database is seeded from the profile, and profiling that one gives back the shape
//! within the tolerances issue K names; no source text value is in the file.

use rehearse::profile::{self, fit::ValuePolicy, ProfileRequest, TableProfile};
use rehearse::provision::{ConnectionInfo, Database};
use rehearse::seed::{self, DatasetSection, ProgressMode, SeedRequest};

mod common;

async fn server() -> Database {
    common::local_server().await
}

async fn database(server: &Database, name: &str, files: &[&str]) -> ConnectionInfo {
    let files: Vec<_> = files
        .iter()
        .map(|f| common::fixture(&format!("profile/{f}")))
        .collect();
    common::database_with(server, name, &files).await
}

fn request(db: &ConnectionInfo, values: ValuePolicy) -> ProfileRequest {
    ProfileRequest {
        url: db.url(),
        schemas: vec!["public".into()],
        values,
    }
}

const PRIVATE: ValuePolicy = ValuePolicy {
    text: false,
    numbers: true,
};

async fn read(db: &ConnectionInfo) -> Vec<TableProfile> {
    let client = db.connect().await.unwrap();
    profile::read(&client, &["public".to_string()])
        .await
        .unwrap()
}

fn stats<'a>(tables: &'a [TableProfile], table: &str, column: &str) -> &'a profile::fit::Stats {
    tables
        .iter()
        .find(|t| t.name == table)
        .unwrap()
        .columns
        .iter()
        .find(|c| c.name == column)
        .unwrap()
        .stats
        .as_ref()
        .unwrap_or_else(|| panic!("{table}.{column} has no statistics"))
}

/// Seeds `twin` from the profile `text`, written to a file as `run --dataset` reads it; the file
/// (and its folder, which must outlive it) come back.
async fn seed_from(text: &str, twin: &ConnectionInfo) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("profile.toml");
    std::fs::write(&file, text).unwrap();
    let section = DatasetSection {
        generators: Some(file.display().to_string()),
        ..Default::default()
    };
    let mut seeding = SeedRequest::from_section(Some(&section), None).expect("the profile loads");
    seeding.progress = ProgressMode::Quiet;
    seed::seed(twin, &seeding).await.expect("the profile seeds");
    (dir, file)
}

fn rows(tables: &[TableProfile], table: &str) -> f64 {
    tables.iter().find(|t| t.name == table).unwrap().rows as f64
}

#[tokio::test]
async fn a_database_seeded_from_a_profile_has_the_shape_of_the_source() {
    let server = server().await;
    let source = database(&server, "shop_source", &["schema.sql", "rows.sql"]).await;
    let text = profile::profile(&request(&source, PRIVATE)).await.unwrap();

    // Nothing personal in the file: no status word, e-mail or coupon code of the source.
    for secret in [
        "shipped-secretly",
        "awaiting-courier",
        "example.org",
        "COUPON-",
        "lorem",
    ] {
        assert!(
            !text.contains(secret),
            "{secret} copied into the profile:\n{text}"
        );
    }
    // The schema names the tiers: they are kept.
    assert!(text.contains("\"enterprise\""), "{text}");
    assert!(text.starts_with("# A dataset shaped like"), "{text}");
    assert!(!text.contains("secret"), "{text}");

    // Seed a fresh database with the same schema from the profile.
    let twin = database(&server, "shop_twin", &["schema.sql"]).await;
    let (_dir, file) = seed_from(&text, &twin).await;

    let (before, after) = (read(&source).await, read(&twin).await);
    for table in ["public.customers", "public.orders"] {
        let (b, a) = (rows(&before, table), rows(&after, table));
        assert!((a - b).abs() <= 0.05 * b, "{table}: {a} rows against {b}");
    }
    let coupon = (
        stats(&before, "public.orders", "coupon"),
        stats(&after, "public.orders", "coupon"),
    );
    assert!(
        (coupon.0.null_frac - coupon.1.null_frac).abs() <= 0.02,
        "null_frac {} against {}",
        coupon.1.null_frac,
        coupon.0.null_frac
    );
    // The status: four values, most common frequencies within 0.03 of 70/20/7/3.
    let status = (
        stats(&before, "public.orders", "status"),
        stats(&after, "public.orders", "status"),
    );
    assert_eq!(status.1.most_common_freqs.len(), 4, "{:?}", status.1);
    for (b, a) in status
        .0
        .most_common_freqs
        .iter()
        .zip(&status.1.most_common_freqs)
    {
        assert!(
            (a - b).abs() <= 0.03,
            "{:?} against {:?}",
            status.1,
            status.0
        );
    }
    let distinct =
        |s: &profile::fit::Stats, rows: f64| profile::fit::distinct_count(s.n_distinct, rows);
    for (table, column) in [
        ("public.orders", "status"),
        ("public.orders", "city"),
        ("public.orders", "units"),
        ("public.customers", "tier"),
        ("public.customers", "email"),
    ] {
        let (b, a) = (stats(&before, table, column), stats(&after, table, column));
        let (nb, na) = (
            distinct(b, rows(&before, table)),
            distinct(a, rows(&after, table)),
        );
        assert!(
            (na - nb).abs() <= 0.2 * nb,
            "{table}.{column}: {na} distinct against {nb}"
        );
    }
    // Skewed numbers keep their shape through the histogram: the median stays low.
    let median = |s: &profile::fit::Stats| -> f64 {
        s.histogram_bounds[s.histogram_bounds.len() / 2]
            .parse()
            .unwrap()
    };
    let total = (
        stats(&before, "public.orders", "total"),
        stats(&after, "public.orders", "total"),
    );
    let (mb, ma) = (median(total.0), median(total.1));
    assert!(
        (ma - mb).abs() <= 0.2 * mb,
        "median total {ma} against {mb}"
    );
    assert!(!text.contains("town-"), "a city copied into the profile");
    // Times too: orders crowd the start of the range, and the twin's median day stays there.
    let day = |s: &profile::fit::Stats| {
        s.histogram_bounds[s.histogram_bounds.len() / 2][..10].to_string()
    };
    let placed = (
        stats(&before, "public.orders", "placed_at"),
        stats(&after, "public.orders", "placed_at"),
    );
    let (db, da) = (day(placed.0), day(placed.1));
    assert!(
        db.as_str() < "2023-08-01",
        "the fixture's median day is {db}"
    );
    assert!(
        da.as_str() < "2023-08-01" && da.as_str() > "2023-04-01",
        "median day {da} against {db}"
    );
    // Dates too: due days crowd the start of the year (median about April 1st, uniform would
    // give July). Read from the rows: pg_stats' histogram leaves out the common days.
    let median_due = |db: ConnectionInfo| async move {
        db.connect()
            .await
            .unwrap()
            .query_one(
                "SELECT (percentile_disc(0.5) WITHIN GROUP (ORDER BY due_on))::text FROM orders",
                &[],
            )
            .await
            .unwrap()
            .get::<_, String>(0)
    };
    let (db, da) = (
        median_due(source.clone()).await,
        median_due(twin.clone()).await,
    );
    assert!(
        db.as_str() < "2024-04-20",
        "the fixture's median due day is {db}"
    );
    assert!(
        da.as_str() < "2024-04-20" && da.as_str() > "2024-03-10",
        "median due day {da} against {db}"
    );
    // Rows loaded in a column's order are loaded in it again; a column in random order stays
    // out of order.
    let received = (
        stats(&before, "public.orders", "received_at"),
        stats(&after, "public.orders", "received_at"),
    );
    assert!(received.0.correlation > 0.99, "{}", received.0.correlation);
    assert!(
        received.1.correlation > 0.9,
        "the twin's received_at correlation is {}",
        received.1.correlation
    );
    assert!(
        placed.1.correlation.abs() < 0.5,
        "the twin's placed_at correlation is {}",
        placed.1.correlation
    );
    // Long text keeps its width.
    let notes = (
        stats(&before, "public.orders", "notes"),
        stats(&after, "public.orders", "notes"),
    );
    let (wb, wa) = (f64::from(notes.0.avg_width), f64::from(notes.1.avg_width));
    assert!((wa - wb).abs() <= 0.2 * wb, "notes width {wa} against {wb}");
    // The skewed foreign key stays skewed: its most common customer holds a share like the
    // source's.
    let fk = (
        stats(&before, "public.orders", "customer_id"),
        stats(&after, "public.orders", "customer_id"),
    );
    let (top_b, top_a) = (fk.0.most_common_freqs[0], fk.1.most_common_freqs[0]);
    assert!(
        top_a >= top_b / 2.0 && top_a <= top_b * 2.0,
        "top customer {top_a} against {top_b}"
    );
    // And the tool says so itself.
    let compared = std::process::Command::new(env!("CARGO_BIN_EXE_rehearse"))
        .args(["profile", "--url", &twin.url(), "--compare"])
        .arg(&file)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&compared.stdout);
    assert_eq!(compared.status.code(), Some(0), "{out}");
    assert!(
        out.contains("ok   public.orders.status most common weights"),
        "{out}"
    );
    // A twin at a tenth of the rows is compared at that scale, and fails without it.
    let scaled = std::process::Command::new(env!("CARGO_BIN_EXE_rehearse"))
        .args([
            "profile",
            "--url",
            &twin.url(),
            "--scale",
            "0.1",
            "--compare",
        ])
        .arg(&file)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&scaled.stdout);
    assert_eq!(scaled.status.code(), Some(1), "{out}");
    assert!(out.contains("FAIL public.orders rows: 60"), "{out}");
}

#[tokio::test]
async fn values_are_copied_only_when_asked_and_the_source_is_only_read() {
    let server = server().await;
    let source = database(&server, "shop_values", &["schema.sql", "rows.sql"]).await;
    let asked = ValuePolicy {
        text: true,
        numbers: true,
    };
    let text = profile::profile(&request(&source, asked)).await.unwrap();
    assert!(text.contains("shipped-secretly"), "{text}");
    let none = ValuePolicy {
        text: false,
        numbers: false,
    };
    let text = profile::profile(&request(&source, none)).await.unwrap();
    assert!(!text.contains("2023-"), "{text}");
    assert!(text.contains("--no-values"), "{text}");
    // A table nobody analyzed yet is counted, and says so.
    let client = source.connect().await.unwrap();
    client
        .batch_execute(
            "CREATE TABLE fresh (id int); INSERT INTO fresh SELECT generate_series(1, 10);",
        )
        .await
        .unwrap();
    let text = profile::profile(&request(&source, PRIVATE)).await.unwrap();
    assert!(
        text.contains("# public.fresh was never analyzed: its rows were counted")
            && text.contains("[tables.\"public.fresh\"]\nrows = 10\n"),
        "{text}"
    );
}

#[tokio::test]
async fn run_dataset_seeds_a_rehearsal_from_a_profile_at_a_scale() {
    let server = server().await;
    let source = database(&server, "shop_run", &["schema.sql", "rows.sql"]).await;
    let dir = tempfile::tempdir().unwrap();
    let profile_file = dir.path().join("prod.toml");
    let written = std::process::Command::new(env!("CARGO_BIN_EXE_rehearse"))
        .args(["profile", "--url", &source.url(), "--out"])
        .arg(&profile_file)
        .output()
        .unwrap();
    assert!(
        written.status.success(),
        "{}",
        String::from_utf8_lossy(&written.stderr)
    );
    let migrations = dir.path().join("migrations");
    std::fs::create_dir(&migrations).unwrap();
    std::fs::copy(
        "tests/fixtures/profile/schema.sql",
        migrations.join("V1__shop.sql"),
    )
    .unwrap();
    std::fs::write(
        migrations.join("V1__shop_rollback.sql"),
        "DROP TABLE orders;\nDROP TABLE customers;\n",
    )
    .unwrap();
    std::fs::write(
        migrations.join("V2__index_status.sql"),
        "CREATE INDEX orders_status ON orders (status);\n",
    )
    .unwrap();
    std::fs::write(
        migrations.join("V2__index_status_rollback.sql"),
        "DROP INDEX orders_status;\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_rehearse"))
        .args(["run"])
        .arg(&migrations)
        .args(["--provider", "local", "--scale", "0.5", "--dataset"])
        .arg(&profile_file)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let orders = report["seed"]["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "public.orders")
        .unwrap_or_else(|| panic!("{}", report["seed"]));
    assert_eq!(orders["rows"], 30000, "{orders}");
    assert!(orders.get("inferred").is_none(), "{orders}");
}

/// Partitions are profiled through their partitioned table (the seeder routes rows through it, so
/// every partition's bound holds); each partition must still get its own share of the rows, from
/// the key's inherited statistics.
#[tokio::test]
async fn each_partition_of_a_profiled_table_gets_its_share_of_the_rows() {
    let server = server().await;
    let schema = "CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, kind text NOT NULL)
                      PARTITION BY RANGE (at);
                  CREATE TABLE events_2022 PARTITION OF events FOR VALUES FROM ('2022-01-01') TO ('2023-01-01');
                  CREATE TABLE events_2023 PARTITION OF events FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
                  CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');";
    // 10%, 30% and 60% of 50,000 rows: a table growing year on year.
    let rows_sql = "INSERT INTO events
                    SELECT g, CASE WHEN g % 10 = 0 THEN date '2022-01-01' + g % 365
                                   WHEN g % 10 < 4 THEN date '2023-01-01' + g % 365
                                   ELSE date '2024-01-01' + g % 365 END,
                           'k' || g % 7
                      FROM generate_series(1, 50000) g;
                    ANALYZE;";
    let admin = server.connection.connect().await.unwrap();
    for name in ["parts_source", "parts_twin"] {
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
    }
    let source = server.connection.with_dbname("parts_source");
    let twin = server.connection.with_dbname("parts_twin");
    let s = source.connect().await.unwrap();
    s.batch_execute(schema).await.unwrap();
    s.batch_execute(rows_sql).await.unwrap();
    twin.connect()
        .await
        .unwrap()
        .batch_execute(schema)
        .await
        .unwrap();

    let text = profile::profile(&request(&source, PRIVATE)).await.unwrap();
    seed_from(&text, &twin).await;

    let counts = |db: ConnectionInfo| async move {
        let c = db.connect().await.unwrap();
        let mut out = Vec::new();
        for p in ["events_2022", "events_2023", "events_2024"] {
            let n: i64 = c
                .query_one(&format!("SELECT count(*) FROM {p}"), &[])
                .await
                .unwrap()
                .get(0);
            out.push(n as f64);
        }
        out
    };
    let (b, a) = (counts(source.clone()).await, counts(twin.clone()).await);
    for (i, (b, a)) in b.iter().zip(&a).enumerate() {
        assert!(
            (a - b).abs() <= 0.05 * b,
            "partition {i}: {a} rows in the twin against {b}\n{text}"
        );
    }
}
