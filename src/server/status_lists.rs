//! `GET /v1/status-lists/{list}/{purpose}`: a W3C Bitstring Status List credential, public,
//! signed as the gateway signs credentials (VC-JOSE, `kid` its DID's verification method,
//! `x5c` its chain). Each answer is the list as the register is now: a version that is not
//! the list's current publication is published first ([`crate::decisions::status_list`]);
//! what was signed is kept per list and re-signed when half its `ttl` has passed.
//!
//! Freshness: the list is read from the store at most once a second per node (requests in
//! between are answered from that read), and a signed list is valid for [`TTL`] seconds,
//! which is also the `ttl` it tells verifiers to cache it for: a verifier that caches as
//! allowed reads a change at most a minute late (`/v1/verify` and the look-up read the
//! register at once). HTTP caches keep it with `Cache-Control: no-cache` and an `ETag`
//! (`If-None-Match` → 304 while the same signed list is served).

use super::http::{Body, bytes, problem, refusal, refused};
use super::{App, Req};
use crate::decisions::status_list::{publish, published, version};
use crate::decisions::{Class, Refusal};
use crate::status_list::{Purpose, Version};
use hyper::header::{CACHE_CONTROL, ETAG, HeaderValue};
use hyper::{Response, StatusCode};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// How long a signed list stays valid (`validUntil`), and the `ttl` it states, in seconds.
pub const TTL: i64 = 60;

/// How long a node answers from one read of a list before reading the store again.
const READ_AGAIN: Duration = Duration::from_secs(1);

/// The media type of a VC-JOSE credential.
const MEDIA: &str = "application/vc+jwt";

/// One list credential as signed: of which version, when, the compact JWS, and when the
/// register was last read for it.
#[derive(Debug, Clone)]
struct Credential {
    digest: String,
    signed_at: OffsetDateTime,
    jws: Arc<String>,
    /// When the register was last read for it; `None` once a notice through this node may
    /// have changed it.
    read_at: Option<Instant>,
}

/// The list credentials this node signed, by list and purpose.
#[derive(Debug, Default)]
pub struct Signed(Mutex<HashMap<(u32, Purpose), Credential>>);

pub fn get(app: &App, req: &Req, list: &str, purpose: &str) -> Response<Body> {
    let (Some(purpose), Some(list)) = (Purpose::parse(purpose), number(list)) else {
        return problem(
            StatusCode::NOT_FOUND,
            "status.list_unknown",
            format!("no status list {}: a list is /v1/status-lists/<n>/revocation or …/suspension", req.path),
        );
    };
    // Lists are issued by the gateway's DID, as the credentials that name them are; without
    // one, no credential names a list.
    let base = app.public_base();
    let Ok(did) = crate::crypto::did::did_of(&base) else {
        return problem(
            StatusCode::NOT_FOUND,
            "status.list_unknown",
            format!("no status lists: the public URL {base} makes no did:web to issue them as"),
        );
    };
    let recent = app.status_lists.get(list, purpose).filter(|c| c.read_at.is_some_and(|at| at.elapsed() < READ_AGAIN));
    let credential = match recent {
        Some(c) => c,
        None => {
            // No list is published or signed by a certificate out of its window (one read
            // in the last second is still answered from that read, above).
            if let Err(r) = crate::decisions::signer_in_force(&app.signing_chain, app.now()) {
                return refusal(&r);
            }
            let current = match current(app, list, purpose) {
                Ok(v) => v,
                Err(response) => return *response,
            };
            match signed(app, &current, &base, &did) {
                Ok(c) => c,
                Err(r) => return refusal(&r),
            }
        }
    };
    let tag =
        format!("\"{}-{}\"", credential.digest.get(..16).unwrap_or_default(), credential.signed_at.unix_timestamp());
    let mut response = if req.if_none_match.as_deref() == Some(tag.as_str()) {
        bytes(StatusCode::NOT_MODIFIED, MEDIA, Vec::new())
    } else {
        bytes(StatusCode::OK, MEDIA, credential.jws.as_bytes().to_vec())
    };
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("public, no-cache"));
    if let Ok(tag) = HeaderValue::from_str(&tag) {
        headers.insert(ETAG, tag);
    }
    response
}

/// The list's version as the register gives it now, published first when it is not the
/// list's current publication. A commit refused because the register or the rules in force
/// changed meanwhile is decided again (three times in all); one refused because another
/// request published the version meanwhile is served.
fn current(app: &App, list: u32, purpose: Purpose) -> Result<Version, Box<Response<Body>>> {
    let store = app.store.as_ref();
    let mut attempt = 1;
    loop {
        let current = version(store, list, purpose).map_err(|r| Box::new(refusal(&r)))?;
        if published(store, &current).map_err(|r| Box::new(refusal(&r)))? {
            return Ok(current);
        }
        match app.recorder.record(publish(&app.context(), current.clone())) {
            Ok(recorded) => return Ok(recorded.answer),
            Err(r) if r.receipt.is_none() && r.refusal.reason == "publication.current" => return Ok(current),
            Err(r)
                if r.receipt.is_none()
                    && attempt < 3
                    && matches!(
                        r.refusal.reason.as_str(),
                        "status.list_changed" | "trust.list_changed" | "rules.table_changed"
                    ) =>
            {
                attempt += 1;
            }
            Err(r) => return Err(Box::new(refused(&r))),
        }
    }
}

/// A list number as a path writes it: digits, no sign, no leading zero.
fn number(s: &str) -> Option<u32> {
    (!s.starts_with('0') && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
}

impl Signed {
    fn get(&self, list: u32, purpose: Purpose) -> Option<Credential> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(&(list, purpose)).cloned()
    }

    /// Reads every list from the register again at its next request: a notice through this
    /// node changed a status, or an export or recognition superseded a slot (other nodes
    /// read again within a second).
    pub fn read_again(&self) {
        for c in self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).values_mut() {
            c.read_at = None;
        }
    }
}

/// The credential of `version`, signed now unless this node signed it less than half a
/// [`TTL`] ago; either way, marked read now.
fn signed(app: &App, version: &Version, base: &str, did: &str) -> Result<Credential, Refusal> {
    let digest = crate::decisions::digest(&version.document());
    let now = crate::decisions::to_the_second(app.now());
    let mut cache = app.status_lists.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let key = (version.list, version.purpose);
    if let Some(c) =
        cache.get_mut(&key).filter(|c| c.digest == digest && now - c.signed_at < time::Duration::seconds(TTL / 2))
    {
        c.read_at = Some(Instant::now());
        return Ok(c.clone());
    }
    let internal = |e: String| Refusal::new(Class::Internal, "http.internal", e);
    let payload = version.credential(base, did, now, TTL);
    let kid = crate::decisions::export::credential_kid(base, &app.signing_key.public_key());
    let payload = serde_json::to_vec(&payload).map_err(|e| internal(e.to_string()))?;
    let jws = crate::crypto::jws::sign(&payload, &app.signing_key, &app.signing_chain, kid.as_deref(), true)
        .map_err(|e| internal(e.to_string()))?;
    let credential = Credential { digest, signed_at: now, jws: Arc::new(jws), read_at: Some(Instant::now()) };
    cache.insert(key, credential.clone());
    Ok(credential)
}
