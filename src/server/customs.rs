//! Customs (and partners, operators) verify any supported document; anyone may through the
//! public page. The decision and its recording are [`crate::decisions::verify`]'s.

use super::http::{Body, bytes, refused};
use super::{App, MemoryRegister, Req};
use crate::decisions::Recorded;
use crate::decisions::verify::{self, Audience};
use crate::ledger::receipt::Receipt;
use crate::recognition::Verdict;
use crate::store::Store;
use hyper::{Response, StatusCode};
use std::sync::Arc;

/// A credential up to this size may be decided on the connection's own thread (a JWS check
/// costs about 100 µs; see [`decided_inline`]); larger documents and XML signatures go to
/// the blocking pool.
const INLINE_MAX_BYTES: usize = 64 * 1024;

/// Whether a document may be decided on the connection's own thread, from the register's
/// facts in memory: a compact JWS up to [`INLINE_MAX_BYTES`], with a store that keeps
/// certificates in memory. With one that keeps none (PostgreSQL, shared by nodes) the
/// decision would miss at its last step and be made again on the pool (found by review:
/// every verification on a PostgreSQL node was decided twice).
fn decided_inline(store: &dyn Store, document: &[u8]) -> bool {
    document.len() <= INLINE_MAX_BYTES
        && store.remembers_certificates()
        && document.trim_ascii_start().starts_with(b"eyJ")
}

/// `POST /v1/verify` ([`Audience::Api`]) and `/v1/verify/public` ([`Audience::Public`]):
/// a compact JWS decided on the connection's thread when everything it needs is in memory
/// (else on the blocking pool), then the wait for the log's commit as an await — no thread
/// is parked while the committer syncs to disk.
pub async fn verify(app: Arc<App>, req: Req, audience: Audience) -> Response<Body> {
    let req = Arc::new(req);
    let mut attempt = 1;
    loop {
        let decided = match decide(&app, &req, audience).await {
            Some(d) => d,
            None => {
                return super::http::problem(StatusCode::INTERNAL_SERVER_ERROR, "http.internal", "the handler failed");
            }
        };
        match app.recorder.record_async(decided).await {
            // The certificate's status changed between the decision's read and its commit:
            // nothing was logged; decided again with the register as it is now.
            Err(r)
                if attempt < verify::ATTEMPTS
                    && r.receipt.is_none()
                    && r.refusal.reason == verify::REGISTER_CHANGED =>
            {
                attempt += 1;
            }
            recorded => return respond(recorded),
        }
    }
}

/// One decision on `req`'s document; `None` when the blocking task failed.
async fn decide(app: &Arc<App>, req: &Arc<Req>, audience: Audience) -> Option<crate::decisions::Decided<Verdict>> {
    let inline = decided_inline(app.store.as_ref(), &req.body)
        .then(|| {
            let register = MemoryRegister::new(app.store.as_ref());
            let mut ctx = app.context();
            ctx.register = Some(&register);
            let decided = verify::verify(&ctx, &req.caller, audience, &req.body);
            (!register.missed()).then_some(decided)
        })
        .flatten();
    if inline.is_some() {
        return inline;
    }
    let (app, req) = (Arc::clone(app), Arc::clone(req));
    tokio::task::spawn_blocking(move || verify::verify(&app.context(), &req.caller, audience, &req.body)).await.ok()
}

fn respond(recorded: Result<Recorded<Verdict>, crate::decisions::Refused>) -> Response<Body> {
    match recorded {
        Ok(r) => {
            let body = Answer {
                verdict: &r.answer,
                receipt: &r.receipt,
                facts: r.answer.certificate.as_ref().map(super::public::facts).unwrap_or_default(),
            };
            super::http::mark(
                bytes(StatusCode::OK, "application/json", serde_json::to_vec(&body).unwrap_or_default()),
                &r,
            )
        }
        Err(r) => refused(&r),
    }
}

/// The verdict with its receipt and the key facts, serialized without an intermediate tree.
#[derive(serde::Serialize)]
struct Answer<'a> {
    #[serde(flatten)]
    verdict: &'a Verdict,
    receipt: &'a Receipt,
    facts: serde_json::Value,
}
