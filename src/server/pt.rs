//! Proficiency testing on the wire ([`crate::decisions::pt`] holds every rule): a partner PT
//! provider defines a round, the partners in it submit their participants' results until
//! the deadline, the provider closes the round, and the gateway computes, signs, stores and
//! records the performance report.

use super::http::{Body, bytes, json, recorded_json, refusal, refused};
use super::{App, Req};
use crate::decisions::pt;
use crate::decisions::{Class, Refusal};
use crate::formats::set_member;
use hyper::{Response, StatusCode};
use serde_json::json;

/// A refusal's answer, or the answer.
fn run(f: impl FnOnce() -> Result<Response<Body>, Refusal>) -> Response<Body> {
    f().unwrap_or_else(|r| refusal(&r))
}

/// `POST /v1/pt/rounds`: the provider's signed round definition.
pub fn define(app: &App, req: &Req) -> Response<Body> {
    let recorded = app.recorder.record(pt::define(&app.context(), &req.caller, &req.body));
    let recorded = recorded.map(|r| r.map(|round| json!({"id": round.id, "round": round})));
    recorded_json(StatusCode::CREATED, recorded)
}

/// `POST /v1/pt/rounds/{id}/results`: a partner's signed results for its participants.
pub fn submit(app: &App, req: &Req, id: &str) -> Response<Body> {
    let ctx = app.context();
    let (submission, round) = match pt::submission(&ctx, &req.caller, id, &req.body) {
        Ok(s) => s,
        // Recorded when it is the partner's document refused (logged with it).
        Err(r) => return recorded_json(StatusCode::CREATED, app.recorder.record(Err(r))),
    };
    // Decided as received, against the results stored then; again if another submission
    // for the same participants got in first.
    let recorded = app
        .recorder
        .record_retrying(3, &["pt.results_changed"], || pt::submit(&app.context(), &req.caller, &round, &submission));
    let recorded = recorded.map(|r| {
        let replaced: Vec<_> = r
            .written
            .replaced
            .iter()
            .map(|p| {
                json!({"participant": p.participant, "measurand": p.measurand, "previous_submission": p.submission,
                       "previous": serde_json::from_str::<serde_json::Value>(&p.result).unwrap_or_default()})
            })
            .collect();
        r.map(|()| {
            json!({"round": id, "submitter": submission.submitter, "submission": submission.digest,
                   "accepted": submission.accepted(), "replaced": replaced})
        })
    });
    recorded_json(StatusCode::CREATED, recorded)
}

/// `POST /v1/pt/rounds/{id}/close`: after the deadline, the provider closes the round; the
/// gateway evaluates it, signs the report and records it.
pub fn close(app: &App, req: &Req, id: &str) -> Response<Body> {
    let (record, round) = match pt::may_close(&app.context(), &req.caller, id) {
        Ok(r) => r,
        Err(r) => return refusal(&r),
    };
    // From the close on no submission is accepted, so the report covers every accepted
    // result. The close is a decision of its own, recorded when it takes effect: a report
    // that fails after it (and is made by closing again) leaves the round closed at the
    // recorded time, and the log shows when results stopped being taken and which.
    let (closed, close_receipt, submissions) = match &record.closed_at {
        Some(at) => match app.store.pt_submissions(id) {
            Ok(s) => (at.clone(), None, s),
            Err(e) => return refusal(&Refusal::store(&e)),
        },
        None => match app
            .recorder
            .record_retrying(4, &["pt.results_changed"], || pt::close(&app.context(), &req.caller, &record))
        {
            Ok(r) => (r.answer.0, Some(r.receipt), r.answer.1),
            Err(r) => return refused(&r),
        },
    };
    let decided = pt::report(&app.context(), &req.caller, &record, &round, &closed, &submissions);
    let recorded = app.recorder.record(decided).map(|r| {
        r.map(|mut body| {
            if let Some(close) = close_receipt {
                set_member(&mut body, "close_receipt", serde_json::to_value(&close).unwrap_or_default());
            }
            body
        })
    });
    recorded_json(StatusCode::CREATED, recorded)
}

