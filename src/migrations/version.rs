//! Versions compare as versions: `2` before `10`, `1.2.9` before `1.2.10`.

use std::cmp::Ordering;

/// A migration version exactly as written in the file name, ordered numerically by segment.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Version(String);

impl Version {
    pub fn new(text: impl Into<String>) -> Self {
        Version(text.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Segments split on `.` and `_` (Flyway allows `1_2` for `1.2`), leading zeros ignored.
    /// Dashes are dropped first, as diesel drops them: `2024-01-01-120000` is `20240101120000`.
    fn segments(&self) -> Vec<String> {
        self.0
            .replace('-', "")
            .split(['.', '_'])
            .map(|s| {
                let trimmed = s.trim_start_matches('0');
                if trimmed.is_empty() {
                    "0".to_string()
                } else {
                    trimmed.to_string()
                }
            })
            .collect()
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (self.segments(), other.segments());
        for (x, y) in a.iter().zip(b.iter()) {
            let numeric =
                x.bytes().all(|c| c.is_ascii_digit()) && y.bytes().all(|c| c.is_ascii_digit());
            let ord = if numeric {
                x.len().cmp(&y.len()).then_with(|| x.cmp(y))
            } else {
                x.cmp(y)
            };
            if ord != Ordering::Equal {
                return ord;
            }
        }
        a.len().cmp(&b.len()).then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Version {
    /// Two spellings of one version (`002` and `2`, `1.2` and `1_2`) are the same migration.
    pub fn same_as(&self, other: &Version) -> bool {
        self.segments() == other.segments()
    }
}

#[cfg(test)]
mod tests {
    use super::Version;

    #[test]
    fn numbers_order_as_numbers() {
        assert!(Version::new("2") < Version::new("10"));
        assert!(Version::new("002") < Version::new("010"));
        assert!(Version::new("1.2.9") < Version::new("1.2.10"));
        assert!(Version::new("1.2") < Version::new("1.2.1"));
        assert!(Version::new("20240101120000") < Version::new("20240101120001"));
    }

    #[test]
    fn leading_zeros_name_the_same_version() {
        assert!(Version::new("002").same_as(&Version::new("2")));
        assert!(Version::new("1_2").same_as(&Version::new("1.2")));
        assert!(!Version::new("1.2").same_as(&Version::new("1.20")));
    }

    #[test]
    fn diesel_dashed_versions_order_like_their_digits() {
        assert!(Version::new("00000000000000") < Version::new("2024-01-01-120000"));
        assert!(Version::new("2024-01-01-120000") < Version::new("2024-01-02-000000"));
        assert!(Version::new("2024-01-01-120000").same_as(&Version::new("20240101120000")));
    }
}
