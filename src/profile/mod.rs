//! `rehearse profile`: a dataset definition shaped like an existing database, from its
//! statistics, never its rows.
//!
//! It reads `pg_class.reltuples`, `pg_stats` and the catalog (keys, foreign keys, enums, CHECK
//! `IN` lists) on a read-only connection and writes a `data-generators` file that `rehearse run
//! --dataset FILE` seeds from (`fit` turns each column's statistics into a generator). It must
//! never write to the source (its session is `default_transaction_read_only`), never read a
//! table's rows except to count a table that was never analyzed, and never copy a text value
//! unless the schema names the domain or `--include-values` asks for it.

pub mod compare;
pub mod fit;
mod shape;

use crate::redact::redact;
use crate::Error;
use fit::{ColumnStats, Fitted, Stats, ValuePolicy};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use tokio_postgres::Client;

/// One table's profile: its rows and its columns' statistics.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TableProfile {
    /// `schema.name`.
    pub name: String,
    pub rows: u64,
    /// The table was never analyzed: `rows` is a count and the columns have no statistics.
    pub counted: bool,
    /// A partitioned table: its rows are the sum of its partitions'.
    pub partitioned: bool,
    pub columns: Vec<ColumnStats>,
}

/// Reads the profile of every ordinary and partitioned table of `schemas` (partitions are seeded
/// through their partitioned table, so they are counted in it; a range partition's own rows
/// reach its key column as `partition_rows`).
pub async fn read(
    client: &Client,
    schemas: &[String],
) -> Result<Vec<TableProfile>, tokio_postgres::Error> {
    let tables = client
        .query(
            "SELECT c.oid, n.nspname, c.relname, c.relkind::text,
                    CASE WHEN c.relkind = 'p' THEN
                      (SELECT coalesce(sum(greatest(p.reltuples, 0)), 0)::float8
                         FROM pg_partition_tree(c.oid) t JOIN pg_class p ON p.oid = t.relid
                        WHERE t.isleaf)
                    ELSE c.reltuples::float8 END,
                    CASE WHEN c.relkind = 'p' THEN
                      NOT EXISTS (SELECT FROM pg_partition_tree(c.oid) t JOIN pg_class p ON p.oid = t.relid
                                   WHERE t.isleaf AND p.reltuples < 0)
                    ELSE c.reltuples >= 0 END
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
                AND n.nspname = ANY($1)
              ORDER BY n.nspname, c.relname",
            &[&schemas],
        )
        .await?;
    let mut out = Vec::new();
    for t in tables {
        let oid: u32 = t.get(0);
        let (schema, name): (String, String) = (t.get(1), t.get(2));
        let partitioned = t.get::<_, String>(3) == "p";
        let analyzed: bool = t.get(5);
        let qualified = crate::identifier::quote_qualified(&schema, &name);
        let (rows, counted) = if analyzed {
            (t.get::<_, f64>(4).round().max(0.0) as u64, false)
        } else {
            let n: i64 = client
                .query_one(&format!("SELECT count(*) FROM {qualified}"), &[])
                .await?
                .get(0);
            (n as u64, true)
        };
        let mut columns = read_columns(client, oid, &schema, &name, partitioned).await?;
        if partitioned && !counted {
            if let Some((key, shares)) = range_partition_rows(client, oid).await? {
                if let Some(c) = columns.iter_mut().find(|c| c.name == key) {
                    c.partition_rows = shares;
                }
            }
        }
        out.push(TableProfile {
            name: format!("{schema}.{name}"),
            rows,
            counted,
            partitioned,
            columns,
        });
    }
    Ok(out)
}

