//! The mechanical fix of a difference: the SQL that turns the second snapshot back into the
//! first, where a statement or two does it without judgement. For a rollback (first = before the
//! migration, second = after its rollback) it is what to add to the rollback: an index left
//! behind gets `DROP INDEX public.users_email_idx;`, a constraint that is gone gets its
//! `ALTER TABLE ... ADD CONSTRAINT ...` from the definition the first snapshot holds.
//!
//! A difference with no such fix (column order, privileges, a table that is gone) keeps `fix`
//! empty, and the advice says in words what the rollback must do. Pure: two snapshots and the
//! differences in, the differences with their fixes out. Names in the model are quoted as
//! `quote_ident()` quotes them, so they go into SQL as they are.

use super::model::*;
use crate::identifier::literal;
use crate::report::Difference;
use std::collections::BTreeMap;

/// Sets `fix` on every difference that has a mechanical one.
pub(super) fn attach(before: &Snapshot, after: &Snapshot, differences: &mut [Difference]) {
    for d in differences.iter_mut() {
        d.fix = fix(before, after, d);
    }
}

/// The relation (table, view) `object` belongs to, and the name after it: `public.t.c` is
/// (`public.t`, `c`). Tries every dot from the right, so a quoted name holding a dot still
/// splits where the relation's name ends.
fn owned<'a, T>(
    maps: [&'a BTreeMap<String, T>; 2],
    object: &'a str,
) -> Option<(&'a str, &'a str, [Option<&'a T>; 2])> {
    let mut at = object.len();
    while let Some(i) = object[..at].rfind('.') {
        let owner = &object[..i];
        let found = [maps[0].get(owner), maps[1].get(owner)];
        if found.iter().any(Option::is_some) {
            return Some((owner, &object[i + 1..], found));
        }
        at = i;
    }
    None
}

fn fix(before: &Snapshot, after: &Snapshot, d: &Difference) -> Option<String> {
    let o = d.object.as_str();
    match d.kind.as_str() {
        "object_left_behind" => drop_object(after, o, &d.detail),
        "object_missing" => create_object(before, o, &d.detail),
        "index_added" => Some(format!("DROP INDEX {o};")),
        "index_missing" => before.indexes.get(o).and_then(|i| statement(&i.definition)),
        "index_changed" => {
            let b = before.indexes.get(o)?;
            let a = after.indexes.get(o)?;
            if b.definition == a.definition && b.valid == a.valid {
                return None;
            }
            Some(format!("DROP INDEX {o}; {}", statement(&b.definition)?))
        }
        "column_added" => {
            let (rel, col, _) = owned([&before.relations, &after.relations], o)?;
            Some(format!("ALTER TABLE {rel} DROP COLUMN {col};"))
        }
        "column_missing" => {
            let (rel, col, [b, _]) = owned([&before.relations, &after.relations], o)?;
            let c = b?.columns.iter().find(|c| c.name == col)?;
            Some(format!(
                "ALTER TABLE {rel} ADD COLUMN {};",
                column_definition(c)
            ))
        }
        "column_type" | "nullability_changed" | "default_changed" => {
            column_change(before, after, d).or_else(|| domain_change(before, d))
        }
        "constraint_added" | "constraint_missing" | "constraint_changed" => {
            constraint_fix(before, after, d)
        }
        "trigger_added" => {
            let (rel, name, _) = owned([&before.relations, &after.relations], o)?;
            Some(format!("DROP TRIGGER {name} ON {rel};"))
        }
        "trigger_missing" => {
            let (_, name, [b, _]) = owned([&before.relations, &after.relations], o)?;
            statement(&b?.triggers.get(name)?.definition)
        }
        "trigger_changed" => {
            let (rel, name, [b, _]) = owned([&before.relations, &after.relations], o)?;
            let def = statement(&b?.triggers.get(name)?.definition)?;
            Some(format!("DROP TRIGGER {name} ON {rel}; {def}"))
        }
        "trigger_enabled" => {
            let (rel, name, [b, _]) = owned([&before.relations, &after.relations], o)?;
            let state = match b?.triggers.get(name)?.enabled.as_str() {
                "O" => "ENABLE",
                "D" => "DISABLE",
                "R" => "ENABLE REPLICA",
                "A" => "ENABLE ALWAYS",
                _ => return None,
            };
            Some(format!("ALTER TABLE {rel} {state} TRIGGER {name};"))
        }
        "policy_added" => {
            let (rel, name, _) = owned([&before.relations, &after.relations], o)?;
            Some(format!("DROP POLICY {name} ON {rel};"))
        }
        "rule_added" => {
            let (rel, name, _) = owned([&before.relations, &after.relations], o)?;
            Some(format!("DROP RULE {name} ON {rel};"))
        }
        "rule_missing" => {
            let (_, name, [b, _]) = owned([&before.relations, &after.relations], o)?;
            statement(b?.rules.get(name)?)
        }
        "rls_changed" => {
            let r = before.relations.get(o)?;
            Some(format!(
                "ALTER TABLE {o} {} ROW LEVEL SECURITY; ALTER TABLE {o} {} ROW LEVEL SECURITY;",
                if r.rls_enabled { "ENABLE" } else { "DISABLE" },
                if r.rls_forced { "FORCE" } else { "NO FORCE" }
            ))
        }
        "view_changed" => {
            let r = before.relations.get(o)?;
            let body = r.definition.as_deref()?.trim().trim_end_matches(';');
            (r.kind == "view").then(|| format!("CREATE OR REPLACE VIEW {o} AS {body};"))
        }
        "function_changed" => before
            .functions
            .get(o)
            .and_then(|f| f.definition.as_deref())
            .and_then(statement),
        "extension_version" => {
            let e = before.extensions.get(o)?;
            Some(format!(
                "ALTER EXTENSION {o} UPDATE TO {};",
                literal(&e.version)
            ))
        }
        _ => None,
    }
}

/// `definition;` when it is a whole statement (`CREATE ...`), else None.
fn statement(definition: &str) -> Option<String> {
    let d = definition.trim().trim_end_matches(';');
    d.get(..6)
        .is_some_and(|w| w.eq_ignore_ascii_case("create"))
        .then(|| format!("{d};"))
}

/// What `detail` says the object is (`the extension citext was left behind`): the word after
/// "the " that names one of `whats`.
fn what_of<'a>(detail: &str, whats: &[&'a str]) -> Option<&'a str> {
    let rest = detail.strip_prefix("the ")?;
    whats
        .iter()
        .filter(|w| rest.starts_with(&format!("{w} ")))
        .max_by_key(|w| w.len())
        .copied()
}

