//! Fuzz the exam decoders: arbitrary bytes to `Exam::from_toml` and
//! `Exam::from_json`. They must never panic, and an accepted exam must
//! round-trip through its JSON form.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_exam::Exam;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for exam in [Exam::from_toml(text), Exam::from_json(text)]
        .into_iter()
        .flatten()
    {
        let json = exam.to_json();
        let back = Exam::from_json(&json).expect("an accepted exam decodes from its JSON");
        assert_eq!(back.to_json(), json, "stable JSON");
        let _ = exam.summary();
    }
});
