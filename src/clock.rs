//! What time it is, for every decision: the gateway asks its [`Clock`], never the wall clock
//! directly, so that a test can set the time (a PT deadline passed, a trust list past its
//! NextUpdate) instead of sleeping until it comes.

use std::sync::Mutex;
use time::OffsetDateTime;

/// Tells the time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> OffsetDateTime;
}

/// The system's clock: what a running gateway uses.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that tells the system's time moved by an offset the owner sets: a test moves the
/// gateway past a deadline without waiting for it, and time still goes on.
#[derive(Debug, Default)]
pub struct OffsetClock {
    offset: Mutex<time::Duration>,
}

impl OffsetClock {
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the clock on by `by` (backwards for a negative duration).
    pub fn advance(&self, by: time::Duration) {
        let mut offset = self.offset.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *offset += by;
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> OffsetDateTime {
        let offset = *self.offset.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        OffsetDateTime::now_utc() + offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_offset_clock_moves_when_told_and_with_time() {
        let clock = OffsetClock::new();
        let before = clock.now();
        clock.advance(time::Duration::hours(2));
        let after = clock.now();
        assert!(after - before >= time::Duration::hours(2), "{before} → {after}");
        assert!(after - before < time::Duration::hours(2) + time::Duration::minutes(1));
    }
}
