//! Proficiency testing on the wire: a partner PT provider defines a round, the partners in it
//! submit their participants' results until the deadline, the provider closes the round, and
//! the gateway computes, signs, stores and logs the performance report.
//!
//! Every document a partner sends is an enveloped XML signature by a granted signing
//! certificate of one of the partner's own bodies (itself or a CB it accredits), chaining to
//! that body's anchors in the trust list. A partner never touches another partner's
//! participants, and nothing is accepted after the deadline or once the round is closed.

use super::auth::Role;
use super::http::{Body, Refusal, bytes, commit_problem, json, refuse, store_status};
use super::partner::partner;
use super::{App, Req, rfc3339};
use crate::crypto::xmldsig;
use crate::formats::set_member;
use crate::ledger::durable::LogError;
use crate::ledger::entry::{Entry, document_digest};
use crate::ledger::receipt::Receipt;
use crate::pt::exchange::{self, Input, Round, SubmissionRef, SubmittedResult};
use crate::store::{Effect, PtReportRecord, PtResultRecord, PtRoundRecord, PtSubmissionRecord, StoreError};
use crate::trust::TrustList;
use hyper::{Response, StatusCode};
use serde_json::json;
use time::OffsetDateTime;

fn store_error(e: StoreError) -> Refusal {
    refuse(store_status(&e), e.code(), e.to_string())
}

/// The partner's own bodies: itself and the CBs it accredits.
fn bodies_of<'a>(list: &'a TrustList, partner: &str) -> Vec<&'a str> {
    list.providers
        .iter()
        .filter_map(|p| p.body.as_ref())
        .filter(|b| b.id == partner || b.accredited_by.as_deref() == Some(partner))
        .map(|b| b.id.as_str())
        .collect()
}

/// Verifies a document signed by one of `partner`'s bodies, now; returns its document element.
fn verify_partner_document(app: &App, body: &[u8], partner: &str) -> Result<crate::xml::Element, Refusal> {
    let now = app.now();
    let list = app.trust_list_for_decisions(now)?;
    let bodies = bodies_of(&list, partner);
    let anchors: Vec<&[u8]> = bodies.iter().flat_map(|b| list.anchors_for_cb(b, now)).collect();
    let verified = app.verify_xml(body, &anchors, now).map_err(|e| {
        if e.check() == "format" {
            refuse(StatusCode::BAD_REQUEST, e.code(), format!("the document: {e}"))
        } else {
            refuse(StatusCode::UNPROCESSABLE_ENTITY, e.code(), format!("the partner's signature: {e}"))
        }
    })?;
    let signer = verified.signer_certificate.unwrap_or_default();
    let listed = bodies.iter().any(|b| list.grants_signer(b, &signer, now));
    if !listed {
        return Err(refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "trust.signer_not_listed",
            format!("'{}' is not a granted signer of a body of '{partner}'", verified.signer.unwrap_or_default()),
        ));
    }
    Ok(verified.document.root)
}

fn read_error(e: exchange::ExchangeError) -> Refusal {
    refuse(StatusCode::BAD_REQUEST, e.code(), e.to_string())
}

/// A stored round, read back from its definition (verified when it was accepted).
fn stored_round(app: &App, id: &str) -> Result<(PtRoundRecord, Round), Refusal> {
    let record = match app.store.pt_round(id) {
        Ok(Some(r)) => r,
        Ok(None) => return Err(refuse(StatusCode::NOT_FOUND, "pt.round_unknown", format!("no round '{id}'"))),
        Err(e) => return Err(store_error(e)),
    };
    let limits = crate::xml::Limits { max_bytes: record.definition.len().max(1), ..app.limits };
    let round = crate::xml::parse(&record.definition, &limits)
        .map_err(|e| e.to_string())
        .and_then(|root| exchange::read_round(&root).map_err(|e| e.to_string()))
        .map_err(|e| refuse(StatusCode::INTERNAL_SERVER_ERROR, "store.corrupt", format!("round '{id}': {e}")))?;
    Ok((record, round))
}

