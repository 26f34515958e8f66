//! The networked store: PostgreSQL (13 or later), chosen by `[store] url = "postgres://…"`.
//! The same tables as the embedded store, the same semantics for every [`Effect`] and for
//! [`Store::commit`], schema migrations numbered in a table of their own (`mrgate_schema`),
//! applied at open and refused when the database is newer than this build.
//!
//! **Client.** `tokio-postgres` over plain TCP (`NoTls`): meant for a database on the same
//! machine or a private link; TLS to the database is future work. A pool of connections
//! (`postgres/pool.rs`, at most [`POOL_SIZE`] connections) whose sockets are driven by a
//! runtime the store owns; callers' threads wait for their answers, so the store is as
//! synchronous as the SQLite one, and safe to call from any thread.
//!
//! **Commits are serialized in the database**, not in this process: every commit
//! transaction first takes the transaction-level advisory lock [`COMMIT_LOCK`]
//! (`pg_advisory_xact_lock`), and only then, in a statement of its own (so its snapshot is
//! taken after the lock is held — under READ COMMITTED a statement's snapshot is taken when
//! it starts), reads the log's size. So even two processes sharing the database append at
//! consecutive, distinct indexes, and the checks effects make against what is stored (a
//! notice's admission, a certificate expected as read, a reused trust-list sequence, a
//! round's submissions) see every commit before theirs. Reads take no lock.
//!
//! **A commit whose answer is lost** (the connection cut, or the server process ended, while
//! `COMMIT` ran) is not guessed at: its transaction id, read inside it, is asked about on
//! other connections (`pg_xact_status`, for up to 10 s while it is in progress or the server
//! unreachable), and the outcomes are returned only once it is known to have committed;
//! otherwise it is an error (then nothing was committed, or — if even that cannot be learned
//! — the error says the outcome is unknown; the log above then takes from the store whatever
//! did commit, as it takes other nodes' entries). Only an `ERROR` answer to `COMMIT` is taken
//! as a rollback.
//!
//! **No cache of certificate versions**: [`Store::cached_certificate_view`] always answers
//! [`InMemory::Unknown`](super::InMemory::Unknown), so every look-up reads through to the
//! database and a version written by another node is never served stale. (The embedded
//! store caches because its process is the file's only writer.)
//!
//! **The hash index** (leaf hash to log index) is derived data, in UNLOGGED tables
//! (`log_leaf`, `log_leaf_covered`): not written to PostgreSQL's WAL, emptied by a crash
//! recovery, rebuilt by the log from its entries. Each node's indexer adds to it; the
//! `log_leaf_covered` row is locked by each batch, so two indexers refuse each other's
//! batches rather than corrupt the index.
//!
//! **Several gateway nodes on one database** ([`Store::shared`] is true): there is no
//! sequencer node and no lease. Every node commits its own batches, and the commit lock
//! above makes the database the one sequencer: a batch's entries get the next indexes, in
//! one transaction, with the effects they stand or fall with. So no node has to take over
//! when another dies: a killed node's socket is closed by its kernel and the server rolls
//! back its open transaction, freeing the lock at once; a node that stops answering without
//! its socket closing (a machine lost, a network cut) loses its session after
//! [`STUCK_COMMIT`] idle inside a transaction. That is the longest the others wait. Each
//! node's log follows the entries the others append (`ledger::durable`), and decisions are
//! held at commit to the trust list they were made with (`Effect::TrustListInForce`).
//! Why not a lease with queued entries (Trillian, Tessera): it adds a failover window (the
//! lease's expiry), a queue table written and read per entry, and a second hop per
//! decision, to win group commit across nodes — which each node's own group commit already
//! gives within it; the lock is held only for the commit's few statements.
//!
//! **Moving up** from the embedded store: `postgres/import.rs` copies one into an empty
//! database (`mrgate store migrate`).
//!
//! What it must never do: apply an effect whose entry it then drops, or the reverse; append
//! outside the commit lock; answer a commit as committed before PostgreSQL said so.

mod import;
mod pool;

pub use import::RowCounts;

use super::rules;
use super::{
    CertificateRecord, CertificateView, DecisionRecord, Effect, ListChanges, ListSlot, PtReportRecord, PtResultRecord,
    PtRoundRecord, PtSubmissionRecord, RegisteredSigner, StatusEvent, Store, StoreError, TableVersion,
    TrustListVersion, Write, Written,
};
use pool::{Conn, Pool};
use std::sync::Arc;
use tokio_postgres::Row;

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        StoreError::Database(format!("postgres: {}", why(&e)))
    }
}

/// What went wrong, as the server or the system said it: the server's message for an error
/// it sent (`database "x" does not exist`), else the error and its causes (`error connecting
/// to server: Connection refused (os error 111)`). Found by attack: connecting said only
/// "db error", whatever the cause.
pub(super) fn why(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return db.message().to_string();
    }
    let mut said = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        said.push_str(&format!(": {c}"));
        cause = c.source();
    }
    said
}

/// How long a session may sit idle inside a transaction before the server ends it
/// (`idle_in_transaction_session_timeout`): the longest a node that stopped mid-commit holds
/// the commit lock, when its process is gone without its socket being closed (a machine
/// lost, a network cut; a killed process's socket is closed by its kernel, and the server
/// frees the lock at once). Between two statements of a commit this node waits on nothing.
pub const STUCK_COMMIT: std::time::Duration = std::time::Duration::from_secs(5);

/// The advisory lock every commit takes first ("mrgateLG").
pub const COMMIT_LOCK: i64 = 0x6d72_6761_7465_4c47;
/// The advisory lock held while the schema is checked and migrated ("mrgateMG").
const MIGRATION_LOCK: i64 = 0x6d72_6761_7465_4d47;

/// Connections open at most: the log's committer, its indexer, and requests' reads.
pub const POOL_SIZE: usize = 8;

