//! The diff: two snapshots in, every difference named out. Pure: no I/O, no database.
//!
//! Each [`Difference`] has a stable `kind` (scripts and gates match on it), the schema-qualified
//! object (`public.users`, `public.users.email`, `public.orders.orders_user_fk`), one sentence of
//! detail, and the before and after values. "Before" is the first snapshot (S0, the schema the
//! rollback should restore), "after" the second (S2).

use super::model::*;
use crate::report::Difference;
use std::collections::BTreeMap;
use std::fmt::Debug;

/// Every `kind` a [`Difference`] can have: the one list that `[accept]`, `-- rehearse:accept` and
/// the documentation check against. A kind the diff produces must be listed here (the diff
/// asserts it in debug builds, and a test reads this file for kinds spelled out).
pub const KINDS: &[&str] = &[
    "object_missing",
    "object_left_behind",
    "owner_changed",
    "privileges_changed",
    "comment_changed",
    "extension_version",
    "extension_schema",
    "type_changed",
    "enum_values",
    "nullability_changed",
    "default_changed",
    "collation_changed",
    "constraint_changed",
    "sequence_changed",
    "kind_changed",
    "persistence_changed",
    "partitioning_changed",
    "inheritance_changed",
    "storage_option",
    "rls_changed",
    "replica_identity_changed",
    "view_changed",
    "trigger_changed",
    "trigger_enabled",
    "policy_changed",
    "rule_changed",
    "constraint_missing",
    "constraint_added",
    "trigger_missing",
    "trigger_added",
    "policy_missing",
    "policy_added",
    "rule_missing",
    "rule_added",
    "column_missing",
    "column_added",
    "column_order",
    "column_type",
    "identity_changed",
    "generated_changed",
    "index_missing",
    "index_added",
    "index_changed",
    "statistics_changed",
    "event_trigger_changed",
    "publication_changed",
    "cast_changed",
    "text_search_changed",
    "foreign_changed",
    "default_privileges_changed",
    "function_changed",
];

/// True when `kind` is one of [`KINDS`].
pub fn is_kind(kind: &str) -> bool {
    KINDS.contains(&kind)
}

/// Every difference between `before` and `after`, in a deterministic order; empty when equal.
pub fn diff(before: &Snapshot, after: &Snapshot) -> Vec<Difference> {
    let mut d = Differ::default();
    d.schemas(&before.schemas, &after.schemas);
    d.extensions(&before.extensions, &after.extensions);
    d.types(&before.types, &after.types);
    d.sequences(&before.sequences, &after.sequences);
    d.relations(&before.relations, &after.relations);
    d.indexes(&before.indexes, &after.indexes);
    d.functions(&before.functions, &after.functions);
    d.definitions(
        "statistics object",
        "statistics_changed",
        &before.statistics,
        &after.statistics,
    );
    d.definitions(
        "event trigger",
        "event_trigger_changed",
        &before.event_triggers,
        &after.event_triggers,
    );
    d.definitions(
        "collation",
        "collation_changed",
        &before.collations,
        &after.collations,
    );
    d.definitions(
        "publication",
        "publication_changed",
        &before.publications,
        &after.publications,
    );
    d.definitions("cast", "cast_changed", &before.casts, &after.casts);
    d.definitions(
        "text search object",
        "text_search_changed",
        &before.text_search,
        &after.text_search,
    );
    d.definitions(
        "foreign-data object",
        "foreign_changed",
        &before.foreign,
        &after.foreign,
    );
    d.default_privileges(&before.default_privileges, &after.default_privileges);
    let mut out = d.out;
    super::fix::attach(before, after, &mut out);
    out
}

#[derive(Default)]
pub(super) struct Differ {
    pub(super) out: Vec<Difference>,
}

fn show<T: Debug>(v: &Option<T>) -> Option<String> {
    v.as_ref().map(|v| {
        let s = format!("{v:?}");
        s.trim_matches('"').to_string()
    })
}

pub(super) fn list(v: &[String]) -> String {
    format!("{{{}}}", v.join(", "))
}

/// Keys only in `before`, keys only in `after`, and keys in both with both values.
pub(super) type Split<'a, T> = (
    Vec<&'a String>,
    Vec<&'a String>,
    Vec<(&'a String, &'a T, &'a T)>,
);

pub(super) fn split<'a, T>(
    before: &'a BTreeMap<String, T>,
    after: &'a BTreeMap<String, T>,
) -> Split<'a, T> {
    let missing = before.keys().filter(|k| !after.contains_key(*k)).collect();
    let added = after.keys().filter(|k| !before.contains_key(*k)).collect();
    let both = before
        .iter()
        .filter_map(|(k, b)| after.get(k).map(|a| (k, b, a)))
        .collect();
    (missing, added, both)
}

