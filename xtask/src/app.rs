//! The app's own wasm (`src/main.rs`), built into `target/app/` outside
//! Trunk; Trunk builds the boot (`src/bin/boot.rs`, the first download)
//! and copies `target/app/` to `dist/app/` (index.html).
//!
//! Why outside Trunk: Trunk builds one app per page and starts it at once,
//! and the whole point is that the app is *not* the first download (see
//! `src/boot.rs`). The steps are Trunk's own: the release build (same
//! profile and target directory as Trunk's, so the two binaries share the
//! library's compilation), wasm-bindgen, `wasm-opt -Oz`. The files are
//! named by the content hash of the compiler's output, as Trunk names its
//! own, so the service worker can serve them from its cache for ever, and
//! [`name_in_page`] writes that name where index.html says
//! `__VIGIL_APP__`: the page is the one place that names the app.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

use crate::util;

/// What index.html says where the app's file name (without extension) goes.
pub(crate) const PLACEHOLDER: &str = "__VIGIL_APP__";

/// `target/app/`, which index.html copies.
pub(crate) fn dir() -> PathBuf {
    util::root().join("target/app")
}

/// Builds the app with `features` (the benchmark's `bench`, or none) into
/// [`dir`]; returns its file name without extension (`vigil-app-<hash>`).
pub(crate) fn build(features: &[&str]) -> Result<String> {
    println!("== build the app's wasm (features: {features:?}) into target/app/");
    let mut cargo = util::cargo();
    cargo.args([
        "build",
        "--bin",
        "vigil-app",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "wasm-release",
    ]);
    if !features.is_empty() {
        cargo.arg("--features").arg(features.join(","));
    }
    util::run(&mut cargo)?;
    let wasm = util::root().join("target/wasm32-unknown-unknown/wasm-release/vigil-app.wasm");
    let bytes = std::fs::read(&wasm).with_context(|| format!("reading {}", wasm.display()))?;
    let name = format!("vigil-app-{}", &hex::encode(Sha256::digest(&bytes))[..16]);
    let out = dir();
    let bg = out.join(format!("{name}_bg.wasm"));
    // Beside the folder, not in it: the folder is copied to dist/. Written
    // once wasm-opt has finished, so an interrupted build is done again.
    let stamp = out.with_extension("stamp");
    if bg.exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(name.as_str()) {
        println!("(the app's wasm is unchanged: wasm-bindgen and wasm-opt skipped)");
        return Ok(name);
    }
    // Fresh each time: an older build's files must not linger in dist/.
    let _ = std::fs::remove_file(&stamp);
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out)?;
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
            .arg(&out)
            .arg(&wasm),
    )?;
    if out.join("snippets").exists() {
        // The page names every file the app needs (the service worker
        // caches those); a snippet would be a file it does not name.
        bail!("the app's wasm-bindgen output has snippets/: use a loader function in index.html instead");
    }
    util::wasm_opt_in_place(&bg)?;
    std::fs::write(&stamp, &name)?;
    Ok(name)
}

/// Writes the app's name where the built page (`dist/index.html`) says
/// [`PLACEHOLDER`].
pub(crate) fn name_in_page(dist: &Path, name: &str) -> Result<()> {
    let page = dist.join("index.html");
    let html =
        std::fs::read_to_string(&page).with_context(|| format!("reading {}", page.display()))?;
    if !html.contains(PLACEHOLDER) {
        bail!("{} does not name the app ({PLACEHOLDER})", page.display());
    }
    std::fs::write(&page, html.replace(PLACEHOLDER, name))?;
    Ok(())
}
