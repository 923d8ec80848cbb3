//! Properties of the snapshot: the diff of a snapshot with itself is empty and the diff is empty
//! exactly when two snapshots are equal; a snapshot survives its JSON file; two snapshots of an
//! unchanged database are equal; hostile identifiers (quotes, spaces, unicode, 63-byte names)
//! survive the round trip through the catalog, the model and the diff.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use rehearse::provision::{self, DatabaseRequest, ProviderChoice};
use rehearse::snapshot::{self, model::*, Snapshot};

fn ident() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_]{0,6}"
}

fn column() -> impl Strategy<Value = Column> {
    (
        ident(),
        prop::sample::select(vec![
            "integer",
            "text",
            "bigint",
            "numeric(10,2)",
            "shop.mood",
        ]),
        any::<bool>(),
        prop::option::of(prop::sample::select(vec!["0", "now()", "'x'::text"])),
        prop::option::of("[a-z ]{0,8}"),
        prop::collection::vec("[a-z_]{1,6}=[rwa]{1,3}/postgres", 0..2),
    )
        .prop_map(|(name, ty, not_null, default, comment, acl)| Column {
            name,
            data_type: ty.to_string(),
            not_null,
            default: default.map(str::to_string),
            comment,
            acl,
            ..Default::default()
        })
}

fn relation() -> impl Strategy<Value = Relation> {
    (
        prop::collection::vec(column(), 0..5),
        prop::collection::btree_map(ident(), "(CHECK|UNIQUE|PRIMARY KEY) \\([a-z]{1,3}\\)", 0..3),
        prop::collection::btree_map(ident(), prop::sample::select(vec!["O", "D", "A"]), 0..2),
        any::<(bool, bool)>(),
        prop::collection::vec("fillfactor=[1-9]0", 0..2),
        prop::option::of("[a-z ]{0,8}"),
    )
        .prop_map(
            |(mut columns, constraints, triggers, rls, options, comment)| {
                columns.dedup_by(|a, b| a.name == b.name);
                let mut seen = std::collections::BTreeSet::new();
                columns.retain(|c| seen.insert(c.name.clone()));
                Relation {
                    kind: "table".into(),
                    persistence: "permanent".into(),
                    replica_identity: "d".into(),
                    owner: "postgres".into(),
                    columns,
                    constraints: constraints
                        .into_iter()
                        .map(|(k, definition)| {
                            (
                                k,
                                Constraint {
                                    kind: "check".into(),
                                    definition,
                                    validated: true,
                                    ..Default::default()
                                },
                            )
                        })
                        .collect(),
                    triggers: triggers
                        .into_iter()
                        .map(|(k, enabled)| {
                            (
                                k.clone(),
                                Trigger {
                                    definition: format!("CREATE TRIGGER {k} ..."),
                                    enabled: enabled.to_string(),
                                    comment: None,
                                },
                            )
                        })
                        .collect(),
                    rls_enabled: rls.0,
                    rls_forced: rls.1,
                    options,
                    comment,
                    ..Default::default()
                }
            },
        )
}

fn snapshot_strategy() -> impl Strategy<Value = Snapshot> {
    (
        prop::collection::btree_map(ident().prop_map(|n| format!("shop.{n}")), relation(), 0..4),
        prop::collection::btree_map(
            ident().prop_map(|n| format!("shop.{n}")),
            prop::collection::vec(ident(), 0..4),
            0..2,
        ),
        prop::collection::btree_map(
            ident().prop_map(|n| format!("shop.{n}")),
            (1i64..5, any::<bool>()),
            0..2,
        ),
    )
        .prop_map(|(relations, enums, sequences)| Snapshot {
            format: FORMAT,
            relations,
            types: enums
                .into_iter()
                .map(|(k, labels)| {
                    (
                        k,
                        Type {
                            kind: "enum".into(),
                            labels,
                            owner: "postgres".into(),
                            ..Default::default()
                        },
                    )
                })
                .collect(),
            sequences: sequences
                .into_iter()
                .map(|(k, (increment, cycle))| {
                    (
                        k,
                        Sequence {
                            persistence: "permanent".into(),
                            data_type: "bigint".into(),
                            increment,
                            cycle,
                            owner: "postgres".into(),
                            ..Default::default()
                        },
                    )
                })
                .collect(),
            ..Default::default()
        })
}

