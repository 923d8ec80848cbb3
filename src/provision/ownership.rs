//! Which run made what: every container, local folder and scratch database a run creates carries
//! the run's mark (this machine, the process id, and the process's start time), so that what a
//! killed run left behind can be told from what a live run still uses.
//!
//! Only the identity and its text forms live here; the providers apply the mark and
//! [`super::leftovers`] removes what belongs to runs that are gone. This module never removes
//! anything, and never calls a process dead unless it is sure: a mark from another machine, or
//! one it cannot read, is alive.

use std::sync::OnceLock;

/// The run that made something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    /// Short id of the machine (from /etc/machine-id, else the host name): pids mean something
    /// only on the machine that gave them.
    pub machine: String,
    pub pid: u32,
    /// The process's start time in clock ticks since boot (/proc/PID/stat field 22); 0 when
    /// unknown. Tells a reused pid from the run that had it.
    pub started: u64,
}

/// This process.
pub fn this_run() -> &'static Owner {
    static OWNER: OnceLock<Owner> = OnceLock::new();
    OWNER.get_or_init(|| {
        let pid = std::process::id();
        Owner {
            machine: machine_id(),
            pid,
            started: start_time(pid).unwrap_or(0),
        }
    })
}

/// Eight hex digits naming this machine: from `REHEARSE_MACHINE_ID` when set, else
/// `/etc/machine-id` or the host name. The variable is for CI jobs in containers that share one
/// Docker daemon and one machine-id: pids are their own, so without distinct ids a run in one job
/// would take another job's live run for gone and remove its container.
pub fn machine_id() -> String {
    let source = std::env::var("REHEARSE_MACHINE_ID")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .or_else(|| std::fs::read_to_string("/etc/machine-id").ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .unwrap_or_default();
    // FNV-1a: stable across builds and platforms, unlike the standard hasher.
    let mut hash: u32 = 0x811c_9dc5;
    for b in source.trim().bytes() {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    format!("{hash:08x}")
}

/// The start time of process `pid` (clock ticks since boot), if it runs.
pub fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count after the last ')'.
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(19)?.parse().ok()
}

impl Owner {
    /// True unless this machine can tell that the run has ended: its pid is gone, or is now
    /// another process (a different start time).
    pub fn is_alive(&self) -> bool {
        if self.machine != this_run().machine {
            return true;
        }
        match start_time(self.pid) {
            None => !std::path::Path::new("/proc/self").exists(),
            Some(started) => self.started == 0 || started == self.started,
        }
    }

    /// `machine:pid:started`, for a label or a marker file.
    pub fn to_mark(&self) -> String {
        format!("{}:{}:{}", self.machine, self.pid, self.started)
    }

    pub fn from_mark(mark: &str) -> Option<Owner> {
        let mut parts = mark.trim().split(':');
        let machine = parts.next()?.to_string();
        let pid = parts.next()?.parse().ok()?;
        let started = parts.next()?.parse().ok()?;
        (parts.next().is_none() && !machine.is_empty()).then_some(Owner {
            machine,
            pid,
            started,
        })
    }
}

/// The prefix of every scratch database; the template of one adds [`TEMPLATE_SUFFIX`].
pub const SCRATCH_PREFIX: &str = "rehearse_scratch_";
pub const TEMPLATE_SUFFIX: &str = "_seeded";

/// A new scratch database name carrying this run's machine and pid:
/// `rehearse_scratch_<machine>_<pid>_<random>` (at most 42 characters, so that the template's
/// `_seeded` stays within PostgreSQL's 63).
pub fn scratch_database_name() -> String {
    let owner = this_run();
    format!(
        "{SCRATCH_PREFIX}{}_{}_{:08x}",
        owner.machine,
        owner.pid,
        rand::random::<u32>()
    )
}

/// The run a scratch (or template) database name belongs to; None for names without one
/// (written by older versions), which are never taken for a dead run's.
pub fn scratch_database_owner(name: &str) -> Option<Owner> {
    let rest = name.strip_prefix(SCRATCH_PREFIX)?;
    let rest = rest.strip_suffix(TEMPLATE_SUFFIX).unwrap_or(rest);
    let mut parts = rest.split('_');
    let machine = parts.next()?;
    let pid = parts.next()?.parse().ok()?;
    let random = parts.next()?;
    let valid = machine.len() == 8
        && machine.bytes().all(|b| b.is_ascii_hexdigit())
        && random.len() == 8
        && random.bytes().all(|b| b.is_ascii_hexdigit())
        && parts.next().is_none();
    // No start time in a name: a reused pid keeps the database until that process ends too.
    valid.then(|| Owner {
        machine: machine.to_string(),
        pid,
        started: 0,
    })
}

/// The words that start the comment a run writes on every database it creates
/// (`COMMENT ON DATABASE ... IS 'rehearse run machine:pid:started'`): `clean --url` and the
/// reaper drop only databases that carry it, never a database by its name alone.
pub const DATABASE_MARK_PREFIX: &str = "rehearse run ";

/// The comment that marks a database as this run's.
pub fn database_mark() -> String {
    format!("{DATABASE_MARK_PREFIX}{}", this_run().to_mark())
}

/// Marks the database `name` (just created by this run) as this run's.
pub async fn mark_database(
    client: &tokio_postgres::Client,
    name: &str,
) -> Result<(), tokio_postgres::Error> {
    client
        .batch_execute(&format!(
            "COMMENT ON DATABASE {} IS {}",
            crate::identifier::quote(name),
            crate::identifier::literal(&database_mark())
        ))
        .await
}

/// The run a scratch database belongs to: its name and its comment must both name it (the
/// same machine and pid). None for a database without the comment, whatever its name.
pub fn marked_database_owner(name: &str, comment: Option<&str>) -> Option<Owner> {
    let by_name = scratch_database_owner(name)?;
    let by_mark = Owner::from_mark(comment?.strip_prefix(DATABASE_MARK_PREFIX)?)?;
    (by_mark.machine == by_name.machine && by_mark.pid == by_name.pid).then_some(by_mark)
}

/// The other database of a scratch pair: `<scratch>_seeded` for `<scratch>`, and back.
pub fn pair_partner(name: &str) -> String {
    match name.strip_suffix(TEMPLATE_SUFFIX) {
        Some(scratch) => scratch.to_string(),
        None => format!("{name}{TEMPLATE_SUFFIX}"),
    }
}

/// The prefix of the local provider's folders: `rehearse-local-<pid>-<random>`.
pub const LOCAL_FOLDER_PREFIX: &str = "rehearse-local-";
/// The file in a local folder that holds its run's mark.
pub const MARKER_FILE: &str = "rehearse.owner";

/// The prefix for this run's local folders (the pid is in the name from the first moment, the
/// marker file adds the start time).
pub fn local_folder_prefix() -> String {
    format!("{LOCAL_FOLDER_PREFIX}{}-", this_run().pid)
}

/// The run a local folder belongs to: its marker file, else the pid in its name. None for
/// folders of older versions (no pid in the name).
pub fn local_folder_owner(folder: &std::path::Path) -> Option<Owner> {
    let name = folder.file_name()?.to_str()?;
    let rest = name.strip_prefix(LOCAL_FOLDER_PREFIX)?;
    let (pid, random) = rest.split_once('-')?;
    let pid: u32 = pid.parse().ok()?;
    if random.is_empty() {
        return None;
    }
    if let Some(owner) = std::fs::read_to_string(folder.join(MARKER_FILE))
        .ok()
        .and_then(|text| Owner::from_mark(&text))
    {
        return (owner.pid == pid).then_some(owner);
    }
    Some(Owner {
        machine: this_run().machine.clone(),
        pid,
        started: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_reused_pid_is_not_its_run() {
        let me = this_run().clone();
        assert!(me.is_alive());
        assert!(me.started > 0);
        let reused = Owner {
            started: me.started + 1,
            ..me.clone()
        };
        assert!(!reused.is_alive());
        let elsewhere = Owner {
            machine: "00000000".into(),
            pid: u32::MAX - 1,
            started: 1,
        };
        assert!(
            elsewhere.is_alive(),
            "another machine's pids are not ours to judge"
        );
    }

    #[test]
    fn marks_round_trip() {
        let me = this_run();
        assert_eq!(Owner::from_mark(&me.to_mark()).as_ref(), Some(me));
        assert_eq!(Owner::from_mark("x:1"), None);
        assert_eq!(Owner::from_mark("x:1:2:3"), None);
    }

    #[test]
    fn scratch_names_carry_their_run_and_fit_postgresql() {
        let name = scratch_database_name();
        assert!(name.len() + TEMPLATE_SUFFIX.len() <= 63, "{name}");
        let owner = scratch_database_owner(&name).unwrap();
        assert_eq!(owner.pid, std::process::id());
        assert_eq!(owner.machine, this_run().machine);
        let template = format!("{name}{TEMPLATE_SUFFIX}");
        assert_eq!(scratch_database_owner(&template), Some(owner));
        // Names of older versions carry no run: never taken for a dead one's.
        assert_eq!(
            scratch_database_owner("rehearse_scratch_0123456789abcdef"),
            None
        );
        assert_eq!(scratch_database_owner("rehearse_scratch_x_1_2"), None);
    }

    #[test]
    fn a_database_is_a_runs_only_when_its_comment_says_so() {
        let name = scratch_database_name();
        let mark = database_mark();
        assert_eq!(
            marked_database_owner(&name, Some(&mark)).as_ref(),
            Some(this_run())
        );
        assert_eq!(marked_database_owner(&name, None), None);
        assert_eq!(
            marked_database_owner(&name, Some("production ledger")),
            None
        );
        // A mark copied onto a database whose name names another run is not that run's.
        let other = format!("{SCRATCH_PREFIX}{}_1_0000abcd", this_run().machine);
        assert_eq!(marked_database_owner(&other, Some(&mark)), None);
        assert_eq!(marked_database_owner("app_prod", Some(&mark)), None);
    }

    #[test]
    fn local_folders_without_a_pid_belong_to_nobody() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("rehearse-local-AbC123");
        std::fs::create_dir(&old).unwrap();
        assert_eq!(local_folder_owner(&old), None);
        let new = dir.path().join("rehearse-local-42-AbC123");
        std::fs::create_dir(&new).unwrap();
        assert_eq!(local_folder_owner(&new).unwrap().pid, 42);
        std::fs::write(new.join(MARKER_FILE), "abcd0123:42:777\n").unwrap();
        assert_eq!(local_folder_owner(&new).unwrap().started, 777);
    }
}
