//! `GET /v1/status-lists/{list}/{purpose}`: a W3C Bitstring Status List credential, public,
//! signed as the gateway signs credentials (VC-JOSE, `kid` its DID's verification method,
//! `x5c` its chain). Each answer is the list as the register is now: a version not yet in
//! the log is published first ([`crate::decisions::status_list`]); what was signed is kept
//! per version and re-signed when half its `ttl` has passed.
//!
//! Caching: `Cache-Control: no-cache` with an `ETag`, so a cache may keep the credential
//! but asks again each time (`If-None-Match` → 304 while it holds): a verifier never reads
//! a status older than the register's.

use super::http::{Body, bytes, problem, refusal, refused};
use super::{App, Req};
use crate::decisions::status_list::{publish, published, version};
use crate::status_list::{Purpose, Version};
use hyper::header::{CACHE_CONTROL, ETAG, HeaderValue};
use hyper::{Response, StatusCode};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;

/// How long a signed list stays valid (`validUntil`), and the `ttl` it states: five
/// minutes, in seconds.
pub const TTL: i64 = 300;

/// The media type of a VC-JOSE credential.
const MEDIA: &str = "application/vc+jwt";

/// One list credential as signed: of which version, when, and the compact JWS.
#[derive(Debug, Clone)]
struct Credential {
    digest: String,
    signed_at: OffsetDateTime,
    jws: Arc<String>,
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
    let store = app.store.as_ref();
    let current = match version(store, list, purpose) {
        Ok(v) => v,
        Err(r) => return refusal(&r),
    };
    let current = match published(store, &current) {
        Ok(true) => current,
        Ok(false) => {
            // A notice landing between the read and the commit refuses the commit: read again.
            match app.recorder.record_retrying(3, "status.list_changed", || publish(&app.context(), list, purpose)) {
                Ok(recorded) => recorded.answer,
                Err(r) => return refused(&r),
            }
        }
        Err(r) => return refusal(&r),
    };
    let credential = match signed(app, &current) {
        Ok(c) => c,
        Err(detail) => return problem(StatusCode::INTERNAL_SERVER_ERROR, "http.internal", detail),
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

/// A list number as a path writes it: digits, no sign, no leading zero.
fn number(s: &str) -> Option<u32> {
    (!s.starts_with('0') && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
}

/// The credential of `version`, signed now unless this node signed it less than half a
/// `ttl` ago.
fn signed(app: &App, version: &Version) -> Result<Credential, String> {
    let digest = crate::decisions::digest(&version.document());
    let now = crate::decisions::to_the_second(app.now());
    let mut cache = app.status_lists.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let key = (version.list, version.purpose);
    if let Some(c) =
        cache.get(&key).filter(|c| c.digest == digest && now - c.signed_at < time::Duration::seconds(TTL / 2))
    {
        return Ok(c.clone());
    }
    let base = app.public_base();
    let did = crate::crypto::did::did_of(&base).ok();
    let payload = version.credential(&base, did.as_deref().unwrap_or(&base), now, TTL);
    let kid = crate::decisions::export::credential_kid(&base, &app.signing_key.public_key());
    let payload = serde_json::to_vec(&payload).map_err(|e| e.to_string())?;
    let jws = crate::crypto::jws::sign(&payload, &app.signing_key, &app.signing_chain, kid.as_deref(), true)
        .map_err(|e| e.to_string())?;
    let credential = Credential { digest, signed_at: now, jws: Arc::new(jws) };
    cache.insert(key, credential.clone());
    Ok(credential)
}
