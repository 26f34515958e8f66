//! Response helpers: JSON bodies, RFC 9457 problem details with reason codes.

use super::events::Outcome;
use crate::decisions::{Class, Recorded, Refused};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Response, StatusCode, header};

/// Response bodies: whole (most routes) or streamed (batch verification).
pub type Body = http_body_util::combinators::BoxBody<Bytes, std::convert::Infallible>;

pub fn bytes(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
    let mut r = Response::new(Full::new(body.into()).boxed());
    *r.status_mut() = status;
    if let Ok(v) = header::HeaderValue::from_str(content_type) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r
}

/// JSON bodies are compact: clients read them with a parser (`jq` for people), and the
/// bytes saved are CPU saved on both ends of every TLS connection.
pub fn json(status: StatusCode, value: &serde_json::Value) -> Response<Body> {
    bytes(status, "application/json", serde_json::to_vec(value).unwrap_or_default())
}

/// An RFC 9457 problem: the status, a reason code, and what went wrong.
pub fn problem(status: StatusCode, reason: &str, detail: impl Into<String>) -> Response<Body> {
    problem_with(status, reason, detail, None)
}

fn problem_with(
    status: StatusCode,
    reason: &str,
    detail: impl Into<String>,
    receipt: Option<&crate::ledger::receipt::Receipt>,
) -> Response<Body> {
    let mut body = serde_json::json!({
        "type": format!("https://mrgate.example/problems/{reason}"),
        "title": status.canonical_reason().unwrap_or(""),
        "status": status.as_u16(),
        "reason": reason,
        "detail": detail.into(),
    });
    if let Some(r) = receipt {
        crate::formats::set_member(&mut body, "receipt", serde_json::to_value(r).unwrap_or_default());
    }
    let mut response = bytes(status, "application/problem+json", serde_json::to_vec(&body).unwrap_or_default());
    // Kept as a value too, so that the request id can be added on the way out.
    response.extensions_mut().insert(super::events::ProblemBody(body));
    response
}

