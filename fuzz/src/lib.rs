//! vigil-fuzz: the fuzz targets of every parser that reads outside input.
//!
//! Each target in `targets/` is a libFuzzer binary (`libfuzzer-sys`), built
//! and run by `cargo xtask fuzz` with the coverage instrumentation libFuzzer
//! needs, on stable Rust (`-C passes=sancov-module`: no nightly, no
//! sanitizer runtime). The inputs are what a hostile candidate, a broken
//! spreadsheet or a local program can hand Vigil:
//!
//! | target | what it reads | who writes that input |
//! | --- | --- | --- |
//! | `roster_csv` | the roster import (`vigil_server::roster::parse`) | an organiser's spreadsheet |
//! | `content_range` | a media upload's `Content-Range` | the candidate's browser |
//! | `exam_package` | opening an exam package (`vigil_api::package::open`) | the server, or whoever sits between |
//! | `kiosk_config` | the kiosk's TOML configuration and config key, the server's config-key header | an organiser; the candidate's browser |
//! | `kiosk_link` | the link fragment in the app, the launcher's loopback routes | any page or local program |
//! | `vision_message` | a vision worker request and its frame | the page (any script in it) |
//! | `sync_events` | `POST /api/attempt/events` through the whole router, on in-memory SQLite | the candidate's browser |
//!
//! A target fails (libFuzzer stops with a crash file) on a panic, or when an
//! invariant it states is broken (a parsed range past its total, a 5xx
//! answer to a candidate's body). A crash found becomes a regression test
//! beside the code it broke. The figures (executions per target) are in
//! `docs/reliability.md`.
//!
//! **Seeds.** Each target starts from inputs made by the project's own code
//! (the demo exams, a roster in both column sets, a valid attempt's log),
//! never from stale files: run with `VIGIL_FUZZ_SEEDS=DIR`, a target writes
//! its seeds into `DIR` on its first input ([`seeds_once`]), and `cargo
//! xtask fuzz` does that before each run.
//!
//! This library holds what the targets share: [`sync`] (the server
//! harness), the seeds, and small readers of the input.

pub mod sync;

use std::sync::Once;

/// The input as text, when it is UTF-8 (what every text parser receives:
/// the callers read files and headers as `str` and refuse the rest before
/// parsing).
pub fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// The input cut in two at its first NUL byte (a structured input of two
/// parts: a path and a body, a kind and a message). Without a NUL, the
/// second part is empty.
pub fn split(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[]),
    }
}

/// With `VIGIL_FUZZ_SEEDS=DIR` set, writes the seeds `make` returns into
/// `DIR` (once per process, before the first input is tried).
pub fn seeds_once(target: &str, make: impl FnOnce() -> Vec<(&'static str, Vec<u8>)>) {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let Ok(dir) = std::env::var("VIGIL_FUZZ_SEEDS") else {
            return;
        };
        let dir = std::path::Path::new(&dir);
        for (name, bytes) in make() {
            let path = dir.join(format!("{target}-{name}"));
            if let Err(e) = std::fs::write(&path, bytes) {
                panic!("{}: {e}", path.display());
            }
        }
    });
}

/// The demo exams of `exams/`, as TOML.
pub const EXAMS: [&str; 2] = [
    include_str!("../../exams/demo-short.toml"),
    include_str!("../../exams/tage-post-bac-practice.toml"),
];
