//! Witnessing: a witness (c2sp.org/tlog-witness) keeps, for each log it watches, the latest
//! checkpoint it cosigned, and cosigns a new one only once a consistency proof shows that it
//! extends it — so a log that shows two histories to two parties is caught by any witness
//! both of them rely on. `mrgate witness serve` runs one: what a partner body runs to watch
//! this gateway's log, and what this gateway's operator runs for partner gateways' logs.
//!
//! [`request`] reads and writes the protocol's request form; [`config`] is a witness's
//! configuration file; [`key`] its Ed25519 key; [`state`] what it remembers, in SQLite;
//! [`cosigner`] checks requests and cosigns; [`serve`] answers them over HTTPS.
//!
//! This module never decides what a log appends, and a witness never cosigns a checkpoint it
//! has not checked against the one before.

pub mod config;
pub mod cosigner;
pub mod key;
pub mod request;
pub mod serve;
pub mod state;
