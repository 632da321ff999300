//! Liveness and time: what a load balancer and the app's trusted clock ask.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use crate::{ApiError, AppState};

/// `GET /api/health`: 200 when the service and its storage answer, 503 otherwise.
pub async fn health(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
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
pub async fn time(State(state): State<AppState>) -> Json<Value> {
    Json(json!({ "now_ms": state.clock.now_ms() }))
}
