//! The HTTP surface: the candidate JSON API under `/api`, the proctor pages
//! under `/review` (see [`crate::review`]), and the built web
//! app (`dist/`) for every other path, with `index.html` as the fallback so
//! a reload on any app URL opens the app.

mod candidate;
pub mod media;
mod start;
mod sync;
mod system;

pub use candidate::{token_expiry, MAX_ID_LEN};
pub use media::store_verified;
pub use sync::{ingest, FUTURE_TOLERANCE_MS, MAX_BATCH_EVENTS, SYNC_BODY_LIMIT, SYNC_PAUSE_MS};
pub use system::OPENAPI;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use axum::Router;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::trace::TraceLayer;

use crate::{ApiError, AppState};

/// Largest JSON body the candidate API takes on routes without a limit of
/// their own (login, start). Sync routes set theirs: [`SYNC_BODY_LIMIT`]
/// for events, [`crate::media::MAX_MEDIA_BYTES`] (streamed) for media.
pub const DEFAULT_BODY_LIMIT: usize = 16 * 1024;

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/health", get(system::health))
        .route("/time", get(system::time))
        .route("/probe", get(system::probe))
        .route("/openapi.json", get(system::openapi))
        .route("/login", post(candidate::login))
        .route("/logout", post(candidate::logout))
        .route("/attempt", get(candidate::attempt))
        .route("/attempt/package", get(start::get_package))
        .route("/attempt/start", post(start::start))
        .route("/attempt/questions", post(start::questions))
        .route(
            "/attempt/events",
            post(sync::post_events).layer(DefaultBodyLimit::max(SYNC_BODY_LIMIT)),
        )
        .route(
            "/attempt/media/{sha256}",
            // Streamed to disk and limited by the handler itself.
            put(media::put_media).layer(DefaultBodyLimit::disable()),
        )
        .fallback(api_not_found)
        .layer(DefaultBodyLimit::max(DEFAULT_BODY_LIMIT));

    let mut app = Router::new()
        .nest("/api", api)
        .nest("/review", crate::review::router());
    if let Some(dir) = &state.static_dir {
        let index = dir.join("index.html");
        app = app.fallback_service(ServeDir::new(dir).fallback(ServeFile::new(index)));
    }
    let policies = crate::harden::Policies::new(state.static_dir.as_deref());
    crate::harden::harden(
        app.layer(TraceLayer::new_for_http()).with_state(state),
        policies,
    )
}

async fn api_not_found() -> ApiError {
    ApiError::not_found("no such API route")
}
