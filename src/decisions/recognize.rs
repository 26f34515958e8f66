//! Recognition: a partner (a foreign accreditation body) submits a certificate of one of its
//! own bodies; a recognized one is translated to CN XML and registered. Refused ones are
//! recorded as refusals, as any decision is.

use super::{Caller, Class, Context, Decided, Decision, Refusal, belongs_to};
use crate::formats::{self, Format, set_member};
use crate::recognition::Verdict;
use crate::store::{CertificateRecord, Effect, StatusEvent};
use crate::trust::TrustList;
use serde_json::{Value, json};

/// The reason of a partner's recognition of a certificate of a body not its own.
const NOT_YOURS: &str = "auth.not_your_body";

/// What the log records of `partner`'s recognition decided as `verdict` under `list`:
/// `recognized`, or `refused` with the reasons of every check not passed — or, for a
/// certificate of a body `partner` does not speak for, refused for that alone (what an
/// audit, deciding again, compares).
pub fn logged(list: &TrustList, partner: &str, verdict: &Verdict) -> (&'static str, Vec<String>) {
    match &verdict.issuer {
        Some(issuer) if !belongs_to(list, issuer, partner) => ("refused", vec![NOT_YOURS.into()]),
        _ => (if verdict.valid { "recognized" } else { "refused" }, verdict.unmet_reasons()),
    }
}

/// Whether a recognized `cert`, decided with status `status`, may be registered over what
/// the register holds (`registered`): held as the decision read it (a notice landing in
/// between is a conflict, never a revival), and stating other facts than the registered
/// version (as the register would keep them, [`crate::recognition::changed_as_registered`]) only as a
/// newer issue, issued after it. The gateway's rule, and an audit's deciding the log again.
pub fn may_register(
    cert: &crate::model::Certificate,
    status: &str,
    registered: Option<&CertificateRecord>,
    limits: &crate::xml::Limits,
) -> Result<(), Refusal> {
    let Some(r) = registered else { return Ok(()) };
    if r.status != status {
        return Err(Refusal::new(
            Class::Conflict,
            "register.conflict",
            format!("{}/{} changed while it was being decided; ask again", r.issuer, r.number),
        ));
    }
    // A status alone (its body's notices) has no facts an older document could replace.
    if super::register::holds_facts(r)
        && let Ok(held) = formats::parse(Format::CnXml, &r.document, limits)
        && !crate::recognition::changed_as_registered(Format::CnXml, &held, cert).is_empty()
        && let Err(why) = cert.may_replace(&held)
    {
        return Err(Refusal::new(Class::Conflict, "register.older_document", why));
    }
    Ok(())
}

/// What the register's CN XML does not keep of a recognized `document` of `format`: its
/// signature (the log keeps the document itself), what the model could not hold of it (a
/// credential's values the profile reads but rewrites), and what CN XML cannot carry
/// (`registered`), as a translation reports them ([`formats::lost_on_the_way`]).
fn lost_in_registering(
    format: Option<Format>,
    document: &[u8],
    registered: &formats::LossReport,
    limits: &crate::xml::Limits,
) -> Vec<String> {
    let Some(format) = format else { return registered.lost.clone() };
    let read = match format {
        // The credential is the JWS payload, read already by the recognition; its JWS
        // envelope is a signature the register does not keep either.
        Format::UntpDcc => std::str::from_utf8(document)
            .ok()
            .and_then(|token| crate::crypto::jws::parse(token.trim()).ok())
            .and_then(|jws| formats::read(Format::UntpDcc, &jws.payload, limits).ok())
            .map(|(_, mut loss)| {
                loss.add("Signature");
                loss
            }),
        format => formats::read(format, document, limits).ok().map(|(_, loss)| loss),
    };
    // The recognition read these very bytes; one that would not read again is said so.
    let read = read.unwrap_or_else(|| {
        let mut unread = formats::LossReport::default();
        unread.add("(the document did not read again: what it held beyond the register's fields is unknown)");
        unread
    });
    formats::lost_on_the_way(format, Format::CnXml, read, registered).lost
}

/// What a recognition answers: the verdict (with the CN translation when recognized).
#[derive(Debug)]
pub struct Recognition {
    pub body: Value,
    pub recognized: bool,
}