/// Migrations, in order; `mrgate_schema.version` is the number applied. (Numbered apart
/// from the embedded store's: version 1 here is its version 5.)
const MIGRATIONS: &[&str] = &[
    // 1: everything the embedded store holds at its version 5. Text that is ordered by is
    // compared byte by byte (COLLATE "C"), as SQLite does, whatever the database's locale.
    r#"CREATE TABLE certificate (
        issuer TEXT COLLATE "C" NOT NULL,
        number TEXT COLLATE "C" NOT NULL,
        holder_credit_code TEXT COLLATE "C",
        origin TEXT NOT NULL,
        status TEXT NOT NULL,
        document BYTEA NOT NULL,
        recorded_at TEXT NOT NULL,
        PRIMARY KEY (issuer, number)
    );
    CREATE INDEX certificate_holder ON certificate (holder_credit_code);
    CREATE TABLE status_event (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        issuer TEXT COLLATE "C" NOT NULL,
        number TEXT COLLATE "C" NOT NULL,
        status TEXT NOT NULL,
        since TEXT NOT NULL,
        actor TEXT NOT NULL,
        reference TEXT NOT NULL
    );
    CREATE INDEX status_event_certificate ON status_event (issuer, number, seq);
    CREATE TABLE decision (id TEXT PRIMARY KEY, kind TEXT NOT NULL, json TEXT NOT NULL, log_index BIGINT);
    CREATE TABLE trust_list (
        sequence BIGINT NOT NULL,
        digest TEXT COLLATE "C" PRIMARY KEY,
        installed_at TEXT COLLATE "C" NOT NULL,
        document BYTEA NOT NULL
    );
    CREATE INDEX trust_list_sequence ON trust_list (sequence);
    CREATE TABLE log_entry (idx BIGINT PRIMARY KEY, entry BYTEA NOT NULL);
    CREATE TABLE log_tile (tile BIGINT PRIMARY KEY, root BYTEA NOT NULL);
    CREATE TABLE pt_round (
        id TEXT PRIMARY KEY,
        provider TEXT NOT NULL,
        definition BYTEA NOT NULL,
        defined_at TEXT NOT NULL,
        closed_at TEXT,
        report_xml BYTEA,
        report_json TEXT,
        report_csv TEXT
    );
    CREATE TABLE pt_submission (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        round TEXT NOT NULL REFERENCES pt_round (id),
        submitter TEXT NOT NULL,
        digest TEXT NOT NULL,
        received TEXT NOT NULL,
        document BYTEA NOT NULL
    );
    CREATE INDEX pt_submission_round ON pt_submission (round, seq);
    CREATE TABLE pt_result (
        round TEXT NOT NULL REFERENCES pt_round (id),
        measurand TEXT COLLATE "C" NOT NULL,
        participant TEXT COLLATE "C" NOT NULL,
        submitter TEXT NOT NULL,
        submission TEXT NOT NULL,
        result TEXT NOT NULL,
        PRIMARY KEY (round, measurand, participant)
    );
    CREATE TABLE pt_result_replaced (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        round TEXT NOT NULL,
        measurand TEXT NOT NULL,
        participant TEXT NOT NULL,
        submitter TEXT NOT NULL,
        submission TEXT NOT NULL,
        result TEXT NOT NULL
    );
    CREATE INDEX pt_result_replaced_round ON pt_result_replaced (round, seq);
    CREATE TABLE notice (
        body TEXT NOT NULL,
        jti TEXT NOT NULL,
        issuer TEXT COLLATE "C" NOT NULL,
        number TEXT COLLATE "C" NOT NULL,
        iat BIGINT NOT NULL,
        action TEXT NOT NULL,
        PRIMARY KEY (body, jti)
    );
    CREATE INDEX notice_certificate ON notice (issuer, number, iat);
    CREATE UNLOGGED TABLE log_leaf (hash BYTEA PRIMARY KEY, idx BIGINT NOT NULL);
    CREATE UNLOGGED TABLE log_leaf_covered (
        one INTEGER PRIMARY KEY CHECK (one = 0),
        size BIGINT NOT NULL,
        last BYTEA
    );"#,
    // 2: the log's entries partitioned by range of index (see `log_partitions`), the
    // entries held so far moved into the partitions that cover them.
    r#"CREATE TABLE log_partitioning (
        one INTEGER PRIMARY KEY CHECK (one = 0),
        entries BIGINT NOT NULL CHECK (entries > 0 AND entries % 256 = 0)
    );
    INSERT INTO log_partitioning (one, entries) VALUES (0, 16777216);
    ALTER TABLE log_entry RENAME TO log_entry_unpartitioned;
    ALTER INDEX log_entry_pkey RENAME TO log_entry_unpartitioned_pkey;
    CREATE TABLE log_entry (idx BIGINT NOT NULL, entry BYTEA NOT NULL, PRIMARY KEY (idx)) PARTITION BY RANGE (idx);
    DO $$
    DECLARE
        per BIGINT := (SELECT entries FROM log_partitioning);
        size BIGINT := (SELECT COALESCE(MAX(idx) + 1, 0) FROM log_entry_unpartitioned);
    BEGIN
        FOR p IN 0 .. GREATEST(size - 1, 0) / per LOOP
            EXECUTE format('CREATE TABLE log_entry_p%s PARTITION OF log_entry FOR VALUES FROM (%s) TO (%s)',
                           p, p * per, (p + 1) * per);
        END LOOP;
    END $$;
    INSERT INTO log_entry (idx, entry) SELECT idx, entry FROM log_entry_unpartitioned;
    DROP TABLE log_entry_unpartitioned;"#,
    // 3: equivalence-table versions, and the input documents decisions were made on (kept
    // for an audit to decide again), by SHA-256: the embedded store's version 6.
    r#"CREATE TABLE equivalence_table (
        sequence BIGINT PRIMARY KEY,
        digest TEXT COLLATE "C" NOT NULL,
        label TEXT NOT NULL,
        installed_at TEXT COLLATE "C" NOT NULL,
        document BYTEA NOT NULL
    );
    CREATE TABLE kept_document (digest TEXT COLLATE "C" PRIMARY KEY, document BYTEA NOT NULL);"#,
    // 4: the status-list slot of each exported certificate: the embedded store's version 7.
    r#"CREATE TABLE status_slot (
        issuer TEXT COLLATE "C" NOT NULL,
        number TEXT COLLATE "C" NOT NULL,
        list BIGINT NOT NULL,
        idx BIGINT NOT NULL,
        PRIMARY KEY (issuer, number),
        UNIQUE (list, idx)
    );
    CREATE INDEX certificate_status ON certificate (status);
    CREATE TABLE publication (what TEXT COLLATE "C" PRIMARY KEY, digest TEXT COLLATE "C" NOT NULL);"#,
    // 5: a certificate's status is one of the register's (`model::Status`; a test holds the
    // two lists equal): the embedded store's version 8. NOT VALID: rows stored before are not
    // checked (a start never fails on them); what reads them fails closed.
    r#"ALTER TABLE certificate ADD CONSTRAINT certificate_status_known
        CHECK (status IN ('valid', 'suspended', 'withdrawn', 'cancelled', 'expired')) NOT VALID;"#,
    // 6: the documents each export made, by digest: the embedded store's version 9, filled
    // from the exports' stored answers as it is made ([`super::exported_by`]).
    r#"CREATE TABLE exported_document (
        issuer TEXT COLLATE "C" NOT NULL,
        number TEXT COLLATE "C" NOT NULL,
        digest TEXT COLLATE "C" NOT NULL,
        PRIMARY KEY (issuer, number, digest)
    );"#,
    // 7: the signer of the document a certificate's facts were last registered by, and when:
    // the embedded store's version 10.
    "ALTER TABLE certificate ADD COLUMN signer TEXT; ALTER TABLE certificate ADD COLUMN signer_at TEXT;",
    // 8: the status-list slots superseded: the embedded store's version 11.
    r#"CREATE TABLE superseded_status_slot (
        list BIGINT NOT NULL,
        idx BIGINT NOT NULL,
        issuer TEXT COLLATE "C" NOT NULL,
        number TEXT COLLATE "C" NOT NULL,
        PRIMARY KEY (list, idx)
    );"#,
    // 9: each status-list slot's change sequence: the embedded store's version 12. Commits
    // are one at a time (`COMMIT_LOCK`), and the counter's row is locked by each change until
    // it commits besides, so sequences are taken in commit order and a reader that saw one
    // has seen every lower one. `mrgate store migrate` copies no sequence: the triggers
    // number the slots as they are copied. The index by status, which no read asks now, is
    // dropped.
    r#"DROP INDEX IF EXISTS certificate_status;
    ALTER TABLE status_slot ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
    ALTER TABLE superseded_status_slot ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
    CREATE INDEX status_slot_list_seq ON status_slot (list, seq);
    CREATE INDEX superseded_status_slot_list_seq ON superseded_status_slot (list, seq);
    CREATE TABLE status_slot_seq (one INTEGER PRIMARY KEY CHECK (one = 0), n BIGINT NOT NULL);
    INSERT INTO status_slot_seq (one, n) VALUES (0, 0);
    CREATE FUNCTION status_slot_next_seq() RETURNS BIGINT LANGUAGE sql AS
        'UPDATE status_slot_seq SET n = n + 1 RETURNING n';
    CREATE FUNCTION status_slot_held() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.seq := status_slot_next_seq();
        RETURN NEW;
    END $$;
    CREATE TRIGGER status_slot_held BEFORE INSERT ON status_slot
        FOR EACH ROW EXECUTE FUNCTION status_slot_held();
    CREATE TRIGGER status_slot_superseded BEFORE INSERT ON superseded_status_slot
        FOR EACH ROW EXECUTE FUNCTION status_slot_held();
    CREATE FUNCTION status_slot_certificate_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM status_slot WHERE issuer = NEW.issuer AND number = NEW.number) THEN
            UPDATE status_slot SET seq = status_slot_next_seq() WHERE issuer = NEW.issuer AND number = NEW.number;
        END IF;
        RETURN NULL;
    END $$;
    CREATE TRIGGER status_slot_certificate_changed AFTER UPDATE ON certificate
        FOR EACH ROW EXECUTE FUNCTION status_slot_certificate_changed();"#,
    // 10: each CB's numbers by what an eye reads them as: the embedded store's version 13.
    r#"CREATE INDEX certificate_look_alike ON certificate (issuer, replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(number, '-', ''), '/', ''), 'O', '0'), 'Q', '0'), 'D', '0'), 'I', '1'), 'L', '1'), 'Z', '2'), 'S', '5'), 'G', '6'), 'B', '8'), 'U', 'V'));"#,
    // 11: the rule set the database is decided by: set by the first build that opens it
    // (`migrate`), raised by each node that starts on it (`claim`), held by every commit.
    "CREATE TABLE deciding_rules (one INTEGER PRIMARY KEY CHECK (one = 0), rule_set BIGINT NOT NULL);",
    // 12: the exporter's words (rule set 28): the embedded store's version 14.
    "CREATE INDEX certificate_word ON certificate (issuer, number) WHERE origin = 'export-unsigned';",
];

/// This build's rule set ([`crate::decisions::RULE_SET`]) as the database keeps it: a
/// whole number by construction (a unit test holds it), and a build whose is not decides
/// nothing rather than guess one.
fn own_rule_set() -> Result<i64, StoreError> {
    let own = crate::decisions::RULE_SET;
    own.parse().map_err(|_| StoreError::Database(format!("this build's rule set '{own}' is not a whole number")))
}

/// Whether the database decided by rule set `deciding` is this build's to decide.
fn deciding_is_own(deciding: i64) -> Result<(), StoreError> {
    let own = own_rule_set()?;
    match deciding == own {
        true => Ok(()),
        false => Err(StoreError::RuleSetMoved { store: deciding, node: own }),
    }
}

/// The migration that made `exported_document`: the exports made before it are registered
/// in its transaction.
const EXPORTED_DOCUMENTS: usize = 6;

/// Makes sure the partitions of `log_entry` that hold entries `first..=last` exist.
///
/// The log's entries grow by about 10–20 TB a year at 1,000 decisions a second, and once
/// written they never change: so they live in range partitions of
/// `log_partitioning.entries` entries each (16,777,216 by default: 65,536 complete tiles,
/// 5–10 GB), `log_entry_p0`, `log_entry_p1`, … An old partition can be moved to cheaper
/// storage (`ALTER TABLE log_entry_p0 SET TABLESPACE archive`) or backed up once and for
/// all, and look-ups by index touch one partition. A partition is created by the commit
/// that first needs it, under the commit lock (so two nodes never race to create one): a
/// partition boundary is a multiple of the tile width, so no tile spans two.
async fn log_partitions(c: &mut Conn, first: i64, last: i64, per: i64) -> Result<(), StoreError> {
    let boundary = first % per == 0 || first / per != last / per;
    if !boundary {
        return Ok(());
    }
    for p in first / per..=last / per {
        // Looked up by name first: no lock on `log_entry` when it is there.
        let name = format!("log_entry_p{p}");
        if c.query_one("SELECT to_regclass($1) IS NOT NULL", &[&name]).await?.try_get::<_, bool>(0)? {
            continue;
        }
        // Normally made ahead (see `PostgresStore::partition_ahead`); here only when that has
        // not happened, with a bound on how long the commit lock may wait for the table lock.
        c.batch(&format!(
            "SET LOCAL lock_timeout = '2s';
             CREATE TABLE IF NOT EXISTS log_entry_p{p} PARTITION OF log_entry FOR VALUES FROM ({}) TO ({});
             SET LOCAL lock_timeout = 0",
            p * per,
            (p + 1) * per
        ))
        .await?;
    }
    Ok(())
}