/// The token of an `Authorization: Bearer …` header value (RFC 6750 §2.1): the scheme's
/// name in any case (RFC 9110 §11.1), then one or more spaces; `None` for another scheme or
/// no token.
pub fn bearer_token(authorization: &str) -> Option<&str> {
    let (scheme, token) = authorization.split_once(' ')?;
    let token = token.trim_start_matches(' ');
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// One path segment with its percent-escapes decoded (RFC 3986 §2.1), so that an identifier
/// holding `/` (allowed in certificate numbers) travels as `%2F` without splitting the path.
/// `None` for a malformed escape or bytes that are not UTF-8.
pub fn percent_decode(segment: &str) -> Option<String> {
    if !segment.contains('%') {
        return Some(segment.to_string());
    }
    let hex = |b: u8| char::from(b).to_digit(16);
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let high = bytes.get(i + 1).copied().and_then(hex)?;
            let low = bytes.get(i + 2).copied().and_then(hex)?;
            out.push((high * 16 + low) as u8);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// One path segment as [`percent_decode`] reads it back: every byte but RFC 3986's
/// unreserved characters escaped (a certificate number's `/` becomes `%2F`).
pub fn percent_encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// How much of an unwanted request rest is read and thrown away, at most.
#[derive(Debug, Clone, Copy)]
pub struct Drain {
    pub bytes: usize,
    pub time: std::time::Duration,
}

/// Reads the rest of a request that will not be used, up to `limit`, before the answer goes
/// out. Over HTTP/2 a request body dropped while the client still sends resets the stream,
/// and the reset discards the answer's frames still queued (a 413, a batch's last lines);
/// read to its end, the stream closes normally and the whole answer arrives. A client
/// sending past the limit loses that guarantee.
pub async fn drain(mut body: hyper::body::Incoming, limit: Drain) {
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

/// The status each class of refused decision answers with.
pub fn status_of(class: Class) -> StatusCode {
    match class {
        Class::Malformed => StatusCode::BAD_REQUEST,
        Class::Unauthenticated => StatusCode::UNAUTHORIZED,
        Class::Forbidden => StatusCode::FORBIDDEN,
        Class::NotFound => StatusCode::NOT_FOUND,
        Class::NotAcceptable => StatusCode::NOT_ACCEPTABLE,
        Class::Conflict => StatusCode::CONFLICT,
        Class::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        Class::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A refusal that was not recorded, as a problem.
pub fn refusal(r: &crate::decisions::Refusal) -> Response<Body> {
    problem(status_of(r.class), &r.reason, r.detail.clone())
}

/// A refused decision as a problem, with its receipt when it was recorded.
pub fn refused(r: &Refused) -> Response<Body> {
    let mut response =
        problem_with(status_of(r.refusal.class), &r.refusal.reason, r.refusal.detail.clone(), r.receipt.as_deref());
    let outcome = Outcome {
        decision: r.refusal.entry.as_ref().map(|e| format!("{}.refused", e.kind)),
        reason: Some(r.refusal.reason.clone()),
        log_index: r.receipt.as_ref().map(|r| r.index),
    };
    response.extensions_mut().insert(outcome);
    response
}

/// Tells the request's event which decision `response` answers and where it was recorded.
pub fn mark<A>(mut response: Response<Body>, recorded: &Recorded<A>) -> Response<Body> {
    response.extensions_mut().insert(Outcome {
        decision: Some(format!("{}.{}", recorded.entry.kind, recorded.entry.verdict)),
        reason: recorded.entry.reasons.first().cloned(),
        log_index: Some(recorded.receipt.index),
    });
    response
}

/// A recorded decision whose answer is a JSON object, answered with `status` and its
/// receipt; a refusal as [`refused`] answers it.
pub fn recorded_json(status: StatusCode, recorded: Result<Recorded<serde_json::Value>, Refused>) -> Response<Body> {
    match recorded {
        Ok(r) => {
            let mut body = serde_json::Value::Null;
            let r = r.map(|answer| body = answer);
            crate::formats::set_member(&mut body, "receipt", serde_json::to_value(&r.receipt).unwrap_or_default());
            mark(json(status, &body), &r)
        }
        Err(r) => refused(&r),
    }
}

/// A refused proof: a bad question (an index past the tree, sizes that do not grow) is the
/// caller's; stored entries that no longer match the tree are the gateway's own fault (500,
/// never a proof); anything else is the log or store being unavailable.
pub fn proof_status(e: &crate::ledger::durable::LogError) -> StatusCode {
    use crate::ledger::{durable::LogError, merkle::ProofError};
    match e {
        LogError::Proof(ProofError::TileMismatch { .. }) => StatusCode::INTERNAL_SERVER_ERROR,
        LogError::Proof(ProofError::TileNotHeld { .. }) => StatusCode::SERVICE_UNAVAILABLE,
        LogError::Proof(_) => StatusCode::BAD_REQUEST,
        LogError::Store(e) => status_of(crate::decisions::Refusal::store(e).class),
        _ => StatusCode::SERVICE_UNAVAILABLE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bearer_token_is_read_whatever_the_schemes_case() {
        for header in ["Bearer t0k", "bearer t0k", "BEARER  t0k"] {
            assert_eq!(bearer_token(header), Some("t0k"), "{header}");
        }
        for header in ["Basic dXNlcjpwdw==", "Bearer", "Bearer ", "Bearert0k", "", "Token t0k"] {
            assert_eq!(bearer_token(header), None, "{header}");
        }
    }

    #[test]
    fn path_segments_are_percent_decoded() {
        assert_eq!(percent_decode("A%2FB-1").as_deref(), Some("A/B-1"));
        for segment in ["A/B-1", "CNCA-R-2002-001", "dakks-cb", "a b%/é"] {
            assert_eq!(percent_decode(&percent_encode(segment)).as_deref(), Some(segment), "{segment}");
        }
        assert_eq!(percent_encode("A/B-1"), "A%2FB-1");
        assert_eq!(percent_decode("A%2fB").as_deref(), Some("A/B"));
        assert_eq!(percent_decode("%E4%B8%AD").as_deref(), Some("中"));
        assert_eq!(percent_decode("plain").as_deref(), Some("plain"));
        for bad in ["%", "%2", "%G0", "a%zz", "%FF", "%E4%B8"] {
            assert_eq!(percent_decode(bad), None, "{bad}");
        }
    }
    use crate::ledger::{durable::LogError, merkle::ProofError};
    use crate::store::StoreError;

    #[test]
    fn a_refused_proof_is_the_callers_fault_only_when_the_question_was_bad() {
        let cases = [
            (LogError::Proof(ProofError::IndexOutOfRange { index: 9, size: 3 }), StatusCode::BAD_REQUEST),
            (LogError::Proof(ProofError::BadSizes { from: 5, to: 3 }), StatusCode::BAD_REQUEST),
            (LogError::Proof(ProofError::TileMismatch { tile: 0 }), StatusCode::INTERNAL_SERVER_ERROR),
            (LogError::Proof(ProofError::TileNotHeld { tile: 0 }), StatusCode::SERVICE_UNAVAILABLE),
            (LogError::Store(StoreError::Database("disk I/O error".into())), StatusCode::SERVICE_UNAVAILABLE),
            (LogError::Unavailable("the index by hash is being built".into()), StatusCode::SERVICE_UNAVAILABLE),
        ];
        for (error, status) in cases {
            assert_eq!(proof_status(&error), status, "{error}");
        }
    }
}
