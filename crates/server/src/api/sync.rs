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
//! `chain_conflict`, and the attempt is flagged `tampering`; so is a log
//! whose first event does not link to this attempt's genesis (a log written
//! for another attempt). An event naming a media by anything but 64
//! lowercase hex digits → 400 `malformed_hash`. An event past the engine's
//! size limits (`EventKind::check_limits`: an answer's text, a blocked
//! action's name, a check's detail…) → 400 `event_limit`, and the attempt
//! is flagged `tampering`: only a modified app writes one. The per-attempt quotas
//! ([`crate::quota`]) → 413 `quota_events` / `quota_event_bytes`.
//!
//! Stored and flagged, never refused, so no evidence is lost: data after the
//! sync deadline (`late`); a start found in the log that the server did not
//! record (`offline_start`, with the clock offsets the log measured); and
//! every disagreement with the server's own records of time (`time_mismatch`):
//! a `start` away from the server's start, a claimed extra time, another
//! window ([`vigil_exam::start_discrepancies`]), an event dated after the
//! server's clock at its arrival. Scoring follows the server's records
//! whatever the log says ([`crate::results`]).

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::Json;
use vigil_api::{codes, EventsRequest, EventsResponse};
use vigil_exam::limits::MAX_EVENTS;
use vigil_exam::{
    deadlines_opened, questions_discrepancy, start_discrepancies, verify_chain, Authority,
    ChainFault, Event, EventKind, Reason, WaitingBody, START_TOLERANCE_MS,
};

use super::candidate::CandidateAuth;
use super::start::{load_exam, load_session, rfc3339, start_window};
use crate::db::{AttemptRow, AttemptState};
use crate::flags::FlagKind;
use crate::quota;
use crate::{ApiError, AppState};

/// How far ahead of the server's clock an event may be dated when it
/// arrives (the app's clock is the server's, measured over the network)
/// before it is flagged `time_mismatch`.
pub const FUTURE_TOLERANCE_MS: i64 = 60_000;

/// A pause in an attempt's syncing, in ms, after which the events that
/// arrive dated at least this long before their arrival are flagged
/// `backdated` (the app syncs every few seconds while it has the network).
pub const SYNC_PAUSE_MS: i64 = 120_000;

/// Largest sync body, in bytes.
pub const SYNC_BODY_LIMIT: usize = 2 * 1024 * 1024;
/// Most events in one batch.
pub const MAX_BATCH_EVENTS: usize = 1_000;

/// `POST /api/attempt/events`
pub(super) async fn post_events(
    State(state): State<AppState>,
    CandidateAuth(attempt): CandidateAuth,
    body: Result<Json<EventsRequest>, JsonRejection>,
) -> Result<Json<EventsResponse>, ApiError> {
    let Json(EventsRequest { from_seq, events }) = body?;
    ingest(&state, &attempt, from_seq, &events).await.map(Json)
}

