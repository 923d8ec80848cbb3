//! `renaming-object`: RENAME or SET SCHEMA of a view, function, type, sequence or schema, and an
//! enum's RENAME VALUE (tables and columns have rules of their own). Index and constraint
//! renames are left out: queries do not name them.

use super::script::{names, object_text, Parsed};
use super::{Hit, InRun, Rule};
use pg_query::protobuf::ObjectType;
use pg_query::NodeEnum;

pub static RULE: Rule = Rule {
    id: "renaming-object",
    summary: "RENAME or SET SCHEMA of a view, materialized view, function, type, sequence or schema, or RENAME VALUE of an enum",
    why: "The change is instant, but the application version still running during the deploy names the object (or writes the enum label) as it was: its queries, calls and inserts fail until every instance runs the new code.",
    fix: "Create the object under its new name (a view or function can simply exist twice), move the callers over, and drop the old name in a later release.",
    safe: "CREATE VIEW active_customers AS SELECT * FROM customers WHERE active;\n-- move readers to active_customers; in a later release:\nDROP VIEW active_clients;",
    bad: "ALTER VIEW active_clients RENAME TO active_customers;",
    good: "CREATE VIEW active_customers AS SELECT * FROM customers WHERE active;",
    in_run: InRun::Always,
    kind: "renaming-object",
    check: Some(check),
    squawk: &["renaming-object", "ban-set-schema"],
};

/// The kinds of object this rule is about, with the word a finding uses for each.
fn kind(t: i32) -> Option<&'static str> {
    Some(match ObjectType::try_from(t).ok()? {
        ObjectType::ObjectView => "view",
        ObjectType::ObjectMatview => "materialized view",
        ObjectType::ObjectFunction => "function",
        ObjectType::ObjectProcedure => "procedure",
        ObjectType::ObjectType => "type",
        ObjectType::ObjectDomain => "domain",
        ObjectType::ObjectSequence => "sequence",
        ObjectType::ObjectSchema => "schema",
        ObjectType::ObjectTable => "table",
        _ => return None,
    })
}

/// A non-relation object's name: a function's without its arguments.
fn object_name(o: &pg_query::protobuf::Node) -> String {
    match o.node.as_ref() {
        Some(NodeEnum::ObjectWithArgs(f)) => names(&f.objname).join("."),
        _ => object_text(o),
    }
}

fn check(p: &Parsed) -> Vec<Hit> {
    let mut out = Vec::new();
    for (s, node) in p.nodes() {
        let (verb, what, name, change) = match node {
            // A table's rename is renaming-table's.
            NodeEnum::RenameStmt(r)
                if ObjectType::try_from(r.rename_type) != Ok(ObjectType::ObjectTable) =>
            {
                let Some(what) = kind(r.rename_type) else {
                    continue;
                };
                let name = match (&r.relation, &r.object) {
                    (Some(rv), _) => super::script::relation(rv),
                    (None, Some(o)) => object_name(o),
                    (None, None) => r.subname.clone(),
                };
                (
                    "renaming",
                    what,
                    name,
                    format!("to {}", crate::identifier::display(&r.newname)),
                )
            }
            NodeEnum::AlterObjectSchemaStmt(a) => {
                let Some(what) = kind(a.object_type) else {
                    continue;
                };
                let name = match (&a.relation, &a.object) {
                    (Some(rv), _) => super::script::relation(rv),
                    (None, Some(o)) => object_name(o),
                    (None, None) => continue,
                };
                if what == "table" && !s.before.exists(&name) {
                    continue;
                }
                (
                    "moving",
                    what,
                    name,
                    format!("into schema {}", crate::identifier::display(&a.newschema)),
                )
            }
            // Rows and the running code still write the old label.
            NodeEnum::AlterEnumStmt(e) if !e.old_val.is_empty() => (
                "renaming",
                "value",
                format!("'{}' of type {}", e.old_val, names(&e.type_name).join(".")),
                format!("to '{}'", e.new_val),
            ),
            _ => continue,
        };
        let relation = (what != "value").then(|| name.clone());
        out.push(Hit::new(
            s.line,
            relation,
            format!("{verb} the {what} {name} {change} breaks the running application's queries that use the old name"),
        ));
    }
    out
}

#[cfg(test)]
super::example_tests!();

#[cfg(test)]
mod tests {
    use super::RULE;

    #[test]
    fn an_enum_label_rename_and_a_schema_move_are_found_and_an_index_rename_is_not() {
        let hits = RULE.check_sql(
            "ALTER TYPE mode RENAME VALUE 'closed' TO 'Closed';\nALTER FUNCTION f(int) SET SCHEMA archive;\nALTER INDEX i RENAME TO j;",
        );
        assert_eq!(hits.len(), 2, "{hits:?}");
        assert!(
            hits[0]
                .message
                .starts_with("renaming the value 'closed' of type mode to 'Closed'"),
            "{}",
            hits[0].message
        );
        assert!(
            hits[1]
                .message
                .starts_with("moving the function f into schema archive"),
            "{}",
            hits[1].message
        );
    }
}
