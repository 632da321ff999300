//! Proctor review: accounts, cookie login, and server-rendered pages.
//!
//! Proctors are created on the command line (`vigil-server proctor add
//! --session S NAME`, which prints a generated password, stored as argon2)
//! and see only the sessions assigned to them. They log in at
//! `/review/login`; the server answers with a random login cookie
//! (`vigil_review`, HttpOnly, Secure, SameSite=Strict, path `/review`) whose
//! SHA-256 it keeps, like candidate tokens. Pages are plain HTML rendered
//! with maud, no script: the sessions, a session's attempts with state,
//! flags and incident counts, an attempt's event timeline with the result
//! of the hash-chain verification, and the results CSV. Refusals are HTML
//! pages with the usual status (401 not logged in, 403 not your session,
//! 404 unknown).

use axum::extract::{DefaultBodyLimit, Form, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use maud::{html, Markup, DOCTYPE};
use serde::Deserialize;

use crate::auth::{new_token, token_hash, CodeHashing};
use crate::db::Db;
use crate::results::{self, rfc3339};
use crate::AppState;

/// Name of the login cookie.
pub const COOKIE: &str = "vigil_review";
/// How long a proctor login lasts.
pub const LOGIN_TTL_MS: i64 = 12 * 3600 * 1000;
/// Longest name or password considered at all.
const MAX_INPUT: usize = 128;

/// The `/review` routes (nested by [`crate::api::router`]).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/login", get(login_form).post(login))
        .route("/sessions/{id}", get(session_page))
        .route("/sessions/{id}/results.csv", get(results_csv))
        .route("/attempts/{id}", get(attempt_page))
        .layer(DefaultBodyLimit::max(4 * 1024))
}

/// A new proctor password: four groups of four characters of the access
/// code alphabet (~80 bits), checked like codes (no case, dashes ignored).
pub fn new_password() -> String {
    (0..4)
        .map(|_| crate::auth::new_access_code().replace('-', "")[..4].to_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// `proctor add`: creates the account (with a new password, returned) or,
/// when the name exists, only assigns the session (`None`).
pub async fn add_proctor(
    db: &Db,
    hashing: &CodeHashing,
    session_id: &str,
    name: &str,
    now: i64,
) -> anyhow::Result<Option<String>> {
    anyhow::ensure!(
        !name.is_empty() && name.len() <= MAX_INPUT && !name.chars().any(char::is_control),
        "a proctor name has 1 to {MAX_INPUT} printable characters"
    );
    anyhow::ensure!(
        db.session(session_id).await?.is_some(),
        "no session {session_id:?}"
    );
    let password = new_password();
    let created = db
        .add_proctor(name, &hashing.hash(&password), session_id, now)
        .await?;
    Ok(created.then_some(password))
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
                    style { (CSS) }
                }
                body { h1 { (title) } (content) }
            }
        }
        .into_string(),
    )
}

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}\
table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:.25rem .5rem;\
text-align:left}.error{color:#a00}.ok{color:#070}.flag{color:#a00;font-weight:bold}";

/// The logged-in proctor of a request (from the login cookie).
pub struct Proctor(pub String);

impl FromRequestParts<AppState> for Proctor {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let Some(token) = cookie(&parts.headers, COOKIE) else {
            return Err(PageError::new(StatusCode::UNAUTHORIZED, "please log in"));
        };
        let now = state.clock.now_ms();
        match state.db.proctor_for_login(&token_hash(token), now).await? {
            Some(name) => Ok(Proctor(name)),
            None => Err(PageError::new(
                StatusCode::UNAUTHORIZED,
                "your login has expired: please log in again",
            )),
        }
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == name && !v.is_empty()).then_some(v)
        })
}

impl Proctor {
    /// 403 unless the session is assigned to this proctor (unknown sessions
    /// get the same answer, so ids cannot be probed).
    async fn check(&self, db: &Db, session_id: &str) -> Result<(), PageError> {
        if db
            .proctor_sessions(&self.0)
            .await?
            .iter()
            .any(|s| s == session_id)
        {
            Ok(())
        } else {
            Err(PageError::new(
                StatusCode::FORBIDDEN,
                "this session is not assigned to you",
            ))
        }
    }
}

fn login_page(error: Option<&str>) -> Html<String> {
    page(
        "Vigil — proctor login",
        html! {
            @if let Some(e) = error { p.error { (e) } }
            form method="post" action="/review/login" {
                p { label { "Name " input name="name" required autocomplete="username"; } }
                p { label { "Password " input name="password" type="password" required
                    autocomplete="current-password"; } }
                p { button type="submit" { "Log in" } }
            }
        },
    )
}

async fn login_form() -> Html<String> {
    login_page(None)
}

#[derive(Deserialize)]
pub struct LoginForm {
    name: String,
    password: String,
}