impl Differ {
    pub(super) fn push(
        &mut self,
        kind: &str,
        object: &str,
        detail: String,
        before: Option<String>,
        after: Option<String>,
    ) {
        debug_assert!(is_kind(kind), "difference kind {kind} is not in KINDS");
        self.out.push(Difference {
            kind: kind.to_string(),
            object: object.to_string(),
            detail,
            before,
            after,
            accepted: false,
            accepted_reason: None,
            fix: None,
        });
    }

    /// Compares one field; names the difference when the values are not equal.
    pub(super) fn field<T: PartialEq + Debug>(
        &mut self,
        kind: &str,
        object: &str,
        what: &str,
        b: &T,
        a: &T,
    ) {
        if b != a {
            let (bs, as_) = (format!("{b:?}"), format!("{a:?}"));
            self.push(
                kind,
                object,
                format!("{what} of {object} differs"),
                Some(bs),
                Some(as_),
            );
        }
    }

    pub(super) fn text(
        &mut self,
        kind: &str,
        object: &str,
        what: &str,
        b: &Option<String>,
        a: &Option<String>,
    ) {
        if b != a {
            let detail = match (b, a) {
                (Some(_), None) => format!("{what} of {object} was lost"),
                (None, Some(_)) => {
                    let what = what.strip_prefix("the ").unwrap_or(what);
                    format!("{object} gained {} {what}", crate::words::article(what))
                }
                _ => format!("{what} of {object} differs"),
            };
            self.push(kind, object, detail, show(b), show(a));
        }
    }

    pub(super) fn common(
        &mut self,
        object: &str,
        owner: (&String, &String),
        acl: (&[String], &[String]),
        comment: (&Option<String>, &Option<String>),
    ) {
        if owner.0 != owner.1 {
            self.push(
                "owner_changed",
                object,
                format!("{object} is owned by {} instead of {}", owner.1, owner.0),
                Some(owner.0.clone()),
                Some(owner.1.clone()),
            );
        }
        self.privileges(object, acl.0, acl.1);
        self.text(
            "comment_changed",
            object,
            "the comment",
            comment.0,
            comment.1,
        );
    }

    pub(super) fn privileges(&mut self, object: &str, b: &[String], a: &[String]) {
        if b != a {
            let lost: Vec<_> = b.iter().filter(|x| !a.contains(x)).cloned().collect();
            let gained: Vec<_> = a.iter().filter(|x| !b.contains(x)).cloned().collect();
            let mut detail = format!("the privileges on {object} differ");
            if !lost.is_empty() {
                detail.push_str(&format!("; lost {}", lost.join(", ")));
            }
            if !gained.is_empty() {
                detail.push_str(&format!("; gained {}", gained.join(", ")));
            }
            self.push(
                "privileges_changed",
                object,
                detail,
                Some(list(b)),
                Some(list(a)),
            );
        }
    }

    pub(super) fn presence<T>(
        &mut self,
        what: &str,
        before: &BTreeMap<String, T>,
        after: &BTreeMap<String, T>,
        describe: impl Fn(&T) -> Option<String>,
    ) {
        let (missing, added, _) = split(before, after);
        for k in missing {
            self.push(
                "object_missing",
                k,
                format!("the {what} {k} is gone"),
                describe(&before[k]),
                None,
            );
        }
        for k in added {
            self.push(
                "object_left_behind",
                k,
                format!("the {what} {k} was left behind"),
                None,
                describe(&after[k]),
            );
        }
    }

    fn schemas(&mut self, b: &BTreeMap<String, Schema>, a: &BTreeMap<String, Schema>) {
        self.presence("schema", b, a, |_| None);
        for (k, x, y) in split(b, a).2 {
            self.common(
                k,
                (&x.owner, &y.owner),
                (&x.acl, &y.acl),
                (&x.comment, &y.comment),
            );
        }
    }

    fn extensions(&mut self, b: &BTreeMap<String, Extension>, a: &BTreeMap<String, Extension>) {
        self.presence("extension", b, a, |e| Some(e.version.clone()));
        for (k, x, y) in split(b, a).2 {
            if x.version != y.version {
                self.push(
                    "extension_version",
                    k,
                    format!(
                        "the extension {k} is at version {} instead of {}",
                        y.version, x.version
                    ),
                    Some(x.version.clone()),
                    Some(y.version.clone()),
                );
            }
            self.field("extension_schema", k, "the schema", &x.schema, &y.schema);
        }
    }

