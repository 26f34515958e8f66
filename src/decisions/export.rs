//! Export: a domestic certificate in, signed international documents out, registered.
//!
//! What an exporter may export: a CN XML signed by the issuing CB's registered signer
//! (whoever sends it), or an unsigned one whose holder or CB its grant names. An unsigned
//! export never changes what the register holds: the CB-signed document is how registered
//! facts change, and notices are how a status changes, so an export never revives a
//! suspended, withdrawn or cancelled certificate. Only a certificate in force is exported.
//! Once the document is read, a refusal is a decision too, and recorded.

use super::{Caller, Class, Context, Decided, Decision, Grant, Refusal, Role};
use crate::crypto::x509::Crls;
use crate::crypto::{jws, xmldsig};
use crate::formats::{self, Format, set_member};
use crate::model::{AssessmentLevel, Certificate, Status};
use crate::status_list::Slot;
use crate::store::{CertificateRecord, Effect, StatusEvent};
use crate::trust::TrustList;
use crate::xml::Limits;
use serde_json::{Value, json};
use time::OffsetDateTime;

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

/// Whether a CN XML document comes signed (by its CB, checked by the caller): then it may
/// change registered facts, and no exporter grant is needed.
pub fn cb_signed(document: &[u8]) -> bool {
    String::from_utf8_lossy(document).contains(xmldsig::DSIG_NS)
}

/// Whether `cert` may be registered by an export on `day`, over what the register holds
/// (`registered`): in force that day; not held as anything but valid (the register decides
/// over the document); over a status alone ([`super::register::origin::NOTICE`]) it
/// registers the first facts; an unsigned document changes no registered fact, a signed one
/// stating other facts ([`crate::recognition::changed_as_registered`]) is issued after the one it
/// replaces — unless that one is an exporter's unsigned word ([`super::register::origin`]).
/// The gateway's rule, and an audit's replaying the log.
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
    // A status alone (its body's notices) states no fact an export could change.
    if !super::register::holds_facts(r) {
        return Ok(());
    }
    let held = formats::parse(Format::CnXml, &r.document, limits).ok();
    let changed = match &held {
        Some(held) => crate::recognition::changed_as_registered(Format::CnXml, held, cert),
        None => vec!["the registered document (unreadable)"],
    };
    // Facts an exporter registered unsigned never stand against the CB's signature: its
    // signed document replaces them, whatever dates either states.
    if cb_signed
        && !changed.is_empty()
        && r.origin != super::register::origin::EXPORT_UNSIGNED
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

/// Whether an export registers its number on the exporter's word: unsigned, over nothing
/// its CB or a partner vouched for (nothing held, a status alone, or an exporter's word
/// already). Only such a number is held to [`Grounds::look_alikes`] (rule set 26): a number
/// its CB signed is its CB's to choose, and an unsigned export of it registers nothing new.
pub fn on_word(cb_signed: bool, registered: Option<&CertificateRecord>) -> bool {
    let held = registered.map(|r| r.origin.as_str());
    super::register::origin::of_export(cb_signed, held) == super::register::origin::EXPORT_UNSIGNED
}

/// What an export is decided with besides the document: the trust list in force (in date),
/// the CRLs, the time, the grant an unsigned document is exported under, and what the
/// register holds of the certificate.
#[derive(Debug, Clone, Copy)]
pub struct Grounds<'a> {
    pub list: &'a TrustList,
    /// The equivalence table in force: what kind of standard each it knows is.
    pub table: &'a crate::standards::Table,
    pub crls: &'a Crls,
    pub now: OffsetDateTime,
    pub limits: &'a Limits,
    /// The caller's grant, for an unsigned document (a signed one needs none).
    pub grant: Option<&'a Grant>,
    /// Who the export is logged as (named in a refusal).
    pub actor: &'a str,
    pub registered: Option<&'a CertificateRecord>,
    /// The other numbers of the certificate's CB the register holds that read as its number
    /// does ([`crate::store::Store::look_alikes`]); read for an unsigned document only.
    pub look_alikes: &'a [String],
}

