//! One line of the system check: what is checked, its verdict, and what to do.

use yew::prelude::*;

use crate::checks::CheckStatus;

#[derive(Properties, PartialEq)]
pub struct Props {
    /// Stable id: the element is `data-testid="check-<id>"`.
    pub id: AttrValue,
    pub label: AttrValue,
    pub status: CheckStatus,
    pub message: AttrValue,
}

#[component]
pub fn CheckItem(props: &Props) -> Html {
    let status = props.status.as_str();
    let icon = match props.status {
        CheckStatus::Pending => "…",
        CheckStatus::Pass => "✓",
        CheckStatus::Warn => "!",
        CheckStatus::Fail => "✕",
    };
    html! {
        <li class={classes!("check", format!("check--{status}"))}
            data-testid={format!("check-{}", props.id)} data-status={status}>
            <span class="check__icon" aria-hidden="true">{ icon }</span>
            <div class="check__body">
                <strong class="check__label">{ &props.label }</strong>
                <p class="check__message">{ &props.message }</p>
            </div>
        </li>
    }
}
