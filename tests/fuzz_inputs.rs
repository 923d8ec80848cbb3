//! Fuzzing of what users hand us: scenario files (and the dataset definitions inside them) and
//! migration folders. Whatever the input, reading it returns a value or an error sentence: never
//! a panic, never a hang, and never a scenario accepted with numbers a timer cannot hold.
//!
//! A normal test run tries a few hundred inputs of each. For a long run, give a time budget:
//!
//! ```text
//! REHEARSE_FUZZ_SECONDS=600 cargo nextest run --test fuzz_inputs --no-capture
//! ```
//!
//! Each target then keeps generating inputs until its budget is spent (with `--no-capture` the
//! two run one after the other: 20 minutes in all; pick one with `-E 'test(/scenario/)'`). A
//! failure prints the smallest input found.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use rehearse::migrations::{self, Format};
use rehearse::scenario::Scenario;
use std::path::Path;
use std::time::{Duration, Instant};

/// Runs `test` over `strategy` for the budget in REHEARSE_FUZZ_SECONDS, or for one round.
fn fuzz<S: Strategy>(name: &str, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    let budget = std::env::var("REHEARSE_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(0);
    let deadline = Instant::now() + Duration::from_secs(budget);
    let mut rounds = 0u64;
    loop {
        let mut runner = TestRunner::new(Config {
            cases: 256,
            failure_persistence: None,
            ..Config::default()
        });
        if let Err(e) = runner.run(&strategy, &test) {
            panic!("{name}: {e}");
        }
        rounds += 1;
        if Instant::now() >= deadline {
            break;
        }
    }
    eprintln!("{name}: {} inputs without a panic", rounds * 256);
}

/// Values that have broken parsers before: non-finite and extreme numbers, signs, runaway or
/// unterminated strings, wrong types.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "nan",
            "inf",
            "-inf",
            "+inf",
            "1e300",
            "1e-300",
            "-1",
            "0",
            "0.0",
            "-0.0",
            "1",
            "4294967296",
            "18446744073709551615",
            "-9223372036854775808",
            "9223372036854775807",
            "1e999",
            "0.5",
            "100",
            "true",
            "false",
            "\"\"",
            "\"5\"",
            "\"2s\"",
            "\"-2s\"",
            "\"1e300s\"",
            "\"99999999999999999999999999999999999999h\"",
            "\"nan\"",
            "\"ACCESS SHARE\"",
            "\"forward\"",
            "\"\\u0000\"",
            "[]",
            "[1, 2]",
            "[\"forward\", \"sideways\"]",
            "{}",
            "{ kind = \"int\" }",
            "{ kind = \"int\", std_dev = -1, distribution = \"normal\" }",
            "{ kind = \"int\", exponent = 0, distribution = \"zipf\" }",
            "{ kind = \"choice\", values = [1], weights = [nan] }",
            "\"unterminated",
            "'''\nmulti\n'''",
            "1979-05-27T07:32:00Z",
            "\"local\"",
            "\"docker\"",
            "\"url\"",
        ])
        .prop_map(str::to_string),
        any::<f64>().prop_map(|f| format!("{f:?}")),
        any::<i64>().prop_map(|i| i.to_string()),
        "\"[ -~]{0,12}\"",
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "name",
        "rate",
        "clients",
        "enabled",
        "seconds",
        "mode",
        "table",
        "during",
        "weight",
        "sql",
        "params",
        "cpus",
        "memory",
        "version",
        "provider",
        "url",
        "image",
        "path",
        "format",
        "baseline",
        "lock_timeout",
        "statement_timeout",
        "sample_interval_ms",
        "scale",
        "seed",
        "default_rows",
        "rows",
        "skip",
        "kind",
        "std_dev",
        "exponent",
        "nulls",
        "max_duration",
        "max_blocked",
        "large_table_rows",
        "require_rollback",
        "generators",
        "work_mem",
        "infer",
        "template",
        "true_fraction",
        "weights",
        "count",
        "decimals",
    ])
    .prop_map(str::to_string)
}

fn header() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "[migrations]",
        "[database]",
        "[database.settings]",
        "[workload]",
        "[workload.long_transaction]",
        "[[workload.queries]]",
        "[probe]",
        "[dataset]",
        "[dataset.tables.users]",
        "[dataset.tables.users.columns]",
        "[gates]",
        "[gates.max_lock_hold]",
        "[nonsense]",
        "[workload",
        "[[dataset]]",
    ])
    .prop_map(str::to_string)
}

fn scenario_text() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        3 => (key(), value()).prop_map(|(k, v)| format!("{k} = {v}")),
        1 => header(),
        1 => "[ -~]{0,30}",
        1 => (key(), key(), value()).prop_map(|(a, b, v)| format!("{a} = {{ {b} = {v} }}")),
    ];
    prop::collection::vec(line, 0..24).prop_map(|lines| lines.join("\n"))
}

