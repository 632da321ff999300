//! What the browser offers, asked without side effects: the features the
//! exam needs, the device memory and whether the desktop spans several
//! screens.

use js_sys::Reflect;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

fn window() -> web_sys::Window {
    web_sys::window().expect("the app runs in a window")
}

fn has(target: &JsValue, name: &str) -> bool {
    Reflect::get(target, &JsValue::from_str(name))
        .map(|v| !v.is_undefined() && !v.is_null())
        .unwrap_or(false)
}

/// Names of the features the exam needs that this browser lacks.
pub fn missing_features() -> Vec<&'static str> {
    let w = window();
    let global: JsValue = w.clone().into();
    let navigator: JsValue = w.navigator().into();
    let media_devices =
        Reflect::get(&navigator, &"mediaDevices".into()).unwrap_or(JsValue::UNDEFINED);
    let document: JsValue = w.document().map(Into::into).unwrap_or(JsValue::UNDEFINED);
    let mut missing = Vec::new();
    let checks: [(&str, bool); 6] = [
        ("WebAssembly", has(&global, "WebAssembly")),
        ("IndexedDB", has(&global, "indexedDB")),
        ("getUserMedia", has(&media_devices, "getUserMedia")),
        ("MediaRecorder", has(&global, "MediaRecorder")),
        ("Fullscreen API", has(&document, "exitFullscreen")),
        ("Web Workers", has(&global, "Worker")),
    ];
    for (name, ok) in checks {
        if !ok {
            missing.push(name);
        }
    }
    missing
}

/// `navigator.deviceMemory` in GB (Chromium only; rounded and capped at 8).
pub fn device_memory_gb() -> Option<f64> {
    let navigator: JsValue = window().navigator().into();
    Reflect::get(&navigator, &"deviceMemory".into())
        .ok()
        .and_then(|v| v.as_f64())
}

/// `screen.isExtended`: whether the desktop spans more than one screen.
pub fn screen_is_extended() -> Option<bool> {
    let screen: JsValue = window().screen().ok()?.into();
    Reflect::get(&screen, &"isExtended".into())
        .ok()
        .and_then(|v| v.as_bool())
}

/// The storage manager (`navigator.storage`), if the browser has one.
fn storage_manager() -> Option<web_sys::StorageManager> {
    let navigator: JsValue = window().navigator().into();
    Reflect::get(&navigator, &"storage".into())
        .ok()
        .filter(|v| !v.is_undefined())
        .map(wasm_bindgen::JsCast::unchecked_into)
}

/// Free bytes this origin may still use (`quota − usage`), if the browser says.
pub async fn storage_free_bytes() -> Option<f64> {
    let estimate = JsFuture::from(storage_manager()?.estimate().ok()?)
        .await
        .ok()?;
    let quota = Reflect::get(&estimate, &"quota".into()).ok()?.as_f64()?;
    let usage = Reflect::get(&estimate, &"usage".into())
        .ok()?
        .as_f64()
        .unwrap_or(0.0);
    Some((quota - usage).max(0.0))
}

/// Asks the browser not to evict this origin's storage under pressure
/// (`navigator.storage.persist()`); the answer says whether it agreed.
pub async fn request_persistence() -> Option<bool> {
    let granted = JsFuture::from(storage_manager()?.persist().ok()?)
        .await
        .ok()?;
    granted.as_bool()
}