/// The recognition decision on `document`, sent by `caller`, a partner.
pub fn recognize(ctx: &Context<'_>, caller: &Caller, document: &[u8]) -> Decided<Recognition> {
    let Some(partner) = caller.partner() else {
        return Err(Refusal::role(caller, "this route needs a partner client certificate"));
    };
    // Nothing sent is nothing to decide on, as for a verification.
    if document.is_empty() {
        return Err(Refusal::new(Class::Malformed, "http.empty", "send the document as the request body"));
    }
    // A partner's document is recognized on the trust list alone: the gateway's own
    // signature stands for nothing a partner sends.
    let verdict = ctx.recognition(document, false)?;
    let (word, reasons) = logged(&ctx.trust_list, partner, &verdict);
    let digest = super::digest(document);
    let mut entry = ctx.entry("recognition", &caller.actor, vec![digest.clone()], word);
    entry.reasons = reasons;
    // The document is kept with the entry, recognized or refused, for an audit to decide again.
    let kept = [super::keep_as(digest, document)];
    if let Some(issuer) = verdict.issuer.as_ref().filter(|_| entry.reasons == [NOT_YOURS]) {
        return Err(Refusal::new(
            Class::Forbidden,
            NOT_YOURS,
            format!("'{issuer}' is not a body of partner '{partner}'"),
        )
        .logged(entry)
        .keeping(&kept));
    }
    let id = crate::crypto::random_id();
    let mut effects = kept.to_vec();
    let mut translation = None;
    if verdict.valid
        && let Some(cert) = &verdict.certificate
    {
        // The decision read the register's status; what is registered now is what the
        // commit expects (a notice landing in between makes it a conflict, never a revival).
        let registered =
            ctx.store.certificate(cert.issuer_id(), cert.number.as_str()).map_err(|e| Refusal::store(&e))?;
        if let Err(refusal) = may_register(cert, verdict.status, registered.as_ref(), &ctx.limits) {
            return Err(refusal.logged(entry).keeping(&kept));
        }
        let cn = super::register::registered_as(cert);
        entry.outputs.push(super::digest(&cn.bytes));
        let record = CertificateRecord {
            issuer: cert.issuer_id().into(),
            number: cert.number.as_str().into(),
            holder_credit_code: cert.holder.credit_code.as_ref().map(|c| c.as_str().to_string()),
            origin: super::register::origin::RECOGNITION.into(),
            status: verdict.status.into(),
            document: cn.bytes.clone(),
            recorded_at: super::register::recorded_since(registered.as_ref(), &cn.bytes, ctx.time()),
            signer: verdict
                .signer_digest
                .clone()
                .map(|certificate| crate::store::RegisteredSigner { certificate, registered_at: ctx.time() }),
        };
        let event = StatusEvent {
            status: verdict.status.into(),
            since: ctx.time(),
            actor: caller.actor.clone(),
            reference: format!("recognition:{id}"),
        };
        effects.push(Effect::ExpectCertificate {
            issuer: record.issuer.clone(),
            number: record.number.clone(),
            as_read: registered.as_ref().map(crate::store::AsRead::of),
        });
        let superseding = super::register::supersedes(registered.as_ref(), &cn.bytes);
        effects.push(Effect::PutCertificate { record, event });
        // Registered first by a partner's recognition: the exporter's word on a number that
        // reads as it is suspended (rule set 26; found by review: a domestic accreditor's
        // recognition of the CB's signed document left it valid).
        if registered.is_none() {
            let (issuer, number, by) = (cert.issuer_id(), cert.number.as_str(), format!("recognition:{id}"));
            let first = super::register::first_registration(ctx.store, issuer, number, &by, ctx.time());
            effects.push(first.map_err(|e| Refusal::store(&e))?);
        }
        if superseding {
            let (issuer, number) = (cert.issuer_id().into(), cert.number.as_str().into());
            effects.push(Effect::SupersedeStatusSlot { issuer, number });
        }
        let lost = lost_in_registering(verdict.format, document, &cn.loss, &ctx.limits);
        translation = Some((String::from_utf8_lossy(&cn.bytes).to_string(), lost));
    }
    let mut body = serde_json::to_value(&verdict).unwrap_or_default();
    if let Some(cert) = verdict.certificate.as_ref().filter(|_| verdict.valid) {
        let level = crate::recognition::assessment_level(&ctx.trust_list, cert, ctx.now);
        set_member(&mut body, "assessment_level", json!(level.as_str()));
    }
    set_member(&mut body, "id", json!(id));
    if let Some((cn, lost)) = translation {
        set_member(&mut body, "cn_xml", json!(cn));
        set_member(&mut body, "lost", json!(lost));
    }
    // Committed with its entry, as an export is: a recognized certificate that can be looked
    // up always has its decision in the log, and a logged recognition always took effect.
    effects.push(Effect::PutDecision { id, kind: "recognition".into(), json: body.to_string() });
    Ok(Decision::new(Recognition { body, recognized: verdict.valid }, entry, effects).recording_conflicts())
}
