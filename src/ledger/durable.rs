//! The durable log: entries committed to the store before they are acknowledged, with
//! concurrent appends grouped into one transaction (group commit), the Merkle tree rebuilt
//! from the store on start, and a checkpoint signed after each batch.

use super::checkpoint::Checkpoint;
use super::entry::{Entry, EntryError};
use super::merkle::{self, Tree};
use super::receipt::{ConsistencyProof, Receipt, encode_hashes};
use crate::store::{Store, StoreError};
use base64::Engine;
use ring::signature::Ed25519KeyPair;
use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LogError {
    #[error(transparent)]
    Entry(#[from] EntryError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Proof(#[from] merkle::ProofError),
    #[error("the log is unavailable: {0}")]
    Unavailable(String),
}

impl LogError {
    pub fn code(&self) -> &'static str {
        match self {
            LogError::Entry(e) => e.code(),
            LogError::Store(e) => e.code(),
            LogError::Proof(e) => e.code(),
            LogError::Unavailable(_) => "log.unavailable",
        }
    }
}

struct State {
    tree: Tree,
    /// The first index of each leaf hash, for look-ups by hash (`?hash=`).
    by_leaf: HashMap<merkle::Hash, u64>,
    /// Entries waiting for the next commit, with their tickets.
    pending: Vec<(u64, Vec<u8>)>,
    /// Committed tickets and their indexes, until their appender collects them.
    done: HashMap<u64, Result<u64, LogError>>,
    next_ticket: u64,
    committing: bool,
    checkpoint: String,
    checkpoint_at: std::time::Instant,
}

/// A log whose entries live in the store.
pub struct DurableLog {
    origin: String,
    key: Ed25519KeyPair,
    store: Arc<dyn Store>,
    state: Mutex<State>,
    committed: Condvar,
}

impl std::fmt::Debug for DurableLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DurableLog({})", self.origin)
    }
}

