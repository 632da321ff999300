//! Per-key rate limits, with the `governor` crate, on the service's clock
//! (so tests drive them with the fixed clock).
//!
//! Why these keys (a login at the hour of the start must never be jammed,
//! docs/security.md):
//! - an authenticated candidate is known by their attempt (a runaway sync
//!   loop or a script cannot starve the others, and logging in again does
//!   not buy a fresh bucket);
//! - every login try, a candidate's or a proctor's, whatever name it
//!   gives, known or not, first takes one from its client address's
//!   budget of failed tries ([`LoginTries`]: [`LOGIN_ADDRESS_BURST`], then
//!   one per [`LOGIN_ADDRESS_EVERY_MS`]); a success gives it back. So the
//!   argon2 work one address can cause is bounded whatever ids it tries,
//!   made-up ids cost what real ones cost (no timing tells which exist),
//!   and a kiosk room behind one router is never refused for logging in;
//!   a try from an address with failures in flight or recent ("suspect")
//!   hashes behind one permit of its own ([`crate::auth::CodeHashing`]),
//!   so a flood never queues ahead of a clean login;
//! - a login by its client address *and* its name ([`Limit::Login`],
//!   [`Limit::ProctorLogin`]): a stranger guessing one person's code from
//!   one address exhausts only their own bucket, never the real person's
//!   at another address;
//! - a name across all addresses ([`Limit::LoginIdentity`],
//!   [`Limit::ProctorLoginName`]) only *slows*: once its bucket is empty, a
//!   try waits up to [`LOGIN_SLOWDOWN_MAX_MS`] before it is checked, and is
//!   never refused, so eleven addresses cannot lock the real person out;
//! - `/api/probe` (1 MiB a call) by address ([`Limit::Probe`]).
//!
//! The address is the TCP peer's (`ConnectInfo`), unless that peer is a
//! trusted reverse proxy (`--trusted-proxy CIDR`, [`Limiter::with_trusted_proxies`]):
//! then it is the right-most address of `X-Forwarded-For` that is not a
//! trusted proxy — what the outermost trusted proxy saw; whatever a client
//! writes further left is not believed. Limits are per server process:
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

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};
pub use ipnet::IpNet;

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
/// 100 at once, then one every 6 s (a 40-bit code stays out of reach);
/// past it a try is slowed, not refused.
pub const LOGIN_IDENTITY: Quota = Quota::per_minute(nonzero(10)).allow_burst(nonzero(100));

/// Proctor login tries per client address + proctor name: 10 at once, then
/// one every 6 s.
pub const PROCTOR_LOGIN: Quota = Quota::per_minute(nonzero(10)).allow_burst(nonzero(10));

/// Proctor login tries per name from all addresses together: 100 at once,
/// then one every 6 s; past it a try is slowed, not refused.
pub const PROCTOR_LOGIN_NAME: Quota = Quota::per_minute(nonzero(10)).allow_burst(nonzero(100));

/// Failed login tries per client address, candidates' and proctors'
/// together, whatever names they give: 20 at once...
pub const LOGIN_ADDRESS_BURST: u32 = 20;
/// ...then one every 3 s (a success gives its try back).
pub const LOGIN_ADDRESS_EVERY_MS: i64 = 3_000;

/// The longest a try waits when its name's bucket across addresses is
/// empty ([`Limiter::slow_down`]).
pub const LOGIN_SLOWDOWN_MAX_MS: u64 = 2_000;

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
    /// [`LOGIN_IDENTITY`], keyed by identity; slows.
    LoginIdentity,
    /// [`PROCTOR_LOGIN`], keyed by address + name.
    ProctorLogin,
    /// [`PROCTOR_LOGIN_NAME`], keyed by name; slows.
    ProctorLoginName,
    /// [`PROBE`], keyed by address.
    Probe,
}

impl Limit {
    /// Every limit, in the order of [`Limiter`]'s table.
    pub const ALL: [Limit; 6] = [
        Limit::Candidate,
        Limit::Login,
        Limit::LoginIdentity,
        Limit::ProctorLogin,
        Limit::ProctorLoginName,
        Limit::Probe,
    ];

