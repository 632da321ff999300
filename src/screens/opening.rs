//! Between the engine's opening of the questions and their key's arrival
//! (#31): the questions are sealed until the server records the opening,
//! so when it cannot be reached at that moment (or the identification
//! bound opened them first) this screen waits, calmly, while the
//! identification hook asks the server again every few seconds. If the
//! network does not come back, the proctor reads the session's printed
//! start code, which opens the questions on this machine (as an offline
//! start does; the server sees the opening at the next sync).

use yew::prelude::*;

use crate::components::start_code_form::StartCodeForm;
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
    html! {
        <section class="screen screen--narrow" data-screen="opening" aria-labelledby="opening-title"
            aria-busy="true">
            <h1 id="opening-title">{ t.opening_title }</h1>
            <p role="status">{ t.opening_text }</p>
            if let Some(err) = &props.error {
                <p class="alert alert--error" role="alert" data-testid="problem">{ err }</p>
            }
            <StartCodeForm lang={props.lang} help={t.opening_code_help}
                submit={t.opening_code_submit} input_id="opening-code-input"
                submit_id="opening-code-submit" on_code={props.on_code.clone()} />
        </section>
    }
}
