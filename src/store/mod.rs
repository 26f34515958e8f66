//! The gateway's memory: certificates by issuer and number (and by holder credit code), their
//! status history, exports, recognitions, notices, trust-list versions, and the transparency
//! log's entries.
//!
//! [`Store`] is the narrow interface the rest of the gateway uses; [`sqlite::SqliteStore`] is
//! the embedded default (one file, WAL, `synchronous=FULL`), [`postgres::PostgresStore`] the
//! networked one a deployment grows into (`[store] url`), chosen by [`open`]; callers never
//! know which they have. Every write returns only after its
//! transaction committed: nothing is acknowledged before it is durable. A decision's writes
//! ([`Effect`]s) are committed in the transaction that appends its log entry ([`Write`]);
//! this module must never apply an effect whose entry it then drops, or the reverse.

pub mod postgres;
pub mod rules;
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
    /// The shared database is decided by another rule set than this build's: a node of a
    /// newer build opened it (this node commits nothing more), or this build is older than
    /// the one deciding it (it does not open). One log holds one rule set's decisions at a
    /// time, so nodes are upgraded together, and an old node left running is fenced off
    /// rather than deciding by rules the others retired.
    #[error("{}", rule_set_moved(*store, *node))]
    RuleSetMoved { store: i64, node: i64 },
    /// The write contradicts what is stored (a round defined twice, a closed round, another
    /// partner's participant); nothing was written.
    #[error("{reason}: {message}")]
    Conflict { reason: &'static str, message: String },
    /// A stored status is not a register status (written behind the gateway's back): what
    /// depends on it fails closed, as `/v1/verify` does for the certificate itself.
    #[error("{0}")]
    UnreadStatus(#[from] crate::status_list::UnreadStatus),
}

/// What [`StoreError::RuleSetMoved`] says: what the node is to do depends on which side is
/// newer.
fn rule_set_moved(store: i64, node: i64) -> String {
    match store > node {
        true => format!(
            "the store is decided by rule set {store} since a node of that build started on it, and this node by \
             rule set {node}: nothing is decided here until this node runs a build of rule set {store}"
        ),
        false => format!(
            "the store is decided by rule set {store}, older than this node's ({node}): a node of this build claims \
             it when it starts, so restart one"
        ),
    }
}

impl StoreError {
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::Database(_) => "store.database",
            StoreError::NotFound { .. } => "store.not_found",
            StoreError::SchemaTooNew { .. } => "store.schema_too_new",
            StoreError::RuleSetMoved { .. } => "store.rule_set",
            StoreError::Conflict { reason, .. } => reason,
            StoreError::UnreadStatus(_) => "register.unavailable",
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Database(e.to_string())
    }
}

/// Opens the store the configuration names: PostgreSQL at `url` when there is one
/// (`[store] url`), else SQLite in `data_dir` (`mrgate.db`, held by this process alone).
pub fn open(url: Option<&str>, data_dir: &std::path::Path) -> Result<std::sync::Arc<dyn Store>, StoreError> {
    Ok(match url {
        Some(url) => std::sync::Arc::new(postgres::PostgresStore::open(url)?),
        None => std::sync::Arc::new(sqlite::SqliteStore::open(&data_dir.join("mrgate.db"))?),
    })
}

/// The documents one export made, by the digests the register keeps them by
/// ([`Effect::RecordExported`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedDocuments {
    pub issuer: String,
    pub number: String,
    pub digests: Vec<String>,
}

/// How many stored export answers a store's upgrade reads at a time ([`exported_by`]).
pub const EXPORTS_PER_PAGE: i64 = 500;

/// The documents an export made, read back from its stored answer (a `decision` of kind
/// `export`: its issuer, number and each document it returned): how a store registers the
/// exports made before it kept them (its schema migration), as the export registers them
/// itself ([`crate::decisions::register::exported::digests`]). `None` for an answer that
/// does not read as an export's.
pub fn exported_by(json: &str) -> Option<ExportedDocuments> {
    let answer: serde_json::Value = serde_json::from_str(json).ok()?;
    let text = |key: &str| answer.get(key)?.as_str().map(str::to_string);
    let documents = answer.get("documents")?.as_object()?;
    let mut digests = Vec::new();
    for document in documents.values().filter_map(serde_json::Value::as_str) {
        digests.extend(crate::decisions::register::exported::digests(document.as_bytes()));
    }
    Some(ExportedDocuments { issuer: text("issuer")?, number: text("number")?, digests })
}

