//! What a witness must remember, in SQLite (`<data dir>/witness.db`): for each log it watches,
//! the latest checkpoint it cosigned (size, root hash, the signed note), and the evidence of
//! a log's misbehaviour — every refused request whose checkpoint the log had signed but that
//! contradicted, or was not shown to extend, the checkpoint cosigned before.
//!
//! c2sp.org/tlog-witness requires the check of a request's old size against the stored size
//! and the update to be one atomic step, or two requests racing from the same old size could
//! roll the record back. [`State::update`] reads, decides and writes inside one
//! `BEGIN IMMEDIATE` transaction, and nothing else writes the record.
//!
//! The database is in WAL mode with `synchronous = FULL`: a cosignature is answered only once
//! its checkpoint is on disk. `witness.lock` beside it, held for as long as the state is
//! open, keeps a second witness process out of the same directory.
//!
//! This module stores and recalls; it never decides whether a checkpoint is consistent (the
//! caller's `decide` does), and it never moves a log's record but through that decision.

use crate::ledger::merkle::Hash;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// The database's file name in the data directory.
pub const DATABASE: &str = "witness.db";
/// The lock file's name in the data directory.
pub const LOCK: &str = "witness.lock";

/// Schema migrations, in order; `PRAGMA user_version` counts those applied.
const MIGRATIONS: &[&str] = &["
    CREATE TABLE latest (
        origin TEXT PRIMARY KEY NOT NULL,
        size INTEGER NOT NULL,
        root BLOB NOT NULL CHECK (length(root) = 32),
        note TEXT NOT NULL,
        time INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE evidence (
        id INTEGER PRIMARY KEY,
        time INTEGER NOT NULL,
        origin TEXT NOT NULL,
        reason TEXT NOT NULL,
        stored_note TEXT,
        request BLOB NOT NULL,
        -- The refused checkpoint's note body: one row per checkpoint and reason, so that a
        -- published checkpoint replayed with junk proofs adds nothing after the first.
        checkpoint TEXT NOT NULL,
        UNIQUE (origin, reason, checkpoint)
    ) STRICT;
"];

/// The latest checkpoint a witness cosigned for one log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cosigned {
    pub size: u64,
    pub root: Hash,
    /// The checkpoint as it was submitted: the signed note, the log's signature with it.
    pub note: String,
}

/// The reason of a request kept as a lead rather than proof: a consistency proof that failed
/// (anyone relaying a log's signed checkpoint chooses the proof sent with it).
const PROOF_LEAD: &str = "witness.proof";

/// Leads kept per log, the newest: enough to follow a log that forked, and a bound on what
/// anyone can make the witness write by replaying an honest log's checkpoints with junk
/// proofs.
pub const MAX_PROOF_LEADS: usize = 64;

/// A refused request kept as evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// When it was refused (POSIX seconds).
    pub time: u64,
    pub origin: String,
    /// The reason code of the refusal.
    pub reason: String,
    /// The checkpoint the witness had cosigned last, if any: with the request's, a pair a
    /// third party can check.
    pub stored_note: Option<String>,
    /// The request body, exactly as it came.
    pub request: Vec<u8>,
}

/// What [`State::update`]'s decision does with a log's record, and what it answers.
#[derive(Debug)]
pub enum Update<'a, T> {
    /// The checkpoint becomes the latest cosigned one; then `answer`.
    Advance { cosigned: Cosigned, answer: T },
    /// Nothing changes.
    Keep { answer: T },
    /// Nothing changes but `request` is kept as evidence, under `reason`, with the record's
    /// checkpoint beside it — once per refused `checkpoint` (its note body) and reason.
    Evidence { time: u64, reason: &'static str, request: &'a [u8], checkpoint: &'a str, answer: T },
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    #[error("{}: another witness holds this directory (its lock {} is taken)", dir.display(), lock.display())]
    InUse { dir: PathBuf, lock: PathBuf },
    #[error("{}: {why}", path.display())]
    Open { path: PathBuf, why: String },
    #[error("{path} was written by a newer mrgate (schema {found}, this one knows {supported})", path = path.display())]
    SchemaTooNew { path: PathBuf, found: i64, supported: i64 },
    #[error("the witness's database: {0}")]
    Database(String),
    #[error("the stored record of {origin} cannot be read back: {why}")]
    Corrupt { origin: String, why: String },
}

