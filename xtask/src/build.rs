//! `cargo xtask build`: the web app in release into `dist/`, through
//! Trunk (`trunk build --release`, configured by Trunk.toml and
//! `index.html`): Trunk builds the boot, the stylesheet and the service
//! worker, then its hook (`cargo xtask trunk-hook`) builds the vision
//! worker (xtask/src/worker.rs) and the app (xtask/src/app.rs) and adds
//! them to the page (xtask/src/page.rs), with the tools `setup` installed
//! (wasm-bindgen, wasm-opt). `trunk serve` is the developer's loop over
//! the same: it watches the sources, rebuilds in the dev profile, reloads
//! the page and proxies the server.

use anyhow::{Context, Result};

use crate::app::Profile;
use crate::util;

/// The packages of the native test step: all but the end-to-end tests, which
/// need a built app and a browser. Every native build that can should select
/// the same packages, for the reason given at [`server_debug`].
pub(crate) const NATIVE: [&str; 3] = ["--workspace", "--exclude", "vigil-e2e"];

/// The release page into `dist/`, built as a Yew developer builds it:
/// `trunk build --release` (Trunk.toml), whose hook calls back
/// [`trunk_hook`]. The end-to-end tests run on this build, so Trunk's way
/// stays working.
pub(crate) fn app() -> Result<()> {
    app_with(&[], &util::root().join("dist"))
}

/// The release page built with `features` (the benchmark's `bench`) into
/// `dist`: Trunk builds the boot with them, and passes them to its hook
/// for the app (`VIGIL_APP_FEATURES`).
pub(crate) fn app_with(features: &[&str], dist: &std::path::Path) -> Result<()> {
    let mut trunk = util::program("trunk");
    trunk.args(["build", "--release", "--dist"]).arg(dist);
    if !features.is_empty() {
        trunk.arg("--features").arg(features.join(","));
    }
    util::run(trunk.env(APP_FEATURES, features.join(",")))
}

/// How [`app_with`] tells Trunk's hook the app's features.
const APP_FEATURES: &str = "VIGIL_APP_FEATURES";

/// `cargo xtask trunk-hook`, Trunk's post-build hook (Trunk.toml): Trunk
/// has built the boot and staged the page; this builds the vision worker
/// and the app in Trunk's profile (`--release`: what candidates download;
/// otherwise the dev profile, without wasm-opt) and adds them to the staged
/// page (xtask/src/page.rs).
pub(crate) fn trunk_hook() -> Result<()> {
    let var = |name: &str| {
        std::env::var(name).with_context(|| {
            format!("{name} is not set: `cargo xtask trunk-hook` is run by Trunk (trunk build, trunk serve)")
        })
    };
    let staging = std::path::PathBuf::from(var("TRUNK_STAGING_DIR")?);
    let profile = match var("TRUNK_PROFILE")?.as_str() {
        "release" => Profile::Release,
        _ => Profile::Dev,
    };
    let features = std::env::var(APP_FEATURES).unwrap_or_default();
    let features: Vec<&str> = features.split(',').filter(|f| !f.is_empty()).collect();
    crate::worker::build()?;
    let app = crate::app::build(&features, profile)?;
    crate::page::add_app(&staging, &app, &crate::app::dir(profile))
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
