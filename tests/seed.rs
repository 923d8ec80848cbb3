//! Seeding against a real PostgreSQL: determinism, validity after the load, an unchanged
//! schema, inference on a bare schema, and every validation error before any row is written.

use rehearse::provision::{ConnectionInfo, Database};
use rehearse::seed::{self, DatasetSection, ProgressMode, SeedRequest};
use rehearse::Error;
use std::collections::BTreeMap;

const SHOP: &str = "tests/fixtures/seed/shop/V001__shop.sql";
const SHOP_DATASET: &str = "tests/fixtures/seed/shop.toml";

mod common;

async fn server() -> Database {
    common::local_server().await
}

/// A fresh database on `server` with the fixture schema applied.
async fn database(server: &Database, name: &str, schema: &[&str]) -> ConnectionInfo {
    let files: Vec<_> = schema.iter().map(|f| common::repo().join(f)).collect();
    common::database_with(server, name, &files).await
}

fn request(section: DatasetSection) -> SeedRequest {
    let mut r = SeedRequest::from_section(Some(&section), None).expect("dataset loads");
    r.progress = ProgressMode::Quiet;
    r
}

fn shop_dataset(seed: u64) -> DatasetSection {
    let extra: DatasetSection =
        toml::from_str("[tables.profiles]\nrows = 250\n[tables.user_follows]\nrows = 2000\n")
            .unwrap();
    DatasetSection {
        generators: Some(SHOP_DATASET.into()),
        seed: Some(seed),
        tables: extra.tables,
        ..Default::default()
    }
}

/// An order-independent checksum of every user table.
async fn checksums(info: &ConnectionInfo) -> BTreeMap<String, String> {
    let client = info.connect().await.unwrap();
    let tables = client
        .query(
            "SELECT quote_ident(relname) FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace ORDER BY 1",
            &[],
        )
        .await
        .unwrap();
    let mut out = BTreeMap::new();
    for t in tables {
        let name: String = t.get(0);
        let row = client
            .query_one(
                &format!(
                    "SELECT count(*)::text || ':' || md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM {name} t"
                ),
                &[],
            )
            .await
            .unwrap();
        out.insert(name, row.get::<_, String>(0));
    }
    out
}

async fn count(info: &ConnectionInfo, sql: &str) -> i64 {
    let client = info.connect().await.unwrap();
    client.query_one(sql, &[]).await.unwrap().get(0)
}

#[tokio::test]
async fn the_same_seed_gives_the_same_tables_and_another_seed_does_not() {
    let server = server().await;
    let a = database(&server, "seed_a", &[SHOP]).await;
    let b = database(&server, "seed_b", &[SHOP]).await;
    let c = database(&server, "seed_c", &[SHOP]).await;

    // Different thread counts: the data must not depend on scheduling.
    let mut first = request(shop_dataset(7));
    first.load.generator_threads = 1;
    first.load.parallel_tables = 1;
    let mut second = request(shop_dataset(7));
    second.load.generator_threads = 4;
    second.load.parallel_tables = 3;
    // Large-table path: tables alone in their layer split over several COPY streams.
    second.load.parallel_copy_from_rows = 100;
    seed::seed(&a, &first).await.unwrap();
    seed::seed(&b, &second).await.unwrap();
    seed::seed(&c, &request(shop_dataset(8))).await.unwrap();

    let (sa, sb, sc) = (
        checksums(&a).await,
        checksums(&b).await,
        checksums(&c).await,
    );
    assert_eq!(sa.len(), 7);
    assert_eq!(sa, sb);
    assert_ne!(sa["users"], sc["users"]);
    assert_eq!(sa["users"].split(':').next(), Some("300"));
}

