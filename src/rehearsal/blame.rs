//! Who a failed statement's error belongs to, read from its parse tree: a statement that fails
//! on any table with rows (`ADD COLUMN ... NOT NULL` without a default) is the migration's own
//! failure, whatever the rows are; one that fails on some rows only (a unique index meeting
//! duplicates, a `SET NOT NULL` meeting NULLs) may be rehearse's inferred data, and then says
//! which rows a repair must remove. Pure: never talks to a database.

use pg_query::protobuf::{AlterTableType, ConstrType};
use crate::report::Culprit;
use pg_query::NodeEnum;

/// What a statement the forward failed on needs of the rows it met.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Needs {
    /// `ADD COLUMN c ... NOT NULL` without a default: no table with rows can take it.
    NoRows { column: String },
    /// Distinct keys: a unique index or key over these expressions (a partial index's predicate
    /// too): only duplicates are in its way.
    DistinctKeys {
        keys: Vec<String>,
        predicate: Option<String>,
    },
    /// Every row's key present in the parent: a foreign key validated as it is added (MATCH
    /// SIMPLE: a key with a NULL column is not checked). Names are quoted.
    Parents {
        columns: Vec<String>,
        parent: String,
        parent_columns: Vec<String>,
    },
    /// Something else of the rows (a CHECK, a NOT NULL on existing values, a foreign key).
    Other,
}

/// The parse tree of `sql`'s first statement; None when it does not parse.
fn first_statement(sql: &str) -> Option<NodeEnum> {
    pg_query::parse(sql, 0)
        .ok()?
        .protobuf
        .stmts
        .into_iter()
        .next()?
        .stmt?
        .node
}

/// What `sql` (one statement) needs of the rows of the table it changes.
pub(super) fn needs(sql: &str) -> Needs {
    let Some(node) = first_statement(sql) else {
        return Needs::Other;
    };
    let node = &node;
    match node {
        NodeEnum::IndexStmt(index) if index.unique => {
            let keys: Option<Vec<String>> = index
                .index_params
                .iter()
                .map(|p| match p.node.as_ref() {
                    Some(NodeEnum::IndexElem(e)) if !e.name.is_empty() => {
                        Some(crate::identifier::quote(&e.name))
                    }
                    Some(NodeEnum::IndexElem(e)) => e
                        .expr
                        .as_deref()
                        .and_then(|x| deparse_expression(x).ok())
                        .map(|x| format!("({x})")),
                    _ => None,
                })
                .collect();
            let predicate = match index.where_clause.as_deref() {
                Some(w) => match deparse_expression(w) {
                    Ok(p) => Some(p),
                    Err(_) => return Needs::Other,
                },
                None => None,
            };
            match keys {
                Some(keys) if !keys.is_empty() => Needs::DistinctKeys { keys, predicate },
                _ => Needs::Other,
            }
        }
        NodeEnum::AlterTableStmt(alter) => {
            for cmd in &alter.cmds {
                let Some(NodeEnum::AlterTableCmd(cmd)) = cmd.node.as_ref() else {
                    continue;
                };
                let def = cmd.def.as_deref().and_then(|d| d.node.as_ref());
                match (AlterTableType::try_from(cmd.subtype), def) {
                    (Ok(AlterTableType::AtAddColumn), Some(NodeEnum::ColumnDef(column))) => {
                        let constraint = |t: ConstrType| {
                            column.constraints.iter().any(|k| {
                                matches!(&k.node, Some(NodeEnum::Constraint(k)) if k.contype == t as i32)
                            })
                        };
                        let required = constraint(ConstrType::ConstrNotnull)
                            || constraint(ConstrType::ConstrPrimary);
                        let filled = column.raw_default.is_some()
                            || !column.identity.is_empty()
                            || !column.generated.is_empty()
                            || constraint(ConstrType::ConstrDefault)
                            || constraint(ConstrType::ConstrIdentity)
                            || constraint(ConstrType::ConstrGenerated);
                        if required && !filled {
                            return Needs::NoRows {
                                column: column.colname.clone(),
                            };
                        }
                    }
                    (Ok(AlterTableType::AtAddConstraint), Some(NodeEnum::Constraint(k)))
                        if k.contype == ConstrType::ConstrUnique as i32
                            || k.contype == ConstrType::ConstrPrimary as i32 =>
                    {
                        let keys: Vec<String> = k
                            .keys
                            .iter()
                            .filter_map(|n| match n.node.as_ref() {
                                Some(NodeEnum::String(s)) => {
                                    Some(crate::identifier::quote(&s.sval))
                                }
                                _ => None,
                            })
                            .collect();
                        if !keys.is_empty() && k.indexname.is_empty() {
                            return Needs::DistinctKeys {
                                keys,
                                predicate: None,
                            };
                        }
                    }
                    (Ok(AlterTableType::AtAddConstraint), Some(NodeEnum::Constraint(k)))
                        if k.contype == ConstrType::ConstrForeign as i32 && !k.skip_validation =>
                    {
                        let names = |list: &[pg_query::protobuf::Node]| -> Vec<String> {
                            list.iter()
                                .filter_map(|n| match n.node.as_ref() {
                                    Some(NodeEnum::String(s)) => {
                                        Some(crate::identifier::quote(&s.sval))
                                    }
                                    _ => None,
                                })
                                .collect()
                        };
                        let columns = names(&k.fk_attrs);
                        let parent_columns = names(&k.pk_attrs);
                        let parent = k.pktable.as_ref().map(|r| {
                            if r.schemaname.is_empty() {
                                crate::identifier::quote(&r.relname)
                            } else {
                                crate::identifier::quote_qualified(&r.schemaname, &r.relname)
                            }
                        });
                        if let Some(parent) = parent.filter(|_| {
                            !columns.is_empty() && columns.len() == parent_columns.len()
                        }) {
                            return Needs::Parents {
                                columns,
                                parent,
                                parent_columns,
                            };
                        }
                    }
                    _ => {}
                }
            }
            Needs::Other
        }
        _ => Needs::Other,
    }
}