/// Verifies and stores a batch of `attempt`'s log starting at `from_seq`:
/// the whole sync but the HTTP, shared with the import of an encrypted copy
/// (`crate::copies`), so a log that reaches the server by hand is checked
/// exactly as one that came over the network.
pub async fn ingest(
    state: &AppState,
    attempt: &AttemptRow,
    from_seq: u64,
    events: &[Event],
) -> Result<EventsResponse, ApiError> {
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
        return Ok(EventsResponse { acked_seq });
    }
    check_media_names(events)?;
    let genesis = attempt.genesis();
    let now = state.clock.now_ms();
    if let Err(e) = verify_in_itself(&genesis, from_seq, events) {
        if from_seq == 1 && e.seq == 1 && e.what == ChainFault::PrevHash {
            let detail = format!(
                "event 1 links to {}, not to this attempt's genesis: a log written for \
                 another attempt",
                events[0].prev_hash.chars().take(64).collect::<String>()
            );
            state
                .db
                .add_flag(&attempt.id, FlagKind::Tampering, &detail, now)
                .await?;
            tracing::warn!(attempt = %attempt.id, %detail, "foreign log");
            return Err(ApiError::conflict(codes::CHAIN_CONFLICT, detail));
        }
        return Err(ApiError::bad_request(codes::CHAIN_BROKEN, e.to_string()));
    }
    // The engine's size limits (#31): only a modified app writes past
    // them, so the batch is refused whole (nothing honest is lost), and the
    // attempt flagged for the reviewer; storing it would carry the excess
    // into every page and export that reads the log.
    if let Some((e, why)) = events
        .iter()
        .find_map(|e| e.kind.check_limits().err().map(|why| (e, why)))
    {
        let detail = format!(
            "event {} ({}) past the engine's limits: {why}",
            e.seq,
            e.kind.name()
        );
        state
            .db
            .add_flag(&attempt.id, FlagKind::Tampering, &detail, now)
            .await?;
        tracing::warn!(attempt = %attempt.id, %detail, "event past the limits");
        return Err(ApiError::bad_request("event_limit", detail));
    }
    let batch_last = from_seq + events.len() as u64 - 1;

    let timeline = Timeline::of(state, attempt).await?;
    // An offline start in this batch: the clock measurements stored so far,
    // read before the sync transaction takes the writer.
    let offline_start = attempt.started_at.is_none()
        && events.iter().any(|e| matches!(e.kind, EventKind::Start(_)));
    // Questions opened at the identification bound: the steps the log
    // shows done before, read before the sync transaction too.
    let overrun = events
        .iter()
        .any(|e| matches!(&e.kind, EventKind::QuestionsOpened(b) if b.reason == Reason::Timeout));
    let earlier = if offline_start || overrun {
        state.db.events(&attempt.id).await?
    } else {
        Vec::new()
    };
    let stored_offsets = clock_offsets(&earlier);
    // A started attempt's opening in this batch with none recorded: how it
    // started decides who records it (read before the transaction too).
    let started_offline = attempt.started_at.is_some()
        && attempt.questions_opened_at.is_none()
        && events
            .iter()
            .any(|e| matches!(e.kind, EventKind::QuestionsOpened(_)))
        && offline_started(state, attempt).await?;
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
        if let Err(e) = verify_chain(&genesis, last.as_ref(), new) {
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
            .add_flag(&attempt.id, FlagKind::Tampering, &detail, now)
            .await?;
        tracing::warn!(attempt = %attempt.id, %detail, "chain conflict");
        return Err(ApiError::conflict(codes::CHAIN_CONFLICT, detail));
    }

    if !new.is_empty() {
        let quotas = state.quotas;
        if batch_last > quotas.events {
            return Err(quota::events_exceeded(batch_last, quotas.events));
        }
        let jsons = new
            .iter()
            .map(serde_json::to_string)
            .collect::<Result<Vec<_>, _>>()
            .map_err(ApiError::internal)?;
        let held = tx.event_bytes().await?;
        let would_hold = held + jsons.iter().map(|j| j.len() as u64).sum::<u64>();
        if would_hold > quotas.event_bytes {
            return Err(quota::event_bytes_exceeded(would_hold, quotas.event_bytes));
        }
        let previous_arrival = tx.last_stored_at().await?;
        tx.insert_events(new, &jsons, now).await?;
        // After a pause in syncing, events dated well before they arrived:
        // the arrival times are the evidence (written offline, or dated
        // back by a modified app).
        if let Some(prev) = previous_arrival.filter(|p| now.saturating_sub(*p) > SYNC_PAUSE_MS) {
            let old: Vec<&Event> = new
                .iter()
                .filter(|e| now.saturating_sub(e.at) > SYNC_PAUSE_MS)
                .collect();
            if let (Some(first), Some(last)) = (old.first(), old.last()) {
                let detail = format!(
                    "{} event(s), {}..={}, dated {} to {}, arrived at {}, {} s after the \
                     previous sync at {}: written while the app could not sync, or dated back",
                    old.len(),
                    first.seq,
                    last.seq,
                    rfc3339(first.at),
                    rfc3339(last.at),
                    rfc3339(now),
                    now.saturating_sub(prev) / 1000,
                    rfc3339(prev)
                );
                tx.add_flag(FlagKind::Backdated, &detail, now).await?;
            }
        }
        // Events dated ahead of the server's clock: one flag for the batch.
        let ahead: Vec<&Event> = new
            .iter()
            .filter(|e| e.at > now.saturating_add(FUTURE_TOLERANCE_MS))
            .collect();
        if let Some(first) = ahead.first() {
            let detail = format!(
                "{} event(s) dated after the server's clock when they arrived ({}), the first \
                 event {} dated {}, {} s ahead",
                ahead.len(),
                rfc3339(now),
                first.seq,
                rfc3339(first.at),
                first.at.saturating_sub(now) / 1000,
            );
            tx.add_flag(FlagKind::TimeMismatch, &detail, now).await?;
        }
        let mut submitted = false;
        for e in new {
            match &e.kind {
                EventKind::Start(b) => {
                    // An offline start counts inside the session's window:
                    // a claim outside it is recorded (and scored) at the
                    // window's bound, never by stretching the window; the
                    // claim itself is flagged below.
                    let w = timeline.authority.window;
                    let offline = tx
                        .record_start(e.at.clamp(w.opens_at_ms, w.closes_at_ms))
                        .await?;
                    let authority = Authority {
                        started_at_ms: (!offline).then_some(attempt.started_at).flatten(),
                        ..timeline.authority
                    };
                    if offline {
                        let offsets = [stored_offsets.clone(), clock_offsets(new)].concat();
                        let measured = if offsets.is_empty() {
                            "no clock measurement in the log".to_owned()
                        } else {
                            format!("device clock offsets measured: {}", offsets.join(", "))
                        };
                        let detail = format!(
                            "started at {} without the server (start code), seen at sync; \
                             {measured}",
                            rfc3339(e.at),
                        );
                        tx.add_flag(FlagKind::OfflineStart, &detail, now).await?;
                    }
                    for d in start_discrepancies(e.at, b, &authority) {
                        tx.add_flag(FlagKind::TimeMismatch, &d.to_string(), now)
                            .await?;
                    }
                }
                EventKind::QuestionsOpened(b) => {
                    if b.reason == Reason::Timeout {
                        let before: Vec<&Event> = earlier
                            .iter()
                            .chain(new.iter())
                            .filter(|x| x.seq < e.seq)
                            .collect();
                        let detail = format!(
                            "the questions opened at {} at the identification bound, with {} \
                             missing",
                            rfc3339(e.at),
                            missing_steps(&before)
                        );
                        tx.add_flag(FlagKind::IdentificationOverrun, &detail, now)
                            .await?;
                    } else if let Some(d) = questions_discrepancy(e.at, &timeline.authority) {
                        tx.add_flag(FlagKind::TimeMismatch, &d.to_string(), now)
                            .await?;
                    } else if let Some(server) = attempt.questions_opened_at {
                        // An opening earlier than the server's: the
                        // questions cannot have been open then.
                        if server.saturating_sub(e.at) > START_TOLERANCE_MS {
                            let detail = opening_mismatch(e.at, server, "at the app's call");
                            tx.add_flag(FlagKind::TimeMismatch, &detail, now).await?;
                        }
                    }
                    if let (None, Some(started)) = (attempt.questions_opened_at, attempt.started_at)
                    {
                        let by = started.saturating_add(timeline.identification_ms);
                        if started_offline {
                            // Started with the printed code (flagged): the
                            // log's account, within the bounds the server
                            // knows, is the only record there is.
                            tx.record_questions_opened(e.at.clamp(started, by)).await?;
                        } else if now > by {
                            // Online, and the app never asked the server
                            // before the bound: the bound is the server's
                            // record (never the log's account).
                            tx.record_questions_opened(by).await?;
                            if e.at.abs_diff(by) > START_TOLERANCE_MS.unsigned_abs() {
                                let detail = opening_mismatch(
                                    e.at,
                                    by,
                                    "the identification bound: the app never called \
                                     /api/attempt/questions",
                                );
                                tx.add_flag(FlagKind::TimeMismatch, &detail, now).await?;
                            }
                        }
                        // Else the app's call records it (and compares).
                    }
                }
                EventKind::Submit(_) => submitted = true,
                _ => {}
            }
        }
        if submitted {
            tx.set_state(AttemptState::Submitted).await?;
        }
        let sync_by = timeline.sync_by;
        if now > sync_by {
            let detail = format!(
                "events {}..={batch_last} arrived at {}, after the sync deadline {}",
                new[0].seq,
                rfc3339(now),
                rfc3339(sync_by)
            );
            tx.add_flag(FlagKind::Late, &detail, now).await?;
        }
    }
    tx.commit().await?;
    Ok(EventsResponse {
        acked_seq: stored.max(batch_last),
    })
}

