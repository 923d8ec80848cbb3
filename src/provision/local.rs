//! The local provider: `initdb` and `postgres` from this machine, in a temporary folder, on a free
//! port, with a private socket folder. Run as root, the server runs as an unprivileged user
//! (`postgres` when it exists, else `nobody`), because PostgreSQL refuses to run as root.

use super::{
    cleanup, ownership, wait_until_ready, ConnectionInfo, Database, DatabaseRequest, ProviderKind,
    ProvisionError,
};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The folder holding `initdb`, `postgres` and `pg_ctl` for the requested major version.
pub fn find_bindir(major: Option<u32>) -> Result<PathBuf, ProvisionError> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if let Ok(real) = std::fs::canonicalize(dir.join("initdb")) {
                if let Some(parent) = real.parent() {
                    candidates.push(parent.to_path_buf());
                }
            }
        }
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        if out.status.success() {
            candidates.push(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
        }
    }
    let mut distro: Vec<(u32, PathBuf)> = Vec::new();
    for root in ["/usr/lib/postgresql", "/usr/pgsql"] {
        if let Ok(entries) = std::fs::read_dir(root) {
            for e in entries.flatten() {
                if let Ok(v) = e.file_name().to_string_lossy().parse::<u32>() {
                    distro.push((v, e.path().join("bin")));
                }
            }
        }
    }
    distro.sort_by_key(|d| std::cmp::Reverse(d.0));
    candidates.extend(distro.into_iter().map(|(_, p)| p));
    candidates.retain(|dir| dir.join("initdb").is_file() && dir.join("postgres").is_file());

    let mut seen = Vec::new();
    for dir in candidates {
        if seen.contains(&dir) {
            continue;
        }
        seen.push(dir.clone());
        match major {
            None => return Ok(dir),
            Some(m) if binary_major(&dir) == Some(m) => return Ok(dir),
            Some(_) => {}
        }
    }
    Err(ProvisionError::Unavailable(match major {
        Some(m) if !seen.is_empty() => format!(
            "no PostgreSQL {m} binaries were found (found {}); install postgresql-{m} or choose another version",
            seen.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", ")
        ),
        _ => "no PostgreSQL binaries were found: initdb is not on PATH, pg_config --bindir gave nothing, and /usr/lib/postgresql is empty; install the postgresql package".to_string(),
    }))
}

fn binary_major(bindir: &Path) -> Option<u32> {
    let out = Command::new(bindir.join("postgres"))
        .arg("--version")
        .output()
        .ok()?;
    // "postgres (PostgreSQL) 15.18 (Debian ...)"
    let text = String::from_utf8_lossy(&out.stdout);
    let version = text.split_whitespace().nth(2)?;
    version.split('.').next()?.parse().ok()
}

/// The user the server runs as: ourselves, or an unprivileged account when we are root.
struct ServerUser {
    uid: u32,
    gid: u32,
    name: String,
}

fn server_user() -> Result<Option<ServerUser>, ProvisionError> {
    // SAFETY: getuid has no preconditions.
    if unsafe { libc::getuid() } != 0 {
        return Ok(None);
    }
    for name in ["postgres", "nobody"] {
        let cname = std::ffi::CString::new(name).unwrap();
        // SAFETY: getpwnam returns a pointer into static storage or null; we copy out at once.
        let pw = unsafe { libc::getpwnam(cname.as_ptr()) };
        if !pw.is_null() {
            let (uid, gid) = unsafe { ((*pw).pw_uid, (*pw).pw_gid) };
            return Ok(Some(ServerUser {
                uid,
                gid,
                name: name.to_string(),
            }));
        }
    }
    Err(ProvisionError::Unavailable(
        "running as root, and neither a 'postgres' nor a 'nobody' user exists to run the server as"
            .into(),
    ))
}

fn as_user(cmd: &mut Command, user: &Option<ServerUser>) {
    if let Some(u) = user {
        cmd.uid(u.uid).gid(u.gid);
        cmd.env("HOME", "/tmp").env("USER", &u.name);
    }
}

fn chown(path: &Path, user: &Option<ServerUser>) -> std::io::Result<()> {
    if let Some(u) = user {
        std::os::unix::fs::chown(path, Some(u.uid), Some(u.gid))?;
    }
    Ok(())
}

