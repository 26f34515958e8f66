//! The audit: every entry of the log read again, the tree recomputed, and every decision
//! that can be re-derived decided again from the document the entry names and the rule
//! versions it names — the trust list and equivalence table fetched by version, the
//! decision's own time, the register's status as it stood then.
//!
//! What is re-derived, and how ([`Audit::run`]):
//! - `recognition` entries (verifications and partners' recognitions) of rule set
//!   [`RULE_SET`]: the kept document, the named trust list and table, at the entry's time:
//!   the same verdict and the same reasons, and for a recognized certificate the same CN
//!   XML (its digest is the entry's output);
//! - `trust-list` and `equivalence-table` installs: the stored version is the one the entry
//!   names (its bytes hash to the named digest), it verifies under the install policy at
//!   the install's time, and its sequence is higher than the one before it in the log;
//! - for every format-2 entry: the rule versions it names are the ones in force at its
//!   place in the log (the last installed before it).
//!
//! Exports, notices and PT entries are counted as not re-derived (their decisions read
//! state this audit does not rebuild: the register at commit, a round's submissions), as
//! are entries of format 1 (they name no rule versions) and of another rule set.
//!
//! What it must never do: write anything, or count an entry it could not decide again as
//! agreeing.

use crate::crypto::x509::Crls;
use crate::decisions::RULE_SET;
use crate::ledger::entry::{Entry, RuleVersion, Rules};
use crate::ledger::merkle::{Hash, Tree, leaf_hash};
use crate::recognition::{Registered, StatusSource};
use crate::store::{StatusEvent, Store, StoreError, TableVersion, TrustListVersion};
use crate::trust::equivalence_table::{self as signed, Origin};
use crate::trust::{InstallPolicy, TrustList};
use crate::xml::Limits;
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
    fn status_history(&self, issuer: &str, number: &str) -> Result<Vec<StatusEvent>, StoreError>;
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
    fn equivalence_tables(&self) -> Result<Vec<TableVersion>, StoreError> {
        self.0.equivalence_tables()
    }
    fn status_history(&self, issuer: &str, number: &str) -> Result<Vec<StatusEvent>, StoreError> {
        self.0.status_history(issuer, number)
    }
}

/// What the audit decides with besides the source: the gateway's install policy (who may
/// sign rule documents), its CRLs, its own signing certificate (its exports verify as its
/// own) and its limits.
#[derive(Debug)]
pub struct Audit<'a> {
    pub policy: &'a InstallPolicy,
    pub crls: &'a Crls,
    pub own_signers: Vec<Vec<u8>>,
    pub limits: Limits,
    /// A checkpoint (its signature and cosignatures checked by the caller) whose root the
    /// tree at its size must have.
    pub checkpoint: Option<crate::ledger::checkpoint::Checkpoint>,
}

/// One entry the audit decided differently from the log, or could not check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Disagreement {
    pub index: u64,
    pub kind: String,
    /// `audit.verdict`, `audit.document`, `audit.rules`, `audit.install`, `audit.entry`.
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
    #[serde(skip)]
    pub root_hash: Hash,
}

/// The reasons of a recognition refused at commit, not when decided: the register or the
/// rules changed between the decision and its commit.
const COMMIT_RACES: [&str; 4] =
    ["register.conflict", "register.older_document", "trust.list_changed", "rules.table_changed"];

/// Entries read from the source at a time.
const PAGE: u64 = 4096;

/// A rule version read once and kept for the entries that name it.
type Lists = HashMap<String, Result<Arc<TrustList>, String>>;
type Tables = HashMap<String, Result<Arc<signed::Version>, String>>;

