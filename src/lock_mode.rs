//! PostgreSQL's eight table-level lock modes as one type: how `pg_locks.mode` spells each
//! ("AccessExclusiveLock") and how `LOCK TABLE` does ("ACCESS EXCLUSIVE"), their order from
//! weakest to strongest, and which pairs conflict, as PostgreSQL documents them
//! (<https://www.postgresql.org/docs/current/explicit-locking.html>, "Conflicting Lock Modes").
//!
//! A leaf: it imports nothing from the crate and never talks to a database. Modes it does not
//! know (advisory locks, relation extension, ...) are simply not a [`LockMode`]; the report keeps
//! every mode as the string `pg_locks` gave, and callers decide what an unknown one means.

use std::fmt;

/// A table lock mode, declared weakest to strongest (the derived order is [`LockMode::strength`]'s).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LockMode {
    AccessShare,
    RowShare,
    RowExclusive,
    ShareUpdateExclusive,
    Share,
    ShareRowExclusive,
    Exclusive,
    AccessExclusive,
}

use LockMode::*;

impl LockMode {
    /// Every mode, weakest to strongest.
    pub const ALL: [LockMode; 8] = [
        AccessShare,
        RowShare,
        RowExclusive,
        ShareUpdateExclusive,
        Share,
        ShareRowExclusive,
        Exclusive,
        AccessExclusive,
    ];

    /// As `pg_locks.mode` spells it: `AccessExclusiveLock`.
    pub fn pg_locks_name(self) -> &'static str {
        match self {
            AccessShare => "AccessShareLock",
            RowShare => "RowShareLock",
            RowExclusive => "RowExclusiveLock",
            ShareUpdateExclusive => "ShareUpdateExclusiveLock",
            Share => "ShareLock",
            ShareRowExclusive => "ShareRowExclusiveLock",
            Exclusive => "ExclusiveLock",
            AccessExclusive => "AccessExclusiveLock",
        }
    }

    /// As `LOCK TABLE ... IN <mode> MODE` spells it: `ACCESS EXCLUSIVE`.
    pub fn lock_table_name(self) -> &'static str {
        match self {
            AccessShare => "ACCESS SHARE",
            RowShare => "ROW SHARE",
            RowExclusive => "ROW EXCLUSIVE",
            ShareUpdateExclusive => "SHARE UPDATE EXCLUSIVE",
            Share => "SHARE",
            ShareRowExclusive => "SHARE ROW EXCLUSIVE",
            Exclusive => "EXCLUSIVE",
            AccessExclusive => "ACCESS EXCLUSIVE",
        }
    }

    /// A mode given either way, as a person writes it in a scenario: the `pg_locks` spelling
    /// ("ShareLock") or the `LOCK TABLE` one ("SHARE", "access  exclusive"), ignoring case,
    /// surrounding whitespace and, in the `LOCK TABLE` spelling, runs of whitespace.
    pub fn parse(text: &str) -> Option<LockMode> {
        let wanted = text.trim();
        let squashed = wanted.split_whitespace().collect::<Vec<_>>().join(" ");
        Self::ALL.into_iter().find(|m| {
            m.pg_locks_name().eq_ignore_ascii_case(wanted)
                || m.lock_table_name().eq_ignore_ascii_case(&squashed)
        })
    }

    /// A mode exactly as `pg_locks.mode` spells it ("AccessExclusiveLock"), the way reports
    /// and gate limits carry it; any other text, including the lock modes of other lock types
    /// that are not table modes, is None.
    pub fn from_pg_locks_name(name: &str) -> Option<LockMode> {
        Self::ALL.into_iter().find(|m| m.pg_locks_name() == name)
    }

    /// Position from weakest (AccessShare, 0) to strongest (AccessExclusive, 7).
    pub fn strength(self) -> i32 {
        self as i32
    }

    /// Whether a lock of this mode and one of `other` on the same table cannot both be held by
    /// different transactions (PostgreSQL's table-level lock conflict matrix). Symmetric.
    pub fn conflicts_with(self, other: LockMode) -> bool {
        self.conflicts() & other.bit() != 0
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }

    /// The modes this one conflicts with, one bit per mode, as PostgreSQL's documentation lists them.
    fn conflicts(self) -> u8 {
        let set = |modes: &[LockMode]| modes.iter().fold(0u8, |bits, m| bits | m.bit());
        match self {
            AccessShare => set(&[AccessExclusive]),
            RowShare => set(&[Exclusive, AccessExclusive]),
            RowExclusive => set(&[Share, ShareRowExclusive, Exclusive, AccessExclusive]),
            ShareUpdateExclusive => set(&[
                ShareUpdateExclusive,
                Share,
                ShareRowExclusive,
                Exclusive,
                AccessExclusive,
            ]),
            Share => set(&[
                RowExclusive,
                ShareUpdateExclusive,
                ShareRowExclusive,
                Exclusive,
                AccessExclusive,
            ]),
            ShareRowExclusive => set(&[
                RowExclusive,
                ShareUpdateExclusive,
                Share,
                ShareRowExclusive,
                Exclusive,
                AccessExclusive,
            ]),
            Exclusive => set(&[
                RowShare,
                RowExclusive,
                ShareUpdateExclusive,
                Share,
                ShareRowExclusive,
                Exclusive,
                AccessExclusive,
            ]),
            AccessExclusive => set(&Self::ALL),
        }
    }
}

