//! The stores and the durable log: what is acknowledged survives a restart, status history
//! records every change, concurrent appends are committed in batches with distinct indexes,
//! and a process killed with SIGKILL mid-append loses nothing it acknowledged.
//!
//! One suite for both backends: each test runs its body on every store [`backends`] yields —
//! SQLite in a temporary directory, and a fresh PostgreSQL database when a server is there
//! (`common::pg`; its half skips without one unless `MRGATE_REQUIRE_CORPUS=1`). The few
//! tests of what only the embedded store has (its file lock, its version-1 schema, its
//! hash-index file) say so and run on SQLite alone.

mod common;

use base64::Engine;
use mrgate::ledger::durable::{DurableLog, LogError};
use mrgate::ledger::entry::{Entry, document_digest};
use mrgate::ledger::{merkle, receipt};
use mrgate::store::postgres::PostgresStore;
use mrgate::store::sqlite::SqliteStore;
use mrgate::store::{
    AsRead, CertificateRecord, DecisionRecord, Effect, InMemory, PtReportRecord, PtResultRecord, PtRoundRecord,
    PtSubmissionRecord, StatusEvent, Store, StoreError, TableVersion, TrustListVersion, Write,
};
use ring::signature::{Ed25519KeyPair, KeyPair};
use std::sync::Arc;

/// A store backend for one test: SQLite in a directory of its own, or a PostgreSQL database
/// of its own; removed when dropped.
enum Backend {
    Sqlite(tempfile::TempDir),
    Postgres(common::pg::Database),
}

/// The backends every store test runs on: SQLite, and PostgreSQL when there is a server.
fn backends() -> Vec<Backend> {
    let mut all = vec![Backend::Sqlite(tempfile::tempdir().expect("tmp"))];
    all.extend(common::pg::database().map(Backend::Postgres));
    all
}

impl Backend {
    fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// The SQLite store's file.
    fn path(&self) -> std::path::PathBuf {
        match self {
            Backend::Sqlite(dir) => dir.path().join("mrgate.db"),
            Backend::Postgres(_) => panic!("a PostgreSQL store has no file"),
        }
    }

    fn try_open(&self) -> Result<Arc<dyn Store>, StoreError> {
        Ok(match self {
            Backend::Sqlite(_) => Arc::new(SqliteStore::open(&self.path())?),
            Backend::Postgres(db) => Arc::new(PostgresStore::open(&db.url)?),
        })
    }

    /// Opens the store (again: a store opened before must be dropped first).
    fn open(&self) -> Arc<dyn Store> {
        self.try_open().unwrap_or_else(|e| panic!("{}: open: {e}", self.name()))
    }

    /// Changes the store behind its back with SQLite's `sql`, or the same for PostgreSQL
    /// (BLOB as BYTEA, `x'00'` and `zeroblob(32)` as byte strings).
    fn sql(&self, sql: &str) {
        let postgres = sql
            .replace("AS BLOB", "AS BYTEA")
            .replace("x'00'", "'\\x00'::bytea")
            .replace("zeroblob(32)", "decode(repeat('00', 32), 'hex')");
        self.sql_each(sql, &postgres);
    }

    /// Changes the store behind its back: `sqlite` on SQLite, `postgres` on PostgreSQL.
    fn sql_each(&self, sqlite: &str, postgres: &str) {
        match self {
            Backend::Sqlite(_) => {
                rusqlite::Connection::open(self.path()).expect("conn").execute_batch(sqlite).expect(sqlite)
            }
            Backend::Postgres(db) => {
                // The log's own threads (follower, indexer) read these tables meanwhile; a
                // schema change may then be the one PostgreSQL cancels to break a deadlock.
                // It changed nothing, so it is tried again.
                let mut client = db.client();
                for attempt in 1.. {
                    match client.batch_execute(postgres) {
                        Ok(()) => return,
                        Err(e)
                            if attempt < 5 && e.code() == Some(&::postgres::error::SqlState::T_R_DEADLOCK_DETECTED) => {
                        }
                        Err(e) => panic!("{postgres}: {}", common::pg::message(&e)),
                    }
                }
            }
        }
    }

    /// Changes the log's hash index behind the store's back (SQLite: its own file).
    fn index_sql(&self, sqlite: &str, postgres: &str) {
        match self {
            Backend::Sqlite(_) => rusqlite::Connection::open(self.path().with_extension("hash-index.db"))
                .expect("index")
                .execute_batch(sqlite)
                .expect(sqlite),
            Backend::Postgres(db) => db.client().batch_execute(postgres).expect(postgres),
        }
    }

    /// A count the same SQL reads on either backend.
    fn count(&self, sql: &str) -> i64 {
        match self {
            Backend::Sqlite(_) => {
                rusqlite::Connection::open(self.path()).expect("conn").query_row(sql, [], |r| r.get(0)).expect(sql)
            }
            Backend::Postgres(db) => db.client().query_one(sql, &[]).expect(sql).get(0),
        }
    }

    /// The schema version the store is at.
    fn schema_version(&self) -> i64 {
        match self {
            Backend::Sqlite(_) => self.count("PRAGMA user_version"),
            Backend::Postgres(_) => self.count("SELECT version FROM mrgate_schema"),
        }
    }
}

/// A list's slots as (index, stored status).
fn slots(read: &[mrgate::store::ListSlot]) -> Vec<(u32, String)> {
    read.iter().map(|s| (s.index, s.status.clone())).collect()
}

/// What a list read whole is, as its slots' changes tell it.
fn changes_of(read: &[mrgate::store::ListSlot]) -> mrgate::store::ListChanges {
    read.iter().fold(mrgate::store::ListChanges::default(), |changes, slot| changes.with(slot))
}

/// The slots as a version is made of them, none withheld by the rules.
fn held(read: &[mrgate::store::ListSlot]) -> Vec<mrgate::status_list::Held<'_>> {
    read.iter().map(|s| mrgate::status_list::Held::stored(s.index, &s.status)).collect()
}

fn record(number: &str, status: &str) -> CertificateRecord {
    CertificateRecord {
        issuer: "CNCA-R-2002-001".into(),
        number: number.into(),
        holder_credit_code: Some("91310110666007217T".into()),
        origin: "export".into(),
        status: status.into(),
        document: b"<Certificate/>".to_vec(),
        recorded_at: "2026-11-26T05:00:00Z".into(),
        signer: Some(mrgate::store::RegisteredSigner {
            certificate: format!("{:064x}", number.len()),
            registered_at: "2026-11-26T05:00:00Z".into(),
        }),
    }
}

fn event(status: &str, reference: &str) -> StatusEvent {
    StatusEvent {
        status: status.into(),
        since: "2026-11-26T05:00:00Z".into(),
        actor: "exporter".into(),
        reference: reference.into(),
    }
}

/// The register's numbers of one CB that read as a number (rule set 26), on every backend:
/// what an eye takes for one (O, Q and D for 0, I and L for 1, Z for 2, S for 5, G for 6, B
/// for 8, U for V, separators not counted), never the number itself, nor another CB's, nor a number of other
/// characters; registered with a status alone too. `Effect::NoLookAlike` holds a write to
/// none, inside its transaction: refused with `register.conflict`, nothing of it written.
#[test]
fn the_register_finds_a_cbs_numbers_that_read_as_one() {
    for b in &backends() {
        let store = b.open();
        for number in ["04925Q10021R0M", "A-0001", "Z5/SG8", "UV-1"] {
            store.put_certificate(&record(number, "withdrawn"), &event("withdrawn", "export-1")).expect("put");
        }
        let other_cb = CertificateRecord { issuer: "CNCA-R-2017-049".into(), ..record("A-OOO1", "valid") };
        store.put_certificate(&other_cb, &event("valid", "export-2")).expect("put");
        let numbers = |read: Vec<mrgate::store::LookAlike>| read.into_iter().map(|l| l.number).collect::<Vec<_>>();
        let looks = |number: &str| numbers(store.look_alikes("CNCA-R-2002-001", number).expect("read"));
        for (number, found) in [
            ("O4925Q10021R0M", vec!["04925Q10021R0M"]),
            ("04925010021R0M", vec!["04925Q10021R0M"]),
            ("04925QI0021ROM", vec!["04925Q10021R0M"]),
            ("04925QL0021RDM", vec!["04925Q10021R0M"]),
            ("A-OOO1", vec!["A-0001"]),
            ("A/0001", vec!["A-0001"]),
            ("A-QDOI", vec!["A-0001"]),
            ("25-568", vec!["Z5/SG8"]),
            ("Z5-SGB", vec!["Z5/SG8"]),
            ("VU-I", vec!["UV-1"]),
            // The number itself is no look-alike of itself; other characters are other numbers.
            ("04925Q10021R0M", vec![]),
            ("04925Q10021R0N", vec![]),
            ("A-0002", vec![]),
            ("A-00001", vec![]),
            ("A-0001-2", vec![]),
            // Separators are not counted.
            ("A0001", vec!["A-0001"]),
            ("A--0001", vec!["A-0001"]),
            ("-A/0001/", vec!["A-0001"]),
        ] {
            assert_eq!(looks(number), found, "{number} ({})", b.name());
        }
        // Another CB's numbers are its own.
        let other_cb = store.look_alikes("CNCA-R-2017-049", "A-0001").expect("read");
        let as_held =
            mrgate::store::LookAlike { number: "A-OOO1".into(), origin: "export".into(), status: "valid".into() };
        assert_eq!(other_cb, [as_held], "{}", b.name());
        assert_eq!(numbers(store.look_alikes("CNCA-R-2099-001", "A-0001").expect("read")), Vec::<String>::new());
        // A status alone is a number held too.
        assert_eq!(outcomes(&*store, &[notice("N-100", mrgate::notice::Action::Withdraw, 1, "n-1")]), [Ok(())]);
        assert_eq!(looks("N-1OO"), ["N-100"], "{}", b.name());
        // The hold, inside the write's transaction: refused while a look-alike is held.
        let held = store
            .write(Effect::NoLookAlike { issuer: "CNCA-R-2002-001".into(), number: "A-OOO1".into() })
            .expect_err("a look-alike is held");
        assert_eq!(
            (held.code(), held.to_string().contains("a number of CNCA-R-2002-001 that reads as A-OOO1 was registered")),
            ("register.conflict", true),
            "{held} ({})",
            b.name()
        );
        store
            .write(Effect::NoLookAlike { issuer: "CNCA-R-2002-001".into(), number: "A-0002".into() })
            .expect("no look-alike");
        store
            .write(Effect::NoLookAlike { issuer: "CNCA-R-2002-001".into(), number: "A-0001".into() })
            .expect("the number itself is none");
    }
}

/// `Effect::SuspendLookAlikes` on every backend (rule set 26): a first registration of a
/// number suspends the exporter's word the register holds valid on numbers of its CB that
/// read as it, and restates the suspension of one held suspended (rule set 27) — exactly
/// those, each with the gateway's status event — and is refused
/// (`register.conflict`, nothing written) when they are not the ones the write names.
#[test]
fn a_first_registration_suspends_the_exporters_word_on_its_look_alikes() {
    for b in &backends() {
        let store = b.open();
        let held = |number: &str, origin: &str, status: &str| CertificateRecord {
            origin: origin.into(),
            signer: None,
            ..record(number, status)
        };
        for (number, origin, status) in [
            ("W-0O1", "export-unsigned", "valid"),
            ("W-O01", "export-unsigned", "withdrawn"),
            ("W-00I", "export", "valid"),
            ("W-002", "export-unsigned", "valid"),
            ("W-0OI", "export-unsigned", "suspended"),
        ] {
            store.put_certificate(&held(number, origin, status), &event(status, "export-1")).expect("put");
        }
        // What the gateway's decision makes of a first registration of W-001: the word held
        // valid on W-0O1, and the one held suspended on W-0OI (restated, rule set 27), read
        // as the register holds them now.
        let first = mrgate::decisions::register::first_registration(
            &*store,
            "CNCA-R-2002-001",
            "W-001",
            "export:e-1",
            "2026-12-07T00:00:00Z".into(),
        )
        .expect("read");
        let Effect::SuspendLookAlikes { suspended, event, .. } = &first else { panic!("{first:?}") };
        assert_eq!(suspended, &["W-0O1", "W-0OI"], "{}", b.name());
        let said = (event.status.as_str(), event.actor.as_str(), event.reference.as_str());
        assert_eq!(said, ("suspended", "gateway", "look-alike:export:e-1"));
        let suspend = |suspended: &[&str]| Effect::SuspendLookAlikes {
            issuer: "CNCA-R-2002-001".into(),
            number: "W-001".into(),
            suspended: suspended.iter().map(|n| n.to_string()).collect(),
            event: event.clone(),
        };
        let status = |number: &str| store.certificate("CNCA-R-2002-001", number).expect("read").expect("held").status;
        // A write naming other certificates than the rule gives now — none, as a decision
        // that read the register before the word was registered names — is refused.
        for wrong in [&[][..], &["W-0O1"], &["W-0O1", "W-0OI", "W-O01"], &["W-0O1", "W-0OI", "W-00I"], &["W-002"]] {
            let refused = store.write(suspend(wrong)).expect_err("not the rule's");
            assert_eq!(refused.code(), "register.conflict", "{wrong:?} ({})", b.name());
            assert_eq!(status("W-0O1"), "valid", "{wrong:?}: nothing written ({})", b.name());
        }
        store.write(first.clone()).expect("the rule's");
        let statuses: Vec<String> = ["W-0O1", "W-O01", "W-00I", "W-002", "W-0OI"].iter().map(|n| status(n)).collect();
        assert_eq!(statuses, ["suspended", "withdrawn", "valid", "valid", "suspended"], "{}", b.name());
        for number in ["W-0O1", "W-0OI"] {
            let history = store.status_history("CNCA-R-2002-001", number).expect("history");
            assert_eq!(history.last(), Some(event), "{number} ({})", b.name());
        }
        // Registered again (another look-alike's first registration, a second later): both
        // words, suspended now, are restated — the gateway's last suspension is the later.
        let again = mrgate::decisions::register::first_registration(
            &*store,
            "CNCA-R-2002-001",
            "W-001",
            "export:e-2",
            "2026-12-07T00:00:01Z".into(),
        )
        .expect("read");
        assert!(
            matches!(&again, Effect::SuspendLookAlikes { suspended, .. } if suspended == &["W-0O1", "W-0OI"]),
            "{again:?}"
        );
        store.write(again).expect("both restated");
        // Rule set 27: the body's restoration of a word is admitted only when signed more
        // than the skew after the gateway's last suspension (2026-12-07T00:00:01Z), whatever
        // notice came before; it is then applied. Its suspension of another word is not.
        let suspended_at = 1_796_601_601;
        let restore = |iat: i64, jti: &str| notice("W-0O1", mrgate::notice::Action::Restore, iat, jti);
        let writes =
            [restore(suspended_at - 60, "r-1"), restore(suspended_at, "r-2"), restore(suspended_at + 300, "r-3")];
        assert_eq!(outcomes(&*store, &writes), vec![Err("notice.stale"); 3], "{}", b.name());
        assert_eq!(status("W-0O1"), "suspended", "{}", b.name());
        // So is the word its body had suspended before: its restoration, signed before the
        // gateway restated the suspension (found by attack: no event of the gateway's, and
        // the body's earlier restoration, held back, lifted the suspension).
        let earlier = [notice("W-0OI", mrgate::notice::Action::Restore, suspended_at - 60, "r-6")];
        assert_eq!(outcomes(&*store, &earlier), vec![Err("notice.stale")], "{}", b.name());
        assert_eq!(status("W-0OI"), "suspended", "{}", b.name());
        let writes = [restore(suspended_at + 301, "r-4"), notice("W-002", mrgate::notice::Action::Suspend, 1, "s-1")];
        assert_eq!(outcomes(&*store, &writes), vec![Ok(()), Ok(())], "{}", b.name());
        let writes = [notice("W-002", mrgate::notice::Action::Restore, 2, "r-5")];
        assert_eq!(outcomes(&*store, &writes), vec![Ok(())], "{}", b.name());
        assert_eq!((status("W-0O1"), status("W-002")), ("valid".into(), "valid".into()), "{}", b.name());
    }
}

/// The whole register a page at a time, in (issuer, number) order on every backend, as an
/// audit reads it to hold it to the log; and no notice applied yet.
#[test]
fn the_register_is_read_a_page_at_a_time_in_key_order() {
    for b in &backends() {
        let store = b.open();
        assert_eq!(store.certificates_after(None, 10).expect("empty"), []);
        for number in ["N-3", "N-1", "N-10", "N-2"] {
            store.put_certificate(&record(number, "valid"), &event("valid", "export-1")).expect("put");
        }
        let mut other = record("A-1", "suspended");
        other.issuer = "CNCA-R-2017-049".into();
        store.put_certificate(&other, &event("suspended", "export-2")).expect("put");
        let keys = |page: Vec<CertificateRecord>| {
            page.into_iter().map(|r| format!("{}/{}", r.issuer, r.number)).collect::<Vec<_>>()
        };
        let first = store.certificates_after(None, 2).expect("page");
        assert_eq!(keys(first), ["CNCA-R-2002-001/N-1", "CNCA-R-2002-001/N-10"], "{}", b.name());
        let next = store.certificates_after(Some(("CNCA-R-2002-001", "N-10")), 2).expect("page");
        assert_eq!(keys(next), ["CNCA-R-2002-001/N-2", "CNCA-R-2002-001/N-3"], "{}", b.name());
        let last = store.certificates_after(Some(("CNCA-R-2002-001", "N-3")), 2).expect("page");
        assert_eq!(
            last.iter().map(|r| (r.number.as_str(), r.status.as_str())).collect::<Vec<_>>(),
            [("A-1", "suspended")]
        );
        assert_eq!(store.certificates_after(Some(("CNCA-R-2017-049", "A-1")), 2).expect("page"), []);
        assert_eq!(store.applied_notices().expect("notices"), Vec::<(String, String)>::new());
    }
}

