//! Operational events: one structured `tracing` event per request (request id, route,
//! caller, decision and reason code, status, latency, the log index it was recorded at),
//! as text or JSON lines on stderr, filtered by `MRGATE_LOG` (`tracing-subscriber`'s
//! `EnvFilter` syntax; `info` when unset). The request id goes back to the caller in the
//! `x-request-id` header and in every problem body, so a support call can find the event.
//!
//! An event must never carry a document's contents, a token, a key or a certificate: only
//! names, codes, numbers and the caller's logged identity.

use super::http::Body;
use http_body_util::{BodyExt, Full};
use hyper::Response;
use serde::Deserialize;
use std::sync::atomic::{AtomicU64, Ordering};

/// How events are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// One human-readable line per event.
    #[default]
    Text,
    /// One JSON object per line, for a log collector.
    Json,
}

/// The environment variable holding the level filter.
pub const FILTER_VARIABLE: &str = "MRGATE_LOG";

/// Installs the process's event subscriber (once; later calls change nothing). Returns
/// an error for a filter in `MRGATE_LOG` that does not parse.
pub fn install(format: Format) -> Result<(), String> {
    let filter = match std::env::var(FILTER_VARIABLE) {
        Ok(f) => tracing_subscriber::EnvFilter::try_new(&f).map_err(|e| format!("{FILTER_VARIABLE}={f:?}: {e}"))?,
        Err(_) => tracing_subscriber::EnvFilter::new("info"),
    };
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    // Already installed (a second gateway in one process, a test): keep the first.
    let _ = match format {
        Format::Text => builder.try_init(),
        Format::Json => builder.json().flatten_event(true).try_init(),
    };
    Ok(())
}

/// A request id: unique within this process's life and, by its random prefix, across the
/// gateway's nodes and restarts. Cheap: no system call per request.
pub fn request_id() -> String {
    static PREFIX: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let id = crate::crypto::random_id();
        id.get(..8).unwrap_or("00000000").to_string()
    });
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("{}-{:x}", *PREFIX, NEXT.fetch_add(1, Ordering::Relaxed))
}

/// What a handler tells the request's event about its answer, as a response extension.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The decision, as `<kind>.<verdict>` (`export.exported`, `recognition.invalid`).
    pub decision: Option<String>,
    /// The reason code: a refusal's, or a verdict's first unmet reason.
    pub reason: Option<String>,
    /// The log index the decision (or refusal) was recorded at.
    pub log_index: Option<u64>,
}

/// A problem body on its way out, kept as a value until the request id is added to it.
#[derive(Debug, Clone)]
pub struct ProblemBody(pub serde_json::Value);

/// The caller as the request's event names it.
#[derive(Debug, Clone)]
pub struct Actor(pub String);

/// Marks `response` with the request id (header, and member `request_id` of a problem
/// body) and emits the request's event.
pub fn finish(
    response: &mut Response<Body>,
    id: &str,
    method: &hyper::Method,
    route: &str,
    actor: &str,
    latency: std::time::Duration,
) {
    if let Ok(v) = hyper::header::HeaderValue::from_str(id) {
        response.headers_mut().insert("x-request-id", v);
    }
    if let Some(ProblemBody(mut body)) = response.extensions_mut().remove::<ProblemBody>() {
        crate::formats::set_member(&mut body, "request_id", serde_json::json!(id));
        *response.body_mut() = Full::new(bytes::Bytes::from(serde_json::to_vec(&body).unwrap_or_default())).boxed();
        let reason = body.get("reason").and_then(|r| r.as_str()).map(str::to_string);
        let outcome = response.extensions_mut().get_or_insert_default::<Outcome>();
        if outcome.reason.is_none() {
            outcome.reason = reason;
        }
    }
    let outcome = response.extensions().get::<Outcome>().cloned().unwrap_or_default();
    tracing::info!(
        target: "mrgate::request",
        request_id = id,
        method = method.as_str(),
        route,
        caller = actor,
        status = response.status().as_u16(),
        latency_us = latency.as_micros() as u64,
        decision = outcome.decision.as_deref(),
        reason = outcome.reason.as_deref(),
        log_index = outcome.log_index,
    );
}
