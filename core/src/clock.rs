//! The one clock everything time-driven in core reads: due times, leases,
//! retries, expiries, purges. Production uses [`SystemClock`]; tests (and,
//! later, merchants' test clocks) substitute a clock they move by hand.

use std::sync::{
    Arc,
    atomic::{AtomicI64, Ordering},
};

/// Microseconds since the Unix epoch, the store's unit for `createdAt` and
/// `dueAt`.
pub trait Clock: Send + Sync + 'static {
    fn now_micros(&self) -> i64;
}

/// The machine's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_micros(&self) -> i64 {
        chrono::Utc::now().timestamp_micros()
    }
}

/// A clock that runs with the wall clock plus an offset the owner can
/// move forward: time keeps flowing (leases and timeouts still expire), and
/// jumping a day ahead needs no waiting.
#[derive(Debug, Clone, Default)]
pub struct OffsetClock {
    offset_micros: Arc<AtomicI64>,
}

impl OffsetClock {
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the clock forward by `micros`.
    pub fn advance(&self, micros: i64) {
        self.offset_micros.fetch_add(micros, Ordering::SeqCst);
    }
}

impl Clock for OffsetClock {
    fn now_micros(&self) -> i64 {
        SystemClock.now_micros() + self.offset_micros.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_offset_clock_jumps_ahead_and_keeps_running() {
        let clock = OffsetClock::new();
        let shared = clock.clone();
        let before = clock.now_micros();
        shared.advance(86_400_000_000);
        let after = clock.now_micros();
        assert!(after - before >= 86_400_000_000, "a clone moves the same clock");
        assert!(after - before < 86_400_000_000 + 60_000_000);
    }
}
