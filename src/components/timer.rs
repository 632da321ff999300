//! The exam timer: `H:MM:SS`, with the exact remaining milliseconds in
//! `data-remaining-ms`. The value comes from the engine (derived from the
//! deadline and the trusted time), never counted down here. At 10 minutes
//! and at 1 minute an aria-live message is announced.

use yew::prelude::*;

use crate::i18n::Lang;

/// `H:MM:SS` of a duration, rounded up to the second (a timer never shows
/// 0:00:00 while time remains).
pub fn format_hms(ms: i64) -> String {
    let s = (ms.max(0) + 999) / 1000;
    format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
}

/// The warning due at this remaining time, if any: 10 min, then 1 min.
pub fn warning(ms: i64) -> Option<u32> {
    match ms {
        ..=0 => None,
        1..=60_000 => Some(1),
        60_001..=600_000 => Some(10),
        _ => None,
    }
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lang: Lang,
    pub remaining_ms: i64,
    #[prop_or_default]
    pub label: Option<AttrValue>,
    /// The main timer carries `data-testid="timer"`; others do not.
    #[prop_or(true)]
    pub main: bool,
}

#[component]
pub fn Timer(props: &Props) -> Html {
    let t = props.lang.texts();
    let warn = warning(props.remaining_ms);
    let class = classes!("timer", warn.map(|m| format!("timer--warn{m}")));
    html! {
        <div class={class}>
            <span class="timer__label">{ props.label.clone().unwrap_or_else(|| t.timer_label.into()) }</span>
            <span class="timer__value" data-testid={props.main.then_some("timer")}
                data-remaining-ms={props.remaining_ms.max(0).to_string()}>
                { format_hms(props.remaining_ms) }
            </span>
            if props.main {
                <span class="visually-hidden" aria-live="assertive">
                    { match warn { Some(10) => t.timer_ten_minutes, Some(1) => t.timer_one_minute, _ => "" } }
                </span>
            }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_rounds_up() {
        assert_eq!(format_hms(0), "0:00:00");
        assert_eq!(format_hms(1), "0:00:01");
        assert_eq!(format_hms(80 * 60_000), "1:20:00");
        assert_eq!(format_hms(61_500), "0:01:02");
        assert_eq!(format_hms(-5), "0:00:00");
    }

    #[test]
    fn warnings_at_ten_and_one_minute() {
        assert_eq!(warning(11 * 60_000), None);
        assert_eq!(warning(10 * 60_000), Some(10));
        assert_eq!(warning(60_000), Some(1));
        assert_eq!(warning(0), None);
    }
}
