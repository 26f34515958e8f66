//! Customs (and partners, operators): verify any supported document; the decision is logged.

use super::http::{Body, json, problem};
use super::tls::Role;
use super::{App, Req, StoreRegister, now_rfc3339};
use crate::ledger::entry::{Entry, document_digest};
use crate::recognition::{self, Context};
use hyper::{Response, StatusCode};

pub fn verify(app: &App, req: &Req) -> Response<Body> {
    if matches!(req.role, Role::Anonymous | Role::Exporter) {
        return problem(
            StatusCode::UNAUTHORIZED,
            "auth.role",
            "verify needs a customs, partner or operator client certificate",
        );
    }
    if req.body.is_empty() {
        return problem(StatusCode::BAD_REQUEST, "http.empty", "send the document as the request body");
    }
    let list = app.trust_list();
    let own = app.own_signers();
    let register = StoreRegister(app.store.as_ref());
    let ctx = Context {
        trust_list: &list,
        equivalence: &app.table,
        crls: if app.crls.is_empty() { None } else { Some(&app.crls) },
        register: &register,
        own_signers: &own,
        now: time::OffsetDateTime::now_utc(),
        limits: app.limits,
    };
    let verdict = recognition::decide(&req.body, &ctx);
    let entry = Entry {
        kind: "recognition".into(),
        time: now_rfc3339(),
        actor: req.role.name(),
        inputs: vec![document_digest(&req.body)],
        outputs: vec![],
        trust_list: Some(list.digest.clone()),
        equivalence_table: Some(app.table.version.clone()),
        verdict: if verdict.valid { "valid".into() } else { "invalid".into() },
        reasons: verdict
            .checks
            .iter()
            .filter(|c| c.outcome != crate::crypto::Outcome::Pass)
            .map(|c| c.reason.clone())
            .collect(),
    };
    let receipt = match app.append_log(&entry) {
        Ok(r) => r,
        Err(e) => return problem(StatusCode::SERVICE_UNAVAILABLE, e.code(), e.to_string()),
    };
    let mut body = serde_json::to_value(&verdict).unwrap_or_default();
    body["receipt"] = serde_json::to_value(&receipt).unwrap_or_default();
    json(StatusCode::OK, &body)
}
