//! Between the engine's opening of the questions and their key's arrival
//! (#31): the questions are sealed until the server records the opening,
//! so when it cannot be reached at that moment (or the identification
//! bound opened them first) this screen waits, calmly, while the
//! identification hook asks the server again every few seconds. If the
//! network does not come back, the proctor reads the session's printed
//! start code, which opens the questions on this machine (as an offline
//! start does; the server sees the opening at the next sync).

use yew::prelude::*;

use crate::i18n::Lang;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lang: Lang,
    pub on_code: Callback<String>,
    #[prop_or_default]
    pub error: Option<AttrValue>,
}

#[component]
pub fn OpeningScreen(props: &Props) -> Html {
    let t = props.lang.texts();
    let code = use_state(String::new);
    let on_input = {
        let code = code.clone();
        Callback::from(move |e: InputEvent| code.set(crate::browser::dom::input_value(e.target())))
    };
    let on_submit = {
        let (code, on_code) = (code.clone(), props.on_code.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if !code.trim().is_empty() {
                on_code.emit(code.trim().to_owned());
            }
        })
    };
    html! {
        <section class="screen screen--narrow" data-screen="opening" aria-labelledby="opening-title"
            aria-busy="true">
            <h1 id="opening-title">{ t.opening_title }</h1>
            <p role="status">{ t.opening_text }</p>
            if let Some(err) = &props.error {
                <p class="alert alert--error" role="alert" data-testid="problem">{ err }</p>
            }
            <form class="form start-code" onsubmit={on_submit}>
                <p class="note">{ t.opening_code_help }</p>
                <label class="field">
                    <span class="field__label">{ t.waiting_code_label }</span>
                    <input data-testid="opening-code-input" autocomplete="off" spellcheck="false"
                        value={(*code).clone()} oninput={on_input} />
                </label>
                <button type="submit" class="button" data-testid="opening-code-submit">
                    { t.opening_code_submit }</button>
            </form>
        </section>
    }
}
