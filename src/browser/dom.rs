//! Small DOM helpers: reading form fields and setting the document language.

use wasm_bindgen::JsCast;
use web_sys::{EventTarget, HtmlInputElement};

/// The value of the `<input>` an input event came from.
pub fn input_value(target: Option<EventTarget>) -> String {
    target
        .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
        .map(|i| i.value())
        .unwrap_or_default()
}

/// `<html lang=…>`, so screen readers read the page in the right language.
pub fn set_document_lang(code: &str) {
    if let Some(html) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = html.set_attribute("lang", code);
    }
}

/// Whether the checkbox a change event came from is now checked.
pub fn checkbox_checked(target: Option<EventTarget>) -> bool {
    target
        .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
        .is_some_and(|i| i.checked())
}

/// Asks for fullscreen on the whole page (must run in a click handler).
/// A refusal is not an error here: lockdown records fullscreen state.
pub fn request_fullscreen() {
    if let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = el.request_fullscreen();
    }
}
