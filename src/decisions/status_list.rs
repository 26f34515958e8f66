//! Publishing a status list: the version of a list the register gives it now
//! ([`crate::status_list::Version`]) is recorded before it is served, once — an entry
//! `status-list`, actor `gateway`, verdict `published`, naming the kept version document as
//! its output. The store commits it only while the register still gives the list these
//! bits ([`Effect::StatusListIs`]), so the log's order is the lists' history: an audit
//! replaying the log gives each published version the same bits.
//!
//! What it must never do: publish bits of its own making (the register's status is the
//! one source), or serve a version the log does not hold.

use super::{Class, Context, Decided, Decision, Refusal};
use crate::status_list::{FILL, Purpose, Version};
use crate::store::{Effect, Store};

/// Who publishes lists in the log: the gateway itself, on nobody's request.
pub const ACTOR: &str = "gateway";

/// The lists that can hold slots now: 1 up to the one that takes new slots.
pub fn lists_open(store: &dyn Store) -> Result<u32, Refusal> {
    let held = store.status_slots_held().map_err(|e| Refusal::store(&e))?;
    Ok(u32::try_from(held / u64::from(FILL)).unwrap_or(u32::MAX).saturating_add(1))
}

/// The version the register gives list `list` for `purpose` now; a list no slot can be in
/// yet is not found.
pub fn version(store: &dyn Store, list: u32, purpose: Purpose) -> Result<Version, Refusal> {
    if list == 0 || list > lists_open(store)? {
        return Err(Refusal::new(
            Class::NotFound,
            "status.list_unknown",
            format!(
                "there is no status list {list}: lists are numbered from 1, and a list opens when the one before is half full"
            ),
        ));
    }
    let held = store.status_list(list).map_err(|e| Refusal::store(&e))?;
    Ok(Version::of(list, purpose, &held))
}

/// Whether `version` was published already (its document is kept: by this node or
/// another), so that it is served without being recorded again.
pub fn published(store: &dyn Store, version: &Version) -> Result<bool, Refusal> {
    Ok(store.kept_document(&super::digest(&version.document())).map_err(|e| Refusal::store(&e))?.is_some())
}

/// The publication of list `list` for `purpose` as the register is now: its entry, and the
/// version kept with it. Refused at commit (`status.list_changed`, unrecorded) when a
/// notice or an export changed the list meanwhile: decide it again.
pub fn publish(ctx: &Context<'_>, list: u32, purpose: Purpose) -> Decided<Version> {
    let version = version(ctx.store, list, purpose)?;
    let document = version.document();
    let mut entry = ctx.entry("status-list", ACTOR, vec![], "published");
    entry.outputs = vec![super::digest(&document)];
    let effects = vec![super::keep(&document), Effect::StatusListIs { version: version.clone() }];
    Ok(Decision::new(version, entry, effects))
}
