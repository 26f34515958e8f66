//! The audit: every entry of the log read again, the tree recomputed, and every decision
//! that can be re-derived decided again from the document the entry names and the rule
//! versions it names — the trust list and equivalence table fetched by version, the
//! CRLs it was decided with (the set its entry names, kept by the gateway), the decision's
//! own time, the register's status as it stood then.
//!
//! What is re-derived, and how ([`Audit::run`]):
//! - `recognition` entries (verifications and partners' recognitions) of rule set
//!   [`RULE_SET`]: the kept document, the named trust list and table, at the entry's time:
//!   the same verdict and the same reasons, and for a recognized certificate the same CN
//!   XML (its digest is the entry's output), through the decisions' own rules of what is
//!   logged ([`crate::decisions::verify::logged`], [`crate::decisions::recognize::logged`]);
//! - `notice` entries: the kept notice through the gateway's own checks
//!   ([`crate::decisions::notice::judge`]) and the store's admission
//!   ([`crate::notice::admit`]);
//! - `export` entries: the kept CN XML and, for an unsigned one, the exporter's grant the
//!   entry names and keeps, through the gateway's export rule
//!   ([`crate::decisions::export::judge`]); each output it made held byte for byte against
//!   what the rules make of the certificate, signed by the gateway at the decision's time
//!   (`export.rs`);
//! - PT steps (`pt-round`, `pt-results`, `pt-close`, `pt-report`): each partner document
//!   through the gateway's own checks ([`crate::decisions::pt`]), the rounds' state (open,
//!   closed, the results that stand) rebuilt from the log alone, the report evaluated again
//!   and held byte for byte against the signed one kept (`pt.rs`);
//! - `status-list` entries: the kept list version holds exactly the bits the register, as
//!   the log made it, gives its list there, by the slots the exported credentials named
//!   (each certificate one slot, each slot one certificate); `did-document` entries: the
//!   kept document lists only the gateway's keys, as the gateway writes it (`published.rs`);
//! - `trust-list` and `equivalence-table` installs: the stored version is the one the entry
//!   names (its bytes hash to the named digest), it verifies under the install policy at
//!   the install's time, and its sequence is higher than the one before it in the log;
//! - for every format-2 entry: the rule versions it names are the ones in force at its
//!   place in the log (the last installed before it), its time does not go back, it names
//!   a rule set; the CRL set it names is kept and reads as CRLs.
//!
//! Revocation: a decision is decided again with the CRL set its entry names (a certificate
//! revoked since was not revoked for it), but the gateway chooses what it names. So the set
//! is completed with the auditor's own CRLs that were issued by the entry's time and still
//! in force at it: for each list (issuer and IssuingDistributionPoint), the latest such
//! version replaces an older version in the set, in its place, and a list the set has no
//! version of comes after the set's CRLs ([`crate::crypto::x509::Crls::completed_by`]). A
//! decision that comes out otherwise with them is a disagreement, whoever is at fault (a
//! gateway that named an old set, or an operator who had not installed the CRL yet): what
//! was published then says otherwise. A recognition, verification or notice is then
//! decided once more with the set as named: when it stands so, the disagreement is
//! `audit.revocation` and the register follows what the gateway did; otherwise
//! `audit.verdict`. An entry that names no set (written before entries
//! named them) is decided with the latest version of each of the auditor's lists; one
//! after an entry that named a set is a disagreement. The report lists every set named,
//! with its CRLs, the entries that used it and what the auditor's CRLs added
//! ([`CrlSetNamed::completed_with`]).
//!
//! The register a decision read is rebuilt from the log itself — the exports, recognitions
//! and notices before the decision, from the documents their entries name — never taken
//! from the gateway's account of a certificate's history.
//!
//! Not re-derived, and counted as such: verifications on the public page (an anonymous
//! caller's document is not kept), decisions of format 1 (they name no rule versions), and
//! a refusal at commit (the register changed between the decision and its commit: the race
//! cannot be replayed, but what it interrupted is decided again and must have been
//! granted). A decision of a rule set this build does not have, and an entry of a kind the
//! gateway does not write, are disagreements: nothing can vouch for them here.
//!
//! What it must never do: write anything, or count an entry it could not decide again as
//! agreeing.

mod export;
mod pt;
mod published;

use crate::crypto::x509::{CrlSummary, Crls};
use crate::decisions::RULE_SET;
use crate::ledger::entry::{Entry, RuleVersion, Rules};
use crate::ledger::merkle::{Tree, leaf_hash};
use crate::model::Status;
use crate::recognition::{HeldDocument, Registered, StatusSource};
use crate::store::{ExportedDocument, Store, StoreError, TableVersion, TrustListVersion};
use crate::trust::equivalence_table::{self as signed, Origin};
use crate::trust::{InstallPolicy, TrustList};
use crate::xml::Limits;
use rustls::pki_types::CertificateDer;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use time::OffsetDateTime;

/// Where an audit reads the log and what its entries name.
pub trait Source {
    fn log_size(&self) -> Result<u64, StoreError>;
    fn log_entries(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, StoreError>;
    fn kept_document(&self, digest: &str) -> Result<Option<Vec<u8>>, StoreError>;
    fn trust_lists(&self) -> Result<Vec<TrustListVersion>, StoreError>;
    fn equivalence_tables(&self) -> Result<Vec<TableVersion>, StoreError>;
    /// The greatest log index the source's records of decisions name, when it keeps them
    /// (a store read directly does; a gateway read over its API shows none).
    fn last_decided_index(&self) -> Result<Option<u64>, StoreError> {
        Ok(None)
    }
    /// The register as the source holds it, when it can show it whole (a store read
    /// directly can; a gateway read over its API shows none): its certificates a page at a
    /// time after a key, and its applied notices.
    fn certificates_after(
        &self,
        _after: Option<(&str, &str)>,
        _limit: u32,
    ) -> Result<Option<Vec<crate::store::CertificateRecord>>, StoreError> {
        Ok(None)
    }
    fn applied_notices(&self) -> Result<Option<Vec<(String, String)>>, StoreError> {
        Ok(None)
    }
    /// The exported documents the register holds, as (issuer, number, digest).
    fn exported_documents(&self) -> Result<Option<Vec<ExportedDocument>>, StoreError> {
        Ok(None)
    }
}

/// A store read directly (a stopped gateway's SQLite file, or a PostgreSQL database).
#[derive(Clone, Copy)]
pub struct StoreSource<'a>(pub &'a dyn Store);

impl std::fmt::Debug for StoreSource<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreSource")
    }
}

impl Source for StoreSource<'_> {
    fn log_size(&self) -> Result<u64, StoreError> {
        self.0.log_size()
    }
    fn log_entries(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, StoreError> {
        self.0.log_entries(start, end)
    }
    fn kept_document(&self, digest: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.0.kept_document(digest)
    }
    fn trust_lists(&self) -> Result<Vec<TrustListVersion>, StoreError> {
        self.0.trust_lists()
    }
    fn last_decided_index(&self) -> Result<Option<u64>, StoreError> {
        self.0.last_decided_index()
    }
    fn equivalence_tables(&self) -> Result<Vec<TableVersion>, StoreError> {
        self.0.equivalence_tables()
    }
    fn certificates_after(
        &self,
        after: Option<(&str, &str)>,
        limit: u32,
    ) -> Result<Option<Vec<crate::store::CertificateRecord>>, StoreError> {
        self.0.certificates_after(after, limit).map(Some)
    }
    fn applied_notices(&self) -> Result<Option<Vec<(String, String)>>, StoreError> {
        self.0.applied_notices().map(Some)
    }
    fn exported_documents(&self) -> Result<Option<Vec<ExportedDocument>>, StoreError> {
        self.0.exported_documents().map(Some)
    }
}

/// What the audit decides with besides the source: the gateway's install policy (who may
/// sign rule documents), its CRLs (every version of each list it has: what completes the
/// set an entry names, see the module's doc), its own signing chains (its exports verify
/// as its own) and its limits.
#[derive(Debug)]
pub struct Audit<'a> {
    pub policy: &'a InstallPolicy,
    pub crls: &'a Crls,
    /// The gateway's signing chains (leaf first), each as it signs with it: the one it
    /// signs with now and any earlier one (a key rotated out).
    pub gateway: Vec<Vec<CertificateDer<'static>>>,
    /// The base URLs the gateway's receipt links may point at (its public URL, and any it
    /// had before), when known (empty: not checked): a credential linking elsewhere is not
    /// as it makes them.
    pub public_bases: Vec<String>,
    pub limits: Limits,
    /// The entries `0..format_1_until` may be of format 1 (a log begun before format 2, up
    /// to where its gateway was upgraded, as its operator says); any later one is a
    /// disagreement. 0 for a log begun in format 2.
    pub format_1_until: u64,
    /// Checkpoints (their signatures and cosignatures checked by the caller) whose roots
    /// the tree at their sizes must have: the one published, one a partner kept from
    /// before (the log must extend it).
    pub checkpoints: Vec<crate::ledger::checkpoint::Checkpoint>,
    /// Each status list's version made from every slot of the list, as the audit made them
    /// before it made them again where the log changed them only: the same report, in time
    /// the square of the log (`benches/decisions.rs` times the two side by side).
    pub lists_whole: bool,
}

/// One entry the audit decided differently from the log, or could not check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Disagreement {
    pub index: u64,
    pub kind: String,
    /// `audit.verdict`, `audit.revocation`, `audit.output`, `audit.document`, `audit.rules`, `audit.install`,
    /// `audit.entry`, `audit.tree`.
    pub reason: &'static str,
    pub detail: String,
}

/// What an audit found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub entries: u64,
    pub re_derived: u64,
    /// Entries not decided again, by why (`export`, `notice`, `format 1`, …).
    pub not_re_derived: BTreeMap<String, u64>,
    pub disagreements: Vec<Disagreement>,
    /// The tree's root over all entries, base64 (what a checkpoint of this size must sign).
    pub root: String,
    /// Every exporter grant the log names, in the order first named: what the gateway says
    /// it granted. Nothing in the log vouches for a grant but the gateway: an auditor holds
    /// these to the grants the operator published.
    pub grants: Vec<GrantNamed>,
    /// Every CRL set the log's entries name, in the order first named: the revocation the
    /// decisions had.
    pub crl_sets: Vec<CrlSetNamed>,
    /// Whether the register the store holds was held to the one the log made
    /// (`compared`), and if not why.
    pub register: String,
    /// How many of the first entries a checkpoint given to the audit signs: the log
    /// someone was shown. Entries after them were decided again and may agree, yet nothing
    /// shows they were not rewritten with their documents (found by review: an audit
    /// against an older checkpoint said nothing of the entries after it).
    pub anchored: u64,
}

/// A CRL set as the log names it, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CrlSetNamed {
    pub digest: String,
    /// Its CRLs (`None` when it could not be had or read: a disagreement besides).
    pub crls: Option<Vec<CrlSummary>>,
    /// The first and the last entry that name it, the last one's time, and how many do.
    pub first: u64,
    pub last: u64,
    pub last_time: String,
    pub entries: u64,
    /// CRLs the auditor holds (its own, `--crl`) that completed the set for entries naming
    /// it: issued by the entry's time and in force at it, a later version of a list the set
    /// holds (issuer and IssuingDistributionPoint) or a list it has none of. A decision
    /// they make come out otherwise is a disagreement. Each as `issuer[, partitioned]:
    /// number M issued <thisUpdate> (the set's: number N | none)`.
    pub completed_with: Vec<String>,
}

/// An exporter grant as the log names it, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GrantNamed {
    pub name: String,
    /// The digest of the grant document the entries name.
    pub digest: String,
    pub holders: Vec<String>,
    pub bodies: Vec<String>,
    /// The first and the last entry that name it, and how many do.
    pub first: u64,
    pub last: u64,
    pub entries: u64,
}