#[test]
fn the_scenario_parser_never_panics_and_accepts_only_numbers_timers_can_hold() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("migrations")).unwrap();
    std::fs::write(
        dir.path().join("migrations/V1__t.sql"),
        "CREATE TABLE users (id int);",
    )
    .unwrap();
    let set = migrations::discover(&dir.path().join("migrations"), None).unwrap();
    let file = dir.path().join("rehearse.toml");
    fuzz("scenario", scenario_text(), |text| {
        std::fs::write(&file, &text).unwrap();
        let Ok(scenario) = Scenario::load(&file) else {
            return Ok(());
        };
        // What the run does next with an accepted scenario, short of a server.
        let settings = rehearse::probe::ProbeSettings::from_scenario(&scenario);
        if let Some(w) = &settings.workload {
            let period = f64::from(w.clients.max(1)) / w.rate;
            prop_assert!(
                Duration::try_from_secs_f64(period).is_ok(),
                "accepted rate {} with {} clients",
                w.rate,
                w.clients
            );
            if let Some(lt) = &w.long_transaction {
                prop_assert!(
                    Duration::try_from_secs_f64(lt.seconds).is_ok(),
                    "accepted seconds {}",
                    lt.seconds
                );
            }
        }
        let _ =
            rehearse::seed::SeedRequest::from_section(scenario.dataset(), scenario.file.as_deref());
        let _ = rehearse::gate::prepare(&scenario, &set, &Default::default());
        Ok(())
    });
}

/// One entry of a generated migrations folder.
#[derive(Debug, Clone)]
enum Entry {
    File(String, String),
    Folder(String, Vec<(String, String)>),
    Fifo(String),
}

fn file_name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[VUR]?[0-9]{1,3}(\\.[0-9])?__[a-z_]{0,6}(_rollback)?\\.sql",
        "[0-9]{1,14}_[a-z_]{1,6}(\\.up|\\.down)?\\.sql",
        "[a-zA-Z0-9_.\\-]{1,14}",
        "[a-zA-Z0-9_.\\-]{1,10}\\.sql",
    ]
}

fn content() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "CREATE TABLE t (id int);",
        "ALTER TABLE t ADD COLUMN c text;",
        "DROP TABLE t;",
        "-- migrate:up",
        "-- migrate:down",
        "-- migrate:up transaction:false",
        "BEGIN;",
        "COMMIT;",
        "ROLLBACK;",
        "CREATE INDEX CONCURRENTLY i ON t (id);",
        "SELECT 'unterminated",
        "$$ body",
        "DO $$ BEGIN END $$;",
        "/* open comment",
        "-- rehearse:irreversible",
        ";;;",
        "\u{0}",
        "\u{feff}",
        "SELECT 1",
        "",
    ]);
    prop::collection::vec(piece, 0..8).prop_map(|p| p.join("\n"))
}

fn entry() -> impl Strategy<Value = Entry> {
    prop_oneof![
        6 => (file_name(), content()).prop_map(|(n, c)| Entry::File(n, c)),
        2 => (
            "[0-9]{1,14}_[a-z]{1,6}|[a-z]{1,6}\\.sql|V[0-9]__x\\.sql",
            prop::collection::vec(
                (
                    prop::sample::select(vec!["up.sql", "down.sql", "other.sql", "README"])
                        .prop_map(str::to_string),
                    content()
                ),
                0..3
            )
        )
            .prop_map(|(n, files)| Entry::Folder(n, files)),
        1 => file_name().prop_map(Entry::Fifo),
    ]
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    unsafe { libc::mkfifo(c.as_ptr(), 0o644) };
}

#[test]
fn migration_discovery_never_panics_or_hangs() {
    let formats = [
        None,
        Some(Format::Flyway),
        Some(Format::UpDown),
        Some(Format::Diesel),
        Some(Format::Dbmate),
    ];
    fuzz(
        "discovery",
        (prop::collection::vec(entry(), 0..8), 0..formats.len()),
        |(entries, format)| {
            let dir = tempfile::tempdir().unwrap();
            for e in &entries {
                // A later entry of an existing name is left out: writing into a FIFO made by an
                // earlier one would block the test itself.
                let name = match e {
                    Entry::File(n, _) | Entry::Folder(n, _) | Entry::Fifo(n) => n,
                };
                if std::fs::symlink_metadata(dir.path().join(name)).is_ok() {
                    continue;
                }
                match e {
                    Entry::File(n, c) => {
                        let _ = std::fs::write(dir.path().join(n), c);
                    }
                    Entry::Folder(n, files) => {
                        let folder = dir.path().join(n);
                        if std::fs::create_dir(&folder).is_ok() {
                            for (f, c) in files {
                                let _ = std::fs::write(folder.join(f), c);
                            }
                        }
                    }
                    Entry::Fifo(n) => mkfifo(&dir.path().join(n)),
                }
            }
            // A FIFO would block a read forever: a hang is a failure too.
            let root = dir.path().to_path_buf();
            let forced = formats[format];
            let (done, wait) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let result = std::panic::catch_unwind(|| {
                    migrations::discover(&root, forced).map(|s| s.migrations.len())
                });
                let _ = done.send(result.map_err(|_| ()).map(|r| r.map_err(|e| e.to_string())));
            });
            match wait.recv_timeout(Duration::from_secs(20)) {
                Ok(Ok(Ok(_))) => {}
                Ok(Ok(Err(message))) => {
                    prop_assert!(
                        !message.contains("Error {") && !message.is_empty(),
                        "{message}"
                    );
                }
                Ok(Err(())) => prop_assert!(false, "discovery panicked on {entries:?}"),
                Err(_) => prop_assert!(false, "discovery hung on {entries:?}"),
            }
            Ok(())
        },
    );
}
