//! vigil-api: the JSON bodies of Vigil's HTTP API, in one place.
//!
//! The server (native) and the web app (wasm32) both depend on this crate,
//! so a field renamed on one side fails to compile on the other instead of
//! failing at run time in a candidate's browser. Plain serde types and the
//! package opener ([`package`]), nothing else: no HTTP client, no server
//! framework.

pub mod package;

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
    /// The IANA time zone the session's times are read in (the
    /// convocation): `Europe/Paris` unless the organiser set another.
    #[serde(default = "paris")]
    pub time_zone: String,
}

fn paris() -> String {
    "Europe/Paris".to_owned()
}

/// `GET /api/attempt` answer (and part of the login answer).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AttemptView {
    pub id: String,
    pub candidate: String,
    /// `registered`, `in_progress`, `submitted`, `technical_failure`
    pub state: String,
    pub started_at_ms: Option<i64>,
    pub session: SessionView,
    pub exam: ExamSummary,
    /// The `prev_hash` of the attempt's first event: SHA-256 of the attempt
    /// id and a nonce the server reveals at login (`vigil_exam::attempt_genesis`),
    /// so the log verifies for this attempt only. Absent from sessions an
    /// older app stored: the zero genesis.
    #[serde(default = "zero_genesis")]
    pub chain_genesis: String,
    /// The extra-time accommodation (tiers-temps) in the server's records:
    /// an offline start (printed code) applies it without asking the server.
    #[serde(default)]
    pub extra_time: bool,
    /// The session's copy key (X25519 public key, 64 hex digits): when the
    /// data cannot be sent, the app saves an encrypted copy of the attempt
    /// to it (`vigil_copy`), which only the organiser can open. Absent from
    /// sessions an older app stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copy_key: Option<String>,
}

fn zero_genesis() -> String {
    "0".repeat(64)
}

/// `GET /api/attempt/package` answer: the exam, encrypted for this attempt,
/// in two parts.
///
/// Served at any time after login, so the candidate's machine holds the
/// exam before the start even on a poor network. The first part (`nonce`,
/// `ciphertext`, `sha256`) is the exam's skeleton (`Exam::skeleton`: every
/// question's content withheld), under the attempt's key ([`attempt_key`]),
/// released by the start ([`StartResponse::key`]); the second
/// ([`PackageResponse::questions`]) is the exam itself, under the
/// attempt's questions key ([`questions_key`]), released by the opening
/// ([`QuestionsResponse::key`]). When the network is down at the start,
/// the session's printed start code gives both (see docs/architecture.md).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PackageResponse {
    pub exam_id: String,
    /// Always `"AES-256-GCM"`.
    pub algorithm: String,
    /// 12-byte GCM nonce, standard base64.
    pub nonce: String,
    /// The skeleton's JSON (`Exam::to_json`) encrypted, tag appended,
    /// standard base64.
    pub ciphertext: String,
    /// SHA-256 (hex) of the plaintext JSON: checked after decryption.
    pub sha256: String,
    /// The exam's questions: the whole exam (without answer keys), sealed
    /// under the questions key. Absent from a package made before #31.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub questions: Option<SealedPart>,
}

/// One AES-256-GCM sealed part of a package.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SealedPart {
    /// 12-byte GCM nonce, standard base64.
    pub nonce: String,
    /// The plaintext encrypted, tag appended, standard base64.
    pub ciphertext: String,
    /// SHA-256 (hex) of the plaintext: checked after decryption.
    pub sha256: String,
}

/// `POST /api/attempt/start` body (an empty object is fine).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct StartRequest {}

/// `POST /api/attempt/start` answer: the start is recorded, the key released.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StartResponse {
    /// The start (the check-in) as the server clock recorded it (ms):
    /// lateness is judged on it.
    pub started_at_ms: i64,
    /// The questions open by this instant at the latest, identification
    /// steps done or not (ms).
    #[serde(default)]
    pub identification_by_ms: i64,
    /// The latest the attempt can end (ms), extra time included: questions
    /// opened at the identification bound, plus the duration. It ends
    /// earlier when they open earlier ([`QuestionsResponse::deadline_ms`]).
    pub deadline_ms: i64,
    /// The 32-byte AES-256-GCM key of this attempt's package
    /// ([`attempt_key`]), standard base64.
    pub key: String,
    /// Whether the server's records grant this attempt extra time (the
    /// exam's fraction, per section and overall): the app's `start` event
    /// says the same, so its timer shows the deadline the server enforces.
    #[serde(default)]
    pub extra_time: bool,
}

/// `POST /api/attempt/questions` answer: the server's record of the
/// questions opening (the timer's start), never later than the
/// identification bound; the same at every call.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct QuestionsResponse {
    pub questions_opened_at_ms: i64,
    /// Opening + duration (+ extra time).
    pub deadline_ms: i64,
    /// The 32-byte key of this attempt's questions ([`questions_key`]),
    /// standard base64: released only here, once the opening is recorded.
    #[serde(default)]
    pub key: String,
}

