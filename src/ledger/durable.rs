//! The durable log: entries committed to the store before they are acknowledged, with
//! concurrent appends grouped into one transaction (group commit), and a checkpoint signed
//! after each batch.
//!
//! Memory holds the tree's upper levels and its latest leaves, not the whole tree: the
//! roots of complete tiles are stored as they complete, the tree is rebuilt from them on
//! start (the entries after the last stored tile are hashed again), and a proof about an old
//! entry re-hashes that entry's tile from the store and checks it against the tile's root
//! before using it (the last tiles so checked are kept, a tile's root never changing once
//! it is complete). Look-ups by leaf hash go to the store's hash index, which an indexer
//! thread fills in batches, away from the commits; entries it has not reached yet are looked
//! for in the tree's recent leaves. What this must never do: answer with a hash read back
//! from the store, or from the index, that it has not checked against the tree.
//!
//! An entry may carry the store effects of its decision (a certificate registered, a status
//! changed): they are committed with it, or neither is, so the tree never holds an entry
//! whose decision took no effect, and the store never an effect without its entry.
//!
//! On a store other gateway nodes write to ([`Store::shared`]), this log's tree is one
//! node's view of the one log the store sequences: the store gives each committed entry its
//! index; the committer adds other nodes' entries before its own (read back from the store,
//! hashed as read), a follower thread does so every 100 ms, and an answer about an
//! index or size beyond the tree follows first. Every node signs with the one log key, and
//! Ed25519 signatures are deterministic, so two nodes at one size serve the same checkpoint.
//!
//! A commit costs the same whether it carries one entry or a hundred: an fsync and a
//! signature. So under load commits are spaced at least a commit interval apart and each
//! carries everything that arrived meanwhile; an append arriving when the log has been
//! quiet for that long is committed at once.

use super::checkpoint::Checkpoint;
use super::entry::{Entry, EntryError};
use super::merkle::{self, CheckedTile, ProofError, TILE, Tiles, Tree};
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
    /// Tiles whose roots are in the store (the rest go with the next commit).
    tile_roots_stored: u64,
    checkpoint: String,
    checkpoint_at: std::time::Instant,
}

/// When the indexer indexes what waits: a batch's worth, anything, or on closing what the
/// tree holds.
#[derive(Debug, Clone, Copy)]
enum Waiting {
    Batch,
    Any,
    Closing,
}

/// What is told the outcome of an append: the index once committed, or why not.
pub type Done = Box<dyn FnOnce(Result<u64, LogError>) + Send>;

/// What is told the outcome of a write: what it did once committed, or why not.
type WriteDone = Box<dyn FnOnce(Result<Written, LogError>) + Send>;

/// An entry, with the store effects that stand or fall with it, waiting for the committer.
struct Job {
    write: Write,
    /// The entry's leaf hash, computed by the appender rather than the committer.
    leaf: Option<merkle::Hash>,
    done: WriteDone,
}

/// What the appenders and the committer share.
struct Shared {
    origin: String,
    key: Ed25519KeyPair,
    store: Arc<dyn Store>,
    state: Mutex<State>,
    /// Held by whoever adds leaves to the tree (the committer, after its commit; a follower,
    /// from the store) from reading the tree's size to the last leaf added: entries reach
    /// the tree once each, in index order.
    growing: Mutex<()>,
    commit_interval: std::time::Duration,
    commits: std::sync::atomic::AtomicU64,
    /// Why this log commits nothing more, once it is known: the store was found to hold
    /// fewer entries than this tree has signed (a database restored from a backup, an
    /// asynchronous replica promoted), or a witness holds a checkpoint of it this history
    /// does not extend. Acknowledged entries are gone, and committing on would sign a second
    /// history at the same sizes.
    diverged: std::sync::OnceLock<String>,
}

/// Why a log whose store lost entries it signed commits no more.
const DIVERGED: &str = "the store holds fewer entries, or other ones, than this node's log has signed: acknowledged \
                        entries are gone (a database restored or failed over?); this node commits nothing more";

/// Entries committed in one transaction at most.
const MAX_BATCH: usize = 4096;

/// The latest entries whose lower tree levels stay in memory (at most about 6 MiB), so that
/// the receipts of new entries, and proofs about them, never read the store.
pub const RECENT_LEAVES: u64 = 65_536;

