//! `PUT /api/attempt/media/{sha256}`: media blobs, streamed to the
//! content-addressed store ([`crate::media`]), verified against their name,
//! resumable.
//!
//! Without `Content-Range` the body is the whole blob. With
//! `Content-Range: bytes START-END/TOTAL` it is one piece: START must equal
//! the bytes the server holds (else 409 `range_mismatch` with `received`,
//! and the client resumes from there); `bytes */TOTAL` with an empty body
//! asks how much is held. The body is streamed to disk, never held whole in
//! memory. When the last byte arrives, the SHA-256 of the whole blob must be
//! the one in the path (else 400 `hash_mismatch`, the partial is deleted);
//! the blob then takes its final name and the attempt's `media` row is
//! written. Answers `MediaResponse` with 200 for a piece as for the whole.
//!
//! Only a blob named by an already synced event of the attempt is taken
//! (else 409 `media_not_named`), within the limit of its kind
//! ([`MediaKind`]: identity photo 2 MiB, evidence still 1 MiB, room-scan
//! video 64 MiB; else 413 `too_large`), and within the attempt's media
//! quota, reserved whole before the first byte ([`crate::quota`]; else 413
//! `quota_media`); at most [`MAX_UPLOADS_PER_ATTEMPT`] at once (else 429
//! `too_many_uploads`).

use std::path::Path;

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;
use vigil_api::MediaResponse;

use super::candidate::CandidateAuth;
use super::sync::sync_deadline;
use crate::db::AttemptRow;
use crate::db::Want;
use crate::flags::FlagKind;
use crate::media::{self, Busy, MediaKind, MAX_MEDIA_BYTES};
use crate::quota::{MAX_UPLOADS_PER_ATTEMPT, RESERVATION_IDLE_MS};
use crate::{ApiError, AppState};

/// A parsed `Content-Range` request header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    /// `bytes */TOTAL`: how much is held?
    Probe { total: u64 },
    /// `bytes START-END/TOTAL` (END inclusive).
    Piece { start: u64, end: u64, total: u64 },
}

/// A `Content-Range` header as a candidate's browser sends it (fuzzed:
/// `fuzz/targets/content_range.rs`).
pub fn parse_range(value: &str) -> Result<Range, ApiError> {
    let bad = || {
        ApiError::bad_request(
            "bad_range",
            format!("Content-Range {value:?}: expected `bytes START-END/TOTAL` or `bytes */TOTAL`"),
        )
    };
    let spec = value.trim().strip_prefix("bytes ").ok_or_else(bad)?;
    let (range, total) = spec.split_once('/').ok_or_else(bad)?;
    let total: u64 = total.trim().parse().map_err(|_| bad())?;
    if total > MAX_MEDIA_BYTES {
        return Err(too_large(total));
    }
    if range.trim() == "*" {
        return Ok(Range::Probe { total });
    }
    let (start, end) = range.split_once('-').ok_or_else(bad)?;
    let start: u64 = start.trim().parse().map_err(|_| bad())?;
    let end: u64 = end.trim().parse().map_err(|_| bad())?;
    if start > end || end >= total {
        return Err(bad());
    }
    Ok(Range::Piece { start, end, total })
}

fn too_large(bytes: u64) -> ApiError {
    ApiError::too_large(
        "too_large",
        format!("media of {bytes} bytes: the limit is {MAX_MEDIA_BYTES} bytes"),
    )
}

fn too_large_for(kind: MediaKind, bytes: u64) -> ApiError {
    ApiError::too_large(
        "too_large",
        format!(
            "{} of {bytes} bytes: the limit for this kind is {} bytes",
            kind.name(),
            kind.limit()
        ),
    )
}

