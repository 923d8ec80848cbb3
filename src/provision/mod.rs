//! Provisioning: an ephemeral PostgreSQL from one of three providers.
//!
//! A provisioned database is a value that owns its server. Dropping it removes the container,
//! stops the server process, deletes the temporary folder or drops the scratch database; the
//! [`cleanup`] registry does the same when the process is interrupted (SIGINT, SIGTERM), so no
//! caller writes cleanup code.

pub mod cleanup;
pub mod clone;
pub mod command;
pub mod docker;
pub mod file_copy;
pub mod leftovers;
pub mod local;
pub mod ownership;
pub mod parameters;
pub mod tls;
pub mod url;

use thiserror::Error;

/// Which provider the user asked for.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    clap::ValueEnum,
    Default,
)]
#[serde(rename_all = "lowercase")]
pub enum ProviderChoice {
    /// Docker when a daemon answers and the image is present, else local.
    #[default]
    Auto,
    Docker,
    Local,
    Url,
    /// The scenario's own `create` and `destroy` commands ([database.command]).
    Command,
}

/// The provider that actually runs the database: the report's word for it.
pub use crate::report::ProviderKind;

/// What the scenario says about the database to start.
#[derive(Debug, Clone, Default)]
pub struct DatabaseRequest {
    pub provider: ProviderChoice,
    /// PostgreSQL major version (docker image tag, local binaries check).
    pub major: Option<u32>,
    /// Docker image, `postgres:<major>` by default.
    pub image: Option<String>,
    /// Server settings, passed as `-c name=value`.
    pub settings: Vec<(String, String)>,
    /// Docker CPU limit (number of CPUs, fractional allowed).
    pub cpus: Option<f64>,
    /// Docker memory limit in bytes.
    pub memory_bytes: Option<u64>,
    /// `url` provider: the server to use.
    pub url: Option<String>,
    /// `url` provider: accept a target that does not look disposable.
    pub allow_non_disposable: bool,
    /// `url` provider: start the scratch database as a copy of the URL's database, this way.
    pub clone: Option<clone::CloneMethod>,
    /// `--clone`: connection pairs streaming rows at once.
    pub clone_jobs: Option<usize>,
    /// `url` provider: run on the URL's database itself, in transactions always rolled back.
    pub in_transaction: bool,
    /// `command` provider: the create and destroy commands.
    pub command: Option<command::CommandSpec>,
    /// `--data-dir` or `[database] data_dir`: where the local provider's data folder goes, or
    /// the host folder the docker provider bind-mounts as the container's data directory, so
    /// that a copy-on-write filesystem there makes every database copy a clone.
    pub data_dir: Option<std::path::PathBuf>,
}

impl DatabaseRequest {
    /// An image whose tag names another major version than the one asked for cannot honour
    /// both: bad input, said before anything starts.
    pub fn check_version(&self) -> Result<(), ProvisionError> {
        let (Some(image), Some(major)) = (&self.image, self.major) else {
            return Ok(());
        };
        match docker::image_major(image) {
            Some(tagged) if tagged != major => Err(ProvisionError::Refused(format!(
                "the image {image} is PostgreSQL {tagged}, but PostgreSQL {major} was asked for (--pg-version or [database] version): drop one of them or make them agree"
            ))),
            _ => Ok(()),
        }
    }
}

/// How to reach a provisioned database. Its `Debug` hides the password.
#[derive(Clone)]
pub struct ConnectionInfo {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Option<String>,
    pub dbname: String,
    /// The other libpq parameters of a `--url` that rehearse honours (application_name,
    /// connect_timeout, options, hostaddr, sslmode, ...), as given: see [`parameters`].
    pub parameters: Vec<(String, String)>,
    /// How the connection speaks TLS, decided from `parameters` (plaintext for a server
    /// rehearse started itself): see [`tls`].
    pub tls: tls::Tls,
}

impl std::fmt::Debug for ConnectionInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl ConnectionInfo {
    pub fn config(&self) -> tokio_postgres::Config {
        // The honoured parameters were parsed by the driver once already (url::parse).
        let mut c = if self.parameters.is_empty() {
            tokio_postgres::Config::new()
        } else {
            parameters::conninfo(&self.parameters)
                .parse()
                .unwrap_or_else(|_| tokio_postgres::Config::new())
        };
        c.host(&self.host)
            .port(self.port)
            .user(&self.user)
            .dbname(&self.dbname)
            .ssl_mode(self.tls.mode);
        if c.get_application_name().is_none() {
            c.application_name("rehearse");
        }
        if let Some(p) = &self.password {
            c.password(p);
        }
        c
    }

