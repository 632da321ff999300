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
//! A finished build is kept outside the work tree by the hash of all it is
//! made from (xtask/src/cache.rs): a clone whose vision crates did not
//! change takes it as it is.
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

use crate::{cache, util};
use anyhow::Result;

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
            Lanes::None => "worker-nosimd",
            Lanes::Simd128 => "worker",
            Lanes::Relaxed => "worker-relaxed",
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
    let mut flags = String::from("-Ctarget-feature=+bulk-memory");
    match lanes {
        Lanes::None => {}
        Lanes::Simd128 => flags.push_str("\x1f-Ctarget-feature=+simd128"),
        Lanes::Relaxed => flags.push_str("\x1f-Ctarget-feature=+simd128,+relaxed-simd"),
    }
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
    // The same sources, flags and tools make the same worker: a build
    // kept in the cache is used as it is (xtask/src/cache.rs).
    let versions = ["wasm-bindgen", "wasm-opt"]
        .map(|tool| util::version_of(&mut util::program(tool)).unwrap_or_default());
    let key = cache::sources_key(
        "vigil-vision-worker",
        "wasm32-unknown-unknown",
        &[
            &flags,
            &options.join(" "),
            util::CLIPPY_ARGS,
            &versions[0],
            &versions[1],
        ],
    )?;
    let outputs = ["vigil_vision_worker.js", "vigil_vision_worker_bg.wasm"];
    if let Some(kept) = cache::worker_build(&key) {
        println!(
            "(the worker's sources, flags and tools are those of the build kept in {}: used as it is)",
            kept.display()
        );
        for file in outputs {
            util::copy(&kept.join(file), &out.join(file))?;
        }
        return Ok(());
    }
    let target_dir = util::root().join("target").join(lanes.target_dir());
    let mut cargo = util::cargo();
    util::in_build_dir(&mut cargo, lanes.target_dir());
    util::run(
        cargo
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
    util::run(
        util::program("wasm-bindgen")
            .args(["--target", "web", "--no-typescript", "--out-dir"])
            .arg(out)
            .arg(&wasm),
    )?;
    let bg = out.join("vigil_vision_worker_bg.wasm");
    util::wasm_opt_in_place_with(&bg, options)?;
    cache::keep_worker_build(&key, &outputs.map(|f| out.join(f)))
}

/// The app's copy: `target/vision`.
pub(crate) fn dir() -> PathBuf {
    util::root().join("target/vision")
}

pub(crate) fn build() -> Result<()> {
    build_into(&dir(), Lanes::Simd128)
}
