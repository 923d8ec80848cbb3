//! The scenario's `[gates]` section as written: thresholds, durations, the approvals file.
//! Only the format and its checks as it is read; what the gates decide is [`crate::gate`]'s job,
//! and nothing here looks at a report.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The scenario's `[gates]` section.
///
/// ```toml
/// [gates]
/// max_duration = "30s"                       # longest direction of one migration
/// max_lock_hold = { AccessExclusiveLock = "2s", ShareLock = "30s" }
/// max_blocked = "500ms"                      # longest block of one workload query
/// require_rollback = true                    # default
/// approvals = "approvals.toml"               # relative to the scenario file
/// large_table_rows = 1000000                 # for the hazards
/// ```
/// Durations are strings with a unit (`ms`, `s`, `min`) or numbers of milliseconds.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatesSection {
    pub max_duration: Option<Millis>,
    #[serde(default)]
    pub max_lock_hold: BTreeMap<String, Millis>,
    pub max_blocked: Option<Millis>,
    pub require_rollback: Option<bool>,
    pub approvals: Option<PathBuf>,
    pub large_table_rows: Option<u64>,
}

/// A duration in milliseconds, written `"2s"`, `"500ms"`, `"1.5min"` or as a number of ms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Millis(pub f64);

impl<'de> Deserialize<'de> for Millis {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(f64),
            Int(i64),
            Text(String),
        }
        let ms = |n: f64| {
            if n >= 0.0 && n.is_finite() {
                Ok(Millis(n))
            } else {
                Err(serde::de::Error::custom(format!(
                    "{n} is not a duration: give milliseconds of zero or more, or a text such as \"2s\""
                )))
            }
        };
        let raw = Raw::deserialize(d).map_err(|_: D::Error| {
            serde::de::Error::custom(
                "a duration is a text such as \"2s\", \"500ms\" or \"1.5min\", or a number of milliseconds",
            )
        })?;
        match raw {
            Raw::Number(n) => ms(n),
            Raw::Int(n) => ms(n as f64),
            Raw::Text(t) => parse_duration(&t)
                .map(Millis)
                .map_err(serde::de::Error::custom),
        }
    }
}

/// `"2s"`, `"500ms"`, `"1.5min"` → milliseconds. The unit is required: a bare `5` could mean
/// five seconds as easily as five milliseconds.
pub fn parse_duration(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let shown = crate::toml_lines::excerpt(text);
    let n: f64 = number
        .parse()
        .ok()
        .filter(|n: &f64| n.is_finite())
        .ok_or_else(|| format!("\"{shown}\" is not a duration such as \"2s\" or \"500ms\""))?;
    let factor = match unit.trim() {
        "" => {
            return Err(format!(
                "\"{shown}\" has no unit: write \"{shown}ms\" or \"{shown}s\""
            ))
        }
        "ms" => 1.0,
        "s" | "sec" => 1000.0,
        "m" | "min" => 60_000.0,
        "h" => 3_600_000.0,
        _ => {
            return Err(format!(
                "\"{shown}\" is not a duration such as \"2s\" or \"500ms\""
            ))
        }
    };
    Ok(n * factor)
}
