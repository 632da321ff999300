//! Which build of the vision worker a browser runs (static/vision/pick.js):
//! the relaxed-SIMD one only where `WebAssembly.validate` accepts the
//! probe, the simd128 one elsewhere, and the build's own report of its
//! lanes (the worker's `ready`) says which one really loaded. Chromium 156
//! has relaxed SIMD, so here the page picks it; a stand-in `validate` that
//! refuses stands for a browser without it.

use std::time::Duration;

use anyhow::{bail, ensure, Result};
use vigil_e2e::{Clip, Harness};

const SCRIPT: &str = r#"
window.__builds = null;
(async () => {
  const { pickBuild, RELAXED_PROBE } = await import("/vision/pick.js");
  const start = (query) => new Promise((ok, bad) => {
    const w = new Worker("/vision/worker.js" + query, { type: "module" });
    w.onerror = (e) => bad(new Error(`worker${query}: ${e.message}`));
    w.onmessage = (e) => {
      const m = JSON.parse(e.data);
      if (m.type === "loaded") {
        w.postMessage({ type: "init", short: "/vision/models/face_detection_short_range.graph.gz" });
      } else if (m.type === "ready") {
        w.terminate();
        ok(m.lanes);
      } else if (m.type === "failed") {
        bad(new Error(`worker${query}: ${m.error}`));
      }
    };
  });
  // The probe is what decides, not any module: with its opcode turned
  // into one that does not exist (0xfd 0x1ff) it is invalid here too.
  const broken = RELAXED_PROBE.slice();
  broken[broken.length - 3] = 0xff;
  broken[broken.length - 2] = 0x03;
  window.__builds = {
    refused: pickBuild(() => false, null),
    accepted: pickBuild(() => true, null),
    forced: pickBuild(() => true, "simd128"),
    unknown_forced: pickBuild(() => false, "avx512"),
    probe_valid_here: WebAssembly.validate(RELAXED_PROBE),
    broken_probe_valid_here: WebAssembly.validate(broken),
    here: pickBuild((b) => WebAssembly.validate(b), null),
    auto_lanes: await start(""),
    simd128_lanes: await start("?build=simd128"),
    relaxed_lanes: await start("?build=relaxed"),
  };
})().catch((e) => { window.__builds = { error: String(e) }; });
return true;
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_runs_relaxed_simd_only_where_the_engine_validates_it() {
    let h = Harness::start(Clip::Face).await.expect("harness");
    let r: Result<()> = async {
        h.open("/").await?;
        h.js(SCRIPT).await?;
        let mut b = serde_json::Value::Null;
        for _ in 0..120 {
            b = h.js("return window.__builds").await?;
            if !b.is_null() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        println!("worker builds: {b}");
        if b.is_null() {
            bail!("the workers did not start in 60 s");
        }
        if let Some(e) = b.get("error") {
            bail!("{e}");
        }
        ensure!(
            b["refused"] == "simd128",
            "an engine without relaxed SIMD must get simd128: {b}"
        );
        ensure!(b["accepted"] == "relaxed", "{b}");
        ensure!(
            b["forced"] == "simd128" && b["unknown_forced"] == "simd128",
            "{b}"
        );
        ensure!(
            b["probe_valid_here"] == true && b["broken_probe_valid_here"] == false,
            "{b}"
        );
        ensure!(b["here"] == "relaxed", "Chromium has relaxed SIMD: {b}");
        ensure!(b["auto_lanes"] == "wasm simd128 + relaxed-simd", "{b}");
        ensure!(b["relaxed_lanes"] == "wasm simd128 + relaxed-simd", "{b}");
        ensure!(b["simd128_lanes"] == "wasm simd128", "{b}");
        Ok(())
    }
    .await;
    h.finish("worker_build", r).await;
}
