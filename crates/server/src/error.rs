//! The one error type of the HTTP API.
//!
//! Every refusal leaves the server as `{"error": {"code", "message"}}` with a
//! fitting status: `code` is a stable machine word the app translates for the
//! candidate, `message` is English for operators and logs. Internal failures
//! are logged in full and answered with a generic message, so no SQL or path
//! leaks to a client. A 429 also carries `Retry-After`.
//!
//! Two failures are the storage's, not the request's, and are said so that a
//! client retries instead of giving up ([`StorageFault`]): the database out
//! of reach (a restart, a network cut, a pool exhausted) answers **503
//! `unavailable`** with `Retry-After: 5`, and a full disk (the media folder,
//! or the database: SQLite's `SQLITE_FULL`, PostgreSQL's `53100`) answers
//! **507 `storage_full`** with `Retry-After: 60`. Either way nothing of the
//! request was kept (the transaction rolled back, the partial upload cut
//! back), so the retry is safe.

use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Seconds a client waits before retrying when the database is out of reach.
pub const UNAVAILABLE_RETRY_S: u64 = 5;

/// Seconds a client waits before retrying when the server's storage is full.
pub const STORAGE_FULL_RETRY_S: u64 = 60;

/// A failure of the storage rather than of the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageFault {
    /// The database cannot be reached now (503).
    Unavailable,
    /// No space is left where the data goes (507).
    Full,
}

impl StorageFault {
    /// The fault behind a database error, if it is one.
    pub fn of_sqlx(e: &sqlx::Error) -> Option<StorageFault> {
        use sqlx::Error as E;
        match e {
            E::Io(io) => Some(Self::of_io(io).unwrap_or(StorageFault::Unavailable)),
            E::PoolTimedOut | E::PoolClosed | E::WorkerCrashed | E::Tls(_) | E::Protocol(_) => {
                Some(StorageFault::Unavailable)
            }
            E::Database(db) => {
                let code = db.code()?;
                Self::of_code(&code)
            }
            _ => None,
        }
    }

    /// The fault behind a database's error code: PostgreSQL's SQLSTATE
    /// (always five characters, some all digits), or SQLite's (extended)
    /// result code as a number (at most four digits).
    pub fn of_code(code: &str) -> Option<StorageFault> {
        if let Some(n) = code.parse::<i64>().ok().filter(|_| code.len() < 5) {
            // SQLite: the primary code is the low byte.
            return match n & 0xff {
                13 => Some(StorageFault::Full),           // SQLITE_FULL
                5 | 6 => Some(StorageFault::Unavailable), // SQLITE_BUSY, SQLITE_LOCKED
                _ => None,
            };
        }
        match code {
            // disk_full
            "53100" => Some(StorageFault::Full),
            // too_many_connections, admin/crash shutdown, cannot_connect_now
            "53300" | "57P01" | "57P02" | "57P03" => Some(StorageFault::Unavailable),
            // class 08: connection exceptions
            c if c.starts_with("08") => Some(StorageFault::Unavailable),
            _ => None,
        }
    }

    /// A full disk behind an I/O error.
    pub fn of_io(e: &std::io::Error) -> Option<StorageFault> {
        (e.kind() == std::io::ErrorKind::StorageFull).then_some(StorageFault::Full)
    }
}

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

impl ApiError {
    /// 503 `unavailable`: the database is out of reach; retry.
    pub fn unavailable(cause: impl std::fmt::Display) -> Self {
        tracing::warn!(%cause, "database unavailable");
        let mut e = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            format!(
                "the server cannot reach its database right now; nothing of this request was \
                 kept: try again in {UNAVAILABLE_RETRY_S} s"
            ),
        );
        e.retry_after_s = Some(UNAVAILABLE_RETRY_S);
        e
    }

    /// 507 `storage_full`: no space left on the server; retry later.
    pub fn storage_full(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "storage full");
        let mut e = Self::new(
            StatusCode::INSUFFICIENT_STORAGE,
            "storage_full",
            format!(
                "the server's storage is full; nothing of this request was kept: try again in \
                 {STORAGE_FULL_RETRY_S} s"
            ),
        );
        e.retry_after_s = Some(STORAGE_FULL_RETRY_S);
        e
    }

    /// A failed file operation: 507 when the disk is full, else internal.
    pub fn io(e: std::io::Error) -> Self {
        match StorageFault::of_io(&e) {
            Some(_) => Self::storage_full(e),
            None => Self::internal(e),
        }
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
        match StorageFault::of_sqlx(&e) {
            Some(StorageFault::Unavailable) => Self::unavailable(e),
            Some(StorageFault::Full) => Self::storage_full(e),
            None => Self::internal(e),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_faults_are_told_from_other_errors() {
        use StorageFault::*;
        assert_eq!(StorageFault::of_code("13"), Some(Full));
        assert_eq!(StorageFault::of_code("5"), Some(Unavailable));
        assert_eq!(StorageFault::of_code("517"), Some(Unavailable)); // SQLITE_BUSY_SNAPSHOT
        assert_eq!(StorageFault::of_code("19"), None); // SQLITE_CONSTRAINT
        assert_eq!(StorageFault::of_code("2067"), None); // SQLITE_CONSTRAINT_UNIQUE
        assert_eq!(StorageFault::of_code("53100"), Some(Full));
        assert_eq!(StorageFault::of_code("57P01"), Some(Unavailable));
        assert_eq!(StorageFault::of_code("08006"), Some(Unavailable));
        assert_eq!(StorageFault::of_code("23505"), None); // unique_violation
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(
            StorageFault::of_sqlx(&sqlx::Error::Io(refused)),
            Some(Unavailable)
        );
        assert_eq!(
            StorageFault::of_sqlx(&sqlx::Error::PoolTimedOut),
            Some(Unavailable)
        );
        assert_eq!(StorageFault::of_sqlx(&sqlx::Error::RowNotFound), None);
        let full = std::io::Error::from(std::io::ErrorKind::StorageFull);
        assert_eq!(StorageFault::of_sqlx(&sqlx::Error::Io(full)), Some(Full));
    }

    #[test]
    fn storage_faults_answer_503_and_507_with_a_retry_hint() {
        let e = ApiError::from(sqlx::Error::PoolTimedOut);
        assert_eq!((e.status.as_u16(), e.code), (503, "unavailable"));
        let res = e.into_response();
        assert_eq!(res.headers()[axum::http::header::RETRY_AFTER], "5");
        let e = ApiError::io(std::io::Error::from(std::io::ErrorKind::StorageFull));
        assert_eq!((e.status.as_u16(), e.code), (507, "storage_full"));
        assert_eq!(e.retry_after_s, Some(STORAGE_FULL_RETRY_S));
        let e = ApiError::io(std::io::Error::from(std::io::ErrorKind::PermissionDenied));
        assert_eq!((e.status.as_u16(), e.code), (500, "internal"));
    }
}
