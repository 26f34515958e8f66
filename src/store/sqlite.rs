//! The embedded store: one SQLite file (bundled library, nothing to install), WAL journal,
//! `synchronous=FULL`, schema migrations numbered in `user_version`; beside it the log's
//! index by leaf hash, derived data in a file of its own (`sqlite/hash_index.rs`).

use super::rules;
use super::{
    CertificateRecord, CertificateView, DecisionRecord, Effect, InMemory, ListChanges, ListSlot, PtReportRecord,
    PtResultRecord, PtRoundRecord, PtSubmissionRecord, RegisteredSigner, StatusEvent, Store, StoreError, TableVersion,
    TrustListVersion, Write, Written,
};
mod hash_index;
use hash_index::HashIndex;
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};

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
    // 2: proficiency-testing rounds, submissions, results (current and replaced), reports.
    "CREATE TABLE pt_round (
        id TEXT PRIMARY KEY,
        provider TEXT NOT NULL,
        definition BLOB NOT NULL,
        defined_at TEXT NOT NULL,
        closed_at TEXT,
        report_xml BLOB,
        report_json TEXT,
        report_csv TEXT
    );
    CREATE TABLE pt_submission (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        round TEXT NOT NULL REFERENCES pt_round (id),
        submitter TEXT NOT NULL,
        digest TEXT NOT NULL,
        received TEXT NOT NULL,
        document BLOB NOT NULL
    );
    CREATE INDEX pt_submission_round ON pt_submission (round, seq);
    CREATE TABLE pt_result (
        round TEXT NOT NULL REFERENCES pt_round (id),
        measurand TEXT NOT NULL,
        participant TEXT NOT NULL,
        submitter TEXT NOT NULL,
        submission TEXT NOT NULL,
        result TEXT NOT NULL,
        PRIMARY KEY (round, measurand, participant)
    );
    CREATE TABLE pt_result_replaced (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        round TEXT NOT NULL,
        measurand TEXT NOT NULL,
        participant TEXT NOT NULL,
        submitter TEXT NOT NULL,
        submission TEXT NOT NULL,
        result TEXT NOT NULL
    );
    CREATE INDEX pt_result_replaced_round ON pt_result_replaced (round, seq);",
    // 3: a decision's log index, written in the same transaction as its entry (its receipt
    // is proved when asked for; earlier decisions name it in the receipt in their JSON).
    "ALTER TABLE decision ADD COLUMN log_index INTEGER;",
    // 4: the roots of the log's complete tiles, from which its tree is rebuilt on start.
    "CREATE TABLE log_tile (tile INTEGER PRIMARY KEY, root BLOB NOT NULL);",
    // 5: applied notices, by the sending body and its jti (a seen jti is a replay), with the
    // certificate and iat that order later notices.
    "CREATE TABLE notice (
        body TEXT NOT NULL,
        jti TEXT NOT NULL,
        issuer TEXT NOT NULL,
        number TEXT NOT NULL,
        iat INTEGER NOT NULL,
        action TEXT NOT NULL,
        PRIMARY KEY (body, jti)
    );
    CREATE INDEX notice_certificate ON notice (issuer, number, iat);",
    // 6: equivalence-table versions, and the input documents decisions were made on (kept
    // for an audit to decide again), by SHA-256.
    "CREATE TABLE equivalence_table (
        sequence INTEGER PRIMARY KEY,
        digest TEXT NOT NULL,
        label TEXT NOT NULL,
        installed_at TEXT NOT NULL,
        document BLOB NOT NULL
    );
    CREATE TABLE kept_document (digest TEXT PRIMARY KEY, document BLOB NOT NULL);",
    // 7: the status-list slot of each exported certificate (W3C Bitstring Status List); a
    // slot is one certificate's. Certificates by status: a list is read from the few whose
    // status sets a bit.
    "CREATE TABLE status_slot (
        issuer TEXT NOT NULL,
        number TEXT NOT NULL,
        list INTEGER NOT NULL,
        idx INTEGER NOT NULL,
        PRIMARY KEY (issuer, number),
        UNIQUE (list, idx)
    );
    CREATE INDEX certificate_status ON certificate (status);
    CREATE TABLE publication (what TEXT PRIMARY KEY, digest TEXT NOT NULL);",
    // 8: a certificate's status is one of the register's (`model::Status`; a test holds the
    // two lists equal). SQLite adds no CHECK to a table it has, so triggers refuse the
    // write. Rows stored before stay as they are: what reads them fails closed.
    "CREATE TRIGGER certificate_status_known_insert BEFORE INSERT ON certificate
     WHEN NEW.status NOT IN ('valid', 'suspended', 'withdrawn', 'cancelled', 'expired')
     BEGIN SELECT RAISE(ABORT, 'certificate status is not a register status'); END;
     CREATE TRIGGER certificate_status_known_update BEFORE UPDATE OF status ON certificate
     WHEN NEW.status NOT IN ('valid', 'suspended', 'withdrawn', 'cancelled', 'expired')
     BEGIN SELECT RAISE(ABORT, 'certificate status is not a register status'); END;",
    // 9: the documents each export made, by digest: the only documents the gateway's own
    // signature stands for (rule set 20). Filled from the exports' stored answers as it is
    // made ([`super::exported_by`]).
    "CREATE TABLE exported_document (
        issuer TEXT NOT NULL,
        number TEXT NOT NULL,
        digest TEXT NOT NULL,
        PRIMARY KEY (issuer, number, digest)
    );",
    // 10: the signer of the document a certificate's facts were last registered by, and when
    // (rule set 23; `CertificateRecord::signer`). Rows registered before hold none.
    "ALTER TABLE certificate ADD COLUMN signer TEXT; ALTER TABLE certificate ADD COLUMN signer_at TEXT;",
    // 11: the status-list slots superseded (rule set 24; `Effect::SupersedeStatusSlot`): each
    // the certificate's whose credentials named it, revoked in its lists for good, never
    // given again.
    "CREATE TABLE superseded_status_slot (
        list INTEGER NOT NULL,
        idx INTEGER NOT NULL,
        issuer TEXT NOT NULL,
        number TEXT NOT NULL,
        PRIMARY KEY (list, idx)
    );",
    // 12: each status-list slot's change sequence (`ListSlot::seq`): a node reads again only
    // the slots changed since its last read of a list, and a publication is held to the
    // list's changes (`Effect::StatusListIs`). One counter for the store, moved on by every
    // change to a slot or to its certificate's row, inside the change's transaction (a slot
    // superseded leaves `status_slot`: its row in `superseded_status_slot` carries the
    // change). Slots from before are at 0. The index by status served the lists' reads of
    // the statuses that set a bit: no read asks it now.
    "DROP INDEX IF EXISTS certificate_status;
     ALTER TABLE status_slot ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE superseded_status_slot ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
     CREATE INDEX status_slot_list_seq ON status_slot (list, seq);
     CREATE INDEX superseded_status_slot_list_seq ON superseded_status_slot (list, seq);
     CREATE TABLE status_slot_seq (one INTEGER PRIMARY KEY CHECK (one = 0), n INTEGER NOT NULL);
     INSERT INTO status_slot_seq (one, n) VALUES (0, 0);
     CREATE TRIGGER status_slot_held AFTER INSERT ON status_slot BEGIN
         UPDATE status_slot_seq SET n = n + 1;
         UPDATE status_slot SET seq = (SELECT n FROM status_slot_seq) WHERE list = NEW.list AND idx = NEW.idx;
     END;
     CREATE TRIGGER status_slot_superseded AFTER INSERT ON superseded_status_slot BEGIN
         UPDATE status_slot_seq SET n = n + 1;
         UPDATE superseded_status_slot SET seq = (SELECT n FROM status_slot_seq)
             WHERE list = NEW.list AND idx = NEW.idx;
     END;
     CREATE TRIGGER status_slot_certificate_changed AFTER UPDATE ON certificate
     WHEN EXISTS (SELECT 1 FROM status_slot WHERE issuer = NEW.issuer AND number = NEW.number) BEGIN
         UPDATE status_slot_seq SET n = n + 1;
         UPDATE status_slot SET seq = (SELECT n FROM status_slot_seq)
             WHERE issuer = NEW.issuer AND number = NEW.number;
     END;",
    // 13: each CB's numbers by what an eye reads them as (`crate::ids::number_skeleton_sql`,
    // rule set 26): an unsigned export is refused a number another of its CB's looks like,
    // and the store's read and hold of that (`Store::look_alikes`, `Effect::NoLookAlike`)
    // find them in this index, which serves only this very expression.
    "CREATE INDEX certificate_look_alike ON certificate (issuer, replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(number, '-', ''), '/', ''), 'O', '0'), 'Q', '0'), 'D', '0'), 'I', '1'), 'L', '1'), 'Z', '2'), 'S', '5'), 'G', '6'), 'B', '8'), 'U', 'V'));",
    // 14: the exporter's words (rule set 28): what a node's sweep at start reads
    // (`Store::look_alike_words`), without reading the whole register.
    "CREATE INDEX certificate_word ON certificate (issuer, number) WHERE origin = 'export-unsigned';",
];

