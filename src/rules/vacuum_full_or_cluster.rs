//! `vacuum-full-or-cluster`: VACUUM FULL or CLUSTER in a migration.

use super::script::{relation, Parsed};
use super::{Hit, InRun, Rule};
use pg_query::NodeEnum;

pub static RULE: Rule = Rule {
    id: "vacuum-full-or-cluster",
    summary: "VACUUM FULL or CLUSTER of a table",
    why: "Both rewrite the whole table and rebuild its indexes under an ACCESS EXCLUSIVE lock: nobody reads or writes it until the copy is done, and the copy needs the table's size again in free disk.",
    fix: "Reclaim space online with pg_repack (or REPACK CONCURRENTLY on PostgreSQL 19), outside the migration; a plain VACUUM takes no lock that blocks reads or writes.",
    safe: "VACUUM (ANALYZE) orders;\n-- to reclaim the space on disk: pg_repack --table=orders, outside the migration",
    bad: "VACUUM FULL orders;",
    good: "VACUUM (ANALYZE) orders;",
    // The rehearsal measures the rewrite itself (table-rewrite), sized: the parse tree's guess
    // is lint's.
    in_run: InRun::LintOnly,
    kind: "vacuum-full-or-cluster",
    check: Some(check),
    squawk: &["prefer-repack"],
};

fn check(p: &Parsed) -> Vec<Hit> {
    let mut out = Vec::new();
    for (s, node) in p.nodes() {
        let (what, tables): (&str, Vec<String>) = match node {
            NodeEnum::VacuumStmt(v) if v.is_vacuumcmd && v.options.iter().any(|o| {
                matches!(o.node.as_ref(), Some(NodeEnum::DefElem(d)) if d.defname == "full")
            }) =>
            {
                let tables = v
                    .rels
                    .iter()
                    .filter_map(|r| match r.node.as_ref() {
                        Some(NodeEnum::VacuumRelation(vr)) => vr.relation.as_ref().map(relation),
                        _ => None,
                    })
                    .collect();
                ("VACUUM FULL", tables)
            }
            NodeEnum::ClusterStmt(c) => ("CLUSTER", c.relation.iter().map(relation).collect()),
            _ => continue,
        };
        if tables.is_empty() {
            out.push(Hit::new(
                s.line,
                None,
                format!("{what} without a table rewrites every table of the database under ACCESS EXCLUSIVE locks"),
            ));
        }
        for table in tables.into_iter().filter(|t| s.before.exists(t)) {
            out.push(Hit::new(
                s.line,
                Some(table.clone()),
                format!("{what} rewrites {table} under an ACCESS EXCLUSIVE lock: reads and writes wait for the copy"),
            ));
        }
    }
    out
}

#[cfg(test)]
super::example_tests!();
