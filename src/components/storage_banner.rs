//! Over every screen while IndexedDB refuses writes: the attempt is kept
//! in this tab's memory and sent to the server (see `crate::store`), so
//! the candidate must not close or reload the tab. Gone as soon as the
//! browser stores again.

use yew::prelude::*;

use crate::i18n::{fill, Lang};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lang: Lang,
    /// What the browser said when it refused (shown in brackets, for the
    /// proctor or the support).
    pub why: AttrValue,
}

#[component]
pub fn StorageBanner(props: &Props) -> Html {
    let text = fill(props.lang.texts().storage_refused, &props.why);
    html! {
        <div class="storage-banner" data-testid="storage-refused" role="alert">
            { text }
        </div>
    }
}
