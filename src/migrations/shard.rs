//! `--shard K/N`: the K-th of N contiguous, near-equal slices of the pending migrations, so N CI
//! jobs rehearse a long history in parallel. Contiguous, because each shard starts from the
//! state after every migration before its slice (its baseline, restored from the cache when one
//! is kept): a shard never depends on another's result. Pure: positions in, positions out.

/// `K/N` as the user wrote it, checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based.
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// Reads `2/4`; the error is one sentence naming the text.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || {
            format!("--shard {text}: write K/N with 1 <= K <= N, e.g. --shard 2/4")
        };
        let (k, n) = text.trim().split_once('/').ok_or_else(bad)?;
        let (index, count): (usize, usize) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// The slice `start..end` of `pending` migrations this shard rehearses: the first
    /// `pending % count` shards take one more.
    pub fn slice(&self, pending: usize) -> std::ops::Range<usize> {
        let base = pending / self.count;
        let extra = pending % self.count;
        let k = self.index - 1;
        let start = k * base + k.min(extra);
        let len = base + usize::from(k < extra);
        start..start + len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_every_pending_migration_once_in_order() {
        for pending in 0..12 {
            for count in 1..5 {
                let mut next = 0;
                for index in 1..=count {
                    let r = Shard { index, count }.slice(pending);
                    assert_eq!(r.start, next);
                    next = r.end;
                }
                assert_eq!(next, pending);
            }
        }
        assert_eq!(Shard { index: 1, count: 2 }.slice(5), 0..3);
        assert_eq!(Shard { index: 2, count: 2 }.slice(5), 3..5);
    }

    #[test]
    fn a_shard_is_read_as_written_or_refused_in_one_sentence() {
        assert_eq!(Shard::parse("2/4"), Ok(Shard { index: 2, count: 4 }));
        assert!(Shard::parse("0/4").is_err());
        assert!(Shard::parse("5/4").unwrap_err().contains("--shard 5/4"));
        assert!(Shard::parse("two").is_err());
    }
}
