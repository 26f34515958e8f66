//! Customs (and partners, operators): verify any supported document; the decision is logged.

use super::http::{Body, json, problem};
use super::tls::Role;
use super::{App, Req, now_rfc3339};
use crate::ledger::entry::{Entry, document_digest};
use hyper::{Response, StatusCode};

pub fn verify(app: &App, req: &Req) -> Response<Body> {
    if matches!(req.role, Role::Anonymous | Role::Exporter) {
        return problem(
            StatusCode::UNAUTHORIZED,
            "auth.role",
            "verify needs a customs, partner or operator client certificate",
        );
    }
    decide_and_log(app, req, req.role.name())
}

/// The verification page's entry: anyone may check a document. Callers without a client
/// certificate are held to the public rate limit before they get here, and the decision is
/// logged like any other, under the actor `public`.
pub fn verify_public(app: &App, req: &Req) -> Response<Body> {
    let actor = if req.role == Role::Anonymous { "public".to_string() } else { req.role.name() };
    decide_and_log(app, req, actor)
}

fn decide_and_log(app: &App, req: &Req, actor: String) -> Response<Body> {
    if req.body.is_empty() {
        return problem(StatusCode::BAD_REQUEST, "http.empty", "send the document as the request body");
    }
    let (verdict, list) = app.decide(&req.body, true);
    let entry = Entry {
        kind: "recognition".into(),
        time: now_rfc3339(),
        actor,
        inputs: vec![document_digest(&req.body)],
        outputs: vec![],
        trust_list: Some(list.digest.clone()),
        equivalence_table: Some(app.table.version.clone()),
        verdict: if verdict.valid { "valid".into() } else { "invalid".into() },
        reasons: verdict.unmet_reasons(),
    };
    let receipt = match app.append_log(&entry) {
        Ok(r) => r,
        Err(e) => return problem(StatusCode::SERVICE_UNAVAILABLE, e.code(), e.to_string()),
    };
    let mut body = serde_json::to_value(&verdict).unwrap_or_default();
    body["receipt"] = serde_json::to_value(&receipt).unwrap_or_default();
    body["facts"] = verdict.certificate.as_ref().map(super::public::facts).unwrap_or_default();
    json(StatusCode::OK, &body)
}
