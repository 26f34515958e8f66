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
use crate::store::{Effect, ListChanges, ListSlot, Store};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Who publishes lists in the log: the gateway itself, on nobody's request.
pub const ACTOR: &str = "gateway";

/// The lists that can hold slots now: 1 up to the one that takes new slots.
pub fn lists_open(store: &dyn Store) -> Result<u32, Refusal> {
    let held = store.status_slots_held().map_err(|e| Refusal::store(&e))?;
    Ok(u32::try_from(held / u64::from(FILL)).unwrap_or(u32::MAX).saturating_add(1))
}

/// A list's version as [`version`] made it, and the list's slots it was made of as their
/// changes tell them (what its publication is held to at commit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    pub version: Version,
    pub changes: ListChanges,
}

/// The version the register and the rules in force (`ctx`'s trust list and table, at
/// `ctx.now`) give list `list` for `purpose` now; a list no slot can be in yet is not found,
/// and none is told under a trust list out of date (the look-up calls nothing valid then,
/// and a list with every certificate suspended would tell its holders' verifiers a status
/// the register does not hold). `lists`: each list's slots as this node last read them,
/// brought up to date with the slots changed since ([`crate::store::Store::status_list`]),
/// and read whole again when they are not then what the store's changes say the list is.
pub fn version(ctx: &Context<'_>, list: u32, purpose: Purpose, lists: &Lists) -> Result<Read, Refusal> {
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
    let rules = Rules::of(ctx)?;
    let rules = (purpose == Purpose::Suspension).then_some(&rules);
    // One version of a list made at a time on this node (its slots are kept between reads);
    // other lists are made meanwhile.
    let known = lists.of(list);
    let mut known = known.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let after = known.read.then_some(known.changes.latest);
    let (changed, now) = store.status_list(list, after).map_err(|e| Refusal::store(&e))?;
    known.apply(changed);
    if known.changes != now {
        // A change the sequences did not tell (a store restored to an earlier state, a slot
        // given again by an older build): every slot read again, facts kept where the
        // registration is the same.
        let (whole, now) = store.status_list(list, None).map_err(|e| Refusal::store(&e))?;
        known.rebuild(whole);
        if known.changes != now {
            return Err(Refusal::new(
                Class::Conflict,
                "status.list_changed",
                format!("status list {list} changed while it was read; ask again"),
            ));
        }
    }
    let held = known.slots.values_mut().map(|k| k.held(ctx, rules)).collect::<Result<Vec<_>, _>>()?;
    let version = Version::of(list, purpose, &held).map_err(|e| Refusal::store(&e.into()))?;
    Ok(Read { version, changes: known.changes })
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

/// The instant after `now` from which [`withheld`] may answer otherwise for the same
/// certificate under the same trust list and table: the list's next status change (a
/// service's, a membership's) or the next day in China (dates and transitions are read by
/// it), whichever comes first. What [`withheld`] said is kept until then.
pub fn withheld_until(now: time::OffsetDateTime, trust_list: &crate::trust::TrustList) -> time::OffsetDateTime {
    let china = time::macros::offset!(+8);
    // On the last day there is (a hostile clock), kept for no time.
    let midnight = crate::model::china_date(now).next_day().map_or(now, |d| d.midnight().assume_offset(china));
    trust_list.next_change_after(now).map_or(midnight, |change| change.min(midnight))
}

/// What [`withheld`] said of a certificate, kept: under the trust list and table of these
/// digests, at `from`, holding until `until` ([`withheld_until`]). The gateway keeps it per
/// slot, an audit per certificate, each until the certificate is registered again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub digests: (String, String),
    pub from: time::OffsetDateTime,
    pub until: time::OffsetDateTime,
    pub withheld: bool,
}

impl Kept {
    /// What [`withheld`] says at `now` under the rules of `digests`: what `kept` says while
    /// it holds; otherwise what `decide` says, kept from `now` until `until`.
    pub fn or_decide<E>(
        kept: &mut Option<Kept>,
        digests: &(String, String),
        now: time::OffsetDateTime,
        until: time::OffsetDateTime,
        decide: impl FnOnce() -> Result<bool, E>,
    ) -> Result<bool, E> {
        if let Some(k) = kept.as_ref().filter(|k| k.digests == *digests && k.from <= now && now < k.until) {
            return Ok(k.withheld);
        }
        let withheld = decide()?;
        *kept = Some(Kept { digests: digests.clone(), from: now, until, withheld });
        Ok(withheld)
    }
}

/// The rules a suspension list is made under: the trust list (in date) and table in force,
/// and until when what they say of a certificate holds.
struct Rules<'c> {
    trust_list: &'c crate::trust::TrustList,
    table: &'c crate::standards::Table,
    /// The two documents' digests: what a kept answer was given under.
    digests: (String, String),
    now: time::OffsetDateTime,
    until: time::OffsetDateTime,
}

impl<'c> Rules<'c> {
    fn of(ctx: &'c Context<'_>) -> Result<Rules<'c>, Refusal> {
        let trust_list = ctx.trust_list_in_date()?;
        Ok(Rules {
            trust_list,
            table: &ctx.table.table,
            digests: (trust_list.digest.clone(), ctx.table.digest.clone()),
            now: ctx.now,
            until: withheld_until(ctx.now, trust_list),
        })
    }
}

/// Each list's slots as this node last read them, with each certificate's facts and what
/// the rules said of it: a list is made again every second it is asked for, and only the
/// slots changed since are read from the store (a full list holds 65,536), their
/// documents read and parsed only when registered again. Each list has a lock of its own,
/// held while it is read and made: a list read whole (a node's first read of a full one
/// parses every valid certificate's document, above a second) holds up only the reads of
/// that list, never another's (found by review: one lock for all of them did).
#[derive(Debug, Default)]
pub struct Lists(Mutex<HashMap<u32, Arc<Mutex<KnownList>>>>);