#[tokio::test]
async fn after_seeding_every_key_is_valid_every_constraint_holds_and_the_schema_is_unchanged() {
    let server = server().await;
    let db = database(&server, "shop", &[SHOP]).await;
    let before = common::schema_dump(&db, true);

    let mut req = request(shop_dataset(3));
    // Take the drop-and-rebuild path for every table, small as they are.
    req.load.rebuild_indexes_from_rows = 0;
    let outcome = seed::seed(&db, &req).await.unwrap();
    assert_eq!(
        common::schema_dump(&db, true),
        before,
        "seeding changed the schema"
    );

    let rows: BTreeMap<String, u64> = outcome
        .tables
        .iter()
        .map(|t| (t.table.clone(), t.rows))
        .collect();
    assert_eq!(rows["public.accounts"], 40);
    assert_eq!(rows["public.order_items"], 1500);
    assert_eq!(rows["public.profiles"], 250);
    assert!(outcome
        .tables
        .iter()
        .all(|t| t.table_bytes > 0 && t.copy_bytes > 0));

    // Every foreign key is back and validated (re-adding one checks every row).
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND convalidated"
        )
        .await,
        7
    );
    // And, spelled out for the zipf-skewed one and the composite one:
    assert_eq!(
        count(&db, "SELECT count(*) FROM users u LEFT JOIN accounts a ON a.id = u.account_id WHERE a.id IS NULL").await,
        0
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM order_items i LEFT JOIN orders o ON o.id = i.order_id WHERE o.id IS NULL").await,
        0
    );
    // Skew: the most referenced account holds far more than an even share of users.
    assert!(
        count(
            &db,
            "SELECT max(n) FROM (SELECT count(*) n FROM users GROUP BY account_id) s"
        )
        .await
            > 30
    );
    // Constraints the generators had to respect.
    assert_eq!(
        count(&db, "SELECT count(*) FROM users WHERE email NOT LIKE '%@%'").await,
        0
    );
    assert_eq!(
        count(&db, "SELECT count(DISTINCT username) FROM contacts").await,
        200
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM accounts WHERE plan NOT IN ('free', 'team', 'enterprise')"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM orders WHERE meta IS NOT NULL AND NOT meta ? 'channel'"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM contacts WHERE born NOT BETWEEN '1950-01-01' AND '2005-12-31'"
        )
        .await,
        0
    );
    let nulls = count(&db, "SELECT count(*) FROM orders WHERE meta IS NULL").await;
    assert!(
        (60..=180).contains(&nulls),
        "{nulls} NULL meta of 600 at nulls = 0.2"
    );
    // Sequences moved past the generated keys: the application can insert.
    assert_eq!(
        count(
            &db,
            "INSERT INTO accounts (name, plan) VALUES ('new', 'free') RETURNING id"
        )
        .await,
        41
    );
}

#[tokio::test]
async fn a_bare_schema_is_seeded_from_the_catalog_alone() {
    let server = server().await;
    let db = database(&server, "bare", &[SHOP]).await;
    let outcome = seed::seed(&db, &request(DatasetSection::default()))
        .await
        .unwrap();
    assert_eq!(outcome.tables.len(), 7);
    assert!(
        outcome.tables.iter().all(|t| t.rows == 1000),
        "{:?}",
        outcome.tables
    );
    // Names, constraints and keys guided the inferred generators.
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM users WHERE email NOT LIKE '%_@_%.%'"
        )
        .await,
        0
    );
    assert_eq!(
        count(&db, "SELECT count(DISTINCT email) FROM users").await,
        1000
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM users WHERE age IS NOT NULL AND age NOT BETWEEN 13 AND 120"
        )
        .await,
        0
    );
    assert!(count(&db, "SELECT count(*) FROM users WHERE deleted_at IS NULL").await > 700);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM accounts WHERE length(country) <> 2"
        )
        .await,
        0
    );
    assert_eq!(
        count(&db, "SELECT count(DISTINCT status) FROM orders").await,
        4
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM contacts WHERE website NOT LIKE 'https://%'"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM order_items WHERE quantity NOT BETWEEN 1 AND 100"
        )
        .await,
        0
    );
    assert_eq!(
        count(&db, "SELECT count(DISTINCT user_id) FROM profiles").await,
        1000
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND convalidated"
        )
        .await,
        7
    );
}

/// Plans `toml` (inline tables) against the shop schema and returns the error sentence.
async fn refused(db: &ConnectionInfo, dir: &std::path::Path, toml_text: &str) -> String {
    let file = dir.join("dataset.toml");
    std::fs::write(&file, toml_text).unwrap();
    let section = DatasetSection {
        generators: Some(file.display().to_string()),
        ..Default::default()
    };
    let req = request(section);
    match seed::seed(db, &req).await {
        Err(Error::Input(m)) => m,
        other => panic!("expected bad input for {toml_text}, got {other:?}"),
    }
}

