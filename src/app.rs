//! The root component: holds the [`Model`](crate::state::Model) reducer and
//! shows the screen the model derives. Screens report what happened through
//! callbacks; the app turns them into engine commands, commits the events
//! (see [`crate::session`]) and dispatches the result. Screens never switch
//! screens themselves.

use std::rc::Rc;

use vigil_api::LoginResponse;
use vigil_exam::{Attempt, AttemptError, Event, IdentityWhat};
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::browser::dom;
use crate::components::language_switch::LanguageSwitch;
use crate::i18n::fill;
use crate::screens::consent::ConsentScreen;
use crate::screens::identity::IdentityScreen;
use crate::screens::login::LoginScreen;
use crate::screens::system_check::SystemCheckScreen;
use crate::screens::unavailable::UnavailableScreen;
use crate::session;
use crate::state::{Action, Model, Screen};

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

#[component]
pub fn App() -> Html {
    let model = use_reducer(Model::default);
    let error = use_state(|| None::<String>);
    let lang = model.lang;
    let t = lang.texts();
    use_effect_with(lang, |lang| dom::set_document_lang(lang.code()));
    {
        let model = model.clone();
        let error = error.clone();
        use_effect_with((), move |_| {
            spawn_local(async move {
                match session::restore().await {
                    Ok(found) => {
                        let login = found.as_ref().map(|(login, _)| login.clone());
                        model.dispatch(Action::Restored(found));
                        if let Some(login) = login {
                            let _ = session::fetch_package(&login).await;
                        }
                    }
                    Err(e) => {
                        error.set(Some(e));
                        model.dispatch(Action::Restored(None));
                    }
                }
            });
        });
    }

    let on_logged_in = {
        let (model, error) = (model.clone(), error.clone());
        Callback::from(move |login: LoginResponse| {
            let (model, error) = (model.clone(), error.clone());
            spawn_local(async move {
                match session::sign_in(login).await {
                    Ok((login, attempt)) => {
                        model.dispatch(Action::LoggedIn(login.clone(), attempt));
                        // The exam travels now, while the network is good; a
                        // failure is retried at the next start-up.
                        let _ = session::fetch_package(&login).await;
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
                // Even if forgetting fails, leave the screen: the events stay stored.
                let _ = session::sign_out().await;
                model.dispatch(Action::BackToLogin);
            });
        })
    };
    let storage_error = error
        .as_ref()
        .map(|e| AttrValue::from(fill(t.storage_error, e)));
    let candidate = model
        .login
        .as_ref()
        .map(|l| AttrValue::from(l.attempt.candidate.clone()));

    let screen = match model.screen() {
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
                error={storage_error.clone()} />
        },
        Screen::Consent => html! {
            <ConsentScreen {lang}
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
            let on_keep = {
                let (model, error) = (model.clone(), error.clone());
                Callback::from(move |(what, bytes): (IdentityWhat, Vec<u8>)| {
                    let (Some(login), Some(attempt)) = (model.login.clone(), model.attempt.clone())
                    else {
                        return;
                    };
                    settle(&model, &error, async move {
                        let keep =
                            |a: &mut Attempt, sha: &str, now| a.capture_identity(what, sha, now);
                        session::commit_media(&login.attempt.id, &attempt, &bytes, keep).await
                    });
                })
            };
            html! { <IdentityScreen {lang} {what} {on_keep} error={storage_error.clone()} /> }
        }
        Screen::Unavailable => html! {
            <UnavailableScreen {lang} on_sign_out={on_sign_out.clone()} />
        },
    };

    html! {
        <div class="app">
            <header class="topbar">
                <span class="topbar__brand">{ t.product }</span>
                if let Some(c) = &candidate {
                    <span class="topbar__who">{ format!("{} {}", t.signed_in_as, c) }</span>
                }
                <LanguageSwitch {lang} on_change={dispatcher(&model, Action::SetLang)} />
            </header>
            <main class="main" id="main">{ screen }</main>
        </div>
    }
}
