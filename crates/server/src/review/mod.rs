//! Proctor review: accounts, cookie login, and server-rendered pages.
//!
//! Proctors are created on the command line (`vigil-server proctor add
//! --session S NAME`, which prints a generated password, stored as argon2)
//! and see only the sessions assigned to them. They log in at
//! `/review/login`; the server answers with a random login cookie
//! (`vigil_review`, HttpOnly, Secure, SameSite=Strict, path `/review`) whose
//! SHA-256 it keeps, like candidate tokens. Pages are plain HTML rendered
//! with maud, no script: the sessions, a session's attempts with state,
//! flags and incident counts, an attempt's dossier (ID and face photos side
//! by side, the room scan, incidents with their evidence stills, periods
//! away from the exam, blocked actions, checks and kiosk report, flags, the
//! hash-chain verification and the sync history, the timeline), a
//! reviewer's decision (valid / incident report, with a comment, kept as a
//! history), the printable incident report in French, and the results CSV.
//! Refusals are HTML pages with the usual status (401 not logged in, 403
//! not your session, 404 unknown).
//!
//! Split by what a request is about; this file holds the router and what
//! every page shares (the page shell, [`PageError`], the stylesheets):
//!
//! - `auth.rs` — proctor accounts, login and logout, the login cookie, the
//!   CSRF token, and who may see which session or attempt;
//! - `pages.rs` — the sessions list, a session's attempts and results CSV,
//!   an attempt's dossier and the reviewer's decision;
//! - `report.rs` — the printable incident report (procès-verbal), in French;
//! - `media.rs` — an attempt's photos, room scan and stills, to its proctors.
//!
//! The stylesheets are static files (`crates/server/static/review.css` and
//! `report.css`), compiled in with `include_str!` and served at
//! [`STYLESHEET_URL`] and [`REPORT_STYLESHEET_URL`] with `text/css` and a
//! day of caching. The pages link them, and the review CSP allows styles
//! from the origin only (`style-src 'self'`): no inline style, so no hash
//! to keep in step with it (the report's own inline style, which the old
//! hash did not cover, was refused by browsers).

mod auth;
mod media;
mod pages;
mod report;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup, DOCTYPE};

pub use auth::{
    add_proctor, new_password, Csrf, LoginForm, LogoutForm, Proctor, COOKIE, LOGIN_TTL_MS,
};
pub use pages::{DecisionForm, MAX_COMMENT};

use crate::AppState;

/// URL of the review pages' stylesheet: under `/review`, so the review CSP
/// applies, and no login is needed (the login page is styled too). The
/// routes below serve it; a test fetches it from here.
pub const STYLESHEET_URL: &str = "/review/static/review.css";
/// URL of the incident report's stylesheet (print layout).
pub const REPORT_STYLESHEET_URL: &str = "/review/static/report.css";
/// The review pages' stylesheet.
pub const CSS: &str = include_str!("../../static/review.css");
/// The incident report's stylesheet.
pub const REPORT_CSS: &str = include_str!("../../static/report.css");
/// `Cache-Control` of the stylesheets: a day; they change only with the
/// server's version.
pub const STYLESHEET_CACHE: &str = "public, max-age=86400";

/// The `/review` routes (nested by [`crate::api::router`]).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::index))
        .route("/login", get(auth::login_form).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/sessions/{id}", get(pages::session_page))
        .route("/sessions/{id}/results.csv", get(pages::results_csv))
        .route("/attempts/{id}", get(pages::attempt_page))
        .route("/attempts/{id}/decision", post(pages::decide))
        .route("/attempts/{id}/report", get(report::report_page))
        .route("/attempts/{id}/media/{sha}", get(media::attempt_media))
        .route("/static/review.css", get(|| stylesheet(CSS)))
        .route("/static/report.css", get(|| stylesheet(REPORT_CSS)))
        .layer(DefaultBodyLimit::max(4 * 1024))
}

/// A stylesheet response: `text/css`, cached for [`STYLESHEET_CACHE`].
async fn stylesheet(css: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, STYLESHEET_CACHE),
        ],
        css,
    )
        .into_response()
}

/// A refusal or failure, rendered as a small HTML page.
#[derive(Debug)]
pub struct PageError {
    status: StatusCode,
    message: String,
}

impl PageError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
    fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal server error")
    }
}

impl From<sqlx::Error> for PageError {
    fn from(e: sqlx::Error) -> Self {
        Self::internal(e)
    }
}

impl From<anyhow::Error> for PageError {
    fn from(e: anyhow::Error) -> Self {
        Self::internal(format!("{e:#}"))
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let login = self.status == StatusCode::UNAUTHORIZED;
        let body = page(
            "Vigil — error",
            html! {
                p.error { (self.message) }
                @if login { p { a href="/review/login" { "Log in" } } }
            },
        );
        (self.status, body).into_response()
    }
}

fn page(title: &str, content: Markup) -> Html<String> {
    Html(
        html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    title { (title) }
                    link rel="stylesheet" href=(STYLESHEET_URL);
                }
                body { h1 { (title) } (content) }
            }
        }
        .into_string(),
    )
}
