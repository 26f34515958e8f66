//! Partners (foreign accreditation bodies and their CBs): submit certificates for
//! recognition, and signed status notices. A partner may only touch certificates issued
//! by its own bodies (itself, or a CB it accredits in the trust list).

use super::http::{Body, commit_problem, json, problem};
use super::tls::Role;
use super::{App, Req, now_rfc3339};
use crate::crypto::jws::{self, Verifier};
use crate::formats::{self, Format};
use crate::ledger::entry::{Entry, document_digest};
use crate::model::Status;
use crate::store::{CertificateRecord, Effect, StatusEvent};
use crate::trust::TrustList;
use hyper::{Response, StatusCode};
use serde_json::json;

/// Whether `issuer` is `partner` itself or a CB that `partner` accredits.
fn belongs_to(list: &TrustList, issuer: &str, partner: &str) -> bool {
    issuer == partner
        || list.body(issuer).and_then(|p| p.body.as_ref()).and_then(|b| b.accredited_by.as_deref()) == Some(partner)
}

/// The calling partner's body id, or 401 for any other caller.
pub(super) fn partner(req: &Req) -> Result<&str, super::http::Refusal> {
    match &req.role {
        Role::Partner(b) => Ok(b),
        _ => Err(Box::new(problem(
            StatusCode::UNAUTHORIZED,
            "auth.role",
            "this route needs a partner client certificate",
        ))),
    }
}

pub fn recognize(app: &App, req: &Req) -> Response<Body> {
    let body_id = match partner(req) {
        Ok(b) => b.to_string(),
        Err(r) => return *r,
    };
    let (verdict, list) = app.decide(&req.body, false);
    if let Some(issuer) = &verdict.issuer
        && !belongs_to(&list, issuer, &body_id)
    {
        return problem(
            StatusCode::FORBIDDEN,
            "auth.not_your_body",
            format!("'{issuer}' is not a body of partner '{body_id}'"),
        );
    }
    let id = crate::crypto::random_id();
    let mut outputs = Vec::new();
    let mut translation = None;
    let mut registration = None;
    if verdict.valid
        && let Some(cert) = &verdict.certificate
    {
        let cn = formats::render(Format::CnXml, cert);
        outputs.push(document_digest(&cn.bytes));
        let record = CertificateRecord {
            issuer: cert.issuer_id().into(),
            number: cert.number.as_str().into(),
            holder_credit_code: cert.holder.credit_code.as_ref().map(|c| c.as_str().to_string()),
            origin: "recognition".into(),
            status: verdict.status.into(),
            document: cn.bytes.clone(),
            recorded_at: now_rfc3339(),
        };
        let event = StatusEvent {
            status: verdict.status.into(),
            since: now_rfc3339(),
            actor: req.role.name(),
            reference: format!("recognition:{id}"),
        };
        registration = Some((record, event));
        translation = Some((String::from_utf8_lossy(&cn.bytes).to_string(), cn.loss.lost));
    }
    let entry = Entry {
        kind: "recognition".into(),
        time: now_rfc3339(),
        actor: req.role.name(),
        inputs: vec![document_digest(&req.body)],
        outputs,
        trust_list: Some(list.digest.clone()),
        equivalence_table: Some(app.table.version.clone()),
        verdict: if verdict.valid { "recognized".into() } else { "refused".into() },
        reasons: verdict.unmet_reasons(),
    };
    let mut body = serde_json::to_value(&verdict).unwrap_or_default();
    body["id"] = json!(id);
    if let Some((cn, lost)) = translation {
        body["cn_xml"] = json!(cn);
        body["lost"] = json!(lost);
    }
    // Committed with its entry, as an export is: a recognized certificate that can be looked
    // up always has its decision in the log, and a logged recognition always took effect.
    let mut effects: Vec<Effect> =
        registration.into_iter().map(|(record, event)| Effect::PutCertificate { record, event }).collect();
    effects.push(Effect::PutDecision { id: id.clone(), kind: "recognition".into(), json: body.to_string() });
    match app.commit(&entry, effects) {
        Ok((receipt, _)) => body["receipt"] = serde_json::to_value(&receipt).unwrap_or_default(),
        Err(e) => return commit_problem(&e),
    }
    json(if verdict.valid { StatusCode::CREATED } else { StatusCode::OK }, &body)
}

