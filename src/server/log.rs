//! The transparency log over HTTP: key, checkpoint, proofs and entries.

use super::http::{Body, bytes, json, problem, proof_status};
use super::{App, Req};
use base64::Engine;
use hyper::{Response, StatusCode};
use serde_json::json;

pub fn key(app: &App) -> Response<Body> {
    bytes(StatusCode::OK, "application/x-pem-file", app.log_public_pem.clone())
}

/// The published checkpoint. With a witness policy (`[witnessing] required`), the latest
/// checkpoint that many witnesses cosigned, with their cosignatures (503 until there is one);
/// else the log's latest: of the log as the store holds it (other nodes' entries included),
/// or, the store being unreachable, the latest this node signed.
pub fn checkpoint(app: &App) -> Response<Body> {
    if app.cosigning.witnessed_only() {
        return match app.cosigning.latest() {
            Some(witnessed) => bytes(StatusCode::OK, "text/plain; charset=utf-8", witnessed.note.clone()),
            None => problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "log.not_witnessed",
                format!("no checkpoint has been cosigned by {} witness(es) yet", app.cosigning.required),
            ),
        };
    }
    let _ = app.log.follow();
    match app.log.checkpoint() {
        Ok(c) => bytes(StatusCode::OK, "text/plain; charset=utf-8", c),
        Err(e) => problem(StatusCode::SERVICE_UNAVAILABLE, e.code(), e.to_string()),
    }
}

/// `GET /v1/log/witnesses`: the witness policy — how many must cosign, and each witness's
/// name, verifier key and URL — and which vouched for the published checkpoint.
pub fn witnesses(app: &App) -> Response<Body> {
    let latest = app.cosigning.latest();
    let witnesses: Vec<_> = app
        .cosigning
        .witnesses
        .iter()
        .map(|w| json!({"name": w.witness.name, "vkey": w.witness.verifier_key(), "url": w.url}))
        .collect();
    json(
        StatusCode::OK,
        &json!({
            "required": app.cosigning.required,
            "witnesses": witnesses,
            "published": latest.map(|w| json!({"size": w.size, "vouched": w.vouched})),
        }),
    )
}

/// A numeric query parameter, written as a number is (decimal digits, no sign, no leading
/// zero: one spelling per number, as checkpoints and tiles have it); a bad one, or one given
/// twice, is answered with a 400 problem.
fn number(req: &Req, name: &str) -> Result<Option<u64>, Box<Response<Body>>> {
    let bad = |message: String| Box::new(problem(StatusCode::BAD_REQUEST, "http.query", message));
    match query(req, name)? {
        None => Ok(None),
        Some(v) => match v.parse::<u64>().ok().filter(|n| n.to_string() == v) {
            Some(n) => Ok(Some(n)),
            None => Err(bad(format!("{name} must be a number in decimal digits, without a sign or a leading zero"))),
        },
    }
}

/// A query parameter; one given twice is answered with a 400 problem.
fn query(req: &Req, name: &str) -> Result<Option<String>, Box<Response<Body>>> {
    req.query_param(name).map_err(|message| Box::new(problem(StatusCode::BAD_REQUEST, "http.query", message)))
}

/// A leaf hash from the (percent-decoded) query: standard or URL-safe base64, or hex.
fn leaf_hash_param(text: &str) -> Option<crate::ledger::merkle::Hash> {
    let decoded = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        text.as_bytes()
            .chunks_exact(2)
            .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok())
            .collect::<Option<Vec<u8>>>()?
    } else {
        let standard = text.replace('-', "+").replace('_', "/");
        base64::engine::general_purpose::STANDARD
            .decode(&standard)
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(&standard))
            .ok()?
    };
    decoded.try_into().ok()
}

