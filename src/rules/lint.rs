//! `rehearse lint`: the static rules on a migrations folder (read as `run` reads it), a scenario,
//! or SQL files, without a database; and its renderings (for people, JSON, SARIF, GitHub
//! workflow annotations). Reads files; never connects to anything.

use super::suppress::{self, Ignore};
use super::{Parsed, Rule, Schema};
use crate::migrations::{self, Format};
use crate::scenario::Scenario;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// One finding, located.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LintFinding {
    pub rule: String,
    pub file: String,
    pub line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relation: Option<String>,
    pub message: String,
    pub fix: String,
    /// The rule's page, relative to the repository root.
    pub page: String,
}

/// A finding an ignore silenced, with the ignore's reason and where it was written.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LintIgnored {
    pub rule: String,
    pub file: String,
    pub line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relation: Option<String>,
    pub message: String,
    pub reason: String,
    pub source: String,
}

/// Everything one lint found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LintReport {
    pub files: usize,
    pub statements: usize,
    pub findings: Vec<LintFinding>,
    pub ignored: Vec<LintIgnored>,
    /// Notes on how the folders were read (the format detected, files skipped).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// One script to lint.
struct Target {
    file: String,
    version: String,
    text: String,
    statements: Vec<(String, usize)>,
}

/// Lints `paths`: folders and scenarios are read with the migration discovery `run` uses
/// (`format` forces a convention), files one by one. Bad input (a path that does not exist, a
/// folder no convention reads, a file that does not parse, an ignore without a reason) is an
/// error naming the file and line.
pub fn lint(paths: &[PathBuf], format: Option<Format>) -> Result<LintReport, crate::Error> {
    let mut report = LintReport::default();
    let mut problems: Vec<String> = Vec::new();
    for path in paths {
        let (targets, run_ignores, source) = match targets(path, format, &mut report.notes) {
            Ok(t) => t,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        let mut schema = Schema::default();
        let mut run_ignores = run_ignores;
        for t in targets {
            match lint_target(&t, &mut schema, &mut run_ignores, &mut report) {
                Ok(()) => {}
                Err(e) => problems.push(e),
            }
        }
        for ig in run_ignores.iter().filter(|i| i.matched == 0) {
            push_unmatched(&mut report, ig, &source, 1);
        }
    }
    if !problems.is_empty() {
        return Err(crate::Error::Input(problems.join("\n")));
    }
    Ok(report)
}

/// The scripts of one path, the scenario's ignores, and the file those are written in.
fn targets(
    path: &Path,
    format: Option<Format>,
    notes: &mut Vec<String>,
) -> Result<(Vec<Target>, Vec<Ignore>, String), String> {
    if !path.exists() {
        return Err(format!("{}: no such file or folder", path.display()));
    }
    let is_sql = path.is_file() && path.extension().is_some_and(|e| e == "sql");
    if is_sql {
        let text = migrations::read_text(path).map_err(|e| e.to_string())?;
        let statements = migrations::split_statements(path, &text, 1).map_err(|e| e.to_string())?;
        let file = path.display().to_string();
        return Ok((
            vec![Target {
                version: migrations::file_name(path),
                statements: statements.into_iter().map(|s| (s.sql, s.line)).collect(),
                file,
                text,
            }],
            Vec::new(),
            String::new(),
        ));
    }
    let scenario = Scenario::load(path).map_err(|e| e.to_string())?;
    let ignores = scenario.rule_ignores()?;
    let source = scenario
        .file
        .as_ref()
        .map(|f| f.display().to_string())
        .unwrap_or_default();
    let set = migrations::discover_with(
        &scenario.migrations_dir,
        format.or(scenario.format),
        &scenario.template,
    )
        .map_err(|e| e.to_string())?;
    notes.push(format!(
        "{}: read as {}",
        scenario.migrations_dir.display(),
        set.format
    ));
    notes.extend(set.notes.iter().cloned());
    let mut out = Vec::new();
    for m in &set.migrations {
        let script = &m.forward;
        if let Some(e) = &script.parse_error {
            return Err(format!(
                "{}, line {}: {}",
                script.path.display(),
                e.line,
                crate::server_text::shorten(&e.message)
            ));
        }
        let text = migrations::read_text(&script.path).map_err(|e| e.to_string())?;
        out.push(Target {
            file: script.path.display().to_string(),
            version: m.version.as_str().to_string(),
            text,
            statements: script
                .statements
                .iter()
                .map(|s| (s.sql.clone(), s.line))
                .collect(),
        });
    }
    Ok((out, ignores, source))
}

fn lint_target(
    t: &Target,
    schema: &mut Schema,
    run_ignores: &mut [Ignore],
    report: &mut LintReport,
) -> Result<(), String> {
    let mut ignores = suppress::parse(&t.text, &t.file)?;
    let first = report.findings.len();
    let parsed = Parsed::new(t.statements.iter().map(|(s, l)| (s.as_str(), *l)), schema);
    report.files += 1;
    report.statements += t.statements.len();
    for (rule, hit) in super::check(&parsed) {
        let ignore = ignores
            .iter_mut()
            .chain(run_ignores.iter_mut())
            .find(|i| i.covers(rule.id, &t.file, &t.version, hit.line));
        match ignore {
            Some(ig) => {
                ig.matched += 1;
                report.ignored.push(LintIgnored {
                    rule: rule.id.to_string(),
                    file: t.file.clone(),
                    line: hit.line,
                    relation: hit.relation,
                    message: hit.message,
                    reason: ig.reason.clone(),
                    source: ig.source.clone(),
                });
            }
            None => {
                report
                    .findings
                    .push(finding(rule, &t.file, hit.line, hit.relation, hit.message))
            }
        }
    }
    for ig in ignores.iter().filter(|i| i.matched == 0) {
        push_unmatched(report, ig, &t.file, ig.line);
    }
    report.findings[first..].sort_by_key(|f| f.line);
    Ok(())
}

fn push_unmatched(report: &mut LintReport, ig: &Ignore, file: &str, line: usize) {
    report.findings.push(finding(
        &super::unmatched_ignore::RULE,
        file,
        line.max(1),
        None,
        ig.unmatched_message(),
    ));
}

fn finding(
    rule: &Rule,
    file: &str,
    line: usize,
    relation: Option<String>,
    message: String,
) -> LintFinding {
    LintFinding {
        rule: rule.id.to_string(),
        file: file.to_string(),
        line,
        relation,
        message,
        fix: rule.fix.to_string(),
        page: rule.page(),
    }
}

/// The output formats of `rehearse lint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// For people: one finding a paragraph, with the fix and the page.
    Human,
    Json,
    /// SARIF 2.1.0, for code-scanning uploads.
    Sarif,
    /// GitHub workflow commands (`::warning file=...,line=...::`): annotations on the diff.
    Github,
}