/// The reason a recognition or an export refused at commit rather than when decided is
/// logged with: the certificate changed in the register between the decision's read and
/// its commit. (An export's decision may find such a conflict itself, and log it the same.)
/// (A rule document changing meanwhile refuses the refusal's own commit too, so
/// `trust.list_changed` and `rules.table_changed` are never logged; a notice's conflicts at
/// commit are its admission's, decided again as such.)
const COMMIT_RACE: &str = "register.conflict";

/// The refusal of an unsigned export's number that reads as another the register holds
/// (rule set 26), which [`Walk::raced`] may skip as [`COMMIT_RACE`].
const LOOK_ALIKE: &str = "register.look_alike";

/// Reasons no entry can honestly carry (see [`COMMIT_RACE`]).
const NEVER_LOGGED: [&str; 2] = ["trust.list_changed", "rules.table_changed"];

/// How far apart the clocks of a log's nodes may be: an entry dated more than this before
/// one logged earlier was backdated.
const CLOCK_SKEW: time::Duration = time::Duration::minutes(1);

/// Entries read from the source at a time.
const PAGE: u64 = 4096;

/// The CRLs entries are decided again with, made once: the CRLs, the install policy with
/// them (how an install checked with them verifies; made when an install needs it), and
/// the JWS verifiers that validate chains with them (a verifier belongs to one set of CRLs).
struct CrlSet {
    crls: Crls,
    policy: std::sync::OnceLock<InstallPolicy>,
    verifiers: crate::recognition::Verifiers,
}

impl CrlSet {
    fn new(crls: Crls) -> Self {
        Self { crls, policy: std::sync::OnceLock::new(), verifiers: Default::default() }
    }

    /// The auditor's install policy with these CRLs.
    fn policy(&self, auditor: &InstallPolicy) -> &InstallPolicy {
        self.policy.get_or_init(|| auditor.with_crls(self.crls.clone_for_verifier()))
    }
}

/// A named set as last completed.
struct Completed {
    /// The auditor's CRLs taken (their indexes).
    taken: Vec<usize>,
    /// The set completed with them.
    set: Arc<CrlSet>,
    /// What they added, as the report says it; `None` when they added nothing.
    note: Option<String>,
    /// The set as named, when they added something: a decision that comes out otherwise
    /// with the completed set is decided once more with this one, to tell a revocation the
    /// gateway had not installed (`audit.revocation`) from a decision the gateway's own
    /// CRLs do not make (`audit.verdict`).
    named: Option<Arc<CrlSet>>,
}

/// A recognition or verification decided again ([`Walk::recognition_with`]): what it
/// should have logged, the certificate it is about, and whether that is what it logged —
/// with the certificate it registers, if any — or why not.
struct Again {
    decided: &'static str,
    reasons: Vec<String>,
    certificate: Option<(String, String)>,
    outcome: Result<Option<Registration>, String>,
}

/// A certificate a recognition registers, as the audit's register keeps it.
struct Registration {
    issuer: String,
    number: String,
    status: &'static str,
    document: Vec<u8>,
    signer: Option<crate::store::RegisteredSigner>,
}

/// Named CRL sets held at once, at most (a hostile log may name a new one with every entry).
const MAX_CRL_SETS: usize = 256;

/// A CRL number as the report shows it.
pub fn crl_number(n: &Option<String>) -> &str {
    n.as_deref().unwrap_or("(none)")
}

/// A rule version read once and kept for the entries that name it.
type Lists = HashMap<String, Result<Arc<TrustList>, String>>;
type Tables = HashMap<String, Result<Arc<signed::Version>, String>>;

impl Audit<'_> {
    /// Reads every entry of `source`, recomputes the tree and decides again what can be.
    pub fn run(&self, source: &dyn Source) -> Result<Report, StoreError> {
        // Before the size: a decision committed meanwhile (a live PostgreSQL store) is then
        // within the size read, never taken for an entry removed.
        let last_decided = source.last_decided_index()?;
        let size = source.log_size()?;
        let list_versions: HashMap<String, TrustListVersion> =
            source.trust_lists()?.into_iter().map(|v| (v.digest.clone(), v)).collect();
        let table_versions: HashMap<u64, TableVersion> =
            source.equivalence_tables()?.into_iter().map(|v| (v.sequence, v)).collect();
        let mut walk = Walk {
            audit: self,
            source,
            list_versions,
            table_versions,
            lists: HashMap::new(),
            tables: HashMap::new(),
            // For entries that name no set: the latest version of each of its lists.
            own_crls: Arc::new(CrlSet::new(Crls::new().completed_with(self.crls, &self.crls.latest_at(None)))),
            named_from: None,
            named_sets: HashMap::new(),
            effective: HashMap::new(),
            crl_set_at: HashMap::new(),
            grant_at: HashMap::new(),
            crls_in_use: None,
            crls_note: None,
            crls_named: None,
            in_force_list: None,
            in_force_table: None,
            register: LogRegister::default(),
            register_unknown: false,
            format_2: false,
            rounds: pt::LogRounds::default(),
            own_leaves: self.gateway.iter().filter_map(|c| c.first()).map(|c| c.as_ref().to_vec()).collect(),
            gateway_keys: self
                .gateway
                .iter()
                .enumerate()
                .filter_map(|(at, chain)| {
                    let key = crate::crypto::keys::PublicKey::from_certificate_der(chain.first()?).ok()?;
                    Some((key, at))
                })
                .collect(),
            receipt_ids: std::collections::HashSet::new(),
            slots: published::Slots::default(),
            made: published::Made::default(),
            installed: HashMap::new(),
            now: OffsetDateTime::now_utc(),
            latest: None,
            failed: None,
            documents: Recent::default(),
            report: Report { entries: size, ..Report::default() },
        };
        let mut tree = Tree::new();
        let mut start = 0;
        while start < size {
            let end = (start + PAGE).min(size);
            let entries = source.log_entries(start, end)?;
            if entries.len() as u64 != end - start {
                return Err(StoreError::Database(format!(
                    "the log holds {size} entries, but entries {start}..{end} came back as {}",
                    entries.len()
                )));
            }
            for (i, bytes) in entries.iter().enumerate() {
                let index = start + i as u64;
                tree.push(leaf_hash(bytes));
                walk.entry(index, bytes);
                if let Some(e) = walk.failed.take() {
                    return Err(e);
                }
            }
            start = end;
        }
        let register = std::mem::take(&mut walk.register);
        let register_known = !walk.register_unknown;
        let mut report = walk.report;
        report.register = if !register_known {
            "not compared: entries that may have changed it were not decided again (format 1, another rule set)".into()
        } else {
            let mut differences = Vec::new();
            if !register.held_to(source, size, &mut differences)? {
                "not compared: the source shows no register (a gateway read over its API)".into()
            } else if source.log_size()? != size {
                // Every change to the register commits with its entry: a log that grew while
                // the register was read (a live store) may show changes the walk did not
                // see (found by review: false alarms on a live PostgreSQL store).
                "not compared: the log grew while the register was read (a live store): audit again, or a stopped \
                 store"
                    .into()
            } else {
                report.disagreements.extend(differences);
                "compared".into()
            }
        };
        for checkpoint in &self.checkpoints {
            match tree.root(checkpoint.size).filter(|_| checkpoint.size <= size) {
                Some(root) if root == checkpoint.root => report.anchored = report.anchored.max(checkpoint.size),
                Some(_) => report.disagreements.push(Disagreement {
                    index: checkpoint.size,
                    kind: "checkpoint".into(),
                    reason: "audit.tree",
                    detail: format!(
                        "the tree of the first {} entries does not have the checkpoint's root",
                        checkpoint.size
                    ),
                }),
                None => report.disagreements.push(Disagreement {
                    index: checkpoint.size,
                    kind: "checkpoint".into(),
                    reason: "audit.tree",
                    detail: format!("the checkpoint signs {} entries; the log holds {size}", checkpoint.size),
                }),
            }
        }
        // The store's records of decisions name their entries: one naming an entry past the
        // log's end is a decision whose entry was taken away (found by attack: a store whose
        // last entries were deleted audited clean against a checkpoint it still covered). A
        // partial check: entries after the last decision (verifications, notices) and a
        // decision's record deleted with its entry go unseen; only a fresh checkpoint shows
        // nothing was taken (`--max-age`).
        if let Some(last) = last_decided
            && last >= size
        {
            report.disagreements.push(Disagreement {
                index: last,
                kind: "decision".into(),
                reason: "audit.entry",
                detail: format!(
                    "the store records a decision logged as entry {last}, and the log holds {size} entries: entries \
                     were taken from it"
                ),
            });
        }
        let root = tree.root(size).unwrap_or_else(crate::ledger::merkle::empty_root);
        report.root = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, root);
        Ok(report)
    }
}

/// The audit's walk through the log, in order.
struct Walk<'a, 's> {
    audit: &'a Audit<'a>,
    source: &'s dyn Source,
    list_versions: HashMap<String, TrustListVersion>,
    table_versions: HashMap<u64, TableVersion>,
    lists: Lists,
    tables: Tables,
    /// The CRLs for entries that name no set (the latest version of each of the auditor's
    /// lists), each set named, by digest, read once, and each named set as last completed
    /// by the auditor's CRLs, with what they added (JWS verifiers kept across the walk, so a
    /// signer's chain seen before costs one signature check, as in the gateway).
    own_crls: Arc<CrlSet>,
    named_sets: HashMap<String, Result<Arc<Crls>, String>>,
    effective: HashMap<String, Completed>,
    /// Where each named set is in the report.
    crl_set_at: HashMap<String, usize>,
    /// Where each grant named is in the report, by digest.
    grant_at: HashMap<String, usize>,
    /// The first entry that named a CRL set: a format-2 entry after it names one too.
    named_from: Option<u64>,
    /// The CRLs of the entry being decided again, and what the auditor's CRLs added to the
    /// set it names (said with any disagreement about it).
    crls_in_use: Option<Arc<CrlSet>>,
    crls_note: Option<String>,
    /// The set the entry names as it names it, when the auditor's CRLs completed it.
    crls_named: Option<Arc<CrlSet>>,
    /// The rule versions installed last, at this point of the walk.
    in_force_list: Option<RuleVersion>,
    in_force_table: Option<RuleVersion>,
    /// The register as the log made it up to this point of the walk: each certificate's
    /// status after the exports, recognitions and notices logged so far (never the
    /// gateway's own account of it).
    register: LogRegister,
    /// Whether an entry that may have changed the register was not decided again (a
    /// format-1 entry): then the register the log made is not known whole.
    register_unknown: bool,
    /// Whether a format-2 entry came already (a format-1 one after it is a downgrade).
    format_2: bool,
    /// The PT rounds as the log made them.
    rounds: pt::LogRounds,
    /// The gateway's signing certificates (its chains' leaves).
    own_leaves: Vec<Vec<u8>>,
    /// The key of each of the gateway's chains, by the chain's place in `audit.gateway`.
    gateway_keys: Vec<(crate::crypto::keys::PublicKey, usize)>,
    /// The export ids of the receipt links seen so far: each export has its own.
    receipt_ids: std::collections::HashSet<String>,
    /// The status-list slots the exported credentials named so far.
    slots: published::Slots,
    /// Each status list's bits as last made, made again where the log changed them.
    made: published::Made,
    /// When each rule document came into force, by digest, from its install entry (never
    /// the gateway's own record of it).
    installed: HashMap<String, OffsetDateTime>,
    /// The auditor's clock: no entry is dated after it.
    now: OffsetDateTime,
    /// The latest entry time so far.
    latest: Option<OffsetDateTime>,
    /// A read of the source that failed: the audit stops (a document it could not fetch
    /// is no evidence either way).
    failed: Option<StoreError>,
    /// Documents read lately and found to hash to their digest (a credential verified a
    /// thousand times is fetched once).
    documents: Recent<Arc<Vec<u8>>>,
    report: Report,
}