/// Exported documents the embedded store found registered, remembered so that an export
/// presented again and again is decided without blocking. Only a yes is remembered: no
/// write takes a registered document away (exports are registered, never unregistered),
/// and the one process holding the store file sees every write, so a yes stays true while
/// it runs; a no may turn into a yes at the next export. Bounded: when full it starts
/// again empty (the database still answers, a look-up slower).
#[derive(Debug, Default)]
pub struct ExportsSeen(std::sync::Mutex<std::collections::HashSet<(String, String, String)>>);

impl ExportsSeen {
    /// At most this many (issuer, number, digest) are remembered: about 15 MB.
    const MAX: usize = 65_536;

    /// Whether one of `digests` was found registered of `issuer`/`number` before.
    pub fn any(&self, issuer: &str, number: &str, digests: &[String]) -> bool {
        let Ok(seen) = self.0.lock() else { return false };
        // Keys are owned strings; the few digests of one document are looked up by a key
        // made once for them.
        let mut key = (issuer.to_string(), number.to_string(), String::new());
        digests.iter().any(|d| {
            key.2.clone_from(d);
            seen.contains(&key)
        })
    }

    /// Remembers that the register holds `digest` exported of `issuer`/`number`.
    pub fn remember(&self, issuer: &str, number: &str, digest: &str) {
        if let Ok(mut seen) = self.0.lock() {
            if seen.len() >= Self::MAX {
                seen.clear();
            }
            seen.insert((issuer.to_string(), number.to_string(), digest.to_string()));
        }
    }
}

/// One document an export made of a certificate, by its digest, as the register holds it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ExportedDocument {
    pub issuer: String,
    pub number: String,
    pub digest: String,
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
    /// When these facts were first registered: a registration that changes no fact keeps
    /// the time ([`crate::decisions::register::recorded_since`]), which vouches for a
    /// certificate dated before its accreditor's suspension
    /// ([`crate::recognition::HeldDocument`]).
    pub recorded_at: String,
    /// The key that signed the document these facts were last registered by — its CB's
    /// registered signer, its body's for a recognition — so that a look-up holds the
    /// certificate to that key as the list now tells of it
    /// ([`crate::recognition::signer_withdrawn`]). `None`: an exporter's unsigned word, a
    /// body's notice alone, or a registration made before rule set 23 kept it. Written as
    /// `None` over a registration's signer (an exporter's unsigned word on its facts), the
    /// store keeps the signer it holds as it commits: one read before, by a decision made
    /// meanwhile, could be another's by then.
    pub signer: Option<RegisteredSigner>,
}

/// A slot of a status list as the register holds it ([`Store::status_list`]): what a
/// list's version is made of, and what its publication is held to at commit
/// ([`Effect::StatusListIs`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListSlot {
    pub index: u32,
    /// Its certificate (issuer, number); `None` for a superseded slot.
    pub certificate: Option<(String, String)>,
    /// The certificate's stored status, or [`crate::status_list::SUPERSEDED`].
    pub status: String,
    /// What the rules read of its registration (empty and `None` for a superseded slot):
    /// its `recorded_at` and `signer` ([`CertificateRecord`]).
    pub recorded_at: String,
    pub signer: Option<RegisteredSigner>,
    /// When it last changed, in the store's one sequence of slot changes: its slot taken or
    /// superseded, or its certificate's row written. 0 for a change before the store
    /// counted them.
    pub seq: u64,
}

/// What a list's slots are, as their change sequences ([`ListSlot::seq`]) tell them: how
/// many there are, the latest change, and the sum of their sequences (modulo 2^64). A node
/// that read the list keeps it as it applies the changes; the store computes it with each
/// read and at commit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListChanges {
    pub slots: u64,
    pub latest: u64,
    pub sum: u64,
}

impl ListChanges {
    /// With `slot` added.
    pub fn with(self, slot: &ListSlot) -> ListChanges {
        ListChanges { slots: self.slots + 1, latest: self.latest.max(slot.seq), sum: self.sum.wrapping_add(slot.seq) }
    }

    /// With `slot` taken out (its latest change stays: a later one replaced it).
    pub fn without(self, slot: &ListSlot) -> ListChanges {
        ListChanges { slots: self.slots.saturating_sub(1), latest: self.latest, sum: self.sum.wrapping_sub(slot.seq) }
    }
}

impl ListSlot {
    /// Whether `other` is this slot of the same certificate registered the same way (its
    /// status aside): its facts are the same then (other facts supersede the slot).
    pub fn same_registration(&self, other: &ListSlot) -> bool {
        self.index == other.index
            && self.certificate == other.certificate
            && self.recorded_at == other.recorded_at
            && self.signer == other.signer
    }

