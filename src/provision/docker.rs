//! The docker provider: a container from `postgres:<major>` (or any image honouring the official
//! image's contract), labelled, bound to 127.0.0.1, and removed on every exit path.
//!
//! It talks to the daemon with bollard (the client testcontainers is built on, re-exported by it)
//! rather than through testcontainers' runner: testcontainers 0.28 pins Docker API 1.53 and never
//! negotiates, so every daemon older than Docker 29 refuses its requests ("client version 1.53 is
//! too new"; Debian 12's docker.io 20.10 speaks 1.41). bollard negotiates the version. testcontainers-rs starts no reaper ("ryuk") container,
//! so nothing needs a registry but the image itself.
//!
//! This module never pulls for long: a missing image is tried once against a registry, and a
//! registry that does not answer promptly makes the provider unavailable, with the command that
//! builds the image offline.

use super::{
    cleanup, wait_until_ready, ConnectionInfo, Database, DatabaseRequest, ProviderKind,
    ProvisionError,
};
use futures_util::StreamExt;
use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Duration;
use testcontainers::bollard::{
    self,
    models::{ContainerCreateBody, HostConfig, PortBinding},
    query_parameters::{
        CreateContainerOptionsBuilder, CreateImageOptionsBuilder, LogsOptionsBuilder,
        RemoveContainerOptionsBuilder,
    },
    Docker,
};

/// Every container this tool starts carries `rehearse=1`, so leftovers are easy to find.
pub const LABEL: &str = "rehearse";
/// And the run that started it (see [`run_id`]).
pub const RUN_LABEL: &str = "rehearse.run";
/// The run's mark (machine, pid, start time; see [`super::ownership`]): what a run that is gone
/// left behind is removed by the next one, or by `rehearse clean`.
pub const OWNER_LABEL: &str = "rehearse.owner";

const PORT: &str = "5432/tcp";
/// Where the images keep PGDATA unless their `PGDATA` says otherwise (ours, and the official
/// ones up to 17; the official 18 moved it to `/var/lib/postgresql/18/docker`).
const DATA_FOLDER: &str = "/var/lib/postgresql/data";
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);
const STARTUP_TIMEOUT: Duration = Duration::from_secs(120);
/// A registry that sends nothing within this time is treated as absent.
const PULL_FIRST_ANSWER: Duration = Duration::from_secs(20);
const PULL_PROGRESS: Duration = Duration::from_secs(60);

/// The image a request runs: `--image`, else `postgres:<major>` (15 by default).
pub fn image_for(request: &DatabaseRequest) -> String {
    request
        .image
        .clone()
        .unwrap_or_else(|| format!("postgres:{}", request.major.unwrap_or(15)))
}

/// Identifies this process's containers (label [`RUN_LABEL`]): pid and a random suffix.
pub fn run_id() -> &'static str {
    static RUN_ID: OnceLock<String> = OnceLock::new();
    RUN_ID.get_or_init(|| {
        use rand::distr::{Alphanumeric, SampleString};
        format!(
            "{}-{}",
            std::process::id(),
            Alphanumeric
                .sample_string(&mut rand::rng(), 8)
                .to_lowercase()
        )
    })
}

/// `rehearse-<run id>-<n>`: unique per container, and readable in `docker ps`.
fn container_name() -> String {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("rehearse-{}-{n}", run_id())
}

/// Ok when a Docker daemon answers and `image` is present locally (pulled if it can be).
/// The error says why not, in words the auto provider can repeat.
pub async fn availability(image: &str) -> Result<(), String> {
    let docker = connect().await?;
    ensure_image(&docker, image).await
}

/// Starts a container and waits until it answers `SELECT 1`. `reason` says why docker was chosen.
pub async fn start(request: &DatabaseRequest, reason: String) -> Result<Database, ProvisionError> {
    start_with(request, reason, &Cached::default()).await
}

/// What the seeded-state cache asks of a container: a data directory restored from an entry
/// (a plain `pg_basebackup`, which the server recovers from at start), and a host folder
/// mounted at [`BACKUP_FOLDER`] for [`take_backup`] to write an entry into. Both need a host
/// folder as the data directory (`request.data_dir`).
#[derive(Debug, Clone, Default)]
pub struct Cached {
    pub restore: Option<std::path::PathBuf>,
    pub backup: bool,
}

/// Where a container started for the cache sees its host folder for backups.
const BACKUP_FOLDER: &str = "/rehearse-backup";