#[test]
fn certificates_status_history_and_restart() {
    for b in &backends() {
        {
            let store = b.open();
            assert!(matches!((b.name(), b.schema_version()), ("sqlite", 14) | ("postgres", 12)));
            store.put_certificate(&record("00124Q38817R2M", "valid"), &event("valid", "export-1")).expect("put");
            // Re-exporting with the same status adds no status event; a change does.
            store.put_certificate(&record("00124Q38817R2M", "valid"), &event("valid", "export-2")).expect("put");
            store.set_status("CNCA-R-2002-001", "00124Q38817R2M", &event("suspended", "notice-1")).expect("suspend");
            store.put_decision("export-1", "export", "{\"ok\":true}").expect("decision");
            assert_eq!(store.newest_trust_list().expect("none yet"), None);
            // Installed out of order: the newest is the highest sequence, not the latest stored.
            for (sequence, digest) in [(1, "ab"), (3, "cd"), (2, "ef")] {
                store
                    .put_trust_list(&TrustListVersion {
                        sequence,
                        digest: digest.into(),
                        installed_at: "2026-01-01T00:00:00Z".into(),
                        document: b"<x/>".to_vec(),
                    })
                    .expect("tl");
            }
            assert_eq!(
                store.set_status("CNCA-R-2002-001", "nope", &event("suspended", "n")).expect_err("unknown").code(),
                "store.not_found"
            );
            // The same list again changes nothing; another list under a stored sequence is refused.
            let version = |digest: &str| TrustListVersion {
                sequence: 3,
                digest: digest.into(),
                installed_at: "2026-02-01T00:00:00Z".into(),
                document: b"<y/>".to_vec(),
            };
            store.put_trust_list(&version("cd")).expect("the same list");
            let e = store.put_trust_list(&version("99")).expect_err("a reused sequence");
            assert_eq!(e.code(), "trust.sequence_reused");
            assert!(e.to_string().contains("sha256:cd") && e.to_string().contains("sequence 3"), "{e}");
        }
        // Reopened: everything acknowledged is there.
        let store = b.open();
        let cert = store.certificate("CNCA-R-2002-001", "00124Q38817R2M").expect("get").expect("found");
        assert_eq!(cert.status, "suspended");
        let history: Vec<(String, String)> = store
            .status_history("CNCA-R-2002-001", "00124Q38817R2M")
            .expect("history")
            .into_iter()
            .map(|e| (e.status, e.reference))
            .collect();
        assert_eq!(
            history,
            [("valid".to_string(), "export-1".to_string()), ("suspended".to_string(), "notice-1".to_string())]
        );
        assert_eq!(store.certificates_by_holder("91310110666007217T").expect("by holder").len(), 1);
        let decision = DecisionRecord { kind: "export".into(), json: "{\"ok\":true}".into(), log_index: None };
        assert_eq!(store.decision("export-1").expect("d"), Some(decision));
        assert_eq!(store.trust_lists().expect("tl").len(), 3);
        // The same list stored again left the first install as it was.
        assert_eq!(
            store.newest_trust_list().expect("tl").map(|v| (v.sequence, v.digest, v.installed_at)),
            Some((3, "cd".into(), "2026-01-01T00:00:00Z".into()))
        );
        assert!(store.certificate("CNCA-R-2002-001", "missing").expect("get").is_none());
    }
}

/// One process per store file: a second open is refused until the first is dropped.
/// (SQLite only: a PostgreSQL database is meant to be shared.)
/// A registration's signer (rule set 23) is written with it, replaced by the next signed
/// registration's, and kept under an unsigned one (an exporter's word, which changes no fact
/// its CB signed): the store keeps the one it holds as it commits, never one a decision read
/// before another's registration landed.
#[test]
fn a_registrations_signer_is_kept_under_an_unsigned_one() {
    for b in &backends() {
        let store = b.open();
        let signed = record("S-1", "valid");
        store.put_certificate(&signed, &event("valid", "export-1")).expect("signed");
        let read = || store.certificate("CNCA-R-2002-001", "S-1").expect("read").expect("held").signer;
        assert_eq!(read(), signed.signer, "{}", b.name());
        let unsigned = CertificateRecord { signer: None, origin: "export-unsigned".into(), ..signed.clone() };
        store.put_certificate(&unsigned, &event("valid", "export-2")).expect("unsigned");
        assert_eq!(read(), signed.signer, "{}: kept", b.name());
        let other = mrgate::store::RegisteredSigner {
            certificate: "ab".repeat(32),
            registered_at: "2026-12-01T00:00:00Z".into(),
        };
        let resigned = CertificateRecord { signer: Some(other.clone()), ..signed.clone() };
        store.put_certificate(&resigned, &event("valid", "export-3")).expect("signed again");
        assert_eq!(read(), Some(other), "{}: replaced", b.name());
    }
}

#[test]
fn a_store_file_has_one_owner() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("mrgate.db");
    let first = SqliteStore::open(&path).expect("open");
    let e = SqliteStore::open(&path).expect_err("second owner");
    assert_eq!(e.code(), "store.database");
    assert!(e.to_string().contains("in use by another mrgate process"), "{e}");
    drop(first);
    SqliteStore::open(&path).expect("free again");
}

#[test]
fn a_newer_schema_is_refused() {
    for b in &backends() {
        drop(b.open());
        b.sql_each("PRAGMA user_version = 99", "UPDATE mrgate_schema SET version = 99");
        let refused = b.try_open().err().expect("newer");
        assert_eq!(refused.code(), "store.schema_too_new", "{}: {refused}", b.name());
        assert!(refused.to_string().contains("version 99"), "{refused}");
    }
}

/// Certificate versions are answered from memory once read (by the embedded store; the
/// PostgreSQL store, which other processes may write, never answers from memory), and a
/// write is never followed by an older answer: readers racing a writer that suspends and
/// restores a certificate see at least every change the writer has had acknowledged.
#[test]
fn a_cached_version_never_outlives_an_acknowledged_write() {
    for b in &backends() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let caches = matches!(b, Backend::Sqlite(_));
        let store = b.open();
        let in_memory = |issuer: &str, number: &str| match store.cached_certificate_view(issuer, number) {
            InMemory::Version(_) => "version",
            InMemory::Absent => "absent",
            InMemory::Unknown => "unknown",
        };
        store.put_certificate(&record("00124Q38817R2M", "valid"), &event("valid", "export-1")).expect("put");
        let (issuer, number) = ("CNCA-R-2002-001", "00124Q38817R2M");
        assert_eq!(in_memory(issuer, number), "unknown", "nothing read yet");
        assert!(store.certificate_view(issuer, "00000000000000").expect("read").is_none());
        assert_eq!(in_memory(issuer, "00000000000000"), if caches { "absent" } else { "unknown" });
        let first = store.certificate_view(issuer, number).expect("read").expect("found");
        if caches {
            let cached = store.cached_certificate_view(issuer, number).version().expect("now in memory");
            assert!(Arc::ptr_eq(&first, &cached));
        } else {
            assert_eq!(in_memory(issuer, number), "unknown", "{}: never from memory", b.name());
        }
        store.set_status(issuer, number, &event("suspended", "notice-1")).expect("suspend");
        assert_eq!(in_memory(issuer, number), "unknown", "forgotten on write");
        // A certificate known to be absent is forgotten as absent when it is first stored.
        store.put_certificate(&record("00000000000000", "valid"), &event("valid", "export-9")).expect("put");
        assert_eq!(
            store.certificate(issuer, "00000000000000").expect("read").map(|r| r.status).as_deref(),
            Some("valid")
        );
        assert_eq!(store.certificate(issuer, number).expect("read").expect("found").status, "suspended");
        // The old version is untouched: whoever holds it holds what it was.
        assert_eq!((first.record.status.as_str(), first.history.len()), ("valid", 1));

        let acknowledged = Arc::new(AtomicUsize::new(2));
        let writer = {
            let (store, acknowledged) = (Arc::clone(&store), Arc::clone(&acknowledged));
            std::thread::spawn(move || {
                for i in 0..300 {
                    let status = if i % 2 == 0 { "valid" } else { "suspended" };
                    store.set_status(issuer, number, &event(status, &format!("notice-{i}"))).expect("write");
                    acknowledged.store(3 + i, Ordering::SeqCst);
                }
            })
        };
        let readers: Vec<_> = (0..3)
            .map(|_| {
                let (store, acknowledged) = (Arc::clone(&store), Arc::clone(&acknowledged));
                std::thread::spawn(move || {
                    let mut reads = 0;
                    while acknowledged.load(Ordering::SeqCst) < 302 {
                        let before = acknowledged.load(Ordering::SeqCst);
                        let view = store.certificate_view(issuer, number).expect("read").expect("found");
                        assert!(
                            view.history.len() >= before,
                            "stale: {} events after {before} acknowledged",
                            view.history.len()
                        );
                        let last = view.history.last().expect("history");
                        assert_eq!(view.record.status, last.status, "record and history from different versions");
                        reads += 1;
                    }
                    reads
                })
            })
            .collect();
        writer.join().expect("writer");
        for r in readers {
            assert!(r.join().expect("reader") > 0);
        }
        let last = store.certificate_view(issuer, number).expect("read").expect("found");
        assert_eq!((last.record.status.as_str(), last.history.len()), ("suspended", 302));
    }
}

/// A store written by schema 1 (certificates, no PT tables, decisions without their log
/// index) is brought up to the newest schema on open, keeping what it held. (SQLite only: no
/// PostgreSQL store was ever at an older schema.)
#[test]
fn a_version_1_store_is_migrated() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("mrgate.db");
    {
        let store = SqliteStore::open(&path).expect("open");
        store.put_certificate(&record("00124Q38817R2M", "valid"), &event("valid", "export-1")).expect("put");
    }
    let conn = rusqlite::Connection::open(&path).expect("conn");
    conn.execute_batch(
        "DROP INDEX certificate_word; DROP INDEX certificate_look_alike; DROP TRIGGER status_slot_certificate_changed; DROP TRIGGER status_slot_held; DROP TRIGGER status_slot_superseded; DROP TABLE status_slot_seq;
         DROP TABLE pt_result_replaced; DROP TABLE pt_result; DROP TABLE pt_submission; DROP TABLE pt_round;
         ALTER TABLE decision DROP COLUMN log_index;
         DROP TABLE log_tile;
         DROP TABLE notice;
         DROP TABLE equivalence_table; DROP TABLE kept_document; DROP TABLE status_slot; DROP INDEX IF EXISTS certificate_status; DROP TABLE publication;
         DROP TRIGGER certificate_status_known_insert; DROP TRIGGER certificate_status_known_update;
         DROP TABLE exported_document; ALTER TABLE certificate DROP COLUMN signer; ALTER TABLE certificate DROP COLUMN signer_at; DROP TABLE superseded_status_slot;
         INSERT INTO decision (id, kind, json) VALUES ('export-1', 'export', '{\"receipt\":{\"index\":0}}');
         PRAGMA user_version = 1;",
    )
    .expect("back to schema 1");
    drop(conn);
    let store = SqliteStore::open(&path).expect("reopen");
    assert_eq!(store.schema_version().expect("v"), 14);
    assert!(store.certificate("CNCA-R-2002-001", "00124Q38817R2M").expect("read").is_some());
    assert_eq!(store.pt_round("R-1").expect("pt tables exist"), None);
    let kept = DecisionRecord { kind: "export".into(), json: r#"{"receipt":{"index":0}}"#.into(), log_index: None };
    assert_eq!(store.decision("export-1").expect("read"), Some(kept));
}

/// The documents an export made are registered with its certificate, by digest, each once,
/// and asked for by digest (memory remembers a yes, never a no); a store made before it kept
/// them registers, as it is upgraded, every export its stored answers hold — and nothing of
/// an answer that is not an export's, or does not read as one.
#[test]
fn exported_documents_are_registered_and_earlier_exports_on_upgrade() {
    let exported = |store: &dyn Store, number: &str| {
        let all = store.exported_documents().expect("read");
        all.into_iter().filter(|d| d.number == number).map(|d| d.digest).collect::<Vec<_>>()
    };
    let any = |store: &dyn Store, number: &str, digests: &[&str]| {
        let digests: Vec<String> = digests.iter().map(|d| d.to_string()).collect();
        store.exported_any("CNCA-R-2002-001", number, &digests).expect("asked")
    };
    let in_memory = |store: &dyn Store, number: &str, digest: &str| {
        store.exported_in_memory("CNCA-R-2002-001", number, &[digest.to_string()])
    };
    let recorded = |store: &dyn Store, number: &str, digests: &[&str]| {
        store
            .write(Effect::RecordExported {
                issuer: "CNCA-R-2002-001".into(),
                number: number.into(),
                digests: digests.iter().map(|d| d.to_string()).collect(),
            })
            .expect("recorded");
    };
    let credential = "eyJhbGciOiJFUzI1NiJ9.eyJ9.c2ln";
    let xml = "<Certificate/>\n";
    for b in &backends() {
        {
            let store = b.open();
            store.put_certificate(&record("N-1", "valid"), &event("valid", "export-1")).expect("put");
            store.put_certificate(&record("N-2", "valid"), &event("valid", "export-2")).expect("put");
            assert_eq!(exported(&*store, "N-1"), Vec::<String>::new(), "{}: none yet", b.name());
            recorded(&*store, "N-1", &["bb", "aa"]);
            recorded(&*store, "N-1", &["aa", "cc"]);
            assert_eq!(exported(&*store, "N-1"), ["aa", "bb", "cc"], "{}", b.name());
            assert_eq!(exported(&*store, "N-2"), Vec::<String>::new(), "{}: another certificate's", b.name());
            // Only the embedded store remembers a yes: one process holds its file and sees every
            // write; a PostgreSQL node may be put on a database restored to before the export.
            let remembered = (b.name() == "sqlite").then_some(true);
            assert_eq!(in_memory(&*store, "N-1", "bb"), None, "{}: not asked yet", b.name());
            assert!(any(&*store, "N-1", &["bb"]), "{}", b.name());
            assert_eq!(in_memory(&*store, "N-1", "bb"), remembered, "{}: a yes remembered", b.name());
            let other_issuer = |digest: &str| store.exported_any("CNCA-R-2002-002", "N-1", &[digest.to_string()]);
            assert!(!other_issuer("bb").expect("asked"), "{}: another issuer's certificate", b.name());
            assert_eq!(store.exported_in_memory("CNCA-R-2002-002", "N-1", &["bb".into()]), None, "{}", b.name());
            assert!(any(&*store, "N-1", &["zz", "cc"]), "{}: any of them", b.name());
            assert!(!any(&*store, "N-1", &["zz", "a", "aaa"]), "{}: none of them", b.name());
            assert_eq!(in_memory(&*store, "N-1", "zz"), None, "{}: a no is not remembered", b.name());
            assert!(!any(&*store, "N-2", &["aa", "bb"]), "{}: another certificate's", b.name());
            assert_eq!(in_memory(&*store, "N-2", "bb"), None, "{}: another certificate's", b.name());
            assert!(!any(&*store, "N-1", &[]), "{}: nothing asked", b.name());
            recorded(&*store, "N-1", &["zz"]);
            assert!(any(&*store, "N-1", &["zz"]), "{}: exported since the no", b.name());
            let answer = serde_json::json!({
                "id": "export-1", "issuer": "CNCA-R-2002-001", "number": "N-2",
                "documents": { "untp-dcc": credential, "iaf-xml": xml },
            });
            store.put_decision("export-1", "export", &answer.to_string()).expect("export");
            let other = serde_json::json!({
                "issuer": "CNCA-R-2002-001", "number": "N-1", "documents": { "untp-dcc": "eyJub3QiOiJhbiBleHBvcnQifQ" },
            });
            store.put_decision("recognition-1", "recognition", &other.to_string()).expect("recognition");
            store.put_decision("export-2", "export", r#"{"issuer":"CNCA-R-2002-001","number":"N-1"}"#).expect("export");
            store.put_decision("export-3", "export", "not json").expect("export");
        }
        // More answers than the upgrade reads at a time.
        b.sql_each(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1200)
             INSERT INTO decision (id, kind, json)
             SELECT printf('export-n3-%04d', i), 'export', json_object('issuer', 'CNCA-R-2002-001', 'number', 'N-3',
                    'documents', json_object('iaf-json', printf('{\"n\":%d}', i))) FROM n;
             DROP INDEX certificate_word; DROP INDEX certificate_look_alike; DROP TRIGGER status_slot_certificate_changed; DROP TRIGGER status_slot_held;
             DROP TRIGGER status_slot_superseded; DROP TABLE status_slot_seq; DROP INDEX status_slot_list_seq; ALTER TABLE status_slot DROP COLUMN seq;
             DROP TABLE exported_document; ALTER TABLE certificate DROP COLUMN signer; ALTER TABLE certificate DROP COLUMN signer_at; DROP TABLE superseded_status_slot; PRAGMA user_version = 8;",
            "INSERT INTO decision (id, kind, json)
             SELECT format('export-n3-%s', lpad(i::text, 4, '0')), 'export', json_build_object('issuer', 'CNCA-R-2002-001',
                    'number', 'N-3', 'documents', json_build_object('iaf-json', format('{\"n\":%s}', i)))::text
             FROM generate_series(1, 1200) i;
             DROP TABLE deciding_rules; DROP INDEX certificate_word; DROP INDEX certificate_look_alike; DROP TRIGGER status_slot_certificate_changed ON certificate;
             DROP FUNCTION status_slot_certificate_changed(); DROP TABLE status_slot_seq; DROP TABLE superseded_status_slot; DROP TRIGGER status_slot_held ON status_slot;
             DROP FUNCTION status_slot_held(); DROP FUNCTION status_slot_next_seq(); ALTER TABLE status_slot DROP COLUMN seq;
             DROP TABLE exported_document; ALTER TABLE certificate DROP COLUMN signer; ALTER TABLE certificate DROP COLUMN signer_at;
             UPDATE mrgate_schema SET version = 5;",
        );
        let store = b.open();
        assert!(matches!((b.name(), b.schema_version()), ("sqlite", 14) | ("postgres", 12)));
        let mut expected = vec![
            document_digest(credential.as_bytes()),
            document_digest(xml.as_bytes()),
            document_digest(xml.trim().as_bytes()),
        ];
        expected.sort();
        assert_eq!(exported(&*store, "N-2"), expected, "{}: the export's answer registered", b.name());
        assert_eq!(exported(&*store, "N-1"), Vec::<String>::new(), "{}: nothing else", b.name());
        assert!(any(&*store, "N-2", &[&document_digest(xml.trim().as_bytes())]), "{}", b.name());
        store.put_certificate(&record("N-3", "valid"), &event("valid", "export-n3-0001")).expect("put");
        let many = exported(&*store, "N-3");
        assert_eq!(many.len(), 1200, "{}: every page", b.name());
        for n in [1, 500, 501, 1200] {
            let digest = document_digest(format!("{{\"n\":{n}}}").as_bytes());
            assert!(many.binary_search(&digest).is_ok(), "{}: {n}", b.name());
            assert!(any(&*store, "N-3", &[&digest]), "{}: {n}", b.name());
        }
    }
}

fn pt_round(id: &str) -> PtRoundRecord {
    PtRoundRecord {
        id: id.into(),
        provider: "dakks".into(),
        definition: b"<RoundDefinition/>".to_vec(),
        defined_at: "2026-11-26T08:00:00Z".into(),
        closed_at: None,
    }
}

fn pt_submission(submitter: &str, digest: &str) -> PtSubmissionRecord {
    PtSubmissionRecord {
        round: "R-1".into(),
        submitter: submitter.into(),
        digest: digest.into(),
        received: "2026-11-26T09:00:00Z".into(),
        document: digest.as_bytes().to_vec(),
    }
}

fn pt_result(participant: &str, submitter: &str, submission: &str, value: &str) -> PtResultRecord {
    PtResultRecord {
        measurand: "Pb".into(),
        participant: participant.into(),
        submitter: submitter.into(),
        submission: submission.into(),
        result: value.into(),
    }
}

