//! The attempt state and its one transition function.
//!
//! [`AttemptState::step`] is the only place where the rules of an attempt
//! live. It first checks that an event may happen now (phase, time, question,
//! answer) and only then changes the state, so a refused event changes
//! nothing. Live commands ([`crate::attempt::Attempt`]) call it before
//! appending; [`mod@crate::replay`] calls it on each stored event. Both therefore
//! agree, and the server's replay refuses exactly what the app would refuse.
//!
//! Time is never counted down. The state keeps instants (start, deadline,
//! section deadlines fixed on entry), and a timeout is an event at its
//! boundary instant, emitted by `tick`: an event at or after a pending
//! boundary is refused with [`AttemptError::TickDue`] until the boundary's
//! event is in the log. So `at` never decreases along the log.
//!
//! Phases, in the order of the TAGE procedure: `Registered → Checked →
//! Consented → Waiting → Identifying → InProgress{section} →
//! Submitted{manual|timeout}`. (What the server holds is not a phase of
//! the attempt: the app keeps its sync cursor beside the log, never in it,
//! since an acknowledgement logged would itself need sending.) The `start` (the click at the hour:
//! lateness is judged there, and the package key is released) leads to the
//! identification steps — ID document, face, the head turned to each side,
//! the room scan — and the questions open, and the timer starts, when they
//! are done (`questions_opened`, manual) or at the exam's identification
//! bound whatever is missing (a timeout boundary, like the others): the
//! deadline is never later than start + bound + duration. The steps before
//! the start do not need the exam definition (the app receives its key only
//! at the start).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::answer::Answer;
use crate::definition::{Exam, Question};
use crate::event::*;
use crate::limits::{MAX_CHECK_ITEMS, MAX_EVENT_TEXT_LEN};
use crate::proctoring::{Incident, IncidentKind};
use crate::time::{deadlines, questions_deadline, remaining, StartError};
use crate::validate::is_sha256_hex;

/// Where an attempt is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum Phase {
    Registered,
    Checked,
    Consented,
    Waiting,
    /// Started: the identification steps, before the questions open.
    Identifying,
    InProgress {
        section: usize,
    },
    Submitted {
        reason: Reason,
    },
}

/// Time facts of one section of a started attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionProgress {
    pub entered_at_ms: Option<i64>,
    /// Effective deadline, fixed on entry: min(entry + own limit, exam
    /// deadline); `None` for an untimed section.
    pub deadline_ms: Option<i64>,
    /// Left while `no_return`, timed out, or submitted.
    pub locked: bool,
    pub no_return: bool,
    pub auto_advance: bool,
}

/// Everything known about an attempt: a fold over its event log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptState {
    pub phase: Phase,
    pub checks: Vec<CheckResult>,
    pub consent: Option<ConsentBody>,
    pub id_document_sha256: Option<String>,
    pub face_sha256: Option<String>,
    pub room_scan_sha256: Option<String>,
    /// The ear stills of the guided head turn, left and right.
    #[serde(default)]
    pub ear_left_sha256: Option<String>,
    #[serde(default)]
    pub ear_right_sha256: Option<String>,
    pub started_at_ms: Option<i64>,
    /// The questions open by this instant at the latest (from the start).
    #[serde(default)]
    pub identification_by_ms: Option<i64>,
    /// When the questions opened (the timer's start).
    #[serde(default)]
    pub questions_opened_at_ms: Option<i64>,
    /// Why they opened: identification done (`manual`) or its bound passed.
    #[serde(default)]
    pub questions_reason: Option<Reason>,
    /// The exam's duration for this attempt (extra time included), fixed
    /// at the start.
    #[serde(default)]
    pub duration_ms: Option<i64>,
    /// Set when the questions open: opening + duration (+ extra time).
    pub deadline_ms: Option<i64>,
    pub extra_time: bool,
    pub sections: Vec<SectionProgress>,
    /// Question on screen.
    pub current_question: Option<String>,
    pub answers: BTreeMap<String, Answer>,
    pub flags: BTreeSet<String>,
    /// Every incident recorded, open ones with `closed_at = None`.
    pub incidents: Vec<Incident>,
    pub focused: bool,
    /// Forbidden actions the lockdown blocked (each is a `blocked` event).
    pub blocked_actions: u64,
    pub fullscreen: bool,
    /// Whether the desktop spans several screens (last `screens` event).
    #[serde(default)]
    pub extended_screen: bool,
    /// The last comparison of the identity photos (`face_match`).
    pub face_match: Option<FaceMatchBody>,
    /// The kiosk launcher's latest machine report, if the app runs in it.
    #[serde(default)]
    pub kiosk_report: Option<KioskReportBody>,
    /// Last measured server − device offset.
    pub clock_offset_ms: Option<i64>,
    pub submitted_at_ms: Option<i64>,
    pub submit_seq: Option<u64>,
    pub last_seq: u64,
    pub last_at_ms: Option<i64>,
}

