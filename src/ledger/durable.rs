//! The durable log: entries committed to the store before they are acknowledged, with
//! concurrent appends grouped into one transaction (group commit), the Merkle tree rebuilt
//! from the store on start, and a checkpoint signed after each batch. An entry may carry the
//! store effects of its decision (a certificate registered, a status changed): they are
//! committed with it, or neither is, so the tree never holds an entry whose decision took no
//! effect, and the store never an effect without its entry.
//!
//! A commit costs the same whether it carries one entry or a hundred: an fsync and a
//! signature. So under load commits are spaced at least a commit interval apart and each
//! carries everything that arrived meanwhile; an append arriving when the log has been
//! quiet for that long is committed at once.

use super::checkpoint::Checkpoint;
use super::entry::{Entry, EntryError};
use super::hashes::LeafIndex;
use super::merkle::{self, Tree};
use super::receipt::{ConsistencyProof, Receipt, encode_hashes};
use crate::store::{Effect, Store, StoreError, Write, Written};
use base64::Engine;
use ring::signature::Ed25519KeyPair;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LogError {
    #[error(transparent)]
    Entry(#[from] EntryError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Proof(#[from] merkle::ProofError),
    #[error(transparent)]
    Checkpoint(#[from] super::checkpoint::CheckpointError),
    #[error("the log is unavailable: {0}")]
    Unavailable(String),
}

impl LogError {
    pub fn code(&self) -> &'static str {
        match self {
            LogError::Entry(e) => e.code(),
            LogError::Store(e) => e.code(),
            LogError::Proof(e) => e.code(),
            LogError::Checkpoint(e) => e.code(),
            LogError::Unavailable(_) => "log.unavailable",
        }
    }
}

struct State {
    tree: Tree,
    /// The first index of each leaf hash, for look-ups by hash (`?hash=`).
    by_leaf: LeafIndex,
    checkpoint: String,
    checkpoint_at: std::time::Instant,
}

/// What is told the outcome of an append: the index once committed, or why not.
pub type Done = Box<dyn FnOnce(Result<u64, LogError>) + Send>;

/// What is told the outcome of a write: what it did once committed, or why not.
type WriteDone = Box<dyn FnOnce(Result<Written, LogError>) + Send>;

/// An entry, with the store effects that stand or fall with it, waiting for the committer.
struct Job {
    write: Write,
    done: WriteDone,
}

/// What the appenders and the committer share.
struct Shared {
    origin: String,
    key: Ed25519KeyPair,
    store: Arc<dyn Store>,
    state: Mutex<State>,
    commit_interval: std::time::Duration,
    commits: std::sync::atomic::AtomicU64,
}

/// Entries committed in one transaction at most.
const MAX_BATCH: usize = 4096;

/// The shortest time between the starts of two commits, unless configured otherwise.
///
/// Measured with `benches/load.sh` on 2 cores: committing whatever waited as soon as the
/// last commit ended made batches of about six at 9k verifications/s, and the committer
/// alone then cost 30–60 µs of CPU per verification; with 1 ms, batches of 11–15, 13–22 µs.
pub const DEFAULT_COMMIT_INTERVAL: std::time::Duration = std::time::Duration::from_millis(1);

/// A log whose entries live in the store.
///
/// One committer thread owns writing: it takes every entry waiting, commits them in one
/// transaction, adds them to the tree, signs a checkpoint, and only then tells each appender
/// its index. Appenders wait on their own answer, not on each other.
pub struct DurableLog {
    shared: Arc<Shared>,
    jobs: Option<std::sync::mpsc::Sender<Job>>,
    committer: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for DurableLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DurableLog({})", self.shared.origin)
    }
}

impl Drop for DurableLog {
    /// Lets the committer finish what it was given, then stops it.
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(t) = self.committer.take() {
            let _ = t.join();
        }
    }
}

fn unavailable(why: &str) -> LogError {
    LogError::Unavailable(why.into())
}

