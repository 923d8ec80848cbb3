//! The scenario's `[accept]` / `[[accept]]` section as written: schema differences kept on
//! purpose, each kind checked against the snapshot's kinds as it is read, so a typo is named with
//! its line. Applying an acceptance to a report is [`crate::gate::accept`]'s job, never this one's.

use crate::snapshot::diff::{is_kind, KINDS};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

/// The sentence for a kind that is not a difference kind.
pub fn unknown_kind(kind: &str) -> String {
    format!(
        "\"{kind}\" is not a difference kind; the kinds are {}",
        KINDS.join(", ")
    )
}

/// A difference kind, checked against [`KINDS`] as it is read (so that a typo in the scenario is
/// reported with its line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DifferenceKind(pub String);

impl<'de> Deserialize<'de> for DifferenceKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let kind = String::deserialize(d)?;
        if is_kind(&kind) {
            Ok(DifferenceKind(kind))
        } else {
            Err(de::Error::custom(unknown_kind(&kind)))
        }
    }
}

/// One `[[accept]]` entry of the scenario.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptEntry {
    pub kind: DifferenceKind,
    pub object: Option<String>,
    /// The migration's version; absent: the whole run.
    pub migration: Option<String>,
    pub reason: String,
}

/// The scenario's `[accept]` (one entry) or `[[accept]]` (several).
#[derive(Debug, Clone, Default)]
pub struct AcceptSection(pub Vec<AcceptEntry>);

impl<'de> Deserialize<'de> for AcceptSection {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Entries;
        impl<'de> Visitor<'de> for Entries {
            type Value = AcceptSection;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "[[accept]] entries with kind, reason and optionally object and migration",
                )
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<AcceptSection, A::Error> {
                let one = AcceptEntry::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(AcceptSection(vec![one]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<AcceptSection, A::Error> {
                let many =
                    Vec::<AcceptEntry>::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
                Ok(AcceptSection(many))
            }
        }
        d.deserialize_any(Entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scenario_section_takes_one_table_or_many() {
        #[derive(Deserialize)]
        struct S {
            accept: AcceptSection,
        }
        let one: S = toml::from_str("[accept]\nkind = \"column_order\"\nreason = \"r\"\n").unwrap();
        assert_eq!(one.accept.0.len(), 1);
        let many: S = toml::from_str(
            "[[accept]]\nkind = \"column_order\"\nreason = \"r\"\n[[accept]]\nkind = \"view_changed\"\nmigration = \"7\"\nreason = \"r\"\n",
        )
        .unwrap();
        assert_eq!(many.accept.0.len(), 2);
        let err = toml::from_str::<S>("[[accept]]\nkind = \"colum_order\"\nreason = \"r\"\n")
            .err()
            .unwrap();
        assert!(
            err.message()
                .contains("\"colum_order\" is not a difference kind"),
            "{err}"
        );
        assert!(err.span().is_some());
    }
}
