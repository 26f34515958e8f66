//! Customs (and partners, operators): verify any supported document; the decision is logged.

use super::auth::Role;
use super::http::{Body, Refusal, bytes, problem, refuse};
use super::{App, MemoryRegister, Req, StoreRegister};
use crate::ledger::durable::LogError;
use crate::ledger::entry::{Entry, document_digest};
use crate::ledger::receipt::Receipt;
use crate::recognition::StatusSource;
use hyper::{Response, StatusCode};
use std::sync::Arc;

/// Who may call `POST /v1/verify`: customs, partners and operators.
fn may_verify(req: &Req) -> Result<String, Refusal> {
    if matches!(req.role, Role::Anonymous | Role::Exporter) {
        return Err(Box::new(req.wrong_role("verify needs a customs, partner or operator client certificate")));
    }
    Ok(req.actor.clone())
}

/// The actor the public verification is logged under.
fn public_actor(req: &Req) -> String {
    if req.role == Role::Anonymous { "public".to_string() } else { req.actor.clone() }
}

pub fn verify(app: &App, req: &Req) -> Response<Body> {
    match may_verify(req) {
        Ok(actor) => decide_and_log(app, req, actor),
        Err(r) => *r,
    }
}

/// The verification page's entry: anyone may check a document. Callers without a client
/// certificate are held to the public rate limit before they get here, and the decision is
/// logged like any other, under the actor `public`.
pub fn verify_public(app: &App, req: &Req) -> Response<Body> {
    decide_and_log(app, req, public_actor(req))
}

/// A decision made and its log entry, waiting to be committed.
struct Decided {
    verdict: crate::recognition::Verdict,
    entry: Entry,
}

fn decide(app: &App, req: &Req, actor: String, register: &dyn StatusSource) -> Result<Decided, Refusal> {
    if req.body.is_empty() {
        return Err(refuse(StatusCode::BAD_REQUEST, "http.empty", "send the document as the request body"));
    }
    let (verdict, list) = app.decide_with(&req.body, true, register);
    let entry = verification_entry(app, &req.body, &verdict, &list, actor);
    Ok(Decided { verdict, entry })
}

/// A verification's log entry, the same for `POST /v1/verify`, the public page and each
/// line of a batch.
pub(super) fn verification_entry(
    app: &App,
    document: &[u8],
    verdict: &crate::recognition::Verdict,
    list: &crate::trust::TrustList,
    actor: String,
) -> Entry {
    Entry {
        kind: "recognition".into(),
        time: app.now_rfc3339(),
        actor,
        inputs: vec![document_digest(document)],
        outputs: vec![],
        trust_list: Some(list.digest.clone()),
        equivalence_table: Some(app.table.version.clone()),
        verdict: if verdict.valid { "valid".into() } else { "invalid".into() },
        reasons: verdict.unmet_reasons(),
    }
}

fn respond(decided: &Decided, receipt: Result<Receipt, LogError>) -> Response<Body> {
    let receipt = match receipt {
        Ok(r) => r,
        Err(e) => return problem(StatusCode::SERVICE_UNAVAILABLE, e.code(), e.to_string()),
    };
    let verdict = &decided.verdict;
    let body = Answer {
        verdict,
        receipt: &receipt,
        facts: verdict.certificate.as_ref().map(super::public::facts).unwrap_or_default(),
    };
    bytes(StatusCode::OK, "application/json", serde_json::to_vec(&body).unwrap_or_default())
}

/// The verdict with its receipt and the key facts, serialized without an intermediate tree.
#[derive(serde::Serialize)]
struct Answer<'a> {
    #[serde(flatten)]
    verdict: &'a crate::recognition::Verdict,
    receipt: &'a Receipt,
    facts: serde_json::Value,
}

fn decide_and_log(app: &App, req: &Req, actor: String) -> Response<Body> {
    match decide(app, req, actor, &StoreRegister(app.store.as_ref())) {
        Ok(decided) => {
            let receipt = app.commit(&decided.entry, Vec::new()).map(|(receipt, _)| receipt);
            respond(&decided, receipt)
        }
        Err(r) => *r,
    }
}

/// A credential up to this size is decided on the connection's own thread (a JWS check
/// costs about 100 µs); larger documents and XML signatures go to the blocking pool.
const INLINE_MAX_BYTES: usize = 64 * 1024;

/// `POST /v1/verify` and `/v1/verify/public` as the server runs them: a compact JWS decided
/// on the connection's thread when everything it needs is in memory (else on the blocking
/// pool), then the wait for the log's commit as an await — no thread is parked while the
/// committer syncs to disk.
pub async fn verify_async(app: Arc<App>, req: Req, public: bool) -> Response<Body> {
    let actor = if public {
        public_actor(&req)
    } else {
        match may_verify(&req) {
            Ok(a) => a,
            Err(r) => return *r,
        }
    };
    let jws = req.body.len() <= INLINE_MAX_BYTES && req.body.trim_ascii_start().starts_with(b"eyJ");
    let inline = jws
        .then(|| {
            let register = MemoryRegister::new(app.store.as_ref());
            let decided = decide(&app, &req, actor.clone(), &register);
            (!register.missed()).then_some(decided)
        })
        .flatten();
    let decided = match inline {
        Some(d) => Ok(d),
        None => {
            let app = Arc::clone(&app);
            tokio::task::spawn_blocking(move || decide(&app, &req, actor, &StoreRegister(app.store.as_ref()))).await
        }
    };
    let decided = match decided {
        Ok(Ok(d)) => d,
        Ok(Err(r)) => return *r,
        Err(_) => return problem(StatusCode::INTERNAL_SERVER_ERROR, "http.internal", "the handler failed"),
    };
    let started = std::time::Instant::now();
    let bytes = match decided.entry.encode() {
        Ok(b) => b,
        Err(e) => return problem(StatusCode::SERVICE_UNAVAILABLE, e.code(), e.to_string()),
    };
    let (tx, rx) = tokio::sync::oneshot::channel();
    let queued = app.log.append_then(bytes.clone(), Box::new(move |r| drop(tx.send(r))));
    let index = match queued {
        Ok(()) => rx.await.unwrap_or_else(|_| Err(LogError::Unavailable("the log committer stopped".into()))),
        Err(e) => Err(e),
    };
    let receipt = index.and_then(|i| app.log.receipt_for(i, Some(bytes)));
    if receipt.is_ok() {
        app.appended(&decided.entry, started.elapsed());
    }
    respond(&decided, receipt)
}
