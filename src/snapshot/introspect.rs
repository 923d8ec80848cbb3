//! Catalog introspection: one bulk query per object kind, sent together on one connection inside
//! one read-only repeatable-read transaction, decoded into the [`Snapshot`] model.
//!
//! Never one query per table: the cost must grow with the catalog, not with round trips, so a
//! 10,000-table schema is read in about the time a handful of scans of `pg_class` take.
//! Introspection reads the system catalogs only: it never reads table rows and never writes.

use super::model::*;
use std::collections::BTreeMap;
use tokio_postgres::{Client, Row};

/// Objects of these schemas are the server's, not the application's.
const USER_NAMESPACE: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema') \
     AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'";

/// `quote_ident(schema).quote_ident(name)`, the way every object is named in the model.
const REL_NAME: &str = "quote_ident(n.nspname) || '.' || quote_ident(c.relname)";

fn not_extension_member(catalog: &str, oid: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM pg_depend xdep WHERE xdep.classid = '{catalog}'::regclass \
         AND xdep.objid = {oid} AND xdep.deptype = 'e')"
    )
}

fn sorted_acl(acl: &str, kind: char, owner: &str) -> String {
    format!(
        "ARRAY(SELECT a::text FROM unnest(coalesce({acl}, acldefault('{kind}'::\"char\", {owner}))) a ORDER BY 1)"
    )
}

fn comment(catalog: &str, oid: &str, sub: &str) -> String {
    format!(
        "(SELECT d.description FROM pg_description d WHERE d.classoid = '{catalog}'::regclass \
         AND d.objoid = {oid} AND d.objsubid = {sub})"
    )
}

fn schemas_sql() -> String {
    format!(
        "SELECT quote_ident(n.nspname), pg_get_userbyid(n.nspowner), {acl}, {comment}
         FROM pg_namespace n WHERE {USER_NAMESPACE} AND {ext}",
        acl = sorted_acl("n.nspacl", 'n', "n.nspowner"),
        comment = comment("pg_namespace", "n.oid", "0"),
        ext = not_extension_member("pg_namespace", "n.oid"),
    )
}

fn extensions_sql() -> String {
    "SELECT quote_ident(x.extname), x.extversion, quote_ident(n.nspname)
     FROM pg_extension x JOIN pg_namespace n ON n.oid = x.extnamespace"
        .to_string()
}

/// Relations worth a snapshot: tables, partitioned and foreign tables, views, materialized views.
const REL_KINDS: &str = "c.relkind IN ('r', 'p', 'f', 'v', 'm')";

fn relations_sql() -> String {
    format!(
        "SELECT {REL_NAME}, c.relkind::text, c.relpersistence::text,
           CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
           (SELECT quote_ident(pn.nspname) || '.' || quote_ident(p.relname)
              FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent
              JOIN pg_namespace pn ON pn.oid = p.relnamespace
             WHERE i.inhrelid = c.oid AND c.relispartition),
           CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END,
           ARRAY(SELECT quote_ident(pn.nspname) || '.' || quote_ident(p.relname)
              FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent
              JOIN pg_namespace pn ON pn.oid = p.relnamespace
             WHERE i.inhrelid = c.oid AND NOT c.relispartition ORDER BY i.inhseqno),
           ARRAY(SELECT o FROM unnest(coalesce(c.reloptions, '{{}}')) o ORDER BY 1),
           c.relrowsecurity, c.relforcerowsecurity, c.relreplident::text,
           pg_get_userbyid(c.relowner), {acl}, d.description,
           CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_description d ON d.classoid = 'pg_class'::regclass AND d.objoid = c.oid AND d.objsubid = 0
         WHERE {REL_KINDS} AND {USER_NAMESPACE} AND {ext}",
        acl = sorted_acl("c.relacl", 'r', "c.relowner"),
        ext = not_extension_member("pg_class", "c.oid"),
    )
}

/// The join and filter every per-relation query shares.
fn of_user_relations() -> String {
    format!(
        "JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE {REL_KINDS} AND {USER_NAMESPACE} AND {}",
        not_extension_member("pg_class", "c.oid")
    )
}

