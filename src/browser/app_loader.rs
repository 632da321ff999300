//! Loading the whole app from the boot (see [`crate::boot`]): the boot's
//! only browser calls that are not already elsewhere in this module.
//!
//! The loader itself is the module script in `index.html`
//! (`globalThis.vigilLoader`), which names the app's files with their
//! content hash (`cargo xtask build` writes it). Loading comes in two
//! steps so the boot stays on screen while the bytes travel: [`fetch`]
//! imports the app's script and compiles its wasm (nothing runs yet);
//! [`start`] then hands over and instantiates it, which runs the app's
//! `main`. The boot unmounts itself between the two, so the page never
//! holds two apps and is blank only for the instantiation.
//!
//! The handover (a JSON [`crate::boot::Handover`]) travels through the
//! loader, and the app takes it, once, as it starts ([`take_handover`]).

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

// The loader is a module script of index.html (`globalThis.vigilLoader`),
// not a wasm-bindgen snippet: the page names every file it needs, so the
// service worker caches them all, and a snippet would be one more file
// the page does not name.
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = vigilLoader, js_name = fetchApp)]
    fn fetch_app() -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = vigilLoader, js_name = startApp)]
    fn start_app(handover: &str) -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = vigilLoader, js_name = takeHandover)]
    fn take() -> Result<Option<String>, JsValue>;
}

/// Why the app could not be loaded, in words for the support reference.
fn reason(e: JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "unknown error".into())
}

/// Downloads and compiles the app named by the page; nothing runs yet.
pub async fn fetch() -> Result<(), String> {
    JsFuture::from(fetch_app().map_err(reason)?)
        .await
        .map(drop)
        .map_err(reason)
}

/// Starts the fetched app with `handover` (JSON); it mounts itself.
pub async fn start(handover: &str) -> Result<(), String> {
    JsFuture::from(start_app(handover).map_err(reason)?)
        .await
        .map(drop)
        .map_err(reason)
}

/// The boot's handover, once: `None` when the app was opened otherwise.
pub fn take_handover() -> Option<String> {
    take().ok().flatten()
}
