//! `junit.xml`: one test suite per migration with five test cases, so that a CI system shows which
//! of the rehearsal's promises broke: "forward applies", "rollback applies", "rollback restores
//! schema", "rollback preserves data", "gates". A check that could not run is `skipped`, never a pass.

use super::escape::{xml_attribute as attr, xml_text as body};
use crate::report::{FindingKind, GateStatus, MigrationReport, Promise, Report};
use std::fmt::Write;

/// One migration's suite: its name and its (case, seconds, outcome) rows.
type Suite = (String, Vec<(&'static str, f64, Outcome)>);

enum Outcome {
    Pass,
    Fail(String),
    Skip(String),
}

pub fn render(report: &Report) -> String {
    let suites: Vec<Suite> = report
        .migrations
        .iter()
        .map(|m| (format!("{} {}", m.id, m.name), cases(m)))
        .collect();
    let count = |pred: fn(&Outcome) -> bool| -> usize {
        suites
            .iter()
            .map(|(_, c)| c.iter().filter(|(_, _, o)| pred(o)).count())
            .sum()
    };
    // Each run-level finding is a suite of one failed case, counted like every other suite so
    // that the totals are the sum of the suites.
    let run_failures = report.findings.len();
    let tests: usize = suites.iter().map(|(_, c)| c.len()).sum::<usize>() + run_failures;
    let failures = count(|o| matches!(o, Outcome::Fail(_))) + run_failures;
    let skipped = count(|o| matches!(o, Outcome::Skip(_)));

    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"rehearse {}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"{}\">",
        attr(&report.scenario),
        secs(report.duration_ms)
    );
    for f in &report.findings {
        // Run-level failures (a baseline that did not apply) become a suite of their own.
        let _ = writeln!(
            out,
            "  <testsuite name=\"run\" tests=\"1\" failures=\"1\" errors=\"0\" skipped=\"0\">\n    <testcase classname=\"rehearse.run\" name=\"{}\">\n      <failure message=\"{}\" type=\"{}\"/>\n    </testcase>\n  </testsuite>",
            attr(&f.kind),
            attr(&f.message),
            attr(&f.kind)
        );
    }
    for (m, (name, cases)) in report.migrations.iter().zip(&suites) {
        let fails = cases
            .iter()
            .filter(|(_, _, o)| matches!(o, Outcome::Fail(_)))
            .count();
        let skips = cases
            .iter()
            .filter(|(_, _, o)| matches!(o, Outcome::Skip(_)))
            .count();
        let total: f64 = cases.iter().map(|(_, t, _)| t).sum();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{fails}\" errors=\"0\" skipped=\"{skips}\" time=\"{}\" file=\"{}\">",
            attr(name),
            cases.len(),
            secs(total),
            attr(&m.file)
        );
        // Hazards never fail a case: each is a property naming its rule and the rule's page.
        if !m.hazards.is_empty() || !m.ignored.is_empty() {
            out.push_str("    <properties>\n");
            for h in &m.hazards {
                let value = match &h.rule {
                    Some(rule) => {
                        format!("{rule}: {} ({})", h.message, crate::rules::page_of(rule))
                    }
                    None => h.message.clone(),
                };
                let _ = writeln!(
                    out,
                    "      <property name=\"hazard\" value=\"{}\"/>",
                    attr(&value)
                );
            }
            for i in &m.ignored {
                let _ = writeln!(
                    out,
                    "      <property name=\"ignored\" value=\"{}\"/>",
                    attr(&format!("{} ({}): {}", i.rule, i.source, i.reason))
                );
            }
            out.push_str("    </properties>\n");
        }
        let classname = format!("rehearse.{}", m.id);
        for (case, time, outcome) in cases {
            let open = format!(
                "    <testcase classname=\"{}\" name=\"{}\" time=\"{}\"",
                attr(&classname),
                attr(case),
                secs(*time)
            );
            match outcome {
                Outcome::Pass => {
                    let _ = writeln!(out, "{open}/>");
                }
                Outcome::Fail(msg) => {
                    let first = msg.lines().next().unwrap_or_default();
                    let _ = writeln!(
                        out,
                        "{open}>\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                        attr(first),
                        body(msg)
                    );
                }
                Outcome::Skip(msg) => {
                    let _ = writeln!(
                        out,
                        "{open}>\n      <skipped message=\"{}\"/>\n    </testcase>",
                        attr(msg)
                    );
                }
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

fn cases(m: &MigrationReport) -> Vec<(&'static str, f64, Outcome)> {
    // The findings about one promise, as the catalogue files them.
    let messages = |promise: Promise| -> String {
        m.findings
            .iter()
            .filter(|f| f.catalogued().map(FindingKind::promise) == Some(promise))
            .map(|f| match &f.advice {
                Some(a) => format!("{}\n{}", f.message, a),
                None => f.message.clone(),
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    if m.verdict == crate::report::Verdict::NotRun {
        // Never rehearsed: every promise is unknown, none broken.
        let why = or(messages(Promise::NotRun), "the migration was not rehearsed");
        return [
            "forward applies",
            "rollback applies",
            "rollback restores schema",
            "rollback preserves data",
            "gates",
        ]
        .into_iter()
        .map(|case| (case, 0.0, Outcome::Skip(why.clone())))
        .collect();
    }
    let forward = if m.forward.ok {
        Outcome::Pass
    } else {
        let msg = messages(Promise::Forward);
        Outcome::Fail(if msg.is_empty() {
            "the forward script did not apply".into()
        } else {
            msg
        })
    };

    let rollback_gate_failed = m
        .gates
        .iter()
        .any(|g| g.gate == "rollback" && g.status == GateStatus::Fail);
    let rollback = match &m.rollback {
        Some(r)
            if r.ok
                && !m
                    .findings
                    .iter()
                    .any(|f| f.is(FindingKind::RedoFailed) || f.is(FindingKind::RedoDiffers)) =>
        {
            Outcome::Pass
        }
        Some(_) => Outcome::Fail(or(
            messages(Promise::Rollback),
            "the rollback script did not apply",
        )),
        None if !m.forward.ok => Outcome::Skip("the forward script did not apply".into()),
        None if m.rollback_file.is_some() => Outcome::Skip("the rollback did not run".into()),
        None if m.irreversible && !rollback_gate_failed => {
            Outcome::Skip("the migration is marked irreversible and that was approved".into())
        }
        None => Outcome::Fail(or(
            messages(Promise::Rollback),
            "the migration has no rollback script",
        )),
    };
    let rollback_ms = m.rollback.as_ref().map(|r| r.duration_ms).unwrap_or(0.0);

    let all_accepted = !m.differences.is_empty() && m.differences.iter().all(|d| d.accepted);
    let schema = match m.schema_restored {
        Some(true) => Outcome::Pass,
        Some(false) if all_accepted => Outcome::Pass,
        Some(false) => Outcome::Fail(or(
            m.differences
                .iter()
                .map(|d| format!("{} {}: {}", d.kind, d.object, d.detail))
                .collect::<Vec<_>>()
                .join("\n"),
            "the schema after the rollback differs from the schema before the migration",
        )),
        None => match messages(Promise::Schema) {
            m if m.is_empty() => Outcome::Skip("the schema could not be compared".into()),
            m => Outcome::Fail(m),
        },
    };
    let data = match m.data_preserved {
        Some(true) => Outcome::Pass,
        Some(false) => Outcome::Fail(or(
            m.data_differences
                .iter()
                .map(|d| format!("{}: {}", d.object, d.detail))
                .collect::<Vec<_>>()
                .join("\n"),
            "the data after the rollback differs from the data before the migration",
        )),
        None => Outcome::Skip("the data could not be compared".into()),
    };
    let gates = if m.gates.is_empty() {
        Outcome::Skip("no gates were evaluated".into())
    } else {
        let failed: Vec<String> = m
            .gates
            .iter()
            .filter(|g| g.status == GateStatus::Fail)
            .map(|g| g.message.clone())
            .collect();
        if failed.is_empty() {
            Outcome::Pass
        } else {
            Outcome::Fail(failed.join("\n"))
        }
    };
    vec![
        ("forward applies", m.forward.duration_ms, forward),
        ("rollback applies", rollback_ms, rollback),
        ("rollback restores schema", 0.0, schema),
        ("rollback preserves data", 0.0, data),
        ("gates", 0.0, gates),
    ]
}

fn or(s: String, default: &str) -> String {
    if s.is_empty() {
        default.to_string()
    } else {
        s
    }
}

fn secs(ms: f64) -> String {
    format!("{:.3}", ms / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Direction, Finding, MigrationReport, Verdict};

    /// (tests, failures, skipped) of every `<testsuite` line, and of `<testsuites`.
    fn counts(xml: &str) -> (Vec<[usize; 3]>, [usize; 3]) {
        let attr = |line: &str, name: &str| -> usize {
            let start = line.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
            line[start..].split('"').next().unwrap().parse().unwrap()
        };
        let of = |line: &str| {
            [
                attr(line, "tests"),
                attr(line, "failures"),
                attr(line, "skipped"),
            ]
        };
        let suites = xml
            .lines()
            .filter(|l| l.trim_start().starts_with("<testsuite "))
            .map(of)
            .collect();
        let top = xml
            .lines()
            .find(|l| l.starts_with("<testsuites "))
            .map(of)
            .unwrap();
        (suites, top)
    }

    #[test]
    fn the_top_level_counts_are_the_sum_of_the_suites() {
        let report = Report {
            verdict: Verdict::Fail,
            findings: vec![Finding::new("baseline_failed", "V001 did not apply")],
            migrations: vec![
                MigrationReport {
                    id: "002".into(),
                    verdict: Verdict::Pass,
                    forward: Direction {
                        ok: true,
                        ..Default::default()
                    },
                    ..Default::default()
                },
                MigrationReport {
                    id: "003".into(),
                    verdict: Verdict::NotRun,
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let (suites, top) = counts(&render(&report));
        assert_eq!(
            suites.len(),
            3,
            "one suite for the run's finding, one per migration"
        );
        let sum = suites.iter().fold([0; 3], |acc, s| {
            [acc[0] + s[0], acc[1] + s[1], acc[2] + s[2]]
        });
        assert_eq!(top, sum);
        assert_eq!(top[1], 2, "the run's failure and the missing rollback");
    }
}
