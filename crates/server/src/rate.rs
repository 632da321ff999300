//! Per-key rate limits: a token bucket per candidate token and per login
//! identity, in memory, on the service's clock (so tests drive it with the
//! fixed clock).
//!
//! Why these keys: an authenticated candidate is known by the hash of the
//! token (a runaway sync loop or a script cannot starve the others), and a
//! login by session + candidate id (guessing an access code is slowed to a
//! handful of tries a minute, whatever the address it comes from). Limits
//! are per server process: behind a load balancer each instance counts its
//! own share, which only loosens them by the number of instances. Buckets
//! idle long enough to be full again are dropped, so memory follows the
//! active candidates.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A bucket's shape: `burst` requests at once, refilled at `per_second`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub burst: f64,
    pub per_second: f64,
}

/// Candidate API calls per token: syncing runs a request every few
/// seconds, a media upload in pieces a few dozen at once.
pub const CANDIDATE: Rate = Rate {
    burst: 120.0,
    per_second: 4.0,
};

/// Login tries per session + candidate id: 10 at once, then one every 6 s.
pub const LOGIN: Rate = Rate {
    burst: 10.0,
    per_second: 1.0 / 6.0,
};

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at_ms: i64,
}

/// The buckets; cheap to clone (shared).
#[derive(Debug, Clone, Default)]
pub struct Limiter {
    buckets: Arc<Mutex<HashMap<String, Bucket>>>,
}

/// Most buckets kept before idle ones are swept.
const SWEEP_ABOVE: usize = 100_000;

impl Limiter {
    /// Takes one request from `key`'s bucket at `now_ms`: `Ok`, or `Err`
    /// with the seconds to wait before the next one is allowed.
    pub fn check(&self, key: &str, rate: Rate, now_ms: i64) -> Result<(), u64> {
        let mut buckets = self.buckets.lock().expect("rate buckets");
        if buckets.len() > SWEEP_ABOVE {
            buckets.retain(|_, b| {
                let idle_s = (now_ms - b.at_ms).max(0) as f64 / 1000.0;
                b.tokens + idle_s * rate.per_second < rate.burst
            });
        }
        let b = buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: rate.burst,
            at_ms: now_ms,
        });
        let elapsed_s = (now_ms - b.at_ms).max(0) as f64 / 1000.0;
        b.tokens = (b.tokens + elapsed_s * rate.per_second).min(rate.burst);
        b.at_ms = b.at_ms.max(now_ms);
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - b.tokens) / rate.per_second).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const R: Rate = Rate {
        burst: 3.0,
        per_second: 0.5,
    };

    #[test]
    fn a_burst_then_the_refill_rate() {
        let l = Limiter::default();
        for _ in 0..3 {
            assert_eq!(l.check("k", R, 0), Ok(()));
        }
        assert_eq!(l.check("k", R, 0), Err(2));
        assert_eq!(l.check("k", R, 1_000), Err(1));
        assert_eq!(l.check("k", R, 2_000), Ok(()));
        assert_eq!(l.check("k", R, 2_000), Err(2));
        // Another key has its own bucket.
        assert_eq!(l.check("other", R, 2_000), Ok(()));
        // A long pause refills to the burst, not beyond.
        for _ in 0..3 {
            assert_eq!(l.check("k", R, 1_000_000), Ok(()));
        }
        assert!(l.check("k", R, 1_000_000).is_err());
        // A clock that goes back does not mint tokens.
        assert!(l.check("k", R, 500_000).is_err());
    }
}
