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

/// The kiosk launcher's config key from the page URL's fragment
/// (`#vigil-config-key=…`), if the app was opened by the launcher.
pub fn config_key_from_fragment() -> Option<String> {
    let hash = web_sys::window()?.location().hash().ok()?;
    parse_config_key(&hash)
}

/// `#a=b&vigil-config-key=KEY` → `KEY` (64 hex characters, else `None`).
pub fn parse_config_key(fragment: &str) -> Option<String> {
    fragment
        .trim_start_matches('#')
        .split('&')
        .find_map(|kv| {
            kv.strip_prefix(vigil_api::CONFIG_KEY_FRAGMENT)?
                .strip_prefix('=')
        })
        .filter(|k| k.len() == 64 && k.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_ascii_lowercase)
}

/// Opens or closes the review screen once IndexedDB remembers it (`then`
/// switches the screen), so a reload or a new browser after a crash comes
/// back to the screen the candidate saw. Not an engine event: it changes
/// nothing of the attempt, and storage refusing the write only loses this
/// convenience (the screen still changes).
pub fn show_review(open: bool, then: impl FnOnce() + 'static) {
    wasm_bindgen_futures::spawn_local(async move {
        let _ = super::idb::save_review_open(open).await;
        then();
    });
}

/// Forgets that the review was open (the exam is over), in the background.
pub fn forget_review() {
    show_review(false, || ());
}

/// Whether the review screen was on show before the reload or the crash.
pub async fn review_was_open() -> bool {
    super::idb::load_review_open().await.unwrap_or(false)
}

/// For a click delegated to a container: the `attr` of the nearest enabled
/// element carrying it, from the clicked element up.
pub fn clicked_attribute(e: &web_sys::MouseEvent, attr: &str) -> Option<String> {
    use wasm_bindgen::JsCast;
    let target = e.target()?.dyn_into::<web_sys::Element>().ok()?;
    let el = target
        .closest(&format!("[{attr}]:not([disabled])"))
        .ok()??;
    el.get_attribute(attr)
}

/// Registers the service worker (`/sw.js`, see `static/sw.js`) that keeps
/// the app shell for opening with no network. Best effort: a browser
/// without service workers (or a private window refusing them) still runs
/// the app, online.
pub fn register_service_worker() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let navigator = window.navigator();
    let has = js_sys::Reflect::has(&navigator, &"serviceWorker".into()).unwrap_or(false);
    if has {
        let _ = navigator.service_worker().register("/sw.js");
    }
}

#[cfg(test)]
mod tests {
    use super::parse_config_key;

    #[test]
    fn reads_the_key_from_the_fragment() {
        let key = "ab".repeat(32);
        assert_eq!(
            parse_config_key(&format!("#vigil-config-key={key}")),
            Some(key.clone())
        );
        assert_eq!(
            parse_config_key(&format!("#x=1&vigil-config-key={key}")),
            Some(key.clone())
        );
        assert_eq!(parse_config_key("#vigil-config-key=short"), None);
        assert_eq!(parse_config_key(""), None);
        assert_eq!(parse_config_key(&format!("#other={key}")), None);
    }
}
