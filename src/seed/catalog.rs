//! What the seeder needs to know about the schema: tables, columns and their types, keys,
//! foreign keys, CHECK constraints, partitions, and whether each table already holds rows. Read
//! from the catalog at each seed point; the only rows it touches are one `EXISTS` per table.
//! Also the names the seeder uses for tables ([`table_key`]) and the unique-constraint tests.

use super::values::PgType;
use std::collections::BTreeMap;
use tokio_postgres::Client;

#[derive(Debug, Clone)]
pub struct Catalog {
    /// Tables by `schema.name`.
    pub tables: BTreeMap<String, Table>,
}

#[derive(Debug, Clone)]
pub struct Table {
    pub schema: String,
    pub name: String,
    pub oid: u32,
    pub columns: Vec<Column>,
    /// Primary key column names.
    pub primary_key: Vec<String>,
    /// Unique constraints and unique indexes (column lists), the primary key included.
    pub unique: Vec<Vec<String>>,
    /// A unique index on an expression that names no column (`ON site_aggregates ((true))`, a
    /// one-row table): every row has the same key, so the table holds one row at most.
    pub constant_unique: Option<String>,
    pub foreign_keys: Vec<ForeignKey>,
    /// Single-column CHECK constraints, by column, as `pg_get_constraintdef` prints them.
    pub checks: Vec<(String, String)>,
    /// CHECK constraints over several columns: (name, definition).
    pub row_checks: Vec<(String, String)>,
    /// Rows already present (an estimate is not enough: we need to know empty from not).
    pub has_rows: bool,
    /// How a partitioned table routes rows to its partitions; None for a plain table.
    pub partitions: Option<Partitions>,
}

/// The partitions of a table partitioned on one column: what values a row's key may take so
/// that some partition accepts it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Partitions {
    /// The partition key column.
    pub column: String,
    /// `range`, `list` or `hash`.
    pub strategy: String,
    /// Range partitions: (from, to) as the bound prints its literals; `None` for MINVALUE or
    /// MAXVALUE.
    pub ranges: Vec<(Option<String>, Option<String>)>,
    /// List partitions: every listed value.
    pub values: Vec<String>,
    /// A DEFAULT partition takes any row.
    pub has_default: bool,
}

impl Partitions {
    /// Adds one partition's bound as `pg_get_expr(relpartbound)` prints it.
    pub fn add_bound(&mut self, bound: &str) {
        let literals = |text: &str| -> Vec<Option<String>> {
            text.split(',')
                .map(|v| {
                    let v = v.trim();
                    if v.eq_ignore_ascii_case("MINVALUE") || v.eq_ignore_ascii_case("MAXVALUE") {
                        None
                    } else {
                        Some(v.trim_matches('\'').replace("''", "'"))
                    }
                })
                .collect()
        };
        let inner = |after: &str| -> Option<&str> {
            let start = bound.find(after)? + after.len();
            let rest = &bound[start..];
            let open = rest.find('(')? + 1;
            let close = open + rest[open..].find(')')?;
            Some(&rest[open..close])
        };
        if bound.trim() == "DEFAULT" {
            self.has_default = true;
        } else if bound.contains(" FROM (") {
            if let (Some(from), Some(to)) = (inner(" FROM "), inner(" TO ")) {
                let from = literals(from).into_iter().next().flatten();
                let to = literals(to).into_iter().next().flatten();
                self.ranges.push((from, to));
            }
        } else if let Some(values) = inner(" IN ") {
            self.values.extend(literals(values).into_iter().flatten());
        }
    }
}

#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    /// `format_type`, for messages.
    pub type_name: String,
    /// None when the type cannot be generated (the column is then left to its default or NULL).
    pub ty: Option<PgType>,
    pub not_null: bool,
    pub default: Option<String>,
    /// Filled by a sequence: `nextval(...)` default or an identity column.
    pub sequence: Option<String>,
    /// GENERATED ALWAYS AS (...) STORED: never written.
    pub generated: bool,
}

#[derive(Debug, Clone)]
pub struct ForeignKey {
    pub name: String,
    pub columns: Vec<String>,
    /// `schema.name`.
    pub parent: String,
    pub parent_columns: Vec<String>,
}

impl Table {
    pub fn qualified(&self) -> String {
        crate::identifier::quote_qualified(&self.schema, &self.name)
    }

