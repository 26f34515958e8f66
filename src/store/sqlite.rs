//! The embedded store: one SQLite file (bundled library, nothing to install), WAL journal,
//! `synchronous=FULL`, schema migrations numbered in `user_version`.

use super::{CertificateRecord, StatusEvent, Store, StoreError, TrustListVersion};
use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;
use std::sync::Mutex;

/// Migrations, in order; `user_version` is the number applied.
const MIGRATIONS: &[&str] = &[
    // 1: certificates, status history, decisions, trust lists, log.
    "CREATE TABLE certificate (
        issuer TEXT NOT NULL,
        number TEXT NOT NULL,
        holder_credit_code TEXT,
        origin TEXT NOT NULL,
        status TEXT NOT NULL,
        document BLOB NOT NULL,
        recorded_at TEXT NOT NULL,
        PRIMARY KEY (issuer, number)
    );
    CREATE INDEX certificate_holder ON certificate (holder_credit_code);
    CREATE TABLE status_event (
        issuer TEXT NOT NULL,
        number TEXT NOT NULL,
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        status TEXT NOT NULL,
        since TEXT NOT NULL,
        actor TEXT NOT NULL,
        reference TEXT NOT NULL
    );
    CREATE INDEX status_event_certificate ON status_event (issuer, number, seq);
    CREATE TABLE decision (id TEXT PRIMARY KEY, kind TEXT NOT NULL, json TEXT NOT NULL);
    CREATE TABLE trust_list (
        sequence INTEGER NOT NULL,
        digest TEXT PRIMARY KEY,
        installed_at TEXT NOT NULL,
        document BLOB NOT NULL
    );
    CREATE TABLE log_entry (idx INTEGER PRIMARY KEY, entry BLOB NOT NULL);",
];

/// The SQLite store. One connection behind a mutex: SQLite serializes writers anyway, and
/// the log batches its appends into single transactions.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

impl SqliteStore {
    /// Opens (creating if needed) the store file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path)?;
        Self::init(conn)
    }

    /// An in-memory store, for tests.
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> Result<Self, StoreError> {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let supported = MIGRATIONS.len() as i64;
        if version > supported {
            return Err(StoreError::SchemaTooNew { found: version, supported });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = conn.unchecked_transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()?;
        }
        Ok(Self { conn: Mutex::new(conn) })
    }

    fn conn(&self) -> Result<std::sync::MutexGuard<'_, Connection>, StoreError> {
        self.conn.lock().map_err(|_| StoreError::Database("the store lock is poisoned".into()))
    }

    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self.conn()?.pragma_query_value(None, "user_version", |r| r.get(0))?)
    }
}

fn record(row: &rusqlite::Row<'_>) -> rusqlite::Result<CertificateRecord> {
    Ok(CertificateRecord {
        issuer: row.get(0)?,
        number: row.get(1)?,
        holder_credit_code: row.get(2)?,
        origin: row.get(3)?,
        status: row.get(4)?,
        document: row.get(5)?,
        recorded_at: row.get(6)?,
    })
}

const SELECT_CERT: &str =
    "SELECT issuer, number, holder_credit_code, origin, status, document, recorded_at FROM certificate";

fn insert_event(tx: &rusqlite::Transaction<'_>, issuer: &str, number: &str, e: &StatusEvent) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO status_event (issuer, number, status, since, actor, reference) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![issuer, number, e.status, e.since, e.actor, e.reference],
    )?;
    Ok(())
}