impl Walk<'_, '_> {
    fn disagree(&mut self, index: u64, kind: &str, reason: &'static str, mut detail: String) {
        if let Some(added) = self
            .crls_note
            .as_ref()
            .filter(|_| matches!(reason, "audit.verdict" | "audit.revocation" | "audit.install" | "audit.output"))
        {
            detail.push_str(&format!(
                " (decided with the CRL set it names completed by the auditor's CRLs in force at its time: {added})"
            ));
        }
        self.report.disagreements.push(Disagreement { index, kind: kind.into(), reason, detail });
    }

    fn skip(&mut self, why: &str) {
        *self.report.not_re_derived.entry(why.into()).or_default() += 1;
    }

    fn entry(&mut self, index: u64, bytes: &[u8]) {
        self.register.place = index;
        self.mark_changes();
        let entry = match Entry::decode(bytes) {
            Ok(e) => e,
            Err(e) => return self.disagree(index, "?", "audit.entry", format!("[{}] {e}", e.code())),
        };
        // Entries are appended in time order (nodes' clocks may differ by a little): one
        // dated well before those logged earlier was backdated.
        let time = entry_time(&entry);
        if let Some(latest) = self.latest
            && time < latest - CLOCK_SKEW
        {
            let detail = format!("dated {}, after an entry dated {latest}", entry.time);
            return self.disagree(index, &entry.kind, "audit.entry", detail);
        }
        if time > self.now + CLOCK_SKEW {
            let detail = format!("dated {}, in the future", entry.time);
            return self.disagree(index, &entry.kind, "audit.entry", detail);
        }
        self.latest = Some(self.latest.map_or(time, |l| l.max(time)));
        self.crls_in_use = Some(Arc::clone(&self.own_crls));
        self.crls_note = None;
        self.crls_named = None;
        match (entry.rules.crls_digest(), self.named_from) {
            (Some(digest), _) => {
                self.named_from.get_or_insert(index);
                match self.crl_set(index, &entry, digest) {
                    Some(set) => self.crls_in_use = Some(set),
                    None => return,
                }
            }
            // Decided with the auditor's CRLs it would be held to more, not less; but no
            // gateway that names its CRLs stops naming them.
            (None, Some(from)) if matches!(entry.rules, Rules::V2 { .. }) => {
                let detail = format!("names no CRL set, after entries that name theirs (from entry {from})");
                return self.disagree(index, &entry.kind, "audit.entry", detail);
            }
            (None, _) => {}
        }
        if entry.reasons.iter().any(|r| NEVER_LOGGED.contains(&r.as_str())) {
            let detail = format!("{:?}: a refusal that is never logged", entry.reasons);
            return self.disagree(index, &entry.kind, "audit.verdict", detail);
        }
        let (trust_list, table, rule_set) = match &entry.rules {
            // Format 1 only where the auditor says the log was begun in it: a gateway that
            // writes format 1 today would have every decision skipped.
            Rules::V1 { .. } if index >= self.audit.format_1_until => {
                let detail = format!(
                    "a format-1 entry at {index}; format 1 is accepted below entry {} only (--format-1-until)",
                    self.audit.format_1_until
                );
                return self.disagree(index, &entry.kind, "audit.entry", detail);
            }
            // A format-1 install names its list by digest: checked as any install, so that
            // the decisions after it know the list in force.
            Rules::V1 { .. } if !self.format_2 && entry.kind == "trust-list" && entry.verdict != "installed" => {
                let detail = format!("an install's verdict is 'installed', not '{}'", entry.verdict);
                return self.disagree(index, &entry.kind, "audit.install", detail);
            }
            Rules::V1 { trust_list, .. } if !self.format_2 && entry.kind == "trust-list" => {
                let named = trust_list
                    .as_deref()
                    .and_then(|d| self.list_versions.get(d))
                    .map(|v| RuleVersion { sequence: v.sequence, digest: v.digest.clone() });
                if self.trust_list_install(index, &entry, named.as_ref()) {
                    self.report.re_derived += 1;
                }
                return;
            }
            Rules::V1 { .. } if !self.format_2 => {
                // What it registered is not known: the register is not held to the log.
                self.register_unknown = true;
                return self.skip("format 1 (names no rule versions)");
            }
            Rules::V1 { .. } => {
                let detail = "a format-1 entry after format-2 ones (this gateway writes format 2 only)".into();
                return self.disagree(index, &entry.kind, "audit.entry", detail);
            }
            Rules::V2 { trust_list, equivalence_table, rule_set, .. } => (trust_list, equivalence_table, rule_set),
        };
        self.format_2 = true;
        let Some(rule_set) = rule_set else {
            let detail = "a decision names no rule set".into();
            return self.disagree(index, &entry.kind, "audit.rules", detail);
        };
        let ok = match entry.kind.as_str() {
            "trust-list" | "equivalence-table" if entry.verdict != "installed" => {
                let detail = format!("an install's verdict is 'installed', not '{}'", entry.verdict);
                self.disagree(index, &entry.kind, "audit.install", detail);
                false
            }
            "trust-list" => self.trust_list_install(index, &entry, trust_list.as_ref()),
            "equivalence-table" => self.table_install(index, &entry, table.as_ref()),
            _ => self.named_in_force(index, &entry, trust_list.as_ref(), table.as_ref()),
        };
        if !ok {
            return;
        }
        match entry.kind.as_str() {
            "trust-list" | "equivalence-table" => self.report.re_derived += 1,
            // A rule set this build does not have cannot be decided again, nor vouched for.
            _ if rule_set != RULE_SET => {
                // What it registered is not known either: the register is not held to the log.
                let registers = match entry.kind.as_str() {
                    "recognition" => entry.verdict == "recognized",
                    "export" => entry.verdict == "exported",
                    "notice" => entry.verdict != "refused",
                    _ => false,
                };
                self.register_unknown |= registers;
                let detail =
                    format!("rule set {rule_set} is not this audit's ({RULE_SET}): audit it with a build of it");
                self.disagree(index, &entry.kind, "audit.rules", detail);
            }
            "recognition" => self.recognition(index, &entry),
            "export" => self.export(index, &entry),
            "pt-round" | "pt-results" | "pt-close" | "pt-report" => self.pt(index, &entry),
            "notice" => self.notice(index, &entry),
            "status-list" => self.status_list(index, &entry),
            "did-document" => self.did_document(index, &entry),
            crate::decisions::sweep::KIND => self.sweep(index, &entry),
            other => {
                let detail = format!("'{other}' is no kind of entry the gateway writes");
                self.disagree(index, other, "audit.entry", detail);
            }
        }
    }

    /// A decision names the rule versions in force at its place in the log.
    fn named_in_force(
        &mut self,
        index: u64,
        entry: &Entry,
        list: Option<&RuleVersion>,
        table: Option<&RuleVersion>,
    ) -> bool {
        for (what, named, in_force) in [
            ("trust list", list, self.in_force_list.clone()),
            ("equivalence table", table, self.in_force_table.clone()),
        ] {
            if named != in_force.as_ref() {
                let show = |v: Option<&RuleVersion>| {
                    v.map_or("none".into(), |v| format!("{} sha256:{}", v.sequence, v.digest))
                };
                self.disagree(
                    index,
                    &entry.kind,
                    "audit.rules",
                    format!("names {what} {}, but {} was in force there", show(named), show(in_force.as_ref())),
                );
                return false;
            }
        }
        true
    }

    fn trust_list_install(&mut self, index: u64, entry: &Entry, named: Option<&RuleVersion>) -> bool {
        let Some(named) = named else {
            self.disagree(index, &entry.kind, "audit.install", "the install names no stored list".into());
            return false;
        };
        let stored = match self.list_versions.get(&named.digest) {
            None => Err("no stored version has this digest"),
            Some(v) if entry.inputs != [crate::crypto::sha256_hex(&v.document)] => {
                Err("the stored document is not the one the entry names as its input")
            }
            Some(v) if v.sequence != named.sequence => Err("the stored version has another sequence"),
            Some(_) => Ok(()),
        };
        let checked = match stored {
            Err(why) => Err(format!(": {why}")),
            Ok(()) => match self.list(&named.digest, entry_time(entry)) {
                Err(why) => Err(format!(" does not verify under the install policy at {}: {why}", entry.time)),
                Ok(list) if list.sequence != named.sequence || list.digest != named.digest => {
                    Err(format!(" reads as sequence {} sha256:{}", list.sequence, list.digest))
                }
                Ok(_) => succeeds(self.in_force_list.as_ref(), named),
            },
        };
        let installed = self.installed(index, entry, "trust list", named, checked);
        if installed {
            self.in_force_list = Some(named.clone());
        }
        installed
    }

    fn table_install(&mut self, index: u64, entry: &Entry, named: Option<&RuleVersion>) -> bool {
        let Some(named) = named else {
            self.disagree(index, &entry.kind, "audit.install", "the install names no table".into());
            return false;
        };
        let stored = match self.table_versions.get(&named.sequence) {
            None => Err("no version with this sequence is stored"),
            Some(v) => {
                let digest = crate::crypto::sha256_hex(&v.document);
                if digest != named.digest || v.digest != named.digest || entry.inputs != [digest] {
                    Err("the stored document is not the one the entry names")
                } else {
                    Ok(())
                }
            }
        };
        let checked = match stored {
            Err(why) => Err(format!(": {why}")),
            Ok(()) => match self.table(named, entry_time(entry)) {
                Err(why) => Err(format!(" does not verify at {}: {why}", entry.time)),
                Ok(t) if t.table.sequence != named.sequence => Err(format!(" reads as sequence {}", t.table.sequence)),
                // Only the build installs an unsigned table, and only the build's own.
                Ok(t) if t.origin == Origin::Build && entry.actor != "build" => {
                    Err(format!(" is unsigned, but was installed by '{}'", entry.actor))
                }
                Ok(_) => succeeds(self.in_force_table.as_ref(), named),
            },
        };
        let installed = self.installed(index, entry, "equivalence table", named, checked);
        if installed {
            self.in_force_table = Some(named.clone());
        }
        installed
    }

    /// An install checked (`checked`, what is wrong with it otherwise): a disagreement, or
    /// the version's install time noted for the decisions made under it.
    fn installed(
        &mut self,
        index: u64,
        entry: &Entry,
        what: &str,
        named: &RuleVersion,
        checked: Result<(), String>,
    ) -> bool {
        if let Err(why) = checked {
            self.disagree(index, &entry.kind, "audit.install", format!("{what} {}{why}", named.sequence));
            return false;
        }
        self.installed.insert(named.digest.clone(), entry_time(entry));
        true
    }

    /// The CRLs of the entry being decided again ([`Walk::entry`] sets them first).
    fn crls(&self) -> Arc<CrlSet> {
        self.crls_in_use.clone().unwrap_or_else(|| Arc::clone(&self.own_crls))
    }

