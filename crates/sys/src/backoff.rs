//! Exponential backoff: the one computation of how long to wait between attempts, shared by
//! the registry client (image) and the GitHub client (records). Waiting itself is the caller's
//! (this crate stays free of an async runtime by default).

use std::time::Duration;

/// How often and how patiently to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Attempts in total, the first included (at least 1).
    pub attempts: u32,
    /// The wait before the second attempt; it doubles after each failure.
    pub first_delay: Duration,
    /// The longest wait between two attempts.
    pub max_delay: Duration,
}

impl Default for Backoff {
    /// Four attempts, waiting 0.5 s, 1 s and 2 s between them.
    fn default() -> Self {
        Self {
            attempts: 4,
            first_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
        }
    }
}

impl Backoff {
    /// The wait after failed attempt `n` (1-based): `first_delay` doubled `n - 1` times,
    /// capped at `max_delay`.
    pub fn delay(&self, n: u32) -> Duration {
        let factor = 2u32.saturating_pow(n.saturating_sub(1));
        self.first_delay.saturating_mul(factor).min(self.max_delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap() {
        let b = Backoff::default();
        let ms: Vec<u128> = (1..=6).map(|n| b.delay(n).as_millis()).collect();
        assert_eq!(ms, [500, 1000, 2000, 4000, 8000, 8000]);
        assert_eq!(b.delay(100), b.max_delay);
    }
}
