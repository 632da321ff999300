//! Per-key rate limits, with the `governor` crate, on the service's clock
//! (so tests drive them with the fixed clock).
//!
//! Why these keys:
//! - an authenticated candidate is known by their attempt (a runaway sync
//!   loop or a script cannot starve the others, and logging in again does
//!   not buy a fresh bucket);
//! - a candidate login by the client address *and* the identity
//!   ([`Limit::Login`]): a stranger guessing codes from one address
//!   exhausts only their own bucket, never the real candidate's at another
//!   address; the identity as a whole has a larger bucket
//!   ([`Limit::LoginIdentity`]) that bounds guessing from many addresses;
//! - logins naming no registered candidate share one budget
//!   ([`Limit::LoginUnknown`]): past it they are refused without the dummy
//!   argon2 hash, so a flood of made-up ids costs no CPU;
//! - proctor logins by address and by name ([`Limit::ProctorLogin`]);
//! - `/api/probe` (1 MiB a call) by address ([`Limit::Probe`]).
//!
//! The address is the TCP peer's (`ConnectInfo`): behind a reverse proxy it
//! is the proxy's, so every candidate shares one address bucket per
//! identity, which is still per identity. Limits are per server process:
//! behind a load balancer each instance counts its own share, which only
//! loosens them by the number of instances.
//!
//! How it is built: one governor keyed limiter per [`Limit`] (GCRA, which
//! allows exactly what a token bucket of the same burst and refill allows),
//! its state a `DashMap` from the caller's key to one 64-bit "theoretical
//! arrival time". Governor reads time from a [`governor::clock::Clock`]:
//! here [`ServiceClock`], the service's own [`Clock`] in nanoseconds, so a
//! test's `FixedClock` moves the limits too and a refill is exact. A clock
//! that goes back mints nothing (the stored arrival times stay ahead).
//!
//! Memory: a key stays in its map while its bucket is not full again. At
//! most once every [`SWEEP_EVERY_MS`] (service clock), the first check
//! after that sweeps the limiter it uses with governor's `retain_recent`
//! (every key whose state is the same as an absent key's is dropped) and
//! `shrink_to_fit`. A key used once is gone about two refill periods plus
//! [`SWEEP_EVERY_MS`] later (at most 72 s for the 6 s periods), so memory
//! follows the keys active in the last minute or so, whatever the number
//! of addresses or made-up identities that were ever seen.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};

use crate::clock::Clock;

/// A whole number above zero, checked when the constant is compiled.
const fn nonzero(n: u32) -> NonZeroU32 {
    match NonZeroU32::new(n) {
        Some(n) => n,
        None => panic!("a rate limit's number must be above zero"),
    }
}

/// Candidate API calls per attempt: a burst of 120, then 4 a second (one
/// every 250 ms). Syncing runs a request every few seconds, a media upload
/// in pieces a few dozen at once.
pub const CANDIDATE: Quota = Quota::per_second(nonzero(4)).allow_burst(nonzero(120));

/// Login tries per client address + session + candidate id: 10 at once,
/// then one every 6 s.
pub const LOGIN: Quota = Quota::per_minute(nonzero(10)).allow_burst(nonzero(10));

/// Login tries per session + candidate id from all addresses together:
/// 100 at once, then one every 6 s (a 40-bit code stays out of reach).
pub const LOGIN_IDENTITY: Quota = Quota::per_minute(nonzero(10)).allow_burst(nonzero(100));

/// Logins naming no registered candidate, all together: 50 at once, then
/// 2 a second. Each costs a dummy argon2 hash (so timing does not tell
/// which ids exist) until this budget is spent; past it they are refused
/// at once.
pub const LOGIN_UNKNOWN: Quota = Quota::per_second(nonzero(2)).allow_burst(nonzero(50));

/// Proctor login tries per client address, and per proctor name: 10 at
/// once, then one every 6 s.
pub const PROCTOR_LOGIN: Quota = Quota::per_minute(nonzero(10)).allow_burst(nonzero(10));

/// `/api/probe` calls per client address: 30 at once, then one every 2 s
/// (a system check makes a few).
pub const PROBE: Quota = Quota::per_minute(nonzero(30)).allow_burst(nonzero(30));

/// How often (service clock) a limiter's refilled keys are swept.
pub const SWEEP_EVERY_MS: i64 = 60_000;

/// Which budget a request spends; each has its own quota and its own keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// [`CANDIDATE`], keyed by attempt.
    Candidate,
    /// [`LOGIN`], keyed by address + identity.
    Login,
    /// [`LOGIN_IDENTITY`], keyed by identity.
    LoginIdentity,
    /// [`LOGIN_UNKNOWN`], one key for all.
    LoginUnknown,
    /// [`PROCTOR_LOGIN`], keyed by address, and by name.
    ProctorLogin,
    /// [`PROBE`], keyed by address.
    Probe,
}