impl Lists {
    /// List `list`'s lock; the map's own lock is held only to find or add it.
    fn of(&self, list: u32) -> Arc<Mutex<KnownList>> {
        let mut all = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        all.entry(list).or_default().clone()
    }
}

/// One list as last read (`read`: at all): its slots by index (and whether superseded),
/// and what they are as their changes tell them.
#[derive(Debug, Default)]
struct KnownList {
    read: bool,
    changes: ListChanges,
    slots: std::collections::BTreeMap<(u32, bool), Known>,
}

impl KnownList {
    /// Takes in the slots changed since it was read. A slot registered as before keeps its
    /// facts (a notice changed its status); any other has them read when a suspension list
    /// asks (the revocation list does not). Keyed as the store keys its two tables: a slot
    /// both held and superseded (an older build gave it again) is two, each setting its bits;
    /// a slot superseded now is its held row no longer (the store moved it).
    fn apply(&mut self, changed: Vec<ListSlot>) {
        self.read = true;
        for slot in changed {
            let superseded = slot.certificate.is_none();
            let before = match superseded {
                true => self.take((slot.index, false)).or_else(|| self.take((slot.index, true))),
                false => self.take((slot.index, false)),
            };
            let facts = match before {
                Some(before) if before.slot.same_registration(&slot) => before.facts,
                _ => Facts::Unread,
            };
            self.changes = self.changes.with(&slot);
            self.slots.insert((slot.index, superseded), Known { slot, facts, kept: None });
        }
    }

    /// Takes every slot as read whole, keeping the facts of those registered as before.
    fn rebuild(&mut self, whole: Vec<ListSlot>) {
        let before = std::mem::take(self);
        self.read = true;
        for slot in whole {
            let key = (slot.index, slot.certificate.is_none());
            let facts = match before.slots.get(&key) {
                Some(k) if k.slot.same_registration(&slot) => k.facts.clone(),
                _ => Facts::Unread,
            };
            self.changes = self.changes.with(&slot);
            self.slots.insert(key, Known { slot, facts, kept: None });
        }
    }

    fn take(&mut self, key: (u32, bool)) -> Option<Known> {
        let known = self.slots.remove(&key)?;
        self.changes = self.changes.without(&known.slot);
        Some(known)
    }
}

/// A slot as last read, its certificate's facts, and what the rules last said of it.
#[derive(Debug)]
struct Known {
    slot: ListSlot,
    facts: Facts,
    /// What the rules last said of it.
    kept: Option<Kept>,
}

/// A slotted certificate's facts read from its registered document.
#[derive(Debug, Clone)]
enum Facts {
    /// Not read yet.
    Unread,
    /// Its facts (`None`: the document does not read).
    Read(Option<Arc<Certificate>>),
}

impl Facts {
    /// The facts of `issuer`/`number`, registered as `slot` says; a register that moved on
    /// since the slot was read is `status.list_changed` (the list is read again).
    fn read(
        ctx: &Context<'_>,
        issuer: &str,
        number: &str,
        slot: &ListSlot,
    ) -> Result<Option<Arc<Certificate>>, Refusal> {
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
        Ok(crate::formats::cn_xml::parse(&record.document, &limits).ok().map(Arc::new))
    }
}

impl Known {
    /// The slot as a version is made of it: withheld when the rules (`None`: a revocation
    /// list's, which they do not set) withhold its certificate now, its facts read first
    /// when they were not.
    fn held(&mut self, ctx: &Context<'_>, rules: Option<&Rules<'_>>) -> Result<Held<'_>, Refusal> {
        let withheld = match (rules, &self.slot.certificate) {
            (Some(rules), Some((issuer, number))) if self.slot.status == Status::Valid.as_str() => {
                let (slot, facts) = (&self.slot, &mut self.facts);
                Kept::or_decide(&mut self.kept, &rules.digests, rules.now, rules.until, || {
                    let cert = match facts {
                        Facts::Read(cert) => cert.clone(),
                        Facts::Unread => {
                            let cert = Facts::read(ctx, issuer, number, slot)?;
                            *facts = Facts::Read(cert.clone());
                            cert
                        }
                    };
                    let registration =
                        (crate::decisions::register::registered_at_str(&slot.recorded_at), slot.signer.as_ref());
                    Ok(withheld(registration, cert.as_deref(), rules.now, rules.trust_list, rules.table))
                })?
            }
            _ => false,
        };
        Ok(Held { index: self.slot.index, stored: &self.slot.status, withheld })
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
    let Read { version, changes } = read;
    let document = version.document();
    let digest = super::digest(&document);
    let mut entry = ctx.entry("status-list", ACTOR, vec![], "published");
    entry.outputs = vec![digest.clone()];
    let effects = vec![
        super::keep_as(digest.clone(), &document),
        Effect::StatusListIs { list: version.list, changes },
        Effect::Publish { what: publication(version.list, version.purpose), digest },
    ];
    Ok(Decision::new(version, entry, effects))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A list being made (its lock held, as while it is read whole) leaves every other list
    /// free, and the same list is one lock however often it is asked for.
    #[test]
    fn a_list_being_made_holds_up_no_other() {
        let lists = Lists::default();
        let one = lists.of(1);
        let making = one.lock().expect("list 1");
        assert!(lists.of(2).try_lock().is_ok(), "list 2 is free while list 1 is made");
        assert!(Arc::ptr_eq(&lists.of(1), &one));
        assert!(matches!(lists.of(1).try_lock(), Err(std::sync::TryLockError::WouldBlock)));
        drop(making);
        assert!(lists.of(1).try_lock().is_ok());
    }
}
