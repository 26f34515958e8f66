//! What the gateway publishes, checked again. Status lists: each certificate's status-list
//! slot, as its exported credentials name it, held to one slot per certificate and one
//! certificate per slot; and each published list version (`status-list` entries) held to
//! the bits the register, as the log made it, and the rules the entry names give that list
//! at that point. DID documents
//! (`did-document` entries): each the document the gateway makes of its own keys.
//!
//! What it must never do: take a published version's bits from anything but the register
//! the walk replays, the slots the exports named and the rules in force, or a DID document's keys for the
//! gateway's without holding each to the auditor's copy of its certificates.

use super::{Walk, entry_time};
use crate::decisions::status_list::{Kept, withheld, withheld_until};
use crate::formats::cn_xml;
use crate::ledger::entry::Entry;
use crate::model::Certificate;
use crate::model::Status;
use crate::status_list::{Held as SlotHeld, Slot, Version};
use std::collections::HashMap;

/// A certificate: its issuer and number.
type CertificateKey = (String, String);

/// The slots the exports named so far.
#[derive(Debug, Default)]
pub(super) struct Slots {
    of: HashMap<CertificateKey, Slot>,
    /// Each slot named, with its certificate; `None` once superseded: never held again, by
    /// its certificate or another.
    holder: HashMap<Slot, Option<CertificateKey>>,
    /// The certificates holding a slot in each list, with their slot's index (`None`: a slot
    /// superseded, its certificate's no longer): a published version is held to its own
    /// list's slots, not to every slot of every list.
    in_list: HashMap<u32, Vec<(Option<CertificateKey>, u32)>>,
    /// Where each slot is in its list's `in_list`.
    position: HashMap<Slot, usize>,
    /// The slots superseded since the lists were last made ([`Made`]), by list and position.
    superseded: Vec<(u32, usize)>,
}

impl Slots {
    /// `cert`'s credential names `slot`: the slot it held before, or a slot nobody holds.
    pub(super) fn hold(&mut self, cert: &Certificate, slot: Slot) -> Result<(), String> {
        let key = (cert.issuer_id().to_string(), cert.number.as_str().to_string());
        match (self.of.get(&key), self.holder.get(&slot)) {
            (_, Some(None)) => Err(format!("status-list slot {}/{} was superseded", slot.list, slot.index)),
            (Some(held), _) if *held != slot => Err(format!(
                "the credential names status-list slot {}/{}; the certificate holds {}/{}",
                slot.list, slot.index, held.list, held.index
            )),
            (_, Some(Some(other))) if *other != key => {
                Err(format!("status-list slot {}/{} is {}/{}'s already", slot.list, slot.index, other.0, other.1))
            }
            (Some(_), _) => Ok(()),
            _ => {
                self.of.insert(key.clone(), slot);
                self.holder.insert(slot, Some(key.clone()));
                let in_list = self.in_list.entry(slot.list).or_default();
                self.position.insert(slot, in_list.len());
                in_list.push((Some(key), slot.index));
                Ok(())
            }
        }
    }

    /// The register came to hold other facts of `issuer`/`number` than its credentials
    /// state: the slot they name is superseded, as the store's
    /// [`crate::store::Effect::SupersedeStatusSlot`] makes it — the certificate's no longer,
    /// revoked for good, never held again.
    pub(super) fn supersede(&mut self, issuer: &str, number: &str) {
        let key = (issuer.to_string(), number.to_string());
        let Some(slot) = self.of.remove(&key) else { return };
        self.holder.insert(slot, None);
        // By its place, not a walk of the list: once per superseding export.
        let Some(&at) = self.position.get(&slot) else { return };
        if let Some((holder, _)) = self.in_list.get_mut(&slot.list).and_then(|held| held.get_mut(at)) {
            *holder = None;
            self.superseded.push((slot.list, at));
        }
    }
}

