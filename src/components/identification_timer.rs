//! The identification steps' own countdown (identity, head turn, room
//! scan): how long before the questions open by themselves. The exam's
//! timer has not started yet; this says so, so nobody lingers thinking the
//! time is free.

use yew::prelude::*;

use crate::components::timer::format_hms;
use crate::i18n::{fill, Lang};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lang: Lang,
    /// Time left before the identification bound (ms).
    pub remaining_ms: i64,
}

#[component]
pub fn IdentificationTimer(props: &Props) -> Html {
    let t = props.lang.texts();
    let left = props.remaining_ms.max(0);
    html! {
        <p class="note identification-timer" data-testid="identification-timer"
            data-remaining-ms={left.to_string()} role="timer" aria-live="off">
            { if left > 0 {
                fill(t.identification_left, &format_hms(left))
            } else {
                t.identification_over.to_owned()
            } }
        </p>
    }
}
