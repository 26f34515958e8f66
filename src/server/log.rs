//! The transparency log over HTTP: key, checkpoint, proofs and entries.

use super::http::{Body, bytes, json, problem};
use super::{App, Req};
use base64::Engine;
use hyper::{Response, StatusCode};
use serde_json::json;

pub fn key(app: &App) -> Response<Body> {
    bytes(StatusCode::OK, "application/x-pem-file", app.log_public_pem.clone())
}

pub fn checkpoint(app: &App) -> Response<Body> {
    match app.log.checkpoint() {
        Ok(c) => bytes(StatusCode::OK, "text/plain; charset=utf-8", c),
        Err(e) => problem(StatusCode::SERVICE_UNAVAILABLE, e.code(), e.to_string()),
    }
}

/// A numeric query parameter; a bad one is answered with a 400 problem.
fn number(req: &Req, name: &str) -> Result<Option<u64>, Box<Response<Body>>> {
    match req.query_param(name) {
        None => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|_| Box::new(problem(StatusCode::BAD_REQUEST, "http.query", format!("{name} must be a number")))),
    }
}

pub fn inclusion(app: &App, req: &Req) -> Response<Body> {
    let size = match number(req, "size") {
        Ok(s) => s.unwrap_or_else(|| app.log.size().unwrap_or(0)),
        Err(r) => return *r,
    };
    let index = match number(req, "index") {
        Ok(Some(i)) => i,
        Ok(None) => return problem(StatusCode::BAD_REQUEST, "http.query", "index is required"),
        Err(r) => return *r,
    };
    match app.log.receipt(index) {
        Ok(r) if r.tree_size == size => json(
            StatusCode::OK,
            &json!({"index": index, "tree_size": size, "leaf_hash": r.leaf_hash, "hashes": r.hashes}),
        ),
        Ok(_) => {
            problem(StatusCode::BAD_REQUEST, "log.size_mismatch", "proofs are served against the current tree size")
        }
        Err(e) => problem(StatusCode::BAD_REQUEST, e.code(), e.to_string()),
    }
}

pub fn consistency(app: &App, req: &Req) -> Response<Body> {
    let (from, to) = match (number(req, "from"), number(req, "to")) {
        (Ok(Some(f)), Ok(Some(t))) => (f, t),
        _ => return problem(StatusCode::BAD_REQUEST, "http.query", "from and to are required numbers"),
    };
    match app.log.consistency(from, to) {
        Ok(p) => json(StatusCode::OK, &json!({"from": p.from, "to": p.to, "hashes": p.hashes})),
        Err(e) => problem(StatusCode::BAD_REQUEST, e.code(), e.to_string()),
    }
}

pub fn entries(app: &App, req: &Req) -> Response<Body> {
    let size = app.log.size().unwrap_or(0);
    let start = match number(req, "start") {
        Ok(s) => s.unwrap_or(0),
        Err(r) => return *r,
    };
    let end = match number(req, "end") {
        Ok(e) => e.unwrap_or(size).min(size).min(start + 1000),
        Err(r) => return *r,
    };
    if start > end {
        return problem(StatusCode::BAD_REQUEST, "http.query", "start is after end");
    }
    match app.store.log_entries(start, end) {
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
        Err(e) => problem(StatusCode::SERVICE_UNAVAILABLE, e.code(), e.to_string()),
    }
}
