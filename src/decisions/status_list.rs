//! Publishing a status list: the version of a list the register and the rules in force
//! give it now ([`crate::status_list::Version`]) is recorded before it is served, each time
//! it becomes the one served — an entry `status-list`, actor `gateway`, verdict
//! `published`, naming the kept version document as its output. A bit is set by its
//! certificate's register status, or in the suspension list while the rules in force
//! *withhold* a certificate the register holds valid ([`withheld`]: the look-up would not
//! call it valid). The store commits the entry only while the list's slots are those it was
//! made of ([`Effect::StatusListIs`]), under the rules it names (held to those in force as
//! every decision is), and it is not the list's current publication already
//! ([`Effect::Publish`]), so the log's order is the lists' history: an audit replaying the
//! log gives each published version the same bits, and a list that comes back to bits it
//! had before is published again.
//!
//! What it must never do: publish bits of its own making (the register's status and the
//! look-up's rule are the only sources), or serve a version the log does not hold.

use super::{Class, Context, Decided, Decision, Refusal};
use crate::model::{Certificate, Status};
use crate::status_list::{FILL, Held, Purpose, Version};
use crate::store::{Effect, ListSlot, Store};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Who publishes lists in the log: the gateway itself, on nobody's request.
pub const ACTOR: &str = "gateway";

/// The lists that can hold slots now: 1 up to the one that takes new slots.
pub fn lists_open(store: &dyn Store) -> Result<u32, Refusal> {
    let held = store.status_slots_held().map_err(|e| Refusal::store(&e))?;
    Ok(u32::try_from(held / u64::from(FILL)).unwrap_or(u32::MAX).saturating_add(1))
}

/// A list's version as [`version`] made it, with the slots it was made of (what its
/// publication is held to at commit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    pub version: Version,
    pub slots: Vec<ListSlot>,
}

/// The version the register and the rules in force (`ctx`'s trust list and table, at
/// `ctx.now`) give list `list` for `purpose` now; a list no slot can be in yet is not found.
/// The suspension list is not told under a trust list out of date (the look-up calls
/// nothing valid then, and a list with every certificate suspended would tell its holders'
/// verifiers a status the register does not hold); the revocation list, which the rules do
/// not set, is told still. `facts`: each certificate's facts as last read.
pub fn version(ctx: &Context<'_>, list: u32, purpose: Purpose, facts: &Facts) -> Result<Read, Refusal> {
    let store = ctx.store;
    if list == 0 || list > lists_open(store)? {
        return Err(Refusal::new(
            Class::NotFound,
            "status.list_unknown",
            format!(
                "there is no status list {list}: lists are numbered from 1, and a list opens when the one before is half full"
            ),
        ));
    }
    let rules = match purpose {
        Purpose::Suspension => Some(ctx.trust_list_in_date()?),
        Purpose::Revocation => None,
    };
    let slots = store.status_list(list).map_err(|e| Refusal::store(&e))?;
    let mut held = Vec::with_capacity(slots.len());
    let mut known = facts.of_list(list);
    for slot in &slots {
        let withheld = match (&slot.certificate, rules) {
            (Some((issuer, number)), Some(trust_list)) if slot.status == Status::Valid.as_str() => {
                let cert = known.of(ctx, issuer, number, slot)?;
                let registered_at = crate::decisions::register::registered_at_str(&slot.recorded_at);
                withheld((registered_at, slot.signer.as_ref()), cert.as_deref(), ctx.now, trust_list, &ctx.table.table)
            }
            _ => false,
        };
        held.push(Held { index: slot.index, stored: slot.status.clone(), withheld });
    }
    if rules.is_some() {
        facts.keep(list, known);
    }
    let version = Version::of(list, purpose, &held).map_err(|e| Refusal::store(&e.into()))?;
    Ok(Read { version, slots })
}

/// Whether the rules in force withhold a certificate the register holds valid, its facts
/// `cert` read from its registered document (`None`: it does not read) and registered as
/// `registration` says: the look-up would not call it valid now
/// ([`crate::decisions::verify::headline_now`] says `unknown`: its CB, accreditation,
/// standards or signer refused by the trust list and table in force, not yet in force, or
/// its document unread). One past its expiry date is not withheld: its credentials say
/// until when they hold (`validUntil`).
pub fn withheld(
    registration: (Option<time::OffsetDateTime>, Option<&crate::store::RegisteredSigner>),
    cert: Option<&Certificate>,
    now: time::OffsetDateTime,
    trust_list: &crate::trust::TrustList,
    table: &crate::standards::Table,
) -> bool {
    crate::decisions::verify::headline_now(Status::Valid.as_str(), registration, cert, now, trust_list, table)
        == "unknown"
}

