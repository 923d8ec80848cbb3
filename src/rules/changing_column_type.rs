//! `changing-column-type`: ALTER COLUMN ... TYPE that rewrites the table.

use super::script::{alter_table_cmds, column_def, column_type, ColumnType, Parsed};
use super::{Hit, InRun, Rule};
use pg_query::protobuf::AlterTableType;

pub static RULE: Rule = Rule {
    id: "changing-column-type",
    summary: "ALTER COLUMN ... TYPE that rewrites the table",
    why: "Changing a column's type rewrites the table and rebuilds every index on it under an ACCESS EXCLUSIVE lock: nobody reads or writes the table until it is done. Only a few changes are free: varchar(n) to a longer varchar or to text, text to unbounded varchar, numeric(p,s) to a larger precision with the same scale.",
    fix: "Add a column of the new type, write to both, backfill it in batches, switch readers over, then drop the old column (expand, migrate, contract).",
    safe: "ALTER TABLE orders ADD COLUMN total_v2 numeric(14,2);\n-- backfill in batches, switch the application to total_v2, then in a later release:\nALTER TABLE orders DROP COLUMN total;",
    bad: "ALTER TABLE orders ALTER COLUMN total TYPE numeric(12,2);",
    good: "-- note was varchar(20)\nALTER TABLE orders ALTER COLUMN note TYPE text;",
    in_run: InRun::Measured,
    kind: "rewrite_large_table",
    check: Some(check),
    squawk: &["changing-column-type"],
};

/// True when changing `old` to `new` needs no rewrite (binary-coercible, or a wider limit).
fn free(old: &ColumnType, new: &ColumnType) -> bool {
    if old.array != new.array {
        return false;
    }
    match (old.name.as_str(), new.name.as_str()) {
        ("varchar", "text") => true,
        ("varchar", "varchar") => {
            new.mods.is_empty() || (!old.mods.is_empty() && new.mods[0] >= old.mods[0])
        }
        ("text", "varchar") => new.mods.is_empty(),
        ("numeric", "numeric") => {
            new.mods.is_empty()
                || (old.mods.len() == 2
                    && new.mods.len() == 2
                    && new.mods[1] == old.mods[1]
                    && new.mods[0] >= old.mods[0])
        }
        ("bit", "varbit") | ("varbit", "varbit") => {
            new.mods.is_empty() || old.mods.first() <= new.mods.first()
        }
        ("cidr", "inet") => true,
        (a, b) => a == b && old.mods == new.mods,
    }
}

fn check(p: &Parsed) -> Vec<Hit> {
    let mut out = Vec::new();
    for (s, node) in p.nodes() {
        for (table, cmd) in alter_table_cmds(node) {
            if AlterTableType::try_from(cmd.subtype) != Ok(AlterTableType::AtAlterColumnType)
                || !s.before.exists(&table)
            {
                continue;
            }
            let Some(new) = column_def(cmd)
                .and_then(|c| c.type_name.as_ref())
                .map(column_type)
            else {
                continue;
            };
            let column = crate::identifier::display(&cmd.name);
            let old = s.old_types.get(&format!("{table}.{column}"));
            let message = match old {
                Some(old) if free(old, &new) => continue,
                Some(old) => format!(
                    "ALTER COLUMN {column} TYPE {new} (from {old}) rewrites {table} and its indexes under an ACCESS EXCLUSIVE lock"
                ),
                // Without the old type, only a change to unbounded text can be free (from varchar).
                None if matches!(new.name.as_str(), "text") || (new.name == "varchar" && new.mods.is_empty()) => continue,
                None => format!(
                    "ALTER COLUMN {column} TYPE {new} rewrites {table} and its indexes under an ACCESS EXCLUSIVE lock (unless the old type is binary-coercible to it)"
                ),
            };
            out.push(Hit::new(s.line, Some(table.clone()), message));
        }
    }
    out
}

#[cfg(test)]
super::example_tests!();

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::{Parsed, Schema};

    fn after(create: &str, alter: &str) -> usize {
        let mut schema = Schema::default();
        Parsed::from_sql(create, &mut schema).unwrap();
        let p = Parsed::from_sql(alter, &mut schema).unwrap();
        (RULE.check.unwrap())(&p).len()
    }

    #[test]
    fn widening_and_varchar_to_text_are_free_and_the_rest_rewrites() {
        let create = "CREATE TABLE t (v varchar(20), n numeric(10,2), i int)";
        assert_eq!(
            after(create, "ALTER TABLE t ALTER COLUMN v TYPE varchar(40)"),
            0
        );
        assert_eq!(after(create, "ALTER TABLE t ALTER COLUMN v TYPE text"), 0);
        assert_eq!(
            after(create, "ALTER TABLE t ALTER COLUMN n TYPE numeric(12,2)"),
            0
        );
        assert_eq!(
            after(create, "ALTER TABLE t ALTER COLUMN v TYPE varchar(10)"),
            1
        );
        assert_eq!(after(create, "ALTER TABLE t ALTER COLUMN i TYPE bigint"), 1);
        assert_eq!(
            after(create, "ALTER TABLE t ALTER COLUMN n TYPE numeric(12,4)"),
            1
        );
        assert_eq!(after(create, "ALTER TABLE t ALTER COLUMN i TYPE text"), 1);
    }
}
