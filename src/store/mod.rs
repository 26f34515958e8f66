//! The gateway's memory: certificates by issuer and number (and by holder credit code), their
//! status history, exports, recognitions, notices, trust-list versions, and the transparency
//! log's entries.
//!
//! [`Store`] is the narrow interface the rest of the gateway uses; [`sqlite::SqliteStore`] is
//! the embedded default (one file, WAL, `synchronous=FULL`). A networked database can be
//! added beside it without touching callers. Every write returns only after its
//! transaction committed: nothing is acknowledged before it is durable.

pub mod sqlite;

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("store: {0}")]
    Database(String),
    #[error("no certificate {issuer}/{number}")]
    NotFound { issuer: String, number: String },
    #[error("store schema version {found} is newer than this build understands ({supported})")]
    SchemaTooNew { found: i64, supported: i64 },
    /// The write contradicts what is stored (a round defined twice, a closed round, another
    /// partner's participant); nothing was written.
    #[error("{reason}: {message}")]
    Conflict { reason: &'static str, message: String },
}

impl StoreError {
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::Database(_) => "store.database",
            StoreError::NotFound { .. } => "store.not_found",
            StoreError::SchemaTooNew { .. } => "store.schema_too_new",
            StoreError::Conflict { reason, .. } => reason,
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Database(e.to_string())
    }
}

/// A certificate the gateway exported or recognized.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertificateRecord {
    pub issuer: String,
    pub number: String,
    pub holder_credit_code: Option<String>,
    /// `export` (domestic) or `recognition` (foreign).
    pub origin: String,
    pub status: String,
    /// The certificate as CN XML.
    #[serde(skip)]
    pub document: Vec<u8>,
    pub recorded_at: String,
}

/// One change of a certificate's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusEvent {
    pub status: String,
    pub since: String,
    pub actor: String,
    /// The notice or decision that made the change.
    pub reference: String,
}

/// A trust-list version the gateway has used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrustListVersion {
    pub sequence: u64,
    pub digest: String,
    pub installed_at: String,
    #[serde(skip)]
    pub document: Vec<u8>,
}

/// One version of a certificate: its record and status history as committed together.
/// A write to the certificate makes a new version; this one never changes.
#[derive(Debug)]
pub struct CertificateView {
    pub record: CertificateRecord,
    pub history: Vec<StatusEvent>,
    /// What callers derive from this version (e.g. the facts parsed from its document),
    /// computed once and dropped with the version, so it can never outlive a change.
    pub derived: std::sync::OnceLock<std::sync::Arc<dyn std::any::Any + Send + Sync>>,
}

/// An answer from memory alone.
#[derive(Debug, Clone)]
pub enum InMemory {
    /// The current version.
    Version(std::sync::Arc<CertificateView>),
    /// Known not to be in the store.
    Absent,
    /// Not in memory: ask [`Store::certificate_view`].
    Unknown,
}

impl InMemory {
    pub fn version(self) -> Option<std::sync::Arc<CertificateView>> {
        match self {
            InMemory::Version(v) => Some(v),
            _ => None,
        }
    }
}

/// A proficiency-testing round as defined by its provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PtRoundRecord {
    pub id: String,
    pub provider: String,
    /// The signed round definition, as received.
    #[serde(skip)]
    pub definition: Vec<u8>,
    pub defined_at: String,
    /// Set once the round is closed: no result is accepted after.
    pub closed_at: Option<String>,
}

/// One signed results submission, as received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PtSubmissionRecord {
    pub round: String,
    pub submitter: String,
    /// SHA-256 of the document, hex.
    pub digest: String,
    pub received: String,
    #[serde(skip)]
    pub document: Vec<u8>,
}

/// One participant's current result for one measurand; `result` is its JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PtResultRecord {
    pub measurand: String,
    pub participant: String,
    pub submitter: String,
    /// Digest of the submission that carried it.
    pub submission: String,
    pub result: String,
}

/// A closed round's signed report in each of its forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PtReportRecord {
    pub xml: Vec<u8>,
    pub json: String,
    pub csv: String,
}

/// The gateway's store.
pub trait Store: Send + Sync {
    /// Records a certificate (new, or a new version of one already known) and, when its
    /// status differs from the last recorded one, a status event — in one transaction.
    fn put_certificate(&self, record: &CertificateRecord, event: &StatusEvent) -> Result<(), StoreError>;
    fn certificate(&self, issuer: &str, number: &str) -> Result<Option<CertificateRecord>, StoreError>;
    fn certificates_by_holder(&self, credit_code: &str) -> Result<Vec<CertificateRecord>, StoreError>;
    /// Changes a certificate's status (a notice), recording the event.
    fn set_status(&self, issuer: &str, number: &str, event: &StatusEvent) -> Result<(), StoreError>;
    fn status_history(&self, issuer: &str, number: &str) -> Result<Vec<StatusEvent>, StoreError>;
    /// The certificate's current version: record and history read in one transaction.
    fn certificate_view(
        &self,
        issuer: &str,
        number: &str,
    ) -> Result<Option<std::sync::Arc<CertificateView>>, StoreError>;
    /// What memory knows of the certificate's current version, without blocking on the
    /// database.
    fn cached_certificate_view(&self, _issuer: &str, _number: &str) -> InMemory {
        InMemory::Unknown
    }

    /// Exports and recognitions: an id, a kind and the JSON of what was returned.
    fn put_decision(&self, id: &str, kind: &str, json: &str) -> Result<(), StoreError>;
    fn decision(&self, id: &str) -> Result<Option<(String, String)>, StoreError>;

    fn put_trust_list(&self, version: &TrustListVersion) -> Result<(), StoreError>;
    fn trust_lists(&self) -> Result<Vec<TrustListVersion>, StoreError>;

    /// Records a new round; a round id already defined is a conflict.
    fn put_pt_round(&self, round: &PtRoundRecord) -> Result<(), StoreError>;
    fn pt_round(&self, id: &str) -> Result<Option<PtRoundRecord>, StoreError>;
    /// Records a submission and its results in one transaction, replacing the same
    /// participants' earlier results for the same measurands (kept as replaced). Refused as a
    /// conflict, writing nothing, when the round is closed or a result belongs to a
    /// participant another partner submitted. Returns the results it replaced.
    fn put_pt_submission(
        &self,
        submission: &PtSubmissionRecord,
        results: &[PtResultRecord],
    ) -> Result<Vec<PtResultRecord>, StoreError>;
    fn pt_submissions(&self, round: &str) -> Result<Vec<PtSubmissionRecord>, StoreError>;
    /// The current results of a round, by measurand and participant.
    fn pt_results(&self, round: &str) -> Result<Vec<PtResultRecord>, StoreError>;
    /// Results that a later submission replaced, oldest first.
    fn pt_replaced(&self, round: &str) -> Result<Vec<PtResultRecord>, StoreError>;
    /// Closes a round to submissions (from then on they conflict) and returns the closing
    /// time. Closing again returns the first closing time while the round has no report
    /// (so a close that failed after this step can be retried); once it has one, it is a
    /// conflict.
    fn close_pt_round(&self, id: &str, at: &str) -> Result<String, StoreError>;
    fn put_pt_report(&self, id: &str, report: &PtReportRecord) -> Result<(), StoreError>;
    fn pt_report(&self, id: &str) -> Result<Option<PtReportRecord>, StoreError>;

    /// Appends log entries in one transaction; returns the index of the first.
    fn append_log(&self, entries: &[Vec<u8>]) -> Result<u64, StoreError>;
    fn log_entries(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, StoreError>;
    fn log_size(&self) -> Result<u64, StoreError>;
}