    /// Slot `index`, superseded at `seq`.
    pub fn superseded(index: u32, seq: u64) -> ListSlot {
        ListSlot {
            index,
            certificate: None,
            status: crate::status_list::SUPERSEDED.into(),
            recorded_at: String::new(),
            signer: None,
            seq,
        }
    }
}

/// The signer of the document a registration was made of, and when it was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegisteredSigner {
    /// The SHA-256 (hex) of the signer's certificate (DER).
    pub certificate: String,
    /// When the registration was made (RFC 3339): the key must have been granted then, as
    /// the trust list in force tells it.
    pub registered_at: String,
}

impl RegisteredSigner {
    /// The signer as two columns read it: both or neither.
    pub fn of_columns(certificate: Option<String>, registered_at: Option<String>) -> Option<Self> {
        Some(Self { certificate: certificate?, registered_at: registered_at? })
    }
}

/// A registered certificate as a decision read it: what [`Effect::ExpectCertificate`] holds
/// its write to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsRead {
    pub document: Vec<u8>,
    pub status: String,
    pub origin: String,
}

impl AsRead {
    pub fn of(record: &CertificateRecord) -> Self {
        Self { document: record.document.clone(), status: record.status.clone(), origin: record.origin.clone() }
    }
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

/// The parts of an applied notice the register keeps to order later ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeRecord {
    pub issuer: String,
    pub number: String,
    pub action: crate::notice::Action,
    pub iat: i64,
    pub jti: String,
}

/// A certificate whose number reads as another's ([`Store::look_alikes`]): its number, and
/// where its facts come from and its status, which say whether a first registration of the
/// other suspends it ([`crate::decisions::register::suspended_among`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookAlike {
    pub number: String,
    pub origin: String,
    pub status: String,
}

/// An exporter's word the register holds beside other numbers of its CB that read as its
/// number ([`Store::look_alike_words`]), with where in the register's history the gateway
/// last suspended it for a look-alike and where each of those numbers was first
/// registered: what says whether the rules of sets 26 and 27 met it
/// ([`crate::decisions::register::unmet`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookAlikeWord {
    pub issuer: String,
    pub number: String,
    pub status: String,
    /// The place of the gateway's last look-alike suspension of it (a store's status-event
    /// sequence, an audit's log index), if it made one.
    pub suspended: Option<u64>,
    pub look_alikes: Vec<LookAlikeAt>,
}

/// A number beside an exporter's word ([`LookAlikeWord`]): its origin and status, and the
/// place of its first registration (of its first status event; `None` when it has none,
/// which any suspension of the gateway's meets: [`crate::decisions::register::unmet`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookAlikeAt {
    pub number: String,
    pub origin: String,
    pub status: String,
    pub first: Option<u64>,
}

/// The query both backends read [`LookAlikeWord`]s with (one row per word and number beside
/// it, in order): the exporter's words by the index on their origin (SQLite 14,
/// PostgreSQL 12), each joined to the numbers of its CB that read as it by the index on
/// their skeleton, with the gateway's last look-alike event of the word and the first
/// event of the number. `indexed` names the two indexes for SQLite, which has no
/// statistics to choose them by; `one` reads a single word, its (issuer, number) given as
/// the two placeholders named (`?1`/`?2`, `$1`/`$2`).
pub(crate) fn look_alike_words_sql(indexed: bool, one: Option<(&str, &str)>) -> String {
    let (words, skeletons) = match indexed {
        true => (" INDEXED BY certificate_word", " INDEXED BY certificate_look_alike"),
        false => ("", ""),
    };
    let skeleton = |table: &str| crate::ids::number_skeleton_sql(&format!("{table}.number"));
    let (w, n) = (skeleton("w"), skeleton("n"));
    let gateway = crate::decisions::status_list::ACTOR;
    let prefix = crate::decisions::register::LOOK_ALIKE;
    let word = crate::decisions::register::origin::EXPORT_UNSIGNED;
    let one = one.map_or(String::new(), |(issuer, number)| format!(" AND w.issuer = {issuer} AND w.number = {number}"));
    format!(
        "SELECT w.issuer, w.number, w.status,
                (SELECT MAX(g.seq) FROM status_event g WHERE g.issuer = w.issuer AND g.number = w.number
                   AND g.actor = '{gateway}' AND substr(g.reference, 1, {len}) = '{prefix}'),
                n.number, n.origin, n.status,
                (SELECT MIN(e.seq) FROM status_event e WHERE e.issuer = n.issuer AND e.number = n.number)
         FROM certificate w{words}
         JOIN certificate n{skeletons} ON n.issuer = w.issuer AND {n} = {w} AND n.number != w.number
         WHERE w.origin = '{word}'{one}
         ORDER BY w.issuer, w.number, n.number",
        len = prefix.len()
    )
}

