//! vigil-api: the JSON bodies of Vigil's HTTP API, in one place.
//!
//! The server (native) and the web app (wasm32) both depend on this crate,
//! so a field renamed on one side fails to compile on the other instead of
//! failing at run time in a candidate's browser. Plain serde types, nothing
//! else: no HTTP client, no server framework.

use serde::{Deserialize, Serialize};
pub use vigil_exam::ExamSummary;

/// `POST /api/login` body.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LoginRequest {
    pub session: String,
    pub candidate: String,
    pub code: String,
}

/// `POST /api/login` answer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LoginResponse {
    /// Bearer token for every later call, scoped to this one attempt.
    pub token: String,
    pub attempt: AttemptView,
}

/// A session's schedule as the candidate sees it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SessionView {
    pub id: String,
    /// Scheduled start: the start window opens here (ms since the epoch).
    pub starts_at_ms: i64,
    /// The last moment a start is accepted (start + late-entry grace).
    pub closes_at_ms: i64,
}

/// `GET /api/attempt` answer (and part of the login answer).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AttemptView {
    pub id: String,
    pub candidate: String,
    /// `registered`, `in_progress`, `submitted`, `synced`…
    pub state: String,
    pub started_at_ms: Option<i64>,
    pub session: SessionView,
    pub exam: ExamSummary,
}

/// `GET /api/time` answer.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct TimeResponse {
    pub now_ms: i64,
}

/// Every refusal: `{"error": {"code", "message"}}`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ErrorDetail {
    /// Stable machine word (`bad_credentials`, `malformed_json`…).
    pub code: String,
    /// English, for operators and logs; the app shows its own words.
    pub message: String,
}

/// Error codes the app reacts to specifically.
pub mod codes {
    pub const BAD_CREDENTIALS: &str = "bad_credentials";
    pub const SESSION_OVER: &str = "session_over";
    pub const BAD_TOKEN: &str = "bad_token";
    pub const NO_TOKEN: &str = "no_token";
}