/// The indexer looks for entries to index this often; it indexes once this many wait, or
/// whatever waits once it has waited this long. Batches are large so that each walks the
/// index's b-tree once for many entries; they stay below [`RECENT_LEAVES`], so their leaf
/// hashes are read from memory.
const INDEX_EVERY: std::time::Duration = std::time::Duration::from_secs(1);
const INDEX_BATCH: u64 = 16_384;
const INDEX_AT_LEAST_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// How often a node on a shared store looks for entries other nodes appended, besides
/// whenever an answer needs an entry or a size beyond its tree: what a checkpoint it serves
/// lags behind the log at most, when nothing asks.
const FOLLOW_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

/// Old tiles kept once read back and checked, the most recently used (about 16 KiB each):
/// a monitor asks for consistency from the size it last saw, again and again, and the
/// receipts of one old batch share a tile; neither should read the store every time.
const KEPT_TILES: usize = 64;

/// Tiles read back from the store for one answer, at most: an inclusion proof needs the
/// entry's tile, a consistency proof the tiles at both sizes' right edges.
const MAX_TILES_PER_ANSWER: usize = 4;

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
    /// Told to stop by dropping the sender.
    indexer: Option<(std::sync::mpsc::Sender<()>, std::thread::JoinHandle<()>)>,
    /// On a store other nodes write to; told to stop like the indexer.
    follower: Option<(std::sync::mpsc::Sender<()>, std::thread::JoinHandle<()>)>,
    kept_tiles: Mutex<KeptTiles>,
}

/// The [`KEPT_TILES`] old tiles used last, oldest use first.
#[derive(Debug, Default)]
struct KeptTiles {
    tiles: std::collections::VecDeque<CheckedTile>,
}

impl KeptTiles {
    fn get(&mut self, tile: u64) -> Option<CheckedTile> {
        let at = self.tiles.iter().position(|t| t.number() == tile)?;
        let used = self.tiles.remove(at)?;
        self.tiles.push_back(used.clone());
        Some(used)
    }

    fn keep(&mut self, tile: CheckedTile) {
        if self.tiles.iter().any(|t| t.number() == tile.number()) {
            return;
        }
        if self.tiles.len() >= KEPT_TILES {
            self.tiles.pop_front();
        }
        self.tiles.push_back(tile);
    }
}

impl std::fmt::Debug for DurableLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DurableLog({})", self.shared.origin)
    }
}

