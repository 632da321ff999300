//! `cargo xtask`: the project's commands, in Rust so they run wherever
//! cargo does (the xtask pattern). Each subcommand is one module.
//!
//! - `setup`: installs the tools the build and tests need (idempotent).
//! - `build`: builds the vision worker (`target/vision/`), the boot and the
//!   app, then writes the page into `dist/` (release).
//! - `trunk-hook`: Trunk's post-build hook (Trunk.toml), not for hands.
//! - `serve-check`: `trunk serve` beside a demo server on 8080, as the
//!   README gives it: the page, the API and a staff page through it.
//! - `worker`: only the vision worker.
//! - `demo`: builds everything and serves a fresh demo session.
//! - `test`: every check and test suite, with a one-line summary.
//! - `e2e [FILTER]`: only the end-to-end browser tests.
//! - `test-pg`: only the server's tests on a throwaway PostgreSQL cluster.
//! - `media`: the fake-camera clips for the browser tests.
//! - `size`: raw and gzip sizes of what `dist/` ships.
//! - `models`: regenerates the face models and checks them against `static/models/`.
//! - `bench <engine>`: benchmarks that print figures.
//! - `fuzz [--long | --runs N | --seconds S] [--jobs J] [TARGET…]`: the fuzz targets
//!   of `fuzz/`, each with its figures.
//! - `soak server [--kills N] [--candidates N]`: the server killed under
//!   load; nothing may be lost.
//! - `soak browser [--kills N]`: Chromium killed mid-exam; no answer shown
//!   as saved may be lost.

mod app;
mod bench;
mod build;
mod cache;
mod demo;
mod fuzz;
mod media;
mod models;
mod page;
mod postgres;
mod serve;
mod setup;
mod size;
mod soak;
mod test;
mod util;
mod worker;

use std::process::ExitCode;

const USAGE: &str =
    "usage: cargo xtask <setup|build|trunk-hook|serve-check|worker|demo|test|test-pg|e2e [FILTER]|media|size|models|bench NAME|fuzz [--long] [--jobs J] [TARGET…]|soak server [--kills N]|soak browser [--kills N]>";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup::run(),
        Some("build") => setup::run().and_then(|_| build::app()),
        Some("trunk-hook") => build::trunk_hook(),
        Some("serve-check") => setup::run()
            .and_then(|_| build::app())
            .and_then(|_| build::server_debug())
            .and_then(|server| serve::check(&server, &util::root().join("dist"))),
        Some("demo") => demo::run(),
        Some("test") => test::run(),
        Some("test-pg") => test::postgres_only(),
        Some("e2e") => test::e2e_only(args.get(1).map(String::as_str)),
        Some("media") => media::run().map(|_| ()),
        Some("size") => size::run(),
        Some("worker") => setup::run().and_then(|_| worker::build()),
        Some("models") => models::run(),
        Some("bench") => bench::run(args.get(1).map(String::as_str)),
        Some("fuzz") => setup::run().and_then(|_| fuzz::run(&args[1..])),
        Some("soak") => soak::run(&args[1..]),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
