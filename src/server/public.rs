//! Public routes: health, the current signed trust list, certificate status by number.
//!
//! Everything here answers callers without a client certificate, so it must never reveal
//! more than a certificate's own public facts and the log's public proofs.

use super::App;
use super::http::{Body, bytes, json, problem};
use crate::model::Certificate;
use crate::store::{CertificateView, StatusEvent};
use hyper::{Response, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;

/// 200 while the gateway can decide; 503 once the trust list in force is past its
/// NextUpdate (every decision that needs it then fails closed).
/// `GET /healthz`: 200 while this node can decide — its store answers and its trust list is
/// in date — else 503 naming why (`store.database`, `trust.stale`…), so that a load balancer
/// sends no decisions to a node that can only refuse them.
pub fn healthz(app: &App) -> Response<Body> {
    app.follow_trust_list();
    let list = app.trust_list();
    let facts = json!({"sequence": list.sequence, "digest": list.digest, "next_update": list.next_update});
    if let Some(why) = app.log.diverged() {
        let detail = why.to_string();
        return json(
            StatusCode::SERVICE_UNAVAILABLE,
            &json!({"status": "log.unavailable", "detail": detail, "trust_list": facts}),
        );
    }
    if let Err(e) = app.store.log_size() {
        let detail = format!("the store does not answer, so nothing can be decided or looked up: {e}");
        return json(
            StatusCode::SERVICE_UNAVAILABLE,
            &json!({"status": e.code(), "detail": detail, "trust_list": facts}),
        );
    }
    // A node fenced off by a newer build's (its commits refused) is taken out too.
    if let Err(e) = app.store.decides_here() {
        return json(
            StatusCode::SERVICE_UNAVAILABLE,
            &json!({"status": e.code(), "detail": e.to_string(), "trust_list": facts}),
        );
    }
    if let Some((sequence, digest)) = app.refused_trust_list() {
        let detail = format!(
            "trust list {sequence} (sha256:{digest}), installed through another node, is refused by this node's \
             configuration: every decision here is refused until the configuration allows it"
        );
        return json(
            StatusCode::SERVICE_UNAVAILABLE,
            &json!({"status": "trust.list_refused", "detail": detail, "trust_list": facts}),
        );
    }
    match list.in_date(app.now()) {
        Ok(()) => json(StatusCode::OK, &json!({"status": "ok", "trust_list": facts})),
        Err(e) => json(
            StatusCode::SERVICE_UNAVAILABLE,
            &json!({"status": e.code(), "detail": e.to_string(), "trust_list": facts}),
        ),
    }
}

/// The gateway's DID document (did:web): the keys it signs credentials with, the one in
/// force first, those rotated out after (for the credentials they signed). A version not
/// yet in the log is published first ([`crate::decisions::did_document`]). Public, and
/// cacheable for five minutes: a rotation is visible within that.
pub fn did_document(app: &App) -> Response<Body> {
    let base = app.public_base();
    let did = match crate::crypto::did::did_of(&base) {
        Ok(did) => did,
        Err(e) => return problem(StatusCode::NOT_FOUND, "http.not_found", e.to_string()),
    };
    use crate::decisions::did_document::{self as version, published};
    let document = version::bytes(&crate::crypto::did::document(&did, &app.credential_keys));
    match published(app.store.as_ref(), &document) {
        Ok(true) => {}
        Ok(false) => match app.recorder.record(version::publish(&app.context(), &document)) {
            Ok(_) => {}
            // Another request published it meanwhile.
            Err(r) if r.receipt.is_none() && r.refusal.reason == "publication.current" => {}
            Err(r) => return super::http::refused(&r),
        },
        Err(r) => return super::http::refusal(&r),
    }
    let mut response = bytes(StatusCode::OK, "application/did+ld+json", document);
    response
        .headers_mut()
        .insert(hyper::header::CACHE_CONTROL, hyper::header::HeaderValue::from_static("public, max-age=300"));
    response
}

pub fn trust_list(app: &App) -> Response<Body> {
    app.follow_trust_list();
    let bytes_now = app.trust_list_document().as_ref().clone();
    bytes(StatusCode::OK, "application/xml", bytes_now)
}

/// The facts a person checks on a certificate, in the shape the verification page shows.
pub fn facts(cert: &Certificate) -> Value {
    let body = &cert.certification_body;
    json!({
        "number": cert.number.as_str(),
        "program": cert.program,
        "program_code": cert.program_code.as_str(),
        "holder": cert.holder.name,
        "holder_en": cert.holder.name_en,
        "holder_credit_code": cert.holder.credit_code.as_ref().map(|c| c.as_str()),
        "scope": cert.scope_zh,
        "scope_en": cert.scope_en,
        "standards": cert.standards,
        "products": cert.products.iter().map(|p| &p.name).collect::<Vec<_>>(),
        "issue_date": cert.issue_date.to_string(),
        "expiry_date": cert.expiry_date.to_string(),
        "certification_body": body.name,
        "certification_body_en": body.name_en,
        "certification_body_id": body.id.as_str(),
        "accreditation": body.accreditation.as_ref().map(|a| json!({"body": a.body, "number": a.number})),
        "assessment_level": cert.assessment_level.as_str(),
    })
}

/// What a look-up shows that follows from one version of a certificate: the facts and expiry
/// date read from its stored document, and the receipt of the decision that recorded it.
/// Kept with the version in the store's cache, so it is computed once per change.
#[derive(Debug)]
struct Derived {
    facts: Option<Value>,
    cert: Option<Certificate>,
    receipt: Value,
}

fn derive(app: &App, view: &CertificateView) -> Derived {
    let cert = registered_facts(&view.record.document);
    // The receipt shown is that of the newest export or recognition in the status history,
    // i.e. the last one that set a status (re-exporting with the same status adds no event).
    let decision = view
        .history
        .iter()
        .rev()
        .filter_map(|e| e.reference.split_once(':'))
        .filter(|(kind, _)| matches!(*kind, "export" | "recognition"))
        // Only a decision on this very certificate: the history is the store's account, and
        // another certificate's recognition named there lent it its receipt and assessment
        // level (found by re-test).
        .find_map(|(kind, id)| {
            app.decision(id, &[kind]).ok().flatten().filter(|d| {
                d.get("issuer").and_then(Value::as_str) == Some(view.record.issuer.as_str())
                    && d.get("number").and_then(Value::as_str) == Some(view.record.number.as_str())
            })
        });
    let receipt = decision.as_ref().and_then(|d| d.get("receipt").cloned()).unwrap_or(Value::Null);
    let mut shown = cert.as_ref().map(facts);
    // The assessment level is what the decision stated (the export's credential says it);
    // the stored CN XML has no field for it.
    if let (Some(f), Some(level)) = (shown.as_mut(), decision.as_ref().and_then(|d| d.get("assessment_level")).cloned())
    {
        crate::formats::set_member(f, "assessment_level", level);
    }
    Derived { facts: shown, cert, receipt }
}

/// A registered document's facts, read under the limits it was accepted under (as the
/// status lists and an audit read it: a lower body limit configured since must not make
/// the look-up say `unknown` where the lists do not).
fn registered_facts(document: &[u8]) -> Option<Certificate> {
    crate::formats::cn_xml::parse(document, &crate::decisions::register::read_as_accepted(document)).ok()
}

/// The look-up's answer, in the order the page and clients read it.
#[derive(serde::Serialize)]
struct Lookup<'a> {
    issuer: &'a str,
    number: &'a str,
    status: &'a str,
    headline: &'static str,
    origin: &'a str,
    holder_credit_code: Option<&'a str>,
    recorded_at: &'a str,
    facts: &'a Option<Value>,
    history: &'a [StatusEvent],
    receipt: &'a Value,
}

