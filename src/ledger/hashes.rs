//! Where the log's tree keeps its hashes in memory: lists built so that no append waits
//! while everything already held is moved, and that can let go of old hashes.
//!
//! A `Vec` grown one hash at a time moves everything it holds each time it doubles, and the
//! committer does that while holding the log's state, so every verification waiting on a
//! receipt waits for it. Measured on the 2-core VM of `benches/load.sh`
//! (`cargo bench --bench log_growth`), the slowest 16-entry commit took 45–57 ms by 1M
//! entries, 202–218 ms by 4.2M and 430–770 ms by 8M with a `Vec` per level. Here nothing
//! held is ever moved: a level is a list of fixed-size chunks.
//!
//! The lower levels of an old part of the tree are not needed for new tree heads, only for
//! proofs about old entries, which the log recomputes from the stored entries. So a list
//! can forget the hashes below an index: whole chunks are freed, and what is forgotten
//! reads as absent, never as some other hash.
//!
//! Nothing here hashes or decides; it only stores what the tree computed.

use super::merkle::Hash;

/// An append-only list of hashes stored in chunks of [`HashList::CHUNK`], so a push never
/// copies what is already stored (only the first chunk grows by doubling, up to one chunk).
/// The hashes below [`HashList::held_from`] are not held.
#[derive(Debug, Clone, Default)]
pub struct HashList {
    /// Whole chunks forgotten (or never held): `chunks[0]` starts at `dropped · CHUNK`.
    dropped: usize,
    chunks: Vec<Vec<Hash>>,
    /// Hashes below this index read as absent, even where their chunk is still held.
    held_from: usize,
}

impl HashList {
    /// Hashes per chunk: 128 KiB, small enough to allocate without a pause, large enough
    /// that the list of chunks stays short (a pointer per 4096 hashes).
    pub const CHUNK: usize = 4096;

    /// A list whose first `len` hashes exist but are not held (a tree rebuilt from its tile
    /// roots holds none of the hashes below them).
    pub fn starting_at(len: usize) -> Self {
        let dropped = len / Self::CHUNK;
        // The chunk that `len` falls in is held from its start, the part below `len` filled
        // with zeros that `held_from` hides.
        let chunks = match len % Self::CHUNK {
            0 => Vec::new(),
            part => {
                let mut chunk = Vec::with_capacity(Self::CHUNK);
                chunk.resize(part, [0; 32]);
                vec![chunk]
            }
        };
        Self { dropped, chunks, held_from: len }
    }

    pub fn len(&self) -> usize {
        // Every chunk but the last is full.
        match self.chunks.last() {
            Some(last) => (self.dropped + self.chunks.len() - 1) * Self::CHUNK + last.len(),
            None => self.dropped * Self::CHUNK,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The first index whose hash is held (0 unless something was forgotten).
    pub fn held_from(&self) -> usize {
        self.held_from
    }

    pub fn push(&mut self, hash: Hash) {
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < Self::CHUNK => chunk.push(hash),
            _ => {
                // The first chunk starts small (most trees in tests hold a few leaves; upper
                // levels hold few hashes); every later one is allocated whole, once.
                let first = self.dropped == 0 && self.chunks.is_empty();
                let mut chunk = if first { Vec::new() } else { Vec::with_capacity(Self::CHUNK) };
                chunk.push(hash);
                self.chunks.push(chunk);
            }
        }
    }

    pub fn get(&self, index: usize) -> Option<&Hash> {
        if index < self.held_from {
            return None;
        }
        self.chunks.get((index / Self::CHUNK).checked_sub(self.dropped)?)?.get(index % Self::CHUNK)
    }

    pub fn last(&self) -> Option<&Hash> {
        self.get(self.len().checked_sub(1)?)
    }

    /// Lets go of the hashes below `index`: they read as absent from now on, and every
    /// chunk wholly below it is freed (the last chunk is kept, so pushing goes on).
    pub fn forget_below(&mut self, index: usize) {
        let index = index.min(self.len());
        self.held_from = self.held_from.max(index);
        let whole = (index / Self::CHUNK).saturating_sub(self.dropped).min(self.chunks.len().saturating_sub(1));
        if whole > 0 {
            // Moves the remaining chunks' headers only, a few per call.
            self.chunks.drain(..whole);
            self.dropped += whole;
        }
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
    fn a_forgotten_hash_reads_as_absent_and_whole_chunks_are_freed() {
        let c = HashList::CHUNK;
        let mut list = HashList::default();
        for i in 0..(3 * c + 5) as u64 {
            list.push(hash(i));
        }
        list.forget_below(2 * c + 1);
        assert_eq!(list.len(), 3 * c + 5);
        assert_eq!(list.held_from(), 2 * c + 1);
        assert_eq!(list.chunks.len(), 2);
        for (i, held) in [(0, false), (c, false), (2 * c, false), (2 * c + 1, true), (3 * c + 4, true)] {
            assert_eq!(list.get(i), held.then(|| hash(i as u64)).as_ref(), "hash {i}");
        }
        // Forgetting never goes back, and never drops the chunk being filled.
        list.forget_below(c);
        assert_eq!(list.held_from(), 2 * c + 1);
        list.forget_below(usize::MAX);
        assert_eq!((list.held_from(), list.chunks.len(), list.last()), (3 * c + 5, 1, None));
        list.push(hash(7));
        assert_eq!((list.len(), list.last()), (3 * c + 6, Some(&hash(7))));
    }

    #[test]
    fn a_list_started_past_its_beginning_holds_only_what_is_pushed() {
        let c = HashList::CHUNK;
        for start in [0, 1, c - 1, c, c + 1, 5 * c] {
            let mut list = HashList::starting_at(start);
            assert_eq!((list.len(), list.last()), (start, None), "start {start}");
            list.push(hash(1));
            list.push(hash(2));
            assert_eq!(list.len(), start + 2, "start {start}");
            assert_eq!(list.get(start.wrapping_sub(1)), None, "start {start}");
            assert_eq!((list.get(start), list.get(start + 1)), (Some(&hash(1)), Some(&hash(2))), "start {start}");
        }
    }
}