/// Why an event (a command, or a stored event on replay) is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AttemptError {
    #[error("time went backwards: {at} is before the last event at {last_at}")]
    TimeWentBackwards { last_at: i64, at: i64 },
    #[error("a time boundary passed at {boundary_ms}: call tick first")]
    TickDue { boundary_ms: i64 },
    #[error("cannot {action} in phase {phase:?}")]
    WrongPhase { action: &'static str, phase: Phase },
    #[error("start refused: {0}")]
    Start(StartError),
    #[error("the attempt has already started")]
    AlreadyStarted,
    #[error("the attempt has not started")]
    NotStarted,
    #[error("the attempt has ended")]
    AfterEnd,
    #[error("inconsistent start event: {0}")]
    BadStart(String),
    #[error("unknown question `{0}`")]
    UnknownQuestion(String),
    #[error("question `{question}` is in section {section}, which is locked")]
    SectionLocked { question: String, section: usize },
    #[error("question `{question}` is in section {section}, not the current one")]
    NotCurrentSection { question: String, section: usize },
    #[error("section {section} time is up since {deadline_ms}")]
    SectionTimeUp { section: usize, deadline_ms: i64 },
    #[error("malformed answer to `{question}`: {reason}")]
    Malformed { question: String, reason: String },
    #[error("unknown section {0}")]
    UnknownSection(u32),
    #[error("section {section} is locked")]
    LockedSection { section: usize },
    #[error("section {from} is no_return: only section {next} may follow")]
    NoReturn { from: usize, next: usize },
    #[error("section change from {from} while in section {current}")]
    NotFromCurrent { from: u32, current: usize },
    #[error("already in section {0}")]
    SameSection(usize),
    #[error("timeout event does not match the pending boundary: {0}")]
    BadTimeout(String),
    #[error("incident {0:?} is already open")]
    IncidentAlreadyOpen(IncidentKind),
    #[error("incident {0:?} is not open")]
    IncidentNotOpen(IncidentKind),
    #[error("incident times out of order: {0}")]
    BadIncidentTime(String),
    #[error("{field}: {reason}")]
    InvalidField { field: &'static str, reason: String },
    #[error("this event needs the exam definition")]
    ExamRequired,
    #[error("the identification is not complete: {missing} missing")]
    IdentificationIncomplete { missing: String },
    #[error("inconsistent questions_opened event: {0}")]
    BadQuestionsOpened(String),
    #[error("cannot rewind to seq {to_seq}: the log ends at seq {last_seq}")]
    RewindAhead { to_seq: u64, last_seq: u64 },
}

/// The event `tick` must append next, and when.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Boundary {
    pub at: i64,
    pub kind: EventKind,
}

fn sha(field: &'static str, s: &str) -> Result<(), AttemptError> {
    if is_sha256_hex(s) && !s.bytes().any(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(AttemptError::InvalidField {
            field,
            reason: "not a lowercase hex SHA-256".into(),
        })
    }
}

fn short(field: &'static str, s: &str) -> Result<(), AttemptError> {
    if s.len() > MAX_EVENT_TEXT_LEN {
        return Err(AttemptError::InvalidField {
            field,
            reason: format!("too long: {} bytes (max {MAX_EVENT_TEXT_LEN})", s.len()),
        });
    }
    Ok(())
}

