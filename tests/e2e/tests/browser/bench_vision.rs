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
        println!(
            "  tract in the worker, simd128:    {} ms ({} ms), model load {} ms, faces {}",
            ms(&r["tract_simd"]["median_ms"]),
            ms(&r["tract_simd"]["p90_ms"]),
            ms(&r["tract_simd"]["load_ms"]),
            r["tract_simd"]["faces"]
        );
        println!(
            "    of which pre-processing (letterbox warp, planar floats): {} ms of {} ms",
            ms(&r["tract_simd"]["preprocess_ms"]),
            ms(&r["tract_simd"]["detect_ms"])
        );
        let ops: Vec<String> = r["tract_simd"]["ops"]
            .as_array()
            .map(|ops| {
                ops.iter()
                    .take(8)
                    .map(|o| format!("{} {}", o["op"].as_str().unwrap_or("?"), ms(&o["ms"])))
                    .collect()
            })
            .unwrap_or_default();
        println!(
            "    inference by operator (ms per run, simd128): {}",
            ops.join(", ")
        );
        println!(
            "  tract in the worker, no simd:    {} ms ({} ms); pre-processing {} ms of {} ms",
            ms(&r["tract_no_simd"]["median_ms"]),
            ms(&r["tract_no_simd"]["p90_ms"]),
            ms(&r["tract_no_simd"]["preprocess_ms"]),
            ms(&r["tract_no_simd"]["detect_ms"])
        );
        println!(
            "  onnxruntime-web {} (wasm):   {} ms ({} ms), of which run {} ms, load {} ms, anchors over 0.7: {}",
            r["onnxruntime_web"]["version"],
            ms(&r["onnxruntime_web"]["median_ms"]),
            ms(&r["onnxruntime_web"]["p90_ms"]),
            ms(&r["onnxruntime_web"]["run_median_ms"]),
            ms(&r["onnxruntime_web"]["load_ms"]),
            r["onnxruntime_web"]["anchors_over_threshold"]
        );
        println!(
            "  ratio tract simd / onnxruntime-web: {} (goal ≤ 1.0; goal ≤ 8 ms per frame)",
            ms(&r["ratio_tract_simd_to_ort"])
        );
        let l = &r["loop"];
        println!(
            "proctoring loop, 1 frame/s for {} s (short + mesh + full range every 5th): \
             worker {}% of a core (median {} ms/frame), page {}% (median {} ms/frame) (goal < 3 %)",
            l["seconds"],
            ms(&l["worker_cpu_share_pct"]),
            ms(&l["worker_frame_median_ms"]),
            ms(&l["page_cpu_share_pct"]),
            ms(&l["page_frame_median_ms"])
        );
        Ok(())
    }
    .await;
    h.finish("bench_vision", r).await;
}
