//! The live attempt: commands that validate, append and return an event.
//!
//! The app drives an [`Attempt`]: each command builds the event, asks
//! [`AttemptState::step`] whether it is allowed *now* (the same rules the
//! server's replay applies), appends it to the hash-chained log and returns a
//! copy for the app to persist (IndexedDB) before acknowledging it on screen.
//!
//! Time is an argument, `now_ms` from the trusted clock. Call
//! [`Attempt::tick`] regularly (every second, and before any command): it
//! appends the section-advance and timeout-submit events that are due, each
//! stamped with its boundary instant (not `now`), so a sleeping laptop or a
//! throttled tab cannot stretch the time. Commands refuse with
//! [`AttemptError::TickDue`] while a boundary is pending.

use crate::answer::Answer;
use crate::definition::Exam;
use crate::event::*;
use crate::log::EventLog;
use crate::log::GENESIS_HASH;
use crate::proctoring::IncidentChange;
use crate::replay::{replay_events_from, ReplayError};
use crate::state::{AttemptError, AttemptState};
use crate::time::{deadlines, StartWindow};

/// An attempt in progress on the candidate's device.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attempt {
    log: EventLog,
    state: AttemptState,
}

impl Attempt {
    /// A fresh attempt, `Registered`, with an empty log from
    /// [`GENESIS_HASH`] (tests, and tools that bind no attempt).
    pub fn new() -> Attempt {
        Attempt::default()
    }

    /// A fresh attempt whose log starts from the attempt's own `genesis`
    /// (the server's [`crate::log::attempt_genesis`], given at login).
    pub fn with_genesis(genesis: &str) -> Attempt {
        Attempt {
            log: EventLog::with_genesis(genesis),
            state: AttemptState::default(),
        }
    }

    /// Rebuild an attempt from its stored log (after a reload): verifies the
    /// chain from [`GENESIS_HASH`] and replays it. `exam` may be `None`
    /// before the start.
    pub fn resume(exam: Option<&Exam>, events: Vec<Event>) -> Result<Attempt, ReplayError> {
        Attempt::resume_with_genesis(GENESIS_HASH, exam, events)
    }

    /// As [`Attempt::resume`], for a log that starts from `genesis`.
    pub fn resume_with_genesis(
        genesis: &str,
        exam: Option<&Exam>,
        events: Vec<Event>,
    ) -> Result<Attempt, ReplayError> {
        let mut attempt = Attempt::with_genesis(genesis);
        attempt.state = replay_events_from(attempt.log.genesis(), exam, &events)?;
        attempt.log = EventLog::from_verified(attempt.log.genesis(), events);
        Ok(attempt)
    }

    pub fn state(&self) -> &AttemptState {
        &self.state
    }

    pub fn log(&self) -> &EventLog {
        &self.log
    }

    pub fn events(&self) -> &[Event] {
        self.log.events()
    }

    /// Events with `seq > after`, in order (what is still to send after
    /// the server acknowledged `after`).
    pub fn events_after(&self, after: u64) -> &[Event] {
        self.log.since(after)
    }

    /// Goes back to `earlier`, a state this attempt had after its first
    /// `earlier.last_seq` events: the later events are dropped and the
    /// state is `earlier` again.
    ///
    /// This is how the app undoes steps it could not store (IndexedDB
    /// refused them) without copying the log before each step: it keeps the
    /// state it last stored (small: answers, sections, incidents) and
    /// rewinds to it, so a step costs the same at the 1st event and at the
    /// 2 000th. Refused (nothing changes) when `earlier` is ahead of the log.
    pub fn rewind_to(&mut self, earlier: AttemptState) -> Result<(), AttemptError> {
        let len = usize::try_from(earlier.last_seq).unwrap_or(usize::MAX);
        if len > self.log.len() {
            return Err(AttemptError::RewindAhead {
                to_seq: earlier.last_seq,
                last_seq: self.log.len() as u64,
            });
        }
        self.log.truncate(len);
        self.state = earlier;
        Ok(())
    }