/// The status a person should read of a registered certificate, its facts `cert` read from
/// its registered document ([`crate::decisions::verify::headline_now`]), under the rules
/// this node holds in force; while it refuses the newest stored ones, which it cannot decide
/// under, never `valid` (`unknown`), though a status that is not valid stays said. The single
/// look-up and a batch's look-up lines both answer it.
fn headline(app: &App, record: &crate::store::CertificateRecord, cert: Option<&Certificate>) -> &'static str {
    let headline = crate::decisions::verify::headline_now(
        &record.status,
        (crate::decisions::register::registered_at(record), record.signer.as_ref()),
        cert,
        app.now(),
        &app.trust_list(),
        &app.table().table,
    );
    match headline {
        "valid" if app.rules_refused() => "unknown",
        other => other,
    }
}

/// [`headline`] of the version `view` holds, for a batch's look-up line: its facts as the
/// single look-up keeps them with the version where the store keeps versions in memory (read
/// once per version), otherwise read from its document alone — not the whole look-up, whose
/// receipt is a stored decision's read (found by review: each line read it on PostgreSQL).
pub fn headline_of(app: &App, view: &CertificateView) -> &'static str {
    let parsed;
    let cert = match app.store.remembers_certificates() {
        true => derived(app, view).and_then(|d| d.cert.as_ref()),
        false => {
            parsed = registered_facts(&view.record.document);
            parsed.as_ref()
        }
    };
    headline(app, &view.record, cert)
}

/// What a look-up shows of `view`'s version, computed once and kept with it (`None`: its
/// slot holds something else, and the caller derives it afresh).
fn derived<'v>(app: &App, view: &'v CertificateView) -> Option<&'v Derived> {
    view.derived.get_or_init(|| Arc::new(derive(app, view))).downcast_ref::<Derived>()
}

fn render(app: &App, view: &CertificateView, derived: &Derived) -> Response<Body> {
    let r = &view.record;
    let body = Lookup {
        issuer: &r.issuer,
        number: &r.number,
        status: &r.status,
        headline: headline(app, r, derived.cert.as_ref()),
        origin: &r.origin,
        holder_credit_code: r.holder_credit_code.as_deref(),
        recorded_at: &r.recorded_at,
        facts: &derived.facts,
        history: &view.history,
        receipt: &derived.receipt,
    };
    bytes(StatusCode::OK, "application/json", serde_json::to_vec(&body).unwrap_or_default())
}

/// Current status and history of a certificate the gateway exported or recognized, its
/// facts, and the log receipt of the decision that recorded it. May block on the store.
pub fn certificate(app: &App, issuer: &str, number: &str) -> Response<Body> {
    // Under the newest rules another node installed, as a decision here would be.
    app.follow_rules();
    match app.store.certificate_view(issuer, number) {
        Ok(Some(view)) => match derived(app, &view) {
            Some(derived) => render(app, &view, derived),
            None => render(app, &view, &derive(app, &view)),
        },
        Ok(None) => problem(StatusCode::NOT_FOUND, "store.not_found", format!("no certificate {issuer}/{number}")),
        Err(e) => problem(StatusCode::SERVICE_UNAVAILABLE, e.code(), e.to_string()),
    }
}

/// The same answer when everything it needs is already in memory, without blocking: for
/// the server to answer on its own thread. `None` means "use [`certificate`]".
pub fn certificate_in_memory(app: &App, issuer: &str, number: &str) -> Option<Response<Body>> {
    let view = app.store.cached_certificate_view(issuer, number).version()?;
    let derived = view.derived.get()?.downcast_ref::<Derived>()?;
    Some(render(app, &view, derived))
}
