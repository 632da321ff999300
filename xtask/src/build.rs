//! `cargo xtask build`: the web app in release, by Trunk, into `dist/`.
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

/// The web app built with extra `trunk build` arguments (the benchmark's
/// `--features bench`) into `dist`.
pub(crate) fn app_with(args: &[&str], dist: &std::path::Path) -> Result<()> {
    util::run(util::cargo().arg("fetch"))?;
    // First: Trunk copies target/vision/ into dist/vision/ (index.html).
    crate::worker::build()?;
    println!(
        "== build the web app (trunk build --release {})",
        args.join(" ")
    );
    util::run(
        util::program("trunk")
            .args(["build", "--release"])
            .args(args)
            .arg("--dist")
            .arg(dist)
            .env("NO_COLOR", "true"),
    )
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
