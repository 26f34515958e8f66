//! Export: a domestic certificate in, signed international documents out, registered.
//!
//! What an exporter may export: a CN XML signed by the issuing CB's registered signer
//! (whoever sends it), or an unsigned one whose holder or CB its grant names. An unsigned
//! export never changes what the register holds: the CB-signed document is how registered
//! facts change, and notices are how a status changes, so an export never revives a
//! suspended, withdrawn or cancelled certificate. Only a certificate in force is exported.
//! Once the document is read, a refusal is a decision too, and recorded.

use super::{Caller, Class, Context, Decided, Decision, Refusal, Role};
use crate::crypto::{jws, xmldsig};
use crate::formats::{self, Format, set_member};
use crate::model::{AssessmentLevel, Status};
use crate::store::{CertificateRecord, Effect, StatusEvent};
use serde_json::{Value, json};

/// What an exporter asks for.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The CN certificate XML, signed by its CB or not.
    pub document: &'a [u8],
    /// The formats wanted (never CN XML: that is what comes in).
    pub formats: &'a [Format],
}

/// The formats an export makes when none are named.
pub const DEFAULT_FORMATS: &[Format] = &[Format::UntpDcc, Format::IafXml, Format::IafJson];

/// Whether `caller` may export: an exporter's certificate or a granted exporter's token.
pub fn may_export(caller: &Caller) -> bool {
    caller.role == Role::Exporter || caller.exporter.is_some()
}

/// The export decision: the answer is what the exporter is given (and what is stored
/// under the export's id), without its receipt.
/// Whether a CN XML document comes signed (by its CB, checked by the caller): then it may
/// change registered facts, and no exporter grant is needed.
pub fn cb_signed(document: &[u8]) -> bool {
    String::from_utf8_lossy(document).contains(xmldsig::DSIG_NS)
}

/// Whether `cert` may be registered by an export on `day`, over what the register holds
/// (`registered`): in force that day; not held as anything but valid (the register decides
/// over the document); an unsigned document changes no registered fact, a signed one is
/// not older than the one it replaces. The gateway's rule, and an audit's replaying the log.
pub fn may_register(
    cert: &crate::model::Certificate,
    cb_signed: bool,
    registered: Option<&CertificateRecord>,
    day: time::Date,
    limits: &crate::xml::Limits,
) -> Result<(), Refusal> {
    if let Err(why) = cert.in_force(cert.status, day) {
        return Err(Refusal::new(
            Class::Invalid,
            &why.code(),
            format!("only a certificate in force can be exported: {}", why.message()),
        ));
    }
    let Some(r) = registered else { return Ok(()) };
    if r.status != Status::Valid.as_str() {
        return Err(Refusal::new(
            Class::Invalid,
            &format!("status.{}", r.status),
            format!("the register holds this certificate as {}: only a certificate in force can be exported", r.status),
        ));
    }
    let held = formats::parse(Format::CnXml, &r.document, limits).ok();
    let changed = match &held {
        Some(held) => held.changed_facts(cert),
        None => vec!["the registered document (unreadable)"],
    };
    if cb_signed
        && !changed.is_empty()
        && let Some(Err(why)) = held.as_ref().map(|h| cert.may_replace(h))
    {
        return Err(Refusal::new(Class::Conflict, "register.older_document", why));
    }
    if !cb_signed && !changed.is_empty() {
        return Err(Refusal::new(
            Class::Conflict,
            "register.conflict",
            format!(
                "{}/{} is registered with other {}: an unsigned export cannot change it; send the CN XML signed by its CB",
                cert.issuer_id(),
                cert.number.as_str(),
                changed.join(", ")
            ),
        ));
    }
    Ok(())
}