pub fn inclusion(app: &App, req: &Req) -> Response<Body> {
    let size = match number(req, "size") {
        Ok(s) => s.unwrap_or_else(|| app.log.size().unwrap_or(0)),
        Err(r) => return *r,
    };
    let index = match (number(req, "index"), query(req, "hash")) {
        (Err(r), _) | (_, Err(r)) => return *r,
        (Ok(Some(_)), Ok(Some(_))) => {
            return problem(StatusCode::BAD_REQUEST, "http.query", "give either index or hash, not both");
        }
        (Ok(Some(i)), Ok(None)) => i,
        (Ok(None), Ok(Some(raw))) => {
            let Some(leaf) = leaf_hash_param(&raw) else {
                return problem(
                    StatusCode::BAD_REQUEST,
                    "http.query",
                    "hash must be a 32-byte leaf hash in base64 or hex",
                );
            };
            match app.log.index_of(&leaf) {
                Ok(Some(i)) => i,
                Ok(None) => return problem(StatusCode::NOT_FOUND, "log.not_found", "no entry has this leaf hash"),
                Err(e) => return problem(StatusCode::SERVICE_UNAVAILABLE, e.code(), e.to_string()),
            }
        }
        (Ok(None), Ok(None)) => return problem(StatusCode::BAD_REQUEST, "http.query", "index or hash is required"),
    };
    // Against any tree size up to the current one: a monitor holding an older checkpoint
    // proves against that.
    let proved = app.log.receipt(index).and_then(|r| {
        let hashes = if r.tree_size == size {
            r.hashes
        } else {
            crate::ledger::receipt::encode_hashes(&app.log.inclusion(index, size)?)
        };
        Ok((r.leaf_hash, hashes))
    });
    match proved {
        Ok((leaf_hash, hashes)) => {
            json(StatusCode::OK, &json!({"index": index, "tree_size": size, "leaf_hash": leaf_hash, "hashes": hashes}))
        }
        Err(e) => problem(proof_status(&e), e.code(), e.to_string()),
    }
}

/// `GET /v1/log/tile/<L>/<N>[.p/<W>]` and `/v1/log/tile/entries/<N>[.p/<W>]` (C2SP
/// tlog-tiles): what a mirror or monitor reads the whole log with, with generic tooling.
/// A full tile never changes and is cached for a year; a partial one of a given width
/// never changes either, but is superseded as the log grows.
pub fn tile(app: &App, path: &str) -> Response<Body> {
    use crate::ledger::tile_path::{TileKind, TilePath};
    let tile = match TilePath::parse(path) {
        Ok(t) => t,
        Err(why) => return problem(StatusCode::BAD_REQUEST, "log.tile_path", format!("tile/{path}: {why}")),
    };
    let read = match tile.kind {
        TileKind::Hashes(level) => app.log.tile(level, tile.index, tile.width),
        TileKind::Entries => app.log.entry_bundle(tile.index, tile.width),
    };
    match read {
        Ok(data) => {
            let mut r = bytes(StatusCode::OK, "application/octet-stream", data);
            let cache = if tile.width == crate::ledger::merkle::TILE {
                "public, max-age=31536000, immutable"
            } else {
                "public, max-age=60"
            };
            r.headers_mut().insert(hyper::header::CACHE_CONTROL, hyper::header::HeaderValue::from_static(cache));
            r
        }
        // Not (yet) in the tree: a tile that may exist later.
        Err(crate::ledger::durable::LogError::Proof(crate::ledger::merkle::ProofError::IndexOutOfRange { .. })) => {
            problem(StatusCode::NOT_FOUND, "log.not_found", format!("tile/{path} is not in the log (yet)"))
        }
        Err(e) => problem(proof_status(&e), e.code(), e.to_string()),
    }
}

pub fn consistency(app: &App, req: &Req) -> Response<Body> {
    let (from, to) = match (number(req, "from"), number(req, "to")) {
        (Ok(Some(f)), Ok(Some(t))) => (f, t),
        _ => return problem(StatusCode::BAD_REQUEST, "http.query", "from and to are required numbers"),
    };
    match app.log.consistency(from, to) {
        Ok(p) => json(StatusCode::OK, &json!({"from": p.from, "to": p.to, "hashes": p.hashes})),
        Err(e) => problem(proof_status(&e), e.code(), e.to_string()),
    }
}