/// `report` in `format`.
pub fn render(report: &LintReport, format: OutputFormat) -> String {
    match format {
        OutputFormat::Human => human(report),
        OutputFormat::Json => serde_json::to_string_pretty(report).unwrap_or_default() + "\n",
        OutputFormat::Sarif => sarif(report),
        OutputFormat::Github => github(report),
    }
}

fn human(report: &LintReport) -> String {
    let mut out = String::new();
    for f in &report.findings {
        out.push_str(&format!(
            "{}:{}: {} {}\n",
            f.file, f.line, f.rule, f.message
        ));
        out.push_str(&format!("    fix: {}\n    see: {}\n", f.fix, f.page));
    }
    for i in &report.ignored {
        out.push_str(&format!(
            "{}:{}: ignored {} ({}): {}\n",
            i.file, i.line, i.rule, i.source, i.reason
        ));
    }
    out.push_str(&format!(
        "{} in {} ({}){}\n",
        crate::words::count(report.findings.len(), "finding"),
        crate::words::count(report.files, "file"),
        crate::words::count(report.statements, "statement"),
        if report.ignored.is_empty() {
            String::new()
        } else {
            format!(", {} ignored", report.ignored.len())
        }
    ));
    out
}

fn sarif(report: &LintReport) -> String {
    let rules: Vec<serde_json::Value> = super::RULES
        .iter()
        .map(|r| {
            serde_json::json!({
                "id": r.id,
                "shortDescription": { "text": r.summary },
                "fullDescription": { "text": r.why },
                "help": { "text": r.fix },
                "helpUri": r.page(),
            })
        })
        .collect();
    let results: Vec<serde_json::Value> = report
        .findings
        .iter()
        .map(|f| {
            serde_json::json!({
                "ruleId": f.rule,
                "level": "warning",
                "message": { "text": format!("{} Fix: {}", f.message, f.fix) },
                "locations": [{ "physicalLocation": {
                    "artifactLocation": { "uri": f.file.replace('\\', "/") },
                    "region": { "startLine": f.line }
                }}],
            })
        })
        .collect();
    let suppressed: Vec<serde_json::Value> = report
        .ignored
        .iter()
        .map(|i| {
            serde_json::json!({
                "ruleId": i.rule,
                "level": "warning",
                "message": { "text": i.message },
                "locations": [{ "physicalLocation": {
                    "artifactLocation": { "uri": i.file.replace('\\', "/") },
                    "region": { "startLine": i.line }
                }}],
                "suppressions": [{ "kind": "inSource", "justification": i.reason }],
            })
        })
        .collect();
    let all: Vec<serde_json::Value> = results.into_iter().chain(suppressed).collect();
    let doc = serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "rehearse",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": all,
        }],
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