/// Each list's bits as the walk last made them, kept from one of its versions to the next:
/// a version is made again from the slots whose certificate the log changed since, not
/// from every slot of its list (found by review: every version of a list read every slot
/// of it, so an audit took time in the square of a list's length times its versions).
/// A place is made again too when what the rules said of its valid certificate does not
/// hold at the entry's time (its kept answer's window, [`Kept`]), and the list whole when
/// the rules the entry names are others: each bit is what reading every slot would give.
#[derive(Debug, Default)]
pub(super) struct Made {
    lists: HashMap<u32, MadeList>,
}

#[derive(Debug, Default)]
struct MadeList {
    /// The trust list's and table's digests it was made under.
    digests: (String, String),
    /// The window each valid certificate's kept answer of the rules holds in ([`Kept`]), by
    /// place, and the places by each end of it: a version made at a time outside a place's
    /// window makes that place again, as the rules' answer is given again there.
    windows: HashMap<usize, (time::OffsetDateTime, time::OffsetDateTime)>,
    froms: std::collections::BTreeSet<(time::OffsetDateTime, usize)>,
    untils: std::collections::BTreeSet<(time::OffsetDateTime, usize)>,
    /// Each place of the list's slots ([`Slots::in_list`]) as made: `None` for a
    /// certificate the register does not hold.
    slots: Vec<Option<SlotHeld<'static>>>,
    /// The indexes set in each purpose's list, with how many places set each.
    revoked: std::collections::BTreeMap<u32, usize>,
    suspended: std::collections::BTreeMap<u32, usize>,
    /// The places whose stored status does not read, with their index and status.
    unread: std::collections::BTreeMap<usize, (u32, &'static str)>,
    /// The places changed since it was made.
    dirty: std::collections::BTreeSet<usize>,
}

impl MadeList {
    /// Adds (`add`) or takes away what place `at` of list `list`, made as `made`, sets.
    fn count(&mut self, list: u32, at: usize, made: Option<SlotHeld<'static>>, add: bool) {
        use crate::status_list::Purpose::{Revocation, Suspension};
        let Some(made) = made else { return };
        let (revoked, suspended) = match (made.set_in(list, Revocation), made.set_in(list, Suspension)) {
            (Ok(revoked), Ok(suspended)) => (revoked, suspended),
            _ => {
                match add {
                    true => self.unread.insert(at, (made.index, made.stored)),
                    false => self.unread.remove(&at),
                };
                return;
            }
        };
        for (set, on) in [(&mut self.revoked, revoked), (&mut self.suspended, suspended)] {
            if !on {
                continue;
            }
            let n = set.entry(made.index).or_default();
            match add {
                true => *n += 1,
                false => *n = n.saturating_sub(1),
            }
            if *n == 0 {
                set.remove(&made.index);
            }
        }
    }

    /// The version of `list` for `purpose` as made ([`Version::of`] over every slot).
    fn version(
        &self,
        list: u32,
        purpose: crate::status_list::Purpose,
    ) -> Result<Version, crate::status_list::UnreadStatus> {
        if let Some((_, (index, status))) = self.unread.iter().next() {
            return Err(crate::status_list::UnreadStatus { list, index: *index, status: status.to_string() });
        }
        let set = match purpose {
            crate::status_list::Purpose::Revocation => &self.revoked,
            crate::status_list::Purpose::Suspension => &self.suspended,
        };
        let set = set.keys().copied().filter(|i| *i < crate::status_list::LENGTH).collect();
        Ok(Version { list, purpose, set })
    }
}

/// The rules a list version is made under: the digests of the trust list and table the
/// entry names, its time, those documents, and until when an answer given now holds.
struct Rules<'r> {
    digests: (String, String),
    at: time::OffsetDateTime,
    until: time::OffsetDateTime,
    trust_list: &'r crate::trust::TrustList,
    table: &'r crate::standards::Table,
}