impl Default for AttemptState {
    fn default() -> Self {
        AttemptState::new()
    }
}

impl AttemptState {
    /// A registered attempt with no event.
    pub fn new() -> AttemptState {
        AttemptState {
            phase: Phase::Registered,
            checks: Vec::new(),
            consent: None,
            id_document_sha256: None,
            face_sha256: None,
            room_scan_sha256: None,
            ear_left_sha256: None,
            ear_right_sha256: None,
            started_at_ms: None,
            identification_by_ms: None,
            questions_opened_at_ms: None,
            questions_reason: None,
            duration_ms: None,
            deadline_ms: None,
            extra_time: false,
            sections: Vec::new(),
            current_question: None,
            answers: BTreeMap::new(),
            flags: BTreeSet::new(),
            incidents: Vec::new(),
            focused: true,
            blocked_actions: 0,
            extended_screen: false,
            face_match: None,
            kiosk_report: None,
            fullscreen: false,
            clock_offset_ms: None,
            submitted_at_ms: None,
            submit_seq: None,
            last_seq: 0,
            last_at_ms: None,
        }
    }

    /// Current section, while in progress.
    pub fn current_section(&self) -> Option<usize> {
        match self.phase {
            Phase::InProgress { section } => Some(section),
            _ => None,
        }
    }

