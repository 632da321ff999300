//! The end-to-end tests, in one test binary: the real server and the built
//! app driven in headless Chromium. One binary rather than one per module:
//! each linked the browser driver and the runtime again, ten copies on disk.
//! `cargo xtask e2e MODULE::` runs one part; `bench_app` is `#[ignore]`d and
//! run by `cargo xtask bench app`.

// Tests and benchmarks may unwrap: a panic is their failure report.
#![allow(clippy::unwrap_used)]

mod accessibility;
mod accommodations;
mod bench_app;
mod bench_vision;
mod boot;
mod copy;
mod exam;
mod face;
mod flow;
mod identity;
mod kiosk;
mod lockdown;
mod login;
mod media;
mod offline;
mod organiser;
mod problems;
mod reload;
mod soak;
mod storage;
mod time;
mod worker_build;
