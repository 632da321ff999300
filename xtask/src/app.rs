//! The two wasm binaries of the web app, built outside any bundler: the
//! boot (`src/bin/boot.rs`, the first download: the login screen) into
//! `target/boot/`, and the app (`src/main.rs`) into `target/app/`;
//! [`crate::page`] then writes the page that names them into `dist/`.
//!
//! Why two binaries, and the app not the first download: see `src/boot.rs`
//! and docs/architecture.md. The steps for each: the release build (the
//! `wasm-release` profile; both binaries in one cargo invocation, so they
//! share the library's compilation), wasm-bindgen `--target web`,
//! `wasm-opt -Oz`. The files are named by the content hash of the
//! compiler's output (`vigil-app-<hash>`, `vigil-boot-<hash>`), so the
//! service worker can serve them from its cache for ever, and wasm-bindgen
//! and wasm-opt are skipped when that output has not changed (a stamp
//! beside the folder).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

use crate::util;

/// `target/app/`, which the page copies to `dist/app/`.
pub(crate) fn dir() -> PathBuf {
    util::root().join("target/app")
}

/// `target/boot/`, whose files the page copies to `dist/`.
pub(crate) fn boot_dir() -> PathBuf {
    util::root().join("target/boot")
}

/// The built binaries' file names without extension.
pub(crate) struct Built {
    /// `vigil-app-<hash>`, in [`dir`].
    pub app: String,
    /// `vigil-boot-<hash>`, in [`boot_dir`].
    pub boot: String,
}

/// Builds the boot and the app with `features` (the benchmark's `bench`,
/// or none) into [`boot_dir`] and [`dir`].
pub(crate) fn build(features: &[&str]) -> Result<Built> {
    println!("== build the boot's and the app's wasm (features: {features:?})");
    let mut cargo = util::cargo();
    cargo.args([
        "build",
        "--bin",
        "vigil-app",
        "--bin",
        "vigil-boot",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "wasm-release",
    ]);
    if !features.is_empty() {
        cargo.arg("--features").arg(features.join(","));
    }
    util::run(&mut cargo)?;
    Ok(Built {
        app: bindgen("vigil-app", &dir())?,
        boot: bindgen("vigil-boot", &boot_dir())?,
    })
}

/// wasm-bindgen and `wasm-opt -Oz` on the compiled `bin` into `out`, its
/// files named `<bin>-<hash>`; skipped when the compiler's output is the
/// one already processed. Returns the name.
fn bindgen(bin: &str, out: &Path) -> Result<String> {
    let wasm = util::root().join(format!(
        "target/wasm32-unknown-unknown/wasm-release/{bin}.wasm"
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
    util::wasm_opt_in_place(&bg)?;
    std::fs::write(&stamp, &name)?;
    Ok(name)
}
