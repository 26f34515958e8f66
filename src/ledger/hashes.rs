//! Where the log keeps its hashes in memory: the tree's levels and the index from leaf hash
//! to entry, built so that no append waits while everything already held is moved.
//!
//! A `Vec` or `HashMap` grown one entry at a time moves everything it holds each time it
//! doubles, and the committer does that while holding the log's state, so every
//! verification waiting on a receipt waits for it. Measured on the 2-core VM of
//! `benches/load.sh` (`cargo bench --bench log_growth`), the slowest 16-entry commit took
//! 45–57 ms by 1M entries, 202–218 ms by 4.2M and 430–770 ms by 8M with a `Vec` per level
//! and one `HashMap`. Here nothing held is ever moved: a level is a list of fixed-size
//! chunks, and the index is split into shards that each double on their own, so the largest
//! move is a shard's, a [`LeafIndex::SHARDS`]th of the whole (slowest commit 0.1–2.8 ms up
//! to 4.2M entries).
//!
//! Nothing here hashes or decides; it only stores what the tree computed.

use super::merkle::Hash;
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};

/// An append-only list of hashes stored in chunks of [`HashList::CHUNK`], so a push never
/// copies what is already stored (only the first chunk grows by doubling, up to one chunk).
#[derive(Debug, Clone, Default)]
pub struct HashList {
    chunks: Vec<Vec<Hash>>,
}

impl HashList {
    /// Hashes per chunk: 128 KiB, small enough to allocate without a pause, large enough
    /// that the list of chunks stays short (a pointer per 4096 hashes).
    pub const CHUNK: usize = 4096;

    pub fn len(&self) -> usize {
        // Every chunk but the last is full.
        self.chunks.last().map_or(0, |last| (self.chunks.len() - 1) * Self::CHUNK + last.len())
    }

    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    pub fn push(&mut self, hash: Hash) {
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < Self::CHUNK => chunk.push(hash),
            _ => {
                // The first chunk starts small (most trees in tests hold a few leaves; upper
                // levels hold few hashes); every later one is allocated whole, once.
                let mut chunk = if self.chunks.is_empty() { Vec::new() } else { Vec::with_capacity(Self::CHUNK) };
                chunk.push(hash);
                self.chunks.push(chunk);
            }
        }
    }

    pub fn get(&self, index: usize) -> Option<&Hash> {
        self.chunks.get(index / Self::CHUNK)?.get(index % Self::CHUNK)
    }

    pub fn last(&self) -> Option<&Hash> {
        self.chunks.last()?.last()
    }
}

/// The first index of each leaf hash, split into shards that grow independently.
///
/// The shard is chosen by a keyed hash of its own (not the leaf hash's leading bytes, and
/// not the bits the shards' maps use for their buckets), so entries cannot be made to pile
/// into one shard by choosing what gets logged.
#[derive(Debug, Clone)]
pub struct LeafIndex {
    shards: Vec<HashMap<Hash, u64>>,
    pick: RandomState,
}

impl Default for LeafIndex {
    fn default() -> Self {
        Self::new()
    }
}

impl LeafIndex {
    /// Shards: at ten million entries each holds about 2,400, and doubling one moves that
    /// many. Empty shards cost their header only (48 bytes each).
    pub const SHARDS: usize = 4096;

    pub fn new() -> Self {
        Self { shards: (0..Self::SHARDS).map(|_| HashMap::new()).collect(), pick: RandomState::new() }
    }

    fn shard(&self, leaf: &Hash) -> usize {
        // SHARDS is a power of two: the low bits of a keyed hash are uniform.
        (self.pick.hash_one(leaf) as usize) & (Self::SHARDS - 1)
    }

    /// Records `index` for `leaf` unless the leaf already has an earlier index.
    pub fn insert_first(&mut self, leaf: Hash, index: u64) {
        let shard = self.shard(&leaf);
        self.shards[shard].entry(leaf).or_insert(index);
    }

    pub fn get(&self, leaf: &Hash) -> Option<u64> {
        self.shards[self.shard(leaf)].get(leaf).copied()
    }

    /// Distinct leaf hashes held (a sum over the shards: for tests and diagnostics).
    pub fn len(&self) -> usize {
        self.shards.iter().map(HashMap::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.shards.iter().all(HashMap::is_empty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(i: u64) -> Hash {
        let mut h = [0u8; 32];
        h[..8].copy_from_slice(&i.to_le_bytes());
        h[31] = 0xa5;
        h
    }

    #[test]
    fn a_list_keeps_every_hash_in_order_across_chunk_boundaries() {
        let mut list = HashList::default();
        assert!(list.is_empty());
        assert_eq!(list.get(0), None);
        let n = 3 * HashList::CHUNK + 17;
        for i in 0..n as u64 {
            list.push(hash(i));
        }
        assert_eq!(list.len(), n);
        for i in [0, 1, HashList::CHUNK - 1, HashList::CHUNK, 2 * HashList::CHUNK, n - 1] {
            assert_eq!(list.get(i), Some(&hash(i as u64)), "hash {i}");
        }
        assert_eq!(list.get(n), None);
        assert_eq!(list.last(), Some(&hash(n as u64 - 1)));
        assert_eq!(list.chunks.len(), 4);
        // Full chunks were allocated once, at their final size.
        assert!(list.chunks[1..].iter().all(|c| c.capacity() == HashList::CHUNK));
    }

    #[test]
    fn a_list_filled_to_exactly_one_chunk_starts_a_second_on_the_next_push() {
        let mut list = HashList::default();
        for i in 0..HashList::CHUNK as u64 {
            list.push(hash(i));
        }
        assert_eq!(list.chunks.len(), 1);
        assert_eq!(list.last(), Some(&hash(HashList::CHUNK as u64 - 1)));
        list.push(hash(u64::MAX));
        assert_eq!(list.chunks.len(), 2);
        assert_eq!(list.get(HashList::CHUNK), Some(&hash(u64::MAX)));
    }

    #[test]
    fn the_index_keeps_the_first_index_of_a_repeated_leaf() {
        let mut index = LeafIndex::new();
        index.insert_first(hash(7), 3);
        index.insert_first(hash(7), 9);
        index.insert_first(hash(8), 10);
        assert_eq!(index.get(&hash(7)), Some(3));
        assert_eq!(index.get(&hash(8)), Some(10));
        assert_eq!(index.get(&hash(9)), None);
        assert_eq!(index.len(), 2);
    }

    #[test]
    fn the_index_spreads_leaves_over_its_shards() {
        let mut index = LeafIndex::new();
        let n = 64 * LeafIndex::SHARDS as u64;
        for i in 0..n {
            index.insert_first(hash(i), i);
        }
        assert_eq!(index.len(), n as usize);
        assert!((0..n).step_by(997).all(|i| index.get(&hash(i)) == Some(i)));
        // 64 expected per shard; a Poisson(64) shard above 160 has odds below 1e-20.
        let largest = index.shards.iter().map(HashMap::len).max().unwrap_or(0);
        assert!(largest < 160, "one shard holds {largest} of {n}");
    }
}