proptest! {
    #![proptest_config(Config { cases: 256, ..Config::default() })]

    #[test]
    fn a_snapshot_has_no_difference_with_itself(s in snapshot_strategy()) {
        prop_assert!(snapshot::diff(&s, &s).is_empty());
    }

    #[test]
    fn a_snapshot_survives_its_json_file(s in snapshot_strategy()) {
        let back = Snapshot::from_json(&s.to_json()).unwrap();
        prop_assert_eq!(&back, &s);
        prop_assert_eq!(back.to_json(), s.to_json());
    }

    #[test]
    fn the_diff_is_empty_exactly_when_snapshots_are_equal(a in snapshot_strategy(), b in snapshot_strategy()) {
        let d = snapshot::diff(&a, &b);
        prop_assert_eq!(d.is_empty(), a == b, "{:?}", d);
    }

    #[test]
    fn every_difference_names_an_object(a in snapshot_strategy(), b in snapshot_strategy()) {
        for d in snapshot::diff(&a, &b) {
            prop_assert!(!d.kind.is_empty() && !d.object.is_empty() && !d.detail.is_empty());
        }
    }
}

/// Mutating any one generated field of a snapshot gives a non-empty diff.
#[test]
fn the_diff_notices_single_field_changes() {
    let mut runner = TestRunner::new(Config {
        cases: 128,
        ..Config::default()
    });
    runner
        .run(&(snapshot_strategy(), any::<u8>()), |(a, pick)| {
            let mut b = a.clone();
            let changed = mutate(&mut b, pick);
            if changed {
                prop_assert!(!snapshot::diff(&a, &b).is_empty(), "mutation {pick} unseen");
            }
            Ok(())
        })
        .unwrap();
}

fn mutate(s: &mut Snapshot, pick: u8) -> bool {
    let Some(rel) = s.relations.values_mut().next() else {
        return false;
    };
    match pick % 8 {
        0 => rel.rls_enabled = !rel.rls_enabled,
        1 => rel.acl.push("app=r/postgres".into()),
        2 => rel.comment = Some(format!("{:?}!", rel.comment)),
        3 if rel.columns.len() > 1 => rel.columns.swap(0, 1),
        4 if !rel.columns.is_empty() => rel.columns[0].not_null = !rel.columns[0].not_null,
        5 if !rel.columns.is_empty() => rel.columns[0].acl.push("x=r/postgres".into()),
        6 => {
            rel.constraints
                .insert("zz_new".into(), Constraint::default());
        }
        7 if !rel.columns.is_empty() => rel.columns[0].default = Some("42".into()),
        _ => return false,
    }
    true
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn two_snapshots_of_an_unchanged_database_are_equal() {
    let rt = runtime();
    rt.block_on(async {
        let db = provision::provision(&DatabaseRequest {
            provider: ProviderChoice::Local,
            ..Default::default()
        })
        .await
        .unwrap();
        let client = db.connection.connect().await.unwrap();
        let baseline = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/baseline.sql"),
        )
        .unwrap();
        client.batch_execute(&baseline).await.unwrap();
        let first = snapshot::snapshot(&client).await.unwrap();
        // Another session, another search_path: the model does not depend on either.
        let other = db.connection.connect().await.unwrap();
        other
            .batch_execute("SET search_path = shop, public")
            .await
            .unwrap();
        let second = snapshot::snapshot(&other).await.unwrap();
        assert!(snapshot::diff(&first, &second).is_empty());
        assert_eq!(first.to_json(), second.to_json());
        // The drift check's three connections on one exported snapshot see the same schema.
        let parallel = snapshot::snapshot_parallel(&db.connection)
            .await
            .unwrap();
        assert_eq!(parallel.to_json(), first.to_json());
        assert!(first.relations.contains_key("shop.orders"));
        assert!(first.relations.contains_key("public.\"Settings\""));
        // Objects of the pgcrypto extension are not the application's.
        assert!(!first
            .functions
            .keys()
            .any(|f| f.contains("gen_random_uuid")));
        let d1 = snapshot::data::signature(&client, &first).await.unwrap();
        let d2 = snapshot::data::signature(&other, &second).await.unwrap();
        assert_eq!(d1, d2);
        assert_eq!(d1.tables["shop.customers"].rows, 120);
    });
}

