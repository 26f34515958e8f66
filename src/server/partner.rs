//! Partners (foreign accreditation bodies and their CBs): submit certificates for
//! recognition, and signed status notices. A partner may only touch certificates issued
//! by its own bodies (itself, or a CB it accredits in the trust list).

use super::auth::Role;
use super::http::{Body, commit_problem, json, logged_problem, problem};
use super::{App, Req};
use crate::crypto::jws::{self, Verifier};
use crate::formats::{self, Format, set_member};
use crate::ledger::durable::LogError;
use crate::ledger::entry::{Entry, document_digest};
use crate::notice::Notice;
use crate::store::{CertificateRecord, Effect, NoticeRecord, StatusEvent, StoreError};
use crate::trust::TrustList;
use hyper::{Response, StatusCode};
use serde_json::json;

/// Whether `issuer` is `partner` itself or a CB that `partner` accredits.
fn belongs_to(list: &TrustList, issuer: &str, partner: &str) -> bool {
    issuer == partner
        || list.body(issuer).and_then(|p| p.body.as_ref()).and_then(|b| b.accredited_by.as_deref()) == Some(partner)
}

/// The calling partner's body id; any other caller is refused (401 without an identity,
/// 403 with another role).
pub(super) fn partner(req: &Req) -> Result<&str, super::http::Refusal> {
    match &req.role {
        Role::Partner(b) => Ok(b),
        _ => Err(Box::new(req.wrong_role("this route needs a partner client certificate"))),
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
    let mut as_read = None;
    if verdict.valid
        && let Some(cert) = &verdict.certificate
    {
        // The decision read the register's status; what is registered now is what the
        // commit expects (a notice landing in between makes it a conflict, never a revival).
        let registered = match app.store.certificate(cert.issuer_id(), cert.number.as_str()) {
            Ok(r) => r,
            Err(e) => return problem(StatusCode::SERVICE_UNAVAILABLE, e.code(), e.to_string()),
        };
        if let Some(r) = &registered {
            if r.status != verdict.status {
                return problem(
                    StatusCode::CONFLICT,
                    "register.conflict",
                    format!("{}/{} changed while it was being decided; ask again", r.issuer, r.number),
                );
            }
            if let Ok(held) = formats::parse(Format::CnXml, &r.document, &app.limits)
                && !held.changed_facts(cert).is_empty()
                && let Err(why) = cert.may_replace(&held)
            {
                return problem(StatusCode::CONFLICT, "register.older_document", why);
            }
        }
        as_read = Some(registered.map(|r| (r.document, r.status)));
        let cn = formats::render(Format::CnXml, cert);
        outputs.push(document_digest(&cn.bytes));
        let record = CertificateRecord {
            issuer: cert.issuer_id().into(),
            number: cert.number.as_str().into(),
            holder_credit_code: cert.holder.credit_code.as_ref().map(|c| c.as_str().to_string()),
            origin: "recognition".into(),
            status: verdict.status.into(),
            document: cn.bytes.clone(),
            recorded_at: app.now_rfc3339(),
        };
        let event = StatusEvent {
            status: verdict.status.into(),
            since: app.now_rfc3339(),
            actor: req.actor.clone(),
            reference: format!("recognition:{id}"),
        };
        registration = Some((record, event));
        translation = Some((String::from_utf8_lossy(&cn.bytes).to_string(), cn.loss.lost));
    }
    let entry = Entry {
        kind: "recognition".into(),
        time: app.now_rfc3339(),
        actor: req.actor.clone(),
        inputs: vec![document_digest(&req.body)],
        outputs,
        trust_list: Some(list.digest.clone()),
        equivalence_table: Some(app.table.version.clone()),
        verdict: if verdict.valid { "recognized".into() } else { "refused".into() },
        reasons: verdict.unmet_reasons(),
    };
    let mut body = serde_json::to_value(&verdict).unwrap_or_default();
    if let Some(cert) = verdict.certificate.as_ref().filter(|_| verdict.valid) {
        let level = crate::recognition::assessment_level(&list, cert, app.now());
        set_member(&mut body, "assessment_level", json!(level.as_str()));
    }
    set_member(&mut body, "id", json!(id));
    if let Some((cn, lost)) = translation {
        set_member(&mut body, "cn_xml", json!(cn));
        set_member(&mut body, "lost", json!(lost));
    }
    // Committed with its entry, as an export is: a recognized certificate that can be looked
    // up always has its decision in the log, and a logged recognition always took effect.
    let mut effects: Vec<Effect> = Vec::new();
    if let (Some((record, event)), Some(as_read)) = (registration, as_read) {
        effects.push(Effect::ExpectCertificate {
            issuer: record.issuer.clone(),
            number: record.number.clone(),
            as_read,
        });
        effects.push(Effect::PutCertificate { record, event });
    }
    effects.push(Effect::PutDecision { id: id.clone(), kind: "recognition".into(), json: body.to_string() });
    match app.commit(&entry, effects) {
        Ok((receipt, _)) => set_member(&mut body, "receipt", serde_json::to_value(&receipt).unwrap_or_default()),
        Err(e) => return commit_problem(&e),
    }
    json(if verdict.valid { StatusCode::CREATED } else { StatusCode::OK }, &body)
}

/// A signed status notice: a compact JWS (`typ: notice+jwt`) whose payload
/// [`crate::notice`] describes, signed by a granted signing certificate of the issuing body.
/// Once its signature is checked, every refusal (a bad date, a replay, a stale or
/// disallowed change) is logged like any decision.
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
    let now = app.now();
    let notice = match Notice::read(&payload, now) {
        Ok(n) => n,
        Err(e) => return problem(StatusCode::BAD_REQUEST, e.code(), e.to_string()),
    };
    let issuer = notice.issuer.clone();
    let list = match app.trust_list_for_decisions(now) {
        Ok(l) => l,
        Err(r) => return *r,
    };
    if !belongs_to(&list, &issuer, &body_id) {
        return problem(
            StatusCode::FORBIDDEN,
            "auth.not_your_body",
            format!("'{issuer}' is not a body of partner '{body_id}'"),
        );
    }
    // Signed by a granted signer of the issuing body, chaining to its accreditor.
    let anchors = crate::recognition::anchors_of(&list.anchors_for_cb(&issuer, now));
    let mut verifier = Verifier::new(anchors, app.crls.clone_for_verifier());
    verifier.credential = false;
    let v = verifier.verify_parsed(&parsed, now.unix_timestamp().max(0) as u64);
    if !v.valid {
        let last = v.checks.last().map(|c| (c.reason.clone(), c.message.clone())).unwrap_or_default();
        return problem(StatusCode::UNPROCESSABLE_ENTITY, &last.0, last.1);
    }
    let signer_der = v.signer_certificate.unwrap_or_default();
    if !list.grants_signer(&issuer, &signer_der, now) {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "trust.signer_not_listed",
            format!("the notice is not signed by a signer of '{issuer}'"),
        );
    }
    let number = notice.number.clone();
    let entry = |verdict: &str, reason: String| Entry {
        kind: "notice".into(),
        time: app.now_rfc3339(),
        actor: req.actor.clone(),
        inputs: vec![document_digest(token.as_bytes())],
        outputs: vec![],
        trust_list: Some(list.digest.clone()),
        equivalence_table: None,
        verdict: verdict.into(),
        reasons: vec![reason],
    };
    // A signed notice that breaks a rule is a decision too: refused, logged, answered.
    let refused = |status: StatusCode, reason: &str, detail: String| match app
        .commit(&entry("refused", reason.to_string()), vec![])
    {
        Ok((receipt, _)) => logged_problem(status, reason, detail, &receipt),
        Err(e) => commit_problem(&e),
    };
    // The date rule that needs the register; a certificate never recorded is 404 with
    // nothing logged (there is nothing it could have changed).
    let record = match app.store.certificate(&issuer, &number) {
        Ok(Some(r)) => r,
        Ok(None) => {
            return problem(StatusCode::NOT_FOUND, "store.not_found", format!("no certificate {issuer}/{number}"));
        }
        Err(e) => return problem(StatusCode::SERVICE_UNAVAILABLE, e.code(), e.to_string()),
    };
    if let Ok(held) = formats::parse(Format::CnXml, &record.document, &app.limits)
        && let Err(e) = notice.check_issue_date(held.issue_date)
    {
        return refused(StatusCode::BAD_REQUEST, e.code(), e.to_string());
    }
    let status = notice.action.target();
    let event = StatusEvent {
        status: status.as_str().into(),
        since: notice.date.clone(),
        actor: req.actor.clone(),
        reference: format!("notice:{}", document_digest(token.as_bytes())),
    };
    // A jti is the issuing body's: unique among its notices, whichever partner relays them.
    let applying = Effect::ApplyNotice {
        body: issuer.clone(),
        notice: NoticeRecord {
            issuer: issuer.clone(),
            number: number.clone(),
            action: notice.action,
            iat: notice.iat,
            jti: notice.jti.clone(),
        },
        event,
    };
    // The entry and the status change are committed together, and the store admits the
    // notice against the register as it is in that transaction: a status customs can read
    // always has its notice in the log.
    let receipt =
        match app.commit(&entry(status.as_str(), format!("notice.{}", notice.action.as_str())), vec![applying]) {
            Ok((receipt, _)) => receipt,
            // The register refused it (crate::notice::admit): replayed, stale or a transition
            // DESIGN.md does not allow.
            Err(LogError::Store(StoreError::Conflict { reason, message })) => {
                return refused(StatusCode::CONFLICT, reason, message);
            }
            Err(e) => return commit_problem(&e),
        };
    let history = app.store.status_history(&issuer, &number).unwrap_or_default();
    json(
        StatusCode::OK,
        &json!({"issuer": issuer, "number": number, "status": status.as_str(), "history": history, "receipt": receipt}),
    )
}