/// An export decided, before anything is made of it: the certificate as it is exported
/// (its assessment level as of the decision), the checks it passed, and the reason its
/// entry carries.
#[derive(Debug, Clone)]
pub struct Judged {
    pub cert: Certificate,
    pub checks: Vec<Value>,
    pub reason: &'static str,
    /// The SHA-256 (hex) of the CB's signer that signed the document; `None` unsigned.
    pub signer: Option<String>,
}

/// The export decision on a certificate read from `document`: signed by the issuing CB's
/// registered signer, or unsigned and within the grant; then registrable over what the
/// register holds ([`may_register`]). Every refusal here is a decision, logged. The
/// gateway's rule ([`export`]) and an audit's, which decides a logged export again with it.
pub fn judge(document: &[u8], cert: Certificate, grounds: &Grounds<'_>) -> Result<Judged, Refusal> {
    let Grounds { list, now, .. } = *grounds;
    // Exporters turn domestic certificates into credentials: a foreign body's certificate
    // reaches the register through its partner's recognition, signed by its own signer
    // (found by attack: an exporter granted holders only registered unsigned facts under a
    // foreign CB, and the partner's genuine, older-dated credential was then refused as
    // superseded; a foreign CB's signed document was exported as GlobalMRA, and the
    // gateway's own verification refused the export).
    if !cert.certification_body.id.is_domestic() {
        return Err(Refusal::new(
            Class::Invalid,
            "export.foreign_issuer",
            format!(
                "'{}' is not a CNCA-approved certification body: only domestic certificates are exported; a foreign \
                 body's is recognized through its partner",
                cert.issuer_id()
            ),
        ));
    }
    // Its CB is a certification body the list holds, asked as a verification asks it (of a
    // signed document before its signature; of an unsigned one after the exporter's grant):
    // the gateway signs no export its own verification refuses (rule set 23; found by
    // attack: an exporter granted holders only exported a certificate of a CB the list does
    // not hold — `CNCA-R-2002-0001`, under the name of the CB the list holds as
    // `CNCA-R-2002-001` — and the gateway signed it, `Accredited` as the document claimed,
    // where every verification of it answered `trust.cb_unknown`).
    let listed = || {
        crate::recognition::certification_body(list, cert.issuer_id()).ok_or_else(|| {
            Refusal::new(
                Class::Invalid,
                "trust.cb_unknown",
                format!(
                    "'{}' is not a certification body of the trust list: a verification of its export would refuse it",
                    cert.issuer_id()
                ),
            )
        })
    };
    let mut checks =
        vec![json!({"check": "format", "outcome": "pass", "reason": "format.valid", "message": "CN certificate XML"})];
    // A present signature must verify, by a signer of the issuing CB.
    let signed = cb_signed(document);
    let (cb, accreditor, signer) = if signed {
        let (cb, accreditor) = listed()?;
        let anchors = list.anchors_for_cb(cert.issuer_id(), now);
        let signer = match super::verify_xml(document, &anchors, grounds.crls, now, grounds.limits) {
            Ok(v) => v.signer_certificate.unwrap_or_default(),
            Err(e) => return Err(Refusal::new(Class::Invalid, e.code(), format!("the CB's signature: {e}"))),
        };
        // Chaining to the CB's accreditor is not enough: another CB's signer under the same
        // root would do. Only the issuing CB's own registered signer vouches for its facts.
        if !list.grants_signer(cert.issuer_id(), &signer, now) {
            return Err(Refusal::new(
                Class::Invalid,
                "trust.signer_not_listed",
                format!("the signer is not a registered signing certificate of '{}'", cert.issuer_id()),
            ));
        }
        checks.push(json!({"check": "signature", "outcome": "pass", "reason": "sig.valid", "message": "signed by the issuing CB"}));
        (cb, accreditor, Some(crate::crypto::sha256_hex(&signer)))
    } else {
        let holder = cert.holder.credit_code.as_ref().map(|c| c.as_str());
        if !grounds.grant.is_some_and(|g| g.covers(holder, cert.issuer_id())) {
            return Err(Refusal::new(
                Class::Forbidden,
                "auth.not_your_certificate",
                format!(
                    "{} is not granted holder {} nor certification body {}: send the CN XML signed by its CB",
                    grounds.actor,
                    holder.unwrap_or("(none)"),
                    cert.issuer_id()
                ),
            ));
        }
        checks.push(json!({"check": "signature", "outcome": "skipped", "reason": "sig.absent", "message": "unsigned; within the exporter's grant"}));
        let (cb, accreditor) = listed()?;
        (cb, accreditor, None)
    };
    // It is in force for it, as a verification of the export would hold it (rule set 17):
    // granted now and on its issue day.
    if let Some(why) = crate::recognition::cb_not_granted(list, &cert, now) {
        return Err(Refusal::new(Class::Invalid, "trust.cb_not_granted", why));
    }
    // The names it states of its CB are the names the list holds for it: the export states
    // them under the gateway's signature, and a verification of the export would refuse
    // them.
    if let Some(why) = crate::recognition::cb_name_not_held(list, cb, &cert) {
        return Err(Refusal::new(Class::Invalid, "trust.cb_name_other", why));
    }
    // Its standards are recognized by the table in force, each of the certificate's own
    // kind: the export states them, and a verification of the export would refuse any other
    // (found by review: the gateway signed, registered and showed as "valid" certificates
    // against "garbage standard", ISO/IEC 17065 or a product standard on a QMS certificate,
    // which its own /v1/verify then refused).
    if let Some((reason, why)) =
        crate::recognition::standards_refused(grounds.table, &cert, crate::model::china_date(now))
    {
        return Err(Refusal::new(Class::Invalid, reason, why));
    }
    // The accreditation it claims is its CB's accreditor, as the list holds it: the export
    // states the claim, and a verification of the export would refuse it (found by review:
    // the gateway signed credentials its own /v1/verify then refused). A CB the list names
    // no accreditor for is held to none, as a verification holds it, and refused (found by
    // attack: its export was signed `Accredited`, and every verification of it refused).
    // A certificate that claims no accreditation is none: a verification of its export
    // would refuse it (rule set 18), and it is no GlobalMRA.
    if let Some(why) = crate::recognition::accreditation_unclaimed(&cert, Format::CnXml) {
        return Err(Refusal::new(Class::Invalid, "trust.accreditation_unclaimed", why));
    }
    if let Some(why) = crate::recognition::claim_not_of(list, &cert, &accreditor) {
        return Err(Refusal::new(Class::Invalid, "trust.accreditation_other", why));
    }
    may_register(&cert, signed, grounds.registered, crate::model::china_date(now), grounds.limits)?;
    // The last check: every other refusal is of the certificate itself, decided on what
    // the register holds of it, which this one is not (an audit decides it again on a
    // register that may hold more of its CB's numbers by then).
    // Which number it reads as is not said: an exporter probing numbers would learn other
    // holders' (the look-up answers only a number asked for exactly).
    if on_word(signed, grounds.registered) && !grounds.look_alikes.is_empty() {
        return Err(Refusal::new(
            Class::Conflict,
            "register.look_alike",
            format!(
                "{}/{} reads as another number the register holds of this CB: an unsigned export registers no \
                 number that passes for another of its CB's; send the CN XML signed by its CB",
                cert.issuer_id(),
                cert.number.as_str(),
            ),
        ));
    }
    checks.push(json!({"check": "validity", "outcome": "pass", "reason": "validity.in_force", "message": "in force"}));

    // assessmentLevel from the trust decision, as of now.
    let mut cert = cert;
    cert.assessment_level = crate::recognition::assessment_level(list, &cert, now);
    let reason =
        if cert.assessment_level == AssessmentLevel::GlobalMRA { "trust.mra_active" } else { "trust.mra_none" };
    Ok(Judged { cert, checks, reason, signer })
}

