//! Publishing a status list: the version of a list the register gives it now
//! ([`crate::status_list::Version`]) is recorded before it is served, each time it becomes
//! the one served — an entry `status-list`, actor `gateway`, verdict `published`, naming the
//! kept version document as its output. The store commits it only while the register still
//! gives the list these bits ([`Effect::StatusListIs`]) and it is not the list's current
//! publication already ([`Effect::Publish`]), so the log's order is the lists' history: an
//! audit replaying the log gives each published version the same bits, and a list that
//! comes back to bits it had before is published again.
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
    Version::of(list, purpose, &held).map_err(|e| Refusal::store(&e.into()))
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

/// The publication of `version` (as [`version`] read it): its entry, the version kept with
/// it, and the effects that hold it to the register and make it the one published. Refused
/// at commit, unrecorded, when a notice or an export changed the list meanwhile
/// (`status.list_changed`: read it again) or when it is the one published already
/// (`publication.current`: serve it).
pub fn publish(ctx: &Context<'_>, version: Version) -> Decided<Version> {
    let document = version.document();
    let digest = super::digest(&document);
    let mut entry = ctx.entry("status-list", ACTOR, vec![], "published");
    entry.outputs = vec![digest.clone()];
    let effects = vec![
        super::keep_as(digest.clone(), &document),
        Effect::StatusListIs { version: version.clone() },
        Effect::Publish { what: publication(version.list, version.purpose), digest },
    ];
    Ok(Decision::new(version, entry, effects))
}
