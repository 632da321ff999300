//! Replay: rebuild an attempt's state from its log, deterministically.
//!
//! The server verifies the chain and folds the events through the same
//! transition function as the app ([`AttemptState::step`]); any event the app
//! could not have appended is refused with its seq. No clock, no randomness,
//! no hash-map iteration order: the same log always gives the same state.
//!
//! [`replay_with_authority`] is the server's scoring replay. The log is the
//! candidate's account, written on a machine the candidate controls; what
//! counts for time is the server's own record ([`Authority`]): the start it
//! saw, the accommodation it granted, the session's window. So that replay
//! compares the log's `start` with that record (each difference becomes a
//! [`Discrepancy`] for a reviewer), then folds the events with the server's
//! start and deadlines: the section changes and the submission fall where
//! the server's clock puts them, and an event the candidate's log places
//! after them (an answer after the server's deadline) is left out and
//! listed, never scored.

use serde::{Deserialize, Serialize};

use crate::definition::Exam;
use crate::event::{Event, EventKind, QuestionsOpenedBody, Reason, StartBody};
use crate::log::{verify, verify_from, ChainError};
use crate::state::{AttemptError, AttemptState};
use crate::time::StartWindow;
use crate::time::{deadlines, questions_deadline};

/// Why a log does not replay.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReplayError {
    #[error("broken chain: {0}")]
    Chain(ChainError),
    #[error("event {seq} refused: {error}")]
    Refused { seq: u64, error: AttemptError },
}

/// Verify the chain of `events` and fold them into the attempt's state.
pub fn replay(exam: &Exam, events: &[Event]) -> Result<AttemptState, ReplayError> {
    replay_events(Some(exam), events)
}

/// As [`replay`], without the exam definition as long as the log stays
/// before the start (the app before it receives the package key).
pub fn replay_events(exam: Option<&Exam>, events: &[Event]) -> Result<AttemptState, ReplayError> {
    verify(events).map_err(ReplayError::Chain)?;
    fold(exam, events)
}

/// As [`replay_events`], for a log that starts from `genesis`.
pub fn replay_events_from(
    genesis: &str,
    exam: Option<&Exam>,
    events: &[Event],
) -> Result<AttemptState, ReplayError> {
    verify_from(genesis, events).map_err(ReplayError::Chain)?;
    fold(exam, events)
}

fn fold(exam: Option<&Exam>, events: &[Event]) -> Result<AttemptState, ReplayError> {
    let mut state = AttemptState::new();
    for e in events {
        state
            .step(exam, &e.kind, e.at, e.seq)
            .map_err(|error| ReplayError::Refused { seq: e.seq, error })?;
    }
    Ok(state)
}

/// Most a log's start may differ from the server's record of it before the
/// difference is a [`Discrepancy`]: the app stamps its `start` with the
/// server's own start time, or a little later when its previous event is
/// (a clock measured over a slow round trip), so an honest log agrees to
/// within a few seconds.
pub const START_TOLERANCE_MS: i64 = 10_000;

/// What the server itself recorded of an attempt's time: the authority
/// the scoring replay follows, whatever the log says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authority {
    /// The start the server recorded at `POST /api/attempt/start`; `None`
    /// when it never saw one (a start with the printed code, offline).
    pub started_at_ms: Option<i64>,
    /// The extra-time accommodation in the server's records.
    pub extra_time: bool,
    /// The session's start window, from the server's schedule.
    pub window: StartWindow,
    /// When the server recorded the questions opening
    /// (`POST /api/attempt/questions`); `None`: it never saw it (offline).
    #[serde(default)]
    pub questions_opened_at_ms: Option<i64>,
}

/// Where a log's account of its start disagrees with the server's records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "what", rename_all = "snake_case")]
pub enum Discrepancy {
    /// The log starts more than [`START_TOLERANCE_MS`] away from the start
    /// the server recorded.
    StartTime { log_ms: i64, server_ms: i64 },
    /// The log claims an extra-time accommodation the server did not grant
    /// (or lacks one it did).
    ExtraTime { log: bool, server: bool },
    /// The window written in the log is not the session's.
    Window { log: (i64, i64), server: (i64, i64) },
    /// A start the server never saw (offline) placed outside the session's
    /// window.
    OutsideWindow { log_ms: i64 },
    /// A second `start` (a log that replays only because it was rewritten).
    RepeatedStart { seq: u64 },
    /// The log opens the questions more than [`START_TOLERANCE_MS`] after
    /// the server recorded it (a later opening would buy time).
    QuestionsOpened { log_ms: i64, server_ms: i64 },
}