/// The PostgreSQL store.
#[derive(Debug)]
pub struct PostgresStore {
    pool: Pool,
    /// The partition of `log_entry` made ahead last (see [`PostgresStore::partition_ahead`]).
    ahead: std::sync::atomic::AtomicI64,
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user@host:port/database`, or any
    /// form `tokio-postgres` accepts) and brings its schema up to date.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        let mut config = parse_url(url)?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(std::time::Duration::from_secs(10));
        }
        if config.get_application_name().is_none() {
            config.application_name("mrgate");
        }
        // A node that stops in the middle of a commit (killed, hung, cut off) must not hold
        // the commit lock for long: the server ends a session idle inside a transaction
        // after this, rolling it back and freeing the lock for the other nodes.
        let options = config.get_options().map(|o| format!("{o} ")).unwrap_or_default();
        config.options(format!("{options}-c idle_in_transaction_session_timeout={}", STUCK_COMMIT.as_millis()));
        config.keepalives(true).keepalives_idle(std::time::Duration::from_secs(5));
        let store = Self { pool: Pool::new(config, POOL_SIZE)?, ahead: std::sync::atomic::AtomicI64::new(-1) };
        store.pool.run(async |c| migrate(c).await)?;
        Ok(store)
    }

    /// Once the log is past the middle of its partition, makes the next one, outside any
    /// commit: `CREATE TABLE` and `ATTACH PARTITION` (which takes only a SHARE UPDATE
    /// EXCLUSIVE lock on `log_entry`, so readers — a long export, `pg_dump` — neither wait
    /// for it nor hold it up), with a short `lock_timeout`, tried again by a later commit if
    /// it times out. Making it inside the commit that first needs it would take an ACCESS
    /// EXCLUSIVE lock under the commit lock, stalling every node behind any reader.
    fn partition_ahead(&self, last: u64) -> Result<(), StoreError> {
        use std::sync::atomic::Ordering::Relaxed;
        let last = last as i64;
        self.pool.run(async |c| {
            let per: i64 = c.query_one("SELECT entries FROM log_partitioning", &[]).await?.try_get(0)?;
            let next = last / per + 1;
            if last % per < per / 2 || self.ahead.load(Relaxed) >= next {
                return Ok(());
            }
            let made = async {
                c.batch(&format!(
                    "BEGIN; SET LOCAL lock_timeout = '200ms';
                     CREATE TABLE IF NOT EXISTS log_entry_p{next} (LIKE log_entry INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
                     DO $$ BEGIN
                       IF NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = 'log_entry_p{next}'::regclass) THEN
                         ALTER TABLE log_entry ATTACH PARTITION log_entry_p{next} FOR VALUES FROM ({}) TO ({});
                       END IF;
                     END $$;
                     COMMIT",
                    next * per,
                    (next + 1) * per
                ))
                .await
            }
            .await;
            if made.is_err() {
                rollback(c).await;
                return made;
            }
            self.ahead.store(next, Relaxed);
            Ok(())
        })
    }

    /// The schema version the database is at.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.pool.run(async |c| Ok(c.query_one("SELECT version FROM mrgate_schema", &[]).await?.try_get(0)?))
    }

    fn commit_once(&self, writes: &[Write]) -> Result<Committed, StoreError> {
        self.pool.run(async |c| commit(c, writes).await)
    }

    /// Whether the transaction `xid` committed: asked on another connection until it is
    /// no longer in progress (its server process may still be finishing it).
    fn committed(&self, xid: &str) -> Result<bool, StoreError> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let status = self.pool.run(async |c| {
                let status: Option<String> =
                    c.query_one("SELECT pg_xact_status($1::text::xid8)", &[&xid]).await?.try_get(0)?;
                Ok(status)
            });
            let unknown = |why: String| StoreError::Database(format!("the outcome of commit {xid} is unknown: {why}"));
            let why = match status {
                Ok(Some(s)) if s == "committed" => return Ok(true),
                Ok(Some(s)) if s == "aborted" => return Ok(false),
                // Its server process is still finishing it.
                Ok(Some(s)) if s == "in progress" => s,
                Ok(status) => {
                    return Err(unknown(format!("its transaction is {}", status.unwrap_or("forgotten".into()))));
                }
                // The server is not reachable yet (the connection lost may have been one of many).
                Err(e) => e.to_string(),
            };
            if std::time::Instant::now() >= deadline {
                return Err(unknown(why));
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
}

/// `url` as a connection configuration; the error never repeats the URL (it may hold a
/// password).
pub fn parse_url(url: &str) -> Result<tokio_postgres::Config, StoreError> {
    url.parse::<tokio_postgres::Config>()
        .map_err(|e| StoreError::Database(format!("the store url is not a PostgreSQL connection string: {e}")))
}

async fn migrate(c: &mut Conn) -> Result<(), StoreError> {
    let encoding: String = c.query_one("SELECT current_setting('server_encoding')", &[]).await?.try_get(0)?;
    if encoding != "UTF8" {
        return Err(StoreError::Database(format!("the database's encoding is {encoding}, not UTF8")));
    }
    c.batch(&format!("BEGIN; SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")).await?;
    let migrated = async {
        c.batch(
            "CREATE TABLE IF NOT EXISTS mrgate_schema (one INTEGER PRIMARY KEY CHECK (one = 0), version BIGINT NOT NULL);
             INSERT INTO mrgate_schema (one, version) VALUES (0, 0) ON CONFLICT DO NOTHING",
        )
        .await?;
        let version: i64 = c.query_one("SELECT version FROM mrgate_schema", &[]).await?.try_get(0)?;
        let supported = MIGRATIONS.len() as i64;
        if version > supported {
            return Err(StoreError::SchemaTooNew { found: version, supported });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(usize::try_from(version).unwrap_or(0)) {
            c.batch(sql).await?;
            if i + 1 == EXPORTED_DOCUMENTS {
                register_earlier_exports(c).await?;
            }
            c.execute("UPDATE mrgate_schema SET version = $1", &[&(i as i64 + 1)]).await?;
        }
        // The first build to open the database decides it. Another build opens it to read
        // (an older one's audit of its own entries); only a node starting claims it.
        let own = own_rule_set()?;
        c.execute("INSERT INTO deciding_rules (one, rule_set) VALUES (0, $1) ON CONFLICT DO NOTHING", &[&own]).await?;
        c.batch("COMMIT").await
    }
    .await;
    if migrated.is_err() {
        rollback(c).await;
    }
    migrated
}

/// Registers the documents of every export stored before the register kept them
/// ([`super::exported_by`]), inside the migration's transaction.
async fn register_earlier_exports(c: &mut Conn) -> Result<(), StoreError> {
    // A page of answers at a time: each holds the signed documents it returned.
    let mut after = String::new();
    loop {
        let page = c
            .query(
                "SELECT id, json FROM decision WHERE kind = 'export' AND id > $1 ORDER BY id LIMIT $2",
                &[&after, &super::EXPORTS_PER_PAGE],
            )
            .await?;
        for row in &page {
            let json: String = row.try_get(1)?;
            let Some(export) = super::exported_by(&json) else { continue };
            insert_exported(c, &export.issuer, &export.number, &export.digests).await?;
        }
        match page.last() {
            Some(last) => after = last.try_get(0)?,
            None => return Ok(()),
        }
    }
}

async fn insert_exported(c: &mut Conn, issuer: &str, number: &str, digests: &[String]) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO exported_document (issuer, number, digest) SELECT $1, $2, UNNEST($3::TEXT[])
         ON CONFLICT DO NOTHING",
        &[&issuer, &number, &digests],
    )
    .await?;
    Ok(())
}

/// Ends the open transaction, if any; a connection that cannot is not used again.
async fn rollback(c: &mut Conn) {
    if c.batch("ROLLBACK").await.is_err() {
        c.broken = true;
    }
}

/// What a commit came to on its connection.
enum Committed {
    Done(Vec<Result<Written, StoreError>>),
    /// `COMMIT` was sent but its answer lost with the connection: committed only if
    /// transaction `xid` did.
    Unknown {
        xid: String,
        outcomes: Vec<Result<Written, StoreError>>,
        error: StoreError,
    },
}

async fn commit(c: &mut Conn, writes: &[Write]) -> Result<Committed, StoreError> {
    // Nothing is acknowledged before it is durable: a server, database or role configured
    // with `synchronous_commit = off` would answer COMMIT before its WAL reached the disk, and
    // a crash would lose entries already receipted (found by review). This transaction waits
    // for the flush whatever the setting; a stricter one (a synchronous standby's) stands.
    c.batch(&format!(
        "BEGIN; SELECT set_config('synchronous_commit', CASE current_setting('synchronous_commit') WHEN 'off' \
         THEN 'on' ELSE current_setting('synchronous_commit') END, true); SELECT pg_advisory_xact_lock({COMMIT_LOCK})"
    ))
    .await?;
    let applied = async {
        // After the lock, in a statement of its own: its snapshot holds every commit before.
        let head = c
            .query_one(
                "SELECT COALESCE(MAX(idx) + 1, 0), pg_current_xact_id()::text, (SELECT entries FROM log_partitioning),
                   (SELECT rule_set FROM deciding_rules)
                 FROM log_entry",
                &[],
            )
            .await?;
        let mut next: i64 = head.try_get(0)?;
        let xid: String = head.try_get(1)?;
        let per_partition: i64 = head.try_get(2)?;
        // Read under the commit lock, which a claim takes too: no commit of this node
        // follows a newer build's claim, whose nodes decide by other rules (one log must
        // not mix them).
        deciding_is_own(head.try_get(3)?)?;
        let mut indexes = Vec::new();
        let mut entries: Vec<&[u8]> = Vec::new();
        let mut outcomes = Vec::with_capacity(writes.len());
        // The newest stored rule documents' digests, once read in this commit.
        let mut newest: Option<rules::Newest> = None;
        // Documents kept by writes that cannot be refused (verifications), inserted at once.
        let (mut kept_digests, mut kept_documents): (Vec<&String>, Vec<&Vec<u8>>) = (Vec::new(), Vec::new());
        // What verifications hold the register to, read in one query for the whole commit
        // while no write of it could have changed it; after such a write, read one by one.
        let mut registers = Some(registers_of(c, writes).await?);
        for write in writes {
            let holds = rules::held_to(&write.effects);
            if holds.any() {
                let read = match newest.take() {
                    Some(read) => read,
                    None => newest_rules(c).await?,
                };
                let held = rules::rules_in_force(&read, holds);
                newest = Some(read);
                if let Err(refused) = held {
                    outcomes.push(Err(refused));
                    continue;
                }
            }
            if let Err(refused) = registers_held(c, registers.as_ref(), &write.effects).await? {
                outcomes.push(Err(refused));
                continue;
            }
            let index = write.entry.as_ref().map(|_| next as u64);
            match apply_all(c, &write.effects, index).await? {
                Ok(replaced) => {
                    if rules::stores_rules(&write.effects) {
                        newest = None;
                    }
                    if !rules::cannot_be_refused(&write.effects) {
                        registers = None;
                    }
                    if rules::cannot_be_refused(&write.effects) {
                        for effect in &write.effects {
                            if let Effect::KeepDocument { digest, document } = effect {
                                kept_digests.push(digest);
                                kept_documents.push(document);
                            }
                        }
                    }
                    if let Some(entry) = &write.entry {
                        indexes.push(next);
                        entries.push(entry);
                        next += 1;
                    }
                    outcomes.push(Ok(Written { index, replaced }));
                }
                Err(refused) => outcomes.push(Err(refused)),
            }
        }
        if !kept_digests.is_empty() {
            c.execute(
                "INSERT INTO kept_document (digest, document) SELECT * FROM UNNEST($1::TEXT[], $2::BYTEA[])
                 ON CONFLICT DO NOTHING",
                &[&kept_digests, &kept_documents],
            )
            .await?;
        }
        if let (Some(&first), Some(&last)) = (indexes.first(), indexes.last()) {
            log_partitions(c, first, last, per_partition).await?;
            c.execute(
                "INSERT INTO log_entry (idx, entry) SELECT * FROM UNNEST($1::BIGINT[], $2::BYTEA[])",
                &[&indexes, &entries],
            )
            .await?;
        }
        Ok::<_, StoreError>((xid, outcomes))
    }
    .await;
    let (xid, outcomes) = match applied {
        Ok(done) => done,
        Err(e) => {
            rollback(c).await;
            return Err(e);
        }
    };
    match c.client.batch_execute("COMMIT").await {
        Ok(()) => Ok(Committed::Done(outcomes)),
        Err(error) if rolled_back(&error) => {
            rollback(c).await;
            Err(error.into())
        }
        Err(error) => {
            c.broken = true;
            Ok(Committed::Unknown { xid, outcomes, error: error.into() })
        }
    }
}

/// Whether the server answered a failed `COMMIT` with an error that ended the transaction
/// (a deferred constraint, a serialization failure: it rolled back), rather than the answer
/// being lost or the session ended (then whether it committed is unknown).
fn rolled_back(e: &tokio_postgres::Error) -> bool {
    e.as_db_error().is_some_and(|db| db.parsed_severity() == Some(tokio_postgres::error::Severity::Error))
}

/// Applies one write's effects inside the open transaction, all or none: a refused effect
/// (the inner error) rolls back to where the write began and the batch goes on; an error
/// that ended the transaction itself (the outer one) ends the batch.
async fn apply_all(
    c: &mut Conn,
    effects: &[Effect],
    index: Option<u64>,
) -> Result<Result<Vec<PtResultRecord>, StoreError>, StoreError> {
    if rules::cannot_be_refused(effects) {
        // Documents kept by such writes are inserted by `commit`, all in one statement.
        return Ok(Ok(Vec::new()));
    }
    c.batch("SAVEPOINT write").await?;
    let mut replaced = Vec::new();
    for effect in effects {
        match apply(c, effect, index).await {
            Ok(r) => replaced.extend(r),
            Err(refused) => {
                if c.client.is_closed() {
                    return Err(refused);
                }
                // Any error in PostgreSQL fails the transaction until it is rolled back to
                // the savepoint.
                c.batch("ROLLBACK TO SAVEPOINT write; RELEASE SAVEPOINT write").await?;
                return Ok(Err(refused));
            }
        }
    }
    c.batch("RELEASE SAVEPOINT write").await?;
    Ok(Ok(replaced))
}

/// [`Store::look_alikes`], on `c` (inside a write's transaction for
/// [`Effect::NoLookAlike`]): by the index of migration 10, whose expression this is.
async fn look_alikes(c: &mut Conn, issuer: &str, number: &str) -> Result<Vec<super::LookAlike>, StoreError> {
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let skeleton = crate::ids::number_skeleton_sql("number");
        format!(
            "SELECT number, origin, status FROM certificate WHERE issuer = $1 AND {skeleton} = $2 AND number != $3
             ORDER BY number"
        )
    });
    let rows = c.query(SQL.as_str(), &[&issuer, &crate::ids::number_skeleton(number), &number]).await?;
    let read = |r: &tokio_postgres::Row| {
        Ok::<_, tokio_postgres::Error>(super::LookAlike {
            number: r.try_get(0)?,
            origin: r.try_get(1)?,
            status: r.try_get(2)?,
        })
    };
    Ok(rows.iter().map(read).collect::<Result<_, _>>()?)
}

/// [`Store::look_alike_words`], on `c`; or of the one word `one` (inside a write's
/// transaction for [`Effect::SweepLookAlikes`]).
async fn look_alike_words(c: &mut Conn, one: Option<(&str, &str)>) -> Result<Vec<super::LookAlikeWord>, StoreError> {
    static ALL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| super::look_alike_words_sql(false, None));
    static ONE: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| super::look_alike_words_sql(false, Some(("$1", "$2"))));
    let rows = match one {
        None => c.query(ALL.as_str(), &[]).await?,
        Some((issuer, number)) => c.query(ONE.as_str(), &[&issuer, &number]).await?,
    };
    let read = |r: &tokio_postgres::Row| {
        let word = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get::<_, Option<i64>>(3)?);
        let first = r.try_get::<_, Option<i64>>(7)?.and_then(|f| u64::try_from(f).ok());
        let beside = super::LookAlikeAt { number: r.try_get(4)?, origin: r.try_get(5)?, status: r.try_get(6)?, first };
        Ok::<_, tokio_postgres::Error>((word, beside))
    };
    Ok(super::gather_look_alike_words(rows.iter().map(read).collect::<Result<Vec<_>, _>>()?))
}

async fn insert_event(c: &mut Conn, issuer: &str, number: &str, e: &StatusEvent) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO status_event (issuer, number, status, since, actor, reference) VALUES ($1, $2, $3, $4, $5, $6)",
        &[&issuer, &number, &e.status, &e.since, &e.actor, &e.reference],
    )
    .await?;
    Ok(())
}

async fn current_status(c: &mut Conn, issuer: &str, number: &str) -> Result<Option<String>, StoreError> {
    let row =
        c.query_opt("SELECT status FROM certificate WHERE issuer = $1 AND number = $2", &[&issuer, &number]).await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?)
}

/// The status events of a certificate, in order: its history, as the look-up shows it and
/// a notice's admission reads the gateway's suspensions from.
async fn history(c: &mut Conn, issuer: &str, number: &str) -> Result<Vec<StatusEvent>, StoreError> {
    let rows = c
        .query(
            "SELECT status, since, actor, reference FROM status_event WHERE issuer = $1 AND number = $2 ORDER BY seq",
            &[&issuer, &number],
        )
        .await?;
    let event = |r: &tokio_postgres::Row| {
        Ok::<_, tokio_postgres::Error>(StatusEvent {
            status: r.try_get(0)?,
            since: r.try_get(1)?,
            actor: r.try_get(2)?,
            reference: r.try_get(3)?,
        })
    };
    Ok(rows.iter().map(event).collect::<Result<_, _>>()?)
}

/// Registers a certificate, or a new version of one already registered.
async fn insert_certificate(c: &mut Conn, r: &CertificateRecord) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO certificate (issuer, number, holder_credit_code, origin, status, document, recorded_at, signer,
           signer_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (issuer, number) DO UPDATE SET holder_credit_code = excluded.holder_credit_code,
           origin = excluded.origin, status = excluded.status, document = excluded.document,
           recorded_at = excluded.recorded_at,
           signer = CASE WHEN excluded.signer IS NULL THEN certificate.signer ELSE excluded.signer END,
           signer_at = CASE WHEN excluded.signer IS NULL THEN certificate.signer_at ELSE excluded.signer_at END",
        &[
            &r.issuer,
            &r.number,
            &r.holder_credit_code,
            &r.origin,
            &r.status,
            &r.document,
            &r.recorded_at,
            &r.signer.as_ref().map(|s| s.certificate.as_str()),
            &r.signer.as_ref().map(|s| s.registered_at.as_str()),
        ],
    )
    .await?;
    Ok(())
}

/// One effect; returns the results a submission replaced. `index` is the log index of the
/// write's entry, if it has one.
async fn apply(c: &mut Conn, effect: &Effect, index: Option<u64>) -> Result<Vec<PtResultRecord>, StoreError> {
    match effect {
        Effect::PutCertificate { record: r, event } => {
            let previous = current_status(c, &r.issuer, &r.number).await?;
            insert_certificate(c, r).await?;
            if previous.as_deref() != Some(r.status.as_str()) {
                insert_event(c, &r.issuer, &r.number, event).await?;
            }
        }
        Effect::SetStatus { issuer, number, event } => {
            let changed = c
                .execute(
                    "UPDATE certificate SET status = $3 WHERE issuer = $1 AND number = $2",
                    &[issuer, number, &event.status],
                )
                .await?;
            if changed == 0 {
                return Err(StoreError::NotFound { issuer: issuer.clone(), number: number.clone() });
            }
            insert_event(c, issuer, number, event).await?;
        }
        Effect::ApplyNotice { body, notice: n, event, at } => {
            let status = current_status(c, &n.issuer, &n.number).await?;
            let jti_seen =
                c.query_opt("SELECT 1 FROM notice WHERE body = $1 AND jti = $2", &[body, &n.jti]).await?.is_some();
            let register = match &status {
                None => crate::notice::Register::unheld(jti_seen),
                Some(status) => {
                    let status = crate::model::Status::parse(status)
                        .ok_or_else(|| StoreError::Database(format!("stored status '{status}' is not a status")))?;
                    let last_iat: Option<i64> = c
                        .query_one(
                            "SELECT max(iat) FROM notice WHERE issuer = $1 AND number = $2",
                            &[&n.issuer, &n.number],
                        )
                        .await?
                        .try_get(0)?;
                    let history = history(c, &n.issuer, &n.number).await?;
                    let suspended_by_gateway = crate::decisions::register::suspended_by_gateway(&history);
                    crate::notice::Register { status, last_iat, suspended_by_gateway, jti_seen }
                }
            };
            crate::notice::admit(n.action, n.iat, &n.jti, &register)
                .map_err(|e| StoreError::Conflict { reason: e.code(), message: e.to_string() })?;
            c.execute(
                "INSERT INTO notice (body, jti, issuer, number, iat, action) VALUES ($1, $2, $3, $4, $5, $6)",
                &[body, &n.jti, &n.issuer, &n.number, &n.iat, &n.action.as_str()],
            )
            .await?;
            match status {
                Some(_) => {
                    c.execute(
                        "UPDATE certificate SET status = $3 WHERE issuer = $1 AND number = $2",
                        &[&n.issuer, &n.number, &event.status],
                    )
                    .await?;
                }
                None => {
                    let record = crate::decisions::register::status_only(&n.issuer, &n.number, &event.status, at);
                    insert_certificate(c, &record).await?;
                }
            }
            insert_event(c, &n.issuer, &n.number, event).await?;
        }
        Effect::ExpectCertificate { issuer, number, as_read } => {
            let now = c
                .query_opt(
                    "SELECT document, status, origin FROM certificate WHERE issuer = $1 AND number = $2",
                    &[issuer, number],
                )
                .await?
                .map(|r| {
                    Ok::<_, tokio_postgres::Error>(super::AsRead {
                        document: r.try_get(0)?,
                        status: r.try_get(1)?,
                        origin: r.try_get(2)?,
                    })
                })
                .transpose()?;
            rules::as_read(issuer, number, &now, as_read)?;
        }
        Effect::NoLookAlike { issuer, number } => {
            rules::no_look_alike(issuer, number, &look_alikes(c, issuer, number).await?)?;
        }
        Effect::SuspendLookAlikes { issuer, number, suspended, event } => {
            rules::look_alikes_as_read(issuer, number, &look_alikes(c, issuer, number).await?, suspended)?;
            for other in suspended {
                c.execute(
                    "UPDATE certificate SET status = $3 WHERE issuer = $1 AND number = $2",
                    &[issuer, other, &event.status],
                )
                .await?;
                insert_event(c, issuer, other, event).await?;
            }
        }
        Effect::SweepLookAlikes { suspended, event } => {
            for (issuer, number) in suspended {
                rules::still_swept(issuer, number, &look_alike_words(c, Some((issuer, number))).await?)?;
            }
            rules::in_order(suspended)?;
            for (issuer, number) in suspended {
                c.execute(
                    "UPDATE certificate SET status = $3 WHERE issuer = $1 AND number = $2",
                    &[issuer, number, &event.status],
                )
                .await?;
                insert_event(c, issuer, number, event).await?;
            }
        }
        Effect::PutDecision { id, kind, json } => {
            let log_index = index.map(|i| i as i64);
            c.execute(
                "INSERT INTO decision (id, kind, json, log_index) VALUES ($1, $2, $3, $4)",
                &[id, kind, json, &log_index],
            )
            .await?;
        }
        // Checked by `commit`, once per commit (see `rules::held_to`).
        Effect::TrustListInForce { .. } => {}
        Effect::NoTrustList => rules::no_list_stored(newest_rules(c).await?.trust_list)?,
        Effect::TableInForce { .. } => {}
        // Checked by `commit`, before the write's other effects (it writes nothing).
        Effect::RegisterAsRead { .. } => {}
        Effect::NoEquivalenceTable => rules::no_table_stored(newest_rules(c).await?.table)?,
        Effect::PutEquivalenceTable(v) => {
            let sequence = v.sequence as i64;
            let other = c
                .query_opt(
                    "SELECT digest FROM equivalence_table WHERE sequence = $1 AND digest != $2",
                    &[&sequence, &v.digest],
                )
                .await?;
            let other: Option<String> = other.map(|row| row.try_get(0)).transpose()?;
            rules::one_table_per_sequence(other, v.sequence)?;
            c.execute(
                "INSERT INTO equivalence_table (sequence, digest, label, installed_at, document)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                &[&sequence, &v.digest, &v.label, &v.installed_at, &v.document],
            )
            .await?;
        }
        Effect::RecordExported { issuer, number, digests } => insert_exported(c, issuer, number, digests).await?,
        Effect::KeepDocument { digest, document } => {
            c.execute(
                "INSERT INTO kept_document (digest, document) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[digest, document],
            )
            .await?;
        }
        Effect::PutTrustList(v) => {
            let sequence = v.sequence as i64;
            let other = c
                .query_opt(
                    "SELECT digest FROM trust_list WHERE sequence = $1 AND digest != $2 LIMIT 1",
                    &[&sequence, &v.digest],
                )
                .await?;
            let other: Option<String> = other.map(|row| row.try_get(0)).transpose()?;
            rules::one_list_per_sequence(other, v.sequence)?;
            c.execute(
                "INSERT INTO trust_list (sequence, digest, installed_at, document) VALUES ($1, $2, $3, $4)
                 ON CONFLICT DO NOTHING",
                &[&sequence, &v.digest, &v.installed_at, &v.document],
            )
            .await?;
        }
        Effect::PutPtRound(r) => {
            let inserted = c
                .execute(
                    "INSERT INTO pt_round (id, provider, definition, defined_at) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (id) DO NOTHING",
                    &[&r.id, &r.provider, &r.definition, &r.defined_at],
                )
                .await?;
            rules::new_round(inserted != 0, &r.id)?;
        }
        Effect::PutPtSubmission { submission, results, replacing } => {
            return put_pt_submission(c, submission, results, *replacing).await;
        }
        Effect::ClosePtRound { id, at, submissions } => {
            still_open(c, id).await?;
            let held: Vec<String> = c
                .query("SELECT digest FROM pt_submission WHERE round = $1 ORDER BY seq", &[id])
                .await?
                .iter()
                .map(|r| r.try_get(0))
                .collect::<Result<_, _>>()?;
            rules::closes_with(id, &held, submissions)?;
            c.execute("UPDATE pt_round SET closed_at = $2 WHERE id = $1", &[id, at]).await?;
        }
        Effect::PutPtReport { id, report: r } => {
            let updated = c
                .execute(
                    "UPDATE pt_round SET report_xml = $2, report_json = $3, report_csv = $4
                     WHERE id = $1 AND closed_at IS NOT NULL AND report_xml IS NULL",
                    &[id, &r.xml, &r.json, &r.csv],
                )
                .await?;
            rules::report_taken(updated != 0, id)?;
        }
        Effect::HoldStatusSlot { issuer, number, slot } => {
            let held = slot_of(c, issuer, number).await?;
            let taken = slot_taken(c, *slot).await?;
            if rules::slot_free(issuer, number, *slot, held, taken)? {
                c.execute(
                    "INSERT INTO status_slot (issuer, number, list, idx) VALUES ($1, $2, $3, $4)",
                    &[issuer, number, &i64::from(slot.list), &i64::from(slot.index)],
                )
                .await?;
            }
        }
        Effect::SupersedeStatusSlot { issuer, number } => {
            c.execute(
                // A slot superseded before, given again by a node of an older build, stays so.
                "INSERT INTO superseded_status_slot (list, idx, issuer, number)
                 SELECT list, idx, issuer, number FROM status_slot WHERE issuer = $1 AND number = $2
                 ON CONFLICT (list, idx) DO NOTHING",
                &[issuer, number],
            )
            .await?;
            c.execute("DELETE FROM status_slot WHERE issuer = $1 AND number = $2", &[issuer, number]).await?;
        }
        Effect::StatusListIs { list, changes } => rules::list_is(*list, *changes, list_changes(c, *list).await?)?,
        Effect::Publish { what, digest } => {
            rules::newly_published(what, published(c, what).await?.as_deref(), digest)?;
            c.execute(
                "INSERT INTO publication (what, digest) VALUES ($1, $2)
                 ON CONFLICT (what) DO UPDATE SET digest = excluded.digest",
                &[what, digest],
            )
            .await?;
        }
        Effect::PutLogTileRoots { first, roots } => {
            let tiles: Vec<i64> = (*first..).zip(roots).map(|(t, _)| t as i64).collect();
            let roots: Vec<&[u8]> = roots.iter().map(|r| &r[..]).collect();
            c.execute(
                "INSERT INTO log_tile (tile, root) SELECT * FROM UNNEST($1::BIGINT[], $2::BYTEA[])
                 ON CONFLICT DO NOTHING",
                &[&tiles, &roots],
            )
            .await?;
        }
    }
    Ok(Vec::new())
}

/// The digests of the newest stored trust list and equivalence table, as this transaction
/// sees them.
/// The registered status and document digest (SHA-256, hex) of every certificate the
/// writes hold to ([`Effect::RegisterAsRead`]), by (issuer, number); absent: not registered.
async fn registers_of(c: &mut Conn, writes: &[Write]) -> Result<HeldAsRead, StoreError> {
    let (mut issuers, mut numbers, mut documents) = (Vec::new(), Vec::new(), Vec::new());
    for read in writes.iter().flat_map(|w| rules::registers_as_read(&w.effects)) {
        issuers.push(read.issuer);
        numbers.push(read.number);
        documents.push(read.document.is_some());
    }
    if issuers.is_empty() {
        return Ok(Default::default());
    }
    // A document is hashed only for a decision that compared facts with it (under the
    // commit lock: most verifications hold to the status alone).
    let rows = c
        .query(
            "SELECT c.issuer, c.number, c.status,
                    CASE WHEN h.document THEN encode(sha256(c.document), 'hex') ELSE '' END
             FROM certificate c
             JOIN (SELECT issuer, number, bool_or(document) AS document
                   FROM unnest($1::text[], $2::text[], $3::bool[]) AS h(issuer, number, document)
                   GROUP BY issuer, number) h
               ON c.issuer = h.issuer AND c.number = h.number",
            &[&issuers, &numbers, &documents],
        )
        .await?;
    let mut held = HeldAsRead::with_capacity(rows.len());
    for row in rows {
        held.insert((row.try_get(0)?, row.try_get(1)?), (row.try_get(2)?, row.try_get(3)?));
    }
    Ok(held)
}

/// What [`registers_of`] reads: (issuer, number) → (status, document digest).
type HeldAsRead = std::collections::HashMap<(String, String), (String, String)>;

/// Whether the register holds what a write's verifications read of it
/// ([`Effect::RegisterAsRead`]), in this transaction: from `read` (this commit's
/// [`registers_of`]) when given, else asked one by one. The inner error is the refusal,
/// the outer one the database's.
async fn registers_held(
    c: &mut Conn,
    read: Option<&HeldAsRead>,
    effects: &[Effect],
) -> Result<Result<(), StoreError>, StoreError> {
    for as_read in rules::registers_as_read(effects) {
        let key = (as_read.issuer.to_string(), as_read.number.to_string());
        let held = match read {
            Some(read) => read.get(&key).cloned(),
            None => {
                let sql = match as_read.document {
                    Some(_) => {
                        "SELECT status, encode(sha256(document), 'hex') FROM certificate WHERE issuer = $1 AND number = $2"
                    }
                    None => "SELECT status, '' FROM certificate WHERE issuer = $1 AND number = $2",
                };
                let row = c.query_opt(sql, &[&key.0, &key.1]).await?;
                row.map(|r| Ok::<_, tokio_postgres::Error>((r.try_get(0)?, r.try_get(1)?))).transpose()?
            }
        };
        if let Err(refused) = rules::register_as_read(as_read, held.as_ref().map(|(s, d)| (s.as_str(), d.as_str()))) {
            return Ok(Err(refused));
        }
    }
    Ok(Ok(()))
}

async fn newest_rules(c: &mut Conn) -> Result<rules::Newest, StoreError> {
    let row = c
        .query_one(
            "SELECT (SELECT digest FROM trust_list ORDER BY sequence DESC LIMIT 1),
                    (SELECT digest FROM equivalence_table ORDER BY sequence DESC LIMIT 1)",
            &[],
        )
        .await?;
    Ok(rules::Newest { trust_list: row.try_get(0)?, table: row.try_get(1)? })
}

/// A conflict unless round `id` is defined and not closed.
fn slot(list: i64, index: i64) -> Result<crate::status_list::Slot, StoreError> {
    match (u32::try_from(list), u32::try_from(index)) {
        (Ok(list), Ok(index)) => Ok(crate::status_list::Slot { list, index }),
        _ => Err(StoreError::Database(format!("stored status-list slot {list}/{index} is out of range"))),
    }
}

async fn published(c: &mut Conn, what: &str) -> Result<Option<String>, StoreError> {
    let row = c.query_opt("SELECT digest FROM publication WHERE what = $1", &[&what]).await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?)
}

async fn slot_of(c: &mut Conn, issuer: &str, number: &str) -> Result<Option<crate::status_list::Slot>, StoreError> {
    let row =
        c.query_opt("SELECT list, idx FROM status_slot WHERE issuer = $1 AND number = $2", &[&issuer, &number]).await?;
    row.map(|r| slot(r.try_get(0)?, r.try_get(1)?)).transpose()
}

async fn slot_taken(c: &mut Conn, s: crate::status_list::Slot) -> Result<bool, StoreError> {
    let row = c
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM status_slot WHERE list = $1 AND idx = $2)
                 OR EXISTS (SELECT 1 FROM superseded_status_slot WHERE list = $1 AND idx = $2)",
            &[&i64::from(s.list), &i64::from(s.index)],
        )
        .await?;
    Ok(row.try_get(0)?)
}

/// What list `$1`'s slots are ([`ListChanges`]): count, latest change, and the sum of
/// changes modulo 2^64 (as text: it is a numeric), from the (list, seq) indexes. A macro,
/// so that the read of a list's changes takes it in whole (statements are `'static`).
macro_rules! list_changes_sql {
    () => {
        "SELECT count(*), COALESCE(max(seq), 0), (COALESCE(sum(seq::numeric), 0) % 18446744073709551616)::text
         FROM (SELECT seq FROM status_slot WHERE list = $1
               UNION ALL SELECT seq FROM superseded_status_slot WHERE list = $1) s"
    };
}
const LIST_CHANGES: &str = list_changes_sql!();

/// The changed slots and what the whole list is, in one statement (one snapshot).
async fn list_of(c: &mut Conn, list: u32, after: Option<u64>) -> Result<(Vec<ListSlot>, ListChanges), StoreError> {
    let after = after.map_or(-1, |a| i64::try_from(a).unwrap_or(i64::MAX));
    const SQL: &str = concat!(
        r#"WITH r AS (
            SELECT s.idx, c.issuer, c.number, c.status, c.recorded_at, c.signer, c.signer_at, s.seq
            FROM status_slot s JOIN certificate c ON c.issuer = s.issuer AND c.number = s.number
            WHERE s.list = $1 AND s.seq > $3
            UNION ALL SELECT idx, NULL, NULL, $2::text COLLATE "C", '', NULL, NULL, seq
            FROM superseded_status_slot WHERE list = $1 AND seq > $3
        ), t AS ("#,
        list_changes_sql!(),
        ") SELECT r.*, t.* FROM t LEFT JOIN r ON true ORDER BY 1, 2, 3"
    );
    let rows = c.query(SQL, &[&i64::from(list), &crate::status_list::SUPERSEDED, &after]).await?;
    let mut changes = ListChanges::default();
    let mut slots = Vec::with_capacity(rows.len());
    for r in &rows {
        changes = list_changes_of(r, 8)?;
        let Some(index) = r.try_get::<_, Option<i64>>(0)? else { continue };
        let issuer: Option<String> = r.try_get(1)?;
        let number: Option<String> = r.try_get(2)?;
        slots.push(ListSlot {
            index: slot(i64::from(list), index)?.index,
            certificate: issuer.zip(number),
            status: r.try_get(3)?,
            recorded_at: r.try_get(4)?,
            signer: RegisteredSigner::of_columns(r.try_get(5)?, r.try_get(6)?),
            seq: r.try_get::<_, i64>(7)?.max(0) as u64,
        });
    }
    Ok((slots, changes))
}

/// [`ListChanges`] from the three columns of [`LIST_CHANGES`] at `at` in `row`.
fn list_changes_of(row: &Row, at: usize) -> Result<ListChanges, StoreError> {
    let sum: String = row.try_get(at + 2)?;
    let sum = sum.parse::<u64>().map_err(|e| StoreError::Database(format!("a list's sum of changes: {e}")))?;
    Ok(ListChanges {
        slots: row.try_get::<_, i64>(at)?.max(0) as u64,
        latest: row.try_get::<_, i64>(at + 1)?.max(0) as u64,
        sum,
    })
}

/// What list `list`'s slots are now ([`ListChanges`]).
async fn list_changes(c: &mut Conn, list: u32) -> Result<ListChanges, StoreError> {
    let row = c.query_one(LIST_CHANGES, &[&i64::from(list)]).await?;
    list_changes_of(&row, 0)
}

async fn still_open(c: &mut Conn, id: &str) -> Result<(), StoreError> {
    let closed: Option<Option<String>> =
        c.query_opt("SELECT closed_at FROM pt_round WHERE id = $1", &[&id]).await?.map(|r| r.try_get(0)).transpose()?;
    rules::still_open(id, closed)
}

fn pt_result(row: &Row) -> Result<PtResultRecord, tokio_postgres::Error> {
    Ok(PtResultRecord {
        measurand: row.try_get(0)?,
        participant: row.try_get(1)?,
        submitter: row.try_get(2)?,
        submission: row.try_get(3)?,
        result: row.try_get(4)?,
    })
}

async fn put_pt_submission(
    c: &mut Conn,
    s: &PtSubmissionRecord,
    results: &[PtResultRecord],
    replacing: bool,
) -> Result<Vec<PtResultRecord>, StoreError> {
    still_open(c, &s.round).await?;
    c.execute(
        "INSERT INTO pt_submission (round, submitter, digest, received, document) VALUES ($1, $2, $3, $4, $5)",
        &[&s.round, &s.submitter, &s.digest, &s.received, &s.document],
    )
    .await?;
    let mut replaced = Vec::new();
    for r in results {
        let previous = c
            .query_opt(
                "SELECT measurand, participant, submitter, submission, result FROM pt_result
                 WHERE round = $1 AND measurand = $2 AND participant = $3",
                &[&s.round, &r.measurand, &r.participant],
            )
            .await?
            .map(|row| pt_result(&row))
            .transpose()?;
        if let Some(p) = previous {
            rules::same_submitter(&p, r)?;
            c.execute(
                "INSERT INTO pt_result_replaced (round, measurand, participant, submitter, submission, result)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[&s.round, &p.measurand, &p.participant, &p.submitter, &p.submission, &p.result],
            )
            .await?;
            replaced.push(p);
        }
        c.execute(
            "INSERT INTO pt_result (round, measurand, participant, submitter, submission, result)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (round, measurand, participant) DO UPDATE SET submission = excluded.submission,
               result = excluded.result",
            &[&s.round, &r.measurand, &r.participant, &r.submitter, &r.submission, &r.result],
        )
        .await?;
    }
    rules::replacing_as_stated(&s.round, !replaced.is_empty(), replacing)?;
    Ok(replaced)
}

fn certificate_record(row: &Row) -> Result<CertificateRecord, tokio_postgres::Error> {
    Ok(CertificateRecord {
        issuer: row.try_get(0)?,
        number: row.try_get(1)?,
        holder_credit_code: row.try_get(2)?,
        origin: row.try_get(3)?,
        status: row.try_get(4)?,
        document: row.try_get(5)?,
        recorded_at: row.try_get(6)?,
        signer: crate::store::RegisteredSigner::of_columns(row.try_get(7)?, row.try_get(8)?),
    })
}

fn table_version(r: &Row) -> Result<TableVersion, StoreError> {
    let sequence: i64 = r.try_get(0)?;
    Ok(TableVersion {
        sequence: u64::try_from(sequence)
            .map_err(|_| StoreError::Database(format!("equivalence-table sequence {sequence} is negative")))?,
        digest: r.try_get(1)?,
        label: r.try_get(2)?,
        installed_at: r.try_get(3)?,
        document: r.try_get(4)?,
    })
}

fn trust_list_version(r: &Row) -> Result<TrustListVersion, StoreError> {
    let sequence: i64 = r.try_get(0)?;
    Ok(TrustListVersion {
        sequence: u64::try_from(sequence)
            .map_err(|_| StoreError::Database(format!("trust-list sequence {sequence} is negative")))?,
        digest: r.try_get(1)?,
        installed_at: r.try_get(2)?,
        document: r.try_get(3)?,
    })
}

fn hash(bytes: &[u8]) -> Option<[u8; 32]> {
    <[u8; 32]>::try_from(bytes).ok()
}

impl Store for PostgresStore {
    fn claim(&self) -> Result<(), StoreError> {
        let own = own_rule_set()?;
        let deciding: i64 = self.pool.run(async |c| {
            // Under the commit lock: a commit of an older node already reading the rule set
            // ends before the claim, and none begins after it. Waited for 10 s at most: a
            // reload (or a start) is not held up by another node's stuck commit for longer.
            c.batch(&format!("BEGIN; SET LOCAL lock_timeout = '10s'; SELECT pg_advisory_xact_lock({COMMIT_LOCK})"))
                .await?;
            let raised = async {
                let raised = c
                    .query_one(
                        "UPDATE deciding_rules SET rule_set = GREATEST(rule_set, $1) RETURNING rule_set",
                        &[&own],
                    )
                    .await?;
                c.batch("COMMIT").await?;
                Ok::<i64, StoreError>(raised.try_get(0)?)
            }
            .await;
            if raised.is_err() {
                rollback(c).await;
            }
            raised
        })?;
        deciding_is_own(deciding)
    }