/// Gathers the rows of [`look_alike_words_sql`] into words: (issuer, number, status,
/// suspended) and the number beside it, in order.
pub(crate) fn gather_look_alike_words(
    rows: impl IntoIterator<Item = ((String, String, String, Option<i64>), LookAlikeAt)>,
) -> Vec<LookAlikeWord> {
    let mut words: Vec<LookAlikeWord> = Vec::new();
    for ((issuer, number, status, suspended), beside) in rows {
        match words.last_mut() {
            Some(w) if w.issuer == issuer && w.number == number => w.look_alikes.push(beside),
            _ => words.push(LookAlikeWord {
                issuer,
                number,
                status,
                suspended: suspended.and_then(|s| u64::try_from(s).ok()),
                look_alikes: vec![beside],
            }),
        }
    }
    words
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

/// An equivalence-table version the gateway has used (see [`crate::trust::equivalence_table`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableVersion {
    pub sequence: u64,
    pub digest: String,
    /// The table's own label (`version` in its TOML).
    pub label: String,
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

/// A change to the store that stands or falls with the decision that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Effect {
    /// Records a certificate (new, or a new version of one already known) and, when its
    /// status differs from the last recorded one, the status event.
    PutCertificate { record: CertificateRecord, event: StatusEvent },
    /// Changes a certificate's status (a notice), recording the event; refused with
    /// [`StoreError::NotFound`] for a certificate never recorded.
    SetStatus { issuer: String, number: String, event: StatusEvent },
    /// Applies a notice of the issuing `body` (its `jti`s are unique among its notices,
    /// whichever partner relays them): a conflict (`notice.replayed`, `notice.stale`,
    /// `notice.transition`) unless [`crate::notice::admit`] admits it against the status,
    /// the last applied notice's `iat` and the body's used `jti`s as they are inside this
    /// transaction — for a certificate never recorded, [`crate::notice::Register::unheld`].
    /// Otherwise records the notice and changes the status as `event` says; a certificate
    /// never recorded is registered with that status alone, as of `at`
    /// ([`crate::decisions::register::status_only`]).
    ApplyNotice { body: String, notice: NoticeRecord, event: StatusEvent, at: String },
    /// Holds the write unless certificate `issuer`/`number` is as the caller read it: absent
    /// (`None`), or with exactly this document, status and origin. A conflict
    /// (`register.conflict`) otherwise, so a decision made on what it read cannot overwrite
    /// a change that landed meanwhile (an export deciding on an exporter's unsigned word
    /// cannot write that word back over its CB's signed document).
    ExpectCertificate { issuer: String, number: String, as_read: Option<AsRead> },
    /// Holds the write unless the register holds no other number of certificate body
    /// `issuer` that reads as `number` ([`crate::ids::number_skeleton`]): a conflict
    /// (`register.conflict`) otherwise, so that two unsigned exports of look-alike numbers
    /// deciding at once cannot both register (rule set 26).
    NoLookAlike { issuer: String, number: String },
    /// Suspends certificates `suspended` of certificate body `issuer`, as `event` says:
    /// each the exporter's word the register holds valid or suspended (restated, rule set
    /// 27) that reads as `number`, which this
    /// write registers first ([`crate::decisions::register::first_registration`], rule set
    /// 26). A conflict (`register.conflict`) unless they are exactly the certificates the
    /// rule gives inside this transaction (none included: a first registration always
    /// carries it, so that a word registered since its read is met).
    SuspendLookAlikes { issuer: String, number: String, suspended: Vec<String>, event: StatusEvent },
    /// Suspends the exporter's words `suspended` (issuer, number), as `event` says: each a
    /// word in force beside a number of its CB, reading as it, that the look-alike rules of
    /// sets 26 and 27 never met ([`crate::decisions::sweep`], rule set 28). A conflict
    /// (`register.conflict`) unless each is still such a word inside this transaction, in
    /// (issuer, number) order, once each: read word by word by the indexes, not the whole
    /// register again under the commit lock. A word the rule gives that the list left out
    /// is not looked for here: once a node of rule set 28 has claimed the store, every
    /// number registered is met as it is registered, so the words to sweep only grow fewer
    /// between the sweep's read and its commit (an audit decides the whole set again).
    SweepLookAlikes { suspended: Vec<(String, String)>, event: StatusEvent },
    /// What an export, recognition or PT report returned, by id; the decision's log index
    /// is kept beside it, so its receipt can be proved later.
    PutDecision { id: String, kind: String, json: String },
    /// A trust-list version; the same list again changes nothing, a different list under a
    /// stored sequence is a conflict (`trust.sequence_reused`).
    PutTrustList(TrustListVersion),
    /// Holds the write unless the newest stored trust list (if any is stored) is the one
    /// with this digest: a conflict (`trust.list_changed`) otherwise, so that no decision
    /// made with a list is logged after a newer list's install, whichever node installed it.
    TrustListInForce { digest: String },
    /// Holds the write unless the register's status of the certificate is `status` (`None`:
    /// the register does not hold it) and, when `document` is given (the SHA-256, lower-case
    /// hex, of the registered document the decision compared facts with), its document is
    /// that one, as the decision read them: a conflict (`register.changed`) otherwise, so
    /// that in the log's order no verification says "valid" after a notice suspending the
    /// certificate, or a document replacing its facts, was logged, on any node. It writes
    /// nothing, so it is checked apart, like the holds to the rule documents.
    RegisterAsRead { issuer: String, number: String, status: Option<String>, document: Option<String> },
    /// Holds the write unless no trust list is stored at all: the first list's install, so
    /// that nodes starting together on an empty database log it once (the others, refused
    /// with `trust.list_changed`, find it stored and take it).
    NoTrustList,
    /// An equivalence-table version; the same table again changes nothing, a different one
    /// under a stored sequence is a conflict (`rules.sequence_reused`).
    PutEquivalenceTable(TableVersion),
    /// Holds the write unless the newest stored equivalence table (if any is stored) is the
    /// one with this digest: a conflict (`rules.table_changed`) otherwise, as
    /// [`Effect::TrustListInForce`] holds to the trust list.
    TableInForce { digest: String },
    /// Holds the write unless no equivalence table is stored: the build's table installed as
    /// the first version, once however many nodes start together.
    NoEquivalenceTable,
    /// Keeps a decision's input document by its SHA-256 (lower-case hex), so that an audit
    /// can decide again from what the log names; the same document again is kept once.
    KeepDocument { digest: String, document: Vec<u8> },
    /// Registers the documents an export made of certificate `issuer`/`number` by their
    /// digests ([`crate::decisions::register::exported::digests`]): the documents the
    /// gateway's own signature stands for. Written with the export's registration; a digest
    /// already held is held once.
    RecordExported { issuer: String, number: String, digests: Vec<String> },
    /// A new round; a round id already defined is a conflict.
    PutPtRound(PtRoundRecord),
    /// A submission and its results, replacing the same participants' earlier results for
    /// the same measurands (kept as replaced). A conflict when the round is closed, when a
    /// result belongs to a participant another partner submitted, or when whether it
    /// replaces anything is not what `replacing` says (the log entry states it).
    PutPtSubmission { submission: PtSubmissionRecord, results: Vec<PtResultRecord>, replacing: bool },
    /// Closes a round to submissions at `at`, with exactly the submissions whose digests
    /// `submissions` lists, in the order received (the close's log entry names them). A
    /// conflict when the round is unknown (`pt.round_unknown`), already closed
    /// (`pt.round_closed`, so a round is closed, and its close logged, once) or holds other
    /// submissions by now (`pt.results_changed`).
    ClosePtRound { id: String, at: String, submissions: Vec<String> },
    /// A closing round's report; a conflict when the round is not closing or has one.
    PutPtReport { id: String, report: PtReportRecord },
    /// Gives certificate `issuer`/`number` its status-list slot ([`crate::status_list`]),
    /// the slot its exported credentials name. A certificate keeps one slot, and two
    /// certificates never share one: a conflict when it holds another (`register.conflict`,
    /// an export of the same certificate won) or another certificate holds this one
    /// (`status.slot_taken`: two exports drew it at once; the loser draws again).
    HoldStatusSlot { issuer: String, number: String, slot: crate::status_list::Slot },
    /// Supersedes the status-list slot certificate `issuer`/`number` holds, if any: the
    /// register is to hold other facts of it, which the credentials at that slot do not
    /// state. The slot is the certificate's no longer (its next export draws another), is
    /// revoked in its lists for good ([`crate::status_list::SUPERSEDED`]) and is never given
    /// again (rule set 24).
    SupersedeStatusSlot { issuer: String, number: String },
    /// Holds the write unless list `list`'s slots, as the register is inside this
    /// transaction, are the ones a version was made of, as their change sequences tell them
    /// ([`ListChanges`]: none changed, none added, none gone since): a conflict
    /// (`status.list_changed`) otherwise, so that the log records a list version only where
    /// it is the register's (under the rules its entry names, which the store holds to those
    /// in force as for every decision).
    StatusListIs { list: u32, changes: ListChanges },
    /// Makes the document with this digest the one published as `what` (a status list,
    /// `status-list/<list>/<purpose>`; the DID document, `did-document`): a conflict
    /// (`publication.current`) when it is that already, so a version is logged once each time
    /// it becomes the one served, however many nodes or requests publish it at once.
    Publish { what: String, digest: String },
    /// The roots of complete log tiles `first`, `first + 1`, …, kept so that the log's tree
    /// is rebuilt from them on start rather than from every entry. A tile already stored
    /// keeps its root.
    PutLogTileRoots { first: u64, roots: Vec<[u8; 32]> },
}