impl std::fmt::Display for Discrepancy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Discrepancy::StartTime { log_ms, server_ms } => write!(
                f,
                "the log starts at {log_ms} ms, the server recorded the start at {server_ms} ms \
                 ({:+} s)",
                log_ms.saturating_sub(*server_ms) / 1000
            ),
            Discrepancy::ExtraTime { log, server } => write!(
                f,
                "the log says extra time {}, the server's record says {}",
                yes_no(*log),
                yes_no(*server)
            ),
            Discrepancy::Window { log, server } => write!(
                f,
                "the log's start window is {}..{} ms, the session's is {}..{} ms",
                log.0, log.1, server.0, server.1
            ),
            Discrepancy::OutsideWindow { log_ms } => write!(
                f,
                "the log starts at {log_ms} ms, outside the session's start window"
            ),
            Discrepancy::RepeatedStart { seq } => write!(f, "event {seq} starts the exam again"),
            Discrepancy::QuestionsOpened { log_ms, server_ms } => write!(
                f,
                "the log opens the questions at {log_ms} ms, the server recorded the opening at \
                 {server_ms} ms ({:+} s)",
                log_ms.saturating_sub(*server_ms) / 1000
            ),
        }
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// An event of the log that the server's timeline does not allow, left out
/// of the replayed state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unscored {
    pub seq: u64,
    /// The event's kind name (`answer`, `clear_answer`…).
    pub kind: String,
    pub at: i64,
    /// The engine's refusal, in English.
    pub why: String,
}

/// The scoring replay's result.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthoritativeReplay {
    /// The state on the server's timeline: score this.
    pub state: AttemptState,
    /// The start the replay used (`None`: the log never started).
    pub started_at_ms: Option<i64>,
    /// The deadline the replay used.
    pub deadline_ms: Option<i64>,
    /// Where the log's start disagrees with the server's records.
    pub discrepancies: Vec<Discrepancy>,
    /// Events left out because the server's timeline does not allow them.
    pub unscored: Vec<Unscored>,
}

impl AuthoritativeReplay {
    /// Identification steps (and the questions' opening) the engine refused
    /// where the log puts them: an ID photo before the start, a room scan
    /// after the questions opened, an opening with a step missing.
    pub fn unscored_identification(&self) -> impl Iterator<Item = &Unscored> {
        self.unscored.iter().filter(|u| {
            matches!(
                u.kind.as_str(),
                "identity_capture" | "head_turn" | "room_scan" | "questions_opened"
            )
        })
    }

    /// Answers (and cleared answers) that were left out: the ones that
    /// would have changed the score.
    pub fn unscored_answers(&self) -> impl Iterator<Item = &Unscored> {
        self.unscored
            .iter()
            .filter(|u| u.kind == "answer" || u.kind == "clear_answer")
    }
}

/// The scoring replay (see the module header): verifies the chain from
/// `genesis`, then folds the log on the server's timeline.
///
/// - The `start` counts at the log's own time when it is within
///   [`START_TOLERANCE_MS`] of the server's record, else at the server's;
///   an offline start (no record) counts at the log's time. The extra time
///   is always the server's, the window always the session's.
/// - Before each event, the section changes and the submission that the
///   server's deadlines make due are applied at their instants; the log's
///   own timeout events are then redundant and skipped.
/// - An event the engine refuses on that timeline is left out and listed
///   in [`AuthoritativeReplay::unscored`]; the replay goes on.
///
/// An error only for a broken chain: a log whose chain verifies always
/// gives a state.
pub fn replay_with_authority(
    genesis: &str,
    exam: &Exam,
    events: &[Event],
    authority: &Authority,
) -> Result<AuthoritativeReplay, ChainError> {
    verify_from(genesis, events)?;
    let mut out = AuthoritativeReplay {
        state: AttemptState::new(),
        started_at_ms: None,
        deadline_ms: None,
        discrepancies: Vec::new(),
        unscored: Vec::new(),
    };
    for e in events {
        if let EventKind::Start(b) = &e.kind {
            if out.started_at_ms.is_some() {
                out.discrepancies
                    .push(Discrepancy::RepeatedStart { seq: e.seq });
            } else {
                apply_start(&mut out, exam, e, b, authority);
            }
            continue;
        }
        if let EventKind::QuestionsOpened(b) = &e.kind {
            if b.reason == Reason::Manual && out.started_at_ms.is_some() {
                // Opened when the log says, or when the server recorded it
                // if the log says later; the deadline on the server's
                // record of extra time, whatever the log's body claims.
                let at = match questions_discrepancy(e.at, authority) {
                    Some(d) => {
                        out.discrepancies.push(d);
                        authority.questions_opened_at_ms.unwrap_or(e.at)
                    }
                    None => e.at,
                };
                while let Some(b) = out.state.next_boundary().filter(|b| b.at <= at) {
                    if out.state.step(Some(exam), &b.kind, b.at, e.seq).is_err() {
                        break;
                    }
                }
                let body = QuestionsOpenedBody {
                    deadline_ms: questions_deadline(exam, at, authority.extra_time),
                    reason: Reason::Manual,
                };
                let kind = EventKind::QuestionsOpened(body);
                if let Err(error) = out.state.step_at_authority(Some(exam), &kind, at, e.seq) {
                    out.unscored.push(Unscored {
                        seq: e.seq,
                        kind: e.kind.name().to_owned(),
                        at: e.at,
                        why: error.to_string(),
                    });
                }
                continue;
            }
        }
        if out.started_at_ms.is_some() {
            // The boundaries due on the server's timeline come first.
            while let Some(b) = out.state.next_boundary().filter(|b| b.at <= e.at) {
                if out.state.step(Some(exam), &b.kind, b.at, e.seq).is_err() {
                    break;
                }
            }
            if is_timeout(&e.kind) {
                // The log's own boundary: applied above at the server's instant,
                // or not due on the server's timeline.
                if matches!(out.state.next_boundary(), Some(b) if b.at == e.at && b.kind == e.kind)
                {
                    let _ = out.state.step(Some(exam), &e.kind, e.at, e.seq);
                }
                continue;
            }
        }
        if let Err(error) = out.state.step(Some(exam), &e.kind, e.at, e.seq) {
            out.unscored.push(Unscored {
                seq: e.seq,
                kind: e.kind.name().to_owned(),
                at: e.at,
                why: error.to_string(),
            });
        }
    }
    out.deadline_ms = out.state.deadline_ms.or(out.deadline_ms);
    Ok(out)
}

