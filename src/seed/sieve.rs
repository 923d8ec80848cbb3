//! The sieve: when the server refuses a generated row (a CHECK inference did not understand, a
//! domain's CHECK, a unique index on an expression, an exclusion constraint, a trigger that
//! raises), the table still gets the rows the server accepts, and the rehearsal goes on.
//!
//! The same rows are copied into a temporary table without constraints (domains replaced by
//! their base types), then moved into the real table by the server itself: first in one
//! statement that keeps the rows the table's NOT NULLs, CHECKs and domains accept and skips
//! those a unique index or exclusion constraint refuses (`ON CONFLICT DO NOTHING`); when that
//! statement fails too (a trigger raises, a CHECK calls a function of another column), one row
//! at a time, each in a subtransaction. Foreign keys are not checked here: the loader dropped
//! them, and removes the rows whose parent is gone before putting them back.
//!
//! The sieve must never change the schema (its table and function live in `pg_temp`, gone with
//! its session) and never decide for the user: a refusal on a column the dataset defines stays
//! the definition's error.

use super::load::{column_list, LoadError, Refusal, Stream};
use super::plan::TablePlan;
use crate::identifier::quote as quote_ident;
use tokio_postgres::Client;

/// Rows tried one at a time before the sieve gives up on a table that accepted none of them.
const GIVE_UP_AFTER: u64 = 1000;

/// Rows sampled from what the server accepted, to show in a definition the user can paste.
const SAMPLE_VALUES: i64 = 5;

/// What the sieve kept of a table's generated rows, and what to define to keep them all.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Sieved {
    pub kept: u64,
    pub asked: u64,
    /// Why rows were refused: the server's first refusal, naming the constraint or column.
    pub reason: String,
    /// `[dataset.tables.X]` lines that would give the table rows the server accepts.
    pub fix: String,
}

/// Whether a refused row is the dataset definition's fault: the refusal names only columns the
/// user defined (or names none, and the user defined every column the seeder writes).
pub(super) fn users_fault(table: &TablePlan, columns: &[String]) -> bool {
    if table.inferred {
        return false;
    }
    let defined = |c: &String| table.defined.contains(c);
    if columns.is_empty() {
        table.gen.columns.iter().all(|c| defined(&c.name))
    } else {
        columns.iter().all(defined)
    }
}

/// The columns a refusal is about: the one the server named, else those of the constraint or
/// unique index it named (an expression index's columns come from its dependencies).
pub(super) async fn refused_columns(
    client: &Client,
    table: &TablePlan,
    refusal: &Refusal,
) -> Vec<String> {
    if let Some(c) = &refusal.column {
        return vec![c.clone()];
    }
    let Some(name) = &refusal.constraint else {
        return Vec::new();
    };
    client
        .query(
            "SELECT a.attname FROM pg_constraint k
               JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)
              WHERE k.conrelid = $1 AND k.conname = $2
             UNION
             SELECT a.attname FROM pg_index i
               JOIN pg_class x ON x.oid = i.indexrelid
               JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = i.indexrelid
                               AND d.refobjid = i.indrelid AND d.refobjsubid > 0
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = d.refobjsubid
              WHERE i.indrelid = $1 AND x.relname = $2
             ORDER BY 1",
            &[&table.oid, name],
        )
        .await
        .map(|rows| rows.iter().map(|r| r.get(0)).collect())
        .unwrap_or_default()
}

/// One column of the table as the sieve sees it.
struct SieveColumn {
    name: String,
    /// The type with every domain taken off.
    base_type: String,
    not_null: bool,
    /// The CHECKs of its domains, `VALUE` already replaced by the column.
    domain_checks: Vec<String>,
}

