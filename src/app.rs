//! The root component: holds the [`Model`](crate::state::Model) reducer and
//! shows the screen the model derives. Screens report what happened through
//! callbacks; the app turns them into engine commands, commits the events
//! (see [`crate::session`]) and dispatches the result. Screens never switch
//! screens themselves.

use std::rc::Rc;

use vigil_api::{codes, LoginResponse};
use vigil_exam::{
    Answer, Attempt, AttemptError, Event, Exam, IdentityWhat, IncidentChange, Phase, Side,
    Signal as ExamSignal,
};
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::browser::api::ApiFailure;
use crate::browser::lockdown::{self, Signal};
use crate::browser::{camera, clock, dom, kiosk};
use crate::components::identification_timer::IdentificationTimer;
use crate::components::language_switch::LanguageSwitch;
use crate::components::package_status::PackageState;
use crate::components::sync_status::SyncStatus;
use crate::i18n::{fill, Lang};
use crate::live_checks::{self, FaceChecks, Hooks};
use crate::proctoring::Watch;
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
use crate::session;
use crate::state::{Action, Model, Screen};
use crate::sync::{self, Pending};

/// A callback that turns what a screen reports into an action on the model.
fn dispatcher<T: 'static>(model: &UseReducerHandle<Model>, f: fn(T) -> Action) -> Callback<T> {
    let model = model.clone();
    Callback::from(move |x| model.dispatch(f(x)))
}

/// A callback that runs an engine command on the current attempt, stores
/// its event and moves the model on; a failure is shown in `error`.
fn committer<T: 'static>(
    model: &UseReducerHandle<Model>,
    error: &UseStateHandle<Option<String>>,
    command: fn(&mut Attempt, T, i64) -> Result<Event, AttemptError>,
) -> Callback<T> {
    let (model, error) = (model.clone(), error.clone());
    Callback::from(move |input: T| {
        let (Some(login), Some(attempt)) = (model.login.clone(), model.attempt.clone()) else {
            return;
        };
        settle(&model, &error, async move {
            session::commit(&login.attempt.id, &attempt, |a, now| command(a, input, now)).await
        });
    })
}

/// Waits for a commit, then moves the model on or shows why it failed.
fn settle(
    model: &UseReducerHandle<Model>,
    error: &UseStateHandle<Option<String>>,
    commit: impl std::future::Future<Output = Result<Rc<Attempt>, session::CommitError>> + 'static,
) {
    let (model, error) = (model.clone(), error.clone());
    spawn_local(async move {
        match commit.await {
            Ok(next) => {
                error.set(None);
                model.dispatch(Action::Committed(next));
            }
            Err(e) => error.set(Some(e.to_string())),
        }
    });
}

/// A callback for an exam command: due time boundaries are applied first
/// (`tick`), then the command; all its events are stored in one transaction.
fn exam_committer<T: 'static>(
    model: &UseReducerHandle<Model>,
    error: &UseStateHandle<Option<String>>,
    saving: &UseStateHandle<bool>,
    command: fn(&mut Attempt, &Exam, T, i64) -> Result<Event, AttemptError>,
) -> Callback<T> {
    let (model, error, saving) = (model.clone(), error.clone(), saving.clone());
    Callback::from(move |input: T| {
        let (Some(login), Some(attempt), Some(exam)) = (
            model.login.clone(),
            model.attempt.clone(),
            model.exam.clone(),
        ) else {
            return;
        };
        saving.set(true);
        let saving = saving.clone();
        let clicked = clock::mono_ms();
        settle(&model, &error, async move {
            let result = session::commit_all(&login.attempt.id, &attempt, |a, now| {
                let mut events = a.tick(&exam, now);
                events.push(command(a, &exam, input, now)?);
                Ok(events)
            })
            .await;
            // From the candidate's action to the event stored in IndexedDB.
            clock::perf_measure_since("vigil:commit", clicked);
            saving.set(false);
            result
        });
    })
}