#[tokio::test]
async fn every_validation_error_names_the_definition_and_writes_nothing() {
    let server = server().await;
    let db = database(&server, "shop", &[SHOP]).await;
    let dir = tempfile::tempdir().unwrap();

    let m = refused(&db, dir.path(), "[tables.acounts]\nrows = 5\n").await;
    assert!(
        m.contains("dataset.toml") && m.contains("\"acounts\" does not exist"),
        "{m}"
    );

    let m = refused(
        &db,
        dir.path(),
        "[tables.users.columns]\nemial = { kind = \"email\" }\n",
    )
    .await;
    assert!(
        m.contains("dataset.toml") && m.contains("\"users.emial\" does not exist"),
        "{m}"
    );

    let m = refused(
        &db,
        dir.path(),
        "[tables.users]\nrows = 1500\n[tables.users.columns]\nage = { kind = \"int\", min = 18, max = 99, unique = true }\n",
    )
    .await;
    assert!(
        m.contains("users.age") && m.contains("82 distinct values for 1500 rows"),
        "{m}"
    );

    let m = refused(
        &db,
        dir.path(),
        "[tables.accounts.columns]\nplan = { kind = \"choice\", values = [\"free\", \"professional-plus-annual\"] }\n",
    )
    .await;
    assert!(
        m.contains("accounts.plan") && m.contains("longer than the column's character varying(20)"),
        "{m}"
    );

    let m = refused(
        &db,
        dir.path(),
        "[tables.order_items.columns]\nquantity = { kind = \"int\", min = 0, max = 10 }\n",
    )
    .await;
    assert!(
        m.contains("order_items.quantity") && m.contains("breaks the constraint"),
        "{m}"
    );

    let m = refused(
        &db,
        dir.path(),
        "[tables.orders.columns]\nstatus = { kind = \"choice\", values = [\"paid\", \"refunded\"] }\n",
    )
    .await;
    assert!(
        m.contains("orders.status") && m.contains("\"refunded\" is not a label"),
        "{m}"
    );

    let m = refused(
        &db,
        dir.path(),
        "[tables.users.columns]\nage = { kind = \"email\" }\n",
    )
    .await;
    assert!(
        m.contains("users.age") && m.contains("cannot be written to a column of type"),
        "{m}"
    );

    // Nothing was written by any of the refused plans.
    assert_eq!(count(&db, "SELECT count(*) FROM users").await, 0);

    let cyclic = database(
        &server,
        "cyclic",
        &["tests/fixtures/seed/cycle/V001__cycle.sql"],
    )
    .await;
    let m = refused(&cyclic, dir.path(), "[tables.teams]\nrows = 3\n").await;
    assert!(
        m.contains("dataset.toml")
            && m.contains("form a cycle")
            && m.contains("teams.captain_id → players"),
        "{m}"
    );
}