impl Walk<'_, '_> {
    /// The certificates the log changed since the last entry, marked at the places they
    /// hold in the lists made so far (a list not made yet is made whole): once per entry, so
    /// that what is kept follows the lists, not the log.
    pub(super) fn mark_changes(&mut self) {
        for key in self.register.touched.drain() {
            let Some(slot) = self.slots.of.get(&key) else { continue };
            let Some(&at) = self.slots.position.get(slot) else { continue };
            if let Some(made) = self.made.lists.get_mut(&slot.list) {
                made.dirty.insert(at);
            }
        }
        for (superseded, at) in self.slots.superseded.drain(..) {
            if let Some(made) = self.made.lists.get_mut(&superseded) {
                made.dirty.insert(at);
            }
        }
    }

    /// List `list` as the register and `rules` give it now: made again at the places the
    /// log changed since it was last made and those whose kept answer does not hold at the
    /// entry's time, or whole under other rules ([`Made`]).
    fn make(&mut self, list: u32, rules: &Rules<'_>) -> &MadeList {
        self.mark_changes();
        let in_list = self.slots.in_list.get(&list).map(Vec::as_slice).unwrap_or_default();
        let mut made = self.made.lists.remove(&list).unwrap_or_default();
        let places: Vec<usize> = match made.digests == rules.digests && !self.audit.lists_whole {
            true => {
                let mut again = std::mem::take(&mut made.dirty);
                // Dated before a kept answer was given, or after it stopped holding (entries
                // may go back in time by the nodes' clock skew).
                let after = made.froms.range((rules.at + time::Duration::NANOSECOND, 0)..);
                let ended = made.untils.range(..=(rules.at, usize::MAX));
                again.extend(after.chain(ended).map(|(_, at)| *at));
                let changed = again.into_iter().filter(|at| *at < made.slots.len());
                changed.chain(made.slots.len()..in_list.len()).collect()
            }
            false => {
                made = MadeList { digests: rules.digests.clone(), ..Default::default() };
                (0..in_list.len()).collect()
            }
        };
        self.remake(list, &mut made, places, in_list, rules);
        #[cfg(debug_assertions)]
        self.check_made(&made, list, in_list, rules);
        self.made.lists.entry(list).insert_entry(made).into_mut()
    }

    /// In tests, each version made as [`Walk::make`] makes it is the one every slot gives
    /// ([`Version::of`] over them all, as a store reads them), and every valid certificate's
    /// kept answer holds at the entry's time under its rules (read, not given again: a
    /// check that changed what it checks would hide the very error it looks for). Takes
    /// time in the square of the log, as the audit did before (found by review: checked
    /// against its own bookkeeping only, it could not see an error in it).
    #[cfg(debug_assertions)]
    fn check_made(&self, made: &MadeList, list: u32, in_list: &[(Option<CertificateKey>, u32)], rules: &Rules<'_>) {
        let mut held = Vec::new();
        for (holder, index) in in_list {
            let Some(key) = holder else {
                held.push(SlotHeld::stored(*index, crate::status_list::SUPERSEDED));
                continue;
            };
            let Some(certificate) = self.register.certificates.get(key) else { continue };
            let stored = certificate.status.map(Status::as_str).unwrap_or("");
            let withheld = certificate.status == Some(Status::Valid) && {
                let kept = certificate.kept.borrow();
                let holding =
                    kept.as_ref().filter(|k| k.digests == rules.digests && k.from <= rules.at && rules.at < k.until);
                assert!(holding.is_some(), "list {list}: slot {index}'s kept answer does not hold at {}", rules.at);
                holding.is_some_and(|k| k.withheld)
            };
            held.push(SlotHeld { index: *index, stored, withheld });
        }
        for purpose in [crate::status_list::Purpose::Revocation, crate::status_list::Purpose::Suspension] {
            assert_eq!(
                made.version(list, purpose),
                Version::of(list, purpose, &held),
                "list {list} made again in part"
            );
        }
    }

