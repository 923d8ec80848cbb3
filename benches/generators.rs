//! Generator throughput: values per second for each family of generators. The anchor is the
//! cheapest one (a uniform integer); the printed ratio says what realism costs.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rehearse::seed::distribution::Dist;
use rehearse::seed::fake_text::FakeKind;
use rehearse::seed::generator::{ColumnGen, Gen, KeySource, Pick};
use rehearse::seed::rng::Permutation;
use rehearse::seed::values::PgType;
use std::hint::black_box;
use std::sync::Arc;

const ROWS: u64 = 10_000;

fn column(gen: Gen) -> ColumnGen {
    ColumnGen {
        name: "c".into(),
        ty: PgType::Text { max_chars: None },
        gen,
        nulls: 0.0,
        seed: 42,
    }
}

fn fake(kind: FakeKind, count: [usize; 2]) -> Gen {
    Gen::Fake {
        kind,
        count,
        unique: false,
        max_chars: None,
    }
}

fn generators(c: &mut Criterion) {
    let parent = Arc::new(KeySource::Generated {
        rows: 1_000_000,
        columns: vec![column(Gen::Sequence { start: 1, step: 1 })],
    });
    let cases: Vec<(&str, Gen)> = vec![
        (
            "int_uniform",
            Gen::Int {
                min: 0,
                max: 1_000_000,
                dist: Dist::Uniform,
                unique: None,
            },
        ),
        (
            "int_normal",
            Gen::Int {
                min: 0,
                max: 1000,
                dist: Dist::Normal {
                    mean: 500.0,
                    std_dev: 100.0,
                },
                unique: None,
            },
        ),
        (
            "int_zipf",
            Gen::Int {
                min: 1,
                max: 1_000_000,
                dist: Dist::Zipf(rand_distr::Zipf::new(1e6, 1.1).unwrap()),
                unique: None,
            },
        ),
        (
            "int_unique",
            Gen::Int {
                min: 1,
                max: 1_000_000,
                dist: Dist::Uniform,
                unique: Some(Permutation::new(1_000_000, 3)),
            },
        ),
        (
            "timestamp",
            Gen::Timestamp {
                min: 0,
                max: 1_700_000_000_000_000,
                unique: None,
                dist: Dist::Uniform,
            },
        ),
        ("uuid", Gen::Uuid),
        (
            "reference_zipf",
            Gen::Reference {
                seed: 1,
                parent,
                column: 0,
                pick: Pick::Zipf(rand_distr::Zipf::new(1e6, 1.05).unwrap()),
            },
        ),
        ("name", fake(FakeKind::Name, [1, 1])),
        ("email", fake(FakeKind::Email, [1, 1])),
        ("street", fake(FakeKind::Street, [1, 1])),
        ("sentences", fake(FakeKind::Sentences, [1, 3])),
        ("paragraphs", fake(FakeKind::Paragraphs, [1, 2])),
        ("user_agent", fake(FakeKind::UserAgent, [1, 1])),
        (
            "object_jsonb",
            Gen::Object(vec![
                ColumnGen {
                    name: "source".into(),
                    ..column(Gen::Choice {
                        values: vec![
                            rehearse::seed::values::Value::Text("web".into()),
                            rehearse::seed::values::Value::Text("ios".into()),
                        ],
                        cumulative: vec![3.0, 4.0],
                        unique: None,
                    })
                },
                ColumnGen {
                    name: "path".into(),
                    seed: 7,
                    ..column(fake(FakeKind::Url, [1, 1]))
                },
                ColumnGen {
                    name: "ms".into(),
                    seed: 8,
                    ..column(Gen::Int {
                        min: 1,
                        max: 60_000,
                        dist: Dist::Uniform,
                        unique: None,
                    })
                },
            ]),
        ),
    ];
    let mut group = c.benchmark_group("generators");
    group.throughput(Throughput::Elements(ROWS));
    group.sample_size(20);
    for (name, gen) in cases {
        let col = column(gen);
        group.bench_with_input(BenchmarkId::from_parameter(name), &col, |b, col| {
            b.iter(|| {
                for row in 0..ROWS {
                    black_box(col.value(black_box(row)));
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, generators);
criterion_main!(benches);