impl Limit {
    /// Every limit, in the order of [`Limiter`]'s table.
    pub const ALL: [Limit; 6] = [
        Limit::Candidate,
        Limit::Login,
        Limit::LoginIdentity,
        Limit::LoginUnknown,
        Limit::ProctorLogin,
        Limit::Probe,
    ];

    /// The limit's quota (burst, and the time one request takes to refill).
    pub const fn quota(self) -> Quota {
        match self {
            Limit::Candidate => CANDIDATE,
            Limit::Login => LOGIN,
            Limit::LoginIdentity => LOGIN_IDENTITY,
            Limit::LoginUnknown => LOGIN_UNKNOWN,
            Limit::ProctorLogin => PROCTOR_LOGIN,
            Limit::Probe => PROBE,
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The client's address as rate limits know it: the TCP peer when the
/// server runs with connection info (`vigil-server serve`), else
/// `unknown` (tests through `oneshot`, which may insert a
/// `ConnectInfo` themselves).
pub fn client_address(extensions: &axum::http::Extensions) -> String {
    extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string())
}

/// The service's [`Clock`] as governor reads time: nanoseconds since the
/// Unix epoch. Times before the epoch count as the epoch, and times are
/// capped at [`ServiceClock::LATEST_MS`] (year 2286), so the nanoseconds
/// and governor's sums of them stay inside `u64`.
#[derive(Clone)]
pub struct ServiceClock(pub Arc<dyn Clock>);

impl ServiceClock {
    /// The latest time read: 10^13 ms (1e19 ns, below `u64::MAX` ≈ 1.8e19).
    pub const LATEST_MS: i64 = 10_000_000_000_000;

    /// Milliseconds as governor's instant.
    pub fn instant(ms: i64) -> Nanos {
        Nanos::from(ms.clamp(0, Self::LATEST_MS) as u64 * 1_000_000)
    }
}

impl governor::clock::Clock for ServiceClock {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        Self::instant(self.0.now_ms())
    }
}

type Keyed = RateLimiter<String, DashMapStateStore<String>, ServiceClock, NoOpMiddleware<Nanos>>;

struct Inner {
    clock: ServiceClock,
    /// One limiter per [`Limit`], in [`Limit::ALL`]'s order.
    limiters: Vec<Keyed>,
    /// When each limiter was last swept (service clock, ms).
    swept_at: Vec<AtomicI64>,
}

/// The limits of one server process; cheap to clone (shared).
#[derive(Clone)]
pub struct Limiter(Arc<Inner>);

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter")
            .field("keys", &self.keys())
            .finish()
    }
}

impl Limiter {
    /// The limits on `clock`: the same clock as [`crate::AppState::clock`],
    /// so every rule that depends on time reads one clock.
    pub fn new(clock: Arc<dyn Clock>) -> Limiter {
        let clock = ServiceClock(clock);
        let now = clock.0.now_ms();
        let limiters = Limit::ALL
            .iter()
            .map(|l| RateLimiter::dashmap_with_clock(l.quota(), clock.clone()))
            .collect();
        let swept_at = Limit::ALL.iter().map(|_| AtomicI64::new(now)).collect();
        Limiter(Arc::new(Inner {
            clock,
            limiters,
            swept_at,
        }))
    }

    /// Takes one request from `key`'s budget under `limit`, now (service
    /// clock): `Ok`, or `Err` with the whole seconds to wait before the
    /// next one is allowed (at least 1; sent as `Retry-After`).
    pub fn check(&self, limit: Limit, key: &str) -> Result<(), u64> {
        let Some(limiter) = self.0.limiters.get(limit.index()) else {
            return Ok(());
        };
        self.sweep_if_due(limit, limiter);
        match limiter.check_key(&key.to_owned()) {
            Ok(()) => Ok(()),
            Err(not_until) => {
                let wait = not_until.wait_time_from(governor::clock::Clock::now(&self.0.clock));
                Err(whole_seconds(wait))
            }
        }
    }

    /// Keys held, all limits together (for tests and diagnostics).
    pub fn keys(&self) -> usize {
        self.0.limiters.iter().map(RateLimiter::len).sum()
    }

