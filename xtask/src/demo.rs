//! `cargo xtask demo`: builds the app and the server (release), creates a
//! fresh demo session, prints its logins, writes them to `target/demo.json`
//! and serves until Ctrl-C. `VIGIL_ADDR` and `VIGIL_DEMO_START_IN` pass
//! through to `vigil-server demo`.

use anyhow::Result;

use crate::util;
use crate::{build, setup};

pub(crate) fn run() -> Result<()> {
    setup::run()?;
    build::app()?;
    util::run(util::cargo_without_lints().args(["build", "--release", "-p", "vigil-server"]))?;
    let root = util::root();
    let addr = std::env::var("VIGIL_ADDR").unwrap_or_else(|_| "127.0.0.1:8080".into());
    util::run(
        std::process::Command::new(root.join("target/release/vigil-server"))
            .current_dir(&root)
            .args(["--db", "target/demo/vigil.sqlite3", "demo"])
            .args([
                "--addr",
                &addr,
                "--static-dir",
                "dist",
                "--out",
                "target/demo.json",
            ]),
    )
}
