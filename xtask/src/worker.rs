//! The vision worker's files, built into `target/vision/` (the page copies
//! that folder to `dist/vision/`, xtask/src/page.rs): the worker wasm with
//! simd128, its wasm-bindgen glue, the entry script and the face models,
//! converted from the committed ONNX files to Vigil's model files
//! (`vigil-faces --to-graph`, format in crates/vision/src/graph.rs, checked
//! numerically against the ONNX model as it converts): the worker reads them
//! with tract-core alone, which keeps tract's ONNX front end (protobuf,
//! operator set, inference rules) and tract-nnef's operator registries out
//! of its wasm.
//!
//! Why apart from the app's build: the worker is a second wasm with its
//! own compiler flags (`+simd128`), and it is built in its own target
//! directory so that those flags never invalidate the app's build cache.
//! Every browser Vigil supports runs wasm SIMD (Chrome/Edge 91, Firefox 89,
//! Safari 16.4).
//!
//! It is built twice: with `simd128` (`target/vision/`) and with
//! `simd128` and `relaxed-simd` (`target/vision/relaxed/`: its glue and wasm only),
//! whose convolution kernels (crates/kernels) then use one fused
//! multiply-add per lane. The entry script picks one with
//! `WebAssembly.validate` (static/vision/pick.js), so each candidate
//! downloads one build. A build without SIMD is made only for the
//! benchmark's comparison ([`Lanes::None`]).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

use crate::util;

/// The models the worker loads, by stem: `static/models/<stem>.onnx`
/// (provenance there) becomes `models/<stem>.graph.gz`.
pub(crate) const MODELS: [&str; 4] = [
    "face_detection_short_range",
    "face_detection_full_range",
    "face_landmark",
    "MobileFaceNet",
];

/// Which vector instructions a build of the worker uses.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Lanes {
    /// The benchmark's baseline only.
    None,
    Simd128,
    Relaxed,
}

impl Lanes {
    fn name(self) -> &'static str {
        match self {
            Lanes::None => "no simd",
            Lanes::Simd128 => "simd128",
            Lanes::Relaxed => "simd128 + relaxed-simd",
        }
    }

    /// Each its own target directory: the flags differ, and a shared one
    /// would rebuild everything at every switch.
    fn target_dir(self) -> &'static str {
        match self {
            Lanes::None => "target/worker-nosimd",
            Lanes::Simd128 => "target/worker",
            Lanes::Relaxed => "target/worker-relaxed",
        }
    }
}

/// Builds the worker into `out` (`target/vision` for the app): the entry
/// script, the models and the `simd128` build (or the one `lanes` names),
/// and with `simd128` the relaxed-SIMD build in `out/relaxed/`.
pub(crate) fn build_into(out: &Path, lanes: Lanes) -> Result<()> {
    // Fresh each time: a model dropped or renamed must not linger in dist/.
    let _ = std::fs::remove_dir_all(out.join("models"));
    std::fs::create_dir_all(out.join("models"))?;
    if lanes == Lanes::Simd128 {
        // The two builds side by side, each in its own target directory:
        // each ends in a link-time optimisation with one codegen unit and
        // a wasm-opt pass that keep one core busy and leave the other idle
        // (about 7 minutes each on 2 cores, one after the other; 5.6 min
        // side by side, then wasm-opt).
        let relaxed = out.join("relaxed");
        std::thread::scope(|s| {
            let other = s.spawn(|| build_wasm(&relaxed, Lanes::Relaxed));
            let this = build_wasm(out, lanes);
            let other = other
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("the relaxed-SIMD build panicked")));
            this.and(other)
        })?;
    } else {
        build_wasm(out, lanes)?;
        let _ = std::fs::remove_dir_all(out.join("relaxed"));
    }
    let root = util::root();
    for script in ["worker.js", "pick.js"] {
        util::copy(&root.join("static/vision").join(script), &out.join(script))?;
    }
    // The converter runs natively, in the dev profile the tests have built.
    util::run(
        util::vigil_faces(false)?
            .arg("--to-graph")
            .arg(out.join("models"))
            .args(MODELS.map(|m| root.join("static/models").join(format!("{m}.onnx")))),
    )?;
    Ok(())
}

/// One build's wasm and glue into `out`.
fn build_wasm(out: &Path, lanes: Lanes) -> Result<()> {
    println!(
        "== build the vision worker ({}) into {}",
        lanes.name(),
        out.display()
    );
    std::fs::create_dir_all(out)?;
    let target_dir = util::root().join(lanes.target_dir());
    let mut flags = String::from("-Ctarget-feature=+bulk-memory");
    match lanes {
        Lanes::None => {}
        Lanes::Simd128 => flags.push_str("\x1f-Ctarget-feature=+simd128"),
        Lanes::Relaxed => flags.push_str("\x1f-Ctarget-feature=+simd128,+relaxed-simd"),
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
            .env("CARGO_ENCODED_RUSTFLAGS", flags)
            // Clippy lints the worker's own crate for wasm32 (its glue is
            // wasm-only) and nothing else: the kernels and the vision
            // crate keep MIR's optimisations (see util::CLIPPY_ARGS).
            .env(
                "CLIPPY_ARGS",
                format!("{}--no-deps__CLIPPY_HACKERY__", util::CLIPPY_ARGS),
            ),
    )?;
    let wasm = target_dir.join("wasm32-unknown-unknown/wasm-release/vigil_vision_worker.wasm");
    // -O1, not the app's -Oz: on the worker (3 MB, binaryen compiled to
    // wasm and run by node) -Oz took 124 s a build and -O1 33 s, -O1's
    // output is the smaller once gzipped (911 245 B against 989 481 B,
    // 2026-12-02) and the inference as fast (8.10 ms both, `cargo xtask
    // bench vision`): LLVM has already optimised it at opt-level z with
    // LTO, and the kernels at 3.
    //
    // wasm-opt reads the features the wasm uses from its target_features
    // section; relaxed SIMD is named as well, so an older reading of that
    // section cannot reject the build.
    let options: &[&str] = if lanes == Lanes::Relaxed {
        &["-O1", "--enable-relaxed-simd"]
    } else {
        &["-O1"]
    };
    // wasm-opt takes a while on the worker: skipped when the compiler's
    // output is the one already processed with the same options (their
    // hash, in a stamp file).
    let built_from = format!(
        "{} {}",
        hex::encode(Sha256::digest(
            std::fs::read(&wasm).with_context(|| format!("reading {}", wasm.display()))?,
        )),
        options.join(" ")
    );
    // Beside the folder, not in it: the folder is copied to dist/.
    // (In this build's own target directory, named after `out`, so two
    // outputs of one build keep their own stamps.)
    let stamp = target_dir.join(format!(
        "{}.stamp",
        &hex::encode(Sha256::digest(out.as_os_str().as_encoded_bytes()))[..16]
    ));
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
        util::wasm_opt_in_place_with(&bg, options)?;
        std::fs::write(&stamp, &built_from)?;
    }
    Ok(())
}

/// The app's copy: `target/vision`.
pub(crate) fn dir() -> PathBuf {
    util::root().join("target/vision")
}

pub(crate) fn build() -> Result<()> {
    build_into(&dir(), Lanes::Simd128)
}
