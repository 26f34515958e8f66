//! `POST /v1/verify/batch`: NDJSON in, NDJSON out, streamed both ways. Each line is
//! `{"issuer", "number"}` (a look-up) or `{"document": "<JWS or XML>"}` (a verification);
//! each answer line carries the input's line number. At most 10,000 lines; neither the
//! request nor the response is held in memory whole.

use super::App;
use super::auth::Role;
use super::http::{Body, problem};
use crate::formats::set_member;
use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, StreamBody};
use hyper::Response;
use hyper::body::{Frame, Incoming};
use serde_json::{Value, json};
use std::convert::Infallible;
use std::sync::Arc;

pub const MAX_LINES: usize = 10_000;

/// One answer line for one input line.
fn answer(app: &App, line: usize, text: &[u8]) -> Value {
    let value: Value = match serde_json::from_slice(text) {
        Ok(v) => v,
        Err(e) => return json!({"line": line, "error": {"reason": "format.json", "message": e.to_string()}}),
    };
    if let Some(doc) = value.get("document").and_then(Value::as_str) {
        let (verdict, _) = app.decide(doc.as_bytes(), true);
        let mut v = serde_json::to_value(&verdict).unwrap_or_default();
        set_member(&mut v, "line", json!(line));
        return v;
    }
    match (value.get("issuer").and_then(Value::as_str), value.get("number").and_then(Value::as_str)) {
        // A status read by customs is a decision like a document's: not from a stale list.
        (Some(issuer), Some(number)) if let Err(e) = app.trust_list().in_date(time::OffsetDateTime::now_utc()) => {
            json!({"line": line, "issuer": issuer, "number": number, "status": "unknown",
                   "error": {"reason": e.code(), "message": e.to_string()}})
        }
        (Some(issuer), Some(number)) => match app.store.certificate(issuer, number) {
            Ok(Some(r)) => json!({"line": line, "issuer": issuer, "number": number, "found": true, "status": r.status}),
            Ok(None) => json!({"line": line, "issuer": issuer, "number": number, "found": false, "status": "unknown"}),
            Err(e) => json!({"line": line, "error": {"reason": e.code(), "message": e.to_string()}}),
        },
        _ => {
            json!({"line": line, "error": {"reason": "batch.line", "message": "a line is {\"issuer\", \"number\"} or {\"document\"}"}})
        }
    }
}

/// Starts streaming answers while the request is still being read.
pub fn stream(app: Arc<App>, role: &Role, authenticated: bool, body: Incoming) -> Response<Body> {
    if matches!(role, Role::Anonymous | Role::Exporter) {
        return problem(
            super::http::role_status(authenticated),
            "auth.role",
            "batch verification needs a customs, partner or operator client certificate",
        );
    }
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Frame<Bytes>, Infallible>>(64);
    let max_line = app.config.limits.max_body_bytes;
    let drain_limit = Drain {
        bytes: 16 * app.config.limits.max_body_bytes,
        time: std::time::Duration::from_secs(app.config.limits.request_timeout_seconds),
    };
    tokio::spawn(async move {
        let mut body = body;
        let mut pending = BytesMut::new();
        let mut line_no = 0usize;
        let mut finished = false;
        let send = |v: Value| {
            let mut b = serde_json::to_vec(&v).unwrap_or_default();
            b.push(b'\n');
            Ok(Frame::data(Bytes::from(b)))
        };
        while !finished {
            let chunk = match body.frame().await {
                Some(Ok(f)) => f.into_data().unwrap_or_default(),
                Some(Err(_)) => break,
                None => {
                    finished = true;
                    Bytes::new()
                }
            };
            pending.extend_from_slice(&chunk);
            loop {
                let cut = match pending.iter().position(|b| *b == b'\n') {
                    Some(i) => i,
                    None if finished && !pending.is_empty() => pending.len(),
                    None => break,
                };
                let line = pending.split_to(cut).freeze();
                if !pending.is_empty() {
                    let _ = pending.split_to(1);
                }
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                line_no += 1;
                if line_no > MAX_LINES {
                    let _ = tx.send(send(json!({"line": line_no, "error": {"reason": "batch.too_many_lines", "message": format!("at most {MAX_LINES} lines")}}))).await;
                    drain(body, drain_limit).await;
                    return;
                }
                let app = Arc::clone(&app);
                let v = tokio::task::spawn_blocking(move || answer(&app, line_no, &line)).await.unwrap_or_default();
                if tx.send(send(v)).await.is_err() {
                    return;
                }
            }
            if pending.len() > max_line {
                let _ = tx.send(send(json!({"line": line_no + 1, "error": {"reason": "http.too_large", "message": "a line is too long"}}))).await;
                drain(body, drain_limit).await;
                return;
            }
        }
    });
    let mut r = Response::new(StreamBody::new(Frames(rx)).boxed());
    if let Ok(v) = hyper::header::HeaderValue::from_str("application/x-ndjson") {
        r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    r
}

/// How much of an unwanted request rest is read and thrown away, at most.
#[derive(Clone, Copy)]
struct Drain {
    bytes: usize,
    time: std::time::Duration,
}

/// Reads the rest of a request that will not be answered line by line, up to `limit`, before
/// the answer ends. Over HTTP/2 a request body dropped while the client still sends resets
/// the stream, and the reset discards the answer's last frames still queued; read to its
/// end, the stream closes normally and every answer arrives. A client sending past the
/// limit loses that guarantee.
async fn drain(mut body: Incoming, limit: Drain) {
    let mut read = 0usize;
    let _ = tokio::time::timeout(limit.time, async {
        while let Some(Ok(frame)) = body.frame().await {
            read += frame.data_ref().map_or(0, Bytes::len);
            if read > limit.bytes {
                break;
            }
        }
    })
    .await;
}

/// The answer lines waiting to be sent, as the stream a streamed body reads.
struct Frames(tokio::sync::mpsc::Receiver<Result<Frame<Bytes>, Infallible>>);

impl futures_core::Stream for Frames {
    type Item = Result<Frame<Bytes>, Infallible>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}