    /// The identification steps still missing, by name (`id_document`,
    /// `face`, `head_turn_left`, `head_turn_right`, `room_scan`).
    pub fn identification_missing(&self) -> Vec<&'static str> {
        [
            ("id_document", self.id_document_sha256.is_some()),
            ("face", self.face_sha256.is_some()),
            ("head_turn_left", self.ear_left_sha256.is_some()),
            ("head_turn_right", self.ear_right_sha256.is_some()),
            ("room_scan", self.room_scan_sha256.is_some()),
        ]
        .into_iter()
        .filter(|(_, done)| !done)
        .map(|(name, _)| name)
        .collect()
    }

    /// Time left for the identification steps: `None` outside them.
    pub fn identification_remaining_ms(&self, now_ms: i64) -> Option<i64> {
        match self.phase {
            Phase::Identifying => Some(remaining(self.identification_by_ms?, now_ms)),
            _ => None,
        }
    }

    /// Time left in the attempt: `None` before the questions open, 0 once submitted.
    /// Never negative; for a given state, never increasing as `now` grows.
    pub fn remaining_ms(&self, now_ms: i64) -> Option<i64> {
        let deadline = self.deadline_ms?;
        match self.phase {
            Phase::InProgress { .. } => Some(remaining(deadline, now_ms)),
            _ => Some(0),
        }
    }

    /// Time left in the current section (its own deadline, or the exam's):
    /// `None` when not in progress.
    pub fn section_remaining_ms(&self, now_ms: i64) -> Option<i64> {
        let s = self.current_section()?;
        let exam_deadline = self.deadline_ms?;
        let d = self.sections[s]
            .deadline_ms
            .map_or(exam_deadline, |d| d.min(exam_deadline));
        Some(remaining(d, now_ms))
    }

    /// Open incident of `kind`, if any.
    pub fn open_incident(&self, kind: IncidentKind) -> Option<&Incident> {
        self.incidents
            .iter()
            .rev()
            .find(|i| i.kind == kind && i.closed_at.is_none())
    }

    /// Instant of the next timeout event (see [`AttemptState::next_boundary`]):
    /// when the app must call `tick`.
    pub fn next_boundary_ms(&self) -> Option<i64> {
        self.next_boundary().map(|b| b.at)
    }

    /// The next timeout event and its instant: the questions opening at
    /// the identification bound, then section changes and the submission.
    pub(crate) fn next_boundary(&self) -> Option<Boundary> {
        if self.phase == Phase::Identifying {
            let at = self.identification_by_ms?;
            return Some(Boundary {
                at,
                kind: EventKind::QuestionsOpened(QuestionsOpenedBody {
                    deadline_ms: self.pending_deadline_from(at)?,
                    reason: Reason::Timeout,
                }),
            });
        }
        let cur = self.current_section()?;
        let exam_deadline = self.deadline_ms?;
        let sp = &self.sections[cur];
        match sp.deadline_ms {
            Some(d) if sp.auto_advance && d < exam_deadline => {
                let kind = if cur + 1 < self.sections.len() {
                    EventKind::SectionChange(SectionChangeBody {
                        from: cur as u32,
                        reason: Reason::Timeout,
                        to: cur as u32 + 1,
                    })
                } else {
                    EventKind::Submit(SubmitBody {
                        reason: Reason::Timeout,
                    })
                };
                Some(Boundary { at: d, kind })
            }
            _ => Some(Boundary {
                at: exam_deadline,
                kind: EventKind::Submit(SubmitBody {
                    reason: Reason::Timeout,
                }),
            }),
        }
    }

    /// Where a question is, and whether it may be touched now.
    fn accessible<'e>(
        &self,
        exam: &'e Exam,
        question: &str,
        at: i64,
    ) -> Result<&'e Question, AttemptError> {
        let cur = match self.phase {
            Phase::InProgress { section } => section,
            Phase::Submitted { .. } => return Err(AttemptError::AfterEnd),
            _ => return Err(AttemptError::NotStarted),
        };
        let (r, q) = exam
            .question(question)
            .ok_or_else(|| AttemptError::UnknownQuestion(question.into()))?;
        if self.sections.get(r.section).is_some_and(|s| s.locked) {
            return Err(AttemptError::SectionLocked {
                question: question.into(),
                section: r.section,
            });
        }
        if r.section != cur {
            return Err(AttemptError::NotCurrentSection {
                question: question.into(),
                section: r.section,
            });
        }
        if let Some(d) = self.sections[cur].deadline_ms.filter(|d| at >= *d) {
            return Err(AttemptError::SectionTimeUp {
                section: cur,
                deadline_ms: d,
            });
        }
        Ok(q)
    }

    fn enter_section(&mut self, exam: &Exam, to: usize, at: i64) {
        let deadline = self.deadline_ms.unwrap_or(at);
        let extra = self.extra_time;
        let sp = &mut self.sections[to];
        if sp.entered_at_ms.is_none() {
            sp.entered_at_ms = Some(at);
            sp.deadline_ms = exam
                .section_limit_ms(to, extra)
                .map(|l| at.saturating_add(l).min(deadline));
        }
        self.current_question = exam.sections[to].questions.first().map(|q| q.id.clone());
        self.phase = Phase::InProgress { section: to };
    }

    /// The deadline of questions opened at `at`: kept at the start as the
    /// duration (with the extra time), since the boundary has no exam.
    fn pending_deadline_from(&self, at: i64) -> Option<i64> {
        Some(at.saturating_add(self.duration_ms?))
    }

    fn need(exam: Option<&Exam>) -> Result<&Exam, AttemptError> {
        exam.ok_or(AttemptError::ExamRequired)
    }

    /// The scoring replay's start ([`crate::replay_with_authority`]): the
    /// start as the server's records place it, which may precede events
    /// the log dated before its own start; the rest of the rules hold.
    pub(crate) fn start_at_authority(
        &mut self,
        exam: &Exam,
        body: &StartBody,
        at: i64,
        seq: u64,
    ) -> Result<(), AttemptError> {
        self.step_at_authority(Some(exam), &EventKind::Start(body.clone()), at, seq)
    }

    /// One event at the time the server's records give it, which may
    /// precede events the log dated before it.
    pub(crate) fn step_at_authority(
        &mut self,
        exam: Option<&Exam>,
        kind: &EventKind,
        at: i64,
        seq: u64,
    ) -> Result<(), AttemptError> {
        let last = self.last_at_ms;
        if last.is_some_and(|l| at < l) {
            self.last_at_ms = Some(at);
        }
        let r = self.step(exam, kind, at, seq);
        if r.is_err() {
            self.last_at_ms = last;
        }
        r
    }

    /// Apply one event (`seq`, `at`, `kind`) if the rules allow it; on error
    /// the state is unchanged.
    pub fn step(
        &mut self,
        exam: Option<&Exam>,
        kind: &EventKind,
        at: i64,
        seq: u64,
    ) -> Result<(), AttemptError> {
        use AttemptError as E;
        if let Some(last) = self.last_at_ms.filter(|l| at < *l) {
            return Err(E::TimeWentBackwards { last_at: last, at });
        }
        let is_timeout = kind.is_timeout();
        let boundary = self.next_boundary();
        if is_timeout {
            match &boundary {
                Some(b) if b.at == at && b.kind == *kind => {}
                Some(b) => {
                    return Err(E::BadTimeout(format!(
                        "expected {} at {}, got {} at {at}",
                        b.kind.name(),
                        b.at,
                        kind.name()
                    )))
                }
                None => return Err(E::BadTimeout("no pending boundary".into())),
            }
        } else if let Some(b) = boundary.as_ref().filter(|b| at >= b.at) {
            return Err(E::TickDue { boundary_ms: b.at });
        }
        let phase = self.phase;
        let wrong = |action| Err(E::WrongPhase { action, phase });
        match kind {
            EventKind::Checks(b) => {
                if !matches!(phase, Phase::Registered | Phase::Checked) {
                    return wrong("record system checks");
                }
                if b.results.len() > MAX_CHECK_ITEMS {
                    return Err(E::InvalidField {
                        field: "results",
                        reason: format!("{} items (max {MAX_CHECK_ITEMS})", b.results.len()),
                    });
                }
                for r in &b.results {
                    short("results.item", &r.item)?;
                    short("results.detail", &r.detail)?;
                }
                let pass = b.results.iter().all(|r| r.status != CheckStatus::Fail);
                self.checks = b.results.clone();
                self.phase = if pass {
                    Phase::Checked
                } else {
                    Phase::Registered
                };
            }
            EventKind::Consent(b) => {
                if phase != Phase::Checked {
                    return wrong("consent");
                }
                sha("text_sha256", &b.text_sha256)?;
                short("version", &b.version)?;
                self.consent = Some(b.clone());
                self.phase = Phase::Consented;
            }
            EventKind::IdentityCapture(b) => {
                if phase != Phase::Identifying {
                    return wrong("capture identity");
                }
                sha("media_sha256", &b.media_sha256)?;
                match b.what {
                    IdentityWhat::IdDocument => {
                        self.id_document_sha256 = Some(b.media_sha256.clone())
                    }
                    IdentityWhat::Face => self.face_sha256 = Some(b.media_sha256.clone()),
                }
            }
            EventKind::HeadTurn(b) => {
                if phase != Phase::Identifying {
                    return wrong("record the head turn");
                }
                sha("media_sha256", &b.media_sha256)?;
                let ear = Some(b.media_sha256.clone());
                match b.side {
                    Side::Left => self.ear_left_sha256 = ear,
                    Side::Right => self.ear_right_sha256 = ear,
                }
            }
            EventKind::RoomScan(b) => {
                if phase != Phase::Identifying {
                    return wrong("record the room scan");
                }
                sha("media_sha256", &b.media_sha256)?;
                self.room_scan_sha256 = Some(b.media_sha256.clone());
            }
            EventKind::Waiting(_) => {
                if phase != Phase::Consented {
                    return wrong("enter the waiting room");
                }
                self.phase = Phase::Waiting;
            }
            EventKind::Start(b) => {
                match phase {
                    Phase::Waiting => {}
                    Phase::Identifying | Phase::InProgress { .. } | Phase::Submitted { .. } => {
                        return Err(E::AlreadyStarted)
                    }
                    _ => return wrong("start"),
                }
                let exam = Self::need(exam)?;
                if at < b.window_opens_ms {
                    return Err(E::Start(StartError::TooEarly {
                        opens_at_ms: b.window_opens_ms,
                    }));
                }
                if at > b.window_closes_ms {
                    return Err(E::Start(StartError::TooLate {
                        closed_at_ms: b.window_closes_ms,
                    }));
                }
                if b.started_at_ms != at {
                    return Err(E::BadStart(format!(
                        "started_at_ms {} ≠ at {at}",
                        b.started_at_ms
                    )));
                }
                let d = deadlines(exam, at, b.extra_time);
                if b.deadline_ms != d.ends_at_ms {
                    return Err(E::BadStart(format!(
                        "deadline_ms {} ≠ {}",
                        b.deadline_ms, d.ends_at_ms
                    )));
                }
                self.started_at_ms = Some(at);
                self.identification_by_ms = Some(d.identification_by_ms);
                self.duration_ms = Some(exam.duration_ms(b.extra_time));
                self.extra_time = b.extra_time;
                self.sections = exam
                    .sections
                    .iter()
                    .map(|s| SectionProgress {
                        entered_at_ms: None,
                        deadline_ms: None,
                        locked: false,
                        no_return: s.no_return,
                        auto_advance: s.auto_advance,
                    })
                    .collect();
                self.phase = Phase::Identifying;
            }
            EventKind::QuestionsOpened(b) => {
                match phase {
                    Phase::Identifying => {}
                    Phase::InProgress { .. } | Phase::Submitted { .. } => {
                        return wrong("open the questions")
                    }
                    _ => return Err(E::NotStarted),
                }
                let exam = Self::need(exam)?;
                if b.reason == Reason::Manual {
                    let missing = self.identification_missing();
                    if !missing.is_empty() {
                        return Err(E::IdentificationIncomplete {
                            missing: missing.join(", "),
                        });
                    }
                }
                let deadline = questions_deadline(exam, at, self.extra_time);
                if b.deadline_ms != deadline {
                    return Err(E::BadQuestionsOpened(format!(
                        "deadline_ms {} ≠ {deadline}",
                        b.deadline_ms
                    )));
                }
                self.questions_opened_at_ms = Some(at);
                self.questions_reason = Some(b.reason);
                self.deadline_ms = Some(deadline);
                self.enter_section(exam, 0, at);
            }
            EventKind::Answer(b) => {
                let exam = Self::need(exam)?;
                let q = self.accessible(exam, &b.question, at)?;
                b.answer.check(q).map_err(|reason| E::Malformed {
                    question: b.question.clone(),
                    reason,
                })?;
                self.answers.insert(b.question.clone(), b.answer.clone());
            }
            EventKind::ClearAnswer(b) => {
                self.accessible(Self::need(exam)?, &b.question, at)?;
                self.answers.remove(&b.question);
            }
            EventKind::Flag(b) => {
                self.accessible(Self::need(exam)?, &b.question, at)?;
                self.flags.insert(b.question.clone());
            }
            EventKind::Unflag(b) => {
                self.accessible(Self::need(exam)?, &b.question, at)?;
                self.flags.remove(&b.question);
            }
            EventKind::Navigate(b) => {
                self.accessible(Self::need(exam)?, &b.question, at)?;
                self.current_question = Some(b.question.clone());
            }
            EventKind::SectionChange(b) => {
                let exam = Self::need(exam)?;
                let cur = match phase {
                    Phase::InProgress { section } => section,
                    Phase::Submitted { .. } => return Err(E::AfterEnd),
                    _ => return Err(E::NotStarted),
                };
                if b.from as usize != cur {
                    return Err(E::NotFromCurrent {
                        from: b.from,
                        current: cur,
                    });
                }
                let to = b.to as usize;
                if to >= exam.sections.len() || to >= self.sections.len() {
                    return Err(E::UnknownSection(b.to));
                }
                if b.reason == Reason::Manual {
                    if to == cur {
                        return Err(E::SameSection(cur));
                    }
                    if self.sections[to].locked {
                        return Err(E::LockedSection { section: to });
                    }
                    if self.sections[cur].no_return && to != cur + 1 {
                        return Err(E::NoReturn {
                            from: cur,
                            next: cur + 1,
                        });
                    }
                }
                if self.sections[cur].no_return || b.reason == Reason::Timeout {
                    self.sections[cur].locked = true;
                }
                self.enter_section(exam, to, at);
            }
            EventKind::Submit(b) => {
                match phase {
                    Phase::InProgress { .. } => {}
                    Phase::Submitted { .. } => return Err(E::AfterEnd),
                    _ => return Err(E::NotStarted),
                }
                for s in &mut self.sections {
                    s.locked = true;
                }
                self.phase = Phase::Submitted { reason: b.reason };
                self.submitted_at_ms = Some(at);
                self.submit_seq = Some(seq);
            }
            EventKind::IncidentOpen(b) => {
                if self.open_incident(b.incident).is_some() {
                    return Err(E::IncidentAlreadyOpen(b.incident));
                }
                if b.opened_at > at {
                    return Err(E::BadIncidentTime(format!(
                        "opened_at {} after at {at}",
                        b.opened_at
                    )));
                }
                if let Some(h) = &b.evidence_sha256 {
                    sha("evidence_sha256", h)?;
                }
                self.incidents.push(Incident {
                    kind: b.incident,
                    severity: b.severity,
                    opened_at: b.opened_at,
                    closed_at: None,
                    evidence: b.evidence_sha256.clone(),
                });
            }
            EventKind::IncidentClose(b) => {
                let opened_at = self
                    .open_incident(b.incident)
                    .map(|i| i.opened_at)
                    .ok_or(E::IncidentNotOpen(b.incident))?;
                if b.closed_at > at || b.closed_at < opened_at {
                    return Err(E::BadIncidentTime(format!(
                        "closed_at {} not within [{opened_at}, {at}]",
                        b.closed_at
                    )));
                }
                if let Some(i) = self
                    .incidents
                    .iter_mut()
                    .rev()
                    .find(|i| i.kind == b.incident && i.closed_at.is_none())
                {
                    i.closed_at = Some(b.closed_at);
                }
            }
            EventKind::Focus(b) => self.focused = b.focused,
            EventKind::Fullscreen(b) => self.fullscreen = b.active,
            EventKind::Blocked(b) => {
                if b.action.is_empty() || b.action.len() > crate::limits::MAX_BLOCKED_ACTION_LEN {
                    return Err(E::InvalidField {
                        field: "blocked.action",
                        reason: format!(
                            "must be 1 to {} bytes",
                            crate::limits::MAX_BLOCKED_ACTION_LEN
                        ),
                    });
                }
                self.blocked_actions += 1;
            }
            EventKind::Screens(b) => self.extended_screen = b.extended,
            EventKind::FaceMatch(b) => {
                sha("face_match.id_sha256", &b.id_sha256)?;
                sha("face_match.face_sha256", &b.face_sha256)?;
                let photos = (self.id_document_sha256.as_ref(), self.face_sha256.as_ref());
                if photos != (Some(&b.id_sha256), Some(&b.face_sha256)) {
                    return Err(E::InvalidField {
                        field: "face_match",
                        reason: "names photos other than the kept ID and face photos".into(),
                    });
                }
                if b.similarity_milli
                    .is_some_and(|m| !(-1000..=1000).contains(&m))
                {
                    return Err(E::InvalidField {
                        field: "face_match.similarity_milli",
                        reason: "must be −1000 to 1000".into(),
                    });
                }
                self.face_match = Some(b.clone());
            }
            EventKind::KioskReport(b) => {
                if b.results.len() > MAX_CHECK_ITEMS {
                    return Err(E::InvalidField {
                        field: "kiosk_report.results",
                        reason: format!("{} items (max {MAX_CHECK_ITEMS})", b.results.len()),
                    });
                }
                short("kiosk_report.config_key", &b.config_key)?;
                short("kiosk_report.launcher", &b.launcher)?;
                for r in &b.results {
                    short("kiosk_report.results.item", &r.item)?;
                    short("kiosk_report.results.detail", &r.detail)?;
                }
                self.kiosk_report = Some(b.clone());
            }
            EventKind::ClockSync(b) => self.clock_offset_ms = Some(b.offset_ms),
        }
        self.last_seq = seq;
        self.last_at_ms = Some(at);
        Ok(())
    }
}