#[tokio::test]
async fn a_reset_from_the_template_restores_the_seeded_rows() {
    let server = server().await;
    let db = database(&server, "shop", &[SHOP]).await;
    seed::seed(&db, &request(shop_dataset(5))).await.unwrap();
    let seeded = checksums(&db).await;
    let template = seed::Template::create(&db, false).await.unwrap();
    let client = db.connect().await.unwrap();
    client
        .batch_execute("DELETE FROM order_items; UPDATE users SET full_name = 'x'")
        .await
        .unwrap();
    drop(client);
    template.reset().await.unwrap();
    assert_eq!(checksums(&db).await, seeded);
    // The clone skipped fsync on this disposable server; the rehearsal must measure with it on.
    let fsync: String = db
        .connect()
        .await
        .unwrap()
        .query_one("SELECT current_setting('fsync')", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(fsync, "on");
}

#[tokio::test]
async fn seeding_leaves_nothing_for_autovacuum_and_every_page_all_visible() {
    let server = server().await;
    let db = database(&server, "shop", &[SHOP]).await;
    seed::seed(&db, &request(shop_dataset(5))).await.unwrap();
    let client = db.connect().await.unwrap();
    // Every seeded table was vacuumed and analyzed, so autovacuum has nothing to start on
    // during a measured migration, and its pages are all visible.
    let rows = client
        .query(
            "SELECT s.relname::text, s.n_ins_since_vacuum, s.last_vacuum IS NOT NULL,
                    s.last_analyze IS NOT NULL, c.relallvisible = c.relpages
             FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid ORDER BY 1",
            &[],
        )
        .await
        .unwrap();
    assert!(!rows.is_empty());
    for r in rows {
        let table: String = r.get(0);
        assert_eq!(
            r.get::<_, i64>(1),
            0,
            "{table} has inserts since its vacuum"
        );
        assert!(r.get::<_, bool>(2), "{table} was never vacuumed");
        assert!(r.get::<_, bool>(3), "{table} was never analyzed");
        assert!(r.get::<_, bool>(4), "{table} has pages not all visible");
    }
}

#[tokio::test]
async fn inferred_columns_keep_the_order_a_check_puts_between_them() {
    let server = server().await;
    let db = database(
        &server,
        "ordered",
        &["tests/fixtures/seed/ordered/V001__bookings.sql"],
    )
    .await;
    // Every column inferred: without the ordering, COPY refuses the first row that breaks one.
    let section: DatasetSection = toml::from_str("[tables.bookings]\nrows = 20000\n").unwrap();
    seed::seed(&db, &request(section)).await.unwrap();
    assert_eq!(count(&db, "SELECT count(*) FROM bookings").await, 20_000);
    // The greater columns still vary: a spread of periods, guests and deposits, not one step.
    assert!(
        count(
            &db,
            "SELECT count(DISTINCT ends_at - starts_at) FROM bookings"
        )
        .await
            > 1_000
    );
    assert!(
        count(
            &db,
            "SELECT count(DISTINCT max_guests - min_guests) FROM bookings"
        )
        .await
            > 5
    );
    assert!(count(&db, "SELECT count(DISTINCT price - deposit) FROM bookings").await > 100);
    // NULLs where the lesser column is NULL are still allowed by the CHECK.
    assert!(
        count(
            &db,
            "SELECT count(*) FROM bookings WHERE checked_out_at IS NOT NULL"
        )
        .await
            > 0
    );
}

#[tokio::test]
async fn array_columns_get_elements_of_their_type() {
    let server = server().await;
    let db = database(
        &server,
        "arrays",
        &["tests/fixtures/seed/arrays/V001__articles.sql"],
    )
    .await;
    let section: DatasetSection = toml::from_str(
        r#"[tables.articles]
        rows = 3000
        [tables.articles.columns.ratings]
        kind = "array"
        count = [2, 3]
        element = { kind = "int", min = 1, max = 5, nulls = 0.5 }"#,
    )
    .unwrap();
    seed::seed(&db, &request(section)).await.unwrap();
    let n = |sql: &'static str| count(&db, sql);
    // Inferred: between 0 and 4 elements, most rows with some.
    assert!(n("SELECT count(*) FROM articles WHERE cardinality(tags) > 0").await > 2_000);
    assert_eq!(
        n("SELECT count(*) FROM articles WHERE cardinality(tags) > 4").await,
        0
    );
    assert!(
        n("SELECT count(DISTINCT t) FROM articles, unnest(tags) t").await > 50,
        "the elements vary"
    );
    assert!(n("SELECT count(*) FROM articles, unnest(scores) s WHERE s IS NOT NULL").await > 0);
    // The element type's limits hold: varchar(3) elements fit.
    assert!(n("SELECT count(*) FROM articles, unnest(codes) c").await > 0);
    assert_eq!(
        n("SELECT count(*) FROM articles, unnest(codes) c WHERE length(c) > 3").await,
        0
    );
    assert!(n("SELECT count(*) FROM articles, unnest(seen_at) s WHERE s > '1990-01-01'").await > 0);
    // Defined: 2 or 3 elements in 1..5, about half NULL.
    assert_eq!(
        n("SELECT count(*) FROM articles WHERE cardinality(ratings) NOT BETWEEN 2 AND 3").await,
        0
    );
    assert_eq!(
        n("SELECT count(*) FROM articles, unnest(ratings) r WHERE r NOT BETWEEN 1 AND 5").await,
        0
    );
    let null_elements = n("SELECT count(*) FROM articles, unnest(ratings) r WHERE r IS NULL").await;
    let all_elements = n("SELECT count(*) FROM articles, unnest(ratings) r").await;
    assert!(
        (null_elements as f64 / all_elements as f64 - 0.5).abs() < 0.05,
        "{null_elements} NULL of {all_elements}"
    );
}

#[tokio::test]
async fn inferred_tables_get_as_many_rows_as_their_constraints_allow_and_say_why() {
    let server = server().await;
    let db = database(
        &server,
        "limits",
        &["tests/fixtures/seed/limits/V001__limits.sql"],
    )
    .await;
    // The moderators stay empty, as after a migration that emptied them.
    let section: DatasetSection = toml::from_str("[tables.moderator]\nskip = true\n").unwrap();
    let outcome = seed::seed(&db, &request(section)).await.unwrap();
    // A unique reference into a parent with 1 row: 1 row, not an abort.
    assert_eq!(count(&db, "SELECT count(*) FROM user_ban").await, 1);
    // A required reference into a parent without rows: none.
    assert_eq!(count(&db, "SELECT count(*) FROM sticky_post").await, 0);
    // An optional reference into it: every row, the reference NULL.
    assert_eq!(
        count(&db, "SELECT count(*) FROM post WHERE pinned_by IS NULL").await,
        1000
    );
    let report = outcome.report();
    let lines: Vec<String> = report.limits.iter().map(|l| l.sentence()).collect();
    assert_eq!(
        lines,
        [
            "public.sticky_post gets 0 rows instead of 1000: its foreign key sticky_post_mod_user_id_fkey (mod_user_id) is NOT NULL and references moderator, which has no rows",
            "public.user_ban gets 1 row instead of 1000: its foreign key user_ban_user_id_fkey (user_id) is unique and references user_, which has 1 rows (user_ holds only what a migration inserted, and rehearse leaves a table a migration filled alone: give it rows in the dataset to seed more)",
        ]
    );
}

#[tokio::test]
async fn inference_keeps_single_value_checks_and_columns_named_for_a_table_hold_its_keys() {
    let server = server().await;
    let db = database(
        &server,
        "implied",
        &["tests/fixtures/seed/implied/V001__implied.sql"],
    )
    .await;
    let outcome = seed::seed(&db, &request(DatasetSection::default()))
        .await
        .unwrap();
    // CHECK (id = 1) on the key: one row, and the one allowed key.
    assert_eq!(
        count(&db, "SELECT count(*) FROM site_settings WHERE id = 1").await,
        1
    );
    assert_eq!(count(&db, "SELECT count(*) FROM default_choice").await, 2);
    let lines: Vec<String> = outcome
        .report()
        .limits
        .iter()
        .map(|l| l.sentence())
        .collect();
    assert!(
        lines.iter().any(
            |l| l.starts_with("public.site_settings gets 1 row instead of 1000")
                && l.contains("CHECK ((id = 1))")
        ),
        "{lines:?}"
    );
    assert_eq!(count(&db, "SELECT count(*) FROM articles").await, 1000);
    // author_id and category_id hold keys of the tables they are named for, so the foreign
    // keys a later migration adds validate; the optional one is sometimes NULL.
    let client = db.connect().await.unwrap();
    client
        .batch_execute(
            "ALTER TABLE articles ADD FOREIGN KEY (author_id) REFERENCES authors (id);
             ALTER TABLE articles ADD FOREIGN KEY (category_id) REFERENCES categories (id);",
        )
        .await
        .expect("the implied references hold existing keys");
    let nulls = count(
        &db,
        "SELECT count(*) FROM articles WHERE category_id IS NULL",
    )
    .await;
    assert!((30..=200).contains(&nulls), "{nulls} NULL category_id");
    // A text editor_id cannot hold authors' bigint keys: it is inferred, not referenced.
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM articles WHERE editor_id ~ '^[0-9]+$'"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn a_defined_table_that_cannot_get_its_rows_is_still_bad_input() {
    let server = server().await;
    let db = database(
        &server,
        "limits_defined",
        &["tests/fixtures/seed/limits/V001__limits.sql"],
    )
    .await;
    let section: DatasetSection =
        toml::from_str("[tables.moderator]\nskip = true\n[tables.user_ban]\nrows = 10\n").unwrap();
    match seed::seed(&db, &request(section)).await {
        Err(Error::Input(m)) => assert!(
            m.contains("user_ban.user_id") && m.contains("fewer than the 10 rows asked for"),
            "{m}"
        ),
        other => panic!("expected bad input, got {:?}", other.map(|o| o.rows())),
    }
}

#[tokio::test]
async fn partitioned_tables_are_seeded_within_their_partitions_bounds() {
    let server = server().await;
    let db = database(
        &server,
        "partitioned",
        &["tests/fixtures/seed/partitioned/V001__partitioned.sql"],
    )
    .await;
    let before = common::schema_dump(&db, true);
    seed::seed(&db, &request(DatasetSection::default()))
        .await
        .expect("every row finds its partition");
    for table in [
        "events",
        "event_notes",
        "daily_totals",
        "buckets",
        "regions",
    ] {
        assert_eq!(
            count(&db, &format!("SELECT count(*) FROM {table}")).await,
            1000,
            "{table}"
        );
    }
    // Both months get rows, and nothing falls outside them.
    assert_eq!(
        count(&db, "SELECT count(DISTINCT tableoid) FROM events").await,
        2
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM regions WHERE code NOT IN ('de', 'fr', 'us')"
        )
        .await,
        0
    );
    // The foreign keys from and to the partitioned table are back, and validated.
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND NOT convalidated"
        )
        .await,
        0
    );
    assert_eq!(
        common::schema_dump(&db, true),
        before,
        "seeding changed the schema"
    );
}