/// A table range-partitioned on one column: that column, and each partition's bounds (as the
/// bound prints its literals; None for MINVALUE/MAXVALUE) with its rows (summed over its own
/// partitions when it has some). None for other strategies, or a key of several columns.
async fn range_partition_rows(
    client: &Client,
    oid: u32,
) -> Result<Option<(String, Vec<fit::PartitionRows>)>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT a.attname::text, pg_get_expr(c.relpartbound, c.oid),
                    (SELECT coalesce(sum(greatest(l.reltuples, 0)), 0)::float8
                       FROM pg_partition_tree(c.oid) t JOIN pg_class l ON l.oid = t.relid
                      WHERE t.isleaf)
               FROM pg_partitioned_table p
               JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
               JOIN pg_inherits i ON i.inhparent = p.partrelid
               JOIN pg_class c ON c.oid = i.inhrelid
              WHERE p.partrelid = $1 AND p.partstrat = 'r' AND p.partnatts = 1",
            &[&oid],
        )
        .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let key: String = first.get(0);
    let mut shares = Vec::new();
    for row in &rows {
        let mut bound = crate::seed::catalog::Partitions::default();
        bound.add_bound(&row.get::<_, String>(1));
        if let Some((from, to)) = bound.ranges.pop() {
            shares.push(fit::PartitionRows {
                from,
                to,
                rows: row.get(2),
            });
        }
    }
    Ok(Some((key, shares)))
}

async fn read_columns(
    client: &Client,
    oid: u32,
    schema: &str,
    table: &str,
    partitioned: bool,
) -> Result<Vec<ColumnStats>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                    a.attidentity <> '' OR coalesce(pg_get_expr(d.adbin, d.adrelid), '') LIKE 'nextval(%',
                    a.attgenerated <> '',
                    EXISTS (SELECT FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisunique
                              AND i.indnatts = 1 AND i.indkey[0] = a.attnum AND i.indpred IS NULL),
                    (SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_enum e
                      WHERE e.enumtypid = a.atttypid),
                    (SELECT array_agg(pg_get_constraintdef(k.oid)) FROM pg_constraint k
                      WHERE k.conrelid = a.attrelid AND k.contype = 'c' AND k.conkey = ARRAY[a.attnum]),
                    (SELECT fn.nspname || '.' || fc.relname || ' ' || fa.attname
                       FROM pg_constraint f
                       JOIN pg_class fc ON fc.oid = f.confrelid
                       JOIN pg_namespace fn ON fn.oid = fc.relnamespace
                       JOIN pg_attribute fa ON fa.attrelid = f.confrelid AND fa.attnum = f.confkey[1]
                      WHERE f.conrelid = a.attrelid AND f.contype = 'f' AND f.conkey = ARRAY[a.attnum]
                      LIMIT 1),
                    s.null_frac::float8, s.avg_width, s.n_distinct::float8,
                    s.most_common_vals::text, s.most_common_freqs::float8[],
                    s.histogram_bounds::text, s.correlation::float8
               FROM pg_attribute a
               LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
               LEFT JOIN pg_stats s ON s.schemaname = $2 AND s.tablename = $3
                    AND s.attname = a.attname AND s.inherited = $4
              WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
              ORDER BY a.attnum",
            &[&oid, &schema, &table, &partitioned],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let name: String = r.get(0);
            let checks: Option<Vec<String>> = r.get(7);
            let check_values = checks.and_then(|defs| {
                let defs: Vec<&str> = defs.iter().map(String::as_str).collect();
                crate::seed::plan::check_facts(&name, &defs).values
            });
            let enum_labels: Option<Vec<String>> = r.get(6);
            let references = r.get::<_, Option<String>>(8).and_then(|s| {
                s.split_once(' ')
                    .map(|(t, c)| (t.to_string(), c.to_string()))
            });
            let null_frac: Option<f64> = r.get(9);
            ColumnStats {
                type_name: r.get(1),
                not_null: r.get(2),
                sequence: r.get(3),
                generated: r.get(4),
                unique: r.get(5),
                domain: enum_labels.or(check_values),
                references,
                stats: null_frac.map(|null_frac| Stats {
                    null_frac,
                    avg_width: r.get(10),
                    n_distinct: r.get(11),
                    most_common_vals: r
                        .get::<_, Option<String>>(12)
                        .map(|t| parse_array(&t))
                        .unwrap_or_default(),
                    most_common_freqs: r.get::<_, Option<Vec<f64>>>(13).unwrap_or_default(),
                    histogram_bounds: r
                        .get::<_, Option<String>>(14)
                        .map(|t| parse_array(&t))
                        .unwrap_or_default(),
                    correlation: r.get::<_, Option<f64>>(15).unwrap_or(0.0),
                }),
                partition_rows: Vec::new(),
                name,
            }
        })
        .collect())
}

