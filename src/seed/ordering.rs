//! CHECK constraints that order two columns of a row (`ends_at > starts_at`,
//! `max_quantity >= min_quantity`). Independent generators break them about half the time, and
//! one broken row fails the whole COPY; so the greater column is generated from the lesser one
//! plus a step. Pure: constraint text in, generators out.
//!
//! Only constraints made of nothing but such comparisons (joined by AND) are understood, read
//! with PostgreSQL's own parser; any other multi-column CHECK is left to the data, and a row it
//! refuses fails the load with the constraint's name (exit 2).

use super::generator::{ColumnGen, Gen};
use super::values::PgType;
use pg_query::protobuf::{AExprKind, BoolExprType, Node};
use pg_query::NodeEnum;

/// `lesser < greater` (strict) or `lesser <= greater` in every row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ordering {
    pub lesser: String,
    pub greater: String,
    pub strict: bool,
}

/// The orderings a CHECK (as `pg_get_constraintdef` prints it) asks for, when it is only a
/// conjunction of column-to-column comparisons and bounds of one column by a constant (`lo <
/// hi AND hi <= 1000 AND lo >= 0`: the bounds are the columns' own, read by `check_facts`);
/// None otherwise, or when no part orders two columns.
pub fn orderings(definition: &str) -> Option<Vec<Ordering>> {
    let parts = conjunction(definition, &|node| {
        ordering(node).map(Some).or_else(|| bound(node).then_some(None))
    })?;
    let orderings: Vec<Ordering> = parts.into_iter().flatten().collect();
    (!orderings.is_empty()).then_some(orderings)
}

/// One column compared with a constant (`hi <= 1000`, `0 <= lo`, `(d)::date > '2020-01-01'`).
fn bound(node: &Node) -> bool {
    fn constant(node: &Node) -> bool {
        match node.node.as_ref() {
            Some(NodeEnum::AConst(_)) => true,
            Some(NodeEnum::TypeCast(t)) => t.arg.as_deref().is_some_and(constant),
            _ => false,
        }
    }
    let Some(NodeEnum::AExpr(a)) = node.node.as_ref() else {
        return false;
    };
    if AExprKind::try_from(a.kind) != Ok(AExprKind::AexprOp) {
        return false;
    }
    let comparison = matches!(
        a.name.as_slice(),
        [only] if matches!(only.node.as_ref(), Some(NodeEnum::String(s)) if ["<", "<=", ">", ">="].contains(&s.sval.as_str()))
    );
    let (Some(l), Some(r)) = (a.lexpr.as_deref(), a.rexpr.as_deref()) else {
        return false;
    };
    comparison && ((column(l).is_some() && constant(r)) || (constant(l) && column(r).is_some()))
}

/// The parts of a CHECK made only of `item`s joined by AND, each read by `item`; None when any
/// part is something `item` does not read.
pub(super) fn conjunction<T>(
    definition: &str,
    item: &dyn Fn(&Node) -> Option<T>,
) -> Option<Vec<T>> {
    fn collect<T>(node: &Node, item: &dyn Fn(&Node) -> Option<T>, out: &mut Vec<T>) -> Option<()> {
        match node.node.as_ref()? {
            NodeEnum::BoolExpr(b)
                if BoolExprType::try_from(b.boolop) == Ok(BoolExprType::AndExpr) =>
            {
                for arg in &b.args {
                    collect(arg, item, out)?;
                }
                Some(())
            }
            _ => {
                out.push(item(node)?);
                Some(())
            }
        }
    }
    let expr = check_expression(definition)?;
    let mut out = Vec::new();
    collect(&expr, item, &mut out)?;
    (!out.is_empty()).then_some(out)
}

/// A CHECK's expression (as `pg_get_constraintdef` prints it), read with PostgreSQL's parser.
fn check_expression(definition: &str) -> Option<Node> {
    let expr = definition.trim().strip_prefix("CHECK")?.trim();
    let expr = expr.strip_suffix("NOT VALID").unwrap_or(expr).trim();
    let parsed = pg_query::parse(&format!("SELECT {expr}"), 0).ok()?;
    let stmt = parsed
        .protobuf
        .stmts
        .first()?
        .stmt
        .as_ref()?
        .node
        .as_ref()?;
    let NodeEnum::SelectStmt(select) = stmt else {
        return None;
    };
    let Some(NodeEnum::ResTarget(target)) = select.target_list.first()?.node.as_ref() else {
        return None;
    };
    target.val.as_deref().cloned()
}