/// A PT decision's log entry. It is committed with the decision's effects on the store,
/// together or not at all (a refused effect, say a round defined twice, logs nothing).
fn entry(
    app: &App,
    req: &Req,
    kind: &str,
    inputs: Vec<String>,
    outputs: Vec<String>,
    verdict: &str,
    reasons: Vec<String>,
) -> Entry {
    Entry {
        kind: kind.into(),
        time: app.now_rfc3339(),
        actor: req.actor.clone(),
        inputs,
        outputs,
        trust_list: Some(app.trust_list().digest.clone()),
        equivalence_table: None,
        verdict: verdict.into(),
        reasons,
    }
}

fn commit_error(e: LogError) -> Refusal {
    Box::new(commit_problem(&e))
}

fn run(f: impl FnOnce() -> Result<Response<Body>, Refusal>) -> Response<Body> {
    f().unwrap_or_else(|r| *r)
}

/// `POST /v1/pt/rounds`: the provider's signed round definition.
pub fn define(app: &App, req: &Req) -> Response<Body> {
    run(|| {
        let partner = partner(req)?;
        let root = verify_partner_document(app, &req.body, partner)?;
        let round = exchange::read_round(&root).map_err(read_error)?;
        if round.provider != partner {
            return Err(refuse(
                StatusCode::FORBIDDEN,
                "auth.not_your_body",
                format!("the round's provider is '{}', the caller is '{partner}'", round.provider),
            ));
        }
        let list = app.trust_list();
        if let Some(unknown) = round.partners.iter().find(|p| list.body(p).is_none()) {
            return Err(refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                "pt.partner_unknown",
                format!("partner '{unknown}' is not a body in the trust list"),
            ));
        }
        if round.deadline <= app.now() {
            return Err(refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                "pt.deadline_passed",
                format!("the deadline {} has already passed", round.deadline),
            ));
        }
        let digest = document_digest(&req.body);
        let record = PtRoundRecord {
            id: round.id.clone(),
            provider: round.provider.clone(),
            definition: req.body.to_vec(),
            defined_at: app.now_rfc3339(),
            closed_at: None,
        };
        let effects = vec![Effect::PutPtRound(record)];
        let (receipt, _) = app
            .commit(&entry(app, req, "pt-round", vec![digest], vec![], "defined", vec![]), effects)
            .map_err(commit_error)?;
        Ok(json(StatusCode::CREATED, &json!({"id": round.id, "round": round, "receipt": receipt})))
    })
}

/// Refuses a result received at `at` once the round's deadline has passed.
fn taking_results(round: &Round, id: &str, at: OffsetDateTime) -> Result<(), Refusal> {
    if at > round.deadline {
        return Err(refuse(
            StatusCode::CONFLICT,
            "pt.deadline_passed",
            format!("round '{id}' took results until {}", round.deadline),
        ));
    }
    Ok(())
}

