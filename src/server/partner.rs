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
    // A recognition may have superseded a slot (it registered other facts): the lists are
    // read again at their next request.
    if recorded.as_ref().is_ok_and(|r| r.answer.recognized) {
        app.status_lists.read_again();
    }
    let status = match &recorded {
        Ok(r) if r.answer.recognized => StatusCode::CREATED,
        _ => StatusCode::OK,
    };
    recorded_json(status, recorded.map(|r| r.map(|a| a.body)))
}

/// `POST /v1/notices`: the status after the notice, with the certificate's history; 201
/// Created (and the look-up's `Location`) when the notice registered the status alone of a
/// certificate the register held nothing of, 200 when it changed a registered one's.
pub fn notice(app: &App, req: &Req) -> Response<Body> {
    let token = String::from_utf8_lossy(&req.body);
    // A register changed between the notice's read and its commit (an export or recognition
    // registering the certificate's facts, another notice): decided again on it as it is now.
    let again = [crate::decisions::record::REGISTER_CONFLICT];
    let recorded = app.recorder.record_retrying(3, &again, || notice::notice(&app.context(), &req.caller, &token));
    let created = recorded.as_ref().is_ok_and(|r| r.answer.registered_alone);
    if recorded.is_ok() {
        app.status_lists.read_again();
    }
    let location = recorded.as_ref().ok().filter(|_| created).map(|r| {
        let segment = super::http::percent_encode;
        format!("/v1/certificates/{}/{}", segment(&r.answer.issuer), segment(&r.answer.number))
    });
    // The register as the notice left it: its history, and whether it holds the
    // certificate's facts or, never exported nor recognized here, its status alone (so a
    // relay can tell a notice that matched no certificate it meant).
    let recorded = recorded.map(|r| {
        r.map(|applied| {
            let view = app.store.certificate_view(&applied.issuer, &applied.number).ok().flatten();
            // Unread (the store failed after the commit): null, and no history.
            let (origin, history) = match &view {
                Some(v) => (Some(v.record.origin.as_str()), v.history.as_slice()),
                None => (None, &[][..]),
            };
            json!({"issuer": applied.issuer, "number": applied.number, "status": applied.status.as_str(),
                   "origin": origin, "history": history})
        })
    });
    let mut response = recorded_json(if created { StatusCode::CREATED } else { StatusCode::OK }, recorded);
    if let Some(v) = location.and_then(|l| hyper::header::HeaderValue::from_str(&l).ok()) {
        response.headers_mut().insert(hyper::header::LOCATION, v);
    }
    response
}
