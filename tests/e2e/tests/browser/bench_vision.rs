//! The vision benchmark's browser part (`cargo xtask bench vision`): opens
//! tests/e2e/bench/vision.html, served with both worker builds,
//! onnxruntime-web and the models, and prints its figures. Ignored in the
//! test run (it takes minutes, and only prints).

use anyhow::{bail, Result};
use vigil_e2e::{Clip, Harness};

fn ms(v: &serde_json::Value) -> String {
    v.as_f64()
        .map(|x| format!("{x:.2}"))
        .unwrap_or_else(|| "?".into())
}

/// The first `n` operators of a profile's `ops`, as "name ms" (with the
/// node count as "×k" when `nodes`).
fn op_list(ops: &serde_json::Value, n: usize, nodes: bool) -> String {
    let ops: Vec<String> = ops
        .as_array()
        .map(|ops| {
            ops.iter()
                .take(n)
                .map(|o| {
                    let name = o["op"].as_str().unwrap_or("?");
                    if nodes {
                        format!("{name} ×{} {}", o["nodes"], ms(&o["ms"]))
                    } else {
                        format!("{name} {}", ms(&o["ms"]))
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    ops.join(", ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: run by `cargo xtask bench vision`"]
async fn bench_vision() {
    let h = Harness::start(Clip::Face).await.expect("harness");
    let r: Result<()> = async {
        h.open("/index.html").await?;
        let mut result = serde_json::Value::Null;
        for _ in 0..600 {
            result = h.js("return window.benchResult || null").await?;
            if !result.is_null() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
        if result.is_null() {
            bail!("the benchmark page gave no result in 10 minutes");
        }
        if let Some(e) = result.get("error") {
            bail!("the benchmark page failed: {e}");
        }
        let r = &result;
        println!("browser: {}", r["user_agent"]);
        println!(
            "short-range detector, {} frame, one thread, median of {} (p90):",
            r["frame"], r["runs"]
        );
        let (t, o, x) = (&r["tract_simd"], &r["onnxruntime_web"], &r["relaxed"]);
        println!(
            "  inference alone:       tract + vigil-kernels simd128 {} ms ({} ms) | onnxruntime-web {} {} ms ({} ms) | ratio {} (goal ≤ 1.0)",
            ms(&t["infer_ms"]),
            ms(&t["infer_p90_ms"]),
            o["version"],
            ms(&o["run_median_ms"]),
            ms(&o["run_p90_ms"]),
            ms(&r["ratio_inference"])
        );
        println!(
            "                         tract + vigil-kernels relaxed SIMD {} ms ({} ms), ratio {} | tract's own kernels {} ms ({} ms), ratio {}",
            ms(&x["infer_ms"]),
            ms(&x["infer_p90_ms"]),
            ms(&r["ratio_inference_relaxed"]),
            ms(&t["tract_infer_ms"]),
            ms(&t["tract_infer_p90_ms"]),
            ms(&r["ratio_inference_tract_kernels"])
        );
        println!(
            "    lanes reported by the workers: {} / {}; outputs against tract's own kernels in the browser: largest difference {} (relative above 1)",
            t["lanes"], x["lanes"], t["tract_max_diff"]
        );
        println!(
            "  frame in → faces out:  simd128 {} ms ({} ms), relaxed {} ms ({} ms) | onnxruntime-web + JS decoding {} ms ({} ms) | ratio {} / {}",
            ms(&t["detect_ms"]),
            ms(&t["detect_p90_ms"]),
            ms(&x["detect_ms"]),
            ms(&x["detect_p90_ms"]),
            ms(&o["pipeline_median_ms"]),
            ms(&o["pipeline_p90_ms"]),
            ms(&r["ratio_pipeline"]),
            ms(&r["ratio_pipeline_relaxed"])
        );
        println!(
            "    faces found: tract {}, onnxruntime-web {}; first box differs by {} of the frame at most",
            t["faces"],
            o["faces"],
            r["box_difference"]
                .as_f64()
                .map(|x| format!("{x:.4}"))
                .unwrap_or_else(|| "?".into())
        );
        println!(
            "    tract's pre-processing (letterbox warp, planar floats): {} ms; the worker's frame message \
             (with brightness and the message's copy) {} ms ({} ms); model load tract {} ms, onnxruntime-web {} ms",
            ms(&t["preprocess_ms"]),
            ms(&t["median_ms"]),
            ms(&t["p90_ms"]),
            ms(&t["load_ms"]),
            ms(&o["load_ms"])
        );
        println!(
            "    tract's inference by operator (ms per run, simd128): {}",
            op_list(&t["ops"], 8, false)
        );
        let n = &r["tract_no_simd"];
        println!(
            "  tract without simd: inference {} ms, frame in → faces out {} ms",
            ms(&n["infer_ms"]),
            ms(&n["detect_ms"])
        );
        for key in ["loop", "loop_simd128"] {
            let l = &r[key];
            println!(
                "proctoring loop, {} build ({} lanes), 1 frame/s for {} s of a still face in a still room \
                 (short range every frame, full range every 5th if the scene changed and every 15th, \
                 mesh when the face turns and every 10th): \
                 worker {}% of a core (median {} ms/frame), page {}% (median {} ms/frame) (goal < 3 %)",
                l["build"],
                l["lanes"],
                l["seconds"],
                ms(&l["worker_cpu_share_pct"]),
                ms(&l["worker_frame_median_ms"]),
                ms(&l["page_cpu_share_pct"]),
                ms(&l["page_frame_median_ms"])
            );
            println!(
                "  by model (medians, as the worker timed them): short-range frame {} ms, a mesh run {} ms (it ran on {} frames), \
                 a full-range run {} ms (on {} frames)",
                ms(&l["short_frame_ms"]),
                ms(&l["mesh_adds_ms"]),
                l["mesh_runs"],
                ms(&l["full_adds_ms"]),
                l["full_runs"]
            );
            for m in ["full", "mesh"] {
                let p = &l["profiles"][m];
                println!(
                    "  {m}: inference {} ms, pre-processing {} ms, frame in → result out {} ms; by operator: {}",
                    ms(&p["infer_ms"]),
                    ms(&p["preprocess_ms"]),
                    ms(&p["step_ms"]),
                    op_list(&p["ops"], 12, true)
                );
            }
            println!(
                "  identity check (face photo against the live frame, 640 px): {} ms (the first, with the embedder's load: {} ms; \
                 similarity of a frame with itself {}): {}% of a core at one check every 120 s; \
                 the whole loop with it, worker and page: {}% (goal < 3 %); a face that never keeps still \
                 (the mesh every 2nd frame) adds {}%, a room that never does (the full range every 5th) {}%",
                ms(&l["identity_median_ms"]),
                ms(&l["identity_first_ms"]),
                ms(&l["identity_similarity_same_frame"]),
                ms(&l["identity_share_pct_at_120s"]),
                ms(&l["with_identity_pct"]),
                ms(&l["mesh_moving_extra_pct"]),
                ms(&l["full_moving_extra_pct"])
            );
        }
        Ok(())
    }
    .await;
    h.finish("bench_vision", r).await;
}
