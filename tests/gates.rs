//! Gates: each threshold judged on a fixed report (pure), and destructive and irreversible
//! migrations rehearsed end to end by the real binary on a local PostgreSQL.

mod common;

use common::*;
use rehearse::gate::{self, Approvals, GateConfig};
use rehearse::report::{
    Direction, GateStatus, LockReport, MigrationReport, Report, StatementReport, StatementWorkload,
    Verdict, WorkloadReport,
};

/// One passing migration: a forward that holds an AccessExclusiveLock for `held_ms` and lasts
/// `forward_ms`, a rollback, and a workload blocked for `blocked_ms` at most.
fn report(forward_ms: f64, held_ms: f64, blocked_ms: Option<f64>) -> Report {
    let statement = StatementReport {
        sql: "ALTER TABLE users ADD COLUMN status text".into(),
        line: 1,
        duration_ms: forward_ms,
        ok: true,
        transactional: true,
        locks: vec![LockReport {
            relation: "public.users".into(),
            mode: "AccessExclusiveLock".into(),
            held_ms,
            ..Default::default()
        }],
        ..Default::default()
    };
    let forward = Direction {
        ok: true,
        duration_ms: forward_ms,
        statements: vec![statement],
        workload: blocked_ms.map(|b| WorkloadReport {
            clients: 2,
            totals: StatementWorkload {
                queries: 10,
                blocked_count: 1,
                blocked_total_ms: b,
                blocked_longest_ms: b,
                ..Default::default()
            },
            ..Default::default()
        }),
        ..Default::default()
    };
    let rollback = Direction {
        ok: true,
        duration_ms: 1.0,
        ..Default::default()
    };
    Report {
        schema_version: 1,
        verdict: Verdict::Pass,
        migrations: vec![MigrationReport {
            id: "002".into(),
            name: "add_status".into(),
            verdict: Verdict::Pass,
            file: "V002__add_status.sql".into(),
            rollback_file: Some("V002__add_status_rollback.sql".into()),
            forward,
            rollback: Some(rollback),
            schema_restored: Some(true),
            data_preserved: Some(true),
            ..Default::default()
        }],
        ..Default::default()
    }
}

fn gate<'a>(r: &'a Report, name: &str) -> &'a rehearse::report::GateResult {
    r.migrations[0]
        .gates
        .iter()
        .find(|g| g.gate == name)
        .unwrap_or_else(|| panic!("no {name} gate in {:?}", r.migrations[0].gates))
}

fn judge(r: &Report, config: &GateConfig) -> Report {
    gate::evaluate(r, config, &Approvals::default())
}

#[test]
fn max_duration_passes_within_and_fails_over_the_limit() {
    let config = GateConfig {
        max_duration_ms: Some(1000.0),
        ..Default::default()
    };
    let ok = judge(&report(999.0, 1.0, None), &config);
    assert_eq!(gate(&ok, "max_duration").status, GateStatus::Pass);
    assert_eq!(ok.verdict, Verdict::Pass);

    let slow = judge(&report(1500.0, 1.0, None), &config);
    let g = gate(&slow, "max_duration");
    assert_eq!(g.status, GateStatus::Fail);
    assert!(
        g.message.contains("1.50 s") && g.message.contains("1.00 s"),
        "{}",
        g.message
    );
    assert_eq!(slow.verdict, Verdict::Fail);
    let f = &slow.migrations[0].findings[0];
    assert_eq!(f.kind, "gate_max_duration");
    assert!(f.advice.is_some());
}

