//! `domain-check-constraint`: CREATE DOMAIN with a CHECK, or ALTER DOMAIN ... ADD CONSTRAINT.

use super::script::{contype, names, Parsed};
use super::{Hit, InRun, Rule};
use pg_query::protobuf::ConstrType;
use pg_query::NodeEnum;

pub static RULE: Rule = Rule {
    id: "domain-check-constraint",
    summary: "CREATE DOMAIN with a CHECK, or ALTER DOMAIN ... ADD CONSTRAINT",
    why: "ALTER DOMAIN ... ADD CONSTRAINT checks every column of every table that uses the domain, each under a SHARE lock that blocks its writes; and a domain's CHECK cannot be changed later without that scan. A CHECK on the table's column can be added NOT VALID and validated without blocking.",
    fix: "Put the CHECK on the table's column (ADD CONSTRAINT ... CHECK ... NOT VALID, then VALIDATE), not on a domain; or add the domain constraint NOT VALID and VALIDATE it later.",
    safe: "ALTER TABLE users ADD CONSTRAINT users_email_lower CHECK (email = lower(email)) NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT users_email_lower;",
    bad: "ALTER DOMAIN email ADD CONSTRAINT email_lower CHECK (VALUE = lower(VALUE));",
    good: "ALTER DOMAIN email ADD CONSTRAINT email_lower CHECK (VALUE = lower(VALUE)) NOT VALID;",
    in_run: InRun::Always,
    kind: "domain-check-constraint",
    check: Some(check),
    squawk: &["ban-create-domain-with-constraint", "ban-alter-domain-with-add-constraint"],
};

fn check(p: &Parsed) -> Vec<Hit> {
    let mut out = Vec::new();
    for (s, node) in p.nodes() {
        match node {
            NodeEnum::CreateDomainStmt(d) => {
                let checked = d.constraints.iter().any(|c| {
                    matches!(c.node.as_ref(), Some(NodeEnum::Constraint(k)) if contype(k) == Some(ConstrType::ConstrCheck))
                });
                if checked {
                    let name = names(&d.domainname).join(".");
                    out.push(Hit::new(
                        s.line,
                        Some(name.clone()),
                        format!("domain {name} carries a CHECK that every later change must re-check on every column using it"),
                    ));
                }
            }
            NodeEnum::AlterDomainStmt(d) if d.subtype == "C" => {
                let not_valid = matches!(
                    d.def.as_ref().and_then(|n| n.node.as_ref()),
                    Some(NodeEnum::Constraint(k)) if k.skip_validation
                );
                if !not_valid {
                    let name = names(&d.type_name).join(".");
                    out.push(Hit::new(
                        s.line,
                        Some(name.clone()),
                        format!("ALTER DOMAIN {name} ADD CONSTRAINT scans every column using the domain while blocking writes to their tables"),
                    ));
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
super::example_tests!();