#[tokio::test]
async fn a_unique_index_on_a_constant_keeps_an_inferred_table_to_one_row() {
    let server = server().await;
    let db = database(
        &server,
        "one_row",
        &["tests/fixtures/seed/one_row/V001__one_row.sql"],
    )
    .await;
    let outcome = seed::seed(&db, &request(DatasetSection::default()))
        .await
        .unwrap();
    assert_eq!(count(&db, "SELECT count(*) FROM site_totals").await, 1);
    // An expression of a column is no constant: the table gets its rows.
    assert_eq!(count(&db, "SELECT count(*) FROM tag").await, 1000);
    let lines: Vec<String> = outcome
        .report()
        .limits
        .iter()
        .map(|l| l.sentence())
        .collect();
    assert_eq!(
        lines,
        ["public.site_totals gets 1 row instead of 1000: its unique index site_totals_one_row_only is on an expression of no column, so it allows one row"]
    );
}

#[tokio::test]
async fn an_exclusive_arc_gets_exactly_one_parent_per_row() {
    let server = server().await;
    let db = database(
        &server,
        "arc",
        &["tests/fixtures/seed/exclusive_arc/V001__notifications.sql"],
    )
    .await;
    let section: DatasetSection =
        toml::from_str("[tables.private_message]\nskip = true\n").unwrap();
    // Before, the first row broke the CHECK and the whole seed point failed.
    seed::seed(&db, &request(section)).await.unwrap();
    assert_eq!(count(&db, "SELECT count(*) FROM notification").await, 1000);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM notification WHERE num_nonnulls(post_id, comment_id, private_message_id) <> 1"
        )
        .await,
        0
    );
    // Both parents that have rows take turns; the empty one is never pointed at.
    let posts = count(
        &db,
        "SELECT count(*) FROM notification WHERE post_id IS NOT NULL",
    )
    .await;
    assert!((350..650).contains(&posts), "{posts} of 1000 about a post");
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM notification WHERE private_message_id IS NOT NULL"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn columns_whose_nulls_a_check_ties_are_null_together() {
    let server = server().await;
    let db = database(
        &server,
        "coupled",
        &["tests/fixtures/seed/null_coupling/V001__actions.sql"],
    )
    .await;
    // Before, a row in a few broke a CHECK and the whole seed point failed.
    seed::seed(&db, &request(DatasetSection::default()))
        .await
        .unwrap();
    assert_eq!(
        count(&db, "SELECT count(*) FROM community_action").await,
        1000
    );
    let q = |sql: &'static str| count(&db, sql);
    // Some rows of each kind, so the CHECKs were put to the test.
    let followed = q("SELECT count(*) FROM community_action WHERE followed IS NOT NULL").await;
    assert!((1..1000).contains(&followed), "{followed}");
    assert!(q("SELECT count(*) FROM community_action WHERE ban_expires IS NOT NULL").await > 0);
    assert!(
        q("SELECT count(*) FROM community_action WHERE follow_approver_id IS NOT NULL").await > 0
    );
    assert_eq!(
        q("SELECT count(*) FROM community_action WHERE (followed IS NULL) <> (follow_state IS NULL)").await,
        0
    );
}