#[test]
fn max_lock_hold_is_judged_per_lock_mode() {
    let mut config = GateConfig::default();
    config
        .set_lock_limit("AccessExclusiveLock", 2000.0)
        .unwrap();
    config.set_lock_limit("ShareLock", 10.0).unwrap();

    let ok = judge(&report(10.0, 1999.0, None), &config);
    assert_eq!(ok.verdict, Verdict::Pass, "{:?}", ok.migrations[0].findings);
    let holds: Vec<_> = ok.migrations[0]
        .gates
        .iter()
        .filter(|g| g.gate == "max_lock_hold")
        .collect();
    assert_eq!(holds.len(), 2);
    // No ShareLock was taken: that limit holds trivially.
    assert!(holds.iter().any(|g| g.message.starts_with("no ShareLock")));

    let long = judge(&report(10.0, 2500.0, None), &config);
    assert_eq!(long.verdict, Verdict::Fail);
    let g = long.migrations[0]
        .gates
        .iter()
        .find(|g| g.gate == "max_lock_hold" && g.status == GateStatus::Fail)
        .unwrap();
    assert!(
        g.message
            .contains("AccessExclusiveLock on public.users was held 2.50 s"),
        "{}",
        g.message
    );
    assert_eq!(g.actual_ms, Some(2500.0));
}

#[test]
fn max_blocked_fails_when_a_workload_query_waited_too_long() {
    let config = GateConfig {
        max_blocked_ms: Some(500.0),
        ..Default::default()
    };
    assert_eq!(
        gate(
            &judge(&report(10.0, 1.0, Some(100.0)), &config),
            "max_blocked"
        )
        .status,
        GateStatus::Pass
    );
    let blocked = judge(&report(10.0, 1.0, Some(800.0)), &config);
    assert_eq!(gate(&blocked, "max_blocked").status, GateStatus::Fail);
    assert_eq!(blocked.verdict, Verdict::Fail);
    assert_eq!(
        gate(&judge(&report(10.0, 1.0, None), &config), "max_blocked").status,
        GateStatus::NotMeasured
    );
}

#[test]
fn every_migration_needs_a_rollback_unless_the_gate_is_off() {
    let mut r = report(10.0, 1.0, None);
    r.migrations[0].rollback_file = None;
    r.migrations[0].rollback = None;
    let judged = judge(&r, &GateConfig::default());
    assert_eq!(gate(&judged, "rollback").status, GateStatus::Fail);
    assert_eq!(judged.verdict, Verdict::Fail);

    let relaxed = judge(
        &r,
        &GateConfig {
            require_rollback: false,
            ..Default::default()
        },
    );
    assert_eq!(gate(&relaxed, "rollback").status, GateStatus::Pass);
    assert_eq!(relaxed.verdict, Verdict::Pass);
}

#[test]
fn a_destructive_change_is_confirmed_by_the_measured_data_loss() {
    let mut r = report(10.0, 1.0, None);
    r.migrations[0].forward.statements[0].sql = "ALTER TABLE users DROP COLUMN legacy_name".into();
    r.migrations[0].data_preserved = Some(false);
    r.migrations[0].data_differences = vec![rehearse::report::DataDifference {
        object: "public.users.legacy_name".into(),
        detail: "all values lost".into(),
    }];
    let judged = judge(&r, &GateConfig::default());
    let d = &judged.migrations[0].destructive_changes[0];
    assert_eq!(d.kind, "drop_column");
    assert_eq!(d.object, "public.users.legacy_name");
    assert_eq!(d.confirmed_by.len(), 1, "{:?}", d.confirmed_by);
    assert!(d.approval.is_none());
    let kinds: Vec<_> = judged.migrations[0]
        .findings
        .iter()
        .map(|f| f.kind.as_str())
        .collect();
    assert!(
        kinds.contains(&"gate_destructive") && kinds.contains(&"data_not_preserved"),
        "{kinds:?}"
    );
}