/// The receipt link an exported credential carries (it cannot hold its own receipt: the
/// log entry records the credential's hash): a public, fresh proof by export id. Without a
/// `type`: the schema's default (`SecureLink`, `Link`) is one the UNTP 0.6.0 context does
/// not define, so a JSON-LD processor in safe mode refuses it written out.
pub fn receipt_link(public_base: &str, id: &str) -> Value {
    json!({
        "linkURL": format!("{public_base}/v1/receipts/{id}"),
        "linkName": "mrgate transparency-log receipt",
        "linkType": "https://mrgate.example/linkTypes/log-receipt",
        "encryptionMethod": "none",
    })
}

/// The `kid` a credential's JWS header names: the verification method of the signing `key`
/// in the DID document of the gateway at `public_base` (`did:web:…#<JWK thumbprint>`), so
/// a verifier that resolves DIDs finds the key without reading `x5c`; none when the base
/// is no https URL (no did:web can be made of it).
pub fn credential_kid(public_base: &str, key: &crate::crypto::keys::PublicKey) -> Option<String> {
    crate::crypto::did::key_id(&crate::crypto::did::did_of(public_base).ok()?, key)
}

/// What an exported credential's issuer is named: the gateway, whose DID it is.
pub const GATEWAY_NAME: &str = "mrgate, the CNCA mutual-recognition gateway";

