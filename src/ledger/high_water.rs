//! The log's high-water mark: the newest checkpoint this gateway signed, kept in a file of
//! its own, apart from the store. At start the store's log must extend it — hold at least
//! its size, with a consistency proof from it — or the gateway does not start: a store put
//! back from an older copy, or another store, would otherwise grow a second history under
//! the same key, which the holders of receipts and checkpoints past the copy, and witnesses,
//! find only later (found by review: only witnesses noticed, and a single node may have none).
//!
//! The file is written after the entries it covers are committed, and renamed into place
//! whole: it never claims a size the store has not made durable, and a crash leaves the
//! mark before or after, never a part. It lags the log by at most [`RECORD_EVERY`].
//!
//! One gateway keeps a mark: it holds the mark's lock (`<mark>.lock`, beside it) from before
//! its check until it stops, and a second gateway given the same mark does not start. Two
//! writers of one mark would each replace the other's checkpoint, and a rollback of either
//! store could pass against the other's older mark.
//!
//! What it must never do: decide, write the store, or let a mark it cannot verify pass.

use super::checkpoint::Checkpoint;
use super::durable::DurableLog;
use std::path::{Path, PathBuf};

/// How often a running gateway writes its newest checkpoint to the mark, when the log grew.
pub const RECORD_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Why the store's log is not the one the mark was written for.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HighWaterError {
    #[error(
        "{path}: [log.rolled_back] this gateway signed a checkpoint of {published} entries, and the store's log \
         holds {held}: the store was put back from an older copy. Restore the store that holds them; starting \
         on this one would give the log a second history under the same key. Only to start that second history \
         knowingly, move the mark aside."
    )]
    RolledBack { path: PathBuf, published: u64, held: u64 },
    #[error(
        "{path}: [log.forked] the store's log does not extend the checkpoint of {published} entries this gateway \
         signed ({why}): it is another log's store, or one changed behind the gateway's back"
    )]
    Forked { path: PathBuf, published: u64, why: String },
    #[error("{path}: [log.high_water] {why}")]
    Unusable { path: PathBuf, why: String },
    #[error(
        "{path}: [log.high_water] there is no high-water mark, and the store's log holds {held} entries: if the \
         mark is kept on a disk that is not mounted, mount it; if this gateway never marked this log (the first \
         start of a build that keeps a mark, a new node of a shared store, a mark moved aside knowingly), start it \
         once with --adopt-log"
    )]
    Unmarked { path: PathBuf, held: u64 },
}

impl HighWaterError {
    pub fn code(&self) -> &'static str {
        match self {
            HighWaterError::RolledBack { .. } => "log.rolled_back",
            HighWaterError::Forked { .. } => "log.forked",
            HighWaterError::Unusable { .. } | HighWaterError::Unmarked { .. } => "log.high_water",
        }
    }
}

/// The most bytes a mark file may hold: a checkpoint with its witnesses' lines is far less.
const MAX_MARK_BYTES: u64 = 64 * 1024;

