//! vigil-app: the candidate's side of Vigil, a Yew app compiled to wasm32.
//!
//! Layout (see docs/architecture.md): [`app`] composes the custom
//! [`hooks`] and shows the screen [`route`] picks from the pure [`state`]
//! reducer; the attempt lives in one place, the [`store`]; [`screens`] and
//! [`components`] are the views; [`problem`] types what a candidate can be
//! told went wrong; [`browser`] holds every web-sys/js-sys/gloo call;
//! [`checks`], [`i18n`], [`proctoring`] and [`sync`]'s counting are pure
//! and tested natively.

pub mod app;
pub mod boot;
pub mod browser;
pub mod checks;
pub mod components;
pub mod copy;
pub mod face_match;
pub mod head_turn;
pub mod hooks;
pub mod i18n;
pub mod live_checks;
pub mod problem;
pub mod proctoring;
pub mod route;
pub mod screens;
pub mod session;
pub mod state;
pub mod store;
pub mod sync;
pub mod voice;

/// Mounts the app on `<body>` (after picking up the kiosk launcher's config
/// key and link, if any, and what the [`boot`] handed over, if it loaded
/// the app).
pub fn run() {
    browser::api::set_config_key(browser::dom::config_key_from_fragment());
    browser::kiosk::init_from_fragment();
    browser::dom::register_service_worker();
    let handover = browser::app_loader::take_handover()
        .as_deref()
        .and_then(boot::Handover::parse);
    yew::Renderer::<app::App>::with_props(app::Props { handover }).render();
}
