//! Scenarios: what to rehearse, on which database, with which data, workload and gates.
//!
//! A scenario is a TOML file (`rehearse.toml`), or a bare migrations folder where every default
//! applies. Validation happens here, before anything is started. This module reads the scenario
//! file only (never the migrations or definition files it names), and never starts a server or
//! connects to one.

pub mod accept;
pub mod gates;
mod overrides;
pub mod server_settings;
pub use overrides::Overrides;

use crate::lock_mode::LockMode;
use crate::migrations::Format;
use crate::provision::{DatabaseRequest, ProviderChoice};
use crate::toml_lines::{excerpt, toml_message, Step, TomlLines};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Limits on the scenario's numbers: beyond them a value is a typo, and some (a rate of 1e-300,
/// a long transaction of 1e300 seconds) would overflow a timer.
const MAX_CPUS: f64 = 4096.0;
const MAX_CLIENTS: u32 = 1000;
const MIN_RATE: f64 = 0.001;
const MAX_RATE: f64 = 1_000_000.0;
const MAX_LONG_TRANSACTION_SECONDS: f64 = 86_400.0;
const MAX_SAMPLE_INTERVAL_MS: u64 = 60_000;

/// The file name looked for inside a scenario folder.
pub const SCENARIO_FILE: &str = "rehearse.toml";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    pub name: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub migrations: MigrationsSection,
    #[serde(default)]
    pub database: DatabaseSection,
    /// Dataset to seed after the baseline and where migrations create tables: a definition file,
    /// scale, seed, inline tables.
    pub dataset: Option<crate::seed::DatasetSection>,
    /// Concurrent workload during each migration step; absent means the default workload.
    pub workload: Option<WorkloadSection>,
    /// How the probe observes the migration.
    pub probe: Option<ProbeSection>,
    /// Gates: thresholds and the approvals file.
    pub gates: Option<gates::GatesSection>,
    /// Schema differences accepted on purpose, by kind and object, per migration or for the run.
    pub accept: Option<accept::AcceptSection>,
    /// The run as a whole: how long it may take.
    pub run: Option<RunSection>,
    /// Rules ignored on purpose, each with a reason: `ignore = [{ rule = "...", reason = "..." }]`.
    pub rules: Option<crate::rules::suppress::RulesSection>,
    /// The seeded-state cache: `dir` (relative to the scenario file) and `max` ("10GB").
    pub cache: Option<CacheSection>,
}

/// `[cache]`: where the seeded state after the baseline is kept between runs.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheSection {
    /// The cache folder, relative to the scenario file. `--cache` replaces it.
    pub dir: Option<PathBuf>,
    /// The most the folder may hold ("10GB"); the least recently used entries go first.
    /// `--cache-max` replaces it.
    pub max: Option<String>,
}

/// `[run]`: the run as a whole.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSection {
    /// The longest the whole run may take ("30min", "2h", or milliseconds); past it the running
    /// statement is cancelled, the partial report written, and the run fails. `--timeout`
    /// replaces it.
    pub timeout: Option<gates::Millis>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MigrationsSection {
    /// Folder of migration files, relative to the scenario file. Default `migrations`.
    pub path: Option<PathBuf>,
    /// Force a format instead of detecting it.
    pub format: Option<Format>,
    /// Migrations up to and including this version are applied before the rehearsal, not rehearsed.
    pub baseline: Option<String>,
    /// `lock_timeout` for the migration session ("2s", "500ms", or an integer of milliseconds).
    pub lock_timeout: Option<Timeout>,
    /// `statement_timeout` for the migration session.
    pub statement_timeout: Option<Timeout>,
    /// SQL run on every migration session right after it connects, as the project's own runner
    /// prepares its session (Flyway's `initSql`): a `SET role`, a `search_path`, an advisory lock
    /// its bookkeeping triggers check.
    pub init_sql: Option<String>,
    /// `[migrations.template]`: the values of the Go template actions a runner such as
    /// gobuffalo pop renders in its files (`Options = { Namespace = "auth" }` for
    /// `{{ index .Options "Namespace" }}`). `--template NAME=VALUE` adds to them.
    pub template: Option<toml::Table>,
}

/// A PostgreSQL duration setting as the scenario writes it.
#[derive(Debug, Clone, PartialEq)]
pub enum Timeout {
    Millis(u64),
    Text(String),
}

