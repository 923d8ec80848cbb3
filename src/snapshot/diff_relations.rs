//! The diff of tables, views and their parts: relations, columns, constraints, triggers,
//! policies, rules and indexes. Part of [`super::diff`], which walks the rest of a snapshot. Pure.

use super::diff::{constraint_text, list, split, trigger_state, Differ};
use super::model::*;
use std::collections::BTreeMap;

impl Differ {
    pub(super) fn relations(
        &mut self,
        b: &BTreeMap<String, Relation>,
        a: &BTreeMap<String, Relation>,
    ) {
        self.presence("relation", b, a, |r| Some(r.kind.clone()));
        for (k, x, y) in split(b, a).2 {
            if x.kind != y.kind {
                self.push(
                    "kind_changed",
                    k,
                    format!(
                        "{k} is {} {} instead of {} {}",
                        crate::words::article(&y.kind),
                        y.kind,
                        crate::words::article(&x.kind),
                        x.kind
                    ),
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
    pub(super) fn keyed<T>(
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

    pub(super) fn columns(&mut self, rel: &str, b: &[Column], a: &[Column]) {
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

    pub(super) fn indexes(&mut self, b: &BTreeMap<String, Index>, a: &BTreeMap<String, Index>) {
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
                self.field(
                    "index_changed",
                    k,
                    "the CLUSTER ON mark",
                    &x.clustered,
                    &y.clustered,
                );
            }
            self.text("comment_changed", k, "the comment", &x.comment, &y.comment);
        }
    }
}