const WHATS: &[&str] = &[
    "schema",
    "extension",
    "type",
    "sequence",
    "relation",
    "function",
    "statistics object",
    "event trigger",
    "collation",
    "publication",
    "cast",
    "text search object",
    "foreign-data object",
];

/// `DROP <kind> <name>;` of an object the rollback left behind.
fn drop_object(after: &Snapshot, o: &str, detail: &str) -> Option<String> {
    let keyword = match what_of(detail, WHATS)? {
        "schema" => "SCHEMA".to_string(),
        "extension" => "EXTENSION".to_string(),
        "type" => match after.types.get(o)?.kind.as_str() {
            "domain" => "DOMAIN".into(),
            _ => "TYPE".into(),
        },
        "sequence" => "SEQUENCE".into(),
        "relation" => match after.relations.get(o)?.kind.as_str() {
            "table" | "partitioned table" => "TABLE".into(),
            "view" => "VIEW".into(),
            "materialized view" => "MATERIALIZED VIEW".into(),
            "foreign table" => "FOREIGN TABLE".into(),
            _ => return None,
        },
        "function" => match after.functions.get(o)?.kind.as_str() {
            "procedure" => "PROCEDURE".into(),
            "aggregate" => "AGGREGATE".into(),
            _ => "FUNCTION".into(),
        },
        "statistics object" => "STATISTICS".into(),
        "event trigger" => "EVENT TRIGGER".into(),
        "collation" => "COLLATION".into(),
        "publication" => "PUBLICATION".into(),
        "cast" => return Some(format!("DROP CAST ({o});")),
        "text search object" => {
            let (what, name) = o.split_once(' ')?;
            return Some(format!(
                "DROP TEXT SEARCH {} {name};",
                what.to_ascii_uppercase()
            ));
        }
        "foreign-data object" => {
            if let Some(rest) = o.strip_prefix("user mapping for ") {
                let (role, server) = rest.split_once(" on ")?;
                return Some(format!("DROP USER MAPPING FOR {role} SERVER {server};"));
            }
            let (what, name) = o.split_once(' ')?;
            return match what {
                "wrapper" => Some(format!("DROP FOREIGN DATA WRAPPER {name};")),
                "server" => Some(format!("DROP SERVER {name};")),
                _ => None,
            };
        }
        _ => return None,
    };
    Some(format!("DROP {keyword} {o};"))
}

