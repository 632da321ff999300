//! Sending the attempt to the server: events in order, in batches, then
//! the media they name, by hash. It never blocks the exam: the app runs
//! [`push`] in the background, and again after a reload or when the
//! network comes back, with backoff ([`retry_delay_ms`]).
//!
//! The cursor (highest acked seq, media the server holds) is kept in
//! IndexedDB next to the session, not as events: an acknowledgement is a
//! fact about the server, and logging it would itself need sending. It is
//! also kept in this tab's memory, so that a sync goes on while IndexedDB
//! refuses writes: a lost cursor only costs a resend (the server answers a
//! batch it already holds with the same acknowledgement). Each round first
//! asks the store to write what IndexedDB refused before
//! ([`AttemptStore::flush`]), and sends media kept in memory as well.

use std::cell::RefCell;

use serde::{Deserialize, Serialize};
use vigil_api::{EventsRequest, LoginResponse};
use vigil_exam::AttemptState;

use crate::browser::{api, idb};
use crate::store::AttemptStore;

/// Events per request (the server accepts up to 1 000).
pub const BATCH: usize = 200;
/// Pause between rounds when everything went through.
pub const IDLE_MS: u32 = 3_000;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub acked_seq: u64,
    pub media_sent: Vec<String>,
}

/// What is still to send.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pending {
    pub events: u64,
    pub media: u64,
}

impl Pending {
    pub fn total(self) -> u64 {
        self.events + self.media
    }
}

/// Media hashes an attempt refers to, in capture order.
pub fn media_of(s: &AttemptState) -> Vec<String> {
    [
        &s.id_document_sha256,
        &s.face_sha256,
        &s.ear_left_sha256,
        &s.ear_right_sha256,
        &s.room_scan_sha256,
    ]
    .into_iter()
    .flatten()
    .cloned()
    .chain(s.incidents.iter().filter_map(|i| i.evidence.clone()))
    .collect()
}

/// What is pending given a cursor.
pub fn pending(state: &AttemptState, cursor: &Cursor) -> Pending {
    let last = state.last_seq;
    let media = media_of(state)
        .iter()
        .filter(|m| !cursor.media_sent.contains(m))
        .count();
    Pending {
        events: last.saturating_sub(cursor.acked_seq),
        media: media as u64,
    }
}

/// Backoff after `failures` failed rounds: 2 s doubling to 60 s, with up to
/// 25 % jitter from `jitter` in [0, 1) so that thousands of candidates
/// coming back online do not all retry in the same second.
pub fn retry_delay_ms(failures: u32, jitter: f64) -> u32 {
    let base = 2_000u32.saturating_mul(1u32 << failures.min(5)).min(60_000);
    base + (f64::from(base) * 0.25 * jitter.clamp(0.0, 1.0)) as u32
}

thread_local! {
    /// The cursor of this tab's attempt, as last saved (by attempt id).
    static CURSOR: RefCell<Option<(String, Cursor)>> = const { RefCell::new(None) };
}

/// The cursor as saved: in IndexedDB, or further on in memory.
async fn load_cursor(attempt_id: &str) -> Cursor {
    let stored = match idb::load_sync(attempt_id).await {
        Ok(Some(json)) => serde_json::from_str(&json).unwrap_or_default(),
        _ => Cursor::default(),
    };
    let remembered = CURSOR.with(|c| {
        c.borrow()
            .as_ref()
            .filter(|(id, _)| id == attempt_id)
            .map(|(_, cursor)| cursor.clone())
    });
    match remembered {
        Some(mut cursor) => {
            cursor.acked_seq = cursor.acked_seq.max(stored.acked_seq);
            for sha in stored.media_sent {
                if !cursor.media_sent.contains(&sha) {
                    cursor.media_sent.push(sha);
                }
            }
            cursor
        }
        None => stored,
    }
}

/// The pending counts as stored, without the network.
pub async fn status(login: &LoginResponse, state: &AttemptState) -> Pending {
    pending(state, &load_cursor(&login.attempt.id).await)
}

