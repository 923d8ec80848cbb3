//! The catalog queries of a schema snapshot, one bulk query per object kind, each written for
//! the server's version. Text only: [`super::introspect`] sends them and decodes the rows. They
//! read the system catalogs and nothing else, and leave out the system schemas and every object
//! that belongs to an extension.

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

/// Privileges with the owner's implicit default made explicit; sorted in the client (a subquery
/// per row costs more than the rest of the row).
fn sorted_acl(acl: &str, kind: char, owner: &str) -> String {
    format!("coalesce({acl}, acldefault('{kind}'::\"char\", {owner}))::text[]")
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
           coalesce(c.reloptions, '{{}}'),
           c.relrowsecurity, c.relforcerowsecurity, c.relreplident::text,
           pg_get_userbyid(c.relowner), {acl}, d.description,
           CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END, c.oid
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
        "SELECT c.oid, quote_ident(a.attname), format_type(a.atttypid, a.atttypmod),
           CASE WHEN a.attcollation <> t.typcollation
                THEN quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END,
           a.attnotnull,
           -- A default cannot refer to a column, so it is deparsed without its relation: given
           -- one, pg_get_expr opens it (a relcache build per table on a fresh connection) only
           -- to name columns a default never has. The text is the same either way.
           CASE WHEN a.attgenerated = '' THEN pg_get_expr(ad.adbin, 0) END,
           CASE a.attidentity WHEN 'a' THEN 'always' WHEN 'd' THEN 'by default' END,
           CASE WHEN a.attgenerated <> '' THEN pg_get_expr(ad.adbin, ad.adrelid) END,
           CASE WHEN a.attstorage <> t.typstorage THEN a.attstorage::text END,
           CASE WHEN a.attstattarget::int4 >= 0 THEN a.attstattarget::int4 END,
           -- Debian's PostgreSQL 17 stamps every column with a `pg_attver=<n>` option that changes
           -- each time the column is created: bookkeeping, not a setting anyone chose.
           CASE WHEN a.attoptions IS NULL THEN '{{}}'::text[]
                ELSE ARRAY(SELECT o FROM unnest(a.attoptions) o WHERE o NOT LIKE 'pg\\_attver=%') END,
           coalesce(a.attacl::text[], '{{}}'),
           d.description, a.attnum
         FROM pg_attribute a
         JOIN pg_class c ON c.oid = a.attrelid
         JOIN pg_type t ON t.oid = a.atttypid
         LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
         LEFT JOIN pg_collation co ON co.oid = a.attcollation
         LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
         LEFT JOIN pg_description d ON d.classoid = 'pg_class'::regclass
              AND d.objoid = a.attrelid AND d.objsubid = a.attnum
         {rels} AND a.attnum > 0 AND NOT a.attisdropped",
        rels = of_user_relations(),
    )
}

fn constraints_sql() -> String {
    format!(
        "SELECT c.oid, quote_ident(k.conname), k.contype::text, pg_get_constraintdef(k.oid),
           k.condeferrable, k.condeferred, k.convalidated, {comment},
           CASE WHEN k.contype IN ('p', 'u', 'x')
                THEN (SELECT ic.reloptions FROM pg_class ic WHERE ic.oid = k.conindid) END
         FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
         {rels}",
        comment = comment("pg_constraint", "k.oid", "0"),
        rels = of_user_relations(),
    )
}

