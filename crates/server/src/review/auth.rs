//! Who is reviewing: proctor accounts and passwords, the login form and
//! its rate limits, the login cookie and the CSRF token derived from it,
//! logout, and the access checks every page makes ([`Proctor::check`],
//! [`reviewable`]).
//!
//! Kept apart from the pages so that everything a review request's
//! authority rests on is read in one place.

use axum::extract::{Form, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{html, Markup};
use serde::Deserialize;

use super::{page, PageError};
use crate::auth::{new_token, token_hash, CodeHashing};
use crate::db::{AttemptRow, Db};
use crate::AppState;

/// Name of the login cookie.
pub const COOKIE: &str = "vigil_review";
/// How long a proctor login lasts.
pub const LOGIN_TTL_MS: i64 = 12 * 3600 * 1000;
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
pub(super) async fn logout(
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
