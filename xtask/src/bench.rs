//! `cargo xtask bench NAME`: benchmarks that print figures (never asserted).

use anyhow::{bail, Result};

use crate::util;

pub fn run(name: Option<&str>) -> Result<()> {
    match name {
        Some("engine") => {
            util::run(util::cargo().args(["bench", "-p", "vigil-exam", "--bench", "engine"]))
        }
        other => bail!("unknown benchmark {other:?}; available: engine"),
    }
}
