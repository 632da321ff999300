//! The boot: the candidate's first download, and the login screen it shows
//! while the rest of the app travels.
//!
//! Why it exists: the whole app (engine, proctoring, sync, every screen) is
//! a wasm of several hundred kB gzip, seconds on a poor home connection
//! before anything is on screen. The boot is a second binary of this crate
//! (`src/bin/boot.rs`): the same [`LoginScreen`], [`LanguageSwitch`] and
//! API client, and nothing else, so link-time optimisation leaves it a
//! fraction of the size (`cargo xtask size` prints both). The page loads
//! the boot; the boot loads the app ([`app_loader`]) when it is needed:
//! - at once, if a candidate is signed in on this machine (the app
//!   restores the attempt, exactly as when it is opened directly) or if
//!   IndexedDB cannot be read (the app says why);
//! - after a successful sign-in, with the server's answer;
//! - when the candidate asks to test the equipment.
//!
//! Meanwhile the service worker has been caching the app's files since the
//! page opened (`static/sw.js` pre-caches every file the page names), so
//! the app usually starts from the cache, and always does offline.
//!
//! The boot hands over a [`Handover`] (JSON, since the two are separate
//! wasm modules with separate memories): the language and what to do next.
//! The app takes it at start ([`crate::run`]). The one rule they share,
//! signing in, is the app's: the boot only asks the server and passes the
//! answer on, so a sign-in this machine cannot store is reported by the
//! same code as always.

use std::cell::RefCell;
use std::rc::Rc;

use serde::{Deserialize, Serialize};
use vigil_api::LoginResponse;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::browser::{api, app_loader, clock, dom, idb};
use crate::components::language_switch::LanguageSwitch;
use crate::i18n::Lang;
use crate::screens::login::LoginScreen;

/// What the boot passes to the app it loads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Handover {
    /// [`Lang::code`] of the language the candidate chose on the boot.
    pub lang: String,
    pub next: Next,
}

/// What the app does first, after reading IndexedDB as it always does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
// Externally tagged (serde's default): an internally tagged enum would
// deserialise the whole login answer through serde's buffered `Content`,
// tens of kB more of the app's wasm.
#[serde(rename_all = "snake_case")]
pub enum Next {
    /// Nothing more: come back to what IndexedDB holds.
    Restore,
    /// The server accepted these credentials: sign in with its answer.
    SignIn { login: Box<LoginResponse> },
    /// Open the equipment test, without signing in.
    EquipmentTest,
}

impl Handover {
    pub fn lang(&self) -> Lang {
        Lang::from_code(&self.lang)
    }

    /// The handover as the app reads it, if it is one (anything else is
    /// ignored: the app then starts as if opened directly).
    pub fn parse(json: &str) -> Option<Handover> {
        serde_json::from_str(json).ok()
    }
}

/// Where the boot is.
#[derive(Debug, Clone, PartialEq)]
enum Stage {
    /// Reading IndexedDB, or fetching the app: the loading screen.
    Loading,
    Login,
    /// The app could not be fetched or started: what to try again, and why.
    Failed {
        next: Next,
        why: Rc<str>,
    },
}

thread_local! {
    /// The mounted boot, unmounted just before the app starts.
    static MOUNTED: RefCell<Option<yew::AppHandle<Boot>>> = const { RefCell::new(None) };
}

/// The boot binary's entry point.
pub fn run() {
    // The kiosk launcher's config key goes with the sign-in; its link is
    // the app's business (the app reads the same fragment).
    api::set_config_key(dom::config_key_from_fragment());
    dom::register_service_worker();
    mount(Stage::Loading, Lang::default());
}

fn mount(stage: Stage, lang: Lang) {
    let handle = yew::Renderer::<Boot>::with_props(Props { stage, lang }).render();
    MOUNTED.with(|m| *m.borrow_mut() = Some(handle));
}

#[derive(Properties, PartialEq)]
struct Props {
    stage: Stage,
    lang: Lang,
}