pub fn entries(app: &App, req: &Req) -> Response<Body> {
    let size = app.log.follow().or_else(|_| app.log.size()).unwrap_or(0);
    let start = match number(req, "start") {
        Ok(s) => s.unwrap_or(0),
        Err(r) => return *r,
    };
    let end = match number(req, "end") {
        Ok(e) => e.unwrap_or(size).min(size).min(start.saturating_add(1000)),
        Err(r) => return *r,
    };
    if start > end {
        return problem(StatusCode::BAD_REQUEST, "http.query", "start is after end");
    }
    match app.log.entries(start, end) {
        Ok(list) => {
            let b64 = base64::engine::general_purpose::STANDARD;
            let entries: Vec<_> = list
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    json!({"index": start + i as u64, "leaf_hash": b64.encode(crate::ledger::merkle::leaf_hash(e)), "entry": b64.encode(e)})
                })
                .collect();
            json(StatusCode::OK, &json!({"entries": entries}))
        }
        Err(e) => problem(proof_status(&e), e.code(), e.to_string()),
    }
}

/// The receipt of an export, recognition or PT report by its id — the link a UNTP credential
/// carries — proved against the latest checkpoint rather than the one current when it was
/// issued. Public, as the log is: a receipt is an entry and its inclusion proof, which
/// `/v1/log/entries` and `/v1/log/proof/inclusion` give anyone (a PT report's entry too;
/// its documents are for auditors once the round closes).
pub fn receipt(app: &App, id: &str) -> Response<Body> {
    let decision = match app.decision(id, &["export", "recognition", "pt-report"]) {
        Ok(Some(body)) => body,
        Ok(None) => {
            return problem(
                StatusCode::NOT_FOUND,
                "store.not_found",
                format!("no export, recognition or PT report {id}"),
            );
        }
        Err(e) => return problem(StatusCode::SERVICE_UNAVAILABLE, e.code(), e.to_string()),
    };
    match decision.get("receipt") {
        None | Some(serde_json::Value::Null) => {
            problem(StatusCode::NOT_FOUND, "store.not_found", format!("{id} has no receipt"))
        }
        Some(receipt) => json(StatusCode::OK, receipt),
    }
}

/// `GET /v1/log/documents/{sha256}`: a document a decision was made on, kept by the digest
/// its entry names, for audits (`mrgate log audit --url`). For partners, customs and
/// operators ([`crate::decisions::Caller::may_audit`]); a PT round's documents for the
/// operator alone until the round closes ([`crate::decisions::pt::withheld_while_open`]).
pub fn document(app: &App, req: &Req, digest: &str) -> Response<Body> {
    if !req.caller.may_audit() {
        return super::http::refusal(&crate::decisions::Refusal::role(
            &req.caller,
            "kept documents are for partners, customs and operators (a client certificate)",
        ));
    }
    let not_kept = || problem(StatusCode::NOT_FOUND, "log.not_found", format!("no document sha256:{digest} is kept"));
    if !crate::ledger::entry::is_digest(digest) {
        return not_kept();
    }
    match app.store.kept_document(digest) {
        Ok(Some(document)) => {
            if req.caller.role != crate::decisions::Role::Operator {
                match crate::decisions::pt::withheld_while_open(app.store.as_ref(), &document, &app.limits) {
                    Ok(false) => {}
                    // Which round is not said: a caller outside it may not learn that much.
                    Ok(true) => {
                        let detail = format!(
                            "sha256:{digest} is a document of a PT round that is open: the operator's to read until it closes"
                        );
                        return problem(StatusCode::FORBIDDEN, "pt.round_open", detail);
                    }
                    Err(e) => return problem(StatusCode::SERVICE_UNAVAILABLE, e.code(), e.to_string()),
                }
            }
            let mut response = bytes(StatusCode::OK, "application/octet-stream", document);
            response.headers_mut().insert(
                hyper::header::CACHE_CONTROL,
                hyper::header::HeaderValue::from_static("private, max-age=31536000, immutable"),
            );
            response
        }
        Ok(None) => not_kept(),
        Err(e) => problem(StatusCode::SERVICE_UNAVAILABLE, e.code(), e.to_string()),
    }
}
