//! The browser's clocks: the wall clock (`Date.now()`), which the candidate
//! can set, and the monotonic clock (`performance.now()`), which they
//! cannot. The engine's trusted clock combines them with the server's time.
//! Also the performance timeline marks the app benchmark reads.

use wasm_bindgen::JsCast;

/// Wall-clock milliseconds since the Unix epoch.
pub fn wall_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// Monotonic milliseconds since the page loaded.
pub fn mono_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0)
}

/// A time as the candidate reads it: local date and time, in their language.
pub fn local_text(epoch_ms: i64, lang_code: &str) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(epoch_ms as f64));
    date.to_locale_string(lang_code, &wasm_bindgen::JsValue::UNDEFINED)
        .into()
}

/// `epoch_ms` as a date and time in the IANA zone `zone` (the session's),
/// written in `lang_code`'s manner: `samedi 15 janvier 2027 à 09:00`. A
/// zone this browser does not know falls back to the machine's own time
/// ([`local_text`]) rather than fail (the browser throws a RangeError,
/// caught here).
pub fn zone_text(epoch_ms: i64, lang_code: &str, zone: &str) -> String {
    use wasm_bindgen::JsValue;
    let date = js_sys::Date::new(&JsValue::from_f64(epoch_ms as f64));
    let options = js_sys::Object::new();
    for (key, value) in [
        ("timeZone", zone),
        ("dateStyle", "full"),
        ("timeStyle", "short"),
    ] {
        let _ = js_sys::Reflect::set(&options, &key.into(), &value.into());
    }
    let format = js_sys::Reflect::get(&date, &"toLocaleString".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    let args = js_sys::Array::of2(&lang_code.into(), &options);
    format
        .and_then(|f| js_sys::Reflect::apply(&f, &date, &args).ok())
        .and_then(|text| text.as_string())
        .unwrap_or_else(|| local_text(epoch_ms, lang_code))
}

/// A random number in [0, 1) (for retry jitter).
pub fn random() -> f64 {
    js_sys::Math::random()
}

/// Marks a moment on the page's performance timeline (read by the app
/// benchmark, `cargo xtask bench app`; a mark costs a few bytes).
pub fn perf_mark(name: &str) {
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        let _ = p.mark(name);
    }
}

/// Records the span from `start_ms` (a [`mono_ms`] reading) to now as a
/// performance measure named `name`.
pub fn perf_measure_since(name: &str, start_ms: f64) {
    let Some(p) = web_sys::window().and_then(|w| w.performance()) else {
        return;
    };
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"start".into(), &start_ms.into());
    let _ = js_sys::Reflect::set(&options, &"end".into(), &p.now().into());
    if let Ok(measure) = js_sys::Reflect::get(&p, &"measure".into()) {
        if let Ok(f) = measure.dyn_into::<js_sys::Function>() {
            let _ = f.call2(&p, &name.into(), &options);
        }
    }
}