/// The migration that made `exported_document`: the exports made before it are registered
/// in its transaction.
const EXPORTED_DOCUMENTS: usize = 9;

/// The SQLite store. One connection behind a mutex: SQLite serializes writers anyway, and
/// the log batches its appends into single transactions.
///
/// Certificate versions are kept in memory once read, so a look-up by number does not touch
/// SQLite. The cache is filled and emptied only while the connection lock is held, after
/// the write committed: an entry is never older than the last acknowledged write. This holds
/// because this process is the file's only writer; a networked store shared by several
/// gateways would need its own invalidation.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    /// By issuer, then number (so a look-up borrows its keys); `None` for a certificate
    /// known not to be stored.
    versions: RwLock<Versions>,
    cached: std::sync::atomic::AtomicUsize,
    checkpointer: Option<Checkpointer>,
    hash_index: HashIndex,
    exports_seen: super::ExportsSeen,
    /// Held for the store's life: one process per store file (the log's tree and the cached
    /// versions assume they see every write).
    _exclusive: Option<std::fs::File>,
}

/// Copies the write-ahead log into the database file, mostly from its own connection, so
/// that a commit seldom waits for that copy (and its sync). Stops when the store is dropped.
#[derive(Debug)]
struct Checkpointer {
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Checkpointer {
    /// How often the write-ahead log is copied into the database file: often, so that each
    /// copy (and its sync, which shares the disk with the commits' syncs) stays small —
    /// at 250 ms the p99 of paced verification showed 30–140 ms spikes, at 50 ms fewer.
    const EVERY: std::time::Duration = std::time::Duration::from_millis(50);

    fn start(copier: WalCopier) -> Result<Self, StoreError> {
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("mrgate-checkpoint".into())
            .spawn(move || {
                while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(Self::EVERY) {
                    copier.round();
                }
            })
            .map_err(|e| StoreError::Database(format!("cannot start the checkpointer: {e}")))?;
        Ok(Self { stop: Some(stop), thread: Some(thread) })
    }
}

/// One round of copying the write-ahead log into the database file, in two steps.
///
/// Under sustained writes a copy made beside the commits never catches up with them: new
/// frames land while it copies, so the log is never wholly copied when a commit begins, never
/// starts over from its beginning, and grows (30–70 MB in 8–12 s of load, every commit
/// extending the file). So once the log is [`WalCopier::RESTART_AT_FRAMES`] long, the round
/// ends by copying, with the writer held off, only what arrived during the first step, and
/// the next commit then writes the log from its start again. Holding the writer costs every
/// commit waiting meanwhile that hold (p50 0.5 ms, p99 2.8 ms at full load, most of it the
/// database file's sync). Done every round (20 a second), paced verification's p99 at half
/// peak was 4.4–10.2 ms (median 5.5) in five runs; done once the log reaches the length,
/// 3.3–5.7 ms (median 4.1) in five runs alternating with them.
struct WalCopier {
    own: Connection,
    writer: Arc<Mutex<Connection>>,
    restart_at: i64,
}

impl WalCopier {
    /// The log's length in frames (a page, 4 KiB, each) from which a round restarts it:
    /// long enough that under full load the writer is held about once a second, short enough
    /// that the file stays small (a restarted log is written over from its start, so the
    /// file keeps this length and commits no longer extend it).
    const RESTART_AT_FRAMES: i64 = 4096;

    fn new(path: &Path, writer: Arc<Mutex<Connection>>) -> Result<Self, StoreError> {
        let own = Connection::open(path)?;
        own.pragma_update(None, "synchronous", "FULL")?;
        Ok(Self { own, writer, restart_at: Self::RESTART_AT_FRAMES })
    }

    /// Errors are left for the next round: a round only moves committed data from one file
    /// to the other.
    fn round(&self) {
        if let Ok(frames) = self.copy_beside_writer()
            && self.restarts_at(frames)
        {
            let _ = self.finish_holding_writer();
        }
    }

    /// Whether a log `frames` long is to be restarted (the second step taken).
    fn restarts_at(&self, frames: i64) -> bool {
        frames > 0 && frames >= self.restart_at
    }

    /// Copies what it can without waiting for anyone; returns the frames the log had when
    /// the copy began (commits made meanwhile are past them).
    fn copy_beside_writer(&self) -> rusqlite::Result<i64> {
        passive_checkpoint(&self.own)
    }

    /// Copies the rest while no commit can start, so that the next one restarts the log.
    fn finish_holding_writer(&self) -> Result<(), StoreError> {
        let writer = self.writer.lock().map_err(|_| StoreError::Database("the store lock is poisoned".into()))?;
        passive_checkpoint(&writer)?;
        Ok(())
    }
}

/// Copies what it can of the write-ahead log without waiting for anyone; returns the frames
/// the log had when the copy began.
fn passive_checkpoint(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(1))
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Certificate versions by issuer, then number; `None` for one known not to be stored.
type Versions = HashMap<String, HashMap<String, Option<Arc<CertificateView>>>>;

/// Certificate versions kept in memory at most; beyond, the cache starts again empty.
const MAX_CACHED_VERSIONS: usize = 100_000;

impl SqliteStore {
    /// Opens (creating if needed) the store file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let lock_path = path.with_extension("lock");
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| StoreError::Database(format!("{}: {e}", lock_path.display())))?;
        if lock.try_lock().is_err() {
            return Err(StoreError::Database(format!(
                "{} is in use by another mrgate process (its lock {} is held)",
                path.display(),
                lock_path.display()
            )));
        }
        let conn = Connection::open(path)?;
        let mut store = Self::init(conn, HashIndex::open(&path.with_extension("hash-index.db"))?)?;
        store._exclusive = Some(lock);
        // Commits only append to the write-ahead log; the checkpointer copies it over.
        store.conn()?.pragma_update(None, "wal_autocheckpoint", 0)?;
        store.checkpointer = Some(Checkpointer::start(WalCopier::new(path, Arc::clone(&store.conn))?)?);
        Ok(store)
    }

    /// An in-memory store, for tests.
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory()?, HashIndex::new(Connection::open_in_memory()?)?)
    }

    fn init(conn: Connection, hash_index: HashIndex) -> Result<Self, StoreError> {
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
            if i + 1 == EXPORTED_DOCUMENTS {
                register_earlier_exports(&tx)?;
            }
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()?;
        }
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            versions: RwLock::new(HashMap::new()),
            cached: Default::default(),
            checkpointer: None,
            hash_index,
            exports_seen: Default::default(),
            _exclusive: None,
        })
    }

    fn conn(&self) -> Result<std::sync::MutexGuard<'_, Connection>, StoreError> {
        self.conn.lock().map_err(|_| StoreError::Database("the store lock is poisoned".into()))
    }

    /// Forgets a certificate's cached version. Called with the connection lock held, after
    /// the write that changed it committed.
    fn forget(&self, issuer: &str, number: &str) {
        if let Ok(mut v) = self.versions.write()
            && let Some(by_number) = v.get_mut(issuer)
            && by_number.remove(number).is_some()
        {
            self.cached.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
        }
    }

    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self.conn()?.pragma_query_value(None, "user_version", |r| r.get(0))?)
    }
}