fn free_port() -> Result<u16, ProvisionError> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| {
        ProvisionError::Failed(format!("could not find a free TCP port on 127.0.0.1: {e}"))
    })?;
    Ok(listener
        .local_addr()
        .map_err(|e| ProvisionError::Failed(e.to_string()))?
        .port())
}

/// Starts a private server. `reason` says why the local provider was chosen.
///
/// Everything it creates is released on every path, a signal included: the folder is registered
/// for removal the moment it exists (and carries this run's mark, for `rehearse clean` after a
/// SIGKILL), `initdb` runs in a process group of its own that is killed if the start-up is
/// abandoned, and `initdb` and the server die with this process whatever ends it.
pub async fn start(request: &DatabaseRequest, reason: String) -> Result<Database, ProvisionError> {
    start_from(request, reason, None).await
}

/// [`start`], with the data folder copied from `data` (a cached seeded state: a plain
/// `pg_basebackup`, which the server recovers from at start-up) instead of made by `initdb`.
pub async fn start_from(
    request: &DatabaseRequest,
    reason: String,
    data_from: Option<&Path>,
) -> Result<Database, ProvisionError> {
    let bindir = find_bindir(request.major)?;
    let user = server_user()?;
    let prefix = ownership::local_folder_prefix();
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix);
    let folder = match &request.data_dir {
        Some(dir) => builder.tempdir_in(super::file_copy::data_dir(dir)?).map_err(|e| {
            ProvisionError::Refused(format!(
                "--data-dir {} cannot hold the server's data folder: {e}",
                dir.display()
            ))
        })?,
        None => builder.tempdir().map_err(|e| {
            ProvisionError::Failed(format!("could not create a temporary folder: {e}"))
        })?,
    }
    .keep();
    let root_path = folder.clone();
    let folder_guard = cleanup::register(move || {
        let _ = std::fs::remove_dir_all(&root_path);
    });
    let root = folder.as_path();
    std::fs::write(
        root.join(ownership::MARKER_FILE),
        format!("{}\n", ownership::this_run().to_mark()),
    )
    .map_err(|e| ProvisionError::Failed(format!("could not mark {}: {e}", root.display())))?;
    let data = root.join("data");
    let sockets = root.join("sockets");
    std::fs::create_dir(&sockets).map_err(|e| ProvisionError::Failed(e.to_string()))?;
    let log = root.join("server.log");
    std::fs::File::create(&log).map_err(|e| ProvisionError::Failed(e.to_string()))?;
    for p in [root, sockets.as_path(), log.as_path()] {
        chown(p, &user).map_err(|e| {
            ProvisionError::Failed(format!(
                "could not hand {} to the server user: {e}",
                p.display()
            ))
        })?;
    }
    std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o700)).ok();

    if let Some(source) = data_from {
        copy_data_folder(source, &data, &user)?;
    } else {
        run_initdb(&bindir, &data, &user).await?;
    }
    let database = start_server(request, reason, bindir, folder_guard, data, sockets, log).await?;
    let client = database.connection.connect_or_unavailable().await?;
    let file_copy = super::file_copy::apply(&client, Some(&folder)).await;
    Ok(database.with_file_copy(file_copy))
}

/// Copies a cached data folder into place for the server user (a reflink where the filesystem
/// can, else a copy), with the mode PostgreSQL insists on.
fn copy_data_folder(
    source: &Path,
    data: &Path,
    user: &Option<ServerUser>,
) -> Result<(), ProvisionError> {
    let status = Command::new("cp")
        .args(["-a", "--reflink=auto"])
        .arg(source)
        .arg(data)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| ProvisionError::Failed(format!("could not run cp: {e}")))?;
    if !status.status.success() {
        return Err(ProvisionError::Failed(format!(
            "could not copy the cached state {} into {}: {}",
            source.display(),
            data.display(),
            String::from_utf8_lossy(&status.stderr).trim()
        )));
    }
    if let Some(u) = user {
        let owned = Command::new("chown")
            .arg("-R")
            .arg(format!("{}:{}", u.uid, u.gid))
            .arg(data)
            .status()
            .map_err(|e| ProvisionError::Failed(format!("could not run chown: {e}")))?;
        if !owned.success() {
            return Err(ProvisionError::Failed(format!(
                "could not hand {} to the server user",
                data.display()
            )));
        }
    }
    std::fs::set_permissions(data, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| ProvisionError::Failed(format!("could not set the mode of {}: {e}", data.display())))?;
    Ok(())
}

