//! The content key of a seeded state: every input that made it, each hashed on its own (so that
//! a miss can say which one changed), and the key as the hash of them all. Pure: it reads no
//! file and asks no server; the caller hands it the bytes and the words.

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Bumped when what an entry holds, or how rehearse builds a seeded state, changes in a way the
/// other inputs do not show: an older entry then misses instead of being restored.
pub const FORMAT_VERSION: u32 = 2;

/// The inputs of a seeded state by name (`seed`, `baseline file V3__users.sql`), each a hex hash.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Inputs(pub BTreeMap<String, String>);

impl Inputs {
    /// Adds an input from its bytes.
    pub fn add(&mut self, name: impl Into<String>, bytes: impl AsRef<[u8]>) {
        self.0.insert(name.into(), hex(&Sha256::digest(bytes.as_ref())));
    }

    /// The key: the hash of every (name, hash) pair in name order, and of the format version.
    pub fn key(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(format!("rehearse-cache-format {FORMAT_VERSION}\n"));
        for (name, hash) in &self.0 {
            hasher.update(name.as_bytes());
            hasher.update([0]);
            hasher.update(hash.as_bytes());
            hasher.update([b'\n']);
        }
        hex(&hasher.finalize())
    }

    /// What differs from `other` (an older entry's inputs), one phrase per input: `seed
    /// changed`, `baseline file V4__x.sql added`.
    pub fn changed_from(&self, other: &Inputs) -> Vec<String> {
        let mut said = Vec::new();
        for (name, hash) in &self.0 {
            match other.0.get(name) {
                Some(h) if h == hash => {}
                Some(_) => said.push(format!("{name} changed")),
                None => said.push(format!("{name} added")),
            }
        }
        for name in other.0.keys() {
            if !self.0.contains_key(name) {
                said.push(format!("{name} removed"));
            }
        }
        said
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(pairs: &[(&str, &str)]) -> Inputs {
        let mut i = Inputs::default();
        for (n, b) in pairs {
            i.add(*n, b);
        }
        i
    }

    #[test]
    fn the_same_inputs_give_the_same_key_and_any_change_another() {
        let a = inputs(&[("seed", "1"), ("baseline file 1.sql", "create table t()")]);
        assert_eq!(a.key(), inputs(&[("baseline file 1.sql", "create table t()"), ("seed", "1")]).key());
        let b = inputs(&[("seed", "2"), ("baseline file 1.sql", "create table t()")]);
        assert_ne!(a.key(), b.key());
        assert_eq!(b.changed_from(&a), ["seed changed"]);
    }

    #[test]
    fn a_file_added_or_removed_is_named() {
        let a = inputs(&[("baseline file 1.sql", "x")]);
        let b = inputs(&[("baseline file 1.sql", "x"), ("baseline file 2.sql", "y")]);
        assert_eq!(b.changed_from(&a), ["baseline file 2.sql added"]);
        assert_eq!(a.changed_from(&b), ["baseline file 2.sql removed"]);
    }
}