/// Registers the documents of every export stored before the register kept them
/// ([`super::exported_by`]), inside the migration's transaction.
fn register_earlier_exports(conn: &Connection) -> Result<(), StoreError> {
    // A page of answers at a time: each holds the signed documents it returned.
    let mut after = String::new();
    loop {
        let page: Vec<(String, String)> = conn
            .prepare_cached("SELECT id, json FROM decision WHERE kind = 'export' AND id > ?1 ORDER BY id LIMIT ?2")?
            .query_map(params![after, super::EXPORTS_PER_PAGE], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        for (_, json) in &page {
            let Some(export) = super::exported_by(json) else { continue };
            insert_exported(conn, &export.issuer, &export.number, &export.digests)?;
        }
        match page.into_iter().last() {
            Some((last, _)) => after = last,
            None => return Ok(()),
        }
    }
}

fn insert_exported(conn: &Connection, issuer: &str, number: &str, digests: &[String]) -> Result<(), StoreError> {
    let mut insert =
        conn.prepare_cached("INSERT OR IGNORE INTO exported_document (issuer, number, digest) VALUES (?1, ?2, ?3)")?;
    for digest in digests {
        insert.execute(params![issuer, number, digest])?;
    }
    Ok(())
}

/// The first of `digests` registered as exported of `issuer`/`number`, if any: one look-up
/// in the primary key each.
fn exported_among(
    conn: &Connection,
    issuer: &str,
    number: &str,
    digests: &[String],
) -> Result<Option<String>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT 1 FROM exported_document WHERE issuer = ?1 AND number = ?2 AND digest = ?3")?;
    for digest in digests {
        if stmt.exists(params![issuer, number, digest])? {
            return Ok(Some(digest.clone()));
        }
    }
    Ok(None)
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
        signer: crate::store::RegisteredSigner::of_columns(row.get(7)?, row.get(8)?),
    })
}

/// [`Store::look_alikes`], on `conn` (inside a write's transaction for
/// [`Effect::NoLookAlike`]): by the index of migration 13, whose expression this is.
fn look_alikes(conn: &Connection, issuer: &str, number: &str) -> Result<Vec<super::LookAlike>, StoreError> {
    let skeleton = crate::ids::number_skeleton_sql("number");
    let mut stmt = conn.prepare_cached(&format!(
        // Named: without statistics SQLite takes the primary key, every row of the CB's.
        "SELECT number, origin, status FROM certificate INDEXED BY certificate_look_alike
         WHERE issuer = ?1 AND {skeleton} = ?2 AND number != ?3 ORDER BY number"
    ))?;
    let rows = stmt.query_map(params![issuer, crate::ids::number_skeleton(number), number], |r| {
        Ok(super::LookAlike { number: r.get(0)?, origin: r.get(1)?, status: r.get(2)? })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// [`Store::look_alike_words`], on `conn`; or of the one word `one` (inside a write's
/// transaction for [`Effect::SweepLookAlikes`]).
fn look_alike_words(conn: &Connection, one: Option<(&str, &str)>) -> Result<Vec<super::LookAlikeWord>, StoreError> {
    static ALL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| super::look_alike_words_sql(true, None));
    static ONE: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| super::look_alike_words_sql(true, Some(("?1", "?2"))));
    let read = |r: &rusqlite::Row<'_>| {
        let word = (r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, Option<i64>>(3)?);
        let first = r.get::<_, Option<i64>>(7)?.and_then(|f| u64::try_from(f).ok());
        Ok((word, super::LookAlikeAt { number: r.get(4)?, origin: r.get(5)?, status: r.get(6)?, first }))
    };
    let rows = match one {
        None => conn.prepare_cached(ALL.as_str())?.query_map([], read)?.collect::<Result<Vec<_>, _>>()?,
        Some((issuer, number)) => conn
            .prepare_cached(ONE.as_str())?
            .query_map(params![issuer, number], read)?
            .collect::<Result<Vec<_>, _>>()?,
    };
    Ok(super::gather_look_alike_words(rows))
}

const SELECT_CERT: &str = "SELECT issuer, number, holder_credit_code, origin, status, document, recorded_at, signer, signer_at FROM certificate";

fn insert_event(conn: &Connection, issuer: &str, number: &str, e: &StatusEvent) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO status_event (issuer, number, status, since, actor, reference) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![issuer, number, e.status, e.since, e.actor, e.reference],
    )?;
    Ok(())
}

fn read_history(conn: &Connection, issuer: &str, number: &str) -> Result<Vec<StatusEvent>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT status, since, actor, reference FROM status_event WHERE issuer = ?1 AND number = ?2 ORDER BY seq",
    )?;
    let rows = stmt.query_map(params![issuer, number], |r| {
        Ok(StatusEvent { status: r.get(0)?, since: r.get(1)?, actor: r.get(2)?, reference: r.get(3)? })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn table_version(row: &rusqlite::Row<'_>) -> rusqlite::Result<TableVersion> {
    Ok(TableVersion {
        sequence: row.get::<_, i64>(0)? as u64,
        digest: row.get(1)?,
        label: row.get(2)?,
        installed_at: row.get(3)?,
        document: row.get(4)?,
    })
}

fn trust_list_version(r: &rusqlite::Row<'_>) -> rusqlite::Result<TrustListVersion> {
    Ok(TrustListVersion {
        sequence: r.get::<_, i64>(0)? as u64,
        digest: r.get(1)?,
        installed_at: r.get(2)?,
        document: r.get(3)?,
    })
}

fn pt_result(row: &rusqlite::Row<'_>) -> rusqlite::Result<PtResultRecord> {
    Ok(PtResultRecord {
        measurand: row.get(0)?,
        participant: row.get(1)?,
        submitter: row.get(2)?,
        submission: row.get(3)?,
        result: row.get(4)?,
    })
}

/// Whether the register holds what a write's verifications read of it
/// ([`Effect::RegisterAsRead`]), in this transaction: the inner error is the refusal, the
/// outer one the database's.
fn registers_held(conn: &Connection, effects: &[Effect]) -> Result<Result<(), StoreError>, StoreError> {
    for read in rules::registers_as_read(effects) {
        // The document is read (and hashed) only for a decision that compared facts with it:
        // most verifications hold to the status alone, and this runs under the write lock.
        let sql = match read.document {
            Some(_) => "SELECT status, document FROM certificate WHERE issuer = ?1 AND number = ?2",
            None => "SELECT status, NULL FROM certificate WHERE issuer = ?1 AND number = ?2",
        };
        let held: Option<(String, Option<Vec<u8>>)> = conn
            .prepare_cached(sql)?
            .query_row(params![read.issuer, read.number], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let held = held.map(|(status, document)| (status, document.map(|d| crate::crypto::sha256_hex(&d))));
        let held = held.as_ref().map(|(s, d)| (s.as_str(), d.as_deref().unwrap_or_default()));
        if let Err(refused) = rules::register_as_read(read, held) {
            return Ok(Err(refused));
        }
    }
    Ok(Ok(()))
}

/// Applies one write's effects inside the open transaction, all or none: a refused effect
/// (the inner error) rolls back to where the write began and the batch goes on; an error
/// that ended the transaction itself (the outer one) ends the batch.
fn apply_all(
    conn: &Connection,
    effects: &[Effect],
    index: Option<u64>,
) -> Result<Result<Vec<PtResultRecord>, StoreError>, StoreError> {
    if rules::cannot_be_refused(effects) {
        // Nothing to roll back to: an error here is the database's, and ends the batch.
        for effect in effects {
            apply(conn, effect, index)?;
        }
        return Ok(Ok(Vec::new()));
    }
    conn.prepare_cached("SAVEPOINT write")?.execute([])?;
    let mut replaced = Vec::new();
    let applied = effects.iter().try_for_each(|e| apply(conn, e, index).map(|r| replaced.extend(r)));
    if let Err(refused) = applied {
        if conn.is_autocommit() {
            // SQLite rolled the whole transaction back (e.g. the disk is full).
            return Err(refused);
        }
        conn.prepare_cached("ROLLBACK TO write")?.execute([])?;
        conn.prepare_cached("RELEASE write")?.execute([])?;
        return Ok(Err(refused));
    }
    conn.prepare_cached("RELEASE write")?.execute([])?;
    Ok(Ok(replaced))
}

/// The digests of the newest stored trust list and equivalence table, as this transaction
/// sees them.
fn newest_rules(conn: &Connection) -> Result<rules::Newest, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT (SELECT digest FROM trust_list ORDER BY sequence DESC LIMIT 1),
                    (SELECT digest FROM equivalence_table ORDER BY sequence DESC LIMIT 1)",
        )?
        .query_row([], |r| Ok(rules::Newest { trust_list: r.get(0)?, table: r.get(1)? }))?)
}

