//! The transparency log: an append-only Merkle tree with RFC 9162 hashing, log entries in a
//! documented canonical encoding, C2SP signed-note checkpoints, and receipts that verify
//! offline.
//!
//! This module computes and verifies; it never decides what is appended (the gateway does)
//! and never trusts a proof it did not check.

pub mod checkpoint;
pub mod cosignature;
pub mod durable;
pub mod entry;
pub mod hashes;
pub mod high_water;
pub mod merkle;
pub mod receipt;
pub mod tile_path;

use checkpoint::Checkpoint;
use receipt::{ConsistencyProof, Receipt, encode_hashes};
use ring::signature::Ed25519KeyPair;

/// An in-memory log with its signing key: appends entries, signs checkpoints, issues
/// receipts and proofs. The durable, store-backed log of the gateway builds on the same
/// pieces.
pub struct MemoryLog {
    origin: String,
    key: Ed25519KeyPair,
    tree: merkle::Tree,
    entries: Vec<Vec<u8>>,
}

impl std::fmt::Debug for MemoryLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MemoryLog({}, {} entries)", self.origin, self.entries.len())
    }
}

impl MemoryLog {
    pub fn new(origin: &str, key: Ed25519KeyPair) -> Self {
        Self { origin: origin.into(), key, tree: merkle::Tree::new(), entries: Vec::new() }
    }

    pub fn size(&self) -> u64 {
        self.tree.size()
    }

    pub fn append(&mut self, entry: &entry::Entry) -> Result<u64, entry::EntryError> {
        let bytes = entry.encode()?;
        let index = self.tree.append(&bytes);
        self.entries.push(bytes);
        Ok(index)
    }

    /// A signed checkpoint for the current size.
    pub fn checkpoint(&self) -> String {
        let size = self.size();
        let root = self.tree.root(size).unwrap_or_else(merkle::empty_root);
        Checkpoint { origin: self.origin.clone(), size, root }.sign(&self.origin, &self.key)
    }

    /// A receipt for entry `index` against the current checkpoint.
    pub fn receipt(&self, index: u64) -> Result<Receipt, merkle::ProofError> {
        use base64::Engine;
        let size = self.size();
        let proof = self.tree.inclusion_proof(index, size)?;
        let leaf = self.tree.leaf(index).ok_or(merkle::ProofError::IndexOutOfRange { index, size })?;
        let entry = self.entries.get(index as usize).ok_or(merkle::ProofError::IndexOutOfRange { index, size })?;
        let b64 = base64::engine::general_purpose::STANDARD;
        Ok(Receipt {
            entry: b64.encode(entry),
            index,
            tree_size: size,
            leaf_hash: b64.encode(leaf),
            hashes: encode_hashes(&proof),
            checkpoint: self.checkpoint(),
        })
    }

    pub fn consistency(&self, from: u64, to: u64) -> Result<ConsistencyProof, merkle::ProofError> {
        Ok(ConsistencyProof { from, to, hashes: encode_hashes(&self.tree.consistency_proof(from, to)?) })
    }

    pub fn tree(&self) -> &merkle::Tree {
        &self.tree
    }
}