/// [`start`], for the cache: see [`Cached`].
pub async fn start_with(
    request: &DatabaseRequest,
    reason: String,
    cached: &Cached,
) -> Result<Database, ProvisionError> {
    let image = image_for(request);
    let docker = connect().await.map_err(ProvisionError::Unavailable)?;
    ensure_image(&docker, &image)
        .await
        .map_err(ProvisionError::Unavailable)?;

    let password = {
        use rand::distr::{Alphanumeric, SampleString};
        Alphanumeric.sample_string(&mut rand::rng(), 32)
    };
    let mut body = container_body(request, &image, &password)?;
    let pgdata = image_pgdata(&docker, &image).await;
    if let Some(pgdata) = &pgdata {
        body.volumes = Some(vec![pgdata.clone()]);
    }
    // `--data-dir`: a host folder as the data directory, so that its filesystem (XFS, btrfs)
    // decides how databases are copied. Registered for removal before the container, so the
    // container goes first.
    let host_data = match &request.data_dir {
        Some(dir) => {
            let held = HostDataFolder::make(dir)?;
            let target = pgdata.as_deref().unwrap_or(DATA_FOLDER);
            body.volumes = None;
            let mut binds = vec![format!("{}:{target}", held.data().display())];
            if let Some(entry) = &cached.restore {
                copy_folder(entry, &held.data())?;
            }
            if cached.backup {
                let backup = held.root.join("backup");
                std::fs::create_dir(&backup)
                    .and_then(|()| {
                        use std::os::unix::fs::PermissionsExt;
                        // The container's server user writes there.
                        std::fs::set_permissions(&backup, std::fs::Permissions::from_mode(0o777))
                    })
                    .map_err(|e| {
                        ProvisionError::Failed(format!("could not make {}: {e}", backup.display()))
                    })?;
                binds.push(format!("{}:{BACKUP_FOLDER}", backup.display()));
            }
            if let Some(host) = body.host_config.as_mut() {
                host.binds = Some(binds);
            }
            Some(held)
        }
        None => None,
    };
    // Named, and its removal registered before it exists: a signal that arrives while Docker
    // creates it still finds it by name.
    let name = container_name();
    let guard = cleanup::register({
        let name = name.clone();
        move || remove_container_blocking(&name)
    });
    let created = docker
        .create_container(
            Some(CreateContainerOptionsBuilder::new().name(&name).build()),
            body,
        )
        .await
        .map_err(|e| {
            ProvisionError::Failed(format!(
                "Docker could not create a container from {image}: {}",
                docker_message(&e)
            ))
        })?;
    let id = created.id;

    docker.start_container(&id, None).await.map_err(|e| {
        ProvisionError::Failed(format!(
            "Docker could not start the container from {image}: {}",
            docker_message(&e)
        ))
    })?;
    let port = host_port(&docker, &id).await?;
    let connection = ConnectionInfo {
        host: "127.0.0.1".into(),
        port,
        user: "postgres".into(),
        password: Some(password),
        dbname: "postgres".into(),
        parameters: Vec::new(),
        tls: super::tls::Tls::disabled(),
    };

    if cached.restore.is_some() {
        // The restored state keeps the password of the run that stored it, which nobody
        // kept: this run's is set over the server's own socket (trust inside the container).
        tokio::select! {
            set = set_password(&docker, &id, connection.password.as_deref().unwrap_or_default()) => set?,
            exited = exited(&docker, &id) => {
                let logs = last_log_lines(&docker, &id, 5).await;
                return Err(ProvisionError::Failed(format!(
                    "the container from {image} exited on the cached state ({exited}); its last log lines: {logs}"
                )));
            }
        }
    }
    let version = tokio::select! {
        ready = wait_until_ready(&connection, STARTUP_TIMEOUT) => ready.map_err(|e| {
            ProvisionError::Failed(format!(
                "the container from {image} did not answer SELECT 1 within {}s: {e}",
                STARTUP_TIMEOUT.as_secs()
            ))
        })?,
        exited = exited(&docker, &id) => {
            let logs = last_log_lines(&docker, &id, 5).await;
            return Err(ProvisionError::Failed(format!(
                "the container from {image} exited before it answered ({exited}); its last log lines: {logs}"
            )));
        }
    };
    let client = connection.connect_or_unavailable().await?;
    let file_copy =
        super::file_copy::apply(&client, host_data.as_ref().map(|h| h.root.as_path())).await;
    drop(client);
    let handle = Handle {
        container: name.clone(),
        backup: host_data
            .as_ref()
            .filter(|_| cached.backup)
            .map(|h| h.root.join("backup")),
    };
    // Dropped in order: the container, then its host folder.
    let mut database = Database::new(
        ProviderKind::Docker,
        connection,
        version,
        reason,
        Box::new((guard, host_data)),
    )
    .with_file_copy(file_copy);
    database.container = Some(handle);
    Ok(database)
}