/// The UNTP credential's payload: the rendering with its receipt link, issued by the
/// gateway's DID (`gateway`, when it has one) with the certification body in
/// `issuerAlsoKnownAs` — its URN, name and CNCA approval number, then its English name —
/// so that a DID verifier resolves the key that signed while the body stays named as the
/// register names it.
///
/// `status`, when given, is the credential's `credentialStatus` in place of the rendered
/// one: the certificate's two W3C Bitstring Status List entries ([`status_slot`]), by which
/// any verifier reads its status as the register holds it now, not as it was at signing.
pub fn credential_payload(
    rendered: &[u8],
    receipt_link: &Value,
    gateway: Option<&str>,
    status: Option<&Value>,
) -> Option<Value> {
    let mut v = serde_json::from_slice::<Value>(rendered).ok()?;
    set_member(v.get_mut("credentialSubject")?, "auditableEvidence", receipt_link.clone());
    if let Some(status) = status {
        set_member(&mut v, "credentialStatus", status.clone());
    }
    if let Some(did) = gateway {
        let body = v.get("issuer")?.clone();
        let (id, name) = (body.get("id")?.clone(), body.get("name")?.clone());
        let registered_id = id.as_str()?.rsplit(':').next()?.to_string();
        let mut aliases = vec![json!({"id": id, "name": name, "registeredId": registered_id})];
        aliases.extend(body.get("issuerAlsoKnownAs").and_then(Value::as_array).into_iter().flatten().cloned());
        set_member(
            &mut v,
            "issuer",
            json!({"type": ["CredentialIssuer"], "id": did, "name": GATEWAY_NAME, "issuerAlsoKnownAs": aliases}),
        );
    }
    Some(v)
}

/// The status-list slot of `cert`'s credentials: the one the register gave it at an earlier
/// export, unless this export is `superseding` the facts that export stated; else a free one
/// drawn at random ([`Slot::random`]; the store refuses the export at commit if another
/// export took it meanwhile).
pub fn status_slot(store: &dyn crate::store::Store, cert: &Certificate, superseding: bool) -> Result<Slot, Refusal> {
    let (issuer, number) = (cert.issuer_id(), cert.number.as_str());
    if !superseding && let Some(slot) = store.status_slot(issuer, number).map_err(|e| Refusal::store(&e))? {
        return Ok(slot);
    }
    let held = store.status_slots_held().map_err(|e| Refusal::store(&e))?;
    // A list is at most half full: 32 draws all taken is a chance of 2^-32.
    for _ in 0..32 {
        let slot = Slot::random(held)
            .ok_or_else(|| Refusal::new(Class::Internal, "status.no_slot", "no status-list slot can be drawn"))?;
        if !store.status_slot_taken(slot).map_err(|e| Refusal::store(&e))? {
            return Ok(slot);
        }
    }
    Err(Refusal::new(Class::Internal, "status.no_slot", "no free status-list slot was drawn in 32 tries"))
}