/// The elements of a one-dimensional array literal as PostgreSQL prints it (`{a,"b c",NULL}`).
pub fn parse_array(text: &str) -> Vec<String> {
    let inner = text
        .trim()
        .strip_prefix('{')
        .and_then(|t| t.strip_suffix('}'))
        .unwrap_or("");
    let mut out = Vec::new();
    let mut chars = inner.chars().peekable();
    while chars.peek().is_some() {
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
            for c in chars.by_ref() {
                if c == ',' {
                    break;
                }
            }
        } else {
            for c in chars.by_ref() {
                if c == ',' {
                    break;
                }
                value.push(c);
            }
        }
        out.push(value);
    }
    out
}

/// What `rehearse profile` was asked.
#[derive(Debug, Clone)]
pub struct ProfileRequest {
    pub url: String,
    pub schemas: Vec<String>,
    pub values: ValuePolicy,
}

/// Profiles the database at `request.url` into the text of a definition file.
pub async fn profile(request: &ProfileRequest) -> Result<String, Error> {
    let target = crate::provision::url::parse(&request.url)
        .map_err(|e| Error::Input(e.to_string()))?;
    let client = target.connect().await.map_err(|e| {
        Error::Environment(format!(
            "could not connect to {}: {}",
            redact(&request.url),
            crate::server_text::of(&e)
        ))
    })?;
    let failed = |e: tokio_postgres::Error| {
        Error::Environment(format!(
            "could not read the statistics of {}: {}",
            redact(&request.url),
            crate::server_text::of(&e)
        ))
    };
    // Read-only, and in UTC so that timestamptz bounds print with the offset the fit reads.
    client
        .batch_execute("SET default_transaction_read_only = on; SET TIME ZONE 'UTC'")
        .await
        .map_err(failed)?;
    let tables = read(&client, &request.schemas).await.map_err(failed)?;
    Ok(render(&tables, request))
}

/// Compares the database at `request.url` with a profile written earlier (its rows times
/// `scale`): one check per table and column property, as `compare` judges them.
pub async fn compare_with(
    request: &ProfileRequest,
    file: &std::path::Path,
    scale: f64,
) -> Result<Vec<compare::Check>, Error> {
    let text = crate::input::read_text(file)
        .map_err(|e| Error::Input(format!("could not read {}: {e}", file.display())))?;
    let expected: crate::seed::definition::DatasetFile = toml::from_str(&text).map_err(|e| {
        Error::Input(format!(
            "{}: not a dataset definition: {}",
            file.display(),
            crate::toml_lines::toml_message(e.message())
        ))
    })?;
    let now = profile(request).await?;
    let actual: crate::seed::definition::DatasetFile = toml::from_str(&now).map_err(|e| {
        Error::Environment(format!("the profile just written does not read back: {e}"))
    })?;
    Ok(compare::compare(&expected, &actual, scale))
}

