//! What a migration's statements do, read from `pg_query` parse trees: the destructive changes
//! that need an approval, and the shapes that are hazards on a large table. Pure: text in, facts
//! out; nothing here runs SQL.

use crate::identifier;
use pg_query::protobuf::{AlterTableType, ConstrType, ObjectType};
use pg_query::NodeEnum;

/// One thing a statement does that the gates care about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Destroys data or breaks readers: `kind` as in `DestructiveChange::kind`.
    Destructive {
        kind: &'static str,
        object: String,
    },
    CreateTable {
        table: String,
    },
    CreateIndex {
        table: String,
        name: String,
        concurrently: bool,
    },
    AddForeignKey {
        table: String,
        name: String,
        not_valid: bool,
    },
    SetNotNull {
        table: String,
        column: String,
    },
    /// `ALTER TABLE ... ADD COLUMN`: a rewrite when each row needs its own value.
    AddColumn {
        table: String,
        column: String,
    },
    /// Takes an ACCESS EXCLUSIVE (or SHARE ROW EXCLUSIVE) lock on an existing table.
    LocksTable {
        table: String,
    },
    SetLockTimeout,
}

/// Every action of one statement. A statement the parser rejects yields nothing: the rehearsal
/// already reported it.
pub fn actions(sql: &str) -> Vec<Action> {
    let Ok(parsed) = pg_query::parse(sql, 0) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for raw in &parsed.protobuf.stmts {
        let Some(node) = raw.stmt.as_ref().and_then(|n| n.node.as_ref()) else {
            continue;
        };
        statement(node, &mut out);
    }
    out
}