    pub fn key(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// The table key a definition name refers to (`users` is `public.users`).
pub fn table_key(name: &str) -> String {
    if name.contains('.') {
        name.to_string()
    } else {
        format!("public.{name}")
    }
}

pub(super) fn display_name(key: &str) -> &str {
    key.strip_prefix("public.").unwrap_or(key)
}

/// The table's columns that key expressions read, in the table's order: a column counts when
/// its name appears in an expression as a whole word (quoted or not).
fn columns_read(table: &Table, keys: &[String]) -> Vec<String> {
    table
        .columns
        .iter()
        .filter(|c| {
            let quoted = crate::identifier::quote(&c.name);
            keys.iter().any(|k| {
                k.contains(&quoted)
                    || k.match_indices(c.name.as_str()).any(|(i, _)| {
                        let word = |ch: char| ch.is_alphanumeric() || ch == '_';
                        k[..i]
                            .chars()
                            .last()
                            .is_none_or(|ch| !word(ch) && ch != '"')
                            && k[i + c.name.len()..]
                                .chars()
                                .next()
                                .is_none_or(|ch| !word(ch) && ch != '"')
                    })
            })
        })
        .map(|c| c.name.clone())
        .collect()
}

/// The column is in some unique constraint (or the primary key), alone or with others.
pub(super) fn in_unique(table: &Table, column: &str) -> bool {
    table.unique.iter().any(|u| u.iter().any(|c| c == column))
}

/// The column is unique by itself.
pub(super) fn is_unique_alone(table: &Table, column: &str) -> bool {
    table.unique.iter().any(|u| u.len() == 1 && u[0] == column)
}

const USER_TABLES: &str = "
    SELECT c.oid, n.nspname, c.relname
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
      AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
      AND n.nspname NOT LIKE 'pg_temp%'
    ORDER BY n.nspname, c.relname";

const COLUMNS: &str = "
    SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull OR COALESCE(bt.typnotnull, false),
           pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, a.attgenerated::text,
           COALESCE(NULLIF(t.typbasetype, 0), t.oid)::oid AS base_oid,
           CASE WHEN t.typbasetype <> 0 THEN t.typtypmod ELSE a.atttypmod END AS typmod,
           pg_get_serial_sequence(quote_ident(n.nspname) || '.' || quote_ident(c.relname), a.attname)
    FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_type t ON t.oid = a.atttypid
    LEFT JOIN pg_type bt ON bt.oid = a.atttypid AND bt.typtype = 'd'
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attrelid = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped
    ORDER BY a.attrelid, a.attnum";

const PARTITIONS: &str = "
    SELECT p.partrelid, p.partstrat::text, a.attname::text,
           ARRAY(SELECT pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i
                 JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = p.partrelid)
    FROM pg_partitioned_table p
    JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
    WHERE p.partrelid = ANY($1) AND p.partnatts = 1";

const TYPES: &str = "
    SELECT t.oid, t.typname, t.typtype::text, t.typelem,
           (SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid)
    FROM pg_type t
    WHERE t.oid = ANY($1) OR t.oid IN (SELECT a.typelem FROM pg_type a WHERE a.oid = ANY($1))";

const CONSTRAINTS: &str = "
    SELECT con.conrelid, con.conname, con.contype::text,
           ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, i)
                 JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i),
           fn.nspname || '.' || fc.relname,
           ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(n, i)
                 JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.i),
           pg_get_constraintdef(con.oid)
    FROM pg_constraint con
    LEFT JOIN pg_class fc ON fc.oid = con.confrelid LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
    WHERE con.conrelid = ANY($1) AND con.contype IN ('p', 'u', 'f', 'c')
      -- A key referencing a partitioned table has a copy per partition; the parent's is enough.
      AND con.conparentid = 0
    ORDER BY con.conrelid, con.conname";

const UNIQUE_INDEXES: &str = "
    SELECT i.indrelid,
           ARRAY(SELECT a.attname::text FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(n, o)
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n ORDER BY k.o)
    FROM pg_index i
    WHERE i.indrelid = ANY($1) AND i.indisunique AND i.indpred IS NULL AND 0 <> ALL (i.indkey::int2[])
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)";

