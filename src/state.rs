//! The app's state as a pure reducer (as in yew's function_todomvc).
//!
//! Screens send [`Action`]s; [`Model::apply`] computes the next model; the
//! screen shown is derived from the model — from the engine attempt's phase
//! once signed in — never stored beside it, so the two cannot disagree. The
//! model holds a snapshot of the attempt's state, never the attempt: the
//! attempt lives in the [`AttemptStore`](crate::store::AttemptStore), which
//! sends [`Action::Committed`] after each step is stored, in order.

use std::rc::Rc;

use vigil_api::LoginResponse;
use vigil_exam::{AttemptState, Exam, Phase};
use yew::Reducible;

use crate::i18n::Lang;

/// Which screen is on show (`data-screen` on its root).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// Reading IndexedDB at start-up.
    Loading,
    Login,
    SystemCheck,
    Consent,
    WaitingRoom,
    /// After the start: the ID document, the face, then the head turn.
    Identity,
    HeadTurn,
    RoomScan,
    Exam,
    Review,
    Finished,
    /// The questions are open on the engine's clock but still sealed on
    /// this machine: their key comes from the server's opening (#31).
    Opening,
    /// A phase whose screen is not part of this version yet.
    Unavailable,
}

impl Screen {
    pub fn name(self) -> &'static str {
        match self {
            Screen::Loading => "loading",
            Screen::Login => "login",
            Screen::SystemCheck => "system-check",
            Screen::Consent => "consent",
            Screen::Identity => "identity",
            // The guided head turn is a step of the identity screen.
            Screen::HeadTurn => "identity",
            Screen::RoomScan => "room-scan",
            Screen::WaitingRoom => "waiting-room",
            Screen::Exam => "exam",
            Screen::Review => "review",
            Screen::Finished => "finished",
            Screen::Opening => "opening",
            Screen::Unavailable => "unavailable",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Model {
    pub lang: Lang,
    /// False until IndexedDB has been read at start-up.
    pub restored: bool,
    /// Set once the candidate has signed in (or was, before a reload).
    pub login: Option<Rc<LoginResponse>>,
    /// The attempt's state after its last stored event (a snapshot from
    /// the store: cheap to clone, never the log).
    pub attempt: Option<Rc<AttemptState>>,
    /// The opened exam, once started on this machine: its skeleton until
    /// the questions' key arrives (`sealed`), then the exam itself.
    pub exam: Option<Rc<Exam>>,
    /// `exam` is the skeleton: every question's content still sealed.
    pub sealed: bool,
    /// The review screen is open over the exam.
    pub reviewing: bool,
    /// The equipment test opened from the login screen, without signing in.
    pub equipment_test: bool,
    /// Why IndexedDB refuses writes, while it does: the attempt is kept in
    /// memory (see `store`), and the page says so.
    pub storage_refused: Option<Rc<str>>,
}

/// A signed-in attempt as found in IndexedDB at start-up.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedIn {
    pub login: Rc<LoginResponse>,
    pub attempt: Rc<AttemptState>,
    pub exam: Option<Rc<Exam>>,
    /// `exam` is the skeleton (the questions' key not yet here).
    pub sealed: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    SetLang(Lang),
    /// Start-up read of IndexedDB finished (with a session or not).
    Restored(Option<SignedIn>),
    LoggedIn(Rc<LoginResponse>, Rc<AttemptState>),
    /// A new event of the attempt is stored: the attempt moves on.
    Committed(Rc<AttemptState>),
    /// The exam started: the attempt with its `start` event, and the exam
    /// (its skeleton when `true`: the questions' key comes at the opening).
    Started(Rc<AttemptState>, Rc<Exam>, bool),
    /// The questions' key arrived: the exam itself replaces its skeleton.
    Unsealed(Rc<Exam>),
    OpenReview,
    CloseReview,
    OpenEquipmentTest,
    BackToLogin,
    /// IndexedDB refuses writes (why), or takes them again (`None`).
    Storage(Option<Rc<str>>),
}

impl Model {
    pub fn screen(&self) -> Screen {
        if !self.restored {
            return Screen::Loading;
        }
        match (&self.login, &self.attempt) {
            (Some(_), Some(attempt)) => match attempt.phase {
                Phase::Registered => Screen::SystemCheck,
                Phase::Checked => Screen::Consent,
                Phase::Consented | Phase::Waiting => Screen::WaitingRoom,
                // The identification steps, in order; once all are done the
                // questions open (the room scan screen stays until then).
                Phase::Identifying => {
                    let s = attempt;
                    if self.sealed && s.identification_missing().is_empty() {
                        // Done, and the questions' key not here yet.
                        Screen::Opening
                    } else if s.id_document_sha256.is_none() || s.face_sha256.is_none() {
                        Screen::Identity
                    } else if s.ear_left_sha256.is_none() || s.ear_right_sha256.is_none() {
                        Screen::HeadTurn
                    } else {
                        Screen::RoomScan
                    }
                }
                Phase::InProgress { .. } => match (&self.exam, self.reviewing) {
                    (None, _) => Screen::Unavailable,
                    (Some(_), _) if self.sealed => Screen::Opening,
                    (Some(_), false) => Screen::Exam,
                    (Some(_), true) => Screen::Review,
                },
                Phase::Submitted { .. } => Screen::Finished,
            },
            _ if self.equipment_test => Screen::SystemCheck,
            _ => Screen::Login,
        }
    }