/// Verifies the batch as a chain in itself: seq running from `from_seq`,
/// each event linked to the previous one, hashes and time order right, and
/// a batch from seq 1 linked to the attempt's `genesis`. The link of a
/// later batch's first event to the stored log is checked later.
fn verify_in_itself(
    genesis: &str,
    from_seq: u64,
    events: &[Event],
) -> Result<(), vigil_exam::ChainError> {
    let anchor = (from_seq > 1).then(|| Event {
        seq: from_seq - 1,
        at: i64::MIN,
        kind: EventKind::Waiting(WaitingBody {}),
        prev_hash: String::new(),
        hash: events[0].prev_hash.clone(),
    });
    verify_chain(genesis, anchor.as_ref(), events)
}

/// Every media an event names must be a SHA-256 as the API names blobs
/// (64 lowercase hex digits): the review pages build URLs from them.
fn check_media_names(events: &[Event]) -> Result<(), ApiError> {
    for e in events {
        for (sha, _) in crate::media::named_by(e) {
            if !crate::media::is_sha256_hex(sha) {
                return Err(ApiError::bad_request(
                    "malformed_hash",
                    format!(
                        "event {} names a media by {:?}: a media is named by its SHA-256, 64 \
                         lowercase hex digits",
                        e.seq,
                        sha.chars().take(80).collect::<String>()
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The server's own records of an attempt's time.
struct Timeline {
    authority: Authority,
    sync_by: i64,
    /// The exam's identification bound, in ms.
    identification_ms: i64,
}

impl Timeline {
    async fn of(state: &AppState, attempt: &AttemptRow) -> Result<Timeline, ApiError> {
        let session = load_session(state, &attempt.session_id).await?;
        let exam = load_exam(state, &session.exam_id).await?;
        let window = start_window(&exam, &session)?;
        let started = attempt.started_at.unwrap_or(window.closes_at_ms);
        Ok(Timeline {
            authority: Authority {
                started_at_ms: attempt.started_at,
                extra_time: attempt.extra_time,
                window,
                questions_opened_at_ms: attempt.questions_opened_at,
            },
            sync_by: deadlines_opened(
                &exam,
                started,
                attempt.extra_time,
                attempt.questions_opened_at,
            )
            .sync_by_ms,
            identification_ms: exam.identification_max_ms(),
        })
    }
}

/// The identification steps a log had not done among `events`, named for
/// the reviewer.
fn missing_steps(events: &[&Event]) -> String {
    let mut done = std::collections::BTreeSet::new();
    for e in events {
        match &e.kind {
            EventKind::IdentityCapture(b) => {
                done.insert(match b.what {
                    vigil_exam::IdentityWhat::IdDocument => "ID document",
                    vigil_exam::IdentityWhat::Face => "face photo",
                });
            }
            EventKind::HeadTurn(b) => {
                done.insert(match b.side {
                    vigil_exam::Side::Left => "head turned left",
                    vigil_exam::Side::Right => "head turned right",
                });
            }
            EventKind::RoomScan(_) => {
                done.insert("room scan");
            }
            _ => {}
        }
    }
    let missing: Vec<&str> = [
        "ID document",
        "face photo",
        "head turned left",
        "head turned right",
        "room scan",
    ]
    .into_iter()
    .filter(|s| !done.contains(s))
    .collect();
    if missing.is_empty() {
        "nothing".to_owned()
    } else {
        missing.join(", ")
    }
}

/// The clock offsets a log measured against the server (its `clock_sync`
/// events), for a reviewer weighing an offline start.
fn clock_offsets(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::ClockSync(c) => Some(format!("{:+} ms", c.offset_ms)),
            _ => None,
        })
        .collect()
}

/// A log's account of the opening at `log_ms` against the server's record
/// `server_ms` (made `how`), for a `time_mismatch` flag.
pub(super) fn opening_mismatch(log_ms: i64, server_ms: i64, how: &str) -> String {
    format!(
        "the log says the questions opened at {} (the candidate's clock); the server's record \
         is {} ({how})",
        rfc3339(log_ms),
        rfc3339(server_ms)
    )
}

/// Whether the attempt started without the server (flagged `offline_start`).
async fn offline_started(state: &AppState, attempt: &AttemptRow) -> Result<bool, ApiError> {
    Ok(state
        .db
        .flags(&attempt.id)
        .await?
        .iter()
        .any(|f| f.kind == FlagKind::OfflineStart.as_str()))
}

/// When the attempt's data must have arrived: the engine's `sync_by` from
/// the actual start, or from the latest possible start (the window's close)
/// when the server has not seen one.
pub(super) async fn sync_deadline(state: &AppState, attempt: &AttemptRow) -> Result<i64, ApiError> {
    Ok(Timeline::of(state, attempt).await?.sync_by)
}
