//! `rehearse merge DIR...`: the report.json files of `--shard K/N` runs joined into the one
//! report a single run would have written, so every rendering (Markdown, HTML, JUnit) and every
//! gate reads it as usual. Pure: reports in, a report out; reading and writing the files is the
//! caller's.
//!
//! It refuses, in one sentence, what would make a report no single run could have written: a
//! report that is no shard, shards of different scenarios or counts, a shard missing or given
//! twice.

use crate::report::{Report, Verdict};

/// Joins the shards' reports (in any order; each names its shard).
pub fn merge(mut shards: Vec<(String, Report)>) -> Result<Report, String> {
    let Some((first_name, first)) = shards.first() else {
        return Err("rehearse merge needs the report.json of every shard".into());
    };
    let count = first
        .shard
        .ok_or_else(|| format!("{first_name} is not the report of a --shard run"))?
        .count;
    let scenario = first.scenario.clone();
    let mut seen = vec![None::<String>; count];
    for (name, report) in &shards {
        let shard = report
            .shard
            .ok_or_else(|| format!("{name} is not the report of a --shard run"))?;
        if shard.count != count {
            return Err(format!(
                "{name} is shard {}/{}, but {first_name} is one of {count}: merge the shards of one run",
                shard.index, shard.count
            ));
        }
        if report.scenario != scenario {
            return Err(format!(
                "{name} rehearsed the scenario {}, {first_name} rehearsed {scenario}: merge the shards of one run",
                report.scenario
            ));
        }
        if let Some(other) = &seen[shard.index - 1] {
            return Err(format!(
                "{name} and {other} are both shard {}/{count}",
                shard.index
            ));
        }
        seen[shard.index - 1] = Some(name.clone());
    }
    if let Some(missing) = seen.iter().position(Option::is_none) {
        return Err(format!(
            "shard {}/{count} is missing: give the report.json of every shard",
            missing + 1
        ));
    }
    shards.sort_by_key(|(_, r)| r.shard.map(|s| s.index));
    let mut reports = shards.into_iter().map(|(_, r)| r);
    let mut merged = reports.next().expect("at least one shard");
    merged.shard = None;
    for report in reports {
        merged.duration_ms += report.duration_ms;
        merged.migrations.extend(report.migrations);
        for finding in report.findings {
            if !merged.findings.contains(&finding) {
                merged.findings.push(finding);
            }
        }
        for hazard in report.hazards {
            if !merged.hazards.contains(&hazard) {
                merged.hazards.push(hazard);
            }
        }
        // Sizes as the later shard found them: what the later migrations met.
        for size in report.tables {
            match merged.tables.iter_mut().find(|t| t.relation == size.relation) {
                Some(old) => *old = size,
                None => merged.tables.push(size),
            }
        }
        if merged.seed.is_none() {
            merged.seed = report.seed;
        }
    }
    merged.tables.sort_by(|a, b| a.relation.cmp(&b.relation));
    merged.verdict = if merged.findings.is_empty()
        && merged.migrations.iter().all(|m| m.verdict == Verdict::Pass)
    {
        Verdict::Pass
    } else {
        Verdict::Fail
    };
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{MigrationReport, ShardReport};

    fn shard(index: usize, count: usize, ids: &[&str], verdict: Verdict) -> (String, Report) {
        (
            format!("s{index}/report.json"),
            Report {
                scenario: "shop".into(),
                verdict,
                shard: Some(ShardReport { index, count }),
                migrations: ids
                    .iter()
                    .map(|id| MigrationReport {
                        id: id.to_string(),
                        verdict,
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            },
        )
    }

    #[test]
    fn shards_in_any_order_join_in_migration_order_and_any_failure_fails() {
        let merged = merge(vec![
            shard(2, 2, &["003"], Verdict::Fail),
            shard(1, 2, &["001", "002"], Verdict::Pass),
        ])
        .unwrap();
        let ids: Vec<&str> = merged.migrations.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["001", "002", "003"]);
        assert_eq!(merged.verdict, Verdict::Fail);
        assert_eq!(merged.shard, None);
    }

    #[test]
    fn a_missing_or_doubled_shard_is_refused() {
        let e = merge(vec![shard(1, 3, &["1"], Verdict::Pass), shard(3, 3, &["3"], Verdict::Pass)])
            .unwrap_err();
        assert_eq!(e, "shard 2/3 is missing: give the report.json of every shard");
        let e = merge(vec![shard(1, 2, &["1"], Verdict::Pass), shard(1, 2, &["1"], Verdict::Pass)])
            .unwrap_err();
        assert!(e.contains("are both shard 1/2"), "{e}");
    }
}