#[component]
fn Boot(props: &Props) -> Html {
    let stage = use_state(|| props.stage.clone());
    let lang = use_state(|| props.lang);
    use_effect_with(*lang, |lang| dom::set_document_lang(lang.code()));

    // Hands over to the app: fetch it while this screen stays, then make
    // way. The handover is written with the language on show now, so a
    // retry after a switch carries the new one.
    let hand_over = {
        let (stage, lang) = (stage.clone(), lang.clone());
        Callback::from(move |next: Next| {
            stage.set(Stage::Loading);
            let (stage, lang) = (stage.clone(), *lang);
            spawn_local(async move {
                let handover = Handover {
                    lang: lang.code().into(),
                    next: next.clone(),
                };
                let json = match serde_json::to_string(&handover) {
                    Ok(json) => json,
                    // Cannot happen for these types; the app restores anyway.
                    Err(_) => r#"{"lang":"fr","next":"restore"}"#.into(),
                };
                if let Err(why) = app_loader::fetch().await {
                    let why = why.into();
                    stage.set(Stage::Failed { next, why });
                    return;
                }
                if let Some(boot) = MOUNTED.with(|m| m.borrow_mut().take()) {
                    boot.destroy();
                }
                if let Err(why) = app_loader::start(&json).await {
                    let why = why.into();
                    mount(Stage::Failed { next, why }, lang);
                }
            });
        })
    };

    {
        // Once, at start: a candidate signed in here goes straight to the
        // app; a database that cannot be read too (the app says why).
        let (stage, hand_over) = (stage.clone(), hand_over.clone());
        use_effect_with((), move |_| {
            if *stage == Stage::Loading {
                spawn_local(async move {
                    match idb::signed_in_here().await {
                        Ok(false) => stage.set(Stage::Login),
                        Ok(true) | Err(_) => hand_over.emit(Next::Restore),
                    }
                });
            }
        });
    }
    use_effect_with(*stage == Stage::Login, |login| {
        if *login {
            // The app benchmark's first screen: the login, on the boot.
            clock::perf_mark("vigil:first-screen");
        }
    });

    let t = lang.texts();
    let body = match &*stage {
        Stage::Loading => html! {
            <p class="loading" data-screen="loading" aria-live="polite">{ t.loading }</p>
        },
        Stage::Login => html! {
            <LoginScreen lang={*lang}
                on_logged_in={hand_over.reform(|login| Next::SignIn {
                    login: Box::new(login)
                })}
                on_test_equipment={hand_over.reform(|()| Next::EquipmentTest)} />
        },
        Stage::Failed { next, why } => {
            let retry = {
                let next = next.clone();
                hand_over.reform(move |_: MouseEvent| next.clone())
            };
            html! {
                <section class="screen screen--narrow" data-screen="boot-failed"
                    aria-labelledby="boot-failed-title">
                    <h1 id="boot-failed-title">{ t.boot_failed_title }</h1>
                    <p class="alert alert--error" role="alert" data-testid="problem">
                        { t.boot_failed_body }
                        <br /><small>{ why.to_string() }</small>
                    </p>
                    <button class="button button--primary" type="button"
                        data-testid="boot-retry" onclick={retry}>{ t.boot_retry }</button>
                </section>
            }
        }
    };
    let on_lang = {
        let lang = lang.clone();
        Callback::from(move |l| lang.set(l))
    };
    html! {
        <div class="app">
            <header class="topbar">
                <span class="topbar__brand">{ t.product }</span>
                <LanguageSwitch lang={*lang} on_change={on_lang} />
            </header>
            <main class="main" id="main">{ body }</main>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handover_reads_back() {
        for next in [Next::Restore, Next::EquipmentTest] {
            let h = Handover {
                lang: "en".into(),
                next,
            };
            let json = serde_json::to_string(&h).expect("serialises");
            assert_eq!(Handover::parse(&json), Some(h.clone()));
            assert_eq!(h.lang(), Lang::En);
        }
    }

    #[test]
    fn anything_else_is_no_handover() {
        assert_eq!(Handover::parse(""), None);
        assert_eq!(Handover::parse(r#"{"lang":"fr","next":"exam"}"#), None);
        assert_eq!(Handover::parse("null"), None);
    }
}