    pub fn apply(&self, action: Action) -> Model {
        let mut next = self.clone();
        match action {
            Action::SetLang(lang) => next.lang = lang,
            Action::Restored(session) => {
                next.restored = true;
                if let Some(s) = session {
                    next.login = Some(s.login);
                    next.attempt = Some(s.attempt);
                    next.exam = s.exam;
                    next.sealed = s.sealed;
                }
            }
            Action::LoggedIn(login, attempt) => {
                next.login = Some(login);
                next.attempt = Some(attempt);
                next.equipment_test = false;
            }
            Action::Committed(attempt) => {
                // The store sends its steps in order; one finishing after a
                // sign-out changes nothing.
                if next.attempt.is_some() {
                    next.attempt = Some(attempt);
                }
            }
            Action::Started(attempt, exam, sealed) => {
                if next.attempt.is_some() {
                    next.attempt = Some(attempt);
                    next.exam = Some(exam);
                    next.sealed = sealed;
                }
            }
            Action::Unsealed(exam) => {
                if next.attempt.is_some() {
                    next.exam = Some(exam);
                    next.sealed = false;
                }
            }
            Action::OpenReview => next.reviewing = true,
            Action::CloseReview => next.reviewing = false,
            Action::OpenEquipmentTest => next.equipment_test = true,
            Action::Storage(refused) => next.storage_refused = refused,
            Action::BackToLogin => {
                let lang = next.lang;
                next = Model {
                    lang,
                    restored: true,
                    ..Model::default()
                };
            }
        }
        next
    }
}

impl Reducible for Model {
    type Action = Action;
    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        Rc::new(self.apply(action))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_api::{AttemptView, ExamSummary, SessionView};
    use vigil_exam::Attempt;
    use vigil_exam::{CheckResult, CheckStatus};

    fn login() -> Rc<LoginResponse> {
        Rc::new(LoginResponse {
            token: "t".into(),
            attempt: AttemptView {
                id: "a".into(),
                candidate: "C001".into(),
                state: "registered".into(),
                started_at_ms: None,
                session: SessionView {
                    id: "s".into(),
                    starts_at_ms: 0,
                    closes_at_ms: 1,
                    time_zone: "Europe/Paris".into(),
                },
                exam: ExamSummary {
                    id: "e".into(),
                    title: "E".into(),
                    language: "fr".into(),
                    duration_ms: 1,
                    section_count: 1,
                    question_count: 1,
                    briefings: Default::default(),
                    identification_max_ms: 600_000,
                    precheck_deadline_h: 72,
                },
                chain_genesis: vigil_exam::GENESIS_HASH.into(),
                copy_key: None,
                extra_time: false,
            },
        })
    }

    fn passed_checks() -> Vec<CheckResult> {
        let result = CheckResult {
            detail: "ok".into(),
            item: "camera".into(),
            status: CheckStatus::Pass,
        };
        vec![result]
    }

    fn ready() -> Model {
        Model::default().apply(Action::Restored(None))
    }

    #[test]
    fn loads_then_starts_on_login_in_french() {
        assert_eq!(Model::default().screen(), Screen::Loading);
        let m = ready();
        assert_eq!(m.screen(), Screen::Login);
        assert_eq!(m.lang, Lang::Fr);
    }