fn columns_sql() -> String {
    format!(
        "SELECT {REL_NAME}, quote_ident(a.attname), format_type(a.atttypid, a.atttypmod),
           CASE WHEN a.attcollation <> t.typcollation
                THEN quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END,
           a.attnotnull,
           CASE WHEN a.attgenerated = '' THEN pg_get_expr(ad.adbin, ad.adrelid) END,
           CASE a.attidentity WHEN 'a' THEN 'always' WHEN 'd' THEN 'by default' END,
           CASE WHEN a.attgenerated <> '' THEN pg_get_expr(ad.adbin, ad.adrelid) END,
           CASE WHEN a.attstorage <> t.typstorage THEN a.attstorage::text END,
           CASE WHEN a.attstattarget::int4 >= 0 THEN a.attstattarget::int4 END,
           ARRAY(SELECT o FROM unnest(coalesce(a.attoptions, '{{}}')) o ORDER BY 1),
           ARRAY(SELECT x::text FROM unnest(coalesce(a.attacl, '{{}}')) x ORDER BY 1),
           d.description
         FROM pg_attribute a
         JOIN pg_class c ON c.oid = a.attrelid
         JOIN pg_type t ON t.oid = a.atttypid
         LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
         LEFT JOIN pg_collation co ON co.oid = a.attcollation
         LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
         LEFT JOIN pg_description d ON d.classoid = 'pg_class'::regclass
              AND d.objoid = a.attrelid AND d.objsubid = a.attnum
         {rels} AND a.attnum > 0 AND NOT a.attisdropped
         ORDER BY c.oid, a.attnum",
        rels = of_user_relations(),
    )
}

fn constraints_sql() -> String {
    format!(
        "SELECT {REL_NAME}, quote_ident(k.conname), k.contype::text, pg_get_constraintdef(k.oid),
           k.condeferrable, k.condeferred, k.convalidated, {comment}
         FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
         {rels}",
        comment = comment("pg_constraint", "k.oid", "0"),
        rels = of_user_relations(),
    )
}

fn indexes_sql() -> String {
    format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(ic.relname), {REL_NAME},
           pg_get_indexdef(i.indexrelid), i.indisunique, i.indisprimary, i.indisvalid,
           i.indisclustered, pg_get_expr(i.indpred, i.indrelid), d.description
         FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
         JOIN pg_class c ON c.oid = i.indrelid
         LEFT JOIN pg_description d ON d.classoid = 'pg_class'::regclass
              AND d.objoid = i.indexrelid AND d.objsubid = 0
         {rels}",
        rels = of_user_relations(),
    )
}

fn triggers_sql() -> String {
    format!(
        "SELECT {REL_NAME}, quote_ident(g.tgname), pg_get_triggerdef(g.oid), g.tgenabled::text, {comment}
         FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
         {rels} AND NOT g.tgisinternal",
        comment = comment("pg_trigger", "g.oid", "0"),
        rels = of_user_relations(),
    )
}

fn policies_sql() -> String {
    format!(
        "SELECT {REL_NAME}, quote_ident(p.polname), p.polcmd::text, p.polpermissive,
           ARRAY(SELECT CASE WHEN r = 0 THEN 'public' ELSE quote_ident(pg_get_userbyid(r)) END
                   FROM unnest(p.polroles) r ORDER BY 1),
           pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid), {comment}
         FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
         {rels}",
        comment = comment("pg_policy", "p.oid", "0"),
        rels = of_user_relations(),
    )
}

fn rules_sql() -> String {
    format!(
        "SELECT {REL_NAME}, quote_ident(r.rulename), pg_get_ruledef(r.oid) || ' [' || r.ev_enabled::text || ']'
         FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class
         {rels} AND r.rulename <> '_RETURN'",
        rels = of_user_relations(),
    )
}

fn sequences_sql() -> String {
    format!(
        "SELECT {REL_NAME}, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin,
           s.seqmax, s.seqcache, s.seqcycle,
           (SELECT quote_ident(tn.nspname) || '.' || quote_ident(t.relname) || '.' || quote_ident(a.attname)
              FROM pg_depend dep JOIN pg_class t ON t.oid = dep.refobjid
              JOIN pg_namespace tn ON tn.oid = t.relnamespace
              JOIN pg_attribute a ON a.attrelid = dep.refobjid AND a.attnum = dep.refobjsubid
             WHERE dep.classid = 'pg_class'::regclass AND dep.objid = c.oid
               AND dep.refclassid = 'pg_class'::regclass AND dep.deptype IN ('a', 'i') LIMIT 1),
           pg_get_userbyid(c.relowner), {acl}, {comment}, c.relpersistence::text
         FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE {USER_NAMESPACE} AND {ext}",
        acl = sorted_acl("c.relacl", 's', "c.relowner"),
        comment = comment("pg_class", "c.oid", "0"),
        ext = not_extension_member("pg_class", "c.oid"),
    )
}