/// `POST /v1/pt/rounds/{id}/results`: a partner's signed results for its participants.
pub fn submit(app: &App, req: &Req, id: &str) -> Response<Body> {
    run(|| {
        let partner = partner(req)?;
        let (record, round) = stored_round(app, id)?;
        if !round.partners.iter().any(|p| p == partner) {
            return Err(refuse(
                StatusCode::FORBIDDEN,
                "auth.not_in_round",
                format!("'{partner}' is not in round '{id}'"),
            ));
        }
        if let Some(at) = &record.closed_at {
            return Err(refuse(StatusCode::CONFLICT, "pt.round_closed", format!("round '{id}' closed at {at}")));
        }
        taking_results(&round, id, app.now())?;
        let root = verify_partner_document(app, &req.body, partner)?;
        let submission = exchange::read_submission(&root).map_err(read_error)?;
        if submission.round != id {
            return Err(refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                "pt.round_mismatch",
                format!("the submission is for round '{}', posted to '{id}'", submission.round),
            ));
        }
        if submission.submitter != partner {
            return Err(refuse(
                StatusCode::FORBIDDEN,
                "auth.not_your_body",
                format!("the submitter is '{}', the caller is '{partner}'", submission.submitter),
            ));
        }
        if let Some(r) = submission.results.iter().find(|r| !round.measurands.iter().any(|m| m.id == r.measurand)) {
            return Err(refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                "pt.measurand_unknown",
                format!("participant '{}': round '{id}' has no measurand '{}'", r.participant, r.measurand),
            ));
        }
        // Checked again as received: verification takes time, and the deadline is a legal fact.
        let received = app.now();
        taking_results(&round, id, received)?;
        let digest = document_digest(&req.body);
        let stored = PtSubmissionRecord {
            round: id.to_string(),
            submitter: partner.to_string(),
            digest: digest.clone(),
            received: rfc3339(received),
            document: req.body.to_vec(),
        };
        let results: Vec<PtResultRecord> = submission
            .results
            .iter()
            .map(|r| PtResultRecord {
                measurand: r.measurand.clone(),
                participant: r.participant.clone(),
                submitter: partner.to_string(),
                submission: digest.clone(),
                result: serde_json::to_string(r).unwrap_or_default(),
            })
            .collect();
        // The entry says whether the submission replaces earlier results, and the store
        // refuses it if that is no longer so when it commits (another submission for the
        // same participants got in first); then it is asked again.
        let mut attempts = 0;
        let (receipt, written) = loop {
            attempts += 1;
            let current = app.store.pt_results(id).map_err(store_error)?;
            let replacing = results
                .iter()
                .any(|r| current.iter().any(|c| c.measurand == r.measurand && c.participant == r.participant));
            let reasons = if replacing { vec!["pt.replaced".to_string()] } else { vec![] };
            let effect = Effect::PutPtSubmission { submission: stored.clone(), results: results.clone(), replacing };
            let logged = entry(app, req, "pt-results", vec![digest.clone()], vec![], "accepted", reasons);
            match app.commit(&logged, vec![effect]) {
                Err(LogError::Store(StoreError::Conflict { reason: "pt.results_changed", .. })) if attempts < 3 => {
                    continue;
                }
                outcome => break outcome.map_err(commit_error)?,
            }
        };
        let replaced = written.replaced;
        let replaced: Vec<_> = replaced
            .iter()
            .map(|r| {
                json!({"participant": r.participant, "measurand": r.measurand, "previous_submission": r.submission,
                       "previous": serde_json::from_str::<serde_json::Value>(&r.result).unwrap_or_default()})
            })
            .collect();
        Ok(json(
            StatusCode::CREATED,
            &json!({"round": id, "submitter": partner, "submission": digest, "accepted": results.len(),
                    "replaced": replaced, "receipt": receipt}),
        ))
    })
}

/// Closes round `id` and logs it (`pt-close`), naming the definition and every submission
/// it closes with, in the order received. A submission committed between the read and the
/// close makes the store refuse the close (`pt.results_changed`); the round is then read
/// again, a few times at most. Returns the closing time, the close's receipt and the
/// submissions it closed with (the store checked they are all the round holds).
fn close_round(
    app: &App,
    req: &Req,
    id: &str,
    definition: &str,
) -> Result<(String, Receipt, Vec<PtSubmissionRecord>), Refusal> {
    let mut retries = 3;
    loop {
        let submissions = app.store.pt_submissions(id).map_err(store_error)?;
        let digests: Vec<String> = submissions.iter().map(|s| s.digest.clone()).collect();
        let inputs = std::iter::once(definition.to_string()).chain(digests.iter().cloned()).collect();
        let logged = entry(app, req, "pt-close", inputs, vec![], "closed", vec![]);
        let at = logged.time.clone();
        let effects = vec![Effect::ClosePtRound { id: id.to_string(), at: at.clone(), submissions: digests }];
        match app.commit(&logged, effects) {
            Ok((receipt, _)) => return Ok((at, receipt, submissions)),
            Err(e) if e.code() == "pt.results_changed" && retries > 0 => retries -= 1,
            Err(e) => return Err(commit_error(e)),
        }
    }
}

