//! RFC 9162 Merkle tree: leaf hash SHA-256(0x00 ‖ entry), node hash SHA-256(0x01 ‖ l ‖ r),
//! tree heads for any size, inclusion and consistency proofs (RFC 9162 §2.1.3, §2.1.4) and
//! their verification.
//!
//! [`Tree`] keeps complete subtree hashes, level by level, so a proof for any size costs
//! O(log n) hash look-ups and at most O(log n) hash computations for the right edge. The
//! levels are [`HashList`]s, so a push never moves the hashes already held. A tree may hold
//! the levels below [`TILE_HEIGHT`] for its recent leaves only: 32 bytes per leaf become
//! about a quarter of a byte, and a proof about an old leaf is answered with that leaf's
//! tile of [`TILE`] leaf hashes, recomputed by the caller and checked here against the
//! tile's root before it is used.

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
    /// A proof asked for in a tree larger than the log holds (found by review: it was said
    /// as an index not below that size, which it was).
    #[error("tree size {size} is past the log's {held} entries")]
    SizeBeyondLog { size: u64, held: u64 },
    #[error("sizes {from} → {to} do not describe a growing tree")]
    BadSizes { from: u64, to: u64 },
    #[error("the proof has the wrong number of hashes")]
    WrongLength,
    #[error("the proof does not lead to the expected root")]
    RootMismatch,
    /// The answer needs hashes inside tile `tile`, which the tree no longer holds: read the
    /// tile's entries and ask again with them (see [`Tree::check_tile`]).
    #[error("tile {tile} is not held in memory")]
    TileNotHeld { tile: u64 },
    /// The stored entries of a tile do not hash to the tile's root in the tree: the store
    /// no longer holds what the log committed.
    #[error("the stored entries of tile {tile} do not match the tree")]
    TileMismatch { tile: u64 },
}

impl ProofError {
    pub fn code(&self) -> &'static str {
        match self {
            ProofError::IndexOutOfRange { .. } | ProofError::SizeBeyondLog { .. } => "log.index_out_of_range",
            ProofError::BadSizes { .. } => "log.bad_sizes",
            ProofError::WrongLength => "log.proof_length",
            ProofError::RootMismatch => "log.root_mismatch",
            ProofError::TileNotHeld { .. } => "log.tile_not_held",
            ProofError::TileMismatch { .. } => "log.tile_mismatch",
        }
    }
}

/// Levels below this are grouped in tiles of [`TILE`] leaves; a tree may forget an old
/// tile's lower levels, keeping only the tile's root and what is above it.
pub const TILE_HEIGHT: usize = 8;
/// Leaves per tile.
pub const TILE: u64 = 1 << TILE_HEIGHT;

/// Tiles read back for one answer, each checked against the tree's own tile root by
/// [`Tree::check_tile`].
#[derive(Debug, Default)]
pub struct Tiles {
    held: Vec<CheckedTile>,
}

impl Tiles {
    fn get(&self, tile: u64) -> Option<&Tree> {
        self.held.iter().find(|t| t.tile == tile).map(|t| &*t.tree)
    }

    /// These tiles and `checked`.
    pub fn with(mut self, checked: CheckedTile) -> Self {
        self.held.push(checked);
        self
    }
}

/// One tile's lower levels, rebuilt from its leaf hashes and found to match the tree's root
/// of that tile ([`Tree::check_tile`]). A tile's root never changes once the tile is
/// complete, so a tile checked once stays right for every later size of the same tree: it
/// may be kept and used again (cheap to clone).
#[derive(Debug, Clone)]
pub struct CheckedTile {
    tile: u64,
    tree: std::sync::Arc<Tree>,
}

impl CheckedTile {
    /// The tile's number (its first leaf is `tile · TILE`).
    pub fn number(&self) -> u64 {
        self.tile
    }
}

/// An append-only tree of leaf hashes with complete subtree hashes kept.
///
/// A tree made by [`Tree::new`] holds every hash. One made by [`Tree::keeping_recent`]
/// holds every hash at or above [`TILE_HEIGHT`] (two hashes per tile) but the lower levels
/// only of its most recent leaves: new tree heads never need more, and a proof that does
/// answers [`ProofError::TileNotHeld`], to be asked again with the tile (see [`Tiles`]).
#[derive(Debug, Clone, Default)]
pub struct Tree {
    /// `levels[k][i]` is the hash of leaves `[i·2^k, (i+1)·2^k)`.
    levels: Vec<HashList>,
    /// How many of the latest leaves keep their lower levels; `None`: all of them.
    recent: Option<u64>,
}

impl Tree {
    /// A tree that holds every hash.
    pub fn new() -> Self {
        Self { levels: vec![HashList::default()], recent: None }
    }

    /// A tree that holds the lower levels of at least its `recent` latest leaves, and of
    /// older ones only above [`TILE_HEIGHT`].
    pub fn keeping_recent(recent: u64) -> Self {
        Self { levels: vec![HashList::default()], recent: Some(recent) }
    }