impl<'de> Deserialize<'de> for Timeout {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(i64),
            Text(String),
        }
        let wrong = || {
            serde::de::Error::custom(
                "a timeout is a duration such as \"5s\" or \"500ms\", or a whole number of milliseconds (zero or more)",
            )
        };
        match Raw::deserialize(d).map_err(|_: D::Error| wrong())? {
            Raw::Int(ms) => u64::try_from(ms).map(Timeout::Millis).map_err(|_| wrong()),
            Raw::Text(t) => Ok(Timeout::Text(t)),
        }
    }
}

/// The oldest and newest PostgreSQL major versions a version number may name.
const MAJORS: std::ops::RangeInclusive<u32> = 10..=99;

/// Why `major` (written after `what`) is not a PostgreSQL major version; None when it is one.
pub fn bad_major(major: u32, what: &str) -> Option<String> {
    (!MAJORS.contains(&major)).then(|| {
        format!(
            "{what} {major} is not a PostgreSQL major version: give one such as 15 or 17 ({} or later)",
            MAJORS.start()
        )
    })
}

/// Why `image` (written after `what`) names no Docker image; None when it may name one.
pub fn bad_image(image: &str, what: &str) -> Option<String> {
    let trimmed = image.trim();
    if trimmed.is_empty() {
        return Some(format!(
            "{what} \"{image}\" names no image: give one such as postgres:17, or leave it out for postgres:<version>"
        ));
    }
    (trimmed != image || trimmed.contains(char::is_whitespace)).then(|| {
        format!(
            "{what} \"{}\" is not an image name: an image name has no spaces",
            excerpt(image)
        )
    })
}

/// The longest timeout PostgreSQL takes: its time settings are a 32-bit count of milliseconds.
pub const LONGEST_TIMEOUT_MS: u64 = i32::MAX as u64;

impl Timeout {
    /// The value as `SET lock_timeout = ...` takes it, or None when it is not a duration or is
    /// longer than PostgreSQL takes ([`LONGEST_TIMEOUT_MS`]).
    pub fn as_setting(&self) -> Option<String> {
        let ms = self.millis()?;
        (ms <= LONGEST_TIMEOUT_MS).then(|| match self {
            Timeout::Millis(ms) => format!("{ms}ms"),
            Timeout::Text(t) => t.trim().replace(' ', ""),
        })
    }

    /// The duration in milliseconds (rounded down), or None when it is not a duration or
    /// overflows.
    pub fn millis(&self) -> Option<u64> {
        self.parse().ok()
    }

    /// A duration, but longer than PostgreSQL takes.
    pub fn is_too_long(&self) -> bool {
        match self.parse() {
            Ok(ms) => ms > LONGEST_TIMEOUT_MS,
            Err(too_long) => too_long,
        }
    }

    /// Milliseconds, or whether the failure is an overflow (true) or not a duration (false).
    fn parse(&self) -> Result<u64, bool> {
        match self {
            Timeout::Millis(ms) => Ok(*ms),
            Timeout::Text(t) => {
                let t = t.trim();
                let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
                let (number, unit) = t.split_at(split);
                if number.is_empty() {
                    return Err(false);
                }
                // All digits: too many of them is an overflow, not a typo.
                let number: u64 = number.parse().map_err(|_| true)?;
                let per_unit_us: u64 = match unit.trim() {
                    "us" => 1,
                    "" | "ms" => 1_000,
                    "s" => 1_000_000,
                    "min" => 60_000_000,
                    "h" => 3_600_000_000,
                    "d" => 86_400_000_000,
                    _ => return Err(false),
                };
                number
                    .checked_mul(per_unit_us)
                    .map(|us| us / 1_000)
                    .ok_or(true)
            }
        }
    }
}

/// `[probe]`: how the probe observes the migration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbeSection {
    /// How often `pg_locks` and `pg_blocking_pids` are sampled from the monitor connection.
    pub sample_interval_ms: Option<u64>,
    /// Which tables the data check signs: `touched` (default) signs the tables a migration could
    /// have changed and proves the others unchanged from its locks and the catalog; `all` signs
    /// every table before and after every migration.
    pub data_check: Option<DataCheckScope>,
}

/// `[probe] data_check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DataCheckScope {
    #[default]
    Touched,
    All,
}