impl StateError {
    pub fn code(&self) -> &'static str {
        match self {
            StateError::InUse { .. }
            | StateError::Open { .. }
            | StateError::SchemaTooNew { .. }
            | StateError::Database(_)
            | StateError::Corrupt { .. } => "witness.state",
        }
    }
}

impl From<rusqlite::Error> for StateError {
    fn from(e: rusqlite::Error) -> Self {
        StateError::Database(e.to_string())
    }
}

/// A witness's durable state.
#[derive(Debug)]
pub struct State {
    conn: Mutex<Connection>,
    /// Held (locked) while the state is open; dropping it lets another witness in.
    _lock: Option<std::fs::File>,
}

impl State {
    /// Opens (creating if needed) the state in `dir`; refused while another witness holds it.
    pub fn open(dir: &Path) -> Result<Self, StateError> {
        let open_err =
            |path: &Path, e: &dyn std::fmt::Display| StateError::Open { path: path.into(), why: e.to_string() };
        std::fs::create_dir_all(dir).map_err(|e| open_err(dir, &e))?;
        let lock_path = dir.join(LOCK);
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| open_err(&lock_path, &e))?;
        if lock.try_lock().is_err() {
            return Err(StateError::InUse { dir: dir.into(), lock: lock_path });
        }
        let path = dir.join(DATABASE);
        let conn = Connection::open(&path).map_err(|e| open_err(&path, &e))?;
        let mut state = Self::init(conn, &path)?;
        state._lock = Some(lock);
        Ok(state)
    }

    /// A state in memory, gone when dropped: for tests and the fuzzer.
    pub fn in_memory() -> Result<Self, StateError> {
        Self::init(Connection::open_in_memory()?, Path::new(":memory:"))
    }

    fn init(conn: Connection, path: &Path) -> Result<Self, StateError> {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // A cosignature is a promise about what the witness saw: the record it rests on must
        // be on disk before the answer leaves.
        conn.pragma_update(None, "synchronous", "FULL")?;
        // Two connections on one file (never two witnesses: the lock) wait for each other's
        // BEGIN IMMEDIATE rather than fail at once.
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let supported = MIGRATIONS.len() as i64;
        if found > supported {
            return Err(StateError::SchemaTooNew { path: path.into(), found, supported });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(usize::try_from(found).unwrap_or(0)) {
            let tx = conn.unchecked_transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()?;
        }
        Ok(Self { conn: Mutex::new(conn), _lock: None })
    }

    fn conn(&self) -> Result<MutexGuard<'_, Connection>, StateError> {
        self.conn.lock().map_err(|_| StateError::Database("the state's lock is poisoned".into()))
    }

    /// The latest checkpoint cosigned for `origin`, if any.
    pub fn latest(&self, origin: &str) -> Result<Option<Cosigned>, StateError> {
        latest(&*self.conn()?, origin)
    }

    /// Reads `origin`'s record, lets `decide` choose what becomes of it, and does that, all
    /// in one `BEGIN IMMEDIATE` transaction: no other update can come between the read and
    /// the write. `time` is when the record is written (POSIX seconds).
    pub fn update<'a, T>(
        &self,
        origin: &str,
        time: u64,
        decide: impl FnOnce(Option<&Cosigned>) -> Update<'a, T>,
    ) -> Result<T, StateError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let stored = latest(&tx, origin)?;
        let answer = match decide(stored.as_ref()) {
            Update::Advance { cosigned, answer } => {
                tx.execute(
                    "INSERT INTO latest (origin, size, root, note, time) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (origin) DO UPDATE SET size = ?2, root = ?3, note = ?4, time = ?5",
                    params![origin, sql_int(cosigned.size)?, &cosigned.root[..], cosigned.note, sql_int(time)?],
                )?;
                answer
            }
            Update::Keep { answer } => answer,
            Update::Evidence { time, reason, request, checkpoint, answer } => {
                // Leads (proofs that failed) are kept newest first, up to the bound: the
                // oldest gives way, so a log that forked and keeps asking stays on record
                // however many junk proofs others sent before (found by review).
                if reason == PROOF_LEAD {
                    tx.execute(
                        "DELETE FROM evidence WHERE id IN (SELECT id FROM evidence WHERE origin = ?1 AND reason = ?2
                         AND checkpoint <> ?3 ORDER BY id DESC LIMIT -1 OFFSET ?4)",
                        params![origin, PROOF_LEAD, checkpoint, sql_int(MAX_PROOF_LEADS as u64 - 1)?],
                    )?;
                }
                tx.execute(
                    "INSERT OR IGNORE INTO evidence (time, origin, reason, stored_note, request, checkpoint)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        sql_int(time)?,
                        origin,
                        reason,
                        stored.as_ref().map(|c| c.note.as_str()),
                        request,
                        checkpoint
                    ],
                )?;
                answer
            }
        };
        tx.commit()?;
        Ok(answer)
    }

    /// Every request kept as evidence, oldest first.
    pub fn evidence(&self) -> Result<Vec<Evidence>, StateError> {
        let conn = self.conn()?;
        let mut statement =
            conn.prepare("SELECT time, origin, reason, stored_note, request FROM evidence ORDER BY id")?;
        let rows = statement.query_map([], |r| {
            Ok(Evidence {
                time: u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
                origin: r.get(1)?,
                reason: r.get(2)?,
                stored_note: r.get(3)?,
                request: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

fn latest(conn: &Connection, origin: &str) -> Result<Option<Cosigned>, StateError> {
    let row = conn
        .query_row("SELECT size, root, note FROM latest WHERE origin = ?1", [origin], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?, r.get::<_, String>(2)?))
        })
        .optional()?;
    let Some((size, root, note)) = row else { return Ok(None) };
    let corrupt = |why: &str| StateError::Corrupt { origin: origin.into(), why: why.into() };
    Ok(Some(Cosigned {
        size: u64::try_from(size).map_err(|_| corrupt("a negative size"))?,
        root: root.try_into().map_err(|_| corrupt("a root hash that is not 32 bytes"))?,
        note,
    }))
}

/// SQLite integers are signed: sizes and times past 2^63 - 1 are refused, never wrapped.
fn sql_int(n: u64) -> Result<i64, StateError> {
    i64::try_from(n).map_err(|_| StateError::Database(format!("{n} is too large to store")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cosigned(size: u64) -> Cosigned {
        Cosigned { size, root: [size as u8; 32], note: format!("log\n{size}\n…\n") }
    }

    #[test]
    fn a_record_advances_only_as_its_decision_says_and_survives_reopening() {
        let dir = tempfile::tempdir().expect("tmp");
        let state = State::open(dir.path()).expect("open");
        assert_eq!(state.latest("log").expect("read"), None);
        let seen = state.update("log", 1, |stored| Update::Advance { cosigned: cosigned(3), answer: stored.cloned() });
        assert_eq!(seen.expect("update"), None);
        let kept = state.update("log", 2, |stored| Update::Keep { answer: stored.map(|c| c.size) });
        assert_eq!(kept.expect("keep"), Some(3));
        let request = b"old 1\n\nlog\n";
        let refused = state.update("log", 5, |_| Update::Evidence {
            checkpoint: "log\n9\nroot\n",
            time: 5,
            reason: "witness.proof",
            request,
            answer: "refused",
        });
        assert_eq!(refused.expect("evidence"), "refused");
        assert_eq!(state.latest("other").expect("read"), None);
        // A second witness on the same directory is kept out while the first holds it.
        let err = State::open(dir.path()).expect_err("locked");
        assert!(matches!(err, StateError::InUse { .. }) && err.code() == "witness.state", "{err}");
        drop(state);
        let state = State::open(dir.path()).expect("reopen");
        assert_eq!(state.latest("log").expect("read"), Some(cosigned(3)));
        let evidence = state.evidence().expect("evidence");
        assert_eq!(evidence.len(), 1);
        let e = &evidence[0];
        assert_eq!(
            (e.time, e.origin.as_str(), e.reason.as_str(), e.stored_note.as_deref(), e.request.as_slice()),
            (5, "log", "witness.proof", Some(cosigned(3).note.as_str()), &request[..])
        );
    }

    #[test]
    fn sizes_past_what_sqlite_holds_are_refused_and_change_nothing() {
        let state = State::in_memory().expect("state");
        let huge = Cosigned { size: u64::MAX, ..cosigned(1) };
        let err = state.update("log", 1, |_| Update::Advance { cosigned: huge, answer: () }).expect_err("too large");
        assert_eq!(err.code(), "witness.state");
        assert_eq!(state.latest("log").expect("read"), None);
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().expect("tmp");
        drop(State::open(dir.path()).expect("open"));
        let conn = Connection::open(dir.path().join(DATABASE)).expect("db");
        conn.pragma_update(None, "user_version", 99).expect("bump");
        drop(conn);
        let err = State::open(dir.path()).expect_err("newer");
        assert!(matches!(err, StateError::SchemaTooNew { found: 99, .. }), "{err}");
    }
}