/// The statement that recreates an object the rollback dropped, when the first snapshot holds
/// all of it (a schema, an extension, an enum, a function's definition).
fn create_object(before: &Snapshot, o: &str, detail: &str) -> Option<String> {
    match what_of(detail, WHATS)? {
        "schema" => Some(format!("CREATE SCHEMA {o};")),
        "extension" => {
            let e = before.extensions.get(o)?;
            Some(format!(
                "CREATE EXTENSION {o} WITH SCHEMA {} VERSION {};",
                e.schema,
                literal(&e.version)
            ))
        }
        "type" => {
            let t = before.types.get(o)?;
            (t.kind == "enum").then(|| {
                let labels: Vec<String> = t.labels.iter().map(|l| literal(l)).collect();
                format!("CREATE TYPE {o} AS ENUM ({});", labels.join(", "))
            })
        }
        "function" => before
            .functions
            .get(o)
            .and_then(|f| f.definition.as_deref())
            .and_then(statement),
        "statistics object" => before.statistics.get(o).and_then(|s| statement(s)),
        _ => None,
    }
}

/// `name type [COLLATE c] [GENERATED ...] [DEFAULT d] [NOT NULL]`, as ADD COLUMN takes it.
fn column_definition(c: &Column) -> String {
    let mut s = format!("{} {}", c.name, c.data_type);
    if let Some(coll) = &c.collation {
        s.push_str(&format!(" COLLATE {coll}"));
    }
    if let Some(g) = &c.generated {
        s.push_str(&format!(" GENERATED ALWAYS AS ({g}) STORED"));
    } else if let Some(i) = &c.identity {
        s.push_str(&format!(
            " GENERATED {} AS IDENTITY",
            i.to_ascii_uppercase()
        ));
    } else if let Some(d) = &c.default {
        s.push_str(&format!(" DEFAULT {d}"));
    }
    if c.not_null && c.identity.is_none() {
        s.push_str(" NOT NULL");
    }
    s
}

/// A column's type, nullability or default set back to what it was.
fn column_change(before: &Snapshot, after: &Snapshot, d: &Difference) -> Option<String> {
    let (rel, col, [b, _]) = owned([&before.relations, &after.relations], &d.object)?;
    let c = b?.columns.iter().find(|c| c.name == col)?;
    let alter = format!("ALTER TABLE {rel} ALTER COLUMN {col}");
    Some(match d.kind.as_str() {
        "column_type" => format!("{alter} TYPE {};", c.data_type),
        "nullability_changed" if c.not_null => format!("{alter} SET NOT NULL;"),
        "nullability_changed" => format!("{alter} DROP NOT NULL;"),
        _ => match &c.default {
            Some(def) => format!("{alter} SET DEFAULT {def};"),
            None => format!("{alter} DROP DEFAULT;"),
        },
    })
}

/// A domain's default or NOT NULL set back to what it was.
fn domain_change(before: &Snapshot, d: &Difference) -> Option<String> {
    let o = &d.object;
    let t = before.types.get(o).filter(|t| t.kind == "domain")?;
    Some(match d.kind.as_str() {
        "nullability_changed" if t.not_null => format!("ALTER DOMAIN {o} SET NOT NULL;"),
        "nullability_changed" => format!("ALTER DOMAIN {o} DROP NOT NULL;"),
        "default_changed" => match &t.default {
            Some(def) => format!("ALTER DOMAIN {o} SET DEFAULT {def};"),
            None => format!("ALTER DOMAIN {o} DROP DEFAULT;"),
        },
        _ => return None,
    })
}

/// A table's (or domain's) constraint dropped, added back from its definition, or both.
fn constraint_fix(before: &Snapshot, after: &Snapshot, d: &Difference) -> Option<String> {
    let o = &d.object;
    let (alter, name, definition) =
        if let Some((rel, name, [b, _])) = owned([&before.relations, &after.relations], o) {
            let def = b
                .and_then(|r| r.constraints.get(name))
                .map(|c| c.definition.clone());
            (format!("ALTER TABLE {rel}"), name, def)
        } else {
            let (ty, name, [b, _]) = owned([&before.types, &after.types], o)?;
            let def = b.and_then(|t| t.constraints.get(name)).cloned();
            (format!("ALTER DOMAIN {ty}"), name, def)
        };
    let drop = format!("{alter} DROP CONSTRAINT {name};");
    let add = definition.map(|def| format!("{alter} ADD CONSTRAINT {name} {def};"));
    match d.kind.as_str() {
        "constraint_added" => Some(drop),
        "constraint_missing" => add,
        _ => add.map(|add| format!("{drop} {add}")),
    }
}