/// GitHub's workflow-command escaping: the message's `%`, CR and LF; a property's `:` and `,`
/// too.
fn gh_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn gh_property(s: &str) -> String {
    gh_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn github(report: &LintReport) -> String {
    let mut out = String::new();
    for f in &report.findings {
        out.push_str(&format!(
            "::warning file={},line={},title={}::{}\n",
            gh_property(&f.file),
            f.line,
            gh_property(&f.rule),
            gh_data(&format!("{} Fix: {} See {}", f.message, f.fix, f.page))
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        dir
    }

    #[test]
    fn a_folder_is_read_as_run_reads_it_and_findings_name_file_line_and_relation() {
        let dir = folder(&[
            ("V1__create.sql", "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);\nCREATE INDEX orders_user_idx ON orders (user_id);\n"),
            ("V2__index.sql", "SET lock_timeout = '2s';\n\nCREATE INDEX orders_user2_idx ON orders (user_id);\n"),
        ]);
        let r = lint(&[dir.path().to_path_buf()], None).unwrap();
        assert_eq!(r.files, 2);
        let ids: Vec<(&str, &str, usize)> = r
            .findings
            .iter()
            .map(|f| (f.rule.as_str(), f.file.rsplit('/').next().unwrap(), f.line))
            .collect();
        // The index on the table V1 created is on a new table; V2's is on an existing one.
        assert!(
            ids.contains(&("require-concurrent-index", "V2__index.sql", 3)),
            "{ids:?}"
        );
        assert!(
            !ids.iter().any(|(_, f, _)| *f == "V1__create.sql"),
            "{ids:?}"
        );
        let f = r
            .findings
            .iter()
            .find(|f| f.rule == "require-concurrent-index")
            .unwrap();
        assert_eq!(f.relation.as_deref(), Some("public.orders"));
        assert_eq!(f.page, "docs/rules/require-concurrent-index.md");
    }

    #[test]
    fn ignores_silence_with_their_reason_and_an_unmatched_ignore_is_a_finding() {
        let dir = folder(&[(
            "V1__x.sql",
            "SET lock_timeout = '2s'; SET statement_timeout = '5min';\n-- rehearse:ignore require-concurrent-index reason=\"orders has 40 rows\"\nCREATE INDEX i ON orders (x);\n-- rehearse:ignore drop-table reason=\"stale\"\nCREATE INDEX CONCURRENTLY j ON orders (y);\n",
        )]);
        let r = lint(&[dir.path().to_path_buf()], None).unwrap();
        assert_eq!(r.ignored.len(), 1);
        assert_eq!(r.ignored[0].reason, "orders has 40 rows");
        assert_eq!(r.ignored[0].line, 3);
        let rules: Vec<&str> = r.findings.iter().map(|f| f.rule.as_str()).collect();
        assert_eq!(rules, ["unmatched-ignore"], "{:?}", r.findings);
        assert_eq!(r.findings[0].line, 4);
    }

    #[test]
    fn the_scenario_ignores_every_migration_with_its_reason() {
        let dir = folder(&[("rehearse.toml", "[rules]\nignore = [{ rule = \"prefer-identity\", reason = \"ids stay serial until v3\" }, { rule = \"drop-table\", reason = \"none yet\" }]\n")]);
        std::fs::create_dir(dir.path().join("migrations")).unwrap();
        std::fs::write(
            dir.path().join("migrations/V1__t.sql"),
            "CREATE TABLE t (id serial, n bigint);\n",
        )
        .unwrap();
        let r = lint(&[dir.path().to_path_buf()], None).unwrap();
        assert_eq!(r.ignored.len(), 1, "{r:?}");
        assert!(r.ignored[0].source.ends_with("rehearse.toml, [rules]"));
        let unmatched: Vec<&LintFinding> = r
            .findings
            .iter()
            .filter(|f| f.rule == "unmatched-ignore")
            .collect();
        assert_eq!(unmatched.len(), 1);
        assert!(
            unmatched[0].message.contains("drop-table"),
            "{}",
            unmatched[0].message
        );
    }

    #[test]
    fn github_annotations_escape_what_the_format_reserves() {
        let r = LintReport {
            findings: vec![LintFinding {
                rule: "drop-table".into(),
                file: "db/V1,a:b.sql".into(),
                line: 3,
                relation: None,
                message: "50% gone\nreally".into(),
                fix: "f".into(),
                page: "docs/rules/drop-table.md".into(),
            }],
            ..Default::default()
        };
        assert_eq!(
            github(&r),
            "::warning file=db/V1%2Ca%3Ab.sql,line=3,title=drop-table::50%25 gone%0Areally Fix: f See docs/rules/drop-table.md\n"
        );
    }

    #[test]
    fn a_file_that_does_not_parse_is_bad_input_naming_its_line() {
        let dir = folder(&[("V1__x.sql", "SELECT 1;\nALTER TABLE t ADDD COLUMN x int;\n")]);
        let err = lint(&[dir.path().to_path_buf()], None).unwrap_err();
        assert_eq!(err.exit_code(), crate::ExitCode::BadInput);
        assert!(err.to_string().contains("V1__x.sql, line 2"), "{err}");
    }
}
