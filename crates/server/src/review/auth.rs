//! Who is reviewing: proctor accounts and passwords, the login form and
//! its rate limits, the login cookie and the CSRF token derived from it,
//! logout, and the access checks every page makes ([`Proctor::check`],
//! [`reviewable`]).
//!
//! Kept apart from the pages so that everything a review request's
//! authority rests on is read in one place.
//!
//! Cookies are read and written with axum-extra's `CookieJar` (the `cookie`
//! crate's parser and `Set-Cookie` writer); [`login_cookie`] is the one
//! place that says which attributes the login cookie carries.

use axum::extract::{Form, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use maud::{html, Markup};
use serde::Deserialize;

use super::{page, PageError};
use crate::auth::{new_token, token_hash, CodeHashing};
use crate::db::{AttemptRow, Db};
use crate::rate::Limit;
use crate::AppState;

/// Name of the login cookie.
pub const COOKIE: &str = "vigil_review";
/// How long a proctor login lasts.
pub const LOGIN_TTL_MS: i64 = 12 * 3600 * 1000;
/// The path the login cookie is sent to: the review pages only.
pub(super) const COOKIE_PATH: &str = "/review";
/// Longest name or password considered at all.
const MAX_INPUT: usize = 128;

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
    pub(super) fn field(&self) -> Markup {
        html! { input type="hidden" name="csrf" value=(self.0); }
    }
}

/// A logged-in form POST that came from one of our pages: the same origin
/// (or none said) and the login's CSRF token.
pub(super) fn genuine_post(
    proctor: &Proctor,
    headers: &HeaderMap,
    csrf: &str,
) -> Result<(), PageError> {
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
        let Some(token) = login_token(&parts.headers) else {
            return Err(PageError::new(StatusCode::UNAUTHORIZED, "please log in"));
        };
        let now = state.clock.now_ms();
        match state.db.proctor_for_login(&token_hash(&token), now).await? {
            Some(name) => Ok(Proctor(name, Csrf::of_cookie(&token))),
            None => Err(PageError::new(
                StatusCode::UNAUTHORIZED,
                "your login has expired: please log in again",
            )),
        }
    }
}

/// The login token: the value of the [`COOKIE`] cookie in the request's
/// `Cookie` headers, if there is one and it is not empty.
fn login_token(headers: &HeaderMap) -> Option<String> {
    CookieJar::from_headers(headers)
        .get(COOKIE)
        .map(Cookie::value)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// The login cookie carrying `token` for `max_age_s` seconds: HttpOnly (no
/// script reads it), Secure (HTTPS only; browsers make an exception for
/// `localhost`), SameSite=Strict (never sent by another site's page or
/// link), Path=/review, and Max-Age. Logout sends the same cookie empty
/// with Max-Age=0, which deletes it.
pub(super) fn login_cookie(token: String, max_age_s: i64) -> Cookie<'static> {
    Cookie::build((COOKIE, token))
        .path(COOKIE_PATH)
        .http_only(true)
        .secure(true)
        .same_site(SameSite::Strict)
        .max_age(cookie::time::Duration::seconds(max_age_s))
        .build()
}

