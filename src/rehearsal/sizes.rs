//! `--predict`'s smaller seeded sizes, measured on the run's own server before the run seeds
//! its full size: the state after the baseline is kept once as a template, and for each smaller
//! size the rows are seeded on it, every rehearsed migration's forward is run under the probe,
//! its rollback unmeasured and its forward again under the probe (the second measurement is the
//! machine's noise), and the database is put back from the template for the next size.
//!
//! What it never does: provision a server or replay the baseline again (both are the run's,
//! once), snapshot, sign data, compare or judge (the run at the full size does that for the
//! report; these passes only measure). Its reports hold only what [`crate::predict`] reads.

use super::{connect, label, Progress};
use crate::migrations::{Migration, MigrationSet};
use crate::probe::{self, Probe, Step};
use crate::provision::{Database, ProviderKind};
use crate::report::{MigrationReport, Report};
use crate::seed::Template;
use crate::Error;
use std::time::Instant;

/// Measures `rehearsed` at each of `fractions` of the seeded rows, smallest first, on
/// `database` in its state after the baseline (nobody connected). Leaves the database in that
/// state again. A size whose seeding fails ends the passes (the prediction then says it had too
/// few sizes); a migration whose forward fails ends that size's pass, as it would the run.
pub(super) async fn measure(
    database: &Database,
    settings: &super::Settings,
    set: &MigrationSet,
    rehearsed: &[Migration],
    fractions: &[f64],
    progress: &dyn Progress,
) -> Result<Vec<Report>, Error> {
    if fractions.is_empty() || rehearsed.is_empty() {
        return Ok(Vec::new());
    }
    let drop_on_exit = matches!(database.kind, ProviderKind::Url | ProviderKind::Command);
    let base = Template::create_as(
        &database.connection,
        &format!("{}_predict", database.connection.dbname),
        drop_on_exit,
    )
    .await
    .map_err(|e| Error::Environment(format!("--predict: {e}")))?;
    let probe = Probe::new(database.connection.clone(), settings.probe.clone());
    let mut reports = Vec::new();
    for fraction in fractions {
        let started = Instant::now();
        let client = connect(database, settings.init_sql.as_deref()).await?;
        let pass = at_size(
            database, client, settings, set, rehearsed, *fraction, &probe, progress,
        )
        .await;
        probe.close_sessions();
        let reset = base.reset().await;
        match pass {
            Ok(report) => {
                progress.step(&format!(
                    "--predict: measured at {:.0}% of the seeded rows ({}) in {:.1}s",
                    fraction * 100.0,
                    crate::words::count(report.seed.as_ref().map_or(0, |s| s.rows) as usize, "row"),
                    started.elapsed().as_secs_f64()
                ));
                reports.push(report);
            }
            Err(e) => {
                progress.step(&format!(
                    "--predict: the pass at {:.0}% of the seeded rows stopped: {e}",
                    fraction * 100.0
                ));
                reset.map_err(Error::Environment)?;
                break;
            }
        }
        reset.map_err(Error::Environment)?;
    }
    let _ = base.drop_database(&base.name).await;
    Ok(reports)
}

/// One smaller size: seed points as the run has them, each migration forward, back unmeasured,
/// and forward again.
#[allow(clippy::too_many_arguments)]
async fn at_size(
    database: &Database,
    client: tokio_postgres::Client,
    settings: &super::Settings,
    set: &MigrationSet,
    rehearsed: &[Migration],
    fraction: f64,
    probe: &Probe,
    progress: &dyn Progress,
) -> Result<Report, Error> {
    let mut request = settings.seed.clone();
    request.plan.scale *= fraction;
    let mut seeding = super::seeding::SeedPoints::new(request, false, settings.init_sql.as_deref());
    seeding.leave_alone(set.bookkeeping.iter().map(|b| b.table.clone()));
    let (mut client, _) = seeding
        .seed(
            database,
            client,
            0,
            rehearsed.first(),
            &super::QuietProgress,
        )
        .await?;
    let mut tables = probe::table_sizes(&client).await.unwrap_or_default();
    let mut migrations = Vec::new();
    for (index, migration) in rehearsed.iter().enumerate() {
        if index > 0 {
            let (reconnected, seeded) = seeding
                .seed(
                    database,
                    client,
                    index,
                    Some(migration),
                    &super::QuietProgress,
                )
                .await?;
            client = reconnected;
            if seeded.is_some() {
                let fresh = probe::table_sizes(&client).await.unwrap_or_default();
                super::seeding::merge_sizes(&mut tables, fresh);
            }
        }
        let doing = format!(
            "--predict: {:.0}% of the seeded rows: {} {}",
            fraction * 100.0,
            migration.version,
            migration.name
        );
        progress.running(&doing);
        let beats = super::progress::Beats { progress, doing };
        let file = label(set, &migration.forward.path);
        let forward = probe
            .run_beating(
                &client,
                &migration.forward,
                &file,
                Step::Forward,
                Some(&beats),
            )
            .await;
        if let Some(what) = probe::environment_failure(std::iter::once(&forward)) {
            return Err(Error::Environment(what));
        }
        let mut report = MigrationReport {
            id: migration.version.to_string(),
            name: migration.name.clone(),
            file: file.clone(),
            ..Default::default()
        };
        let ok = forward.ok;
        report.forward = forward;
        if ok {
            if let Some(rollback) = &migration.rollback {
                let back = probe::run_script(&client, rollback, &label(set, &rollback.path)).await;
                if back.ok {
                    let again = probe
                        .run_beating(&client, &migration.forward, &file, Step::Redo, Some(&beats))
                        .await;
                    report.redo = Some(again);
                }
            }
        }
        let applied = report.forward.ok && report.redo.as_ref().is_none_or(|r| r.ok);
        migrations.push(report);
        if !applied {
            break;
        }
    }
    seeding.declare_production(&mut tables);
    Ok(Report {
        migrations,
        seed: seeding.report(),
        tables,
        ..Default::default()
    })
}
