//! How long to wait before reconnecting: exponential, capped, jittered.
//!
//! Jitter keeps many clients (or many accounts of one client) that lost the network at the same
//! moment from all coming back in the same second; the cap keeps a long outage from turning
//! into hour-long waits once the network is back.

use std::time::Duration;

/// Reconnect delays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Delay before the first retry (before jitter).
    pub base: Duration,
    /// Longest delay.
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self { base: Duration::from_secs(2), cap: Duration::from_secs(5 * 60) }
    }
}

impl Backoff {
    /// The delay before retry number `attempt` (0 for the first), with `jitter` in `[0, 1)`:
    /// between half and all of `min(cap, base · 2^attempt)` ("equal jitter").
    pub fn delay(&self, attempt: u32, jitter: f64) -> Duration {
        let factor = 2u32.saturating_pow(attempt.min(30));
        let full = self.base.saturating_mul(factor).min(self.cap);
        let jitter = jitter.clamp(0.0, 1.0);
        full.mul_f64(0.5 + jitter / 2.0)
    }

    /// [`Self::delay`] with a random jitter.
    pub fn next(&self, attempt: u32) -> Duration {
        self.delay(attempt, fastrand::f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_are_capped_and_jittered() {
        let b = Backoff { base: Duration::from_secs(2), cap: Duration::from_secs(60) };
        let table = [
            (0, 0.0, 1_000),
            (0, 0.999_999, 2_000),
            (1, 0.0, 2_000),
            (3, 1.0, 16_000),
            (5, 0.0, 30_000),
            (5, 1.0, 60_000),
            (6, 1.0, 60_000),
            (40, 0.5, 45_000),
            (u32::MAX, 0.0, 30_000),
        ];
        for (attempt, jitter, millis) in table {
            let got = b.delay(attempt, jitter).as_millis();
            assert!(
                got.abs_diff(millis) <= 1,
                "attempt {attempt}, jitter {jitter}: {got} ms, expected {millis}"
            );
        }
        for attempt in 0..10 {
            let d = b.next(attempt);
            assert!(d <= b.cap && d >= b.delay(attempt, 0.0), "{attempt}: {d:?}");
        }
    }
}