impl Audit<'_> {
    /// Reads every entry of `source`, recomputes the tree and decides again what can be.
    pub fn run(&self, source: &dyn Source) -> Result<Report, StoreError> {
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
            verifiers: crate::recognition::Verifiers::new(),
            in_force_list: None,
            in_force_table: None,
            notices: std::collections::HashSet::new(),
            failed: std::cell::RefCell::new(None),
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
        let mut report = walk.report;
        if let Some(checkpoint) = &self.checkpoint {
            match tree.root(checkpoint.size).filter(|_| checkpoint.size <= size) {
                Some(root) if root == checkpoint.root => {}
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
        report.root_hash = tree.root(size).unwrap_or_else(crate::ledger::merkle::empty_root);
        report.root = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, report.root_hash);
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
    /// JWS verifiers kept across the walk (the audit's CRLs never change), so a signer's
    /// chain seen before costs one signature check, as in the gateway.
    verifiers: crate::recognition::Verifiers,
    /// The rule versions installed last, at this point of the walk.
    in_force_list: Option<RuleVersion>,
    in_force_table: Option<RuleVersion>,
    /// The notices applied before this point of the walk, by their document's digest.
    notices: std::collections::HashSet<String>,
    /// A read of the source that failed: the audit stops (a document it could not fetch
    /// is no evidence either way).
    failed: std::cell::RefCell<Option<StoreError>>,
    report: Report,
}

impl Walk<'_, '_> {
    fn disagree(&mut self, index: u64, kind: &str, reason: &'static str, detail: String) {
        self.report.disagreements.push(Disagreement { index, kind: kind.into(), reason, detail });
    }

    fn skip(&mut self, why: &str) {
        *self.report.not_re_derived.entry(why.into()).or_default() += 1;
    }

    fn entry(&mut self, index: u64, bytes: &[u8]) {
        let entry = match Entry::decode(bytes) {
            Ok(e) => e,
            Err(e) => return self.disagree(index, "?", "audit.entry", format!("[{}] {e}", e.code())),
        };
        let (trust_list, table, rule_set) = match &entry.rules {
            Rules::V1 { .. } => return self.skip("format 1 (names no rule versions)"),
            Rules::V2 { trust_list, equivalence_table, rule_set } => (trust_list, equivalence_table, rule_set),
        };
        let ok = match entry.kind.as_str() {
            "trust-list" => self.trust_list_install(index, &entry, trust_list.as_ref()),
            "equivalence-table" => self.table_install(index, &entry, table.as_ref()),
            _ => self.named_in_force(index, &entry, trust_list.as_ref(), table.as_ref()),
        };
        if !ok {
            return;
        }
        if entry.kind == "notice" && entry.verdict != "refused" {
            self.notices.extend(entry.inputs.iter().cloned());
        }
        match entry.kind.as_str() {
            "trust-list" | "equivalence-table" => self.report.re_derived += 1,
            "recognition" if rule_set.as_deref() == Some(RULE_SET) => self.recognition(index, &entry),
            "recognition" => self.skip(&format!("rule set {}", rule_set.as_deref().unwrap_or("-"))),
            other => self.skip(other),
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
            if named.is_some() && named != in_force.as_ref() {
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
            self.disagree(index, &entry.kind, "audit.install", "the install names no list".into());
            return false;
        };
        let checked = (|| {
            let stored = self.list_versions.get(&named.digest).ok_or("no stored version has this digest")?;
            if entry.inputs != [crate::crypto::sha256_hex(&stored.document)] {
                return Err("the stored document is not the one the entry names as its input");
            }
            if stored.sequence != named.sequence {
                return Err("the stored version has another sequence");
            }
            Ok(())
        })();
        if let Err(why) = checked {
            self.disagree(index, &entry.kind, "audit.install", format!("trust list {}: {why}", named.sequence));
            return false;
        }
        let time = entry_time(entry);
        let list = self.list(&named.digest, time);
        let checked = match list {
            Err(why) => Err(format!("does not verify under the install policy at {}: {why}", entry.time)),
            Ok(list) if list.sequence != named.sequence || list.digest != named.digest => {
                Err(format!("reads as sequence {} sha256:{}", list.sequence, list.digest))
            }
            Ok(_) => match &self.in_force_list {
                Some(before) if before.sequence >= named.sequence => {
                    Err(format!("is not newer than sequence {} installed before it", before.sequence))
                }
                _ => Ok(()),
            },
        };
        if let Err(why) = checked {
            self.disagree(index, &entry.kind, "audit.install", format!("trust list {} {why}", named.sequence));
            return false;
        }
        self.in_force_list = Some(named.clone());
        true
    }

    fn table_install(&mut self, index: u64, entry: &Entry, named: Option<&RuleVersion>) -> bool {
        let Some(named) = named else {
            self.disagree(index, &entry.kind, "audit.install", "the install names no table".into());
            return false;
        };
        let checked = (|| {
            let stored = self.table_versions.get(&named.sequence).ok_or("no version with this sequence is stored")?;
            let digest = crate::crypto::sha256_hex(&stored.document);
            if digest != named.digest || stored.digest != named.digest || entry.inputs != [digest] {
                return Err("the stored document is not the one the entry names");
            }
            Ok(())
        })();
        if let Err(why) = checked {
            self.disagree(index, &entry.kind, "audit.install", format!("equivalence table {}: {why}", named.sequence));
            return false;
        }
        let checked = match self.table(named, entry_time(entry)) {
            Err(why) => Err(format!("does not verify at {}: {why}", entry.time)),
            Ok(t) if t.table.sequence != named.sequence => Err(format!("reads as sequence {}", t.table.sequence)),
            // Only the build installs an unsigned table, and only the build's own.
            Ok(t) if t.origin == Origin::Build && entry.actor != "build" => {
                Err(format!("is unsigned, but was installed by '{}'", entry.actor))
            }
            Ok(_) => match &self.in_force_table {
                Some(before) if before.sequence >= named.sequence => {
                    Err(format!("is not newer than sequence {} installed before it", before.sequence))
                }
                _ => Ok(()),
            },
        };
        if let Err(why) = checked {
            self.disagree(index, &entry.kind, "audit.install", format!("equivalence table {} {why}", named.sequence));
            return false;
        }
        self.in_force_table = Some(named.clone());
        true
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
                self.audit
                    .policy
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
            Some(v) => signed::read_logged(&v.document, self.audit.policy, at)
                .map(Arc::new)
                .map_err(|e| format!("[{}] {e}", e.code())),
        };
        self.tables.insert(named.digest.clone(), read.clone());
        read
    }

    /// A verification or recognition decided again.
    fn recognition(&mut self, index: u64, entry: &Entry) {
        let kind = entry.kind.clone();
        let Rules::V2 { trust_list: Some(list_named), equivalence_table: Some(table_named), .. } = &entry.rules else {
            return self.disagree(index, &kind, "audit.rules", "a decision names no trust list or table".into());
        };
        let [input] = entry.inputs.as_slice() else {
            return self.disagree(
                index,
                &kind,
                "audit.entry",
                format!("{} inputs, a verification has one", entry.inputs.len()),
            );
        };
        // Refused at commit because the register or the rules changed meanwhile: decided by
        // a race this audit cannot replay.
        if entry.verdict == "refused" && matches!(entry.reasons.as_slice(), [r] if COMMIT_RACES.contains(&r.as_str())) {
            return self.skip("refused at commit (the register changed)");
        }
        let document = match self.source.kept_document(input) {
            Ok(Some(d)) => d,
            Ok(None) => return self.disagree(index, &kind, "audit.document", format!("sha256:{input} is not kept")),
            Err(e) => {
                *self.failed.borrow_mut() = Some(e);
                return;
            }
        };
        if crate::crypto::sha256_hex(&document) != *input {
            return self.disagree(
                index,
                &kind,
                "audit.document",
                format!("the document kept as sha256:{input} hashes otherwise"),
            );
        }
        let time = entry_time(entry);
        // The rule documents verify at their installs' times, checked by their own entries.
        let install_time = |v: Option<&String>| v.and_then(|t| parse_time(t)).unwrap_or(time);
        let list_time = install_time(self.list_versions.get(&list_named.digest).map(|v| &v.installed_at));
        let list = match self.list(&list_named.digest, list_time) {
            Ok(l) => l,
            Err(why) => {
                return self.disagree(
                    index,
                    &kind,
                    "audit.rules",
                    format!("trust list {}: {why}", list_named.sequence),
                );
            }
        };
        let table_time = install_time(self.table_versions.get(&table_named.sequence).map(|v| &v.installed_at));
        let table = match self.table(table_named, table_time) {
            Ok(t) => t,
            Err(why) => {
                return self.disagree(
                    index,
                    &kind,
                    "audit.rules",
                    format!("equivalence table {}: {why}", table_named.sequence),
                );
            }
        };
        // A verification (valid | invalid) accepts the gateway's own exports; a partner's
        // recognition (recognized | refused) the trust list alone.
        let own_signers = matches!(entry.verdict.as_str(), "valid" | "invalid");
        let register = AtTime { source: self.source, at: &entry.time, notices: &self.notices, failed: &self.failed };
        let ctx = crate::recognition::Context {
            trust_list: &list,
            equivalence: &table.table,
            crls: if self.audit.crls.is_empty() { None } else { Some(self.audit.crls) },
            register: &register,
            own_signers: if own_signers { &self.audit.own_signers } else { &[] },
            now: time,
            limits: self.audit.limits,
            verifiers: Some(&self.verifiers),
        };
        let verdict = crate::recognition::decide(&document, &ctx);
        if self.failed.borrow().is_some() {
            return;
        }
        let mut decided = match (own_signers, verdict.valid) {
            (true, true) => "valid",
            (true, false) => "invalid",
            (false, true) => "recognized",
            (false, false) => "refused",
        };
        let mut reasons = verdict.unmet_reasons();
        // A partner's recognition of another partner's body is refused for that alone.
        if !own_signers
            && let (Some(issuer), Some(partner)) = (&verdict.issuer, entry.actor.strip_prefix("partner:"))
            && !crate::decisions::belongs_to(&list, issuer, partner)
        {
            decided = "refused";
            reasons = vec!["auth.not_your_body".into()];
        }
        let mut disagreement = None;
        if decided != entry.verdict {
            disagreement =
                Some(format!("logged {} {:?}, decided again {decided} {reasons:?}", entry.verdict, entry.reasons));
        } else if reasons != entry.reasons {
            disagreement = Some(format!("logged reasons {:?}, decided again {reasons:?}", entry.reasons));
        } else if decided == "recognized"
            && let Some(cert) = &verdict.certificate
        {
            let cn = crate::formats::render(crate::formats::Format::CnXml, cert);
            if entry.outputs != [crate::crypto::sha256_hex(&cn.bytes)] {
                disagreement = Some("the CN XML registered is not the translation decided again".into());
            }
        }
        match disagreement {
            Some(detail) => self.disagree(index, &kind, "audit.verdict", detail),
            None => self.report.re_derived += 1,
        }
    }
}

fn parse_time(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()
}

/// An entry's time (checked when the entry was decoded).
fn entry_time(entry: &Entry) -> OffsetDateTime {
    parse_time(&entry.time).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// The register as it stood at a decision's place in the log: the last status event of
/// the certificate that was recorded before it — a notice's when the notice's entry comes
/// earlier in the log (a notice's event is dated by the notice, which may be earlier than
/// when it was applied), an export's or recognition's when it is dated at or before the
/// decision (they are dated when recorded, to the second: one in the same second counts as
/// before).
struct AtTime<'a> {
    source: &'a dyn Source,
    at: &'a str,
    notices: &'a std::collections::HashSet<String>,
    failed: &'a std::cell::RefCell<Option<StoreError>>,
}

impl AtTime<'_> {
    fn recorded_before(&self, event: &StatusEvent) -> bool {
        match event.reference.strip_prefix("notice:") {
            Some(digest) => self.notices.contains(digest),
            None => event.since.as_str() <= self.at,
        }
    }
}

impl StatusSource for AtTime<'_> {
    fn current_status(&self, issuer: &str, number: &str) -> Registered {
        match self.source.status_history(issuer, number) {
            Ok(history) => match history.iter().rev().find(|e| self.recorded_before(e)) {
                Some(e) => match crate::model::Status::parse(&e.status) {
                    Some(s) => Registered::Status(s),
                    None => Registered::Unavailable(format!("status '{}' is not a status", e.status)),
                },
                None => Registered::NotHeld,
            },
            Err(e) => {
                let unavailable = Registered::Unavailable(e.to_string());
                *self.failed.borrow_mut() = Some(e);
                unavailable
            }
        }
    }
}
