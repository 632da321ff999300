//! Tests of the trusted clock model.

// Tests and benchmarks may unwrap: a panic is their failure report.
#![allow(clippy::unwrap_used)]

use vigil_exam::clock::{CLOCK_BACKWARDS_TOLERANCE_MS, CLOCK_JUMP_THRESHOLD_MS};
use vigil_exam::*;

const SERVER: i64 = 1_780_000_000_000;

#[test]
fn sync_takes_the_middle_of_the_round_trip() {
    let mut c = TrustedClock::new();
    // The device is 10 s behind the server.
    let s = c.sync(1_000, 1_200, SERVER, SERVER - 10_000 + 100);
    assert_eq!(s.rtt_ms, 200);
    assert_eq!(s.server_ms, SERVER + 100);
    assert_eq!(s.offset_ms, 10_000);
    assert_eq!(c.offset_ms(), Some(10_000));
    let r = c.read(SERVER - 10_000 + 1_100, 2_200);
    assert_eq!(r.now_ms, SERVER + 1_100);
    assert!(r.jump.is_none());
}

#[test]
fn wall_clock_set_back_gains_nothing_and_is_flagged() {
    let mut c = TrustedClock::new();
    c.sync(0, 0, SERVER, SERVER);
    let r = c.read(SERVER + 1_000, 1_000);
    assert_eq!(r.now_ms, SERVER + 1_000);
    let r = c.read(SERVER - 3_600_000, 2_000); // set back one hour
    assert_eq!(r.now_ms, SERVER + 2_000, "time follows the monotonic clock");
    assert!(r.jump.unwrap().delta_ms < -CLOCK_JUMP_THRESHOLD_MS);
    assert_eq!(r.observation().signal, Signal::Clock { tampering: true });
    let r = c.read(SERVER - 3_600_000 + 1_000, 3_000);
    assert!(r.jump.is_none(), "steady again");
    assert_eq!(r.now_ms, SERVER + 3_000);
}

#[test]
fn small_backwards_step_is_flagged_beyond_tolerance_only() {
    let mut c = TrustedClock::new();
    c.sync(0, 0, SERVER, SERVER);
    c.read(SERVER + 1_000, 1_000);
    assert!(c
        .read(SERVER + 1_000 - CLOCK_BACKWARDS_TOLERANCE_MS, 1_000)
        .jump
        .is_none());
    let mut c = TrustedClock::new();
    c.sync(0, 0, SERVER, SERVER);
    c.read(SERVER + 1_000, 1_000);
    let r = c.read(SERVER + 1_000 - CLOCK_BACKWARDS_TOLERANCE_MS - 1, 1_000);
    assert!(r.jump.is_some());
}

#[test]
fn sleep_cannot_stretch_time() {
    let mut c = TrustedClock::new();
    c.sync(0, 0, SERVER, SERVER);
    // The monotonic clock paused for 10 minutes of sleep; the wall clock did not.
    let r = c.read(SERVER + 600_000, 1_000);
    assert_eq!(r.now_ms, SERVER + 600_000);
    assert!(
        r.jump.unwrap().delta_ms > 0,
        "shown to the reviewer as a forward jump"
    );
}

#[test]
fn reload_falls_back_to_the_offset_and_never_goes_back() {
    let mut c = TrustedClock::restore(5_000);
    let r = c.read(SERVER, 50);
    assert_eq!(r.now_ms, SERVER + 5_000);
    let mut c = TrustedClock::new();
    c.sync(0, 0, SERVER, SERVER - 5_000);
    c.read(SERVER - 4_000, 1_000);
    let r = c.read(SERVER - 3_000, 10); // monotonic restarted
    assert!(r.jump.is_none());
    assert_eq!(r.now_ms, SERVER + 2_000);
    let r = c.read(SERVER - 3_500, 20);
    assert_eq!(r.now_ms, SERVER + 2_000, "never decreases");
}

#[test]
fn no_sync_uses_the_wall_clock() {
    let mut c = TrustedClock::new();
    assert_eq!(c.read(42, 0).now_ms, 42);
}
