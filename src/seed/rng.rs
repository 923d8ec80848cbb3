//! Counter-based randomness: every value is a pure function of (seed, column, row).
//!
//! A generator never carries state from one row to the next, so any thread can produce any
//! chunk of any table and the bytes are the same; a reference can recompute its parent's key at a
//! row index instead of remembering it. The mixer is SplitMix64 (Steele, Lea, Flood 2014), which
//! passes BigCrush and costs a few nanoseconds per value.

use rand10::rand_core::{Infallible, TryRng};

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64's finaliser: a bijection on u64 with good avalanche.
#[inline]
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A stable 64-bit hash of a name, to derive per-table and per-column seeds (FNV-1a, then mixed).
pub fn hash_name(seed: u64, name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for b in name.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    mix(h)
}

/// The random stream of one cell.
#[derive(Debug, Clone)]
pub struct CellRng {
    state: u64,
}

impl CellRng {
    #[inline]
    pub fn at(seed: u64, row: u64) -> CellRng {
        CellRng {
            state: mix(seed ^ row.wrapping_mul(GOLDEN)).wrapping_add(row),
        }
    }

    #[inline]
    pub fn u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN);
        mix(self.state)
    }

    /// Uniform in [0, 1).
    #[inline]
    pub fn f64(&mut self) -> f64 {
        (self.u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [0, n) (multiply-shift; the bias is below 2^-32 for every n we use).
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.u64() as u128 * n as u128) >> 64) as u64
    }

    /// Uniform in [lo, hi], inclusive.
    #[inline]
    pub fn between(&mut self, lo: i64, hi: i64) -> i64 {
        let span = (hi as i128 - lo as i128 + 1) as u128;
        if span > u64::MAX as u128 {
            return self.u64() as i64;
        }
        lo.wrapping_add(self.below(span as u64) as i64)
    }
}

impl TryRng for CellRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok((self.u64() >> 32) as u32)
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(self.u64())
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(8) {
            let v = self.u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
        Ok(())
    }
}

/// A bijection of [0, n) that looks random: i ↦ (a·i + c) mod n with gcd(a, n) = 1. Unique
/// columns use it so that row i gets a distinct value without remembering the ones already used.
#[derive(Debug, Clone, Copy)]
pub struct Permutation {
    n: u64,
    a: u64,
    c: u64,
}

impl Permutation {
    pub fn new(n: u64, seed: u64) -> Permutation {
        let n = n.max(1);
        let mut a = (mix(seed) % n) | 1;
        if n > 2 {
            a = a.max(3) % n;
        }
        let mut tries = 0;
        while gcd(a, n) != 1 && tries < 10_000 {
            a = (a + 2) % n;
            if a == 0 {
                a = 1;
            }
            tries += 1;
        }
        if gcd(a, n) != 1 {
            a = 1;
        }
        Permutation {
            n,
            a,
            c: mix(seed ^ GOLDEN) % n,
        }
    }

    #[inline]
    pub fn apply(&self, i: u64) -> u64 {
        ((self.a as u128 * (i % self.n) as u128 + self.c as u128) % self.n as u128) as u64
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_cell_gives_the_same_stream() {
        let mut a = CellRng::at(42, 7);
        let mut b = CellRng::at(42, 7);
        assert_eq!(a.u64(), b.u64());
        assert_ne!(CellRng::at(42, 8).u64(), CellRng::at(42, 7).u64());
    }

    #[test]
    fn a_permutation_is_a_bijection() {
        for n in [1u64, 2, 3, 10, 97, 1000, 1024] {
            let p = Permutation::new(n, 9);
            let mut seen = vec![false; n as usize];
            for i in 0..n {
                let j = p.apply(i) as usize;
                assert!(!seen[j], "n={n} i={i}");
                seen[j] = true;
            }
        }
    }

    #[test]
    fn between_stays_in_range() {
        let mut r = CellRng::at(1, 1);
        for _ in 0..10_000 {
            let v = r.between(-3, 5);
            assert!((-3..=5).contains(&v));
        }
    }
}
