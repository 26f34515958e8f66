//! mrgate — an international mutual-recognition gateway for quality certification.
//!
//! The library holds every operation; the `mrgate` binary and the tests call it directly.
//! Modules depend only on those listed before them here.

#![deny(clippy::indexing_slicing, clippy::string_slice, clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(
    test,
    allow(clippy::indexing_slicing, clippy::string_slice, clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

// Every layer may name a reason code, so their one list comes first.
pub mod reason;

pub mod cli;
pub mod clock;
pub mod crypto;
pub mod decisions;
pub mod formats;
pub mod ids;
pub mod ledger;
pub mod model;
pub mod notice;
pub mod pki;
pub mod pt;
pub mod recognition;
pub mod server;
pub mod standards;
pub mod store;
pub mod trust;
pub mod xml;
