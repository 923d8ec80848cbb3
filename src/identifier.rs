//! SQL identifiers, two ways: quoted for the SQL we generate, readable for people.
//!
//! Every statement `rehearse` builds from a name (seeding, templates, scratch databases, lock
//! queries) quotes it with [`quote`]: always quoting is always right, whatever the name is (a
//! reserved word such as `from` or `user`, mixed case, spaces, quotes). Names shown in reports
//! and messages use [`display`], which quotes only where PostgreSQL's own `quote_ident()` would, so
//! `public.users` reads naturally and `public."from"` still says what it is.
//!
//! This module never decides what a name refers to; it only spells it. Names read from a server
//! for a report are best spelled by that server (`quote_ident()` in the catalog query), so that
//! they match the snapshot's names on every PostgreSQL version.

/// `name` as an SQL identifier: always double-quoted, inner quotes doubled.
pub fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `text` as an SQL string literal (standard_conforming_strings is on in every supported
/// server): single-quoted, inner quotes doubled.
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// `schema.name`, both parts quoted for SQL.
pub fn quote_qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", quote(schema), quote(name))
}

/// `name` as people read it: bare when PostgreSQL would print it bare (lower case letters,
/// digits, `_` and `$`, not starting with a digit or `$`, not a keyword that needs quoting),
/// quoted otherwise, as PostgreSQL's `quote_ident()` does.
pub fn display(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$');
    if plain && QUOTED_KEYWORDS.binary_search(&name).is_err() {
        name.to_string()
    } else {
        quote(name)
    }
}

/// `schema.name` as people read it (see [`display`]).
pub fn display_qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", display(schema), display(name))
}

/// The keywords `quote_ident()` quotes (every category but unreserved), as PostgreSQL 18's
/// `kwlist.h` lists them; earlier versions quote a subset. Sorted, for the binary search.
const QUOTED_KEYWORDS: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "between",
    "bigint",
    "binary",
    "bit",
    "boolean",
    "both",
    "case",
    "cast",
    "char",
    "character",
    "check",
    "coalesce",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "dec",
    "decimal",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "exists",
    "extract",
    "false",
    "fetch",
    "float",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "greatest",
    "group",
    "grouping",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "inout",
    "int",
    "integer",
    "intersect",
    "interval",
    "into",
    "is",
    "isnull",
    "join",
    "json",
    "json_array",
    "json_arrayagg",
    "json_exists",
    "json_object",
    "json_objectagg",
    "json_query",
    "json_scalar",
    "json_serialize",
    "json_table",
    "json_value",
    "lateral",
    "leading",
    "least",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "merge_action",
    "national",
    "natural",
    "nchar",
    "none",
    "normalize",
    "not",
    "notnull",
    "null",
    "nullif",
    "numeric",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "out",
    "outer",
    "overlaps",
    "overlay",
    "placing",
    "position",
    "precision",
    "primary",
    "real",
    "references",
    "returning",
    "right",
    "row",
    "select",
    "session_user",
    "setof",
    "similar",
    "smallint",
    "some",
    "substring",
    "symmetric",
    "system_user",
    "table",
    "tablesample",
    "then",
    "time",
    "timestamp",
    "to",
    "trailing",
    "treat",
    "trim",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "values",
    "varchar",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
    "xmlattributes",
    "xmlconcat",
    "xmlelement",
    "xmlexists",
    "xmlforest",
    "xmlnamespaces",
    "xmlparse",
    "xmlpi",
    "xmlroot",
    "xmlserialize",
    "xmltable",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_quoting_always_quotes() {
        assert_eq!(quote("users"), "\"users\"");
        assert_eq!(quote("from"), "\"from\"");
        assert_eq!(quote("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_qualified("public", "user"), "\"public\".\"user\"");
    }

    #[test]
    fn display_quotes_only_where_postgresql_would() {
        assert_eq!(display("users"), "users");
        assert_eq!(display("Users"), "\"Users\"");
        assert_eq!(display("my table"), "\"my table\"");
        assert_eq!(display("1st"), "\"1st\"");
        assert_eq!(display_qualified("public", "order"), "public.\"order\"");
        // Unreserved keywords stay bare, as quote_ident() leaves them.
        assert_eq!(display("name"), "name");
        assert_eq!(display("status"), "status");
    }

    #[test]
    fn the_keyword_list_is_sorted() {
        assert!(QUOTED_KEYWORDS.windows(2).all(|w| w[0] < w[1]));
    }
}
