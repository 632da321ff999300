//! Fuzz what the server checks on each sync: a batch of events as the
//! continuation of a stored log. The first input byte picks how much of a
//! real demo attempt is "stored"; the rest is the batch, as transport JSON.
//! Nothing may panic; an accepted batch must make the stored log plus the
//! batch a valid chain on its own (what a later full verification or replay
//! will check), and replaying it must not panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use vigil_exam::log::verify_continuation;
use vigil_exam::{decode_events, replay, verify, Event, Exam};

fn exam() -> &'static Exam {
    static EXAM: OnceLock<Exam> = OnceLock::new();
    EXAM.get_or_init(|| {
        Exam::from_toml(include_str!("../../../../exams/demo-short.toml")).expect("demo exam")
    })
}

fn stored() -> &'static [Event] {
    static LOG: OnceLock<Vec<Event>> = OnceLock::new();
    LOG.get_or_init(|| {
        decode_events(include_str!("../seeds/event_log_decoder/demo-attempt.json"))
            .expect("seed log")
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&k, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let Ok(batch) = decode_events(text) else {
        return;
    };
    let log = stored();
    let prefix = &log[..usize::from(k) % (log.len() + 1)];
    if verify_continuation(prefix.last(), &batch).is_ok() {
        let whole: Vec<Event> = prefix.iter().chain(&batch).cloned().collect();
        verify(&whole).expect("an accepted continuation makes a valid chain");
        let _ = replay(exam(), &whole);
    }
});