    /// Makes the `places` of `made`, list `list`, again, from `in_list`.
    fn remake(
        &self,
        list: u32,
        made: &mut MadeList,
        places: Vec<usize>,
        in_list: &[(Option<CertificateKey>, u32)],
        rules: &Rules<'_>,
    ) {
        made.slots.resize(in_list.len(), None);
        for at in places {
            let Some((holder, index)) = in_list.get(at) else { continue };
            let before = made.slots.get(at).copied().flatten();
            made.count(list, at, before, false);
            let (now, window) = self.slot_made(holder.as_ref(), *index, rules);
            made.count(list, at, now, true);
            if let Some(slot) = made.slots.get_mut(at) {
                *slot = now;
            }
            if let Some((from, until)) = made.windows.remove(&at) {
                made.froms.remove(&(from, at));
                made.untils.remove(&(until, at));
            }
            if let Some((from, until)) = window {
                made.windows.insert(at, (from, until));
                made.froms.insert((from, at));
                made.untils.insert((until, at));
            }
        }
    }

    /// A slot of certificate `holder` (`None`: superseded) at `index`, as a store reads it —
    /// its stored status, and whether the rules withhold it when valid — with the window the
    /// rules' kept answer holds in; `None` for a certificate the register does not hold.
    fn slot_made(
        &self,
        holder: Option<&CertificateKey>,
        index: u32,
        rules: &Rules<'_>,
    ) -> (Option<SlotHeld<'static>>, Option<(time::OffsetDateTime, time::OffsetDateTime)>) {
        let Some(key) = holder else {
            return (Some(SlotHeld::stored(index, crate::status_list::SUPERSEDED)), None);
        };
        // Looked up by the key held, not a copy of it.
        let Some(held) = self.register.certificates.get(key) else { return (None, None) };
        let stored = held.status.map(Status::as_str).unwrap_or("");
        if held.status != Some(Status::Valid) {
            return (Some(SlotHeld::stored(index, stored)), None);
        }
        let mut kept = held.kept.borrow_mut();
        let decided = Kept::or_decide(&mut kept, &rules.digests, rules.at, rules.until, || {
            let cert = held.facts.get_or_init(|| {
                let limits = crate::decisions::register::read_as_accepted(&held.document);
                cn_xml::parse(&held.document, &limits).ok()
            });
            let registration = (Some(held.registered), held.signer.as_ref());
            Ok::<_, std::convert::Infallible>(withheld(
                registration,
                cert.as_ref(),
                rules.at,
                rules.trust_list,
                rules.table,
            ))
        });
        let withheld = decided.unwrap_or_else(|never| match never {});
        let window = kept.as_ref().map(|k| (k.from, k.until));
        (Some(SlotHeld { index, stored, withheld }), window)
    }