fn decision_id(round: &str) -> String {
    format!("pt-report.{round}")
}

/// `POST /v1/pt/rounds/{id}/close`: after the deadline, the provider closes the round; the
/// gateway evaluates it, signs the report, logs it and stores it.
pub fn close(app: &App, req: &Req, id: &str) -> Response<Body> {
    run(|| {
        let partner = partner(req)?;
        let (record, round) = stored_round(app, id)?;
        if round.provider != partner {
            return Err(refuse(
                StatusCode::FORBIDDEN,
                "auth.not_provider",
                format!("only the provider '{}' closes round '{id}'", round.provider),
            ));
        }
        let now = app.now();
        // The report is signed and logged under the list in force: not a stale one.
        app.trust_list_for_decisions(now)?;
        if now <= round.deadline {
            return Err(refuse(
                StatusCode::CONFLICT,
                "pt.deadline_not_reached",
                format!("round '{id}' takes results until {}", round.deadline),
            ));
        }
        if app.store.pt_reported(id).map_err(store_error)? {
            return Err(refuse(
                StatusCode::CONFLICT,
                "pt.round_closed",
                format!("round '{id}' already has its report"),
            ));
        }
        let definition_digest = document_digest(&record.definition);
        // From the close on no submission is accepted, so the report covers every accepted
        // result. The close is a decision of its own, logged when it takes effect: a report
        // that fails after it (and is made by closing again) leaves the round closed at the
        // logged time, and the log shows when results stopped being taken and which.
        let (closed, close_receipt, submissions) = match &record.closed_at {
            Some(at) => (at.clone(), None, app.store.pt_submissions(id).map_err(store_error)?),
            None => {
                let (at, receipt, submissions) = close_round(app, req, id, &definition_digest)?;
                (at, Some(receipt), submissions)
            }
        };
        let closed = OffsetDateTime::parse(&closed, &time::format_description::well_known::Rfc3339).map_err(|e| {
            refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "store.corrupt",
                format!("round '{id}' closed at '{closed}': {e}"),
            )
        })?;
        let mut inputs = Vec::new();
        for r in app.store.pt_results(id).map_err(store_error)? {
            let result: SubmittedResult = serde_json::from_str(&r.result).map_err(|e| {
                refuse(StatusCode::INTERNAL_SERVER_ERROR, "store.corrupt", format!("a result of round '{id}': {e}"))
            })?;
            inputs.push(Input { submitter: r.submitter, result });
        }
        let refs: Vec<SubmissionRef> = submissions
            .iter()
            .map(|s| SubmissionRef {
                submitter: s.submitter.clone(),
                digest: s.digest.clone(),
                received: s.received.clone(),
            })
            .collect();
        let report = exchange::evaluate_round(&round, &definition_digest, refs, &inputs, closed);
        let xml = xmldsig::sign(&exchange::write_report(&report), &app.signing_key, &app.signing_chain)
            .map_err(|e| refuse(StatusCode::SERVICE_UNAVAILABLE, e.code(), format!("signing the report: {e}")))?;
        let stored = PtReportRecord {
            xml: xml.into_bytes(),
            json: serde_json::to_string(&report).unwrap_or_default(),
            csv: exchange::report_csv(&report),
        };
        let mut used = vec![definition_digest];
        used.extend(submissions.iter().map(|s| s.digest.clone()));
        let reasons = report
            .measurands
            .iter()
            .filter_map(|m| match &m.outcome {
                exchange::Outcome::NotEvaluated { reason, .. } => Some(reason.clone()),
                _ => None,
            })
            .collect();
        let mut body = serde_json::to_value(&report).unwrap_or_default();
        // The report, what is returned and the entry are committed together: a report that
        // can be read is always in the log. (A report that fails here, say a concurrent close
        // won, logs nothing; closing again makes it anew.)
        let effects = vec![
            Effect::PutPtReport { id: id.to_string(), report: stored.clone() },
            Effect::PutDecision { id: decision_id(id), kind: "pt-report".into(), json: body.to_string() },
        ];
        let outputs = vec![document_digest(&stored.xml)];
        let (receipt, _) = app
            .commit(&entry(app, req, "pt-report", used, outputs, "reported", reasons), effects)
            .map_err(commit_error)?;
        set_member(&mut body, "receipt", serde_json::to_value(&receipt).unwrap_or_default());
        if let Some(close) = close_receipt {
            set_member(&mut body, "close_receipt", serde_json::to_value(&close).unwrap_or_default());
        }
        Ok(json(StatusCode::CREATED, &body))
    })
}