/// One write: a log entry and the effects that take place only together with it, all or
/// nothing. Without an entry it is a write that is not a decision (the trust list read from
/// the configuration file at start; tests).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Write {
    pub entry: Option<Vec<u8>>,
    pub effects: Vec<Effect>,
}

/// What a write did: its entry's log index, and the results a submission replaced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Written {
    pub index: Option<u64>,
    pub replaced: Vec<PtResultRecord>,
}

/// A stored export, recognition or PT report: what was returned, and the index of its log
/// entry (absent for those stored before the index was kept: their JSON holds the receipt).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionRecord {
    pub kind: String,
    pub json: String,
    pub log_index: Option<u64>,
}

/// The gateway's store.
pub trait Store: Send + Sync {
    /// Commits writes in one transaction, each all or nothing: a write whose effect is
    /// refused (a conflict, an unknown certificate) is left out, its entry not appended, and
    /// the others commit. Entries get consecutive indexes in the order of the writes that
    /// stand. Returns each write's outcome; an error when the transaction as a whole failed
    /// (then nothing was committed).
    fn commit(&self, writes: &[Write]) -> Result<Vec<Result<Written, StoreError>>, StoreError>;

    /// One write that is not a decision (no log entry).
    fn write(&self, effect: Effect) -> Result<Written, StoreError> {
        let write = Write { entry: None, effects: vec![effect] };
        self.commit(std::slice::from_ref(&write))?
            .pop()
            .unwrap_or_else(|| Err(StoreError::Database("the store answered no outcome".into())))
    }
    fn put_certificate(&self, record: &CertificateRecord, event: &StatusEvent) -> Result<(), StoreError> {
        self.write(Effect::PutCertificate { record: record.clone(), event: event.clone() }).map(drop)
    }
    fn certificate(&self, issuer: &str, number: &str) -> Result<Option<CertificateRecord>, StoreError>;
    fn certificates_by_holder(&self, credit_code: &str) -> Result<Vec<CertificateRecord>, StoreError>;
    /// The other numbers of certificate body `issuer` the register holds (registered with
    /// facts or with a status alone) that read as `number` does
    /// ([`crate::ids::number_skeleton`]), in order, each with its origin and status.
    fn look_alikes(&self, issuer: &str, number: &str) -> Result<Vec<LookAlike>, StoreError>;
    /// Every exporter's word the register holds (origin
    /// [`crate::decisions::register::origin::EXPORT_UNSIGNED`], any status) beside another
    /// number of its CB that reads as it, in (issuer, number) order ([`LookAlikeWord`]).
    fn look_alike_words(&self) -> Result<Vec<LookAlikeWord>, StoreError>;
    /// Registered certificates after `after` (issuer, number) in that order, at most
    /// `limit`: the whole register a page at a time, for an audit to hold it to the log.
    fn certificates_after(&self, after: Option<(&str, &str)>, limit: u32)
    -> Result<Vec<CertificateRecord>, StoreError>;
    /// Every applied notice, as (issuing body, jti), in that order.
    fn applied_notices(&self) -> Result<Vec<(String, String)>, StoreError>;
    /// Every exported document the register holds, in (issuer, number, digest) order
    /// ([`Effect::RecordExported`]): what an audit holds to the exports the log made.
    fn exported_documents(&self) -> Result<Vec<ExportedDocument>, StoreError>;
    /// Whether the register holds a document exported of `issuer`/`number` by one of
    /// `digests` ([`Effect::RecordExported`]; a presented document's readings,
    /// [`crate::decisions::register::exported::readings`]). Asked by digest, in the table's
    /// primary key, so it costs the same however often the certificate was exported (the
    /// certificate's view does not carry its exports: one exported again and again made
    /// every look-up and verification of it read them all).
    fn exported_any(&self, issuer: &str, number: &str, digests: &[String]) -> Result<bool, StoreError>;
    /// What memory knows of [`Store::exported_any`], without blocking on the database:
    /// `Some(true)` for a document found registered before ([`ExportsSeen`]: the embedded
    /// store, which one process holds), `None` when the database must be asked. Never
    /// `Some(false)`: a document may be exported a moment after.
    fn exported_in_memory(&self, _issuer: &str, _number: &str, _digests: &[String]) -> Option<bool> {
        None
    }
    fn set_status(&self, issuer: &str, number: &str, event: &StatusEvent) -> Result<(), StoreError> {
        self.write(Effect::SetStatus { issuer: issuer.into(), number: number.into(), event: event.clone() }).map(drop)
    }
    fn status_history(&self, issuer: &str, number: &str) -> Result<Vec<StatusEvent>, StoreError>;
    /// The status-list slot certificate `issuer`/`number` holds: none when it was never
    /// exported as a credential, or when its slot was superseded since.
    fn status_slot(&self, issuer: &str, number: &str) -> Result<Option<crate::status_list::Slot>, StoreError>;
    /// Whether any certificate holds `slot`, or held it until it was superseded.
    fn status_slot_taken(&self, slot: crate::status_list::Slot) -> Result<bool, StoreError>;
    /// How many slots are held, in all lists, superseded ones included.
    fn status_slots_held(&self) -> Result<u64, StoreError>;
    /// The slots of list `list` changed after sequence `after` (every slot, with `None`), in
    /// index order: each held one with its certificate's stored status, read or not, and its
    /// registration; each superseded one with [`crate::status_list::SUPERSEDED`] (its held
    /// row is gone: a slot deleted otherwise is not told); and what the whole list is now
    /// ([`ListChanges`]), read at the same moment, so that a reader that applied the changes
    /// can tell whether it holds the list. (A list's version is made of these; a status that
    /// does not read refuses the list.)
    fn status_list(&self, list: u32, after: Option<u64>) -> Result<(Vec<ListSlot>, ListChanges), StoreError>;
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
    /// Whether [`Store::cached_certificate_view`] can answer at all: a store that keeps no
    /// certificate in memory answers `Unknown` always, and a decision tried from memory
    /// first would only be made twice.
    fn remembers_certificates(&self) -> bool {
        false
    }