/// Unique indexes on expressions or with a predicate (`lower(email)`, `WHERE deleted_at IS
/// NULL`): each key expression as the catalog prints it, to find the columns it reads.
const EXPRESSION_UNIQUE_INDEXES: &str = "
    SELECT i.indrelid,
           ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(1, i.indnkeyatts) k ORDER BY k)
    FROM pg_index i
    WHERE i.indrelid = ANY($1) AND i.indisunique
      AND (i.indpred IS NOT NULL OR 0 = ANY (i.indkey::int2[]))
      AND (i.indexprs IS NULL OR i.indexprs::text LIKE '%{VAR %')
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)";

/// The CHECKs of each column's domains (and of the domains they are over), as
/// `pg_get_constraintdef` prints them, `VALUE` standing for the column.
const DOMAIN_CHECKS: &str = "
    WITH RECURSIVE chain(attrelid, attname, typ, depth) AS (
        SELECT a.attrelid, a.attname, a.atttypid, 0 FROM pg_attribute a
         WHERE a.attrelid = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped
        UNION ALL
        SELECT c.attrelid, c.attname, t.typbasetype, c.depth + 1
          FROM chain c JOIN pg_type t ON t.oid = c.typ WHERE t.typtype = 'd')
    SELECT c.attrelid, c.attname::text, pg_get_constraintdef(k.oid)
    FROM chain c JOIN pg_constraint k ON k.contypid = c.typ AND k.contype = 'c'
    ORDER BY c.attrelid, c.attname, c.depth, k.conname";

/// Unique indexes whose key is an expression of no column: pg_node_tree's text names every
/// column an expression reads as a `{VAR ...}` node, and an index expression is immutable, so
/// without one the key is the same for every row.
const CONSTANT_UNIQUE_INDEXES: &str = "
    SELECT i.indrelid, c.relname::text
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
    WHERE i.indrelid = ANY($1) AND i.indisunique AND i.indpred IS NULL
      AND i.indexprs IS NOT NULL AND 0 = ALL (i.indkey::int2[])
      AND i.indexprs::text NOT LIKE '%{VAR %'
    ORDER BY c.relname";

/// The `schema.name` of every user table: what a seed point compares with the tables it has
/// already seen, without reading the whole catalog.
pub async fn table_keys(
    client: &Client,
) -> Result<std::collections::BTreeSet<String>, tokio_postgres::Error> {
    Ok(client
        .query(USER_TABLES, &[])
        .await?
        .iter()
        .map(|row| format!("{}.{}", row.get::<_, String>(1), row.get::<_, String>(2)))
        .collect())
}