/// Registers a certificate, or a new version of one already registered.
fn insert_certificate(conn: &Connection, r: &CertificateRecord) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO certificate (issuer, number, holder_credit_code, origin, status, document, recorded_at, signer,
           signer_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (issuer, number) DO UPDATE SET holder_credit_code = excluded.holder_credit_code,
           origin = excluded.origin, status = excluded.status, document = excluded.document,
           recorded_at = excluded.recorded_at,
           signer = CASE WHEN excluded.signer IS NULL THEN certificate.signer ELSE excluded.signer END,
           signer_at = CASE WHEN excluded.signer IS NULL THEN certificate.signer_at ELSE excluded.signer_at END",
    )?
    .execute(params![
        r.issuer,
        r.number,
        r.holder_credit_code,
        r.origin,
        r.status,
        r.document,
        r.recorded_at,
        r.signer.as_ref().map(|s| &s.certificate),
        r.signer.as_ref().map(|s| &s.registered_at)
    ])?;
    Ok(())
}

/// One effect; returns the results a submission replaced. `index` is the log index of the
/// write's entry, if it has one.
fn apply(conn: &Connection, effect: &Effect, index: Option<u64>) -> Result<Vec<PtResultRecord>, StoreError> {
    match effect {
        Effect::PutCertificate { record: r, event } => {
            let previous: Option<String> = conn
                .prepare_cached("SELECT status FROM certificate WHERE issuer = ?1 AND number = ?2")?
                .query_row(params![r.issuer, r.number], |row| row.get(0))
                .optional()?;
            insert_certificate(conn, r)?;
            if previous.as_deref() != Some(r.status.as_str()) {
                insert_event(conn, &r.issuer, &r.number, event)?;
            }
        }
        Effect::SetStatus { issuer, number, event } => {
            let changed = conn
                .prepare_cached("UPDATE certificate SET status = ?3 WHERE issuer = ?1 AND number = ?2")?
                .execute(params![issuer, number, event.status])?;
            if changed == 0 {
                return Err(StoreError::NotFound { issuer: issuer.clone(), number: number.clone() });
            }
            insert_event(conn, issuer, number, event)?;
        }
        Effect::ApplyNotice { body, notice: n, event, at } => {
            let status: Option<String> = conn
                .prepare_cached("SELECT status FROM certificate WHERE issuer = ?1 AND number = ?2")?
                .query_row(params![n.issuer, n.number], |row| row.get(0))
                .optional()?;
            let jti_seen = conn
                .prepare_cached("SELECT 1 FROM notice WHERE body = ?1 AND jti = ?2")?
                .query_row(params![body, n.jti], |_| Ok(()))
                .optional()?
                .is_some();
            let register = match &status {
                None => crate::notice::Register::unheld(jti_seen),
                Some(status) => {
                    let status = crate::model::Status::parse(status)
                        .ok_or_else(|| StoreError::Database(format!("stored status '{status}' is not a status")))?;
                    let last_iat: Option<i64> = conn
                        .prepare_cached("SELECT max(iat) FROM notice WHERE issuer = ?1 AND number = ?2")?
                        .query_row(params![n.issuer, n.number], |row| row.get(0))?;
                    let history = read_history(conn, &n.issuer, &n.number)?;
                    let suspended_by_gateway = crate::decisions::register::suspended_by_gateway(&history);
                    crate::notice::Register { status, last_iat, suspended_by_gateway, jti_seen }
                }
            };
            crate::notice::admit(n.action, n.iat, &n.jti, &register)
                .map_err(|e| StoreError::Conflict { reason: e.code(), message: e.to_string() })?;
            conn.prepare_cached(
                "INSERT INTO notice (body, jti, issuer, number, iat, action) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![body, n.jti, n.issuer, n.number, n.iat, n.action.as_str()])?;
            match status {
                Some(_) => {
                    conn.prepare_cached("UPDATE certificate SET status = ?3 WHERE issuer = ?1 AND number = ?2")?
                        .execute(params![n.issuer, n.number, event.status])?;
                }
                None => insert_certificate(
                    conn,
                    &crate::decisions::register::status_only(&n.issuer, &n.number, &event.status, at),
                )?,
            }
            insert_event(conn, &n.issuer, &n.number, event)?;
        }
        Effect::ExpectCertificate { issuer, number, as_read } => {
            let now = conn
                .prepare_cached("SELECT document, status, origin FROM certificate WHERE issuer = ?1 AND number = ?2")?
                .query_row(params![issuer, number], |row| {
                    Ok(super::AsRead { document: row.get(0)?, status: row.get(1)?, origin: row.get(2)? })
                })
                .optional()?;
            rules::as_read(issuer, number, &now, as_read)?;
        }
        Effect::NoLookAlike { issuer, number } => {
            rules::no_look_alike(issuer, number, &look_alikes(conn, issuer, number)?)?;
        }
        Effect::SuspendLookAlikes { issuer, number, suspended, event } => {
            rules::look_alikes_as_read(issuer, number, &look_alikes(conn, issuer, number)?, suspended)?;
            for other in suspended {
                conn.prepare_cached("UPDATE certificate SET status = ?3 WHERE issuer = ?1 AND number = ?2")?
                    .execute(params![issuer, other, event.status])?;
                insert_event(conn, issuer, other, event)?;
            }
        }
        Effect::SweepLookAlikes { suspended, event } => {
            for (issuer, number) in suspended {
                rules::still_swept(issuer, number, &look_alike_words(conn, Some((issuer, number)))?)?;
            }
            rules::in_order(suspended)?;
            for (issuer, number) in suspended {
                conn.prepare_cached("UPDATE certificate SET status = ?3 WHERE issuer = ?1 AND number = ?2")?
                    .execute(params![issuer, number, event.status])?;
                insert_event(conn, issuer, number, event)?;
            }
        }
        Effect::PutDecision { id, kind, json } => {
            conn.prepare_cached("INSERT INTO decision (id, kind, json, log_index) VALUES (?1, ?2, ?3, ?4)")?
                .execute(params![id, kind, json, index.map(|i| i as i64)])?;
        }
        Effect::PutTrustList(v) => {
            let other: Option<String> = conn
                .prepare_cached("SELECT digest FROM trust_list WHERE sequence = ?1 AND digest != ?2 LIMIT 1")?
                .query_row(params![v.sequence as i64, v.digest], |r| r.get(0))
                .optional()?;
            rules::one_list_per_sequence(other, v.sequence)?;
            conn.execute(
                "INSERT OR IGNORE INTO trust_list (sequence, digest, installed_at, document) VALUES (?1, ?2, ?3, ?4)",
                params![v.sequence as i64, v.digest, v.installed_at, v.document],
            )?;
        }
        // Checked by `commit`, once per commit (see `rules::held_to`).
        Effect::TrustListInForce { .. } => {}
        Effect::NoTrustList => rules::no_list_stored(newest_rules(conn)?.trust_list)?,
        Effect::TableInForce { .. } => {}
        // Checked by `commit`, before the write's other effects (it writes nothing).
        Effect::RegisterAsRead { .. } => {}
        Effect::NoEquivalenceTable => rules::no_table_stored(newest_rules(conn)?.table)?,
        Effect::PutEquivalenceTable(v) => {
            let other: Option<String> = conn
                .prepare_cached("SELECT digest FROM equivalence_table WHERE sequence = ?1 AND digest != ?2")?
                .query_row(params![v.sequence as i64, v.digest], |r| r.get(0))
                .optional()?;
            rules::one_table_per_sequence(other, v.sequence)?;
            conn.execute(
                "INSERT OR IGNORE INTO equivalence_table (sequence, digest, label, installed_at, document)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![v.sequence as i64, v.digest, v.label, v.installed_at, v.document],
            )?;
        }
        Effect::RecordExported { issuer, number, digests } => insert_exported(conn, issuer, number, digests)?,
        Effect::KeepDocument { digest, document } => {
            conn.prepare_cached("INSERT OR IGNORE INTO kept_document (digest, document) VALUES (?1, ?2)")?
                .execute(params![digest, document])?;
        }
        Effect::PutPtRound(r) => {
            let inserted = conn.execute(
                "INSERT INTO pt_round (id, provider, definition, defined_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (id) DO NOTHING",
                params![r.id, r.provider, r.definition, r.defined_at],
            )?;
            rules::new_round(inserted != 0, &r.id)?;
        }
        Effect::PutPtSubmission { submission, results, replacing } => {
            return put_pt_submission(conn, submission, results, *replacing);
        }
        Effect::ClosePtRound { id, at, submissions } => {
            still_open(conn, id)?;
            let held: Vec<String> = conn
                .prepare_cached("SELECT digest FROM pt_submission WHERE round = ?1 ORDER BY seq")?
                .query_map(params![id], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            rules::closes_with(id, &held, submissions)?;
            conn.execute("UPDATE pt_round SET closed_at = ?2 WHERE id = ?1", params![id, at])?;
        }
        Effect::PutPtReport { id, report: r } => {
            let updated = conn.execute(
                "UPDATE pt_round SET report_xml = ?2, report_json = ?3, report_csv = ?4
                 WHERE id = ?1 AND closed_at IS NOT NULL AND report_xml IS NULL",
                params![id, r.xml, r.json, r.csv],
            )?;
            rules::report_taken(updated != 0, id)?;
        }
        Effect::HoldStatusSlot { issuer, number, slot } => {
            let held = slot_of(conn, issuer, number)?;
            let taken = slot_taken(conn, *slot)?;
            if rules::slot_free(issuer, number, *slot, held, taken)? {
                conn.prepare_cached("INSERT INTO status_slot (issuer, number, list, idx) VALUES (?1, ?2, ?3, ?4)")?
                    .execute(params![issuer, number, slot.list, slot.index])?;
            }
        }
        Effect::SupersedeStatusSlot { issuer, number } => {
            conn.prepare_cached(
                // A slot superseded before, given again by a node of an older build, stays so.
                "INSERT INTO superseded_status_slot (list, idx, issuer, number)
                 SELECT list, idx, issuer, number FROM status_slot WHERE issuer = ?1 AND number = ?2
                 ON CONFLICT (list, idx) DO NOTHING",
            )?
            .execute(params![issuer, number])?;
            conn.prepare_cached("DELETE FROM status_slot WHERE issuer = ?1 AND number = ?2")?
                .execute(params![issuer, number])?;
        }
        Effect::StatusListIs { list, changes } => rules::list_is(*list, *changes, list_changes(conn, *list)?)?,
        Effect::Publish { what, digest } => {
            rules::newly_published(what, published(conn, what)?.as_deref(), digest)?;
            conn.prepare_cached(
                "INSERT INTO publication (what, digest) VALUES (?1, ?2)
                 ON CONFLICT (what) DO UPDATE SET digest = excluded.digest",
            )?
            .execute(params![what, digest])?;
        }
        Effect::PutLogTileRoots { first, roots } => {
            let mut insert = conn.prepare_cached("INSERT OR IGNORE INTO log_tile (tile, root) VALUES (?1, ?2)")?;
            for (tile, root) in (*first..).zip(roots) {
                insert.execute(params![tile as i64, root])?;
            }
        }
    }
    Ok(Vec::new())
}

fn published(conn: &Connection, what: &str) -> Result<Option<String>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT digest FROM publication WHERE what = ?1")?
        .query_row(params![what], |r| r.get(0))
        .optional()?)
}