    #[test]
    fn the_attempt_phase_picks_the_screen() {
        let mut attempt = Attempt::new();
        let m = ready().apply(Action::LoggedIn(login(), Rc::new(attempt.state().clone())));
        assert_eq!(m.screen(), Screen::SystemCheck);
        attempt.record_checks(passed_checks(), 10).unwrap();
        let m = m.apply(Action::Committed(Rc::new(attempt.state().clone())));
        assert_eq!(m.screen(), Screen::Consent);
        attempt.consent("v1", &"0".repeat(64), 20).unwrap();
        let m = m.apply(Action::Committed(Rc::new(attempt.state().clone())));
        // Consented: the waiting room, until the click at the hour.
        assert_eq!(m.screen(), Screen::WaitingRoom);
        attempt.enter_waiting_room(60).unwrap();
        let m = m.apply(Action::Committed(Rc::new(attempt.state().clone())));
        assert_eq!(m.screen(), Screen::WaitingRoom);

        let exam = Rc::new(Exam::from_toml(include_str!("../exams/demo-short.toml")).unwrap());
        let window = vigil_exam::StartWindow {
            opens_at_ms: 0,
            closes_at_ms: 1_000,
        };
        attempt.start(&exam, &window, false, 100).unwrap();
        let m = m.apply(Action::Started(
            Rc::new(attempt.state().clone()),
            Rc::new(exam.skeleton()),
            true,
        ));
        // After the start: the ID, the face, the head turn, the room scan.
        assert_eq!(m.screen(), Screen::Identity);
        assert_eq!(m.screen().name(), "identity");
        let sha = "1".repeat(64);
        attempt
            .capture_identity(vigil_exam::IdentityWhat::IdDocument, &sha, 110)
            .unwrap();
        let m = m.apply(Action::Committed(Rc::new(attempt.state().clone())));
        assert_eq!(m.screen(), Screen::Identity);
        attempt
            .capture_identity(vigil_exam::IdentityWhat::Face, &sha, 120)
            .unwrap();
        let m = m.apply(Action::Committed(Rc::new(attempt.state().clone())));
        assert_eq!(m.screen(), Screen::HeadTurn);
        assert_eq!(m.screen().name(), "identity");
        attempt
            .head_turn(vigil_exam::Side::Left, &sha, 40, 130)
            .unwrap();
        let m = m.apply(Action::Committed(Rc::new(attempt.state().clone())));
        assert_eq!(m.screen(), Screen::HeadTurn);
        attempt
            .head_turn(vigil_exam::Side::Right, &sha, -40, 140)
            .unwrap();
        let m = m.apply(Action::Committed(Rc::new(attempt.state().clone())));
        assert_eq!(m.screen(), Screen::RoomScan);
        attempt.room_scan(&sha, 20_000, 150).unwrap();
        let m = m.apply(Action::Committed(Rc::new(attempt.state().clone())));
        assert_eq!(
            m.screen(),
            Screen::Opening,
            "done, until the questions' key arrives"
        );
        attempt.open_questions(&exam, 160).unwrap();
        // Opened without the exam (its key lost): there is no exam to show.
        let lost = ready().apply(Action::LoggedIn(login(), Rc::new(attempt.state().clone())));
        assert_eq!(lost.screen(), Screen::Unavailable);
        let m = m.apply(Action::Committed(Rc::new(attempt.state().clone())));
        // Open on the engine's clock, still sealed here: the opening screen
        // until the questions' key arrives.
        assert_eq!(m.screen(), Screen::Opening);
        assert_eq!(m.screen().name(), "opening");
        let m = m.apply(Action::Unsealed(exam.clone()));
        assert!(!m.sealed);
        assert_eq!(m.screen(), Screen::Exam);
        assert_eq!(m.apply(Action::OpenReview).screen(), Screen::Review);
        let back = m.apply(Action::OpenReview).apply(Action::CloseReview);
        assert_eq!(back.screen(), Screen::Exam);
        attempt.submit(&exam, 200).unwrap();
        let m = m.apply(Action::Committed(Rc::new(attempt.state().clone())));
        assert_eq!(m.screen(), Screen::Finished);
        let out = m.apply(Action::BackToLogin);
        assert_eq!(out.screen(), Screen::Login);
        assert!(out.exam.is_none() && !out.reviewing);
    }

    #[test]
    fn a_restored_session_resumes_where_it_was() {
        let mut attempt = Attempt::new();
        attempt.record_checks(passed_checks(), 10).unwrap();
        let signed_in = SignedIn {
            login: login(),
            attempt: Rc::new(attempt.state().clone()),
            exam: None,
            sealed: false,
        };
        let m = Model::default().apply(Action::Restored(Some(signed_in)));
        assert_eq!(m.screen(), Screen::Consent);
    }

    #[test]
    fn equipment_test_without_login() {
        let m = ready().apply(Action::OpenEquipmentTest);
        assert_eq!(m.screen(), Screen::SystemCheck);
        assert!(m.login.is_none());
        // A commit without an attempt (impossible from the UI) changes nothing.
        assert_eq!(
            m.apply(Action::Committed(Rc::new(AttemptState::default())))
                .attempt,
            None
        );
        assert_eq!(m.apply(Action::SetLang(Lang::En)).lang, Lang::En);
    }
}
