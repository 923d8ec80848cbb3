//! The branches of a polymorphic table's CHECK: `(kind = 'AdminBan' AND a IS NOT NULL AND b IS
//! NULL) OR (kind = 'ModRemovePost' AND a IS NULL AND b IS NOT NULL)`. Each branch is a set of
//! settings a row can be given (a column equal to a constant, NULL, or not NULL), so that the
//! sieve can give each generated row one branch before the server judges it. Read with
//! PostgreSQL's parser; a CHECK with any other shape is not a set of branches. Pure.

use pg_query::protobuf::{a_const, BoolExprType, NullTestType};
use pg_query::{Node, NodeEnum};

/// What a branch asks of one column.
#[derive(Debug, Clone, PartialEq)]
pub enum Setting {
    /// Equal to this constant, as SQL text (a quoted literal or a number).
    Equals(String),
    Null,
    NotNull,
}

/// One branch: (column, setting) pairs that together satisfy it.
pub type Branch = Vec<(String, Setting)>;

/// The branches of `definition` (as `pg_get_constraintdef` prints a CHECK), when it is a
/// disjunction of two or more conjunctions of column settings.
pub fn branches(definition: &str) -> Option<Vec<Branch>> {
    let expr = definition.trim().strip_prefix("CHECK")?.trim();
    let expr = expr.strip_suffix("NOT VALID").unwrap_or(expr).trim();
    let parsed = pg_query::parse(&format!("SELECT {expr}"), 0).ok()?;
    let NodeEnum::SelectStmt(select) = parsed
        .protobuf
        .stmts
        .first()?
        .stmt
        .as_ref()?
        .node
        .as_ref()?
    else {
        return None;
    };
    let NodeEnum::ResTarget(target) = select.target_list.first()?.node.as_ref()? else {
        return None;
    };
    let root = target.val.as_deref()?;
    let NodeEnum::BoolExpr(or) = root.node.as_ref()? else {
        return None;
    };
    if or.boolop != BoolExprType::OrExpr as i32 || or.args.len() < 2 {
        return None;
    }
    or.args.iter().map(branch).collect()
}

fn branch(node: &Node) -> Option<Branch> {
    match node.node.as_ref()? {
        NodeEnum::BoolExpr(and) if and.boolop == BoolExprType::AndExpr as i32 => {
            let mut settings = Vec::new();
            for arg in &and.args {
                settings.extend(branch(arg)?);
            }
            Some(settings)
        }
        _ => Some(vec![setting(node)?]),
    }
}

fn setting(node: &Node) -> Option<(String, Setting)> {
    match node.node.as_ref()? {
        // `archived` and `NOT archived`: a boolean column true or false.
        NodeEnum::ColumnRef(_) => Some((column_name(node)?, Setting::Equals("true".into()))),
        NodeEnum::BoolExpr(not) if not.boolop == BoolExprType::NotExpr as i32 => {
            let column = column_name(not.args.first()?)?;
            Some((column, Setting::Equals("false".into())))
        }
        NodeEnum::NullTest(test) => {
            let column = column_name(test.arg.as_deref()?)?;
            let s = if test.nulltesttype == NullTestType::IsNull as i32 {
                Setting::Null
            } else {
                Setting::NotNull
            };
            Some((column, s))
        }
        NodeEnum::AExpr(e) => {
            let op = e.name.first().and_then(|n| match n.node.as_ref() {
                Some(NodeEnum::String(s)) => Some(s.sval.as_str()),
                _ => None,
            })?;
            if op != "=" {
                return None;
            }
            let (l, r) = (e.lexpr.as_deref()?, e.rexpr.as_deref()?);
            let (column, value) = match (column_name(l), constant(r)) {
                (Some(c), Some(v)) => (c, v),
                _ => (column_name(r)?, constant(l)?),
            };
            Some((column, Setting::Equals(value)))
        }
        _ => None,
    }
}

fn column_name(node: &Node) -> Option<String> {
    match node.node.as_ref()? {
        NodeEnum::ColumnRef(c) if c.fields.len() == 1 => match c.fields[0].node.as_ref()? {
            NodeEnum::String(s) => Some(s.sval.clone()),
            _ => None,
        },
        // `kind::text = 'x'`: the catalog prints enum and varchar comparisons through a cast.
        NodeEnum::TypeCast(t) => column_name(t.arg.as_deref()?),
        _ => None,
    }
}

fn constant(node: &Node) -> Option<String> {
    match node.node.as_ref()? {
        NodeEnum::AConst(c) => match c.val.as_ref()? {
            a_const::Val::Sval(s) => Some(crate::identifier::literal(&s.sval)),
            a_const::Val::Ival(i) => Some(i.ival.to_string()),
            a_const::Val::Fval(f) => Some(f.fval.clone()),
            a_const::Val::Boolval(b) => Some(b.boolval.to_string()),
            _ => None,
        },
        NodeEnum::TypeCast(t) => constant(t.arg.as_deref()?),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_polymorphic_check_is_one_branch_per_kind() {
        let b = branches(
            "CHECK ((((kind)::text = 'post'::text) AND (post_id IS NOT NULL) AND (comment_id IS NULL)) OR ((kind = 'comment'::text) AND (post_id IS NULL) AND (comment_id IS NOT NULL)))",
        );
        assert_eq!(
            b,
            Some(vec![
                vec![
                    ("kind".into(), Setting::Equals("'post'".into())),
                    ("post_id".into(), Setting::NotNull),
                    ("comment_id".into(), Setting::Null)
                ],
                vec![
                    ("kind".into(), Setting::Equals("'comment'".into())),
                    ("post_id".into(), Setting::Null),
                    ("comment_id".into(), Setting::NotNull)
                ],
            ])
        );
    }

    #[test]
    fn other_shapes_are_not_branches() {
        assert_eq!(branches("CHECK ((a < b))"), None);
        assert_eq!(branches("CHECK (((a = 1) AND (b = 2)))"), None);
        assert_eq!(branches("CHECK (((a > 1) OR (b IS NULL)))"), None);
    }
}