/// Brings a data folder copied from a running server (a `pg_basebackup`) to a clean shutdown:
/// a server started on it recovers once, here, with fsync off (the copy is a cache entry, not a
/// database anyone keeps), and stops with a checkpoint. A server later started on a copy of it
/// then starts at once, with no recovery and no flush of every file first.
pub fn settle_data_folder(bindir: &Path, data: &Path) -> Result<(), String> {
    let user = server_user().map_err(|e| e.to_string())?;
    if let Some(u) = &user {
        let owned = Command::new("chown")
            .arg("-R")
            .arg(format!("{}:{}", u.uid, u.gid))
            .arg(data)
            .status()
            .map_err(|e| format!("could not run chown: {e}"))?;
        if !owned.success() {
            return Err(format!("could not hand {} to the server user", data.display()));
        }
    }
    std::fs::set_permissions(data, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| format!("could not set the mode of {}: {e}", data.display()))?;
    // A socket folder of its own with a short path: the entry's own path may pass the 107
    // bytes a unix socket's path may have.
    let sockets = tempfile::Builder::new()
        .prefix("rehearse-settle-")
        .tempdir()
        .map_err(|e| format!("could not create a socket folder: {e}"))?;
    chown(sockets.path(), &user).map_err(|e| format!("could not hand the socket folder to the server user: {e}"))?;
    let socket = sockets.path().display().to_string();
    for action in ["start", "stop"] {
        let mut pg_ctl = Command::new(bindir.join("pg_ctl"));
        pg_ctl.arg("-D").arg(data).args(["-w", "-t", "300", "-m", "fast"]);
        if action == "start" {
            // The server's output goes to a log inside the folder (the server user can write
            // there), never to our pipe, which the server would hold open.
            pg_ctl.arg("-l").arg(data.join("settle.log")).arg("-o").arg(format!(
                "-c listen_addresses='' -c fsync=off -c unix_socket_directories='{socket}' -p 5432"
            ));
        }
        pg_ctl
            .arg(action)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        as_user(&mut pg_ctl, &user);
        let out = pg_ctl
            .output()
            .map_err(|e| format!("could not run pg_ctl {action}: {e}"))?;
        if !out.status.success() {
            let log = std::fs::read_to_string(data.join("settle.log")).unwrap_or_default();
            return Err(format!(
                "pg_ctl {action} on the copied state failed: {}; server: {}",
                String::from_utf8_lossy(&out.stderr).trim().replace('\n', " "),
                server_complaint(&log)
            ));
        }
    }
    let _ = std::fs::remove_file(data.join("settle.log"));
    Ok(())
}