    fn types(&mut self, b: &BTreeMap<String, Type>, a: &BTreeMap<String, Type>) {
        self.presence("type", b, a, |t| Some(t.kind.clone()));
        for (k, x, y) in split(b, a).2 {
            if x.kind != y.kind {
                self.field("type_changed", k, "the kind", &x.kind, &y.kind);
                continue;
            }
            if x.labels != y.labels {
                let detail = if sorted(&x.labels) == sorted(&y.labels) {
                    format!("the values of enum {k} are in another order")
                } else {
                    format!("the values of enum {k} differ")
                };
                self.push(
                    "enum_values",
                    k,
                    detail,
                    Some(list(&x.labels)),
                    Some(list(&y.labels)),
                );
            }
            self.text("type_changed", k, "the base type", &x.base, &y.base);
            self.field(
                "nullability_changed",
                k,
                "the NOT NULL constraint",
                &x.not_null,
                &y.not_null,
            );
            self.text("default_changed", k, "the default", &x.default, &y.default);
            self.text(
                "collation_changed",
                k,
                "the collation",
                &x.collation,
                &y.collation,
            );
            self.keyed(
                &format!("{k}."),
                &x.constraints,
                &y.constraints,
                "constraint",
                |d, obj, x, y| {
                    if x != y {
                        d.push(
                            "constraint_changed",
                            obj,
                            format!("the constraint {obj} differs"),
                            Some(x.clone()),
                            Some(y.clone()),
                        );
                    }
                },
            );
            if x.attributes != y.attributes {
                self.push(
                    "type_changed",
                    k,
                    format!("the attributes of type {k} differ"),
                    Some(list(&x.attributes)),
                    Some(list(&y.attributes)),
                );
            }
            self.common(
                k,
                (&x.owner, &y.owner),
                (&x.acl, &y.acl),
                (&x.comment, &y.comment),
            );
        }
    }

    fn sequences(&mut self, b: &BTreeMap<String, Sequence>, a: &BTreeMap<String, Sequence>) {
        self.presence("sequence", b, a, |s| {
            s.owned_by.as_ref().map(|o| format!("owned by {o}"))
        });
        for (k, x, y) in split(b, a).2 {
            let params = |s: &Sequence| {
                format!(
                    "{}AS {} START {} INCREMENT {} MINVALUE {} MAXVALUE {} CACHE {}{}",
                    if s.persistence == "unlogged" {
                        "UNLOGGED "
                    } else {
                        ""
                    },
                    s.data_type,
                    s.start,
                    s.increment,
                    s.min,
                    s.max,
                    s.cache,
                    if s.cycle { " CYCLE" } else { "" }
                )
            };
            let (px, py) = (params(x), params(y));
            if px != py {
                self.push(
                    "sequence_changed",
                    k,
                    format!("the parameters of sequence {k} differ"),
                    Some(px),
                    Some(py),
                );
            }
            self.text(
                "sequence_changed",
                k,
                "the OWNED BY column",
                &x.owned_by,
                &y.owned_by,
            );
            self.common(
                k,
                (&x.owner, &y.owner),
                (&x.acl, &y.acl),
                (&x.comment, &y.comment),
            );
        }
    }

    /// Objects whose whole state is one definition string.
    fn definitions(
        &mut self,
        what: &str,
        kind: &str,
        b: &BTreeMap<String, String>,
        a: &BTreeMap<String, String>,
    ) {
        self.presence(what, b, a, |d| Some(d.clone()));
        for (k, x, y) in split(b, a).2 {
            if x != y {
                self.push(
                    kind,
                    k,
                    format!("the {what} {k} differs"),
                    Some(x.clone()),
                    Some(y.clone()),
                );
            }
        }
    }

    fn default_privileges(
        &mut self,
        b: &BTreeMap<String, Vec<String>>,
        a: &BTreeMap<String, Vec<String>>,
    ) {
        let empty = Vec::new();
        for k in b.keys().chain(a.keys().filter(|k| !b.contains_key(*k))) {
            let (x, y) = (b.get(k).unwrap_or(&empty), a.get(k).unwrap_or(&empty));
            if x != y {
                let object = format!("default privileges of {k}");
                self.push(
                    "default_privileges_changed",
                    &object,
                    format!("the {object} differ"),
                    Some(list(x)),
                    Some(list(y)),
                );
            }
        }
    }

    fn functions(&mut self, b: &BTreeMap<String, Function>, a: &BTreeMap<String, Function>) {
        self.presence("function", b, a, |f| Some(f.kind.clone()));
        for (k, x, y) in split(b, a).2 {
            if (x.kind.as_str(), &x.definition, &x.result)
                != (y.kind.as_str(), &y.definition, &y.result)
            {
                self.push(
                    "function_changed",
                    k,
                    format!("the {} {k} has another definition", x.kind),
                    x.definition.clone(),
                    y.definition.clone(),
                );
            }
            self.common(
                k,
                (&x.owner, &y.owner),
                (&x.acl, &y.acl),
                (&x.comment, &y.comment),
            );
        }
    }
}

