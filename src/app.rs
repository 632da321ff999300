//! The root component: holds the [`Model`](crate::state::Model) reducer and
//! shows the screen the model derives. Screens report what happened through
//! callbacks that become [`Action`]s; they never switch screens themselves.

use std::rc::Rc;

use yew::prelude::*;

use crate::browser::dom;
use crate::components::language_switch::LanguageSwitch;
use crate::screens::login::LoginScreen;
use crate::screens::system_check::SystemCheckScreen;
use crate::state::{Action, Model, Screen};

/// A callback that turns what a screen reports into an action on the model.
fn dispatcher<T: 'static>(model: &UseReducerHandle<Model>, f: fn(T) -> Action) -> Callback<T> {
    let model = model.clone();
    Callback::from(move |x| model.dispatch(f(x)))
}

#[component]
pub fn App() -> Html {
    let model = use_reducer(Model::default);
    let lang = model.lang;
    let t = lang.texts();
    use_effect_with(lang, |lang| dom::set_document_lang(lang.code()));

    let on_lang = dispatcher(&model, Action::SetLang);
    let candidate = model
        .login
        .as_ref()
        .map(|l| AttrValue::from(l.attempt.candidate.clone()));

    let screen = match model.screen() {
        Screen::Login => html! {
            <LoginScreen {lang} on_logged_in={dispatcher(&model, |l| Action::LoggedIn(Rc::new(l)))}
                on_test_equipment={dispatcher(&model, |()| Action::OpenEquipmentTest)} />
        },
        Screen::SystemCheck => html! {
            <SystemCheckScreen {lang} candidate={candidate.clone()}
                on_back={dispatcher(&model, |()| Action::BackToLogin)} />
        },
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
            <main class="main" id="main">{ screen }</main>
        </div>
    }
}
