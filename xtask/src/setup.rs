//! `cargo xtask setup`: everything the build and the tests need, installed
//! from the package registries only (crates.io, npm, Debian), skipping each
//! tool whose version already matches, so a warm run takes seconds.
//!
//! Versions, and why:
//! - wasm-bindgen-cli at exactly the `wasm-bindgen` version of Cargo.lock
//!   (pinned with `=` in Cargo.toml): the CLI refuses other library versions.
//!   Installed without `--locked`, whose lockfile names a yanked crate.
//! - wasm-opt from npm `binaryen@132` into `target/tools`: Debian's binaryen
//!   is too old to read current wasm-bindgen output.
//! - npm `axe-core` into `target/tools`: the e2e harness injects it to
//!   audit the accessibility of every screen.
//! - Debian's chromium and chromium-driver for the browser tests.
//! - s3s-fs 0.14.1 (crates.io, `--locked`, into `target/tools/bin`): a real
//!   S3 server (SigV4, multipart) over a folder, for the server's
//!   object-store tests; 0.14 is the newest that builds with rustc 1.95.
//!
//! - Trunk 0.21.14 (crates.io, `--locked`, without its default features:
//!   no TLS, no update check; it never downloads a tool here, it finds
//!   wasm-bindgen on PATH): the Yew developer's `trunk serve` and `trunk
//!   build`, whose hook calls `cargo xtask trunk-hook` (xtask/src/build.rs).
//!   0.21 is the newest that builds with rustc 1.95.
//! - Debian's `libssl-dev` (and `pkg-config`): the mail tests' SMTP server
//!   links the system's OpenSSL.
//! - Debian's `mold`: the native builds' linker (`.cargo/config.toml`); it
//!   links the ~40 test binaries and the server in a fraction of ld's time.
//!
//! Where the tools go: npm's and s3s-fs into [`util::tools_dir`], a cache
//! outside the work tree that a fresh clone on the same machine finds
//! again (linked as `target/tools`, where the tests look); the cargo
//! installs into cargo's own bin directory.
//!
//! The three `cargo install`s are what a fresh machine spends most of its
//! setup on, so they are built for build time, not run time ([`install`]):
//! one shared target directory, so the dependencies they have in common
//! (tokio, hyper, serde…) compile once, and a release profile of opt-level 1
//! without LTO. They are build and test tools; none is shipped.

use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::util;

pub(crate) const BINARYEN_VERSION: &str = "132";
/// axe-core, injected by the e2e harness to audit every screen.
pub(crate) const AXE_VERSION: &str = "4.14.1";
/// The S3 server of the object-store tests.
pub(crate) const S3S_FS_VERSION: &str = "0.14.1";
/// The Yew developer's dev server and bundler (`trunk serve`).
pub(crate) const TRUNK_VERSION: &str = "0.21.14";
/// Installed when the machine has no cargo-nextest of 0.9.91 or later.
pub(crate) const NEXTEST_VERSION: &str = "0.9.143";
pub(crate) const CHROMIUM: &str = "/usr/bin/chromium";
pub(crate) const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The kiosk launcher's other platforms: `cargo xtask test` checks that
/// their cfg paths compile (std only, no linker needed).
pub(crate) const KIOSK_OTHER_TARGETS: [&str; 2] = ["x86_64-pc-windows-gnu", "x86_64-apple-darwin"];

