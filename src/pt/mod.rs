//! Proficiency testing (能力验证): ISO 13528:2022 performance statistics, and (later) the
//! PT data exchange with partner providers.
//!
//! [`stats`] is pure arithmetic over validated numbers: no I/O, no rounding for display;
//! [`csv`] reads and writes the results table with row-numbered errors.

pub mod csv;
pub mod stats;