/// `GET /v1/pt/rounds/{id}`: the round as defined, whether it is open, and the submissions
/// received (who, when, the document's hash); for the round's partners and the operator.
pub fn show(app: &App, req: &Req, id: &str) -> Response<Body> {
    run(|| {
        let ctx = app.context();
        let (record, round) = pt::readable_round(&ctx, &req.caller, id)?;
        let submissions = app.store.pt_submissions(id).map_err(|e| Refusal::store(&e))?;
        let reported = app.store.pt_reported(id).map_err(|e| Refusal::store(&e))?;
        let state = pt::state(&record, &round, reported, ctx.now);
        let definition = pt::definition_as_read(&req.caller, &record, &round);
        Ok(json(
            StatusCode::OK,
            &json!({"id": id, "state": state, "defined_at": record.defined_at, "closed_at": record.closed_at,
                    "round": definition, "submissions": submissions}),
        ))
    })
}

/// What a report is served as, from the `Accept` header: the first type it names that the
/// gateway has, JSON when it names none or anything.
fn report_type(accept: &str) -> Option<&'static str> {
    if accept.trim().is_empty() {
        return Some("application/json");
    }
    for part in accept.split(',') {
        let media = part.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        match media.as_str() {
            "application/json" | "application/*" | "*/*" => return Some("application/json"),
            "application/xml" | "text/xml" => return Some("application/xml"),
            "text/csv" | "text/*" => return Some("text/csv"),
            _ => {}
        }
    }
    None
}

/// `GET /v1/pt/rounds/{id}/report`: the signed XML, its JSON (with the log receipt) or the
/// CSV results table; for the round's partners and the operator.
pub fn report(app: &App, req: &Req, id: &str) -> Response<Body> {
    run(|| {
        let (_, round) = pt::readable_round(&app.context(), &req.caller, id)?;
        let Some(media) = report_type(&req.accept) else {
            return Err(Refusal::new(
                Class::NotAcceptable,
                "http.not_acceptable",
                "the report is served as application/json, application/xml or text/csv",
            ));
        };
        let Some(stored) = app.store.pt_report(id).map_err(|e| Refusal::store(&e))? else {
            return Err(Refusal::new(
                Class::NotFound,
                "pt.report_missing",
                format!("round '{}' has no report yet (it is closed by its provider after the deadline)", round.id),
            ));
        };
        // The report as the log records it: its decision held to its entry, and the signed
        // XML one the entry names (found by attack: the stored report changed was served
        // under the genuine receipt). The CSV and JSON are the store's renderings of it,
        // which nothing in the log names.
        let decision = match app.decision(&pt::report_id(id), &["pt-report"]) {
            Ok(decision) => decision,
            Err(e) => return Err(Refusal::new(Class::Unavailable, e.code(), e.to_string())),
        };
        let logged = decision
            .as_ref()
            .and_then(|d| d.pointer("/receipt/entry")?.as_str().map(str::to_string))
            .and_then(|e| base64::Engine::decode(&base64::engine::general_purpose::STANDARD, e).ok())
            .and_then(|e| crate::ledger::entry::Entry::decode(&e).ok())
            .is_some_and(|e| e.outputs.contains(&crate::decisions::digest(&stored.xml)));
        if !logged {
            let message = format!(
                "the stored report of round '{}' is not the one its log entry names: the store was changed behind \
                 the log's back",
                round.id
            );
            return Err(Refusal::new(Class::Unavailable, "store.database", message));
        }
        Ok(match media {
            "application/xml" => bytes(StatusCode::OK, "application/xml", stored.xml),
            "text/csv" => bytes(StatusCode::OK, "text/csv; charset=utf-8", stored.csv),
            _ => bytes(StatusCode::OK, "application/json", decision.map_or(stored.json, |d| d.to_string())),
        })
    })
}