/// Loads `table`'s generated rows through the sieve on a connection of its own. `refusal` is
/// what the server said to the plain COPY. Errors only when the temporary table itself cannot
/// be filled (the environment, or a type whose values even the base type refuses).
pub(super) async fn load(
    client: &Client,
    job: &Stream<'_>,
    table: &TablePlan,
    chunks: u64,
    refusal: &Refusal,
) -> Result<Sieved, LoadError> {
    let failed = |what: &str, e: tokio_postgres::Error| {
        LoadError::Environment(format!(
            "could not sieve the rows of {}: {what}: {}",
            table.key,
            crate::server_text::of(&e)
        ))
    };
    let columns = sieve_columns(client, table)
        .await
        .map_err(|e| failed("reading its columns", e))?;
    let asked = table.gen.rows;
    let definition: Vec<String> = columns
        .iter()
        .map(|c| format!("{} {}", quote_ident(&c.name), c.base_type))
        .collect();
    client
        .batch_execute(&format!(
            "DROP TABLE IF EXISTS pg_temp.rehearse_sieve;
             CREATE TEMP TABLE rehearse_sieve ({})",
            definition.join(", ")
        ))
        .await
        .map_err(|e| failed("creating its temporary table", e))?;
    let statement = format!(
        "COPY pg_temp.rehearse_sieve ({}) FROM STDIN (FORMAT binary)",
        column_list(&table.gen)
    );
    match job.stream(client, &statement, 0..chunks).await {
        Ok(_) => {}
        // Even the base types refuse the values (a numeric beyond its precision): nothing
        // reaches the table, and the limit says why.
        Err(LoadError::Refused(again)) => {
            let involved = refused_columns(client, table, &again).await;
            return Ok(Sieved {
                kept: 0,
                asked,
                reason: format!("the server refused every generated row ({})", again.server),
                fix: fix_lines(client, table, &involved, 0).await,
            });
        }
        Err(e) => return Err(e),
    }

    give_branches(client, table).await;
    let cols = column_list(&table.gen);
    let mut conditions: Vec<String> = Vec::new();
    for c in &columns {
        let q = quote_ident(&c.name);
        if c.not_null {
            conditions.push(format!("{q} IS NOT NULL"));
        }
        for check in &c.domain_checks {
            conditions.push(format!("({check}) IS NOT FALSE"));
        }
    }
    let checks: Vec<String> = client
        .query(
            "SELECT pg_get_expr(conbin, conrelid) FROM pg_constraint
              WHERE conrelid = $1 AND contype = 'c' ORDER BY conname",
            &[&table.oid],
        )
        .await
        .map_err(|e| failed("reading its CHECKs", e))?
        .iter()
        .map(|r| format!("({}) IS NOT FALSE", r.get::<_, String>(0)))
        .collect();
    conditions.extend(checks);
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    };
    let at_once = format!(
        "INSERT INTO {} ({cols}) OVERRIDING SYSTEM VALUE SELECT {cols} FROM pg_temp.rehearse_sieve{filter} ON CONFLICT DO NOTHING",
        table.gen.qualified
    );
    client
        .batch_execute("BEGIN")
        .await
        .map_err(|e| failed("starting", e))?;
    let (kept, first) = match client.execute(at_once.as_str(), &[]).await {
        Ok(kept) => (kept, refusal.clone()),
        Err(_) => {
            client
                .batch_execute("ROLLBACK; BEGIN")
                .await
                .map_err(|e| failed("starting again", e))?;
            one_by_one(client, table, &cols)
                .await
                .map_err(|e| failed("moving its rows one at a time", e))?
        }
    };
    client
        .batch_execute("COMMIT; DROP TABLE pg_temp.rehearse_sieve")
        .await
        .map_err(|e| failed("committing", e))?;
    let involved = refused_columns(client, table, &first).await;
    let fix = fix_lines(client, table, &involved, kept).await;
    Ok(Sieved {
        kept,
        asked,
        reason: format!(
            "the server refused {} of the {asked} generated rows ({})",
            asked - kept.min(asked),
            first.server
        ),
        fix,
    })
}

/// Gives each row in the temporary table one branch of each polymorphic CHECK (`(kind = 'a'
/// AND a_id IS NOT NULL AND b_id IS NULL) OR (kind = 'b' AND ...)`), in turn by row: a column
/// set to the branch's constant or NULL, a NULL where the branch needs a value replaced by a
/// value of the same column from another row. Best effort: a branch the server would still
/// refuse is the filter's to drop.
async fn give_branches(client: &Client, table: &TablePlan) {
    let Ok(rows) = client
        .query(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint
              WHERE conrelid = $1 AND contype = 'c' ORDER BY conname",
            &[&table.oid],
        )
        .await
    else {
        return;
    };
    let generated: Vec<&str> = table.gen.columns.iter().map(|c| c.name.as_str()).collect();
    for row in rows {
        let Some(branches) = super::branches::branches(&row.get::<_, String>(0)) else {
            continue;
        };
        let n = branches.len();
        for (i, branch) in branches.iter().enumerate() {
            let sets: Vec<String> = branch
                .iter()
                .filter(|(c, _)| generated.contains(&c.as_str()))
                .map(|(c, setting)| {
                    let q = quote_ident(c);
                    match setting {
                        super::branches::Setting::Equals(v) => format!("{q} = {v}"),
                        super::branches::Setting::Null => format!("{q} = NULL"),
                        super::branches::Setting::NotNull => format!(
                            "{q} = coalesce(s.{q}, (SELECT o.{q} FROM pg_temp.rehearse_sieve o WHERE o.{q} IS NOT NULL LIMIT 1))"
                        ),
                    }
                })
                .collect();
            if sets.is_empty() {
                continue;
            }
            let _ = client
                .batch_execute(&format!(
                    "UPDATE pg_temp.rehearse_sieve s SET {} FROM (SELECT ctid AS at, row_number() OVER () AS n FROM pg_temp.rehearse_sieve) r
                      WHERE s.ctid = r.at AND r.n % {n} = {i}",
                    sets.join(", ")
                ))
                .await;
        }
    }
}