/// One comparison of two columns.
fn ordering(node: &Node) -> Option<Ordering> {
    let NodeEnum::AExpr(a) = node.node.as_ref()? else {
        return None;
    };
    if AExprKind::try_from(a.kind) != Ok(AExprKind::AexprOp) {
        return None;
    }
    let op = match a.name.as_slice() {
        [only] => match only.node.as_ref()? {
            NodeEnum::String(s) => s.sval.as_str(),
            _ => return None,
        },
        _ => return None,
    };
    let left = column(a.lexpr.as_deref()?)?;
    let right = column(a.rexpr.as_deref()?)?;
    let (lesser, greater, strict) = match op {
        "<" => (left, right, true),
        "<=" => (left, right, false),
        ">" => (right, left, true),
        ">=" => (right, left, false),
        _ => return None,
    };
    Some(Ordering {
        lesser,
        greater,
        strict,
    })
}

/// A bare column reference, through casts (`(ends_at)::date` keeps the order of `ends_at`
/// for the types this module derives).
pub(super) fn column(node: &Node) -> Option<String> {
    match node.node.as_ref()? {
        NodeEnum::ColumnRef(c) => match c.fields.as_slice() {
            [only] => match only.node.as_ref()? {
                NodeEnum::String(s) => Some(s.sval.clone()),
                _ => None,
            },
            _ => None,
        },
        NodeEnum::TypeCast(t) => column(t.arg.as_deref()?),
        _ => None,
    }
}

/// The kind of value both columns must share for one to be derived from the other.
fn class(ty: &PgType) -> Option<u8> {
    match ty {
        PgType::Int2 | PgType::Int4 | PgType::Int8 => Some(0),
        PgType::Float4 | PgType::Float8 | PgType::Numeric { .. } => Some(1),
        PgType::Date => Some(2),
        PgType::Timestamp | PgType::Timestamptz => Some(3),
        _ => None,
    }
}

/// The greater column's own range, which sizes the step: a quarter of it, at least one unit.
fn step_range(gen: &Gen, strict: bool) -> Option<(f64, f64, f64)> {
    let (span, unit) = match gen {
        Gen::Int { min, max, .. } => ((max - min) as f64, 1.0),
        Gen::Date { min, max, .. } => ((max - min) as f64, 1.0),
        Gen::Timestamp { min, max, .. } => ((max - min) as f64, 1.0),
        Gen::Float {
            min, max, decimals, ..
        } => (max - min, 10f64.powi(-(*decimals as i32))),
        _ => return None,
    };
    let low = if strict { unit } else { 0.0 };
    Some((low, (span / 4.0).max(low + unit), unit))
}

/// Rewrites the generators of `columns` so that every ordering holds. A column is derived only
/// when it was inferred (`defined` says which were written by hand: those are the user's to
/// keep), is not unique on its own (a step would repeat values), and has a numeric, date or
/// timestamp generator of the same kind as the lesser column. Chains (`a < b < c`) derive in
/// order. Returns the orderings that could not be honoured.
pub fn derive(
    columns: &mut [ColumnGen],
    orderings: &[Ordering],
    defined: &dyn Fn(&str) -> bool,
    unique: &dyn Fn(&str) -> bool,
) -> Vec<Ordering> {
    let mut pending: Vec<&Ordering> = orderings.iter().collect();
    let mut skipped = Vec::new();
    // A lesser column that is itself the greater of a pending ordering waits for it.
    while !pending.is_empty() {
        let ready = pending
            .iter()
            .position(|o| !pending.iter().any(|p| p.greater == o.lesser))
            .unwrap_or(0);
        let o = pending.remove(ready);
        let (Some(li), Some(gi)) = (
            columns.iter().position(|c| c.name == o.lesser),
            columns.iter().position(|c| c.name == o.greater),
        ) else {
            skipped.push(o.clone());
            continue;
        };
        let (lesser, greater) = (&columns[li], &columns[gi]);
        let same_kind = class(&lesser.ty).is_some() && class(&lesser.ty) == class(&greater.ty);
        let steps = step_range(&greater.gen, o.strict);
        if defined(&o.greater) || unique(&o.greater) || !same_kind || steps.is_none() {
            skipped.push(o.clone());
            continue;
        }
        let (min_step, max_step, unit) = steps.expect("checked above");
        if let Some((_, greater_max)) = greater.gen.range() {
            cap(&mut columns[li].gen, greater_max - min_step);
        }
        let (lesser, greater) = (&columns[li], &columns[gi]);
        let base = Box::new(lesser.clone());
        let own = Box::new(greater.gen.clone());
        columns[gi].gen = Gen::After {
            base,
            own,
            min_step,
            max_step,
            unit,
        };
    }
    skipped
}