    fn push(
        &mut self,
        exam: Option<&Exam>,
        kind: EventKind,
        now_ms: i64,
    ) -> Result<Event, AttemptError> {
        let seq = self.log.len() as u64 + 1;
        self.state.step(exam, &kind, now_ms, seq)?;
        Ok(self.log.append(kind, now_ms).clone())
    }

    /// Record the system-check results; `Checked` if none failed.
    pub fn record_checks(
        &mut self,
        results: Vec<CheckResult>,
        now_ms: i64,
    ) -> Result<Event, AttemptError> {
        self.push(None, EventKind::Checks(ChecksBody { results }), now_ms)
    }

    /// Record consent to the rules (`text_sha256`: hash of the text shown).
    pub fn consent(
        &mut self,
        version: &str,
        text_sha256: &str,
        now_ms: i64,
    ) -> Result<Event, AttemptError> {
        let body = ConsentBody {
            text_sha256: text_sha256.into(),
            version: version.into(),
        };
        self.push(None, EventKind::Consent(body), now_ms)
    }

    /// Record an identity photo; `Identified` once both are captured.
    pub fn capture_identity(
        &mut self,
        what: IdentityWhat,
        media_sha256: &str,
        now_ms: i64,
    ) -> Result<Event, AttemptError> {
        let body = IdentityCaptureBody {
            media_sha256: media_sha256.into(),
            what,
        };
        self.push(None, EventKind::IdentityCapture(body), now_ms)
    }

    /// Record the room-scan video.
    pub fn room_scan(
        &mut self,
        media_sha256: &str,
        duration_ms: u64,
        now_ms: i64,
    ) -> Result<Event, AttemptError> {
        let body = RoomScanBody {
            duration_ms,
            media_sha256: media_sha256.into(),
        };
        self.push(None, EventKind::RoomScan(body), now_ms)
    }

    /// Record one side of the guided head turn: the still of that ear and
    /// the yaw the face mesh measured.
    pub fn head_turn(
        &mut self,
        side: Side,
        media_sha256: &str,
        yaw_deg: i32,
        now_ms: i64,
    ) -> Result<Event, AttemptError> {
        let body = HeadTurnBody {
            media_sha256: media_sha256.into(),
            side,
            yaw_deg,
        };
        self.push(None, EventKind::HeadTurn(body), now_ms)
    }

    /// Open the questions once the identification is complete: the timer
    /// starts now (refused while a step is missing; at the identification
    /// bound, `tick` opens them anyway).
    pub fn open_questions(&mut self, exam: &Exam, now_ms: i64) -> Result<Event, AttemptError> {
        let body = QuestionsOpenedBody {
            deadline_ms: crate::time::questions_deadline(exam, now_ms, self.state.extra_time),
            reason: Reason::Manual,
        };
        self.push(Some(exam), EventKind::QuestionsOpened(body), now_ms)
    }

    /// Enter the waiting room.
    pub fn enter_waiting_room(&mut self, now_ms: i64) -> Result<Event, AttemptError> {
        self.push(None, EventKind::Waiting(WaitingBody {}), now_ms)
    }

    /// The app's start: into the waiting room if the candidate is not there
    /// yet, then the start, as of the server's start `server_ms` (an online
    /// start) or `now_ms` (an offline one, by the trusted clock). The
    /// waiting-room entry is dated no later than the start, and the start
    /// event carries the server's start exactly — not the moment its answer
    /// arrived (#31: 20–40 ms later on loopback, and the log then said the
    /// candidate reached the waiting room after starting). Never back in
    /// time: a log already past the server's start (a device clock ahead)
    /// starts at its last event, which the sync flags.
    pub fn wait_and_start(
        &mut self,
        exam: &Exam,
        window: &StartWindow,
        extra_time: bool,
        server_ms: Option<i64>,
        now_ms: i64,
    ) -> Result<Vec<Event>, AttemptError> {
        let last = self.state.last_at_ms.unwrap_or(i64::MIN);
        let at = server_ms.unwrap_or(now_ms).max(last);
        let mut events = Vec::new();
        if self.state.phase == crate::state::Phase::Consented {
            events.push(self.enter_waiting_room(at.min(now_ms).max(last))?);
        }
        events.push(self.start(exam, window, extra_time, at)?);
        Ok(events)
    }

