//! The network check's measurements: round trips to the server and the
//! throughput of a download, timed with `performance.now()`.
//!
//! The verdict is [`crate::checks::network_status`]; this module only
//! measures. Each measurement is a real request to the exam server (the
//! one that matters), never to a third party.

use crate::browser::api;

/// Round trips measured; the median is kept (one slow outlier, say a
/// first connection's handshake, does not decide).
pub const ROUND_TRIPS: usize = 5;
/// Bytes downloaded to measure throughput (the server's maximum probe).
pub const PROBE_BYTES: usize = 1024 * 1024;

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0)
}

/// Median round trip to `GET /api/time`, in ms; `None` if unreachable.
pub async fn round_trip_ms() -> Option<f64> {
    let mut samples = Vec::with_capacity(ROUND_TRIPS);
    for _ in 0..ROUND_TRIPS {
        let t0 = now_ms();
        api::time().await.ok()?;
        samples.push(now_ms() - t0);
    }
    crate::checks::median(samples)
}

/// Download throughput of [`PROBE_BYTES`], in bits per second; `None` if
/// the download failed.
pub async fn throughput_bps() -> Option<f64> {
    let t0 = now_ms();
    let n = api::probe(PROBE_BYTES).await.ok()?;
    let secs = ((now_ms() - t0) / 1000.0).max(0.001);
    Some(n as f64 * 8.0 / secs)
}