impl Drop for DurableLog {
    /// Lets the committer finish what it was given, then stops it, and the indexer.
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(t) = self.committer.take() {
            let _ = t.join();
        }
        for (stop, t) in [self.indexer.take(), self.follower.take()].into_iter().flatten() {
            drop(stop);
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
            let mut writes = Vec::with_capacity(batch.len() + 1);
            let mut leaves = Vec::with_capacity(batch.len());
            let mut done = Vec::with_capacity(batch.len());
            for job in batch {
                writes.push(job.write);
                leaves.push(job.leaf);
                done.push(job.done);
            }
            // Tile roots completed by earlier batches ride along; if this commit fails, the
            // next one takes them (and a start hashes again what they would have saved).
            let roots = self.unstored_tile_roots();
            if let Some((first, roots)) = &roots {
                let effects = vec![Effect::PutLogTileRoots { first: *first, roots: roots.clone() }];
                writes.push(Write { entry: None, effects });
            }
            // A log that commits nothing more says so as the log (`log.unavailable`, as
            // `/healthz` does), not as a store failing (found by re-test).
            if let Some(why) = self.diverged.get() {
                for done in done {
                    done(Err(unavailable(why)));
                }
                continue;
            }
            let committed = self.store.commit(&writes);
            if let Some((first, stored)) = roots {
                writes.pop();
                if let Ok(outcomes) = &committed
                    && let Some(Ok(_)) = outcomes.last()
                    && let Ok(mut state) = self.lock()
                {
                    state.tile_roots_stored = first + stored.len() as u64;
                }
            }
            let outcomes = match committed {
                Ok(mut outcomes) => {
                    outcomes.truncate(writes.len());
                    self.grow(&leaves, outcomes)
                }
                Err(e) => {
                    // Whether some of it committed after all (the answer to COMMIT lost, its
                    // outcome unknown) is for the store to say: the tree takes what it holds.
                    let _ = self.follow();
                    vec![Err(LogError::Store(e)); writes.len()]
                }
            };
            for (done, outcome) in done.into_iter().zip(outcomes) {
                done(outcome);
            }
        }
    }

    /// Adds the committed writes' entries (by their leaf hashes) to the tree at the indexes
    /// the store gave them, after any entries other nodes appended before them (read back
    /// from the store), and signs a checkpoint; refused writes added nothing to the store and
    /// add nothing here.
    fn grow(
        &self,
        leaves: &[Option<merkle::Hash>],
        outcomes: Vec<Result<Written, StoreError>>,
    ) -> Vec<Result<Written, LogError>> {
        let mut outcomes: Vec<_> = outcomes.into_iter().map(|o| o.map_err(LogError::Store)).collect();
        if !outcomes.iter().any(Result::is_ok) {
            return outcomes;
        }
        self.commits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let own: Vec<(u64, merkle::Hash)> = leaves
            .iter()
            .zip(&outcomes)
            .filter_map(|(leaf, outcome)| Some((outcome.as_ref().ok()?.index?, (*leaf)?)))
            .collect();
        if let Err(e) = self.add_own(&own) {
            // Committed, but not in this node's tree: no receipt can be given for it now (a
            // follower adds it later). The store holds it; the caller is told the log failed.
            for outcome in &mut outcomes {
                if outcome.is_ok() {
                    *outcome = Err(e.clone());
                }
            }
        }
        outcomes
    }

    /// Adds this node's just committed entries `own` (index, leaf hash; consecutive, as one
    /// transaction appends them) to the tree, after the entries before them, and signs a
    /// checkpoint — under one hold of the state lock, so that no reader ever sees a tree
    /// whose size its checkpoint does not sign.
    fn add_own(&self, own: &[(u64, merkle::Hash)]) -> Result<(), LogError> {
        let _growing = self.growing.lock().map_err(|_| unavailable("the log's growth lock is poisoned"))?;
        let Some(&(first, _)) = own.first() else { return Ok(()) };
        self.extend_from_store(first)?;
        let mut state = self.lock()?;
        for (&(index, leaf), expected) in own.iter().zip(first..) {
            let size = state.tree.size();
            // A follower added it already (it must then be this very entry), or the store
            // gave indexes the tree cannot take: never sign over a disagreement.
            let held = index < size && state.tree.leaf(index) == Some(leaf);
            if index < size && !held {
                self.diverge(DIVERGED);
                return Err(unavailable(DIVERGED));
            }
            if index != expected || !(index == size || held) {
                return Err(unavailable(&format!(
                    "the store put this node's entry at index {index}, which the tree (size {size}) cannot take"
                )));
            }
            if index == size {
                state.tree.push(leaf);
            }
        }
        sign_state(&mut state, &self.origin, &self.key);
        Ok(())
    }

    /// Commits nothing more, for `why` (the first reason given is kept).
    fn diverge(&self, why: &str) {
        if self.diverged.set(why.to_string()).is_ok() {
            tracing::error!("the log commits nothing more: {why}");
        }
    }

    /// Adds to the tree the entries the store holds beyond it (appended by other nodes, or by
    /// a commit whose answer was lost). Returns the size.
    fn follow(&self) -> Result<u64, LogError> {
        let _growing = self.growing.lock().map_err(|_| unavailable("the log's growth lock is poisoned"))?;
        let size = self.store.log_size()?;
        if size < self.lock()?.tree.size() {
            self.diverge(DIVERGED);
            return Err(unavailable(DIVERGED));
        }
        self.extend_from_store(size)?;
        Ok(self.lock()?.tree.size())
    }

    /// Adds entries `[tree size, end)` from the store, hashed as read (committed entries
    /// never change), a slice at a time, signing a checkpoint with each slice under the same
    /// hold of the state lock. The caller holds `growing`, so the size read here stays the
    /// tree's while the store is read without the state lock.
    ///
    /// Each slice is read from the tree's last leaf, which the store must still hold as the
    /// tree has it: a store that lost its tail and was refilled by other nodes past this
    /// node's size holds other entries at indexes this node signed, and extending over them
    /// would sign roots of two histories (found by review: only a store smaller than the tree
    /// was seen to diverge). Right after a start at a tile's end the tree holds no leaf to
    /// compare; from the next one on it always does.
    fn extend_from_store(&self, end: u64) -> Result<(), LogError> {
        let mut start = self.lock()?.tree.size();
        while start < end {
            let upto = end.min(start + 10_000);
            let last = start.checked_sub(1).filter(|&i| self.lock().is_ok_and(|s| s.tree.leaf(i).is_some()));
            let mut leaves = leaf_hashes(&*self.store, last.unwrap_or(start), upto)?.into_iter();
            let mut state = self.lock()?;
            if let Some(last) = last
                && leaves.next() != state.tree.leaf(last)
            {
                self.diverge(DIVERGED);
                return Err(unavailable(DIVERGED));
            }
            for leaf in leaves {
                state.tree.push(leaf);
            }
            sign_state(&mut state, &self.origin, &self.key);
            start = upto;
        }
        Ok(())
    }

    /// The follower (on a store other nodes write to): every [`FOLLOW_EVERY`], adds to the
    /// tree what other nodes appended, until told to stop. Errors (the database away) are
    /// left for the next round.
    fn follow_forever(&self, stop: std::sync::mpsc::Receiver<()>) {
        while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(FOLLOW_EVERY) {
            let _ = self.follow();
        }
    }

    /// The roots of complete tiles not yet stored: the first tile's number and the roots.
    fn unstored_tile_roots(&self) -> Option<(u64, Vec<merkle::Hash>)> {
        let state = self.lock().ok()?;
        let roots: Vec<_> =
            (state.tile_roots_stored..state.tree.complete_tiles()).map_while(|t| state.tree.tile_root(t)).collect();
        (!roots.is_empty()).then_some((state.tile_roots_stored, roots))
    }

    /// The indexer: every [`INDEX_EVERY`], adds to the store's hash index the entries it
    /// lacks, in batches, until told to stop; then what is still waiting, if the tree holds
    /// it. Errors are left for the next round: the index is derived, and look-ups find what
    /// it lacks in the tree.
    fn index_forever(&self, stop: std::sync::mpsc::Receiver<()>) {
        let mut last = std::time::Instant::now();
        loop {
            let stopping = !matches!(stop.recv_timeout(INDEX_EVERY), Err(std::sync::mpsc::RecvTimeoutError::Timeout));
            if stopping {
                let _ = self.index_waiting(Waiting::Closing, || true);
                return;
            }
            let due = if last.elapsed() >= INDEX_AT_LEAST_EVERY { Waiting::Any } else { Waiting::Batch };
            let keep_going = || !matches!(stop.try_recv(), Err(std::sync::mpsc::TryRecvError::Disconnected));
            if let Ok(true) = self.index_waiting(due, keep_going) {
                last = std::time::Instant::now();
            }
        }
    }

    /// Indexes the entries the index lacks, in batches while `keep_going` says so, when
    /// `due` says (and always when the index lags behind the leaves the tree holds, after a
    /// start, say). Returns whether it indexed.
    fn index_waiting(&self, due: Waiting, keep_going: impl Fn() -> bool) -> Result<bool, LogError> {
        let (size, held_from) = {
            let state = self.lock()?;
            (state.tree.size(), state.tree.held_from())
        };
        let (mut covered, _) = self.store.log_hash_index_size()?;
        let waiting = size.saturating_sub(covered);
        let lags = covered < held_from;
        let now = match due {
            Waiting::Batch => waiting >= INDEX_BATCH || lags,
            Waiting::Any => true,
            // Closing never waits for a long rebuild from the store.
            Waiting::Closing => !lags,
        };
        if waiting == 0 || !now {
            return Ok(false);
        }
        while covered < size && keep_going() {
            let end = size.min(covered + INDEX_BATCH);
            self.store.index_log_leaves(covered, &self.leaf_hashes(covered, end)?)?;
            covered = end;
        }
        Ok(true)
    }

    /// The leaf hashes of entries `[start, end)`: from the tree where it holds them, else
    /// recomputed from the store (entries the tree has, so the store has them too).
    fn leaf_hashes(&self, start: u64, end: u64) -> Result<Vec<merkle::Hash>, LogError> {
        if start < self.lock()?.tree.held_from() {
            return leaf_hashes(&*self.store, start, end);
        }
        // A slice at a time, so the committer never waits for more than a slice's copy
        // (copying 16,384 leaves under one lock held commits up for about a millisecond).
        let mut leaves = Vec::with_capacity((end - start) as usize);
        for from in (start..end).step_by(1024) {
            let state = self.lock()?;
            for i in from..end.min(from + 1024) {
                leaves.push(state.tree.leaf(i).ok_or_else(|| unavailable("a leaf is missing"))?);
            }
        }
        Ok(leaves)
    }
}