/// The table (and column) whose values `sql` converts: `ALTER TABLE t ALTER COLUMN c TYPE ...
/// [USING ...]` or `UPDATE t SET ...`. A data error (class 22) in such a statement is about
/// those values. The schema is empty when the statement does not name one.
pub(super) fn converted(sql: &str) -> Option<Culprit> {
    let node = first_statement(sql)?;
    let (relation, columns) = match &node {
        NodeEnum::AlterTableStmt(alter) => {
            let columns: Vec<String> = alter
                .cmds
                .iter()
                .filter_map(|cmd| match cmd.node.as_ref() {
                    Some(NodeEnum::AlterTableCmd(cmd))
                        if AlterTableType::try_from(cmd.subtype)
                            == Ok(AlterTableType::AtAlterColumnType) =>
                    {
                        Some(cmd.name.clone())
                    }
                    _ => None,
                })
                .collect();
            if columns.is_empty() {
                return None;
            }
            (alter.relation.as_ref()?, columns)
        }
        NodeEnum::UpdateStmt(update) => (update.relation.as_ref()?, Vec::new()),
        _ => return None,
    };
    Some(Culprit {
        schema: relation.schemaname.clone(),
        table: relation.relname.clone(),
        columns,
        constraint: None,
    })
}

/// The one table an `INSERT ... SELECT ... FROM t` reads: when the rows it writes break a
/// constraint, the values came from `t`'s rows. None for any other statement, or a SELECT over
/// several tables (which of them gave the value is not known).
pub(super) fn copied_from(sql: &str) -> Option<Culprit> {
    let NodeEnum::InsertStmt(insert) = first_statement(sql)? else {
        return None;
    };
    let Some(NodeEnum::SelectStmt(select)) = insert.select_stmt.as_deref()?.node.as_ref() else {
        return None;
    };
    let [from] = select.from_clause.as_slice() else {
        return None;
    };
    let Some(NodeEnum::RangeVar(relation)) = from.node.as_ref() else {
        return None;
    };
    Some(Culprit {
        schema: relation.schemaname.clone(),
        table: relation.relname.clone(),
        columns: Vec::new(),
        constraint: None,
    })
}

/// Whether `sql` is an `INSERT INTO t (a, b) SELECT ...` whose column list leaves out
/// `column`: every row it writes has no value there, so a NOT NULL without a default refuses
/// the first row, whatever the rows are (production's included).
pub(super) fn insert_leaves_out(sql: &str, column: &str) -> bool {
    let Some(NodeEnum::InsertStmt(insert)) = first_statement(sql) else {
        return false;
    };
    let is_select = matches!(
        insert.select_stmt.as_deref().and_then(|s| s.node.as_ref()),
        Some(NodeEnum::SelectStmt(s)) if s.values_lists.is_empty()
    );
    let named: Vec<&str> = insert
        .cols
        .iter()
        .filter_map(|c| match c.node.as_ref() {
            Some(NodeEnum::ResTarget(t)) => Some(t.name.as_str()),
            _ => None,
        })
        .collect();
    is_select && !named.is_empty() && !named.contains(&column)
}

