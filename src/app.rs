//! The root component: composition only.
//!
//! The [`Model`] reducer says which screen is on show (derived from the
//! attempt's phase); each concern of the root is a custom hook of
//! [`crate::hooks`] (the attempt's steps, the session, the clock, the sync,
//! the package, proctoring, identification, the start); [`Route`] picks the
//! screen with its props and callbacks. What is left here is the page's
//! frame: the top bar, and what goes over the screen (the lockdown overlay,
//! the live checks' banner, the identification countdown).

use std::rc::Rc;

use yew::prelude::*;

use crate::boot::Handover;
use crate::browser::{clock, dom};
use crate::components::identification_timer::IdentificationTimer;
use crate::components::language_switch::LanguageSwitch;
use crate::components::live_banner::LiveBanner;
use crate::components::lockdown_overlay::{self, LockdownOverlay};
use crate::components::storage_banner::StorageBanner;
use crate::copy::use_save_copy;
use crate::hooks::use_clock::use_clock;
use crate::hooks::use_identification::use_identification;
use crate::hooks::use_package::use_package;
use crate::hooks::use_proctoring::use_proctoring;
use crate::hooks::use_session::use_session;
use crate::hooks::use_start::use_start;
use crate::hooks::use_steps::use_steps;
use crate::hooks::use_sync::use_sync;
use crate::route::Route;
use crate::state::{Action, Model, Screen};
use crate::store;

#[derive(Properties, PartialEq)]
pub struct Props {
    /// What the boot handed over, when it loaded the app ([`crate::boot`]).
    #[prop_or_default]
    pub handover: Option<Handover>,
}

#[component]
pub fn App(props: &Props) -> Html {
    let model = use_reducer(|| Model {
        lang: props
            .handover
            .as_ref()
            .map(Handover::lang)
            .unwrap_or_default(),
        ..Model::default()
    });
    let steps = use_steps(&model);
    let lang = model.lang;
    let screen = model.screen();
    use_page(lang, screen);
    let session = use_session(&steps, props.handover.as_ref().map(|h| h.next.clone()));
    let device_now = use_clock(&steps, screen);
    let sync = use_sync(&steps);
    let package = use_package(&model);
    let attention = use_proctoring(&steps, screen, device_now);
    let on_opening_code = use_identification(&steps);
    let start = use_start(&steps, screen);
    let (copy, on_save_copy) = use_save_copy(model.login.clone(), steps.store.clone());
    // The exam as the candidate reads it (its `i18n` texts in the chosen
    // language); the engine keeps working on the original.
    let shown_exam = use_memo((model.exam.clone(), lang), |(exam, lang)| {
        exam.as_ref().map(|e| Rc::new(e.localized(lang.code())))
    });
    let now = model
        .attempt
        .as_deref()
        .map(store::now_ms)
        .unwrap_or(device_now);

    let in_exam = matches!(screen, Screen::Exam | Screen::Review);
    // An extra screen covers the questions unless the exam allows it
    // (`[proctoring.rules.extra_screen] enabled = false`); it is recorded
    // either way.
    let screens_denied = model.exam.as_ref().is_none_or(|e| {
        e.proctoring
            .rule(vigil_exam::IncidentKind::ExtraScreen)
            .enabled
    });
    let covered = lockdown_overlay::reason(&attention, screens_denied).filter(|_| in_exam);
    // The identification steps count down to the questions opening.
    let identification_left = model
        .attempt
        .as_ref()
        .and_then(|a| a.identification_remaining_ms(now))
        .filter(|_| {
            matches!(
                screen,
                Screen::Identity | Screen::HeadTurn | Screen::RoomScan
            )
        });
    let incident = model
        .attempt
        .as_deref()
        .and_then(crate::proctoring::banner_kind);
    let candidate = model.login.as_ref().map(|l| l.attempt.candidate.clone());
    let t = lang.texts();

    let view = Route {
        lang,
        screen,
        steps: steps.clone(),
        now,
        shown_exam: (*shown_exam).clone(),
        package,
        sync,
        start,
        on_logged_in: session.on_logged_in,
        on_sign_out: session.on_sign_out,
        copy,
        on_save_copy,
        on_opening_code,
    }
    .view();
    let on_lang = {
        let model = model.clone();
        Callback::from(move |lang| model.dispatch(Action::SetLang(lang)))
    };
    html! {
        <div class="app">
            <header class="topbar">
                <span class="topbar__brand">{ t.product }</span>
                if let Some(c) = &candidate {
                    <span class="topbar__who">{ format!("{} {}", t.signed_in_as, c) }</span>
                }
                <LanguageSwitch {lang} on_change={on_lang} />
            </header>
            if let Some(why) = model.storage_refused.clone() {
                <StorageBanner {lang} why={AttrValue::from(why)} />
            }
            <main class="main" id="main">
                if let Some(reason) = covered {
                    <LockdownOverlay {lang} {reason} />
                } else if in_exam {
                    <div class="live-stack">
                        <LiveBanner {lang} checks={attention.face_checks} {incident} />
                        { view }
                    </div>
                } else if let Some(remaining_ms) = identification_left {
                    <div class="live-stack">
                        <IdentificationTimer {lang} {remaining_ms} />
                        { view }
                    </div>
                } else {
                    { view }
                }
            </main>
        </div>
    }
}

/// The page around the app: its `lang` attribute, the first-screen mark
/// (app benchmark), and whether a reload should come back to the review.
#[hook]
fn use_page(lang: crate::i18n::Lang, screen: Screen) {
    use_effect_with(lang, |lang| dom::set_document_lang(lang.code()));
    use_effect_with(screen == Screen::Loading, |loading| {
        if !*loading {
            // Once: the first real screen is on the page.
            clock::perf_mark("vigil:first-screen");
        }
    });
    use_effect_with(screen == Screen::Finished, |finished| {
        // Opening and closing the review remember it themselves (route.rs).
        if *finished {
            dom::forget_review();
        }
    });
}
