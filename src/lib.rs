//! vigil-app: the candidate's side of Vigil, a Yew app compiled to wasm32.
//!
//! Layout (see DESIGN.md): [`app`] routes between [`screens`] from the pure
//! [`state`] reducer; [`components`] are the shared pieces; [`browser`] holds
//! every web-sys/js-sys/gloo call; [`checks`] and [`i18n`] are pure and
//! tested natively.

pub mod app;
pub mod browser;
pub mod checks;
pub mod components;
pub mod i18n;
pub mod package;
pub mod screens;
pub mod session;
pub mod state;
pub mod sync;

/// Mounts the app on `<body>` (after picking up the kiosk launcher's config
/// key and link, if any).
pub fn run() {
    browser::api::set_config_key(browser::dom::config_key_from_fragment());
    browser::kiosk::init_from_fragment();
    browser::dom::register_service_worker();
    yew::Renderer::<app::App>::new().render();
}
