//! `cargo xtask bench NAME`: benchmarks that print figures (never asserted):
//! `engine` (verify, replay, proctoring), `app` (the web app in Chromium),
//! `sync` (the server under a whole session syncing at once), `login` (a
//! real login while wrong codes flood the server), `vision` (the face
//! checks natively and in Chromium, against onnxruntime-web).

use anyhow::{bail, Result};

use crate::util;

pub(crate) fn run(name: Option<&str>) -> Result<()> {
    match name {
        Some("engine") => {
            // Compiled by rustc alone: clippy's driver turns MIR's
            // optimisations off in the crates it lints (util::CLIPPY_ARGS).
            util::run(util::cargo_without_lints().args([
                "bench",
                "-p",
                "vigil-exam",
                "--bench",
                "engine",
            ]))
        }
        Some("app") => app(),
        Some("sync") => sync(),
        Some("login") => util::run(util::cargo_without_lints().args([
            "bench",
            "-p",
            "vigil-server",
            "--bench",
            "login",
        ])),
        Some("vision") => vision(),
        other => bail!("unknown benchmark {other:?}; available: engine, app, sync, login, vision"),
    }
}

/// `cargo test` of one ignored browser benchmark of the e2e crate.
fn browser_bench(filter: &str) -> std::process::Command {
    let mut cmd = util::cargo();
    cmd.args(["test", "-p", "vigil-e2e", "--test", "browser", "--", filter])
        .args(["--ignored", "--nocapture", "--test-threads=1"]);
    cmd
}

/// Questions in the navigation benchmark's exam.
const BENCH_QUESTIONS: usize = 200;

/// A one-hour exam of [`BENCH_QUESTIONS`] single-choice questions in one
/// section, written for the app benchmark.
fn bench_exam() -> String {
    let mut toml = String::from(
        "id = \"bench-200\"\ntitle = \"Banc d'essai — 200 questions\"\nlanguage = \"fr\"\n\
         [timing]\nduration_s = 3600\n\n[[sections]]\nid = \"s1\"\ntitle = \"Partie unique\"\n",
    );
    for i in 1..=BENCH_QUESTIONS {
        toml.push_str(&format!(
            "\n[[sections.questions]]\nid = \"q{i:03}\"\ntype = \"single\"\n\
             text = \"Question {i} : combien font {i} + {i} ?\"\n\
             choices = [\"{}\", \"{}\", \"{}\", \"{}\"]\ncorrect = 0\n",
            2 * i,
            2 * i + 1,
            2 * i - 1,
            2 * i + 10
        ));
    }
    toml
}

/// `cargo xtask bench app`: the app in headless Chromium with the real
/// server (see tests/e2e/tests/browser/bench_app.rs for what is measured).
fn app() -> Result<()> {
    crate::setup::run()?;
    let clips = crate::media::run()?;
    let dir = util::root().join("target/bench");
    std::fs::create_dir_all(&dir)?;
    // The benchmark's own build of the app (its probes exported), in its
    // own directory: the candidate's dist/ never carries them.
    let dist = dir.join("dist");
    crate::build::app_with(&["bench"], &dist)?;
    let server = crate::build::server_debug()?;
    let exam = dir.join("exam-200.toml");
    std::fs::write(&exam, bench_exam())?;
    let mut cmd = browser_bench("bench_app::");
    cmd.env("VIGIL_BENCH_EXAM", &exam);
    crate::test::e2e_env(&mut cmd, &server, &dist, &clips);
    util::run(&mut cmd)
}

/// `cargo xtask bench sync`: the server's last minute of a national exam
/// (crates/server/benches/sync.rs) against the release server: with the
/// media, then the events alone, on a SQLite file, then on a throwaway
/// PostgreSQL cluster when one can be started.
fn sync() -> Result<()> {
    let bench = |media: bool| {
        let mut c = util::cargo_without_lints();
        c.args(["bench", "-p", "vigil-server", "--bench", "sync"]);
        c.env("VIGIL_BENCH_MEDIA", if media { "1" } else { "0" });
        c
    };
    util::run(&mut bench(true))?;
    util::run(&mut bench(false))?;
    match crate::postgres::Cluster::start()? {
        Ok(cluster) => {
            let result = util::run(bench(true).env("VIGIL_BENCH_DATABASE_URL", cluster.url()))
                .and_then(|()| {
                    util::run(bench(false).env("VIGIL_BENCH_DATABASE_URL", cluster.url()))
                });
            drop(cluster);
            result
        }
        Err(why) => {
            println!("PostgreSQL skipped: {why}");
            Ok(())
        }
    }
}

