//! The local provider: `initdb` and `postgres` from this machine, in a temporary folder, on a free
//! port, with a private socket folder. Run as root, the server runs as an unprivileged user
//! (`postgres` when it exists, else `nobody`), because PostgreSQL refuses to run as root.

use super::{
    cleanup, wait_until_ready, ConnectionInfo, Database, DatabaseRequest, ProviderKind,
    ProvisionError,
};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
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
pub async fn start(request: &DatabaseRequest, reason: String) -> Result<Database, ProvisionError> {
    let bindir = find_bindir(request.major)?;
    let user = server_user()?;
    let root = tempfile::Builder::new()
        .prefix("rehearse-local-")
        .tempdir()
        .map_err(|e| ProvisionError::Failed(format!("could not create a temporary folder: {e}")))?;
    let data = root.path().join("data");
    let sockets = root.path().join("sockets");
    std::fs::create_dir(&sockets).map_err(|e| ProvisionError::Failed(e.to_string()))?;
    let log = root.path().join("server.log");
    std::fs::File::create(&log).map_err(|e| ProvisionError::Failed(e.to_string()))?;
    for p in [root.path(), sockets.as_path(), log.as_path()] {
        chown(p, &user).map_err(|e| {
            ProvisionError::Failed(format!(
                "could not hand {} to the server user: {e}",
                p.display()
            ))
        })?;
    }
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o700)).ok();

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
        .stdin(Stdio::null());
    as_user(&mut initdb, &user);
    let out = tokio::task::spawn_blocking(move || initdb.output())
        .await
        .map_err(|e| ProvisionError::Failed(e.to_string()))?
        .map_err(|e| {
            ProvisionError::Unavailable(format!(
                "could not run {}: {e}",
                bindir.join("initdb").display()
            ))
        })?;
    if !out.status.success() {
        return Err(ProvisionError::Failed(format!(
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }

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
        let child = postgres.spawn().map_err(|e| {
            ProvisionError::Unavailable(format!(
                "could not start {}: {e}",
                bindir.join("postgres").display()
            ))
        })?;
        let pid = child.id();
        let server = LocalServer {
            child: Some(child),
            pid,
        };
        let guard = cleanup::register(move || {
            let mut server = server;
            server.stop();
        });
        let connection = ConnectionInfo {
            host: "127.0.0.1".into(),
            port,
            user: "postgres".into(),
            password: None,
            dbname: "postgres".into(),
        };
        match wait_until_ready(&connection, Duration::from_secs(60)).await {
            Ok(version) => {
                // The folder goes with the server, in the same action, so a signal removes both.
                let folder = root.keep();
                let owner = cleanup::register(move || {
                    drop(guard);
                    let _ = std::fs::remove_dir_all(&folder);
                });
                return Ok(Database::new(
                    ProviderKind::Local,
                    connection,
                    version,
                    reason,
                    Box::new(owner),
                ));
            }
            Err(e) => {
                drop(guard);
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
                if !log_text.contains("could not bind")
                    && !log_text.contains("Address already in use")
                {
                    break;
                }
            }
        }
    }
    Err(ProvisionError::Failed(format!(
        "the local PostgreSQL server did not start: {last_error}"
    )))
}

struct LocalServer {
    child: Option<std::process::Child>,
    pid: u32,
}

impl LocalServer {
    /// Fast shutdown (SIGINT), then SIGKILL if the server has not gone within 15 seconds.
    fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(self.pid as i32, libc::SIGINT) };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            match child.try_wait() {
                Ok(Some(_)) => return,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                _ => break,
            }
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}
