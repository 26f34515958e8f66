//! RFC 9162 Merkle tree: leaf hash SHA-256(0x00 ‖ entry), node hash SHA-256(0x01 ‖ l ‖ r),
//! tree heads for any size, inclusion and consistency proofs (RFC 9162 §2.1.3, §2.1.4) and
//! their verification.
//!
//! [`Tree`] keeps every complete subtree hash, level by level, so a proof for any size
//! costs O(log n) hash look-ups and at most O(log n) hash computations for the right edge.
//! The levels are [`HashList`]s, so a push never moves the hashes already held.

use super::hashes::HashList;
use ring::digest::{Context, SHA256, digest};

pub type Hash = [u8; 32];

pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut c = Context::new(&SHA256);
    c.update(&[0]);
    c.update(entry);
    to_hash(c.finish().as_ref())
}

pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut c = Context::new(&SHA256);
    c.update(&[1]);
    c.update(left);
    c.update(right);
    to_hash(c.finish().as_ref())
}

fn to_hash(bytes: &[u8]) -> Hash {
    let mut h = [0u8; 32];
    h.copy_from_slice(bytes);
    h
}

/// The hash of the empty tree: SHA-256 of the empty string.
pub fn empty_root() -> Hash {
    to_hash(digest(&SHA256, b"").as_ref())
}

/// The largest power of two strictly smaller than `n` (n ≥ 2).
fn split(n: u64) -> u64 {
    let mut k = 1u64;
    while k << 1 < n {
        k <<= 1;
    }
    k
}

/// Why a proof was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    #[error("index {index} is not below tree size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("sizes {from} → {to} do not describe a growing tree")]
    BadSizes { from: u64, to: u64 },
    #[error("the proof has the wrong number of hashes")]
    WrongLength,
    #[error("the proof does not lead to the expected root")]
    RootMismatch,
}

impl ProofError {
    pub fn code(&self) -> &'static str {
        match self {
            ProofError::IndexOutOfRange { .. } => "log.index_out_of_range",
            ProofError::BadSizes { .. } => "log.bad_sizes",
            ProofError::WrongLength => "log.proof_length",
            ProofError::RootMismatch => "log.root_mismatch",
        }
    }
}

/// An append-only tree of leaf hashes with all complete subtree hashes kept.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    /// `levels[k][i]` is the hash of leaves `[i·2^k, (i+1)·2^k)`.
    levels: Vec<HashList>,
}

impl Tree {
    pub fn new() -> Self {
        Self { levels: vec![HashList::default()] }
    }

    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// Appends a leaf hash and completes every subtree it closes.
    pub fn push(&mut self, leaf: Hash) {
        if self.levels.is_empty() {
            self.levels.push(HashList::default());
        }
        self.levels[0].push(leaf);
        let mut k = 0;
        while self.levels[k].len().is_multiple_of(2) {
            let level = &self.levels[k];
            let n = level.len();
            let (Some(left), Some(right)) = (level.get(n - 2), level.last()) else { break };
            let parent = node_hash(left, right);
            if self.levels.len() == k + 1 {
                self.levels.push(HashList::default());
            }
            self.levels[k + 1].push(parent);
            k += 1;
        }
    }

    pub fn append(&mut self, entry: &[u8]) -> u64 {
        self.push(leaf_hash(entry));
        self.size() - 1
    }

    pub fn leaf(&self, index: u64) -> Option<Hash> {
        self.levels.first()?.get(index as usize).copied()
    }

    /// MTH of leaves `[start, start + size)`; all of them must exist.
    fn subtree(&self, start: u64, size: u64) -> Hash {
        if size.is_power_of_two() {
            let k = size.trailing_zeros() as usize;
            if start.is_multiple_of(size)
                && let Some(h) = self.levels.get(k).and_then(|l| l.get((start >> k) as usize))
            {
                return *h;
            }
        }
        let k = split(size);
        node_hash(&self.subtree(start, k), &self.subtree(start + k, size - k))
    }

    /// The tree head for the first `size` leaves.
    pub fn root(&self, size: u64) -> Option<Hash> {
        match size {
            0 => Some(empty_root()),
            s if s <= self.size() => Some(self.subtree(0, s)),
            _ => None,
        }
    }

    /// PATH(index, D\[0:size\]) of RFC 9162 §2.1.3.1.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, ProofError> {
        if index >= size || size > self.size() {
            return Err(ProofError::IndexOutOfRange { index, size });
        }
        let mut proof = Vec::new();
        self.path(index, 0, size, &mut proof);
        Ok(proof)
    }

    fn path(&self, m: u64, start: u64, n: u64, out: &mut Vec<Hash>) {
        if n == 1 {
            return;
        }
        let k = split(n);
        if m < k {
            self.path(m, start, k, out);
            out.push(self.subtree(start + k, n - k));
        } else {
            self.path(m - k, start + k, n - k, out);
            out.push(self.subtree(start, k));
        }
    }

    /// PROOF(from, D\[0:to\]) of RFC 9162 §2.1.4.1.
    pub fn consistency_proof(&self, from: u64, to: u64) -> Result<Vec<Hash>, ProofError> {
        if from == 0 || from > to || to > self.size() {
            return Err(ProofError::BadSizes { from, to });
        }
        let mut proof = Vec::new();
        if from < to {
            self.subproof(from, 0, to, true, &mut proof);
        }
        Ok(proof)
    }

    fn subproof(&self, m: u64, start: u64, n: u64, whole: bool, out: &mut Vec<Hash>) {
        if m == n {
            if !whole {
                out.push(self.subtree(start, n));
            }
            return;
        }
        let k = split(n);
        if m <= k {
            self.subproof(m, start, k, whole, out);
            out.push(self.subtree(start + k, n - k));
        } else {
            self.subproof(m - k, start + k, n - k, false, out);
            out.push(self.subtree(start, k));
        }
    }
}

/// Verifies an inclusion proof (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, proof: &[Hash], root: &Hash) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if snode == 0 {
            return Err(ProofError::WrongLength);
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::WrongLength);
    }
    if &r != root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Verifies a consistency proof between two tree heads (RFC 9162 §2.1.4.2).
pub fn verify_consistency(
    from: u64,
    to: u64,
    from_root: &Hash,
    to_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if from == 0 || from > to {
        return Err(ProofError::BadSizes { from, to });
    }
    if from == to {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength);
        }
        return if from_root == to_root { Ok(()) } else { Err(ProofError::RootMismatch) };
    }
    // If `from` is a power of two, the first tree is itself the first node of the path.
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if from.is_power_of_two() {
        path.push(*from_root);
    }
    path.extend_from_slice(proof);
    let (first, rest) = path.split_first().ok_or(ProofError::WrongLength)?;
    let (mut fnode, mut snode) = (from - 1, to - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if snode == 0 {
            return Err(ProofError::WrongLength);
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::WrongLength);
    }
    if &fr != from_root || &sr != to_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}