    fn put_decision(&self, id: &str, kind: &str, json: &str) -> Result<(), StoreError> {
        self.write(Effect::PutDecision { id: id.into(), kind: kind.into(), json: json.into() }).map(drop)
    }
    /// Exports, recognitions and PT reports by id.
    fn decision(&self, id: &str) -> Result<Option<DecisionRecord>, StoreError>;
    /// The greatest log index a stored decision names: the log holds at least that many
    /// entries and one, or entries were taken from it ([`crate::audit`] says so).
    fn last_decided_index(&self) -> Result<Option<u64>, StoreError>;

    fn put_trust_list(&self, version: &TrustListVersion) -> Result<(), StoreError> {
        self.write(Effect::PutTrustList(version.clone())).map(drop)
    }
    fn trust_lists(&self) -> Result<Vec<TrustListVersion>, StoreError>;
    /// Every stored trust-list version as [`Store::trust_lists`] lists them, without their
    /// documents (a national list weighs megabytes; `GET /v1/rules` lists them all).
    fn trust_list_ids(&self) -> Result<Vec<TrustListVersion>, StoreError>;
    /// The stored version with this sequence.
    fn trust_list_of_sequence(&self, sequence: u64) -> Result<Option<TrustListVersion>, StoreError>;
    /// The stored version with the highest sequence (read alone: versions can be large).
    fn newest_trust_list(&self) -> Result<Option<TrustListVersion>, StoreError>;
    /// The sequence and digest of [`Store::newest_trust_list`], without its document.
    fn newest_trust_list_id(&self) -> Result<Option<(u64, String)>, StoreError>;