    /// The CRLs `entry` is decided again with: the set it names (its document read once,
    /// by digest) completed by the auditor's CRLs in force at the entry's time (see the
    /// module's doc); noted in the report. `None`, with the disagreement noted, when the set cannot be had.
    fn crl_set(&mut self, index: u64, entry: &Entry, digest: &str) -> Option<Arc<CrlSet>> {
        let at = match self.crl_set_at.get(digest) {
            Some(&at) => at,
            None => {
                self.report.crl_sets.push(CrlSetNamed {
                    digest: digest.into(),
                    crls: None,
                    first: index,
                    last: index,
                    last_time: entry.time.clone(),
                    entries: 0,
                    completed_with: Vec::new(),
                });
                self.crl_set_at.insert(digest.into(), self.report.crl_sets.len() - 1);
                self.report.crl_sets.len() - 1
            }
        };
        if let Some(named) = self.report.crl_sets.get_mut(at) {
            named.last = index;
            named.last_time = entry.time.clone();
            named.entries += 1;
        }
        let named = match self.named_sets.get(digest).cloned() {
            Some(Ok(named)) => named,
            Some(Err(why)) => {
                self.disagree(index, &entry.kind, "audit.document", why);
                return None;
            }
            None => {
                // A hostile log may name a new set with every entry: what is held stays bounded.
                if self.named_sets.len() >= MAX_CRL_SETS {
                    self.named_sets.clear();
                    self.effective.clear();
                }
                let Some(document) = self.document(index, &entry.kind, digest) else {
                    // Not kept, or kept otherwise (`document` noted which), or the source
                    // failed (the audit stops): the entries after it that name it are told
                    // so without another fetch.
                    if self.failed.is_none() {
                        let why = format!("the CRL set sha256:{digest} cannot be had (entry {index} says why)");
                        self.named_sets.insert(digest.into(), Err(why));
                    }
                    return None;
                };
                let read = match Crls::from_set_document(&document) {
                    Ok(crls) if crls.set_digest() == digest => Ok(Arc::new(crls)),
                    Ok(_) => {
                        Err(format!("the document kept as sha256:{digest} is not a CRL set as the gateway writes it"))
                    }
                    Err(e) => Err(format!("the CRL set kept as sha256:{digest} does not read: {e}")),
                };
                if let (Some(named), Ok(crls)) = (self.report.crl_sets.get_mut(at), &read) {
                    named.crls = Some(crls.summaries().to_vec());
                }
                self.named_sets.insert(digest.into(), read.clone());
                match read {
                    Ok(named) => named,
                    Err(why) => {
                        self.disagree(index, &entry.kind, "audit.document", why);
                        return None;
                    }
                }
            }
        };
        // What was published by the entry's time, and in force at it, counts, whatever the
        // gateway named: a later version of a list the set holds, or a list it lacks.
        let time = entry_time(entry).unix_timestamp();
        let own = &self.audit.crls;
        let taken = named.completed_by(own, &own.latest_at(Some(time)));
        // Entries come in time order: the set as last completed is the one to keep.
        if let Some(kept) = self.effective.get(digest)
            && kept.taken == taken
        {
            self.crls_note = kept.note.clone();
            self.crls_named = kept.named.clone();
            return Some(Arc::clone(&kept.set));
        }
        let added: Vec<String> = taken
            .iter()
            .filter_map(|&i| own.summaries().get(i))
            .map(|c| {
                let theirs = named.summaries().iter().find(|n| n.same_scope(c));
                let theirs = theirs.map_or_else(|| "none".to_string(), |n| format!("number {}", crl_number(&n.number)));
                let part = if c.partitioned { ", partitioned" } else { "" };
                format!(
                    "{}{part}: number {} issued {} (the set's: {theirs})",
                    c.issuer,
                    crl_number(&c.number),
                    crate::decisions::rfc3339_of_unix(c.this_update)
                )
            })
            .collect();
        if let Some(named) = self.report.crl_sets.get_mut(at) {
            for a in &added {
                if !named.completed_with.contains(a) {
                    named.completed_with.push(a.clone());
                }
            }
        }
        let note = if added.is_empty() { None } else { Some(added.join("; ")) };
        let set = Arc::new(CrlSet::new(named.completed_with(own, &taken)));
        let as_named = note.as_ref().map(|_| Arc::new(CrlSet::new(named.clone_for_verifier())));
        let kept = Completed { taken, set: Arc::clone(&set), note: note.clone(), named: as_named.clone() };
        self.effective.insert(digest.into(), kept);
        self.crls_note = note;
        self.crls_named = as_named;
        Some(set)
    }

    /// A trust list by digest, verified under the install policy at `at` (the install's
    /// time: a list verifies for the decisions made under it as it did when installed).
    fn list(&mut self, digest: &str, at: OffsetDateTime) -> Result<Arc<TrustList>, String> {
        if let Some(read) = self.lists.get(digest) {
            return read.clone();
        }
        let read = match self.list_versions.get(digest) {
            None => Err("not stored".to_string()),
            Some(v) => {
                let limits = crate::trust::list_limits(&self.audit.limits);
                self.crls()
                    .policy(self.audit.policy)
                    .load(&v.document, at, &limits)
                    .map(Arc::new)
                    .map_err(|e| format!("[{}] {e}", e.code()))
            }
        };
        self.lists.insert(digest.into(), read.clone());
        read
    }

    fn table(&mut self, named: &RuleVersion, at: OffsetDateTime) -> Result<Arc<signed::Version>, String> {
        if let Some(read) = self.tables.get(&named.digest) {
            return read.clone();
        }
        let read = match self.table_versions.get(&named.sequence).filter(|v| v.digest == named.digest) {
            None => Err("not stored".to_string()),
            Some(v) => signed::read_logged(&v.document, self.crls().policy(self.audit.policy), at)
                .map(Arc::new)
                .map_err(|e| format!("[{}] {e}", e.code())),
        };
        self.tables.insert(named.digest.clone(), read.clone());
        read
    }

    /// Counts a step not decided again because its PT round's documents were withheld.
    fn withheld_step(&mut self) {
        *self.report.not_re_derived.entry("PT round open, documents withheld".into()).or_default() += 1;
    }

    /// A kept document by its digest, checked to hash to it: `None` (with the disagreement
    /// or the failure noted) when it cannot be had.
    fn document(&mut self, index: u64, kind: &str, digest: &str) -> Option<Arc<Vec<u8>>> {
        if let Some(d) = self.documents.get(digest) {
            return Some(d);
        }
        match self.source.kept_document(digest) {
            Ok(Some(d)) if crate::crypto::sha256_hex(&d) == digest => {
                let d = Arc::new(d);
                // Small documents only: the cache stays under 256 MiB.
                if d.len() <= CACHED_DOCUMENT_BYTES {
                    self.documents.put(digest, Arc::clone(&d));
                }
                Some(d)
            }
            Ok(Some(_)) => {
                let detail = format!("the document kept as sha256:{digest} hashes otherwise");
                self.disagree(index, kind, "audit.document", detail);
                None
            }
            Ok(None) => {
                self.disagree(index, kind, "audit.document", format!("sha256:{digest} is not kept"));
                None
            }
            // A PT round's documents are withheld from all but the operator while it is
            // open: its steps are not decided again, and counted as such. Only a round's
            // definition or results are: a gateway withholding any other entry's document so
            // would hide that decision from the audit (found by review: any document holding
            // the PT namespace's bytes was withheld, and the audit took it).
            Err(e) if e.code() == "pt.round_open" && matches!(kind, "pt-round" | "pt-results") => {
                self.rounds.withheld.insert(digest.to_string());
                self.withheld_step();
                None
            }
            Err(e) if e.code() == "pt.round_open" => {
                let detail =
                    format!("sha256:{digest} is withheld as an open PT round's document, but the entry is a {kind}");
                self.disagree(index, kind, "audit.document", detail);
                None
            }
            Err(e) => {
                self.failed = Some(e);
                None
            }
        }
    }