/// One round: sends what is stored and pending (events the store writes
/// meanwhile go too). Returns what is left (nothing, when everything went
/// through) or why it stopped.
pub async fn push(login: &LoginResponse, store: &AttemptStore) -> Result<Pending, String> {
    let id = &login.attempt.id;
    // What IndexedDB refused before goes to disk first, if it takes it now.
    store.flush().await;
    let mut cursor = load_cursor(id).await;
    loop {
        // Only the batch is copied out of the log, not the log.
        let batch = store.stored_events_after(cursor.acked_seq, BATCH);
        if batch.is_empty() {
            break;
        }
        let req = EventsRequest {
            from_seq: cursor.acked_seq + 1,
            events: batch,
        };
        let res = api::post_events(&login.token, &req)
            .await
            .map_err(|e| e.reference())?;
        if res.acked_seq <= cursor.acked_seq {
            return Err(format!("no progress (acked {})", res.acked_seq));
        }
        cursor.acked_seq = res.acked_seq;
        save(id, &cursor).await?;
    }
    // A blob missing here (storage cleared by hand) must not hold back the
    // others: they are sent, and the round still reports the missing one.
    let mut missing = None;
    let state = store
        .snapshot()
        .ok_or_else(|| "no attempt is open".to_owned())?;
    for sha in media_of(&state) {
        if cursor.media_sent.contains(&sha) {
            continue;
        }
        let on_disk = idb::get_media(&sha).await.ok().flatten();
        let Some(bytes) = on_disk.or_else(|| store.media_in_memory(&sha).map(|b| b.to_vec()))
        else {
            missing = Some(format!("media {sha} missing on this machine"));
            continue;
        };
        let res = api::put_media(&login.token, &sha, &bytes)
            .await
            .map_err(|e| e.reference())?;
        if res.complete {
            cursor.media_sent.push(sha);
            save(id, &cursor).await?;
        }
    }
    match missing {
        Some(why) => Err(why),
        None => Ok(pending(&store.snapshot().unwrap_or(state), &cursor)),
    }
}

/// Keeps the cursor in memory, and in IndexedDB when it takes it (a
/// refusal is not the round's failure: see the module's doc).
async fn save(id: &str, cursor: &Cursor) -> Result<(), String> {
    CURSOR.with(|c| *c.borrow_mut() = Some((id.to_owned(), cursor.clone())));
    let json = serde_json::to_string(cursor).map_err(|e| e.to_string())?;
    let _ = idb::save_sync(id, &json).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_exam::Attempt;

    #[test]
    fn backoff_grows_caps_and_jitters() {
        assert_eq!(retry_delay_ms(0, 0.0), 2_000);
        assert_eq!(retry_delay_ms(1, 0.0), 4_000);
        assert_eq!(retry_delay_ms(10, 0.0), 60_000);
        assert_eq!(retry_delay_ms(10, 0.999), 74_985);
        assert!(retry_delay_ms(0, 0.5) > 2_000);
    }

    #[test]
    fn pending_counts_events_and_media_not_yet_acked() {
        let exam = vigil_exam::Exam::from_toml(include_str!("../exams/demo-short.toml")).unwrap();
        let window = vigil_exam::StartWindow {
            opens_at_ms: 0,
            closes_at_ms: 1_000,
        };
        let mut a = Attempt::new();
        let sha = "a".repeat(64);
        a.record_checks(vec![], 1).unwrap();
        a.consent("v", &"0".repeat(64), 2).unwrap();
        a.enter_waiting_room(2).unwrap();
        a.start(&exam, &window, false, 3).unwrap();
        a.capture_identity(vigil_exam::IdentityWhat::IdDocument, &sha, 3)
            .unwrap();
        let none = Cursor::default();
        assert_eq!(
            pending(a.state(), &none),
            Pending {
                events: 5,
                media: 1
            }
        );
        let some = Cursor {
            acked_seq: 4,
            media_sent: vec![sha],
        };
        assert_eq!(
            pending(a.state(), &some),
            Pending {
                events: 1,
                media: 0
            }
        );
        assert_eq!(pending(a.state(), &some).total(), 1);
    }
}