    fn may_claim(&self) -> Result<(), StoreError> {
        let own = own_rule_set()?;
        let deciding: i64 = self
            .pool
            .run(async |c| Ok(c.query_one("SELECT rule_set FROM deciding_rules", &[]).await?.try_get(0)?))?;
        match deciding > own {
            true => Err(StoreError::RuleSetMoved { store: deciding, node: own }),
            false => Ok(()),
        }
    }

    fn decides_here(&self) -> Result<(), StoreError> {
        deciding_is_own(
            self.pool
                .run(async |c| Ok(c.query_one("SELECT rule_set FROM deciding_rules", &[]).await?.try_get(0)?))?,
        )
    }

    fn commit(&self, writes: &[Write]) -> Result<Vec<Result<Written, StoreError>>, StoreError> {
        let outcomes = match self.commit_once(writes)? {
            Committed::Done(outcomes) => outcomes,
            Committed::Unknown { xid, outcomes, error } => match self.committed(&xid) {
                Ok(true) => outcomes,
                Ok(false) => return Err(error),
                Err(unknown) => return Err(StoreError::Database(format!("{error}; {unknown}"))),
            },
        };
        if let Some(last) = outcomes.iter().rev().find_map(|o| o.as_ref().ok()?.index) {
            // Derived from what committed; failing here fails nothing (the commit that needs
            // the partition makes it, as a last resort).
            let _ = self.partition_ahead(last);
        }
        Ok(outcomes)
    }