async fn login(State(state): State<AppState>, Form(form): Form<LoginForm>) -> Response {
    match check_login(&state, &form).await {
        Ok(Some(cookie)) => {
            ([(header::SET_COOKIE, cookie)], Redirect::to("/review")).into_response()
        }
        Ok(None) => (
            StatusCode::UNAUTHORIZED,
            login_page(Some("wrong name or password")),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

/// The `Set-Cookie` value of a successful login, `None` for bad credentials.
async fn check_login(state: &AppState, form: &LoginForm) -> Result<Option<String>, PageError> {
    if form.name.len() > MAX_INPUT || form.password.len() > MAX_INPUT {
        return Ok(None);
    }
    let stored = state.db.proctor_password_hash(&form.name).await?;
    let Some(stored) = stored else {
        state.hashing.verify_dummy(&form.password);
        return Ok(None);
    };
    if !state.hashing.verify(&form.password, &stored) {
        return Ok(None);
    }
    let token = new_token();
    let now = state.clock.now_ms();
    state
        .db
        .insert_proctor_login(&token_hash(&token), &form.name, now + LOGIN_TTL_MS)
        .await?;
    Ok(Some(format!(
        "{COOKIE}={token}; Path=/review; HttpOnly; Secure; SameSite=Strict; Max-Age={}",
        LOGIN_TTL_MS / 1000
    )))
}

async fn index(State(state): State<AppState>, proctor: Proctor) -> Result<Html<String>, PageError> {
    let sessions = state.db.proctor_sessions(&proctor.0).await?;
    Ok(page(
        "Vigil — your sessions",
        html! {
            p { "Logged in as " (proctor.0) }
            ul { @for s in &sessions { li { a href={ "/review/sessions/" (s) } { (s) } } } }
        },
    ))
}

async fn session_page(
    State(state): State<AppState>,
    proctor: Proctor,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    proctor.check(&state.db, &id).await?;
    let r = results::session_results(&state.db, &id).await?;
    Ok(page(
        &format!("Session {id}"),
        html! {
            p { "Exam: " (r.exam.title) " — " a href={ "/review/sessions/" (id) "/results.csv" }
                { "results (CSV)" } }
            table {
                tr { th { "Candidate" } th { "State" } th { "Started" } th { "Submitted" }
                     th { "Incidents" } th { "Flags" } th { "Points" } }
                @for row in &r.rows {
                    tr {
                        td { a href={ "/review/attempts/" (row.attempt) } { (row.candidate) } }
                        td { (row.state) }
                        td { (row.started_at.map(rfc3339).unwrap_or_default()) }
                        td { (row.submitted_at.map(rfc3339).unwrap_or_default()) }
                        td { (row.incidents) }
                        td.flag { (row.flags.join(" ")) }
                        td { @if let Some(s) = &row.score {
                            (s.total.points) " / " (s.total.max_points) } }
                    }
                }
            }
        },
    ))
}

async fn results_csv(
    State(state): State<AppState>,
    proctor: Proctor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    proctor.check(&state.db, &id).await?;
    let csv = results::session_results(&state.db, &id).await?.to_csv();
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"results-{id}.csv\""),
            ),
        ],
        csv,
    )
        .into_response())
}

async fn attempt_page(
    State(state): State<AppState>,
    proctor: Proctor,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    let attempt = state.db.attempt(&id).await?;
    // An unknown attempt and another session's attempt look the same.
    let Some(attempt) = attempt else {
        return Err(PageError::new(
            StatusCode::FORBIDDEN,
            "this attempt is not yours to review",
        ));
    };
    proctor.check(&state.db, &attempt.session_id).await?;
    let events = state.db.events(&attempt.id).await?;
    let flags = state.db.flags(&attempt.id).await?;
    let chain = vigil_exam::log::verify(&events);
    Ok(page(
        &format!("Attempt of {}", attempt.candidate_id),
        html! {
            p { "Session " a href={ "/review/sessions/" (attempt.session_id) }
                { (attempt.session_id) } " — state " strong { (attempt.state) } }
            @match &chain {
                Ok(()) => p.ok.chain { "Hash chain verified: " (events.len()) " events, intact." },
                Err(e) => p.error.chain { "Hash chain broken: " (e) },
            }
            h2 { "Flags" }
            @if flags.is_empty() { p { "None." } }
            ul { @for f in &flags { li.flag { (rfc3339(f.at)) " " (f.kind) ": " (f.detail) } } }
            h2 { "Timeline" }
            table {
                tr { th { "Seq" } th { "Time (device)" } th { "Event" } }
                @for e in &events {
                    tr { td { (e.seq) } td { (rfc3339(e.at)) } td { (e.kind.name()) } }
                }
            }
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_and_cookies() {
        let p = new_password();
        assert_eq!(p.len(), 19);
        assert_eq!(p.matches('-').count(), 3);
        assert_ne!(new_password(), p);
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, "a=1; vigil_review=tok".parse().unwrap());
        assert_eq!(cookie(&h, COOKIE), Some("tok"));
        assert_eq!(cookie(&h, "b"), None);
        h.insert(header::COOKIE, "vigil_review=".parse().unwrap());
        assert_eq!(cookie(&h, COOKIE), None);
    }
}