    /// Sweeps `limit`'s limiter when [`SWEEP_EVERY_MS`] have passed since
    /// its last sweep; one caller does it, the others go on.
    fn sweep_if_due(&self, limit: Limit, limiter: &Keyed) {
        let Some(swept_at) = self.0.swept_at.get(limit.index()) else {
            return;
        };
        let now = self.0.clock.0.now_ms();
        let last = swept_at.load(Ordering::Relaxed);
        if now.saturating_sub(last) >= SWEEP_EVERY_MS
            && swept_at
                .compare_exchange(last, now, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
        {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

/// A wait in whole seconds, rounded up, at least 1.
fn whole_seconds(wait: Duration) -> u64 {
    let s = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    s.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;

    fn limiter_at(ms: i64) -> (Arc<FixedClock>, Limiter) {
        let clock = Arc::new(FixedClock::new(ms));
        (clock.clone(), Limiter::new(clock))
    }

    #[test]
    fn the_limits_are_the_documented_numbers() {
        let shape = |q: Quota| (q.burst_size().get(), q.replenish_interval().as_millis());
        assert_eq!(shape(CANDIDATE), (120, 250));
        assert_eq!(shape(LOGIN), (10, 6_000));
        assert_eq!(shape(LOGIN_IDENTITY), (100, 6_000));
        assert_eq!(shape(LOGIN_UNKNOWN), (50, 500));
        assert_eq!(shape(PROCTOR_LOGIN), (10, 6_000));
        assert_eq!(shape(PROBE), (30, 2_000));
        for (i, l) in Limit::ALL.iter().enumerate() {
            assert_eq!(l.index(), i);
        }
    }

    #[test]
    fn a_burst_then_the_refill_rate_on_the_fake_clock() {
        // PROBE: a burst of 30, then one every 2 s.
        let (clock, l) = limiter_at(1_800_000_000_000);
        for _ in 0..30 {
            assert_eq!(l.check(Limit::Probe, "k"), Ok(()));
        }
        assert_eq!(l.check(Limit::Probe, "k"), Err(2));
        clock.advance(1_000);
        assert_eq!(l.check(Limit::Probe, "k"), Err(1));
        clock.advance(999);
        assert_eq!(l.check(Limit::Probe, "k"), Err(1), "1 ms short");
        clock.advance(1);
        assert_eq!(l.check(Limit::Probe, "k"), Ok(()));
        assert_eq!(l.check(Limit::Probe, "k"), Err(2));
        // Another key has its own budget, and so has another limit.
        assert_eq!(l.check(Limit::Probe, "other"), Ok(()));
        assert_eq!(l.check(Limit::Login, "k"), Ok(()));
        // A long pause refills to the burst, not beyond.
        clock.advance(1_000_000);
        for _ in 0..30 {
            assert_eq!(l.check(Limit::Probe, "k"), Ok(()));
        }
        assert!(l.check(Limit::Probe, "k").is_err());
        // A clock that goes back does not mint requests.
        clock.advance(-500_000);
        assert!(l.check(Limit::Probe, "k").is_err());
    }

    #[test]
    fn retry_after_is_the_refill_time_of_one_request() {
        let (_, l) = limiter_at(0);
        for _ in 0..10 {
            assert_eq!(l.check(Limit::Login, "a"), Ok(()));
        }
        assert_eq!(l.check(Limit::Login, "a"), Err(6));
        for _ in 0..120 {
            assert_eq!(l.check(Limit::Candidate, "att"), Ok(()));
        }
        // 250 ms to wait, said as a whole second.
        assert_eq!(l.check(Limit::Candidate, "att"), Err(1));
        assert_eq!(whole_seconds(Duration::from_millis(6_000)), 6);
        assert_eq!(whole_seconds(Duration::from_millis(6_001)), 7);
        assert_eq!(whole_seconds(Duration::ZERO), 1);
    }

    #[test]
    fn refilled_keys_are_swept_and_busy_ones_kept() {
        let (clock, l) = limiter_at(1_800_000_000_000);
        for i in 0..1_000 {
            assert_eq!(l.check(Limit::Login, &format!("addr-{i}")), Ok(()));
        }
        for _ in 0..10 {
            assert_eq!(l.check(Limit::Login, "busy"), Ok(()));
        }
        assert_eq!(l.keys(), 1_001);
        // Not yet time to sweep.
        clock.advance(SWEEP_EVERY_MS - 1);
        assert_eq!(l.check(Limit::Login, "busy"), Ok(()));
        assert_eq!(l.keys(), 1_001);
        // Past the sweep interval: the keys used once have refilled long
        // ago and go; "busy" spent its burst and is still refilling.
        clock.advance(1);
        assert_eq!(l.check(Limit::Login, "new"), Ok(()));
        assert_eq!(l.keys(), 2, "busy and new are kept");
        assert!(l.check(Limit::Login, "busy").is_ok());
    }

    #[test]
    fn times_outside_the_range_do_not_overflow() {
        assert_eq!(ServiceClock::instant(-5), Nanos::from(0));
        assert_eq!(
            ServiceClock::instant(i64::MAX),
            Nanos::from(10_000_000_000_000 * 1_000_000u64)
        );
        let (clock, l) = limiter_at(i64::MAX);
        assert_eq!(l.check(Limit::Candidate, "k"), Ok(()));
        clock.set(i64::MIN);
        assert_eq!(l.check(Limit::Candidate, "k"), Ok(()));
    }
}