    /// Start the exam at `now_ms`, inside `window`, with or without the
    /// extra-time accommodation.
    pub fn start(
        &mut self,
        exam: &Exam,
        window: &StartWindow,
        extra_time: bool,
        now_ms: i64,
    ) -> Result<Event, AttemptError> {
        let d = deadlines(exam, now_ms, extra_time);
        let body = StartBody {
            deadline_ms: d.ends_at_ms,
            extra_time,
            started_at_ms: now_ms,
            window_closes_ms: window.closes_at_ms,
            window_opens_ms: window.opens_at_ms,
        };
        self.push(Some(exam), EventKind::Start(body), now_ms)
    }

    /// Answer a question of the current section. Multiple-choice indices may
    /// come in any order; they are stored sorted.
    pub fn answer(
        &mut self,
        exam: &Exam,
        question_id: &str,
        answer: Answer,
        now_ms: i64,
    ) -> Result<Event, AttemptError> {
        let body = AnswerBody {
            answer: answer.normalize(),
            question: question_id.into(),
        };
        self.push(Some(exam), EventKind::Answer(body), now_ms)
    }

    pub fn clear_answer(
        &mut self,
        exam: &Exam,
        question_id: &str,
        now_ms: i64,
    ) -> Result<Event, AttemptError> {
        let body = QuestionBody {
            question: question_id.into(),
        };
        self.push(Some(exam), EventKind::ClearAnswer(body), now_ms)
    }

    /// Flag (`true`) or unflag (`false`) a question for review.
    pub fn flag(
        &mut self,
        exam: &Exam,
        question_id: &str,
        flagged: bool,
        now_ms: i64,
    ) -> Result<Event, AttemptError> {
        let body = QuestionBody {
            question: question_id.into(),
        };
        let kind = if flagged {
            EventKind::Flag(body)
        } else {
            EventKind::Unflag(body)
        };
        self.push(Some(exam), kind, now_ms)
    }

    /// Show a question of the current section.
    pub fn navigate(
        &mut self,
        exam: &Exam,
        question_id: &str,
        now_ms: i64,
    ) -> Result<Event, AttemptError> {
        let body = QuestionBody {
            question: question_id.into(),
        };
        self.push(Some(exam), EventKind::Navigate(body), now_ms)
    }

    /// Move to section `to` (index). Leaving a `no_return` section locks it
    /// and only allows the next section.
    pub fn change_section(
        &mut self,
        exam: &Exam,
        to: usize,
        now_ms: i64,
    ) -> Result<Event, AttemptError> {
        let from = self.state.current_section().ok_or(match self.state.phase {
            crate::state::Phase::Submitted { .. } => AttemptError::AfterEnd,
            _ => AttemptError::NotStarted,
        })?;
        let body = SectionChangeBody {
            from: from as u32,
            reason: Reason::Manual,
            to: u32::try_from(to).unwrap_or(u32::MAX),
        };
        self.push(Some(exam), EventKind::SectionChange(body), now_ms)
    }

    /// Submit on the candidate's request.
    pub fn submit(&mut self, exam: &Exam, now_ms: i64) -> Result<Event, AttemptError> {
        self.push(
            Some(exam),
            EventKind::Submit(SubmitBody {
                reason: Reason::Manual,
            }),
            now_ms,
        )
    }