fn functions_sql() -> String {
    format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(p.proname)
              || '(' || pg_get_function_identity_arguments(p.oid) || ')',
           p.prokind::text,
           CASE WHEN p.prokind <> 'a' THEN pg_get_functiondef(p.oid) END,
           pg_get_function_result(p.oid),
           pg_get_userbyid(p.proowner), {acl}, {comment}
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE {USER_NAMESPACE} AND {ext}",
        acl = sorted_acl("p.proacl", 'f', "p.proowner"),
        comment = comment("pg_proc", "p.oid", "0"),
        ext = not_extension_member("pg_proc", "p.oid"),
    )
}

fn types_sql() -> String {
    format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(t.typname), t.typtype::text,
           ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder),
           CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod)
                WHEN t.typtype = 'r' THEN (SELECT format_type(r.rngsubtype, NULL) FROM pg_range r WHERE r.rngtypid = t.oid) END,
           t.typnotnull, t.typdefault,
           CASE WHEN t.typtype = 'd' AND t.typcollation <> (SELECT b.typcollation FROM pg_type b WHERE b.oid = t.typbasetype)
                THEN (SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname) FROM pg_collation co
                        JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = t.typcollation) END,
           ARRAY(SELECT quote_ident(k.conname) FROM pg_constraint k WHERE k.contypid = t.oid ORDER BY k.conname),
           ARRAY(SELECT pg_get_constraintdef(k.oid) FROM pg_constraint k WHERE k.contypid = t.oid ORDER BY k.conname),
           ARRAY(SELECT quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod)
                   FROM pg_attribute a WHERE t.typtype = 'c' AND a.attrelid = t.typrelid
                    AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum),
           pg_get_userbyid(t.typowner), {acl}, {comment}
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
         WHERE {USER_NAMESPACE} AND {ext}
           AND (t.typtype IN ('e', 'd', 'r')
                OR (t.typtype = 'c' AND (SELECT r.relkind FROM pg_class r WHERE r.oid = t.typrelid) = 'c'))",
        acl = sorted_acl("t.typacl", 'T', "t.typowner"),
        comment = comment("pg_type", "t.oid", "0"),
        ext = not_extension_member("pg_type", "t.oid"),
    )
}

fn statistics_sql() -> String {
    format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(x.stxname),
           pg_get_statisticsobjdef(x.oid) || coalesce(' STATISTICS ' || nullif(x.stxstattarget::int4, -1), '')
             || ' OWNER ' || pg_get_userbyid(x.stxowner)
             || coalesce(' COMMENT ' || {comment}, '')
         FROM pg_statistic_ext x JOIN pg_namespace n ON n.oid = x.stxnamespace
         WHERE {USER_NAMESPACE} AND {ext}",
        comment = comment("pg_statistic_ext", "x.oid", "0"),
        ext = not_extension_member("pg_statistic_ext", "x.oid"),
    )
}

fn default_privileges_sql() -> String {
    "SELECT quote_ident(pg_get_userbyid(d.defaclrole))
              || coalesce(' in ' || quote_ident(n.nspname), '')
              || ' on ' || CASE d.defaclobjtype WHEN 'r' THEN 'tables' WHEN 'S' THEN 'sequences'
                 WHEN 'f' THEN 'functions' WHEN 'T' THEN 'types' WHEN 'n' THEN 'schemas' END,
            ARRAY(SELECT a::text FROM unnest(d.defaclacl) a ORDER BY 1)
     FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace"
        .to_string()
}

fn event_triggers_sql() -> String {
    format!(
        "SELECT quote_ident(e.evtname),
           'ON ' || e.evtevent || coalesce(' WHEN TAG IN (' || array_to_string(e.evttags, ', ') || ')', '')
             || ' EXECUTE ' || e.evtfoid::regprocedure::text || ' ENABLED ' || e.evtenabled::text
             || ' OWNER ' || pg_get_userbyid(e.evtowner)
             || coalesce(' COMMENT ' || {comment}, '')
         FROM pg_event_trigger e WHERE {ext}",
        comment = comment("pg_event_trigger", "e.oid", "0"),
        ext = not_extension_member("pg_event_trigger", "e.oid"),
    )
}