/// Each column's base type, NOT NULL (its own or a domain's) and its domains' CHECKs.
async fn sieve_columns(
    client: &Client,
    table: &TablePlan,
) -> Result<Vec<SieveColumn>, tokio_postgres::Error> {
    let rows = client
        .query(
            "WITH RECURSIVE chain(attname, attnum, typ, typmod, depth) AS (
                 SELECT a.attname, a.attnum, a.atttypid, a.atttypmod, 0 FROM pg_attribute a
                  WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
                 UNION ALL
                 SELECT c.attname, c.attnum, t.typbasetype, t.typtypmod, c.depth + 1
                   FROM chain c JOIN pg_type t ON t.oid = c.typ WHERE t.typtype = 'd')
             SELECT c.attname::text,
                    format_type(c.typ, c.typmod),
                    (SELECT a.attnotnull FROM pg_attribute a WHERE a.attrelid = $1 AND a.attnum = c.attnum)
                      OR coalesce((SELECT bool_or(t.typnotnull) FROM chain d JOIN pg_type t ON t.oid = d.typ
                                    WHERE d.attname = c.attname), false),
                    coalesce((SELECT array_agg(pg_get_expr(k.conbin, 0) ORDER BY d.depth, k.conname)
                                FROM chain d JOIN pg_constraint k ON k.contypid = d.typ
                               WHERE d.attname = c.attname AND k.contype = 'c'), '{}')
               FROM chain c
              WHERE NOT EXISTS (SELECT 1 FROM pg_type t WHERE t.oid = c.typ AND t.typtype = 'd')
              ORDER BY c.attnum",
            &[&table.oid],
        )
        .await?;
    let generated: Vec<&str> = table.gen.columns.iter().map(|c| c.name.as_str()).collect();
    Ok(rows
        .iter()
        .map(|r| {
            let name: String = r.get(0);
            let checks: Vec<String> = r.get(3);
            let column = quote_ident(&name);
            SieveColumn {
                domain_checks: checks
                    .iter()
                    .map(|c| super::check_facts::with_column(c, &column))
                    .collect(),
                base_type: r.get(1),
                not_null: r.get(2),
                name,
            }
        })
        .filter(|c| generated.contains(&c.name.as_str()))
        .collect())
}

/// Moves the rows one at a time, each in a subtransaction, keeping those the server accepts:
/// what a trigger or a CHECK the filter could not evaluate refuses is skipped. Gives up after
/// [`GIVE_UP_AFTER`] refusals without one row kept. Returns the rows kept and the first refusal.
async fn one_by_one(
    client: &Client,
    table: &TablePlan,
    cols: &str,
) -> Result<(u64, Refusal), tokio_postgres::Error> {
    let values: Vec<String> = table
        .gen
        .columns
        .iter()
        .map(|c| format!("r.{}", quote_ident(&c.name)))
        .collect();
    let block = format!(
        "DO $rehearse$
         DECLARE r record; kept bigint := 0; refused bigint := 0;
                 first text; first_constraint text; first_column text;
         BEGIN
           FOR r IN SELECT * FROM pg_temp.rehearse_sieve LOOP
             BEGIN
               INSERT INTO {table} ({cols}) OVERRIDING SYSTEM VALUE VALUES ({values});
               kept := kept + 1;
             EXCEPTION WHEN others THEN
               refused := refused + 1;
               IF first IS NULL THEN
                 GET STACKED DIAGNOSTICS first = MESSAGE_TEXT, first_constraint = CONSTRAINT_NAME,
                                         first_column = COLUMN_NAME;
               END IF;
             END;
             EXIT WHEN kept = 0 AND refused >= {GIVE_UP_AFTER};
           END LOOP;
           PERFORM set_config('rehearse.sieve_kept', kept::text, false),
                   set_config('rehearse.sieve_first', coalesce(first, ''), false),
                   set_config('rehearse.sieve_constraint', coalesce(first_constraint, ''), false),
                   set_config('rehearse.sieve_column', coalesce(first_column, ''), false);
         END $rehearse$",
        table = table.gen.qualified,
        values = values.join(", ")
    );
    client.batch_execute(&block).await?;
    let row = client
        .query_one(
            "SELECT current_setting('rehearse.sieve_kept')::bigint, current_setting('rehearse.sieve_first'),
                    current_setting('rehearse.sieve_constraint'), current_setting('rehearse.sieve_column')",
            &[],
        )
        .await?;
    let some = |s: String| Some(s).filter(|s| !s.is_empty());
    let server: String = row.get(1);
    Ok((
        row.get::<_, i64>(0) as u64,
        Refusal {
            message: server.clone(),
            server,
            constraint: some(row.get(2)),
            column: some(row.get(3)),
        },
    ))
}

