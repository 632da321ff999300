//! What is still to reach the server, on the exam and finished screens:
//! `data-pending` is the number of events and media not yet acknowledged.

use yew::prelude::*;

use crate::i18n::{fill, Lang};
use crate::sync::Pending;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lang: Lang,
    pub pending: Pending,
    /// The last round failed (offline, server down).
    pub offline: bool,
}

#[component]
pub fn SyncStatus(props: &Props) -> Html {
    let t = props.lang.texts();
    let n = props.pending.total();
    let text = match (n, props.offline) {
        (0, _) => t.sync_done.to_owned(),
        (n, true) => fill(t.sync_offline, &n.to_string()),
        (n, false) => fill(t.sync_pending, &n.to_string()),
    };
    html! {
        <p class={classes!("sync", (n == 0).then_some("sync--done"), props.offline.then_some("sync--offline"))}
            data-testid="sync-status" data-pending={n.to_string()} aria-live="polite">
            { text }
        </p>
    }
}
