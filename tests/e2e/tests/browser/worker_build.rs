//! Which build of the vision worker a browser runs (static/vision/pick.js):
//! the relaxed-SIMD one only where `WebAssembly.validate` accepts the
//! probe, the simd128 one elsewhere, and the build's own report of its
//! lanes (the worker's `ready`) says which one really loaded. Chromium 156
//! has relaxed SIMD, so here the page picks it; a stand-in `validate` that
//! refuses stands for a browser without it.
//!
//! And what each build runs: in the browser, with every model of the
//! proctoring loop, the convolutions are Vigil's kernels wherever the
//! native rewrite puts them (`vigil_vision::fuse`, whose counts the native
//! test `the_models_give_the_same_outputs_on_the_photographs` holds), none
//! left to tract's depthwise convolution. tract's declutter is not the same
//! in wasm with simd128 as natively, which once cost the full-range
//! detector 16 of its 40 depthwise and 32 of its 46 pointwise kernels in
//! the browser alone.

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

const KERNELS_SCRIPT: &str = r#"
window.__kernels = null;
(async () => {
  // One camera frame (the fake camera's face), 320 px wide as the app sends.
  const stream = await navigator.mediaDevices.getUserMedia({ video: true });
  const v = document.createElement("video");
  v.muted = true;
  v.srcObject = stream;
  await v.play();
  await new Promise((ok) => setTimeout(ok, 500));
  const c = document.createElement("canvas");
  c.width = 320; c.height = 240;
  const g = c.getContext("2d");
  g.drawImage(v, 0, 0, 320, 240);
  const pixels = () => g.getImageData(0, 0, 320, 240).data;
  stream.getTracks().forEach((t) => t.stop());
  const run = (build) => new Promise((ok, bad) => {
    const w = new Worker("/vision/worker.js?build=" + build, { type: "module" });
    const found = {};
    const models = ["short", "full", "mesh"];
    const next = () => {
      const model = models[Object.keys(found).length];
      if (!model) { w.terminate(); ok(found); return; }
      const data = pixels();
      w.postMessage({ type: "profile", id: 1, width: 320, height: 240, data, runs: 1, model }, [data.buffer]);
    };
    w.onerror = (e) => bad(new Error(`${build}: ${e.message}`));
    w.onmessage = (e) => {
      const m = JSON.parse(e.data);
      if (m.type === "loaded") {
        w.postMessage({
          type: "init",
          short: "/vision/models/face_detection_short_range.graph.gz",
          full: "/vision/models/face_detection_full_range.graph.gz",
          mesh: "/vision/models/face_landmark.graph.gz",
        });
      } else if (m.type === "ready") {
        next();
      } else if (m.type === "profile") {
        found[m.model] = Object.fromEntries(m.ops.map((o) => [o.op, o.nodes]));
        next();
      } else {
        bad(new Error(`${build}: ${e.data}`));
      }
    };
  });
  window.__kernels = { simd128: await run("simd128"), relaxed: await run("relaxed") };
})().catch((e) => { window.__kernels = { error: String(e) }; });
return true;
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_model_runs_its_convolutions_in_vigils_kernels_in_both_builds() {
    let h = Harness::start(Clip::Face).await.expect("harness");
    let r: Result<()> = async {
        h.open("/").await?;
        h.js(KERNELS_SCRIPT).await?;
        let mut k = serde_json::Value::Null;
        for _ in 0..240 {
            k = h.js("return window.__kernels").await?;
            if !k.is_null() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        println!("operators by model: {k}");
        if k.is_null() {
            bail!("the workers gave no profile in 120 s");
        }
        if let Some(e) = k.get("error") {
            bail!("{e}");
        }
        // (pointwise, depthwise, 2×2 max-pools, 2× upsamplings, lone
        // PReLUs, dense first layers): the native rewrite's counts for
        // each model.
        let expected = [
            ("short", (16, 16, 3, 0, 0, 1)),
            ("full", (46, 40, 4, 3, 0, 1)),
            ("mesh", (22, 20, 5, 0, 0, 1)),
        ];
        for build in ["simd128", "relaxed"] {
            for (model, (pw, dw, mp, up, act, dense)) in expected {
                let ops = &k[build][model];
                let n = |op: &str| ops[op].as_u64().unwrap_or(0);
                let got = (
                    n("VigilPointwise"),
                    n("VigilDepthwise"),
                    n("VigilMaxPool2x2"),
                    n("VigilUpsample2x"),
                    n("VigilActivate"),
                    n("VigilDense"),
                );
                ensure!(
                    got == (pw, dw, mp, up, act, dense),
                    "{build} {model}: Vigil's kernels run (pointwise, depthwise, max-pool, upsample, activation, dense) = {got:?}, \
                     natively {:?}: {ops}",
                    (pw, dw, mp, up, act, dense)
                );
                ensure!(
                    n("DepthWiseConv") == 0,
                    "{build} {model}: a depthwise convolution left to tract: {ops}"
                );

            }
        }
        Ok(())
    }
    .await;
    h.finish("worker_kernels", r).await;
}