/// Each slotted certificate's facts as last read from its registered document, by list
/// and slot, with the registration they were read at: a list is made again every second
/// it is asked for, and its certificates' documents are read and parsed again only when
/// registered again. Keyed by slot because the facts a credential states never change
/// within one: a registration of other facts supersedes the slot
/// ([`crate::store::Effect::SupersedeStatusSlot`]), and the certificate's next slot is
/// another. Each list keeps the facts of the slots it held when last made, no others.
#[derive(Debug, Default)]
pub struct Facts(Mutex<HashMap<u32, Arc<Known>>>);

/// One list's facts, by slot index: the certificate, its registration, and its facts
/// (`None`: its document does not read).
#[derive(Debug, Default)]
struct Known(HashMap<u32, (ListSlot, Option<Arc<Certificate>>)>);

/// One list's facts while it is made: those known before, and those read now.
#[derive(Debug)]
struct Making {
    before: Arc<Known>,
    now: Known,
}

impl Facts {
    fn of_list(&self, list: u32) -> Making {
        let known = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        Making { before: known.get(&list).cloned().unwrap_or_default(), now: Known::default() }
    }

    fn keep(&self, list: u32, made: Making) {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(list, Arc::new(made.now));
    }
}

impl Making {
    /// The facts of `issuer`/`number`, registered as `slot` says. Read from the store when
    /// not known at that slot and registration; a register that moved on since the slot
    /// was read is `status.list_changed` (the list is read again).
    fn of(
        &mut self,
        ctx: &Context<'_>,
        issuer: &str,
        number: &str,
        slot: &ListSlot,
    ) -> Result<Option<Arc<Certificate>>, Refusal> {
        if let Some((read, cert)) = self.before.0.get(&slot.index).filter(|(read, _)| read == slot) {
            self.now.0.insert(slot.index, (read.clone(), cert.clone()));
            return Ok(cert.clone());
        }
        let record = ctx.store.certificate(issuer, number).map_err(|e| Refusal::store(&e))?;
        let Some(record) = record.filter(|r| r.recorded_at == slot.recorded_at && r.signer == slot.signer) else {
            return Err(Refusal::new(
                Class::Conflict,
                "status.list_changed",
                format!("'{issuer}' '{number}' was registered again while its status list was read; ask again"),
            ));
        };
        // Under the limits it was accepted under, as an audit reads it.
        let limits = crate::decisions::register::read_as_accepted(&record.document);
        let cert = crate::formats::cn_xml::parse(&record.document, &limits).ok().map(Arc::new);
        self.now.0.insert(slot.index, (slot.clone(), cert.clone()));
        Ok(cert)
    }
}

/// What a list is published as ([`Effect::Publish`]): `status-list/<list>/<purpose>`.
pub fn publication(list: u32, purpose: Purpose) -> String {
    format!("status-list/{list}/{}", purpose.as_str())
}

/// Whether `version` is the one published for its list (the last its list's publication
/// made current), so that it is served without being recorded again.
pub fn published(store: &dyn Store, version: &Version) -> Result<bool, Refusal> {
    let latest = store.published(&publication(version.list, version.purpose)).map_err(|e| Refusal::store(&e))?;
    Ok(latest.as_deref() == Some(super::digest(&version.document()).as_str()))
}

/// The publication of a version as [`version`] read it: its entry, the version kept with
/// it, and the effects that hold it to the slots it was made of and make it the one
/// published. Refused at commit, unrecorded, when a notice or an export changed the list
/// meanwhile (`status.list_changed`: read it again), when the rules in force changed
/// (`trust.list_changed`, `rules.table_changed`) or when it is the one published already
/// (`publication.current`: serve it).
pub fn publish(ctx: &Context<'_>, read: Read) -> Decided<Version> {
    let Read { version, slots } = read;
    let document = version.document();
    let digest = super::digest(&document);
    let mut entry = ctx.entry("status-list", ACTOR, vec![], "published");
    entry.outputs = vec![digest.clone()];
    let effects = vec![
        super::keep_as(digest.clone(), &document),
        Effect::StatusListIs { list: version.list, read: slots },
        Effect::Publish { what: publication(version.list, version.purpose), digest },
    ];
    Ok(Decision::new(version, entry, effects))
}