    /// The one input of a decision entry, or the disagreement.
    fn one_input<'e>(&mut self, index: u64, entry: &'e Entry) -> Option<&'e str> {
        match entry.inputs.as_slice() {
            [input] => Some(input),
            inputs => {
                let detail = format!("{} inputs, a {} has one", inputs.len(), entry.kind);
                self.disagree(index, &entry.kind, "audit.entry", detail);
                None
            }
        }
    }

    /// Whether `entry` is a refusal at commit ([`COMMIT_RACE`]) that the decision made
    /// again does not reproduce: the register changed between the decision's read and its
    /// commit, and the change that won is earlier in the log, so deciding again after it
    /// says nothing of what was decided before it. Counted as not re-derived. (A refusal
    /// with that reason that is decided again the same — a conflict found when deciding —
    /// is re-derived like any other.) A refusal is the most a gateway can pass off this way.
    /// So is a refusal for a look-alike number ([`LOOK_ALIKE`]): it is logged without
    /// holding to the register it was decided on, so a registration of its own number
    /// committed between its read and its entry is before it in the log.
    ///
    /// A race needs something to race with: an entry before it, at most [`CLOCK_SKEW`]
    /// earlier, that changed the same certificate (`certificate`, issuer and number, as read
    /// from the document), or — for a refusal at commit — changed one of `rivals`, other
    /// numbers of its CB that read as its number (which an unsigned export's commit holds to
    /// none, [`crate::store::Effect::NoLookAlike`], and a first registration's to the
    /// exporter's word it suspends, [`crate::store::Effect::SuspendLookAlikes`]). Rivals
    /// never explain a look-alike refusal: they are only ever added, so the one it met is in
    /// the register it is decided again on. Without one, the refusal is decided again like
    /// any other.
    fn raced(
        &mut self,
        entry: &Entry,
        certificate: Option<(&str, &str)>,
        rivals: &[String],
        decided: &str,
        reasons: &[String],
    ) -> bool {
        let at_commit = entry.verdict == "refused" && entry.reasons == [COMMIT_RACE];
        let race = at_commit || (entry.verdict == "refused" && entry.reasons == [LOOK_ALIKE]);
        let rivals = if at_commit { rivals } else { &[] };
        let numbers = certificate.into_iter().flat_map(|(issuer, number)| {
            std::iter::once(number).chain(rivals.iter().map(String::as_str)).map(move |n| (issuer, n))
        });
        let rival = numbers
            .filter_map(|(issuer, number)| self.register.changed_at(issuer, number))
            .any(|changed| changed >= entry_time(entry) - CLOCK_SKEW);
        if race && rival && (decided != entry.verdict || reasons != entry.reasons.as_slice()) {
            self.skip(match entry.reasons == [LOOK_ALIKE] {
                true => "refused as a look-alike (the register changed meanwhile)",
                false => "refused at commit (the register changed meanwhile)",
            });
            return true;
        }
        false
    }

    /// The trust list an entry names, verified at its install's time (checked by the
    /// install's own entry): `None`, with the disagreement noted, when it cannot be had.
    fn named_list(&mut self, index: u64, entry: &Entry) -> Option<Arc<TrustList>> {
        let Rules::V2 { trust_list: Some(named), .. } = &entry.rules else {
            self.disagree(index, &entry.kind, "audit.rules", "a decision names no trust list".into());
            return None;
        };
        let at = self.installed.get(&named.digest).copied().unwrap_or_else(|| entry_time(entry));
        match self.list(&named.digest, at) {
            Ok(l) => Some(l),
            Err(why) => {
                self.disagree(index, &entry.kind, "audit.rules", format!("trust list {}: {why}", named.sequence));
                None
            }
        }
    }

    /// The equivalence table an entry names, as [`Walk::named_list`].
    fn named_table(&mut self, index: u64, entry: &Entry) -> Option<Arc<signed::Version>> {
        let Rules::V2 { equivalence_table: Some(named), .. } = &entry.rules else {
            self.disagree(index, &entry.kind, "audit.rules", "a decision names no equivalence table".into());
            return None;
        };
        let at = self.installed.get(&named.digest).copied().unwrap_or_else(|| entry_time(entry));
        match self.table(named, at) {
            Ok(t) => Some(t),
            Err(why) => {
                let detail = format!("equivalence table {}: {why}", named.sequence);
                self.disagree(index, &entry.kind, "audit.rules", detail);
                None
            }
        }
    }

    /// A verification or recognition decided again.
    fn recognition(&mut self, index: u64, entry: &Entry) {
        let kind = entry.kind.clone();
        // The public page keeps no anonymous caller's document (see `decisions::verify`):
        // one that is kept all the same is decided again like any other.
        if entry.actor == crate::decisions::verify::PUBLIC
            && matches!(entry.verdict.as_str(), "valid" | "invalid")
            && let [input] = entry.inputs.as_slice()
            && self.documents.get(input).is_none()
        {
            match self.source.kept_document(input) {
                Ok(None) => return self.skip("public verification (its document is not kept)"),
                Ok(Some(_)) => {}
                Err(e) => {
                    self.failed = Some(e);
                    return;
                }
            }
        }
        // A verification (valid | invalid) accepts the gateway's own exports; a partner's
        // recognition (recognized | refused) the trust list alone.
        let verification = match entry.verdict.as_str() {
            "valid" | "invalid" => true,
            "recognized" | "refused" => false,
            other => {
                let detail = format!("'{other}' is no verdict of a verification or a recognition");
                return self.disagree(index, &kind, "audit.verdict", detail);
            }
        };
        if !verification && !entry.actor.starts_with("partner:") {
            let detail = format!("a recognition by '{}', who is no partner", entry.actor);
            return self.disagree(index, &kind, "audit.entry", detail);
        }
        // Only a recognized certificate is registered: nothing else has an output.
        if entry.verdict != "recognized" && !entry.outputs.is_empty() {
            let detail = format!("a {} entry names outputs", entry.verdict);
            return self.disagree(index, &kind, "audit.entry", detail);
        }
        let Some(input) = self.one_input(index, entry) else { return };
        let Some(document) = self.document(index, &kind, input) else { return };
        let Some(list) = self.named_list(index, entry) else { return };
        let Some(table) = self.named_table(index, entry) else { return };
        let again = self.recognition_with(entry, &document, &list, &table, &self.crls());
        let certificate = again.certificate.as_ref().map(|(issuer, number)| (issuer.as_str(), number.as_str()));
        let rivals = certificate.map(|(issuer, number)| self.register.rivals_of_first(issuer, number));
        if self.raced(entry, certificate, &rivals.unwrap_or_default(), again.decided, &again.reasons) {
            return;
        }
        self.settle(
            index,
            &kind,
            again.outcome,
            |walk, named| walk.recognition_with(entry, &document, &list, &table, named).outcome,
            |walk, registered| walk.register_again(entry, registered),
        );
    }

    /// Records a decision decided again with the entry's completed CRL set (`first`): when
    /// it agrees, `apply` makes the register follow it; when it does not and the auditor's
    /// CRLs completed the set, it is decided once more with the set as named (`as_named`) —
    /// standing so, the set lacked a revocation published by then (`audit.revocation`, and
    /// the register follows what the gateway did); otherwise `audit.verdict`.
    fn settle<T>(
        &mut self,
        index: u64,
        kind: &str,
        first: Result<T, String>,
        as_named: impl FnOnce(&Self, &CrlSet) -> Result<T, String>,
        apply: impl FnOnce(&mut Self, T),
    ) {
        let detail = match first {
            Ok(decided) => {
                apply(self, decided);
                self.report.re_derived += 1;
                return;
            }
            Err(detail) => detail,
        };
        if let Some(named) = self.crls_named.clone()
            && let Ok(decided) = as_named(self, &named)
        {
            apply(self, decided);
            return self.disagree(index, kind, "audit.revocation", detail);
        }
        self.disagree(index, kind, "audit.verdict", detail)
    }

    /// A verification or recognition decided again with `crls`, held against its entry.
    fn recognition_with(
        &self,
        entry: &Entry,
        document: &[u8],
        list: &TrustList,
        table: &signed::Version,
        crls: &CrlSet,
    ) -> Again {
        let verification = matches!(entry.verdict.as_str(), "valid" | "invalid");
        let partner = entry.actor.strip_prefix("partner:").filter(|_| !verification);
        let ctx = crate::recognition::Context {
            trust_list: list,
            equivalence: &table.table,
            crls: if crls.crls.is_empty() { None } else { Some(&crls.crls) },
            register: &self.register,
            // The gateway's signature stands for its exports only, as the log registered them
            // ([`LogRegister::exported`]): the gateway's own rule.
            own_signers: if verification { &self.own_leaves } else { &[] },
            now: entry_time(entry),
            verifying: verification,
            limits: self.audit.limits,
            verifiers: Some(&crls.verifiers),
        };
        let verdict = crate::recognition::decide(document, &ctx);
        // The decisions' own rules of what is logged, applied to the verdict again, and of
        // what a recognition may register over.
        let (mut decided, mut reasons) = match partner {
            Some(partner) => crate::decisions::recognize::logged(list, partner, &verdict),
            None => crate::decisions::verify::logged(&verdict),
        };
        if decided == "recognized"
            && let Some(cert) = &verdict.certificate
        {
            let held = self.register.record(cert.issuer_id(), cert.number.as_str());
            if let Err(refusal) =
                crate::decisions::recognize::may_register(cert, verdict.status, held.as_ref(), &self.audit.limits)
            {
                (decided, reasons) = ("refused", vec![refusal.reason]);
            }
        }
        let certificate = verdict.certificate.as_ref().map(|c| (c.issuer_id().to_string(), c.number.to_string()));
        let outcome = if decided != entry.verdict {
            Err(format!("logged {} {:?}, decided again {decided} {reasons:?}", entry.verdict, entry.reasons))
        } else if reasons != entry.reasons {
            Err(format!("logged reasons {:?}, decided again {reasons:?}", entry.reasons))
        } else if decided == "recognized" {
            match &verdict.certificate {
                Some(cert) => {
                    let registered = crate::decisions::register::registered_as(cert);
                    if entry.outputs == [crate::crypto::sha256_hex(&registered.bytes)] {
                        let (issuer, number) = (cert.issuer_id().to_string(), cert.number.to_string());
                        let signer = verdict.signer_digest.clone().map(|certificate| crate::store::RegisteredSigner {
                            certificate,
                            registered_at: entry.time.clone(),
                        });
                        let status = verdict.status;
                        Ok(Some(Registration { issuer, number, status, document: registered.bytes, signer }))
                    } else {
                        Err("the CN XML registered is not the translation decided again".into())
                    }
                }
                None => Err("the CN XML registered is not the translation decided again".into()),
            }
        } else {
            Ok(None)
        };
        Again { decided, reasons, certificate, outcome }
    }

    /// The register as a recognition decided again makes it.
    fn register_again(&mut self, entry: &Entry, registered: Option<Registration>) {
        if let Some(r) = registered {
            let origin = crate::decisions::register::origin::RECOGNITION;
            let time = entry_time(entry);
            let held = self.register.record(&r.issuer, &r.number);
            if crate::decisions::register::supersedes(held.as_ref(), &r.document) {
                self.slots.supersede(&r.issuer, &r.number);
            }
            self.register.put((&r.issuer, &r.number), Status::parse(r.status), r.document, (origin, r.signer), time);
            // Registered first: the exporter's word on a look-alike is suspended, as the
            // recognition's effects do.
            if held.is_none() {
                self.register.suspend_look_alikes(&r.issuer, &r.number, time);
            }
        }
    }

    /// A notice decided again: the gateway's own checks ([`crate::decisions::notice::judge`])
    /// under the trust list it names, at its time, against the register as the log made it;
    /// then the store's admission ([`crate::notice::admit`]: not a replay, not stale, an
    /// allowed change) against the same. Applied, it changes the register.
    fn notice(&mut self, index: u64, entry: &Entry) {
        let kind = entry.kind.clone();
        let Some(relay) = crate::decisions::notice::Relay::of_actor(&entry.actor) else {
            let detail = format!("a notice relayed by '{}', who may relay none", entry.actor);
            return self.disagree(index, &kind, "audit.entry", detail);
        };
        if !entry.outputs.is_empty() {
            return self.disagree(index, &kind, "audit.entry", "a notice entry names outputs".into());
        }
        let Some(input) = self.one_input(index, entry) else { return };
        let Some(document) = self.document(index, &kind, input) else { return };
        let Some(list) = self.named_list(index, entry) else { return };
        let token = String::from_utf8_lossy(&document).to_string();
        let first = self.notice_again(entry, relay, &token, &list, &self.crls());
        // Refused at commit: the register changed under it (a first export or recognition of
        // its certificate just before), as for a recognition.
        let rivals =
            first.as_ref().map(|again| self.register.rivals_of_first(&again.notice.issuer, &again.notice.number));
        if let Ok(again) = &first
            && self.raced(
                entry,
                Some((&again.notice.issuer, &again.notice.number)),
                rivals.as_deref().unwrap_or_default(),
                &again.decided,
                &again.reasons,
            )
        {
            return;
        }
        if first.as_ref().is_ok_and(|again| again.refused_before_a_change(entry)) {
            return self.skip("a notice refused at commit before a change its entry follows");
        }
        self.settle(
            index,
            &kind,
            first.and_then(|again| again.held_to(entry)),
            |walk, named| walk.notice_again(entry, relay, &token, &list, named).and_then(|again| again.held_to(entry)),
            |walk, change| walk.apply_again(entry, change),
        );
    }

    /// A notice decided again with `crls`: what the gateway should have logged; `Err` when it
    /// should have refused it unrecorded.
    fn notice_again(
        &self,
        entry: &Entry,
        relay: crate::decisions::notice::Relay,
        token: &str,
        list: &TrustList,
        crls: &CrlSet,
    ) -> Result<NoticeAgain, String> {
        let register = &self.register;
        let judged = crate::decisions::notice::judge(
            list,
            &crls.crls,
            entry_time(entry),
            &self.audit.limits,
            relay,
            token,
            &|issuer, number| Ok(register.record(issuer, number)),
        );
        // What the gateway should have logged, decided again; and whether it changes the register.
        let judged = judged.map_err(|r| format!("logged, but decided again it is refused unrecorded: {r}"))?;
        let notice = judged.notice;
        let refused_before_a_change = match judged.issue_date {
            Err(_) => Vec::new(),
            Ok(()) => {
                let since = entry_time(entry) - CLOCK_SKEW;
                let before = self.register.admissions_before(&notice.issuer, &notice.number, &notice.jti, since);
                let admitted = before.iter().map(|s| crate::notice::admit(notice.action, notice.iat, &notice.jti, s));
                admitted.filter_map(|a| a.err().map(|e| e.code())).collect()
            }
        };
        let (decided, reasons, applies) = match judged.issue_date {
            Err(e) => ("refused".to_string(), vec![e.code().to_string()], false),
            Ok(()) => {
                let state = self.register.admission(&notice.issuer, &notice.number, &notice.jti);
                match state.map(|s| crate::notice::admit(notice.action, notice.iat, &notice.jti, &s)) {
                    Some(Ok(())) => {
                        let target = notice.action.target();
                        let reasons = vec![format!("notice.{}", notice.action.as_str())];
                        (target.as_str().to_string(), reasons, true)
                    }
                    Some(Err(e)) => ("refused".to_string(), vec![e.code().to_string()], false),
                    None => ("refused".to_string(), vec![COMMIT_RACE.to_string()], false),
                }
            }
        };
        Ok(NoticeAgain { notice, decided, reasons, applies, refused_before_a_change })
    }

    /// The gateway's sweep ([`crate::decisions::sweep`]): by the gateway, suspending, for
    /// its rule, naming nothing; decided again against the register as the log made it,
    /// which must give words to suspend (a gateway logs no sweep when the rules met every
    /// word), and suspends them. Which words the store holds suspended is held to the
    /// register as a whole ([`LogRegister::held_to`]).
    fn sweep(&mut self, index: u64, entry: &Entry) {
        use crate::decisions::sweep::{REASON, VERDICT};
        let kind = entry.kind.clone();
        let named = !entry.inputs.is_empty() || !entry.outputs.is_empty();
        if entry.actor != crate::decisions::status_list::ACTOR || entry.verdict != VERDICT || named {
            let detail = format!(
                "a sweep {} by '{}', naming {} input(s) and {} output(s)",
                entry.verdict,
                entry.actor,
                entry.inputs.len(),
                entry.outputs.len()
            );
            return self.disagree(index, &kind, "audit.entry", detail);
        }
        if entry.reasons != [REASON] {
            let detail = format!("a sweep for {:?}, not [\"{REASON}\"]", entry.reasons);
            return self.disagree(index, &kind, "audit.verdict", detail);
        }
        let swept = self.register.sweep(entry_time(entry));
        match (swept, self.register_unknown) {
            (_, true) => self.skip("a sweep after entries this build cannot decide again"),
            (0, false) => {
                let detail = "a sweep that suspends no exporter's word: the rules met every word beside a number \
                              that reads as it"
                    .into();
                self.disagree(index, &kind, "audit.verdict", detail);
            }
            (_, false) => self.report.re_derived += 1,
        }
    }

    /// The register as a notice decided again changes it.
    fn apply_again(&mut self, entry: &Entry, change: Option<crate::notice::Notice>) {
        if let Some(n) = &change {
            let first = self.register.record(&n.issuer, &n.number).is_none();
            self.register.apply(n, entry_time(entry));
            // Registered first by its body's notice: the exporter's word on a number that
            // reads as it is suspended, as the notice's effects do.
            if first {
                self.register.suspend_look_alikes(&n.issuer, &n.number, entry_time(entry));
            }
        }
    }
}

