//! Table layouts: for every ordinary table, what decides how its stored rows decode (OID, file
//! node, live columns with their numbers and types), plus the inheritance and foreign-key edges
//! the data scope follows. One catalog query each; never reads a row, never writes.
//!
//! Two layouts of the same table being equal is what lets a snapshot taken before a migration
//! read the table's old rows afterwards (see [`super::scope`]).

use std::collections::{BTreeMap, BTreeSet};
use tokio_postgres::Client;

/// One ordinary table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableLayout {
    /// Schema-qualified, quoted as the snapshot model quotes it.
    pub name: String,
    pub schema: String,
    pub relname: String,
    pub filenode: u32,
    /// `name:attnum:type:typmod:collation` of each live column, in attnum order.
    pub columns: Vec<String>,
    pub pages: i64,
}

/// Every ordinary table of a database, by OID, with its inheritance and foreign-key edges.
#[derive(Debug, Clone, Default)]
pub struct Layouts {
    pub tables: BTreeMap<u32, TableLayout>,
    /// (child, parent): inheritance and partitions.
    pub inherits: Vec<(u32, u32)>,
    /// (referencing, referenced) table pairs of foreign keys.
    pub references: Vec<(u32, u32)>,
}

const TABLES_SQL: &str = "
SELECT c.oid, pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname),
       n.nspname::text, c.relname::text, c.relfilenode, c.relpages::int8,
       ARRAY(SELECT a.attname || ':' || a.attnum || ':' || a.atttypid || ':' || a.atttypmod || ':' || a.attcollation
             FROM pg_catalog.pg_attribute a
             WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
             ORDER BY a.attnum)
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'";

const EDGES_SQL: &str = "
SELECT 'i', inhrelid, inhparent FROM pg_catalog.pg_inherits
UNION ALL
SELECT 'f', conrelid, confrelid FROM pg_catalog.pg_constraint WHERE contype = 'f'";

/// Reads the layouts on `client` (any transaction state; catalog only).
pub async fn read(client: &Client) -> Result<Layouts, tokio_postgres::Error> {
    let (tables, edges) = tokio::join!(client.query(TABLES_SQL, &[]), client.query(EDGES_SQL, &[]));
    let mut layouts = Layouts::default();
    for row in tables? {
        layouts.tables.insert(
            row.get(0),
            TableLayout {
                name: row.get(1),
                schema: row.get(2),
                relname: row.get(3),
                filenode: row.get(4),
                pages: row.get(5),
                columns: row.get(6),
            },
        );
    }
    for row in edges? {
        let kind: &str = row.get(0);
        let pair = (row.get::<_, u32>(1), row.get::<_, u32>(2));
        if kind == "i" {
            layouts.inherits.push(pair);
        } else {
            layouts.references.push(pair);
        }
    }
    Ok(layouts)
}

impl Layouts {
    /// Tables of `self` (the layout before) that `now` holds under another OID or file node, or
    /// without one of the columns they had (same name, number, type, modifier, collation), or
    /// not at all: by name, with what changed. Columns added beside the old ones change no old
    /// value and leave the old row versions readable, so they do not count.
    pub fn changed_in(&self, now: &Layouts) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for (oid, before) in &self.tables {
            let why = match now.tables.get(oid) {
                None => "dropped (or dropped and created again)",
                Some(after) if after.filenode != before.filenode => {
                    "rewritten or truncated (new file node)"
                }
                Some(after) if !before.columns.iter().all(|c| after.columns.contains(c)) => {
                    "a column was dropped or changed"
                }
                Some(_) => continue,
            };
            out.insert(before.name.clone(), why.to_string());
        }
        out
    }

    /// The OIDs of tables named `schema.name` (any schema when None).
    pub fn matching(&self, schema: Option<&str>, name: &str) -> Vec<u32> {
        self.tables
            .iter()
            .filter(|(_, t)| t.relname == name && schema.is_none_or(|s| s == t.schema))
            .map(|(oid, _)| *oid)
            .collect()
    }

    /// `start` with every inheritance child and partition, recursively, and with
    /// `referencing_too` every table that references one of them by foreign key, recursively.
    pub fn closure(&self, start: &[u32], referencing_too: bool) -> BTreeSet<u32> {
        let mut seen: BTreeSet<u32> = start.iter().copied().collect();
        let mut todo: Vec<u32> = start.to_vec();
        while let Some(oid) = todo.pop() {
            let children = self
                .inherits
                .iter()
                .filter(|(_, parent)| *parent == oid)
                .map(|(child, _)| *child);
            let referencing = self
                .references
                .iter()
                .filter(|(_, referenced)| referencing_too && *referenced == oid)
                .map(|(from, _)| *from);
            for next in children.chain(referencing).collect::<Vec<_>>() {
                if seen.insert(next) {
                    todo.push(next);
                }
            }
        }
        seen
    }

    /// Pages of each table by name (quoted, schema-qualified), for the order of work: one map
    /// instead of a scan per table.
    pub fn pages_by_name(&self) -> BTreeMap<&str, i64> {
        self.tables
            .values()
            .map(|t| (t.name.as_str(), t.pages))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str, filenode: u32, columns: &[&str]) -> TableLayout {
        TableLayout {
            name: format!("public.{name}"),
            schema: "public".into(),
            relname: name.into(),
            filenode,
            columns: columns.iter().map(|c| c.to_string()).collect(),
            pages: 1,
        }
    }

    #[test]
    fn a_new_file_node_new_columns_or_a_drop_are_changes_and_nothing_else_is() {
        let before = Layouts {
            tables: [
                (1, table("a", 10, &["id:1:23:-1:0"])),
                (2, table("b", 20, &["id:1:23:-1:0", "v:2:25:-1:100"])),
                (3, table("c", 30, &["id:1:23:-1:0"])),
                (4, table("d", 40, &["id:1:23:-1:0"])),
            ]
            .into(),
            ..Default::default()
        };
        let now = Layouts {
            tables: [
                (1, table("a", 11, &["id:1:23:-1:0"])),
                (2, table("b", 20, &["id:1:23:-1:0", "v:3:25:-1:100"])),
                (4, table("d", 40, &["id:1:23:-1:0", "added:2:23:-1:0"])),
                (5, table("c", 50, &["id:1:23:-1:0"])),
            ]
            .into(),
            ..Default::default()
        };
        let changed = before.changed_in(&now);
        assert_eq!(
            changed.keys().collect::<Vec<_>>(),
            ["public.a", "public.b", "public.c"]
        );
    }

    #[test]
    fn the_closure_follows_partitions_and_with_cascade_references() {
        let l = Layouts {
            tables: BTreeMap::new(),
            inherits: vec![(2, 1), (3, 2)],
            references: vec![(4, 1), (5, 4)],
        };
        assert_eq!(l.closure(&[1], false), [1, 2, 3].into());
        assert_eq!(l.closure(&[1], true), [1, 2, 3, 4, 5].into());
    }
}