/// `[workload]`: client connections that keep querying while each migration step runs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadSection {
    /// `false` turns the workload off (the default workload included).
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default = "default_clients")]
    pub clients: u32,
    /// Queries per second over all clients.
    #[serde(default = "default_rate")]
    pub rate: f64,
    /// Weighted queries; none means the default workload (primary-key reads and updates on the
    /// largest tables).
    #[serde(default)]
    pub queries: Vec<WorkloadQuery>,
    /// A transaction that holds a lock from before the migration starts (the lock-queue outage).
    pub long_transaction: Option<LongTransactionSection>,
}

impl Default for WorkloadSection {
    fn default() -> Self {
        WorkloadSection {
            enabled: true,
            clients: default_clients(),
            rate: default_rate(),
            queries: Vec::new(),
            long_transaction: None,
        }
    }
}

/// One kind of application query: `$1`, `$2`, ... are replaced by values drawn from the data.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadQuery {
    pub name: Option<String>,
    pub sql: String,
    #[serde(default = "default_weight")]
    pub weight: u32,
    /// One query per parameter, run as written before the first step that needs it and again
    /// only after a step wrote a table it reads; its first column gives the values (for example
    /// `SELECT id FROM users ORDER BY random() LIMIT 100`).
    #[serde(default)]
    pub params: Vec<String>,
}

/// `[workload.long_transaction]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LongTransactionSection {
    pub table: String,
    /// A `LOCK TABLE` mode ("ACCESS SHARE", "ROW EXCLUSIVE", ...) or its `pg_locks` spelling.
    #[serde(default = "default_lock_mode")]
    pub mode: String,
    pub seconds: f64,
    /// The steps it applies to: "forward", "rollback", "redo". Default: forward only.
    #[serde(default = "default_steps")]
    pub during: Vec<String>,
}

fn yes() -> bool {
    true
}
fn default_clients() -> u32 {
    4
}
fn default_rate() -> f64 {
    100.0
}
fn default_weight() -> u32 {
    1
}
fn default_lock_mode() -> String {
    LockMode::AccessShare.lock_table_name().into()
}
fn default_steps() -> Vec<String> {
    vec!["forward".into()]
}

/// The `LOCK TABLE` spelling of a lock mode given either way ("ShareLock" or "SHARE").
/// See [`LockMode::parse`] for what is accepted.
pub fn lock_table_mode(mode: &str) -> Option<&'static str> {
    LockMode::parse(mode).map(LockMode::lock_table_name)
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSection {
    pub provider: Option<ProviderChoice>,
    /// PostgreSQL major version.
    pub version: Option<u32>,
    pub image: Option<String>,
    #[serde(default)]
    pub settings: toml::Table,
    pub cpus: Option<f64>,
    /// Memory limit, for example "2GiB" or "512MB".
    pub memory: Option<String>,
    pub url: Option<String>,
    /// Start the url provider's scratch database as a copy of `url`'s database (`--clone`).
    pub clone: Option<crate::provision::clone::CloneMethod>,
    /// Connections streaming rows at once for the clone's copy.
    pub clone_jobs: Option<usize>,
    /// Rehearse on `url`'s database itself, inside a transaction always rolled back.
    pub in_transaction: Option<bool>,
    /// `provider = "command"`: the commands that create and destroy the database.
    pub command: Option<CommandSection>,
    /// Where the server's data directory goes (local), or the host folder bind-mounted as it
    /// (docker): on XFS or btrfs, PostgreSQL 18 clones databases instead of copying them.
    pub data_dir: Option<PathBuf>,
}

/// `[database.command]`: `create` prints a postgresql:// URL as the last line of its stdout;
/// `destroy` removes what it made (both run by `sh -c` in the scenario's folder).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandSection {
    pub create: String,
    pub destroy: String,
    /// How long `create` may take, including the server's start ("10min" by default).
    pub create_timeout: Option<gates::Millis>,
    /// How long `destroy` may take ("2min" by default).
    pub destroy_timeout: Option<gates::Millis>,
}

