//! vigil-contracts: the one source of truth for every message that crosses
//! a process or a worker boundary in Vigil.
//!
//! - [`kiosk`]: the local link between the kiosk launcher (`vigil-kiosk`, a
//!   native program) and the exam app running in the browser it started:
//!   the launcher's machine report the app reads, the sync status the app
//!   posts, the link's error bodies, and the names of its routes.
//! - [`vision`]: the messages between the page (`src/browser/vision.rs`)
//!   and the vision Web Worker (`crates/vision-worker`): every request the
//!   page posts and every answer the worker posts back.
//!
//! Both ends of each channel are built from this repository and depend on
//! this crate, so a field renamed on one side fails to compile on the other
//! instead of failing silently at run time (a status the launcher cannot
//! parse keeps a profile it should wipe; an answer the page cannot parse
//! leaves the face checks "could not start").
//!
//! Why a crate of its own, and not `vigil-api` (the HTTP bodies): that one
//! depends on the exam engine. The vision worker is a wasm module every
//! candidate downloads and the kiosk launcher a native program that knows
//! nothing of exams; both depend on this crate without pulling the engine.
//! So it holds plain serde types and constants, depends on `serde` alone,
//! and never on `vigil-exam`: where the app records a message in the log
//! (the machine report, a frame's faces), it converts it into the engine's
//! own type on its side.
//!
//! Every type's wire form is pinned by a JSON literal in `tests/`: a renamed
//! field fails a test here before it fails in a browser.

pub mod kiosk;
pub mod vision;