fn statement(node: &NodeEnum, out: &mut Vec<Action>) {
    match node {
        NodeEnum::DropStmt(d) => {
            let kind = match ObjectType::try_from(d.remove_type) {
                Ok(ObjectType::ObjectTable) => "drop_table",
                Ok(ObjectType::ObjectSchema) => "drop_schema",
                _ => return,
            };
            for object in &d.objects {
                out.push(Action::Destructive {
                    kind,
                    object: object_name(object, kind == "drop_table"),
                });
            }
        }
        NodeEnum::TruncateStmt(t) => {
            for r in &t.relations {
                if let Some(NodeEnum::RangeVar(rv)) = &r.node {
                    let table = range_var(rv);
                    out.push(Action::Destructive {
                        kind: "truncate",
                        object: table.clone(),
                    });
                    out.push(Action::LocksTable { table });
                }
            }
        }
        NodeEnum::CreateStmt(c) => {
            if let Some(rv) = &c.relation {
                out.push(Action::CreateTable {
                    table: range_var(rv),
                });
            }
        }
        NodeEnum::CreateTableAsStmt(c) => {
            if let Some(rv) = c.into.as_ref().and_then(|i| i.rel.as_ref()) {
                out.push(Action::CreateTable {
                    table: range_var(rv),
                });
            }
        }
        NodeEnum::IndexStmt(i) => {
            if let Some(rv) = &i.relation {
                out.push(Action::CreateIndex {
                    table: range_var(rv),
                    name: i.idxname.clone(),
                    concurrently: i.concurrent,
                });
            }
        }
        NodeEnum::VariableSetStmt(v) if v.name.eq_ignore_ascii_case("lock_timeout") => {
            out.push(Action::SetLockTimeout);
        }
        NodeEnum::AlterTableStmt(a) => {
            if ObjectType::try_from(a.objtype) != Ok(ObjectType::ObjectTable) {
                return;
            }
            let Some(rv) = &a.relation else { return };
            let table = range_var(rv);
            out.push(Action::LocksTable {
                table: table.clone(),
            });
            for cmd in &a.cmds {
                let Some(NodeEnum::AlterTableCmd(c)) = &cmd.node else {
                    continue;
                };
                match AlterTableType::try_from(c.subtype) {
                    Ok(AlterTableType::AtDropColumn) => out.push(Action::Destructive {
                        kind: "drop_column",
                        object: format!("{table}.{}", identifier::display(&c.name)),
                    }),
                    Ok(AlterTableType::AtAlterColumnType) => out.push(Action::Destructive {
                        kind: "alter_column_type",
                        object: format!("{table}.{}", identifier::display(&c.name)),
                    }),
                    Ok(AlterTableType::AtDropConstraint) => out.push(Action::Destructive {
                        kind: "drop_constraint",
                        object: format!("{table}.{}", identifier::display(&c.name)),
                    }),
                    Ok(AlterTableType::AtSetNotNull) => out.push(Action::SetNotNull {
                        table: table.clone(),
                        column: c.name.clone(),
                    }),
                    Ok(AlterTableType::AtAddColumn) => {
                        if let Some(NodeEnum::ColumnDef(col)) =
                            c.def.as_ref().and_then(|d| d.node.as_ref())
                        {
                            out.push(Action::AddColumn {
                                table: table.clone(),
                                column: identifier::display(&col.colname),
                            });
                        }
                    }
                    Ok(AlterTableType::AtAddConstraint) => {
                        if let Some(NodeEnum::Constraint(k)) =
                            c.def.as_ref().and_then(|d| d.node.as_ref())
                        {
                            if ConstrType::try_from(k.contype) == Ok(ConstrType::ConstrForeign) {
                                out.push(Action::AddForeignKey {
                                    table: table.clone(),
                                    name: k.conname.clone(),
                                    not_valid: k.skip_validation,
                                });
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

/// `schema.name`, with `public` where the statement named no schema, spelled as the probe and
/// the snapshot spell relations (quoted where `quote_ident()` would quote), so that the names
/// compare equal: `ALTER TABLE "Users"` is about `public."Users"`.
pub(crate) fn range_var(rv: &pg_query::protobuf::RangeVar) -> String {
    let schema = if rv.schemaname.is_empty() {
        "public"
    } else {
        &rv.schemaname
    };
    identifier::display_qualified(schema, &rv.relname)
}

/// A DROP's object: a list of name parts (`[schema,] name`).
fn object_name(node: &pg_query::protobuf::Node, qualify: bool) -> String {
    let parts: Vec<String> = match &node.node {
        Some(NodeEnum::List(l)) => l.items.iter().filter_map(string).collect(),
        Some(other) => string_of(other).into_iter().collect(),
        None => Vec::new(),
    };
    let parts: Vec<String> = parts.iter().map(|p| identifier::display(p)).collect();
    if qualify && parts.len() == 1 {
        format!("public.{}", parts[0])
    } else {
        parts.join(".")
    }
}

fn string(node: &pg_query::protobuf::Node) -> Option<String> {
    node.node.as_ref().and_then(string_of)
}

fn string_of(node: &NodeEnum) -> Option<String> {
    match node {
        NodeEnum::String(s) => Some(s.sval.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn destructive(sql: &str) -> Vec<(&'static str, String)> {
        actions(sql)
            .into_iter()
            .filter_map(|a| match a {
                Action::Destructive { kind, object } => Some((kind, object)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn every_destructive_statement_kind_is_found() {
        assert_eq!(
            destructive("DROP TABLE users, audit.log"),
            vec![
                ("drop_table", "public.users".into()),
                ("drop_table", "audit.log".into())
            ]
        );
        assert_eq!(
            destructive("DROP SCHEMA legacy CASCADE"),
            vec![("drop_schema", "legacy".into())]
        );
        assert_eq!(
            destructive("TRUNCATE sessions"),
            vec![("truncate", "public.sessions".into())]
        );
        assert_eq!(
            destructive("ALTER TABLE users DROP COLUMN legacy_name, ALTER COLUMN id TYPE bigint, DROP CONSTRAINT users_email_key"),
            vec![
                ("drop_column", "public.users.legacy_name".into()),
                ("alter_column_type", "public.users.id".into()),
                ("drop_constraint", "public.users.users_email_key".into()),
            ]
        );
    }

    #[test]
    fn additive_statements_are_not_destructive() {
        assert!(destructive("ALTER TABLE users ADD COLUMN status text").is_empty());
        assert!(destructive("DROP INDEX users_status_idx").is_empty());
        assert!(destructive("CREATE TABLE t (id int)").is_empty());
        // A comment or a string that merely says DROP TABLE is not a statement that does it.
        assert!(destructive("SELECT 'DROP TABLE users' -- DROP TABLE users").is_empty());
    }

    #[test]
    fn hazard_shapes_are_read_from_the_tree() {
        assert!(
            actions("CREATE INDEX i ON users (email)").contains(&Action::CreateIndex {
                table: "public.users".into(),
                name: "i".into(),
                concurrently: false
            })
        );
        assert!(actions(
            "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID"
        )
        .contains(&Action::AddForeignKey {
            table: "public.orders".into(),
            name: "fk".into(),
            not_valid: true
        }));
        assert!(
            actions("ALTER TABLE users ALTER COLUMN email SET NOT NULL").contains(
                &Action::SetNotNull {
                    table: "public.users".into(),
                    column: "email".into()
                }
            )
        );
        assert!(actions("SET lock_timeout = '2s'").contains(&Action::SetLockTimeout));
    }

    #[test]
    fn names_are_spelled_as_the_probe_spells_relations() {
        let names = |sql: &str| -> Vec<String> {
            actions(sql)
                .into_iter()
                .filter_map(|a| match a {
                    Action::CreateIndex { table, .. } | Action::LocksTable { table } => Some(table),
                    Action::Destructive { object, .. } => Some(object),
                    _ => None,
                })
                .collect()
        };
        assert_eq!(
            names("ALTER TABLE \"Users\" ADD COLUMN n int"),
            ["public.\"Users\""]
        );
        assert_eq!(
            names("CREATE INDEX i ON app.\"order\" (n)"),
            ["app.\"order\""]
        );
        assert_eq!(
            names("DROP TABLE \"Old Things\""),
            ["public.\"Old Things\""]
        );
        assert_eq!(
            names("ALTER TABLE users DROP COLUMN \"Email\""),
            ["public.users", "public.users.\"Email\""]
        );
    }
}
