//! Per-attempt storage quotas: how much one candidate may make the server
//! keep, whatever their app (or a script with their token) sends.
//!
//! Why per attempt: a token is one attempt's, and every byte the server
//! stores is the attempt's log or its media. The engine's own bounds (a
//! million events, 64 MiB a room scan) say what a log may *be*; these say
//! what the server *keeps*, a fair multiple of what a real 1 h 20 sitting
//! writes (a few thousand events, well under 1 MiB of log; a few MiB of
//! photos and stills, tens of MiB of room scan). A refusal is 413 with a
//! code that names the quota, and stores nothing of the request. The
//! README's limits table lists these numbers.
//!
//! The media quota holds under concurrency: an upload reserves its whole
//! size in the database before a byte of it is accepted
//! ([`crate::db::Db::reserve_media`]), so parallel uploads — on one server
//! or on several replicas — cannot each see the same room. A reservation
//! is given back when its upload fails with nothing kept, replaced by the
//! blob's record when it completes, and stops counting once nobody has
//! touched it for [`RESERVATION_IDLE_MS`] (an abandoned upload; resuming it
//! reserves again). And one attempt uploads at most
//! [`MAX_UPLOADS_PER_ATTEMPT`] blobs at once per server (the app sends one
//! at a time); more is 429 `too_many_uploads`.

/// Most events one attempt's stored log may hold.
pub const MAX_ATTEMPT_EVENTS: u64 = 100_000;
/// Most bytes of transport JSON one attempt's stored log may take.
pub const MAX_ATTEMPT_EVENT_BYTES: u64 = 32 * 1024 * 1024;
/// Most bytes of media (finished blobs and partial uploads together) one
/// attempt may store: four room scans at the largest size.
pub const MAX_ATTEMPT_MEDIA_BYTES: u64 = 256 * 1024 * 1024;

/// After how long without a request an upload's reservation no longer
/// counts: 15 minutes, longer than any request may last (a body that sends
/// nothing for a while is cut).
pub const RESERVATION_IDLE_MS: i64 = 15 * 60 * 1000;

/// Uploads one attempt may have in progress at once, per server process.
pub const MAX_UPLOADS_PER_ATTEMPT: usize = 2;

use crate::ApiError;

/// The quotas a server enforces: the constants above, unless a test asks
/// for smaller ones (so the limits can be reached in a test's time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quotas {
    pub events: u64,
    pub event_bytes: u64,
    pub media_bytes: u64,
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas {
            events: MAX_ATTEMPT_EVENTS,
            event_bytes: MAX_ATTEMPT_EVENT_BYTES,
            media_bytes: MAX_ATTEMPT_MEDIA_BYTES,
        }
    }
}

/// 413 with `code`: `what` would come to `would_hold`, over `quota`.
fn exceeded(code: &'static str, what: &str, would_hold: u64, quota: u64, unit: &str) -> ApiError {
    ApiError::too_large(
        code,
        format!(
            "this request would bring the attempt's {what} to {would_hold} {unit}: the quota \
             is {quota} {unit} per attempt"
        ),
    )
}

/// 413 `quota_events`.
pub fn events_exceeded(would_hold: u64, quota: u64) -> ApiError {
    exceeded("quota_events", "log", would_hold, quota, "events")
}

/// 413 `quota_event_bytes`.
pub fn event_bytes_exceeded(would_hold: u64, quota: u64) -> ApiError {
    exceeded(
        "quota_event_bytes",
        "log",
        would_hold,
        quota,
        "bytes of events",
    )
}

/// 413 `quota_media`.
pub fn media_exceeded(would_hold: u64, quota: u64) -> ApiError {
    exceeded("quota_media", "media", would_hold, quota, "bytes of media")
}
