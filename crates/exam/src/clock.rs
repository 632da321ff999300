//! The trusted clock: server time, carried forward by the monotonic clock.
//!
//! The device's wall clock (`Date.now()`) can be set by the candidate; the
//! monotonic clock (`performance.now()`) cannot, but may pause while the
//! machine sleeps and restarts at 0 on a reload. So:
//!
//! - at each sync point the app measures the server's time (`GET /api/time`)
//!   and calls [`TrustedClock::sync`] with the monotonic readings around the
//!   request; the server's time is taken at the middle of the round trip;
//! - [`TrustedClock::read`] gives `now = max(server anchor + monotonic
//!   elapsed, wall + last offset, previous now)`: setting the wall clock back
//!   gains nothing, a paused monotonic clock (sleep) cannot stretch time, and
//!   the result never decreases;
//! - each reading compares the wall clock's progress with the monotonic
//!   clock's since the previous reading. A difference beyond
//!   [`CLOCK_JUMP_THRESHOLD_MS`] (either way), or the wall clock going back by
//!   more than [`CLOCK_BACKWARDS_TOLERANCE_MS`], is a [`ClockJump`], reported
//!   to the proctoring rules as a `clock_tampering` observation. A machine
//!   that slept shows as a forward jump: the reviewer sees it.
//! - a monotonic reading below the previous one means the page reloaded: the
//!   anchor is dropped until the next sync and `wall + offset` is used
//!   (restore the offset with [`TrustedClock::restore`] after a reload).

use serde::{Deserialize, Serialize};

use crate::proctoring::{Observation, Signal};

/// Wall vs monotonic progress difference that counts as a jump, in ms.
pub const CLOCK_JUMP_THRESHOLD_MS: i64 = 2_000;
/// Wall clock going back by more than this is tampering, in ms.
pub const CLOCK_BACKWARDS_TOLERANCE_MS: i64 = 100;

/// A wall-clock jump: `delta_ms` > 0 forward, < 0 backward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockJump {
    pub delta_ms: i64,
}

/// One reading of the trusted clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockReading {
    /// Trusted time, ms since the Unix epoch.
    pub now_ms: i64,
    pub jump: Option<ClockJump>,
}

impl ClockReading {
    /// The observation for the [`crate::Proctor`].
    pub fn observation(&self) -> Observation {
        Observation::new(
            self.now_ms,
            Signal::Clock {
                tampering: self.jump.is_some(),
            },
        )
    }
}

/// Result of a sync point, to record as a `clock_sync` event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockSync {
    /// Estimated server time at the moment of reception.
    pub server_ms: i64,
    /// Server time minus the device's wall clock.
    pub offset_ms: i64,
    pub rtt_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Anchor {
    server_ms: i64,
    mono_ms: i64,
}

/// The trusted clock model. Pure: readings are passed in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedClock {
    anchor: Option<Anchor>,
    offset_ms: Option<i64>,
    last: Option<(i64, i64)>,
    last_now: Option<i64>,
}

impl TrustedClock {
    pub fn new() -> Self {
        TrustedClock::default()
    }

    /// After a reload: trust `wall + offset_ms` until the next sync.
    pub fn restore(offset_ms: i64) -> Self {
        TrustedClock {
            offset_ms: Some(offset_ms),
            ..TrustedClock::default()
        }
    }

    /// Server minus wall offset of the last sync, if any.
    pub fn offset_ms(&self) -> Option<i64> {
        self.offset_ms
    }

    /// A sync point: the request left at `sent_mono_ms`, the answer
    /// (`server_ms`) arrived at `received_mono_ms`, when the wall clock read
    /// `wall_ms`.
    pub fn sync(
        &mut self,
        sent_mono_ms: i64,
        received_mono_ms: i64,
        server_ms: i64,
        wall_ms: i64,
    ) -> ClockSync {
        let rtt = received_mono_ms.saturating_sub(sent_mono_ms).max(0);
        let server_now = server_ms.saturating_add(rtt / 2);
        self.anchor = Some(Anchor {
            server_ms: server_now,
            mono_ms: received_mono_ms,
        });
        let offset = server_now.saturating_sub(wall_ms);
        self.offset_ms = Some(offset);
        self.last = Some((wall_ms, received_mono_ms));
        ClockSync {
            server_ms: server_now,
            offset_ms: offset,
            rtt_ms: rtt,
        }
    }

    /// Read the trusted time from the current wall and monotonic readings.
    pub fn read(&mut self, wall_ms: i64, mono_ms: i64) -> ClockReading {
        let mut jump = None;
        if let Some((last_wall, last_mono)) = self.last {
            if mono_ms < last_mono {
                self.anchor = None; // reload: monotonic clock restarted
            } else {
                let expected = last_wall.saturating_add(mono_ms - last_mono);
                let delta = wall_ms.saturating_sub(expected);
                let backwards = wall_ms < last_wall.saturating_sub(CLOCK_BACKWARDS_TOLERANCE_MS);
                if delta.abs() > CLOCK_JUMP_THRESHOLD_MS || backwards {
                    jump = Some(ClockJump { delta_ms: delta });
                }
            }
        }
        self.last = Some((wall_ms, mono_ms));
        let by_anchor = self
            .anchor
            .map(|a| a.server_ms.saturating_add(mono_ms - a.mono_ms));
        let by_wall = wall_ms.saturating_add(self.offset_ms.unwrap_or(0));
        let now = [by_anchor, Some(by_wall), self.last_now]
            .into_iter()
            .flatten()
            .max();
        let now_ms = now.unwrap_or(by_wall);
        self.last_now = Some(now_ms);
        ClockReading { now_ms, jump }
    }
}
