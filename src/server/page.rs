//! The verification page for people at `/`: plain HTML, CSS and JavaScript, embedded in the
//! binary so that the gateway serves it with no build step and no CDN.
//!
//! The page only calls the public API (`/v1/certificates`, `/v1/verify/public`, `/v1/log`);
//! it must never need a client certificate, and this module must never serve anything
//! but these fixed files.

use super::http::{Body, bytes, problem};
use hyper::{Response, StatusCode, header};

const INDEX: &str = include_str!("page/index.html");
const SCRIPT: &str = include_str!("page/app.js");
const STYLE: &str = include_str!("page/app.css");

/// The page's own files only: scripts from this origin, no inline code, no framing.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
                      img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

fn page_file(content_type: &str, body: &'static str) -> Response<Body> {
    let mut r = bytes(StatusCode::OK, content_type, body);
    let h = r.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, header::HeaderValue::from_static(POLICY));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, header::HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, header::HeaderValue::from_static("no-referrer"));
    h.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-cache"));
    r
}

pub fn index() -> Response<Body> {
    page_file("text/html; charset=utf-8", INDEX)
}

pub fn asset(name: &str) -> Response<Body> {
    match name {
        "app.js" => page_file("text/javascript; charset=utf-8", SCRIPT),
        "app.css" => page_file("text/css; charset=utf-8", STYLE),
        _ => problem(StatusCode::NOT_FOUND, "http.not_found", format!("no page file {name}")),
    }
}