/// Rounds, submissions that replace, conflicts that write nothing, closing and the report —
/// all still there after a reopen.
#[test]
fn pt_rounds_submissions_and_reports() {
    for b in &backends() {
        {
            let store = b.open();
            store.put_pt_round(&pt_round("R-1")).expect("define");
            assert_eq!(store.put_pt_round(&pt_round("R-1")).expect_err("twice").code(), "pt.round_exists");
            let first = [pt_result("DE-1", "dakks", "s1", "1"), pt_result("DE-2", "dakks", "s1", "2")];
            assert_eq!(store.put_pt_submission(&pt_submission("dakks", "s1"), &first, false).expect("s1"), vec![]);
            let again = [pt_result("DE-1", "dakks", "s2", "1.5")];
            // A submission whose entry would say it replaces nothing, when it does, is refused whole.
            let untrue = store.put_pt_submission(&pt_submission("dakks", "s2"), &again, false).expect_err("untrue");
            assert_eq!(untrue.code(), "pt.results_changed");
            assert_eq!(store.pt_submissions("R-1").expect("subs").len(), 1);
            let s2 = store.put_pt_submission(&pt_submission("dakks", "s2"), &again, true).expect("s2");
            assert_eq!(s2, vec![first[0].clone()]);
            let untrue = store.put_pt_submission(
                &pt_submission("dakks", "s2b"),
                &[pt_result("DE-4", "dakks", "s2b", "4")],
                true,
            );
            assert_eq!(untrue.expect_err("replaces nothing").code(), "pt.results_changed");
            // UKAS's submission touches a DAkkS participant: none of it is written.
            let grab = [pt_result("GB-1", "ukas", "s3", "3"), pt_result("DE-2", "ukas", "s3", "9")];
            let e = store.put_pt_submission(&pt_submission("ukas", "s3"), &grab, true).expect_err("taken");
            assert_eq!(e.code(), "pt.participant_taken");
            assert_eq!(store.pt_submissions("R-1").expect("subs").len(), 2);
            let unknown = PtSubmissionRecord { round: "R-9".into(), ..pt_submission("dakks", "s4") };
            assert_eq!(store.put_pt_submission(&unknown, &[], false).expect_err("unknown").code(), "pt.round_unknown");

            assert_eq!(store.pt_report("R-1").expect("none yet"), None);
            // A close must name the submissions the round holds, in the order received.
            let held = ["s1", "s2"].map(|d| d.to_string());
            let swapped = [held[1].clone(), held[0].clone()];
            for wrong in [&held[..1], &swapped[..], &[]] {
                let err = store.close_pt_round("R-1", "2026-12-01T00:00:00Z", wrong).expect_err("other submissions");
                assert_eq!(err.code(), "pt.results_changed", "{wrong:?}: {err}");
            }
            assert_eq!(store.pt_round("R-1").expect("round").and_then(|r| r.closed_at), None);
            store.close_pt_round("R-1", "2026-12-01T00:00:00Z", &held).expect("close");
            // A round is closed once: a second close (which would log a second closing) conflicts
            // and keeps the first closing time.
            let again = store.close_pt_round("R-1", "2026-12-02T00:00:00Z", &held).expect_err("closed once");
            assert_eq!(
                (again.code(), again.to_string().contains("closed at 2026-12-01T00:00:00Z")),
                ("pt.round_closed", true),
                "{again}"
            );
            assert_eq!(
                store.close_pt_round("R-9", "2026-12-02T00:00:00Z", &[]).expect_err("no round").code(),
                "pt.round_unknown"
            );
            let late =
                store.put_pt_submission(&pt_submission("dakks", "s5"), &[pt_result("DE-3", "dakks", "s5", "1")], false);
            assert_eq!(late.expect_err("closed").code(), "pt.round_closed");
            let report = PtReportRecord { xml: b"<PerformanceReport/>".to_vec(), json: "{}".into(), csv: "a\n".into() };
            // Closed, not yet reported; no such round, never reported.
            assert_eq!(
                (store.pt_reported("R-1").expect("read"), store.pt_reported("R-9").expect("read")),
                (false, false)
            );
            store.put_pt_report("R-1", &report).expect("report");
            assert!(store.pt_reported("R-1").expect("read"));
            assert_eq!(store.put_pt_report("R-1", &report).expect_err("twice").code(), "pt.round_closed");
            assert_eq!(
                store.close_pt_round("R-1", "2026-12-03T00:00:00Z", &held).expect_err("reported").code(),
                "pt.round_closed"
            );
            assert_eq!(store.put_pt_report("R-2", &report).expect_err("no round").code(), "pt.round_closed");
        }
        let store = b.open();
        let results = store.pt_results("R-1").expect("results");
        assert_eq!(results, vec![pt_result("DE-1", "dakks", "s2", "1.5"), pt_result("DE-2", "dakks", "s1", "2")]);
        assert_eq!(store.pt_replaced("R-1").expect("replaced"), vec![pt_result("DE-1", "dakks", "s1", "1")]);
        assert_eq!(
            store.pt_round("R-1").expect("round").and_then(|r| r.closed_at).as_deref(),
            Some("2026-12-01T00:00:00Z")
        );
        assert_eq!(store.pt_report("R-1").expect("report").map(|r| r.xml), Some(b"<PerformanceReport/>".to_vec()));
    }
}

/// An entry as the durable log hands it to the store.
fn stored_entry(i: usize) -> Vec<u8> {
    log_entry(i).encode().expect("encode")
}

fn log_entry(i: usize) -> Entry {
    Entry {
        kind: "export".into(),
        time: "2026-11-26T05:00:00Z".into(),
        actor: "exporter".into(),
        inputs: vec![document_digest(format!("doc {i}").as_bytes())],
        outputs: vec![],
        rules: Default::default(),
        verdict: "valid".into(),
        reasons: vec![],
    }
}

fn key(seed: &[u8]) -> Ed25519KeyPair {
    Ed25519KeyPair::from_seed_unchecked(seed).expect("key")
}

/// A write stands or falls whole, and only with its entry: in one batch, writes whose
/// effects the store refuses leave neither effects nor entries, and the entries of the others
/// get consecutive indexes in order.
#[test]
fn a_refused_write_leaves_no_entry_and_the_others_commit() {
    for b in &backends() {
        let store = b.open();
        assert_eq!(store.last_decided_index().expect("read"), None, "{}: no decision yet", b.name());
        let entry = |i: usize| Some(stored_entry(i));
        let certificate =
            Effect::PutCertificate { record: record("00124Q38817R2M", "valid"), event: event("valid", "x") };
        let suspend_unknown = Effect::SetStatus {
            issuer: "CNCA-R-2002-001".into(),
            number: "nope".into(),
            event: event("suspended", "notice-1"),
        };
        let decision = |id: &str| Effect::PutDecision { id: id.into(), kind: "export".into(), json: "{}".into() };
        let writes = [
            Write { entry: entry(0), effects: vec![Effect::PutPtRound(pt_round("R-1")), decision("d-0")] },
            // Registers the certificate, then refers to a round that already exists: both undone.
            Write { entry: entry(1), effects: vec![certificate.clone(), Effect::PutPtRound(pt_round("R-1"))] },
            Write { entry: entry(2), effects: vec![] },
            Write { entry: entry(3), effects: vec![suspend_unknown, decision("d-3")] },
            Write { entry: entry(4), effects: vec![decision("d-4")] },
            Write { entry: None, effects: vec![decision("d-none")] },
        ];
        let outcomes = store.commit(&writes).expect("the batch commits");
        let codes: Vec<Result<Option<u64>, &str>> =
            outcomes.iter().map(|o| o.as_ref().map(|w| w.index).map_err(StoreError::code)).collect();
        assert_eq!(
            codes,
            [Ok(Some(0)), Err("pt.round_exists"), Ok(Some(1)), Err("store.not_found"), Ok(Some(2)), Ok(None)]
        );
        let logged: Vec<Vec<u8>> = [0, 2, 4].map(|i| log_entry(i).encode().expect("encode")).into();
        assert_eq!(store.log_entries(0, 10).expect("entries"), logged);
        assert_eq!(store.certificate("CNCA-R-2002-001", "00124Q38817R2M").expect("read"), None);
        assert_eq!(store.decision("d-3").expect("read"), None);
        let index = |id: &str| store.decision(id).expect("read").expect("stored").log_index;
        assert_eq!([index("d-0"), index("d-4"), index("d-none")], [Some(0), Some(2), None]);
        assert_eq!(store.last_decided_index().expect("read"), Some(2), "{}", b.name());

        // The refused write alone, again: it is refused again and the log stays as it was.
        let again = store.commit(&writes[1..2]).expect("commits");
        assert_eq!(again[0].as_ref().map_err(StoreError::code), Err("pt.round_exists"));
        assert_eq!(store.log_size().expect("size"), 3);
    }
}

/// A shared database is decided by one rule set at a time (stop 59's open item: a node of an
/// older build left running beside newer ones went on deciding by the rules they retired).
/// The first build that opens it sets its rule set, and a node claims it for its build's
/// when it starts (raising it, never lowering it); a commit of another rule set's build is
/// refused whole (`store.rule_set`), nothing written, and an older build's claim is refused.
/// Opening it (to read: an older build's audit of its own entries) claims nothing.
#[test]
fn a_postgres_database_is_decided_by_the_rule_set_of_the_newest_build_that_opened_it() {
    let Some(db) = common::pg::database() else { return };
    let own: i64 = mrgate::decisions::RULE_SET.parse().expect("a whole number");
    let deciding =
        || -> i64 { db.client().query_one("SELECT rule_set FROM deciding_rules", &[]).expect("read").get(0) };
    let set = |rule_set: i64| {
        db.client().execute("UPDATE deciding_rules SET rule_set = $1", &[&rule_set]).expect("write");
    };
    let put = |store: &dyn Store, number: &str| store.put_certificate(&record(number, "valid"), &event("valid", "e-1"));
    let held = |store: &dyn Store, number: &str| store.certificate("CNCA-R-2002-001", number).expect("read").is_some();
    let store: Arc<dyn Store> = Arc::new(PostgresStore::open(&db.url).expect("open"));
    assert_eq!(deciding(), own, "the first open sets it");
    put(&*store, "F-1").expect("this build decides it");
    assert_eq!(store.decides_here().map_err(|e| e.code()), Ok(()));
    for other in [own + 1, own - 1] {
        set(other);
        let size = store.log_size().expect("size");
        let writes = [
            Write { entry: Some(stored_entry(size as usize)), effects: vec![] },
            Write {
                entry: None,
                effects: vec![Effect::PutCertificate { record: record("F-2", "valid"), event: event("valid", "e-2") }],
            },
        ];
        let refused = store.commit(&writes).expect_err("fenced off");
        assert_eq!(refused.code(), "store.rule_set", "{other}");
        let said = match other > own {
            true => format!(
                "the store is decided by rule set {other} since a node of that build started on it, and this node by \
                 rule set {own}: nothing is decided here until this node runs a build of rule set {other}"
            ),
            false => format!(
                "the store is decided by rule set {other}, older than this node's ({own}): a node of this build \
                 claims it when it starts, so restart one"
            ),
        };
        assert_eq!(refused.to_string(), said);
        assert_eq!((store.log_size().expect("size"), held(&*store, "F-2")), (size, false), "nothing written");
        assert_eq!(store.decides_here().map_err(|e| e.code()), Err("store.rule_set"), "{other}");
    }
    // A newer build's database: this build opens it to read, and claims it not.
    set(own + 1);
    let reader: Arc<dyn Store> = Arc::new(PostgresStore::open(&db.url).expect("opened to read"));
    assert!(held(&*reader, "F-1"));
    assert_eq!(reader.may_claim().map_err(|e| e.code()), Err("store.rule_set"), "said before a claim");
    assert_eq!(reader.claim().map_err(|e| e.code()), Err("store.rule_set"), "not lowered");
    assert_eq!(deciding(), own + 1, "left as it was");
    drop(reader);
    // An older one's: opened, not claimed; claimed, this build decides again.
    set(own - 1);
    let reopened: Arc<dyn Store> = Arc::new(PostgresStore::open(&db.url).expect("open"));
    assert_eq!(deciding(), own - 1);
    assert_eq!(put(&*reopened, "F-3").map_err(|e| e.code()), Err("store.rule_set"));
    assert_eq!(reopened.may_claim().map_err(|e| e.code()), Ok(()), "an older build's: this one may claim it");
    reopened.claim().expect("claimed");
    assert_eq!(reopened.may_claim().map_err(|e| e.code()), Ok(()), "its own");
    assert_eq!(deciding(), own);
    put(&*store, "F-3").expect("the first store decides again");
    put(&*reopened, "F-4").expect("and the second");
    assert!(held(&*store, "F-3") && held(&*store, "F-4") && held(&*store, "F-1"));
}

/// A commit on PostgreSQL waits for its WAL's flush whatever the server, database or role
/// says (found by review: under `synchronous_commit = off` a COMMIT answered before the
/// disk had it, and a crash would have lost entries already receipted); a stricter setting
/// stands. Seen from inside the commit's transaction, by a trigger on the log's table.
#[test]
fn a_postgres_commit_waits_for_its_flush_whatever_the_setting() {
    let Some(db) = common::pg::database() else { return };
    let b = Backend::Postgres(db);
    drop(b.open());
    b.sql_each(
        "",
        "CREATE TABLE seen (setting TEXT NOT NULL);
         CREATE FUNCTION note_setting() RETURNS trigger LANGUAGE plpgsql AS
           $$ BEGIN INSERT INTO seen VALUES (current_setting('synchronous_commit')); RETURN NEW; END $$;
         CREATE TRIGGER note_setting AFTER INSERT ON log_entry FOR EACH ROW EXECUTE FUNCTION note_setting();",
    );
    let Backend::Postgres(db) = &b else { unreachable!() };
    let name = db.url.rsplit('/').next().expect("database name").to_string();
    for (configured, expected) in [("off", "on"), ("local", "local"), ("remote_apply", "remote_apply"), ("on", "on")] {
        // New connections take the database's setting: a store opened after it.
        b.sql_each("", &format!("ALTER DATABASE {name} SET synchronous_commit = {configured}; DELETE FROM seen;"));
        let store = b.open();
        let size = store.log_size().expect("size");
        store.commit(&[Write { entry: Some(stored_entry(size as usize)), effects: vec![] }]).expect("commits");
        drop(store);
        let seen: Vec<String> =
            db.client().query("SELECT setting FROM seen", &[]).expect("seen").iter().map(|r| r.get(0)).collect();
        assert_eq!(seen, [expected], "synchronous_commit = {configured}");
    }
}

/// A log whose origin other signed-note verifiers would refuse is not opened.
#[test]
fn a_log_origin_must_be_a_signed_note_key_name() {
    for b in &backends() {
        let store = b.open();
        for bad in ["mrgate test log", "a+b", ""] {
            let err = DurableLog::open(bad, key(&[4u8; 32]), Arc::clone(&store)).expect_err(bad);
            assert_eq!(err.code(), "log.checkpoint_malformed", "{bad}: {err}");
        }
        assert_eq!(store.log_size().expect("size"), 0);
    }
}

/// A receipt asked for through the store waits for the tree, but not for ever. An entry
/// written past the log by another writer: on a store only this process writes (SQLite) the
/// tree never reaches it, and asking is an error, not a hang; on a store several gateway
/// nodes share (PostgreSQL) it is another node's entry, and the log follows it into its
/// tree and proves it.
#[test]
fn a_receipt_for_an_entry_written_past_the_log() {
    for b in &backends() {
        let store = b.open();
        let log = DurableLog::open("mrgate.test/log", key(&[4u8; 32]), Arc::clone(&store)).expect("log");
        let index = log.append(&log_entry(0)).expect("append");
        assert_eq!(log.receipt_of_stored(index).expect("in the tree").index, 0);
        let past = Write { entry: Some(stored_entry(1)), effects: vec![] };
        assert_eq!(store.commit(&[past]).expect("commit")[0].as_ref().expect("written").index, Some(1));
        if store.shared() {
            let receipt = log.receipt_of_stored(1).expect("followed");
            assert_eq!((receipt.index, receipt.tree_size), (1, 2));
            assert_eq!(receipt.entry, base64::engine::general_purpose::STANDARD.encode(stored_entry(1)));
            assert_eq!(log.size().expect("size"), 2);
            // The log's next own entry goes after it.
            assert_eq!(log.append(&log_entry(2)).expect("append"), 2);
        } else {
            assert_eq!(log.receipt_of_stored(1).expect_err("never in the tree").code(), "log.index_out_of_range");
            assert_eq!(log.size().expect("size"), 1);
        }
    }
}

/// Through the durable log: of writes racing to define the same round, one is committed
/// with its entry and the rest are refused with nothing logged; the tree the log proves
/// against is the one in the store (a reopened log has the same checkpoint).
#[test]
fn racing_writes_log_only_what_took_effect() {
    for b in &backends() {
        let seed = [3u8; 32];
        let public = key(&seed).public_key().as_ref().to_vec();
        let checkpoint;
        {
            let store = b.open();
            let log = Arc::new(DurableLog::open("mrgate.test/log", key(&seed), store).expect("log"));
            let handles: Vec<_> = (0..16)
                .map(|i| {
                    let log = Arc::clone(&log);
                    std::thread::spawn(move || {
                        let round = Effect::PutPtRound(pt_round(&format!("R-{}", i % 4)));
                        log.commit(&log_entry(i), vec![round]).map(|(receipt, _)| receipt).map_err(|e| e.code())
                    })
                })
                .collect();
            let outcomes: Vec<_> = handles.into_iter().map(|h| h.join().expect("thread")).collect();
            let committed: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
            assert_eq!(committed.len(), 4, "{outcomes:?}");
            assert!(outcomes.iter().filter_map(|o| o.as_ref().err()).all(|code| *code == "pt.round_exists"));
            let mut indexes: Vec<u64> = committed.iter().map(|r| r.index).collect();
            indexes.sort_unstable();
            assert_eq!(indexes, [0, 1, 2, 3]);
            for r in &committed {
                receipt::verify(&log.receipt(r.index).expect("receipt"), &public, None).expect("receipt verifies");
            }
            assert_eq!(log.size().expect("size"), 4);
            checkpoint = log.checkpoint().expect("cp");
        }
        let store = b.open();
        let log = DurableLog::open("mrgate.test/log", key(&seed), store).expect("log");
        let reopened = log.checkpoint().expect("cp");
        // The signed notes differ only in their signatures' randomness, never in size or root.
        assert_eq!(reopened.lines().take(3).collect::<Vec<_>>(), checkpoint.lines().take(3).collect::<Vec<_>>());
    }
}

#[test]
fn concurrent_appends_are_batched_durable_and_provable() {
    for b in &backends() {
        let seed = [7u8; 32];
        let public = key(&seed).public_key().as_ref().to_vec();
        let first_checkpoint;
        {
            let store = b.open();
            let log = Arc::new(DurableLog::open("mrgate.test/log", key(&seed), store).expect("log"));
            log.append(&log_entry(0)).expect("first");
            first_checkpoint = log.checkpoint().expect("cp");
            let handles: Vec<_> = (0..8)
                .map(|t| {
                    let log = Arc::clone(&log);
                    std::thread::spawn(move || {
                        (0..100).map(|i| log.append(&log_entry(1 + t * 100 + i)).expect("append")).collect::<Vec<u64>>()
                    })
                })
                .collect();
            let mut indexes: Vec<u64> = handles.into_iter().flat_map(|h| h.join().expect("thread")).collect();
            indexes.sort_unstable();
            assert_eq!(indexes, (1..=800).collect::<Vec<u64>>());
            let r = log.receipt(417).expect("receipt");
            receipt::verify(&r, &public, None).expect("receipt verifies");
        }
        // Restarted: same size, and the new checkpoint is consistent with the first one.
        let store = b.open();
        let log = DurableLog::open("mrgate.test/log", key(&seed), store).expect("log");
        assert_eq!(log.size().expect("size"), 801);
        let proof = log.consistency(1, 801).expect("proof");
        receipt::verify_consistency(&first_checkpoint, &log.checkpoint().expect("cp"), &proof, &public)
            .expect("consistent");
    }
}