pub(crate) fn run() -> Result<()> {
    println!("== setup");
    let started = std::time::Instant::now();
    link_tools()?;
    crate::cache::prune()?;
    mold()?;
    openssl()?;
    wasm_target()?;
    for target in KIOSK_OTHER_TARGETS {
        rust_target(target)?;
    }
    wasm_bindgen()?;
    wasm_opt()?;
    axe_core()?;
    s3_server()?;
    trunk()?;
    nextest()?;
    chromium()?;
    println!("== setup done in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// `target/tools` → [`util::tools_dir`], where the tests and benches look.
fn link_tools() -> Result<()> {
    let (dir, link) = (util::tools_dir(), util::tools_link());
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    if std::fs::read_link(&link).ok().as_deref() == Some(dir.as_path()) {
        return Ok(());
    }
    std::fs::create_dir_all(util::root().join("target"))?;
    // An older setup's real folder, or a link elsewhere: replaced.
    if link.is_dir() && std::fs::read_link(&link).is_err() {
        std::fs::remove_dir_all(&link)?;
    } else {
        let _ = std::fs::remove_file(&link);
    }
    std::os::unix::fs::symlink(&dir, &link)
        .with_context(|| format!("linking {} to {}", link.display(), dir.display()))
}

/// The native linker (`.cargo/config.toml` names it).
fn mold() -> Result<()> {
    if let Some(v) = util::version_of(&mut util::program("mold")) {
        println!("ok   {v}");
        return Ok(());
    }
    apt_install(&["mold"])
}

/// The system's OpenSSL headers, for the mail tests' SMTP server
/// (mailin-embedded's TLS; crates/server/Cargo.toml says why not rustls).
fn openssl() -> Result<()> {
    let found = util::program("pkg-config")
        .args(["--exists", "openssl"])
        .status()
        .is_ok_and(|s| s.success());
    if found {
        println!("ok   openssl (pkg-config)");
        return Ok(());
    }
    apt_install(&["libssl-dev", "pkg-config"])
}

fn trunk() -> Result<()> {
    if installed(
        &mut util::program("trunk"),
        &format!("trunk {TRUNK_VERSION}"),
    ) {
        return Ok(());
    }
    util::run(install().args([
        "--locked",
        "trunk",
        "--version",
        TRUNK_VERSION,
        "--no-default-features",
    ]))
}

/// cargo-nextest, the end-to-end tests' runner (.config/nextest.toml):
/// this kind of machine comes with it; any release that reads the
/// configuration's `priority` (0.9.91 on) will do, else the locked one is
/// installed.
fn nextest() -> Result<()> {
    if let Some(v) = util::version_of(util::cargo().arg("nextest")) {
        let minor = v
            .strip_prefix("cargo-nextest 0.9.")
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse::<u32>().ok());
        if minor.is_some_and(|m| m >= 91) {
            println!("ok   {v}");
            return Ok(());
        }
    }
    util::run(install().args(["--locked", "cargo-nextest", "--version", NEXTEST_VERSION]))
}

fn wasm_target() -> Result<()> {
    rust_target("wasm32-unknown-unknown")
}

fn rust_target(target: &str) -> Result<()> {
    let installed = util::program("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .context("rustup is needed to add the compilation targets")?;
    if String::from_utf8_lossy(&installed.stdout)
        .lines()
        .any(|l| l == target)
    {
        println!("ok   rustup target {target}");
        return Ok(());
    }
    util::run(util::program("rustup").args(["target", "add", target]))
}

/// `cargo install`, built for build time: a shared target directory and a
/// cheap release profile (Cargo's configuration overrides the installed
/// crate's own `[profile.release]`). Measured on a fresh machine: see
/// docs/architecture.md, "CI's time".
fn install() -> std::process::Command {
    let mut cmd = util::cargo();
    cmd.arg("install")
        .env("CARGO_TARGET_DIR", util::tools_dir().join("build"))
        .env_remove("CARGO_BUILD_BUILD_DIR")
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "1")
        .env("CARGO_PROFILE_RELEASE_LTO", "off")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .env("CARGO_INCREMENTAL", "0");
    cmd
}

/// Whether `tool --version` says `want` (said so when it does).
fn installed(tool: &mut std::process::Command, want: &str) -> bool {
    let yes = util::version_of(tool).as_deref() == Some(want);
    if yes {
        println!("ok   {want}");
    }
    yes
}

fn wasm_bindgen() -> Result<()> {
    let version = util::locked_version("wasm-bindgen")?;
    if installed(
        &mut util::program("wasm-bindgen"),
        &format!("wasm-bindgen {version}"),
    ) {
        return Ok(());
    }
    util::run(install().args(["wasm-bindgen-cli", "--version", &format!("={version}")]))
}

fn wasm_opt() -> Result<()> {
    let bin = util::tools_dir().join("node_modules/.bin/wasm-opt");
    let want = format!("wasm-opt version {BINARYEN_VERSION}");
    let installed = util::version_of(&mut std::process::Command::new(&bin))
        .is_some_and(|v| v.starts_with(&want));
    if installed {
        println!("ok   {want}");
    } else {
        if util::version_of(&mut util::program("npm")).is_none() {
            apt_install(&["nodejs", "npm"])?;
        }
        std::fs::create_dir_all(util::tools_dir())?;
        util::run(util::program("npm").args([
            "install",
            "--no-audit",
            "--no-fund",
            "--prefix",
            &util::tools_dir().to_string_lossy(),
            &format!("binaryen@{BINARYEN_VERSION}"),
        ]))?;
    }
    link_into_cargo_bin(&bin)
}

/// `trunk build` and `trunk serve`, run from a shell, find wasm-opt on
/// PATH: a link to it in cargo's bin directory, beside wasm-bindgen and
/// trunk (a wasm-opt that is not a link is left alone).
fn link_into_cargo_bin(bin: &Path) -> Result<()> {
    let Some(home) = util::cargo_home() else {
        return Ok(());
    };
    let link = home
        .join("bin")
        .join(bin.file_name().context("a tool without a name")?);
    if std::fs::read_link(&link).ok().as_deref() == Some(bin) {
        return Ok(());
    }
    if link.exists() && std::fs::read_link(&link).is_err() {
        println!("note {} is not setup's: left as it is", link.display());
        return Ok(());
    }
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(bin, &link)
        .with_context(|| format!("linking {} to {}", link.display(), bin.display()))
}

fn axe_core() -> Result<()> {
    let manifest = util::tools_dir().join("node_modules/axe-core/package.json");
    let installed = std::fs::read_to_string(&manifest)
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v["version"].as_str().map(str::to_owned));
    if installed.as_deref() == Some(AXE_VERSION) {
        println!("ok   axe-core {AXE_VERSION}");
        return Ok(());
    }
    std::fs::create_dir_all(util::tools_dir())?;
    util::run(util::program("npm").args([
        "install",
        "--no-audit",
        "--no-fund",
        "--prefix",
        &util::tools_dir().to_string_lossy(),
        &format!("axe-core@{AXE_VERSION}"),
    ]))
}