/// An index that implements a primary key, unique or exclusion constraint is described by the
/// constraint's definition (columns, INCLUDE, WITH options, NULLS NOT DISTINCT, the operators of
/// an exclusion), which the constraints query reads anyway.
///
/// The others are described by `pg_get_indexdef`'s text, but `pg_get_indexdef` opens the table
/// (a relcache build per table on a fresh connection), the most expensive call of the snapshot at
/// 10,000 tables. So the plain case is written here, from the catalog, exactly as
/// `pg_get_indexdef` writes it: `CREATE [UNIQUE ]INDEX name ON schema.table USING am (a, b)`,
/// for an index on up to [`PLAIN_INDEX_COLUMNS`] plain columns, each with its own collation, the
/// default operator class of its exact type, default ordering and no operator class options; no
/// expression, predicate, INCLUDE, storage option or NULLS NOT DISTINCT; not a partitioned index
/// (`ON ONLY`). Anything else, or a doubt, goes to `pg_get_indexdef`.
fn indexes_sql(version: i32) -> String {
    let nulls_distinct = if version >= 150000 {
        "AND NOT i.indnullsnotdistinct"
    } else {
        ""
    };
    // The name of key column `k`, or NULL (and so no plain definition) when anything about it
    // is not the default. One scalar subquery per position: cheaper than aggregating a
    // generate_series per index.
    let column = |k: usize| {
        format!(
            "(SELECT quote_ident(a.attname) FROM pg_attribute a
                JOIN pg_opclass oc ON oc.oid = i.indclass[{k}]
               WHERE a.attrelid = i.indrelid AND a.attnum = i.indkey[{k}] AND a.attnum > 0
                 AND a.attcollation = i.indcollation[{k}] AND oc.opcdefault
                 AND oc.opcintype = a.atttypid AND oc.opcmethod = ic.relam)"
        )
    };
    let by_count: String = (1..=PLAIN_INDEX_COLUMNS)
        .map(|n| {
            let names: Vec<String> = (0..n).map(column).collect();
            format!(" WHEN {n} THEN {}", names.join(" || ', ' || "))
        })
        .collect();
    format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(ic.relname), c.oid,
           CASE WHEN k.oid IS NULL THEN coalesce(
             'CREATE ' || CASE WHEN i.indisunique THEN 'UNIQUE ' ELSE '' END || 'INDEX '
               || quote_ident(ic.relname) || ' ON ' || {REL_NAME} || ' USING '
               || quote_ident(am.amname) || ' ('
               || CASE WHEN i.indexprs IS NULL AND i.indpred IS NULL
                        AND i.indnatts = i.indnkeyatts AND ic.reloptions IS NULL
                        AND ic.relkind = 'i' {nulls_distinct}
                        AND i.indoption::int2[] <@ '{{0}}'::int2[]
                        AND NOT EXISTS (SELECT FROM pg_attribute ia WHERE ia.attrelid = i.indexrelid
                                           AND ia.attoptions IS NOT NULL)
                       THEN CASE i.indnkeyatts{by_count} END END
               || ')',
             pg_get_indexdef(i.indexrelid)) END,
           i.indisunique, i.indisprimary, i.indisvalid,
           i.indisclustered, pg_get_expr(i.indpred, i.indrelid), d.description,
           quote_ident(k.conname)
         FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
         JOIN pg_am am ON am.oid = ic.relam
         JOIN pg_class c ON c.oid = i.indrelid
         LEFT JOIN pg_constraint k ON k.conindid = i.indexrelid AND k.conrelid = i.indrelid
              AND k.contype IN ('p', 'u', 'x')
         LEFT JOIN pg_description d ON d.classoid = 'pg_class'::regclass
              AND d.objoid = i.indexrelid AND d.objsubid = 0
         {rels}",
        rels = of_user_relations(),
    )
}

/// Indexes with more key columns than this are described by `pg_get_indexdef`.
const PLAIN_INDEX_COLUMNS: usize = 4;

fn triggers_sql() -> String {
    format!(
        "SELECT c.oid, quote_ident(g.tgname), pg_get_triggerdef(g.oid), g.tgenabled::text, {comment}
         FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
         {rels} AND NOT g.tgisinternal",
        comment = comment("pg_trigger", "g.oid", "0"),
        rels = of_user_relations(),
    )
}

