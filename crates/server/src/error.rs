//! The one error type of the HTTP API.
//!
//! Every refusal leaves the server as `{"error": {"code", "message"}}` with a
//! fitting status: `code` is a stable machine word the app translates for the
//! candidate, `message` is English for operators and logs. Internal failures
//! are logged in full and answered with a generic message, so no SQL or path
//! leaks to a client. A 429 also carries `Retry-After`.

use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Bytes the server holds of a media upload, added to the error object
    /// of a refused resumable upload so the client resumes from there.
    pub received: Option<u64>,
    /// Seconds before trying again (429), sent as `Retry-After`.
    pub retry_after_s: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            received: None,
            retry_after_s: None,
        }
    }
    /// 429 `rate_limited`, with `Retry-After`.
    pub fn rate_limited(retry_after_s: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many requests: try again in {retry_after_s} s"),
        );
        e.retry_after_s = Some(retry_after_s);
        e
    }
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }
    pub fn too_large(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, code, message)
    }
    /// Adds `received` (bytes held) to the error object.
    pub fn with_received(mut self, received: u64) -> Self {
        self.received = Some(received);
        self
    }
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }
    /// An unexpected failure: logged here with its cause, answered vaguely.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal server error",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({ "error": { "code": self.code, "message": self.message } });
        if let Some(received) = self.received {
            body["error"]["received"] = json!(received);
        }
        let mut res = (self.status, axum::Json(body)).into_response();
        if let Some(s) = self.retry_after_s {
            res.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, s.into());
        }
        res
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        Self::internal(e)
    }
}

/// Malformed or oversized JSON bodies get the same error shape as the rest.
impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        let status = rejection.status();
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "too_large"
        } else if status == StatusCode::UNSUPPORTED_MEDIA_TYPE {
            "unsupported_media_type"
        } else {
            "malformed_json"
        };
        Self::new(status, code, rejection.body_text())
    }
}