    /// Append every timeout event due by `now_ms` (section advances, then the
    /// timeout submit), each at its boundary instant. Returns them (possibly
    /// none). Idempotent: a second call at the same `now_ms` returns nothing.
    pub fn tick(&mut self, exam: &Exam, now_ms: i64) -> Vec<Event> {
        let mut out = Vec::new();
        while let Some(b) = self.state.next_boundary().filter(|b| b.at <= now_ms) {
            match self.push(Some(exam), b.kind, b.at) {
                Ok(e) => out.push(e),
                Err(_) => break, // not reachable with a consistent state
            }
        }
        out
    }

    /// Record an incident change from the [`crate::Proctor`], at `now_ms`.
    pub fn record_incident(
        &mut self,
        change: &IncidentChange,
        now_ms: i64,
    ) -> Result<Event, AttemptError> {
        let kind = match change {
            IncidentChange::Opened(i) => EventKind::IncidentOpen(IncidentOpenBody {
                evidence_sha256: i.evidence.clone(),
                incident: i.kind,
                opened_at: i.opened_at,
                severity: i.severity,
            }),
            IncidentChange::Closed(i) => EventKind::IncidentClose(IncidentCloseBody {
                closed_at: i.closed_at.unwrap_or(now_ms),
                incident: i.kind,
            }),
        };
        self.push(None, kind, now_ms)
    }

    pub fn record_focus(&mut self, focused: bool, now_ms: i64) -> Result<Event, AttemptError> {
        self.push(None, EventKind::Focus(FocusBody { focused }), now_ms)
    }

    /// Records a forbidden action the lockdown blocked.
    pub fn record_blocked(&mut self, action: &str, now_ms: i64) -> Result<Event, AttemptError> {
        let body = BlockedBody {
            action: action.into(),
        };
        self.push(None, EventKind::Blocked(body), now_ms)
    }

    pub fn record_fullscreen(&mut self, active: bool, now_ms: i64) -> Result<Event, AttemptError> {
        self.push(
            None,
            EventKind::Fullscreen(FullscreenBody { active }),
            now_ms,
        )
    }

    /// Records whether the desktop spans several screens.
    pub fn record_screens(&mut self, extended: bool, now_ms: i64) -> Result<Event, AttemptError> {
        self.push(None, EventKind::Screens(ScreensBody { extended }), now_ms)
    }

    /// Records the comparison of the identity photos.
    pub fn record_face_match(
        &mut self,
        body: FaceMatchBody,
        now_ms: i64,
    ) -> Result<Event, AttemptError> {
        self.push(None, EventKind::FaceMatch(body), now_ms)
    }

    /// Records the kiosk launcher's machine report.
    pub fn record_kiosk_report(
        &mut self,
        report: KioskReportBody,
        now_ms: i64,
    ) -> Result<Event, AttemptError> {
        self.push(None, EventKind::KioskReport(report), now_ms)
    }

    /// Record a clock measurement (see [`crate::TrustedClock::sync`]).
    pub fn record_clock_sync(
        &mut self,
        server_ms: i64,
        offset_ms: i64,
        rtt_ms: i64,
        now_ms: i64,
    ) -> Result<Event, AttemptError> {
        let body = ClockSyncBody {
            offset_ms,
            rtt_ms,
            server_ms,
        };
        self.push(None, EventKind::ClockSync(body), now_ms)
    }

    /// Time left in the attempt (see [`AttemptState::remaining_ms`]).
    pub fn remaining_ms(&self, now_ms: i64) -> Option<i64> {
        self.state.remaining_ms(now_ms)
    }

    /// Time left in the current section.
    pub fn section_remaining_ms(&self, now_ms: i64) -> Option<i64> {
        self.state.section_remaining_ms(now_ms)
    }

    /// Instant of the next timeout event, while in progress.
    pub fn next_boundary_ms(&self) -> Option<i64> {
        self.state.next_boundary_ms()
    }
}
