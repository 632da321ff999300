//! The vision worker's files, built into `target/vision/` (Trunk copies that
//! folder to `dist/vision/`, see index.html): the worker wasm with
//! simd128, its wasm-bindgen glue, the entry script and the face models,
//! converted from the committed ONNX files to NNEF (`vigil-faces --to-nnef`,
//! checked numerically against the ONNX model as it converts): the worker
//! reads NNEF with tract-nnef and tract-core alone, which keeps tract's ONNX
//! front end (protobuf, operator set, inference rules) out of its wasm.
//!
//! Why outside Trunk's own Rust build: the worker is a second wasm with its
//! own compiler flags (`+simd128`), and it is built in its own target
//! directory so that those flags never invalidate the app's build cache.
//! Every browser Vigil supports runs wasm SIMD (Chrome/Edge 91, Firefox 89,
//! Safari 16.4). `--no-simd` builds the same worker without it, for the
//! benchmark's comparison.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

use crate::util;

/// The models the worker loads, by stem: `static/models/<stem>.onnx`
/// (provenance there) becomes `models/<stem>.nnef.tgz`.
pub(crate) const MODELS: [&str; 4] = [
    "face_detection_short_range",
    "face_detection_full_range",
    "face_landmark",
    "MobileFaceNet",
];

/// Builds the worker into `out` (`target/vision` for the app).
pub(crate) fn build_into(out: &Path, simd: bool) -> Result<()> {
    println!(
        "== build the vision worker ({}) into {}",
        if simd { "simd128" } else { "no simd" },
        out.display()
    );
    let target_dir = util::root().join(if simd {
        "target/worker"
    } else {
        "target/worker-nosimd"
    });
    let mut flags = String::from("-Ctarget-feature=+bulk-memory");
    if simd {
        flags.push_str("\x1f-Ctarget-feature=+simd128");
    }
    util::run(
        util::cargo()
            .args([
                "build",
                "-p",
                "vigil-vision-worker",
                "--lib",
                "--target",
                "wasm32-unknown-unknown",
                "--profile",
                "wasm-release",
            ])
            .arg("--target-dir")
            .arg(&target_dir)
            .env("CARGO_ENCODED_RUSTFLAGS", flags),
    )?;
    // Fresh each time: a model dropped or renamed must not linger in dist/.
    let _ = std::fs::remove_dir_all(out.join("models"));
    std::fs::create_dir_all(out.join("models"))?;
    let wasm = target_dir.join("wasm32-unknown-unknown/wasm-release/vigil_vision_worker.wasm");
    // wasm-opt takes minutes on the worker: skipped when the compiler's
    // output is the one already processed (its hash, in a stamp file).
    let built_from = hex::encode(Sha256::digest(
        std::fs::read(&wasm).with_context(|| format!("reading {}", wasm.display()))?,
    ));
    // Beside the folder, not in it: the folder is copied to dist/.
    let stamp = out.with_extension("stamp");
    let bg = out.join("vigil_vision_worker_bg.wasm");
    if bg.exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(built_from.as_str()) {
        println!("(the worker's wasm is unchanged: wasm-bindgen and wasm-opt skipped)");
    } else {
        let _ = std::fs::remove_file(&stamp);
        util::run(
            util::program("wasm-bindgen")
                .args(["--target", "web", "--no-typescript", "--out-dir"])
                .arg(out)
                .arg(&wasm),
        )?;
        util::wasm_opt_in_place(&bg)?;
        std::fs::write(&stamp, &built_from)?;
    }
    let root = util::root();
    copy(
        &root.join("static/vision/worker.js"),
        &out.join("worker.js"),
    )?;
    // The converter runs natively, in the dev profile the tests have built.
    util::run(
        util::vigil_faces(false)?
            .arg("--to-nnef")
            .arg(out.join("models"))
            .args(MODELS.map(|m| root.join("static/models").join(format!("{m}.onnx")))),
    )?;
    Ok(())
}

/// The app's copy: `target/vision`.
pub(crate) fn dir() -> PathBuf {
    util::root().join("target/vision")
}

pub(crate) fn build() -> Result<()> {
    build_into(&dir(), true)
}

fn copy(from: &Path, to: &Path) -> Result<()> {
    std::fs::copy(from, to)
        .with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
    Ok(())
}