fn s3_server() -> Result<()> {
    let bin = util::tools_dir().join("bin/s3s-fs");
    if installed(
        &mut std::process::Command::new(&bin),
        &format!("s3s-fs {S3S_FS_VERSION}"),
    ) {
        return Ok(());
    }
    util::run(install().args([
        "--locked",
        "s3s-fs",
        "--version",
        S3S_FS_VERSION,
        "--features",
        "binary",
        "--root",
        &util::tools_dir().to_string_lossy(),
    ]))
}

fn chromium() -> Result<()> {
    if Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists() {
        let v = util::version_of(&mut std::process::Command::new(CHROMIUM)).unwrap_or_default();
        println!("ok   {v} + chromedriver");
        return Ok(());
    }
    apt_install(&["chromium", "chromium-driver"])
}

/// Installs Debian packages when root; otherwise says exactly what to run.
pub(crate) fn apt_install(packages: &[&str]) -> Result<()> {
    let list = packages.join(" ");
    if !util::is_root() {
        bail!("missing packages; run: sudo apt-get update && sudo apt-get install -y {list}");
    }
    util::run(std::process::Command::new("apt-get").arg("update"))?;
    util::run(
        std::process::Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends"])
            .args(packages)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}

#[cfg(test)]
mod tests {
    use super::BINARYEN_VERSION;

    /// Trunk runs the wasm-opt setup installs, and refuses another version.
    #[test]
    fn trunk_asks_for_the_wasm_opt_setup_installs() {
        let trunk = std::fs::read_to_string(crate::util::root().join("Trunk.toml")).unwrap();
        let want = format!("wasm_opt = \"version_{BINARYEN_VERSION}\"");
        assert!(trunk.contains(&want), "Trunk.toml must say {want}");
    }
}
