//! `rehearse lint` on a folder of 342 migrations: discovery, splitting, every rule, rendering.
//! The anchor is the budget of issue 25 (1 s for 342 migrations); the printed ratio says how
//! much of it lint spends. `REHEARSE_LINT_DIR` lints a real folder instead (a fetched project's
//! migrations, never committed); without it the folder is generated from the rules' own
//! examples, so that every rule has statements to look at.

use criterion::{criterion_group, criterion_main, Criterion};
use rehearse::rules::lint::{lint, render, OutputFormat};
use rehearse::rules::RULES;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const MIGRATIONS: usize = 342;
const BUDGET: Duration = Duration::from_secs(1);

/// A golang-migrate folder of `MIGRATIONS` up/down pairs cycling through the rules' examples
/// and a table-creating migration, so that the schema grows as a real one does.
fn generated() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let examples: Vec<&str> = RULES.iter().flat_map(|r| [r.bad, r.good]).collect();
    for i in 0..MIGRATIONS {
        let up = if i % 3 == 0 {
            format!("CREATE TABLE t{i} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());\nCREATE INDEX t{i}_name_idx ON t{i} (name);\n")
        } else {
            format!(
                "SET lock_timeout = '2s';\n{}\n",
                examples[i % examples.len()]
            )
        };
        std::fs::write(dir.path().join(format!("{:04}_m{i}.up.sql", i + 1)), up).unwrap();
        std::fs::write(
            dir.path().join(format!("{:04}_m{i}.down.sql", i + 1)),
            "SELECT 1;\n",
        )
        .unwrap();
    }
    let path = dir.path().to_path_buf();
    (dir, path)
}

fn lint_folder(c: &mut Criterion) {
    let (_keep, folder) = match std::env::var_os("REHEARSE_LINT_DIR") {
        Some(d) => (None, PathBuf::from(d)),
        None => {
            let (t, p) = generated();
            (Some(t), p)
        }
    };
    let paths = vec![folder.clone()];
    let first = lint(&paths, None).expect("the folder lints");
    println!(
        "linting {} ({} files, {} statements, {} findings)",
        folder.display(),
        first.files,
        first.statements,
        first.findings.len()
    );
    c.bench_function("lint_folder", |b| {
        b.iter(|| {
            let report = lint(black_box(&paths), None).unwrap();
            black_box(render(&report, OutputFormat::Human))
        })
    });
    let runs = 5;
    let start = Instant::now();
    for _ in 0..runs {
        black_box(lint(&paths, None).unwrap());
    }
    let each = start.elapsed() / runs;
    println!(
        "lint of {} files: {:.1} ms each, {:.3} of the 1 s budget (per file scaled to {MIGRATIONS}: {:.1} ms)",
        first.files,
        each.as_secs_f64() * 1000.0,
        each.as_secs_f64() / BUDGET.as_secs_f64(),
        each.as_secs_f64() * 1000.0 * MIGRATIONS as f64 / first.files.max(1) as f64
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(Duration::from_secs(5));
    targets = lint_folder
}
criterion_main!(benches);