/// Names made of quotes, spaces, dots, capitals and multi-byte characters.
fn hostile_name() -> impl Strategy<Value = String> {
    let chars = prop::sample::select(vec![
        'a', 'Z', '0', ' ', '"', '\'', '.', '-', '$', 'é', 'ß', '✓', '日', '本', '😀', '_',
    ]);
    prop_oneof![
        prop::collection::vec(chars.clone(), 1..20).prop_map(|v| v.into_iter().collect::<String>()),
        // Exactly 63 bytes, the longest name PostgreSQL keeps.
        prop::collection::vec(chars, 1..12).prop_map(|v| {
            let mut s: String = v.into_iter().collect();
            while s.len() > 63 {
                s.pop();
            }
            while s.len() < 63 {
                s.push('x');
            }
            s
        }),
    ]
    .prop_filter("63 bytes at most", |s| s.len() <= 63 && !s.is_empty())
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[test]
fn hostile_identifiers_survive_the_round_trip() {
    let rt = runtime();
    let db = rt
        .block_on(provision::provision(&DatabaseRequest {
            provider: ProviderChoice::Local,
            ..Default::default()
        }))
        .unwrap();
    let client = rt.block_on(db.connection.connect()).unwrap();
    let mut runner = TestRunner::new(Config {
        cases: 32,
        ..Config::default()
    });
    runner
        .run(
            &(hostile_name(), hostile_name(), hostile_name()),
            |(schema, table, column)| {
                rt.block_on(async {
                    let (s, t, c) = (quote(&schema), quote(&table), quote(&column));
                    let other = if column == "other" { "other2" } else { "other" };
                    let ddl = format!(
                        "CREATE SCHEMA {s};
                         CREATE TABLE {s}.{t} ({c} text DEFAULT 'x', {other} int,
                             CONSTRAINT {c} CHECK ({c} <> ''));
                         CREATE INDEX ON {s}.{t} ({c});
                         COMMENT ON COLUMN {s}.{t}.{c} IS 'hostile';
                         INSERT INTO {s}.{t} VALUES ('a', 1), ('b', 2);"
                    );
                    client.batch_execute(&ddl).await.unwrap();
                    let row = client
                        .query_one(
                            "SELECT quote_ident($1) || '.' || quote_ident($2), quote_ident($3)",
                            &[&schema, &table, &column],
                        )
                        .await
                        .unwrap();
                    let (rel_name, col_name): (String, String) = (row.get(0), row.get(1));
                    let before = snapshot::snapshot(&client).await.unwrap();
                    let rel = before.relations.get(&rel_name).unwrap_or_else(|| {
                        panic!("{rel_name} not in {:?}", before.relations.keys())
                    });
                    assert_eq!(rel.columns[0].name, col_name);
                    assert_eq!(rel.columns[0].comment.as_deref(), Some("hostile"));
                    assert!(rel.constraints.contains_key(&col_name));
                    let back = Snapshot::from_json(&before.to_json()).unwrap();
                    assert_eq!(back, before);
                    assert!(snapshot::diff(&before, &back).is_empty());
                    let data = snapshot::data::signature(&client, &before).await.unwrap();
                    assert_eq!(data.tables[&rel_name].rows, 2);

                    // Dropping the column is named with the same spelling.
                    client
                        .batch_execute(&format!("ALTER TABLE {s}.{t} DROP COLUMN {c}"))
                        .await
                        .unwrap();
                    let after = snapshot::snapshot(&client).await.unwrap();
                    let differences = snapshot::diff(&before, &after);
                    let expected = format!("{rel_name}.{col_name}");
                    assert!(
                        differences
                            .iter()
                            .any(|d| d.kind == "column_missing" && d.object == expected),
                        "{expected} not named in {differences:?}"
                    );
                    let now = snapshot::data::signature_like(&client, &data, &after)
                        .await
                        .unwrap();
                    let lost = snapshot::data::compare(&data, &now);
                    assert!(lost.iter().any(|d| d.object == expected), "{lost:?}");
                    client
                        .batch_execute(&format!("DROP SCHEMA {s} CASCADE"))
                        .await
                        .unwrap();
                });
                Ok(())
            },
        )
        .unwrap();
}