/// A container this run started: its name, and the host folder mounted for backups.
#[derive(Debug, Clone)]
pub struct Handle {
    pub container: String,
    pub backup: Option<std::path::PathBuf>,
}

/// Copies a folder's contents into `into` as they are (owners, modes), a reflink where the
/// filesystem can.
fn copy_folder(from: &std::path::Path, into: &std::path::Path) -> Result<(), ProvisionError> {
    let out = std::process::Command::new("cp")
        .args(["-a", "--reflink=auto"])
        .arg(from.join("."))
        .arg(into)
        .output()
        .map_err(|e| ProvisionError::Failed(format!("could not run cp: {e}")))?;
    if !out.status.success() {
        return Err(ProvisionError::Failed(format!(
            "could not copy the cached state {} into {}: {}",
            from.display(),
            into.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}

/// Runs `cmd` in the container as its `postgres` user; Ok with its output when it exits 0.
async fn exec(
    docker: &Docker,
    container: &str,
    cmd: &[&str],
    env: Vec<String>,
) -> Result<String, String> {
    use testcontainers::bollard::exec::{CreateExecOptions, StartExecResults};
    let created = docker
        .create_exec(
            container,
            CreateExecOptions {
                cmd: Some(cmd.iter().map(|c| c.to_string()).collect()),
                env: Some(env),
                user: Some("postgres".to_string()),
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| docker_message(&e))?;
    let mut said = String::new();
    if let StartExecResults::Attached { mut output, .. } = docker
        .start_exec(&created.id, None)
        .await
        .map_err(|e| docker_message(&e))?
    {
        while let Some(Ok(chunk)) = output.next().await {
            said.push_str(&chunk.to_string());
        }
    }
    let inspect = docker
        .inspect_exec(&created.id)
        .await
        .map_err(|e| docker_message(&e))?;
    match inspect.exit_code {
        Some(0) => Ok(said),
        code => Err(format!(
            "{} exited with {}: {}",
            cmd.first().unwrap_or(&""),
            code.unwrap_or(-1),
            said.trim()
        )),
    }
}

/// Waits until the server in the container accepts connections on its socket, then gives the
/// `postgres` role `password` (through the environment, never on a command line).
async fn set_password(docker: &Docker, id: &str, password: &str) -> Result<(), ProvisionError> {
    let deadline = std::time::Instant::now() + STARTUP_TIMEOUT;
    let mut last = String::new();
    while std::time::Instant::now() < deadline {
        match exec(
            docker,
            id,
            &[
                "sh",
                "-c",
                "printf '%s' \"ALTER ROLE postgres PASSWORD :'pw'\" | psql -X -q -v ON_ERROR_STOP=1 -v pw=\"$REHEARSE_PASSWORD\" -d postgres",
            ],
            vec![format!("REHEARSE_PASSWORD={password}")],
        )
        .await
        {
            Ok(_) => return Ok(()),
            Err(e) => last = e,
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err(ProvisionError::Failed(format!(
        "the server on the cached state did not take this run's password within {}s: {}",
        STARTUP_TIMEOUT.as_secs(),
        crate::redact::redact(&last)
    )))
}

/// Copies the running server's whole cluster into `into` (which must not exist yet):
/// `pg_basebackup` inside the container, checkpointed and with its WAL, written to the host
/// folder mounted for backups, recovered and shut down there, and moved from there.
pub async fn take_backup(handle: &Handle, into: &std::path::Path) -> Result<(), String> {
    let Some(host) = &handle.backup else {
        return Err("the container was started without a backup folder".into());
    };
    let docker = connect().await?;
    let _ = std::fs::remove_dir_all(host.join("state"));
    exec(
        &docker,
        &handle.container,
        &[
            "pg_basebackup",
            "-D",
            &format!("{BACKUP_FOLDER}/state"),
            "-F",
            "p",
            "-X",
            "stream",
            "--checkpoint=fast",
            "--no-sync",
            "-U",
            "postgres",
            "-w",
        ],
        Vec::new(),
    )
    .await
    .map_err(|e| format!("pg_basebackup in the container failed: {e}"))?;
    // Recovered once here, by a second server in the same container (no TCP, its own socket
    // folder, fsync off: the copy is a cache entry), and shut down cleanly: a server started on
    // a copy of it then starts at once, without recovery and without first flushing every file.
    let state = format!("{BACKUP_FOLDER}/state");
    for action in ["start", "stop"] {
        let mut pg_ctl = vec![
            "pg_ctl",
            "-D",
            state.as_str(),
            "-w",
            "-t",
            "300",
            "-m",
            "fast",
        ];
        if action == "start" {
            pg_ctl.extend([
                "-l",
                "/tmp/rehearse-settle.log",
                "-o",
                "-c listen_addresses='' -c fsync=off -c unix_socket_directories=/tmp -p 5499",
            ]);
        }
        pg_ctl.push(action);
        exec(&docker, &handle.container, &pg_ctl, Vec::new())
            .await
            .map_err(|e| {
                format!("pg_ctl {action} on the copied state in the container failed: {e}")
            })?;
    }
    if std::fs::rename(host.join("state"), into).is_err() {
        // Another filesystem (`--data-dir` elsewhere than the cache): copied, then removed.
        std::fs::create_dir(into).map_err(|e| e.to_string())?;
        copy_folder(&host.join("state"), into).map_err(|e| e.to_string())?;
        let _ = std::fs::remove_dir_all(host.join("state"));
    }
    Ok(())
}

/// `--data-dir`'s folder for one container: named and marked as the local provider's folders
/// are (so a run that is gone has it removed by the next), with the data directory in `data/`.
/// Removed when dropped, after the container.
struct HostDataFolder {
    root: std::path::PathBuf,
    _guard: cleanup::CleanupGuard,
}

impl HostDataFolder {
    fn make(dir: &std::path::Path) -> Result<HostDataFolder, ProvisionError> {
        let refused = |e: std::io::Error| {
            ProvisionError::Refused(format!(
                "--data-dir {} cannot hold the container's data directory: {e}",
                dir.display()
            ))
        };
        let dir = super::file_copy::data_dir(dir)?;
        let root = tempfile::Builder::new()
            .prefix(&super::ownership::local_folder_prefix())
            .tempdir_in(&dir)
            .map_err(refused)?
            .keep();
        let removed = root.clone();
        let guard = cleanup::register(move || {
            // The container's server wrote these files as its own user: as root they go;
            // otherwise say what is left.
            if let Err(e) = std::fs::remove_dir_all(&removed) {
                crate::say!(
                    "rehearse: could not remove the container's data folder {}: {e}",
                    removed.display()
                );
            }
        });
        let held = HostDataFolder {
            root,
            _guard: guard,
        };
        std::fs::write(
            held.root.join(super::ownership::MARKER_FILE),
            format!("{}\n", super::ownership::this_run().to_mark()),
        )
        .map_err(refused)?;
        std::fs::create_dir(held.data()).map_err(refused)?;
        Ok(held)
    }

    fn data(&self) -> std::path::PathBuf {
        self.root.join("data")
    }
}

/// /dev/shm's cap when the scenario sets no memory limit.
const SHM_BYTES: i64 = 1 << 30;

fn container_body(
    request: &DatabaseRequest,
    image: &str,
    password: &str,
) -> Result<ContainerCreateBody, ProvisionError> {
    let mut cmd = Vec::new();
    for (name, value) in &request.settings {
        cmd.push("-c".to_string());
        cmd.push(format!("{name}={value}"));
    }
    let nano_cpus = match request.cpus {
        Some(cpus) if !(cpus.is_finite() && cpus > 0.0) => {
            return Err(ProvisionError::Refused(format!(
                "the CPU limit must be a positive number of CPUs, not {cpus}"
            )))
        }
        Some(cpus) => Some((cpus * 1e9).round() as i64),
        None => None,
    };
    let memory = request.memory_bytes.map(|b| b as i64);
    let labels = HashMap::from([
        (LABEL.to_string(), "1".to_string()),
        (RUN_LABEL.to_string(), run_id().to_string()),
        (
            OWNER_LABEL.to_string(),
            super::ownership::this_run().to_mark(),
        ),
    ]);
    Ok(ContainerCreateBody {
        image: Some(image.to_string()),
        // An image's own CMD (`postgres`) is replaced by arguments starting with `-`; the
        // official entrypoint, and ours, put `postgres` back in front.
        cmd: (!cmd.is_empty()).then_some(cmd),
        env: Some(vec![format!("POSTGRES_PASSWORD={password}")]),
        labels: Some(labels),
        exposed_ports: Some(vec![PORT.to_string()]),
        // Fast shutdown if anyone stops it rather than removing it.
        stop_signal: Some("SIGINT".into()),
        // The data folder on an anonymous volume, as the official image declares it: the
        // container's own layer may be a slow storage driver (fuse-overlayfs writes at a third
        // of the disk's speed here), which the rehearsal would measure instead of PostgreSQL.
        // Removing the container removes the volume (`v`).
        volumes: Some(vec![DATA_FOLDER.to_string()]),
        host_config: Some(HostConfig {
            port_bindings: Some(HashMap::from([(
                PORT.to_string(),
                Some(vec![PortBinding {
                    host_ip: Some("127.0.0.1".into()),
                    host_port: Some(String::new()),
                }]),
            )])),
            nano_cpus,
            memory,
            // No swap beyond the memory limit: the limit is what the rehearsal measures under.
            memory_swap: memory,
            // PostgreSQL's parallel workers (index builds, VACUUM, queries) share memory through
            // /dev/shm, which Docker caps at 64 MB: a parallel VACUUM of a few million rows
            // already fails there ("could not resize shared memory segment ... No space left on
            // device"), which no production server would. The cap is the memory limit, or
            // SHM_BYTES; pages are used only as written, and count against the memory limit.
            shm_size: Some(memory.unwrap_or(SHM_BYTES)),
            ..Default::default()
        }),
        ..Default::default()
    })
}

/// A client that has agreed an API version with the daemon, or why there is none.
async fn connect() -> Result<Docker, String> {
    let host =
        std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".into());
    let docker = Docker::connect_with_defaults()
        .map_err(|e| format!("Docker does not answer at {host}: {}", docker_message(&e)))?;
    match tokio::time::timeout(ANSWER_TIMEOUT, docker.negotiate_version()).await {
        Ok(Ok(docker)) => Ok(docker),
        Ok(Err(e)) => Err(format!(
            "Docker does not answer at {host}: {}",
            docker_message(&e)
        )),
        Err(_) => Err(format!(
            "Docker does not answer at {host} within {}s",
            ANSWER_TIMEOUT.as_secs()
        )),
    }
}

/// The image's id (`sha256:...`), for the cache key: a rebuilt image with the same tag is
/// another server.
pub async fn image_identity(image: &str) -> Result<String, String> {
    let docker = connect().await?;
    ensure_image(&docker, image).await?;
    docker
        .inspect_image(image)
        .await
        .map_err(|e| {
            format!(
                "Docker could not look up image {image}: {}",
                docker_message(&e)
            )
        })?
        .id
        .ok_or_else(|| format!("Docker gives no id for image {image}"))
}

/// The image's own `PGDATA`, where the data volume must go.
async fn image_pgdata(docker: &Docker, image: &str) -> Option<String> {
    let inspect = docker.inspect_image(image).await.ok()?;
    inspect
        .config?
        .env?
        .iter()
        .find_map(|e| e.strip_prefix("PGDATA=").map(str::to_string))
        .filter(|p| p.starts_with('/'))
}

/// Ok when `image` is present, after one short attempt to pull it when it is not.
async fn ensure_image(docker: &Docker, image: &str) -> Result<(), String> {
    match docker.inspect_image(image).await {
        Ok(_) => return Ok(()),
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => {}
        Err(e) => {
            return Err(format!(
                "Docker could not look up image {image}: {}",
                docker_message(&e)
            ))
        }
    }
    if pull(docker, image).await.is_ok() && docker.inspect_image(image).await.is_ok() {
        return Ok(());
    }
    Err(format!(
        "image {image} is not present and could not be pulled (no registry?): {}",
        build_hint(image)
    ))
}

async fn pull(docker: &Docker, image: &str) -> Result<(), String> {
    let (name, tag) = split_image(image);
    let options = CreateImageOptionsBuilder::new()
        .from_image(name)
        .tag(tag)
        .build();
    let mut progress = docker.create_image(Some(options), None, None);
    let mut wait = PULL_FIRST_ANSWER;
    loop {
        match tokio::time::timeout(wait, progress.next()).await {
            Err(_) => return Err("the registry stopped answering".into()),
            Ok(None) => return Ok(()),
            Ok(Some(Err(e))) => return Err(docker_message(&e)),
            Ok(Some(Ok(info))) => {
                if let Some(error) = info.error_detail.and_then(|d| d.message) {
                    return Err(error);
                }
                wait = PULL_PROGRESS;
            }
        }
    }
}

/// `registry:5000/name:tag` → (`registry:5000/name`, `tag`); no tag means `latest`.
fn split_image(image: &str) -> (&str, &str) {
    let image = image.split('@').next().unwrap_or(image);
    match image.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => (name, tag),
        _ => (image, "latest"),
    }
}

/// The PostgreSQL major version an image's tag names (`postgres:17`, `postgres:18.1-alpine`,
/// `rehearse/postgres:15`); None when the tag names none (`latest`, `main`).
pub fn image_major(image: &str) -> Option<u32> {
    let (_, tag) = split_image(image);
    let digits: String = tag.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok().filter(|_| !digits.is_empty())
}

/// What to do about a missing image: the offline build when it is one we know how to build.
fn build_hint(image: &str) -> String {
    let (name, tag) = split_image(image);
    let major = tag.split(['.', '-']).next().unwrap_or(tag);
    match (name, major) {
        ("postgres" | "docker.io/library/postgres" | "rehearse/postgres", "15" | "17" | "18") => {
            format!("build it with images/postgres/build.sh {major}")
        }
        _ => "pull it, build it (images/postgres/build.sh builds postgres 15, 17 and 18 offline), or choose another image with --image".into(),
    }
}

async fn host_port(docker: &Docker, id: &str) -> Result<u16, ProvisionError> {
    let inspect = docker.inspect_container(id, None).await.map_err(|e| {
        ProvisionError::Failed(format!(
            "Docker could not inspect the container: {}",
            docker_message(&e)
        ))
    })?;
    inspect
        .network_settings
        .and_then(|n| n.ports)
        .and_then(|mut ports| ports.remove(PORT))
        .flatten()
        .into_iter()
        .flatten()
        .find_map(|b| b.host_port.and_then(|p| p.parse().ok()))
        .ok_or_else(|| {
            ProvisionError::Failed(
                "Docker started the container but published no host port for 5432".into(),
            )
        })
}

/// Resolves when the container is no longer running, with how it ended.
async fn exited(docker: &Docker, id: &str) -> String {
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        match docker.inspect_container(id, None).await {
            Ok(c) => {
                let state = c.state.unwrap_or_default();
                if state.running != Some(true) {
                    return format!("exit code {}", state.exit_code.unwrap_or_default());
                }
            }
            Err(e) => return format!("it vanished: {}", docker_message(&e)),
        }
    }
}

async fn last_log_lines(docker: &Docker, id: &str, n: usize) -> String {
    let options = LogsOptionsBuilder::new()
        .stdout(true)
        .stderr(true)
        .tail(&n.to_string())
        .build();
    let mut logs = docker.logs(id, Some(options));
    let mut lines = Vec::new();
    while let Some(Ok(chunk)) = logs.next().await {
        lines.extend(
            chunk
                .to_string()
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(String::from),
        );
    }
    if lines.is_empty() {
        "(none)".into()
    } else {
        lines.join(" | ")
    }
}

/// Removes the containers (and their volumes) of runs that are gone; says what it removed.
/// Without a Docker daemon there is nothing to remove.
pub async fn reap_dead_runs() -> Result<Vec<String>, String> {
    use testcontainers::bollard::query_parameters::ListContainersOptionsBuilder;
    let docker = connect().await?;
    let filters = HashMap::from([("label".to_string(), vec![OWNER_LABEL.to_string()])]);
    let list = docker
        .list_containers(Some(
            ListContainersOptionsBuilder::new()
                .all(true)
                .filters(&filters)
                .build(),
        ))
        .await
        .map_err(|e| format!("Docker could not list containers: {}", docker_message(&e)))?;
    let mut removed = Vec::new();
    for container in list {
        let labels = container.labels.unwrap_or_default();
        let Some(owner) = labels
            .get(OWNER_LABEL)
            .and_then(|mark| super::ownership::Owner::from_mark(mark))
        else {
            continue;
        };
        if owner.is_alive() {
            continue;
        }
        let Some(id) = container.id else { continue };
        let name = container
            .names
            .and_then(|n| n.first().map(|n| n.trim_start_matches('/').to_string()))
            .unwrap_or_else(|| id.clone());
        let options = RemoveContainerOptionsBuilder::new()
            .force(true)
            .v(true)
            .build();
        match docker.remove_container(&id, Some(options)).await {
            Ok(()) => removed.push(format!(
                "container {name} and its volumes (run {} is gone)",
                owner.pid
            )),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404 | 409,
                ..
            }) => {}
            Err(e) => {
                return Err(format!(
                    "Docker could not remove container {name}: {}",
                    docker_message(&e)
                ))
            }
        }
    }
    Ok(removed)
}

/// Removes a container and its anonymous volumes, synchronously: it runs in `Drop` and in the
/// signal handler, where no async runtime can be relied on, so it uses a thread of its own.
fn remove_container_blocking(name_or_id: &str) {
    let id = name_or_id.to_string();
    cleanup::block_on_own_thread(async move {
        let docker = connect().await.ok()?;
        let options = RemoveContainerOptionsBuilder::new()
            .force(true)
            .v(true)
            .build();
        match docker.remove_container(&id, Some(options.clone())).await {
            Ok(()) => Some(()),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => {
                // Registered before it was created: an interrupted create may still be under
                // way in the daemon. Look again for a moment before calling it gone.
                if cleanup::interrupted().is_some() {
                    for _ in 0..10 {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        if docker
                            .remove_container(&id, Some(options.clone()))
                            .await
                            .is_ok()
                        {
                            break;
                        }
                    }
                }
                Some(())
            }
            Err(e) => {
                crate::say!(
                    "rehearse: could not remove container {id}: {}",
                    docker_message(&e)
                );
                None
            }
        }
    });
}

/// The daemon's own message when there is one, rather than bollard's wrapper.
fn docker_message(e: &bollard::errors::Error) -> String {
    match e {
        bollard::errors::Error::DockerResponseServerError { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_images_tag_names_its_major_version() {
        assert_eq!(image_major("postgres:17"), Some(17));
        assert_eq!(image_major("rehearse/postgres:18"), Some(18));
        assert_eq!(image_major("postgres:16.4-alpine"), Some(16));
        assert_eq!(image_major("registry:5000/postgres:15"), Some(15));
        assert_eq!(image_major("postgres"), None);
        assert_eq!(image_major("postgres:latest"), None);
    }

    #[test]
    fn image_names_split_into_name_and_tag() {
        assert_eq!(split_image("postgres:17"), ("postgres", "17"));
        assert_eq!(split_image("postgres"), ("postgres", "latest"));
        assert_eq!(
            split_image("registry:5000/team/postgres:15.4"),
            ("registry:5000/team/postgres", "15.4")
        );
        assert_eq!(
            split_image("registry:5000/postgres"),
            ("registry:5000/postgres", "latest")
        );
    }

    #[test]
    fn missing_known_image_points_at_the_offline_build() {
        assert_eq!(
            build_hint("postgres:17"),
            "build it with images/postgres/build.sh 17"
        );
        assert_eq!(
            build_hint("rehearse/postgres:15"),
            "build it with images/postgres/build.sh 15"
        );
        assert!(build_hint("postgres:16").starts_with("pull it"));
    }

    #[test]
    fn settings_become_dash_c_arguments_and_limits_reach_the_host_config() {
        let request = DatabaseRequest {
            settings: vec![("work_mem".into(), "8MB".into())],
            cpus: Some(1.5),
            memory_bytes: Some(512 << 20),
            ..Default::default()
        };
        let body = container_body(&request, "postgres:15", "pw").unwrap();
        assert_eq!(body.cmd.unwrap(), ["-c", "work_mem=8MB"]);
        let host = body.host_config.unwrap();
        assert_eq!(host.nano_cpus, Some(1_500_000_000));
        assert_eq!(host.memory, Some(512 << 20));
        assert_eq!(
            host.shm_size,
            Some(512 << 20),
            "/dev/shm up to the memory limit"
        );
        assert_eq!(body.labels.unwrap()[LABEL], "1");
        let unlimited = container_body(&DatabaseRequest::default(), "postgres:15", "pw").unwrap();
        assert_eq!(unlimited.host_config.unwrap().shm_size, Some(SHM_BYTES));
    }
}
