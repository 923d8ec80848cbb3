//! The order tables load in: each group's parents in earlier groups, nullable foreign keys dropped
//! where they would close a cycle, and a cycle of NOT NULL foreign keys refused in one sentence
//! (no order can load it). Pure.

use super::catalog::display_name;
use super::catalog::Catalog;
use super::context::Ctx;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A cycle of foreign keys whose columns are all NOT NULL cannot be loaded in any order.
pub(super) fn check_not_null_cycles(ctx: &Ctx) -> Result<(), String> {
    let mut edges: BTreeMap<&str, Vec<(&str, String)>> = BTreeMap::new();
    for key in ctx.rows.keys() {
        let t = &ctx.catalog.tables[key];
        for fk in &t.foreign_keys {
            let not_null = fk
                .columns
                .iter()
                .all(|c| t.column(c).is_some_and(|c| c.not_null));
            if not_null && fk.parent != *key && ctx.rows.contains_key(&fk.parent) {
                edges.entry(key.as_str()).or_default().push((
                    fk.parent.as_str(),
                    format!(
                        "{}.{} → {}",
                        display_name(key),
                        fk.columns.join(","),
                        display_name(&fk.parent)
                    ),
                ));
            }
        }
    }
    // Depth-first search with colours; the stack names the cycle.
    let mut state: HashMap<&str, u8> = HashMap::new();
    fn visit<'a>(
        node: &'a str,
        edges: &BTreeMap<&'a str, Vec<(&'a str, String)>>,
        state: &mut HashMap<&'a str, u8>,
        path: &mut Vec<(&'a str, String)>,
    ) -> Option<Vec<String>> {
        state.insert(node, 1);
        for (next, label) in edges.get(node).into_iter().flatten() {
            path.push((node, label.clone()));
            match state.get(next).copied().unwrap_or(0) {
                1 => {
                    let start = path.iter().position(|(n, _)| n == next).unwrap_or(0);
                    return Some(path[start..].iter().map(|(_, l)| l.clone()).collect());
                }
                0 => {
                    if let Some(c) = visit(next, edges, state, path) {
                        return Some(c);
                    }
                }
                _ => {}
            }
            path.pop();
        }
        state.insert(node, 2);
        None
    }
    for node in edges.keys().copied().collect::<Vec<_>>() {
        if state.get(node).copied().unwrap_or(0) == 0 {
            if let Some(cycle) = visit(node, &edges, &mut state, &mut Vec::new()) {
                let files: BTreeSet<String> = ctx
                    .defs
                    .values()
                    .map(|(_, f)| f.display().to_string())
                    .collect();
                return Err(format!(
                    "{}the NOT NULL foreign keys {} form a cycle, so no table in it can be loaded first; make one of them nullable or leave one table out with skip = true",
                    if files.is_empty() {
                        String::new()
                    } else {
                        format!("{}: ", files.into_iter().collect::<Vec<_>>().join(", "))
                    },
                    cycle.join(", ")
                ));
            }
        }
    }
    Ok(())
}

/// Tables grouped so that each group's parents are in earlier groups. Nullable foreign keys are
/// dropped from the ordering when they would close a cycle. `tables` are `schema.name` keys; the
/// groups index into it.
pub(super) fn layers(catalog: &Catalog, tables: &[&str]) -> Vec<Vec<usize>> {
    let index: HashMap<&str, usize> = tables.iter().enumerate().map(|(i, t)| (*t, i)).collect();
    // (child, parent, hard)
    let mut deps: Vec<Vec<(usize, bool)>> = vec![Vec::new(); tables.len()];
    for (i, t) in tables.iter().enumerate() {
        let table = &catalog.tables[*t];
        for fk in &table.foreign_keys {
            if let Some(&p) = index.get(fk.parent.as_str()) {
                if p != i {
                    let hard = fk
                        .columns
                        .iter()
                        .all(|c| table.column(c).is_some_and(|c| c.not_null));
                    deps[i].push((p, hard));
                }
            }
        }
    }
    let mut done = vec![false; tables.len()];
    let mut out = Vec::new();
    let mut soft_ok = false;
    while done.iter().any(|d| !d) {
        let ready: Vec<usize> = (0..tables.len())
            .filter(|&i| {
                !done[i]
                    && deps[i]
                        .iter()
                        .all(|&(p, hard)| done[p] || (soft_ok && !hard))
            })
            .collect();
        if ready.is_empty() {
            if soft_ok {
                // Only NOT NULL cycles remain, which validation refused; load the rest anyway.
                out.push((0..tables.len()).filter(|&i| !done[i]).collect());
                break;
            }
            soft_ok = true;
            continue;
        }
        soft_ok = false;
        for &i in &ready {
            done[i] = true;
        }
        out.push(ready);
    }
    out
}
