//! The waiting room: a countdown on the trusted clock to the scheduled
//! start; `start-button` is enabled only inside the start window. Too late
//! is a refusal that says the rule. Starting asks for fullscreen, then the
//! server records the start and releases the package key.

use yew::prelude::*;

use crate::components::convocation::Convocation;
use crate::components::package_status::{PackageState, PackageStatus};
use crate::components::start_code_form::StartCodeForm;
use crate::components::timer::Timer;
use crate::i18n::{fill, Lang};

/// Where the trusted time stands against the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowState {
    Before { opens_in_ms: i64 },
    Open,
    Closed,
}

/// The window as the candidate's screen sees it.
pub fn window_state(now_ms: i64, opens_at_ms: i64, closes_at_ms: i64) -> WindowState {
    if now_ms < opens_at_ms {
        WindowState::Before {
            opens_in_ms: opens_at_ms - now_ms,
        }
    } else if now_ms <= closes_at_ms {
        WindowState::Open
    } else {
        WindowState::Closed
    }
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lang: Lang,
    pub exam_title: AttrValue,
    pub now_ms: i64,
    pub opens_at_ms: i64,
    pub closes_at_ms: i64,
    /// The local time of the start, as text.
    pub starts_at_text: AttrValue,
    pub starting: bool,
    pub on_start: Callback<()>,
    /// The server could not be reached at the start: offer the start code.
    pub offer_code: bool,
    pub on_code: Callback<String>,
    #[prop_or_default]
    pub error: Option<AttrValue>,
    /// Whether the encrypted exam is on this computer.
    #[prop_or_default]
    pub package: PackageState,
    /// How long the identification steps after the start may take (ms).
    #[prop_or_default]
    pub identification_max_ms: i64,
    /// The session's time zone (the convocation's times).
    #[prop_or_else(|| AttrValue::from("Europe/Paris"))]
    pub time_zone: AttrValue,
    pub duration_ms: i64,
    pub precheck_deadline_h: u64,
}

/// A bound in whole minutes, as the candidate reads it ("10 min").
fn minutes(ms: i64) -> String {
    format!("{} min", (ms.max(0) + 59_999) / 60_000)
}

#[component]
pub fn WaitingRoomScreen(props: &Props) -> Html {
    let t = props.lang.texts();
    let state = window_state(props.now_ms, props.opens_at_ms, props.closes_at_ms);
    let on_start = props.on_start.reform(|_: MouseEvent| ());
    html! {
        <section class="screen screen--narrow" data-screen="waiting-room" aria-labelledby="wait-title">
            <h1 id="wait-title">{ t.waiting_title }</h1>
            <p class="lead">{ &props.exam_title }</p>
            <p>{ fill(t.waiting_scheduled, &props.starts_at_text) }</p>
            { match state {
                WindowState::Before { opens_in_ms } => html! {
                    <Timer lang={props.lang} remaining_ms={opens_in_ms} main={false}
                        label={AttrValue::from(t.waiting_countdown)} />
                },
                WindowState::Open => html! {
                    <p class="note">{ fill(t.waiting_open, &minutes(props.identification_max_ms)) }</p>
                },
                WindowState::Closed => html! {
                    <p class="alert alert--error" role="alert" data-testid="start-refused">
                        { t.waiting_too_late }
                    </p>
                },
            } }
            // Before the window opens (days before, often): the convocation.
            if matches!(state, WindowState::Before { .. }) {
                <Convocation lang={props.lang} starts_at_ms={props.opens_at_ms}
                    time_zone={props.time_zone.clone()} duration_ms={props.duration_ms}
                    precheck_deadline_h={props.precheck_deadline_h} />
            }
            // Once the window has closed, how the exam would have started is
            // beside the point: only the refusal and what to do remain.
            if state != WindowState::Closed {
                <PackageStatus lang={props.lang} state={props.package} />
                <p class="aside-text">{ t.waiting_fullscreen }</p>
            }
            if let Some(err) = &props.error {
                <p class="alert alert--error" role="alert" data-testid="problem">{ err }</p>
            }
            if props.offer_code && state == WindowState::Open {
                <StartCodeForm lang={props.lang} title={Some(t.waiting_offline_title)}
                    help={t.waiting_offline_help} submit={t.waiting_code_submit}
                    input_id="start-code-input" submit_id="start-code-submit"
                    disabled={props.starting} on_code={props.on_code.clone()} />
            }
            <div class="actions actions--end">
                <button type="button" class="button button--primary" data-testid="start-button"
                    disabled={state != WindowState::Open || props.starting}
                    aria-busy={props.starting.then_some("true")} onclick={on_start}>
                    { t.waiting_start }
                </button>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_opens_and_closes_inclusively() {
        assert_eq!(
            window_state(9, 10, 20),
            WindowState::Before { opens_in_ms: 1 }
        );
        assert_eq!(window_state(10, 10, 20), WindowState::Open);
        assert_eq!(window_state(20, 10, 20), WindowState::Open);
        assert_eq!(window_state(21, 10, 20), WindowState::Closed);
    }
}