#[tokio::test]
async fn two_unique_pairs_that_share_a_reference_both_hold() {
    let server = server().await;
    let db = database(
        &server,
        "likes",
        &[
            "tests/fixtures/seed/exclusive_arc/V001__notifications.sql",
            "tests/fixtures/seed/exclusive_arc/V002__likes.sql",
        ],
    )
    .await;
    // Before, person_id was the high digit of one pair and the low of the other, so every row
    // repeated one pair and the COPY failed on the first duplicate.
    seed::seed(&db, &request(DatasetSection::default()))
        .await
        .unwrap();
    assert_eq!(count(&db, "SELECT count(*) FROM person_liked").await, 1000);
    assert!(
        count(&db, "SELECT count(DISTINCT person_id) FROM person_liked").await > 100,
        "the likes are spread over the people"
    );
}

#[tokio::test]
async fn an_exclusive_arc_over_tables_without_rows_gets_no_rows_and_says_why() {
    let server = server().await;
    let db = database(
        &server,
        "arc_empty",
        &["tests/fixtures/seed/exclusive_arc/V001__notifications.sql"],
    )
    .await;
    // Nothing to be notified about: no row can point at exactly one parent.
    let section: DatasetSection = toml::from_str(
        "[tables.post]\nskip = true\n[tables.comment]\nskip = true\n[tables.private_message]\nskip = true\n",
    )
    .unwrap();
    // Before, the seed point failed on the CHECK.
    let outcome = seed::seed(&db, &request(section)).await.unwrap();
    assert_eq!(count(&db, "SELECT count(*) FROM notification").await, 0);
    let lines: Vec<String> = outcome
        .report()
        .limits
        .iter()
        .map(|l| l.sentence())
        .collect();
    assert!(
        lines.iter().any(|l| l.starts_with("public.notification gets 0 rows instead of 1000: its CHECK notification_check needs one of post_id, comment_id, private_message_id set")),
        "{lines:?}"
    );
}

