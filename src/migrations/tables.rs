//! The tables that scripts create, read from their parse trees: a dataset definition naming a
//! table that no migration creates is refused before a server starts.
//!
//! The answer errs towards "may create": a table a `DO` block or a function body mentions may be
//! created there, where the parser does not look.

use super::Script;
use pg_query::protobuf::{ObjectType, RangeVar};
use pg_query::NodeEnum;
use std::collections::BTreeSet;

/// What a set of scripts may create.
#[derive(Debug, Default)]
pub struct CreatedTables {
    /// `schema.name` for the tables a statement named with their schema.
    tables: BTreeSet<String>,
    /// Names created without a schema: which one they land in depends on the `search_path` at
    /// the time (a script may set it), so they count for any schema.
    unqualified: BTreeSet<String>,
    /// `DO` blocks and function definitions, lowercased.
    opaque: Vec<String>,
}

impl CreatedTables {
    pub fn read<'a>(scripts: impl IntoIterator<Item = &'a Script>) -> CreatedTables {
        let mut created = CreatedTables::default();
        for script in scripts {
            for statement in &script.statements {
                let Ok(parsed) = pg_query::parse(&statement.sql, 0) else {
                    continue;
                };
                for raw in &parsed.protobuf.stmts {
                    if let Some(node) = raw.stmt.as_ref().and_then(|n| n.node.as_ref()) {
                        created.statement(node, &statement.sql);
                    }
                }
            }
        }
        created
    }

    /// True when some script creates `schema.name` (or may, inside a body the parser does not
    /// read).
    pub fn may_create(&self, key: &str) -> bool {
        let name = key.rsplit('.').next().unwrap_or(key);
        if self.tables.contains(key) || self.unqualified.contains(name) {
            return true;
        }
        let name = name.to_lowercase();
        self.opaque.iter().any(|body| body.contains(&name))
    }

    /// Records `name`, created in `rv`'s schema or, when it names none, in any.
    fn insert(&mut self, rv: &RangeVar, name: &str) {
        if rv.schemaname.is_empty() {
            self.unqualified.insert(name.to_string());
        } else {
            self.tables.insert(format!("{}.{name}", rv.schemaname));
        }
    }

    fn statement(&mut self, node: &NodeEnum, sql: &str) {
        let table = |t: i32| t == ObjectType::ObjectTable as i32;
        match node {
            // Partitions and temporary tables are never seeded by themselves.
            NodeEnum::CreateStmt(c) if c.partbound.is_none() => {
                if let Some(rv) = c.relation.as_ref().filter(|rv| rv.relpersistence != "t") {
                    self.insert(rv, &rv.relname);
                }
            }
            NodeEnum::CreateTableAsStmt(c) if table(c.objtype) => {
                if let Some(rv) = c.into.as_ref().and_then(|i| i.rel.as_ref()) {
                    self.insert(rv, &rv.relname);
                }
            }
            NodeEnum::SelectStmt(s) => {
                if let Some(rv) = s.into_clause.as_ref().and_then(|i| i.rel.as_ref()) {
                    self.insert(rv, &rv.relname);
                }
            }
            NodeEnum::RenameStmt(r) if table(r.rename_type) => {
                if let Some(rv) = &r.relation {
                    self.insert(rv, &r.newname);
                }
            }
            NodeEnum::AlterObjectSchemaStmt(a) if table(a.object_type) => {
                if let Some(rv) = &a.relation {
                    self.tables
                        .insert(format!("{}.{}", a.newschema, rv.relname));
                }
            }
            NodeEnum::DoStmt(_) | NodeEnum::CreateFunctionStmt(_) => {
                self.opaque.push(sql.to_lowercase());
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrations::split_statements;

    fn created(sql: &str) -> CreatedTables {
        let script = Script {
            path: "V1__x.sql".into(),
            first_line: 1,
            statements: split_statements(std::path::Path::new("V1__x.sql"), sql, 1).unwrap(),
            ..Default::default()
        };
        CreatedTables::read([&script])
    }

    #[test]
    fn every_way_of_making_a_table_counts() {
        let c = created(
            "CREATE TABLE a (id int);
             CREATE TABLE app.b (id int);
             CREATE TABLE c AS SELECT 1 AS x;
             SELECT 1 AS x INTO d;
             CREATE TABLE e0 (id int); ALTER TABLE e0 RENAME TO e;
             CREATE TABLE f (id int); ALTER TABLE f SET SCHEMA archive;",
        );
        for key in [
            "public.a",
            "app.b",
            "public.c",
            "public.d",
            "public.e",
            "archive.f",
        ] {
            assert!(c.may_create(key), "{key}: {c:?}");
        }
        assert!(!c.may_create("public.b"));
    }

    #[test]
    fn a_table_named_without_a_schema_may_land_in_any_the_search_path_gives() {
        let c = created("SET search_path = billing; CREATE TABLE invoices (id int);");
        assert!(c.may_create("billing.invoices"));
        assert!(c.may_create("public.invoices"));
        assert!(!c.may_create("billing.payments"));
    }

    #[test]
    fn views_partitions_and_temporary_tables_are_not_tables_to_seed() {
        let c = created(
            "CREATE VIEW v AS SELECT 1;
             CREATE MATERIALIZED VIEW m AS SELECT 1;
             CREATE TEMPORARY TABLE tmp (id int);
             CREATE TABLE p (id int) PARTITION BY RANGE (id);
             CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (1) TO (10);
             ALTER TABLE p RENAME COLUMN id TO key;",
        );
        assert!(c.may_create("public.p"));
        for key in [
            "public.v",
            "public.m",
            "public.tmp",
            "public.p1",
            "public.key",
        ] {
            assert!(!c.may_create(key), "{key}: {c:?}");
        }
    }

    #[test]
    fn a_table_a_do_block_mentions_may_be_created_there() {
        let c = created("DO $$ BEGIN EXECUTE 'CREATE TABLE Audit_Log (id int)'; END $$;");
        assert!(c.may_create("public.audit_log"));
        assert!(!c.may_create("public.users"));
    }
}