/// Appends entries `[from, to)` from 8 threads; returns once all are committed.
fn append_many(log: &Arc<DurableLog>, from: usize, to: usize) {
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let log = Arc::clone(log);
            std::thread::spawn(move || {
                for i in (from + t..to).step_by(8) {
                    log.append(&log_entry(i)).expect("append");
                }
            })
        })
        .collect();
    handles.into_iter().for_each(|h| h.join().expect("thread"));
}

/// The entries of a log, in order, as a tree that holds every hash (the reference).
fn whole_tree(store: &dyn Store) -> merkle::Tree {
    let mut tree = merkle::Tree::new();
    for entry in store.log_entries(0, store.log_size().expect("size")).expect("entries") {
        tree.append(&entry);
    }
    tree
}

/// After a restart the tree is rebuilt from the stored tile roots and holds no old tile;
/// receipts and consistency proofs about old entries are then answered from tiles read back
/// from the store, exactly as the whole tree answers them, and look-ups by hash find the
/// first entry with that hash.
#[test]
fn a_restarted_log_proves_old_entries_from_its_stored_tiles() {
    for b in &backends() {
        let seed = [9u8; 32];
        let public = key(&seed).public_key().as_ref().to_vec();
        {
            let store = b.open();
            let log = Arc::new(DurableLog::open("mrgate.test/log", key(&seed), Arc::clone(&store)).expect("log"));
            append_many(&log, 0, 1000);
            // The same entry again: look-ups by its hash still find the first.
            log.append(&log_entry(5)).expect("repeat");
            // Roots of tiles completed by earlier commits went with later ones.
            assert_eq!(store.log_tile_roots().expect("roots").len(), 3);
        }
        let (store, log) = reopened(b);
        let whole = whole_tree(&*store);
        let size = 1001;
        assert_eq!(log.size().expect("size"), size);
        for index in [0, 5, 255, 256, 511, 767, 768, 999, 1000] {
            let r = log.receipt(index).expect("receipt");
            receipt::verify(&r, &public, None).expect("receipt verifies");
            let expected: Vec<String> = whole.inclusion_proof(index, size).expect("proof").iter().map(b64).collect();
            assert_eq!((r.index, r.tree_size, r.hashes), (index, size, expected), "receipt {index}");
        }
        for from in [1, 5, 256, 300, 768, 999] {
            let proof = log.consistency(from, size).expect("consistency");
            let expected: Vec<String> = whole.consistency_proof(from, size).expect("proof").iter().map(b64).collect();
            assert_eq!(proof.hashes, expected, "{from} -> {size}");
        }
        // Appended from 8 threads, entries are stored in no set order: find each one's first.
        let entries = store.log_entries(0, size).expect("entries");
        for i in [5, 999, 1000] {
            let bytes = log_entry(i).encode().expect("encode");
            let first = entries.iter().position(|e| *e == bytes).map(|p| p as u64);
            assert_eq!(log.index_of(&merkle::leaf_hash(&bytes)).expect("look-up"), first, "entry {i}");
        }
        // The repeat of entry 5 came last: the look-up found the first.
        assert_eq!(entries.last(), Some(&log_entry(5).encode().expect("encode")));
    }
}

fn b64(hash: &merkle::Hash) -> String {
    base64::engine::general_purpose::STANDARD.encode(hash)
}

/// Builds a closed log of 1000 entries on each backend, then lets `damage` (SQLite's SQL,
/// see [`Backend::sql`]) change it.
fn damaged_logs(damage: &str) -> Vec<Backend> {
    backends().into_iter().map(|b| damaged(b, damage)).collect()
}

/// [`damaged_logs`] on one backend.
fn damaged(b: Backend, damage: &str) -> Backend {
    {
        let log = Arc::new(DurableLog::open("mrgate.test/log", key(&[9u8; 32]), b.open()).expect("log"));
        append_many(&log, 0, 1000);
    }
    b.sql(damage);
    b
}

/// The store opened again, and its log.
fn reopened(b: &Backend) -> (Arc<dyn Store>, DurableLog) {
    let store = b.open();
    let log = DurableLog::open("mrgate.test/log", key(&[9u8; 32]), Arc::clone(&store)).expect("log");
    (store, log)
}

/// Why the log of the store refuses to open (`expected` says what should).
fn refused_on_start(b: &Backend, expected: &str) -> LogError {
    DurableLog::open("mrgate.test/log", key(&[9u8; 32]), b.open()).expect_err(expected)
}

/// An old entry changed in the store is caught when its tile is read back, and refused,
/// not proved; the other tiles still answer. Changed in the last stored tile, it is caught
/// on start.
#[test]
fn a_changed_stored_entry_is_refused_when_its_tile_is_read() {
    for b in &damaged_logs("UPDATE log_entry SET entry = CAST('changed' AS BLOB) WHERE idx = 10;") {
        let (store, log) = reopened(b);
        assert_eq!(log.receipt(10).expect_err("tile 0 changed").code(), "log.tile_mismatch");
        assert_eq!(log.receipt(200).expect_err("tile 0 changed").code(), "log.tile_mismatch");
        assert_eq!(log.consistency(11, 1000).expect_err("tile 0 changed").code(), "log.tile_mismatch");
        assert_eq!(log.receipt(300).expect("tile 1 is whole").index, 300);
        // Nor is it read out as the log's entry, alone or among others of its tile (found by
        // attack: `/v1/log/entries` served it); entries of other tiles are.
        for (start, end) in [(10, 11), (0, 256), (250, 300)] {
            assert_eq!(log.entries(start, end).expect_err("tile 0 changed").code(), "log.tile_mismatch");
        }
        let whole = log.entries(256, 530).expect("tiles 1 and 2");
        assert_eq!((whole.len(), whole), (274, store.log_entries(256, 530).expect("stored")));
        assert_eq!(log.entries(999, 1001).expect_err("past the log").code(), "log.index_out_of_range");
    }
    for b in &damaged_logs("UPDATE log_entry SET entry = CAST('changed' AS BLOB) WHERE idx = 600;") {
        let refused = refused_on_start(b, "last tile changed");
        assert_eq!(refused.code(), "log.tile_mismatch");
    }
}

/// A tile read back and checked is kept: later answers that need it do not read the store
/// again. Shown by changing the store under it: the kept tile still answers exactly as the
/// whole tree does (its hashes were checked against the tree), a tile not yet read is read
/// and its change caught, and a receipt, which reads its entry's bytes, is still refused.
#[test]
fn old_tiles_read_back_are_kept_for_later_answers() {
    for b in &damaged_logs("SELECT 1;") {
        let (store, log) = reopened(b);
        let whole = whole_tree(&*store);
        let expected: Vec<String> = whole.consistency_proof(11, 1000).expect("proof").iter().map(b64).collect();
        assert_eq!(log.consistency(11, 1000).expect("tile 0 read").hashes, expected);
        b.sql("UPDATE log_entry SET entry = CAST('changed' AS BLOB) WHERE idx IN (10, 300);");
        assert_eq!(log.consistency(11, 1000).expect("tile 0 kept").hashes, expected);
        assert_eq!(log.consistency(301, 1000).expect_err("tile 1 read").code(), "log.tile_mismatch");
        assert_eq!(log.receipt(10).expect_err("entry 10 read").code(), "log.tile_mismatch");
        assert_eq!(log.receipt(20).expect("entry 20 is whole").index, 20);
    }
}

/// A recent entry's receipt, whose tree hashes are all in memory, still reads the entry's
/// bytes from the store: changed there, the receipt is refused, not given with other bytes.
#[test]
fn a_changed_recent_entry_gets_no_receipt() {
    for b in &backends() {
        let log = DurableLog::open("mrgate.test/log", key(&[9u8; 32]), b.open()).expect("log");
        for i in 0..3 {
            log.append(&log_entry(i)).expect("append");
        }
        b.sql("UPDATE log_entry SET entry = CAST('changed' AS BLOB) WHERE idx = 1;");
        assert_eq!(log.receipt(1).expect_err("changed").code(), "log.tile_mismatch");
        assert_eq!(log.receipt(2).expect("unchanged").index, 2);
        assert_eq!(log.entries(0, 3).expect_err("changed").code(), "log.tile_mismatch");
        assert_eq!(log.entries(2, 3).expect("unchanged").len(), 1);
    }
}

/// A hash index that names another entry for a hash is not believed: the look-up is
/// refused (503), never answered with that entry.
#[test]
fn a_hash_index_that_disagrees_with_the_log_is_not_believed() {
    for b in &damaged_logs("SELECT 1;") {
        let shift = "UPDATE leaf SET idx = (idx + 1) % 1000;";
        b.index_sql(shift, &shift.replace("leaf", "log_leaf"));
        let (store, log) = reopened(b);
        let first = store.log_entries(0, 1).expect("entry").remove(0);
        let refused = log.index_of(&merkle::leaf_hash(&first)).expect_err("index disagrees");
        assert_eq!(
            (refused.code(), refused.to_string()),
            ("log.unavailable", "the log is unavailable: the hash index disagrees with the log".into())
        );
    }
}

/// Tile roots that do not fit the entries are refused on start, with what is wrong.
#[test]
fn tile_roots_that_do_not_fit_the_entries_are_refused_on_start() {
    let cases = [
        ("DELETE FROM log_tile WHERE tile = 1;", "log tile 2: not the next tile, or not a hash"),
        ("UPDATE log_tile SET root = x'00' WHERE tile = 0;", "log tile 0: not the next tile, or not a hash"),
        (
            "INSERT INTO log_tile VALUES (3, zeroblob(32)), (4, zeroblob(32));",
            "holds 5 tile roots but only 1000 entries",
        ),
        ("DELETE FROM log_entry WHERE idx = 700;", "missing log entries in [512, 768)"),
    ];
    for (damage, why) in cases {
        for b in &damaged_logs(damage) {
            let refused = refused_on_start(b, damage);
            assert!(refused.to_string().contains(why), "{}: {damage}: {refused}", b.name());
        }
    }
}