/// The server's identity for the cache key: `postgres --version` of `bindir`, in full.
pub fn server_identity(bindir: &Path) -> String {
    Command::new(bindir.join("postgres"))
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

async fn run_initdb(
    bindir: &Path,
    data: &Path,
    user: &Option<ServerUser>,
) -> Result<(), ProvisionError> {
    let mut initdb = Command::new(bindir.join("initdb"));
    initdb
        .arg("-D")
        .arg(&data)
        .args([
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        // Its own group, so that abandoning it stops the single-user backends it runs too.
        .process_group(0);
    as_user(&mut initdb, user);
    let initdb = Tied::spawn(initdb, libc::SIGKILL, libc::SIGKILL).map_err(|e| {
        ProvisionError::Unavailable(format!(
            "could not run {}: {e}",
            bindir.join("initdb").display()
        ))
    })?;
    let status = initdb.wait().await;
    if !status.success() {
        let stderr = initdb.stderr();
        return Err(ProvisionError::Failed(format!(
            "initdb failed: {}",
            stderr.trim()
        )));
    }
    drop(initdb);
    Ok(())
}

async fn start_server(
    request: &DatabaseRequest,
    reason: String,
    bindir: PathBuf,
    folder_guard: cleanup::CleanupGuard,
    data: PathBuf,
    sockets: PathBuf,
    log: PathBuf,
) -> Result<Database, ProvisionError> {
    let user = server_user()?;
    let mut last_error = String::new();
    for _attempt in 0..3 {
        let port = free_port()?;
        let mut postgres = Command::new(bindir.join("postgres"));
        postgres
            .arg("-D")
            .arg(&data)
            .arg("-p")
            .arg(port.to_string())
            .arg("-k")
            .arg(&sockets)
            .args(["-c", "listen_addresses=127.0.0.1"]);
        for (name, value) in &request.settings {
            postgres.arg("-c").arg(format!("{name}={value}"));
        }
        let logfile = std::fs::OpenOptions::new()
            .append(true)
            .open(&log)
            .map_err(|e| ProvisionError::Failed(e.to_string()))?;
        postgres
            .stdin(Stdio::null())
            .stdout(
                logfile
                    .try_clone()
                    .map_err(|e| ProvisionError::Failed(e.to_string()))?,
            )
            .stderr(logfile)
            // Its own process group: a terminal's Ctrl-C reaches us, and we shut the server down in order.
            .process_group(0);
        as_user(&mut postgres, &user);
        // SIGQUIT when this process dies: the postmaster's immediate shutdown, which takes its
        // backends with it. And when the run is done with it: its folder is removed next, so a
        // fast shutdown's checkpoint (which fsyncs every file written since the last one: the
        // template's copy, a restored cache entry) would only cost time.
        let server = Tied::spawn(postgres, libc::SIGQUIT, libc::SIGQUIT).map_err(|e| {
            ProvisionError::Unavailable(format!(
                "could not start {}: {e}",
                bindir.join("postgres").display()
            ))
        })?;
        let connection = ConnectionInfo {
            host: "127.0.0.1".into(),
            port,
            user: "postgres".into(),
            password: None,
            dbname: "postgres".into(),
            parameters: Vec::new(),
            tls: super::tls::Tls::disabled(),
        };
        let outcome = tokio::select! {
            ready = wait_until_ready(&connection, Duration::from_secs(60)) => ready,
            status = server.wait() => {
                // A bad setting, a port taken meanwhile: the server said why in its log.
                let log_text = std::fs::read_to_string(&log).unwrap_or_default();
                let said = server_complaint(&log_text);
                if !is_port_clash(&log_text) {
                    return Err(ProvisionError::Failed(format!(
                        "the local PostgreSQL server exited before it answered ({status}): {said}"
                    )));
                }
                Err(said)
            }
        };
        match outcome {
            Ok(version) => {
                // The server goes before its folder (actions run newest first, and the folder's
                // action was registered first).
                let mut database = Database::new(
                    ProviderKind::Local,
                    connection,
                    version,
                    reason,
                    Box::new(OwnedServer {
                        server: Some(server),
                        folder: Some(folder_guard),
                    }),
                );
                database.server_log = Some(log);
                return Ok(database);
            }
            Err(e) => {
                drop(server);
                let log_text = std::fs::read_to_string(&log).unwrap_or_default();
                last_error = format!(
                    "{e}; server log: {}",
                    log_text
                        .lines()
                        .rev()
                        .take(5)
                        .collect::<Vec<_>>()
                        .into_iter()
                        .rev()
                        .collect::<Vec<_>>()
                        .join(" | ")
                );
                if !is_port_clash(&log_text) {
                    break;
                }
            }
        }
    }
    Err(ProvisionError::Failed(format!(
        "the local PostgreSQL server did not start: {last_error}"
    )))
}

/// What the server and its folder are, held by the [`Database`]: dropped, the server stops
/// first, then the folder goes.
struct OwnedServer {
    server: Option<Tied>,
    folder: Option<cleanup::CleanupGuard>,
}

impl Drop for OwnedServer {
    fn drop(&mut self) {
        drop(self.server.take());
        drop(self.folder.take());
    }
}

fn is_port_clash(log: &str) -> bool {
    log.contains("could not bind") || log.contains("Address already in use")
}

/// The server's own sentence on why it stopped: its last FATAL (or PANIC, or ERROR) line without
/// the timestamp and severity prefix, else its last line.
pub fn server_complaint(log: &str) -> String {
    let lines: Vec<&str> = log
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let pick = ["FATAL:", "PANIC:", "ERROR:"].iter().find_map(|severity| {
        lines
            .iter()
            .rev()
            .find(|l| l.contains(severity))
            .map(|l| (l, *severity))
    });
    match pick {
        Some((line, severity)) => {
            let at = line.find(severity).unwrap_or(0) + severity.len();
            line[at..].trim().to_string()
        }
        None => lines
            .last()
            .map(|l| l.to_string())
            .unwrap_or_else(|| "its log is empty".into()),
    }
}

/// A child process tied to this one: the kernel sends it `signal` when this process dies (even
/// by SIGKILL), and dropping the value stops it (the whole process group when it leads one).
struct Tied {
    child: Arc<Mutex<Option<Child>>>,
    guard: Option<cleanup::CleanupGuard>,
}

impl Tied {
    /// Spawns `cmd` with `death_signal` as its parent-death signal, and registers its stop:
    /// `stop` first (SIGKILL goes to the whole process group `cmd` leads).
    fn spawn(cmd: Command, death_signal: i32, stop_signal: i32) -> std::io::Result<Tied> {
        let child = spawn_from_lasting_thread(cmd, death_signal)?;
        let child = Arc::new(Mutex::new(Some(child)));
        let held = child.clone();
        let guard = cleanup::register(move || stop(&held, stop_signal));
        Ok(Tied {
            child,
            guard: Some(guard),
        })
    }

    /// Waits until the process exits (polling: the value stays droppable, which stops it).
    async fn wait(&self) -> std::process::ExitStatus {
        loop {
            {
                let mut slot = self.child.lock().unwrap_or_else(|e| e.into_inner());
                match slot.as_mut().map(|c| c.try_wait()) {
                    Some(Ok(Some(status))) => return status,
                    Some(Ok(None)) => {}
                    // Gone or unwaitable: nothing more will come.
                    _ => return std::process::ExitStatus::default(),
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// What the process wrote to its piped stderr (after it exited).
    fn stderr(&self) -> String {
        use std::io::Read;
        let mut text = String::new();
        if let Some(err) = self
            .child
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_mut()
            .and_then(|c| c.stderr.as_mut())
        {
            let _ = err.read_to_string(&mut text);
        }
        text
    }
}

impl Drop for Tied {
    fn drop(&mut self) {
        // The guard's action stops the process.
        self.guard.take();
    }
}

/// `signal` (SIGQUIT: a server's immediate shutdown; SIGKILL: to the whole group, for a tool such as
/// initdb), then SIGKILL if it has not gone within 15 seconds; then reaps it.
fn stop(child: &Mutex<Option<Child>>, signal: i32) {
    let Some(mut child) = child.lock().unwrap_or_else(|e| e.into_inner()).take() else {
        return;
    };
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    let pid = child.id() as i32;
    // SAFETY: kill(2) on our own child (and the group it leads: it was started with
    // process_group(0)), which has not been reaped, so the pid is still ours.
    unsafe {
        if signal == libc::SIGKILL {
            libc::kill(-pid, libc::SIGKILL);
        } else {
            libc::kill(pid, signal);
        }
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                break;
            }
        }
    }
    // Whatever the group still holds (initdb's backends) goes too.
    // SAFETY: as above; a group with no members left makes this a no-op (ESRCH).
    unsafe {
        libc::kill(-pid, libc::SIGKILL);
    }
}

/// Spawns `cmd` from a thread that lasts as long as the process, with `signal` as the child's
/// parent-death signal. The kernel sends it when the thread that forked ends, so the fork must
/// not happen on a pool thread that may retire while the server runs.
fn spawn_from_lasting_thread(mut cmd: Command, signal: i32) -> std::io::Result<Child> {
    type Job = (Command, std::sync::mpsc::Sender<std::io::Result<Child>>);
    static SPAWNER: OnceLock<Mutex<std::sync::mpsc::Sender<Job>>> = OnceLock::new();
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: the closure runs in the child between fork and exec and calls only
    // async-signal-safe functions (prctl, getppid).
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, signal as libc::c_ulong) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died before the prctl: then nobody would send the signal.
            if libc::getppid() != parent {
                return Err(std::io::Error::other("the parent process has exited"));
            }
            Ok(())
        });
    }
    let spawner = SPAWNER.get_or_init(|| {
        let (send, receive) = std::sync::mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("rehearse-spawner".into())
            .spawn(move || {
                for (mut cmd, reply) in receive {
                    let _ = reply.send(cmd.spawn());
                }
            })
            .expect("a thread to start servers from");
        Mutex::new(send)
    });
    let (reply, answer) = std::sync::mpsc::channel();
    spawner
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .send((cmd, reply))
        .map_err(|_| std::io::Error::other("the spawner thread has gone"))?;
    answer
        .recv()
        .map_err(|_| std::io::Error::other("the spawner thread has gone"))?
}
