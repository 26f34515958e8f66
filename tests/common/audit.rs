//! The audit of a gateway's store, in-process, as `mrgate log audit --config` makes it; and
//! the means to change a copy of the store behind the gateway's back.

use super::gateway::{DEMO, config};
use mrgate::audit::{Audit, Report, Source, StoreSource};
use mrgate::store::{Store, StoreError};
use std::path::Path;

/// The audit of a store, as `mrgate log audit --config` makes it, in-process.
pub fn audit(data: &Path, checkpoint: Option<&str>) -> Report {
    audit_with(&config(data), data, checkpoint)
}

/// [`audit_with`], reading the store through a gateway that answers `pt.round_open` for each
/// document `withheld` names (as it may for an open round's): what a gateway could try to
/// hide a decision behind.
pub fn audit_withholding(data: &Path, withheld: &[String]) -> Report {
    audit_through(&config(data), data, None, &|store| Box::new(Withholding(StoreSource(store), withheld.to_vec())))
}

struct Withholding<'a>(StoreSource<'a>, Vec<String>);

impl Source for Withholding<'_> {
    fn log_size(&self) -> Result<u64, StoreError> {
        self.0.log_size()
    }
    fn log_entries(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, StoreError> {
        self.0.log_entries(start, end)
    }
    fn kept_document(&self, digest: &str) -> Result<Option<Vec<u8>>, StoreError> {
        if self.1.iter().any(|d| d == digest) {
            return Err(StoreError::Conflict { reason: "pt.round_open", message: format!("document sha256:{digest}") });
        }
        self.0.kept_document(digest)
    }
    fn trust_lists(&self) -> Result<Vec<mrgate::store::TrustListVersion>, StoreError> {
        self.0.trust_lists()
    }
    fn equivalence_tables(&self) -> Result<Vec<mrgate::store::TableVersion>, StoreError> {
        self.0.equivalence_tables()
    }
}

/// [`audit`] with the CRLs, install policy and signing certificate of `cfg`.
pub fn audit_with(cfg: &mrgate::server::config::Config, data: &Path, checkpoint: Option<&str>) -> Report {
    audit_through(cfg, data, checkpoint, &|store| Box::new(StoreSource(store)))
}

/// The audit of `cfg`'s store in `data`, read through the source `through` makes of it.
fn audit_through(
    cfg: &mrgate::server::config::Config,
    data: &Path,
    checkpoint: Option<&str>,
    through: &dyn for<'s> Fn(&'s dyn Store) -> Box<dyn Source + 's>,
) -> Report {
    let crls = mrgate::server::configured_crls(cfg).expect("crls");
    let policy = mrgate::server::install_policy(cfg, &crls).expect("policy");
    let own = mrgate::crypto::x509::read_certificates(&std::fs::read(&cfg.signing.certificate).expect("pem"))
        .expect("certificate");
    let log_key =
        mrgate::crypto::keys::PublicKey::from_spki_pem(&std::fs::read(format!("{DEMO}/log.pub")).expect("key"))
            .expect("key");
    let checkpoint =
        checkpoint.map(|note| mrgate::ledger::checkpoint::Checkpoint::verify(note, log_key.raw()).expect("signed").0);
    // The gateway that wrote it may hold its store a moment after its shutdown.
    let mut store = mrgate::store::sqlite::SqliteStore::open(&data.join("mrgate.db"));
    for _ in 0..500 {
        match &store {
            Err(e) if e.to_string().contains("in use by another mrgate process") => {
                std::thread::sleep(std::time::Duration::from_millis(10));
                store = mrgate::store::sqlite::SqliteStore::open(&data.join("mrgate.db"));
            }
            _ => break,
        }
    }
    let store = store.expect("store");
    let audit = Audit {
        policy: &policy,
        crls: &crls,
        gateway: vec![own],
        public_bases: Vec::new(),
        limits: mrgate::xml::Limits::default(),
        checkpoints: checkpoint.into_iter().collect(),
        format_1_until: 0,
        lists_whole: false,
    };
    audit.run(through(&store).as_ref()).expect("audit")
}

