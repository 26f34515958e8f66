//! Exporters: a domestic certificate in, signed international documents out, registered
//! and logged; and the export by id.
//!
//! What an exporter may export: a CN XML signed by the issuing CB's registered signer
//! (whoever sends it), or an unsigned one whose holder or CB its grant names. An unsigned
//! export never changes what the register holds: the CB-signed document is how registered
//! facts change, and notices are how a status changes, so an export never revives a
//! suspended, withdrawn or cancelled certificate.

use super::auth::Role;
use super::http::{Body, commit_problem, json, problem};
use super::{App, Req};
use crate::crypto::jws;
use crate::crypto::xmldsig;
use crate::formats::{self, Format, set_member};
use crate::ledger::entry::{Entry, document_digest};
use crate::model::{AssessmentLevel, Status};
use crate::store::{CertificateRecord, Effect, StatusEvent};
use hyper::{Response, StatusCode};
use serde_json::json;

/// An exporter's certificate or a granted exporter's token.
fn authorized(req: &Req) -> bool {
    req.role == Role::Exporter || req.exporter.is_some()
}

pub fn export(app: &App, req: &Req) -> Response<Body> {
    if !authorized(req) {
        return req.wrong_role("exports need an exporter client certificate or bearer token");
    }
    let wanted: Vec<Format> = match req.query_param("formats") {
        None => vec![Format::UntpDcc, Format::IafXml, Format::IafJson],
        Some(list) => {
            let mut out = Vec::new();
            for name in list.split(',') {
                match Format::parse_name(name).filter(|f| *f != Format::CnXml) {
                    Some(f) => out.push(f),
                    None => return problem(StatusCode::BAD_REQUEST, "http.query", format!("unknown format '{name}'")),
                }
            }
            out
        }
    };
    let cert = match formats::parse(Format::CnXml, &req.body, &app.limits) {
        Ok(c) => c,
        Err(e) => {
            let pos = e.pos().map(|p| format!("{}:{}: ", p.line, p.column)).unwrap_or_default();
            return problem(StatusCode::UNPROCESSABLE_ENTITY, e.code(), format!("{pos}{e}"));
        }
    };
    let now = app.now();
    let list = match app.trust_list_for_decisions(now) {
        Ok(l) => l,
        Err(r) => return *r,
    };
    let mut checks =
        vec![json!({"check": "format", "outcome": "pass", "reason": "format.valid", "message": "CN certificate XML"})];
    // A present signature must verify, by a signer of the issuing CB.
    let cb_signed = String::from_utf8_lossy(&req.body).contains(xmldsig::DSIG_NS);
    if cb_signed {
        let signer = match app.verify_xml(&req.body, &list.anchors_for_cb(cert.issuer_id(), now), now) {
            Ok(v) => v.signer_certificate.unwrap_or_default(),
            Err(e) => return problem(StatusCode::UNPROCESSABLE_ENTITY, e.code(), format!("the CB's signature: {e}")),
        };
        // Chaining to the CB's accreditor is not enough: another CB's signer under the same
        // root would do. Only the issuing CB's own registered signer vouches for its facts.
        if !list.grants_signer(cert.issuer_id(), &signer, now) {
            return problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "trust.signer_not_listed",
                format!("the signer is not a registered signing certificate of '{}'", cert.issuer_id()),
            );
        }
        checks.push(json!({"check": "signature", "outcome": "pass", "reason": "sig.valid", "message": "signed by the issuing CB"}));
    } else {
        let holder = cert.holder.credit_code.as_ref().map(|c| c.as_str());
        if !req.exporter.as_ref().is_some_and(|g| g.covers(holder, cert.issuer_id())) {
            return problem(
                StatusCode::FORBIDDEN,
                "auth.not_your_certificate",
                format!(
                    "{} is not granted holder {} nor certification body {}: send the CN XML signed by its CB",
                    req.actor,
                    holder.unwrap_or("(none)"),
                    cert.issuer_id()
                ),
            );
        }
        checks.push(json!({"check": "signature", "outcome": "skipped", "reason": "sig.absent", "message": "unsigned; within the exporter's grant"}));
    }
    if let Err(why) = cert.in_force(cert.status, crate::model::china_date(now)) {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            &why.code(),
            format!("only a certificate in force can be exported: {}", why.message()),
        );
    }
    // What the register holds decides over what the document says.
    let registered = match app.store.certificate(cert.issuer_id(), cert.number.as_str()) {
        Ok(r) => r,
        Err(e) => return problem(StatusCode::SERVICE_UNAVAILABLE, e.code(), e.to_string()),
    };
    if let Some(r) = &registered {
        if r.status != Status::Valid.as_str() {
            return problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!("status.{}", r.status),
                format!(
                    "the register holds this certificate as {}: only a certificate in force can be exported",
                    r.status
                ),
            );
        }
        let held = formats::parse(Format::CnXml, &r.document, &app.limits).ok();
        let changed = match &held {
            Some(held) => held.changed_facts(&cert),
            None => vec!["the registered document (unreadable)"],
        };
        if cb_signed
            && !changed.is_empty()
            && let Some(Err(why)) = held.as_ref().map(|h| cert.may_replace(h))
        {
            return problem(StatusCode::CONFLICT, "register.older_document", why);
        }
        if !cb_signed && !changed.is_empty() {
            return problem(
                StatusCode::CONFLICT,
                "register.conflict",
                format!(
                    "{}/{} is registered with other {}: an unsigned export cannot change it; send the CN XML signed by its CB",
                    cert.issuer_id(),
                    cert.number.as_str(),
                    changed.join(", ")
                ),
            );
        }
    }
    checks.push(json!({"check": "validity", "outcome": "pass", "reason": "validity.in_force", "message": "in force"}));

    // assessmentLevel from the trust decision, as of today.
    let mut cert = cert;
    cert.assessment_level = crate::recognition::assessment_level(&list, &cert, now);
    let mra = cert.assessment_level == AssessmentLevel::GlobalMRA;

    let id = crate::crypto::random_id();
    // The credential cannot hold its own receipt (the log entry records the credential's
    // hash), so it links to where the receipt is served: a public, fresh proof by export id.
    let receipt_link = json!({
        "type": ["SecureLink", "Link"],
        "linkURL": format!("{}/v1/receipts/{id}", app.public_base()),
        "linkName": "mrgate transparency-log receipt",
        "linkType": "https://mrgate.example/linkTypes/log-receipt",
        "encryptionMethod": "none",
    });
    let mut documents = serde_json::Map::new();
    let mut losses = serde_json::Map::new();
    let mut outputs = Vec::new();
    for format in wanted {
        let rendered = formats::render(format, &cert);
        let out = match format {
            Format::UntpDcc => {
                let compact = serde_json::from_slice::<serde_json::Value>(&rendered.bytes)
                    .map(|mut v| {
                        // The rendered credential always has its credentialSubject object.
                        if let Some(subject) = v.get_mut("credentialSubject") {
                            set_member(subject, "auditableEvidence", receipt_link.clone());
                        }
                        v
                    })
                    .and_then(|v| serde_json::to_vec(&v))
                    .unwrap_or_default();
                match jws::sign(&compact, &app.signing_key, &app.signing_chain, None, true) {
                    Ok(t) => t,
                    Err(e) => return problem(StatusCode::INTERNAL_SERVER_ERROR, e.code(), e.to_string()),
                }
            }
            Format::IafXml => {
                match xmldsig::sign(&String::from_utf8_lossy(&rendered.bytes), &app.signing_key, &app.signing_chain) {
                    Ok(x) => x,
                    Err(e) => return problem(StatusCode::INTERNAL_SERVER_ERROR, e.code(), e.to_string()),
                }
            }
            _ => String::from_utf8_lossy(&rendered.bytes).to_string(),
        };
        outputs.push(document_digest(out.as_bytes()));
        documents.insert(format.as_str().into(), json!(out));
        losses.insert(format.as_str().into(), json!(rendered.loss.lost));
    }

    let cn = formats::render(Format::CnXml, &cert).bytes;
    let record = CertificateRecord {
        issuer: cert.issuer_id().into(),
        number: cert.number.as_str().into(),
        holder_credit_code: cert.holder.credit_code.as_ref().map(|c| c.as_str().to_string()),
        origin: "export".into(),
        status: cert.status.as_str().into(),
        document: cn,
        recorded_at: app.now_rfc3339(),
    };
    let actor = req.actor.clone();
    let event = StatusEvent {
        status: cert.status.as_str().into(),
        since: app.now_rfc3339(),
        actor: actor.clone(),
        reference: format!("export:{id}"),
    };
    let entry = Entry {
        kind: "export".into(),
        time: app.now_rfc3339(),
        actor,
        inputs: vec![document_digest(&req.body)],
        outputs,
        trust_list: Some(list.digest.clone()),
        equivalence_table: Some(app.table.version.clone()),
        verdict: "exported".into(),
        reasons: vec![if mra { "trust.mra_active".into() } else { "trust.mra_none".into() }],
    };
    let mut body = json!({
        "id": id,
        "issuer": cert.issuer_id(),
        "number": cert.number.as_str(),
        "assessment_level": cert.assessment_level.as_str(),
        "exporter": req.actor,
        "checks": checks,
        "documents": documents,
        "lost": losses,
    });
    // The entry, the registration and what is returned are committed together: a
    // certificate that can be looked up always has its export in the log, and a logged
    // export was always registered.
    let as_read = registered.map(|r| (r.document, r.status));
    let effects = vec![
        Effect::ExpectCertificate { issuer: record.issuer.clone(), number: record.number.clone(), as_read },
        Effect::PutCertificate { record, event },
        Effect::PutDecision { id: id.clone(), kind: "export".into(), json: body.to_string() },
    ];
    match app.commit(&entry, effects) {
        Ok((receipt, _)) => set_member(&mut body, "receipt", serde_json::to_value(&receipt).unwrap_or_default()),
        Err(e) => return commit_problem(&e),
    }
    json(StatusCode::CREATED, &body)
}

/// An export by id: for the exporter that made it and for operators. Another exporter is
/// told there is no such export (the holder's facts are not its to read, and an id's
/// existence is not either). Exports recorded before the exporter was kept with them are
/// shown to any exporter, as they were.
pub fn get(app: &App, req: &Req, id: &str) -> Response<Body> {
    if !authorized(req) && req.role != Role::Operator {
        return req.wrong_role("exports are visible to exporters and operators");
    }
    let not_found = || problem(StatusCode::NOT_FOUND, "store.not_found", format!("no export {id}"));
    match app.decision(id, &["export"]) {
        Ok(Some(body)) => {
            let made_by = body.get("exporter").and_then(|e| e.as_str());
            if req.role != Role::Operator && made_by.is_some_and(|e| e != req.actor) {
                return not_found();
            }
            json(StatusCode::OK, &body)
        }
        Ok(None) => not_found(),
        Err(e) => problem(StatusCode::SERVICE_UNAVAILABLE, e.code(), e.to_string()),
    }
}
