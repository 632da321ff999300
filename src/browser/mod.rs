//! Every call into the browser (web-sys, js-sys, gloo) lives under this
//! module, as in lldap's `infra/`: screens and components call these typed
//! functions and never touch the DOM APIs themselves, so the browser
//! surface of the app can be read (and audited) in one place.

pub mod api;
pub mod app_loader;
#[cfg(feature = "bench")]
pub mod bench;
pub mod camera;
pub mod capabilities;
pub mod clock;
pub mod dom;
pub mod download;
pub mod idb;
pub mod kiosk;
pub mod lockdown;
pub mod microphone;
pub mod network;
pub mod recorder;
pub mod timer;
pub mod vision;