#[component]
pub fn App() -> Html {
    let model = use_reducer(Model::default);
    let error = use_state(|| None::<String>);
    let saving = use_state(|| false);
    let starting = use_state(|| false);
    let offer_code = use_state(|| false);
    let pending = use_state(Pending::default);
    let offline = use_state(|| false);
    // Redrawn every second while time matters (waiting room, exam).
    let now = use_state(clock::wall_ms);
    // The latest model for the long-lived sync loop.
    let latest = use_mut_ref(|| None::<(Rc<LoginResponse>, Rc<Attempt>)>);
    // The proctoring rules over what is observed (see crate::proctoring).
    let watch = use_mut_ref(|| None::<Watch>);
    let lang = model.lang;
    let t = lang.texts();
    let screen_kind = model.screen();
    use_effect_with(lang, |lang| dom::set_document_lang(lang.code()));
    use_effect_with(screen_kind == Screen::Loading, |loading| {
        if !*loading {
            // Once: the first real screen is on the page (app benchmark).
            clock::perf_mark("vigil:first-screen");
        }
    });
    // The exam as the candidate reads it (its `i18n` texts in the chosen
    // language); the engine keeps working on the original.
    let shown_exam = use_memo((model.exam.clone(), lang), |(exam, lang)| {
        exam.as_ref().map(|e| Rc::new(e.localized(lang.code())))
    });
    *latest.borrow_mut() = model.login.clone().zip(model.attempt.clone());

    // Start-up: come back to where this machine was.
    {
        let model = model.clone();
        let error = error.clone();
        use_effect_with((), move |_| {
            let reviewing = dom::review_was_open();
            spawn_local(async move {
                match session::restore().await {
                    Ok(found) => {
                        let login = found.as_ref().map(|s| s.login.clone());
                        if found.is_none() {
                            // Nothing on this machine yet: the launcher may
                            // wipe it if the browser closes now.
                            kiosk::post_sync_status(kiosk::SyncStatus::default()).await;
                        }
                        model.dispatch(Action::Restored(found));
                        if reviewing {
                            // Shown only if the exam is still on.
                            model.dispatch(Action::OpenReview);
                        }
                        let _ = login;
                    }
                    Err(e) => {
                        error.set(Some(e));
                        model.dispatch(Action::Restored(None));
                    }
                }
            });
        });
    }

    // A reload comes back to the review screen if it was open.
    use_effect_with(screen_kind, |screen| match screen {
        Screen::Review => dom::remember_review(true),
        Screen::Exam | Screen::Finished => dom::remember_review(false),
        _ => {}
    });

    // The clock: one tick a second while a countdown or the exam is shown;
    // in the exam, time boundaries (section end, deadline) are committed.
    {
        let timed = matches!(
            screen_kind,
            Screen::WaitingRoom
                | Screen::Identity
                | Screen::HeadTurn
                | Screen::RoomScan
                | Screen::Exam
                | Screen::Review
                | Screen::Finished
        );
        let now = now.clone();
        use_effect_with(timed, move |timed| {
            let alive = Rc::new(std::cell::Cell::new(*timed));
            let running = alive.clone();
            spawn_local(async move {
                while running.get() {
                    now.set(clock::wall_ms());
                    camera::pause_ms(1_000).await;
                }
            });
            move || alive.set(false)
        });
    }
    {
        // Commits due boundaries when the second changes, and ticks the
        // proctoring rules.
        let (model, error, watch) = (model.clone(), error.clone(), watch.clone());
        let second = *now / 1_000;
        use_effect_with(second, move |_| {
            if let (Some(login), Some(attempt), Some(exam)) = (
                model.login.clone(),
                model.attempt.clone(),
                model.exam.clone(),
            ) {
                let due = attempt
                    .next_boundary_ms()
                    .is_some_and(|b| b <= session::now_ms(&attempt));
                if due {
                    settle(&model, &error, async move {
                        session::commit_all(&login.attempt.id, &attempt, |a, now| {
                            Ok(a.tick(&exam, now))
                        })
                        .await
                    });
                } else if let Some(w) = watch.borrow_mut().as_mut() {
                    // Time passes for the rules too (an exit held 1 s opens
                    // its incident).
                    let changes = w.observe(session::now_ms(&attempt), ExamSignal::Tick);
                    record_incidents(&model, &error, &login, &attempt, changes);
                }
            }
        });
    }

    // Sync in the background while signed in, with backoff.
    {
        let signed_in = model.login.as_ref().map(|l| l.attempt.id.clone());
        let (latest, pending, offline) = (latest.clone(), pending.clone(), offline.clone());
        let model = model.clone();
        use_effect_with(signed_in, move |signed_in| {
            let alive = Rc::new(std::cell::Cell::new(signed_in.is_some()));
            let running = alive.clone();
            spawn_local(async move {
                let mut failures = 0;
                while running.get() {
                    // Inside the kiosk launcher: its latest machine report
                    // joins the log when it changed.
                    let current = latest.borrow().clone();
                    if let Some((login, attempt)) = current {
                        if let Some(next) = record_kiosk_report(&login, &attempt).await {
                            model.dispatch(Action::Committed(next));
                        }
                    }
                    let current = latest.borrow().clone();
                    let Some((login, attempt)) = current else {
                        break;
                    };
                    pending.set(sync::status(&login, &attempt).await);
                    let wait = match sync::push(&login, &attempt).await {
                        Ok(_) => {
                            failures = 0;
                            offline.set(false);
                            sync::IDLE_MS
                        }
                        Err(_) => {
                            failures += 1;
                            offline.set(true);
                            sync::retry_delay_ms(failures, clock::random())
                        }
                    };
                    // Counted on the latest log: events may have been added
                    // while this round was sending an older one.
                    let now = latest.borrow().clone();
                    let (login, attempt) = now.unwrap_or((login, attempt));
                    let left = sync::status(&login, &attempt).await;
                    pending.set(left);
                    // One snapshot: the launcher reads any value going back
                    // as a forged status and keeps the profile.
                    let s = attempt.state();
                    kiosk::post_sync_status(kiosk::SyncStatus {
                        started: s.started_at_ms.is_some(),
                        finished: s.submitted_at_ms.is_some(),
                        logged_seq: s.last_seq,
                        acked_seq: s.last_seq.saturating_sub(left.events),
                        pending_media: left.media,
                    })
                    .await;
                    camera::pause_ms(wait).await;
                }
            });
            move || alive.set(false)
        });
    }

    // The encrypted exam: downloaded as soon as a candidate is signed in,
    // retried every 15 s until it is stored.
    let package = use_state(PackageState::default);
    {
        let signed_in = model.login.clone();
        let package = package.clone();
        use_effect_with(
            signed_in.as_ref().map(|l| l.attempt.id.clone()),
            move |_| {
                let alive = Rc::new(std::cell::Cell::new(signed_in.is_some()));
                let running = alive.clone();
                if let Some(login) = signed_in {
                    spawn_local(async move {
                        while running.get() {
                            package.set(PackageState::Downloading);
                            match session::fetch_package(&login).await {
                                Ok(()) => {
                                    package.set(PackageState::Stored);
                                    break;
                                }
                                Err(_) => package.set(PackageState::Failed),
                            }
                            camera::pause_ms(PACKAGE_RETRY_MS).await;
                        }
                    });
                } else {
                    package.set(PackageState::Unknown);
                }
                move || alive.set(false)
            },
        );
    }

    // What is left to send, recounted whenever the log grows: the sync
    // loop may be waiting out a backoff, and the candidate must never read
    // "everything sent" while a new event waits.
    {
        let last_seq = model.attempt.as_ref().map(|a| a.state().last_seq);
        let (latest, pending) = (latest.clone(), pending.clone());
        use_effect_with(last_seq, move |_| {
            let current = latest.borrow().clone();
            if let Some((login, attempt)) = current {
                spawn_local(async move {
                    pending.set(sync::status(&login, &attempt).await);
                });
            }
        });
    }

    // Lockdown while the exam is on: signals become events, and leaving
    // fullscreen or the window covers the questions.
    // (focused, fullscreen, extended desktop)
    let attention = use_state(|| (true, true, false));
    // The face checks' indicator (see crate::live_checks).
    let face_checks = use_state(FaceChecks::default);
    {
        let in_exam = matches!(screen_kind, Screen::Exam | Screen::Review);
        let (model, attention, error) = (model.clone(), attention.clone(), error.clone());
        let (latest, watch) = (latest.clone(), watch.clone());
        let face_checks = face_checks.clone();
        use_effect_with(in_exam, move |in_exam| {
            let exam = model.exam.clone();
            let on_leave = (model.clone(), error.clone(), latest.clone(), watch.clone());
            // The live checks (camera frames, voice) feed the same rules.
            let live = Rc::new(std::cell::Cell::new(*in_exam));
            let hooks = in_exam.then(|| live_hooks(&model, &error, &latest, &watch, &face_checks));
            let interval = exam
                .as_ref()
                .map_or(1_000, |e| e.proctoring.sample_interval_ms)
                .min(60_000) as u32;
            let engaged = in_exam.then(|| {
                // The rules pick up where the log is (after a reload too).
                let current = latest.borrow().clone();
                if let (Some((login, attempt)), Some(exam)) = (current, exam.as_ref()) {
                    let (w, fix) = Watch::resume(exam, &attempt, session::now_ms(&attempt));
                    *watch.borrow_mut() = Some(w);
                    record_incidents(&model, &error, &login, &attempt, fix);
                }
                let watch = watch.clone();
                // Extended as last recorded: the first reading is recorded
                // only if it differs (a reload does not repeat it).
                let recorded = latest
                    .borrow()
                    .as_ref()
                    .is_some_and(|(_, a)| a.state().extended_screen);
                let now = (lockdown::has_focus(), lockdown::is_fullscreen(), recorded);
                attention.set(now);
                let state = Rc::new(std::cell::Cell::new(now));
                lockdown::engage(move |signal| {
                    let (mut focused, mut full, mut extended) = state.get();
                    match &signal {
                        Signal::Focus(f) if *f == focused => return,
                        Signal::Fullscreen(f) if *f == full => return,
                        Signal::Screens(e) if *e == extended => return,
                        Signal::Focus(f) => focused = *f,
                        Signal::Fullscreen(f) => full = *f,
                        Signal::Screens(e) => extended = *e,
                        Signal::Blocked(_) => {}
                    }
                    state.set((focused, full, extended));
                    attention.set((focused, full, extended));
                    let current = latest.borrow().clone();
                    let Some((login, attempt)) = current else {
                        return;
                    };
                    // The observation goes to the rules at once; its event
                    // and any incident it settles are stored together.
                    let at = session::now_ms(&attempt);
                    let observed = match &signal {
                        Signal::Focus(f) => Some(ExamSignal::Focus { focused: *f }),
                        Signal::Fullscreen(f) => Some(ExamSignal::Fullscreen { active: *f }),
                        Signal::Screens(e) => Some(ExamSignal::Screens { extended: *e }),
                        Signal::Blocked(_) => None,
                    };
                    let changes = match (observed, watch.borrow_mut().as_mut()) {
                        (Some(o), Some(w)) => w.observe(at, o),
                        _ => Vec::new(),
                    };
                    settle(&model, &error, async move {
                        session::commit_all(&login.attempt.id, &attempt, move |a, now| {
                            let mut events = vec![match signal {
                                Signal::Focus(f) => a.record_focus(f, now)?,
                                Signal::Fullscreen(f) => a.record_fullscreen(f, now)?,
                                Signal::Screens(e) => a.record_screens(e, now)?,
                                Signal::Blocked(action) => a.record_blocked(&action, now)?,
                            }];
                            for c in &changes {
                                events.push(a.record_incident(c, now)?);
                            }
                            Ok(events)
                        })
                        .await
                    });
                })
            });
            if let Some(hooks) = hooks {
                spawn_local(live_checks::run_camera(
                    interval,
                    live.clone(),
                    hooks.clone(),
                ));
                spawn_local(live_checks::run_voice(live.clone(), hooks));
            }
            move || {
                drop(engaged);
                live.set(false);
                // Leaving the exam (submitted): open incidents close now.
                let (model, error, latest, watch) = on_leave;
                let finished = watch.borrow_mut().take();
                let current = latest.borrow().clone();
                if let (Some(mut w), Some((login, attempt))) = (finished, current) {
                    let changes = w.finish(session::now_ms(&attempt));
                    record_incidents(&model, &error, &login, &attempt, changes);
                }
            }
        });
    }

    // Both identity photos kept: the worker compares them for the reviewer
    // (in the background; again at the next start if it could not).
    {
        let due = model
            .attempt
            .as_ref()
            .and_then(|a| crate::face_match::due(a.state()));
        let (model, error) = (model.clone(), error.clone());
        use_effect_with(due, move |due| {
            if let (Some((id, face)), Some(login), Some(attempt)) =
                (due.clone(), model.login.clone(), model.attempt.clone())
            {
                spawn_local(async move {
                    if let Ok(body) = crate::face_match::measure(&id, &face).await {
                        settle(&model, &error, async move {
                            session::commit(&login.attempt.id, &attempt, move |a, now| {
                                a.record_face_match(body, now)
                            })
                            .await
                        });
                    }
                });
            }
        });
    }

    // Every identification step done: the questions open and the timer
    // starts (the same after a reload that came back between the two).
    {
        let complete = model.attempt.as_ref().is_some_and(|a| {
            a.state().phase == Phase::Identifying && a.state().identification_missing().is_empty()
        });
        let (model, error) = (model.clone(), error.clone());
        use_effect_with(complete, move |complete| {
            if let (true, Some(login), Some(attempt), Some(exam)) = (
                *complete,
                model.login.clone(),
                model.attempt.clone(),
                model.exam.clone(),
            ) {
                settle(&model, &error, async move {
                    session::commit_all(&login.attempt.id, &attempt, |a, now| {
                        // The bound may have passed meanwhile: then `tick`
                        // opened them already.
                        let mut events = a.tick(&exam, now);
                        if a.state().phase == Phase::Identifying {
                            events.push(a.open_questions(&exam, now)?);
                        }
                        Ok(events)
                    })
                    .await
                });
            }
        });
    }
    // The questions are open (by the candidate or at the bound): the server
    // records the moment (again after a reload: it keeps the first).
    {
        let opened = model
            .attempt
            .as_ref()
            .and_then(|a| a.state().questions_opened_at_ms);
        let login = model.login.clone();
        use_effect_with(opened, move |opened| {
            if let (Some(_), Some(login)) = (opened, login) {
                spawn_local(async move {
                    // Offline: the server takes the log's account at sync.
                    let _ = crate::browser::api::questions(&login.token).await;
                });
            }
        });
    }

    // Entering the waiting room: measure the server clock once.
    {
        let needs_clock = screen_kind == Screen::WaitingRoom
            && model
                .attempt
                .as_ref()
                .is_some_and(|a| a.state().clock_offset_ms.is_none());
        let (model, error) = (model.clone(), error.clone());
        use_effect_with(needs_clock, move |needs| {
            if *needs {
                if let (Some(login), Some(attempt)) = (model.login.clone(), model.attempt.clone()) {
                    spawn_local(async move {
                        match session::sync_clock(&login.attempt.id, &attempt).await {
                            Ok(next) => model.dispatch(Action::Committed(next)),
                            // Offline: the device clock stands in until the next sync.
                            Err(e) => error.set(Some(e)),
                        }
                    });
                }
            }
        });
    }

    let on_logged_in = {
        let (model, error) = (model.clone(), error.clone());
        Callback::from(move |login: LoginResponse| {
            let (model, error) = (model.clone(), error.clone());
            spawn_local(async move {
                match session::sign_in(login).await {
                    Ok((login, attempt)) => {
                        // The exam travels now, while the network is good
                        // (the package loop below).
                        model.dispatch(Action::LoggedIn(login, attempt));
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let on_sign_out = {
        let model = model.clone();
        Callback::from(move |()| {
            let model = model.clone();
            spawn_local(async move {
                // Whatever the outcome, leave the screen: unsent events stay stored.
                let _ = session::sign_out(model.login.as_deref(), model.attempt.as_deref()).await;
                model.dispatch(Action::BackToLogin);
            });
        })
    };
    let (copy_state, on_save_copy) =
        crate::copy::use_save_copy(model.login.clone(), model.attempt.clone());
    let storage_error = error
        .as_ref()
        .map(|e| AttrValue::from(fill(t.storage_error, e)));
    let candidate = model
        .login
        .as_ref()
        .map(|l| AttrValue::from(l.attempt.candidate.clone()));
    let trusted_now = model
        .attempt
        .as_ref()
        .map(|a| session::now_ms(a))
        .unwrap_or(*now);
    let format_time = Callback::from(move |ms: i64| clock::local_text(ms, lang.code()));

    let screen = match screen_kind {
        Screen::Loading => html! {
            <p class="loading" data-screen="loading" aria-live="polite">{ t.loading }</p>
        },
        Screen::Login => html! {
            <LoginScreen {lang} {on_logged_in}
                on_test_equipment={dispatcher(&model, |()| Action::OpenEquipmentTest)} />
        },
        Screen::SystemCheck => html! {
            <SystemCheckScreen {lang} candidate={candidate.clone()}
                on_back={if candidate.is_some() { on_sign_out.clone() }
                         else { dispatcher(&model, |()| Action::BackToLogin) }}
                on_continue={committer(&model, &error, |a, results, now| a.record_checks(results, now))}
                package={candidate.is_some().then_some(*package)}
                error={storage_error.clone()} />
        },
        Screen::Consent => html! {
            <ConsentScreen {lang}
                exam_id={model.login.as_ref().map(|l| AttrValue::from(l.attempt.exam.id.clone())).unwrap_or_default()}
                briefing={model.login.as_ref().and_then(|l| l.attempt.exam.briefing(lang.code()).cloned())}
                on_accept={committer(&model, &error, |a, (version, sha): (String, String), now| {
                    a.consent(&version, &sha, now)
                })}
                error={storage_error.clone()} />
        },
        Screen::Identity => {
            let what = match model
                .attempt
                .as_ref()
                .and_then(|a| a.state().id_document_sha256.as_ref())
            {
                None => IdentityWhat::IdDocument,
                Some(_) => IdentityWhat::Face,
            };
            let on_keep = media_committer(&model, &error, |a, what: IdentityWhat, sha, now| {
                a.capture_identity(what, sha, now)
            });
            html! { <IdentityScreen {lang} {what} {on_keep} error={storage_error.clone()} /> }
        }
        Screen::HeadTurn => {
            let s = model.attempt.as_ref().map(|a| a.state());
            let left_done = s.is_some_and(|s| s.ear_left_sha256.is_some());
            let right_done = s.is_some_and(|s| s.ear_right_sha256.is_some());
            let on_turn =
                media_committer(&model, &error, |a, (side, yaw): (Side, i32), sha, now| {
                    a.head_turn(side, sha, yaw, now)
                });
            let on_turn = on_turn.reform(|(side, yaw, bytes)| ((side, yaw), bytes));
            html! {
                <HeadTurnScreen {lang} {left_done} {right_done} {on_turn}
                    error={storage_error.clone()} />
            }
        }
        Screen::RoomScan => {
            let on_keep = media_committer(&model, &error, |a, duration_ms: u64, sha, now| {
                a.room_scan(sha, duration_ms, now)
            });
            let on_keep = on_keep.reform(|(bytes, duration): (Vec<u8>, u64)| (duration, bytes));
            html! { <RoomScanScreen {lang} {on_keep} error={storage_error.clone()} /> }
        }
        Screen::WaitingRoom => {
            let login = model.login.clone().expect("the waiting room needs a login");
            let session_view = &login.attempt.session;
            // Online start, or (`Some(code)`) offline with the printed start code.
            let begin = {
                let (model, error, starting) = (model.clone(), error.clone(), starting.clone());
                let offer_code = offer_code.clone();
                Callback::from(move |code: Option<String>| {
                    let (Some(login), Some(attempt)) = (model.login.clone(), model.attempt.clone())
                    else {
                        return;
                    };
                    // In the click itself: browsers grant fullscreen only to a gesture.
                    dom::request_fullscreen();
                    starting.set(true);
                    let (model, error, starting) = (model.clone(), error.clone(), starting.clone());
                    let offer_code = offer_code.clone();
                    spawn_local(async move {
                        let result = match &code {
                            None => session::start(&login, &attempt).await,
                            Some(c) => session::start_with_code(&login, &attempt, c).await,
                        };
                        match result {
                            Ok((attempt, exam)) => {
                                error.set(None);
                                model.dispatch(Action::Started(attempt, exam));
                            }
                            Err(e) => {
                                if e == session::StartFailure::Api(ApiFailure::Unreachable) {
                                    offer_code.set(true);
                                }
                                error.set(Some(start_failure_text(lang, &e, code.is_some())));
                            }
                        }
                        starting.set(false);
                    });
                })
            };
            let on_start = begin.reform(|()| None);
            let on_code = begin.reform(Some);
            let start_error = error.as_ref().map(|e| AttrValue::from(e.clone()));
            html! {
                <WaitingRoomScreen {lang} exam_title={login.attempt.exam.title.clone()}
                    now_ms={trusted_now} opens_at_ms={session_view.starts_at_ms}
                    closes_at_ms={session_view.closes_at_ms}
                    starts_at_text={clock::local_text(session_view.starts_at_ms, lang.code())}
                    starting={*starting} {on_start} offer_code={*offer_code} {on_code}
                    error={start_error} package={*package}
                    identification_max_ms={login.attempt.exam.identification_max_ms} />
            }
        }
        Screen::Exam | Screen::Review => {
            let (Some(exam), Some(attempt)) = ((*shown_exam).clone(), model.attempt.clone()) else {
                return html! {};
            };
            let remaining_ms = attempt.remaining_ms(trusted_now).unwrap_or(0);
            let on_open = exam_committer(&model, &error, &saving, |a, exam, qid: String, now| {
                a.navigate(exam, &qid, now)
            });
            if screen_kind == Screen::Review {
                let on_open = {
                    let model = model.clone();
                    let on_open = on_open.clone();
                    Callback::from(move |qid: String| {
                        model.dispatch(Action::CloseReview);
                        on_open.emit(qid);
                    })
                };
                html! {
                    <ReviewScreen {lang} {exam} {attempt} {remaining_ms} {on_open}
                        on_back={dispatcher(&model, |()| Action::CloseReview)}
                        on_submit={exam_committer(&model, &error, &saving, |a, exam, (), now| a.submit(exam, now))}
                        saving={*saving} error={storage_error.clone()} />
                }
            } else {
                let section_remaining_ms = attempt.section_remaining_ms(trusted_now);
                html! {
                    <ExamScreen {lang} {exam} {attempt} {remaining_ms} {section_remaining_ms}
                        saving={*saving} {on_open}
                        on_answer={exam_committer(&model, &error, &saving, |a, exam, (qid, answer): (String, Answer), now| {
                            a.answer(exam, &qid, answer, now)
                        })}
                        on_clear={exam_committer(&model, &error, &saving, |a, exam, qid: String, now| {
                            a.clear_answer(exam, &qid, now)
                        })}
                        on_flag={exam_committer(&model, &error, &saving, |a, exam, (qid, flag): (String, bool), now| {
                            a.flag(exam, &qid, flag, now)
                        })}
                        on_section={exam_committer(&model, &error, &saving, |a, exam, to: usize, now| {
                            a.change_section(exam, to, now)
                        })}
                        on_review={dispatcher(&model, |()| Action::OpenReview)}
                        error={storage_error.clone()}>
                        <SyncStatus {lang} pending={*pending} offline={*offline} />
                    </ExamScreen>
                }
            }
        }
        Screen::Finished => {
            let Some(attempt) = model.attempt.clone() else {
                return html! {};
            };
            // The exam's own sync deadline, from the actual start.
            let s = attempt.state();
            let sync_by_ms = (*shown_exam)
                .as_ref()
                .zip(s.started_at_ms)
                .map(|(exam, start)| {
                    vigil_exam::deadlines_opened(
                        exam,
                        start,
                        s.extra_time,
                        s.questions_opened_at_ms,
                    )
                    .sync_by_ms
                });
            html! {
                <FinishedScreen {lang} exam={(*shown_exam).clone()} {attempt} pending={*pending}
                    offline={*offline} {format_time} {sync_by_ms} now_ms={trusted_now}
                    on_sign_out={on_sign_out.clone()} copy={copy_state.clone()}
                    on_save_copy={on_save_copy.clone()} />
            }
        }
        Screen::Unavailable => html! {
            <UnavailableScreen {lang} on_sign_out={on_sign_out.clone()} />
        },
    };

    // What covers the questions, most pressing first. An extra screen
    // covers them unless the exam allows it (`[proctoring.rules.extra_screen]
    // enabled = false`); it is recorded either way.
    let screens_denied = attention.2
        && model.exam.as_ref().is_none_or(|e| {
            e.proctoring
                .rule(vigil_exam::IncidentKind::ExtraScreen)
                .enabled
        });
    let (covered, reason, title, text) = if !attention.1 {
        (
            true,
            "fullscreen",
            t.lockdown_fullscreen_title,
            t.lockdown_text,
        )
    } else if !attention.0 {
        (true, "focus", t.lockdown_focus_title, t.lockdown_text)
    } else if screens_denied {
        (
            true,
            "screens",
            t.lockdown_screens_title,
            t.lockdown_screens_text,
        )
    } else {
        (false, "", "", "")
    };

    // The identification steps count down to the questions opening.
    let identification_left = model
        .attempt
        .as_ref()
        .and_then(|a| a.state().identification_remaining_ms(trusted_now))
        .filter(|_| {
            matches!(
                screen_kind,
                Screen::Identity | Screen::HeadTurn | Screen::RoomScan
            )
        });
    html! {
        <div class="app">
            <header class="topbar">
                <span class="topbar__brand">{ t.product }</span>
                if let Some(c) = &candidate {
                    <span class="topbar__who">{ format!("{} {}", t.signed_in_as, c) }</span>
                }
                <LanguageSwitch {lang} on_change={dispatcher(&model, Action::SetLang)} />
            </header>
            <main class="main" id="main">
                if matches!(screen_kind, Screen::Exam | Screen::Review) && covered {
                    <div class="lockdown" data-testid="lockdown-overlay" role="dialog"
                        aria-modal="true" aria-labelledby="lockdown-title"
                        data-reason={reason}>
                        <h2 id="lockdown-title">{ title }</h2>
                        <p>{ text }</p>
                        <button type="button" class="button button--primary" data-testid="lockdown-return"
                            onclick={Callback::from(|_: MouseEvent| dom::request_fullscreen())}>
                            { t.lockdown_return }
                        </button>
                    </div>
                } else {
                    if matches!(screen_kind, Screen::Exam | Screen::Review) {
                        <div class="live-stack">
                            { live_banner(lang, model.attempt.as_deref(), *face_checks) }
                            { screen }
                        </div>
                    } else if let Some(remaining_ms) = identification_left {
                        <div class="live-stack">
                            <IdentificationTimer {lang} {remaining_ms} />
                            { screen }
                        </div>
                    } else {
                        { screen }
                    }
                }
            </main>
        </div>
    }
}

/// The face checks' indicator and, while a camera or voice incident is
/// open, a calm sentence on what to do (never the thresholds).
fn live_banner(lang: Lang, attempt: Option<&Attempt>, checks: FaceChecks) -> Html {
    use vigil_exam::IncidentKind as K;
    let t = lang.texts();
    let kind = attempt.and_then(crate::proctoring::banner_kind);
    let text = kind.map(|k| match k {
        K::FaceAbsent => t.incident_face_absent,
        K::SeveralFaces => t.incident_several_faces,
        K::LookingAway => t.incident_looking_away,
        K::CameraCovered => t.incident_camera_covered,
        K::Voice => t.incident_voice,
        _ => t.incident_camera_lost,
    });
    let kind_name = kind.map(|k| {
        serde_json::to_value(k)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    });
    let state = checks.state;
    let label = match state {
        live_checks::FaceChecksState::Starting => t.face_checks_starting,
        live_checks::FaceChecksState::Running => t.face_checks_running,
        live_checks::FaceChecksState::Unavailable => t.face_checks_unavailable,
    };
    html! {
        <>
            <p class={classes!("face-checks", format!("face-checks--{}", state.as_str()))}
                data-testid="face-checks" data-state={state.as_str()}
                data-frames={checks.frames.to_string()}
                data-last-ms={format!("{:.1}", checks.last_ms)}>
                { label }
            </p>
            if let Some(text) = text {
                <div class="incident-banner" data-testid="incident-banner" role="status"
                    aria-live="polite" data-kind={kind_name}>
                    { text }
                </div>
            }
        </>
    }
}

/// Pause between two tries to download the exam package.
const PACKAGE_RETRY_MS: u32 = 15_000;

/// A media step: stores the bytes, then the event naming their hash.
fn media_committer<T: 'static>(
    model: &UseReducerHandle<Model>,
    error: &UseStateHandle<Option<String>>,
    command: fn(&mut Attempt, T, &str, i64) -> Result<Event, AttemptError>,
) -> Callback<(T, Vec<u8>)> {
    let (model, error) = (model.clone(), error.clone());
    Callback::from(move |(input, bytes): (T, Vec<u8>)| {
        let (Some(login), Some(attempt)) = (model.login.clone(), model.attempt.clone()) else {
            return;
        };
        settle(&model, &error, async move {
            let step = |a: &mut Attempt, sha: &str, now| command(a, input, sha, now);
            session::commit_media(&login.attempt.id, &attempt, &bytes, step).await
        });
    })
}

/// Stores incident changes from the proctoring rules (nothing to do for
/// none).
fn record_incidents(
    model: &UseReducerHandle<Model>,
    error: &UseStateHandle<Option<String>>,
    login: &LoginResponse,
    attempt: &Rc<Attempt>,
    changes: Vec<IncidentChange>,
) {
    if changes.is_empty() {
        return;
    }
    let (id, attempt) = (login.attempt.id.clone(), attempt.clone());
    settle(model, error, async move {
        // The still an opening names is stored first (or its name dropped).
        let changes = live_checks::store_evidence(changes).await;
        session::commit_all(&id, &attempt, move |a, now| {
            changes.iter().map(|c| a.record_incident(c, now)).collect()
        })
        .await
    });
}

/// The latest signed-in candidate and attempt, for long-lived loops.
type Latest = Rc<std::cell::RefCell<Option<(Rc<LoginResponse>, Rc<Attempt>)>>>;

/// How the live checks reach the rules and the log: an observation goes to
/// the watch at the trusted time of the latest attempt; changes are stored.
fn live_hooks(
    model: &UseReducerHandle<Model>,
    error: &UseStateHandle<Option<String>>,
    latest: &Latest,
    watch: &Rc<std::cell::RefCell<Option<Watch>>>,
    face_checks: &UseStateHandle<FaceChecks>,
) -> Rc<Hooks> {
    let observe = {
        let (latest, watch) = (latest.clone(), watch.clone());
        move |signal: ExamSignal| {
            let current = latest.borrow().clone();
            match (current, watch.borrow_mut().as_mut()) {
                (Some((_, attempt)), Some(w)) => w.observe(session::now_ms(&attempt), signal),
                _ => Vec::new(),
            }
        }
    };
    let record = {
        let (model, error, latest) = (model.clone(), error.clone(), latest.clone());
        move |changes: Vec<IncidentChange>| {
            let current = latest.borrow().clone();
            if let Some((login, attempt)) = current {
                record_incidents(&model, &error, &login, &attempt, changes);
            }
        }
    };
    let status = {
        let face_checks = face_checks.clone();
        move |s: FaceChecks| face_checks.set(s)
    };
    Rc::new(Hooks {
        observe: Box::new(observe),
        record: Box::new(record),
        status: Box::new(status),
    })
}

/// Records the kiosk launcher's machine report if it differs from the last
/// one recorded (not after the exam was submitted: the report no longer
/// matters then). `None`: nothing recorded.
async fn record_kiosk_report(login: &LoginResponse, attempt: &Attempt) -> Option<Rc<Attempt>> {
    let s = attempt.state();
    if s.submitted_at_ms.is_some() {
        return None;
    }
    let report = kiosk::report().await?;
    if s.kiosk_report.as_ref() == Some(&report) {
        return None;
    }
    let stored = session::commit(&login.attempt.id, attempt, move |a, now| {
        a.record_kiosk_report(report, now)
    })
    .await;
    stored.ok()
}

/// What the candidate reads when the start fails.
fn start_failure_text(lang: Lang, failure: &session::StartFailure, with_code: bool) -> String {
    let t = lang.texts();
    match failure {
        session::StartFailure::NoPackage => t.start_no_package.into(),
        session::StartFailure::Open(crate::package::OpenError::WrongKey) if with_code => {
            t.start_code_wrong.into()
        }
        session::StartFailure::Api(ApiFailure::Refused { code, .. })
            if code == codes::TOO_EARLY =>
        {
            t.start_too_early.into()
        }
        session::StartFailure::Api(ApiFailure::Refused { code, .. }) if code == codes::TOO_LATE => {
            t.start_too_late.into()
        }
        session::StartFailure::Api(ApiFailure::Refused { code, .. })
            if code == codes::ALREADY_STARTED =>
        {
            t.start_already.into()
        }
        session::StartFailure::Api(other) => format!("{} {}", t.start_failed, other.reference()),
        session::StartFailure::Open(e) => format!("{} {e}", t.start_failed),
        session::StartFailure::Commit(e) => format!("{} {e}", t.start_failed),
    }
}
