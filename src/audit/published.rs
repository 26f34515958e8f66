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
                self.in_list.entry(slot.list).or_default().push((Some(key), slot.index));
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
        if let Some(held) = self.in_list.get_mut(&slot.list) {
            for (holder, index) in held.iter_mut() {
                if *index == slot.index && holder.as_ref() == Some(&key) {
                    *holder = None;
                }
            }
        }
    }
}

impl Walk<'_, '_> {
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
        // whether the rules withhold the valid ones.
        let in_list = self.slots.in_list.get(&published.list).map(Vec::as_slice).unwrap_or_default();
        let until = withheld_until(at, &trust_list);
        let digests = (trust_list.digest.clone(), table.digest.clone());
        let held: Vec<SlotHeld> = in_list
            .iter()
            .filter_map(|(holder, at_index)| match holder {
                // Looked up by the key held, not a copy of it: two strings copied per slot of
                // the list, for every version the log publishes of it.
                Some(key) => {
                    let held = self.register.certificates.get(key)?;
                    let status = held.status.map(Status::as_str).unwrap_or("");
                    let withheld = held.status == Some(Status::Valid) && {
                        let mut kept = held.kept.borrow_mut();
                        let decided = Kept::or_decide(&mut kept, &digests, at, until, || {
                            let cert = held.facts.get_or_init(|| {
                                let limits = crate::decisions::register::read_as_accepted(&held.document);
                                cn_xml::parse(&held.document, &limits).ok()
                            });
                            let registration = (Some(held.registered), held.signer.as_ref());
                            Ok::<_, std::convert::Infallible>(withheld(
                                registration,
                                cert.as_ref(),
                                at,
                                &trust_list,
                                &table.table,
                            ))
                        });
                        decided.unwrap_or_else(|never| match never {})
                    };
                    Some(SlotHeld { index: *at_index, stored: status, withheld })
                }
                None => Some(SlotHeld::stored(*at_index, crate::status_list::SUPERSEDED)),
            })
            .collect();
        let expected = match Version::of(published.list, published.purpose, &held) {
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
