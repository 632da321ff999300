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
//! history), the printable incident report in French, and the results CSV. Refusals are HTML
//! pages with the usual status (401 not logged in, 403 not your session,
//! 404 unknown).

use axum::extract::{DefaultBodyLimit, Form, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup, DOCTYPE};
use serde::Deserialize;

use crate::auth::{new_token, token_hash, CodeHashing};
use crate::db::{AttemptRow, Db};
use crate::dossier::{self, AwayKind, Dossier};
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
        .route("/logout", post(logout))
        .route("/sessions/{id}", get(session_page))
        .route("/sessions/{id}/results.csv", get(results_csv))
        .route("/attempts/{id}", get(attempt_page))
        .route("/attempts/{id}/decision", post(decide))
        .route("/attempts/{id}/report", get(report_page))
        .route("/attempts/{id}/media/{sha}", get(attempt_media))
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

/// The review pages' one stylesheet (inline; the CSP names its hash).
pub const CSS: &str = "body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}\
table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:.25rem .5rem;\
text-align:left}.error{color:#a00}.ok{color:#070}.flag{color:#a00;font-weight:bold}\
.pair{display:flex;gap:1rem}.pair figure{margin:0;flex:1;max-width:24rem}\
.pair img{width:100%}img.still{width:8rem}video{max-width:32rem}";

/// The logged-in proctor of a request (from the login cookie): the name,
/// and the form token that proves a POST came from one of our pages.
pub struct Proctor(pub String, pub Csrf);

/// The CSRF token of a login: `hex(SHA-256("vigil-csrf\n" ‖ cookie))`.
/// Derived from the cookie, which another site cannot read, so it needs no
/// storage; every form carries it in a hidden `csrf` field, and every POST
/// checks it (beside SameSite=Strict and the `Origin` check).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Csrf(pub String);

impl Csrf {
    /// The token of the login whose cookie value is `token`.
    pub fn of_cookie(token: &str) -> Csrf {
        Csrf(token_hash(&format!("vigil-csrf\n{token}")))
    }

    /// 403 unless `sent` is this token.
    fn check(&self, sent: &str) -> Result<(), PageError> {
        if sent.as_bytes() == self.0.as_bytes() {
            Ok(())
        } else {
            Err(PageError::new(
                StatusCode::FORBIDDEN,
                "this form is out of date or did not come from a review page: reload the page \
                 and try again",
            ))
        }
    }

    /// The hidden field every form of the review pages carries.
    fn field(&self) -> Markup {
        html! { input type="hidden" name="csrf" value=(self.0); }
    }
}

/// A logged-in form POST that came from one of our pages: the same origin
/// (or none said) and the login's CSRF token.
fn genuine_post(proctor: &Proctor, headers: &HeaderMap, csrf: &str) -> Result<(), PageError> {
    same_origin(headers)?;
    proctor.1.check(csrf)
}

/// 403 when a POST's `Origin` names another site (a browser sends it on
/// every cross-origin POST). Its absence is a non-browser client, and
/// `null` is what a browser sends for our own forms under
/// `Referrer-Policy: no-referrer` (the Fetch standard serializes the
/// origin as `null` then): both are left to the CSRF token, which every
/// logged-in form carries.
fn same_origin(headers: &HeaderMap) -> Result<(), PageError> {
    let Some(origin) = headers
        .get(header::ORIGIN)
        .filter(|o| o.as_bytes() != b"null")
    else {
        return Ok(());
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin_host = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, rest)| rest);
    match (origin_host, host) {
        (Some(o), Some(h)) if o.eq_ignore_ascii_case(h) => Ok(()),
        _ => Err(PageError::new(
            StatusCode::FORBIDDEN,
            "cross-site form submissions are refused",
        )),
    }
}

