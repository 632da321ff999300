//! Between the engine's opening of the questions and their key's arrival
//! (#31): the questions are sealed until the server records the opening,
//! so when it cannot be reached at that moment (or the identification
//! bound opened them first) this screen waits, calmly, while the
//! identification hook asks the server again every few seconds.

use yew::prelude::*;

use crate::i18n::Lang;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lang: Lang,
}

#[component]
pub fn OpeningScreen(props: &Props) -> Html {
    let t = props.lang.texts();
    html! {
        <section class="screen screen--narrow" data-screen="opening" aria-labelledby="opening-title"
            aria-busy="true">
            <h1 id="opening-title">{ t.opening_title }</h1>
            <p role="status">{ t.opening_text }</p>
        </section>
    }
}
