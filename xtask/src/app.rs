//! The app's wasm (`src/main.rs`), built outside Trunk into `target/app/`,
//! which Trunk's hook adds to the page (xtask/src/page.rs). Trunk builds the
//! other binary, the boot (`src/bin/boot.rs`, the first download: the login
//! screen), from `index.html`; it cannot build a second binary that the
//! page loads later.
//!
//! Why two binaries, and the app not the first download: see `src/boot.rs`
//! and docs/architecture.md. The steps: the build (the `wasm-release`
//! profile in release, as Trunk builds the boot, so the two share the
//! library's compilation; the dev profile for `trunk serve`), wasm-bindgen
//! `--target web`, and in release `wasm-opt -Oz`. The files are named by
//! the content hash of the compiler's output (`vigil-app-<hash>`), so the
//! service worker can serve them from its cache for ever, and wasm-bindgen
//! and wasm-opt are skipped when that output has not changed (a stamp
//! beside the folder).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

use crate::util;

/// `target/app/` (`target/app-dev/` for the dev profile), which the page
/// copies to `dist/app/`: apart, so that `trunk serve` and `cargo xtask
/// build` do not undo each other's wasm-bindgen and wasm-opt.
pub(crate) fn dir(profile: Profile) -> PathBuf {
    util::root().join(match profile {
        Profile::Release => "target/app",
        Profile::Dev => "target/app-dev",
    })
}

/// Which build of the web app.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Profile {
    /// What candidates download: `wasm-release`, then `wasm-opt -Oz`.
    Release,
    /// The developer's loop (`trunk serve`): the dev profile, no wasm-opt.
    Dev,
}

impl Profile {
    /// The profile's folder under `target/wasm32-unknown-unknown/`.
    fn dir(self) -> &'static str {
        match self {
            Profile::Release => "wasm-release",
            Profile::Dev => "debug",
        }
    }
}

/// Builds the app with `features` (the benchmark's `bench`, or none) into
/// [`dir`]`(profile)`; its file name without extension.
pub(crate) fn build(features: &[&str], profile: Profile) -> Result<String> {
    println!("== build the app's wasm ({profile:?}, features: {features:?})");
    // Compiled as `cargo build` does, without clippy's driver (it turns
    // MIR's optimisations off in what it lints): this is what candidates
    // download, and Trunk builds the boot so, which shares the library's
    // compilation with it. The app's code is linted by the wasm32 tests'
    // build.
    let mut cargo = util::cargo_without_lints();
    cargo.arg("build");
    if profile == Profile::Release {
        cargo.args(["--profile", "wasm-release"]);
    }
    cargo.args(["--bin", "vigil-app", "--target", "wasm32-unknown-unknown"]);
    if !features.is_empty() {
        cargo.arg("--features").arg(features.join(","));
    }
    util::run(&mut cargo)?;
    bindgen("vigil-app", &dir(profile), profile)
}

/// wasm-bindgen and (in release) `wasm-opt -Oz` on the compiled `bin` into
/// `out`, its files named `<bin>-<hash>`; skipped when the compiler's
/// output is the one already processed. Returns the name.
fn bindgen(bin: &str, out: &Path, profile: Profile) -> Result<String> {
    let wasm = util::root().join(format!(
        "target/wasm32-unknown-unknown/{}/{bin}.wasm",
        profile.dir()
    ));
    let bytes = std::fs::read(&wasm).with_context(|| format!("reading {}", wasm.display()))?;
    let name = format!("{bin}-{}", &hex::encode(Sha256::digest(&bytes))[..16]);
    let bg = out.join(format!("{name}_bg.wasm"));
    // Beside the folder, not in it: the folder is copied to dist/. Written
    // once wasm-opt has finished, so an interrupted build is done again.
    let stamp = out.with_extension("stamp");
    if bg.exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(name.as_str()) {
        println!("({bin}'s wasm is unchanged: wasm-bindgen and wasm-opt skipped)");
        return Ok(name);
    }
    // Fresh each time: an older build's files must not linger in dist/.
    let _ = std::fs::remove_file(&stamp);
    let _ = std::fs::remove_dir_all(out);
    std::fs::create_dir_all(out)?;
    util::run(
        util::program("wasm-bindgen")
            .args([
                "--target",
                "web",
                "--no-typescript",
                "--out-name",
                &name,
                "--out-dir",
            ])
            .arg(out)
            .arg(&wasm),
    )?;
    if out.join("snippets").exists() {
        // The page names every file the app needs (the service worker
        // caches those); a snippet would be a file it does not name.
        bail!("{bin}'s wasm-bindgen output has snippets/: use a loader function in index.html instead");
    }
    if profile == Profile::Release {
        util::wasm_opt_in_place(&bg)?;
    }
    std::fs::write(&stamp, &name)?;
    Ok(name)
}