/// A notice decided again: what it should have been logged as, and whether it changes the
/// register.
struct NoticeAgain {
    notice: crate::notice::Notice,
    decided: String,
    reasons: Vec<String>,
    applies: bool,
    /// Why the store would have refused it against the certificate as it stood before
    /// each of its changes of the last [`CLOCK_SKEW`] ([`Before`]).
    refused_before_a_change: Vec<&'static str>,
}

impl NoticeAgain {
    /// Whether its entry is a refusal at commit made before a change that its entry
    /// follows in the log ([`Before`]): one the notice decided again now is not refused
    /// for, but was refused for against the certificate as it stood before that change.
    /// Counted as not re-derived, as [`Walk::raced`] counts a refusal at commit. A refusal
    /// of a restoration within a minute of its certificate's change is all a gateway can
    /// pass off so: `last_iat`, the gateway's suspensions and the ids used only grow, so
    /// a notice stale or replayed before a change is so after it too, and a final status
    /// is never left.
    fn refused_before_a_change(&self, entry: &Entry) -> bool {
        let refused = match (entry.verdict.as_str(), entry.reasons.as_slice()) {
            ("refused", [reason]) => reason.as_str(),
            _ => return false,
        };
        (self.decided != entry.verdict || self.reasons != entry.reasons)
            && self.refused_before_a_change.contains(&refused)
    }
}

impl NoticeAgain {
    /// Held against its entry: the change it makes to the register when they agree, why not
    /// otherwise.
    fn held_to(self, entry: &Entry) -> Result<Option<crate::notice::Notice>, String> {
        let NoticeAgain { notice, decided, reasons, applies, .. } = self;
        if decided != entry.verdict || reasons != entry.reasons {
            return Err(format!("logged {} {:?}, decided again {decided} {reasons:?}", entry.verdict, entry.reasons));
        }
        Ok(applies.then_some(notice))
    }
}

/// What was read lately, by key: at most [`Recent::MAX`] values, all dropped when full (an
/// audit reads a log in order, and what it reads again it read lately).
struct Recent<V> {
    held: HashMap<String, V>,
}

impl<V> Default for Recent<V> {
    fn default() -> Self {
        Self { held: HashMap::new() }
    }
}

impl<V: Clone> Recent<V> {
    const MAX: usize = 4096;

    fn get(&self, key: &str) -> Option<V> {
        self.held.get(key).cloned()
    }

    fn put(&mut self, key: &str, value: V) {
        if self.held.len() >= Self::MAX {
            self.held.clear();
        }
        self.held.insert(key.into(), value);
    }
}

/// Whether an install of `named` may follow the version installed `before` it: the one
/// sequence rule ([`crate::trust::Succession`]) — newer, or the first.
fn succeeds(before: Option<&RuleVersion>, named: &RuleVersion) -> Result<(), String> {
    use crate::trust::Succession;
    match before.map(|b| (b, Succession::of((b.sequence, &b.digest), (named.sequence, &named.digest)))) {
        None | Some((_, Succession::Newer)) => Ok(()),
        Some((b, _)) => Err(format!(" is not newer than sequence {} installed before it", b.sequence)),
    }
}

/// The largest kept document an audit keeps in memory once read (its cache of recent ones
/// stays under 256 MiB).
const CACHED_DOCUMENT_BYTES: usize = 64 * 1024;

/// An entry's time (checked when the entry was decoded).
fn entry_time(entry: &Entry) -> OffsetDateTime {
    OffsetDateTime::parse(&entry.time, &time::format_description::well_known::Rfc3339)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// The register as the log made it: each certificate's status, registered document and
/// last notice after the exports, recognitions and notices the walk has replayed so far,
/// and the notice ids each body has used.
#[derive(Default)]
struct LogRegister {
    certificates: HashMap<(String, String), Held>,
    /// The numbers each certificate body's certificates are held under, by what an eye
    /// reads them as ([`crate::ids::number_skeleton`]): the stores' look-alike index.
    look_alike: HashMap<(String, String), std::collections::BTreeSet<String>>,
    /// (issuing body, jti) of every notice applied.
    /// Each applied notice's body and id, with its place among the notices applied (from
    /// 1): whether a body had used an id before a change ([`Before::notices`]).
    jtis: HashMap<(String, String), u64>,
    /// How many notices the walk has applied.
    notices: u64,
    /// How the certificates changed lately stood before each change ([`Before`]): only
    /// the changes of the last [`CLOCK_SKEW`] twice over (a refusal's entry may be dated up
    /// to that before the latest entry, and raced a change up to that before it), a few per
    /// certificate at most, so that it holds what the log changed lately, not the register.
    earlier: HashMap<(String, String), Vec<Before>>,
    /// The changes kept in `earlier`, in the order the walk made them: forgotten first.
    changes: std::collections::VecDeque<(OffsetDateTime, (String, String))>,
    /// The digests of the outputs every export logged as made names, decided again or not:
    /// an export that disagrees is its own disagreement, not its documents' in the register.
    outputs_logged: std::collections::HashSet<String>,
    /// The certificates changed since the status lists were last made ([`published::Made`]).
    touched: std::collections::HashSet<(String, String)>,
    /// The index of the entry the walk is at: where in the register's history a change is
    /// ([`Held::first`], [`Held::suspended_at`]), as the stores' status-event order says it.
    place: u64,
}

/// One registered certificate.
struct Held {
    /// `None` for a status that does not read.
    status: Option<Status>,
    document: Vec<u8>,
    /// When an entry last changed it (registered it, or a notice applied to it).
    changed: OffsetDateTime,
    /// When an entry first registered its facts as they are (an export, a recognition).
    registered: OffsetDateTime,
    /// The `iat` of the last notice applied to it.
    last_iat: Option<i64>,
    /// When the gateway last suspended it itself, in seconds since 1970 (an exporter's word
    /// whose look-alike a first registration registered; [`crate::notice::Register`]).
    suspended_by_gateway: Option<i64>,
    /// The index of the entry that last suspended it so ([`crate::store::LookAlikeWord`]).
    suspended_at: Option<u64>,
    /// The index of the entry that first registered it ([`crate::store::LookAlikeAt`]).
    first: u64,
    /// Where its facts come from ([`crate::decisions::register::origin`]).
    origin: &'static str,
    /// The signer of the document that last registered it
    /// ([`crate::store::CertificateRecord::signer`]).
    signer: Option<crate::store::RegisteredSigner>,
    /// The digests of the documents exports made of it
    /// ([`crate::decisions::register::exported`]), in order: the store lists them so.
    exported: std::collections::BTreeSet<String>,
    /// Its facts read from `document` (`None` inside: it does not read), once a status list
    /// asked: read again once the document changes.
    facts: std::cell::OnceCell<Option<crate::model::Certificate>>,
    /// What the rules last said of it in a status list, as the gateway keeps it
    /// ([`crate::decisions::status_list::withheld_until`]): under the trust list and table
    /// of these digests, from, until, withheld. Forgotten when it is registered again.
    kept: std::cell::RefCell<Option<crate::decisions::status_list::Kept>>,
}

/// What a notice is admitted against ([`crate::notice::Register`]) but whether its id was
/// used, as a certificate stands.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Standing {
    status: Option<Status>,
    last_iat: Option<i64>,
    suspended_by_gateway: Option<i64>,
}

/// How a certificate stood before one of its changes. A notice is admitted only at commit,
/// and its refusal there is logged after that commit: a change committed after it in the
/// same commit (a body's suspension and its restoration relayed at once) is before its
/// entry in the log, and the audit, deciding it again there, would decide it against the
/// change (found by test: the restoration refused `notice.transition`, then decided again
/// as applied).
#[derive(Debug, Clone, Copy)]
struct Before {
    /// When the change was.
    changed: OffsetDateTime,
    /// How many notices had been applied by then, of any certificate: a body's id was used
    /// before the change when its place among them is not above this ([`LogRegister::jtis`]).
    notices: u64,
    /// `None`: the register did not hold it.
    standing: Option<Standing>,
}

impl Standing {
    /// What a notice whose body used its id before (`jti_seen`) or not is admitted
    /// against, as `standing` (`None`: not held); `None` for a status that does not read.
    fn admitting(standing: Option<Standing>, jti_seen: bool) -> Option<crate::notice::Register> {
        match standing {
            None => Some(crate::notice::Register::unheld(jti_seen)),
            Some(s) => Some(crate::notice::Register {
                status: s.status?,
                last_iat: s.last_iat,
                suspended_by_gateway: s.suspended_by_gateway,
                jti_seen,
            }),
        }
    }
}

impl Held {
    /// How it stands now.
    fn standing(&self) -> Standing {
        Standing { status: self.status, last_iat: self.last_iat, suspended_by_gateway: self.suspended_by_gateway }
    }
}

