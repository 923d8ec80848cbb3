//! What a piece of SQL can do, read from its `pg_query` parse tree: whether a workload query is a
//! plain read (it may run as written) or must run in a transaction that is rolled back, which
//! relations it names, and which functions it calls.
//!
//! The whole tree is walked (through its serde form), not the subset of node kinds `pg_query`'s own
//! `tables()`/`functions()` visit, so a function call or a locking clause deep in an expression is
//! not missed. This module is pure: it never talks to a database. Names are returned as written
//! (unquoted, not resolved); resolving them is the caller's business.

use serde_json::Value;

/// A relation or function name as written: schema (None when unqualified) and name, unquoted.
pub(crate) type Name = (Option<String>, String);

/// What one SQL text (one or more statements) does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct QueryKind {
    /// The parse-tree node kind of each top-level statement (`SelectStmt`, `UpdateStmt`, ...).
    pub statements: Vec<String>,
    /// Relations named anywhere (CTE names excluded).
    pub relations: Vec<Name>,
    /// Functions called anywhere.
    pub functions: Vec<Name>,
    /// A data-modifying statement anywhere (INSERT, UPDATE, DELETE, MERGE, in a CTE too), a
    /// locking clause (`FOR UPDATE`, ...), or `SELECT ... INTO`.
    pub writes_rows: bool,
    /// `BEGIN`, `COMMIT`, `ROLLBACK`, `SAVEPOINT`, ...: transaction control of its own.
    pub transaction_control: bool,
}

impl QueryKind {
    /// None when the text does not parse.
    pub fn of(sql: &str) -> Option<QueryKind> {
        let parsed = pg_query::parse(sql, 0).ok()?;
        let tree = serde_json::to_value(&parsed.protobuf).ok()?;
        let mut kind = QueryKind::default();
        for stmt in tree["stmts"].as_array().into_iter().flatten() {
            if let Some(node) = stmt["stmt"]["node"].as_object() {
                kind.statements.extend(node.keys().cloned());
            }
        }
        let mut ctes = Vec::new();
        walk(&tree, &mut kind, &mut ctes);
        kind.relations
            .retain(|(schema, name)| schema.is_some() || !ctes.contains(name));
        kind.relations.sort();
        kind.relations.dedup();
        kind.functions.sort();
        kind.functions.dedup();
        Some(kind)
    }

    /// Only SELECTs, none of which writes rows or locks them, calling no function that
    /// `is_user_function` says may be the user's: such a query can change no data. A function
    /// qualified with `pg_catalog` is the server's; one qualified with any other schema is the
    /// user's; an unqualified one is asked about.
    pub fn is_plain_read(&self, is_user_function: impl Fn(&str) -> bool) -> bool {
        !self.statements.is_empty()
            && self.statements.iter().all(|s| s == "SelectStmt")
            && !self.writes_rows
            && !self.transaction_control
            && self.functions.iter().all(|(schema, name)| match schema {
                Some(s) => s == "pg_catalog",
                None => !is_user_function(name),
            })
    }

    /// Unqualified function names, for the caller to resolve.
    pub fn unqualified_functions(&self) -> impl Iterator<Item = &str> {
        self.functions
            .iter()
            .filter(|(schema, _)| schema.is_none())
            .map(|(_, name)| name.as_str())
    }

    /// Statements that change no table's rows whatever they run on: index builds, maintenance,
    /// settings, comments, transaction control, and SELECTs that call no function at all.
    pub fn cannot_change_rows(&self) -> bool {
        const HARMLESS: [&str; 7] = [
            "IndexStmt",
            "ReindexStmt",
            "VacuumStmt",
            "VariableSetStmt",
            "VariableShowStmt",
            "TransactionStmt",
            "CommentStmt",
        ];
        !self.statements.is_empty()
            && !self.writes_rows
            && self.statements.iter().all(|s| {
                HARMLESS.contains(&s.as_str()) || (s == "SelectStmt" && self.functions.is_empty())
            })
    }
}