/// A signed status notice: a compact JWS (`typ: notice+jwt`) whose payload is
/// `{"issuer", "number", "action": "suspend"|"withdraw"|"cancel"|"restore", "date", "reason"}`,
/// signed by a granted signing certificate of the issuing body.
pub fn notice(app: &App, req: &Req) -> Response<Body> {
    let body_id = match partner(req) {
        Ok(b) => b.to_string(),
        Err(r) => return *r,
    };
    let token = String::from_utf8_lossy(&req.body).trim().to_string();
    let parsed = match jws::parse(&token) {
        Ok(p) => p,
        Err(e) => return problem(StatusCode::BAD_REQUEST, e.code(), e.to_string()),
    };
    if parsed.header.get("typ").and_then(|t| t.as_str()) != Some("notice+jwt") {
        return problem(StatusCode::BAD_REQUEST, "jws.typ", "a notice has typ notice+jwt");
    }
    let payload: serde_json::Value = match serde_json::from_slice(&parsed.payload) {
        Ok(v) => v,
        Err(e) => return problem(StatusCode::BAD_REQUEST, "jws.payload", e.to_string()),
    };
    let field = |k: &str| payload.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let (Some(issuer), Some(number), Some(action)) = (field("issuer"), field("number"), field("action")) else {
        return problem(StatusCode::BAD_REQUEST, "notice.fields", "issuer, number and action are required");
    };
    let status = match action.as_str() {
        "suspend" => Status::Suspended,
        "withdraw" => Status::Withdrawn,
        "cancel" => Status::Cancelled,
        "restore" => Status::Valid,
        other => return problem(StatusCode::BAD_REQUEST, "notice.action", format!("unknown action '{other}'")),
    };
    let list = app.trust_list();
    if !belongs_to(&list, &issuer, &body_id) {
        return problem(
            StatusCode::FORBIDDEN,
            "auth.not_your_body",
            format!("'{issuer}' is not a body of partner '{body_id}'"),
        );
    }
    // Signed by a granted signer of the issuing body, chaining to its accreditor.
    let now = time::OffsetDateTime::now_utc();
    let anchors = crate::recognition::anchors_of(&list.anchors_for_cb(&issuer, now));
    let mut verifier = Verifier::new(anchors, app.crls.clone_for_verifier());
    verifier.credential = false;
    let v = verifier.verify_parsed(&parsed, now.unix_timestamp().max(0) as u64);
    if !v.valid {
        let last = v.checks.last().map(|c| (c.reason.clone(), c.message.clone())).unwrap_or_default();
        return problem(StatusCode::UNPROCESSABLE_ENTITY, &last.0, last.1);
    }
    let signer_der = v.signer_certificate.unwrap_or_default();
    let listed = list
        .body(&issuer)
        .is_some_and(|p| p.services.iter().any(|s| s.granted_at(now) && s.certificates.contains(&signer_der)));
    if !listed {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "trust.signer_not_listed",
            format!("the notice is not signed by a signer of '{issuer}'"),
        );
    }
    let event = StatusEvent {
        status: status.as_str().into(),
        since: field("date").unwrap_or_else(now_rfc3339),
        actor: req.role.name(),
        reference: format!("notice:{}", document_digest(token.as_bytes())),
    };
    let entry = Entry {
        kind: "notice".into(),
        time: now_rfc3339(),
        actor: req.role.name(),
        inputs: vec![document_digest(token.as_bytes())],
        outputs: vec![],
        trust_list: Some(list.digest.clone()),
        equivalence_table: None,
        verdict: status.as_str().into(),
        reasons: vec![format!("notice.{action}")],
    };
    // The entry and the status change are committed together: a status customs can read
    // always has its notice in the log; a notice for a certificate never recorded logs
    // nothing and is 404.
    let receipt =
        match app.commit(&entry, vec![Effect::SetStatus { issuer: issuer.clone(), number: number.clone(), event }]) {
            Ok((receipt, _)) => receipt,
            Err(e) => return commit_problem(&e),
        };
    let history = app.store.status_history(&issuer, &number).unwrap_or_default();
    json(
        StatusCode::OK,
        &json!({"issuer": issuer, "number": number, "status": status.as_str(), "history": history, "receipt": receipt}),
    )
}