impl LogRegister {
    /// Holds the register `source` keeps to the one the log made, a page at a time: every
    /// certificate, its status, document and origin, every applied notice, and the
    /// documents each export made (read whole, as the notices are). What the
    /// gateway answers from (a look-up's status, a verification's register read, a notice
    /// replay check) is the store's, so a store changed behind the log's back would answer
    /// what no logged decision made (found by attack: a suspended certificate set back to
    /// valid in the store, its suspension and notices deleted, audited clean, and the
    /// restarted gateway answered "valid"). Each difference is a disagreement at `size`.
    /// `false` when the source shows no register.
    fn held_to(&self, source: &dyn Source, size: u64, out: &mut Vec<Disagreement>) -> Result<bool, StoreError> {
        const PAGE: u32 = 1000;
        let mut disagree = |detail: String| {
            out.push(Disagreement { index: size, kind: "register".into(), reason: "audit.register", detail });
        };
        // The keys the store holds (not their documents: a page of those at a time).
        let mut seen: std::collections::HashSet<(String, String)> = std::collections::HashSet::new();
        let mut after: Option<(String, String)> = None;
        loop {
            let Some(page) = source.certificates_after(after.as_ref().map(|(i, n)| (i.as_str(), n.as_str())), PAGE)?
            else {
                return Ok(false);
            };
            for r in &page {
                let (issuer, number) = (&r.issuer, &r.number);
                let key = (issuer.clone(), number.clone());
                let Some(held) = self.certificates.get(&key) else {
                    disagree(format!(
                        "the store registers {issuer}/{number} ({}, {}), which no logged decision registered",
                        r.status, r.origin
                    ));
                    continue;
                };
                seen.insert(key);
                let status = held.status.map(Status::as_str).unwrap_or("");
                if r.status != status {
                    disagree(format!(
                        "the store holds {issuer}/{number} as '{}'; the log made it '{status}'",
                        r.status
                    ));
                }
                if r.origin != held.origin {
                    let origin = held.origin;
                    disagree(format!(
                        "the store holds {issuer}/{number} from '{}'; the log, from '{origin}'",
                        r.origin
                    ));
                }
                if r.document != held.document {
                    disagree(format!("the store holds another document of {issuer}/{number} than the log registered"));
                }
                // A signer changed behind the log's back would hold the look-up to another
                // key's grant, or to none.
                if r.signer != held.signer {
                    let by = |s: &Option<crate::store::RegisteredSigner>| {
                        s.as_ref().map_or("no key".to_string(), |s| format!("{} on {}", s.certificate, s.registered_at))
                    };
                    disagree(format!(
                        "the store holds {issuer}/{number} as signed by {}; the log, by {}",
                        by(&r.signer),
                        by(&held.signer)
                    ));
                }
            }
            match page.last() {
                Some(last) if page.len() == PAGE as usize => after = Some((last.issuer.clone(), last.number.clone())),
                _ => break,
            }
        }
        let mut missing: Vec<String> = self
            .certificates
            .keys()
            .filter(|key| !seen.contains(*key))
            .map(|(issuer, number)| format!("{issuer}/{number}"))
            .collect();
        missing.sort();
        for key in missing {
            disagree(format!("the log registered {key}, and the store does not hold it"));
        }
        if let Some(notices) = source.applied_notices()? {
            let stored: std::collections::HashSet<(String, String)> = notices.into_iter().collect();
            let mut differ: Vec<String> = Vec::new();
            for (issuer, jti) in stored.iter().filter(|k| !self.jtis.contains_key(*k)) {
                differ.push(format!("the store holds a notice of {issuer} ({jti}) that no logged decision applied"));
            }
            for (issuer, jti) in self.jtis.keys().filter(|k| !stored.contains(*k)) {
                differ.push(format!("the log applied a notice of {issuer} ({jti}), and the store does not hold it"));
            }
            differ.sort();
            for detail in differ {
                disagree(detail);
            }
        }
        // The documents the gateway's signature stands for: one the store holds that no
        // logged export made would verify "valid" as the gateway's export.
        if let Some(exported) = source.exported_documents()? {
            let stored: std::collections::BTreeSet<ExportedDocument> = exported.into_iter().collect();
            let logged: std::collections::BTreeSet<ExportedDocument> = self
                .certificates
                .iter()
                .flat_map(|((issuer, number), held)| {
                    held.exported.iter().map(move |digest| ExportedDocument {
                        issuer: issuer.clone(),
                        number: number.clone(),
                        digest: digest.clone(),
                    })
                })
                .collect();
            // One disagreement per certificate and way, naming each document.
            let by_certificate = |rows: Vec<&ExportedDocument>| {
                let mut grouped: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
                for d in rows {
                    grouped
                        .entry((d.issuer.clone(), d.number.clone()))
                        .or_default()
                        .push(format!("sha256:{}", d.digest));
                }
                grouped
            };
            let unmade = stored.difference(&logged).filter(|d| !self.outputs_logged.contains(&d.digest));
            for ((issuer, number), digests) in by_certificate(unmade.collect()) {
                disagree(format!(
                    "the store holds {} document(s) exported of {issuer}/{number} that no logged export made ({})",
                    digests.len(),
                    digests.join(", ")
                ));
            }
            for ((issuer, number), digests) in by_certificate(logged.difference(&stored).collect()) {
                disagree(format!(
                    "the log exported {} document(s) of {issuer}/{number} that the store does not hold ({})",
                    digests.len(),
                    digests.join(", ")
                ));
            }
        }
        Ok(true)
    }

    /// A certificate registered (again) by an export or a recognition.
    fn put(
        &mut self,
        (issuer, number): (&str, &str),
        status: Option<Status>,
        document: Vec<u8>,
        (origin, signer): (&'static str, Option<crate::store::RegisteredSigner>),
        at: OffsetDateTime,
    ) {
        self.index_look(issuer, number);
        let before = self.certificates.get(&(issuer.to_string(), number.to_string())).map(Held::standing);
        let notices = self.notices;
        let held = self.certificates.entry((issuer.into(), number.into()));
        let held = held.or_insert(Held {
            status: None,
            document: Vec::new(),
            changed: at,
            registered: at,
            last_iat: None,
            suspended_by_gateway: None,
            suspended_at: None,
            first: self.place,
            origin,
            signer: None,
            exported: Default::default(),
            facts: Default::default(),
            kept: Default::default(),
        });
        held.changed = at;
        // The same facts again keep their first registration's time, as the gateway's
        // registration does ([`crate::decisions::register::recorded_since`]).
        if !crate::decisions::register::same_facts(&held.document, &document) {
            held.registered = at;
        }
        held.status = status;
        if held.document != document {
            held.facts = Default::default();
        }
        held.kept = Default::default();
        held.document = document;
        held.origin = origin;
        // None over a signer keeps it, as the stores do.
        if signer.is_some() {
            held.signer = signer;
        }
        let now = held.standing();
        let key = (issuer.to_string(), number.to_string());
        self.remember(&key, at, notices, before, now);
        self.touched.insert(key);
    }

    /// Registers the documents an export made of a registered certificate, by `digests`
    /// ([`crate::decisions::register::exported::digests`]), as the export's
    /// [`crate::store::Effect::RecordExported`] does.
    fn exported(&mut self, (issuer, number): (&str, &str), digests: Vec<String>) {
        if let Some(held) = self.certificates.get_mut(&(issuer.to_string(), number.to_string())) {
            // Once each, as the stores hold them.
            held.exported.extend(digests);
        }
    }

    /// Notes the outputs an export logged as made names ([`LogRegister::outputs_logged`]).
    fn outputs_logged(&mut self, digests: Vec<String>) {
        self.outputs_logged.extend(digests);
    }

    /// The certificate's record as a notice's checks read it.
    fn record(&self, issuer: &str, number: &str) -> Option<crate::store::CertificateRecord> {
        let held = self.certificates.get(&(issuer.to_string(), number.to_string()))?;
        Some(crate::store::CertificateRecord {
            issuer: issuer.into(),
            number: number.into(),
            holder_credit_code: None,
            origin: held.origin.into(),
            status: held.status.map(Status::as_str).unwrap_or("").into(),
            document: held.document.clone(),
            recorded_at: String::new(),
            signer: held.signer.clone(),
        })
    }

    /// What the store admits a notice against ([`crate::notice::admit`]; for a certificate
    /// not registered, [`crate::notice::Register::unheld`]); `None` for a status that does
    /// not read.
    fn admission(&self, issuer: &str, number: &str, jti: &str) -> Option<crate::notice::Register> {
        let jti_seen = self.jtis.contains_key(&(issuer.to_string(), jti.to_string()));
        let standing = self.certificates.get(&(issuer.to_string(), number.to_string())).map(Held::standing);
        Standing::admitting(standing, jti_seen)
    }

    /// Keeps how `key` stood (`before`) ahead of a change at `at`, `notices` applied by
    /// then, that left it standing as `now`: only a change a notice is admitted otherwise
    /// after (a registration of the same status, a suspension restated, change nothing
    /// here). More changes of one certificate in the window than are kept are a false
    /// alarm at worst.
    fn remember(
        &mut self,
        key: &(String, String),
        at: OffsetDateTime,
        notices: u64,
        before: Option<Standing>,
        now: Standing,
    ) {
        const KEPT: usize = 8;
        if before == Some(now) {
            return;
        }
        let horizon = at - CLOCK_SKEW * 2;
        while self.changes.front().is_some_and(|(changed, _)| *changed < horizon) {
            let Some((_, old)) = self.changes.pop_front() else { break };
            if let Some(kept) = self.earlier.get_mut(&old) {
                kept.retain(|b| b.changed >= horizon);
                if kept.is_empty() {
                    self.earlier.remove(&old);
                }
            }
        }
        let kept = self.earlier.entry(key.clone()).or_default();
        if kept.len() >= KEPT {
            kept.remove(0);
        }
        kept.push(Before { changed: at, notices, standing: before });
        self.changes.push_back((at, key.clone()));
    }

    /// What the store admitted a notice against before each change of the certificate at
    /// `since` or later ([`Before`]), for a notice refused at commit.
    fn admissions_before(
        &self,
        issuer: &str,
        number: &str,
        jti: &str,
        since: OffsetDateTime,
    ) -> Vec<crate::notice::Register> {
        let applied = self.jtis.get(&(issuer.to_string(), jti.to_string())).copied();
        let Some(kept) = self.earlier.get(&(issuer.to_string(), number.to_string())) else { return Vec::new() };
        let before = kept.iter().filter(|b| b.changed >= since);
        before.filter_map(|b| Standing::admitting(b.standing, applied.is_some_and(|n| n <= b.notices))).collect()
    }

    /// Holds `number` of `issuer` in the look-alike index (once: the register never drops a
    /// certificate).
    fn index_look(&mut self, issuer: &str, number: &str) {
        let key = (issuer.to_string(), crate::ids::number_skeleton(number));
        self.look_alike.entry(key).or_default().insert(number.to_string());
    }

    /// The first registration of `issuer`/`number`, not on an exporter's word, at `at`:
    /// each certificate [`crate::decisions::register::suspended_by_look_alike`] gives is
    /// suspended, as [`crate::store::Effect::SuspendLookAlikes`] does.
    fn suspend_look_alikes(&mut self, issuer: &str, number: &str, at: OffsetDateTime) {
        for other in self.look_alikes(issuer, number) {
            let key = (issuer.to_string(), other);
            let Some(held) = self.certificates.get(&key) else { continue };
            let status = held.status.map(Status::as_str).unwrap_or("");
            if crate::decisions::register::suspended_by_look_alike(held.origin, status) {
                self.suspend_by_gateway(&key, at);
            }
        }
    }

    /// The gateway's sweep at `at` ([`crate::decisions::sweep`]): the words
    /// [`crate::decisions::register::swept`] gives of the register as the log made it,
    /// suspended as [`crate::store::Effect::SweepLookAlikes`] does. Returns how many.
    fn sweep(&mut self, at: OffsetDateTime) -> usize {
        let mut words = Vec::new();
        for ((issuer, _), numbers) in self.look_alike.iter().filter(|(_, numbers)| numbers.len() > 1) {
            for number in numbers {
                let Some(word) = self.certificates.get(&(issuer.clone(), number.clone())) else { continue };
                if word.origin != crate::decisions::register::origin::EXPORT_UNSIGNED {
                    continue;
                }
                let beside = numbers.iter().filter(|n| *n != number).filter_map(|n| {
                    let held = self.certificates.get(&(issuer.clone(), n.clone()))?;
                    Some(crate::store::LookAlikeAt {
                        number: n.clone(),
                        origin: held.origin.into(),
                        status: held.status.map(Status::as_str).unwrap_or("").into(),
                        first: Some(held.first),
                    })
                });
                words.push(crate::store::LookAlikeWord {
                    issuer: issuer.clone(),
                    number: number.clone(),
                    status: word.status.map(Status::as_str).unwrap_or("").into(),
                    suspended: word.suspended_at,
                    look_alikes: beside.collect(),
                });
            }
        }
        words.sort_by(|a, b| (&a.issuer, &a.number).cmp(&(&b.issuer, &b.number)));
        let swept = crate::decisions::register::swept(&words);
        for key in &swept {
            self.suspend_by_gateway(key, at);
        }
        swept.len()
    }

    /// The gateway's own look-alike suspension of `key` at `at`, as the stores write it
    /// (rule sets 26 to 28).
    fn suspend_by_gateway(&mut self, key: &(String, String), at: OffsetDateTime) {
        let (notices, place) = (self.notices, self.place);
        let Some(held) = self.certificates.get_mut(key) else { return };
        let before = held.standing();
        // A suspension restated changes nothing a decision read (as a body's does).
        if held.status != Some(Status::Suspended) {
            held.changed = at;
        }
        held.status = Some(Status::Suspended);
        // The latest, as the stores read their events: entries' times need not rise.
        let seconds = at.unix_timestamp();
        held.suspended_by_gateway = Some(held.suspended_by_gateway.map_or(seconds, |s| s.max(seconds)));
        held.suspended_at = Some(place);
        let now = held.standing();
        self.remember(key, at, notices, Some(before), now);
        self.touched.insert(key.clone());
    }

    /// [`crate::store::Store::look_alikes`] of the register as replayed so far.
    fn look_alikes(&self, issuer: &str, number: &str) -> Vec<String> {
        let key = (issuer.to_string(), crate::ids::number_skeleton(number));
        let held = self.look_alike.get(&key).into_iter().flatten();
        held.filter(|n| n.as_str() != number).cloned().collect()
    }

    /// What a decision on `issuer`/`number` races at commit besides the certificate itself:
    /// for a first registration (the register does not hold it), the numbers that read as
    /// its number, whose exporter's word it suspends (`Effect::SuspendLookAlikes`); none
    /// otherwise.
    fn rivals_of_first(&self, issuer: &str, number: &str) -> Vec<String> {
        match self.certificates.contains_key(&(issuer.to_string(), number.to_string())) {
            false => self.look_alikes(issuer, number),
            true => Vec::new(),
        }
    }

    /// When an entry last changed the certificate, if one did.
    fn changed_at(&self, issuer: &str, number: &str) -> Option<OffsetDateTime> {
        self.certificates.get(&(issuer.to_string(), number.to_string())).map(|h| h.changed)
    }

    /// A notice applied: the status it leads to, its iat and its id. A certificate not
    /// registered is registered with that status alone, as the stores do
    /// ([`crate::decisions::register::status_only`]).
    fn apply(&mut self, n: &crate::notice::Notice, at: OffsetDateTime) {
        self.index_look(&n.issuer, &n.number);
        let key = (n.issuer.clone(), n.number.clone());
        let before = self.certificates.get(&key).map(Held::standing);
        let notices = self.notices;
        let held = self.certificates.entry(key).or_insert(Held {
            status: None,
            document: Vec::new(),
            changed: at,
            registered: at,
            last_iat: None,
            suspended_by_gateway: None,
            suspended_at: None,
            first: self.place,
            origin: crate::decisions::register::origin::NOTICE,
            signer: None,
            exported: Default::default(),
            facts: Default::default(),
            kept: Default::default(),
        });
        // A suspension restated (rule set 22) changes nothing a decision read, as the
        // gateway's commit checks see it: no change a refusal could have raced.
        if held.status != Some(n.action.target()) {
            held.changed = at;
        }
        held.status = Some(n.action.target());
        held.last_iat = Some(held.last_iat.map_or(n.iat, |l| l.max(n.iat)));
        let now = held.standing();
        let key = (n.issuer.clone(), n.number.clone());
        self.remember(&key, at, notices, before, now);
        self.touched.insert(key);
        self.notices += 1;
        self.jtis.insert((n.issuer.clone(), n.jti.clone()), self.notices);
    }
}

impl StatusSource for LogRegister {
    fn current(&self, issuer: &str, number: &str) -> (Registered, Option<HeldDocument>) {
        match self.certificates.get(&(issuer.to_string(), number.to_string())) {
            Some(Held { status: Some(status), document, origin, registered, signer, .. }) => (
                Registered::Status(*status),
                (*origin != crate::decisions::register::origin::NOTICE).then(|| HeldDocument {
                    document: document.clone(),
                    exporters_word: *origin == crate::decisions::register::origin::EXPORT_UNSIGNED,
                    registered_at: Some(*registered),
                    signer: signer.clone(),
                }),
            ),
            Some(_) => (Registered::Unavailable("a status that does not read".into()), None),
            None => (Registered::NotHeld, None),
        }
    }