/// Reads the user tables of the connected database.
pub async fn read(client: &Client) -> Result<Catalog, tokio_postgres::Error> {
    let mut tables = BTreeMap::new();
    let mut by_oid = BTreeMap::new();
    for row in client.query(USER_TABLES, &[]).await? {
        let oid: u32 = row.get(0);
        let table = Table {
            schema: row.get(1),
            name: row.get(2),
            oid,
            columns: Vec::new(),
            primary_key: Vec::new(),
            unique: Vec::new(),
            constant_unique: None,
            foreign_keys: Vec::new(),
            checks: Vec::new(),
            row_checks: Vec::new(),
            has_rows: false,
            partitions: None,
        };
        by_oid.insert(oid, table.key());
        tables.insert(table.key(), table);
    }
    let oids: Vec<u32> = by_oid.keys().copied().collect();
    for row in client.query(PARTITIONS, &[&oids]).await? {
        let oid: u32 = row.get(0);
        let strategy: String = row.get(1);
        let mut partitions = Partitions {
            column: row.get(2),
            strategy: match strategy.as_str() {
                "r" => "range",
                "l" => "list",
                _ => "hash",
            }
            .into(),
            ..Default::default()
        };
        for bound in row.get::<_, Vec<Option<String>>>(3).into_iter().flatten() {
            partitions.add_bound(&bound);
        }
        if let Some(t) = by_oid.get(&oid).and_then(|k| tables.get_mut(k)) {
            t.partitions = Some(partitions);
        }
    }

    struct RawColumn {
        table: u32,
        column: Column,
        base: u32,
        typmod: i32,
    }
    let mut raw = Vec::new();
    for row in client.query(COLUMNS, &[&oids]).await? {
        let default: Option<String> = row.get(4);
        let identity: String = row.get(5);
        let generated: String = row.get(6);
        let serial: Option<String> = row.get(9);
        let sequence = serial.or_else(|| {
            default
                .as_deref()
                .filter(|d| d.starts_with("nextval("))
                .map(|d| d.to_string())
        });
        raw.push(RawColumn {
            table: row.get(0),
            column: Column {
                name: row.get(1),
                type_name: row.get(2),
                ty: None,
                not_null: row.get(3),
                default: default.clone(),
                sequence: if identity.is_empty() && sequence.is_none() {
                    None
                } else {
                    sequence.or(Some(String::new()))
                },
                generated: !generated.is_empty(),
            },
            base: row.get(7),
            typmod: row.get(8),
        });
    }

    let type_oids: Vec<u32> = raw.iter().map(|c| c.base).collect();
    let mut types = BTreeMap::new();
    for row in client.query(TYPES, &[&type_oids]).await? {
        let oid: u32 = row.get(0);
        let name: String = row.get(1);
        let kind: String = row.get(2);
        let elem: u32 = row.get(3);
        let labels: Option<Vec<String>> = row.get(4);
        types.insert(oid, (name, kind, elem, labels));
    }
    let ranges = read_ranges(client, &type_oids).await?;
    for c in raw {
        let mut column = c.column;
        let resolve = |oid: &u32| {
            types
                .get(oid)
                .and_then(|(name, kind, elem, labels)| pg_type(name, kind, *elem, labels, c.typmod))
        };
        column.ty = resolve(&c.base).map(|ty| match ty {
            // An array's typmod is its element's (varchar(20)[]).
            PgType::Array { element_oid, .. } => PgType::Array {
                element_oid,
                element: resolve(&element_oid)
                    .filter(|e| !matches!(e, PgType::Array { .. }))
                    .map(Box::new),
            },
            other => other,
        });
        column.ty = column.ty.or_else(|| ranges.get(&c.base).cloned());
        if let Some(t) = by_oid.get(&c.table).and_then(|k| tables.get_mut(k)) {
            t.columns.push(column);
        }
    }

    for row in client.query(CONSTRAINTS, &[&oids]).await? {
        let Some(t) = by_oid
            .get(&row.get::<_, u32>(0))
            .and_then(|k| tables.get_mut(k))
        else {
            continue;
        };
        let name: String = row.get(1);
        let kind: String = row.get(2);
        let columns: Vec<String> = row.get(3);
        match kind.as_str() {
            "p" => {
                t.primary_key = columns.clone();
                t.unique.push(columns);
            }
            "u" => t.unique.push(columns),
            "f" => t.foreign_keys.push(ForeignKey {
                name,
                columns,
                parent: row.get(4),
                parent_columns: row.get(5),
            }),
            "c" if columns.len() == 1 => t.checks.push((columns[0].clone(), row.get(6))),
            "c" if columns.len() > 1 => t.row_checks.push((name, row.get(6))),
            _ => {}
        }
    }
    for row in client.query(UNIQUE_INDEXES, &[&oids]).await? {
        if let Some(t) = by_oid
            .get(&row.get::<_, u32>(0))
            .and_then(|k| tables.get_mut(k))
        {
            t.unique.push(row.get(1));
        }
    }
    for row in client.query(EXPRESSION_UNIQUE_INDEXES, &[&oids]).await? {
        if let Some(t) = by_oid
            .get(&row.get::<_, u32>(0))
            .and_then(|k| tables.get_mut(k))
        {
            let keys: Vec<String> = row.get(1);
            let columns = columns_read(t, &keys);
            // A partial index over references alone (one owner per tenant) is left to the
            // sieve: making the reference unique would cut the table to its parent's rows.
            let beside_references = columns
                .iter()
                .any(|c| !t.foreign_keys.iter().any(|f| f.columns.contains(c)));
            if !columns.is_empty() && beside_references {
                t.unique.push(columns);
            }
        }
    }
    for row in client.query(DOMAIN_CHECKS, &[&oids]).await? {
        if let Some(t) = by_oid
            .get(&row.get::<_, u32>(0))
            .and_then(|k| tables.get_mut(k))
        {
            let column: String = row.get(1);
            let def: String = row.get(2);
            let def = super::check_facts::with_column(&def, &crate::identifier::quote(&column));
            t.checks.push((column, def));
        }
    }
    for row in client.query(CONSTANT_UNIQUE_INDEXES, &[&oids]).await? {
        if let Some(t) = by_oid
            .get(&row.get::<_, u32>(0))
            .and_then(|k| tables.get_mut(k))
        {
            t.constant_unique.get_or_insert(row.get(1));
        }
    }
    for t in tables.values_mut() {
        let q = format!("SELECT EXISTS (SELECT 1 FROM {})", t.qualified());
        t.has_rows = client.query_one(&q, &[]).await?.get(0);
    }
    Ok(Catalog { tables })
}