pub fn export(ctx: &Context<'_>, caller: &Caller, request: Request<'_>) -> Decided<Value> {
    if !may_export(caller) {
        return Err(Refusal::role(caller, "exports need an exporter client certificate or bearer token"));
    }
    let document = request.document;
    // The message leads with the line and column where there is one.
    // Bytes that are not XML are malformed (400); XML that is not a valid certificate, invalid (422).
    let cert = formats::parse(Format::CnXml, document, &ctx.limits).map_err(|e| {
        let class = if e.is_syntax() { Class::Malformed } else { Class::Invalid };
        Refusal::new(class, e.code(), e.to_string())
    })?;
    let list = ctx.trust_list_in_date()?;
    let mut entry = ctx.entry("export", &caller.actor, vec![super::digest(document)], "exported");
    // From here on the document is read and the caller known: a refusal is recorded.
    let refused =
        |class: Class, reason: &str, detail: String| Refusal::new(class, reason, detail).logged(entry.clone());

    let mut checks =
        vec![json!({"check": "format", "outcome": "pass", "reason": "format.valid", "message": "CN certificate XML"})];
    // A present signature must verify, by a signer of the issuing CB.
    let cb_signed = cb_signed(document);
    if cb_signed {
        let signer = match ctx.verify_xml(document, &list.anchors_for_cb(cert.issuer_id(), ctx.now)) {
            Ok(v) => v.signer_certificate.unwrap_or_default(),
            Err(e) => return Err(refused(Class::Invalid, e.code(), format!("the CB's signature: {e}"))),
        };
        // Chaining to the CB's accreditor is not enough: another CB's signer under the same
        // root would do. Only the issuing CB's own registered signer vouches for its facts.
        if !list.grants_signer(cert.issuer_id(), &signer, ctx.now) {
            return Err(refused(
                Class::Invalid,
                "trust.signer_not_listed",
                format!("the signer is not a registered signing certificate of '{}'", cert.issuer_id()),
            ));
        }
        checks.push(json!({"check": "signature", "outcome": "pass", "reason": "sig.valid", "message": "signed by the issuing CB"}));
    } else {
        let holder = cert.holder.credit_code.as_ref().map(|c| c.as_str());
        if !caller.exporter.as_ref().is_some_and(|g| g.covers(holder, cert.issuer_id())) {
            return Err(refused(
                Class::Forbidden,
                "auth.not_your_certificate",
                format!(
                    "{} is not granted holder {} nor certification body {}: send the CN XML signed by its CB",
                    caller.actor,
                    holder.unwrap_or("(none)"),
                    cert.issuer_id()
                ),
            ));
        }
        checks.push(json!({"check": "signature", "outcome": "skipped", "reason": "sig.absent", "message": "unsigned; within the exporter's grant"}));
    }
    let registered = ctx.store.certificate(cert.issuer_id(), cert.number.as_str()).map_err(|e| Refusal::store(&e))?;
    if let Err(refusal) =
        may_register(&cert, cb_signed, registered.as_ref(), crate::model::china_date(ctx.now), &ctx.limits)
    {
        return Err(refusal.logged(entry));
    }
    checks.push(json!({"check": "validity", "outcome": "pass", "reason": "validity.in_force", "message": "in force"}));

    // assessmentLevel from the trust decision, as of now.
    let mut cert = cert;
    cert.assessment_level = crate::recognition::assessment_level(list, &cert, ctx.now);
    let mra = cert.assessment_level == AssessmentLevel::GlobalMRA;

    let id = crate::crypto::random_id();
    // The credential cannot hold its own receipt (the log entry records the credential's
    // hash), so it links to where the receipt is served: a public, fresh proof by export id.
    let receipt_link = json!({
        "type": ["SecureLink", "Link"],
        "linkURL": format!("{}/v1/receipts/{id}", ctx.public_base),
        "linkName": "mrgate transparency-log receipt",
        "linkType": "https://mrgate.example/linkTypes/log-receipt",
        "encryptionMethod": "none",
    });
    let signing_failed = |e: &dyn std::fmt::Display, code: &str| Refusal::new(Class::Internal, code, e.to_string());
    let mut documents = serde_json::Map::new();
    let mut losses = serde_json::Map::new();
    let mut outputs = Vec::new();
    for &format in request.formats {
        let rendered = formats::render(format, &cert);
        let out = match format {
            Format::UntpDcc => {
                let compact = serde_json::from_slice::<Value>(&rendered.bytes)
                    .map(|mut v| {
                        // The rendered credential always has its credentialSubject object.
                        if let Some(subject) = v.get_mut("credentialSubject") {
                            set_member(subject, "auditableEvidence", receipt_link.clone());
                        }
                        v
                    })
                    .and_then(|v| serde_json::to_vec(&v))
                    .unwrap_or_default();
                jws::sign(&compact, ctx.signing_key, ctx.signing_chain, None, true)
                    .map_err(|e| signing_failed(&e, e.code()))?
            }
            Format::IafXml => {
                // Signed at the decision's time, the time its entry records.
                xmldsig::sign_at(
                    &String::from_utf8_lossy(&rendered.bytes),
                    ctx.signing_key,
                    ctx.signing_chain,
                    &ctx.time(),
                )
                .map_err(|e| signing_failed(&e, e.code()))?
            }
            _ => String::from_utf8_lossy(&rendered.bytes).to_string(),
        };
        outputs.push(super::digest(out.as_bytes()));
        documents.insert(format.as_str().into(), json!(out));
        losses.insert(format.as_str().into(), json!(rendered.loss.lost));
    }

    let cn = super::register::registered_as(&cert).bytes;
    let record = CertificateRecord {
        issuer: cert.issuer_id().into(),
        number: cert.number.as_str().into(),
        holder_credit_code: cert.holder.credit_code.as_ref().map(|c| c.as_str().to_string()),
        origin: "export".into(),
        status: cert.status.as_str().into(),
        document: cn,
        recorded_at: ctx.time(),
    };
    let event = StatusEvent {
        status: cert.status.as_str().into(),
        since: ctx.time(),
        actor: caller.actor.clone(),
        reference: format!("export:{id}"),
    };
    entry.outputs = outputs;
    entry.reasons = vec![if mra { "trust.mra_active".into() } else { "trust.mra_none".into() }];
    let body = json!({
        "id": id,
        "issuer": cert.issuer_id(),
        "number": cert.number.as_str(),
        "assessment_level": cert.assessment_level.as_str(),
        "exporter": caller.actor,
        "checks": checks,
        "documents": documents,
        "lost": losses,
    });
    // The entry, the registration and what is returned are committed together: a
    // certificate that can be looked up always has its export in the log, and a logged
    // export was always registered.
    let as_read = registered.map(|r| (r.document, r.status));
    // The document is kept with the entry: an audit replays the register from it.
    let effects = vec![
        super::keep(document),
        Effect::ExpectCertificate { issuer: record.issuer.clone(), number: record.number.clone(), as_read },
        Effect::PutCertificate { record, event },
        Effect::PutDecision { id: id.clone(), kind: "export".into(), json: body.to_string() },
    ];
    Ok(Decision::new(body, entry, effects).recording_conflicts())
}
