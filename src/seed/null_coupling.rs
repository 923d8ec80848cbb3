//! CHECK constraints that tie one column's NULLs to another's: `(liked IS NULL) = (vote IS
//! NULL)` (set together or not at all) and `NOT ((banned IS NULL) AND (ban_expires IS NOT
//! NULL))` (an expiry only with a ban). Independent generators break them on a row in a few,
//! and one broken row fails the whole COPY. Here the follower's NULLs are decided by its
//! leader's value in the same row: NULL where the leader is NULL, and (for "together") set
//! wherever the leader is.
//!
//! Only constraints made of nothing but such pairs (joined by AND) are understood, read with
//! PostgreSQL's parser; it never rewrites a column the dataset defines.

use super::catalog::Table;
use super::generator::{ColumnGen, Gen};
use super::ordering::{column, conjunction};
use pg_query::protobuf::{AExprKind, BoolExprType, Node, NullTestType};
use pg_query::NodeEnum;

/// How `follower`'s NULLs depend on `leader`'s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coupling {
    pub leader: String,
    pub follower: String,
    /// True: NULL exactly when the leader is. False: NULL at least where the leader is.
    pub together: bool,
}

/// The couplings a CHECK asks for, when it is only a conjunction of them; None otherwise.
pub fn couplings(definition: &str) -> Option<Vec<Coupling>> {
    conjunction(definition, &coupling)
}

/// One pair: `(a IS NULL) = (b IS NULL)`, or `NOT ((a IS NULL) AND (b IS NOT NULL))` (b only
/// where a is set).
fn coupling(node: &Node) -> Option<Coupling> {
    match node.node.as_ref()? {
        NodeEnum::AExpr(a) if AExprKind::try_from(a.kind) == Ok(AExprKind::AexprOp) => {
            let [only] = a.name.as_slice() else {
                return None;
            };
            let Some(NodeEnum::String(op)) = only.node.as_ref() else {
                return None;
            };
            if op.sval != "=" {
                return None;
            }
            let (leader, left) = null_test(a.lexpr.as_deref()?)?;
            let (follower, right) = null_test(a.rexpr.as_deref()?)?;
            (left == right && leader != follower).then_some(Coupling {
                leader,
                follower,
                together: true,
            })
        }
        NodeEnum::BoolExpr(b) if BoolExprType::try_from(b.boolop) == Ok(BoolExprType::NotExpr) => {
            let [inner] = b.args.as_slice() else {
                return None;
            };
            let Some(NodeEnum::BoolExpr(and)) = inner.node.as_ref() else {
                return None;
            };
            if BoolExprType::try_from(and.boolop) != Ok(BoolExprType::AndExpr) {
                return None;
            }
            let [x, y] = and.args.as_slice() else {
                return None;
            };
            let (first, first_is_null) = null_test(x)?;
            let (second, second_is_null) = null_test(y)?;
            let (leader, follower) = match (first_is_null, second_is_null) {
                (true, false) => (first, second),
                (false, true) => (second, first),
                _ => return None,
            };
            (leader != follower).then_some(Coupling {
                leader,
                follower,
                together: false,
            })
        }
        _ => None,
    }
}

/// `column IS NULL` (true) or `column IS NOT NULL` (false).
fn null_test(node: &Node) -> Option<(String, bool)> {
    let NodeEnum::NullTest(t) = node.node.as_ref()? else {
        return None;
    };
    let name = column(t.arg.as_deref()?)?;
    match NullTestType::try_from(t.nulltesttype).ok()? {
        NullTestType::IsNull => Some((name, true)),
        NullTestType::IsNotNull => Some((name, false)),
        NullTestType::Undefined => None,
    }
}

/// Makes every coupling `table`'s CHECKs state hold in the generated rows. A coupling with a
/// defined column (`defined`) or a column that is not generated is left to the data; a NOT NULL
/// follower of "together" makes its leader never NULL.
pub(super) fn couple(table: &Table, columns: &mut [ColumnGen], defined: &dyn Fn(&str) -> bool) {
    for (_, def) in &table.row_checks {
        let Some(couplings) = couplings(def) else {
            continue;
        };
        for c in couplings {
            if defined(&c.leader) || defined(&c.follower) {
                continue;
            }
            let position = |name: &str| columns.iter().position(|g| g.name == name);
            let (Some(l), Some(f)) = (position(&c.leader), position(&c.follower)) else {
                continue;
            };
            let not_null = |name: &str| table.column(name).is_some_and(|col| col.not_null);
            if not_null(&c.follower) {
                // The follower is always set, so the leader must be too.
                columns[l].nulls = 0.0;
                continue;
            }
            if not_null(&c.leader) {
                if c.together {
                    columns[f].nulls = 0.0;
                }
                continue;
            }
            let leader = Box::new(columns[l].clone());
            let follower = &mut columns[f];
            let own_nulls = if c.together { 0.0 } else { follower.nulls };
            let inner = std::mem::replace(&mut follower.gen, Gen::Null);
            follower.gen = Gen::NullWith {
                leader,
                own_nulls,
                inner: Box::new(inner),
            };
            follower.nulls = 0.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(leader: &str, follower: &str, together: bool) -> Coupling {
        Coupling {
            leader: leader.into(),
            follower: follower.into(),
            together,
        }
    }

    #[test]
    fn pairs_of_null_tests_are_read_and_anything_else_is_not() {
        assert_eq!(
            couplings("CHECK (((liked IS NULL) = (vote_is_upvote IS NULL)))"),
            Some(vec![c("liked", "vote_is_upvote", true)])
        );
        assert_eq!(
            couplings("CHECK ((NOT ((received_ban IS NULL) AND (ban_expires IS NOT NULL))))"),
            Some(vec![c("received_ban", "ban_expires", false)])
        );
        assert_eq!(
            couplings("CHECK ((((followed IS NULL) = (follow_state IS NULL)) AND (NOT ((followed IS NULL) AND (follow_approver_id IS NOT NULL)))))"),
            Some(vec![
                c("followed", "follow_state", true),
                c("followed", "follow_approver_id", false)
            ])
        );
        assert_eq!(couplings("CHECK (((a IS NULL) = (b IS NOT NULL)))"), None);
        assert_eq!(couplings("CHECK (((a IS NULL) OR (b > 0)))"), None);
        assert_eq!(couplings("CHECK ((a < b))"), None);
    }
}