/// Holds `log` to the mark at `path`, checked with the log's public key: the log's size is
/// at least the mark's, and its latest checkpoint extends the mark's (a consistency proof
/// from the store). No mark is a refusal for a log that holds entries unless `adopt` (found
/// by review: a mark on a disk not mounted at start read as none, and a rollback passed); an
/// empty log needs none. Then [`start`] writes the log's checkpoint as the mark.
pub fn check(path: &Path, log: &DurableLog, public_key: &[u8], adopt: bool) -> Result<(), HighWaterError> {
    let unreadable = |why: String| HighWaterError::Unusable { path: path.to_path_buf(), why };
    // A mark is a checkpoint: a regular file of a few hundred bytes (found by attack: one
    // linked to /dev/zero was read without end, and a FIFO hung the start).
    let note = match crate::files::read(path, MAX_MARK_BYTES) {
        Ok(bytes) => String::from_utf8(bytes).map_err(|_| unreadable("the mark is not UTF-8 text".into()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let held = log.size().map_err(|e| unreadable(format!("the log's size: {e}")))?;
            return match held == 0 || adopt {
                true => Ok(()),
                false => Err(HighWaterError::Unmarked { path: path.to_path_buf(), held }),
            };
        }
        Err(e) => return Err(unreadable(e.to_string())),
    };
    let (mark, _) = Checkpoint::verify(&note, public_key)
        .map_err(|e| unreadable(format!("the mark is not a checkpoint signed by this log's key: {e}")))?;
    let now = log.checkpoint().map_err(|e| unreadable(format!("the log's checkpoint: {e}")))?;
    let (current, _) = Checkpoint::verify(&now, public_key)
        .map_err(|e| unreadable(format!("the log's own checkpoint does not verify: {e}")))?;
    if current.origin != mark.origin {
        let why = format!("the mark is of origin '{}', the log of '{}'", mark.origin, current.origin);
        return Err(HighWaterError::Forked { path: path.to_path_buf(), published: mark.size, why });
    }
    if current.size < mark.size {
        return Err(HighWaterError::RolledBack { path: path.to_path_buf(), published: mark.size, held: current.size });
    }
    let published = mark.size;
    let forked = |why: String| HighWaterError::Forked { path: path.to_path_buf(), published, why };
    let proof = log.consistency(mark.size, current.size).map_err(|e| forked(e.to_string()))?;
    super::receipt::consistent(mark, current, &proof).map_err(|e| forked(e.to_string()))?;
    Ok(())
}

/// The lock of a mark, held by the one gateway that keeps it until this is dropped; every
/// write of the mark goes through it ([`Held::record`]), so none outlives the lock (found by
/// review: a periodic write in flight at shutdown could land after the lock was let go of).
#[derive(Debug)]
pub struct Held {
    /// The mark's file.
    path: PathBuf,
    _lock: std::fs::File,
    /// The size of the checkpoint last written through this lock, held while a write is
    /// made: writes are one at a time, and only of a larger checkpoint (the log grew; a
    /// periodic write overtaken by the shutdown's is not made after it).
    recorded: std::sync::Mutex<Option<u64>>,
}

impl Held {
    /// Writes `checkpoint` as the mark (to a file beside it, renamed over it) unless one as
    /// large was written through this lock already; whether it was written.
    pub fn record(&self, checkpoint: &str) -> std::io::Result<bool> {
        let size = size_of(checkpoint)
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "not a checkpoint"))?;
        let mut recorded = self.recorded.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if recorded.is_some_and(|r| size <= r) {
            return Ok(false);
        }
        record(&self.path, checkpoint)?;
        *recorded = Some(size);
        Ok(true)
    }
}

/// The tree size a checkpoint note states (its second line).
fn size_of(checkpoint: &str) -> Option<u64> {
    checkpoint.lines().nth(1).and_then(|s| s.parse::<u64>().ok())
}

/// Takes the lock of the mark at `path`: `<path>.lock`, made if need be in the mark's
/// directory, which must exist (as for the mark itself: a disk not mounted is not made up).
pub fn hold(path: &Path) -> Result<Held, HighWaterError> {
    let mut lock_path = path.as_os_str().to_owned();
    lock_path.push(".lock");
    let lock_path = PathBuf::from(lock_path);
    let unusable = |why: String| HighWaterError::Unusable { path: path.to_path_buf(), why };
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| unusable(format!("the mark cannot be written: its lock {}: {e}", lock_path.display())))?;
    match lock.try_lock() {
        Ok(()) => Ok(Held { path: path.to_path_buf(), _lock: lock, recorded: std::sync::Mutex::new(None) }),
        Err(std::fs::TryLockError::WouldBlock) => Err(unusable(format!(
            "another running gateway keeps this mark (its lock {} is held): each node keeps a mark of its own",
            lock_path.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(unusable(format!("the mark cannot be written: its lock {}: {e}", lock_path.display())))
        }
    }
}

/// [`hold`], [`check`], then the log's checkpoint written as the mark: a gateway that starts
/// keeps a mark from then on, or does not start (a mark it cannot write is said at once, not
/// found missing at the next start). The mark is this gateway's while the lock is held.
pub fn start(path: &Path, log: &DurableLog, public_key: &[u8], adopt: bool) -> Result<Held, HighWaterError> {
    let held = hold(path)?;
    check(path, log, public_key, adopt)?;
    let unwritable = |why: String| HighWaterError::Unusable { path: path.to_path_buf(), why };
    let note = log.checkpoint().map_err(|e| unwritable(format!("the log's checkpoint: {e}")))?;
    held.record(&note).map_err(|e| unwritable(format!("the mark cannot be written: {e}")))?;
    Ok(held)
}

/// Writes `checkpoint` as the mark at `path`: to a file beside it, synced, then renamed over
/// it, and the directory synced, so the mark is the old one or the new one whole. The
/// directory must exist: one that does not (a disk not mounted) is not made.
fn record(path: &Path, checkpoint: &str) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    // A name of this write's own: the shutdown's write may overlap the last periodic one,
    // and two writers of one temporary file could rename each other's part.
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let write = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(format!(".new.{}.{write}", std::process::id()));
    let temporary = PathBuf::from(temporary);
    let written = std::fs::File::create(&temporary).and_then(|mut file| {
        file.write_all(checkpoint.as_bytes())?;
        file.sync_all()
    });
    // A write that failed (a full disk) leaves no part behind: found by attack, one file a
    // second piled up beside the mark while the disk stayed full.
    if let Err(e) = written.and_then(|()| std::fs::rename(&temporary, path)) {
        let _ = std::fs::remove_file(&temporary);
        return Err(e);
    }
    std::fs::File::open(dir)?.sync_all()
}