fn walk(value: &Value, kind: &mut QueryKind, ctes: &mut Vec<String>) {
    match value {
        Value::Array(items) => items.iter().for_each(|v| walk(v, kind, ctes)),
        Value::Object(fields) => {
            for (key, inner) in fields {
                match key.as_str() {
                    "SelectStmt" => {
                        let locking = inner["locking_clause"]
                            .as_array()
                            .is_some_and(|l| !l.is_empty());
                        if locking || !inner["into_clause"].is_null() {
                            kind.writes_rows = true;
                        }
                    }
                    "InsertStmt" | "UpdateStmt" | "DeleteStmt" | "MergeStmt" => {
                        kind.writes_rows = true;
                    }
                    "TransactionStmt" => kind.transaction_control = true,
                    "RangeVar" => {
                        let schema = inner["schemaname"].as_str().unwrap_or_default();
                        if let Some(name) = inner["relname"].as_str() {
                            kind.relations.push((
                                (!schema.is_empty()).then(|| schema.to_string()),
                                name.to_string(),
                            ));
                        }
                    }
                    "CommonTableExpr" => {
                        if let Some(name) = inner["ctename"].as_str() {
                            ctes.push(name.to_string());
                        }
                    }
                    "FuncCall" => {
                        let mut parts: Vec<String> = inner["funcname"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|n| n["node"]["String"]["sval"].as_str())
                            .map(str::to_string)
                            .collect();
                        if let Some(name) = parts.pop() {
                            kind.functions.push((parts.pop(), name));
                        }
                    }
                    _ => {}
                }
                walk(inner, kind, ctes);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain_read(sql: &str) -> bool {
        QueryKind::of(sql)
            .unwrap()
            .is_plain_read(|name| name == "my_counter")
    }

    #[test]
    fn selects_of_tables_and_catalog_functions_are_plain_reads() {
        assert!(plain_read("SELECT * FROM orders WHERE id = $1"));
        assert!(plain_read(
            "SELECT count(*), max(lower(name)) FROM accounts a JOIN orders o ON o.account_id = a.id"
        ));
        assert!(plain_read(
            "WITH recent AS (SELECT * FROM orders ORDER BY id DESC LIMIT 5) SELECT * FROM recent"
        ));
        assert!(plain_read("SELECT pg_catalog.now()"));
    }

    #[test]
    fn writes_locking_reads_user_functions_and_transaction_control_are_not_plain_reads() {
        for sql in [
            "UPDATE orders SET paid = true WHERE id = $1",
            "INSERT INTO orders (id) VALUES ($1)",
            "DELETE FROM orders WHERE id = $1",
            "SELECT * FROM orders WHERE id = $1 FOR UPDATE",
            "SELECT * FROM (SELECT * FROM orders FOR SHARE) o",
            "WITH gone AS (DELETE FROM orders WHERE id = $1 RETURNING *) SELECT * FROM gone",
            "SELECT * INTO copy FROM orders",
            "SELECT my_counter()",
            "SELECT id FROM orders WHERE id = coalesce($1, public.next_id())",
            "SELECT 1; UPDATE orders SET paid = true",
            "COMMIT",
            "CALL refresh()",
            "EXPLAIN ANALYZE UPDATE orders SET paid = true",
        ] {
            assert!(!plain_read(sql), "{sql} is not a plain read");
        }
    }

    #[test]
    fn relations_are_named_as_written_without_ctes() {
        let kind = QueryKind::of(
            "WITH s AS (SELECT 1) SELECT * FROM s, \"My Schema\".\"Orders\" o, accounts \
             WHERE o.id IN (SELECT id FROM public.items)",
        )
        .unwrap();
        assert_eq!(
            kind.relations,
            vec![
                (None, "accounts".to_string()),
                (Some("My Schema".to_string()), "Orders".to_string()),
                (Some("public".to_string()), "items".to_string()),
            ]
        );
    }

    #[test]
    fn index_builds_and_settings_cannot_change_rows_but_function_calls_may() {
        let harmless = |sql: &str| QueryKind::of(sql).unwrap().cannot_change_rows();
        assert!(harmless("CREATE INDEX CONCURRENTLY i ON t (a)"));
        assert!(harmless("SET lock_timeout = '1s'"));
        assert!(harmless("VACUUM ANALYZE t"));
        assert!(harmless("SELECT 1"));
        assert!(!harmless("SELECT backfill()"));
        assert!(!harmless("UPDATE t SET a = 1"));
        assert!(!harmless("DO $$ BEGIN UPDATE t SET a = 1; END $$"));
        assert!(!harmless("ALTER TABLE t ADD COLUMN b int"));
    }
}