/// The definition file: a header saying what it holds and leaves out, then one table each.
pub fn render(tables: &[TableProfile], request: &ProfileRequest) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# A dataset shaped like {} (schemas: {}), written by `rehearse profile` from the server's\n\
         # statistics (pg_class.reltuples, pg_stats), not from its rows.\n\
         # Holds: row counts; per column its NULL fraction, uniqueness, most common values' weights,\n\
         # bounds of numbers and times, text width, for a foreign key its skew (a fitted zipf), and\n\
         # the order rows were loaded in (`order`, where pg_stats.correlation is beyond ±0.9).\n\
         # Leaves out: {}{}\n\
         # Seed from it with `rehearse run MIGRATIONS --dataset THIS_FILE [--scale 0.1] [--predict]`:\n\
         # production_rows keeps production's size, which hazards and predictions are judged at.",
        redact(&request.url),
        request.schemas.join(", "),
        if request.values.text {
            "nothing of the text values: --include-values copied the most common ones as they are"
        } else {
            "every text value (the most common ones are replaced by synthetic values of the\n#   same width and weight, unless an enum or CHECK names them)"
        },
        if request.values.numbers {
            ";\n#   numbers, dates and timestamps keep their bounds and common values (--no-values drops them)."
        } else {
            ";\n#   the bounds and common values of numbers and times (--no-values)."
        }
    );
    for table in tables {
        let _ = writeln!(out);
        if table.counted {
            let _ = writeln!(
                out,
                "# {} was never analyzed: its rows were counted, and its columns are left to inference.",
                table.name
            );
        }
        if table.partitioned {
            let _ = writeln!(out, "# Partitioned: the rows of all its partitions.");
        }
        let _ = writeln!(out, "[tables.{}]", toml_key(&table.name));
        let _ = writeln!(out, "rows = {}", table.rows);
        // Production's size, so that a run at --scale below 1 (or rows lowered by hand) judges
        // hazards and predicts at it.
        let _ = writeln!(out, "production_rows = {}", table.rows);
        let mut fitted = BTreeMap::new();
        let mut inferred = Vec::new();
        for column in &table.columns {
            match fit::fit(column, table.rows as f64, request.values) {
                Fitted::Generator(g) => {
                    fitted.insert(column.name.clone(), g);
                }
                Fitted::Inferred(why) => inferred.push(format!("{} ({why})", column.name)),
            }
        }
        if !inferred.is_empty() {
            let _ = writeln!(out, "# Left to inference: {}.", inferred.join(", "));
        }
        if !fitted.is_empty() {
            let _ = writeln!(out, "[tables.{}.columns]", toml_key(&table.name));
            for column in &table.columns {
                if let Some(g) = fitted.get(&column.name) {
                    let _ = writeln!(
                        out,
                        "{} = {}",
                        toml_key(&column.name),
                        toml::Value::Table(g.clone())
                    );
                }
            }
        }
    }
    out
}

/// A TOML key, quoted unless it is bare.
fn toml_key(key: &str) -> String {
    if !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        key.to_string()
    } else {
        toml::Value::String(key.to_string()).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_literals_are_split_as_postgresql_prints_them() {
        assert_eq!(
            parse_array(r#"{paid,"in transit","say \"hi\"",NULL}"#),
            ["paid", "in transit", "say \"hi\"", "NULL"]
        );
        assert_eq!(parse_array("{}"), Vec::<String>::new());
    }

    #[test]
    fn the_file_says_what_it_left_out_and_reads_back_as_a_definition() {
        let table = TableProfile {
            name: "public.orders".into(),
            rows: 5000,
            columns: vec![ColumnStats {
                name: "status".into(),
                type_name: "text".into(),
                stats: Some(Stats {
                    most_common_vals: vec!["secret".into()],
                    most_common_freqs: vec![1.0],
                    ..Default::default()
                }),
                ..Default::default()
            }],
            ..Default::default()
        };
        let request = ProfileRequest {
            url: "postgresql://u:pw@db/app".into(),
            schemas: vec!["public".into()],
            values: ValuePolicy {
                text: false,
                numbers: true,
            },
        };
        let text = render(&[table], &request);
        assert!(text.starts_with("# A dataset shaped like"), "{text}");
        assert!(text.contains("Leaves out: every text value"), "{text}");
        assert!(!text.contains("secret") && !text.contains("pw"), "{text}");
        let file: crate::seed::definition::DatasetFile = toml::from_str(&text).unwrap();
        let orders = &file.tables["public.orders"];
        assert_eq!(orders.rows, Some(5000));
        assert!(orders.columns.contains_key("status"));
    }
}
