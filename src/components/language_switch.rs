//! The button that switches between French and English.

use yew::prelude::*;

use crate::i18n::Lang;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lang: Lang,
    pub on_change: Callback<Lang>,
}

#[component]
pub fn LanguageSwitch(props: &Props) -> Html {
    let next = props.lang.other();
    let onclick = props.on_change.reform(move |_| next);
    html! {
        <button type="button" class="link-button" data-testid="language-switch"
            lang={next.code()} {onclick}>
            { props.lang.texts().switch_language }
        </button>
    }
}
