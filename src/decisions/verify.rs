//! Verification: is this document (a signed credential, a signed CN or IAF XML) a valid,
//! recognized certificate now? Customs, partners and operators verify on the API; anyone
//! on the public page; each line of a batch is one verification. Every verification is
//! recorded, whatever its verdict; it changes nothing in the register.

use super::{Caller, Context, Decided, Decision, Refusal, Role};
use crate::recognition::Verdict;

/// Who is verifying, and as whom it is logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The API (`POST /v1/verify`, a batch): customs, partners and operators only.
    Api,
    /// The public page: anyone; a caller without an identity is logged as `public`.
    Public,
}

/// Whether `caller` may verify on behalf of `audience`, and as whom it is logged.
pub fn actor(caller: &Caller, audience: Audience) -> Result<String, Refusal> {
    match audience {
        Audience::Public if caller.role == Role::Anonymous => Ok("public".into()),
        Audience::Public => Ok(caller.actor.clone()),
        Audience::Api if matches!(caller.role, Role::Anonymous | Role::Exporter) => {
            Err(Refusal::role(caller, "verify needs a customs, partner or operator client certificate"))
        }
        Audience::Api => Ok(caller.actor.clone()),
    }
}

/// The verdict on `document`, with its log entry. The gateway's own exports verify as its
/// own (a credential it signed stands for the domestic issuer it names).
pub fn verify(ctx: &Context<'_>, caller: &Caller, audience: Audience, document: &[u8]) -> Decided<Verdict> {
    let actor = actor(caller, audience)?;
    if document.is_empty() {
        return Err(Refusal::new(super::Class::Malformed, "http.empty", "send the document as the request body"));
    }
    let verdict = ctx.recognition(document, true);
    let entry = entry(ctx, &actor, document, &verdict);
    Ok(Decision { answer: verdict, entry, effects: vec![] })
}

/// The register's record of a certificate, as customs reads its status (a batch's look-up
/// lines): a status is read for a decision like a document's, so not under a stale list.
pub fn status(
    ctx: &Context<'_>,
    issuer: &str,
    number: &str,
) -> Result<Option<crate::store::CertificateRecord>, Refusal> {
    ctx.trust_list_in_date()?;
    ctx.store.certificate(issuer, number).map_err(|e| Refusal::store(&e))
}

/// A verification's log entry: the same for the API, the page and each line of a batch.
fn entry(ctx: &Context<'_>, actor: &str, document: &[u8], verdict: &Verdict) -> crate::ledger::entry::Entry {
    let mut entry =
        ctx.entry("recognition", actor, vec![super::digest(document)], if verdict.valid { "valid" } else { "invalid" });
    entry.equivalence_table = Some(ctx.table.version.clone());
    entry.reasons = verdict.unmet_reasons();
    entry
}