/// The encoder's view of a type; None for types we cannot generate.
fn pg_type(
    name: &str,
    kind: &str,
    elem: u32,
    labels: &Option<Vec<String>>,
    typmod: i32,
) -> Option<PgType> {
    if kind == "e" {
        return Some(PgType::Enum(labels.clone().unwrap_or_default()));
    }
    if name.starts_with('_') && elem != 0 {
        return Some(PgType::Array {
            element_oid: elem,
            element: None,
        });
    }
    Some(match name {
        "int2" => PgType::Int2,
        "int4" => PgType::Int4,
        "int8" => PgType::Int8,
        "float4" => PgType::Float4,
        "float8" => PgType::Float8,
        "numeric" => PgType::Numeric {
            scale: (typmod >= 4).then(|| ((typmod - 4) & 0xffff) as u32),
        },
        "text" | "citext" | "name" => PgType::Text { max_chars: None },
        "varchar" | "bpchar" => PgType::Text {
            max_chars: (typmod >= 4).then(|| (typmod - 4) as usize),
        },
        "bool" => PgType::Bool,
        "date" => PgType::Date,
        "timestamp" => PgType::Timestamp,
        "timestamptz" => PgType::Timestamptz,
        "time" => PgType::Time,
        "interval" => PgType::Interval,
        "uuid" => PgType::Uuid,
        "json" => PgType::Json,
        "jsonb" => PgType::Jsonb,
        "inet" => PgType::Inet,
        "bytea" => PgType::Bytea,
        _ => return None,
    })
}

/// Range and multirange types among `type_oids` and what their bounds are. `rngmultitypid` is
/// read through `to_jsonb` because PostgreSQL 13 and older have no such column (nor
/// multiranges).
const RANGES: &str = "
    SELECT r.rngtypid, (to_jsonb(r) ->> 'rngmultitypid')::oid, s.typname::text
    FROM pg_range r JOIN pg_type s ON s.oid = r.rngsubtype
    WHERE r.rngtypid = ANY($1) OR (to_jsonb(r) ->> 'rngmultitypid')::oid = ANY($1)";

/// The range and multirange types among `type_oids` whose subtype the encoder writes (numbers,
/// dates, timestamps), by type oid.
async fn read_ranges(
    client: &Client,
    type_oids: &[u32],
) -> Result<BTreeMap<u32, PgType>, tokio_postgres::Error> {
    let mut out = BTreeMap::new();
    for row in client.query(RANGES, &[&type_oids]).await? {
        let range: u32 = row.get(0);
        let multirange: Option<u32> = row.get(1);
        let Some(subtype) = range_subtype(&row.get::<_, String>(2)) else {
            continue;
        };
        out.insert(
            range,
            PgType::Range {
                subtype: Box::new(subtype.clone()),
            },
        );
        if let Some(m) = multirange {
            out.insert(
                m,
                PgType::Multirange {
                    subtype: Box::new(subtype),
                },
            );
        }
    }
    Ok(out)
}

/// A range's subtype as the encoder writes it; None for subtypes the range generator does not
/// cover (text, inet, ...).
fn range_subtype(name: &str) -> Option<PgType> {
    pg_type(name, "b", 0, &None, -1).filter(|t| {
        matches!(
            t,
            PgType::Int2
                | PgType::Int4
                | PgType::Int8
                | PgType::Float4
                | PgType::Float8
                | PgType::Numeric { .. }
                | PgType::Date
                | PgType::Timestamp
                | PgType::Timestamptz
        )
    })
}

/// The numeric precision of `numeric(p, s)` from its formatted type name.
pub fn numeric_precision(type_name: &str) -> Option<(u32, u32)> {
    let inner = type_name.strip_prefix("numeric(")?.strip_suffix(')')?;
    let (p, s) = inner.split_once(',').unwrap_or((inner, "0"));
    Some((p.trim().parse().ok()?, s.trim().parse().ok()?))
}
