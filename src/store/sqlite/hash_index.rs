//! The index from a log entry's leaf hash to its first log index, in its own SQLite file
//! beside the store (`mrgate.hash-index.db` next to `mrgate.db`).
//!
//! Why a file of its own: a leaf hash is random, so every entry indexed lands on some
//! random page of a b-tree. In the store's file that page would be written, and synced, by
//! the commit that carries the entry: measured on a log of 2M entries, 186 KiB written per
//! commit instead of 28, 11.1k appends/s instead of 13.9k, p99 6.0 ms instead of 2.3. Here
//! the log writes the index in batches, from a thread of its own, through a connection of
//! its own (SQLite lets one writer at a time into a file, so in the store's file a batch
//! would hold up every commit), and without syncing.
//!
//! What it must never do: be trusted as the log. It is derived data — lost or stale, it is
//! emptied and rebuilt from the entries — and every answer it gives is checked against the
//! tree before it is used.

use crate::store::StoreError;
use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;
use std::sync::Mutex;

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS leaf (hash BLOB PRIMARY KEY, idx INTEGER NOT NULL) WITHOUT ROWID;
    -- How many entries are indexed, and the last one's leaf hash (to tell this log from another).
    CREATE TABLE IF NOT EXISTS covered (one INTEGER PRIMARY KEY CHECK (one = 0), size INTEGER NOT NULL, last BLOB);";

#[derive(Debug)]
pub(super) struct HashIndex {
    conn: Mutex<Connection>,
}

impl HashIndex {
    /// Opens the index file, starting it again empty when it cannot be read as one (it is
    /// rebuilt from the log).
    pub(super) fn open(path: &Path) -> Result<Self, StoreError> {
        match Connection::open(path).map_err(StoreError::from).and_then(Self::new) {
            Ok(index) => Ok(index),
            Err(_) => {
                for stale in [path.to_path_buf(), wal_file(path, "-wal"), wal_file(path, "-shm")] {
                    match std::fs::remove_file(&stale) {
                        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                            return Err(StoreError::Database(format!("{}: {e}", stale.display())));
                        }
                        _ => {}
                    }
                }
                Self::new(Connection::open(path)?)
            }
        }
    }

    pub(super) fn new(conn: Connection) -> Result<Self, StoreError> {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // Not synced: a batch lost to a crash is indexed again from the log.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.execute_batch(SCHEMA)?;
        Ok(Self { conn: Mutex::new(conn) })
    }

    fn conn(&self) -> Result<std::sync::MutexGuard<'_, Connection>, StoreError> {
        self.conn.lock().map_err(|_| StoreError::Database("the hash index lock is poisoned".into()))
    }

    pub(super) fn size(&self) -> Result<(u64, Option<[u8; 32]>), StoreError> {
        let conn = self.conn()?;
        let covered: Option<(i64, Option<Vec<u8>>)> = conn
            .prepare_cached("SELECT size, last FROM covered WHERE one = 0")?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(match covered {
            Some((size, last)) => (size as u64, last.and_then(|l| <[u8; 32]>::try_from(l.as_slice()).ok())),
            None => (0, None),
        })
    }

    pub(super) fn add(&self, first: u64, leaf_hashes: &[[u8; 32]]) -> Result<(), StoreError> {
        let Some(last) = leaf_hashes.last() else { return Ok(()) };
        let conn = self.conn()?;
        let tx = conn.unchecked_transaction()?;
        let covered: i64 =
            tx.query_row("SELECT COALESCE((SELECT size FROM covered WHERE one = 0), 0)", [], |r| r.get(0))?;
        if covered as u64 != first {
            return Err(StoreError::Database(format!("the hash index covers {covered} entries, not {first}")));
        }
        // In hash order, so the batch walks the b-tree once; the earlier index of a repeated
        // hash stays (entries are indexed in log order, and within the batch the sort is
        // stable).
        let mut sorted: Vec<(&[u8; 32], u64)> = leaf_hashes.iter().zip(first..).collect();
        sorted.sort_by_key(|(hash, _)| *hash);
        {
            let mut insert = tx.prepare_cached("INSERT OR IGNORE INTO leaf (hash, idx) VALUES (?1, ?2)")?;
            for (hash, index) in sorted {
                insert.execute(params![hash, index as i64])?;
            }
        }
        let size = first + leaf_hashes.len() as u64;
        tx.execute("INSERT OR REPLACE INTO covered (one, size, last) VALUES (0, ?1, ?2)", params![size as i64, last])?;
        tx.commit()?;
        Ok(())
    }

    pub(super) fn reset(&self) -> Result<(), StoreError> {
        self.conn()?.execute_batch("BEGIN; DELETE FROM leaf; DELETE FROM covered; COMMIT;")?;
        Ok(())
    }

    pub(super) fn get(&self, hash: &[u8; 32]) -> Result<Option<u64>, StoreError> {
        let conn = self.conn()?;
        let index: Option<i64> = conn
            .prepare_cached("SELECT idx FROM leaf WHERE hash = ?1")?
            .query_row(params![hash], |r| r.get(0))
            .optional()?;
        Ok(index.map(|i| i as u64))
    }
}

/// SQLite's companion files of a WAL database: `<path>-wal`, `<path>-shm`.
fn wal_file(path: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    name.into()
}
