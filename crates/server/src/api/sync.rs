//! `POST /api/attempt/events`: the verified, exactly-once sync of an
//! attempt's hash-chained log.
//!
//! The app posts `{from_seq, events}` in order and may re-send: after a lost
//! answer it cannot know what arrived. So the server accepts any batch that
//! starts at or before the next expected seq, checks that the events it
//! already holds come back with the same hashes, verifies the rest with the
//! engine ([`verify_continuation`]) from the last stored event, and stores
//! them — all in one transaction, so a refused batch stores nothing. The
//! answer is the highest stored seq, which the app records as its ack.
//!
//! Refusals: an empty `from_seq` or a batch broken in itself → 400
//! `chain_broken` (the engine's message); a gap after the stored log → 409
//! `chain_broken` naming the expected seq; a stored seq re-sent with another
//! hash (or a continuation that does not link to the stored log) → 409
//! `chain_conflict`, and the attempt is flagged `tampering`. Data after the
//! sync deadline is stored and flagged `late`; a start found in the log that
//! the server did not record (the printed start code) is flagged
//! `offline_start`.

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::Json;
use vigil_api::{codes, EventsRequest, EventsResponse};
use vigil_exam::limits::MAX_EVENTS;
use vigil_exam::{deadlines, verify_continuation, ChainFault, Event, EventKind, WaitingBody};

use super::candidate::CandidateAuth;
use super::start::{load_exam, load_session, rfc3339, start_window};
use crate::db::AttemptRow;
use crate::{ApiError, AppState};

/// Largest sync body, in bytes.
pub const SYNC_BODY_LIMIT: usize = 2 * 1024 * 1024;
/// Most events in one batch.
pub const MAX_BATCH_EVENTS: usize = 1_000;

/// `POST /api/attempt/events`
pub async fn post_events(
    State(state): State<AppState>,
    CandidateAuth(attempt): CandidateAuth,
    body: Result<Json<EventsRequest>, JsonRejection>,
) -> Result<Json<EventsResponse>, ApiError> {
    let Json(EventsRequest { from_seq, events }) = body?;
    if events.len() > MAX_BATCH_EVENTS {
        return Err(ApiError::too_large(
            "too_many_events",
            format!(
                "{} events in one batch (max {MAX_BATCH_EVENTS})",
                events.len()
            ),
        ));
    }
    if from_seq == 0 || from_seq > MAX_EVENTS as u64 {
        return Err(ApiError::bad_request(
            codes::CHAIN_BROKEN,
            format!("from_seq {from_seq}: events count from 1 to {MAX_EVENTS}"),
        ));
    }
    if events.is_empty() {
        let acked_seq = state.db.acked_seq(&attempt.id).await?;
        return Ok(Json(EventsResponse { acked_seq }));
    }
    verify_in_itself(from_seq, &events)?;
    let batch_last = from_seq + events.len() as u64 - 1;

    let now = state.clock.now_ms();
    let sync_by = sync_deadline(&state, &attempt).await?;
    let mut tx = state.db.begin_sync(&attempt.id, now).await?;
    let last = tx.last_event().await?;
    let stored = last.as_ref().map_or(0, |e| e.seq);
    if from_seq > stored + 1 {
        return Err(ApiError::conflict(
            codes::CHAIN_BROKEN,
            format!(
                "gap: the server holds events up to {stored}, expected from_seq {} but got \
                 {from_seq}",
                stored + 1
            ),
        ));
    }

    // Events the server already holds must come back unchanged.
    let mut conflict = None;
    if from_seq <= stored {
        for (seq, hash) in tx.hashes(from_seq, stored.min(batch_last)).await? {
            let sent = &events[(seq - from_seq) as usize];
            if sent.hash != hash {
                conflict = Some(format!(
                    "event {seq} re-sent with hash {}, the server holds {hash}",
                    sent.hash
                ));
                break;
            }
        }
    }
    let new: &[Event] = if batch_last > stored {
        &events[(stored + 1 - from_seq) as usize..]
    } else {
        &[]
    };
    if conflict.is_none() && !new.is_empty() {
        if let Err(e) = verify_continuation(last.as_ref(), new) {
            if e.what == ChainFault::PrevHash && e.seq == stored + 1 {
                conflict = Some(format!(
                    "event {}: prev_hash does not match the stored event {stored}: the logs \
                     diverge",
                    e.seq
                ));
            } else {
                return Err(ApiError::bad_request(codes::CHAIN_BROKEN, e.to_string()));
            }
        }
    }
    if let Some(detail) = conflict {
        drop(tx); // rolled back: nothing of the batch is stored
        state
            .db
            .add_flag(&attempt.id, "tampering", &detail, now)
            .await?;
        tracing::warn!(attempt = %attempt.id, %detail, "chain conflict");
        return Err(ApiError::conflict(codes::CHAIN_CONFLICT, detail));
    }

    if !new.is_empty() {
        tx.insert_events(new, now).await?;
        let mut submitted = false;
        for e in new {
            match &e.kind {
                EventKind::Start(b) if tx.record_start(b.started_at_ms).await? => {
                    let detail = format!(
                        "started at {} without the server (start code), seen at sync",
                        rfc3339(b.started_at_ms)
                    );
                    tx.add_flag("offline_start", &detail, now).await?;
                }
                EventKind::Submit(_) => submitted = true,
                _ => {}
            }
        }
        if submitted {
            tx.set_state("submitted").await?;
        }
        if now > sync_by {
            let detail = format!(
                "events {}..={batch_last} arrived at {}, after the sync deadline {}",
                new[0].seq,
                rfc3339(now),
                rfc3339(sync_by)
            );
            tx.add_flag("late", &detail, now).await?;
        }
    }
    tx.commit().await?;
    Ok(Json(EventsResponse {
        acked_seq: stored.max(batch_last),
    }))
}

/// Verifies the batch as a chain in itself: seq running from `from_seq`,
/// each event linked to the previous one, hashes and time order right. The
/// link of its first event to the stored log is checked later.
fn verify_in_itself(from_seq: u64, events: &[Event]) -> Result<(), ApiError> {
    let anchor = (from_seq > 1).then(|| Event {
        seq: from_seq - 1,
        at: i64::MIN,
        kind: EventKind::Waiting(WaitingBody {}),
        prev_hash: String::new(),
        hash: events[0].prev_hash.clone(),
    });
    verify_continuation(anchor.as_ref(), events)
        .map_err(|e| ApiError::bad_request(codes::CHAIN_BROKEN, e.to_string()))
}

/// When the attempt's data must have arrived: the engine's `sync_by` from
/// the actual start, or from the latest possible start (the window's close)
/// when the server has not seen one.
pub(super) async fn sync_deadline(state: &AppState, attempt: &AttemptRow) -> Result<i64, ApiError> {
    let session = load_session(state, &attempt.session_id).await?;
    let exam = load_exam(state, &session.exam_id).await?;
    let started = match attempt.started_at {
        Some(t) => t,
        None => start_window(&exam, &session)?.closes_at_ms,
    };
    Ok(deadlines(&exam, started, attempt.extra_time).sync_by_ms)
}
