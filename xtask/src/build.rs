//! `cargo xtask build`: the web app in release into `dist/`: the vision
//! worker (xtask/src/worker.rs), the boot and the app (xtask/src/app.rs),
//! then the page that names them (xtask/src/page.rs), with the tools
//! `setup` installed (wasm-bindgen, wasm-opt).

use anyhow::Result;

use crate::util;

/// The packages of the native test step: all but the end-to-end tests, which
/// need a built app and a browser. Every native build that can should select
/// the same packages, for the reason given at [`server_debug`].
pub(crate) const NATIVE: [&str; 3] = ["--workspace", "--exclude", "vigil-e2e"];

pub(crate) fn app() -> Result<()> {
    app_with(&[], &util::root().join("dist"))
}

/// The web app built with `features` (the benchmark's `bench`) into
/// `dist`: the vision worker, the boot and the app, then the page.
pub(crate) fn app_with(features: &[&str], dist: &std::path::Path) -> Result<()> {
    crate::worker::build()?;
    let built = crate::app::build(features)?;
    crate::page::write(dist, &built)
}

/// The server binary the tests start (debug: it is already built for the tests).
///
/// Built with the native tests' package selection ([`NATIVE`]) and their
/// test targets, so that Cargo unifies the dependencies' features the same
/// way and reuses what the tests built instead of building the server and
/// its dependencies a second time: `-p vigil-server` alone turns some
/// serde_json features off, and without `--tests` the dev-dependencies'
/// features drop out (rustls's aws-lc-rs, regex's unicode tables), which
/// rebuilt the server and 20 crates under it (sqlx, axum, reqwest,
/// lettre…) in 55 s of CI's end-to-end step. Where the tests are not built
/// yet (`cargo xtask e2e` alone) this builds them too, once.
pub(crate) fn server_debug() -> Result<std::path::PathBuf> {
    util::run(
        util::cargo()
            .arg("build")
            .args(NATIVE)
            .args(["--tests", "--bin", "vigil-server"]),
    )?;
    Ok(util::root().join("target/debug/vigil-server"))
}
