//! Partners (foreign accreditation bodies and their CBs): submit certificates for
//! recognition ([`crate::decisions::recognize`]) and signed status notices
//! ([`crate::decisions::notice`]).

use super::http::{Body, recorded_json};
use super::{App, Req};
use crate::decisions::{notice, recognize};
use hyper::{Response, StatusCode};
use serde_json::json;

/// `POST /v1/recognitions`: 201 with the translation when recognized, 200 when refused
/// on the document's merits (both recorded).
pub fn recognize(app: &App, req: &Req) -> Response<Body> {
    let recorded = app.recorder.record(recognize::recognize(&app.context(), &req.caller, &req.body));
    let status = match &recorded {
        Ok(r) if r.answer.recognized => StatusCode::CREATED,
        _ => StatusCode::OK,
    };
    recorded_json(status, recorded.map(|r| r.map(|a| a.body)))
}

/// `POST /v1/notices`: the status after the notice, with the certificate's history.
pub fn notice(app: &App, req: &Req) -> Response<Body> {
    let token = String::from_utf8_lossy(&req.body);
    let recorded = app.recorder.record(notice::notice(&app.context(), &req.caller, &token));
    if recorded.is_ok() {
        app.status_lists.read_again();
    }
    let recorded = recorded.map(|r| {
        r.map(|applied| {
            let history = app.store.status_history(&applied.issuer, &applied.number).unwrap_or_default();
            json!({"issuer": applied.issuer, "number": applied.number, "status": applied.status.as_str(),
                   "history": history})
        })
    });
    recorded_json(StatusCode::OK, recorded)
}
