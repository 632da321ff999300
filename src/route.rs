//! The screen the model derives, with its props and callbacks: which
//! engine command each of the candidate's actions runs. Screens only
//! report what happened; they never switch screens themselves, and only
//! the screen a problem belongs to shows it ([`Shown::on`]).

use std::rc::Rc;

use vigil_api::LoginResponse;
use vigil_exam::{Answer, Exam, IdentityWhat, Side};
use yew::prelude::*;

use crate::browser::{clock, dom};
use crate::components::convocation::session_time;
use crate::components::package_status::PackageState;
use crate::components::sync_status::SyncStatus;
use crate::copy::CopyState;
use crate::hooks::use_start::Start;
use crate::hooks::use_steps::Steps;
use crate::hooks::use_sync::SyncState;
use crate::i18n::Lang;
use crate::problem::Shown;
use crate::screens::consent::ConsentScreen;
use crate::screens::exam::ExamScreen;
use crate::screens::finished::FinishedScreen;
use crate::screens::head_turn::HeadTurnScreen;
use crate::screens::identity::IdentityScreen;
use crate::screens::login::LoginScreen;
use crate::screens::review::ReviewScreen;
use crate::screens::room_scan::RoomScanScreen;
use crate::screens::system_check::SystemCheckScreen;
use crate::screens::unavailable::UnavailableScreen;
use crate::screens::waiting_room::WaitingRoomScreen;
use crate::state::{Action, Screen};

/// Everything a screen may need, gathered by the app root.
pub struct Route {
    pub lang: Lang,
    pub screen: Screen,
    pub steps: Steps,
    /// The trusted time (device clock corrected by the server offset).
    pub now: i64,
    /// The exam as the candidate reads it (its texts in `lang`).
    pub shown_exam: Option<Rc<Exam>>,
    pub package: PackageState,
    pub sync: SyncState,
    pub start: Start,
    pub on_logged_in: Callback<LoginResponse>,
    pub on_sign_out: Callback<()>,
    pub copy: CopyState,
    pub on_save_copy: Callback<()>,
    /// The opening screen's printed start code (`use_identification`).
    pub on_opening_code: Callback<String>,
}