    /// The limit's quota (burst, and the time one request takes to refill).
    pub const fn quota(self) -> Quota {
        match self {
            Limit::Candidate => CANDIDATE,
            Limit::Login => LOGIN,
            Limit::LoginIdentity => LOGIN_IDENTITY,
            Limit::ProctorLogin => PROCTOR_LOGIN,
            Limit::ProctorLoginName => PROCTOR_LOGIN_NAME,
            Limit::Probe => PROBE,
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The client address of a request: the TCP peer (`ConnectInfo`; tests
/// through `oneshot` may insert one, else `unknown`), or, when that peer is
/// a trusted proxy, the right-most `X-Forwarded-For` address that is not.
pub fn client_address(
    extensions: &axum::http::Extensions,
    headers: &axum::http::HeaderMap,
    trusted: &[IpNet],
) -> String {
    let Some(peer) = extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip())
    else {
        return "unknown".to_owned();
    };
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut client = peer;
    if is_trusted(&client) {
        let hops = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect::<Vec<_>>();
        for hop in hops.iter().rev() {
            // Unreadable: the proxy did not write it; stop at what it did.
            let Ok(ip) = hop.trim().parse::<IpAddr>() else {
                break;
            };
            client = ip;
            if !is_trusted(&ip) {
                break;
            }
        }
    }
    client.to_string()
}

/// What taking a login try from an address's budget found
/// ([`Limiter::take_login_try`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginTry {
    /// The address had tries in flight or failures not yet refilled: its
    /// hash waits behind the suspects' one permit.
    pub suspect: bool,
}

/// Every address's budget of failed login tries: a GCRA of its own, since
/// a try is taken before its hash and given back on success (governor
/// cannot give back). Per address, the "theoretical arrival time" in ms.
#[derive(Debug, Default)]
struct LoginTries {
    tat: Mutex<HashMap<String, i64>>,
    swept_at: AtomicI64,
}

impl LoginTries {
    /// The time the whole burst allows ahead of now.
    const AHEAD_MS: i64 = (LOGIN_ADDRESS_BURST as i64 - 1) * LOGIN_ADDRESS_EVERY_MS;

    fn take(&self, address: &str, now: i64) -> Result<LoginTry, u64> {
        let mut tat = self.tat.lock().unwrap_or_else(|p| p.into_inner());
        if now.saturating_sub(self.swept_at.load(Ordering::Relaxed)) >= SWEEP_EVERY_MS {
            self.swept_at.store(now, Ordering::Relaxed);
            tat.retain(|_, t| *t > now);
            tat.shrink_to_fit();
        }
        let current = tat.get(address).copied().unwrap_or(i64::MIN).max(now);
        if current - now > Self::AHEAD_MS {
            let wait_ms = current - now - Self::AHEAD_MS;
            return Err(whole_seconds(Duration::from_millis(wait_ms as u64)));
        }
        tat.insert(address.to_owned(), current + LOGIN_ADDRESS_EVERY_MS);
        Ok(LoginTry {
            suspect: current > now,
        })
    }

    fn give_back(&self, address: &str, now: i64) {
        let mut tat = self.tat.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(t) = tat.get_mut(address) {
            *t -= LOGIN_ADDRESS_EVERY_MS;
            if *t <= now {
                tat.remove(address);
            }
        }
    }
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
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    trusted_proxies: Vec<IpNet>,
    /// Failed login tries per address.
    login_tries: LoginTries,
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
            trusted_proxies: Vec::new(),
            login_tries: LoginTries {
                tat: Mutex::default(),
                swept_at: AtomicI64::new(now),
            },
            limiters,
            swept_at,
        }))
    }

    /// The same limits, fresh, believing `X-Forwarded-For` from `proxies`
    /// (`--trusted-proxy`).
    pub fn with_trusted_proxies(self, proxies: Vec<IpNet>) -> Limiter {
        let mut fresh = Limiter::new(self.0.clock.0.clone());
        if let Some(inner) = Arc::get_mut(&mut fresh.0) {
            inner.trusted_proxies = proxies;
        }
        fresh
    }

    /// The client address of a request, as every per-address limit keys it
    /// ([`client_address`] with this server's trusted proxies).
    pub fn client_address(
        &self,
        extensions: &axum::http::Extensions,
        headers: &axum::http::HeaderMap,
    ) -> String {
        client_address(extensions, headers, &self.0.trusted_proxies)
    }

    /// Takes one try from `address`'s budget of failed logins, before its
    /// hash: `Err` with the seconds to wait when it is spent. Give it back
    /// with [`Limiter::login_succeeded`].
    pub fn take_login_try(&self, address: &str) -> Result<LoginTry, u64> {
        self.0.login_tries.take(address, self.0.clock.0.now_ms())
    }

    /// A login from `address` succeeded: its try is given back.
    pub fn login_succeeded(&self, address: &str) {
        self.0
            .login_tries
            .give_back(address, self.0.clock.0.now_ms())
    }

    /// Waits while `key`'s bucket under a slowing `limit` is empty, at most
    /// [`LOGIN_SLOWDOWN_MAX_MS`]; never refuses.
    pub async fn slow_down(&self, limit: Limit, key: &str) {
        if let Err(wait_s) = self.check(limit, key) {
            let ms = (wait_s * 1000).min(LOGIN_SLOWDOWN_MAX_MS);
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
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
        assert_eq!(shape(PROCTOR_LOGIN), (10, 6_000));
        assert_eq!(shape(PROCTOR_LOGIN_NAME), (100, 6_000));
        assert_eq!((LOGIN_ADDRESS_BURST, LOGIN_ADDRESS_EVERY_MS), (20, 3_000));
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

    #[test]
    fn an_address_budget_of_failed_tries_with_successes_given_back() {
        let (clock, l) = limiter_at(1_800_000_000_000);
        assert_eq!(l.take_login_try("a"), Ok(LoginTry { suspect: false }));
        for _ in 1..LOGIN_ADDRESS_BURST {
            assert_eq!(l.take_login_try("a"), Ok(LoginTry { suspect: true }));
        }
        assert_eq!(l.take_login_try("a"), Err(3));
        assert_eq!(l.take_login_try("b"), Ok(LoginTry { suspect: false }));
        // One try refills in 3 s.
        clock.advance(LOGIN_ADDRESS_EVERY_MS);
        assert!(l.take_login_try("a").is_ok());
        assert!(l.take_login_try("a").is_err());
        // A success gives its try back; a clean address stays clean.
        l.login_succeeded("b");
        for _ in 0..100 {
            assert_eq!(l.take_login_try("b"), Ok(LoginTry { suspect: false }));
            l.login_succeeded("b");
        }
        // Refilled addresses are swept.
        clock.advance(SWEEP_EVERY_MS + LOGIN_ADDRESS_EVERY_MS * LOGIN_ADDRESS_BURST as i64);
        assert!(l.take_login_try("c").is_ok());
        assert_eq!(l.0.login_tries.tat.lock().unwrap().len(), 1);
    }

    #[test]
    fn the_client_address_is_the_peer_unless_the_peer_is_a_trusted_proxy() {
        use axum::extract::ConnectInfo;
        use axum::http::{Extensions, HeaderMap};
        let request = |peer: &str, xff: &[&str]| {
            let mut ext = Extensions::new();
            let ip: IpAddr = peer.parse().unwrap();
            ext.insert(ConnectInfo(std::net::SocketAddr::new(ip, 5000)));
            let mut headers = HeaderMap::new();
            for v in xff {
                headers.append("x-forwarded-for", v.parse().unwrap());
            }
            (ext, headers)
        };
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()];
        let of = |peer, xff: &[&str]| {
            let (e, h) = request(peer, xff);
            client_address(&e, &h, &trusted)
        };
        // Not a proxy: the header is the client's own words.
        assert_eq!(of("192.0.2.1", &["198.51.100.1"]), "192.0.2.1");
        // A trusted proxy: the right-most untrusted hop, over several
        // headers and proxies; a forged left part is skipped.
        assert_eq!(of("10.0.0.1", &["6.6.6.6, 198.51.100.1"]), "198.51.100.1");
        assert_eq!(
            of("10.0.0.1", &["6.6.6.6", "198.51.100.1, 10.0.0.2"]),
            "198.51.100.1"
        );
        assert_eq!(of("::1", &["2001:db8::5"]), "2001:db8::5");
        // No header, or garbage where the proxy should have written: the
        // last address the proxies vouch for.
        assert_eq!(of("10.0.0.1", &[]), "10.0.0.1");
        assert_eq!(of("10.0.0.1", &["198.51.100.1, nonsense"]), "10.0.0.1");
        assert_eq!(of("10.0.0.1", &["10.0.0.3"]), "10.0.0.3");
        // Without connection info (tests through oneshot).
        assert_eq!(
            client_address(&Extensions::new(), &HeaderMap::new(), &trusted),
            "unknown"
        );
    }
}
