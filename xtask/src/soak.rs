//! `cargo xtask soak server [--kills N] [--candidates N] [--dev]`: the
//! server killed under load (crates/server/benches/soak.rs), on a SQLite
//! file, then on a throwaway PostgreSQL cluster, then as two replicas on
//! that cluster sharing one S3 bucket, then with the database itself killed
//! and restarted under the server; fails if anything was lost or
//! duplicated.
//!
//! The full soak (the figures of `docs/reliability.md`) runs the release
//! server with the sync bench's 1 000 candidates and 20 kills. `cargo xtask
//! test` runs a small one on the dev build the tests already made
//! ([`CI`]): same code, fewer candidates, smaller room scans, 5 kills.
//!
//! `cargo xtask soak browser [--kills N]` is the browser's counterpart:
//! the e2e test that SIGKILLs Chromium mid-exam (`cargo xtask test` runs it
//! with 5 kills among the other e2e tests).

use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::{postgres, util};

/// What one soak runs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Soak {
    pub(crate) kills: usize,
    pub(crate) candidates: usize,
    pub(crate) scan_kb: usize,
    /// The dev build (the tests') instead of the release server.
    pub(crate) dev: bool,
}

/// The soak `cargo xtask test` runs.
pub(crate) const CI: Soak = Soak {
    kills: 5,
    candidates: 100,
    scan_kb: 100,
    dev: true,
};

pub(crate) fn run(args: &[String]) -> Result<()> {
    let mut args = args.iter();
    match args.next().map(String::as_str) {
        Some("server") => {}
        Some("browser") => return browser(args.as_slice()),
        _ => bail!(
            "usage: cargo xtask soak server [--kills N] [--candidates N] [--dev] | \
             soak browser [--kills N]"
        ),
    }
    let mut soak = Soak {
        kills: 20,
        candidates: 1_000,
        scan_kb: 1_536,
        dev: false,
    };
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<usize> {
            args.next()
                .and_then(|n| n.parse().ok())
                .with_context(|| format!("{name} takes a whole number"))
        };
        match arg.as_str() {
            "--kills" => soak.kills = number("--kills")?,
            "--candidates" => soak.candidates = number("--candidates")?,
            "--scan-kb" => soak.scan_kb = number("--scan-kb")?,
            "--dev" => soak.dev = true,
            other => bail!("unknown soak option {other:?}"),
        }
    }
    server(soak)
}

/// `soak browser [--kills N]`: the e2e test `soak::` (Chromium SIGKILLed
/// mid-exam and restarted on its profile, tests/e2e/tests/browser/soak.rs)
/// with N kills (50 by default; `cargo xtask test` runs it with 5).
fn browser(args: &[String]) -> Result<()> {
    let kills = match args {
        [] => 50,
        [flag, n] if flag == "--kills" => n.parse().context("--kills takes a whole number")?,
        _ => bail!("usage: cargo xtask soak browser [--kills N]"),
    };
    // The e2e test reads it; the child processes inherit it. Its figures
    // are printed even though it passes (libtest's own variable, which
    // xtask turns into nextest's --no-capture).
    std::env::set_var("VIGIL_SOAK_KILLS", kills.to_string());
    std::env::set_var("RUST_TEST_NOCAPTURE", "1");
    crate::test::e2e_only(Some("soak::"))
}

/// The soak on SQLite, then on PostgreSQL (when a cluster can be
/// started): the server killed, two replicas killed, then the database
/// itself killed and restarted under the server. The cluster commits
/// durably (`synchronous_commit = on`), as a production one does: a crash
/// of the database must not take back what it acknowledged.
pub(crate) fn server(soak: Soak) -> Result<()> {
    util::run(&mut command(soak))?;
    match postgres::Cluster::start_durable()? {
        Ok(cluster) => {
            let pg = || {
                let mut cmd = command(soak);
                cmd.env("VIGIL_BENCH_DATABASE_URL", cluster.url());
                cmd
            };
            let result = util::run(&mut pg())
                .and_then(|()| util::run(pg().env("VIGIL_SOAK_REPLICAS", "2")))
                .and_then(|()| util::run(pg().env("VIGIL_SOAK_PG_CTL", cluster.control_script())));
            drop(cluster);
            result
        }
        Err(why) => {
            println!("PostgreSQL soak skipped: {why}");
            Ok(())
        }
    }
}

fn command(soak: Soak) -> Command {
    let mut cmd = if soak.dev {
        // The tests' build of the server, with the native tests' package
        // selection so that the features unify as they did and nothing is
        // built again: no release build in CI.
        let mut cmd = util::cargo();
        cmd.arg("bench")
            .args(["--profile", "dev"])
            .args(crate::build::NATIVE);
        cmd
    } else {
        // The release server as it ships: compiled by rustc alone.
        let mut cmd = util::cargo_without_lints();
        cmd.args(["bench", "-p", "vigil-server"]);
        cmd
    };
    cmd.args(["--bench", "soak"])
        .env("VIGIL_SOAK_KILLS", soak.kills.to_string())
        .env("VIGIL_BENCH_CANDIDATES", soak.candidates.to_string())
        .env("VIGIL_BENCH_SCAN_KB", soak.scan_kb.to_string());
    cmd
}
