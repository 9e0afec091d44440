//! A fast, non-cryptographic hasher for the index's term maps (the multiply-rotate scheme of
//! rustc's FxHash). The keys are words from local documents and queries, so resistance to
//! deliberately colliding keys, which the standard SipHash provides, is not needed here.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// The hasher state.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct FxHasher(u64);

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(chunk.iter().rev().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            self.add(rest.iter().rev().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A `HashMap` using [`FxHasher`].
pub(crate) type FxHashMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, BuildHasherDefault};

    #[test]
    fn equal_keys_hash_equal_and_different_keys_usually_differ() {
        let build = BuildHasherDefault::<FxHasher>::default();
        assert_eq!(build.hash_one("rolling"), build.hash_one("rolling"));
        let words = [
            "put",
            "puts",
            "call",
            "calls",
            "roll",
            "rolling",
            "a",
            "ab",
            "abcdefgh",
            "abcdefghi",
        ];
        let mut hashes: Vec<u64> = words.iter().map(|w| build.hash_one(w)).collect();
        hashes.sort_unstable();
        hashes.dedup();
        assert_eq!(hashes.len(), words.len());
    }

    #[test]
    fn works_as_a_map() {
        let mut map: FxHashMap<String, u32> = FxHashMap::default();
        for (i, w) in ["delta", "gamma", "theta", "vega"].iter().enumerate() {
            map.insert((*w).to_owned(), i as u32);
        }
        assert_eq!(map.get("theta"), Some(&2));
        assert_eq!(map.get("rho"), None);
    }
}
