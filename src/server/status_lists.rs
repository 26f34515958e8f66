//! `GET /v1/status-lists/{list}/{purpose}`: a W3C Bitstring Status List credential, public,
//! signed as the gateway signs credentials (VC-JOSE, `kid` its DID's verification method,
//! `x5c` its chain). Each answer is the list as the register and the rules in force give it
//! now: a version that is not the list's current publication is published first
//! ([`crate::decisions::status_list`]); what was signed is kept per list and re-signed when
//! half its `ttl` has passed.
//!
//! Freshness: the list is read from the store at most once a second per node (requests in
//! between are answered from that read), and a signed list is valid for [`TTL`] seconds,
//! which is also the `ttl` it tells verifiers to cache it for: a verifier that caches as
//! allowed reads a change at most a minute late (`/v1/verify` and the look-up read the
//! register at once). HTTP caches keep it with `Cache-Control: no-cache` and an `ETag`
//! (`If-None-Match` → 304 while the same signed list is served).

use super::http::{Body, bytes, problem, refusal, refused};
use super::{App, Req};
use crate::decisions::status_list::{Lists, publish, published, version};
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
    /// The rules it was read under (the trust list's and the table's digests): read again
    /// once others are in force on this node.
    rules: (String, String),
}

/// The list credentials this node signed, by list and purpose, and the lists' slots as
/// last read (with their certificates' facts, what the rules in force are asked of).
#[derive(Debug, Default)]
pub struct Signed {
    signed: Mutex<HashMap<(u32, Purpose), Credential>>,
    lists: Lists,
}

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
    // A node refusing the newest rules another node installed holds older ones, under which
    // the look-up calls nothing valid: its lists would tell what the rules in force do not.
    if app.rules_refused() {
        return problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "rules.refused",
            "this node's configuration refuses the newest installed trust list or equivalence table: it tells no \
             status list until it allows them (another node may)",
        );
    }
    let recent = app
        .status_lists
        .get(list, purpose)
        .filter(|c| c.read_at.is_some_and(|at| at.elapsed() < READ_AGAIN) && c.rules == rules_in_force(app))
        // Nothing is told under a list out of date, not even the last read.
        .filter(|_| app.trust_list().in_date(app.now()).is_ok());
    let credential = match recent {
        Some(c) => c,
        None => {
            // No list is published or signed by a certificate out of its window (one read
            // in the last second is still answered from that read, above).
            if let Err(r) = crate::decisions::signer_in_force(&app.signing_chain, app.now()) {
                return refusal(&r);
            }
            // The rules before the read: a list made under rules installed meanwhile is read
            // again at the next request rather than kept as theirs.
            let rules = rules_in_force(app);
            let current = match current(app, list, purpose) {
                Ok(v) => v,
                Err(response) => return *response,
            };
            match signed(app, &current, &base, &did, rules) {
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

/// The list's version as the register and the rules in force give it now, published first
/// when it is not the list's current publication. A version whose slots or rules changed
/// before it was recorded is made again (three times in all); one refused because another
/// request published it meanwhile is served.
fn current(app: &App, list: u32, purpose: Purpose) -> Result<Version, Box<Response<Body>>> {
    const AGAIN: [&str; 3] = ["status.list_changed", "trust.list_changed", "rules.table_changed"];
    let mut attempt = 1;
    loop {
        let ctx = app.context();
        let read = match version(&ctx, list, purpose, &app.status_lists.lists) {
            Ok(read) => read,
            Err(r) if attempt < 3 && AGAIN.contains(&r.reason.as_str()) => {
                attempt += 1;
                continue;
            }
            Err(r) => return Err(Box::new(refusal(&r))),
        };
        if published(ctx.store, &read.version).map_err(|r| Box::new(refusal(&r)))? {
            return Ok(read.version);
        }
        let version = read.version.clone();
        match app.recorder.record(publish(&ctx, read)) {
            Ok(recorded) => return Ok(recorded.answer),
            Err(r) if r.receipt.is_none() && r.refusal.reason == "publication.current" => return Ok(version),
            Err(r) if r.receipt.is_none() && attempt < 3 && AGAIN.contains(&r.refusal.reason.as_str()) => {
                attempt += 1;
            }
            Err(r) => return Err(Box::new(refused(&r))),
        }
    }
}

/// The rules in force on this node, as a signed list remembers them.
fn rules_in_force(app: &App) -> (String, String) {
    (app.trust_list().digest.clone(), app.table().digest.clone())
}

/// A list number as a path writes it: digits, no sign, no leading zero.
fn number(s: &str) -> Option<u32> {
    (!s.starts_with('0') && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
}

impl Signed {
    fn get(&self, list: u32, purpose: Purpose) -> Option<Credential> {
        self.signed.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(&(list, purpose)).cloned()
    }

    /// Reads every list from the register again at its next request: a notice through this
    /// node changed a status, or an export or recognition superseded a slot (other nodes read
    /// again within a second; other rules in force are seen by the rules each signed list
    /// remembers).
    pub fn read_again(&self) {
        for c in self.signed.lock().unwrap_or_else(std::sync::PoisonError::into_inner).values_mut() {
            c.read_at = None;
        }
    }
}

/// The credential of `version`, signed now unless this node signed it less than half a
/// [`TTL`] ago; either way, marked read now.
fn signed(app: &App, version: &Version, base: &str, did: &str, rules: (String, String)) -> Result<Credential, Refusal> {
    let digest = crate::decisions::digest(&version.document());
    let now = crate::decisions::to_the_second(app.now());
    let mut cache = app.status_lists.signed.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let key = (version.list, version.purpose);
    if let Some(c) =
        cache.get_mut(&key).filter(|c| c.digest == digest && now - c.signed_at < time::Duration::seconds(TTL / 2))
    {
        c.read_at = Some(Instant::now());
        c.rules = rules;
        return Ok(c.clone());
    }
    let internal = |e: String| Refusal::new(Class::Internal, "http.internal", e);
    let payload = version.credential(base, did, now, TTL);
    let kid = crate::decisions::export::credential_kid(base, &app.signing_key.public_key());
    let payload = serde_json::to_vec(&payload).map_err(|e| internal(e.to_string()))?;
    let jws = crate::crypto::jws::sign(&payload, &app.signing_key, &app.signing_chain, kid.as_deref(), true)
        .map_err(|e| internal(e.to_string()))?;
    let credential = Credential { digest, signed_at: now, jws: Arc::new(jws), read_at: Some(Instant::now()), rules };
    cache.insert(key, credential.clone());
    Ok(credential)
}