#[tokio::test]
async fn encoded_ranges_and_multiranges_read_back_as_the_server_prints_them() {
    use futures_util::SinkExt;
    use rehearse::seed::copy::{CopyEncoder, HEADER, TRAILER};
    use rehearse::seed::values::{days_from_civil, PgType, Range, Value, US_PER_DAY};

    let server = server().await;
    let db = database(&server, "range_roundtrip", &[]).await;
    let client = db.connect().await.unwrap();
    client
        .batch_execute(
            "SET TimeZone = 'UTC';
             CREATE TYPE floatrange AS RANGE (subtype = float8);
             CREATE TABLE r (i4 int4range, i8 int8range, n numrange, d daterange, ts tsrange,
                             tz tstzrange, f floatrange, dm datemultirange, tzm tstzmultirange)",
        )
        .await
        .unwrap();
    let range = |s: PgType| PgType::Range {
        subtype: Box::new(s),
    };
    let multi = |s: PgType| PgType::Multirange {
        subtype: Box::new(s),
    };
    let types = [
        range(PgType::Int4),
        range(PgType::Int8),
        range(PgType::Numeric { scale: None }),
        range(PgType::Date),
        range(PgType::Timestamp),
        range(PgType::Timestamptz),
        range(PgType::Float8),
        multi(PgType::Date),
        multi(PgType::Timestamptz),
    ];
    let day = |y, m, d| days_from_civil(y, m, d);
    let at = |y, m, d, h: i64| Value::Timestamp(day(y, m, d) * US_PER_DAY + h * 3_600_000_000);
    let half = |a, b| Value::Range(Box::new(Range::half_open(a, b)));
    let parsed =
        |text: &str, sub: PgType| Value::Range(Box::new(Range::parse(text, &sub).unwrap()));
    let rows = [
        vec![
            half(Value::Int(1), Value::Int(5)),
            half(Value::Int(-3), Value::Int(5_000_000_000)),
            half(Value::Float(1.5), Value::Int(10)),
            half(Value::Date(day(2024, 2, 28)), Value::Date(day(2024, 3, 2))),
            half(at(2024, 1, 5, 10), at(2024, 1, 5, 12)),
            half(at(2023, 12, 31, 23), at(2024, 1, 1, 1)),
            half(Value::Float(0.25), Value::Float(2.5)),
            Value::Multirange(vec![
                Range::half_open(Value::Date(day(2024, 1, 1)), Value::Date(day(2024, 1, 3))),
                Range::half_open(Value::Date(day(2024, 1, 10)), Value::Date(day(2024, 1, 11))),
            ]),
            Value::Multirange(vec![Range::half_open(at(2024, 6, 1, 8), at(2024, 6, 1, 9))]),
        ],
        vec![
            parsed("empty", PgType::Int4),
            parsed("(,10]", PgType::Int8),
            parsed("[2.25,)", PgType::Numeric { scale: None }),
            parsed("[2024-01-01,2024-01-05]", PgType::Date),
            Value::Null,
            parsed("(,)", PgType::Timestamptz),
            parsed("(1,2]", PgType::Float8),
            Value::Multirange(vec![]),
            Value::Null,
        ],
    ];
    let mut enc = CopyEncoder::default();
    enc.buf.extend_from_slice(HEADER);
    for row in &rows {
        enc.begin_row(types.len() as u16);
        for (v, ty) in row.iter().zip(&types) {
            enc.value(v, ty).unwrap();
        }
    }
    enc.buf.extend_from_slice(TRAILER);
    let sink = client
        .copy_in::<_, bytes::Bytes>("COPY r FROM STDIN (FORMAT binary)")
        .await
        .unwrap();
    futures_util::pin_mut!(sink);
    sink.send(bytes::Bytes::from(enc.buf)).await.unwrap();
    assert_eq!(sink.finish().await.unwrap(), 2);

    let text: Vec<Vec<Option<String>>> = client
        .query(
            "SELECT i4::text, i8::text, n::text, d::text, ts::text, tz::text, f::text, dm::text, tzm::text FROM r ORDER BY isempty(i4)",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| (0..9).map(|i| row.get(i)).collect())
        .collect();
    let s = |v: &str| Some(v.to_string());
    assert_eq!(
        text[0],
        [
            s("[1,5)"),
            s("[-3,5000000000)"),
            s("[1.50,10)"),
            s("[2024-02-28,2024-03-02)"),
            s("[\"2024-01-05 10:00:00\",\"2024-01-05 12:00:00\")"),
            s("[\"2023-12-31 23:00:00+00\",\"2024-01-01 01:00:00+00\")"),
            s("[0.25,2.5)"),
            s("{[2024-01-01,2024-01-03),[2024-01-10,2024-01-11)}"),
            s("{[\"2024-06-01 08:00:00+00\",\"2024-06-01 09:00:00+00\")}"),
        ]
    );
    // Discrete ranges come back canonical: [a,b] as [a,b+1), (,10] as (,11).
    assert_eq!(
        text[1],
        [
            s("empty"),
            s("(,11)"),
            s("[2.25,)"),
            s("[2024-01-01,2024-01-06)"),
            None,
            s("(,)"),
            s("(1,2]"),
            s("{}"),
            None,
        ]
    );
}

