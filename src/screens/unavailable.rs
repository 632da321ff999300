//! Shown for an attempt phase whose screen this version does not have yet:
//! it says plainly that what was done is saved, and offers to sign out.

use yew::prelude::*;

use crate::i18n::Lang;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lang: Lang,
    pub on_sign_out: Callback<()>,
}

#[component]
pub fn UnavailableScreen(props: &Props) -> Html {
    let t = props.lang.texts();
    html! {
        <section class="screen screen--narrow" data-screen="unavailable" aria-labelledby="next-title">
            <h1 id="next-title">{ t.unavailable_title }</h1>
            <p>{ t.unavailable_text }</p>
            <div class="actions">
                <button type="button" class="button" onclick={props.on_sign_out.reform(|_| ())}>
                    { t.sign_out }
                </button>
            </div>
        </section>
    }
}