/// The lines that leave a table unseeded: what a table the server accepts no rows of needs
/// until its columns are defined.
pub fn skip_lines(table: &str) -> String {
    format!(
        "[dataset.tables.{}]\nskip = true  # or define its columns as production fills them",
        dataset_key(table)
    )
}

/// The table's name as a dataset key: bare for `public`, else quoted `"schema.name"`.
pub fn dataset_key(table: &str) -> String {
    match table.strip_prefix("public.") {
        Some(name) if !name.contains('.') && is_bare_key(name) => name.to_string(),
        _ => format!("\"{}\"", table.replace('\\', "\\\\").replace('"', "\\\"")),
    }
}

fn is_bare_key(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The lines for a table that lost rows after its load (duplicates under a unique index, rows
/// whose parent was refused): defining it gives rows that need no removal.
pub fn fix_for_removed(table: &str) -> String {
    format!(
        "[dataset.tables.{}]\n# define the columns of the unique index or foreign key named above, as production fills them",
        dataset_key(table)
    )
}

/// Lines of `[dataset.tables.X]` that give `table` rows the server accepts, for the columns a
/// refusal was about: values the server accepted, sampled from what the sieve kept, when the
/// column is not unique; NULL when the column allows it; else the table skipped.
async fn fix_lines(client: &Client, table: &TablePlan, involved: &[String], kept: u64) -> String {
    let key = dataset_key(&table.key);
    let mut lines = Vec::new();
    for column in involved {
        let Some(generated) = table.gen.columns.iter().find(|c| &c.name == column) else {
            continue;
        };
        let facts = client
            .query_opt(
                "SELECT NOT a.attnotnull,
                        EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisunique
                                   AND a.attnum = ANY (i.indkey::int2[]))
                   FROM pg_attribute a WHERE a.attrelid = $1 AND a.attname = $2",
                &[&table.oid, column],
            )
            .await
            .ok()
            .flatten();
        let Some(facts) = facts else { continue };
        let (nullable, unique): (bool, bool) = (facts.get(0), facts.get(1));
        let name = if is_bare_key(column) {
            column.clone()
        } else {
            format!("\"{}\"", column.replace('"', "\\\""))
        };
        let textual =
            generated.ty.is_text() || matches!(generated.ty, super::values::PgType::Enum(_));
        if kept > 0 && !unique && textual {
            let sample = client
                .query(
                    &format!(
                        "SELECT DISTINCT {c}::text FROM {t} WHERE {c} IS NOT NULL ORDER BY 1 LIMIT {SAMPLE_VALUES}",
                        c = quote_ident(column),
                        t = table.gen.qualified
                    ),
                    &[],
                )
                .await
                .map(|rows| rows.iter().map(|r| r.get::<_, String>(0)).collect::<Vec<_>>())
                .unwrap_or_default();
            if !sample.is_empty() {
                let values: Vec<String> = sample
                    .iter()
                    .map(|v| format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\"")))
                    .collect();
                lines.push(format!(
                    "{name} = {{ kind = \"choice\", values = [{}] }}  # values the server accepted: put production's here",
                    values.join(", ")
                ));
                continue;
            }
        }
        if unique && generated.ty.is_text() {
            lines.push(format!(
                "{name} = {{ kind = \"words\", count = [2, 3], unique = true }}  # or the kind production's values have"
            ));
        } else if nullable {
            lines.push(format!("{name} = {{ kind = \"null\" }}"));
        }
    }
    if lines.is_empty() {
        skip_lines(&table.key)
    } else {
        format!("[dataset.tables.{key}.columns]\n{}", lines.join("\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dataset_keys_quote_schemas_and_odd_names() {
        assert_eq!(dataset_key("public.users"), "users");
        assert_eq!(dataset_key("app.tenants"), "\"app.tenants\"");
        assert_eq!(dataset_key("public.my table"), "\"public.my table\"");
    }
}