/// Reads the schema of the database `client` is connected to.
///
/// Runs in its own read-only transaction with an empty `search_path`, so every name in a
/// definition is schema-qualified whatever the session's settings are. The client must not be
/// inside a transaction.
pub async fn snapshot(client: &Client) -> Result<Snapshot, tokio_postgres::Error> {
    client
        .batch_execute(
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; \
             SELECT pg_catalog.set_config('search_path', '', true);",
        )
        .await?;
    let result = read_all(client).await;
    let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
    let ended = client.batch_execute(end).await;
    let snapshot = result?;
    ended?;
    Ok(snapshot)
}

async fn read_all(client: &Client) -> Result<Snapshot, tokio_postgres::Error> {
    let (q1, q2, q3, q4, q5, q6) = (
        schemas_sql(),
        extensions_sql(),
        relations_sql(),
        columns_sql(),
        constraints_sql(),
        indexes_sql(),
    );
    let (q13, q14, q15) = (
        statistics_sql(),
        default_privileges_sql(),
        event_triggers_sql(),
    );
    let (q7, q8, q9, q10, q11, q12) = (
        triggers_sql(),
        policies_sql(),
        rules_sql(),
        sequences_sql(),
        functions_sql(),
        types_sql(),
    );
    // Sent together: the connection pipelines them, so the catalog is read in one round trip.
    let (
        schemas,
        extensions,
        relations,
        columns,
        constraints,
        indexes,
        triggers,
        policies,
        rules,
        sequences,
        functions,
        types,
        statistics,
        default_privileges,
        event_triggers,
    ) = tokio::try_join!(
        client.query(&q1, &[]),
        client.query(&q2, &[]),
        client.query(&q3, &[]),
        client.query(&q4, &[]),
        client.query(&q5, &[]),
        client.query(&q6, &[]),
        client.query(&q7, &[]),
        client.query(&q8, &[]),
        client.query(&q9, &[]),
        client.query(&q10, &[]),
        client.query(&q11, &[]),
        client.query(&q12, &[]),
        client.query(&q13, &[]),
        client.query(&q14, &[]),
        client.query(&q15, &[]),
    )?;

    let mut s = Snapshot {
        format: FORMAT,
        ..Default::default()
    };
    for r in schemas {
        s.schemas.insert(
            r.get(0),
            Schema {
                owner: r.get(1),
                acl: r.get(2),
                comment: r.get(3),
            },
        );
    }
    for r in extensions {
        s.extensions.insert(
            r.get(0),
            Extension {
                version: r.get(1),
                schema: r.get(2),
            },
        );
    }
    for r in relations {
        let kind: String = r.get(1);
        let persistence: String = r.get(2);
        s.relations.insert(
            r.get(0),
            Relation {
                kind: relation_kind(&kind).to_string(),
                persistence: if persistence == "u" {
                    "unlogged"
                } else {
                    "permanent"
                }
                .to_string(),
                partition_key: r.get(3),
                partition_of: r.get(4),
                partition_bound: r.get(5),
                inherits: r.get(6),
                options: r.get(7),
                rls_enabled: r.get(8),
                rls_forced: r.get(9),
                replica_identity: r.get(10),
                owner: r.get(11),
                acl: r.get(12),
                comment: r.get(13),
                definition: r.get(14),
                ..Default::default()
            },
        );
    }
    // Rows of sub-objects name their relation; a relation that vanished between two queries
    // cannot happen inside the repeatable-read transaction, but is skipped rather than trusted.
    let mut by_rel = |rows: Vec<Row>, f: &mut dyn FnMut(&mut Relation, &Row)| {
        for r in rows {
            let rel: String = r.get(0);
            if let Some(relation) = s.relations.get_mut(&rel) {
                f(relation, &r);
            }
        }
    };
    by_rel(columns, &mut |rel, r| {
        rel.columns.push(Column {
            name: r.get(1),
            data_type: r.get(2),
            collation: r.get(3),
            not_null: r.get(4),
            default: r.get(5),
            identity: r.get(6),
            generated: r.get(7),
            storage: r.get(8),
            statistics: r.get(9),
            options: r.get(10),
            acl: r.get(11),
            comment: r.get(12),
        })
    });
    by_rel(constraints, &mut |rel, r| {
        let kind: String = r.get(2);
        rel.constraints.insert(
            r.get(1),
            Constraint {
                kind: constraint_kind(&kind).to_string(),
                definition: r.get(3),
                deferrable: r.get(4),
                deferred: r.get(5),
                validated: r.get(6),
                comment: r.get(7),
            },
        );
    });
    by_rel(triggers, &mut |rel, r| {
        rel.triggers.insert(
            r.get(1),
            Trigger {
                definition: r.get(2),
                enabled: r.get(3),
                comment: r.get(4),
            },
        );
    });
    by_rel(policies, &mut |rel, r| {
        let cmd: String = r.get(2);
        rel.policies.insert(
            r.get(1),
            Policy {
                command: policy_command(&cmd).to_string(),
                permissive: r.get(3),
                roles: r.get(4),
                using: r.get(5),
                with_check: r.get(6),
                comment: r.get(7),
            },
        );
    });
    by_rel(rules, &mut |rel, r| {
        rel.rules.insert(r.get(1), r.get(2));
    });
    for r in indexes {
        s.indexes.insert(
            r.get(0),
            Index {
                table: r.get(1),
                definition: r.get(2),
                unique: r.get(3),
                primary: r.get(4),
                valid: r.get(5),
                clustered: r.get(6),
                predicate: r.get(7),
                comment: r.get(8),
            },
        );
    }
    for r in sequences {
        let persistence: String = r.get(12);
        s.sequences.insert(
            r.get(0),
            Sequence {
                persistence: if persistence == "u" {
                    "unlogged"
                } else {
                    "permanent"
                }
                .to_string(),
                data_type: r.get(1),
                start: r.get(2),
                increment: r.get(3),
                min: r.get(4),
                max: r.get(5),
                cache: r.get(6),
                cycle: r.get(7),
                owned_by: r.get(8),
                owner: r.get(9),
                acl: r.get(10),
                comment: r.get(11),
            },
        );
    }
    for r in functions {
        let kind: String = r.get(1);
        s.functions.insert(
            r.get(0),
            Function {
                kind: function_kind(&kind).to_string(),
                definition: r.get(2),
                result: r.get(3),
                owner: r.get(4),
                acl: r.get(5),
                comment: r.get(6),
            },
        );
    }
    for r in types {
        let kind: String = r.get(1);
        let names: Vec<String> = r.get(7);
        let defs: Vec<String> = r.get(8);
        s.types.insert(
            r.get(0),
            Type {
                kind: type_kind(&kind).to_string(),
                labels: r.get(2),
                base: r.get(3),
                not_null: r.get(4),
                default: r.get(5),
                collation: r.get(6),
                constraints: names.into_iter().zip(defs).collect::<BTreeMap<_, _>>(),
                attributes: r.get(9),
                owner: r.get(10),
                acl: r.get(11),
                comment: r.get(12),
            },
        );
    }
    for r in statistics {
        s.statistics.insert(r.get(0), r.get(1));
    }
    for r in default_privileges {
        s.default_privileges.insert(r.get(0), r.get(1));
    }
    for r in event_triggers {
        s.event_triggers.insert(r.get(0), r.get(1));
    }
    Ok(s)
}

fn relation_kind(k: &str) -> &'static str {
    match k {
        "r" => "table",
        "p" => "partitioned table",
        "f" => "foreign table",
        "v" => "view",
        "m" => "materialized view",
        _ => "relation",
    }
}

fn constraint_kind(k: &str) -> &'static str {
    match k {
        "p" => "primary key",
        "u" => "unique",
        "c" => "check",
        "f" => "foreign key",
        "x" => "exclusion",
        "t" => "trigger",
        _ => "constraint",
    }
}

fn policy_command(k: &str) -> &'static str {
    match k {
        "r" => "SELECT",
        "a" => "INSERT",
        "w" => "UPDATE",
        "d" => "DELETE",
        _ => "ALL",
    }
}

fn function_kind(k: &str) -> &'static str {
    match k {
        "p" => "procedure",
        "a" => "aggregate",
        "w" => "window",
        _ => "function",
    }
}

fn type_kind(k: &str) -> &'static str {
    match k {
        "e" => "enum",
        "d" => "domain",
        "c" => "composite",
        "r" => "range",
        _ => "type",
    }
}
