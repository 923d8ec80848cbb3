//! What runs that are gone left behind (a SIGKILL, a machine that lost power, a CI runner that
//! was torn down): found by the mark each run puts on what it creates ([`super::ownership`]) and
//! removed, by every run before it starts and by `rehearse clean` on demand.
//!
//! It never touches what a live run holds, nor anything without a mark it can read (what older
//! versions made, or another machine's runs): a pid is only judged on the machine that gave it.

use super::{ownership, ConnectionInfo};
use std::path::Path;
use std::time::{Duration, Instant};

/// Removes the local provider's folders (and any server still running in one) of runs that are
/// gone, under `temp` (the system's temporary folder, where the local provider makes them).
pub fn reap_local_folders(temp: &Path) -> Vec<String> {
    let mut removed = Vec::new();
    let Ok(entries) = std::fs::read_dir(temp) else {
        return removed;
    };
    for entry in entries.flatten() {
        let folder = entry.path();
        let Some(owner) = ownership::local_folder_owner(&folder) else {
            continue;
        };
        if owner.is_alive() || !folder.is_dir() {
            continue;
        }
        let stopped = stop_server_in(&folder);
        if std::fs::remove_dir_all(&folder).is_ok() {
            removed.push(format!(
                "folder {}{} (run {} is gone)",
                folder.display(),
                if stopped { " and its server" } else { "" },
                owner.pid
            ));
        }
    }
    removed
}

/// Stops a server still running from `folder/data` (its parent-death signal should have done
/// it; this covers a server whose signal was lost). True when one was running.
fn stop_server_in(folder: &Path) -> bool {
    let data = folder.join("data");
    let Some(pid) = std::fs::read_to_string(data.join("postmaster.pid"))
        .ok()
        .and_then(|text| text.lines().next()?.trim().parse::<i32>().ok())
    else {
        return false;
    };
    // Only a process whose working folder is this data folder is that server.
    let is_it = |pid: i32| {
        std::fs::read_link(format!("/proc/{pid}/cwd"))
            .ok()
            .zip(std::fs::canonicalize(&data).ok())
            .is_some_and(|(cwd, data)| cwd == data)
    };
    if pid <= 0 || !is_it(pid) {
        return false;
    }
    // SAFETY: kill(2) on the postmaster identified above: immediate shutdown.
    unsafe { libc::kill(pid, libc::SIGQUIT) };
    let deadline = Instant::now() + Duration::from_secs(10);
    while is_it(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    if is_it(pid) {
        // SAFETY: as above.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    true
}

/// Drops the scratch and template databases of runs that are gone on the server of `admin`:
/// those whose name and `COMMENT ON DATABASE` mark both name a run of this machine that ended.
pub async fn reap_scratch_databases(admin: &ConnectionInfo) -> Result<Vec<String>, String> {
    let client = admin
        .connect()
        .await
        .map_err(|e| format!("could not connect to {}: {e}", admin.redacted()))?;
    wait_for_dead_runs_statements(&client).await;
    let rows = client
        .query(
            "SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database
             WHERE starts_with(datname, $1) ORDER BY datname DESC",
            &[&ownership::SCRATCH_PREFIX],
        )
        .await
        .map_err(|e| {
            format!(
                "could not list the databases of {}: {}",
                admin.redacted(),
                crate::server_text::of(&e)
            )
        })?;
    let mut removed = Vec::new();
    let comments: std::collections::HashMap<String, Option<String>> =
        rows.iter().map(|row| (row.get(0), row.get(1))).collect();
    // Templates sort after their database (DESC puts `_seeded` first): dropped first.
    for row in rows {
        let name: String = row.get(0);
        let comment: Option<String> = row.get(1);
        // The name alone proves nothing (anyone can name a database so): only the mark the run
        // wrote when it created the database makes it a run's to drop. A run killed while the
        // server copied its template (or its reset copy) leaves that copy without its mark, as
        // the copy finishes after the client is gone: the other database of the pair (scratch
        // and `_seeded`), marked, vouches for it.
        let partner = ownership::pair_partner(&name);
        let Some(owner) =
            ownership::marked_database_owner(&name, comment.as_deref()).or_else(|| {
                let partner_comment = comments.get(&partner)?.as_deref();
                ownership::marked_database_owner(&partner, partner_comment)
            })
        else {
            continue;
        };
        if owner.is_alive() {
            continue;
        }
        let quoted = format!("\"{}\"", name.replace('"', "\"\""));
        client
            .batch_execute(&format!("DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
            .await
            .map_err(|e| {
                format!(
                    "could not drop database {name} on {}: {}",
                    admin.redacted(),
                    crate::server_text::of(&e)
                )
            })?;
        removed.push(format!(
            "database {name} on {} (run {} is gone)",
            admin.redacted(),
            owner.pid
        ));
    }
    Ok(removed)
}

/// Waits (at most a minute) until no session still runs a statement naming a dead run's scratch
/// database: a killed run's `CREATE DATABASE ... TEMPLATE` goes on in the server after its client
/// is gone, and the database it creates appears only when it ends, after a listing would have
/// missed it.
async fn wait_for_dead_runs_statements(client: &tokio_postgres::Client) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::time::Instant::now() < deadline {
        let Ok(rows) = client
            .query(
                "SELECT query FROM pg_stat_activity
                 WHERE pid <> pg_backend_pid() AND state = 'active' AND strpos(query, $1) > 0",
                &[&ownership::SCRATCH_PREFIX],
            )
            .await
        else {
            return;
        };
        let busy = rows.iter().any(|row| {
            let query: &str = row.get(0);
            query
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .filter(|word| word.starts_with(ownership::SCRATCH_PREFIX))
                .filter_map(ownership::scratch_database_owner)
                .any(|owner| !owner.is_alive())
        });
        if !busy {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Says on stderr what was removed before a run.
pub fn tell(removed: &[String]) {
    for what in removed {
        crate::say!("rehearse: removed what an earlier run left: {what}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_of_dead_runs_go_and_live_or_unmarked_ones_stay() {
        let temp = tempfile::tempdir().unwrap();
        let mine = temp
            .path()
            .join(format!("rehearse-local-{}-aaaaaa", std::process::id()));
        let unmarked = temp.path().join("rehearse-local-AbCdEf");
        // A child that has exited and been reaped: its pid belongs to nobody (or to a process
        // with another start time, which the marker tells apart).
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead_pid = child.id();
        child.wait().unwrap();
        let dead = temp
            .path()
            .join(format!("rehearse-local-{dead_pid}-bbbbbb"));
        for f in [&mine, &unmarked, &dead] {
            std::fs::create_dir(f).unwrap();
        }
        std::fs::write(
            dead.join(ownership::MARKER_FILE),
            format!("{}:{dead_pid}:1\n", ownership::this_run().machine),
        )
        .unwrap();
        let removed = reap_local_folders(temp.path());
        assert_eq!(removed.len(), 1, "{removed:?}");
        assert!(!dead.exists());
        assert!(mine.exists() && unmarked.exists());
    }
}