/// The generator's own range, in the value's unit, where it has one.
/// Lowers the top of a generator's range to `max` (the lesser column of an ordering must leave
/// room below the greater one's maximum).
fn cap(gen: &mut Gen, top: f64) {
    match gen {
        Gen::Int {
            min,
            max,
            unique: None,
            ..
        }
        | Gen::Date {
            min,
            max,
            unique: None,
            ..
        }
        | Gen::Timestamp {
            min,
            max,
            unique: None,
            ..
        } => {
            *max = (*max).min(top.floor() as i64).max(*min);
        }
        Gen::Float {
            min,
            max,
            unique: None,
            ..
        } => *max = max.min(top).max(*min),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::distribution::Dist;
    use crate::seed::values::Value;

    fn ordering(lesser: &str, greater: &str, strict: bool) -> Ordering {
        Ordering {
            lesser: lesser.into(),
            greater: greater.into(),
            strict,
        }
    }

    #[test]
    fn comparisons_joined_by_and_are_read_in_either_direction() {
        assert_eq!(
            orderings("CHECK ((ends_at > starts_at))"),
            Some(vec![ordering("starts_at", "ends_at", true)])
        );
        assert_eq!(
            orderings("CHECK (((min_qty <= max_qty) AND (max_qty < \"Cap\"))) NOT VALID"),
            Some(vec![
                ordering("min_qty", "max_qty", false),
                ordering("max_qty", "Cap", true)
            ])
        );
        assert_eq!(
            orderings("CHECK (((ends_on)::timestamp with time zone >= starts_at))"),
            Some(vec![ordering("starts_at", "ends_on", false)])
        );
    }

    #[test]
    fn bounds_by_constants_beside_an_ordering_are_left_to_the_columns() {
        assert_eq!(
            orderings("CHECK (((lo < hi) AND (hi <= 1000) AND (lo >= 0)))"),
            Some(vec![ordering("lo", "hi", true)])
        );
        assert_eq!(orderings("CHECK (((hi <= 1000) AND (lo >= 0)))"), None);
        assert_eq!(orderings("CHECK (((lo < hi) AND (hi <> 5)))"), None);
    }

    #[test]
    fn anything_else_is_not_an_ordering() {
        for def in [
            "CHECK ((a > 0))",
            "CHECK (((a > b) OR (b IS NULL)))",
            "CHECK ((a <> b))",
            "CHECK ((num_nonnulls(a, b) = 1))",
            "CHECK (((a + 1) < b))",
            "CHECK ((t.a < b))",
        ] {
            assert_eq!(orderings(def), None, "{def}");
        }
    }

    fn column(name: &str, ty: PgType, gen: Gen, seed: u64) -> ColumnGen {
        ColumnGen {
            name: name.into(),
            ty,
            gen,
            nulls: 0.0,
            seed,
        }
    }

    fn timestamp(name: &str, seed: u64) -> ColumnGen {
        column(
            name,
            PgType::Timestamptz,
            Gen::Timestamp {
                min: 0,
                max: 1_000_000_000,
                unique: None,
                dist: crate::seed::distribution::Dist::Uniform,
            },
            seed,
        )
    }

    #[test]
    fn a_chain_of_orderings_holds_in_every_row() {
        let mut columns = vec![timestamp("c", 3), timestamp("b", 2), timestamp("a", 1)];
        let skipped = derive(
            &mut columns,
            &[ordering("b", "c", true), ordering("a", "b", false)],
            &|_| false,
            &|_| false,
        );
        assert!(skipped.is_empty());
        let ts = |v: Value| match v {
            Value::Timestamp(t) => t,
            other => panic!("{other:?}"),
        };
        for row in 0..2_000 {
            let (c, b, a) = (
                ts(columns[0].value(row)),
                ts(columns[1].value(row)),
                ts(columns[2].value(row)),
            );
            assert!(a <= b && b < c, "row {row}: {a} {b} {c}");
        }
    }

    #[test]
    fn defined_unique_and_mismatched_columns_are_left_alone() {
        let int = |name: &str| {
            column(
                name,
                PgType::Int4,
                Gen::Int {
                    min: 0,
                    max: 100,
                    dist: Dist::Uniform,
                    unique: None,
                },
                9,
            )
        };
        let mut columns = vec![int("lo"), int("hi"), timestamp("at", 4)];
        let skipped = derive(
            &mut columns,
            &[
                ordering("lo", "hi", true),
                ordering("lo", "at", true),
                ordering("at", "hi", true),
            ],
            &|name| name == "hi",
            &|_| false,
        );
        assert_eq!(skipped.len(), 3);
        assert!(matches!(columns[1].gen, Gen::Int { .. }));
        let skipped = derive(
            &mut columns,
            &[ordering("lo", "hi", true)],
            &|_| false,
            &|name| name == "hi",
        );
        assert_eq!(skipped.len(), 1);
    }
}