/// The safe pattern for an `INSERT ... SELECT` that leaves out a required column.
pub(super) fn insert_leaves_out_advice(column: &str, source: &str) -> String {
    format!(
        "The INSERT leaves out {column}, which is NOT NULL without a DEFAULT, so it fails on the first row it copies, production's included, as soon as {source} has a row: it is the migration's own failure, not the data's. Give {column} a value in the INSERT (`INSERT INTO ... (..., {column}) SELECT ..., now() FROM ...`) or give the column a DEFAULT before the INSERT."
    )
}

/// The query that shows whether production holds rows `sql` would fail on, as the inferred
/// rows did: it must return nothing. `table` is quoted and qualified; `nulls_in` are the columns
/// a NOT NULL met NULLs in. None when the statement's need is not one a query can show.
pub(super) fn precondition(sql: &str, table: &str, nulls_in: &[String]) -> Option<String> {
    match needs(sql) {
        Needs::DistinctKeys { keys, predicate } => {
            let keys = keys.join(", ");
            let filter = predicate.map(|p| format!(" WHERE {p}")).unwrap_or_default();
            Some(format!(
                "SELECT {keys}, count(*) FROM {table}{filter} GROUP BY {keys} HAVING count(*) > 1 LIMIT 5"
            ))
        }
        Needs::Parents { .. } => {
            Some(format!("SELECT * FROM {table} WHERE {} LIMIT 5", orphans(sql, table)?))
        }
        _ if !nulls_in.is_empty() => Some(format!(
            "SELECT count(*) FROM {table} WHERE {} HAVING count(*) > 0",
            nulls_in
                .iter()
                .map(|c| format!("{} IS NULL", crate::identifier::quote(c)))
                .collect::<Vec<_>>()
                .join(" OR ")
        )),
        _ => None,
    }
}

/// The condition on `table`'s rows (quoted, qualified) whose key a foreign key `sql` adds finds
/// no parent for; None unless `sql` adds one.
pub(super) fn orphans(sql: &str, table: &str) -> Option<String> {
    let Needs::Parents {
        columns,
        parent,
        parent_columns,
    } = needs(sql)
    else {
        return None;
    };
    let present = columns
        .iter()
        .map(|c| format!("{table}.{c} IS NOT NULL"))
        .collect::<Vec<_>>()
        .join(" AND ");
    let matching = columns
        .iter()
        .zip(&parent_columns)
        .map(|(c, p)| format!("rehearse_parent.{p} = {table}.{c}"))
        .collect::<Vec<_>>()
        .join(" AND ");
    Some(format!(
        "{present} AND NOT EXISTS (SELECT 1 FROM {parent} rehearse_parent WHERE {matching})"
    ))
}

/// An expression node as SQL text: deparsed inside `SELECT <expr>` and taken back out.
fn deparse_expression(node: &pg_query::protobuf::Node) -> Result<String, pg_query::Error> {
    let parsed = pg_query::parse("SELECT 1", 0)?;
    let mut tree = parsed.protobuf.clone();
    let Some(NodeEnum::SelectStmt(select)) =
        tree.stmts[0].stmt.as_mut().and_then(|s| s.node.as_mut())
    else {
        return Err(pg_query::Error::Parse("no SELECT".into()));
    };
    let Some(NodeEnum::ResTarget(target)) = select.target_list[0].node.as_mut() else {
        return Err(pg_query::Error::Parse("no target".into()));
    };
    target.val = Some(Box::new(node.clone()));
    let text = pg_query::deparse(&tree, Default::default())?;
    Ok(text.strip_prefix("SELECT ").unwrap_or(&text).to_string())
}