/// Records the log's newest checkpoint through the mark's lock every [`RECORD_EVERY`] while
/// it grows, for as long as the log and the lock are held elsewhere (it holds each only
/// while it records: a gateway let go of keeps no store open, nor its mark locked, through
/// it; a write in flight holds the lock until it is made); a failure to write is said on
/// stderr once until a write succeeds again (the log goes on: the mark only lags).
pub async fn record_forever(log: std::sync::Weak<DurableLog>, held: std::sync::Weak<Held>) {
    let mut failing = false;
    loop {
        tokio::time::sleep(RECORD_EVERY).await;
        // The log is let go of before the write, which may wait on the disk.
        let Some(note) = log.upgrade().map(|log| log.checkpoint()) else { return };
        let (Ok(note), Some(held)) = (note, held.upgrade()) else { continue };
        // Written only if the log grew since the last write (`Held::record`).
        match tokio::task::spawn_blocking(move || held.record(&note)).await {
            Ok(Ok(_)) => failing = false,
            Ok(Err(e)) if !failing => {
                failing = true;
                crate::server::to_operator(format_args!("mrgate: the log's high-water mark was not written: {e}"));
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A write that fails leaves no temporary file beside the mark (found by attack: on a
    /// full disk, one a second piled up). Here the rename fails: the mark's path is a
    /// directory that is not empty.
    #[test]
    fn a_failed_write_leaves_nothing_behind() {
        let dir = tempfile::tempdir().expect("tmp");
        let mark = dir.path().join("log-high-water");
        std::fs::create_dir(&mark).expect("dir");
        std::fs::write(mark.join("in the way"), b"x").expect("write");
        assert!(record(&mark, "origin\n1\nroot\n\n").is_err());
        let left: Vec<String> = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left, ["log-high-water"]);
    }

    /// One holder of a mark at a time, and through it the mark only grows: a write of an
    /// older checkpoint than the last (a periodic one overtaken by the shutdown's), or of
    /// one as large, is not made; let go of, the mark is free again.
    #[test]
    fn a_mark_is_written_through_its_one_lock_and_only_grows() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("log-high-water");
        let note = |size: u64| format!("example.org/log\n{size}\nAAAA\n\n— example.org/log sig\n");
        let held = hold(&path).expect("the lock");
        match hold(&path) {
            Err(HighWaterError::Unusable { why, .. }) => {
                assert!(why.starts_with("another running gateway keeps this mark"), "{why}")
            }
            other => panic!("{other:?}"),
        }
        // The first write through a lock is made whatever its size (an empty log's is 0).
        assert!(held.record(&note(0)).expect("written"));
        assert!(held.record(&note(5)).expect("written"));
        assert!(!held.record(&note(3)).expect("not written"));
        assert_eq!(std::fs::read_to_string(&path).expect("mark"), note(5));
        assert!(!held.record(&note(5)).expect("not written again"));
        assert!(held.record(&note(7)).expect("written"));
        assert_eq!(std::fs::read_to_string(&path).expect("mark"), note(7));
        assert_eq!(held.record("no size\n").map_err(|e| e.kind()), Err(std::io::ErrorKind::InvalidData));
        drop(held);
        assert!(hold(&path).is_ok(), "let go of, the mark is free");
    }
}
