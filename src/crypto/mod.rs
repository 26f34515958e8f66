//! Signatures and certificate paths: keys, X.509 document-signing chains, JWS (VC-JOSE).
//!
//! Every cryptographic operation goes through ring (and rustls-webpki, built on ring, for
//! path validation); x509-parser only reads certificate fields. Parsing errors (a key or
//! token that cannot be read) are kept apart from verification errors (a well-formed thing
//! that does not verify): a caller can tell "unreadable" from "not valid" from
//! "unsupported algorithm", and each maps to its own exit code and HTTP status.
//!
//! This module must never answer "valid" by default: every path that returns success has
//! checked a signature with a key that a trust decision produced.

pub mod did;
pub mod jws;
pub mod keys;
pub mod profile;
pub mod x509;
pub mod xmldsig;

use serde::Serialize;

/// Bytes as lower-case hex, two digits a byte.
pub fn lower_hex(bytes: &[u8]) -> String {
    // Every verification names its document's digest: a table, not a `format!` per byte.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        // A nibble is below 16, so `get` always finds its digit (and compiles to no check).
        let digit = |nibble: u8| DIGITS.get(usize::from(nibble)).map_or('0', |&d| d as char);
        out.push(digit(b >> 4));
        out.push(digit(b & 0x0f));
    }
    out
}

/// Encodes one PEM block with 64-character lines.
pub fn pem_block(label: &str, der: &[u8]) -> String {
    let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, der);
    let mut out = format!("-----BEGIN {label}-----\n");
    // Base64 is ASCII: every 64-byte chunk is a whole string.
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// SHA-256 of `bytes`, as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    lower_hex(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}

/// 16 random bytes as hex: an id nobody can guess (exports, recognitions, notices).
pub fn random_id() -> String {
    let mut b = [0u8; 16];
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut b);
    lower_hex(&b)
}

/// How bad a failure is, for exit codes and HTTP statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The input could not be read at all (exit 2).
    Unreadable,
    /// Well-formed, but it does not verify or a policy refuses it (exit 1).
    Invalid,
    /// An algorithm this gateway does not implement (exit 3): never "valid".
    Unsupported,
}

/// One check of a verdict: what was checked, whether it passed, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub check: &'static str,
    pub outcome: Outcome,
    pub reason: String,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Fail,
    Skipped,
}

impl Check {
    pub fn pass(check: &'static str, reason: &str, message: impl Into<String>) -> Self {
        Self { check, outcome: Outcome::Pass, reason: reason.to_string(), message: message.into() }
    }

    pub fn fail(check: &'static str, reason: &str, message: impl Into<String>) -> Self {
        Self { check, outcome: Outcome::Fail, reason: reason.to_string(), message: message.into() }
    }

    pub fn skipped(check: &'static str, reason: &str, message: impl Into<String>) -> Self {
        Self { check, outcome: Outcome::Skipped, reason: reason.to_string(), message: message.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_and_digests_have_known_answers() {
        assert_eq!(lower_hex(&[]), "");
        assert_eq!(lower_hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        // FIPS 180-2 appendix B.1.
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        let (a, b) = (random_id(), random_id());
        assert_eq!((a.len(), a.bytes().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())), (32, true));
        assert_ne!(a, b);
    }
}