/// A scenario ready to run: paths resolved, defaults applied.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    /// The scenario file, when there is one.
    pub file: Option<PathBuf>,
    pub migrations_dir: PathBuf,
    pub format: Option<Format>,
    pub baseline: Option<String>,
    pub database: DatabaseRequest,
    /// The values the folder's Go template actions are rendered with, when its runner renders
    /// them: the file's `[migrations.template]` with `--template` over it.
    pub template: crate::migrations::TemplateValues,
    /// The file's sections as read and validated. Private: each stage asks for its own section
    /// through the accessors below, and nothing outside this module reads the file's shape.
    sections: ScenarioFile,
}

#[derive(Debug, Error)]
pub enum ScenarioError {
    #[error("{} does not exist", .0.display())]
    Missing(PathBuf),
    #[error("{} cannot be read: {reason}", .path.display())]
    Unreadable { path: PathBuf, reason: String },
    #[error("{}{}: {message}", .path.display(), .line.map(|l| format!(", line {l}")).unwrap_or_default())]
    Invalid {
        path: PathBuf,
        line: Option<usize>,
        message: String,
    },
}

/// A bad scenario is bad input (exit 2).
impl From<ScenarioError> for crate::Error {
    fn from(e: ScenarioError) -> Self {
        crate::Error::Input(e.to_string())
    }
}

