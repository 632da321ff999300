//! Fuzz the event-log decoder: arbitrary bytes to `decode_events`, then
//! `verify`, `replay` and `score` on whatever decodes. Nothing may panic, and
//! a decoded log must re-encode to a log that decodes equal.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use vigil_exam::{decode_events, encode_events, replay, score, verify, Exam};

fn exam() -> &'static Exam {
    static EXAM: OnceLock<Exam> = OnceLock::new();
    EXAM.get_or_init(|| {
        Exam::from_toml(include_str!("../../../../exams/demo-short.toml")).expect("demo exam")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(events) = decode_events(text) else {
        return;
    };
    let again = decode_events(&encode_events(&events)).expect("re-encoded log decodes");
    assert_eq!(again, events);
    let _ = verify(&events);
    if let Ok(state) = replay(exam(), &events) {
        let _ = score(exam(), &state);
    }
});
