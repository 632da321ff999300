//! vigil-app: the candidate's side of Vigil, a Yew app compiled to wasm32.
//!
//! Layout (see DESIGN.md): [`app`] routes between [`screens`] from the pure
//! [`state`] reducer; [`components`] are the shared pieces; [`browser`] holds
//! every web-sys/js-sys/gloo call; [`checks`] and [`i18n`] are pure and
//! tested natively.

pub mod app;
pub mod browser;
pub mod checks;
pub mod components;
pub mod copy;
pub mod face_match;
pub mod head_turn;
pub mod i18n;
pub mod live_checks;
pub mod package;
pub mod proctoring;
pub mod screens;
pub mod session;
pub mod state;
pub mod sync;
pub mod voice;

/// Mounts the app on `<body>` (after picking up the kiosk launcher's config
/// key and link, if any).
pub fn run() {
    browser::api::set_config_key(browser::dom::config_key_from_fragment());
    browser::kiosk::init_from_fragment();
    browser::dom::register_service_worker();
    yew::Renderer::<app::App>::new().render();
}

/// Bytes of wasm linear memory now (read by the app benchmark through
/// `window.wasmBindings`).
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

/// Benchmark probe (app bench): `n` IndexedDB adds through the app's
/// storage code, each timed; resolves to the durations in ms.
#[wasm_bindgen::prelude::wasm_bindgen]
pub async fn vigil_bench_idb(n: u32) -> wasm_bindgen::JsValue {
    let out = js_sys::Array::new();
    for i in 0..n {
        let t0 = browser::clock::mono_ms();
        let _ = browser::idb::bench_add(i).await;
        out.push(&(browser::clock::mono_ms() - t0).into());
    }
    out.into()
}