#[test]
fn data_lost_by_an_approved_destructive_change_does_not_fail_but_other_loss_does() {
    let mut r = report(10.0, 1.0, None);
    r.migrations[0].forward.statements[0].sql = "ALTER TABLE users DROP COLUMN legacy_name".into();
    r.migrations[0].data_preserved = Some(false);
    let lost = |object: &str| rehearse::report::DataDifference {
        object: object.into(),
        detail: "values lost".into(),
    };
    r.migrations[0].data_differences = vec![lost("public.users.legacy_name")];
    r.migrations[0].findings = vec![rehearse::report::Finding::new(
        "data_not_preserved",
        "the rollback does not preserve the data".to_string(),
    )];
    let mut approvals = Approvals::default();
    approvals.insert(
        &r.migrations[0].id,
        rehearse::gate::Declarations {
            destructive: Some(rehearse::report::Approval {
                by: "Ana".into(),
                reason: "unused since 2024".into(),
                source: "approvals.toml".into(),
            }),
            ..Default::default()
        },
    );
    let judged = gate::evaluate(&r, &GateConfig::default(), &approvals);
    let m = &judged.migrations[0];
    assert_eq!(
        m.verdict,
        rehearse::report::Verdict::Pass,
        "{:?}",
        m.findings
    );
    assert_eq!(m.data_preserved, Some(false), "the loss is still reported");
    assert_eq!(m.destructive_changes[0].confirmed_by.len(), 1);

    // Without the approval, or with data lost in a column the change does not drop, it fails.
    let unapproved = judge(&r, &GateConfig::default());
    assert_eq!(
        unapproved.migrations[0].verdict,
        rehearse::report::Verdict::Fail
    );
    r.migrations[0]
        .data_differences
        .push(lost("public.users.legacy_names_backup"));
    let judged = gate::evaluate(&r, &GateConfig::default(), &approvals);
    let kinds: Vec<_> = judged.migrations[0]
        .findings
        .iter()
        .map(|f| f.kind.as_str())
        .collect();
    assert_eq!(kinds, vec!["data_not_preserved"]);
}

// End to end: the binary, a local PostgreSQL, exit codes and what the reports list.