impl Shared {
    fn lock(&self) -> Result<std::sync::MutexGuard<'_, State>, LogError> {
        self.state.lock().map_err(|_| unavailable("the log lock is poisoned"))
    }

    /// The committer: waits for an entry, gathers the others that arrive until a commit
    /// interval has passed since the last commit started, and commits them together.
    fn commit_forever(&self, jobs: std::sync::mpsc::Receiver<Job>) {
        let mut last_start: Option<std::time::Instant> = None;
        while let Ok(first) = jobs.recv() {
            let mut batch = vec![first];
            // Sleeping rather than waiting on the queue: an appender then finds no receiver
            // to wake, which would cost a futex call and a context switch per entry.
            if let Some(wait) =
                last_start.and_then(|t| (t + self.commit_interval).checked_duration_since(std::time::Instant::now()))
            {
                std::thread::sleep(wait);
            }
            while batch.len() < MAX_BATCH {
                match jobs.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            last_start = Some(std::time::Instant::now());
            let (writes, done): (Vec<Write>, Vec<WriteDone>) = batch.into_iter().map(|j| (j.write, j.done)).unzip();
            let outcomes = match self.store.commit(&writes) {
                Ok(outcomes) => self.grow(&writes, outcomes),
                Err(e) => vec![Err(LogError::Store(e)); writes.len()],
            };
            for (done, outcome) in done.into_iter().zip(outcomes) {
                done(outcome);
            }
        }
    }

    /// Adds the committed writes' entries to the tree, in commit order, and signs a
    /// checkpoint; refused writes added nothing to the store and add nothing here.
    fn grow(&self, writes: &[Write], outcomes: Vec<Result<Written, StoreError>>) -> Vec<Result<Written, LogError>> {
        let outcomes: Vec<_> = outcomes.into_iter().map(|o| o.map_err(LogError::Store)).collect();
        if !outcomes.iter().any(Result::is_ok) {
            return outcomes;
        }
        self.commits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut state = match self.lock() {
            Ok(s) => s,
            Err(e) => return vec![Err(e); outcomes.len()],
        };
        let State { tree, by_leaf, .. } = &mut *state;
        for (write, outcome) in writes.iter().zip(&outcomes) {
            if let (Some(bytes), Ok(_)) = (&write.entry, outcome) {
                add_leaf(tree, by_leaf, bytes);
            }
        }
        state.checkpoint = sign(&state.tree, &self.origin, &self.key);
        state.checkpoint_at = std::time::Instant::now();
        outcomes
    }
}

impl DurableLog {
    /// Opens the log over a store, rebuilding the tree from the stored entries, and starts
    /// its committer with the default commit interval.
    pub fn open(origin: &str, key: Ed25519KeyPair, store: Arc<dyn Store>) -> Result<Self, LogError> {
        Self::open_with_interval(origin, key, store, DEFAULT_COMMIT_INTERVAL)
    }

    /// Like [`DurableLog::open`], with commits started at most once per `commit_interval`
    /// (zero: as soon as the previous one ended).
    pub fn open_with_interval(
        origin: &str,
        key: Ed25519KeyPair,
        store: Arc<dyn Store>,
        commit_interval: std::time::Duration,
    ) -> Result<Self, LogError> {
        // Every checkpoint names the key by the origin: a name other verifiers refuse would
        // make every receipt unverifiable to them.
        super::checkpoint::check_key_name(origin)?;
        let size = store.log_size()?;
        let mut tree = Tree::new();
        let mut by_leaf = LeafIndex::new();
        let mut start = 0;
        while start < size {
            let end = (start + 10_000).min(size);
            for e in store.log_entries(start, end)? {
                add_leaf(&mut tree, &mut by_leaf, &e);
            }
            start = end;
        }
        let checkpoint = sign(&tree, origin, &key);
        let shared = Arc::new(Shared {
            origin: origin.into(),
            key,
            store,
            state: Mutex::new(State { tree, by_leaf, checkpoint, checkpoint_at: std::time::Instant::now() }),
            commit_interval,
            commits: std::sync::atomic::AtomicU64::new(0),
        });
        let (jobs, queue) = std::sync::mpsc::channel();
        let committer = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("mrgate-log".into())
                .spawn(move || shared.commit_forever(queue))
                .map_err(|e| unavailable(&format!("cannot start the log committer: {e}")))?
        };
        Ok(Self { shared, jobs: Some(jobs), committer: Some(committer) })
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, State>, LogError> {
        self.shared.lock()
    }

    /// Appends an entry and returns its index once it is committed. Concurrent appends share
    /// one transaction.
    pub fn append(&self, entry: &Entry) -> Result<u64, LogError> {
        self.append_encoded(entry.encode()?)
    }

    fn append_encoded(&self, bytes: Vec<u8>) -> Result<u64, LogError> {
        index_of(&self.write(bytes, Vec::new())?)
    }