/// A copy of a data directory, to change behind the gateway's back.
pub fn copy_of(data: &Path) -> tempfile::TempDir {
    let copy = tempfile::tempdir().expect("tmp");
    for name in ["mrgate.db", "mrgate.db-wal", "mrgate.db-shm"] {
        let from = data.join(name);
        if from.exists() {
            std::fs::copy(&from, copy.path().join(name)).expect("copy");
        }
    }
    copy
}

pub fn sql(data: &Path, statement: &str) {
    let db = rusqlite::Connection::open(data.join("mrgate.db")).expect("db");
    let changed = db.execute(statement, []).expect(statement);
    assert!(changed > 0, "{statement} changed nothing");
}

/// The disagreements as (entry, reason), in log order.
pub fn found(report: &Report) -> Vec<(u64, &'static str)> {
    report.disagreements.iter().map(|d| (d.index, d.reason)).collect()
}

/// Rewrites entry `index` of the store's log (the tree then no longer has its checkpoints'
/// roots: what a dishonest store would have to do).
pub fn rewrite(data: &Path, index: u64, change: impl FnOnce(&mut mrgate::ledger::entry::Entry)) {
    let db = rusqlite::Connection::open(data.join("mrgate.db")).expect("db");
    let bytes: Vec<u8> =
        db.query_row("SELECT entry FROM log_entry WHERE idx = ?1", [index as i64], |r| r.get(0)).expect("entry");
    let mut entry = mrgate::ledger::entry::Entry::decode(&bytes).expect("entry");
    change(&mut entry);
    let changed = db
        .execute(
            "UPDATE log_entry SET entry = ?1 WHERE idx = ?2",
            rusqlite::params![entry.encode().expect("entry"), index as i64],
        )
        .expect("write");
    assert_eq!(changed, 1);
}

/// Entry `index` of the store's log.
pub fn entry(data: &Path, index: u64) -> mrgate::ledger::entry::Entry {
    let db = rusqlite::Connection::open(data.join("mrgate.db")).expect("db");
    let bytes: Vec<u8> =
        db.query_row("SELECT entry FROM log_entry WHERE idx = ?1", [index as i64], |r| r.get(0)).expect("entry");
    mrgate::ledger::entry::Entry::decode(&bytes).expect("entry")
}

/// A document kept with the log, by digest.
pub fn kept(data: &Path, digest: &str) -> Vec<u8> {
    let db = rusqlite::Connection::open(data.join("mrgate.db")).expect("db");
    db.query_row("SELECT document FROM kept_document WHERE digest = ?1", [digest], |r| r.get(0)).expect(digest)
}

/// Keeps `document` with the log as the gateway would (a document kept already is kept
/// once); its digest.
pub fn keep(data: &Path, document: &[u8]) -> String {
    let digest = mrgate::crypto::sha256_hex(document);
    let db = rusqlite::Connection::open(data.join("mrgate.db")).expect("db");
    let sql = "INSERT OR IGNORE INTO kept_document (digest, document) VALUES (?1, ?2)";
    db.execute(sql, rusqlite::params![digest, document]).expect("keep");
    digest
}

/// A change made to a copy of a store behind the gateway's back.
pub type Change = Box<dyn FnOnce(&Path)>;

/// What is changed, how, and the disagreements (entry, reason) the audit must find, in
/// log order.
pub type Case = (&'static str, Change, Vec<(u64, &'static str)>);

/// Makes each change to its own copy of `data` and audits it: exactly the disagreements
/// expected are found.
#[track_caller]
pub fn each_caught(data: &Path, cases: Vec<Case>) {
    for (what, change, expected) in cases {
        let changed = copy_of(data);
        change(changed.path());
        let report = audit(changed.path(), None);
        assert_eq!(found(&report), expected, "{what}: {:#?}", report.disagreements);
    }
}
