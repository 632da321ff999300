//! `cargo xtask build`: the web app in release into `dist/`: the boot and
//! the page by Trunk, the app and the vision worker by xtask beside it.
//!
//! Trunk runs offline (Trunk.toml) with the tools `setup` installed; a plain
//! `cargo fetch` first puts every crate in the local registry, since Trunk's
//! own cargo call must not need the network.

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
/// `dist`: the vision worker, the app ([`crate::app`]), then the boot and
/// the page by Trunk.
pub(crate) fn app_with(features: &[&str], dist: &std::path::Path) -> Result<()> {
    util::run(util::cargo().arg("fetch"))?;
    // First: Trunk copies target/vision/ and target/app/ into dist/ (index.html).
    crate::worker::build()?;
    let app = crate::app::build(features)?;
    println!("== build the boot and the page (trunk build --release, features: {features:?})");
    let mut trunk = util::program("trunk");
    trunk.args(["build", "--release"]);
    if !features.is_empty() {
        trunk.arg("--features").arg(features.join(","));
    }
    util::run(trunk.arg("--dist").arg(dist).env("NO_COLOR", "true"))?;
    crate::app::name_in_page(dist, &app)
}

/// The server binary the tests start (debug: it is already built for the tests).
///
/// Built with the native tests' package selection ([`NATIVE`]), so that
/// Cargo unifies the dependencies' features the same way and reuses what
/// the tests built instead of building the server and its dependencies a
/// second time (`-p vigil-server` alone turns some serde_json features off).
pub(crate) fn server_debug() -> Result<std::path::PathBuf> {
    util::run(
        util::cargo()
            .arg("build")
            .args(NATIVE)
            .args(["--bin", "vigil-server"]),
    )?;
    Ok(util::root().join("target/debug/vigil-server"))
}