#[cfg(test)]
mod tests {
    use super::super::diff::diff;
    use super::*;

    fn table(columns: &[(&str, &str)]) -> Relation {
        Relation {
            kind: "table".into(),
            persistence: "permanent".into(),
            columns: columns
                .iter()
                .map(|(n, t)| Column {
                    name: n.to_string(),
                    data_type: t.to_string(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    fn fixes(before: &Snapshot, after: &Snapshot) -> Vec<(String, Option<String>)> {
        diff(before, after)
            .into_iter()
            .map(|d| (d.kind, d.fix))
            .collect()
    }

    #[test]
    fn what_a_rollback_left_behind_is_dropped_by_kind_and_name() {
        let before = Snapshot::default();
        let mut after = Snapshot::default();
        after.extensions.insert(
            "citext".into(),
            Extension {
                version: "1.6".into(),
                schema: "public".into(),
            },
        );
        after.relations.insert(
            "public.v".into(),
            Relation {
                kind: "view".into(),
                ..table(&[])
            },
        );
        let f = fixes(&before, &after);
        assert!(
            f.contains(&(
                "object_left_behind".into(),
                Some("DROP EXTENSION citext;".into())
            )),
            "{f:?}"
        );
        assert!(
            f.contains(&(
                "object_left_behind".into(),
                Some("DROP VIEW public.v;".into())
            )),
            "{f:?}"
        );
    }

    #[test]
    fn an_index_or_column_the_rollback_forgot_gets_its_own_statement() {
        let mut before = Snapshot::default();
        before
            .relations
            .insert("public.t".into(), table(&[("id", "integer")]));
        let mut after = before.clone();
        after.indexes.insert(
            "public.t_x_idx".into(),
            Index {
                table: "public.t".into(),
                definition: "CREATE INDEX t_x_idx ON public.t USING btree (x)".into(),
                valid: true,
                ..Default::default()
            },
        );
        after
            .relations
            .get_mut("public.t")
            .unwrap()
            .columns
            .push(Column {
                name: "x".into(),
                data_type: "integer".into(),
                ..Default::default()
            });
        let f = fixes(&before, &after);
        assert!(
            f.contains(&(
                "index_added".into(),
                Some("DROP INDEX public.t_x_idx;".into())
            )),
            "{f:?}"
        );
        assert!(
            f.contains(&(
                "column_added".into(),
                Some("ALTER TABLE public.t DROP COLUMN x;".into())
            )),
            "{f:?}"
        );
        // The other way round: the index and column are gone, and come back as they were.
        let f = fixes(&after, &before);
        assert!(
            f.contains(&(
                "index_missing".into(),
                Some("CREATE INDEX t_x_idx ON public.t USING btree (x);".into())
            )),
            "{f:?}"
        );
        assert!(
            f.contains(&(
                "column_missing".into(),
                Some("ALTER TABLE public.t ADD COLUMN x integer;".into())
            )),
            "{f:?}"
        );
    }

    #[test]
    fn a_default_and_a_constraint_go_back_to_their_definition() {
        let mut before = Snapshot::default();
        let mut t = table(&[("n", "integer")]);
        t.columns[0].default = Some("0".into());
        t.constraints.insert(
            "t_n_check".into(),
            Constraint {
                kind: "check".into(),
                definition: "CHECK ((n >= 0))".into(),
                validated: true,
                ..Default::default()
            },
        );
        before.relations.insert("public.t".into(), t);
        let mut after = before.clone();
        let t = after.relations.get_mut("public.t").unwrap();
        t.columns[0].default = None;
        t.constraints.clear();
        let f = fixes(&before, &after);
        assert!(
            f.contains(&(
                "default_changed".into(),
                Some("ALTER TABLE public.t ALTER COLUMN n SET DEFAULT 0;".into())
            )),
            "{f:?}"
        );
        assert!(
            f.contains(&(
                "constraint_missing".into(),
                Some("ALTER TABLE public.t ADD CONSTRAINT t_n_check CHECK ((n >= 0));".into())
            )),
            "{f:?}"
        );
        let f = fixes(&after, &before);
        assert!(
            f.contains(&(
                "default_changed".into(),
                Some("ALTER TABLE public.t ALTER COLUMN n DROP DEFAULT;".into())
            )),
            "{f:?}"
        );
    }
}
