//! mrgate — an international mutual-recognition gateway for quality certification.
//!
//! The library holds every operation; the `mrgate` binary and the tests call it directly.
//! The modules below are in layer order: each depends only on those listed before it.
//! Readers (`xml`, `formats`, `crypto`, `trust`, `pt`) decide nothing; `recognition`
//! decides over what they read; `decisions` holds every decision the gateway makes and the
//! one recorder of the log; `server` and `cli` are shells over them that hold no rule.

#![deny(clippy::indexing_slicing, clippy::string_slice, clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(
    test,
    allow(clippy::indexing_slicing, clippy::string_slice, clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

// Every layer may name a reason code, and tell the time of a decision.
pub mod reason;
// (the clock)
pub mod clock;
pub mod files;
// Bounded XML, then identifiers, standards and the canonical certificate.
pub mod xml;
// (identifiers)
pub mod ids;
// (the standards notation and equivalence table)
pub mod standards;
// (the certificate model)
pub mod model;
// (status notices and the rules by which they apply)
pub mod notice;
// (W3C Bitstring Status Lists: slots, bits and list versions)
pub mod status_list;
// Bytes to and from the model; keys, paths and signatures.
pub mod formats;
// (cryptography)
pub mod crypto;
// The signed trust list; proficiency-testing statistics and documents.
pub mod trust;
// (proficiency testing)
pub mod pt;
// The recognition decision; the store; the log.
pub mod recognition;
// (the store)
pub mod store;
// (the transparency log)
pub mod ledger;
pub mod witness;
// Every decision, and the one recorder of the log.
pub mod decisions;
// (the audit: the log read again and its decisions made again)
pub mod audit;
// Shells: test and demo PKIs, the HTTPS gateway, the command line.
pub mod pki;
// (the gateway)
pub mod server;
// (the command line)
pub mod cli;
