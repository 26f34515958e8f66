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

pub mod jws;
pub mod keys;
pub mod profile;
pub mod x509;
pub mod xmldsig;

use serde::Serialize;

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