fn slot_of(conn: &Connection, issuer: &str, number: &str) -> Result<Option<crate::status_list::Slot>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT list, idx FROM status_slot WHERE issuer = ?1 AND number = ?2")?
        .query_row(params![issuer, number], |r| Ok(crate::status_list::Slot { list: r.get(0)?, index: r.get(1)? }))
        .optional()?)
}

fn slot_taken(conn: &Connection, slot: crate::status_list::Slot) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM status_slot WHERE list = ?1 AND idx = ?2)
                 OR EXISTS (SELECT 1 FROM superseded_status_slot WHERE list = ?1 AND idx = ?2)",
        )?
        .query_row(params![slot.list, slot.index], |r| r.get(0))?)
}

fn list_of(conn: &Connection, list: u32, after: Option<u64>) -> Result<Vec<ListSlot>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT s.idx, c.issuer, c.number, c.status, c.recorded_at, c.signer, c.signer_at, s.seq
         FROM status_slot s JOIN certificate c ON c.issuer = s.issuer AND c.number = s.number
         WHERE s.list = ?1 AND s.seq > ?3
         UNION ALL SELECT idx, NULL, NULL, ?2, '', NULL, NULL, seq FROM superseded_status_slot WHERE list = ?1 AND seq > ?3
         ORDER BY 1, 2, 3",
    )?;
    let after = after.map_or(-1, |a| i64::try_from(a).unwrap_or(i64::MAX));
    let rows = stmt.query_map(params![list, crate::status_list::SUPERSEDED, after], |r| {
        let issuer: Option<String> = r.get(1)?;
        let number: Option<String> = r.get(2)?;
        Ok(ListSlot {
            index: r.get(0)?,
            certificate: issuer.zip(number),
            status: r.get(3)?,
            recorded_at: r.get(4)?,
            signer: RegisteredSigner::of_columns(r.get(5)?, r.get(6)?),
            seq: r.get::<_, i64>(7)?.max(0) as u64,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// What list `list`'s slots are now ([`ListChanges`]), from the (list, seq) indexes.
fn list_changes(conn: &Connection, list: u32) -> Result<ListChanges, StoreError> {
    let (slots, latest, sum): (i64, i64, i64) = conn
        .prepare_cached(
            "SELECT count(*), COALESCE(max(seq), 0), COALESCE(sum(seq), 0) FROM
             (SELECT seq FROM status_slot WHERE list = ?1 UNION ALL SELECT seq FROM superseded_status_slot WHERE list = ?1)",
        )?
        .query_row(params![list], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(ListChanges { slots: slots.max(0) as u64, latest: latest.max(0) as u64, sum: sum as u64 })
}

/// A conflict unless round `id` is defined and not closed.
fn still_open(conn: &Connection, id: &str) -> Result<(), StoreError> {
    let closed: Option<Option<String>> =
        conn.query_row("SELECT closed_at FROM pt_round WHERE id = ?1", params![id], |r| r.get(0)).optional()?;
    rules::still_open(id, closed)
}

fn put_pt_submission(
    conn: &Connection,
    s: &PtSubmissionRecord,
    results: &[PtResultRecord],
    replacing: bool,
) -> Result<Vec<PtResultRecord>, StoreError> {
    still_open(conn, &s.round)?;
    conn.execute(
        "INSERT INTO pt_submission (round, submitter, digest, received, document) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![s.round, s.submitter, s.digest, s.received, s.document],
    )?;
    let mut replaced = Vec::new();
    for r in results {
        let previous = conn
            .query_row(
                "SELECT measurand, participant, submitter, submission, result FROM pt_result
                 WHERE round = ?1 AND measurand = ?2 AND participant = ?3",
                params![s.round, r.measurand, r.participant],
                pt_result,
            )
            .optional()?;
        if let Some(p) = previous {
            rules::same_submitter(&p, r)?;
            conn.execute(
                "INSERT INTO pt_result_replaced (round, measurand, participant, submitter, submission, result)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![s.round, p.measurand, p.participant, p.submitter, p.submission, p.result],
            )?;
            replaced.push(p);
        }
        conn.execute(
            "INSERT INTO pt_result (round, measurand, participant, submitter, submission, result)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (round, measurand, participant) DO UPDATE SET submission = excluded.submission,
               result = excluded.result",
            params![s.round, r.measurand, r.participant, r.submitter, r.submission, r.result],
        )?;
    }
    rules::replacing_as_stated(&s.round, !replaced.is_empty(), replacing)?;
    Ok(replaced)
}

impl Store for SqliteStore {
    fn commit(&self, writes: &[Write]) -> Result<Vec<Result<Written, StoreError>>, StoreError> {
        let conn = self.conn()?;
        // The log's committer runs this a thousand times a second under load, so every
        // statement, BEGIN and COMMIT included, is prepared once and kept; a rusqlite
        // `Transaction` would parse BEGIN and COMMIT again on each call.
        conn.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
        let outcomes = (|| -> Result<Vec<Result<Written, StoreError>>, StoreError> {
            // idx is the rowid: MAX is a b-tree edge look-up, not a scan.
            let mut next: i64 =
                conn.prepare_cached("SELECT COALESCE(MAX(idx) + 1, 0) FROM log_entry")?.query_row([], |r| r.get(0))?;
            let mut insert = conn.prepare_cached("INSERT INTO log_entry (idx, entry) VALUES (?1, ?2)")?;
            let mut outcomes = Vec::with_capacity(writes.len());
            // The newest stored rule documents' digests, once read in this commit.
            let mut newest: Option<rules::Newest> = None;
            for write in writes {
                let holds = rules::held_to(&write.effects);
                if holds.any() {
                    let read = match newest.take() {
                        Some(read) => read,
                        None => newest_rules(&conn)?,
                    };
                    let held = rules::rules_in_force(&read, holds);
                    newest = Some(read);
                    if let Err(refused) = held {
                        outcomes.push(Err(refused));
                        continue;
                    }
                }
                if let Err(refused) = registers_held(&conn, &write.effects)? {
                    outcomes.push(Err(refused));
                    continue;
                }
                let index = write.entry.as_ref().map(|_| next as u64);
                match apply_all(&conn, &write.effects, index)? {
                    Ok(replaced) => {
                        if rules::stores_rules(&write.effects) {
                            newest = None;
                        }
                        if let Some(entry) = &write.entry {
                            insert.execute(params![next, entry])?;
                            next += 1;
                        }
                        outcomes.push(Ok(Written { index, replaced }));
                    }
                    Err(refused) => outcomes.push(Err(refused)),
                }
            }
            conn.prepare_cached("COMMIT")?.execute([])?;
            Ok(outcomes)
        })();
        match &outcomes {
            Err(e) if !conn.is_autocommit() => {
                if let Err(r) = conn.execute_batch("ROLLBACK") {
                    // Nothing of a failed batch may stay behind for the next one to commit.
                    return Err(StoreError::Database(format!("{e}; and rolling back failed: {r}")));
                }
            }
            Err(_) => {}
            Ok(outcomes) => {
                // Still under the connection lock, after the commit: no reader can cache the
                // old version again.
                for (write, outcome) in writes.iter().zip(outcomes) {
                    if outcome.is_ok() {
                        for effect in &write.effects {
                            match effect {
                                Effect::PutCertificate { record, .. } => self.forget(&record.issuer, &record.number),
                                Effect::SetStatus { issuer, number, .. } => self.forget(issuer, number),
                                Effect::ApplyNotice { notice, .. } => self.forget(&notice.issuer, &notice.number),
                                Effect::SuspendLookAlikes { issuer, suspended, .. } => {
                                    suspended.iter().for_each(|number| self.forget(issuer, number))
                                }
                                Effect::SweepLookAlikes { suspended, .. } => {
                                    suspended.iter().for_each(|(issuer, number)| self.forget(issuer, number))
                                }
                                _ => {}
                            }
                        }
                    }
                }
            }
        }
        outcomes
    }

    fn pt_round(&self, id: &str) -> Result<Option<PtRoundRecord>, StoreError> {
        let conn = self.conn()?;
        Ok(conn
            .query_row(
                "SELECT id, provider, definition, defined_at, closed_at FROM pt_round WHERE id = ?1",
                params![id],
                |row| {
                    Ok(PtRoundRecord {
                        id: row.get(0)?,
                        provider: row.get(1)?,
                        definition: row.get(2)?,
                        defined_at: row.get(3)?,
                        closed_at: row.get(4)?,
                    })
                },
            )
            .optional()?)
    }

    fn pt_submissions(&self, round: &str) -> Result<Vec<PtSubmissionRecord>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(
            "SELECT round, submitter, digest, received, document FROM pt_submission WHERE round = ?1 ORDER BY seq",
        )?;
        let rows = stmt.query_map(params![round], |row| {
            Ok(PtSubmissionRecord {
                round: row.get(0)?,
                submitter: row.get(1)?,
                digest: row.get(2)?,
                received: row.get(3)?,
                document: row.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn pt_results(&self, round: &str) -> Result<Vec<PtResultRecord>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(
            "SELECT measurand, participant, submitter, submission, result FROM pt_result WHERE round = ?1
             ORDER BY measurand, participant",
        )?;
        let rows = stmt.query_map(params![round], pt_result)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn pt_replaced(&self, round: &str) -> Result<Vec<PtResultRecord>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(
            "SELECT measurand, participant, submitter, submission, result FROM pt_result_replaced WHERE round = ?1
             ORDER BY seq",
        )?;
        let rows = stmt.query_map(params![round], pt_result)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn pt_report(&self, id: &str) -> Result<Option<PtReportRecord>, StoreError> {
        let conn = self.conn()?;
        // A round without its report yet has NULLs here: no report.
        let row = conn
            .query_row(
                "SELECT report_xml, report_json, report_csv FROM pt_round
                 WHERE id = ?1 AND report_xml IS NOT NULL",
                params![id],
                |r| Ok(PtReportRecord { xml: r.get(0)?, json: r.get(1)?, csv: r.get(2)? }),
            )
            .optional()?;
        Ok(row)
    }

    fn pt_reported(&self, id: &str) -> Result<bool, StoreError> {
        let conn = self.conn()?;
        Ok(conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM pt_round WHERE id = ?1 AND report_xml IS NOT NULL)",
            params![id],
            |r| r.get(0),
        )?)
    }

    fn certificate(&self, issuer: &str, number: &str) -> Result<Option<CertificateRecord>, StoreError> {
        Ok(self.certificate_view(issuer, number)?.map(|v| v.record.clone()))
    }

    fn certificate_view(&self, issuer: &str, number: &str) -> Result<Option<Arc<CertificateView>>, StoreError> {
        match self.cached_certificate_view(issuer, number) {
            InMemory::Version(v) => return Ok(Some(v)),
            InMemory::Absent => return Ok(None),
            InMemory::Unknown => {}
        }
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        let found = tx
            .prepare_cached(&format!("{SELECT_CERT} WHERE issuer = ?1 AND number = ?2"))?
            .query_row(params![issuer, number], record)
            .optional()?;
        let view = match found {
            Some(record) => {
                let history = read_history(&tx, issuer, number)?;
                Some(Arc::new(CertificateView { record, history, derived: std::sync::OnceLock::new() }))
            }
            None => None,
        };
        drop(tx);
        // Still under the connection lock: no write can have slipped in since the read.
        let mut evicted = Versions::new();
        if let Ok(mut v) = self.versions.write() {
            use std::sync::atomic::Ordering::Relaxed;
            if self.cached.load(Relaxed) >= MAX_CACHED_VERSIONS {
                evicted = std::mem::take(&mut *v);
                self.cached.store(0, Relaxed);
            }
            let by_number = v.entry(issuer.to_string()).or_default();
            if by_number.insert(number.to_string(), view.clone()).is_none() {
                self.cached.fetch_add(1, Relaxed);
            }
        }
        drop(conn);
        // Freeing a full cache takes a while (100,000 versions shaped like these: 32–35 ms
        // with mimalloc), so the one request that evicts waits for it, not every look-up
        // and commit behind the locks.
        drop(evicted);
        Ok(view)
    }

    fn remembers_certificates(&self) -> bool {
        true
    }

    fn cached_certificate_view(&self, issuer: &str, number: &str) -> InMemory {
        let Ok(versions) = self.versions.read() else { return InMemory::Unknown };
        match versions.get(issuer).and_then(|n| n.get(number)) {
            Some(Some(v)) => InMemory::Version(Arc::clone(v)),
            Some(None) => InMemory::Absent,
            None => InMemory::Unknown,
        }
    }

    fn certificates_by_holder(&self, credit_code: &str) -> Result<Vec<CertificateRecord>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(&format!("{SELECT_CERT} WHERE holder_credit_code = ?1 ORDER BY issuer, number"))?;
        let rows = stmt.query_map(params![credit_code], record)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn look_alikes(&self, issuer: &str, number: &str) -> Result<Vec<super::LookAlike>, StoreError> {
        look_alikes(&*self.conn()?, issuer, number)
    }

    fn look_alike_words(&self) -> Result<Vec<super::LookAlikeWord>, StoreError> {
        look_alike_words(&*self.conn()?, None)
    }

    fn certificates_after(
        &self,
        after: Option<(&str, &str)>,
        limit: u32,
    ) -> Result<Vec<CertificateRecord>, StoreError> {
        let conn = self.conn()?;
        let (issuer, number) = after.unwrap_or(("", ""));
        // `after` None is before every key: no issuer is empty.
        let mut stmt = conn.prepare_cached(&format!(
            "{SELECT_CERT} WHERE (issuer, number) > (?1, ?2) ORDER BY issuer, number LIMIT ?3"
        ))?;
        let rows = stmt.query_map(params![issuer, number, limit], record)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn applied_notices(&self) -> Result<Vec<(String, String)>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached("SELECT issuer, jti FROM notice ORDER BY issuer, jti")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn exported_documents(&self) -> Result<Vec<super::ExportedDocument>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare_cached("SELECT issuer, number, digest FROM exported_document ORDER BY issuer, number, digest")?;
        let rows = stmt.query_map([], |r| {
            Ok(super::ExportedDocument { issuer: r.get(0)?, number: r.get(1)?, digest: r.get(2)? })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn exported_any(&self, issuer: &str, number: &str, digests: &[String]) -> Result<bool, StoreError> {
        if self.exports_seen.any(issuer, number, digests) {
            return Ok(true);
        }
        let found = exported_among(&*self.conn()?, issuer, number, digests)?;
        if let Some(digest) = &found {
            self.exports_seen.remember(issuer, number, digest);
        }
        Ok(found.is_some())
    }

    fn exported_in_memory(&self, issuer: &str, number: &str, digests: &[String]) -> Option<bool> {
        self.exports_seen.any(issuer, number, digests).then_some(true)
    }

    fn status_history(&self, issuer: &str, number: &str) -> Result<Vec<StatusEvent>, StoreError> {
        match self.certificate_view(issuer, number)? {
            Some(v) => Ok(v.history.clone()),
            None => read_history(&*self.conn()?, issuer, number),
        }
    }

    fn decision(&self, id: &str) -> Result<Option<DecisionRecord>, StoreError> {
        let conn = self.conn()?;
        Ok(conn
            .prepare_cached("SELECT kind, json, log_index FROM decision WHERE id = ?1")?
            .query_row(params![id], |r| {
                Ok(DecisionRecord {
                    kind: r.get(0)?,
                    json: r.get(1)?,
                    log_index: r.get::<_, Option<i64>>(2)?.map(|i| i as u64),
                })
            })
            .optional()?)
    }

    fn last_decided_index(&self) -> Result<Option<u64>, StoreError> {
        let conn = self.conn()?;
        let last: Option<i64> = conn.query_row("SELECT MAX(log_index) FROM decision", [], |r| r.get(0))?;
        Ok(last.map(|i| i as u64))
    }

    fn trust_lists(&self) -> Result<Vec<TrustListVersion>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(
            "SELECT sequence, digest, installed_at, document FROM trust_list ORDER BY installed_at, sequence",
        )?;
        let rows = stmt.query_map([], trust_list_version)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn trust_list_ids(&self) -> Result<Vec<TrustListVersion>, StoreError> {
        let conn = self.conn()?;
        let mut stmt =
            conn.prepare("SELECT sequence, digest, installed_at, x'' FROM trust_list ORDER BY installed_at, sequence")?;
        let rows = stmt.query_map([], trust_list_version)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn trust_list_of_sequence(&self, sequence: u64) -> Result<Option<TrustListVersion>, StoreError> {
        let conn = self.conn()?;
        Ok(conn
            .query_row(
                "SELECT sequence, digest, installed_at, document FROM trust_list WHERE sequence = ?1 LIMIT 1",
                params![sequence as i64],
                trust_list_version,
            )
            .optional()?)
    }

    fn newest_trust_list(&self) -> Result<Option<TrustListVersion>, StoreError> {
        let conn = self.conn()?;
        Ok(conn
            .query_row(
                "SELECT sequence, digest, installed_at, document FROM trust_list
                 WHERE sequence = (SELECT MAX(sequence) FROM trust_list) LIMIT 1",
                [],
                trust_list_version,
            )
            .optional()?)
    }

    fn newest_trust_list_id(&self) -> Result<Option<(u64, String)>, StoreError> {
        let conn = self.conn()?;
        Ok(conn
            .prepare_cached("SELECT sequence, digest FROM trust_list ORDER BY sequence DESC LIMIT 1")?
            .query_row([], |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)))
            .optional()?)
    }

    fn equivalence_tables(&self) -> Result<Vec<TableVersion>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(
            "SELECT sequence, digest, label, installed_at, document FROM equivalence_table ORDER BY sequence",
        )?;
        let rows = stmt.query_map([], table_version)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn newest_equivalence_table(&self) -> Result<Option<TableVersion>, StoreError> {
        let conn = self.conn()?;
        Ok(conn
            .query_row(
                "SELECT sequence, digest, label, installed_at, document FROM equivalence_table
                 ORDER BY sequence DESC LIMIT 1",
                [],
                table_version,
            )
            .optional()?)
    }

    fn newest_equivalence_table_id(&self) -> Result<Option<(u64, String)>, StoreError> {
        let conn = self.conn()?;
        Ok(conn
            .prepare_cached("SELECT sequence, digest FROM equivalence_table ORDER BY sequence DESC LIMIT 1")?
            .query_row([], |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)))
            .optional()?)
    }

    fn published(&self, what: &str) -> Result<Option<String>, StoreError> {
        published(&*self.conn()?, what)
    }

    fn status_slot(&self, issuer: &str, number: &str) -> Result<Option<crate::status_list::Slot>, StoreError> {
        slot_of(&*self.conn()?, issuer, number)
    }

    fn status_slot_taken(&self, slot: crate::status_list::Slot) -> Result<bool, StoreError> {
        slot_taken(&*self.conn()?, slot)
    }

    fn status_slots_held(&self) -> Result<u64, StoreError> {
        let n: i64 = self.conn()?.query_row(
            "SELECT (SELECT count(*) FROM status_slot) + (SELECT count(*) FROM superseded_status_slot)",
            [],
            |r| r.get(0),
        )?;
        Ok(n.max(0) as u64)
    }

    fn status_list(&self, list: u32, after: Option<u64>) -> Result<(Vec<ListSlot>, ListChanges), StoreError> {
        // One connection, held for both: no write comes between them.
        let conn = self.conn()?;
        Ok((list_of(&conn, list, after)?, list_changes(&conn, list)?))
    }

    fn kept_document(&self, digest: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let conn = self.conn()?;
        Ok(conn
            .prepare_cached("SELECT document FROM kept_document WHERE digest = ?1")?
            .query_row(params![digest], |r| r.get(0))
            .optional()?)
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

    fn log_tile_roots(&self) -> Result<Vec<[u8; 32]>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached("SELECT tile, root FROM log_tile ORDER BY tile")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))?;
        let mut roots = Vec::new();
        for row in rows {
            let (tile, root) = row?;
            // Tiles are stored in order from 0; a gap or a short root is a damaged store.
            let root = <[u8; 32]>::try_from(root.as_slice())
                .ok()
                .filter(|_| tile == roots.len() as i64)
                .ok_or_else(|| StoreError::Database(format!("log tile {tile}: not the next tile, or not a hash")))?;
            roots.push(root);
        }
        Ok(roots)
    }

    fn log_hash_index_size(&self) -> Result<(u64, Option<[u8; 32]>), StoreError> {
        self.hash_index.size()
    }

    fn index_log_leaves(&self, first: u64, leaf_hashes: &[[u8; 32]]) -> Result<(), StoreError> {
        self.hash_index.add(first, leaf_hashes)
    }

    fn reset_log_hash_index(&self) -> Result<(), StoreError> {
        self.hash_index.reset()
    }

    fn log_index_of(&self, leaf_hash: &[u8; 32]) -> Result<Option<u64>, StoreError> {
        self.hash_index.get(leaf_hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store over a file with no checkpointer of its own, so that the test decides when
    /// each step of a round runs; and the round's copier.
    fn store_without_checkpointer(dir: &Path) -> (SqliteStore, WalCopier) {
        let path = dir.join("mrgate.db");
        let index = HashIndex::new(Connection::open_in_memory().expect("open")).expect("index");
        let store = SqliteStore::init(Connection::open(&path).expect("open"), index).expect("init");
        store.conn().expect("conn").pragma_update(None, "wal_autocheckpoint", 0).expect("pragma");
        let copier = WalCopier::new(&path, Arc::clone(&store.conn)).expect("copier");
        (store, copier)
    }

    fn wal_len(dir: &Path) -> u64 {
        std::fs::metadata(dir.join("mrgate.db-wal")).expect("wal").len()
    }

    fn append(store: &SqliteStore, n: usize) {
        for i in 0..n {
            let write = Write { entry: Some(vec![i as u8; 300]), effects: Vec::new() };
            store.commit(&[write]).expect("commit").pop().expect("outcome").expect("append");
        }
    }

    /// Brings the log to where a round's first step leaves it under load: 50 commits, of
    /// which the first step copied all but the last, which landed while it ran. (A reader
    /// holding the older snapshot keeps the copy from reaching that commit.)
    fn overtaken_first_step(dir: &Path, store: &SqliteStore, copier: &WalCopier) {
        append(store, 49);
        let reader = Connection::open(dir.join("mrgate.db")).expect("reader");
        reader.execute_batch("BEGIN; SELECT count(*) FROM log_entry;").expect("read");
        append(store, 1);
        assert!(copier.copy_beside_writer().expect("copy") > 0);
        reader.execute_batch("COMMIT").expect("end read");
    }

    #[test]
    fn after_a_round_overtaken_by_a_commit_the_next_commits_restart_the_log() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, copier) = store_without_checkpointer(dir.path());
        overtaken_first_step(dir.path(), &store, &copier);
        copier.finish_holding_writer().expect("finish");
        let len = wal_len(dir.path());
        append(&store, 5);
        assert_eq!(wal_len(dir.path()), len, "the log grew instead of starting over");
        assert_eq!(store.log_size().expect("size"), 55);
    }

    #[test]
    fn without_the_second_step_the_log_only_grows() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, copier) = store_without_checkpointer(dir.path());
        overtaken_first_step(dir.path(), &store, &copier);
        let len = wal_len(dir.path());
        append(&store, 5);
        assert!(wal_len(dir.path()) > len, "the log started over without the second step");
    }

    #[test]
    fn a_round_restarts_the_log_only_once_it_is_long() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, mut copier) = store_without_checkpointer(dir.path());
        assert_eq!(copier.restart_at, WalCopier::RESTART_AT_FRAMES);
        append(&store, 49);
        let reader = Connection::open(dir.path().join("mrgate.db")).expect("reader");
        reader.execute_batch("BEGIN; SELECT count(*) FROM log_entry;").expect("read");
        append(&store, 1);
        let frames = copier.copy_beside_writer().expect("copy");
        reader.execute_batch("COMMIT").expect("end read");
        assert!((50..1000).contains(&frames), "{frames} frames");
        assert!(!copier.restarts_at(frames) && !copier.restarts_at(0));
        copier.restart_at = frames;
        assert!(copier.restarts_at(frames) && !copier.restarts_at(frames - 1));
    }

    #[test]
    fn a_round_on_an_idle_log_leaves_it_as_it_is() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, copier) = store_without_checkpointer(dir.path());
        append(&store, 3);
        copier.round();
        copier.round();
        assert_eq!(store.log_entries(0, 3).expect("entries"), (0..3u8).map(|i| vec![i; 300]).collect::<Vec<_>>());
        let len = wal_len(dir.path());
        append(&store, 2);
        assert_eq!(wal_len(dir.path()), len);
    }
}
