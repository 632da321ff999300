//! `POST /api/attempt/events` end to end: the whole router
//! (`vigil_server::app`) over an in-memory SQLite database, with a started
//! attempt ([`vigil_fuzz::sync::Harness`]).
//!
//! Two kinds of input, by the first byte:
//! - even: the rest is the request body, as it is (JSON or not);
//! - odd: the rest is read as an `EventsRequest`, and its events are
//!   re-chained onto the attempt's genesis before sending (each `prev_hash`
//!   and `hash` recomputed), so that the fuzzer gets past the hash chain
//!   into the engine's replay: states, times, answers, incidents.
//!
//! The invariant: the server never answers a candidate's body with a 5xx
//! (a panic, or an error it failed to map), and never panics.
#![no_main]

use std::cell::RefCell;

use libfuzzer_sys::fuzz_target;
use vigil_api::EventsRequest;
use vigil_fuzz::sync::{rechained, Harness, FRESH_EVERY};

thread_local! {
    static HARNESS: RefCell<Option<Harness>> = const { RefCell::new(None) };
}

fuzz_target!(|data: &[u8]| {
    HARNESS.with(|h| {
        let mut h = h.borrow_mut();
        if h.as_ref().is_none_or(|h| h.sent >= FRESH_EVERY) {
            *h = Some(Harness::new());
        }
        let h = h.as_mut().expect("made above");
        vigil_fuzz::seeds_once("sync_events", || {
            let request = EventsRequest {
                from_seq: 1,
                events: h.log.clone(),
            };
            let body = serde_json::to_vec(&request).expect("events serialize");
            vec![
                ("valid-raw", [&[0u8][..], &body].concat()),
                ("valid-rechained", [&[1u8][..], &body].concat()),
            ]
        });
        let Some((&mode, rest)) = data.split_first() else {
            return;
        };
        let body = if mode & 1 == 1 {
            let Ok(request) = serde_json::from_slice::<EventsRequest>(rest) else {
                return;
            };
            let Some(request) = rechained(request, &h.genesis) else {
                return;
            };
            serde_json::to_vec(&request).expect("events serialize")
        } else {
            rest.to_vec()
        };
        h.send(body);
    });
});
