//! Exclusive arcs: a row that points at exactly one of several parents, said by a CHECK such as
//! `num_nonnulls(post_id, comment_id, message_id) = 1` (a notification about a post, or a
//! comment, or a message). Generated independently, inferred columns break it (all three set,
//! or none), and the seed point fails on the first row. Here each row takes a turn: one column
//! of the arc, chosen by a pure function of (seed, constraint, row) that every column of the arc
//! computes alike, keeps its value and the others are NULL.
//!
//! It only rewrites generators of columns nobody defined, never a NOT NULL one, and never
//! guesses at a constraint it does not read whole.

use super::catalog::Table;
use super::generator::{ColumnGen, Gen};
use super::rng::hash_name;

/// The columns of `CHECK ((num_nonnulls(a, b, c) = 1))` (also `<= 1`, `< 2`, `>= 1`, `> 0`,
/// and `num_nulls(a, b, c) = 2` for three columns): every form a row with exactly one of them
/// set satisfies. None for any other constraint.
pub(super) fn arc_columns(def: &str) -> Option<Vec<String>> {
    let text = def.trim().strip_prefix("CHECK")?.trim();
    let text = text.trim_start_matches('(').trim_end_matches(')').trim();
    let (counting_nulls, rest) = if let Some(rest) = text.strip_prefix("num_nonnulls(") {
        (false, rest)
    } else if let Some(rest) = text.strip_prefix("num_nulls(") {
        (true, rest)
    } else {
        return None;
    };
    let (args, comparison) = rest.split_once(')')?;
    let columns: Vec<String> = args
        .split(',')
        .map(|a| a.trim().trim_matches('"').to_string())
        .collect();
    if columns.len() < 2
        || columns
            .iter()
            .any(|c| c.is_empty() || !c.chars().all(|ch| ch.is_alphanumeric() || ch == '_'))
    {
        return None;
    }
    let comparison = comparison.split_whitespace().collect::<Vec<_>>().join(" ");
    let others = (columns.len() - 1).to_string();
    let one_set = if counting_nulls {
        comparison == format!("= {others}")
    } else {
        matches!(comparison.as_str(), "= 1" | "<= 1" | "< 2" | ">= 1" | "> 0")
    };
    one_set.then_some(columns)
}

/// Gives each row of `table` one column of every exclusive arc its CHECKs state: the others
/// are NULL for that row. Columns the dataset defines (`defined`), NOT NULL ones and ones that
/// can only be NULL (a reference to a parent without rows) stay as they are; an arc with a
/// defined or NOT NULL column is left alone entirely, since its rows are then the user's.
pub(super) fn take_turns(
    seed: u64,
    table: &Table,
    columns: &mut [ColumnGen],
    defined: &dyn Fn(&str) -> bool,
) {
    for (name, def) in &table.row_checks {
        let Some(arc) = arc_columns(def) else {
            continue;
        };
        let untouchable = arc
            .iter()
            .any(|c| defined(c) || table.column(c).is_some_and(|col| col.not_null));
        if untouchable {
            continue;
        }
        let members: Vec<usize> = arc
            .iter()
            .filter_map(|c| columns.iter().position(|g| &g.name == c))
            // A reference to a parent without rows (domain 0) can only be NULL.
            .filter(|&i| columns[i].gen.domain() != Some(0) && columns[i].nulls < 1.0)
            .collect();
        if members.is_empty() {
            continue;
        }
        let turn_seed = hash_name(seed, &format!("{}#{name}", table.key()));
        for (position, &i) in members.iter().enumerate() {
            let column = &mut columns[i];
            let inner = std::mem::replace(&mut column.gen, Gen::Null);
            column.gen = Gen::Turn {
                seed: turn_seed,
                position: position as u64,
                size: members.len() as u64,
                inner: Box::new(inner),
            };
            column.nulls = 0.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forms_that_mean_exactly_one_are_read_and_others_are_not() {
        let abc = Some(vec!["a".to_string(), "b".into(), "c".into()]);
        assert_eq!(arc_columns("CHECK ((num_nonnulls(a, b, c) = 1))"), abc);
        assert_eq!(arc_columns("CHECK ((num_nonnulls(a, b, c) <= 1))"), abc);
        assert_eq!(arc_columns("CHECK ((num_nulls(a, b, c) = 2))"), abc);
        assert_eq!(arc_columns("CHECK ((num_nonnulls(a, b, c) = 2))"), None);
        assert_eq!(arc_columns("CHECK ((num_nulls(a, b, c) = 1))"), None);
        assert_eq!(arc_columns("CHECK ((a < b))"), None);
        assert_eq!(arc_columns("CHECK ((num_nonnulls(lower(a), b) = 1))"), None);
    }
}
