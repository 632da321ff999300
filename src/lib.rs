//! vigil-app: the candidate's side of Vigil, a Yew app compiled to wasm32.
//!
//! Layout (see docs/architecture.md): [`app`] composes the custom
//! [`hooks`] and shows the screen [`route`] picks from the pure [`state`]
//! reducer; the attempt lives in one place, the [`store`]; [`screens`] and
//! [`components`] are the views; [`problem`] types what a candidate can be
//! told went wrong; [`browser`] holds every web-sys/js-sys/gloo call;
//! [`checks`], [`i18n`], [`proctoring`] and [`sync`]'s counting are pure
//! and tested natively.

pub mod app;
pub mod browser;
pub mod checks;
pub mod components;
pub mod copy;
pub mod face_match;
pub mod head_turn;
pub mod hooks;
pub mod i18n;
pub mod live_checks;
pub mod package;
pub mod problem;
pub mod proctoring;
pub mod route;
pub mod screens;
pub mod session;
pub mod state;
pub mod store;
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
/// `window.wasmBindings`). Only in the benchmark's own build (`--features
/// bench`): the candidate's app exports nothing for benchmarks.
#[cfg(feature = "bench")]
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
