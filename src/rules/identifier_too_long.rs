//! `identifier-too-long`: a name longer than PostgreSQL's 63 bytes.

use super::script::Parsed;
use super::{Hit, InRun, Rule};
use pg_query::NodeEnum;

/// NAMEDATALEN - 1.
const MAX: usize = 63;

pub static RULE: Rule = Rule {
    id: "identifier-too-long",
    summary: "A table, column, index or constraint name longer than 63 bytes",
    why: "PostgreSQL silently truncates names to 63 bytes: the object gets a name nobody wrote, two long names can collide, and a later migration or rollback that uses the full name fails with \"does not exist\".",
    fix: "Use a name of at most 63 bytes (count bytes, not characters, for non-ASCII names).",
    safe: "CREATE INDEX orders_customer_created_idx ON orders (customer_id, created_at);",
    bad: "CREATE INDEX orders_customer_id_created_at_status_shipping_country_region_postcode_idx ON orders (customer_id, created_at, status, shipping_country, region, postcode);",
    good: "CREATE INDEX orders_customer_created_idx ON orders (customer_id, created_at);",
    in_run: InRun::Always,
    kind: "identifier-too-long",
    check: Some(check),
    squawk: &["identifier-too-long"],
};

/// True for the statements that name new objects (and the tables they change).
fn declares(node: &NodeEnum) -> bool {
    matches!(
        node,
        NodeEnum::CreateStmt(_)
            | NodeEnum::IndexStmt(_)
            | NodeEnum::RenameStmt(_)
            | NodeEnum::CreateSeqStmt(_)
            | NodeEnum::ViewStmt(_)
            | NodeEnum::AlterTableStmt(_)
            | NodeEnum::CreateTableAsStmt(_)
    )
}

/// The identifiers of a statement as written: the parser's tree already holds them cut to 63
/// bytes, so they are read from the scanner's tokens.
fn identifiers(sql: &str) -> Vec<String> {
    let Ok(scanned) = pg_query::scan(sql) else {
        return Vec::new();
    };
    scanned
        .tokens
        .iter()
        .filter(|t| t.token == pg_query::protobuf::Token::Ident as i32)
        .filter_map(|t| sql.get(t.start as usize..t.end as usize))
        .map(
            |text| match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
                Some(quoted) => quoted.replace("\"\"", "\""),
                None => text.to_lowercase(),
            },
        )
        .collect()
}

fn check(p: &Parsed) -> Vec<Hit> {
    let mut out = Vec::new();
    for (s, node) in p.nodes() {
        if !declares(node) {
            continue;
        }
        let mut seen = Vec::new();
        for name in identifiers(&s.sql) {
            if name.len() <= MAX || seen.contains(&name) {
                continue;
            }
            seen.push(name.clone());
            let mut end = MAX;
            while !name.is_char_boundary(end) {
                end -= 1;
            }
            out.push(Hit::new(
                s.line,
                Some(name.clone()),
                format!(
                    "{name} is {} bytes long; PostgreSQL will call it {}",
                    name.len(),
                    &name[..end]
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
super::example_tests!();
