//! vigil-kiosk: the launcher of kiosk deployments. It checks the machine
//! (extra displays, virtual machine, screen-sharing and remote-control
//! programs), starts a locked Chromium on one exam URL with a fresh,
//! throw-away profile, keeps checking during the exam, and passes the app a
//! config key (the hash of its settings) that the server can require per
//! session. See README.md, "Kiosk deployments", for what is locked, what is
//! only detected, and what the key proves.
//!
//! The modules are ordered from pure to effectful: [`config`] (settings and
//! key), [`checks`] (verdicts from facts), [`facts`] (the machine, behind a
//! trait), [`browser`] (profile and command line), [`link`] (the loopback
//! channel to the app: report in, "all sent" out), [`run`] (the process).
//! The threat notes of the launcher ↔ app link and of the profile's
//! lifetime are in this crate's README.md.

pub mod browser;
pub mod checks;
pub mod config;
pub mod facts;
pub mod link;
pub mod run;
