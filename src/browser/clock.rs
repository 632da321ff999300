//! The browser's clocks: the wall clock (`Date.now()`), which the candidate
//! can set, and the monotonic clock (`performance.now()`), which they
//! cannot. The engine's trusted clock combines them with the server's time.

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