impl DurableLog {
    /// Opens the log over a store, rebuilding the tree from the stored tile roots and the
    /// entries after them, and starts its committer with the default commit interval.
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
        let mut size = store.log_size()?;
        let roots = store.log_tile_roots()?;
        let tiles = roots.len() as u64;
        // On a shared store another node may have appended, and stored a tile's root,
        // between the two reads: the size read after the roots holds every entry they cover.
        if tiles * TILE > size {
            size = store.log_size()?;
        }
        if tiles * TILE > size {
            return Err(unavailable(&format!("the store holds {tiles} tile roots but only {size} entries")));
        }
        let mut tree = Tree::from_tile_roots(&roots, RECENT_LEAVES);
        // The last stored tile against its entries: roots and entries that disagree (a store
        // put together from two copies, say) are refused here rather than signed.
        let mut kept_tiles = KeptTiles::default();
        if let Some(last) = tiles.checked_sub(1) {
            kept_tiles.keep(tree.check_tile(last, &leaf_hashes(&*store, last * TILE, tiles * TILE)?)?);
        }
        let mut start = tiles * TILE;
        while start < size {
            let end = (start + 10_000).min(size);
            for leaf in leaf_hashes(&*store, start, end)? {
                tree.push(leaf);
            }
            start = end;
        }
        let checkpoint = sign(&tree, origin, &key);
        // An index of more entries than the log has, or ending on another entry, is another
        // log's (a store restored from a copy, say): it starts again. The store's size is read
        // after the index's, so that on a shared store another node's indexer, ahead of the
        // size this tree was built to, is not taken for another log's.
        let (covered, last) = store.log_hash_index_size()?;
        let stored = if covered > size { store.log_size()? } else { size };
        if covered > stored || (covered > 0 && leaf_hashes(&*store, covered - 1, covered)?.first() != last.as_ref()) {
            store.reset_log_hash_index()?;
        }
        let shared = Arc::new(Shared {
            origin: origin.into(),
            key,
            store,
            state: Mutex::new(State {
                tree,
                tile_roots_stored: tiles,
                checkpoint,
                checkpoint_at: std::time::Instant::now(),
            }),
            growing: Mutex::new(()),
            commit_interval,
            commits: std::sync::atomic::AtomicU64::new(0),
            diverged: std::sync::OnceLock::new(),
        });
        let (jobs, queue) = std::sync::mpsc::channel();
        let committer = spawn_thread(&shared, "the log committer", "mrgate-log", move |s| s.commit_forever(queue))?;
        let (stop, stopped) = std::sync::mpsc::channel();
        let indexer = spawn_thread(&shared, "the log indexer", "mrgate-log-index", move |s| s.index_forever(stopped))?;
        let follower = if shared.store.shared() {
            let (stop, stopped) = std::sync::mpsc::channel();
            let follower =
                spawn_thread(&shared, "the log follower", "mrgate-log-follow", move |s| s.follow_forever(stopped))?;
            Some((stop, follower))
        } else {
            None
        };
        Ok(Self {
            shared,
            jobs: Some(jobs),
            committer: Some(committer),
            indexer: Some((stop, indexer)),
            follower,
            kept_tiles: Mutex::new(kept_tiles),
        })
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
        let leaf = write.entry.as_deref().map(merkle::leaf_hash);
        jobs.send(Job { write, leaf, done }).map_err(|_| unavailable("the log committer stopped"))
    }

    /// Queues an encoded entry with the effects that stand or fall with it; `done` is told
    /// its index once it is committed (or why not), on the committer's thread, so it must be
    /// quick (e.g. send on a channel).
    pub fn append_then(&self, bytes: Vec<u8>, effects: Vec<Effect>, done: Done) -> Result<(), LogError> {
        self.queue(Write { entry: Some(bytes), effects }, Box::new(move |r| done(r.and_then(|w| index_of(&w)))))
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

    /// Brings the tree up to the store's size (entries other gateway nodes appended) and
    /// returns it. Only a store other processes write to can be ahead; on any other this
    /// answers the tree's size without asking the store.
    pub fn follow(&self) -> Result<u64, LogError> {
        if self.shared.store.shared() { self.shared.follow() } else { self.size() }
    }

    /// Why this log commits nothing more, if it does not: the store was found to hold fewer
    /// entries, or other ones, than this log signed (see [`DurableLog::follow`]), or a
    /// witness said so ([`DurableLog::diverge`]).
    pub fn diverged(&self) -> Option<&str> {
        self.shared.diverged.get().map(String::as_str)
    }

    /// Stops this log committing, for `why`: a witness holds a checkpoint this history does
    /// not extend (it cosigned a larger size, or another tree at a size it holds). Nothing is
    /// decided on after that, by this node, until an operator has looked (a restart): every
    /// receipt given on would prove entries of a second history (found by attack: a data
    /// directory put back from a backup signed new entries at sizes its witness had cosigned,
    /// and kept deciding while the witness refused it). The first reason is kept.
    pub fn diverge(&self, why: &str) {
        self.shared.diverge(why);
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

    /// The index of the first entry whose leaf hash is `leaf`: from the store's hash index,
    /// checked against the tree, or among the entries the index does not cover yet.
    pub fn index_of(&self, leaf: &merkle::Hash) -> Result<Option<u64>, LogError> {
        // What the index covers is read first: entries it adds meanwhile are then either
        // found in it or among those looked through after.
        let (covered, _) = self.shared.store.log_hash_index_size()?;
        if let Some(index) = self.shared.store.log_index_of(leaf)? {
            // A tile that no longer matches the tree is that error, not the index's.
            let found = self.with_tiles(|state, tiles| state.tree.leaf_with(index, tiles));
            return match found {
                Ok(found) if found == *leaf => Ok(Some(index)),
                Ok(_) | Err(LogError::Proof(ProofError::IndexOutOfRange { .. })) => {
                    Err(unavailable("the hash index disagrees with the log"))
                }
                Err(e) => Err(e),
            };
        }
        let state = self.lock()?;
        if covered < state.tree.held_from() {
            return Err(unavailable(&format!(
                "the index by hash is being built: {covered} of {} entries",
                state.tree.size()
            )));
        }
        Ok((covered..state.tree.size()).find(|&i| state.tree.leaf(i).as_ref() == Some(leaf)))
    }

    /// Answers `ask` from the tree, with each tile it needs that the tree no longer holds
    /// taken from those kept or read back from the store (and checked against the tree
    /// before use).
    fn with_tiles<T>(&self, ask: impl Fn(&State, &Tiles) -> Result<T, ProofError>) -> Result<T, LogError> {
        let mut tiles = Tiles::default();
        for _ in 0..=MAX_TILES_PER_ANSWER {
            let tile = match ask(&*self.lock()?, &tiles) {
                Err(ProofError::TileNotHeld { tile }) => tile,
                answer => return Ok(answer?),
            };
            tiles = tiles.with(self.old_tile(tile)?);
        }
        Err(unavailable("a proof needed more tiles than any proof does"))
    }

    /// Old tile `tile`, kept or else read back from the store and checked.
    fn old_tile(&self, tile: u64) -> Result<CheckedTile, LogError> {
        let kept = || self.kept_tiles.lock().map_err(|_| unavailable("the kept tiles' lock is poisoned"));
        if let Some(checked) = kept()?.get(tile) {
            return Ok(checked);
        }
        let leaves = leaf_hashes(&*self.shared.store, tile * TILE, (tile + 1) * TILE)?;
        let checked = self.lock()?.tree.check_tile(tile, &leaves)?;
        kept()?.keep(checked.clone());
        Ok(checked)
    }

    /// A receipt for `index` against the latest checkpoint; an index beyond the tree is looked
    /// for in the store first (another node's entry).
    pub fn receipt(&self, index: u64) -> Result<Receipt, LogError> {
        self.beyond_tree(|| self.receipt_for(index, None))
    }

    /// A receipt for `index` against the latest checkpoint. When the caller has the entry's
    /// bytes at hand they are used (after checking them against the tree), so the store,
    /// whose connection the next commit may be holding, is not read.
    pub fn receipt_for(&self, index: u64, entry: Option<Vec<u8>>) -> Result<Receipt, LogError> {
        let (size, proof, leaf, checkpoint) = self.with_tiles(|state, tiles| {
            let size = state.tree.size();
            let proof = state.tree.inclusion_proof_with(index, size, tiles)?;
            let leaf = state.tree.leaf_with(index, tiles)?;
            Ok((size, proof, leaf, state.checkpoint.clone()))
        })?;
        let entry = match entry {
            Some(bytes) if merkle::leaf_hash(&bytes) == leaf => bytes,
            _ => {
                let stored = self
                    .shared
                    .store
                    .log_entries(index, index + 1)?
                    .pop()
                    .ok_or(merkle::ProofError::IndexOutOfRange { index, size })?;
                // Like a tile read back, the stored entry is answered only if it is the one
                // the tree holds.
                if merkle::leaf_hash(&stored) != leaf {
                    return Err(merkle::ProofError::TileMismatch { tile: index / TILE }.into());
                }
                stored
            }
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
    /// a moment ahead of the tree; it waits for the tree to catch up, up to a second (another
    /// node's entry is followed at once: see [`DurableLog::receipt`]).
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

    /// Runs `ask`, and once more after following the store when it asked about more than
    /// the tree holds (an index or a size another node's checkpoint made known).
    fn beyond_tree<T>(&self, ask: impl Fn() -> Result<T, LogError>) -> Result<T, LogError> {
        match ask() {
            Err(LogError::Proof(
                merkle::ProofError::IndexOutOfRange { .. }
                | merkle::ProofError::SizeBeyondLog { .. }
                | merkle::ProofError::BadSizes { .. },
            )) if self.shared.store.shared() => {
                self.follow()?;
                ask()
            }
            answer => answer,
        }
    }

    /// The concatenated hashes of tile `index` at `level`, `width` of them (C2SP
    /// tlog-tiles); refused unless every one is complete in the tree.
    pub fn tile(&self, level: u8, index: u64, width: u64) -> Result<Vec<u8>, LogError> {
        let hashes = self
            .beyond_tree(|| self.with_tiles(|state, tiles| state.tree.tile_hashes_with(level, index, width, tiles)))?;
        Ok(hashes.concat())
    }

    /// Entries `[start, end)` as stored, each checked against the tree (its leaf hash is the
    /// tree's), as entry bundles and receipts are: an entry changed in the store behind the
    /// log's back is that error (`log.tile_mismatch`), never served as the log's (found by
    /// attack: `/v1/log/entries` served a rewritten old entry, with a leaf hash computed
    /// from the rewritten bytes).
    pub fn entries(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, LogError> {
        self.beyond_tree(|| self.entries_held(start, end))
    }

    fn entries_held(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, LogError> {
        let size = self.size()?;
        if end > size {
            return Err(merkle::ProofError::IndexOutOfRange { index: end - 1, size }.into());
        }
        let entries = self.shared.store.log_entries(start, end)?;
        if entries.len() as u64 != end.saturating_sub(start) {
            return Err(unavailable("the store holds fewer entries than the tree"));
        }
        // One tile's leaves are read once, for every entry of it asked for.
        let mut leaves: (u64, Vec<merkle::Hash>) = (u64::MAX, Vec::new());
        for (at, entry) in (start..).zip(&entries) {
            let tile = at / TILE;
            if leaves.0 != tile {
                let width = end.min((tile + 1) * TILE) - tile * TILE;
                leaves = (tile, self.with_tiles(|state, tiles| state.tree.tile_hashes_with(0, tile, width, tiles))?);
            }
            let leaf = leaves.1.get(usize::try_from(at - tile * TILE).unwrap_or(usize::MAX));
            if leaf != Some(&merkle::leaf_hash(entry)) {
                return Err(merkle::ProofError::TileMismatch { tile }.into());
            }
        }
        Ok(entries)
    }

    /// The entries `index·TILE …` of an entry bundle, `width` of them, each after its
    /// length as a big-endian u16 (C2SP tlog-tiles), checked against the tree like any
    /// entry read back; refused unless every one is in the tree.
    pub fn entry_bundle(&self, index: u64, width: u64) -> Result<Vec<u8>, LogError> {
        self.beyond_tree(|| self.entry_bundle_held(index, width))
    }

    fn entry_bundle_held(&self, index: u64, width: u64) -> Result<Vec<u8>, LogError> {
        let size = self.size()?;
        // A bundle whose first entry is past what a u64 counts is one no log will ever hold.
        let start = index.checked_mul(TILE).ok_or(merkle::ProofError::IndexOutOfRange { index: u64::MAX, size })?;
        let end = start.saturating_add(width);
        if end > size {
            return Err(merkle::ProofError::IndexOutOfRange { index: end - 1, size }.into());
        }
        let entries = self.shared.store.log_entries(start, end)?;
        let leaves: Vec<merkle::Hash> = entries.iter().map(|e| merkle::leaf_hash(e)).collect();
        let expected = self.with_tiles(|state, tiles| state.tree.tile_hashes_with(0, index, width, tiles))?;
        if leaves != expected {
            return Err(merkle::ProofError::TileMismatch { tile: index }.into());
        }
        let mut bundle = Vec::with_capacity(entries.iter().map(|e| e.len() + 2).sum());
        for entry in &entries {
            let len = u16::try_from(entry.len())
                .map_err(|_| unavailable("an entry is longer than an entry bundle can carry (65,535 bytes)"))?;
            bundle.extend_from_slice(&len.to_be_bytes());
            bundle.extend_from_slice(entry);
        }
        Ok(bundle)
    }

    /// The inclusion proof of `index` in the tree of the first `size` entries, any size up
    /// to the current one (a monitor holding an older checkpoint proves against it).
    pub fn inclusion(&self, index: u64, size: u64) -> Result<Vec<merkle::Hash>, LogError> {
        self.beyond_tree(|| self.with_tiles(|state, tiles| state.tree.inclusion_proof_with(index, size, tiles)))
    }

    /// The consistency proof from the tree of `from` entries to that of `to`, any sizes up to
    /// the store's (a checkpoint another node served may be ahead of this tree).
    pub fn consistency(&self, from: u64, to: u64) -> Result<ConsistencyProof, LogError> {
        let hashes =
            self.beyond_tree(|| self.with_tiles(|state, tiles| state.tree.consistency_proof_with(from, to, tiles)))?;
        Ok(ConsistencyProof { from, to, hashes: encode_hashes(&hashes) })
    }
}

fn index_of(written: &Written) -> Result<u64, LogError> {
    written.index.ok_or_else(|| unavailable("the store gave the entry no index"))
}

/// Starts one of the log's threads (`what`, named `thread` for debuggers and `top`).
fn spawn_thread(
    shared: &Arc<Shared>,
    what: &str,
    thread: &str,
    run: impl FnOnce(&Shared) + Send + 'static,
) -> Result<std::thread::JoinHandle<()>, LogError> {
    let shared = Arc::clone(shared);
    std::thread::Builder::new()
        .name(thread.into())
        .spawn(move || run(&shared))
        .map_err(|e| unavailable(&format!("cannot start {what}: {e}")))
}

/// The leaf hashes of entries `[start, end)`, computed from the stored entries.
fn leaf_hashes(store: &dyn Store, start: u64, end: u64) -> Result<Vec<merkle::Hash>, LogError> {
    let entries = store.log_entries(start, end)?;
    if entries.len() as u64 != end - start {
        return Err(unavailable(&format!("the store is missing log entries in [{start}, {end})")));
    }
    Ok(entries.iter().map(|e| merkle::leaf_hash(e)).collect())
}

/// Signs the state's tree as its checkpoint (with the tree's growth, under one lock hold).
fn sign_state(state: &mut State, origin: &str, key: &Ed25519KeyPair) {
    state.checkpoint = sign(&state.tree, origin, key);
    state.checkpoint_at = std::time::Instant::now();
}

fn sign(tree: &Tree, origin: &str, key: &Ed25519KeyPair) -> String {
    let size = tree.size();
    let root = tree.root(size).unwrap_or_else(merkle::empty_root);
    Checkpoint { origin: origin.into(), size, root }.sign(origin, key)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tree of `tiles` complete tiles, and each tile checked against it.
    fn checked_tiles(tiles: u64) -> Vec<CheckedTile> {
        let mut tree = Tree::new();
        let leaves: Vec<merkle::Hash> = (0..tiles * TILE).map(|i| merkle::leaf_hash(&i.to_be_bytes())).collect();
        for leaf in &leaves {
            tree.push(*leaf);
        }
        (0..tiles)
            .map(|t| tree.check_tile(t, &leaves[(t * TILE) as usize..((t + 1) * TILE) as usize]).expect("checked"))
            .collect()
    }

    fn numbers(kept: &KeptTiles) -> Vec<u64> {
        kept.tiles.iter().map(CheckedTile::number).collect()
    }

    #[test]
    fn kept_tiles_forget_the_one_used_longest_ago() {
        let checked = checked_tiles(KEPT_TILES as u64 + 2);
        let mut kept = KeptTiles::default();
        for tile in &checked[..KEPT_TILES] {
            kept.keep(tile.clone());
        }
        // Tile 0 used again: tile 1 is now the one used longest ago, and goes first.
        assert_eq!(kept.get(0).map(|t| t.number()), Some(0));
        kept.keep(checked[KEPT_TILES].clone());
        assert_eq!(kept.tiles.len(), KEPT_TILES);
        assert_eq!(kept.get(1).map(|t| t.number()), None);
        assert_eq!(numbers(&kept)[..2], [2, 3]);
        assert_eq!(numbers(&kept)[KEPT_TILES - 2..], [0, KEPT_TILES as u64]);
        // Kept twice, a tile is held once.
        kept.keep(checked[0].clone());
        assert_eq!(numbers(&kept).iter().filter(|&&t| t == 0).count(), 1);
        assert_eq!(kept.tiles.len(), KEPT_TILES);
    }
}