    fn certificate(&self, issuer: &str, number: &str) -> Result<Option<CertificateRecord>, StoreError> {
        Ok(self.certificate_view(issuer, number)?.map(|v| v.record.clone()))
    }

    fn certificates_after(
        &self,
        after: Option<(&str, &str)>,
        limit: u32,
    ) -> Result<Vec<CertificateRecord>, StoreError> {
        let (issuer, number) = after.unwrap_or(("", ""));
        let (issuer, number, limit) = (issuer.to_string(), number.to_string(), i64::from(limit));
        self.pool.run(async |c| {
            let rows = c
                .query(
                    "SELECT issuer, number, holder_credit_code, origin, status, document, recorded_at, signer, signer_at FROM certificate
                     WHERE (issuer, number) > ($1, $2) ORDER BY issuer, number LIMIT $3",
                    &[&issuer, &number, &limit],
                )
                .await?;
            Ok(rows.iter().map(certificate_record).collect::<Result<_, _>>()?)
        })
    }

    fn applied_notices(&self) -> Result<Vec<(String, String)>, StoreError> {
        self.pool.run(async |c| {
            let rows = c.query("SELECT issuer, jti FROM notice ORDER BY issuer, jti", &[]).await?;
            Ok(rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect::<Result<_, tokio_postgres::Error>>()?)
        })
    }

