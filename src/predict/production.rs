//! Production's size as the dataset declares it: `production_rows` beside `rows`, or `rows`
//! themselves when the scale is below 1 (the rows are production's, a fraction is seeded).
//! Pure: it reads definitions and report sizes, never a database.

use crate::report::TableSize;
use crate::seed::LoadedDefinitions;
use std::collections::BTreeMap;

/// Production's rows by schema-qualified table: `production_rows` where a definition says it,
/// else `rows` when `scale` is below 1 (a profile of production seeded at `--scale 0.1`).
pub fn declared(definitions: &LoadedDefinitions, scale: f64) -> BTreeMap<String, u64> {
    definitions
        .tables
        .iter()
        .filter(|(_, def)| !def.skip)
        .filter_map(|(name, def)| {
            let rows = def
                .production_rows
                .or_else(|| def.rows.filter(|_| scale < 1.0))?;
            Some((crate::seed::catalog::table_key(name), rows))
        })
        .collect()
}

/// Writes production's rows into the sizes the rehearsal measured, by relation.
pub fn declare(tables: &mut [TableSize], production: &BTreeMap<String, u64>) {
    for t in tables {
        if let Some(rows) = production.get(&t.relation) {
            t.production_rows = Some(*rows);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::definition::TableDef;

    fn definitions(tables: &[(&str, Option<u64>, Option<u64>)]) -> LoadedDefinitions {
        LoadedDefinitions {
            sources: BTreeMap::new(),
            default_rows: None,
            tables: tables
                .iter()
                .map(|(name, rows, production_rows)| {
                    (
                        name.to_string(),
                        TableDef {
                            rows: *rows,
                            production_rows: *production_rows,
                            ..Default::default()
                        },
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn production_rows_are_declared_beside_the_seeded_ones() {
        let d = definitions(&[
            ("posts", Some(1_000_000), Some(40_000_000)),
            ("users", Some(500), None),
        ]);
        let p = declared(&d, 1.0);
        assert_eq!(p.get("public.posts"), Some(&40_000_000));
        assert_eq!(p.get("public.users"), None, "{p:?}");
    }

    #[test]
    fn a_scale_below_one_makes_the_rows_productions() {
        let d = definitions(&[("shop.orders", Some(2_000_000), None)]);
        assert_eq!(declared(&d, 0.1).get("shop.orders"), Some(&2_000_000));
        assert!(declared(&d, 1.0).is_empty());
    }

    #[test]
    fn declared_sizes_land_on_the_measured_tables() {
        let mut tables = vec![TableSize {
            relation: "public.posts".into(),
            rows: Some(1_000_000),
            ..Default::default()
        }];
        declare(
            &mut tables,
            &BTreeMap::from([("public.posts".to_string(), 40_000_000)]),
        );
        assert_eq!(tables[0].judged_rows(), Some(40_000_000));
        assert_eq!(
            tables[0].production_phrase().as_deref(),
            Some("40M rows in production, 1M seeded")
        );
    }
}