    /// The same server, another database.
    pub fn with_dbname(&self, dbname: &str) -> ConnectionInfo {
        ConnectionInfo {
            dbname: dbname.to_string(),
            ..self.clone()
        }
    }

    /// A URL for tools such as `psql` and `pg_dump`. Contains the password: never print it.
    pub fn url(&self) -> String {
        let auth = match &self.password {
            Some(p) => format!("{}:{}", pct(&self.user), pct(p)),
            None => pct(&self.user),
        };
        let query = self
            .parameters
            .iter()
            .map(|(k, v)| format!("{k}={}", pct(v)))
            .collect::<Vec<_>>()
            .join("&");
        format!(
            "postgresql://{auth}@{}:{}/{}{}{query}",
            self.host,
            self.port,
            pct(&self.dbname),
            if query.is_empty() { "" } else { "?" }
        )
    }

    /// The URL without its password, for logs and reports.
    pub fn redacted(&self) -> String {
        format!(
            "postgresql://{}@{}:{}/{}",
            pct(&self.user),
            self.host,
            self.port,
            pct(&self.dbname)
        )
    }

    /// Connects, or says in one sentence (without the password) why the server is unavailable.
    pub async fn connect_or_unavailable(&self) -> Result<tokio_postgres::Client, ProvisionError> {
        self.connect().await.map_err(|e| {
            ProvisionError::Unavailable(format!(
                "could not connect to {}: {}",
                self.redacted(),
                crate::server_text::of(&e)
            ))
        })
    }

    pub async fn connect(&self) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
        let (client, connection) = self
            .config()
            .connect(self.tls.connector.clone())
            .await?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(client)
    }
}

