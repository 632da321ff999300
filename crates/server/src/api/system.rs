//! Liveness, time and a network probe: what a load balancer, the app's
//! trusted clock and the app's network check ask.

use std::sync::OnceLock;

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::{ApiError, AppState};

/// `GET /api/health`: 200 when the service and its storage answer, 503 otherwise.
pub(super) async fn health(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    match state.db.ping().await {
        Ok(()) => Ok(Json(json!({
            "status": "ok",
            "storage": "ok",
            "version": env!("CARGO_PKG_VERSION"),
        }))),
        Err(e) => {
            tracing::error!(error = %e, "storage check failed");
            Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "storage_unavailable",
                "storage does not answer",
            ))
        }
    }
}

/// `GET /api/time`: the server clock, from which the app derives its trusted clock.
pub(super) async fn time(State(state): State<AppState>) -> Json<Value> {
    Json(json!({ "now_ms": state.clock.now_ms() }))
}

/// Largest probe body, in bytes (1 MiB): enough to measure a candidate's
/// throughput in about a second on a slow line, small enough that the
/// unauthenticated route is no amplifier.
pub(super) const MAX_PROBE_BYTES: usize = 1024 * 1024;

#[derive(Deserialize)]
pub(super) struct ProbeQuery {
    bytes: Option<usize>,
}

/// Bytes that do not compress (xorshift), made once and sliced per request.
fn probe_body() -> &'static Bytes {
    static BODY: OnceLock<Bytes> = OnceLock::new();
    BODY.get_or_init(|| {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut v = Vec::with_capacity(MAX_PROBE_BYTES);
        while v.len() < MAX_PROBE_BYTES {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            v.extend_from_slice(&x.to_le_bytes());
        }
        v.truncate(MAX_PROBE_BYTES);
        Bytes::from(v)
    })
}

/// `GET /api/probe?bytes=N`: N bytes (default and at most
/// [`MAX_PROBE_BYTES`]) that the app times to measure throughput; never
/// cached.
pub(super) async fn probe(
    State(state): State<AppState>,
    extensions: axum::http::Extensions,
    headers: axum::http::HeaderMap,
    q: Result<Query<ProbeQuery>, QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let address = state.limits.client_address(&extensions, &headers);
    state
        .limits
        .check(crate::rate::Limit::Probe, &address)
        .map_err(ApiError::rate_limited)?;
    let Query(q) = q.map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("bytes must be a whole number: {}", e.body_text()),
        )
    })?;
    let n = q.bytes.unwrap_or(MAX_PROBE_BYTES);
    if n > MAX_PROBE_BYTES {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "probe_too_large",
            format!("bytes={n} is more than the {MAX_PROBE_BYTES} a probe may ask"),
        ));
    }
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        probe_body().slice(..n),
    ))
}

/// The OpenAPI 3.1 description of this API (`crates/server/api/openapi.json`,
/// written by hand and checked against the router and the shared types by
/// `tests/server/openapi.rs`).
///
/// Why by hand and not generated (utoipa): the bodies are the types of
/// `vigil-api`, a serde-only crate the wasm app shares, and deriving
/// `ToSchema` there would put utoipa into the app's build (or a feature
/// flag to keep in step) for a server-side document. What the document is
/// read for is what derives cannot see anyway — the stable error codes of
/// each route and status, the rate limits, the kiosk header, the start
/// window — so it would be prose in attributes instead of prose in JSON.
/// The drift a generator prevents is caught by the test: every documented
/// route exists, every API route is documented, the error codes are
/// `vigil_api::codes` and the required fields are the ones the shared
/// types serialize. The API has twelve routes and changes rarely; a
/// generator is worth its macros on every handler when it grows well past
/// that or gets clients that need a schema for every type.
pub const OPENAPI: &str = include_str!("../../api/openapi.json");

/// `GET /api/openapi.json`
pub(super) async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}
