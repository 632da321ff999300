//! `cargo xtask build`: the web app in release, by Trunk, into `dist/`.
//!
//! Trunk runs offline (Trunk.toml) with the tools `setup` installed; a plain
//! `cargo fetch` first puts every crate in the local registry, since Trunk's
//! own cargo call must not need the network.

use anyhow::Result;

use crate::util;

pub fn app() -> Result<()> {
    println!("== build the web app (trunk build --release)");
    util::run(util::cargo().arg("fetch"))?;
    util::run(
        util::program("trunk")
            .args(["build", "--release"])
            .env("NO_COLOR", "true"),
    )
}

/// The server binary the tests start (debug: it is already built for the tests).
pub fn server_debug() -> Result<std::path::PathBuf> {
    util::run(util::cargo().args(["build", "-p", "vigil-server"]))?;
    Ok(util::root().join("target/debug/vigil-server"))
}