    /// A tree of `roots.len()` complete tiles given by their roots, none of whose lower
    /// levels is held, that then grows as [`Tree::keeping_recent`].
    pub fn from_tile_roots(roots: &[Hash], recent: u64) -> Self {
        let leaves = roots.len() << TILE_HEIGHT;
        let mut tree = Self {
            levels: (0..TILE_HEIGHT).map(|k| HashList::starting_at(leaves >> k)).collect(),
            recent: Some(recent),
        };
        for root in roots {
            tree.push_at(TILE_HEIGHT, *root);
        }
        tree
    }

    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// Tiles all of whose leaves the tree has.
    pub fn complete_tiles(&self) -> u64 {
        self.size() / TILE
    }

    /// The root of a complete tile.
    pub fn tile_root(&self, tile: u64) -> Option<Hash> {
        self.levels.get(TILE_HEIGHT)?.get(tile as usize).copied()
    }

    /// The first leaf whose lower levels the tree holds: proofs about leaves below it need
    /// their tiles.
    pub fn held_from(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.held_from() as u64)
    }

    /// Appends a leaf hash and completes every subtree it closes.
    pub fn push(&mut self, leaf: Hash) {
        self.push_at(0, leaf);
        if let Some(recent) = self.recent
            && self.size().is_multiple_of(TILE)
        {
            // Forgetting happens only as a tile completes, so all that is forgotten lies in
            // complete tiles, whose roots stay: a tree head never needs a tile, a proof can
            // always have the ones it needs checked, and the next push needs nothing old.
            let below = self.size().saturating_sub(recent) / TILE * TILE;
            for (k, level) in self.levels.iter_mut().take(TILE_HEIGHT).enumerate() {
                level.forget_below((below >> k) as usize);
            }
        }
    }

    /// Adds a hash at `level` and completes every subtree it closes above it.
    fn push_at(&mut self, level: usize, hash: Hash) {
        if self.levels.len() <= level {
            self.levels.resize_with(level + 1, HashList::default);
        }
        let mut hash = hash;
        // Each pass adds `hash` to one level, from `level` up; a level left with an even
        // length has closed a subtree, whose hash the next pass adds to the level above.
        for list in self.levels.iter_mut().skip(level) {
            list.push(hash);
            let n = list.len();
            if !n.is_multiple_of(2) {
                return;
            }
            let (Some(left), Some(right)) = (list.get(n - 2), list.last()) else { return };
            hash = node_hash(left, right);
        }
        // The subtree closed at the highest level: it starts the next one.
        let mut top = HashList::default();
        top.push(hash);
        self.levels.push(top);
    }

    pub fn append(&mut self, entry: &[u8]) -> u64 {
        self.push(leaf_hash(entry));
        self.size() - 1
    }

    /// Checks the leaf hashes of tile `tile`, as recomputed from its stored entries, against
    /// the tree's root of that tile: the tile as [`Tiles`] can hold it, only if every hash
    /// matches.
    pub fn check_tile(&self, tile: u64, leaves: &[Hash]) -> Result<CheckedTile, ProofError> {
        let root = self
            .tile_root(tile)
            .ok_or(ProofError::IndexOutOfRange { index: tile << TILE_HEIGHT, size: self.size() })?;
        let mut held = Tree::new();
        for leaf in leaves {
            held.push(*leaf);
        }
        if held.size() != TILE || held.root(TILE) != Some(root) {
            return Err(ProofError::TileMismatch { tile });
        }
        Ok(CheckedTile { tile, tree: std::sync::Arc::new(held) })
    }

    /// The leaf hash at `index`.
    pub fn leaf(&self, index: u64) -> Option<Hash> {
        self.leaf_with(index, &Tiles::default()).ok()
    }

    pub fn leaf_with(&self, index: u64, tiles: &Tiles) -> Result<Hash, ProofError> {
        self.subtree(index, 1, tiles).map_err(|e| match e {
            ProofError::IndexOutOfRange { .. } => ProofError::IndexOutOfRange { index, size: self.size() },
            e => e,
        })
    }

    /// MTH of leaves `[start, start + size)`; all of them must exist.
    fn subtree(&self, start: u64, size: u64, tiles: &Tiles) -> Result<Hash, ProofError> {
        if size.is_power_of_two() && start.is_multiple_of(size) {
            let k = size.trailing_zeros() as usize;
            if let Some(h) = self.levels.get(k).and_then(|l| l.get((start >> k) as usize)) {
                return Ok(*h);
            }
            let tile = start >> TILE_HEIGHT;
            return match (k < TILE_HEIGHT && start < self.held_from(), tiles.get(tile)) {
                (true, Some(held)) => held.subtree(start - (tile << TILE_HEIGHT), size, &Tiles::default()),
                (true, None) => Err(ProofError::TileNotHeld { tile }),
                // A complete subtree of leaves the tree has is always held: asked for one it
                // lacks, the leaves are not there.
                (false, _) => Err(ProofError::IndexOutOfRange { index: start + size - 1, size: self.size() }),
            };
        }
        let k = split(size);
        Ok(node_hash(&self.subtree(start, k, tiles)?, &self.subtree(start + k, size - k, tiles)?))
    }

    /// The tree head for the first `size` leaves.
    pub fn root(&self, size: u64) -> Option<Hash> {
        self.root_with(size, &Tiles::default()).ok()
    }

    pub fn root_with(&self, size: u64, tiles: &Tiles) -> Result<Hash, ProofError> {
        match size {
            0 => Ok(empty_root()),
            s if s <= self.size() => self.subtree(0, s, tiles),
            _ => Err(ProofError::IndexOutOfRange { index: size - 1, size: self.size() }),
        }
    }

    /// The hashes of C2SP tlog-tiles tile `index` at `level` (tile height [`TILE_HEIGHT`]),
    /// `width` of them: the roots of the complete subtrees of 2^(8·level) leaves numbered
    /// `index·TILE … index·TILE + width − 1`. Each must be complete in the tree.
    pub fn tile_hashes_with(&self, level: u8, index: u64, width: u64, tiles: &Tiles) -> Result<Vec<Hash>, ProofError> {
        // A tile whose first leaf is past what a u64 counts is one no log will ever hold.
        let beyond = ProofError::IndexOutOfRange { index: u64::MAX, size: self.size() };
        let span = TILE_HEIGHT as u32 * u32::from(level);
        let leaves = 1u64.checked_shl(span).filter(|l| *l != 0).ok_or_else(|| beyond.clone())?;
        let first = index.checked_mul(TILE).ok_or_else(|| beyond.clone())?;
        (first..first.saturating_add(width))
            .map(|n| {
                let start = n.checked_mul(leaves).ok_or_else(|| beyond.clone())?;
                match start.checked_add(leaves) {
                    Some(end) if end <= self.size() => self.subtree(start, leaves, tiles),
                    _ => Err(ProofError::IndexOutOfRange { index: start, size: self.size() }),
                }
            })
            .collect()
    }

    /// PATH(index, D\[0:size\]) of RFC 9162 §2.1.3.1.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, ProofError> {
        self.inclusion_proof_with(index, size, &Tiles::default())
    }

    pub fn inclusion_proof_with(&self, index: u64, size: u64, tiles: &Tiles) -> Result<Vec<Hash>, ProofError> {
        if size > self.size() {
            return Err(ProofError::SizeBeyondLog { size, held: self.size() });
        }
        if index >= size {
            return Err(ProofError::IndexOutOfRange { index, size });
        }
        let mut proof = Vec::new();
        self.path(index, 0, size, tiles, &mut proof)?;
        Ok(proof)
    }

    fn path(&self, m: u64, start: u64, n: u64, tiles: &Tiles, out: &mut Vec<Hash>) -> Result<(), ProofError> {
        if n == 1 {
            return Ok(());
        }
        let k = split(n);
        if m < k {
            self.path(m, start, k, tiles, out)?;
            out.push(self.subtree(start + k, n - k, tiles)?);
        } else {
            self.path(m - k, start + k, n - k, tiles, out)?;
            out.push(self.subtree(start, k, tiles)?);
        }
        Ok(())
    }

    /// PROOF(from, D\[0:to\]) of RFC 9162 §2.1.4.1.
    pub fn consistency_proof(&self, from: u64, to: u64) -> Result<Vec<Hash>, ProofError> {
        self.consistency_proof_with(from, to, &Tiles::default())
    }

    pub fn consistency_proof_with(&self, from: u64, to: u64, tiles: &Tiles) -> Result<Vec<Hash>, ProofError> {
        if from > to || to > self.size() {
            return Err(ProofError::BadSizes { from, to });
        }
        let mut proof = Vec::new();
        // The empty tree is a prefix of every tree: nothing to prove (RFC 9162 §2.1.4.1).
        if from > 0 && from < to {
            self.subproof(from, 0, to, true, tiles, &mut proof)?;
        }
        Ok(proof)
    }

    fn subproof(
        &self,
        m: u64,
        start: u64,
        n: u64,
        whole: bool,
        tiles: &Tiles,
        out: &mut Vec<Hash>,
    ) -> Result<(), ProofError> {
        if m == n {
            if !whole {
                out.push(self.subtree(start, n, tiles)?);
            }
            return Ok(());
        }
        let k = split(n);
        if m <= k {
            self.subproof(m, start, k, whole, tiles, out)?;
            out.push(self.subtree(start + k, n - k, tiles)?);
        } else {
            self.subproof(m - k, start + k, n - k, false, tiles, out)?;
            out.push(self.subtree(start, k, tiles)?);
        }
        Ok(())
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
    if from > to {
        return Err(ProofError::BadSizes { from, to });
    }
    // The empty tree, whose root is the hash of nothing, is a prefix of every tree; the
    // proof between them is empty (found by review: a size-0 checkpoint was refused, and
    // reported as evidence of a fork).
    if from == 0 {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength);
        }
        // And an empty tree at `to` too has that root (found by review: any root passed).
        let empty = empty_root();
        return if *from_root == empty && (to > 0 || *to_root == empty) {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        };
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
