//! What covers the questions when the exam's conditions are broken: out of
//! fullscreen, the window left, or an extra screen the exam does not allow
//! (most pressing first). The questions stay hidden until the candidate
//! comes back; the button asks for fullscreen again (a gesture is needed).

use yew::prelude::*;

use crate::browser::dom;
use crate::hooks::use_proctoring::Attention;
use crate::i18n::Lang;

/// Why the questions are covered, if they are.
pub fn reason(attention: &Attention, screens_denied: bool) -> Option<&'static str> {
    if !attention.fullscreen {
        Some("fullscreen")
    } else if !attention.focused {
        Some("focus")
    } else if attention.extended && screens_denied {
        Some("screens")
    } else {
        None
    }
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lang: Lang,
    /// `fullscreen`, `focus` or `screens` (see [`reason`]).
    pub reason: AttrValue,
}

#[component]
pub fn LockdownOverlay(props: &Props) -> Html {
    let t = props.lang.texts();
    let (title, text) = match props.reason.as_str() {
        "fullscreen" => (t.lockdown_fullscreen_title, t.lockdown_text),
        "focus" => (t.lockdown_focus_title, t.lockdown_text),
        _ => (t.lockdown_screens_title, t.lockdown_screens_text),
    };
    html! {
        <div class="lockdown" data-testid="lockdown-overlay" role="dialog"
            aria-modal="true" aria-labelledby="lockdown-title"
            data-reason={props.reason.clone()}>
            <h2 id="lockdown-title">{ title }</h2>
            <p>{ text }</p>
            <button type="button" class="button button--primary" data-testid="lockdown-return"
                onclick={Callback::from(|_: MouseEvent| dom::request_fullscreen())}>
                { t.lockdown_return }
            </button>
        </div>
    }
}
