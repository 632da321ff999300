//! vigil-server: the service that hands out exams and receives attempts.
//!
//! Shaped after axum's `examples/testing`: [`app`] builds the whole
//! [`Router`] from an [`AppState`], so tests drive it with `oneshot` and no
//! socket. The command line's work is here too ([`ops`], one function per
//! command), so `main.rs` only parses arguments and prints what they return.
//! Storage lives behind [`db::Db`]; time behind [`clock::Clock`], so every
//! rule that depends on "now" is testable with a fixed clock.

pub mod api;
pub mod auth;
pub mod blobs;
pub mod clock;
pub mod copies;
pub mod db;
pub mod demo;
pub mod dossier;
pub mod error;
pub mod flags;
pub mod harden;
pub mod kiosk;
pub mod listen;
pub mod mail;
pub mod media;
pub mod ops;
pub mod package;
pub mod precheck;
pub mod quota;
pub mod rate;
pub mod results;
pub mod review;
pub mod roster;
pub mod sanctions;
pub mod spreadsheet;
pub mod time;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;

pub use error::ApiError;

/// Everything a request handler may need. Cheap to clone (all shared).
#[derive(Clone)]
pub struct AppState {
    pub db: db::Db,
    pub clock: Arc<dyn clock::Clock>,
    /// Folder holding the built web app (`dist/`), served for every path
    /// that is not `/api/...`. `None` serves the API alone.
    pub static_dir: Option<PathBuf>,
    /// Cost of hashing access codes; tests lower it, production keeps the
    /// argon2 defaults.
    pub hashing: auth::CodeHashing,
    /// Local folder of the media uploads in progress (`partial/`, see
    /// [`media`]); also the blob store when [`AppState::blobs`] is a folder.
    /// The CLI defaults it to `media/` beside the database file.
    pub media_dir: PathBuf,
    /// Where verified blobs are kept: the media folder, or an S3-compatible
    /// bucket ([`blobs`]).
    pub blobs: blobs::BlobStore,
    /// Media uploads in progress in this process.
    pub uploads: media::Uploads,
    /// Per-token and per-login rate limits ([`rate`]), on the same clock
    /// as [`AppState::clock`].
    pub limits: rate::Limiter,
    /// Per-attempt storage quotas ([`quota`]).
    pub quotas: quota::Quotas,
}

/// The whole HTTP service: the JSON API under `/api`, the proctors' pages
/// under `/review`, and the web app.
pub fn app(state: AppState) -> Router {
    api::router(state)
}
