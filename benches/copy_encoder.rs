//! The binary COPY encoder against the anchor: the `ToSql` per-field path that
//! `tokio_postgres::binary_copy::BinaryCopyInWriter` takes (length placeholder, `to_sql` into a
//! `BytesMut`, patch), on rows shaped like `pgbench_accounts` and like saas `events`.

use bytes::{BufMut, BytesMut};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rehearse::seed::copy::CopyEncoder;
use rehearse::seed::distribution::Dist;
use rehearse::seed::fake_text::FakeKind;
use rehearse::seed::generator::{ColumnGen, Gen, TableGen};
use rehearse::seed::values::{PgType, Value};
use std::hint::black_box;
use tokio_postgres::types::{ToSql, Type};

const ROWS: u64 = 10_000;

fn column(name: &str, ty: PgType, gen: Gen, seed: u64) -> ColumnGen {
    ColumnGen {
        name: name.into(),
        ty,
        gen,
        nulls: 0.0,
        seed,
    }
}

fn pgbench_accounts() -> TableGen {
    TableGen {
        qualified: "pgbench_accounts".into(),
        rows: ROWS,
        columns: vec![
            column("aid", PgType::Int4, Gen::Sequence { start: 1, step: 1 }, 1),
            column(
                "bid",
                PgType::Int4,
                Gen::Int {
                    min: 1,
                    max: 100,
                    dist: Dist::Uniform,
                    unique: None,
                },
                2,
            ),
            column("abalance", PgType::Int4, Gen::Constant(Value::Int(0)), 3),
            column(
                "filler",
                PgType::Text {
                    max_chars: Some(84),
                },
                Gen::Constant(Value::Text(" ".repeat(84))),
                4,
            ),
        ],
    }
}

fn events() -> TableGen {
    TableGen {
        qualified: "events".into(),
        rows: ROWS,
        columns: vec![
            column("id", PgType::Int8, Gen::Sequence { start: 1, step: 1 }, 1),
            column(
                "account_id",
                PgType::Int8,
                Gen::Int {
                    min: 1,
                    max: 100_000,
                    dist: Dist::Uniform,
                    unique: None,
                },
                2,
            ),
            column(
                "name",
                PgType::Text {
                    max_chars: Some(64),
                },
                Gen::Fake {
                    kind: FakeKind::Word,
                    count: [1, 1],
                    unique: false,
                    max_chars: None,
                },
                3,
            ),
            column(
                "properties",
                PgType::Jsonb,
                Gen::Object(vec![
                    column(
                        "path",
                        PgType::Text { max_chars: None },
                        Gen::Fake {
                            kind: FakeKind::Url,
                            count: [1, 1],
                            unique: false,
                            max_chars: None,
                        },
                        4,
                    ),
                    column(
                        "ms",
                        PgType::Text { max_chars: None },
                        Gen::Int {
                            min: 1,
                            max: 60_000,
                            dist: Dist::Uniform,
                            unique: None,
                        },
                        5,
                    ),
                ]),
                6,
            ),
            column(
                "user_agent",
                PgType::Text { max_chars: None },
                Gen::Fake {
                    kind: FakeKind::UserAgent,
                    count: [1, 1],
                    unique: false,
                    max_chars: None,
                },
                7,
            ),
            column(
                "occurred_at",
                PgType::Timestamptz,
                Gen::Timestamp {
                    min: 1_600_000_000_000_000,
                    max: 1_700_000_000_000_000,
                    unique: None,
                    dist: Dist::Uniform,
                },
                8,
            ),
        ],
    }
}

/// The anchor: each value through `ToSql`, as BinaryCopyInWriter writes a row.
fn encode_with_to_sql(values: &[Vec<Value>], types: &[Type]) -> BytesMut {
    let mut buf = BytesMut::new();
    for row in values {
        buf.put_i16(row.len() as i16);
        for (v, ty) in row.iter().zip(types) {
            let idx = buf.len();
            buf.put_i32(0);
            let len = match v {
                Value::Int(i) if *ty == Type::INT4 => (*i as i32).to_sql(ty, &mut buf).map(|_| ()),
                Value::Int(i) => i.to_sql(ty, &mut buf).map(|_| ()),
                Value::Text(s) => s.to_sql(ty, &mut buf).map(|_| ()),
                _ => Ok(()),
            };
            len.unwrap();
            let n = (buf.len() - idx - 4) as i32;
            buf[idx..idx + 4].copy_from_slice(&n.to_be_bytes());
        }
    }
    buf
}

fn encoder(c: &mut Criterion) {
    let mut group = c.benchmark_group("copy_encoder");
    group.throughput(Throughput::Elements(ROWS));
    group.sample_size(20);
    let table = pgbench_accounts();
    group.bench_function("pgbench_accounts/generate+encode", |b| {
        b.iter(|| {
            let mut enc = CopyEncoder::with_capacity(1 << 20);
            table.encode_rows(0..ROWS, &mut enc).unwrap();
            black_box(enc.buf.len())
        })
    });
    // Encoding alone, values generated beforehand, ours against ToSql.
    let values: Vec<Vec<Value>> = (0..ROWS)
        .map(|r| table.columns.iter().map(|c| c.value(r)).collect())
        .collect();
    group.bench_function("pgbench_accounts/encode/ours", |b| {
        b.iter(|| {
            let mut enc = CopyEncoder::with_capacity(1 << 20);
            for row in &values {
                enc.begin_row(row.len() as u16);
                for (v, c) in row.iter().zip(&table.columns) {
                    enc.value(v, &c.ty).unwrap();
                }
            }
            black_box(enc.buf.len())
        })
    });
    let types = [Type::INT4, Type::INT4, Type::INT4, Type::BPCHAR];
    group.bench_function("pgbench_accounts/encode/to_sql", |b| {
        b.iter(|| black_box(encode_with_to_sql(&values, &types).len()))
    });
    let table = events();
    group.bench_function("events/generate+encode", |b| {
        b.iter(|| {
            let mut enc = CopyEncoder::with_capacity(1 << 22);
            table.encode_rows(0..ROWS, &mut enc).unwrap();
            black_box(enc.buf.len())
        })
    });
    group.finish();
}

criterion_group!(benches, encoder);
criterion_main!(benches);