    fn exported_documents(&self) -> Result<Vec<super::ExportedDocument>, StoreError> {
        self.pool.run(async |c| {
            let rows = c
                .query("SELECT issuer, number, digest FROM exported_document ORDER BY issuer, number, digest", &[])
                .await?;
            let rows = rows.iter().map(|r| {
                Ok(super::ExportedDocument { issuer: r.try_get(0)?, number: r.try_get(1)?, digest: r.try_get(2)? })
            });
            Ok(rows.collect::<Result<_, tokio_postgres::Error>>()?)
        })
    }

    fn look_alikes(&self, issuer: &str, number: &str) -> Result<Vec<super::LookAlike>, StoreError> {
        self.pool.run(async |c| look_alikes(c, issuer, number).await)
    }

    fn look_alike_words(&self) -> Result<Vec<super::LookAlikeWord>, StoreError> {
        self.pool.run(async |c| look_alike_words(c, None).await)
    }

    fn certificates_by_holder(&self, credit_code: &str) -> Result<Vec<CertificateRecord>, StoreError> {
        self.pool.run(async |c| {
            let rows = c
                .query(
                    "SELECT issuer, number, holder_credit_code, origin, status, document, recorded_at, signer, signer_at FROM certificate
                     WHERE holder_credit_code = $1 ORDER BY issuer, number",
                    &[&credit_code],
                )
                .await?;
            Ok(rows.iter().map(certificate_record).collect::<Result<_, _>>()?)
        })
    }