/// The export decision ([`judge`]), and what it makes: the documents in the formats asked
/// for, signed, and the certificate registered. The answer is what the exporter is given
/// (and what is stored under the export's id), without its receipt.
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
    // Like a stale list, the gateway's state and no decision on the document: not recorded.
    let (signing_key, signing_chain) = ctx.signer()?;
    // An unsigned document is decided under the caller's grant: the entry names it and
    // keeps it beside the document, so an audit decides the export again as it was.
    let grant = caller.exporter.as_deref().filter(|_| !cb_signed(document));
    let digest = super::digest(document);
    let mut inputs = vec![digest.clone()];
    let mut kept = vec![super::keep_as(digest, document)];
    if let Some(g) = grant {
        let granted = g.document();
        let digest = super::digest(&granted);
        inputs.push(digest.clone());
        kept.push(super::keep_as(digest, &granted));
    }
    let mut entry = ctx.entry("export", &caller.actor, inputs, "exported");
    let registered = ctx.store.certificate(cert.issuer_id(), cert.number.as_str()).map_err(|e| Refusal::store(&e))?;
    // Read for a number the exporter's word would register (its own index, a few rows).
    let word = on_word(cb_signed(document), registered.as_ref());
    let look_alikes = match word {
        true => {
            let held = ctx.store.look_alikes(cert.issuer_id(), cert.number.as_str()).map_err(|e| Refusal::store(&e))?;
            held.into_iter().map(|l| l.number).collect()
        }
        false => Vec::new(),
    };
    let grounds = Grounds {
        list,
        table: &ctx.table.table,
        crls: ctx.crls,
        now: ctx.now,
        limits: &ctx.limits,
        grant,
        actor: &caller.actor,
        registered: registered.as_ref(),
        look_alikes: &look_alikes,
    };
    // From here on the document is read and the caller known: a refusal is recorded.
    let Judged { cert, checks, reason, signer } =
        judge(document, cert, &grounds).map_err(|r| r.logged(entry.clone()).keeping(&kept))?;

    let id = crate::crypto::random_id();
    let receipt_link = receipt_link(&ctx.public_base, &id);
    let signing_failed = |e: &dyn std::fmt::Display, code: &str| Refusal::new(Class::Internal, code, e.to_string());
    let mut documents = serde_json::Map::new();
    let mut losses = serde_json::Map::new();
    let mut outputs = Vec::new();
    let mut exported = Vec::new();
    // A credential's status is in the lists when the gateway has a DID to issue them as
    // (a verifier holds a list's issuer to the credential's); without one the credential
    // states the register status it had when signed.
    let gateway = crate::crypto::did::did_of(&ctx.public_base).ok();
    let cn = super::register::registered_as(&cert).bytes;
    // Other facts than the register holds: the slot of the credentials exported of those is
    // superseded, and this export's credential draws one of its own.
    let superseding = super::register::supersedes(registered.as_ref(), &cn);
    let slot = match request.formats.contains(&Format::UntpDcc) && gateway.is_some() {
        true => Some(status_slot(ctx.store, &cert, superseding)?),
        false => None,
    };
    for &format in request.formats {
        let rendered = formats::render(format, &cert);
        let out = match format {
            Format::UntpDcc => {
                // The rendered credential always has its credentialSubject object.
                let status = slot.map(|s| s.entries(&ctx.public_base));
                let compact = credential_payload(&rendered.bytes, &receipt_link, gateway.as_deref(), status.as_ref())
                    .and_then(|v| serde_json::to_vec(&v).ok())
                    .unwrap_or_default();
                let kid = credential_kid(&ctx.public_base, &signing_key.public_key());
                jws::sign(&compact, signing_key, signing_chain, kid.as_deref(), true)
                    .map_err(|e| signing_failed(&e, e.code()))?
            }
            Format::IafXml => {
                // Signed at the decision's time, the time its entry records.
                xmldsig::sign_at(&String::from_utf8_lossy(&rendered.bytes), signing_key, signing_chain, &ctx.time())
                    .map_err(|e| signing_failed(&e, e.code()))?
            }
            _ => String::from_utf8_lossy(&rendered.bytes).to_string(),
        };
        outputs.push(super::digest(out.as_bytes()));
        // Registered with the certificate: the documents the gateway's signature stands for.
        exported.extend(super::register::exported::digests(out.as_bytes()));
        // Kept with the entry: an audit checks each is what the rules make of the
        // certificate, signed by the gateway.
        kept.push(super::keep(out.as_bytes()));
        documents.insert(format.as_str().into(), json!(out));
        losses.insert(format.as_str().into(), json!(rendered.loss.lost));
    }

    let recorded_at = super::register::recorded_since(registered.as_ref(), &cn, ctx.time());
    let record = CertificateRecord {
        issuer: cert.issuer_id().into(),
        number: cert.number.as_str().into(),
        holder_credit_code: cert.holder.credit_code.as_ref().map(|c| c.as_str().to_string()),
        origin: super::register::origin::of_export(cb_signed(document), registered.as_ref().map(|r| r.origin.as_str()))
            .into(),
        status: cert.status.as_str().into(),
        document: cn,
        recorded_at,
        // Unsigned: none (an exporter's word changes no fact its CB signed, `may_register`,
        // and the store keeps the signer a registration had, as of its commit).
        signer: signer.map(|certificate| crate::store::RegisteredSigner { certificate, registered_at: ctx.time() }),
    };
    let event = StatusEvent {
        status: cert.status.as_str().into(),
        since: ctx.time(),
        actor: caller.actor.clone(),
        reference: format!("export:{id}"),
    };
    entry.outputs = outputs;
    entry.reasons = vec![reason.into()];
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
    let as_read = registered.as_ref().map(crate::store::AsRead::of);
    // The documents are kept with the entry: an audit decides the export again from them.
    let mut effects = kept;
    effects.extend([
        Effect::ExpectCertificate { issuer: record.issuer.clone(), number: record.number.clone(), as_read },
        Effect::PutCertificate { record, event },
    ]);
    // No look-alike registered meanwhile, on any node (`Effect::NoLookAlike`).
    if word {
        effects.push(Effect::NoLookAlike { issuer: cert.issuer_id().into(), number: cert.number.as_str().into() });
    }
    // Its CB's signed document registers its number first: the exporter's word on a number
    // that reads as it, registered before, is suspended (`Effect::SuspendLookAlikes`).
    if !word && registered.is_none() {
        let (issuer, number, by) = (cert.issuer_id(), cert.number.as_str(), format!("export:{id}"));
        let first = super::register::first_registration(ctx.store, issuer, number, &by, ctx.time());
        effects.push(first.map_err(|e| Refusal::store(&e))?);
    }
    effects.push(Effect::RecordExported {
        issuer: cert.issuer_id().into(),
        number: cert.number.as_str().into(),
        digests: exported,
    });
    if superseding {
        effects
            .push(Effect::SupersedeStatusSlot { issuer: cert.issuer_id().into(), number: cert.number.as_str().into() });
    }
    if let Some(slot) = slot {
        effects.push(Effect::HoldStatusSlot {
            issuer: cert.issuer_id().into(),
            number: cert.number.as_str().into(),
            slot,
        });
    }
    effects.extend([Effect::PutDecision { id: id.clone(), kind: "export".into(), json: body.to_string() }]);
    Ok(Decision::new(body, entry, effects).recording_conflicts())
}
