//! Scenarios: what to rehearse, on which database, with which data, workload and gates.
//!
//! A scenario is a TOML file (`rehearse.toml`), or a bare migrations folder where every default
//! applies. Validation happens here, before anything is started.

use crate::migrations::Format;
use crate::provision::{DatabaseRequest, ProviderChoice};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use thiserror::Error;

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
    /// Dataset to seed (issue D); kept as raw TOML until the seeder reads it.
    pub dataset: Option<toml::Value>,
    /// Concurrent workload (issue C).
    pub workload: Option<toml::Value>,
    /// Gates: thresholds and the approvals file.
    pub gates: Option<crate::gate::GatesSection>,
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
    pub raw: ScenarioFile,
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

impl Scenario {
    /// Loads PATH as the CLI receives it: a scenario file, a folder with `rehearse.toml`, or a
    /// bare migrations folder.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        if !path.exists() {
            return Err(ScenarioError::Missing(path.to_path_buf()));
        }
        if path.is_file() {
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
            raw: ScenarioFile::default(),
        }
    }

    pub fn from_file(path: &Path) -> Result<Scenario, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError::Unreadable {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let raw: ScenarioFile = toml::from_str(&text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            ScenarioError::Invalid {
                path: path.to_path_buf(),
                line,
                message: e.message().trim().to_string(),
            }
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let migrations_dir = base.join(
            raw.migrations
                .path
                .clone()
                .unwrap_or_else(|| PathBuf::from("migrations")),
        );
        let invalid = |message: String| ScenarioError::Invalid {
            path: path.to_path_buf(),
            line: None,
            message,
        };

        let mut settings = Vec::new();
        for (name, value) in &raw.database.settings {
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
                    return Err(invalid(format!(
                        "[database.settings] {name} must be a string, number or boolean, not {}",
                        other.type_str()
                    )))
                }
            };
            settings.push((name.clone(), value));
        }
        let memory_bytes = match &raw.database.memory {
            Some(m) => Some(parse_bytes(m).ok_or_else(|| {
                invalid(format!(
                    "[database] memory = \"{m}\" is not a size such as \"512MiB\" or \"2GB\""
                ))
            })?),
            None => None,
        };
        if let Some(c) = raw.database.cpus {
            if c <= 0.0 {
                return Err(invalid(format!(
                    "[database] cpus = {c} must be greater than zero"
                )));
            }
        }
        let database = DatabaseRequest {
            provider: raw.database.provider.unwrap_or_default(),
            major: raw.database.version,
            image: raw.database.image.clone(),
            settings,
            cpus: raw.database.cpus,
            memory_bytes,
            url: raw.database.url.clone(),
            allow_non_disposable: false,
        };
        let name = raw.name.clone().unwrap_or_else(|| {
            base.canonicalize()
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .unwrap_or_else(|| "scenario".into())
        });
        Ok(Scenario {
            name,
            file: Some(path.to_path_buf()),
            migrations_dir,
            format: raw.migrations.format,
            baseline: raw.migrations.baseline.clone(),
            database,
            raw,
        })
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
    fn a_typo_in_the_scenario_names_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("rehearse.toml");
        std::fs::write(&file, "name = \"x\"\n[database]\nprovder = \"local\"\n").unwrap();
        let err = Scenario::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("rehearse.toml, line 3"), "{err}");
        assert!(err.contains("provder"), "{err}");
    }
}