    fn status_history(&self, issuer: &str, number: &str) -> Result<Vec<StatusEvent>, StoreError> {
        self.pool.run(async |c| history(c, issuer, number).await)
    }

    /// Record and history in one statement, so from one snapshot.
    fn certificate_view(&self, issuer: &str, number: &str) -> Result<Option<Arc<CertificateView>>, StoreError> {
        self.pool.run(async |c| {
            let rows = c
                .query(
                    "SELECT c.issuer, c.number, c.holder_credit_code, c.origin, c.status, c.document, c.recorded_at,
                            c.signer, c.signer_at, e.status, e.since, e.actor, e.reference
                     FROM certificate c
                     LEFT JOIN status_event e ON e.issuer = c.issuer AND e.number = c.number
                     WHERE c.issuer = $1 AND c.number = $2 ORDER BY e.seq",
                    &[&issuer, &number],
                )
                .await?;
            let Some(first) = rows.first() else { return Ok(None) };
            let record = certificate_record(first)?;
            let mut history = Vec::with_capacity(rows.len());
            for r in &rows {
                let status: Option<String> = r.try_get(9)?;
                if let Some(status) = status {
                    history.push(StatusEvent {
                        status,
                        since: r.try_get(10)?,
                        actor: r.try_get(11)?,
                        reference: r.try_get(12)?,
                    });
                }
            }
            Ok(Some(Arc::new(CertificateView { record, history, derived: std::sync::OnceLock::new() })))
        })
    }