#[tokio::test]
async fn range_columns_get_ranges_that_never_overlap_so_an_exclusion_constraint_holds() {
    let server = server().await;
    let db = database(
        &server,
        "ranges",
        &["tests/fixtures/seed/ranges/V001__reservations.sql"],
    )
    .await;
    // Five rooms for 1000 reservations: the exclusion constraint is put to the test.
    let section: DatasetSection = toml::from_str("[tables.rooms]\nrows = 5\n").unwrap();
    // Before, the NOT NULL tstzrange was a type the seeder could not write: no rows.
    let outcome = seed::seed(&db, &request(section)).await.unwrap();
    let lines: Vec<String> = outcome
        .report()
        .limits
        .iter()
        .map(|l| l.sentence())
        .collect();
    assert!(lines.is_empty(), "{lines:?}");
    let q = |sql: &'static str| count(&db, sql);
    assert_eq!(q("SELECT count(*) FROM reservations").await, 1000);
    // No two reservations overlap, whatever their rooms.
    assert_eq!(
        q("SELECT count(*) FROM reservations a JOIN reservations b ON a.id < b.id AND a.during && b.during").await,
        0
    );
    assert_eq!(
        q("SELECT count(*) FROM reservations a JOIN reservations b ON a.id < b.id AND a.stay && b.stay").await,
        0
    );
    // In recent years, of varied lengths, half-open and never empty.
    assert_eq!(
        q("SELECT count(*) FROM reservations WHERE lower(during) < '2019-12-31' OR upper(during) > '2026-01-02' OR isempty(during) OR NOT lower_inc(during) OR upper_inc(during)").await,
        0
    );
    assert!(
        q("SELECT count(DISTINCT upper(during) - lower(during)) FROM reservations").await > 500
    );
    assert_eq!(q("SELECT count(*) FROM reservations WHERE lower(stay) < '2020-01-01' OR upper(stay) > '2026-01-01'").await, 0);
    // Nullable columns get their few NULLs; the CHECK on price holds.
    let null_stays = q("SELECT count(*) FROM reservations WHERE stay IS NULL").await;
    assert!((20..100).contains(&null_stays), "{null_stays}");
    assert_eq!(
        q("SELECT count(*) FROM reservations WHERE isempty(price)").await,
        0
    );
    assert!(q("SELECT count(*) FROM reservations WHERE amount IS NOT NULL").await > 900);
    assert_eq!(
        q("SELECT count(DISTINCT weight) FROM reservations").await,
        1000
    );
    // A multirange holds 1 to 3 ranges, disjoint from every other row's.
    assert_eq!(
        q("SELECT count(*) FROM reservations WHERE (SELECT count(*) FROM unnest(periods)) NOT BETWEEN 1 AND 3").await,
        0
    );
    assert!(
        q("SELECT count(*) FROM reservations WHERE (SELECT count(*) FROM unnest(periods)) = 3")
            .await
            > 200
    );
    assert_eq!(
        q("SELECT count(*) FROM reservations a JOIN reservations b ON a.id < b.id AND a.periods && b.periods").await,
        0
    );
}

#[tokio::test]
async fn a_defined_range_keeps_its_span_and_lengths_or_says_why_it_cannot() {
    let server = server().await;
    let db = database(
        &server,
        "ranges_defined",
        &["tests/fixtures/seed/ranges/V001__reservations.sql"],
    )
    .await;
    let section: DatasetSection = toml::from_str(
        r#"[tables.rooms]
        rows = 3
        [tables.reservations]
        rows = 100
        [tables.reservations.columns]
        stay = { kind = "range", min = "2024-01-01", max = "2024-12-31", length = [1, 3] }
        during = { kind = "range", min = "2024-01-01", max = "2024-02-01", length = ["1 hour", "2 hours"] }
        periods = { kind = "range", min = "2024-01-01", max = "2026-01-01", count = [2, 2], length = [1, 1] }
        price = { kind = "range", min = 100, max = 1100, length = [5, 10] }"#,
    )
    .unwrap();
    seed::seed(&db, &request(section)).await.unwrap();
    let q = |sql: &'static str| count(&db, sql);
    assert_eq!(q("SELECT count(*) FROM reservations").await, 100);
    assert_eq!(
        q("SELECT count(*) FROM reservations WHERE lower(stay) < '2024-01-01' OR upper(stay) > '2024-12-31' OR upper(stay) - lower(stay) NOT BETWEEN 1 AND 3").await,
        0
    );
    assert_eq!(
        q("SELECT count(*) FROM reservations WHERE upper(during) - lower(during) NOT BETWEEN '1 hour' AND '2 hours' OR upper(during) > '2024-02-01'").await,
        0
    );
    assert_eq!(
        q("SELECT count(*) FROM reservations WHERE (SELECT count(*) FROM unnest(periods)) <> 2")
            .await,
        0
    );
    assert_eq!(
        q("SELECT count(*) FROM reservations WHERE lower(price) < 100 OR upper(price) > 1100 OR upper(price) - lower(price) NOT BETWEEN 5 AND 10").await,
        0
    );

    // Ten stays of two weeks or more do not fit in January without overlapping: exit 2.
    let other = database(
        &server,
        "ranges_too_long",
        &["tests/fixtures/seed/ranges/V001__reservations.sql"],
    )
    .await;
    let section: DatasetSection = toml::from_str(
        r#"[tables.reservations]
        rows = 10
        [tables.reservations.columns]
        stay = { kind = "range", min = "2024-01-01", max = "2024-02-01", length = [14, 21] }"#,
    )
    .unwrap();
    let err = seed::seed(&other, &request(section)).await.unwrap_err();
    assert!(matches!(err, Error::Input(_)), "{err}");
    assert!(
        err.to_string()
            .contains("reservations.stay: 10 ranges of length 14 or more do not fit"),
        "{err}"
    );
}