    /// Every stored equivalence-table version, lowest sequence first.
    fn equivalence_tables(&self) -> Result<Vec<TableVersion>, StoreError>;
    /// The stored version with the highest sequence.
    fn newest_equivalence_table(&self) -> Result<Option<TableVersion>, StoreError>;
    /// The sequence and digest of [`Store::newest_equivalence_table`], without its document.
    fn newest_equivalence_table_id(&self) -> Result<Option<(u64, String)>, StoreError>;
    /// A kept input document by its SHA-256 (see [`Effect::KeepDocument`]).
    fn kept_document(&self, digest: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// The digest of the document last published as `what` ([`Effect::Publish`]).
    fn published(&self, what: &str) -> Result<Option<String>, StoreError>;

    /// Whether other processes may write to this store at the same time (other gateway
    /// nodes on one PostgreSQL database): then what this process holds in memory (the log's
    /// tree, the trust list in force) must be brought up to date from the store, not assumed.
    fn shared(&self) -> bool {
        false
    }

    /// Whether this node may still decide on the store: `Err(`[`StoreError::RuleSetMoved`]`)`
    /// once a node of a newer build opened a shared one (what every commit is held to, and
    /// `/healthz` says). A store only this process writes is always this build's.
    fn decides_here(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// Whether [`Store::claim`] would be refused (a newer build decides the store), read
    /// without claiming: asked first by a starting node, so that an older build on a newer
    /// build's database is told so before anything it would read there refuses it otherwise.
    fn may_claim(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// Makes this build's rule set the one a shared store is decided by, so that the nodes
    /// of older builds beside it commit nothing more ([`Store::decides_here`]): what a node
    /// does when it starts to serve — not a command that only reads, such as an audit. Refused
    /// when a newer build decides the store.
    fn claim(&self) -> Result<(), StoreError> {
        Ok(())
    }

    fn put_pt_round(&self, round: &PtRoundRecord) -> Result<(), StoreError> {
        self.write(Effect::PutPtRound(round.clone())).map(drop)
    }
    fn pt_round(&self, id: &str) -> Result<Option<PtRoundRecord>, StoreError>;
    /// See [`Effect::PutPtSubmission`]; returns the results it replaced.
    fn put_pt_submission(
        &self,
        submission: &PtSubmissionRecord,
        results: &[PtResultRecord],
        replacing: bool,
    ) -> Result<Vec<PtResultRecord>, StoreError> {
        let effect = Effect::PutPtSubmission { submission: submission.clone(), results: results.to_vec(), replacing };
        Ok(self.write(effect)?.replaced)
    }
    fn pt_submissions(&self, round: &str) -> Result<Vec<PtSubmissionRecord>, StoreError>;
    /// The current results of a round, by measurand and participant.
    fn pt_results(&self, round: &str) -> Result<Vec<PtResultRecord>, StoreError>;
    /// Results that a later submission replaced, oldest first.
    fn pt_replaced(&self, round: &str) -> Result<Vec<PtResultRecord>, StoreError>;
    /// Closes a round to submissions (from then on they conflict), with the submissions
    /// whose digests `submissions` lists.
    fn close_pt_round(&self, id: &str, at: &str, submissions: &[String]) -> Result<(), StoreError> {
        self.write(Effect::ClosePtRound { id: id.into(), at: at.into(), submissions: submissions.to_vec() }).map(drop)
    }
    fn put_pt_report(&self, id: &str, report: &PtReportRecord) -> Result<(), StoreError> {
        self.write(Effect::PutPtReport { id: id.into(), report: report.clone() }).map(drop)
    }
    fn pt_report(&self, id: &str) -> Result<Option<PtReportRecord>, StoreError>;
    /// Whether round `id` has its report, without reading it (a report holds every result
    /// of the round three times over).
    fn pt_reported(&self, id: &str) -> Result<bool, StoreError>;

    fn log_entries(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, StoreError>;
    fn log_size(&self) -> Result<u64, StoreError>;
    /// The stored tile roots, tile 0 first.
    fn log_tile_roots(&self) -> Result<Vec<[u8; 32]>, StoreError>;

    /// The index from leaf hash to log index: derived from the log, written by the log in
    /// batches away from its commits, kept where writing it never holds up a commit, not
    /// synced (lost, it is rebuilt). How many entries it covers (entries `[0, size)`), and
    /// the leaf hash of the last of them.
    fn log_hash_index_size(&self) -> Result<(u64, Option<[u8; 32]>), StoreError>;
    /// Adds entries `first`, `first + 1`, … by their leaf hashes; `first` must be the size
    /// the index has. An entry whose hash is already there keeps the earlier index.
    fn index_log_leaves(&self, first: u64, leaf_hashes: &[[u8; 32]]) -> Result<(), StoreError>;
    /// Empties the index (it no longer matches the log).
    fn reset_log_hash_index(&self) -> Result<(), StoreError>;
    /// The first index of an indexed entry with this leaf hash.
    fn log_index_of(&self, leaf_hash: &[u8; 32]) -> Result<Option<u64>, StoreError>;
}