fn policies_sql() -> String {
    format!(
        "SELECT c.oid, quote_ident(p.polname), p.polcmd::text, p.polpermissive,
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
        "SELECT c.oid, quote_ident(r.rulename), pg_get_ruledef(r.oid) || ' [' || r.ev_enabled::text || ']'
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
           CASE WHEN p.prokind <> 'a' THEN pg_get_functiondef(p.oid)
                ELSE (SELECT {aggregate} || ' STYPE ' || format_type(a.aggtranstype, NULL)
                        || ' MSTYPE ' || format_type(a.aggmtranstype, NULL)
                        || ' SORTOP ' || a.aggsortop::regoperator::text
                      FROM pg_aggregate a WHERE a.aggfnoid = p.oid) END,
           pg_get_function_result(p.oid),
           pg_get_userbyid(p.proowner), {acl}, {comment}
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE {USER_NAMESPACE} AND {ext}",
        acl = sorted_acl("p.proacl", 'f', "p.proowner"),
        // Support functions print as names (regproc); the type OIDs as types.
        aggregate = properties(
            "a",
            &["aggfnoid", "aggtranstype", "aggmtranstype", "aggsortop"]
        ),
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

/// Every property the catalog row has (as JSON, so a column a later version adds is compared
/// too) except the ones named, which are the key or compared another way.
fn properties(row: &str, except: &[&str]) -> String {
    let minus: String = except.iter().map(|c| format!(" - '{c}'")).collect();
    format!("(to_jsonb({row}){minus})::text")
}

fn collations_sql() -> String {
    format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.collname),
           {props} || ' OWNER ' || pg_get_userbyid(c.collowner)
             || coalesce(' COMMENT ' || {comment}, '')
         FROM pg_collation c JOIN pg_namespace n ON n.oid = c.collnamespace
         WHERE {USER_NAMESPACE} AND {ext}",
        // The version is the operating system's library's, not the migration's.
        props = properties(
            "c",
            &[
                "oid",
                "collname",
                "collnamespace",
                "collowner",
                "collversion"
            ]
        ),
        comment = comment("pg_collation", "c.oid", "0"),
        ext = not_extension_member("pg_collation", "c.oid"),
    )
}

fn publications_sql(version: i32) -> String {
    // Row filters, column lists and whole schemas came in PostgreSQL 15.
    let (filter, columns, schemas) = if version >= 150_000 {
        (
            "coalesce(' WHERE ' || pg_get_expr(r.prqual, r.prrelid), '')",
            "coalesce(' (' || (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
                FROM pg_attribute a WHERE a.attrelid = r.prrelid AND a.attnum = ANY (r.prattrs)) || ')', '')",
            "' SCHEMAS ' || coalesce((SELECT string_agg(quote_ident(pn.nspname), ', ' ORDER BY pn.nspname)
                FROM pg_publication_namespace pp JOIN pg_namespace pn ON pn.oid = pp.pnnspid
                WHERE pp.pnpubid = p.oid), '')",
        )
    } else {
        ("''", "''", "''")
    };
    format!(
        "SELECT quote_ident(p.pubname),
           {props} || ' OWNER ' || pg_get_userbyid(p.pubowner)
             || ' TABLES ' || coalesce((SELECT string_agg(r.prrelid::regclass::text || {columns} || {filter}, ', '
                  ORDER BY r.prrelid::regclass::text) FROM pg_publication_rel r WHERE r.prpubid = p.oid), '')
             || {schemas}
             || coalesce(' COMMENT ' || {comment}, '')
         FROM pg_publication p",
        props = properties("p", &["oid", "pubname", "pubowner"]),
        comment = comment("pg_publication", "p.oid", "0"),
    )
}

fn casts_sql() -> String {
    format!(
        "SELECT format_type(c.castsource, NULL) || ' AS ' || format_type(c.casttarget, NULL),
           coalesce('WITH FUNCTION ' || c.castfunc::regprocedure::text, 'METHOD ' || c.castmethod::text)
             || ' CONTEXT ' || c.castcontext::text
             || coalesce(' COMMENT ' || {comment}, '')
         FROM pg_cast c
         WHERE c.oid >= 16384 AND {ext}",
        comment = comment("pg_cast", "c.oid", "0"),
        ext = not_extension_member("pg_cast", "c.oid"),
    )
}

fn text_search_sql() -> String {
    format!(
        "SELECT 'configuration ' || quote_ident(n.nspname) || '.' || quote_ident(c.cfgname),
           'PARSER ' || c.cfgparser::regproc::text || ' MAPPINGS '
             || coalesce((SELECT string_agg(m.maptokentype || ':' || m.mapdict::regdictionary::text, ', '
                  ORDER BY m.maptokentype, m.mapseqno) FROM pg_ts_config_map m WHERE m.mapcfg = c.oid), '')
             || ' OWNER ' || pg_get_userbyid(c.cfgowner)
             || coalesce(' COMMENT ' || {config_comment}, '')
         FROM pg_ts_config c JOIN pg_namespace n ON n.oid = c.cfgnamespace
         WHERE {USER_NAMESPACE} AND {config_ext}
         UNION ALL
         SELECT 'dictionary ' || quote_ident(n.nspname) || '.' || quote_ident(td.dictname),
           'TEMPLATE ' || t.tmplnamespace::regnamespace::text || '.' || t.tmplname
             || coalesce(' OPTIONS ' || td.dictinitoption, '')
             || ' OWNER ' || pg_get_userbyid(td.dictowner)
             || coalesce(' COMMENT ' || {dict_comment}, '')
         FROM pg_ts_dict td JOIN pg_namespace n ON n.oid = td.dictnamespace
           JOIN pg_ts_template t ON t.oid = td.dicttemplate
         WHERE {USER_NAMESPACE} AND {dict_ext}",
        config_comment = comment("pg_ts_config", "c.oid", "0"),
        config_ext = not_extension_member("pg_ts_config", "c.oid"),
        dict_comment = comment("pg_ts_dict", "td.oid", "0"),
        dict_ext = not_extension_member("pg_ts_dict", "td.oid"),
    )
}

