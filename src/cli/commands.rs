//! What each command does with its arguments: load, call the library, print, and turn the result
//! into an exit code. The pipeline and every measure live in the library below; a command only
//! wires them to the terminal, and never decides a verdict itself.

use super::args::*;
use crate::gate;
use crate::pipeline::{self, Outcome};
use crate::report::{self, Verdict};
use crate::scenario::{Overrides, Scenario};
use crate::{compare, render};
use crate::{Error, ExitCode};
use std::path::PathBuf;

/// Writes to stdout; a reader that went away (`rehearse diff A B | head -3`) ends the output
/// quietly instead of panicking, and the run still cleans up and exits with its own code.
/// Everything passes through [`crate::redact::redact`], as `say!` does on stderr.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let text = crate::redact::redact(&format!($($arg)*));
        let _ = write!(std::io::stdout().lock(), "{text}");
    }};
}

macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let text = crate::redact::redact(&format!($($arg)*));
        let _ = writeln!(std::io::stdout().lock(), "{text}");
    }};
}

/// Runs one command to its exit code; errors are said on stderr in one sentence.
pub async fn command(command: Command) -> ExitCode {
    match command {
        Command::Run(args) => run(*args).await,
        Command::Snapshot(args) => report_error(write_snapshot(args).await),
        Command::Diff(args) => report_error(diff(args).await),
        Command::Compare(args) => compare(args),
        Command::Profile(args) => report_error(write_profile(args).await),
        Command::Lint(args) => lint(args),
        Command::Rules(args) => rules(args),
        Command::Render(args) => render(args),
        Command::Merge(args) => merge(args),
        Command::Clean(args) => clean(args).await,
    }
}

fn lint(args: LintArgs) -> ExitCode {
    match crate::rules::lint::lint(&args.paths, args.migrations_format) {
        Ok(report) => {
            out!("{}", crate::rules::lint::render(&report, args.format));
            if report.findings.is_empty() {
                ExitCode::Pass
            } else {
                ExitCode::Fail
            }
        }
        Err(e) => {
            crate::say!("rehearse: {e}");
            e.exit_code()
        }
    }
}

fn rules(args: RulesArgs) -> ExitCode {
    use crate::rules::{docs, RULES};
    if let Some(dir) = &args.write_docs {
        return match docs::write(dir) {
            Ok(n) => {
                outln!("{n} pages written to {}", dir.display());
                ExitCode::Pass
            }
            Err(e) => {
                crate::say!(
                    "rehearse: could not write the pages into {}: {e}",
                    dir.display()
                );
                ExitCode::Environment
            }
        };
    }
    for r in RULES {
        outln!(
            "{:<34} {:<10} {}",
            r.id,
            if !r.in_lint() {
                "run only"
            } else if r.size_aware() {
                "size-aware"
            } else {
                ""
            },
            r.summary
        );
    }
    ExitCode::Pass
}

fn merge(args: MergeArgs) -> ExitCode {
    if let Err(e) = render::prepare_out_dir(&args.out) {
        crate::say!("rehearse: {e}");
        return ExitCode::BadInput;
    }
    let mut shards = Vec::new();
    for path in &args.reports {
        let file = if path.is_dir() {
            path.join("report.json")
        } else {
            path.clone()
        };
        match report::read_json(&file) {
            Ok(r) => shards.push((file.display().to_string(), r)),
            Err(e) => {
                crate::say!("rehearse: {e}");
                return ExitCode::BadInput;
            }
        }
    }
    let merged = match crate::merge::merge(shards) {
        Ok(r) => r,
        Err(e) => {
            crate::say!("rehearse: {e}");
            return ExitCode::BadInput;
        }
    };
    let style = if args.pretty {
        report::JsonStyle::Pretty
    } else {
        report::JsonStyle::Compact
    };
    match render::write_all_styled(&merged, &args.out, style) {
        Ok(w) => {
            out!("{}", report::redact(&render::summary::render(&merged)));
            outln!(
                "reports: {} (also report.md, report.html, junit.xml)",
                w.json.display()
            );
            if merged.verdict == Verdict::Pass {
                ExitCode::Pass
            } else {
                ExitCode::Fail
            }
        }
        Err(e) => {
            crate::say!(
                "rehearse: could not write the reports into {}: {e}",
                args.out.display()
            );
            ExitCode::Environment
        }
    }
}