    fn exported(&self, issuer: &str, number: &str, readings: &[String]) -> Result<bool, String> {
        let held = self.certificates.get(&(issuer.to_string(), number.to_string()));
        Ok(held.is_some_and(|h| readings.iter().any(|r| h.exported.contains(r))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notice::{Action, Notice, NoticeError};
    use time::macros::{date, datetime};

    fn notice(action: Action, iat: i64, jti: &str) -> Notice {
        Notice {
            issuer: "CNCA-R-2002-001".into(),
            number: "N-1".into(),
            action,
            iat,
            jti: jti.into(),
            date: "2026-12-07".into(),
            day: date!(2026 - 12 - 07),
            reason: None,
        }
    }

    /// What a notice refused at commit is held to ([`Before`]): the certificate as it stood
    /// before each change of the last minute and more, each with whether the notice's id
    /// was used by then; not before a change that left it as it stood, nor once the change
    /// is past the window.
    #[test]
    fn a_certificate_is_remembered_as_it_stood_before_its_latest_changes() {
        let mut register = LogRegister::default();
        let t0 = datetime!(2026-12-07 00:00 UTC);
        let before = |r: &LogRegister, jti: &str, since| r.admissions_before("CNCA-R-2002-001", "N-1", jti, since);
        register.apply(&notice(Action::Suspend, 100, "s-1"), t0);
        let other = Notice { number: "N-2".into(), ..notice(Action::Suspend, 100, "o-1") };
        register.apply(&other, t0);
        // A restoration decided now is admitted; before the suspension it was not.
        let now = register.admission("CNCA-R-2002-001", "N-1", "r-1").expect("reads");
        assert_eq!(crate::notice::admit(Action::Restore, 110, "r-1", &now), Ok(()));
        let stood = before(&register, "r-1", t0 - CLOCK_SKEW);
        assert_eq!(stood, [crate::notice::Register::unheld(false)]);
        let refused = crate::notice::admit(Action::Restore, 110, "r-1", &stood[0]);
        assert_eq!(refused, Err(NoticeError::Transition { action: "restore", from: "valid" }));
        assert_eq!(before(&register, "r-1", t0 + time::Duration::SECOND), []);
        // Its own id applied later: not seen before the changes made before it.
        register.apply(&notice(Action::Restore, 120, "r-2"), t0 + time::Duration::seconds(10));
        let stood = before(&register, "r-2", t0 - CLOCK_SKEW);
        assert_eq!(stood.iter().map(|s| s.jti_seen).collect::<Vec<_>>(), [false, false]);
        assert_eq!(stood.iter().map(|s| s.status).collect::<Vec<_>>(), [Status::Valid, Status::Suspended]);
        assert!(before(&register, "s-1", t0 - CLOCK_SKEW).iter().map(|s| s.jti_seen).eq([false, true]));
        // A registration of the status it has changes nothing a notice is admitted by.
        let doc = Vec::new();
        let origin = (crate::decisions::register::origin::NOTICE, None);
        register.put(("CNCA-R-2002-001", "N-1"), Some(Status::Valid), doc, origin, t0 + time::Duration::seconds(20));
        assert_eq!(before(&register, "x", t0 - CLOCK_SKEW).len(), 2);
        // Past twice the window, the earlier changes are forgotten at the next.
        register.apply(&notice(Action::Suspend, 130, "s-2"), t0 + time::Duration::minutes(3));
        let stood = before(&register, "x", t0 - CLOCK_SKEW);
        assert_eq!((stood.len(), stood[0].status, stood[0].last_iat), (1, Status::Valid, Some(120)));
        // What is kept is what the log changed lately, not the register: a certificate not
        // changed since is forgotten.
        let key = |number: &str| ("CNCA-R-2002-001".to_string(), number.to_string());
        assert_eq!((register.earlier.contains_key(&key("N-2")), register.earlier.len()), (false, 1));
        assert_eq!(register.changes.len(), 1);
    }

    /// The sweep as the audit replays it (rule set 28): the words beside a number the
    /// register first holds after the gateway's last look-alike suspension of the word, or
    /// with none, in force — suspended at the sweep's time; a number met in the same entry,
    /// or whose facts changed since, is not; a word its body restored after the gateway's
    /// suspension stays as its body left it; a second sweep finds nothing.
    #[test]
    fn the_sweep_suspends_the_words_beside_numbers_the_rules_did_not_meet() {
        use crate::decisions::register::origin::{EXPORT, EXPORT_UNSIGNED};
        const CB: &str = "CNCA-R-2002-001";
        let mut register = LogRegister::default();
        let t0 = datetime!(2026-12-08 00:00 UTC);
        let at = |place: u64| t0 + time::Duration::seconds(place as i64);
        let put = |r: &mut LogRegister, place: u64, number: &str, status: Status, origin: &'static str| {
            r.place = place;
            r.put((CB, number), Some(status), number.as_bytes().to_vec(), (origin, None), at(place));
        };
        // A pair registered before rule set 26: the word valid beside its CB's number.
        put(&mut register, 1, "W-OO1", Status::Valid, EXPORT_UNSIGNED);
        put(&mut register, 2, "W-001", Status::Withdrawn, EXPORT);
        // Rule set 26 met it in the entry that registered its CB's number; its body restored
        // it since, and the number's facts changed since.
        put(&mut register, 3, "M-OO1", Status::Valid, EXPORT_UNSIGNED);
        put(&mut register, 4, "M-001", Status::Valid, EXPORT);
        register.suspend_look_alikes(CB, "M-001", at(4));
        register.place = 5;
        let restore = Notice { number: "M-OO1".into(), ..notice(Action::Restore, 10, "r-1") };
        register.apply(&restore, at(5));
        register.place = 6;
        register.put((CB, "M-001"), Some(Status::Valid), b"other facts".to_vec(), (EXPORT, None), at(6));
        // A word withdrawn beside its look-alike: left as it is.
        put(&mut register, 7, "X-OO1", Status::Withdrawn, EXPORT_UNSIGNED);
        put(&mut register, 8, "X-001", Status::Valid, EXPORT);
        // Met by the gateway's suspension for one number, not for a later one (registered
        // while its body had it suspended, under rule set 26).
        put(&mut register, 9, "G-00I", Status::Valid, EXPORT_UNSIGNED);
        put(&mut register, 10, "G-001", Status::Valid, EXPORT);
        register.suspend_look_alikes(CB, "G-001", at(10));
        put(&mut register, 11, "G-0O1", Status::Valid, EXPORT);
        // No look-alike at all.
        put(&mut register, 12, "A-001", Status::Valid, EXPORT_UNSIGNED);
        register.place = 13;
        assert_eq!(register.sweep(at(13)), 2);
        let stands = |r: &LogRegister, number: &str| {
            let held = &r.certificates[&(CB.to_string(), number.to_string())];
            (held.status, held.suspended_by_gateway, held.suspended_at)
        };
        let swept = (Some(Status::Suspended), Some(at(13).unix_timestamp()), Some(13));
        assert_eq!(stands(&register, "W-OO1"), swept);
        assert_eq!(stands(&register, "G-00I"), swept);
        assert_eq!(stands(&register, "M-OO1"), (Some(Status::Valid), Some(at(4).unix_timestamp()), Some(4)));
        assert_eq!(stands(&register, "X-OO1"), (Some(Status::Withdrawn), None, None));
        assert_eq!(stands(&register, "A-001"), (Some(Status::Valid), None, None));
        assert_eq!(register.certificates[&(CB.to_string(), "W-OO1".to_string())].changed, at(13));
        // Swept, nothing is left to sweep.
        register.place = 14;
        assert_eq!(register.sweep(at(14)), 0);
        assert_eq!(stands(&register, "W-OO1"), swept);
    }
}