/// The safe pattern for a required column added to a table with rows, as SQL.
pub(super) fn add_required_column_advice(column: &str) -> String {
    format!(
        "ADD COLUMN ... NOT NULL without a DEFAULT fails on any table with rows, production's included: it is the migration's own failure, not the data's. Give it a DEFAULT (`ALTER TABLE ... ADD COLUMN {column} ... NOT NULL DEFAULT ...`, a catalog change since PostgreSQL 11), or add it nullable, backfill it in batches, then `ALTER TABLE ... ALTER COLUMN {column} SET NOT NULL` (after a validated `CHECK ({column} IS NOT NULL)`)."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_insert_select_leaving_out_a_column_leaves_it_without_value() {
        let sql = "INSERT INTO methods (id, method, config) SELECT id, 'traits', form FROM requests";
        assert!(insert_leaves_out(sql, "created_at"));
        assert!(!insert_leaves_out(sql, "config"));
        // No column list: the SELECT's columns fill the table's in order.
        assert!(!insert_leaves_out("INSERT INTO methods SELECT * FROM requests", "created_at"));
        // VALUES are the migration's own rows, not copied ones.
        assert!(!insert_leaves_out("INSERT INTO methods (id) VALUES (1)", "created_at"));
    }

    #[test]
    fn a_required_column_without_default_needs_an_empty_table() {
        assert_eq!(
            needs("ALTER TABLE users ADD COLUMN is_admin boolean NOT NULL"),
            Needs::NoRows {
                column: "is_admin".into()
            }
        );
        for filled in [
            "ALTER TABLE users ADD COLUMN is_admin boolean NOT NULL DEFAULT false",
            "ALTER TABLE users ADD COLUMN n bigint GENERATED ALWAYS AS IDENTITY NOT NULL",
            "ALTER TABLE users ADD COLUMN bio text",
            "ALTER TABLE users ALTER COLUMN bio SET NOT NULL",
        ] {
            assert_ne!(
                needs(filled),
                Needs::NoRows {
                    column: "is_admin".into()
                },
                "{filled}"
            );
        }
    }

    #[test]
    fn the_precondition_is_the_query_that_finds_what_the_statement_refuses() {
        assert_eq!(
            precondition(
                "CREATE UNIQUE INDEX u ON users (lower(email)) WHERE deleted_at IS NULL",
                "public.users",
                &[]
            )
            .as_deref(),
            Some("SELECT (lower(email)), count(*) FROM public.users WHERE deleted_at IS NULL GROUP BY (lower(email)) HAVING count(*) > 1 LIMIT 5")
        );
        assert_eq!(
            precondition(
                "ALTER TABLE users ALTER COLUMN bio SET NOT NULL",
                "public.users",
                &["bio".into()]
            )
            .as_deref(),
            Some(r#"SELECT count(*) FROM public.users WHERE "bio" IS NULL HAVING count(*) > 0"#)
        );
        assert_eq!(
            precondition("ALTER TABLE t ADD CHECK (n > 0)", "public.t", &[]),
            None
        );
    }

    #[test]
    fn a_data_error_is_about_the_values_the_statement_converts() {
        let c = converted(
            "ALTER TABLE report ALTER COLUMN parameters SET DATA TYPE jsonb USING parameters::jsonb",
        )
        .unwrap();
        assert_eq!((c.schema.as_str(), c.table.as_str()), ("", "report"));
        assert_eq!(c.columns, ["parameters"]);
        let c = converted("UPDATE app.t SET n = s::int").unwrap();
        assert_eq!((c.schema.as_str(), c.table.as_str()), ("app", "t"));
        assert!(converted("ALTER TABLE t ADD COLUMN n int").is_none());
    }

    #[test]
    fn rows_an_insert_copies_come_from_the_one_table_it_reads() {
        let c = copied_from("INSERT INTO space_paths (uid, space_id) SELECT space_uid, space_id FROM spaces").unwrap();
        assert_eq!((c.schema.as_str(), c.table.as_str()), ("", "spaces"));
        assert!(copied_from("INSERT INTO t SELECT a.x FROM a JOIN b ON a.id = b.id").is_none());
        assert!(copied_from("INSERT INTO t VALUES (1)").is_none());
    }

    #[test]
    fn a_validated_foreign_key_needs_every_key_in_its_parent() {
        assert_eq!(
            orphans(
                "ALTER TABLE crates ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id)",
                "public.crates"
            )
            .as_deref(),
            Some(r#"public.crates."user_id" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "users" rehearse_parent WHERE rehearse_parent."id" = public.crates."user_id")"#)
        );
        // NOT VALID checks no existing row; a key to the parent's primary key by default names
        // no columns, so the condition cannot be written.
        for unchecked in [
            "ALTER TABLE crates ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID",
            "ALTER TABLE crates ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users",
        ] {
            assert_eq!(orphans(unchecked, "public.crates"), None, "{unchecked}");
        }
    }

    #[test]
    fn a_unique_index_or_key_needs_distinct_keys() {
        assert_eq!(
            needs("CREATE UNIQUE INDEX u ON users (lower(email)) WHERE deleted_at IS NULL"),
            Needs::DistinctKeys {
                keys: vec!["(lower(email))".into()],
                predicate: Some("deleted_at IS NULL".into())
            }
        );
        assert_eq!(
            needs("ALTER TABLE users ADD CONSTRAINT u UNIQUE (tenant_id, \"Email\")"),
            Needs::DistinctKeys {
                keys: vec!["\"tenant_id\"".into(), "\"Email\"".into()],
                predicate: None
            }
        );
        assert_eq!(needs("CREATE INDEX i ON users (email)"), Needs::Other);
    }
}