fn render(args: RenderArgs) -> ExitCode {
    if let Err(e) = render::prepare_out_dir(&args.out) {
        crate::say!("rehearse: {e}");
        return ExitCode::BadInput;
    }
    let report = match report::read_json(&args.report) {
        Ok(r) => r,
        Err(e) => {
            crate::say!("rehearse: {e}");
            return ExitCode::BadInput;
        }
    };
    let style = if args.pretty {
        report::JsonStyle::Pretty
    } else {
        report::JsonStyle::Compact
    };
    match render::write_all_styled(&report, &args.out, style) {
        Ok(w) => {
            outln!(
                "reports: {}, {}, {}, {}",
                w.json.display(),
                w.markdown.display(),
                w.html.display(),
                w.junit.display()
            );
            ExitCode::Pass
        }
        Err(e) => {
            crate::say!(
                "rehearse: could not write the reports into {}: {e}",
                args.out.display()
            );
            ExitCode::Environment
        }
    }
}

fn compare(args: CompareArgs) -> ExitCode {
    let (old, new) = match (report::read_json(&args.old), report::read_json(&args.new)) {
        (Ok(o), Ok(n)) => (o, n),
        (Err(e), _) | (_, Err(e)) => {
            crate::say!("rehearse: {e}");
            return ExitCode::BadInput;
        }
    };
    let comparison = compare::compare(&old, &new);
    if args.markdown {
        out!("{}", render::compare::render_markdown(&comparison));
    } else {
        out!("{}", render::compare::render_text(&comparison));
    }
    if args.fail_on_regression && comparison.regressions() > 0 {
        ExitCode::Fail
    } else {
        ExitCode::Pass
    }
}

async fn clean(args: CleanArgs) -> ExitCode {
    use crate::provision::{docker, leftovers, url};
    let mut removed = leftovers::reap_local_folders(&std::env::temp_dir());
    let mut code = ExitCode::Pass;
    match docker::reap_dead_runs().await {
        Ok(containers) => removed.extend(containers),
        Err(why) => crate::say!("rehearse: containers not checked: {why}"),
    }
    if let Some(target) = &args.url {
        let outcome = match url::parse(target) {
            Ok(target) => leftovers::reap_scratch_databases(&target).await,
            Err(e) => Err(e.to_string()),
        };
        match outcome {
            Ok(databases) => removed.extend(databases),
            Err(why) => {
                crate::say!("rehearse: {}", report::redact(&why));
                code = ExitCode::Environment;
            }
        }
    }
    for what in &removed {
        outln!("removed {what}");
    }
    if removed.is_empty() {
        outln!("nothing to remove: no run that is gone left anything behind");
    }
    code
}

pub async fn run(args: RunArgs) -> ExitCode {
    match try_run(args).await {
        Ok(code) => code,
        Err(e) => {
            crate::say!("rehearse: {}", report::redact(&e.to_string()));
            e.exit_code()
        }
    }
}

fn report_error(result: Result<ExitCode, Error>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(e) => {
            crate::say!("rehearse: {}", report::redact(&e.to_string()));
            e.exit_code()
        }
    }
}

async fn write_snapshot(args: SnapshotArgs) -> Result<ExitCode, Error> {
    let snapshot = crate::snapshot::source::from_url(&args.url).await?;
    snapshot
        .save(&args.out)
        .map_err(|e| Error::Input(format!("could not write {}: {e}", args.out.display())))?;
    crate::say!(
        "rehearse: {} objects of {} written to {}",
        snapshot.object_count(),
        report::redact(&args.url),
        args.out.display()
    );
    Ok(ExitCode::Pass)
}

async fn write_profile(args: ProfileArgs) -> Result<ExitCode, Error> {
    let request = crate::profile::ProfileRequest {
        url: args.url,
        schemas: if args.schemas.is_empty() {
            vec!["public".into()]
        } else {
            args.schemas
        },
        values: crate::profile::fit::ValuePolicy {
            text: args.include_values,
            numbers: !args.no_values,
        },
    };
    if let Some(file) = &args.compare {
        let checks = crate::profile::compare_with(&request, file, args.scale).await?;
        let mut out = String::new();
        for c in &checks {
            out.push_str(&c.line());
            out.push('\n');
        }
        let failed = checks.iter().filter(|c| !c.ok).count();
        out.push_str(&format!(
            "{} of {} checks within tolerance against {}\n",
            checks.len() - failed,
            checks.len(),
            file.display()
        ));
        out!("{}", report::redact(&out));
        return Ok(if failed == 0 {
            ExitCode::Pass
        } else {
            ExitCode::Fail
        });
    }
    let out = args.out.unwrap_or_else(|| PathBuf::from("profile.toml"));
    let text = crate::profile::profile(&request).await?;
    std::fs::write(&out, crate::redact::redact(&text))
        .map_err(|e| Error::Input(format!("could not write {}: {e}", out.display())))?;
    crate::say!(
        "rehearse: profile of {} ({} tables) written to {}",
        report::redact(&request.url),
        text.matches("\nrows = ").count(),
        out.display()
    );
    Ok(ExitCode::Pass)
}