impl Store for SqliteStore {
    fn put_certificate(&self, r: &CertificateRecord, event: &StatusEvent) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        let previous: Option<String> = tx
            .query_row(
                "SELECT status FROM certificate WHERE issuer = ?1 AND number = ?2",
                params![r.issuer, r.number],
                |row| row.get(0),
            )
            .optional()?;
        tx.execute(
            "INSERT INTO certificate (issuer, number, holder_credit_code, origin, status, document, recorded_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (issuer, number) DO UPDATE SET holder_credit_code = excluded.holder_credit_code,
               origin = excluded.origin, status = excluded.status, document = excluded.document,
               recorded_at = excluded.recorded_at",
            params![r.issuer, r.number, r.holder_credit_code, r.origin, r.status, r.document, r.recorded_at],
        )?;
        if previous.as_deref() != Some(r.status.as_str()) {
            insert_event(&tx, &r.issuer, &r.number, event)?;
        }
        tx.commit()?;
        Ok(())
    }

    fn certificate(&self, issuer: &str, number: &str) -> Result<Option<CertificateRecord>, StoreError> {
        let conn = self.conn()?;
        Ok(conn
            .query_row(&format!("{SELECT_CERT} WHERE issuer = ?1 AND number = ?2"), params![issuer, number], record)
            .optional()?)
    }

    fn certificates_by_holder(&self, credit_code: &str) -> Result<Vec<CertificateRecord>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(&format!("{SELECT_CERT} WHERE holder_credit_code = ?1 ORDER BY issuer, number"))?;
        let rows = stmt.query_map(params![credit_code], record)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn set_status(&self, issuer: &str, number: &str, event: &StatusEvent) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        let changed = tx.execute(
            "UPDATE certificate SET status = ?3 WHERE issuer = ?1 AND number = ?2",
            params![issuer, number, event.status],
        )?;
        if changed == 0 {
            return Err(StoreError::NotFound { issuer: issuer.into(), number: number.into() });
        }
        insert_event(&tx, issuer, number, event)?;
        tx.commit()?;
        Ok(())
    }

    fn status_history(&self, issuer: &str, number: &str) -> Result<Vec<StatusEvent>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(
            "SELECT status, since, actor, reference FROM status_event WHERE issuer = ?1 AND number = ?2 ORDER BY seq",
        )?;
        let rows = stmt.query_map(params![issuer, number], |r| {
            Ok(StatusEvent { status: r.get(0)?, since: r.get(1)?, actor: r.get(2)?, reference: r.get(3)? })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn put_decision(&self, id: &str, kind: &str, json: &str) -> Result<(), StoreError> {
        self.conn()?.execute("INSERT INTO decision (id, kind, json) VALUES (?1, ?2, ?3)", params![id, kind, json])?;
        Ok(())
    }

    fn decision(&self, id: &str) -> Result<Option<(String, String)>, StoreError> {
        let conn = self.conn()?;
        Ok(conn
            .query_row("SELECT kind, json FROM decision WHERE id = ?1", params![id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    fn put_trust_list(&self, v: &TrustListVersion) -> Result<(), StoreError> {
        self.conn()?.execute(
            "INSERT OR IGNORE INTO trust_list (sequence, digest, installed_at, document) VALUES (?1, ?2, ?3, ?4)",
            params![v.sequence as i64, v.digest, v.installed_at, v.document],
        )?;
        Ok(())
    }

    fn trust_lists(&self) -> Result<Vec<TrustListVersion>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(
            "SELECT sequence, digest, installed_at, document FROM trust_list ORDER BY installed_at, sequence",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(TrustListVersion {
                sequence: r.get::<_, i64>(0)? as u64,
                digest: r.get(1)?,
                installed_at: r.get(2)?,
                document: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn append_log(&self, entries: &[Vec<u8>]) -> Result<u64, StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        // idx is the rowid: MAX is a b-tree edge look-up, not a scan.
        let first: i64 = tx.query_row("SELECT COALESCE(MAX(idx) + 1, 0) FROM log_entry", [], |r| r.get(0))?;
        {
            let mut stmt = tx.prepare_cached("INSERT INTO log_entry (idx, entry) VALUES (?1, ?2)")?;
            for (i, e) in entries.iter().enumerate() {
                stmt.execute(params![first + i as i64, e])?;
            }
        }
        tx.commit()?;
        Ok(first as u64)
    }

    fn log_entries(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached("SELECT entry FROM log_entry WHERE idx >= ?1 AND idx < ?2 ORDER BY idx")?;
        let rows = stmt.query_map(params![start as i64, end as i64], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn log_size(&self) -> Result<u64, StoreError> {
        Ok(self.conn()?.query_row("SELECT COALESCE(MAX(idx) + 1, 0) FROM log_entry", [], |r| r.get::<_, i64>(0))?
            as u64)
    }
}
