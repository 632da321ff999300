//! The media of an attempt (ID and face photos, head-turn stills, room
//! scan, evidence stills), served to the proctors of its session.
//!
//! Only what the attempt completed is served, by hash, from the blob store,
//! with the media type read from the bytes and `nosniff`.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use super::auth::{reviewable, Proctor};
use super::PageError;
use crate::AppState;

/// `<img>`/`<video>` source of an attempt's media.
pub(super) fn media_url(attempt: &str, sha: &str) -> String {
    format!("/review/attempts/{attempt}/media/{sha}")
}

/// The media type of a stored blob, from its first bytes: the app stores
/// JPEG photos and WebM room scans.
fn sniff(head: &[u8]) -> &'static str {
    match head {
        [0xFF, 0xD8, 0xFF, ..] => "image/jpeg",
        [0x1A, 0x45, 0xDF, 0xA3, ..] => "video/webm",
        [0x89, b'P', b'N', b'G', ..] => "image/png",
        _ => "application/octet-stream",
    }
}

/// `GET /review/attempts/{id}/media/{sha}`: a photo, scan or still the
/// attempt uploaded, to a proctor of its session.
pub(super) async fn attempt_media(
    State(state): State<AppState>,
    proctor: Proctor,
    Path((id, sha)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let attempt = reviewable(&state, &proctor, &id).await?;
    let not_here = || {
        PageError::new(
            StatusCode::NOT_FOUND,
            "this attempt has no such media (not synced yet?)",
        )
    };
    if !crate::media::is_sha256_hex(&sha) {
        return Err(not_here());
    }
    if state.db.media_size(&attempt.id, &sha).await?.is_none() {
        return Err(not_here());
    }
    let bytes = match state.blobs.read(&sha).await {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return Err(not_here()),
        Err(e) => {
            tracing::error!(%e, "media unreadable");
            return Err(PageError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the media store cannot be read just now; try again",
            ));
        }
    };
    let kind = sniff(&bytes);
    Ok((
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "private, max-age=3600"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        bytes,
    )
        .into_response())
}
