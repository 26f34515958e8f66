//! Proficiency testing (能力验证): ISO 13528:2022 performance statistics, and the PT data
//! exchange with partner providers.
//!
//! [`stats`] is pure arithmetic over validated numbers: no I/O, no rounding for display;
//! [`csv`] reads and writes results tables with row-numbered errors; [`exchange`] reads and
//! writes the round, submission and report documents and evaluates a closed round.

pub mod csv;
pub mod exchange;
pub mod stats;