/// The `pg_locks` spelling, as reports show a mode.
impl fmt::Display for LockMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.pg_locks_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conflicting(mode: LockMode) -> Vec<LockMode> {
        LockMode::ALL
            .into_iter()
            .filter(|m| mode.conflicts_with(*m))
            .collect()
    }

    #[test]
    fn both_spellings_parse_and_print_back() {
        for m in LockMode::ALL {
            assert_eq!(LockMode::parse(m.pg_locks_name()), Some(m));
            assert_eq!(LockMode::parse(m.lock_table_name()), Some(m));
            assert_eq!(LockMode::from_pg_locks_name(m.pg_locks_name()), Some(m));
            assert_eq!(m.to_string(), m.pg_locks_name());
        }
        assert_eq!(LockMode::parse("ShareLock"), Some(Share));
        assert_eq!(
            LockMode::parse("  access \t exclusive "),
            Some(AccessExclusive)
        );
        assert_eq!(
            LockMode::parse("accessexclusivelock"),
            Some(AccessExclusive)
        );
        assert_eq!(LockMode::parse("shared"), None);
        assert_eq!(LockMode::parse("AdvisoryLock"), None);
    }

    #[test]
    fn only_the_exact_pg_locks_spelling_is_a_pg_locks_name() {
        assert_eq!(LockMode::from_pg_locks_name("ACCESS EXCLUSIVE"), None);
        assert_eq!(LockMode::from_pg_locks_name("accessexclusivelock"), None);
        assert_eq!(LockMode::from_pg_locks_name("NoSuchLock"), None);
    }

    #[test]
    fn lock_table_modes_are_spelled_as_pg_locks_spells_them() {
        assert_eq!(
            LockMode::parse("SHARE UPDATE EXCLUSIVE").map(LockMode::pg_locks_name),
            Some("ShareUpdateExclusiveLock")
        );
        assert_eq!(
            LockMode::parse("ACCESS SHARE").map(LockMode::pg_locks_name),
            Some("AccessShareLock")
        );
    }

    #[test]
    fn strength_runs_from_access_share_to_access_exclusive() {
        let strengths: Vec<i32> = LockMode::ALL.into_iter().map(LockMode::strength).collect();
        assert_eq!(strengths, (0..8).collect::<Vec<_>>());
        assert!(AccessExclusive > Share);
        assert!(AccessExclusive.strength() > Share.strength());
    }

    #[test]
    fn the_conflict_matrix_is_symmetric() {
        for a in LockMode::ALL {
            for b in LockMode::ALL {
                assert_eq!(a.conflicts_with(b), b.conflicts_with(a), "{a} and {b}");
            }
        }
    }

    #[test]
    fn the_conflict_matrix_is_postgresqls() {
        assert_eq!(conflicting(AccessExclusive), LockMode::ALL.to_vec());
        assert_eq!(conflicting(AccessShare), vec![AccessExclusive]);
        assert_eq!(conflicting(RowShare), vec![Exclusive, AccessExclusive]);
        assert_eq!(
            conflicting(RowExclusive),
            vec![Share, ShareRowExclusive, Exclusive, AccessExclusive]
        );
        assert_eq!(
            conflicting(ShareUpdateExclusive),
            vec![
                ShareUpdateExclusive,
                Share,
                ShareRowExclusive,
                Exclusive,
                AccessExclusive
            ]
        );
        assert_eq!(
            conflicting(Share),
            vec![
                RowExclusive,
                ShareUpdateExclusive,
                ShareRowExclusive,
                Exclusive,
                AccessExclusive
            ]
        );
        assert_eq!(
            conflicting(ShareRowExclusive),
            vec![
                RowExclusive,
                ShareUpdateExclusive,
                Share,
                ShareRowExclusive,
                Exclusive,
                AccessExclusive
            ]
        );
        assert_eq!(conflicting(Exclusive), LockMode::ALL[1..].to_vec());
        // The pairs migrations meet most: writers don't block each other, CREATE INDEX (Share)
        // blocks writers but not other CREATE INDEXes, VACUUM (ShareUpdateExclusive) blocks itself.
        assert!(!RowExclusive.conflicts_with(RowExclusive));
        assert!(!Share.conflicts_with(Share));
        assert!(ShareUpdateExclusive.conflicts_with(ShareUpdateExclusive));
        assert!(!AccessShare.conflicts_with(Exclusive));
    }
}