impl Scenario {
    /// Loads PATH as the CLI receives it: a scenario file, a folder with `rehearse.toml`, or a
    /// bare migrations folder.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        if !path.exists() {
            return Err(ScenarioError::Missing(path.to_path_buf()));
        }
        if !path.is_dir() {
            // A file, or something that is not one (a FIFO, a device): said by the reader.
            return Self::from_file(path);
        }
        let file = path.join(SCENARIO_FILE);
        if file.is_file() {
            return Self::from_file(&file);
        }
        Ok(Self::bare(path))
    }

    /// Every default, for a bare migrations folder.
    pub fn bare(dir: &Path) -> Scenario {
        let name = dir
            .canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| dir.display().to_string());
        Scenario {
            name,
            file: None,
            migrations_dir: dir.to_path_buf(),
            format: None,
            baseline: None,
            database: DatabaseRequest::default(),
            template: Default::default(),
            sections: ScenarioFile::default(),
        }
    }

    /// Reads and validates a scenario file. The checks run in the file's reading order, so
    /// the first mistake reported is always the same one.
    pub fn from_file(path: &Path) -> Result<Scenario, ScenarioError> {
        let text = crate::input::read_text(path).map_err(|e| ScenarioError::Unreadable {
            path: path.to_path_buf(),
            reason: e.reason,
        })?;
        let raw = parse(path, &text)?;
        let check = FileCheck {
            path,
            lines: TomlLines::new(&text),
        };
        check.finite()?;
        check.identity(&raw.database)?;
        let settings = check.settings(&raw.database)?;
        let memory_bytes = check.memory(&raw.database)?;
        check.cpus(&raw.database)?;
        check.timeouts(&raw.migrations)?;
        let template = check.template(&raw.migrations)?;
        check.probe(raw.probe.as_ref())?;
        check.dataset(raw.dataset.as_ref())?;
        check.workload(raw.workload.as_ref())?;
        let mut scenario = Self::from_sections(path, raw, settings, memory_bytes);
        scenario.template = template;
        Ok(scenario)
    }

    /// The scenario of a validated file: paths resolved against its folder, defaults applied.
    fn from_sections(
        path: &Path,
        raw: ScenarioFile,
        settings: Vec<(String, String)>,
        memory_bytes: Option<u64>,
    ) -> Scenario {
        let base = path.parent().unwrap_or(Path::new("."));
        let migrations_dir = base.join(
            raw.migrations
                .path
                .clone()
                .unwrap_or_else(|| PathBuf::from("migrations")),
        );
        let database = DatabaseRequest {
            provider: raw.database.provider.unwrap_or_default(),
            major: raw.database.version,
            image: raw.database.image.clone(),
            settings,
            cpus: raw.database.cpus,
            memory_bytes,
            url: raw.database.url.clone(),
            allow_non_disposable: false,
            clone: raw.database.clone,
            clone_jobs: raw.database.clone_jobs,
            in_transaction: raw.database.in_transaction.unwrap_or(false),
            data_dir: raw.database.data_dir.as_ref().map(|d| {
                let d = base.join(d);
                std::path::absolute(&d).unwrap_or(d)
            }),
            command: raw.database.command.as_ref().map(|c| {
                let limit = |m: Option<gates::Millis>, default| {
                    m.map(|m| std::time::Duration::from_secs_f64(m.0.max(1.0) / 1000.0))
                        .unwrap_or(default)
                };
                crate::provision::command::CommandSpec {
                    create: c.create.clone(),
                    destroy: c.destroy.clone(),
                    create_timeout: limit(
                        c.create_timeout,
                        crate::provision::command::DEFAULT_CREATE_TIMEOUT,
                    ),
                    destroy_timeout: limit(
                        c.destroy_timeout,
                        crate::provision::command::DEFAULT_DESTROY_TIMEOUT,
                    ),
                    dir: std::path::absolute(base).unwrap_or_else(|_| base.to_path_buf()),
                }
            }),
        };
        let name = raw.name.clone().unwrap_or_else(|| {
            base.canonicalize()
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .unwrap_or_else(|| "scenario".into())
        });
        Scenario {
            name,
            file: Some(path.to_path_buf()),
            migrations_dir,
            format: raw.migrations.format,
            baseline: raw.migrations.baseline.clone(),
            database,
            template: Default::default(),
            sections: raw,
        }
    }

    /// `[gates]`, when the file has one.
    pub fn gates(&self) -> Option<&gates::GatesSection> {
        self.sections.gates.as_ref()
    }

    /// `[accept]` / `[[accept]]`: differences accepted on purpose.
    pub fn accepted(&self) -> &[accept::AcceptEntry] {
        self.sections
            .accept
            .as_ref()
            .map(|a| a.0.as_slice())
            .unwrap_or_default()
    }

    /// `[rules] ignore`: rules ignored on purpose, each with its reason; refused (with the
    /// file) when an entry has no reason.
    pub fn rule_ignores(&self) -> Result<Vec<crate::rules::suppress::Ignore>, String> {
        let source = self
            .file
            .as_ref()
            .map(|f| f.display().to_string())
            .unwrap_or_else(|| "the scenario".into());
        match &self.sections.rules {
            Some(r) => r.ignores(&source),
            None => Ok(Vec::new()),
        }
    }

    /// `[migrations] lock_timeout`, for the migration session.
    pub fn lock_timeout(&self) -> Option<&Timeout> {
        self.sections.migrations.lock_timeout.as_ref()
    }

    /// `[migrations] statement_timeout`, for the migration session.
    pub fn statement_timeout(&self) -> Option<&Timeout> {
        self.sections.migrations.statement_timeout.as_ref()
    }

    /// `[migrations] init_sql`: SQL each migration session runs first.
    pub fn init_sql(&self) -> Option<&str> {
        self.sections.migrations.init_sql.as_deref()
    }

    /// `[cache]`, with its folder resolved against the scenario file's folder.
    pub fn cache(&self) -> Option<CacheSection> {
        let mut section = self.sections.cache.clone()?;
        if let (Some(dir), Some(file)) = (&section.dir, &self.file) {
            if dir.is_relative() {
                let base = file.parent().unwrap_or(std::path::Path::new("."));
                section.dir = Some(base.join(dir));
            }
        }
        Some(section)
    }

    /// `[dataset]`, when the file has one.
    pub fn dataset(&self) -> Option<&crate::seed::DatasetSection> {
        self.sections.dataset.as_ref()
    }

    /// `[workload]`, when the file has one (none: the default workload).
    pub fn workload(&self) -> Option<&WorkloadSection> {
        self.sections.workload.as_ref()
    }

    /// `[run] timeout` in milliseconds, when the file sets one.
    pub fn run_timeout_ms(&self) -> Option<f64> {
        self.sections.run.as_ref()?.timeout.map(|m| m.0)
    }

    /// `[probe]`, when the file has one.
    pub fn probe(&self) -> Option<&ProbeSection> {
        self.sections.probe.as_ref()
    }

    /// The scenario with its `[workload]` replaced, as a file saying so would give it.
    pub fn with_workload(mut self, workload: WorkloadSection) -> Scenario {
        self.sections.workload = Some(workload);
        self
    }
}

/// The file's TOML read into its sections; a syntax or shape error gives the line it is on.
fn parse(path: &Path, text: &str) -> Result<ScenarioFile, ScenarioError> {
    toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        ScenarioError::Invalid {
            path: path.to_path_buf(),
            line,
            message: toml_message(e.message()),
        }
    })
}