impl DurableLog {
    /// Opens the log over a store, rebuilding the tree from the stored entries.
    pub fn open(origin: &str, key: Ed25519KeyPair, store: Arc<dyn Store>) -> Result<Self, LogError> {
        let size = store.log_size()?;
        let mut tree = Tree::new();
        let mut by_leaf = HashMap::new();
        let mut start = 0;
        while start < size {
            let end = (start + 10_000).min(size);
            for e in store.log_entries(start, end)? {
                add_leaf(&mut tree, &mut by_leaf, &e);
            }
            start = end;
        }
        let checkpoint = sign(&tree, origin, &key);
        Ok(Self {
            origin: origin.into(),
            key,
            store,
            state: Mutex::new(State {
                tree,
                by_leaf,
                pending: Vec::new(),
                done: HashMap::new(),
                next_ticket: 0,
                committing: false,
                checkpoint,
                checkpoint_at: std::time::Instant::now(),
            }),
            committed: Condvar::new(),
        })
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, State>, LogError> {
        self.state.lock().map_err(|_| LogError::Unavailable("the log lock is poisoned".into()))
    }

    /// Appends an entry and returns its index once it is committed. Concurrent callers share
    /// one transaction: whoever finds no commit in progress commits everything pending.
    pub fn append(&self, entry: &Entry) -> Result<u64, LogError> {
        self.append_encoded(entry.encode()?)
    }

    fn append_encoded(&self, bytes: Vec<u8>) -> Result<u64, LogError> {
        let mut state = self.lock()?;
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        state.pending.push((ticket, bytes));
        loop {
            if let Some(result) = state.done.remove(&ticket) {
                return result;
            }
            if !state.committing {
                state.committing = true;
                let batch = std::mem::take(&mut state.pending);
                drop(state);
                let entries: Vec<Vec<u8>> = batch.iter().map(|(_, b)| b.clone()).collect();
                let outcome = self.store.append_log(&entries);
                state = self.lock()?;
                match outcome {
                    Ok(first) => {
                        for (i, (t, bytes)) in batch.iter().enumerate() {
                            let State { tree, by_leaf, .. } = &mut *state;
                            add_leaf(tree, by_leaf, bytes);
                            state.done.insert(*t, Ok(first + i as u64));
                        }
                        state.checkpoint = sign(&state.tree, &self.origin, &self.key);
                        state.checkpoint_at = std::time::Instant::now();
                    }
                    Err(e) => {
                        for (t, _) in &batch {
                            state.done.insert(*t, Err(LogError::Store(e.clone())));
                        }
                    }
                }
                state.committing = false;
                self.committed.notify_all();
                continue;
            }
            state = self.committed.wait(state).map_err(|_| LogError::Unavailable("the log lock is poisoned".into()))?;
        }
    }

    pub fn size(&self) -> Result<u64, LogError> {
        Ok(self.lock()?.tree.size())
    }

    /// How long ago the latest checkpoint was signed.
    pub fn checkpoint_age(&self) -> Result<std::time::Duration, LogError> {
        Ok(self.lock()?.checkpoint_at.elapsed())
    }

    /// The latest signed checkpoint.
    pub fn checkpoint(&self) -> Result<String, LogError> {
        Ok(self.lock()?.checkpoint.clone())
    }

    /// The index of the first entry whose leaf hash is `leaf`.
    pub fn index_of(&self, leaf: &merkle::Hash) -> Result<Option<u64>, LogError> {
        Ok(self.lock()?.by_leaf.get(leaf).copied())
    }

    /// Appends an entry and returns its receipt once it is committed.
    pub fn append_with_receipt(&self, entry: &Entry) -> Result<Receipt, LogError> {
        let bytes = entry.encode()?;
        let index = self.append_encoded(bytes.clone())?;
        // The entry's bytes are at hand: no need to read them back from the store, whose
        // connection the next group commit may be holding.
        self.receipt_with(index, Some(bytes))
    }

    /// A receipt for `index` against the latest checkpoint.
    pub fn receipt(&self, index: u64) -> Result<Receipt, LogError> {
        self.receipt_with(index, None)
    }

    fn receipt_with(&self, index: u64, entry: Option<Vec<u8>>) -> Result<Receipt, LogError> {
        let state = self.lock()?;
        let size = state.tree.size();
        let proof = state.tree.inclusion_proof(index, size)?;
        let leaf = state.tree.leaf(index).ok_or(merkle::ProofError::IndexOutOfRange { index, size })?;
        let checkpoint = state.checkpoint.clone();
        drop(state);
        let entry = match entry {
            Some(bytes) if merkle::leaf_hash(&bytes) == leaf => bytes,
            _ => self
                .store
                .log_entries(index, index + 1)?
                .pop()
                .ok_or(merkle::ProofError::IndexOutOfRange { index, size })?,
        };
        let b64 = base64::engine::general_purpose::STANDARD;
        Ok(Receipt {
            entry: b64.encode(entry),
            index,
            tree_size: size,
            leaf_hash: b64.encode(leaf),
            hashes: encode_hashes(&proof),
            checkpoint,
        })
    }

    pub fn consistency(&self, from: u64, to: u64) -> Result<ConsistencyProof, LogError> {
        Ok(ConsistencyProof { from, to, hashes: encode_hashes(&self.lock()?.tree.consistency_proof(from, to)?) })
    }
}

/// Appends an entry to the tree and remembers the first index of its leaf hash.
fn add_leaf(tree: &mut Tree, by_leaf: &mut HashMap<merkle::Hash, u64>, entry: &[u8]) {
    let leaf = merkle::leaf_hash(entry);
    tree.push(leaf);
    by_leaf.entry(leaf).or_insert(tree.size() - 1);
}

fn sign(tree: &Tree, origin: &str, key: &Ed25519KeyPair) -> String {
    let size = tree.size();
    let root = tree.root(size).unwrap_or_else(merkle::empty_root);
    Checkpoint { origin: origin.into(), size, root }.sign(origin, key)
}
