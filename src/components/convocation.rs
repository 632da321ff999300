//! The convocation, as the candidate reads it in the waiting room before
//! the day: when (in the session's time zone, which the organiser set, not
//! the machine's), how long, the hardware pre-check, the steps of the day,
//! what to do if the equipment fails. The same facts as the mail the
//! organiser sends (`vigil-server candidates mail`).

use yew::prelude::*;

use crate::browser::clock;
use crate::i18n::{fill, Lang};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lang: Lang,
    pub starts_at_ms: i64,
    /// The session's IANA zone (`Europe/Paris`).
    pub time_zone: AttrValue,
    pub duration_ms: i64,
    pub precheck_deadline_h: u64,
}

/// `Paris` for `Europe/Paris`: the zone's last part.
pub fn place(zone: &str) -> String {
    zone.rsplit('/').next().unwrap_or(zone).replace('_', " ")
}

/// `1 h 20 min`, `5 min`.
pub fn duration_text(ms: i64) -> String {
    let minutes = (ms.max(0) + 59_999) / 60_000;
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m:02} min"),
    }
}

/// `samedi 5 décembre 2026 à 22:32 (heure de Paris)`: a time of the
/// session in its zone, saying which (the waiting room's start too, so the
/// page never shows two clocks).
pub fn session_time(ms: i64, lang: Lang, zone: &str) -> String {
    format!(
        "{} ({})",
        clock::zone_text(ms, lang.code(), zone),
        fill(lang.texts().convocation_zone, &place(zone))
    )
}

#[component]
pub fn Convocation(props: &Props) -> Html {
    let t = props.lang.texts();
    let when = session_time(props.starts_at_ms, props.lang, &props.time_zone);
    html! {
        <section class="convocation" data-testid="convocation" data-time-zone={props.time_zone.clone()}
            aria-labelledby="convocation-title">
            <h2 id="convocation-title">{ t.convocation_title }</h2>
            <p data-testid="convocation-when">{ fill(t.convocation_when, &when) }</p>
            <p>{ fill(t.convocation_duration, &duration_text(props.duration_ms)) }</p>
            <p data-testid="convocation-precheck">
                { fill(t.convocation_precheck, &props.precheck_deadline_h.to_string()) }
            </p>
            <h3>{ t.convocation_day_title }</h3>
            <ol>{ for t.convocation_steps.iter().map(|s| html! { <li>{ *s }</li> }) }</ol>
            <p class="aside-text">{ t.convocation_failure }</p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_and_durations() {
        assert_eq!(place("Europe/Paris"), "Paris");
        assert_eq!(place("America/Port_of_Spain"), "Port of Spain");
        assert_eq!(duration_text(80 * 60_000), "1 h 20 min");
        assert_eq!(duration_text(5 * 60_000), "5 min");
        assert_eq!(duration_text(120 * 60_000), "2 h");
    }
}
