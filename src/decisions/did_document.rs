//! Publishing the gateway's DID document: each version — the keys it lists, the signing key
//! first and those rotated out after — is recorded before it is served, each time it
//! becomes the one served (an entry
//! `did-document`, actor `gateway`, verdict `published`, naming the kept document as its
//! output). A verifier who resolved the gateway's DID can then find the very document it
//! was given in the log, and an audit checks each version lists only the gateway's keys.
//!
//! What it must never do: serve a version the log does not hold, or list a key that is not
//! the gateway's (the document is made from the configured keys only).

use super::{Context, Decided, Decision, Refusal};
use crate::store::{Effect, Store};

/// Who publishes DID documents in the log: the gateway itself, as it does status lists.
pub const ACTOR: &str = super::status_list::ACTOR;

/// The document as served and logged: its JSON, compact.
pub fn bytes(document: &serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(document).unwrap_or_default()
}

/// What the DID document is published as ([`crate::store::Effect::Publish`]).
pub const PUBLICATION: &str = "did-document";

/// Whether `document` is the DID document published last (by this node or another).
pub fn published(store: &dyn Store, document: &[u8]) -> Result<bool, Refusal> {
    let latest = store.published(PUBLICATION).map_err(|e| Refusal::store(&e))?;
    Ok(latest.as_deref() == Some(super::digest(document).as_str()))
}

/// The publication of `document`: its entry, the document kept with it, made the one
/// published (refused at commit, unrecorded, as `publication.current` when another request
/// published it meanwhile).
pub fn publish(ctx: &Context<'_>, document: &[u8]) -> Decided<()> {
    let digest = super::digest(document);
    let mut entry = ctx.entry("did-document", ACTOR, vec![], "published");
    entry.outputs = vec![digest.clone()];
    let effects = vec![super::keep_as(digest.clone(), document), Effect::Publish { what: PUBLICATION.into(), digest }];
    Ok(Decision::new((), entry, effects))
}