/// A log stored before tile roots and the hash index were kept (or whose index was lost,
/// or belongs to another copy of the store): it opens, its index is built again, and
/// look-ups by hash then find old entries; the next commit stores the tile roots.
#[test]
fn a_log_without_tile_roots_or_hash_index_is_filled_in() {
    for damage in ["DELETE FROM log_tile;", "DELETE FROM log_tile; DELETE FROM log_entry WHERE idx >= 990;"] {
        for b in &damaged_logs(damage) {
            if damage.contains("log_entry") {
                // The index now covers entries the store no longer has: it is another log's.
            } else {
                match b {
                    Backend::Sqlite(_) => {
                        std::fs::remove_file(b.path().with_extension("hash-index.db")).expect("index file")
                    }
                    Backend::Postgres(_) => b.index_sql("", "TRUNCATE log_leaf, log_leaf_covered"),
                }
            }
            let (store, log) = reopened(b);
            let size = log.size().expect("size");
            assert_eq!(store.log_tile_roots().expect("roots").len(), 0, "{damage}");
            let entries = store.log_entries(0, size).expect("entries");
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while store.log_hash_index_size().expect("index").0 < size {
                assert!(std::time::Instant::now() < deadline, "{damage}: the index was not rebuilt");
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            for index in [0, 42, size - 1] {
                let leaf = merkle::leaf_hash(&entries[index as usize]);
                assert_eq!(log.index_of(&leaf).expect("look-up"), Some(index), "{damage}: entry {index}");
            }
            log.append(&log_entry(1000)).expect("append");
            let whole = whole_tree(&*store);
            let roots: Vec<merkle::Hash> =
                (0..whole.complete_tiles()).map(|t| whole.tile_root(t).expect("root")).collect();
            assert_eq!(store.log_tile_roots().expect("roots"), roots, "{damage}");
        }
    }
}

/// An index file that is not a database at all is started again. (SQLite only: the file.)
#[test]
fn an_unreadable_hash_index_file_is_started_again() {
    let b = damaged(Backend::Sqlite(tempfile::tempdir().expect("tmp")), "SELECT 1;");
    std::fs::write(b.path().with_extension("hash-index.db"), b"not a database, not even close to one....")
        .expect("write");
    let store = b.open();
    assert_eq!(store.log_hash_index_size().expect("index"), (0, None));
    let log = DurableLog::open("mrgate.test/log", key(&[9u8; 32]), Arc::clone(&store)).expect("log");
    let first = store.log_entries(0, 1).expect("entry").remove(0);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while store.log_hash_index_size().expect("index").0 < 1000 {
        assert!(std::time::Instant::now() < deadline, "the index was not rebuilt");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(log.index_of(&merkle::leaf_hash(&first)).expect("look-up"), Some(0));
}

#[test]
fn appends_within_one_commit_interval_share_one_commit() {
    for b in &backends() {
        let store = b.open();
        let interval = std::time::Duration::from_secs(1);
        let log =
            Arc::new(DurableLog::open_with_interval("mrgate.test/log", key(&[9u8; 32]), store, interval).expect("log"));
        // The log was idle: the first append is committed at once, alone.
        assert_eq!(log.append(&log_entry(0)).expect("first"), 0);
        assert_eq!(log.commits(), 1);
        // These arrive well within the interval that began with that commit, so they wait for
        // its end and are committed together.
        let handles: Vec<_> = (1..=40)
            .map(|i| {
                let log = Arc::clone(&log);
                std::thread::spawn(move || log.append(&log_entry(i)).expect("append"))
            })
            .collect();
        let mut indexes: Vec<u64> = handles.into_iter().map(|h| h.join().expect("thread")).collect();
        indexes.sort_unstable();
        assert_eq!(indexes, (1..=40).collect::<Vec<u64>>());
        assert_eq!(log.commits(), 2);
        assert_eq!(log.size().expect("size"), 41);
    }
}

#[test]
fn a_failed_commit_leaves_nothing_behind_and_is_not_counted() {
    for b in &backends() {
        let store = b.open();
        let interval = std::time::Duration::from_secs(1);
        let log =
            Arc::new(DurableLog::open_with_interval("mrgate.test/log", key(&[5u8; 32]), store, interval).expect("log"));
        assert_eq!(log.append(&log_entry(0)).expect("first"), 0);
        // The database refuses the batch's second row, after it has written the first.
        b.sql_each(
            "CREATE TRIGGER refuse_second BEFORE INSERT ON log_entry WHEN NEW.idx = 2 \
         BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;",
            "CREATE FUNCTION refuse_second() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN IF NEW.idx = 2 THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$; \
         CREATE TRIGGER refuse_second BEFORE INSERT ON log_entry FOR EACH ROW EXECUTE FUNCTION refuse_second();",
        );
        let handles: Vec<_> = (1..=2)
            .map(|i| {
                let log = Arc::clone(&log);
                std::thread::spawn(move || log.append(&log_entry(i)))
            })
            .collect();
        for h in handles {
            let err = h.join().expect("thread").expect_err("the batch failed");
            assert_eq!(err.code(), "store.database", "{err}");
        }
        assert_eq!((log.commits(), log.size().expect("size")), (1, 1));
        b.sql_each("DROP TRIGGER refuse_second", "DROP TRIGGER refuse_second ON log_entry");
        // Row 1 of the failed batch was rolled back: the next entry takes its index.
        assert_eq!(log.append(&log_entry(3)).expect("after"), 1);
        assert_eq!((log.commits(), log.size().expect("size")), (2, 2));
        assert_eq!(b.count("SELECT COUNT(*) FROM log_entry"), 2);
    }
}

#[test]
fn sigkill_during_concurrent_appends_loses_nothing_acknowledged() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    for b in &backends() {
        let dir = tempfile::tempdir().expect("tmp");
        let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/certs/demo");
        let mut torture = Command::new(env!("CARGO_BIN_EXE_mrgate"));
        match b {
            Backend::Sqlite(dir) => torture.args(["log", "torture", "--data-dir"]).arg(dir.path()),
            Backend::Postgres(db) => {
                torture.args(["log", "torture", "--store-url", &db.url, "--data-dir"]).arg(dir.path())
            }
        };
        let mut child = torture
            .args(["--log-key", &format!("{demo}/log.key"), "--threads", "8", "--count", "100000"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn");
        let stdout = child.stdout.take().expect("stdout");
        let mut acknowledged = Vec::new();
        let mut last_checkpoint = String::new();
        let mut lines = BufReader::new(stdout).lines();
        // Read acknowledgements for a while, then kill the process mid-flight.
        while let Some(Ok(line)) = lines.next() {
            if let Some(i) = line.strip_prefix("ack ") {
                acknowledged.push(i.parse::<u64>().expect("index"));
            } else if let Some(cp) = line.strip_prefix("checkpoint ") {
                last_checkpoint = cp.replace("\\n", "\n");
            }
            if acknowledged.len() >= 3000 {
                break;
            }
        }
        child.kill().expect("SIGKILL");
        let _ = child.wait();
        assert!(acknowledged.len() >= 3000 && !last_checkpoint.is_empty());

        let pkcs8 =
            rustls_pki_types::pem::PemObject::from_pem_slice(&std::fs::read(format!("{demo}/log.key")).expect("key"))
                .map(|k: rustls_pki_types::PrivatePkcs8KeyDer<'_>| k.secret_pkcs8_der().to_vec())
                .expect("pkcs8");
        let log_key = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&pkcs8).expect("key");
        let public = log_key.public_key().as_ref().to_vec();
        let log = DurableLog::open("mrgate.test/torture-log", log_key, b.open()).expect("log");
        let size = log.size().expect("size");
        assert!(acknowledged.iter().all(|i| *i < size), "an acknowledged entry is missing (size {size})");
        let (old, _) = mrgate::ledger::checkpoint::Checkpoint::verify(&last_checkpoint, &public).expect("checkpoint");
        let proof = log.consistency(old.size, size).expect("proof");
        receipt::verify_consistency(&last_checkpoint, &log.checkpoint().expect("cp"), &proof, &public)
            .expect("the log after the crash extends the last published checkpoint");
    }
}

/// A notice's write, as the gateway makes it: the body that sent it, its `iat` and `jti`.
fn notice(number: &str, action: mrgate::notice::Action, iat: i64, jti: &str) -> Write {
    let notice = mrgate::store::NoticeRecord {
        issuer: "CNCA-R-2002-001".into(),
        number: number.into(),
        action,
        iat,
        jti: jti.into(),
    };
    let event = event(action.target().as_str(), &format!("notice-{jti}"));
    let at = "2026-05-01T00:00:00Z".into();
    Write { entry: None, effects: vec![Effect::ApplyNotice { body: "cnas".into(), notice, event, at }] }
}

/// What each write of one commit came to: `Ok` or its reason code.
fn outcomes(store: &dyn Store, writes: &[Write]) -> Vec<Result<(), &'static str>> {
    let done = store.commit(writes).expect("the transaction");
    done.into_iter().map(|o| o.map(drop).map_err(|e| e.code())).collect()
}

/// The store admits a notice against the register as it is inside the transaction
/// (`mrgate::notice::admit`), so replays, stale and disallowed changes are refused even
/// when they race within one commit.
#[test]
fn notices_are_admitted_inside_the_transaction() {
    use mrgate::notice::Action::{Cancel, Restore, Suspend, Withdraw};
    for b in &backends() {
        let store = b.open();
        let store = &*store;
        store.put_certificate(&record("N-1", "valid"), &event("valid", "export-1")).expect("put");
        let status = || store.certificate("CNCA-R-2002-001", "N-1").expect("read").expect("held").status;
        assert_eq!(outcomes(store, &[notice("N-1", Suspend, 10, "a")]), [Ok(())]);
        assert_eq!(status(), "suspended");
        let refused = [
            (notice("N-1", Suspend, 10, "a"), "notice.replayed"),
            (notice("N-1", Restore, 11, "a"), "notice.replayed"),
            (notice("N-1", Restore, 10, "b"), "notice.stale"),
            (notice("N-1", Restore, 9, "b"), "notice.stale"),
        ];
        for (write, code) in refused {
            assert_eq!(outcomes(store, std::slice::from_ref(&write)), [Err(code)]);
        }
        assert_eq!(status(), "suspended");
        // A suspension restated is the body's word again (rule set 22): applied, and a
        // restoration issued before it is stale.
        assert_eq!(outcomes(store, &[notice("N-1", Suspend, 11, "b")]), [Ok(())]);
        assert_eq!(outcomes(store, &[notice("N-1", Restore, 11, "b2")]), [Err("notice.stale")]);
        assert_eq!(status(), "suspended");
        // Two notices in one commit: the second sees the first.
        assert_eq!(
            outcomes(store, &[notice("N-1", Restore, 12, "c"), notice("N-1", Restore, 13, "d")]),
            [Ok(()), Err("notice.transition")]
        );
        assert_eq!(outcomes(store, &[notice("N-1", Withdraw, 14, "e")]), [Ok(())]);
        for (i, action) in [Restore, Suspend, Cancel, Withdraw].into_iter().enumerate() {
            let write = notice("N-1", action, 20 + i as i64, &format!("f{i}"));
            assert_eq!(outcomes(store, &[write]), [Err("notice.transition")], "{action:?} after withdraw");
        }
        let history: Vec<String> =
            store.status_history("CNCA-R-2002-001", "N-1").expect("history").into_iter().map(|e| e.status).collect();
        assert_eq!(history, ["valid", "suspended", "suspended", "valid", "withdrawn"]);
    }
}

/// A notice for a certificate the register does not hold is admitted against a certificate
/// in force with no notice applied (`Register::unheld`), and registers its status alone:
/// no document, origin `notice`, as of the decision's time. Then the notices after it are
/// admitted against that record as against any other; a restore finds nothing suspended,
/// and a jti the body used on another certificate is a replay.
#[test]
fn a_notice_registers_the_status_of_a_certificate_never_recorded() {
    use mrgate::notice::Action::{Restore, Suspend, Withdraw};
    for b in &backends() {
        let store = b.open();
        let store = &*store;
        let read = |number: &str| store.certificate("CNCA-R-2002-001", number).expect("read");
        // Refused, it registers nothing.
        assert_eq!(outcomes(store, &[notice("N-2", Restore, 30, "g")]), [Err("notice.transition")]);
        assert_eq!(read("N-2"), None);
        assert_eq!(outcomes(store, &[notice("N-2", Suspend, 30, "g")]), [Ok(())]);
        let held = read("N-2").expect("held");
        assert_eq!(
            (held.status.as_str(), held.origin.as_str(), held.document.as_slice(), held.recorded_at.as_str()),
            ("suspended", "notice", &b""[..], "2026-05-01T00:00:00Z")
        );
        assert_eq!(held.holder_credit_code, None);
        assert_eq!(outcomes(store, &[notice("N-3", Withdraw, 31, "g")]), [Err("notice.replayed")]);
        assert_eq!(read("N-3"), None);
        assert_eq!(outcomes(store, &[notice("N-2", Restore, 30, "h")]), [Err("notice.stale")]);
        assert_eq!(
            outcomes(store, &[notice("N-2", Restore, 31, "h"), notice("N-2", Withdraw, 32, "i")]),
            [Ok(()), Ok(())]
        );
        let history: Vec<String> =
            store.status_history("CNCA-R-2002-001", "N-2").expect("history").into_iter().map(|e| e.status).collect();
        assert_eq!(history, ["suspended", "valid", "withdrawn"]);
        assert_eq!(read("N-2").expect("held").document, b"");
        // Two notices for one unheld certificate in one commit: the second sees the first's record.
        assert_eq!(
            outcomes(store, &[notice("N-4", Withdraw, 40, "j"), notice("N-4", Suspend, 41, "k")]),
            [Ok(()), Err("notice.transition")]
        );
        assert_eq!(read("N-4").expect("held").status, "withdrawn");
    }
}

/// A decision made on what it read of a certificate stands only if that is still so.
#[test]
fn a_write_expecting_a_certificate_as_read_is_held_otherwise() {
    for b in &backends() {
        let store = b.open();
        let store = &*store;
        let expect = |as_read: Option<(&[u8], &str, &str)>| Effect::ExpectCertificate {
            issuer: "CNCA-R-2002-001".into(),
            number: "N-1".into(),
            as_read: as_read.map(|(document, status, origin)| AsRead {
                document: document.to_vec(),
                status: status.into(),
                origin: origin.into(),
            }),
        };
        let put = |status: &str, doc: &[u8]| Effect::PutCertificate {
            record: CertificateRecord { document: doc.to_vec(), ..record("N-1", status) },
            event: event(status, "export"),
        };
        let write = |effects: Vec<Effect>| Write { entry: None, effects };
        // Expected absent, and absent: registered.
        assert_eq!(outcomes(store, &[write(vec![expect(None), put("valid", b"<a/>")])]), [Ok(())]);
        // Expected absent, but present now: nothing of the write happens.
        assert_eq!(outcomes(store, &[write(vec![expect(None), put("valid", b"<b/>")])]), [Err("register.conflict")]);
        let held = store.certificate("CNCA-R-2002-001", "N-1").expect("read").expect("held");
        assert_eq!(held.document, b"<a/>");
        // Expected as read, but another document or status by now.
        for stale in [
            (&b"<z/>"[..], "valid", "export"),
            (b"<a/>", "suspended", "export"),
            // Another origin by now (its CB's signed document landed meanwhile).
            (b"<a/>", "valid", "export-unsigned"),
        ] {
            assert_eq!(
                outcomes(store, &[write(vec![expect(Some(stale)), put("valid", b"<b/>")])]),
                [Err("register.conflict")],
                "{stale:?}"
            );
        }
        // As read: applied.
        let as_read = Some((&b"<a/>"[..], "valid", "export"));
        assert_eq!(outcomes(store, &[write(vec![expect(as_read), put("valid", b"<b/>")])]), [Ok(())]);
        assert_eq!(store.certificate("CNCA-R-2002-001", "N-1").expect("read").expect("held").document, b"<b/>");
    }
}

/// A verification is logged only while the register holds what it read
/// (`Effect::RegisterAsRead`): the certificate's status, and its document when the decision
/// compared facts with it. Checked in the commit's own order: a status or document changed
/// by an earlier write of the same commit refuses it (`register.changed`), and nothing of it
/// is logged; "not held" is held to as well.
#[test]
fn a_verification_is_logged_only_while_the_register_holds_what_it_read() {
    for b in &backends() {
        let store = b.open();
        let store = &*store;
        store.put_certificate(&record("N-1", "valid"), &event("valid", "export-1")).expect("put");
        let verified = |number: &str, status: Option<&str>, document: Option<&[u8]>| Write {
            entry: Some(stored_entry(0)),
            effects: vec![Effect::RegisterAsRead {
                issuer: "CNCA-R-2002-001".into(),
                number: number.into(),
                status: status.map(str::to_string),
                document: document.map(mrgate::crypto::sha256_hex),
            }],
        };
        let put = |status: &str, document: &[u8]| Write {
            entry: None,
            effects: vec![Effect::PutCertificate {
                record: CertificateRecord { document: document.to_vec(), ..record("N-1", status) },
                event: event(status, "change"),
            }],
        };
        let (first, second) = (&b"<Certificate/>"[..], &b"<Certificate scope='other'/>"[..]);
        let size = |store: &dyn Store| store.log_size().expect("size");
        let before = size(store);
        let writes = [
            verified("N-1", Some("valid"), None),
            verified("N-1", Some("valid"), Some(first)),
            verified("N-1", Some("valid"), Some(second)),
            put("suspended", first),
            verified("N-1", Some("valid"), None),
            verified("N-1", Some("suspended"), None),
            verified("N-1", None, None),
            put("suspended", second),
            verified("N-1", Some("suspended"), Some(first)),
            verified("N-1", Some("suspended"), Some(second)),
            verified("N-2", None, None),
            verified("N-2", Some("valid"), None),
        ];
        let changed = Err("register.changed");
        let expected =
            [Ok(()), Ok(()), changed, Ok(()), changed, Ok(()), changed, Ok(()), changed, Ok(()), Ok(()), changed];
        assert_eq!(outcomes(store, &writes), expected, "{}", b.name());
        assert_eq!(size(store), before + 5, "{}: only the verifications held as read are logged", b.name());
        // A status alone (a notice's record, no document) is held to as "no document": a
        // recognition registering facts meanwhile changes what the verification read.
        assert_eq!(outcomes(store, &[notice("N-3", mrgate::notice::Action::Suspend, 50, "alone")]), [Ok(())]);
        let alone = verified("N-3", Some("suspended"), Some(b""));
        let registering = Write {
            entry: None,
            effects: vec![Effect::PutCertificate {
                record: CertificateRecord { document: first.to_vec(), ..record("N-3", "suspended") },
                event: event("suspended", "recognition"),
            }],
        };
        assert_eq!(outcomes(store, &[alone.clone(), registering, alone]), [Ok(()), Ok(()), changed], "{}", b.name());
    }
}

/// `mrgate store migrate` copies a SQLite store — register and history, notices, decisions,
/// trust-list versions, a PT round with its replaced results and report, the log's entries
/// and tile roots — into an empty PostgreSQL database, and checks the logs' size and root;
/// the log reopened there has the same checkpoint. It refuses a store a gateway holds, and a
/// database that is not empty. (From SQLite to PostgreSQL: it needs both.)
#[test]
fn a_sqlite_store_migrates_to_postgres_whole() {
    let Some(db) = common::pg::database() else { return };
    let url = db.url.clone();
    let source = Backend::Sqlite(tempfile::tempdir().expect("tmp"));
    let Backend::Sqlite(dir) = &source else { unreachable!() };
    let seed = [11u8; 32];
    let checkpoint = {
        let store = source.open();
        let log = Arc::new(DurableLog::open("mrgate.test/log", key(&seed), Arc::clone(&store)).expect("log"));
        append_many(&log, 0, 600);
        for n in ["M-1", "M-2"] {
            let effects = vec![Effect::PutCertificate { record: record(n, "valid"), event: event("valid", "export") }];
            log.commit(&log_entry(1000), effects).expect("register");
        }
        log.commit(
            &log_entry(1001),
            vec![Effect::PutDecision { id: "d-1".into(), kind: "export".into(), json: "{}".into() }],
        )
        .expect("decision");
        // Status-list slots, one of them superseded, and a list published.
        let slot = |index| mrgate::status_list::Slot { list: 1, index };
        let hold = |n: &str, index| Effect::HoldStatusSlot {
            issuer: "CNCA-R-2002-001".into(),
            number: n.into(),
            slot: slot(index),
        };
        let supersede = Effect::SupersedeStatusSlot { issuer: "CNCA-R-2002-001".into(), number: "M-2".into() };
        let publish = Effect::Publish { what: "status-list/1/revocation".into(), digest: "cd".into() };
        log.commit(&log_entry(1002), vec![hold("M-1", 5), hold("M-2", 6)]).expect("slots");
        log.commit(&log_entry(1003), vec![supersede, hold("M-2", 7), publish]).expect("superseded");
        assert_eq!(outcomes(&*store, &[notice("M-1", mrgate::notice::Action::Suspend, 10, "j-1")]), [Ok(())]);
        store
            .put_trust_list(&TrustListVersion {
                sequence: 7,
                digest: "ab".into(),
                installed_at: "2026-01-01T00:00:00Z".into(),
                document: b"<x/>".to_vec(),
            })
            .expect("trust list");
        store.put_pt_round(&pt_round("R-1")).expect("round");
        store
            .put_pt_submission(&pt_submission("dakks", "s1"), &[pt_result("DE-1", "dakks", "s1", "1")], false)
            .expect("s1");
        store
            .put_pt_submission(&pt_submission("dakks", "s2"), &[pt_result("DE-1", "dakks", "s2", "2")], true)
            .expect("s2");
        store.close_pt_round("R-1", "2026-12-01T00:00:00Z", &["s1".into(), "s2".into()]).expect("close");
        let report = PtReportRecord { xml: b"<PerformanceReport/>".to_vec(), json: "{}".into(), csv: "a\n".into() };
        store.put_pt_report("R-1", &report).expect("report");
        // Held by a gateway: refused.
        let held =
            common::mrgate(&["store", "migrate", "--from", &dir.path().display().to_string(), "--to", &url], b"");
        assert!(!held.status.success());
        assert!(String::from_utf8_lossy(&held.stderr).contains("in use by another mrgate process"));
        log.checkpoint().expect("checkpoint")
    };
    let run = || common::mrgate(&["store", "migrate", "--from", &dir.path().display().to_string(), "--to", &url], b"");
    let done = run();
    let out = String::from_utf8_lossy(&done.stdout);
    assert!(done.status.success(), "{}{out}", String::from_utf8_lossy(&done.stderr));
    assert!(out.contains("log_entry: 605 rows") && out.contains("log: 605 entries, root"), "{out}");

    let (from, to) = (source.open(), Backend::Postgres(db));
    let copy = to.open();
    for n in ["M-1", "M-2", "M-3"] {
        let view = |s: &Arc<dyn Store>| {
            s.certificate_view("CNCA-R-2002-001", n).expect("read").map(|v| (v.record.clone(), v.history.clone()))
        };
        assert_eq!(view(&copy), view(&from), "{n}");
    }
    assert_eq!(copy.decision("d-1").expect("read"), from.decision("d-1").expect("read"));
    assert_eq!(copy.trust_lists().expect("read"), from.trust_lists().expect("read"));
    assert_eq!(copy.pt_round("R-1").expect("read"), from.pt_round("R-1").expect("read"));
    assert_eq!(copy.pt_submissions("R-1").expect("read"), from.pt_submissions("R-1").expect("read"));
    assert_eq!(copy.pt_results("R-1").expect("read"), from.pt_results("R-1").expect("read"));
    assert_eq!(copy.pt_replaced("R-1").expect("read"), from.pt_replaced("R-1").expect("read"));
    assert_eq!(copy.pt_report("R-1").expect("read"), from.pt_report("R-1").expect("read"));
    assert_eq!(copy.log_tile_roots().expect("read"), from.log_tile_roots().expect("read"));
    // The status lists as they were: every slot, the superseded one still revoked, and
    // what was published (found by review: a migration left them behind).
    for n in ["M-1", "M-2"] {
        assert_eq!(
            copy.status_slot("CNCA-R-2002-001", n).expect("read"),
            from.status_slot("CNCA-R-2002-001", n).expect("read")
        );
    }
    assert_eq!(copy.status_slots_held().expect("read"), 3);
    let list = copy.status_list(1, None).expect("read").0;
    assert_eq!(slots(&list), slots(&from.status_list(1, None).expect("read").0));
    let expected =
        [(5, "suspended"), (6, mrgate::status_list::SUPERSEDED), (7, "valid")].map(|(i, s)| (i, s.to_string()));
    assert_eq!(slots(&list), expected);
    assert!(copy.status_slot_taken(mrgate::status_list::Slot { list: 1, index: 6 }).expect("read"));
    assert_eq!(copy.published("status-list/1/revocation").expect("read").as_deref(), Some("cd"));
    // The copied notice still counts: its jti is a replay there too.
    assert_eq!(
        outcomes(&*copy, &[notice("M-1", mrgate::notice::Action::Restore, 11, "j-1")]),
        [Err("notice.replayed")]
    );
    // Numbered rows go on after the copied ones.
    copy.set_status("CNCA-R-2002-001", "M-2", &event("suspended", "later")).expect("a later event");
    assert_eq!(
        copy.status_history("CNCA-R-2002-001", "M-2").expect("read").last().map(|e| e.reference.as_str()),
        Some("later")
    );
    drop(from);
    // The log there is the same log.
    let log = DurableLog::open("mrgate.test/log", key(&seed), copy).expect("log on PostgreSQL");
    assert_eq!(
        log.checkpoint().expect("cp").lines().take(3).collect::<Vec<_>>(),
        checkpoint.lines().take(3).collect::<Vec<_>>()
    );
    assert_eq!(log.append(&log_entry(2000)).expect("append"), 605);
    drop(log);
    // Once is enough: a database that holds a store is not copied into.
    let again = run();
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("is not empty"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}

/// Two processes sharing one PostgreSQL database (here, two stores on it, each with its own
/// connections): commits are serialized inside the database, so every entry gets a distinct
/// index, the indexes are consecutive, each holds the entry its commit was told, and a notice
/// raced through both is applied once. (PostgreSQL only: a SQLite file has one owner.)
#[test]
fn two_stores_on_one_database_append_in_one_sequence() {
    let Some(db) = common::pg::database() else { return };
    let b = Backend::Postgres(db);
    let stores = [b.open(), b.open()];
    stores[0].put_certificate(&record("N-1", "valid"), &event("valid", "export")).expect("put");
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let store = Arc::clone(&stores[t % 2]);
            std::thread::spawn(move || {
                let mut told = Vec::new();
                let mut notice_applied = false;
                for i in 0..40 {
                    let mut writes = vec![Write { entry: Some(stored_entry(t * 1000 + i)), effects: vec![] }];
                    if i == 3 {
                        writes.push(notice("N-1", mrgate::notice::Action::Suspend, 10, "raced"));
                    }
                    let done = store.commit(&writes).expect("commit");
                    told.push((done[0].as_ref().expect("appended").index.expect("index"), t * 1000 + i));
                    notice_applied |= done.get(1).is_some_and(Result::is_ok);
                }
                (told, notice_applied)
            })
        })
        .collect();
    let mut told = Vec::new();
    let mut applied = 0;
    for h in handles {
        let (t, a) = h.join().expect("thread");
        told.extend(t);
        applied += usize::from(a);
    }
    told.sort_unstable();
    assert_eq!(told.iter().map(|(index, _)| *index).collect::<Vec<_>>(), (0..320).collect::<Vec<u64>>());
    let entries = stores[1].log_entries(0, 400).expect("entries");
    assert_eq!(entries.len(), 320);
    for (index, entry) in &told {
        assert_eq!(entries[*index as usize], stored_entry(*entry), "entry {index}");
    }
    assert_eq!(applied, 1, "the notice was applied once");
    let history = stores[0].status_history("CNCA-R-2002-001", "N-1").expect("history");
    assert_eq!(history.iter().map(|e| e.status.as_str()).collect::<Vec<_>>(), ["valid", "suspended"]);
}

/// The PostgreSQL store runs its client on a runtime of its own: called, opened and dropped
/// on a runtime's worker thread (where a client that starts or drops a runtime of its own
/// panics, as the sync `postgres` crate does), it answers and goes, blocking only that
/// thread. (PostgreSQL only: SQLite has no client.)
#[test]
fn the_postgres_store_may_be_called_from_inside_a_runtime() {
    let Some(db) = common::pg::database() else { return };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().expect("runtime");
    let url = db.url.clone();
    runtime.block_on(async move {
        let on_worker = tokio::spawn({
            let url = url.clone();
            async move {
                let store = PostgresStore::open(&url).expect("open on a worker thread");
                store.put_certificate(&record("T-1", "valid"), &event("valid", "export")).expect("write");
                let read = store.certificate("CNCA-R-2002-001", "T-1").expect("read").map(|r| r.status);
                drop(store);
                read
            }
        });
        assert_eq!(on_worker.await.expect("worker task").as_deref(), Some("valid"));
        // And from the blocking pool, as the gateway calls it.
        let size =
            tokio::task::spawn_blocking(move || PostgresStore::open(&url).expect("open").log_size().expect("size"))
                .await
                .expect("blocking task");
        assert_eq!(size, 0);
    });
}

/// A TCP relay to a server whose connections a test can cut, as a network failure would,
/// whatever they are doing. Its listener lives as long as the test process.
struct Relay {
    address: String,
    open: Arc<std::sync::Mutex<Vec<std::net::TcpStream>>>,
}

impl Relay {
    fn to(server: &str) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("relay");
        let address = listener.local_addr().expect("address").to_string();
        let open = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (server, kept) = (server.to_string(), Arc::clone(&open));
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let (Ok(client), Ok(upstream)) = (client, std::net::TcpStream::connect(&server)) else { continue };
                let pipe = |mut from: std::net::TcpStream, mut to: std::net::TcpStream| {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(std::net::Shutdown::Both);
                    })
                };
                let mut held = kept.lock().expect("relay");
                held.push(client.try_clone().expect("clone"));
                held.push(upstream.try_clone().expect("clone"));
                pipe(client.try_clone().expect("clone"), upstream.try_clone().expect("clone"));
                pipe(upstream, client);
            }
        });
        Relay { address, open }
    }

    /// Cuts every connection made so far.
    fn cut(&self) {
        for stream in self.open.lock().expect("relay").drain(..) {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    }
}

