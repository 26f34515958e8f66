//! Public routes: health, the current signed trust list, certificate status by number.

use super::App;
use super::http::{Body, bytes, json, problem};
use hyper::{Response, StatusCode};
use serde_json::json;

pub fn healthz(app: &App) -> Response<Body> {
    let list = app.trust_list();
    json(StatusCode::OK, &json!({"status": "ok", "trust_list": {"sequence": list.sequence, "digest": list.digest}}))
}

pub fn trust_list(app: &App) -> Response<Body> {
    let bytes_now = app.trust_list_bytes.read().map(|b| b.as_ref().clone()).unwrap_or_default();
    bytes(StatusCode::OK, "application/xml", bytes_now)
}

/// Current status and history of a certificate the gateway exported or recognized.
pub fn certificate(app: &App, issuer: &str, number: &str) -> Response<Body> {
    match app.store.certificate(issuer, number) {
        Ok(Some(record)) => {
            let history = app.store.status_history(issuer, number).unwrap_or_default();
            json(
                StatusCode::OK,
                &json!({
                    "issuer": record.issuer,
                    "number": record.number,
                    "status": record.status,
                    "origin": record.origin,
                    "holder_credit_code": record.holder_credit_code,
                    "recorded_at": record.recorded_at,
                    "history": history,
                }),
            )
        }
        Ok(None) => problem(StatusCode::NOT_FOUND, "store.not_found", format!("no certificate {issuer}/{number}")),
        Err(e) => problem(StatusCode::SERVICE_UNAVAILABLE, e.code(), e.to_string()),
    }
}