    /// Asked of the database every time, remembering nothing: a database restored to an
    /// earlier point, or a replica promoted that had not seen the last exports, under nodes
    /// that keep running, would leave a remembered yes standing for an export no longer
    /// registered (found by review). Nothing here decides from memory anyway.
    fn exported_any(&self, issuer: &str, number: &str, digests: &[String]) -> Result<bool, StoreError> {
        self.pool.run(async |c| {
            let row = c
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM exported_document
                                    WHERE issuer = $1 AND number = $2 AND digest = ANY($3))",
                    &[&issuer, &number, &digests],
                )
                .await?;
            Ok(row.try_get(0)?)
        })
    }

    fn decision(&self, id: &str) -> Result<Option<DecisionRecord>, StoreError> {
        self.pool.run(async |c| {
            let Some(r) = c.query_opt("SELECT kind, json, log_index FROM decision WHERE id = $1", &[&id]).await? else {
                return Ok(None);
            };
            let log_index: Option<i64> = r.try_get(2)?;
            Ok(Some(DecisionRecord {
                kind: r.try_get(0)?,
                json: r.try_get(1)?,
                log_index: log_index.map(|i| i as u64),
            }))
        })
    }

    fn last_decided_index(&self) -> Result<Option<u64>, StoreError> {
        self.pool.run(async |c| {
            let last: Option<i64> = c.query_one("SELECT MAX(log_index) FROM decision", &[]).await?.try_get(0)?;
            Ok(last.map(|i| i as u64))
        })
    }

    fn trust_lists(&self) -> Result<Vec<TrustListVersion>, StoreError> {
        self.pool.run(async |c| {
            c.query(
                "SELECT sequence, digest, installed_at, document FROM trust_list ORDER BY installed_at, sequence",
                &[],
            )
            .await?
            .iter()
            .map(trust_list_version)
            .collect()
        })
    }

    fn trust_list_ids(&self) -> Result<Vec<TrustListVersion>, StoreError> {
        self.pool.run(async |c| {
            c.query(
                "SELECT sequence, digest, installed_at, ''::BYTEA FROM trust_list ORDER BY installed_at, sequence",
                &[],
            )
            .await?
            .iter()
            .map(trust_list_version)
            .collect()
        })
    }

    fn trust_list_of_sequence(&self, sequence: u64) -> Result<Option<TrustListVersion>, StoreError> {
        let sequence = sequence as i64;
        self.pool.run(async |c| {
            c.query_opt(
                "SELECT sequence, digest, installed_at, document FROM trust_list WHERE sequence = $1 LIMIT 1",
                &[&sequence],
            )
            .await?
            .as_ref()
            .map(trust_list_version)
            .transpose()
        })
    }

    fn newest_trust_list(&self) -> Result<Option<TrustListVersion>, StoreError> {
        self.pool.run(async |c| {
            c.query_opt(
                "SELECT sequence, digest, installed_at, document FROM trust_list
                 WHERE sequence = (SELECT MAX(sequence) FROM trust_list) LIMIT 1",
                &[],
            )
            .await?
            .as_ref()
            .map(trust_list_version)
            .transpose()
        })
    }

    fn newest_trust_list_id(&self) -> Result<Option<(u64, String)>, StoreError> {
        self.pool.run(async |c| {
            let Some(row) =
                c.query_opt("SELECT sequence, digest FROM trust_list ORDER BY sequence DESC LIMIT 1", &[]).await?
            else {
                return Ok(None);
            };
            Ok(Some((row.try_get::<_, i64>(0)? as u64, row.try_get(1)?)))
        })
    }

    fn equivalence_tables(&self) -> Result<Vec<TableVersion>, StoreError> {
        self.pool.run(async |c| {
            c.query(
                "SELECT sequence, digest, label, installed_at, document FROM equivalence_table ORDER BY sequence",
                &[],
            )
            .await?
            .iter()
            .map(table_version)
            .collect()
        })
    }

    fn newest_equivalence_table(&self) -> Result<Option<TableVersion>, StoreError> {
        self.pool.run(async |c| {
            c.query_opt(
                "SELECT sequence, digest, label, installed_at, document FROM equivalence_table
                 ORDER BY sequence DESC LIMIT 1",
                &[],
            )
            .await?
            .as_ref()
            .map(table_version)
            .transpose()
        })
    }

    fn newest_equivalence_table_id(&self) -> Result<Option<(u64, String)>, StoreError> {
        self.pool.run(async |c| {
            let Some(row) = c
                .query_opt("SELECT sequence, digest FROM equivalence_table ORDER BY sequence DESC LIMIT 1", &[])
                .await?
            else {
                return Ok(None);
            };
            Ok(Some((row.try_get::<_, i64>(0)? as u64, row.try_get(1)?)))
        })
    }

    fn published(&self, what: &str) -> Result<Option<String>, StoreError> {
        self.pool.run(async |c| published(c, what).await)
    }

    fn status_slot(&self, issuer: &str, number: &str) -> Result<Option<crate::status_list::Slot>, StoreError> {
        self.pool.run(async |c| slot_of(c, issuer, number).await)
    }

    fn status_slot_taken(&self, s: crate::status_list::Slot) -> Result<bool, StoreError> {
        self.pool.run(async |c| slot_taken(c, s).await)
    }

    fn status_slots_held(&self) -> Result<u64, StoreError> {
        self.pool.run(async |c| {
            let n: i64 = c
                .query_one(
                    "SELECT (SELECT count(*) FROM status_slot) + (SELECT count(*) FROM superseded_status_slot)",
                    &[],
                )
                .await?
                .try_get(0)?;
            Ok(n.max(0) as u64)
        })
    }

    fn status_list(&self, list: u32, after: Option<u64>) -> Result<(Vec<ListSlot>, ListChanges), StoreError> {
        self.pool.run(async |c| list_of(c, list, after).await)
    }

    fn kept_document(&self, digest: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.pool.run(async |c| {
            let row = c.query_opt("SELECT document FROM kept_document WHERE digest = $1", &[&digest]).await?;
            Ok(row.map(|r| r.try_get(0)).transpose()?)
        })
    }

    fn shared(&self) -> bool {
        true
    }

    fn pt_round(&self, id: &str) -> Result<Option<PtRoundRecord>, StoreError> {
        self.pool.run(async |c| {
            let Some(row) = c
                .query_opt("SELECT id, provider, definition, defined_at, closed_at FROM pt_round WHERE id = $1", &[&id])
                .await?
            else {
                return Ok(None);
            };
            Ok(Some(PtRoundRecord {
                id: row.try_get(0)?,
                provider: row.try_get(1)?,
                definition: row.try_get(2)?,
                defined_at: row.try_get(3)?,
                closed_at: row.try_get(4)?,
            }))
        })
    }

    fn pt_submissions(&self, round: &str) -> Result<Vec<PtSubmissionRecord>, StoreError> {
        self.pool.run(async |c| {
            let rows = c
                .query(
                    "SELECT round, submitter, digest, received, document FROM pt_submission WHERE round = $1
                     ORDER BY seq",
                    &[&round],
                )
                .await?;
            let submissions = rows.iter().map(|row| {
                Ok::<_, tokio_postgres::Error>(PtSubmissionRecord {
                    round: row.try_get(0)?,
                    submitter: row.try_get(1)?,
                    digest: row.try_get(2)?,
                    received: row.try_get(3)?,
                    document: row.try_get(4)?,
                })
            });
            Ok(submissions.collect::<Result<_, _>>()?)
        })
    }

    fn pt_results(&self, round: &str) -> Result<Vec<PtResultRecord>, StoreError> {
        self.pool.run(async |c| {
            let rows = c
                .query(
                    "SELECT measurand, participant, submitter, submission, result FROM pt_result WHERE round = $1
                     ORDER BY measurand, participant",
                    &[&round],
                )
                .await?;
            Ok(rows.iter().map(pt_result).collect::<Result<_, _>>()?)
        })
    }

    fn pt_replaced(&self, round: &str) -> Result<Vec<PtResultRecord>, StoreError> {
        self.pool.run(async |c| {
            let rows = c
                .query(
                    "SELECT measurand, participant, submitter, submission, result FROM pt_result_replaced
                     WHERE round = $1 ORDER BY seq",
                    &[&round],
                )
                .await?;
            Ok(rows.iter().map(pt_result).collect::<Result<_, _>>()?)
        })
    }

    fn pt_report(&self, id: &str) -> Result<Option<PtReportRecord>, StoreError> {
        self.pool.run(async |c| {
            // A round without its report yet has NULLs here: no report.
            let Some(r) = c
                .query_opt(
                    "SELECT report_xml, report_json, report_csv FROM pt_round WHERE id = $1 AND report_xml IS NOT NULL",
                    &[&id],
                )
                .await?
            else {
                return Ok(None);
            };
            Ok(Some(PtReportRecord { xml: r.try_get(0)?, json: r.try_get(1)?, csv: r.try_get(2)? }))
        })
    }

    fn pt_reported(&self, id: &str) -> Result<bool, StoreError> {
        self.pool.run(async |c| {
            Ok(c.query_one("SELECT EXISTS (SELECT 1 FROM pt_round WHERE id = $1 AND report_xml IS NOT NULL)", &[&id])
                .await?
                .try_get(0)?)
        })
    }

    fn log_entries(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, StoreError> {
        let (start, end) = (start as i64, end as i64);
        self.pool.run(async |c| {
            let rows = c
                .query("SELECT entry FROM log_entry WHERE idx >= $1 AND idx < $2 ORDER BY idx", &[&start, &end])
                .await?;
            Ok(rows.iter().map(|r| r.try_get(0)).collect::<Result<_, _>>()?)
        })
    }

    fn log_size(&self) -> Result<u64, StoreError> {
        self.pool.run(async |c| {
            let size: i64 = c.query_one("SELECT COALESCE(MAX(idx) + 1, 0) FROM log_entry", &[]).await?.try_get(0)?;
            Ok(size as u64)
        })
    }

    fn log_tile_roots(&self) -> Result<Vec<[u8; 32]>, StoreError> {
        self.pool.run(async |c| {
            let rows = c.query("SELECT tile, root FROM log_tile ORDER BY tile", &[]).await?;
            let mut roots = Vec::with_capacity(rows.len());
            for row in rows {
                let (tile, root): (i64, Vec<u8>) = (row.try_get(0)?, row.try_get(1)?);
                // Tiles are stored in order from 0; a gap or a short root is a damaged store.
                let root = hash(&root).filter(|_| tile == roots.len() as i64).ok_or_else(|| {
                    StoreError::Database(format!("log tile {tile}: not the next tile, or not a hash"))
                })?;
                roots.push(root);
            }
            Ok(roots)
        })
    }

    fn log_hash_index_size(&self) -> Result<(u64, Option<[u8; 32]>), StoreError> {
        self.pool.run(async |c| {
            let Some(row) = c.query_opt("SELECT size, last FROM log_leaf_covered WHERE one = 0", &[]).await? else {
                return Ok((0, None));
            };
            let size: i64 = row.try_get(0)?;
            let last: Option<Vec<u8>> = row.try_get(1)?;
            Ok((size as u64, last.as_deref().and_then(hash)))
        })
    }

    fn index_log_leaves(&self, first: u64, leaf_hashes: &[[u8; 32]]) -> Result<(), StoreError> {
        let Some(last) = leaf_hashes.last() else { return Ok(()) };
        // The earliest index of each hash in the batch; rows already stored keep theirs.
        let mut sorted: Vec<(&[u8; 32], u64)> = leaf_hashes.iter().zip(first..).collect();
        sorted.sort();
        sorted.dedup_by_key(|(hash, _)| *hash);
        let hashes: Vec<&[u8]> = sorted.iter().map(|(h, _)| &h[..]).collect();
        let indexes: Vec<i64> = sorted.iter().map(|(_, i)| *i as i64).collect();
        let size = (first + leaf_hashes.len() as u64) as i64;
        self.pool.run(async |c| {
            c.batch("BEGIN").await?;
            let added = async {
                c.execute("INSERT INTO log_leaf_covered (one, size) VALUES (0, 0) ON CONFLICT DO NOTHING", &[]).await?;
                // Locked: two indexers refuse each other's batches rather than interleave.
                let covered: i64 =
                    c.query_one("SELECT size FROM log_leaf_covered WHERE one = 0 FOR UPDATE", &[]).await?.try_get(0)?;
                if covered as u64 != first {
                    return Err(StoreError::Database(format!("the hash index covers {covered} entries, not {first}")));
                }
                c.execute(
                    "INSERT INTO log_leaf (hash, idx) SELECT * FROM UNNEST($1::BYTEA[], $2::BIGINT[])
                     ON CONFLICT DO NOTHING",
                    &[&hashes, &indexes],
                )
                .await?;
                c.execute("UPDATE log_leaf_covered SET size = $1, last = $2 WHERE one = 0", &[&size, &&last[..]])
                    .await?;
                c.batch("COMMIT").await
            }
            .await;
            if added.is_err() {
                rollback(c).await;
            }
            added
        })
    }

    fn reset_log_hash_index(&self) -> Result<(), StoreError> {
        self.pool.run(async |c| c.batch("TRUNCATE log_leaf, log_leaf_covered").await)
    }

    fn log_index_of(&self, leaf_hash: &[u8; 32]) -> Result<Option<u64>, StoreError> {
        self.pool.run(async |c| {
            let row = c.query_opt("SELECT idx FROM log_leaf WHERE hash = $1", &[&&leaf_hash[..]]).await?;
            Ok(row.map(|r| r.try_get::<_, i64>(0)).transpose()?.map(|i| i as u64))
        })
    }
}

#[cfg(test)]
mod tests {
    /// The build's rule set is a whole number, written as the database keeps it: the fence
    /// between builds ([`super::deciding_is_own`]) compares it so.
    #[test]
    fn the_rule_set_reads_as_a_whole_number() {
        let own = super::own_rule_set().expect("a whole number");
        assert_eq!(own.to_string(), crate::decisions::RULE_SET);
    }
}
