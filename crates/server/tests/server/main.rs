//! The server's integration tests, in one test binary: each module below
//! was its own binary once, and each linked the whole server — thirteen
//! copies of it on disk and thirteen links per build. One binary links
//! once; `cargo test -p vigil-server MODULE::` still runs one part.

// Tests and benchmarks may unwrap: a panic is their failure report.
#![allow(clippy::unwrap_used)]

mod common;

mod accommodations;
mod adversarial;
mod api;
mod cli;
mod copies;
mod failures;
mod kiosk;
mod listen;
mod mail;
mod media;
mod openapi;
mod ops;
mod order;
mod precheck;
mod purge;
mod results;
mod review;
mod review_dossier;
mod roster;
mod s3;
mod sanctions;
mod start;
mod start_hour;
mod storage;
mod sync;
mod time_zones;