/// Where a log's manual `questions_opened` at `at` is later than the
/// server's record of it by more than the tolerance: the sync flags it,
/// the scoring replay opens the questions at the server's time.
pub fn questions_discrepancy(at: i64, authority: &Authority) -> Option<Discrepancy> {
    let server = authority.questions_opened_at_ms?;
    (at.saturating_sub(server) > START_TOLERANCE_MS).then_some(Discrepancy::QuestionsOpened {
        log_ms: at,
        server_ms: server,
    })
}

fn is_timeout(kind: &EventKind) -> bool {
    kind.is_timeout()
}

/// Where a log's `start` event (at `at`, with body `b`) disagrees with the
/// server's records: the sync flags these as they arrive, the scoring
/// replay lists them. One rule for both.
pub fn start_discrepancies(at: i64, b: &StartBody, authority: &Authority) -> Vec<Discrepancy> {
    let w = authority.window;
    let mut out = Vec::new();
    match authority.started_at_ms {
        Some(server) if at.abs_diff(server) > START_TOLERANCE_MS.unsigned_abs() => {
            out.push(Discrepancy::StartTime {
                log_ms: at,
                server_ms: server,
            })
        }
        Some(_) => {}
        None if at < w.opens_at_ms || at > w.closes_at_ms => {
            out.push(Discrepancy::OutsideWindow { log_ms: at })
        }
        None => {}
    }
    if b.extra_time != authority.extra_time {
        out.push(Discrepancy::ExtraTime {
            log: b.extra_time,
            server: authority.extra_time,
        });
    }
    if (b.window_opens_ms, b.window_closes_ms) != (w.opens_at_ms, w.closes_at_ms) {
        out.push(Discrepancy::Window {
            log: (b.window_opens_ms, b.window_closes_ms),
            server: (w.opens_at_ms, w.closes_at_ms),
        });
    }
    out
}

/// Applies the log's `start` as the server's records have it.
fn apply_start(
    out: &mut AuthoritativeReplay,
    exam: &Exam,
    e: &Event,
    b: &StartBody,
    authority: &Authority,
) {
    let found = start_discrepancies(e.at, b, authority);
    let at = match authority.started_at_ms {
        Some(server)
            if found
                .iter()
                .any(|d| matches!(d, Discrepancy::StartTime { .. })) =>
        {
            server
        }
        _ => e.at,
    };
    out.discrepancies.extend(found);
    let w = authority.window;
    let deadline = deadlines(exam, at, authority.extra_time).ends_at_ms;
    let start = StartBody {
        deadline_ms: deadline,
        extra_time: authority.extra_time,
        started_at_ms: at,
        // The window the start is checked against is the one `at` lies in:
        // a start outside the session's window is a discrepancy above, and
        // still scored, for the reviewer to judge.
        window_closes_ms: w.closes_at_ms.max(at),
        window_opens_ms: w.opens_at_ms.min(at),
    };
    match out.state.start_at_authority(exam, &start, at, e.seq) {
        Ok(()) => {
            out.started_at_ms = Some(at);
            out.deadline_ms = Some(deadline);
        }
        Err(error) => out.unscored.push(Unscored {
            seq: e.seq,
            kind: e.kind.name().to_owned(),
            at: e.at,
            why: error.to_string(),
        }),
    }
}