/// A commit whose answer is lost (the connection cut while `COMMIT` runs) is neither
/// guessed committed nor guessed failed: the store asks the database what became of its
/// transaction and answers that — committed, with its index; ended by the server, an error
/// and nothing appended. (PostgreSQL only: SQLite has no connection to lose.)
#[test]
fn a_commit_whose_answer_is_lost_is_answered_from_the_database() {
    let Some(db) = common::pg::database() else { return };
    let relay = Relay::to(db.address());
    let store = Arc::new(PostgresStore::open(&db.url_via(&relay.address)).expect("open"));
    // Every COMMIT that appends takes a second: a deferred trigger sleeps.
    let mut admin = db.client();
    admin
        .batch_execute(
            "CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(1); RETURN NULL; END $$;
             CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON log_entry DEFERRABLE INITIALLY DEFERRED
               FOR EACH ROW EXECUTE FUNCTION slow();",
        )
        .expect("trigger");
    let decision = |id: &str| Effect::PutDecision { id: id.into(), kind: "export".into(), json: "{}".into() };
    let commit_while = |i: usize, meanwhile: &dyn Fn()| {
        let store = Arc::clone(&store);
        let write = Write { entry: Some(stored_entry(i)), effects: vec![decision(&format!("d-{i}"))] };
        let committing = std::thread::spawn(move || store.commit(&[write]));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        // This database's sessions only: the server is shared by every test running at once,
        // and another test's COMMIT seen here would have the relay cut before this one's.
        let running = "SELECT COUNT(*) FROM pg_stat_activity
                       WHERE datname = current_database() AND query = 'COMMIT' AND state = 'active'";
        while admin_count(&db, running) == 0 {
            assert!(std::time::Instant::now() < deadline, "the commit never ran");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        meanwhile();
        committing.join().expect("thread")
    };
    // Cut while committing: the server finishes the commit, the store learns it did.
    let outcomes = commit_while(0, &|| relay.cut()).expect("committed after all");
    assert_eq!(outcomes[0].as_ref().expect("written").index, Some(0));
    assert_eq!(store.log_size().expect("size"), 1);
    assert_eq!(store.decision("d-0").expect("read").and_then(|d| d.log_index), Some(0));
    // Ended by the server while committing: not committed, and said so.
    let terminate = || {
        admin_count(
            &db,
            "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
             WHERE datname = current_database() AND query = 'COMMIT' AND state = 'active'",
        );
    };
    let refused = commit_while(1, &terminate).expect_err("ended by the server");
    assert_eq!(refused.code(), "store.database", "{refused}");
    assert_eq!(store.log_size().expect("size"), 1);
    assert_eq!(store.decision("d-1").expect("read"), None);
    admin.batch_execute("DROP TRIGGER slow_commit ON log_entry").expect("drop");
    let next = store.commit(&[Write { entry: Some(stored_entry(2)), effects: vec![] }]).expect("commit");
    assert_eq!(next[0].as_ref().expect("written").index, Some(1));
}

fn admin_count(db: &common::pg::Database, sql: &str) -> i64 {
    db.client().query_one(sql, &[]).expect(sql).get(0)
}

/// Gateway nodes sharing one PostgreSQL database: two logs, each over its own store (its own
/// connections), appended to from eight threads at once. Every append gets a distinct index;
/// each log's tree takes the other's entries at their places (its own commits catch up
/// first, its follower after), so the two serve the same checkpoint — byte for byte, the
/// key and the tree being one — over exactly the stored entries; every receipt either gave
/// verifies, and every checkpoint either served on the way is consistent with the last.
/// (PostgreSQL only: a SQLite file has one owner.)
#[test]
fn two_logs_on_one_database_keep_one_tree() {
    let Some(db) = common::pg::database() else { return };
    let b = Backend::Postgres(db);
    let seed = [9u8; 32];
    let public = key(&seed).public_key().as_ref().to_vec();
    let logs: Vec<Arc<DurableLog>> =
        (0..2).map(|_| Arc::new(DurableLog::open("mrgate.test/log", key(&seed), b.open()).expect("log"))).collect();
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let log = Arc::clone(&logs[t % 2]);
            std::thread::spawn(move || {
                (0..50)
                    .map(|i| {
                        let entry = log_entry(t * 1000 + i);
                        let (receipt, written) = log.commit(&entry, vec![]).expect("commit");
                        assert_eq!(Some(receipt.index), written.index);
                        receipt
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let receipts: Vec<receipt::Receipt> = handles.into_iter().flat_map(|h| h.join().expect("thread")).collect();
    let mut indexes: Vec<u64> = receipts.iter().map(|r| r.index).collect();
    indexes.sort_unstable();
    assert_eq!(indexes, (0..400).collect::<Vec<u64>>());
    let sizes: Vec<u64> = logs.iter().map(|log| log.follow().expect("follow")).collect();
    assert_eq!(sizes, [400, 400]);
    let checkpoints: Vec<String> = logs.iter().map(|log| log.checkpoint().expect("checkpoint")).collect();
    assert_eq!(checkpoints[0], checkpoints[1], "one tree, one key: one checkpoint");
    let reference = whole_tree(&*b.open());
    let root = base64::engine::general_purpose::STANDARD.encode(reference.root(400).expect("root"));
    assert_eq!(checkpoints[0].lines().nth(2), Some(root.as_str()));
    for r in &receipts {
        receipt::verify(r, &public, None).unwrap_or_else(|e| panic!("receipt {}: {e}", r.index));
        let proof = logs[r.index as usize % 2].consistency(r.tree_size, 400).expect("proof");
        receipt::verify_consistency(&r.checkpoint, &checkpoints[0], &proof, &public)
            .unwrap_or_else(|e| panic!("checkpoint of size {} against the last: {e}", r.tree_size));
    }
}

/// A trust list `<list/>` stored as version `sequence` under `digest`.
fn stored_list(sequence: u64, digest: &str) -> Effect {
    Effect::PutTrustList(TrustListVersion {
        sequence,
        digest: digest.into(),
        installed_at: "2026-12-02T00:00:00Z".into(),
        document: b"<list/>".to_vec(),
    })
}

/// A write held to the trust list in force (`TrustListInForce`) commits only while the
/// newest stored list is that one: with none stored there is nothing to hold it to; a
/// newer list stored — earlier in the same commit, too — refuses it with
/// `trust.list_changed`, and nothing of it is written.
#[test]
fn a_write_is_held_to_the_trust_list_in_force() {
    let held = |digest: &str, i: usize| Write {
        entry: Some(stored_entry(i)),
        effects: vec![Effect::TrustListInForce { digest: digest.into() }],
    };
    let list = stored_list;
    let (a, b2) = ("a".repeat(64), "b".repeat(64));
    for b in &backends() {
        let store = b.open();
        let store = &*store;
        assert_eq!(outcomes(store, &[held(&a, 0)]), [Ok(())], "{}: none stored", b.name());
        store.write(list(1, &a)).expect("list 1");
        assert_eq!(outcomes(store, &[held(&a, 1), held(&b2, 2)]), [Ok(()), Err("trust.list_changed")], "{}", b.name());
        let install = Write { entry: Some(stored_entry(3)), effects: vec![list(2, &b2)] };
        assert_eq!(
            outcomes(store, &[install, held(&a, 4), held(&b2, 5)]),
            [Ok(()), Err("trust.list_changed"), Ok(())],
            "{}: the install earlier in the commit holds",
            b.name()
        );
        let entries = store.log_entries(0, 10).expect("entries");
        assert_eq!(entries, [stored_entry(0), stored_entry(1), stored_entry(3), stored_entry(5)], "{}", b.name());
    }
}

/// The first list's install (`NoTrustList`) stands only while no list is stored: of two
/// decided on an empty store, in one commit or two, the first lands and the second is
/// refused with `trust.list_changed`, logging nothing.
#[test]
fn the_first_trust_list_is_installed_once() {
    let first = |i: usize, digest: &str| Write {
        entry: Some(stored_entry(i)),
        effects: vec![Effect::NoTrustList, stored_list(1, digest)],
    };
    let (a, b2) = ("a".repeat(64), "b".repeat(64));
    for b in &backends() {
        let store = b.open();
        let store = &*store;
        assert_eq!(outcomes(store, &[first(0, &a), first(1, &a)]), [Ok(()), Err("trust.list_changed")], "{}", b.name());
        assert_eq!(outcomes(store, &[first(2, &b2)]), [Err("trust.list_changed")], "{}", b.name());
        assert_eq!(store.log_entries(0, 10).expect("entries"), [stored_entry(0)], "{}", b.name());
        assert_eq!(store.trust_lists().expect("lists").len(), 1);
    }
}

/// Equivalence-table versions as the store keeps them: one table per sequence
/// (`rules.sequence_reused`), the build's first only while none is stored
/// (`NoEquivalenceTable`), and a write held to the table in force (`TableInForce`) refused
/// with `rules.table_changed` once a newer one is stored — in the same commit too — while
/// a write held to both rule documents needs both in force.
#[test]
fn equivalence_tables_are_versioned_and_writes_are_held_to_the_one_in_force() {
    let table = |sequence: u64, digest: &str| {
        Effect::PutEquivalenceTable(TableVersion {
            sequence,
            digest: digest.into(),
            label: format!("v{sequence}"),
            installed_at: "2026-12-02T00:00:00Z".into(),
            document: format!("table {sequence}").into_bytes(),
        })
    };
    let write = |i: usize, effects: Vec<Effect>| Write { entry: Some(stored_entry(i)), effects };
    let held = |i: usize, digest: &str| write(i, vec![Effect::TableInForce { digest: digest.into() }]);
    let (a, b2, c) = ("a".repeat(64), "b".repeat(64), "c".repeat(64));
    for b in &backends() {
        let store = b.open();
        let store = &*store;
        let name = b.name();
        assert_eq!(outcomes(store, &[held(0, &a)]), [Ok(())], "{name}: none stored, nothing to hold to");
        let first = |i: usize, d: &str| write(i, vec![Effect::NoEquivalenceTable, table(1, d)]);
        assert_eq!(outcomes(store, &[first(1, &a), first(2, &c)]), [Ok(()), Err("rules.table_changed")], "{name}");
        assert_eq!(outcomes(store, &[write(3, vec![table(1, &b2)])]), [Err("rules.sequence_reused")], "{name}");
        assert_eq!(outcomes(store, &[write(4, vec![table(1, &a)])]), [Ok(())], "{name}: the same table again");
        assert_eq!(
            outcomes(store, &[held(5, &a), write(6, vec![table(2, &b2)]), held(7, &a), held(8, &b2)]),
            [Ok(()), Ok(()), Err("rules.table_changed"), Ok(())],
            "{name}: the install earlier in the commit holds"
        );
        // Held to a trust list and a table: both must be in force.
        store.write(stored_list(1, &c)).expect("list");
        let ids: Vec<_> = store
            .trust_list_ids()
            .expect("ids")
            .into_iter()
            .map(|v| (v.sequence, v.digest, v.document.len()))
            .collect();
        assert_eq!(ids, [(1, c.clone(), 0)], "{name}: listed without the document");
        let one = store.trust_list_of_sequence(1).expect("read").map(|v| v.document);
        assert_eq!(one, Some(b"<list/>".to_vec()), "{name}");
        assert_eq!(store.trust_list_of_sequence(2).expect("read"), None, "{name}");
        let both = |i: usize, list: &str, t: &str| {
            write(i, vec![Effect::TrustListInForce { digest: list.into() }, Effect::TableInForce { digest: t.into() }])
        };
        assert_eq!(
            outcomes(store, &[both(9, &c, &a), both(10, &a, &b2), both(11, &c, &b2)]),
            [Err("rules.table_changed"), Err("trust.list_changed"), Ok(())],
            "{name}"
        );
        let tables = store.equivalence_tables().expect("tables");
        let seen: Vec<_> = tables.iter().map(|t| (t.sequence, t.digest.as_str(), t.label.as_str())).collect();
        assert_eq!(seen, [(1, a.as_str(), "v1"), (2, b2.as_str(), "v2")], "{name}");
        assert_eq!(tables[1].document, b"table 2", "{name}");
        assert_eq!(store.newest_equivalence_table_id().expect("newest"), Some((2, b2.clone())), "{name}");
        assert_eq!(store.newest_equivalence_table().expect("newest").map(|t| t.sequence), Some(2), "{name}");
        let logged: Vec<_> = [0, 1, 4, 5, 6, 8, 11].into_iter().map(stored_entry).collect();
        assert_eq!(store.log_entries(0, 20).expect("entries"), logged, "{name}");
    }
}

/// Documents a decision keeps (`KeepDocument`) are stored once by digest, with the entry —
/// in a write that cannot be refused (a verification, group-committed) and in one that can
/// (a recognition): refused, it keeps nothing.
#[test]
fn kept_documents_are_stored_once_with_their_entry() {
    let keep = |d: &[u8]| Effect::KeepDocument { digest: mrgate::crypto::sha256_hex(d), document: d.to_vec() };
    let digest = |d: &[u8]| mrgate::crypto::sha256_hex(d);
    for b in &backends() {
        let store = b.open();
        let store = &*store;
        let name = b.name();
        let verifications = [
            Write { entry: Some(stored_entry(0)), effects: vec![keep(b"one")] },
            Write { entry: Some(stored_entry(1)), effects: vec![keep(b"one"), keep(b"two")] },
        ];
        assert_eq!(outcomes(store, &verifications), [Ok(()), Ok(())], "{name}");
        let refused = Write {
            entry: Some(stored_entry(2)),
            effects: vec![
                keep(b"three"),
                Effect::ClosePtRound { id: "none".into(), at: "x".into(), submissions: vec![] },
            ],
        };
        assert_eq!(outcomes(store, &[refused]), [Err("pt.round_unknown")], "{name}");
        assert_eq!(store.kept_document(&digest(b"one")).expect("read"), Some(b"one".to_vec()), "{name}");
        assert_eq!(store.kept_document(&digest(b"two")).expect("read"), Some(b"two".to_vec()), "{name}");
        assert_eq!(store.kept_document(&digest(b"three")).expect("read"), None, "{name}: refused, kept nothing");
        assert_eq!(store.kept_document(&"0".repeat(64)).expect("read"), None, "{name}");
        assert_eq!(b.count("SELECT COUNT(*) FROM kept_document"), 2, "{name}");
    }
}

/// The log's entries in PostgreSQL live in range partitions (`log_entry_p0`, `_p1`, …),
/// each created by the commit that first needs it. With partitions of 256 entries (one
/// tile), 600 entries appended in racing batches land in three; an old partition moved to
/// another tablespace (cheaper storage) still serves the proofs of its entries, read back
/// from it; and a database from before partitioning (schema version 1) is migrated with
/// its entries moved into the partitions that cover them. (PostgreSQL only.)
#[test]
fn the_log_is_partitioned_by_range_and_old_partitions_can_move() {
    use std::process::Command;
    let Some(db) = common::pg::database() else { return };
    let b = Backend::Postgres(db);
    let Backend::Postgres(db) = &b else { unreachable!() };
    let partitions = |client: &mut postgres::Client| -> Vec<(String, i64)> {
        let names: Vec<String> = client
            .query(
                "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                 WHERE i.inhparent = 'log_entry'::regclass ORDER BY 1",
                &[],
            )
            .expect("partitions")
            .iter()
            .map(|r| r.get(0))
            .collect();
        names
            .into_iter()
            .map(|name| {
                let rows: i64 = client.query_one(&format!("SELECT COUNT(*) FROM {name}"), &[]).expect("count").get(0);
                (name, rows)
            })
            .collect()
    };
    let seed = [5u8; 32];
    let public = key(&seed).public_key().as_ref().to_vec();
    let store = b.open();
    let mut client = db.client();
    assert_eq!(partitions(&mut client), [("log_entry_p0".to_string(), 0)]);
    // (The size is chosen before the first entry: the migration's empty first partition goes.)
    client
        .batch_execute("DROP TABLE log_entry_p0; UPDATE log_partitioning SET entries = 256")
        .expect("smaller partitions");
    let expected = |names: &[(&str, i64)]| names.iter().map(|(n, c)| (n.to_string(), *c)).collect::<Vec<_>>();
    {
        let log = Arc::new(DurableLog::open("mrgate.test/log", key(&seed), Arc::clone(&store)).expect("log"));
        append_many(&log, 0, 200);
        // Past the middle of a partition, the next one is made ahead, outside any commit.
        assert_eq!(partitions(&mut client), expected(&[("log_entry_p0", 200), ("log_entry_p1", 0)]));
        // A reader holding the table for the whole time the log crosses into it holds up no
        // commit: the partitions it needs were made while no commit held the commit lock.
        let mut reader = db.client();
        let mut reading = reader.transaction().expect("reader");
        reading.batch_execute("SELECT count(*) FROM log_entry").expect("a long read");
        append_many(&log, 200, 600);
        reading.commit().expect("read done");
    }
    assert_eq!(
        partitions(&mut client),
        expected(&[("log_entry_p0", 256), ("log_entry_p1", 256), ("log_entry_p2", 88)])
    );

    // Partition 0 moved to a tablespace of its own; a restarted log proves entry 5 from it.
    let entry_5 = store.log_entries(5, 6).expect("entry 5").remove(0);
    let space = tempfile::tempdir().expect("tmp");
    if Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.trim_ascii() == b"0") {
        assert!(
            Command::new("chown")
                .args(["postgres", &space.path().display().to_string()])
                .status()
                .expect("chown")
                .success()
        );
    }
    let name = format!("mrgate_archive_{}", std::process::id());
    client
        .batch_execute(&format!("CREATE TABLESPACE {name} LOCATION '{}'", space.path().display()))
        .expect("tablespace");
    client.batch_execute(&format!("ALTER TABLE log_entry_p0 SET TABLESPACE {name}")).expect("moved");
    {
        let log = DurableLog::open("mrgate.test/log", key(&seed), b.open()).expect("reopened");
        let receipt = log.receipt(5).expect("receipt from the moved partition");
        receipt::verify(&receipt, &public, None).expect("verifies");
        assert_eq!(receipt.entry, base64::engine::general_purpose::STANDARD.encode(&entry_5));
    }
    client.batch_execute("ALTER TABLE log_entry_p0 SET TABLESPACE pg_default").expect("moved back");
    client.batch_execute(&format!("DROP TABLESPACE {name}")).expect("tablespace dropped");

    // Back to schema version 1 (one table), by hand: reopened, the store is migrated and
    // the entries are where they were, now in partitions of the default size.
    let before = store.log_entries(0, 600).expect("entries");
    drop(store);
    client
        .batch_execute(
            "CREATE TABLE log_entry_v1 (idx BIGINT PRIMARY KEY, entry BYTEA NOT NULL);
             INSERT INTO log_entry_v1 SELECT idx, entry FROM log_entry;
             DROP TABLE log_entry; DROP TABLE log_partitioning; DROP TABLE deciding_rules; DROP INDEX certificate_word; DROP INDEX certificate_look_alike;
             DROP TRIGGER status_slot_certificate_changed ON certificate; DROP FUNCTION status_slot_certificate_changed();
             DROP TABLE status_slot_seq; DROP TABLE superseded_status_slot; DROP TABLE status_slot;
             DROP FUNCTION status_slot_held(); DROP FUNCTION status_slot_next_seq();
             DROP TABLE equivalence_table; DROP TABLE kept_document; DROP INDEX IF EXISTS certificate_status; DROP TABLE publication;
             ALTER TABLE certificate DROP CONSTRAINT certificate_status_known;
             DROP TABLE exported_document; ALTER TABLE certificate DROP COLUMN signer; ALTER TABLE certificate DROP COLUMN signer_at;
             ALTER TABLE log_entry_v1 RENAME TO log_entry; ALTER INDEX log_entry_v1_pkey RENAME TO log_entry_pkey;
             UPDATE mrgate_schema SET version = 1",
        )
        .expect("back to version 1");
    let store = b.open();
    assert_eq!(store.log_entries(0, 600).expect("entries"), before);
    assert_eq!(partitions(&mut client), expected(&[("log_entry_p0", 600)]));
    let log = DurableLog::open("mrgate.test/log", key(&seed), store).expect("log after migration");
    assert_eq!(log.size().expect("size"), 600);
    assert_eq!(log.append(&log_entry(600)).expect("append"), 600);
}

/// Returns once some session waits for a lock on `table` (a node's start, held there).
fn waiting_for_a_lock_on(db: &common::pg::Database, table: &str) {
    let mut watcher = db.client();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let sql = format!(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%{table}%'"
    );
    while watcher.query_one(&sql, &[]).expect("activity").get::<_, i64>(0) == 0 {
        assert!(std::time::Instant::now() < deadline, "nothing ever waited for {table}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Indexes the first $N entries, as a node's indexer would.
const INDEX_UPTO: &str = "
    INSERT INTO log_leaf (hash, idx) SELECT sha256('\\x00'::bytea || entry), idx FROM log_entry WHERE idx < $N
        ON CONFLICT DO NOTHING;
    INSERT INTO log_leaf_covered (one, size) VALUES (0, 0) ON CONFLICT DO NOTHING;
    UPDATE log_leaf_covered SET size = $N,
        last = (SELECT sha256('\\x00'::bytea || entry) FROM log_entry WHERE idx = $N - 1) WHERE one = 0;";

/// A node starting on a shared store while another node's indexer advances the shared hash
/// index keeps the index (it once took the index's coverage, past the size it had read, for
/// another log's and emptied it for every node). Found by review. (PostgreSQL only.)
#[test]
fn a_node_starting_while_another_indexes_keeps_the_shared_hash_index() {
    let Some(db) = common::pg::database() else { return };
    let store_a: Arc<dyn Store> = Arc::new(PostgresStore::open(&db.url).expect("store a"));
    let a = DurableLog::open("mrgate.test/log", key(&[9u8; 32]), Arc::clone(&store_a)).expect("node a");
    for i in 0..10 {
        a.append(&log_entry(i)).expect("append");
    }
    // Node A's indexer has indexed its 10 entries.
    db.client().batch_execute(&INDEX_UPTO.replace("$N", "10")).expect("index 10");
    assert_eq!(store_a.log_hash_index_size().expect("covered").0, 10);
    // (Node A's own threads are stopped; its store goes on committing below, as A would.)
    drop(a);

    // Node C starts; its open() reads the size (10), builds its tree, then reads the index's
    // coverage — held back here by a lock, as a moment of scheduling would.
    let mut locker = db.client();
    let mut tx = locker.transaction().expect("tx");
    tx.batch_execute("LOCK TABLE log_leaf_covered IN ACCESS EXCLUSIVE MODE").expect("lock");
    let store_c: Arc<dyn Store> = Arc::new(PostgresStore::open(&db.url).expect("store c"));
    let opening = std::thread::spawn(move || DurableLog::open("mrgate.test/log", key(&[9u8; 32]), store_c));
    waiting_for_a_lock_on(&db, "log_leaf_covered");
    // Meanwhile node A goes on: 5 more entries, and its indexer indexes them.
    let writes: Vec<Write> = (10..15)
        .map(|i| Write { entry: Some(log_entry(i as usize).encode().expect("encode")), effects: vec![] })
        .collect();
    store_a.commit(&writes).expect("commit 5");
    tx.batch_execute(&INDEX_UPTO.replace("$N", "15")).expect("index 15");
    tx.commit().expect("commit");
    let c = opening.join().expect("join").expect("node c opened");

    // Nothing was wrong with the index: it should still cover the 15 entries.
    let (covered, _) = store_a.log_hash_index_size().expect("covered");
    drop(c);
    assert_eq!(covered, 15, "node C's start wiped the shared hash index of every node");
}

/// A node starting while another completes a tile and stores its root starts (it once read
/// the size, then the tile roots, and took the roots beyond that size for a damaged store).
/// Found by review. (PostgreSQL only.)
#[test]
fn a_node_starting_while_another_stores_a_tile_root_starts() {
    let Some(db) = common::pg::database() else { return };
    let store: Arc<dyn Store> = Arc::new(PostgresStore::open(&db.url).expect("store"));
    let encoded: Vec<Vec<u8>> = (0..260).map(|i| log_entry(i as usize).encode().expect("encode")).collect();
    let write = |range: std::ops::Range<usize>| -> Vec<Write> {
        encoded[range].iter().map(|e| Write { entry: Some(e.clone()), effects: vec![] }).collect()
    };
    store.commit(&write(0..250)).expect("250");
    let mut locker = db.client();
    let mut tx = locker.transaction().expect("tx");
    tx.batch_execute("LOCK TABLE log_tile IN ACCESS EXCLUSIVE MODE").expect("lock");
    let store_c: Arc<dyn Store> = Arc::new(PostgresStore::open(&db.url).expect("store c"));
    let opening = std::thread::spawn(move || DurableLog::open("mrgate.test/log", key(&[9u8; 32]), store_c).map(drop));
    waiting_for_a_lock_on(&db, "log_tile");
    // Node A meanwhile: entries 250..260 complete tile 0; its next commit stores the tile's root.
    store.commit(&write(250..260)).expect("10");
    let mut tree = mrgate::ledger::merkle::Tree::new();
    for e in &encoded[..256] {
        tree.push(mrgate::ledger::merkle::leaf_hash(e));
    }
    let root = tree.tile_root(0).expect("root");
    tx.execute("INSERT INTO log_tile (tile, root) VALUES (0, $1)", &[&&root[..]]).expect("root");
    tx.commit().expect("commit");
    opening.join().expect("join").expect("node C starts on a healthy store");
}

/// A log of five entries on a PostgreSQL store of its own, whose last two entries the store
/// then lost behind its back; `None` without a server.
fn a_log_of_five_whose_store_lost_two() -> Option<(Backend, Arc<dyn Store>, DurableLog)> {
    let b = Backend::Postgres(common::pg::database()?);
    let store = b.open();
    let log = DurableLog::open("mrgate.test/log", key(&[8u8; 32]), Arc::clone(&store)).expect("log");
    for i in 0..5 {
        log.append(&log_entry(i)).expect("append");
    }
    assert_eq!(log.diverged(), None);
    b.sql_each("", "DELETE FROM log_entry WHERE idx >= 3");
    Some((b, store, log))
}

/// A shared store that lost entries this node's log signed (a database restored from a
/// backup, an asynchronous replica promoted) stops the log: following finds fewer entries
/// than it signed, and nothing more is committed — committing on would sign a second history
/// at the same sizes. Found by review. (PostgreSQL only.)
#[test]
fn a_log_whose_store_lost_signed_entries_commits_nothing_more() {
    let Some((_b, store, log)) = a_log_of_five_whose_store_lost_two() else { return };
    assert_eq!(log.follow().expect_err("fewer entries than signed").code(), "log.unavailable");
    assert!(log.diverged().is_some());
    assert_eq!(log.append(&log_entry(9)).expect_err("nothing more").code(), "log.unavailable");
    assert_eq!(store.log_size().expect("size"), 3, "nothing was committed");
}

/// The same loss, refilled by other nodes past this node's size before it follows: the
/// store is not smaller, but it holds other entries where this node signed its own, and
/// following over them would sign roots of two histories. Found by review. (PostgreSQL
/// only.)
#[test]
fn a_log_whose_store_lost_signed_entries_and_was_refilled_commits_nothing_more() {
    let Some((b, store, log)) = a_log_of_five_whose_store_lost_two() else { return };
    // Another node appends four entries of its own: the store holds 7, this node signed 5.
    let others: Vec<Write> =
        (10..14).map(|i| Write { entry: Some(log_entry(i).encode().expect("encode")), effects: vec![] }).collect();
    store.commit(&others).expect("another node's entries");
    assert_eq!(store.log_size().expect("size"), 7);
    assert_eq!(log.follow().expect_err("other entries where it signed its own").code(), "log.unavailable");
    assert!(log.diverged().is_some());
    assert_eq!(log.append(&log_entry(9)).expect_err("nothing more").code(), "log.unavailable");
    assert_eq!(store.log_size().expect("size"), 7, "nothing was committed");
    // The store as this node signed it, grown by another node, is followed.
    let fresh = b.open();
    let healthy = DurableLog::open("mrgate.test/log", key(&[8u8; 32]), Arc::clone(&fresh)).expect("log");
    fresh
        .commit(&[Write { entry: Some(log_entry(20).encode().expect("encode")), effects: vec![] }])
        .expect("another node's entry");
    assert_eq!(healthy.follow().expect("followed"), 8);
    assert_eq!(healthy.diverged(), None);
}

/// The register's statuses are the schema's: a write of a status that is not one is
/// refused, each that is is taken. One written behind the schema's back (its check dropped)
/// is read with the list, wherever it sorts among the statuses, and the list refuses to
/// be published (`register.unavailable`) rather than show the certificate in force.
#[test]
fn a_status_that_is_not_a_status_is_refused_and_its_list_fails_closed() {
    use mrgate::model::Status;
    use mrgate::status_list::{Purpose, Slot, UnreadStatus, Version};
    const CB: &str = "CNCA-R-2002-001";
    for b in &backends() {
        let owned = b.open();
        let store = &*owned;
        let write = |effects: Vec<Effect>| Write { entry: None, effects };
        for (i, status) in Status::ALL.iter().enumerate() {
            let number = format!("N-{i}");
            let put =
                Effect::PutCertificate { record: record(&number, status.as_str()), event: event(status.as_str(), "e") };
            let hold = Effect::HoldStatusSlot { issuer: CB.into(), number, slot: Slot { list: 1, index: i as u32 } };
            assert_eq!(outcomes(store, &[write(vec![put, hold])]), [Ok(())], "{}: {status:?}", b.name());
        }
        let stored = |number: &str| store.certificate(CB, number).expect("read").expect("held").status;
        let bad = ["", "Valid", "expire", "expired ", "revoked", "valid ", "zz"];
        for status in bad {
            let put = Effect::PutCertificate { record: record("N-9", status), event: event(status, "e") };
            assert_eq!(outcomes(store, &[write(vec![put])]), [Err("store.database")], "{}: {status:?}", b.name());
            let set = Effect::SetStatus { issuer: CB.into(), number: "N-0".into(), event: event(status, "notice") };
            assert_eq!(outcomes(store, &[write(vec![set])]), [Err("store.database")], "{}: {status:?}", b.name());
            assert_eq!(stored("N-0"), "valid");
        }
        assert_eq!(store.certificate(CB, "N-9").expect("read"), None);
        let statuses = |s: &[(u32, &str)]| s.iter().map(|(i, s)| (*i, s.to_string())).collect::<Vec<_>>();
        let all: Vec<(u32, &str)> = Status::ALL.iter().enumerate().map(|(i, s)| (i as u32, s.as_str())).collect();
        let read = store.status_list(1, None).expect("list").0;
        assert_eq!(slots(&read), statuses(&all), "{}", b.name());
        let is = |changes: mrgate::store::ListChanges| write(vec![Effect::StatusListIs { list: 1, changes }]);
        let seq = changes_of(&read);
        assert_eq!(outcomes(store, &[is(seq)]), [Ok(())]);
        let n0 = all.iter().position(|(_, s)| *s == "valid").expect("valid is a status") as u32;

        drop(owned);
        b.sql_each(
            "DROP TRIGGER certificate_status_known_update",
            "ALTER TABLE certificate DROP CONSTRAINT certificate_status_known",
        );
        for status in bad {
            b.sql(&format!("UPDATE certificate SET status = '{status}' WHERE number = 'N-{n0}'"));
            // Opened again: SQLite's keeps versions it read in memory, and this is a change
            // no write of its own made.
            let store = b.open();
            let now = store.status_list(1, None).expect("list").0;
            let mut expected = all.clone();
            expected[n0 as usize].1 = status;
            assert_eq!(slots(&now), statuses(&expected), "{}: {status:?}", b.name());
            for purpose in Purpose::ALL {
                let unread = UnreadStatus { list: 1, index: n0, status: status.into() };
                assert_eq!(Version::of(1, purpose, &held(&now)), Err(unread));
            }
            // Even a change behind the store's back is one of the list's: the slot changed
            // since is read again, alone, and what was read before is not the register's.
            let since = store.status_list(1, Some(seq.latest)).expect("list").0;
            assert_eq!(slots(&since), statuses(&[(n0, status)]), "{}: {status:?}", b.name());
            assert_eq!(outcomes(&*store, &[is(seq)]), [Err("status.list_changed")], "{}: {status:?}", b.name());
        }
        // Restored to a status, the list reads and publishes again.
        b.sql(&format!("UPDATE certificate SET status = 'valid' WHERE number = 'N-{n0}'"));
        let store = b.open();
        let now = store.status_list(1, None).expect("list").0;
        assert_eq!(slots(&now), statuses(&all));
        assert_eq!(outcomes(&*store, &[is(seq)]), [Err("status.list_changed")]);
        assert_eq!(outcomes(&*store, &[is(changes_of(&now))]), [Ok(())]);
    }
}

/// Status-list slots: a certificate keeps the one it was given until it is superseded, no two
/// certificates share one, nor is a superseded one given again (the loser of a race is told
/// `status.slot_taken`, to draw again), and a list version is published only while the
/// register gives the list those bits — in one transaction with what changes them.
#[test]
fn status_list_slots_are_one_per_certificate_and_versions_the_registers() {
    use mrgate::status_list::{Purpose, Slot, Version};
    for b in &backends() {
        let store = b.open();
        let store = &*store;
        let put = |number: &str, status: &str| Effect::PutCertificate {
            record: record(number, status),
            event: event(status, "export"),
        };
        let hold = |number: &str, slot: Slot| Effect::HoldStatusSlot {
            issuer: "CNCA-R-2002-001".into(),
            number: number.into(),
            slot,
        };
        let is = |changes: mrgate::store::ListChanges| Effect::StatusListIs { list: 1, changes };
        let write = |effects: Vec<Effect>| Write { entry: None, effects };
        let (a, c) = (Slot { list: 1, index: 77 }, Slot { list: 1, index: 9 });
        assert_eq!(outcomes(store, &[write(vec![put("N-1", "valid"), hold("N-1", a)])]), [Ok(())]);
        // The same slot again: nothing to do. Another slot for the same certificate: refused.
        assert_eq!(outcomes(store, &[write(vec![hold("N-1", a)])]), [Ok(())]);
        assert_eq!(outcomes(store, &[write(vec![hold("N-1", c)])]), [Err("register.conflict")]);
        // Another certificate drawing the same slot: refused, and nothing of its write stands.
        assert_eq!(
            outcomes(store, &[write(vec![put("N-2", "valid"), hold("N-2", a)])]),
            [Err("status.slot_taken")],
            "{}",
            b.name()
        );
        assert_eq!(store.certificate("CNCA-R-2002-001", "N-2").expect("read"), None);
        assert_eq!(outcomes(store, &[write(vec![put("N-2", "suspended"), hold("N-2", c)])]), [Ok(())]);
        assert_eq!(store.status_slot("CNCA-R-2002-001", "N-1").expect("read"), Some(a));
        assert_eq!(store.status_slot("CNCA-R-2002-001", "N-3").expect("read"), None);
        assert!(
            store.status_slot_taken(c).expect("read")
                && !store.status_slot_taken(Slot { list: 2, index: 9 }).expect("read")
        );
        assert_eq!(store.status_slots_held().expect("held"), 2);
        // Every slot of the list is read, in index order, with its registration.
        let read = store.status_list(1, None).expect("list").0;
        assert_eq!(slots(&read), [(9, "suspended"), (77, "valid")].map(|(i, s)| (i, s.to_string())));
        assert_eq!(read[1].certificate, Some(("CNCA-R-2002-001".into(), "N-1".into())));
        assert_eq!(
            (read[1].recorded_at.as_str(), &read[1].signer),
            ("2026-11-26T05:00:00Z", &record("N-1", "").signer)
        );
        assert_eq!(store.status_list(2, None).expect("list").0, vec![]);
        // Nothing changed since the latest change read, and a version is published only as
        // made up to it.
        let seq = changes_of(&read);
        assert!(seq.latest >= 2 && read[0].seq != read[1].seq, "{}: {read:?}", b.name());
        assert_eq!((seq.slots, seq.sum), (2, read[0].seq + read[1].seq));
        // Nothing since, and the list as a whole told with it, as a reader that applied it
        // holds it.
        assert_eq!(store.status_list(1, Some(seq.latest)).expect("list"), (vec![], seq));
        assert_eq!(store.status_list(2, None).expect("list"), (vec![], mrgate::store::ListChanges::default()));
        assert_eq!(outcomes(store, &[write(vec![is(seq)])]), [Ok(())]);
        use mrgate::store::ListChanges;
        for other in [
            ListChanges { latest: seq.latest - 1, ..seq },
            ListChanges { latest: seq.latest + 1, ..seq },
            ListChanges { slots: 1, ..seq },
            ListChanges { sum: seq.sum + 1, ..seq },
            ListChanges::default(),
        ] {
            assert_eq!(outcomes(store, &[write(vec![is(other)])]), [Err("status.list_changed")], "{other:?}");
        }
        // A slot taken in another list changes this one's nothing.
        let other = Slot { list: 2, index: 9 };
        assert_eq!(outcomes(store, &[write(vec![put("N-5", "valid"), hold("N-5", other)])]), [Ok(())]);
        assert_eq!(outcomes(store, &[write(vec![is(seq)])]), [Ok(())]);
        // Registered again with its status unchanged but another signer: the rules read the
        // registration, so the list read before is not the register's; that slot alone is
        // read again.
        let mut again = record("N-1", "valid");
        again.signer = Some(mrgate::store::RegisteredSigner {
            certificate: format!("{:064x}", 7),
            registered_at: "2026-11-27T05:00:00Z".into(),
        });
        let reregister = Effect::PutCertificate { record: again, event: event("valid", "export") };
        assert_eq!(
            outcomes(store, &[write(vec![reregister]), write(vec![is(seq)])]),
            [Ok(()), Err("status.list_changed")]
        );
        let (since, whole) = store.status_list(1, Some(seq.latest)).expect("list");
        assert_eq!(slots(&since), [(77, "valid".to_string())], "{}", b.name());
        assert_eq!(since[0].signer.as_ref().map(|s| s.registered_at.as_str()), Some("2026-11-27T05:00:00Z"));
        // The list as a node that applied it has it: the slot's change replaced.
        let applied = seq.without(&read[1]).with(&since[0]);
        assert_eq!((applied, whole), (changes_of(&store.status_list(1, None).expect("list").0), applied));
        let seq = applied;
        // In one transaction with the change that sets the bit: not the version before it.
        let withdraw = Effect::SetStatus {
            issuer: "CNCA-R-2002-001".into(),
            number: "N-1".into(),
            event: event("withdrawn", "notice"),
        };
        assert_eq!(
            outcomes(store, &[write(vec![withdraw]), write(vec![is(seq)])]),
            [Ok(()), Err("status.list_changed")]
        );
        let since = store.status_list(1, Some(seq.latest)).expect("list").0;
        assert_eq!(slots(&since), [(77, "withdrawn".to_string())]);
        assert_eq!(
            outcomes(store, &[write(vec![is(changes_of(&store.status_list(1, None).expect("list").0))])]),
            [Ok(())]
        );
        assert_eq!(
            slots(&store.status_list(1, None).expect("list").0),
            [(9, "suspended"), (77, "withdrawn")].map(|(i, s)| (i, s.to_string()))
        );
        // A slot out of the lists' range is never held.
        let out = Slot { list: 1, index: mrgate::status_list::LENGTH };
        assert_eq!(outcomes(store, &[write(vec![put("N-3", "valid"), hold("N-3", out)])]), [Err("store.database")]);
        // A publication: once each time a document becomes the one published as its name.
        let publish = |digest: &str| Effect::Publish { what: "status-list/1/revocation".into(), digest: digest.into() };
        assert_eq!(store.published("status-list/1/revocation").expect("read"), None);
        assert_eq!(
            outcomes(store, &[write(vec![publish("aa")]), write(vec![publish("aa")])]),
            [Ok(()), Err("publication.current")]
        );
        assert_eq!(outcomes(store, &[write(vec![publish("bb")]), write(vec![publish("aa")])]), [Ok(()), Ok(())]);
        assert_eq!(store.published("status-list/1/revocation").expect("read").as_deref(), Some("aa"));
        assert_eq!(store.published("did-document").expect("read"), None);

        // Superseded (rule set 24): N-2's slot is its no longer, revoked for good whatever
        // its status, and never held again; N-2 draws another in the same write.
        let supersede =
            |number: &str| Effect::SupersedeStatusSlot { issuer: "CNCA-R-2002-001".into(), number: number.into() };
        let d = Slot { list: 1, index: 500 };
        assert_eq!(outcomes(store, &[write(vec![supersede("N-2"), hold("N-2", d)])]), [Ok(())], "{}", b.name());
        assert_eq!(store.status_slot("CNCA-R-2002-001", "N-2").expect("read"), Some(d));
        assert!(store.status_slot_taken(c).expect("read"), "{}", b.name());
        assert_eq!(store.status_slots_held().expect("held"), 4);
        let read = store.status_list(1, None).expect("list").0;
        // N-2 is suspended: its new slot is read with its status, the superseded one as such.
        let expected = [(9, "superseded"), (77, "withdrawn"), (500, "suspended")].map(|(i, s)| (i, s.to_string()));
        assert_eq!(slots(&read), expected, "{}", b.name());
        assert_eq!(read[0], mrgate::store::ListSlot::superseded(9, read[0].seq));
        assert!(read[0].seq > seq.latest && read[2].seq > seq.latest, "{}: superseded and taken since", b.name());
        let held = held(&read);
        let revoked = Version::of(1, Purpose::Revocation, &held).expect("reads");
        let suspended = Version::of(1, Purpose::Suspension, &held).expect("reads");
        assert_eq!((revoked.set, suspended.set), (vec![9, 77], vec![500]));
        // Neither N-2 nor another certificate holds the superseded slot again.
        assert_eq!(outcomes(store, &[write(vec![put("N-4", "valid"), hold("N-4", c)])]), [Err("status.slot_taken")]);
        assert_eq!(outcomes(store, &[write(vec![supersede("N-2"), hold("N-2", c)])]), [Err("status.slot_taken")]);
        assert_eq!(store.status_slot("CNCA-R-2002-001", "N-2").expect("read"), Some(d), "nothing of it stands");
        // A certificate holding none: nothing to supersede.
        assert_eq!(outcomes(store, &[write(vec![supersede("N-9")])]), [Ok(())]);
        assert_eq!(store.status_slots_held().expect("held"), 4);
    }
}

/// A PostgreSQL store that cannot be reached says why (found by attack: connecting said
/// only "db error", whatever the cause): the server's own words for a database it does not
/// have, the system's for a port no server listens on.
#[test]
fn a_store_that_cannot_connect_says_why() {
    let Some(server) = common::pg::server() else { return };
    let missing = match PostgresStore::open(&format!("{server}/mrgate_no_such_database")) {
        Ok(_) => panic!("opened a database that does not exist"),
        Err(e) => e,
    };
    assert_eq!(missing.code(), "store.database");
    assert!(missing.to_string().contains("database \"mrgate_no_such_database\" does not exist"), "{missing}");
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let refused = match PostgresStore::open(&format!("postgres://postgres@127.0.0.1:{port}/mrgate")) {
        Ok(_) => panic!("opened a store where no server listens"),
        Err(e) => e,
    };
    assert!(refused.to_string().contains("Connection refused"), "{refused}");
}

/// `mrgate store look-alikes` (an upgrade's check, on every backend): the exporter's words in
/// force beside another number of their CB that reads as theirs, registered before rule sets
/// 26 and 27 met such pairs — a word valid, or suspended by its body and not by the gateway —
/// each with the numbers it reads as; not a word the gateway suspended for it, nor one
/// withdrawn, nor one no number reads as, nor a CB's own number. Exits 1 when it lists any,
/// 0 when none, 2 with no store.
#[test]
fn the_store_lists_the_exporters_words_registered_beside_look_alikes_before_the_rules() {
    for b in &backends() {
        let dir = tempfile::tempdir().expect("tmp");
        let data = dir.path().join("data");
        let mut text = common::gateway::example_config_text(&data);
        if let Backend::Postgres(db) = b {
            text = text.replace(
                "# [store]\n# url = \"postgres://mrgate@127.0.0.1:5432/mrgate\"",
                &format!("[store]\nurl = \"{}\"", db.url),
            );
        }
        let cfg = dir.path().join("mrgate.toml");
        std::fs::write(&cfg, text).expect("config");
        let listed = || {
            let out = common::mrgate(&["store", "look-alikes", "--config", cfg.to_str().expect("path")], b"");
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        };
        if let Backend::Sqlite(_) = b {
            let db = data.join("mrgate.db");
            assert_eq!(
                listed(),
                (Some(2), String::new(), format!("error[io.read]: {}: no store there\n", db.display()))
            );
        }
        let open = || -> Arc<dyn Store> {
            match b {
                Backend::Sqlite(_) => {
                    std::fs::create_dir_all(&data).expect("data");
                    Arc::new(SqliteStore::open(&data.join("mrgate.db")).expect("open"))
                }
                Backend::Postgres(db) => Arc::new(PostgresStore::open(&db.url).expect("open")),
            }
        };
        let put = |store: &dyn Store, (number, origin, status, reference, actor): (&str, &str, &str, &str, &str)| {
            let record = CertificateRecord { origin: origin.into(), signer: None, ..record(number, status) };
            let event = StatusEvent { actor: actor.into(), ..event(status, reference) };
            store.put_certificate(&record, &event).expect("put");
        };
        put(&*open(), ("A-001", "export-unsigned", "valid", "export-1", "exporter:x"));
        assert_eq!(
            listed(),
            (Some(0), "no exporter's word reads as another number of its CB\n".into(), String::new()),
            "{}",
            b.name()
        );
        let store = open();
        for row in [
            // A word valid beside its CB's number: listed.
            ("B-001", "export", "withdrawn", "export-2", "exporter:x"),
            ("B-OO1", "export-unsigned", "valid", "export-3", "exporter:x"),
            // A word its body suspended, beside a status from a notice: listed.
            ("C-001", "notice", "withdrawn", "notice:1", "partner:cnas"),
            ("C-0OI", "export-unsigned", "suspended", "notice:2", "partner:cnas"),
            // A word the gateway suspended for it: not listed.
            ("D-001", "export", "valid", "export-4", "exporter:x"),
            ("D-00I", "export-unsigned", "suspended", "look-alike:export:e-4", "gateway"),
            // A word the gateway suspended before a look-alike registered later (its body
            // had it suspended then): listed, with the later one only.
            ("G-001", "export", "valid", "export-8", "exporter:x"),
            ("G-00I", "export-unsigned", "suspended", "look-alike:export:e-8", "gateway"),
            // A word withdrawn: not listed.
            ("E-001", "export", "valid", "export-5", "exporter:x"),
            ("E-OO1", "export-unsigned", "withdrawn", "notice:3", "partner:cnas"),
            // Two words of numbers that read as one: both listed.
            ("F-0O1", "export-unsigned", "valid", "export-6", "exporter:x"),
            ("F-O01", "export-unsigned", "valid", "export-7", "exporter:y"),
        ] {
            put(&*store, row);
        }
        let later = CertificateRecord { recorded_at: "2026-11-27T00:00:00Z".into(), ..record("G-0O1", "valid") };
        store.put_certificate(&later, &event("valid", "export-9")).expect("put");
        // The number the gateway suspended D-00I for, its facts registered again later (no
        // new event): still met (the order of events, not the registration's time).
        let again = CertificateRecord {
            recorded_at: "2026-11-28T00:00:00Z".into(),
            document: b"<Certificate>other facts</Certificate>".to_vec(),
            ..record("D-001", "valid")
        };
        store.put_certificate(&again, &event("valid", "export-10")).expect("put");
        // A number with no status event (a store repaired by hand): swept once, then met.
        put(&*store, ("H-OO1", "export-unsigned", "valid", "export-11", "exporter:x"));
        put(&*store, ("H-001", "export", "valid", "export-12", "exporter:x"));
        drop(store);
        let behind = |sql: &str| match b {
            Backend::Sqlite(_) => {
                rusqlite::Connection::open(data.join("mrgate.db")).expect("db").execute_batch(sql).expect(sql)
            }
            Backend::Postgres(_) => b.sql(sql),
        };
        behind("DELETE FROM status_event WHERE number = 'H-001'");
        let expected = "CNCA-R-2002-001 B-OO1 valid reads as B-001 (export, withdrawn)\n\
                        CNCA-R-2002-001 C-0OI suspended reads as C-001 (notice, withdrawn)\n\
                        CNCA-R-2002-001 F-0O1 valid reads as F-O01 (export-unsigned, valid)\n\
                        CNCA-R-2002-001 F-O01 valid reads as F-0O1 (export-unsigned, valid)\n\
                        CNCA-R-2002-001 G-00I suspended reads as G-0O1 (export, valid)\n\
                        CNCA-R-2002-001 H-OO1 valid reads as H-001 (export, valid)\n";
        assert_eq!(listed(), (Some(1), expected.to_string(), String::new()), "{}", b.name());
        // What a node's sweep suspends (rule set 28), and its write held to the rule word by
        // word: a word met, one not in force, one the register does not hold, one twice, or
        // the words in another order, is refused with nothing written.
        let store = open();
        let swept = mrgate::decisions::register::swept(&store.look_alike_words().expect("words"));
        let key = |n: &str| ("CNCA-R-2002-001".to_string(), n.to_string());
        let expected: Vec<_> = ["B-OO1", "C-0OI", "F-0O1", "F-O01", "G-00I", "H-OO1"].map(key).into();
        assert_eq!(swept, expected, "{}", b.name());
        let event = StatusEvent { actor: "gateway".into(), ..event("suspended", "look-alike:sweep") };
        let not_swept = |n: &str| {
            format!(
                "the exporter's word CNCA-R-2002-001/{n} or a number beside it changed while the sweep was decided; ask again"
            )
        };
        let order = "a sweep's words are not in (issuer, number) order, once each, as the rule gives them".to_string();
        let reversed: Vec<_> = swept.iter().rev().cloned().collect();
        let twice = [swept.clone(), vec![key("H-OO1")]].concat();
        for (wrong, message) in [
            ([swept.clone(), vec![key("D-00I")]].concat(), not_swept("D-00I")),
            ([vec![key("A-001")], swept.clone()].concat(), not_swept("A-001")),
            ([swept.clone(), vec![key("E-OO1")]].concat(), not_swept("E-OO1")),
            ([swept.clone(), vec![key("Z-OO1")]].concat(), not_swept("Z-OO1")),
            (reversed, order.clone()),
            (twice, order.clone()),
        ] {
            let r = store.write(Effect::SweepLookAlikes { suspended: wrong.clone(), event: event.clone() });
            let Err(StoreError::Conflict { reason, message: said }) = r else {
                panic!("{}: {wrong:?}: {r:?}", b.name())
            };
            assert_eq!((reason, said), ("register.conflict", message), "{wrong:?}");
        }
        assert_eq!(store.certificate("CNCA-R-2002-001", "B-OO1").expect("read").expect("held").status, "valid");
        let size = store.log_size().expect("size");
        drop(store);
        // A node that starts sweeps them, by one logged decision naming no number; a node
        // that starts after it finds nothing to sweep and logs nothing.
        let config = mrgate::server::config::Config::load(&cfg).expect("config");
        let started = || {
            let app = mrgate::server::App::load(config.clone()).expect("starts");
            let size = app.log.size().expect("size");
            drop(app);
            size
        };
        // The equivalence table's and the trust list's installs from the files, then the sweep.
        let swept_at = size + 2;
        assert_eq!(started(), swept_at + 1, "{}", b.name());
        let store = open();
        let encoded = store.log_entries(swept_at, swept_at + 1).expect("entries").remove(0);
        let entry = Entry::decode(&encoded).expect("entry");
        let rule_set = match &entry.rules {
            mrgate::ledger::entry::Rules::V2 { rule_set, trust_list, crls, .. } => {
                (rule_set.clone(), trust_list.is_some(), crls.is_some())
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(
            (
                entry.kind.as_str(),
                entry.actor.as_str(),
                entry.verdict.as_str(),
                &entry.reasons,
                &entry.inputs,
                &entry.outputs
            ),
            ("look-alikes", "gateway", "suspended", &vec!["register.look_alike".to_string()], &vec![], &vec![])
        );
        assert_eq!(rule_set, (Some(mrgate::decisions::RULE_SET.to_string()), true, true));
        let encoded = String::from_utf8_lossy(&encoded).into_owned();
        let numbers =
            ["A-001", "B-001", "B-OO1", "C-001", "C-0OI", "D-001", "D-00I", "E-001", "E-OO1", "F-0O1", "F-O01"];
        let numbers = [numbers.as_slice(), &["G-001", "G-00I", "G-0O1", "H-001", "H-OO1"]].concat();
        assert!(numbers.iter().all(|n| !encoded.contains(n)), "{encoded}");
        for (number, status) in [
            ("B-OO1", "suspended"),
            ("C-0OI", "suspended"),
            ("F-0O1", "suspended"),
            ("F-O01", "suspended"),
            ("G-00I", "suspended"),
            ("D-00I", "suspended"),
            ("E-OO1", "withdrawn"),
            ("A-001", "valid"),
            ("H-OO1", "suspended"),
        ] {
            let held = store.certificate("CNCA-R-2002-001", number).expect("read").expect("held");
            let history = store.status_history("CNCA-R-2002-001", number).expect("history");
            let last = history.last().expect("an event");
            let by_sweep = (last.actor.as_str(), last.reference.as_str()) == ("gateway", "look-alike:sweep");
            let swept = swept.contains(&key(number));
            assert_eq!((held.status.as_str(), by_sweep), (status, swept), "{number}");
            if swept {
                assert_eq!((last.status.as_str(), last.since.as_str()), ("suspended", entry.time.as_str()));
                let at = time::OffsetDateTime::parse(&entry.time, &time::format_description::well_known::Rfc3339);
                let at = at.expect("time").unix_timestamp();
                assert_eq!(mrgate::decisions::register::suspended_by_gateway(&history), Some(at), "{number}");
            }
        }
        drop(store);
        assert_eq!(
            listed(),
            (Some(0), "no exporter's word reads as another number of its CB\n".into(), String::new()),
            "{}",
            b.name()
        );
        assert_eq!(started(), swept_at + 1, "{}", b.name());
    }
}
