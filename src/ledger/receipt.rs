//! Receipts: an entry, its index, an inclusion proof and a signed checkpoint — everything a
//! holder needs to check, with no server, that a decision is in the log. And the JSON shape
//! of consistency proofs for monitors.

use super::checkpoint::{Checkpoint, CheckpointError};
use super::entry::{Entry, EntryError, document_digest};
use super::merkle::{self, Hash, ProofError};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// Base64 of the exact entry bytes that were hashed.
    pub entry: String,
    pub index: u64,
    pub tree_size: u64,
    pub leaf_hash: String,
    /// The inclusion proof, standard base64 hashes.
    pub hashes: Vec<String>,
    /// The signed checkpoint (C2SP signed note) the proof leads to.
    pub checkpoint: String,
}

/// A consistency proof between two tree sizes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyProof {
    pub from: u64,
    pub to: u64,
    pub hashes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReceiptError {
    #[error("receipt: {0}")]
    Malformed(String),
    #[error(transparent)]
    Entry(#[from] EntryError),
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error(transparent)]
    Proof(#[from] ProofError),
    #[error("the entry's leaf hash does not match the receipt")]
    LeafMismatch,
    #[error("the receipt's tree size {receipt} is not the checkpoint's {checkpoint}")]
    SizeMismatch { receipt: u64, checkpoint: u64 },
    #[error("the document (sha256:{digest}) is not among the entry's inputs or outputs")]
    DocumentNotInEntry { digest: String },
}

impl ReceiptError {
    pub fn code(&self) -> &'static str {
        match self {
            ReceiptError::Malformed(_) => "log.receipt_malformed",
            ReceiptError::Entry(e) => e.code(),
            ReceiptError::Checkpoint(e) => e.code(),
            ReceiptError::Proof(e) => e.code(),
            ReceiptError::LeafMismatch => "log.leaf_mismatch",
            ReceiptError::SizeMismatch { .. } => "log.size_mismatch",
            ReceiptError::DocumentNotInEntry { .. } => "log.document_not_in_entry",
        }
    }
}

fn hash_of(s: &str) -> Result<Hash, ReceiptError> {
    let bytes = STANDARD.decode(s).map_err(|_| ReceiptError::Malformed(format!("'{s}' is not base64")))?;
    bytes.try_into().map_err(|_| ReceiptError::Malformed("a hash is not 32 bytes".into()))
}

pub fn encode_hashes(hashes: &[Hash]) -> Vec<String> {
    hashes.iter().map(|h| STANDARD.encode(h)).collect()
}

/// What a verified receipt establishes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifiedReceipt {
    pub entry: Entry,
    pub index: u64,
    pub checkpoint: Checkpoint,
    pub log_key_name: String,
}

/// Checks document → entry → inclusion proof → signed checkpoint, offline.
pub fn verify(receipt: &Receipt, log_key: &[u8], document: Option<&[u8]>) -> Result<VerifiedReceipt, ReceiptError> {
    let bytes = STANDARD.decode(&receipt.entry).map_err(|_| ReceiptError::Malformed("entry is not base64".into()))?;
    let entry = Entry::decode(&bytes)?;
    let leaf = merkle::leaf_hash(&bytes);
    if leaf != hash_of(&receipt.leaf_hash)? {
        return Err(ReceiptError::LeafMismatch);
    }
    let (checkpoint, name) = Checkpoint::verify(&receipt.checkpoint, log_key)?;
    if checkpoint.size != receipt.tree_size {
        return Err(ReceiptError::SizeMismatch { receipt: receipt.tree_size, checkpoint: checkpoint.size });
    }
    let proof = receipt.hashes.iter().map(|h| hash_of(h)).collect::<Result<Vec<_>, _>>()?;
    merkle::verify_inclusion(receipt.index, receipt.tree_size, &leaf, &proof, &checkpoint.root)?;
    if let Some(doc) = document {
        let digest = document_digest(doc);
        if !entry.inputs.contains(&digest) && !entry.outputs.contains(&digest) {
            return Err(ReceiptError::DocumentNotInEntry { digest });
        }
    }
    Ok(VerifiedReceipt { entry, index: receipt.index, checkpoint, log_key_name: name })
}

/// Checks that a newer checkpoint extends an older one (for monitors).
pub fn verify_consistency(
    old_note: &str,
    new_note: &str,
    proof: &ConsistencyProof,
    log_key: &[u8],
) -> Result<(Checkpoint, Checkpoint), ReceiptError> {
    let (old, _) = Checkpoint::verify(old_note, log_key)?;
    let (new, _) = Checkpoint::verify(new_note, log_key)?;
    consistent(old, new, proof)
}

/// Checks that `new` extends `old`, two checkpoints already verified (of one log).
pub fn consistent(
    old: Checkpoint,
    new: Checkpoint,
    proof: &ConsistencyProof,
) -> Result<(Checkpoint, Checkpoint), ReceiptError> {
    if old.origin != new.origin {
        return Err(ReceiptError::Malformed("the checkpoints are from different logs".into()));
    }
    if proof.from != old.size || proof.to != new.size {
        return Err(ReceiptError::SizeMismatch { receipt: proof.from, checkpoint: old.size });
    }
    let hashes = proof.hashes.iter().map(|h| hash_of(h)).collect::<Result<Vec<_>, _>>()?;
    merkle::verify_consistency(old.size, new.size, &old.root, &new.root, &hashes)?;
    Ok((old, new))
}