/// `POST /api/attempt/events` body: events `from_seq` onwards, in order.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EventsRequest {
    /// The `seq` of the first event in `events` (events count from 1).
    pub from_seq: u64,
    pub events: Vec<vigil_exam::Event>,
}

/// `POST /api/attempt/events` answer.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct EventsResponse {
    /// Highest seq the server holds for this attempt (0: none yet).
    pub acked_seq: u64,
}

/// `PUT /api/attempt/media/{sha256}` answer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct MediaResponse {
    pub sha256: String,
    /// Bytes the server holds so far (resumable uploads continue from here).
    pub received: u64,
    /// Whether the whole blob arrived and matched its hash.
    pub complete: bool,
}

/// `GET /api/time` answer.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct TimeResponse {
    pub now_ms: i64,
}

/// The header carrying the kiosk launcher's config key on every API call.
pub const CONFIG_KEY_HEADER: &str = "X-Vigil-Config-Key";
/// The URL fragment parameter through which the launcher hands the key to the app.
pub const CONFIG_KEY_FRAGMENT: &str = "vigil-config-key";

/// Domain separation of the start-code key derivation.
pub const START_CODE_CONTEXT: &[u8] = b"vigil-start-code-v1";

/// Codes are compared without case, spaces or dashes: `abcd efgh` = `ABCD-EFGH`.
/// Codes are ASCII (letters and digits): the ASCII uppercase, which keeps
/// any other character as typed (a code with one never matches), spares
/// the app's wasm the Unicode case tables.
pub fn normalize_code(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The package key of a session unlocked by its printed start code:
/// `SHA-256(START_CODE_CONTEXT ‖ session id ‖ normalized code)`. The server
/// seals packages with it; the app derives it when the network is down at
/// the start and a proctor reads the code to the candidate. Shared here so
/// the two cannot drift.
pub fn start_code_key(session_id: &str, start_code: &str) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(START_CODE_CONTEXT);
    h.update(session_id.as_bytes());
    h.update(normalize_code(start_code).as_bytes());
    h.finalize().into()
}

/// Domain separation of an attempt's package key.
pub const ATTEMPT_KEY_CONTEXT: &[u8] = b"vigil-attempt-key-v1";

/// The package key of one attempt: `SHA-256(ATTEMPT_KEY_CONTEXT ‖ session
/// key ‖ attempt id)`, the session key being [`start_code_key`]'s. Every
/// attempt's package is sealed under its own key, and the start releases
/// only that one, so a key passed from a candidate who started opens
/// nothing of another's (#31); the printed start code still opens every
/// attempt's package of its session, through this derivation.
pub fn attempt_key(session_key: &[u8; 32], attempt_id: &str) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(ATTEMPT_KEY_CONTEXT);
    h.update(session_key);
    h.update(attempt_id.as_bytes());
    h.finalize().into()
}

/// Domain separation of an attempt's questions key.
pub const QUESTIONS_KEY_CONTEXT: &[u8] = b"vigil-questions-key-v1";

/// The key of one attempt's questions: `SHA-256(QUESTIONS_KEY_CONTEXT ‖
/// session key ‖ attempt id)`. The package's questions are sealed under it
/// ([`PackageResponse::questions`]) and the server releases it only at
/// `POST /api/attempt/questions`, the call that records the opening (#31):
/// before that the app holds the exam's skeleton, not its questions.
pub fn questions_key(session_key: &[u8; 32], attempt_id: &str) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(QUESTIONS_KEY_CONTEXT);
    h.update(session_key);
    h.update(attempt_id.as_bytes());
    h.finalize().into()
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
    pub const TOO_EARLY: &str = "too_early";
    pub const TOO_LATE: &str = "too_late";
    pub const ALREADY_STARTED: &str = "already_started";
    pub const NOT_STARTED: &str = "not_started";
    pub const CHAIN_BROKEN: &str = "chain_broken";
    pub const CHAIN_CONFLICT: &str = "chain_conflict";
    pub const KIOSK_REQUIRED: &str = "kiosk_required";
}

#[cfg(test)]
mod tests {
    use super::normalize_code;

    #[test]
    fn codes_compare_without_case_spaces_or_dashes() {
        assert_eq!(normalize_code("abcd-efgh"), "ABCDEFGH");
        assert_eq!(normalize_code(" Ab cD-\tef gh "), "ABCDEFGH");
        assert_eq!(normalize_code("ABCD-EFGH"), normalize_code("abcdefgh"));
        // Codes are ASCII: any other letter stays as typed, and never
        // matches a code.
        assert_eq!(normalize_code("abcé"), "ABCé");
    }
}