/// onnxruntime-web, the reference the worker is compared with (npm).
const ORT_VERSION: &str = "1.30.0";

/// `cargo xtask bench vision`: per-model times natively (vigil-faces
/// --bench), then in headless Chromium the worker with and without simd128
/// against onnxruntime-web on the same model and frame, the proctoring
/// loop's CPU share over a minute (tests/e2e/bench/vision.html), and what a
/// candidate downloads for the face checks (gzip).
fn vision() -> Result<()> {
    crate::setup::run()?;
    let root = util::root();
    println!("== native: ms per frame for each model (median of 50 after warm-up)");
    util::run(util::vigil_faces(true)?.args([
        "--bench",
        "50",
        "tests/fixtures/faces/astronaut.png",
    ]))?;

    let web = root.join("target/bench/vision-web");
    let _ = std::fs::remove_dir_all(&web);
    std::fs::create_dir_all(web.join("frames"))?;
    crate::worker::build()?;
    crate::worker::build_into(&web.join("nosimd"), crate::worker::Lanes::None)?;
    util::copy_dir(&crate::worker::dir(), &web.join("simd"))?;
    std::fs::rename(web.join("simd/models"), web.join("models"))?;
    let _ = std::fs::remove_dir_all(web.join("nosimd/models"));
    // onnxruntime-web runs the committed ONNX file; the worker its
    // conversion (the same weights, checked equal as it was converted).
    std::fs::copy(
        root.join("static/models/face_detection_short_range.onnx"),
        web.join("models/face_detection_short_range.onnx"),
    )?;
    std::fs::copy(
        root.join("tests/fixtures/faces/astronaut.png"),
        web.join("frames/astronaut.png"),
    )?;
    std::fs::copy(
        root.join("tests/e2e/bench/vision.html"),
        web.join("index.html"),
    )?;
    let ort = root.join("target/tools/ort");
    let ort_dist = ort.join("node_modules/onnxruntime-web/dist");
    if !ort_dist.join("ort.wasm.min.mjs").exists() {
        util::run(
            util::program("npm")
                .args(["install", "--no-audit", "--no-fund", "--prefix"])
                .arg(&ort)
                .arg(format!("onnxruntime-web@{ORT_VERSION}")),
        )?;
    }
    std::fs::create_dir_all(web.join("ort"))?;
    for f in [
        "ort.wasm.min.mjs",
        "ort-wasm-simd-threaded.wasm",
        "ort-wasm-simd-threaded.mjs",
    ] {
        std::fs::copy(ort_dist.join(f), web.join("ort").join(f))?;
    }

    let clips = crate::media::run()?;
    let server = crate::build::server_debug()?;
    println!("== in headless Chromium (tests/e2e/bench/vision.html)");
    let mut cmd = browser_bench("bench_vision::");
    crate::test::e2e_env(&mut cmd, &server, &web, &clips);
    util::run(&mut cmd)?;

    println!("== what a candidate downloads for the face checks (dist/vision/, gzip -9)");
    let dir = crate::worker::dir();
    let mut total_detector = 0;
    for (name, in_goal) in [
        ("vigil_vision_worker_bg.wasm", true),
        ("vigil_vision_worker.js", true),
        ("worker.js", true),
        ("pick.js", true),
        ("models/face_detection_short_range.graph.gz", true),
        ("models/face_landmark.graph.gz", false),
        ("models/face_detection_full_range.graph.gz", false),
        ("models/MobileFaceNet.graph.gz", false),
    ] {
        let bytes = std::fs::read(dir.join(name))?;
        let gz = crate::size::gzip_len(&bytes)?;
        if in_goal {
            total_detector += gz;
        }
        println!(
            "{name:<44} {:>9.1} KiB raw {:>9.1} KiB gzip",
            bytes.len() as f64 / 1024.0,
            gz as f64 / 1024.0
        );
    }
    println!(
        "worker + short-range detector: {:.2} MB gzip (goal 1.5 MB)",
        total_detector as f64 / 1e6
    );
    Ok(())
}