async fn diff(args: DiffArgs) -> Result<ExitCode, Error> {
    let before = crate::snapshot::source::load(&args.before).await?;
    let after = crate::snapshot::source::load(&args.after).await?;
    let differences = crate::snapshot::diff(&before, &after);
    let mut out = String::new();
    for d in &differences {
        out.push_str(&format!("{} {}: {}\n", d.kind, d.object, d.detail));
        if let Some(b) = &d.before {
            out.push_str(&format!("    before: {b}\n"));
        }
        if let Some(a) = &d.after {
            out.push_str(&format!("    after:  {a}\n"));
        }
        if let Some(f) = &d.fix {
            out.push_str(&format!("    fix:    {f}\n"));
        }
    }
    out!("{}", report::redact(&out));
    let (b, a) = (report::redact(&args.before), report::redact(&args.after));
    if differences.is_empty() {
        outln!("no difference between {b} and {a}");
        Ok(ExitCode::Pass)
    } else {
        outln!(
            "{} between {b} and {a}",
            crate::words::count(differences.len(), "difference")
        );
        Ok(ExitCode::Fail)
    }
}

async fn try_run(args: RunArgs) -> Result<ExitCode, Error> {
    let mut scenario = Scenario::load(&args.path)?;
    let dataset = match &args.dataset {
        Some(file) if crate::input::check(file).is_err() => {
            let why = crate::input::check(file).unwrap_err();
            return Err(Error::Input(format!("--dataset {}: {why}", file.display())));
        }
        Some(file) => Some(std::path::absolute(file).unwrap_or_else(|_| file.clone())),
        None => None,
    };
    let notes = scenario.apply(Overrides {
        format: args.format,
        provider: args.provider,
        image: args.image,
        pg_version: args.pg_version,
        url: args.url,
        allow_non_disposable: args.allow_non_disposable,
        baseline: args.baseline,
        scale: args.scale,
        seed: args.seed,
        rows: args.rows,
        no_seed: args.no_seed,
        dataset,
        clone: args.clone,
        clone_jobs: args.clone_jobs.map(usize::from),
        in_transaction: args.in_transaction,
        data_dir: args
            .data_dir
            .map(|d| std::path::absolute(&d).unwrap_or(d)),
        predict: args.predict,
        template: args.template,
    })?;
    for note in &notes {
        crate::say!("rehearse: note: {note}");
    }

    let gates = gate::GateOverrides {
        max_duration_ms: args.gates.max_duration,
        max_lock_hold: args.gates.max_lock_hold,
        max_blocked_ms: args.gates.max_blocked,
        allow_missing_rollback: args.gates.allow_missing_rollback,
        approvals_file: args.gates.approvals,
    };
    let options = pipeline::RunOptions {
        json: if args.pretty {
            report::JsonStyle::Pretty
        } else {
            report::JsonStyle::Compact
        },
        timeout: args.timeout,
        prove_fixes: args.prove_fixes,
        since: args.since,
        cache_dir: args.cache,
        cache_max: args.cache_max,
        shard: args.shard,
    };
    match pipeline::run(&scenario, &args.out, &gates, &options).await? {
        // The exit code is the signal's, set by `main`.
        Outcome::Interrupted => Ok(ExitCode::Fail),
        Outcome::TimedOut { what, json } => {
            crate::say!(
                "rehearse: timed out: {what}{}",
                json.map(|j| format!("; partial report: {}", j.display()))
                    .unwrap_or_default()
            );
            Ok(ExitCode::Fail)
        }
        Outcome::Finished { report, json } => {
            out!("{}", report::redact(&render::summary::render(&report)));
            outln!(
                "reports: {} (also report.md, report.html, junit.xml)",
                json.display()
            );
            Ok(if report.verdict == Verdict::Pass {
                ExitCode::Pass
            } else {
                ExitCode::Fail
            })
        }
    }
}