fn pct(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A running, owned PostgreSQL. Dropping it releases everything it holds.
pub struct Database {
    pub kind: ProviderKind,
    pub connection: ConnectionInfo,
    /// `SHOW server_version`, for the report.
    pub server_version: String,
    /// Why this provider was chosen (auto mode explains itself).
    pub reason: String,
    /// Where its rows come from: synthetic unless the url provider cloned a database.
    pub data: crate::report::DataSource,
    /// How the server copies databases (clone or copy), where rehearse started the server.
    pub file_copy: Option<file_copy::FileCopy>,
    /// The docker provider's container, for the cache to take a backup in.
    pub container: Option<docker::Handle>,
    /// The local provider's server log: what a server that crashed said before it went.
    pub server_log: Option<std::path::PathBuf>,
    /// Whatever must be released: a container, a server process, a scratch database.
    _owner: Box<dyn Send + Sync>,
}

impl Database {
    pub fn new(
        kind: ProviderKind,
        connection: ConnectionInfo,
        server_version: String,
        reason: String,
        owner: Box<dyn Send + Sync>,
    ) -> Self {
        Database {
            kind,
            connection,
            server_version,
            reason,
            data: crate::report::DataSource::Synthetic,
            file_copy: None,
            container: None,
            server_log: None,
            _owner: owner,
        }
    }

    /// The same database, its copies made as `file_copy` says.
    pub fn with_file_copy(self, file_copy: file_copy::FileCopy) -> Self {
        Database {
            file_copy: Some(file_copy),
            ..self
        }
    }

    /// The same database, its rows from `data`.
    pub fn with_data(self, data: crate::report::DataSource) -> Self {
        Database { data, ..self }
    }

    /// `what` (an environment failure) with the reason the server's own log gives, when the
    /// server crashed for a full disk: a WAL write that fails is a PANIC, and the statement
    /// then only sees its connection lost.
    pub fn explain_failure(&self, what: String) -> String {
        let Some(log) = &self.server_log else {
            return what;
        };
        let Ok(text) = std::fs::read_to_string(log) else {
            return what;
        };
        let Some(line) = text
            .lines()
            .rev()
            .take(200)
            .find(|l| l.contains("No space left on device"))
        else {
            return what;
        };
        if what.contains("disk is full") {
            return what;
        }
        const FAULT: &str = "not the migration's fault: ";
        let (before, lost) = match what.find(FAULT) {
            Some(at) => what.split_at(at + FAULT.len()),
            None => ("", what.as_str()),
        };
        format!(
            "{before}the rehearsal server's disk is full, and the server stopped ({lost}); its log says: {}; free space where its data lives (the local provider's temporary folder, or --data-dir) and run again",
            line.trim()
        )
    }
}

#[derive(Debug, Error)]
pub enum ProvisionError {
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Failed(String),
    /// The user asked for something we refuse (exit 2), e.g. a non-disposable URL target.
    #[error("{0}")]
    Refused(String),
}

/// A refused database is bad input (exit 2); anything else is the environment (exit 3).
impl From<ProvisionError> for crate::Error {
    fn from(e: ProvisionError) -> Self {
        match e {
            ProvisionError::Refused(_) => crate::Error::Input(e.to_string()),
            _ => crate::Error::Environment(e.to_string()),
        }
    }
}

/// Starts (or connects to) a database as `request` asks. What runs that are gone left behind
/// for the same provider is removed first (and said on stderr).
pub async fn provision(request: &DatabaseRequest) -> Result<Database, ProvisionError> {
    if matches!(
        request.provider,
        ProviderChoice::Local | ProviderChoice::Auto
    ) {
        leftovers::tell(&leftovers::reap_local_folders(&std::env::temp_dir()));
    }
    if matches!(
        request.provider,
        ProviderChoice::Docker | ProviderChoice::Auto
    ) {
        if let Ok(removed) = docker::reap_dead_runs().await {
            leftovers::tell(&removed);
        }
    }
    if let Some(dir) = &request.data_dir {
        // The docker provider's bind-mounted folders are named and marked the same way (and
        // their containers were removed just above).
        leftovers::tell(&leftovers::reap_local_folders(dir));
    }
    match request.provider {
        ProviderChoice::Local => local::start(request, "--provider local was given".into()).await,
        ProviderChoice::Docker => {
            docker::start(request, "--provider docker was given".into()).await
        }
        ProviderChoice::Url => url::start(request).await,
        ProviderChoice::Command => command::start(request).await,
        ProviderChoice::Auto => {
            let image = docker::image_for(request);
            match docker::availability(&image).await {
                Ok(()) => {
                    docker::start(
                        request,
                        format!("auto: Docker answers and image {image} is present"),
                    )
                    .await
                }
                Err(why) => {
                    local::start(
                        request,
                        format!("auto: {why}; using local PostgreSQL binaries"),
                    )
                    .await
                }
            }
        }
    }
}

/// Waits until the server answers a query: readiness is a working connection, not a log line.
/// Returns the server's version number (`15.18`, without the distribution's suffix).
/// A connection refused by the server for a reason time does not fix: authentication
/// (28000, 28P01) or a database that does not exist (3D000).
fn refused_for_good(e: &tokio_postgres::Error) -> bool {
    e.as_db_error()
        .is_some_and(|d| matches!(d.code().code(), "28000" | "28P01" | "3D000"))
}

pub async fn wait_until_ready(
    conn: &ConnectionInfo,
    timeout: std::time::Duration,
) -> Result<String, String> {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let last = match conn.connect().await {
            Ok(client) => match client
                .query_one("SELECT current_setting('server_version')", &[])
                .await
            {
                Ok(row) => {
                    let full: String = row.get(0);
                    return Ok(full
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_string());
                }
                Err(e) => crate::server_text::of(&e),
            },
            // The server answered and refused: waiting will not change a wrong password or a
            // missing database.
            Err(e) if refused_for_good(&e) => return Err(crate::server_text::of(&e)),
            Err(e) => crate::server_text::of(&e),
        };
        if std::time::Instant::now() > deadline {
            return Err(last);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[cfg(test)]
mod explain_tests {
    use super::*;

    #[test]
    fn a_server_that_crashed_for_a_full_disk_is_said_to_have_a_full_disk() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("server.log");
        std::fs::write(
            &log,
            "LOG:  checkpoint starting\nPANIC:  could not write to file \"pg_wal/xlogtemp.77\": No space left on device\nLOG:  terminating any other active server processes\n",
        )
        .unwrap();
        let mut database = Database::new(
            ProviderKind::Local,
            ConnectionInfo {
                host: "127.0.0.1".into(),
                port: 5432,
                user: "postgres".into(),
                password: None,
                dbname: "postgres".into(),
                parameters: Vec::new(),
                tls: tls::Tls::disabled(),
            },
            "15".into(),
            String::new(),
            Box::new(()),
        );
        let lost = "V002__fill.sql, line 1: not the migration's fault: the connection to the rehearsal server was lost while the statement ran (connection closed)".to_string();
        assert_eq!(database.explain_failure(lost.clone()), lost, "no log, no change");
        database.server_log = Some(log);
        assert_eq!(
            database.explain_failure(lost),
            "V002__fill.sql, line 1: not the migration's fault: the rehearsal server's disk is full, and the server stopped (the connection to the rehearsal server was lost while the statement ran (connection closed)); its log says: PANIC:  could not write to file \"pg_wal/xlogtemp.77\": No space left on device; free space where its data lives (the local provider's temporary folder, or --data-dir) and run again"
        );
        let said = "x: not the migration's fault: the rehearsal server's disk is full (No space left on device)".to_string();
        assert_eq!(database.explain_failure(said.clone()), said);
    }
}