fn foreign_sql() -> String {
    let options = "coalesce(' OPTIONS ' || array_to_string(ARRAY(SELECT o FROM unnest({}) o ORDER BY 1), ', '), '')";
    format!(
        "SELECT 'wrapper ' || quote_ident(w.fdwname),
           'HANDLER ' || w.fdwhandler::regproc::text || ' VALIDATOR ' || w.fdwvalidator::regproc::text
             || {wrapper_options} || ' OWNER ' || pg_get_userbyid(w.fdwowner)
             || ' ACL ' || coalesce(array_to_string(ARRAY(SELECT a::text FROM unnest(w.fdwacl) a ORDER BY 1), ','), '')
             || coalesce(' COMMENT ' || {wrapper_comment}, '')
         FROM pg_foreign_data_wrapper w WHERE {wrapper_ext}
         UNION ALL
         SELECT 'server ' || quote_ident(s.srvname),
           'WRAPPER ' || quote_ident(w.fdwname) || coalesce(' TYPE ' || s.srvtype, '')
             || coalesce(' VERSION ' || s.srvversion, '') || {server_options}
             || ' OWNER ' || pg_get_userbyid(s.srvowner)
             || ' ACL ' || coalesce(array_to_string(ARRAY(SELECT a::text FROM unnest(s.srvacl) a ORDER BY 1), ','), '')
             || coalesce(' COMMENT ' || {server_comment}, '')
         FROM pg_foreign_server s JOIN pg_foreign_data_wrapper w ON w.oid = s.srvfdw WHERE {server_ext}
         UNION ALL
         SELECT 'user mapping for ' || CASE WHEN u.umuser = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(u.umuser)) END
             || ' on ' || quote_ident(s.srvname),
           'OPTIONS md5 ' || md5(coalesce(array_to_string(ARRAY(SELECT o FROM unnest(u.umoptions) o ORDER BY 1), ', '), ''))
         FROM pg_user_mapping u JOIN pg_foreign_server s ON s.oid = u.umserver",
        wrapper_options = options.replace("{}", "w.fdwoptions"),
        server_options = options.replace("{}", "s.srvoptions"),
        wrapper_comment = comment("pg_foreign_data_wrapper", "w.oid", "0"),
        wrapper_ext = not_extension_member("pg_foreign_data_wrapper", "w.oid"),
        server_comment = comment("pg_foreign_server", "s.oid", "0"),
        server_ext = not_extension_member("pg_foreign_server", "s.oid"),
    )
}

/// The queries of one snapshot, in the order [`decode`] expects their rows.
pub(super) fn queries(version: i32) -> Vec<String> {
    vec![
        schemas_sql(),
        extensions_sql(),
        relations_sql(),
        columns_sql(),
        constraints_sql(),
        indexes_sql(version),
        triggers_sql(),
        policies_sql(),
        rules_sql(),
        sequences_sql(),
        functions_sql(),
        types_sql(),
        statistics_sql(),
        default_privileges_sql(),
        event_triggers_sql(),
        collations_sql(),
        publications_sql(version),
        casts_sql(),
        text_search_sql(),
        foreign_sql(),
    ]
}

pub(super) const QUERY_COUNT: usize = 20;
/// Collations to foreign-data objects: small catalogs, read beside the indexes (the lightest of
/// the three connections) rather than after the dozen queries of the first.
pub(super) const SMALL_KINDS: std::ops::Range<usize> = 15..20;
pub(super) const COLUMNS: usize = 3;
pub(super) const INDEXES: usize = 5;