    /// Commits an encoded entry together with its effects on the store, all or nothing, and
    /// returns what they did.
    fn write(&self, bytes: Vec<u8>, effects: Vec<Effect>) -> Result<Written, LogError> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.queue(Write { entry: Some(bytes), effects }, Box::new(move |r| drop(tx.send(r))))?;
        rx.recv().map_err(|_| unavailable("the log committer stopped"))?
    }

    fn queue(&self, write: Write, done: WriteDone) -> Result<(), LogError> {
        let jobs = self.jobs.as_ref().ok_or_else(|| unavailable("the log is closing"))?;
        jobs.send(Job { write, done }).map_err(|_| unavailable("the log committer stopped"))
    }

    /// Queues an encoded entry; `done` is told its index once it is committed (or why not),
    /// on the committer's thread, so it must be quick (e.g. send on a channel).
    pub fn append_then(&self, bytes: Vec<u8>, done: Done) -> Result<(), LogError> {
        self.queue(
            Write { entry: Some(bytes), effects: Vec::new() },
            Box::new(move |r| done(r.and_then(|w| index_of(&w)))),
        )
    }

    /// Commits an entry together with the store effects that take place only with it (a
    /// certificate registered, a status changed, a list stored): both are committed in one
    /// transaction, or neither is. An effect the store refuses (a conflict, an unknown
    /// certificate) is that error, and nothing was logged.
    pub fn commit(&self, entry: &Entry, effects: Vec<Effect>) -> Result<(Receipt, Written), LogError> {
        let bytes = entry.encode()?;
        let written = self.write(bytes.clone(), effects)?;
        let receipt = self.receipt_for(index_of(&written)?, Some(bytes))?;
        Ok((receipt, written))
    }

    /// Commits made since the log was opened; appends per commit is the batch size.
    pub fn commits(&self) -> u64 {
        self.shared.commits.load(std::sync::atomic::Ordering::Relaxed)
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
        Ok(self.lock()?.by_leaf.get(leaf))
    }

    /// A receipt for `index` against the latest checkpoint.
    pub fn receipt(&self, index: u64) -> Result<Receipt, LogError> {
        self.receipt_for(index, None)
    }

    /// A receipt for `index` against the latest checkpoint. When the caller has the entry's
    /// bytes at hand they are used (after checking them against the tree), so the store,
    /// whose connection the next commit may be holding, is not read.
    pub fn receipt_for(&self, index: u64, entry: Option<Vec<u8>>) -> Result<Receipt, LogError> {
        let state = self.lock()?;
        let size = state.tree.size();
        let proof = state.tree.inclusion_proof(index, size)?;
        let leaf = state.tree.leaf(index).ok_or(merkle::ProofError::IndexOutOfRange { index, size })?;
        let checkpoint = state.checkpoint.clone();
        drop(state);
        let entry = match entry {
            Some(bytes) if merkle::leaf_hash(&bytes) == leaf => bytes,
            _ => self
                .shared
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

    /// A receipt for an entry found through the store (say, a stored export's index). The
    /// store commits before the committer adds the batch to the tree, so such a reader can be
    /// a moment ahead of the tree; it waits for the tree to catch up, up to a second.
    pub fn receipt_of_stored(&self, index: u64) -> Result<Receipt, LogError> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
        loop {
            match self.receipt(index) {
                Err(LogError::Proof(merkle::ProofError::IndexOutOfRange { .. }))
                    if std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(std::time::Duration::from_micros(200));
                }
                answer => return answer,
            }
        }
    }

    pub fn consistency(&self, from: u64, to: u64) -> Result<ConsistencyProof, LogError> {
        Ok(ConsistencyProof { from, to, hashes: encode_hashes(&self.lock()?.tree.consistency_proof(from, to)?) })
    }
}

fn index_of(written: &Written) -> Result<u64, LogError> {
    written.index.ok_or_else(|| unavailable("the store gave the entry no index"))
}

/// Appends an entry to the tree and remembers the first index of its leaf hash.
fn add_leaf(tree: &mut Tree, by_leaf: &mut LeafIndex, entry: &[u8]) {
    let leaf = merkle::leaf_hash(entry);
    tree.push(leaf);
    by_leaf.insert_first(leaf, tree.size() - 1);
}

fn sign(tree: &Tree, origin: &str, key: &Ed25519KeyPair) -> String {
    let size = tree.size();
    let root = tree.root(size).unwrap_or_else(merkle::empty_root);
    Checkpoint { origin: origin.into(), size, root }.sign(origin, key)
}