fn sorted(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v
}

pub(super) fn constraint_text(c: &Constraint) -> String {
    let mut s = format!("{} {}", c.kind, c.definition);
    if !c.index_options.is_empty() {
        s.push_str(&format!(" WITH ({})", c.index_options.join(", ")));
    }
    if !c.validated && !c.definition.contains("NOT VALID") {
        s.push_str(" (not validated)");
    }
    s
}

pub(super) fn trigger_state(c: &str) -> &'static str {
    match c {
        "O" => "enabled",
        "D" => "disabled",
        "R" => "enabled on replicas only",
        "A" => "enabled always",
        _ => "in an unknown state",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_spelled_in_the_diff_is_listed_once() {
        let source = include_str!("diff.rs");
        let code = format!(
            "{}{}",
            &source[source.find("pub fn diff(").unwrap()..source.find("#[cfg(test)]").unwrap()],
            include_str!("diff_relations.rs")
        );
        let mut spelled = std::collections::BTreeSet::new();
        for literal in code.split('"').skip(1).step_by(2) {
            let snake = literal.contains('_')
                && literal.chars().all(|c| c.is_ascii_lowercase() || c == '_');
            if snake {
                spelled.insert(literal);
            }
        }
        for kind in &spelled {
            assert!(is_kind(kind), "{kind} is produced but not in KINDS");
        }
        for what in ["constraint", "trigger", "policy", "rule"] {
            assert!(is_kind(&format!("{what}_missing")) && is_kind(&format!("{what}_added")));
        }
        let unique: std::collections::BTreeSet<_> = KINDS.iter().collect();
        assert_eq!(unique.len(), KINDS.len(), "a kind is listed twice");
    }

    fn table(cols: &[&str]) -> Relation {
        Relation {
            kind: "table".into(),
            persistence: "permanent".into(),
            columns: cols
                .iter()
                .map(|c| Column {
                    name: c.to_string(),
                    data_type: "integer".into(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    fn snap(rel: Relation) -> Snapshot {
        let mut s = Snapshot::default();
        s.relations.insert("public.t".into(), rel);
        s
    }

    #[test]
    fn equal_snapshots_have_no_difference() {
        let s = snap(table(&["a", "b"]));
        assert!(diff(&s, &s).is_empty());
    }

    #[test]
    fn column_readded_at_the_end_is_a_column_order_difference() {
        let d = diff(
            &snap(table(&["a", "b", "c"])),
            &snap(table(&["a", "c", "b"])),
        );
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].kind, "column_order");
        assert_eq!(d[0].object, "public.t");
    }

    #[test]
    fn missing_and_added_columns_are_named() {
        let d = diff(&snap(table(&["a", "b"])), &snap(table(&["a", "c"])));
        let kinds: Vec<_> = d
            .iter()
            .map(|d| (d.kind.as_str(), d.object.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("column_missing", "public.t.b"),
                ("column_added", "public.t.c")
            ]
        );
    }

    #[test]
    fn enum_reordered_is_named_as_such() {
        let mut a = Snapshot::default();
        let mut t = Type {
            kind: "enum".into(),
            labels: vec!["x".into(), "y".into()],
            ..Default::default()
        };
        a.types.insert("public.e".into(), t.clone());
        let mut b = Snapshot::default();
        t.labels.reverse();
        b.types.insert("public.e".into(), t);
        let d = diff(&a, &b);
        assert_eq!(d[0].kind, "enum_values");
        assert!(d[0].detail.contains("another order"));
    }

    #[test]
    fn details_read_as_english() {
        let before = table(&["n"]);
        let mut after = before.clone();
        after.columns[0].default = Some("0".into());
        after.columns[0].identity = Some("by default".into());
        after.comment = Some("rows".into());
        let details: Vec<String> = diff(&snap(before.clone()), &snap(after.clone()))
            .into_iter()
            .map(|d| d.detail)
            .collect();
        assert_eq!(
            details,
            [
                "public.t gained a comment",
                "public.t.n gained a default",
                "public.t.n gained an identity"
            ]
        );
        let lost: Vec<String> = diff(&snap(after), &snap(before))
            .into_iter()
            .map(|d| d.detail)
            .collect();
        assert!(
            lost.contains(&"the default of public.t.n was lost".to_string()),
            "{lost:?}"
        );
        let mut view = table(&[]);
        view.kind = "view".into();
        let d = diff(&snap(view), &snap(table(&[])));
        assert_eq!(d[0].detail, "public.t is a table instead of a view");
        let mut index = table(&[]);
        index.kind = "index".into();
        let d = diff(&snap(table(&[])), &snap(index));
        assert_eq!(d[0].detail, "public.t is an index instead of a table");
    }
}