    /// A published list version: its kept document, and its bits those the register gives
    /// its list here.
    pub(super) fn status_list(&mut self, index: u64, entry: &Entry) {
        let kind = entry.kind.clone();
        if entry.verdict != "published" || entry.actor != crate::decisions::status_list::ACTOR {
            let detail = format!("a status list {} by '{}'", entry.verdict, entry.actor);
            return self.disagree(index, &kind, "audit.entry", detail);
        }
        let (digest, []) = (entry.outputs.as_slice(), entry.inputs.as_slice()) else {
            return self.disagree(index, &kind, "audit.entry", "a status-list entry names inputs".into());
        };
        let [digest] = digest else {
            let detail = format!("{} outputs; a status list version is one document", digest.len());
            return self.disagree(index, &kind, "audit.entry", detail);
        };
        let Some(document) = self.document(index, &kind, digest) else { return };
        let Some(published) = Version::read(&document) else {
            let detail = "the kept document is not a status list version as the gateway writes one".into();
            return self.disagree(index, &kind, "audit.document", detail);
        };
        // Under the rules the entry names, in force at its time, as the gateway made it
        // ([`crate::decisions::status_list::version`]): none told under a list out of date.
        let Some(trust_list) = self.named_list(index, entry) else { return };
        let Some(table) = self.named_table(index, entry) else { return };
        let at = entry_time(entry);
        if let Err(e) = trust_list.in_date(at) {
            let detail = format!("a list published under a trust list out of date: {e}");
            return self.disagree(index, &kind, "audit.output", detail);
        }
        // As a store reads it: the slots of certificates the register holds (a slot is only
        // ever taken with its certificate's export), each with its stored status, and
        // whether the rules withhold the valid ones — made again where the log changed them.
        let digests = (trust_list.digest.clone(), table.digest.clone());
        let until = withheld_until(at, &trust_list);
        let rules = Rules { digests, at, until, trust_list: &trust_list, table: &table.table };
        let expected = self.make(published.list, &rules).version(published.list, published.purpose);
        let expected = match expected {
            Ok(expected) => expected,
            Err(e) => {
                let detail = format!("a list published while the register could not tell it: {e}");
                return self.disagree(index, &kind, "audit.output", detail);
            }
        };
        if expected != published {
            let detail = format!(
                "list {} ({}) published with bits {:?}; the register and the rules in force give {:?} at {}",
                published.list,
                published.purpose.as_str(),
                published.set,
                expected.set,
                entry_time(entry)
            );
            return self.disagree(index, &kind, "audit.output", detail);
        }
        self.report.re_derived += 1;
    }

    /// A published DID document: a did:web of a public URL the auditor names (any, when it
    /// names none), listing only the gateway's keys, exactly as the gateway writes it.
    pub(super) fn did_document(&mut self, index: u64, entry: &Entry) {
        let kind = entry.kind.clone();
        if entry.verdict != "published" || entry.actor != crate::decisions::did_document::ACTOR {
            let detail = format!("a DID document {} by '{}'", entry.verdict, entry.actor);
            return self.disagree(index, &kind, "audit.entry", detail);
        }
        let ([digest], []) = (entry.outputs.as_slice(), entry.inputs.as_slice()) else {
            let detail = "a DID document's entry names one output, its document, and no input".into();
            return self.disagree(index, &kind, "audit.entry", detail);
        };
        let Some(document) = self.document(index, &kind, digest) else { return };
        if let Err(why) = self.gateway_did_document(&document) {
            self.disagree(index, &kind, "audit.output", why);
            return;
        }
        self.report.re_derived += 1;
    }

    fn gateway_did_document(&self, document: &[u8]) -> Result<(), String> {
        let value: serde_json::Value = serde_json::from_slice(document).map_err(|e| format!("not JSON: {e}"))?;
        let did = value.get("id").and_then(|d| d.as_str()).ok_or("a DID document without its id")?;
        let bases = &self.audit.public_bases;
        if !bases.is_empty() && !bases.iter().any(|b| crate::crypto::did::did_of(b).ok().as_deref() == Some(did)) {
            return Err(format!("{did} is not the DID of the gateway's public URL ({})", bases.join(", ")));
        }
        // Each method's key, held to the gateway's keys by its thumbprint (the method id).
        let mut keys = Vec::new();
        for method in value.get("verificationMethod").and_then(|m| m.as_array()).into_iter().flatten() {
            let id = method.get("id").and_then(|i| i.as_str()).unwrap_or_default();
            let key = self
                .gateway_keys
                .iter()
                .map(|(k, _)| k)
                .find(|k| crate::crypto::did::key_id(did, k).as_deref() == Some(id))
                .ok_or_else(|| format!("{id} is none of the gateway's keys"))?;
            keys.push(key.clone());
        }
        let expected = crate::decisions::did_document::bytes(&crate::crypto::did::document(did, &keys));
        if expected != document {
            return Err("not the DID document the gateway makes of these keys".into());
        }
        Ok(())
    }
}
