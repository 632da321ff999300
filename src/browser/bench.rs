//! Probes the app benchmark reads through `window.wasmBindings`
//! (`cargo xtask bench app`). Compiled only with `--features bench`: the
//! candidate's app exports nothing for benchmarks.

/// Bytes of wasm linear memory now (the benchmark's heap figure).
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn vigil_wasm_memory_bytes() -> f64 {
    use wasm_bindgen::JsCast;
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .map(|m| {
            m.buffer()
                .dyn_into::<js_sys::ArrayBuffer>()
                .map(|b| f64::from(b.byte_length()))
                .unwrap_or(0.0)
        })
        .unwrap_or(0.0)
}
