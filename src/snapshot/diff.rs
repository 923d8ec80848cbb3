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
    d.out
}

#[derive(Default)]
struct Differ {
    out: Vec<Difference>,
}

fn show<T: Debug>(v: &Option<T>) -> Option<String> {
    v.as_ref().map(|v| {
        let s = format!("{v:?}");
        s.trim_matches('"').to_string()
    })
}

fn list(v: &[String]) -> String {
    format!("{{{}}}", v.join(", "))
}

/// Keys only in `before`, keys only in `after`, and keys in both with both values.
type Split<'a, T> = (
    Vec<&'a String>,
    Vec<&'a String>,
    Vec<(&'a String, &'a T, &'a T)>,
);

fn split<'a, T>(before: &'a BTreeMap<String, T>, after: &'a BTreeMap<String, T>) -> Split<'a, T> {
    let missing = before.keys().filter(|k| !after.contains_key(*k)).collect();
    let added = after.keys().filter(|k| !before.contains_key(*k)).collect();
    let both = before
        .iter()
        .filter_map(|(k, b)| after.get(k).map(|a| (k, b, a)))
        .collect();
    (missing, added, both)
}

impl Differ {
    fn push(
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
        });
    }

    /// Compares one field; names the difference when the values are not equal.
    fn field<T: PartialEq + Debug>(&mut self, kind: &str, object: &str, what: &str, b: &T, a: &T) {
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

    fn text(
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
                (None, Some(_)) => format!("{object} gained a {what} it did not have"),
                _ => format!("{what} of {object} differs"),
            };
            self.push(kind, object, detail, show(b), show(a));
        }
    }

    fn common(
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

    fn privileges(&mut self, object: &str, b: &[String], a: &[String]) {
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

    fn presence<T>(
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
                "NOT NULL",
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

    fn relations(&mut self, b: &BTreeMap<String, Relation>, a: &BTreeMap<String, Relation>) {
        self.presence("relation", b, a, |r| Some(r.kind.clone()));
        for (k, x, y) in split(b, a).2 {
            if x.kind != y.kind {
                self.push(
                    "kind_changed",
                    k,
                    format!("{k} is a {} instead of a {}", y.kind, x.kind),
                    Some(x.kind.clone()),
                    Some(y.kind.clone()),
                );
                continue;
            }
            if x.persistence != y.persistence {
                self.push(
                    "persistence_changed",
                    k,
                    format!("{k} is {} instead of {}", y.persistence, x.persistence),
                    Some(x.persistence.clone()),
                    Some(y.persistence.clone()),
                );
            }
            self.text(
                "partitioning_changed",
                k,
                "the partition key",
                &x.partition_key,
                &y.partition_key,
            );
            self.text(
                "partitioning_changed",
                k,
                "the parent partitioned table",
                &x.partition_of,
                &y.partition_of,
            );
            self.text(
                "partitioning_changed",
                k,
                "the partition bound",
                &x.partition_bound,
                &y.partition_bound,
            );
            self.field(
                "inheritance_changed",
                k,
                "the inheritance parents",
                &x.inherits,
                &y.inherits,
            );
            if x.options != y.options {
                self.push(
                    "storage_option",
                    k,
                    format!("the storage options of {k} differ"),
                    Some(list(&x.options)),
                    Some(list(&y.options)),
                );
            }
            if (x.rls_enabled, x.rls_forced) != (y.rls_enabled, y.rls_forced) {
                let state = |r: &Relation| {
                    match (r.rls_enabled, r.rls_forced) {
                        (false, false) => "disabled",
                        (true, false) => "enabled",
                        (false, true) => "forced but disabled",
                        (true, true) => "enabled and forced",
                    }
                    .to_string()
                };
                self.push(
                    "rls_changed",
                    k,
                    format!(
                        "row level security on {k} is {} instead of {}",
                        state(y),
                        state(x)
                    ),
                    Some(state(x)),
                    Some(state(y)),
                );
            }
            self.field(
                "replica_identity_changed",
                k,
                "the replica identity",
                &x.replica_identity,
                &y.replica_identity,
            );
            self.common(
                k,
                (&x.owner, &y.owner),
                (&x.acl, &y.acl),
                (&x.comment, &y.comment),
            );
            self.text(
                "view_changed",
                k,
                "the view definition",
                &x.definition,
                &y.definition,
            );
            self.columns(k, &x.columns, &y.columns);
            let prefix = format!("{k}.");
            self.keyed(
                &prefix,
                &x.constraints,
                &y.constraints,
                "constraint",
                |d, obj, x, y| {
                    if x.definition != y.definition
                        || (
                            &x.kind,
                            x.deferrable,
                            x.deferred,
                            x.validated,
                            &x.index_options,
                        ) != (
                            &y.kind,
                            y.deferrable,
                            y.deferred,
                            y.validated,
                            &y.index_options,
                        )
                    {
                        d.push(
                            "constraint_changed",
                            obj,
                            format!("the constraint {obj} differs"),
                            Some(constraint_text(x)),
                            Some(constraint_text(y)),
                        );
                    }
                    d.text(
                        "comment_changed",
                        obj,
                        "the comment",
                        &x.comment,
                        &y.comment,
                    );
                },
            );
            self.keyed(
                &prefix,
                &x.triggers,
                &y.triggers,
                "trigger",
                |d, obj, x, y| {
                    d.field(
                        "trigger_changed",
                        obj,
                        "the definition",
                        &x.definition,
                        &y.definition,
                    );
                    if x.enabled != y.enabled {
                        d.push(
                            "trigger_enabled",
                            obj,
                            format!(
                                "the trigger {obj} is {} instead of {}",
                                trigger_state(&y.enabled),
                                trigger_state(&x.enabled)
                            ),
                            Some(trigger_state(&x.enabled).into()),
                            Some(trigger_state(&y.enabled).into()),
                        );
                    }
                    d.text(
                        "comment_changed",
                        obj,
                        "the comment",
                        &x.comment,
                        &y.comment,
                    );
                },
            );
            self.keyed(
                &prefix,
                &x.policies,
                &y.policies,
                "policy",
                |d, obj, x, y| {
                    let strip = |p: &Policy| Policy {
                        comment: None,
                        ..p.clone()
                    };
                    if strip(x) != strip(y) {
                        d.push(
                            "policy_changed",
                            obj,
                            format!("the policy {obj} differs"),
                            Some(format!("{x:?}")),
                            Some(format!("{y:?}")),
                        );
                    }
                    d.text(
                        "comment_changed",
                        obj,
                        "the comment",
                        &x.comment,
                        &y.comment,
                    );
                },
            );
            self.keyed(&prefix, &x.rules, &y.rules, "rule", |d, obj, x, y| {
                d.field("rule_changed", obj, "the definition", x, y);
            });
        }
    }

    /// Sub-objects of one object (constraints, triggers, policies), by name.
    fn keyed<T>(
        &mut self,
        prefix: &str,
        b: &BTreeMap<String, T>,
        a: &BTreeMap<String, T>,
        what: &str,
        mut compare: impl FnMut(&mut Differ, &str, &T, &T),
    ) {
        let (missing, added, both) = split(b, a);
        let owner = prefix.trim_end_matches('.');
        for k in missing {
            let obj = format!("{prefix}{k}");
            self.push(
                &format!("{what}_missing"),
                &obj,
                format!("the {what} {k} on {owner} is gone"),
                None,
                None,
            );
        }
        for k in added {
            let obj = format!("{prefix}{k}");
            self.push(
                &format!("{what}_added"),
                &obj,
                format!("the {what} {k} on {owner} was left behind"),
                None,
                None,
            );
        }
        for (k, x, y) in both {
            compare(self, &format!("{prefix}{k}"), x, y);
        }
    }

    fn columns(&mut self, rel: &str, b: &[Column], a: &[Column]) {
        let find = |cols: &'_ [Column], name: &str| cols.iter().position(|c| c.name == name);
        for c in b {
            if find(a, &c.name).is_none() {
                let obj = format!("{rel}.{}", c.name);
                self.push(
                    "column_missing",
                    &obj,
                    format!("the column {} of {rel} is gone", c.name),
                    Some(c.data_type.clone()),
                    None,
                );
            }
        }
        for c in a {
            if find(b, &c.name).is_none() {
                let obj = format!("{rel}.{}", c.name);
                self.push(
                    "column_added",
                    &obj,
                    format!("the column {} of {rel} was left behind", c.name),
                    None,
                    Some(c.data_type.clone()),
                );
            }
        }
        // Order of the columns both sides have: a column dropped and added again moves to the end.
        let order_b: Vec<String> = b
            .iter()
            .filter(|c| find(a, &c.name).is_some())
            .map(|c| c.name.clone())
            .collect();
        let order_a: Vec<String> = a
            .iter()
            .filter(|c| find(b, &c.name).is_some())
            .map(|c| c.name.clone())
            .collect();
        if order_b != order_a {
            self.push(
                "column_order",
                rel,
                format!("the columns of {rel} are in another order"),
                Some(order_b.join(", ")),
                Some(order_a.join(", ")),
            );
        }
        for x in b {
            let Some(y) = a.iter().find(|c| c.name == x.name) else {
                continue;
            };
            let obj = format!("{rel}.{}", x.name);
            if x.data_type != y.data_type {
                self.push(
                    "column_type",
                    &obj,
                    format!(
                        "the column {obj} is {} instead of {}",
                        y.data_type, x.data_type
                    ),
                    Some(x.data_type.clone()),
                    Some(y.data_type.clone()),
                );
            }
            self.text(
                "collation_changed",
                &obj,
                "the collation",
                &x.collation,
                &y.collation,
            );
            if x.not_null != y.not_null {
                let s = |n: bool| if n { "NOT NULL" } else { "nullable" }.to_string();
                self.push(
                    "nullability_changed",
                    &obj,
                    format!(
                        "the column {obj} is {} instead of {}",
                        s(y.not_null),
                        s(x.not_null)
                    ),
                    Some(s(x.not_null)),
                    Some(s(y.not_null)),
                );
            }
            self.text(
                "default_changed",
                &obj,
                "the default",
                &x.default,
                &y.default,
            );
            self.text(
                "identity_changed",
                &obj,
                "the identity",
                &x.identity,
                &y.identity,
            );
            self.text(
                "generated_changed",
                &obj,
                "the generation expression",
                &x.generated,
                &y.generated,
            );
            self.text(
                "storage_option",
                &obj,
                "the storage",
                &x.storage,
                &y.storage,
            );
            self.field(
                "storage_option",
                &obj,
                "the statistics target",
                &x.statistics,
                &y.statistics,
            );
            self.field(
                "storage_option",
                &obj,
                "the column options",
                &x.options,
                &y.options,
            );
            self.privileges(&obj, &x.acl, &y.acl);
            self.text(
                "comment_changed",
                &obj,
                "the comment",
                &x.comment,
                &y.comment,
            );
        }
    }

    fn indexes(&mut self, b: &BTreeMap<String, Index>, a: &BTreeMap<String, Index>) {
        let (missing, added, both) = split(b, a);
        for k in missing {
            self.push(
                "index_missing",
                k,
                format!("the index {k} on {} is gone", b[k].table),
                Some(b[k].definition.clone()),
                None,
            );
        }
        for k in added {
            self.push(
                "index_added",
                k,
                format!("the index {k} on {} was left behind", a[k].table),
                None,
                Some(a[k].definition.clone()),
            );
        }
        for (k, x, y) in both {
            if x.definition != y.definition
                || (x.unique, x.primary, x.valid, &x.table)
                    != (y.unique, y.primary, y.valid, &y.table)
            {
                let mut detail = format!("the index {k} differs");
                if x.valid && !y.valid {
                    detail = format!("the index {k} is invalid");
                }
                self.push(
                    "index_changed",
                    k,
                    detail,
                    Some(x.definition.clone()),
                    Some(y.definition.clone()),
                );
            }
            if x.clustered != y.clustered {
                self.field("index_changed", k, "CLUSTER ON", &x.clustered, &y.clustered);
            }
            self.text("comment_changed", k, "the comment", &x.comment, &y.comment);
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

fn constraint_text(c: &Constraint) -> String {
    let mut s = format!("{} {}", c.kind, c.definition);
    if !c.index_options.is_empty() {
        s.push_str(&format!(" WITH ({})", c.index_options.join(", ")));
    }
    if !c.validated && !c.definition.contains("NOT VALID") {
        s.push_str(" (not validated)");
    }
    s
}

fn trigger_state(c: &str) -> &'static str {
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
        let code =
            &source[source.find("pub fn diff(").unwrap()..source.find("#[cfg(test)]").unwrap()];
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
}
