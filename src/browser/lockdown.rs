//! Browser lockdown during the exam: what a page can enforce and what it
//! can only notice.
//!
//! Enforced (the default action is prevented, and each attempt reported as
//! [`Signal::Blocked`]): the context menu; copy, cut and paste outside the
//! answer fields; drag and drop; the usual shortcuts a page can see (print,
//! save, find, view-source, devtools, new window or tab, reload); leaving the
//! page asks for confirmation (`beforeunload`). Printing itself cannot be
//! stopped from a page: `beforeprint` is reported and the print stylesheet
//! prints nothing. Noticed ([`Signal::Focus`], [`Signal::Fullscreen`],
//! [`Signal::Screens`]): the window losing focus, the page being hidden,
//! fullscreen being left, a second screen extending the desktop — the exam
//! screen covers the questions until the candidate is back.
//!
//! The listeners live as long as the returned [`Lockdown`]; dropping it
//! (leaving the exam) removes them all.

use gloo_events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use web_sys::{Element, Event, KeyboardEvent};

/// What the lockdown saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signal {
    /// The page has (true) or lost (false) the candidate's attention:
    /// window focus and page visibility together.
    Focus(bool),
    Fullscreen(bool),
    /// The desktop spans (true) or stopped spanning (false) several
    /// screens: `screen.isExtended`, read when the lockdown is engaged and
    /// on every `change` of `window.screen`.
    Screens(bool),
    /// A forbidden action, blocked: `contextmenu`, `paste`, `print`,
    /// `shortcut:ctrl+p`…
    Blocked(String),
}

/// The installed listeners; dropping this removes them.
pub struct Lockdown {
    _listeners: Vec<EventListener>,
}

fn document() -> Option<web_sys::Document> {
    web_sys::window()?.document()
}

/// Whether the page is fullscreen right now.
pub fn is_fullscreen() -> bool {
    document().and_then(|d| d.fullscreen_element()).is_some()
}

/// Whether the desktop spans several screens now (unknown counts as not:
/// the system check already warned about a browser that cannot tell).
pub fn is_extended() -> bool {
    crate::browser::capabilities::screen_is_extended().unwrap_or(false)
}

/// Whether the page has the candidate's attention right now.
pub fn has_focus() -> bool {
    document()
        .map(|d| !d.hidden() && d.has_focus().unwrap_or(true))
        .unwrap_or(true)
}

/// Whether an event comes from an answer field, where typing, copying and
/// pasting one's own text stays allowed.
fn in_answer_field(e: &Event) -> bool {
    e.target()
        .and_then(|t| t.dyn_into::<Element>().ok())
        .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA"))
}

/// The name of a blocked shortcut, if `e` is one.
pub fn blocked_shortcut(key: &str, ctrl: bool, shift: bool, alt: bool) -> Option<String> {
    // Key names are ASCII; the ASCII lowercase spares the Unicode case
    // tables (≈ 23 KiB of the app's wasm).
    let key = key.to_ascii_lowercase();
    if key == "f12" {
        return Some("shortcut:f12".into());
    }
    if key == "f5" {
        return Some("shortcut:f5".into());
    }
    if ctrl && shift && matches!(key.as_str(), "i" | "j" | "c" | "n" | "t") {
        return Some(format!("shortcut:ctrl+shift+{key}"));
    }
    if ctrl
        && !alt
        && matches!(
            key.as_str(),
            "p" | "s" | "u" | "f" | "g" | "n" | "t" | "w" | "r" | "o"
        )
    {
        return Some(format!("shortcut:ctrl+{key}"));
    }
    None
}

/// Installs the lockdown; `report` receives every signal.
pub fn engage(report: impl Fn(Signal) + 'static) -> Lockdown {
    let report = std::rc::Rc::new(report);
    let mut listeners = Vec::new();
    let (Some(window), Some(doc)) = (web_sys::window(), document()) else {
        return Lockdown {
            _listeners: listeners,
        };
    };
    let active = EventListenerOptions::enable_prevent_default();

    let r = report.clone();
    listeners.push(EventListener::new(&window, "blur", move |_| {
        r(Signal::Focus(false))
    }));
    let r = report.clone();
    listeners.push(EventListener::new(&window, "focus", move |_| {
        r(Signal::Focus(true))
    }));
    let r = report.clone();
    listeners.push(EventListener::new(&doc, "visibilitychange", move |_| {
        r(Signal::Focus(has_focus()))
    }));
    let r = report.clone();
    listeners.push(EventListener::new(&doc, "fullscreenchange", move |_| {
        r(Signal::Fullscreen(is_fullscreen()))
    }));
    if let Ok(screen) = window.screen() {
        let r = report.clone();
        listeners.push(EventListener::new(&screen, "change", move |_| {
            r(Signal::Screens(is_extended()))
        }));
    }
    // The state at engagement: a screen plugged in before the start counts.
    report(Signal::Screens(is_extended()));

    for (kind, name) in [
        ("contextmenu", "contextmenu"),
        ("dragstart", "drag"),
        ("drop", "drop"),
    ] {
        let r = report.clone();
        listeners.push(EventListener::new_with_options(
            &doc,
            kind,
            active,
            move |e| {
                e.prevent_default();
                r(Signal::Blocked(name.into()));
            },
        ));
    }
    for kind in ["copy", "cut", "paste"] {
        let r = report.clone();
        listeners.push(EventListener::new_with_options(
            &doc,
            kind,
            active,
            move |e| {
                if !in_answer_field(e) {
                    e.prevent_default();
                    r(Signal::Blocked(kind.into()));
                }
            },
        ));
    }
    let r = report.clone();
    listeners.push(EventListener::new(&window, "beforeprint", move |_| {
        r(Signal::Blocked("print".into()))
    }));
    let r = report.clone();
    listeners.push(EventListener::new_with_options(
        &window,
        "keydown",
        active,
        move |e| {
            let Some(k) = e.dyn_ref::<KeyboardEvent>() else {
                return;
            };
            let ctrl = k.ctrl_key() || k.meta_key();
            if let Some(name) = blocked_shortcut(&k.key(), ctrl, k.shift_key(), k.alt_key()) {
                e.prevent_default();
                r(Signal::Blocked(name));
            }
        },
    ));
    listeners.push(EventListener::new_with_options(
        &window,
        "beforeunload",
        active,
        move |e| {
            e.prevent_default();
            if let Some(b) = e.dyn_ref::<web_sys::BeforeUnloadEvent>() {
                b.set_return_value("Vigil");
            }
        },
    ));
    Lockdown {
        _listeners: listeners,
    }
}

#[cfg(test)]
mod tests {
    use super::blocked_shortcut;

    #[test]
    fn shortcuts_that_are_blocked_and_those_that_are_not() {
        assert_eq!(
            blocked_shortcut("p", true, false, false).as_deref(),
            Some("shortcut:ctrl+p")
        );
        assert_eq!(
            blocked_shortcut("P", true, false, false).as_deref(),
            Some("shortcut:ctrl+p")
        );
        assert_eq!(
            blocked_shortcut("I", true, true, false).as_deref(),
            Some("shortcut:ctrl+shift+i")
        );
        assert_eq!(
            blocked_shortcut("F12", false, false, false).as_deref(),
            Some("shortcut:f12")
        );
        // Typing, and copy/paste keys (handled as clipboard events), pass.
        assert_eq!(blocked_shortcut("p", false, false, false), None);
        assert_eq!(blocked_shortcut("c", true, false, false), None);
        assert_eq!(blocked_shortcut("v", true, false, false), None);
        assert_eq!(blocked_shortcut("a", true, false, false), None);
    }
}
