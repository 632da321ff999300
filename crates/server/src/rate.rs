//! Per-key rate limits: token buckets in memory, on the service's clock
//! (so tests drive it with the fixed clock).
//!
//! Why these keys:
//! - an authenticated candidate is known by their attempt (a runaway sync
//!   loop or a script cannot starve the others, and logging in again does
//!   not buy a fresh bucket);
//! - a candidate login by the client address *and* the identity
//!   ([`LOGIN`]): a stranger guessing codes from one address exhausts only
//!   their own bucket, never the real candidate's at another address; the
//!   identity as a whole has a larger bucket ([`LOGIN_IDENTITY`]) that
//!   bounds guessing from many addresses;
//! - logins naming no registered candidate share one budget
//!   ([`LOGIN_UNKNOWN`]): past it they are refused without the dummy
//!   argon2 hash, so a flood of made-up ids costs no CPU;
//! - proctor logins by address and by name ([`PROCTOR_LOGIN`]);
//! - `/api/probe` (1 MiB a call) by address ([`PROBE`]).
//!
//! The address is the TCP peer's (`ConnectInfo`): behind a reverse proxy it
//! is the proxy's, so every candidate shares one address bucket per
//! identity, which is still per identity. Limits are per server process:
//! behind a load balancer each instance counts its own share, which only
//! loosens them by the number of instances. Buckets idle long enough to be
//! full again are dropped, so memory follows the active clients.

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

/// Login tries per client address + session + candidate id: 10 at once,
/// then one every 6 s.
pub const LOGIN: Rate = Rate {
    burst: 10.0,
    per_second: 1.0 / 6.0,
};

/// Login tries per session + candidate id from all addresses together:
/// 100 at once, then one every 6 s (a 40-bit code stays out of reach).
pub const LOGIN_IDENTITY: Rate = Rate {
    burst: 100.0,
    per_second: 1.0 / 6.0,
};

/// Logins naming no registered candidate, all together: each costs a
/// dummy argon2 hash (so timing does not tell which ids exist) until this
/// budget is spent; past it they are refused at once.
pub const LOGIN_UNKNOWN: Rate = Rate {
    burst: 50.0,
    per_second: 2.0,
};

/// Proctor login tries per client address, and per proctor name.
pub const PROCTOR_LOGIN: Rate = Rate {
    burst: 10.0,
    per_second: 1.0 / 6.0,
};

/// `/api/probe` calls per client address: a system check makes a few.
pub const PROBE: Rate = Rate {
    burst: 30.0,
    per_second: 0.5,
};

/// The client's address as rate limits know it: the TCP peer when the
/// server runs with connection info (`vigil-server serve`), else
/// `unknown` (tests through `oneshot`, which may insert a
/// `ConnectInfo` themselves).
pub fn client_address(extensions: &axum::http::Extensions) -> String {
    extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string())
}

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
        // A poisoned lock only means a panic elsewhere mid-update: the
        // buckets are still usable numbers.
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
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