#[test]
fn unapproved_destructive_change_fails_with_exit_1_and_is_listed() {
    let run = rehearse_local(&fixture("gates/destructive"), &[]);
    assert_eq!(
        run.code, 1,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let report = run.report();
    let m = &report["migrations"][1];
    assert_eq!(m["verdict"], "fail");
    assert_eq!(m["destructive_changes"][0]["kind"], "drop_column");
    assert_eq!(
        m["destructive_changes"][0]["object"],
        "public.users.legacy_name"
    );
    assert_eq!(m["destructive_changes"][0]["line"], 2);
    assert!(m["destructive_changes"][0]["approval"].is_null());
    let md = std::fs::read_to_string(run.out.path().join("report.md")).unwrap();
    assert!(md.contains("### Needs approval"), "{md}");
    assert!(
        md.contains("drop column of public.users.legacy\\_name"),
        "{md}"
    );
    assert!(
        run.stdout.contains("needs approval") || run.stdout.contains("need approval"),
        "{}",
        run.stdout
    );
    // The table the first migration creates and its rollback drops is not a destructive change.
    assert_eq!(
        report["migrations"][0]["verdict"], "pass",
        "{}",
        report["migrations"][0]
    );
}

#[test]
fn the_same_change_approved_in_the_migration_file_passes() {
    let run = rehearse_local(&fixture("gates/destructive_annotated"), &[]);
    assert_eq!(
        run.code, 0,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let approval = &run.report()["migrations"][1]["destructive_changes"][0]["approval"];
    assert_eq!(approval["by"], "Ana Lima");
    assert_eq!(approval["source"], "V002__drop_legacy_name.sql, line 1");
}

#[test]
fn the_same_change_approved_in_an_approvals_file_passes() {
    let approvals = fixture("gates/approvals_destructive.toml");
    let run = rehearse_local(
        &fixture("gates/destructive"),
        &["--approvals", approvals.to_str().unwrap()],
    );
    assert_eq!(
        run.code, 0,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let approval = &run.report()["migrations"][1]["destructive_changes"][0]["approval"];
    assert_eq!(approval["by"], "Ana Lima");
}

#[test]
fn an_irreversible_migration_without_approval_fails() {
    let run = rehearse_local(&fixture("gates/irreversible"), &[]);
    assert_eq!(
        run.code, 1,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let m = &run.report()["migrations"][1];
    assert_eq!(m["irreversible"], true);
    assert_eq!(m["verdict"], "fail");
    let rollback = m["gates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["gate"] == "rollback")
        .unwrap();
    assert_eq!(rollback["status"], "fail");
    assert!(
        rollback["message"]
            .as_str()
            .unwrap()
            .contains("nobody approved"),
        "{rollback}"
    );
}

#[test]
fn an_irreversible_migration_approved_passes_without_a_rollback() {
    let approvals = fixture("gates/approvals_irreversible.toml");
    let run = rehearse_local(
        &fixture("gates/irreversible"),
        &["--approvals", approvals.to_str().unwrap()],
    );
    assert_eq!(
        run.code, 0,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let report = run.report();
    let m = &report["migrations"][1];
    assert_eq!(m["verdict"], "pass");
    assert!(m["rollback"].is_null());
    let junit = std::fs::read_to_string(run.out.path().join("junit.xml")).unwrap();
    assert!(
        junit.contains("marked irreversible and that was approved"),
        "{junit}"
    );
}

#[test]
fn max_duration_flag_fails_a_run_that_takes_longer() {
    let path = fixture("gates/destructive_annotated");
    let strict = rehearse_local(&path, &["--max-duration", "0ms"]);
    assert_eq!(strict.code, 1, "stderr: {}", strict.stderr);
    assert_eq!(strict.report()["gates"]["max_duration_ms"], 0.0);
    let lenient = rehearse_local(&path, &["--max-duration", "10min"]);
    assert_eq!(lenient.code, 0, "stderr: {}", lenient.stderr);
}

#[test]
fn a_malformed_approval_is_bad_input_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    for f in [
        "V001__create_users.sql",
        "V001__create_users_rollback.sql",
        "V002__drop_legacy_name_rollback.sql",
    ] {
        std::fs::copy(fixture("gates/destructive").join(f), dir.path().join(f)).unwrap();
    }
    std::fs::write(
        dir.path().join("V002__drop_legacy_name.sql"),
        "-- rehearse:approve destructive by=\"Ana\"\nALTER TABLE users DROP COLUMN legacy_name;\n",
    )
    .unwrap();
    let run = rehearse_local(dir.path(), &[]);
    assert_eq!(run.code, 2, "stderr: {}", run.stderr);
    assert!(
        run.stderr.contains("V002__drop_legacy_name.sql, line 1"),
        "{}",
        run.stderr
    );
}

#[test]
fn max_lock_hold_flag_judges_the_measured_hold_per_mode() {
    let path = fixture("gates/destructive_annotated");
    let strict = rehearse_local(&path, &["--max-lock-hold", "AccessExclusiveLock=0ms"]);
    assert_eq!(strict.code, 1, "stderr: {}", strict.stderr);
    let report = strict.report();
    let gate = report["migrations"][1]["gates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["gate"] == "max_lock_hold")
        .cloned()
        .unwrap();
    assert_eq!(gate["status"], "fail", "{gate}");
    assert!(
        gate["message"]
            .as_str()
            .unwrap()
            .contains("AccessExclusiveLock on public.users was held"),
        "{gate}"
    );
    let lenient = rehearse_local(&path, &["--max-lock-hold", "AccessExclusiveLock=10min"]);
    assert_eq!(lenient.code, 0, "stderr: {}", lenient.stderr);
    let bad = rehearse_local(&path, &["--max-lock-hold", "ExclusiveLok=1s"]);
    assert_eq!(bad.code, 2, "stderr: {}", bad.stderr);
    assert!(
        bad.stderr.contains("ExclusiveLok is not a table lock mode"),
        "{}",
        bad.stderr
    );
}