impl Route {
    fn dispatch<T: 'static>(&self, f: fn(T) -> Action) -> Callback<T> {
        let model = self.steps.model.clone();
        Callback::from(move |x| model.dispatch(f(x)))
    }

    /// Opens or closes the review once IndexedDB remembers it
    /// ([`dom::show_review`]), then runs `after` (a question to open).
    fn review<T: 'static>(&self, open: bool, after: Option<Callback<T>>) -> Callback<T> {
        let model = self.steps.model.clone();
        Callback::from(move |x: T| {
            let (model, after) = (model.clone(), after.clone());
            dom::show_review(open, move || {
                model.dispatch(if open {
                    Action::OpenReview
                } else {
                    Action::CloseReview
                });
                if let Some(after) = after {
                    after.emit(x);
                }
            });
        })
    }

    /// The problem of this screen, as the candidate reads it.
    fn problem(&self) -> Option<AttrValue> {
        Shown::on(self.steps.problem(), self.screen, self.lang).map(AttrValue::from)
    }

    pub fn view(&self) -> Html {
        let (lang, steps) = (self.lang, &self.steps);
        let model = &steps.model;
        let state = model.attempt.clone();
        let candidate = model
            .login
            .as_ref()
            .map(|l| AttrValue::from(l.attempt.candidate.clone()));
        let error = self.problem();
        match self.screen {
            Screen::Loading => html! {
                <p class="loading" data-screen="loading" aria-live="polite">{ lang.texts().loading }</p>
            },
            Screen::Login => html! {
                <LoginScreen {lang} on_logged_in={self.on_logged_in.clone()} {error}
                    on_test_equipment={self.dispatch(|()| Action::OpenEquipmentTest)} />
            },
            Screen::SystemCheck => html! {
                <SystemCheckScreen {lang} candidate={candidate.clone()}
                    on_back={if candidate.is_some() { self.on_sign_out.clone() }
                             else { self.dispatch(|()| Action::BackToLogin) }}
                    on_continue={steps.command(|a, results, now| a.record_checks(results, now))}
                    package={candidate.is_some().then_some(self.package)} {error} />
            },
            Screen::Consent => html! {
                <ConsentScreen {lang}
                    exam_id={model.login.as_ref().map(|l| AttrValue::from(l.attempt.exam.id.clone())).unwrap_or_default()}
                    briefing={model.login.as_ref().and_then(|l| l.attempt.exam.briefing(lang.code()).cloned())}
                    on_accept={steps.command(|a, (version, sha): (String, String), now| {
                        a.consent(&version, &sha, now)
                    })}
                    {error} />
            },
            Screen::Identity => {
                let what = match state.as_ref().and_then(|s| s.id_document_sha256.as_ref()) {
                    None => IdentityWhat::IdDocument,
                    Some(_) => IdentityWhat::Face,
                };
                let on_keep = steps.media_command(|a, what: IdentityWhat, sha, now| {
                    a.capture_identity(what, sha, now)
                });
                html! { <IdentityScreen {lang} {what} {on_keep} {error} /> }
            }
            Screen::HeadTurn => {
                let left_done = state.as_ref().is_some_and(|s| s.ear_left_sha256.is_some());
                let right_done = state.as_ref().is_some_and(|s| s.ear_right_sha256.is_some());
                let on_turn = steps.media_command(|a, (side, yaw): (Side, i32), sha, now| {
                    a.head_turn(side, sha, yaw, now)
                });
                let on_turn = on_turn.reform(|(side, yaw, bytes)| ((side, yaw), bytes));
                html! { <HeadTurnScreen {lang} {left_done} {right_done} {on_turn} {error} /> }
            }
            Screen::RoomScan => {
                let on_keep = steps.media_command(|a, duration_ms: u64, sha, now| {
                    a.room_scan(sha, duration_ms, now)
                });
                let on_keep = on_keep.reform(|(bytes, duration): (Vec<u8>, u64)| (duration, bytes));
                html! { <RoomScanScreen {lang} {on_keep} {error} /> }
            }
            Screen::WaitingRoom => {
                let Some(login) = model.login.clone() else {
                    return html! {};
                };
                let session = &login.attempt.session;
                let start = &self.start;
                html! {
                    <WaitingRoomScreen {lang} exam_title={login.attempt.exam.title.clone()}
                        now_ms={self.now} opens_at_ms={session.starts_at_ms}
                        closes_at_ms={session.closes_at_ms}
                        starts_at_text={session_time(session.starts_at_ms, lang, &session.time_zone)}
                        starting={start.starting} on_start={start.begin.reform(|()| None)}
                        offer_code={start.offer_code} on_code={start.begin.reform(Some)}
                        {error}
                        package={self.package}
                        identification_max_ms={login.attempt.exam.identification_max_ms}
                        time_zone={session.time_zone.clone()}
                        duration_ms={login.attempt.exam.duration_ms}
                        precheck_deadline_h={login.attempt.exam.precheck_deadline_h} />
                }
            }
            Screen::Exam | Screen::Review => self.exam(error),
            Screen::Finished => {
                let Some(state) = state else {
                    return html! {};
                };
                // The exam's own sync deadline, from the actual start.
                let sync_by_ms =
                    self.shown_exam
                        .as_ref()
                        .zip(state.started_at_ms)
                        .map(|(exam, start)| {
                            vigil_exam::deadlines_opened(
                                exam,
                                start,
                                state.extra_time,
                                state.questions_opened_at_ms,
                            )
                            .sync_by_ms
                        });
                let format_time = Callback::from(move |ms: i64| clock::local_text(ms, lang.code()));
                html! {
                    <FinishedScreen {lang} exam={self.shown_exam.clone()} attempt={state}
                        pending={self.sync.pending} offline={self.sync.offline} {format_time}
                        {sync_by_ms} now_ms={self.now} on_sign_out={self.on_sign_out.clone()}
                        copy={self.copy.clone()} on_save_copy={self.on_save_copy.clone()} />
                }
            }
            Screen::Opening => html! {
                <crate::screens::opening::OpeningScreen {lang}
                    on_code={self.on_opening_code.clone()} {error} />
            },
            Screen::Unavailable => html! {
                <UnavailableScreen {lang} on_sign_out={self.on_sign_out.clone()} />
            },
        }
    }

    /// The exam and its review: every action an exam command, applied after
    /// the time boundaries that are due.
    fn exam(&self, error: Option<AttrValue>) -> Html {
        let (lang, steps) = (self.lang, &self.steps);
        let (Some(exam), Some(engine_exam), Some(attempt)) = (
            self.shown_exam.clone(),
            steps.model.exam.clone(),
            steps.model.attempt.clone(),
        ) else {
            return html! {};
        };
        let remaining_ms = attempt.remaining_ms(self.now).unwrap_or(0);
        let on_open = steps.exam_command(engine_exam.clone(), |a, exam, qid: String, now| {
            a.navigate(exam, &qid, now)
        });
        let saving = steps.saving();
        if self.screen == Screen::Review {
            let on_open = self.review(false, Some(on_open));
            let on_submit = steps.exam_command(engine_exam, |a, exam, (), now| a.submit(exam, now));
            return html! {
                <ReviewScreen {lang} {exam} {attempt} {remaining_ms} {on_open}
                    on_back={self.review(false, None)} {on_submit} {saving} {error} />
            };
        }
        let section_remaining_ms = attempt.section_remaining_ms(self.now);
        let e = engine_exam;
        html! {
            <ExamScreen {lang} {exam} {attempt} {remaining_ms} {section_remaining_ms} {saving} {on_open}
                in_memory={steps.model.storage_refused.is_some()}
                on_answer={steps.exam_command(e.clone(), |a, exam, (qid, answer): (String, Answer), now| {
                    a.answer(exam, &qid, answer, now)
                })}
                on_clear={steps.exam_command(e.clone(), |a, exam, qid: String, now| a.clear_answer(exam, &qid, now))}
                on_flag={steps.exam_command(e.clone(), |a, exam, (qid, flag): (String, bool), now| {
                    a.flag(exam, &qid, flag, now)
                })}
                on_section={steps.exam_command(e, |a, exam, to: usize, now| a.change_section(exam, to, now))}
                on_review={self.review(true, None)} {error}>
                <SyncStatus {lang} pending={self.sync.pending} offline={self.sync.offline} />
            </ExamScreen>
        }
    }
}
