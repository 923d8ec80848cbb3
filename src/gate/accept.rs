//! Accepted differences: a schema difference a project keeps on purpose (a dropped column
//! re-added at the end of its table, a view that captured `'now'` when it was created) is
//! declared once, by difference kind and optionally object, and stops failing the migration.
//!
//! Two places declare them:
//! - the scenario, for one migration or for the whole run (read by [`crate::scenario::accept`]):
//!   ```toml
//!   [[accept]]
//!   kind = "column_order"
//!   object = "public.users"        # optional: every object when absent
//!   migration = "0042"             # optional: every migration when absent
//!   reason = "re-adding a column puts it last; nothing reads columns by position"
//!   ```
//!   (a single `[accept]` table is one entry);
//! - the migration's own files, with the approvals' syntax (parsed here):
//!   `-- rehearse:accept column_order public.users reason="..."`.
//!
//! Pure: it never reads a file. An acceptance never hides anything: the difference stays listed,
//! marked accepted with its reason. A kind that is not one of [`crate::snapshot::diff::KINDS`]
//! is bad input.

use crate::report::Difference;
use crate::scenario::accept::unknown_kind;
use crate::snapshot::diff::is_kind;

/// One declared acceptance, resolved to where it applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acceptance {
    pub kind: String,
    /// The object (`public.users`); its sub-objects (`public.users.email`) are covered too.
    /// None: every object.
    pub object: Option<String>,
    pub reason: String,
    /// Where it was declared: `rehearse.toml [accept]`, `V003__x.sql, line 2`.
    pub source: String,
}

impl Acceptance {
    pub fn covers(&self, d: &Difference) -> bool {
        self.kind == d.kind
            && self
                .object
                .as_deref()
                .is_none_or(|o| d.object == o || d.object.starts_with(&format!("{o}.")))
    }
}

/// Marks each difference an acceptance covers (the first that does gives the reason). Returns
/// true when there is at least one difference and every one of them is accepted.
pub fn apply(differences: &mut [Difference], accepts: &[Acceptance]) -> bool {
    for d in differences.iter_mut() {
        if let Some(a) = accepts.iter().find(|a| a.covers(d)) {
            d.accepted = true;
            d.accepted_reason = Some(format!("{} ({})", a.reason, a.source));
        }
    }
    !differences.is_empty() && differences.iter().all(|d| d.accepted)
}

/// `KIND [object] reason="..."`, the text after `-- rehearse:accept`.
pub fn parse_annotation(rest: &str, source: String) -> Result<Acceptance, String> {
    let rest = rest.trim();
    let (kind, rest) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    if kind.is_empty() {
        return Err(
            "an acceptance needs a kind, as in -- rehearse:accept column_order public.users reason=\"why it is fine\"".into(),
        );
    }
    if !is_kind(kind) {
        return Err(unknown_kind(kind));
    }
    let rest = rest.trim_start();
    let first = rest.split_whitespace().next().unwrap_or_default();
    let (object, pairs) = if first.is_empty() || first.contains('=') {
        (None, rest)
    } else {
        (Some(first.to_string()), &rest[first.len()..])
    };
    let fields = super::annotation::key_values(pairs)?;
    let reason = fields
        .iter()
        .find(|(k, _)| k == "reason")
        .map(|(_, v)| v.clone())
        .filter(|r| !r.trim().is_empty())
        .ok_or_else(|| {
            format!("an acceptance needs a non-empty reason=\"...\", as in -- rehearse:accept {kind} reason=\"why it is fine\"")
        })?;
    if let Some((k, _)) = fields.iter().find(|(k, _)| k != "reason") {
        return Err(format!(
            "rehearse:accept takes only reason=\"...\", not {k}"
        ));
    }
    Ok(Acceptance {
        kind: kind.to_string(),
        object,
        reason,
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn difference(kind: &str, object: &str) -> Difference {
        Difference {
            kind: kind.into(),
            object: object.into(),
            detail: String::new(),
            before: None,
            after: None,
            accepted: false,
            accepted_reason: None,
            fix: None,
        }
    }

    #[test]
    fn an_acceptance_covers_its_kind_on_its_object_and_the_objects_inside() {
        let a = parse_annotation(
            "column_order public.users reason=\"re-added at the end\"",
            "V3.sql, line 1".into(),
        )
        .unwrap();
        assert!(a.covers(&difference("column_order", "public.users")));
        assert!(a.covers(&difference("column_order", "public.users.email")));
        assert!(!a.covers(&difference("column_order", "public.users_archive")));
        assert!(!a.covers(&difference("default_changed", "public.users")));
    }

    #[test]
    fn an_acceptance_without_object_covers_every_object_of_its_kind() {
        let a = parse_annotation("view_changed reason=\"now() captured\"", "x".into()).unwrap();
        assert_eq!(a.object, None);
        assert!(a.covers(&difference("view_changed", "public.v")));
    }

    #[test]
    fn only_differences_all_accepted_stop_failing() {
        let a = parse_annotation("column_order reason=\"r\"", "x".into()).unwrap();
        let mut some = vec![
            difference("column_order", "public.t"),
            difference("column_missing", "public.t.c"),
        ];
        assert!(!apply(&mut some, std::slice::from_ref(&a)));
        assert!(some[0].accepted && !some[1].accepted);
        assert_eq!(some[0].accepted_reason.as_deref(), Some("r (x)"));
        let mut all = vec![difference("column_order", "public.t")];
        assert!(apply(&mut all, &[a]));
        assert!(
            !apply(&mut [], &[]),
            "nothing to accept is not 'all accepted'"
        );
    }

    #[test]
    fn an_unknown_kind_or_a_missing_reason_is_refused() {
        let err = parse_annotation("column_ordr reason=\"r\"", "x".into()).unwrap_err();
        assert!(
            err.starts_with(
                "\"column_ordr\" is not a difference kind; the kinds are object_missing,"
            ),
            "{err}"
        );
        let err = parse_annotation("column_order public.t", "x".into()).unwrap_err();
        assert!(err.contains("needs a non-empty reason"), "{err}");
    }
}