impl Proctor {
    /// 403 unless the session is assigned to this proctor (unknown sessions
    /// get the same answer, so ids cannot be probed).
    pub(super) async fn check(&self, db: &Db, session_id: &str) -> Result<(), PageError> {
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

pub(super) async fn login_form() -> Html<String> {
    login_page(None)
}

#[derive(Deserialize)]
pub struct LoginForm {
    name: String,
    password: String,
}

pub(super) async fn login(
    State(state): State<AppState>,
    extensions: axum::http::Extensions,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    if let Err(e) = same_origin(&headers) {
        return e.into_response();
    }
    // As a candidate's login (crate::rate): refused per address + name and
    // per address's failed tries; slowed, never refused, per name.
    let address = state.limits.client_address(&extensions, &headers);
    let limited = state
        .limits
        .check(Limit::ProctorLogin, &format!("{address}\u{0}{}", form.name))
        .and_then(|()| state.limits.take_login_try(&address));
    let login_try = match limited {
        Ok(t) => t,
        Err(retry_after_s) => {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, retry_after_s.to_string())],
                login_page(Some(&format!(
                    "too many login attempts: try again in {retry_after_s} s"
                ))),
            )
                .into_response();
        }
    };
    state
        .limits
        .slow_down(Limit::ProctorLoginName, &form.name)
        .await;
    match check_login(&state, &form, login_try.suspect).await {
        Ok(Some(cookie)) => {
            state.limits.login_succeeded(&address);
            (CookieJar::new().add(cookie), Redirect::to("/review")).into_response()
        }
        Ok(None) => (
            StatusCode::UNAUTHORIZED,
            login_page(Some("wrong name or password")),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

/// The login cookie of a successful login, `None` for bad credentials.
async fn check_login(
    state: &AppState,
    form: &LoginForm,
    suspect: bool,
) -> Result<Option<Cookie<'static>>, PageError> {
    if form.name.len() > MAX_INPUT || form.password.len() > MAX_INPUT {
        return Ok(None);
    }
    let stored = state.db.proctor_password_hash(&form.name).await?;
    let Some(stored) = stored else {
        state.hashing.spend(&form.password, suspect).await;
        return Ok(None);
    };
    if !state.hashing.check(&form.password, &stored, suspect).await {
        return Ok(None);
    }
    let token = new_token();
    let now = state.clock.now_ms();
    state
        .db
        .insert_proctor_login(&token_hash(&token), &form.name, now + LOGIN_TTL_MS)
        .await?;
    Ok(Some(login_cookie(token, LOGIN_TTL_MS / 1000)))
}

#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /review/logout`: ends the login on the server (the cookie's token
/// is deleted, so a copy of the cookie opens nothing) and clears the cookie.
pub(super) async fn logout(
    State(state): State<AppState>,
    proctor: Proctor,
    headers: HeaderMap,
    Form(form): Form<LogoutForm>,
) -> Result<Response, PageError> {
    genuine_post(&proctor, &headers, &form.csrf)?;
    if let Some(token) = login_token(&headers) {
        state.db.delete_proctor_login(&token_hash(&token)).await?;
    }
    let clear = CookieJar::new().add(login_cookie(String::new(), 0));
    Ok((clear, Redirect::to("/review/login")).into_response())
}

/// The attempt, if this proctor may review it (unknown attempts and other
/// sessions' attempts get the same 403, so ids cannot be probed).
pub(super) async fn reviewable(
    state: &AppState,
    proctor: &Proctor,
    id: &str,
) -> Result<AttemptRow, PageError> {
    let refused = || PageError::new(StatusCode::FORBIDDEN, "this attempt is not yours to review");
    let attempt = state.db.attempt(id).await?.ok_or_else(refused)?;
    proctor.check(&state.db, &attempt.session_id).await?;
    Ok(attempt)
}

/// What the dossier page and the procès-verbal both read of an attempt,
/// once the proctor may see it: its row, its log with the chain's verdict
/// and the dossier read from it, its flags and the decisions taken.
pub(super) struct Reviewed {
    pub(super) attempt: AttemptRow,
    pub(super) events: Vec<vigil_exam::Event>,
    pub(super) chain: Result<(), vigil_exam::ChainError>,
    pub(super) dossier: crate::dossier::Dossier,
    pub(super) flags: Vec<crate::db::FlagRow>,
    pub(super) decisions: Vec<crate::db::DecisionRow>,
    /// The session's time zone, for every time shown.
    pub(super) zone: crate::time::Zone,
    /// The server's own start and opening, shown before the log's claims.
    pub(super) times: crate::dossier::ServerTimes,
}

/// Loads [`Reviewed`] after the access check of [`reviewable`].
pub(super) async fn reviewed(
    state: &AppState,
    proctor: &Proctor,
    id: &str,
) -> Result<Reviewed, PageError> {
    let attempt = reviewable(state, proctor, id).await?;
    let events = state.db.events(&attempt.id).await?;
    let flags = state.db.flags(&attempt.id).await?;
    let decisions = state.db.decisions(&attempt.id).await?;
    let chain = vigil_exam::verify_from(&attempt.genesis(), &events);
    let dossier = crate::dossier::Dossier::from_events(&events);
    let session = state.db.session(&attempt.session_id).await?;
    let zone = session
        .as_ref()
        .map_or_else(crate::time::Zone::paris, |s| s.zone());
    let offline = flags
        .iter()
        .any(|f| f.kind == crate::flags::FlagKind::OfflineStart.as_str());
    // The identification bound, from the session's exam (a stored exam that
    // no longer reads shows no bound rather than failing the page).
    let identification_ms = match &session {
        Some(s) => state
            .db
            .exam_json(&s.exam_id)
            .await?
            .and_then(|j| vigil_exam::Exam::from_json(&j).ok())
            .map(|e| e.identification_max_ms()),
        None => None,
    };
    let times = crate::dossier::ServerTimes {
        started_at: attempt.started_at,
        offline,
        questions_opened_at: attempt.questions_opened_at,
        opening_bound: match (
            attempt.started_at,
            attempt.questions_opened_at,
            identification_ms,
        ) {
            (Some(s), None, Some(ms)) if !offline => Some(s.saturating_add(ms)),
            _ => None,
        },
    };
    Ok(Reviewed {
        attempt,
        events,
        chain,
        dossier,
        flags,
        decisions,
        zone,
        times,
    })
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
        assert_eq!(login_token(&h).as_deref(), Some("tok"));
        h.insert(
            header::COOKIE,
            "a=1;vigil_review=tok2 ; b=2".parse().unwrap(),
        );
        assert_eq!(login_token(&h).as_deref(), Some("tok2"));
        // In a second `Cookie` header (HTTP/2 sends one per cookie).
        h.insert(header::COOKIE, "a=1".parse().unwrap());
        h.append(header::COOKIE, "vigil_review=tok3".parse().unwrap());
        assert_eq!(login_token(&h).as_deref(), Some("tok3"));
        h.insert(header::COOKIE, "vigil_review=".parse().unwrap());
        assert_eq!(login_token(&h), None);
        h.insert(header::COOKIE, "vigil_reviewer=tok".parse().unwrap());
        assert_eq!(login_token(&h), None);
        assert_eq!(login_token(&HeaderMap::new()), None);
    }

    /// The `Set-Cookie` headers a jar of one cookie writes.
    fn set_cookie(cookie: Cookie<'static>) -> Vec<String> {
        let res = (CookieJar::new().add(cookie), "").into_response();
        res.headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn the_login_cookie_keeps_every_attribute() {
        let token = "ab".repeat(32);
        let set = set_cookie(login_cookie(token.clone(), LOGIN_TTL_MS / 1000));
        assert_eq!(set.len(), 1);
        let attrs: Vec<&str> = set[0].split(';').map(str::trim).collect();
        assert_eq!(attrs[0], format!("vigil_review={token}"));
        let mut rest = attrs[1..].to_vec();
        rest.sort_unstable();
        assert_eq!(
            rest,
            [
                "HttpOnly",
                "Max-Age=43200",
                "Path=/review",
                "SameSite=Strict",
                "Secure"
            ]
        );
        // Logout: the same cookie, empty, expiring now.
        let set = set_cookie(login_cookie(String::new(), 0));
        let attrs: Vec<&str> = set[0].split(';').map(str::trim).collect();
        assert_eq!(attrs[0], "vigil_review=");
        let mut rest = attrs[1..].to_vec();
        rest.sort_unstable();
        assert_eq!(
            rest,
            [
                "HttpOnly",
                "Max-Age=0",
                "Path=/review",
                "SameSite=Strict",
                "Secure"
            ]
        );
    }
}