impl FromRequestParts<AppState> for Proctor {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let Some(token) = cookie(&parts.headers, COOKIE) else {
            return Err(PageError::new(StatusCode::UNAUTHORIZED, "please log in"));
        };
        let now = state.clock.now_ms();
        match state.db.proctor_for_login(&token_hash(token), now).await? {
            Some(name) => Ok(Proctor(name, Csrf::of_cookie(token))),
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

async fn login(
    State(state): State<AppState>,
    extensions: axum::http::Extensions,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    if let Err(e) = same_origin(&headers) {
        return e.into_response();
    }
    let now = state.clock.now_ms();
    let address = crate::rate::client_address(&extensions);
    let limited = state
        .limits
        .check(
            &format!("proctor-login-address:{address}"),
            crate::rate::PROCTOR_LOGIN,
            now,
        )
        .and_then(|()| {
            state.limits.check(
                &format!("proctor-login-name:{}", form.name),
                crate::rate::PROCTOR_LOGIN,
                now,
            )
        });
    if let Err(retry_after_s) = limited {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, retry_after_s.to_string())],
            login_page(Some(&format!(
                "too many login attempts: try again in {retry_after_s} s"
            ))),
        )
            .into_response();
    }
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
        state.hashing.spend(&form.password).await;
        return Ok(None);
    };
    if !state.hashing.check(&form.password, &stored).await {
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

#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /review/logout`: ends the login on the server (the cookie's token
/// is deleted, so a copy of the cookie opens nothing) and clears the cookie.
async fn logout(
    State(state): State<AppState>,
    proctor: Proctor,
    headers: HeaderMap,
    Form(form): Form<LogoutForm>,
) -> Result<Response, PageError> {
    genuine_post(&proctor, &headers, &form.csrf)?;
    if let Some(token) = cookie(&headers, COOKIE) {
        state.db.delete_proctor_login(&token_hash(token)).await?;
    }
    let clear = format!("{COOKIE}=; Path=/review; HttpOnly; Secure; SameSite=Strict; Max-Age=0");
    Ok(([(header::SET_COOKIE, clear)], Redirect::to("/review/login")).into_response())
}

async fn index(State(state): State<AppState>, proctor: Proctor) -> Result<Html<String>, PageError> {
    let sessions = state.db.proctor_sessions(&proctor.0).await?;
    Ok(page(
        "Vigil — your sessions",
        html! {
            form method="post" action="/review/logout" {
                "Logged in as " (proctor.0) " " (proctor.1.field())
                button type="submit" data-testid="logout" { "Log out" }
            }
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
    let r = results::session_results(&state.db, &id, state.clock.now_ms()).await?;
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
                        td data-progress=(row.progress.as_str()) { (row.progress.as_str()) }
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
    let csv = results::session_results(&state.db, &id, state.clock.now_ms())
        .await?
        .to_csv();
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

/// The attempt, if this proctor may review it (unknown attempts and other
/// sessions' attempts get the same 403, so ids cannot be probed).
async fn reviewable(
    state: &AppState,
    proctor: &Proctor,
    id: &str,
) -> Result<AttemptRow, PageError> {
    let refused = || PageError::new(StatusCode::FORBIDDEN, "this attempt is not yours to review");
    let attempt = state.db.attempt(id).await?.ok_or_else(refused)?;
    proctor.check(&state.db, &attempt.session_id).await?;
    Ok(attempt)
}

/// `<img>`/`<video>` source of an attempt's media.
fn media_url(attempt: &str, sha: &str) -> String {
    format!("/review/attempts/{attempt}/media/{sha}")
}

/// Longest reviewer comment, in bytes.
pub const MAX_COMMENT: usize = 2_000;

async fn attempt_page(
    State(state): State<AppState>,
    proctor: Proctor,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    let attempt = reviewable(&state, &proctor, &id).await?;
    let events = state.db.events(&attempt.id).await?;
    let flags = state.db.flags(&attempt.id).await?;
    let history = state.db.sync_history(&attempt.id).await?;
    let decisions = state.db.decisions(&attempt.id).await?;
    let chain = vigil_exam::verify_from(&attempt.genesis(), &events);
    let d = Dossier::from_events(&events);
    let end = d.end();
    let progress =
        results::attempt_progress(&state.db, &attempt, &events, state.clock.now_ms()).await?;
    let media = |sha: &str| media_url(&attempt.id, sha);
    Ok(page(
        &format!("Attempt of {}", attempt.candidate_id),
        html! {
            p { "Session " a href={ "/review/sessions/" (attempt.session_id) }
                { (attempt.session_id) } " — " strong data-progress=(progress.as_str()) { (progress.as_str()) }
                " — " a href={ "/review/attempts/" (attempt.id) "/report" }
                { "printable incident report (procès-verbal)" } }
            p data-testid="extra-time" data-extra-time=(attempt.extra_time) {
                "Extra time (tiers-temps): " (if attempt.extra_time { "yes" } else { "no" }) }
            @match &chain {
                Ok(()) => p.ok.chain { "Hash chain verified: " (events.len()) " events, intact." },
                Err(e) => p.error.chain { "Hash chain broken: " (e) },
            }
            h2 { "Identity" }
            div.pair {
                figure { @match &d.id_photo {
                    Some(s) => img src=(media(s)) alt="ID document held to the camera";,
                    None => p { "No ID photo." },
                } figcaption { "ID document" } }
                figure { @match &d.face_photo {
                    Some(s) => img src=(media(s)) alt="Face photo";,
                    None => p { "No face photo." },
                } figcaption { "Face" } }
            }
            p data-testid="face-match" { (dossier::face_match_text(d.face_match.as_ref()))
                " A match score is a reviewer's aid, never a verdict." }
            h3 { "Head turn (both ears shown)" }
            @if d.ears.is_empty() { p { "No head turn recorded." } }
            div.pair {
                @for (side, s, yaw) in &d.ears {
                    figure { img src=(media(s)) alt={ "Head turned " (side_en(*side)) };
                        figcaption { "Turned " (side_en(*side)) ", yaw " (yaw) "°" } }
                }
            }
            p data-testid="questions-opened" { @match (d.started_at, d.questions_opened) {
                (Some(start), Some((at, reason))) => {
                    "Questions opened at " (rfc3339(at)) ", "
                    (dossier::duration_fr(at.saturating_sub(start))) " after the start ("
                    (match reason { vigil_exam::Reason::Manual => "identification complete",
                        vigil_exam::Reason::Timeout => "identification bound reached: steps missing" })
                    ")."
                }
                (_, None) => "The questions never opened.",
                (None, Some((at, _))) => { "Questions opened at " (rfc3339(at)) "." }
            } }
            h2 { "Room scan" }
            @match &d.room_scan {
                Some((s, ms)) => {
                    video controls preload="metadata" src=(media(s)) {}
                    p { (dossier::duration_fr(*ms as i64)) " recorded." }
                }
                None => p { "No room scan." },
            }
            h2 { "Incidents" }
            @if d.incidents.is_empty() { p { "None." } }
            @else {
                table {
                    tr { th { "Incident" } th { "Severity" } th { "From" } th { "Until" } th { "Evidence" } }
                    @for i in &d.incidents {
                        tr {
                            td { (dossier::incident_label_fr(i.kind)) }
                            td { (dossier::severity_fr(i.severity)) }
                            td { (rfc3339(i.opened_at)) }
                            td { (i.closed_at.map(rfc3339).unwrap_or_else(|| "not closed".into())) }
                            td { @if let Some(s) = &i.evidence {
                                img.still src=(media(s)) alt="Evidence still"; } }
                        }
                    }
                }
            }
            h2 { "Attention (window, fullscreen, screens)" }
            @if d.away.is_empty() { p { "Never left the exam." } }
            @else {
                table {
                    tr { th { "What" } th { "From" } th { "Until" } th { "Duration" } }
                    @for a in &d.away {
                        tr { td { (a.what.label_fr()) } td { (rfc3339(a.from)) }
                             td { (a.until.map(rfc3339).unwrap_or_else(|| "end of the log".into())) }
                             td { (dossier::duration_fr(a.duration_ms(end))) } }
                    }
                }
            }
            h2 { "Blocked actions" }
            @if d.blocked.is_empty() { p { "None." } }
            ul { @for (at, action) in &d.blocked { li { (rfc3339(*at)) " " code { (action) } } } }
            h2 { "System check and kiosk" }
            table {
                tr { th { "Check" } th { "Status" } th { "Detail" } }
                @for c in &d.checks { tr { td { (c.item) } td { (format!("{:?}", c.status).to_lowercase()) } td { (c.detail) } } }
                @if let Some(k) = &d.kiosk {
                    @for c in &k.results { tr { td { "kiosk: " (c.item) } td { (format!("{:?}", c.status).to_lowercase()) } td { (c.detail) } } }
                }
            }
            h2 { "Flags" }
            @if flags.is_empty() { p { "None." } }
            ul { @for f in &flags { li.flag { (rfc3339(f.at)) " " (f.kind) ": " (f.detail) } } }
            h2 { "Sync history" }
            table {
                tr { th { "Received" } th { "Events" } }
                @for (at, first, last, n) in &history {
                    tr { td { (rfc3339(*at)) } td { (first) "–" (last) " (" (n) ")" } }
                }
            }
            h2 { "Decision" }
            @for dec in &decisions {
                p.decision { (rfc3339(dec.at)) " " strong { (dec.decision) } " by " (dec.proctor)
                    @if !dec.comment.is_empty() { ": " (dec.comment) } }
            }
            form method="post" action={ "/review/attempts/" (attempt.id) "/decision" } {
                (proctor.1.field())
                p {
                    label { input type="radio" name="decision" value="valid" required; " Valid: nothing to report" } br;
                    label { input type="radio" name="decision" value="incident"; " Incident report" }
                }
                p { label { "Comment " br; textarea name="comment" rows="3" cols="60" maxlength=(MAX_COMMENT) {} } }
                p { button type="submit" { "Record the decision" } }
            }
            h2 { "Timeline" }
            table {
                tr { th { "Seq" } th { "Time (trusted)" } th { "Event" } }
                @for e in &events {
                    tr { td { (e.seq) } td { (rfc3339(e.at)) } td { (e.kind.name()) } }
                }
            }
        },
    ))
}

#[derive(Deserialize)]
pub struct DecisionForm {
    decision: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /review/attempts/{id}/decision`: records the decision, back to the page.
async fn decide(
    State(state): State<AppState>,
    proctor: Proctor,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, PageError> {
    genuine_post(&proctor, &headers, &form.csrf)?;
    let attempt = reviewable(&state, &proctor, &id).await?;
    if !matches!(form.decision.as_str(), "valid" | "incident") {
        return Err(PageError::new(
            StatusCode::BAD_REQUEST,
            format!(
                "decision must be `valid` or `incident`, not {:?}",
                form.decision
            ),
        ));
    }
    let comment = form.comment.trim();
    if comment.len() > MAX_COMMENT
        || comment
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r')
    {
        return Err(PageError::new(
            StatusCode::BAD_REQUEST,
            format!("the comment must be at most {MAX_COMMENT} bytes of text"),
        ));
    }
    state
        .db
        .insert_decision(
            &attempt.id,
            &proctor.0,
            &form.decision,
            comment,
            state.clock.now_ms(),
        )
        .await?;
    Ok(Redirect::to(&format!("/review/attempts/{}", attempt.id)).into_response())
}

/// The media type of a stored blob, from its first bytes: the app stores
/// JPEG photos and WebM room scans.
fn sniff(head: &[u8]) -> &'static str {
    match head {
        [0xFF, 0xD8, 0xFF, ..] => "image/jpeg",
        [0x1A, 0x45, 0xDF, 0xA3, ..] => "video/webm",
        [0x89, b'P', b'N', b'G', ..] => "image/png",
        _ => "application/octet-stream",
    }
}

/// `GET /review/attempts/{id}/media/{sha}`: a photo, scan or still the
/// attempt uploaded, to a proctor of its session.
async fn attempt_media(
    State(state): State<AppState>,
    proctor: Proctor,
    Path((id, sha)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let attempt = reviewable(&state, &proctor, &id).await?;
    let not_here = || {
        PageError::new(
            StatusCode::NOT_FOUND,
            "this attempt has no such media (not synced yet?)",
        )
    };
    if !crate::media::is_sha256_hex(&sha) {
        return Err(not_here());
    }
    if state.db.media_size(&attempt.id, &sha).await?.is_none() {
        return Err(not_here());
    }
    let bytes = match state.blobs.read(&sha).await {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return Err(not_here()),
        Err(e) => {
            tracing::error!(%e, "media unreadable");
            return Err(PageError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the media store cannot be read just now; try again",
            ));
        }
    };
    let kind = sniff(&bytes);
    Ok((
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "private, max-age=3600"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        bytes,
    )
        .into_response())
}

/// `GET /review/attempts/{id}/report`: the printable incident report
/// ("procès-verbal d'incident"), in French: who, what exam, the facts with
/// their times and stills, the checks, the chain, the decisions, and
/// signature lines.
async fn report_page(
    State(state): State<AppState>,
    proctor: Proctor,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    let attempt = reviewable(&state, &proctor, &id).await?;
    let events = state.db.events(&attempt.id).await?;
    let flags = state.db.flags(&attempt.id).await?;
    let decisions = state.db.decisions(&attempt.id).await?;
    let session = state.db.session(&attempt.session_id).await?;
    let exam_title = match &session {
        Some(s) => state
            .db
            .exam_json(&s.exam_id)
            .await?
            .and_then(|j| serde_json::from_str::<vigil_exam::Exam>(&j).ok())
            .map(|e| e.title)
            .unwrap_or_else(|| s.exam_id.clone()),
        None => String::new(),
    };
    let chain = vigil_exam::verify_from(&attempt.genesis(), &events);
    let d = Dossier::from_events(&events);
    let end = d.end();
    let media = |sha: &str| media_url(&attempt.id, sha);
    let when = dossier::datetime_fr;
    let body = html! {
        (DOCTYPE)
        html lang="fr" {
            head {
                meta charset="utf-8";
                title { "Procès-verbal d'incident — " (attempt.candidate_id) }
                style { (REPORT_CSS) }
            }
            body {
                header {
                    h1 { "Procès-verbal d'incident" }
                    p.sub { "Épreuve surveillée à distance — Vigil" }
                }
                table.facts {
                    tr { th { "Épreuve" } td { (exam_title) } }
                    tr { th { "Session" } td { (attempt.session_id) } }
                    tr { th { "Candidat" } td { (attempt.candidate_id) } }
                    tr { th { "Tentative" } td { (attempt.id) } }
                    tr { th { "Tiers-temps" } td { (if attempt.extra_time { "oui" } else { "non" }) } }
                    tr { th { "Début" } td { (d.started_at.map(when).unwrap_or_else(|| "non commencée".into())) } }
                    tr { th { "Questions ouvertes" } td { @match d.questions_opened {
                        Some((t, vigil_exam::Reason::Manual)) => { (when(t)) " (identification terminée)" }
                        Some((t, vigil_exam::Reason::Timeout)) => { (when(t)) " (durée d'identification dépassée, étapes manquantes)" }
                        None => "jamais",
                    } } }
                    tr { th { "Fin" } td { @match d.submitted {
                        Some((t, vigil_exam::Reason::Manual)) => { (when(t)) " (remise par le candidat)" }
                        Some((t, vigil_exam::Reason::Timeout)) => { (when(t)) " (temps écoulé, remise automatique)" }
                        None => "non remise",
                    } } }
                    tr { th { "Journal" } td { @match &chain {
                        Ok(()) => { (events.len()) " événements, chaîne d'empreintes vérifiée et intacte" }
                        Err(e) => { "chaîne d'empreintes ROMPUE : " (e) }
                    } } }
                }
                p.note { "Heures en temps universel (UTC), mesurées par l'horloge de confiance de \
                          l'application (recalée sur le serveur)." }
                h2 { "Identité" }
                div.pair {
                    figure { @if let Some(s) = &d.id_photo { img src=(media(s)) alt="Pièce d'identité"; }
                        figcaption { "Pièce d'identité présentée à la caméra" } }
                    figure { @if let Some(s) = &d.face_photo { img src=(media(s)) alt="Visage"; }
                        figcaption { "Photo du visage" } }
                }
                p data-testid="face-match" { (dossier::face_match_text_fr(d.face_match.as_ref())) }
                h2 { "Faits constatés" }
                @if !d.has_findings() && flags.is_empty() {
                    p { "Aucun incident, aucune sortie de l'épreuve, aucune action bloquée." }
                }
                @if !d.incidents.is_empty() {
                    h3 { "Incidents de surveillance" }
                    table {
                        tr { th { "Nature" } th { "Gravité" } th { "Début" } th { "Fin" } th { "Durée" } th { "Image" } }
                        @for i in &d.incidents {
                            tr {
                                td { (dossier::incident_label_fr(i.kind)) }
                                td { (dossier::severity_fr(i.severity)) }
                                td { (when(i.opened_at)) }
                                td { (i.closed_at.map(when).unwrap_or_else(|| "non close".into())) }
                                td { (dossier::duration_fr(i.closed_at.unwrap_or(end).saturating_sub(i.opened_at))) }
                                td { @if let Some(s) = &i.evidence { img.still src=(media(s)) alt="Image au moment de l'incident"; } }
                            }
                        }
                    }
                }
                @if !d.away.is_empty() {
                    h3 { "Sorties de l'épreuve" }
                    table {
                        tr { th { "Nature" } th { "Début" } th { "Fin" } th { "Durée" } }
                        @for a in &d.away {
                            tr { td { (a.what.label_fr()) } td { (when(a.from)) }
                                 td { (a.until.map(when).unwrap_or_else(|| "jusqu'à la fin".into())) }
                                 td { (dossier::duration_fr(a.duration_ms(end))) } }
                        }
                    }
                    p { "Total hors de la fenêtre : " (dossier::duration_fr(d.away_total_ms(AwayKind::Window)))
                        " ; hors du plein écran : " (dossier::duration_fr(d.away_total_ms(AwayKind::Fullscreen))) "." }
                }
                @if !d.blocked.is_empty() {
                    h3 { "Actions interdites bloquées (" (d.blocked.len()) ")" }
                    ul { @for (at, action) in &d.blocked { li { (when(*at)) " — " code { (action) } } } }
                }
                @if let Some(k) = &d.kiosk {
                    h3 { "Vérification de la machine (lanceur " (k.launcher) ")" }
                    ul { @for r in &k.results { li { (r.item) " : " (format!("{:?}", r.status).to_lowercase()) " — " (r.detail) } } }
                }
                @if !flags.is_empty() {
                    h3 { "Signalements du serveur" }
                    ul { @for f in &flags { li { (when(f.at)) " — " (f.kind) " : " (f.detail) } } }
                }
                h2 { "Décision" }
                @if decisions.is_empty() { p { "Aucune décision enregistrée." } }
                @for dec in &decisions {
                    p { (when(dec.at)) " — " (dec.proctor) " : "
                        strong { @if dec.decision == "valid" { "épreuve valide" } @else { "incident à instruire" } }
                        @if !dec.comment.is_empty() { br; "« " (dec.comment) " »" } }
                }
                div.sign {
                    p { "Fait le ____________________ à ____________________" }
                    p { "Nom et signature du surveillant :" }
                    p { "Nom et signature du responsable de la session :" }
                }
            }
        }
    };
    Ok(Html(body.into_string()))
}

const REPORT_CSS: &str = "body{font-family:Georgia,'Times New Roman',serif;margin:2rem auto;\
max-width:48rem;color:#111;line-height:1.4}header{border-bottom:2px solid #111;margin-bottom:1rem}\
h1{margin:0;font-size:1.6rem}.sub{margin:.2rem 0 .6rem;color:#444}h2{font-size:1.2rem;\
border-bottom:1px solid #999;margin-top:1.6rem}h3{font-size:1rem}table{border-collapse:collapse;\
width:100%}td,th{border:1px solid #999;padding:.2rem .4rem;text-align:left;vertical-align:top}\
.facts th{width:9rem;background:#f2f2f2}.note{font-size:.85rem;color:#444}.pair{display:flex;\
gap:1rem}.pair figure{margin:0;flex:1}.pair img{width:100%;border:1px solid #999}\
img.still{width:10rem}.sign{margin-top:2.5rem}.sign p{margin:1.8rem 0}\
@media print{body{margin:0;max-width:none}a{color:inherit;text-decoration:none}\
tr,figure,img{page-break-inside:avoid}}";

/// A side of the head, in English.
fn side_en(side: vigil_exam::Side) -> &'static str {
    match side {
        vigil_exam::Side::Left => "left",
        vigil_exam::Side::Right => "right",
    }
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
