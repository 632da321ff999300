//! The background sync while a candidate is signed in, and what is left to
//! send (for the sync indicator and the finished screen).
//!
//! One loop per signed-in attempt: record the kiosk launcher's report when
//! it changed, push what is stored ([`sync::push`]), then wait (3 s when
//! everything went, else a growing, jittered backoff). The loop reads the
//! store each round, so it always sends the latest log; it stops when the
//! candidate signs out (its task handle is dropped).

use yew::prelude::*;

use super::use_steps::Steps;
use crate::browser::{clock, kiosk, timer};
use crate::store::AttemptStore;
use crate::sync::{self, Pending};

/// What is left to send, and whether the last round failed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncState {
    pub pending: Pending,
    pub offline: bool,
}

#[hook]
pub fn use_sync(steps: &Steps) -> SyncState {
    let state = use_state_eq(SyncState::default);
    let signed_in = steps.model.login.clone();
    {
        let (store, state) = (steps.store.clone(), state.clone());
        let id = signed_in.as_ref().map(|l| l.attempt.id.clone());
        use_effect_with(id, move |_| {
            let task = signed_in.map(|login| {
                timer::spawn(async move {
                    let (mut failures, mut offline) = (0, false);
                    loop {
                        // Inside the kiosk launcher: its latest machine
                        // report joins the log when it changed.
                        record_kiosk_report(&store).await;
                        let Some(before) = store.snapshot() else {
                            break;
                        };
                        let pending = sync::status(&login, &before).await;
                        state.set(SyncState { pending, offline });
                        let wait;
                        (wait, offline) = match sync::push(&login, &store).await {
                            Ok(_) => {
                                failures = 0;
                                (sync::IDLE_MS, false)
                            }
                            Err(_) => {
                                failures += 1;
                                (sync::retry_delay_ms(failures, clock::random()), true)
                            }
                        };
                        // Counted on the latest log: events may have been
                        // stored while this round was sending.
                        let Some(s) = store.snapshot() else {
                            break;
                        };
                        let left = sync::status(&login, &s).await;
                        state.set(SyncState {
                            pending: left,
                            offline,
                        });
                        // One snapshot: the launcher reads any value going
                        // back as a forged status and keeps the profile.
                        kiosk::post_sync_status(kiosk::SyncStatus {
                            started: s.started_at_ms.is_some(),
                            finished: s.submitted_at_ms.is_some(),
                            logged_seq: s.last_seq,
                            acked_seq: s.last_seq.saturating_sub(left.events),
                            pending_media: left.media,
                        })
                        .await;
                        timer::sleep_ms(wait).await;
                    }
                })
            });
            move || drop(task)
        });
    }
    // Recounted whenever the log grows: the loop may be waiting out a
    // backoff, and the candidate must never read "everything sent" while a
    // new event waits.
    {
        let last_seq = steps.model.attempt.as_ref().map(|a| a.last_seq);
        let (login, attempt) = (steps.model.login.clone(), steps.model.attempt.clone());
        let state = state.clone();
        use_effect_with(last_seq, move |_| {
            if let (Some(login), Some(attempt)) = (login, attempt) {
                yew::platform::spawn_local(async move {
                    let pending = sync::status(&login, &attempt).await;
                    state.set(SyncState {
                        pending,
                        offline: state.offline,
                    });
                });
            }
        });
    }
    *state
}

/// Records the kiosk launcher's machine report if it differs from the last
/// one recorded (not after the exam was submitted: the report no longer
/// matters then).
async fn record_kiosk_report(store: &AttemptStore) {
    let Some(s) = store.snapshot() else {
        return;
    };
    if s.submitted_at_ms.is_some() {
        return;
    }
    let Some(report) = kiosk::report().await else {
        return;
    };
    if s.kiosk_report.as_ref() == Some(&report) {
        return;
    }
    let _ = store
        .commit(move |a, now| a.record_kiosk_report(report, now))
        .await;
}