/// `GET /v1/pt/rounds/{id}`: the round as defined, whether it is open, and the submissions
/// received (who, when, the document's hash); for the round's partners and the operator.
pub fn show(app: &App, req: &Req, id: &str) -> Response<Body> {
    run(|| {
        let (record, round) = readable_round(app, req, id)?;
        let submissions = app.store.pt_submissions(id).map_err(store_error)?;
        let reported = app.store.pt_reported(id).map_err(store_error)?;
        let state = match (&record.closed_at, reported) {
            (_, true) => "reported",
            (Some(_), false) => "closing",
            (None, _) if app.now() > round.deadline => "past-deadline",
            (None, _) => "open",
        };
        Ok(json(
            StatusCode::OK,
            &json!({"id": id, "state": state, "defined_at": record.defined_at, "closed_at": record.closed_at,
                    "round": round, "submissions": submissions}),
        ))
    })
}

/// A round that the caller may read: a partner in it, or the operator.
fn readable_round(app: &App, req: &Req, id: &str) -> Result<(PtRoundRecord, Round), Refusal> {
    match &req.role {
        Role::Partner(p) => {
            let r = stored_round(app, id)?;
            if !r.1.partners.iter().any(|x| x == p) {
                return Err(refuse(
                    StatusCode::FORBIDDEN,
                    "auth.not_in_round",
                    format!("'{p}' is not in round '{id}'"),
                ));
            }
            Ok(r)
        }
        Role::Operator => stored_round(app, id),
        _ => Err(Box::new(req.wrong_role("a PT round is for its partners and the operator"))),
    }
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
        let (_, round) = readable_round(app, req, id)?;
        let Some(media) = report_type(&req.accept) else {
            return Err(refuse(
                StatusCode::NOT_ACCEPTABLE,
                "http.not_acceptable",
                "the report is served as application/json, application/xml or text/csv",
            ));
        };
        let Some(stored) = app.store.pt_report(id).map_err(store_error)? else {
            return Err(refuse(
                StatusCode::NOT_FOUND,
                "pt.report_missing",
                format!("round '{}' has no report yet (it is closed by its provider after the deadline)", round.id),
            ));
        };
        Ok(match media {
            "application/xml" => bytes(StatusCode::OK, "application/xml", stored.xml),
            "text/csv" => bytes(StatusCode::OK, "text/csv; charset=utf-8", stored.csv),
            _ => {
                let body = match app.decision(&decision_id(id), &["pt-report"]) {
                    Ok(Some(body)) => body.to_string(),
                    Ok(None) => stored.json,
                    Err(e) => return Err(refuse(StatusCode::SERVICE_UNAVAILABLE, e.code(), e.to_string())),
                };
                bytes(StatusCode::OK, "application/json", body)
            }
        })
    })
}