/// `PUT /api/attempt/media/{sha256}`
pub(super) async fn put_media(
    State(state): State<AppState>,
    CandidateAuth(attempt): CandidateAuth,
    path: Result<UrlPath<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<MediaResponse>, ApiError> {
    let UrlPath(sha) = path.map_err(|e| ApiError::bad_request("malformed_hash", e.body_text()))?;
    if !media::is_sha256_hex(&sha) {
        return Err(ApiError::bad_request(
            "malformed_hash",
            "the media name must be its SHA-256: 64 lowercase hex digits",
        ));
    }
    let answer = |received: u64, complete: bool| {
        Json(MediaResponse {
            sha256: sha.clone(),
            received,
            complete,
        })
    };
    if let Some(size) = state.db.media_size(&attempt.id, &sha).await? {
        return Ok(answer(size, true));
    }
    // Only media the attempt's synced log names, each kind within its limit
    // (the app sends the events first, then the media they name).
    let events = state.db.events(&attempt.id).await?;
    let kind = MediaKind::of(&events, &sha).ok_or_else(|| {
        ApiError::conflict(
            "media_not_named",
            "no synced event of this attempt names this media: send the events first",
        )
    })?;
    let limit = kind.limit();
    let range = match headers.get(header::CONTENT_RANGE) {
        Some(v) => Some(parse_range(v.to_str().unwrap_or("?"))?),
        None => None,
    };
    // The body's length: as declared, or as the body knows it.
    let declared_len = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .or_else(|| axum::body::HttpBody::size_hint(&body).exact());
    if declared_len.is_some_and(|n| n > limit) {
        return Err(too_large_for(kind, declared_len.unwrap_or_default()));
    }
    if let Some(Range::Probe { total } | Range::Piece { total, .. }) = range {
        if total > limit {
            return Err(too_large_for(kind, total));
        }
    }

    let _guard = state
        .uploads
        .claim(&attempt.id, &sha, MAX_UPLOADS_PER_ATTEMPT)
        .map_err(|busy| match busy {
            Busy::ThisBlob => ApiError::conflict(
                "upload_in_progress",
                "another request is uploading this media; retry when it ends",
            ),
            Busy::TooMany => {
                let mut e = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_uploads",
                    format!(
                        "this attempt already has {MAX_UPLOADS_PER_ATTEMPT} uploads in progress: \
                         retry when one ends"
                    ),
                );
                e.retry_after_s = Some(1);
                e
            }
        })?;
    // The attempt's media quota: the whole upload's room is reserved before
    // a byte of it is accepted (atomically, across requests and replicas).
    let want = match (range, declared_len) {
        (Some(Range::Probe { total } | Range::Piece { total, .. }), _) => Want::Exactly(total),
        (None, Some(n)) => Want::Exactly(n),
        (None, None) => Want::UpTo(limit),
    };
    let now = state.clock.now_ms();
    let room = state
        .db
        .reserve_media(
            &attempt.id,
            &sha,
            want,
            state.quotas.media_bytes,
            now,
            now - RESERVATION_IDLE_MS,
        )
        .await?
        .map_err(|would_hold| crate::quota::media_exceeded(would_hold, state.quotas.media_bytes))?;
    let over_quota = |bytes: u64| crate::quota::media_exceeded(bytes, state.quotas.media_bytes);
    let part = media::partial_path(&state.media_dir, &attempt.id, &sha);
    let held = match tokio::fs::metadata(&part).await {
        Ok(m) => m.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
        Err(e) => return Err(ApiError::internal(e)),
    };
    let (start, piece_len, total) = match range {
        Some(Range::Probe { .. }) => return Ok(answer(held, false)),
        Some(Range::Piece { start, end, total }) => (start, Some(end - start + 1), Some(total)),
        None => (0, None, None),
    };
    if range.is_some() && start != held {
        return Err(ApiError::conflict(
            "range_mismatch",
            format!("the server holds {held} bytes of this media: continue from there"),
        )
        .with_received(held));
    }
    // Without a range the body is the whole blob: start over.
    let held = if range.is_none() { 0 } else { held };

    if let Some(dir) = part.parent() {
        tokio::fs::create_dir_all(dir).await.map_err(ApiError::io)?;
    }
    let mut file = tokio::fs::OpenOptions::new()
        .create(true)
        .append(range.is_some())
        .write(true)
        .truncate(range.is_none())
        .open(&part)
        .await
        .map_err(ApiError::io)?;
    let mut written: u64 = 0;
    let mut stream = body.into_data_stream();
    let mut failure = None;
    while let Some(chunk) = stream.next().await {
        let chunk = match chunk {
            Ok(c) => c,
            Err(e) => {
                // The client went away: what arrived stays for a resume.
                failure = Some(ApiError::bad_request(
                    "incomplete_body",
                    format!("the body ended early: {e}"),
                ));
                break;
            }
        };
        written += chunk.len() as u64;
        if piece_len.is_some_and(|n| written > n) {
            failure = Some(ApiError::bad_request(
                "bad_range",
                "the body is longer than its Content-Range",
            ));
            written -= chunk.len() as u64;
            break;
        }
        if held + written > limit {
            failure = Some(too_large_for(kind, held + written));
            written -= chunk.len() as u64;
            break;
        }
        if held + written > room {
            // Only a body of unknown length can come here (a known one
            // reserved its whole size): over what was left when it began.
            failure = Some(over_quota(held + written));
            written -= chunk.len() as u64;
            break;
        }
        if let Err(e) = file.write_all(&chunk).await {
            // A full disk (507) or a failed write: none of this request is
            // kept, so the client resumes from what it was told before.
            written -= chunk.len() as u64;
            failure = Some(ApiError::io(e).with_received(held));
            break;
        }
    }
    // Durable before it is acknowledged: what the answer says is held
    // survives a crash of the server or of the machine.
    let synced = match file.flush().await {
        Ok(()) => file.sync_data().await,
        Err(e) => Err(e),
    };
    drop(file);
    if let (Err(e), None) = (synced, &failure) {
        failure = Some(ApiError::io(e).with_received(held));
    }
    if let Some(err) = failure {
        let resumable = range.is_some() && err.code == "incomplete_body";
        if !resumable {
            // Nothing half-way: back to what was held before this request.
            truncate_or_remove(&part, held).await?;
            if held == 0 {
                state.db.release_media(&attempt.id, &sha).await?;
            }
        }
        return Err(err);
    }
    let received = held + written;
    let complete = match total {
        Some(total) => received == total,
        None => true,
    };
    if !complete {
        return Ok(answer(received, false));
    }

    let check = part.clone();
    let actual = tokio::task::spawn_blocking(move || media::file_sha256(&check))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::io)?;
    if actual != sha {
        let _ = tokio::fs::remove_file(&part).await;
        state.db.release_media(&attempt.id, &sha).await?;
        return Err(ApiError::bad_request(
            "hash_mismatch",
            format!("the content's SHA-256 is {actual}, not {sha}: upload it again"),
        ));
    }
    store_verified(&state, &attempt, &sha, &part, received).await?;
    Ok(answer(received, true))
}