/// The checks of a parsed scenario file's values, each error at the line of the key it is about.
struct FileCheck<'a> {
    path: &'a Path,
    lines: TomlLines,
}

impl FileCheck<'_> {
    /// A bad value at `key`, on that key's line.
    fn invalid_at(&self, key: &[Step], message: String) -> ScenarioError {
        ScenarioError::Invalid {
            path: self.path.to_path_buf(),
            line: self.lines.line(key),
            message,
        }
    }

    /// No number anywhere in the file is infinite or NaN.
    fn finite(&self) -> Result<(), ScenarioError> {
        match self.lines.first_non_finite() {
            Some((line, key)) => Err(ScenarioError::Invalid {
                path: self.path.to_path_buf(),
                line: Some(line),
                message: format!("{key} is not a finite number"),
            }),
            None => Ok(()),
        }
    }

    /// `[database.settings]`: each a string, number or boolean, as the server's text.
    /// `[database] version` and `image`: a PostgreSQL major version, a non-empty image name.
    fn identity(&self, db: &DatabaseSection) -> Result<(), ScenarioError> {
        if let Some(why) = db
            .version
            .and_then(|v| bad_major(v, "[database] version ="))
        {
            return Err(self.invalid_at(&["database".into(), "version".into()], why));
        }
        if let Some(why) = db
            .image
            .as_deref()
            .and_then(|i| bad_image(i, "[database] image ="))
        {
            return Err(self.invalid_at(&["database".into(), "image".into()], why));
        }
        Ok(())
    }

    fn settings(&self, db: &DatabaseSection) -> Result<Vec<(String, String)>, ScenarioError> {
        let mut settings = Vec::new();
        for (name, value) in &db.settings {
            if let Some(why) = server_settings::unknown(name) {
                return Err(self.invalid_at(
                    &["database".into(), "settings".into(), name.into()],
                    format!("[database.settings] {why}"),
                ));
            }
            let value = match value {
                toml::Value::String(s) => s.clone(),
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Float(f) => f.to_string(),
                toml::Value::Boolean(b) => {
                    if *b {
                        "on".into()
                    } else {
                        "off".into()
                    }
                }
                other => {
                    return Err(self.invalid_at(
                        &["database".into(), "settings".into(), name.into()],
                        format!(
                        "[database.settings] {name} must be a string, number or boolean, not {}",
                        other.type_str()
                    ),
                    ))
                }
            };
            settings.push((name.clone(), value));
        }
        Ok(settings)
    }

    /// `[database] memory`: a size, in bytes.
    fn memory(&self, db: &DatabaseSection) -> Result<Option<u64>, ScenarioError> {
        let Some(m) = &db.memory else {
            return Ok(None);
        };
        parse_bytes(m).map(Some).ok_or_else(|| {
            self.invalid_at(
                &["database".into(), "memory".into()],
                format!(
                    "[database] memory = \"{}\" is not a size such as \"512MiB\" or \"2GB\"",
                    excerpt(m)
                ),
            )
        })
    }

    /// `[database] cpus`: more than 0 and at most [`MAX_CPUS`].
    fn cpus(&self, db: &DatabaseSection) -> Result<(), ScenarioError> {
        match db.cpus {
            Some(c) if !(c > 0.0 && c <= MAX_CPUS) => Err(self.invalid_at(
                &["database".into(), "cpus".into()],
                format!(
                    "[database] cpus = {} must be more than 0 and at most {MAX_CPUS}",
                    shown(c)
                ),
            )),
            _ => Ok(()),
        }
    }

    /// `[migrations] lock_timeout` and `statement_timeout`: durations, in that order.
    /// `[migrations.template]`: strings, numbers, booleans, and tables of them.
    fn template(
        &self,
        migrations: &MigrationsSection,
    ) -> Result<crate::migrations::TemplateValues, ScenarioError> {
        match &migrations.template {
            None => Ok(Default::default()),
            Some(table) => crate::migrations::TemplateValues::from_toml(table).map_err(|why| {
                self.invalid_at(&["migrations".into(), "template".into()], why)
            }),
        }
    }

    fn timeouts(&self, migrations: &MigrationsSection) -> Result<(), ScenarioError> {
        for (name, value) in [
            ("lock_timeout", &migrations.lock_timeout),
            ("statement_timeout", &migrations.statement_timeout),
        ] {
            if let Some(t) = value {
                if t.as_setting().is_none() {
                    let shown = match t {
                        Timeout::Millis(ms) => ms.to_string(),
                        Timeout::Text(text) => format!("\"{}\"", excerpt(text)),
                    };
                    let why = if t.is_too_long() {
                        format!("is longer than PostgreSQL takes (at most {LONGEST_TIMEOUT_MS}ms, about 24 days)")
                    } else {
                        "is not a duration such as \"5s\" or 500".to_string()
                    };
                    return Err(self.invalid_at(
                        &["migrations".into(), name.into()],
                        format!("[migrations] {name} = {shown} {why}"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// `[probe] sample_interval_ms`: between 1 and [`MAX_SAMPLE_INTERVAL_MS`].
    fn probe(&self, probe: Option<&ProbeSection>) -> Result<(), ScenarioError> {
        match probe.and_then(|p| p.sample_interval_ms) {
            Some(ms) if !(1..=MAX_SAMPLE_INTERVAL_MS).contains(&ms) => Err(self.invalid_at(
                &["probe".into(), "sample_interval_ms".into()],
                format!("[probe] sample_interval_ms = {ms} must be between 1 and {MAX_SAMPLE_INTERVAL_MS}"),
            )),
            _ => Ok(()),
        }
    }

    /// `[dataset]`: a scale of zero or more, then the numbers of its inline tables.
    fn dataset(&self, dataset: Option<&crate::seed::DatasetSection>) -> Result<(), ScenarioError> {
        let Some(d) = dataset else {
            return Ok(());
        };
        if let Some(scale) = d.scale {
            if scale < 0.0 || scale.is_nan() {
                return Err(self.invalid_at(
                    &["dataset".into(), "scale".into()],
                    format!("[dataset] scale = {} must be zero or more", shown(scale)),
                ));
            }
        }
        crate::seed::definition::check_numbers(&d.tables, &["dataset", "tables"], &self.lines)
            .map_err(|(line, message)| ScenarioError::Invalid {
                path: self.path.to_path_buf(),
                line,
                message,
            })
    }

    /// `[workload]`: clients and rate in range when enabled, no query of weight 0, then its
    /// long transaction.
    fn workload(&self, workload: Option<&WorkloadSection>) -> Result<(), ScenarioError> {
        let Some(w) = workload else {
            return Ok(());
        };
        let at = |key: &'static str| [Step::Key("workload"), Step::Key(key)];
        if w.enabled && !(1..=MAX_CLIENTS).contains(&w.clients) {
            return Err(self.invalid_at(
                &at("clients"),
                format!(
                    "[workload] clients = {} must be between 1 and {MAX_CLIENTS} (or set enabled = false)",
                    w.clients
                ),
            ));
        }
        if w.enabled && !(w.rate >= MIN_RATE && w.rate <= MAX_RATE) {
            return Err(self.invalid_at(
                &at("rate"),
                format!(
                    "[workload] rate = {} must be between {MIN_RATE} and {MAX_RATE} queries per second (or set enabled = false)",
                    shown(w.rate)
                ),
            ));
        }
        for (i, q) in w.queries.iter().enumerate() {
            if q.weight == 0 {
                return Err(self.invalid_at(
                    &["workload".into(), "queries".into(), i.into(), "weight".into()],
                    format!(
                        "[workload] the query \"{}\" has weight 0: give it a positive weight or remove it",
                        excerpt(&q.sql)
                    ),
                ));
            }
        }
        match &w.long_transaction {
            Some(lt) => self.long_transaction(lt),
            None => Ok(()),
        }
    }

    /// `[workload.long_transaction]`: a table lock mode, seconds in range, known steps.
    fn long_transaction(&self, lt: &LongTransactionSection) -> Result<(), ScenarioError> {
        let at = |key: &'static str| {
            [
                Step::Key("workload"),
                Step::Key("long_transaction"),
                Step::Key(key),
            ]
        };
        if lock_table_mode(&lt.mode).is_none() {
            return Err(self.invalid_at(
                &at("mode"),
                format!(
                    "[workload.long_transaction] mode = \"{}\" is not a table lock mode such as \"ACCESS SHARE\" or \"ShareLock\"",
                    excerpt(&lt.mode)
                ),
            ));
        }
        if !(lt.seconds >= 0.0 && lt.seconds <= MAX_LONG_TRANSACTION_SECONDS) {
            return Err(self.invalid_at(
                &at("seconds"),
                format!(
                    "[workload.long_transaction] seconds = {} must be between 0 and {MAX_LONG_TRANSACTION_SECONDS}",
                    shown(lt.seconds)
                ),
            ));
        }
        match lt
            .during
            .iter()
            .find(|s| !["forward", "rollback", "redo"].contains(&s.as_str()))
        {
            Some(step) => Err(self.invalid_at(
                &at("during"),
                format!(
                    "[workload.long_transaction] during = \"{}\": the steps are \"forward\", \"rollback\" and \"redo\"",
                    excerpt(step)
                ),
            )),
            None => Ok(()),
        }
    }
}

/// A number as a message shows it: plain when it reads well, in exponent form when it is very
/// large or very small (`1e300`, not three hundred digits).
pub fn shown(n: f64) -> String {
    if n == 0.0 || (1e-6..1e15).contains(&n.abs()) {
        format!("{n}")
    } else {
        format!("{n:e}")
    }
}

/// Parses sizes such as `512MB`, `2GiB`, `1024` (bytes).
pub fn parse_bytes(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: f64 = number.parse().ok()?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "kib" => 1024.0,
        "m" | "mb" => 1e6,
        "mib" => 1024.0 * 1024.0,
        "g" | "gb" => 1e9,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    Some((n * mult) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_units() {
        assert_eq!(parse_bytes("512MiB"), Some(512 * 1024 * 1024));
        assert_eq!(parse_bytes("2GB"), Some(2_000_000_000));
        assert_eq!(parse_bytes("lots"), None);
    }

    #[test]
    fn the_dataset_section_is_typed() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("rehearse.toml");
        std::fs::write(
            &file,
            "[dataset]\ngenerators = \"saas\"\nscale = 0.01\nseed = 7\n[dataset.tables.users]\nrows = 10\n",
        )
        .unwrap();
        let s = Scenario::load(dir.path()).unwrap();
        let d = s.sections.dataset.unwrap();
        assert_eq!((d.scale, d.seed), (Some(0.01), Some(7)));
        assert_eq!(d.tables["users"].rows, Some(10));
        std::fs::write(&file, "[dataset]\nscael = 1\n").unwrap();
        let err = Scenario::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("line 2") && err.contains("scael"), "{err}");
    }

    #[test]
    fn a_workload_section_parses_with_defaults() {
        let raw: ScenarioFile = toml::from_str(
            r#"
[migrations]
lock_timeout = "2s"
statement_timeout = 30000
[workload]
clients = 2
[[workload.queries]]
sql = "SELECT * FROM users WHERE id = $1"
params = ["SELECT id FROM users ORDER BY random() LIMIT 50"]
[workload.long_transaction]
table = "users"
seconds = 3
"#,
        )
        .unwrap();
        let w = raw.workload.unwrap();
        assert_eq!((w.clients, w.rate, w.queries[0].weight), (2, 100.0, 1));
        assert_eq!(w.long_transaction.unwrap().during, vec!["forward"]);
        assert_eq!(
            raw.migrations.lock_timeout.unwrap().as_setting().as_deref(),
            Some("2s")
        );
        assert_eq!(
            raw.migrations
                .statement_timeout
                .unwrap()
                .as_setting()
                .as_deref(),
            Some("30000ms")
        );
    }

    #[test]
    fn lock_modes_are_accepted_in_both_spellings() {
        assert_eq!(lock_table_mode("ShareLock"), Some("SHARE"));
        assert_eq!(
            lock_table_mode("access  exclusive"),
            Some("ACCESS EXCLUSIVE")
        );
        assert_eq!(lock_table_mode("shared"), None);
    }

    #[test]
    fn a_typo_in_the_scenario_names_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("rehearse.toml");
        std::fs::write(&file, "name = \"x\"\n[database]\nprovder = \"local\"\n").unwrap();
        let err = Scenario::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("rehearse.toml, line 3"), "{err}");
        assert!(err.contains("provder"), "{err}");
    }
}