/// Keeps a whole blob whose content was checked against `sha`: into the
/// blob store from the file at `part`, recorded for the attempt, flagged
/// `late` past the sync deadline. Shared with the import of an encrypted
/// copy (`crate::copies`).
pub async fn store_verified(
    state: &AppState,
    attempt: &AttemptRow,
    sha: &str,
    part: &Path,
    size: u64,
) -> Result<(), ApiError> {
    // Content-addressed: the same bytes already stored stay as they are.
    state
        .blobs
        .store_file(sha, part)
        .await
        .map_err(ApiError::io)?;
    let now = state.clock.now_ms();
    state.db.insert_media(&attempt.id, sha, size, now).await?;
    let sync_by = sync_deadline(state, attempt).await?;
    if now > sync_by {
        let detail = format!("media {sha} ({size} bytes) arrived after the sync deadline");
        state
            .db
            .add_flag(&attempt.id, FlagKind::Late, &detail, now)
            .await?;
    }
    Ok(())
}

/// Cuts a partial file back to `len` bytes (removes it when `len` is 0).
async fn truncate_or_remove(part: &Path, len: u64) -> Result<(), ApiError> {
    if len == 0 {
        match tokio::fs::remove_file(part).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(ApiError::io(e)),
        }
    } else {
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .open(part)
            .await
            .map_err(ApiError::io)?;
        file.set_len(len).await.map_err(ApiError::io)?;
        file.sync_data().await.map_err(ApiError::io)
    }
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;

    use super::*;

    #[test]
    fn content_ranges_parse_or_are_refused() {
        assert_eq!(
            parse_range("bytes 0-9/20").unwrap(),
            Range::Piece {
                start: 0,
                end: 9,
                total: 20
            }
        );
        assert_eq!(
            parse_range("bytes */20").unwrap(),
            Range::Probe { total: 20 }
        );
        for bad in [
            "0-9/20",
            "bytes 9-0/20",
            "bytes 0-20/20",
            "bytes a-b/c",
            "bytes 0-9",
        ] {
            assert_eq!(parse_range(bad).unwrap_err().code, "bad_range", "{bad}");
        }
        let huge = format!("bytes 0-0/{}", MAX_MEDIA_BYTES + 1);
        assert_eq!(
            parse_range(&huge).unwrap_err().status,
            StatusCode::PAYLOAD_TOO_LARGE
        );
    }
}
