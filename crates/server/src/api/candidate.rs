//! The candidate's side of the API: log in, then read one's own attempt.
//!
//! A login names the session, the candidate id and the access code; a
//! success returns a bearer token bound to that candidate's single attempt.
//! Wrong session, unknown candidate and wrong code give the same answer, in
//! the same time, so the API does not reveal which ids exist.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap};
use axum::Json;
use vigil_api::{AttemptView, ExamSummary, LoginRequest, LoginResponse, SessionView};
use vigil_exam::Exam;

use crate::auth::{self, MAX_CODE_INPUT};
use crate::db::{AttemptRow, SessionRow};
use crate::rate::Limit;
use crate::{ApiError, AppState};

/// Longest session or candidate id accepted in a login.
pub const MAX_ID_LEN: usize = 64;

/// When a login's token stops working: the latest sync deadline any
/// candidate of the session can have — started at the window's close, with
/// extra time — from the exam's own `sync_deadline_s` (an exam that gives 7
/// days to send keeps its tokens 7 days).
pub fn token_expiry(exam: &Exam, session: &SessionRow) -> Result<i64, ApiError> {
    let window = super::start::start_window(exam, session)?;
    Ok(vigil_exam::deadlines(exam, window.closes_at_ms, true).sync_by_ms)
}

/// `POST /api/login`
pub(super) async fn login(
    State(state): State<AppState>,
    extensions: Extensions,
    headers: HeaderMap,
    body: Result<Json<LoginRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<LoginResponse>, ApiError> {
    let Json(req) = body?;
    let session_id = req.session.trim();
    let candidate_id = req.candidate.trim();
    for (field, value) in [("session", session_id), ("candidate", candidate_id)] {
        if value.is_empty() {
            return Err(ApiError::bad_request(
                "missing_field",
                format!("{field} is empty"),
            ));
        }
        if value.len() > MAX_ID_LEN {
            return Err(ApiError::bad_request(
                "field_too_long",
                format!("{field} is longer than {MAX_ID_LEN} bytes"),
            ));
        }
    }
    if req.code.len() > MAX_CODE_INPUT {
        return Err(ApiError::bad_request(
            "field_too_long",
            format!("code is longer than {MAX_CODE_INPUT} bytes"),
        ));
    }

    // Logins that hold at the hour (crate::rate): one person's code is
    // guessed per address and identity (refused past its bucket); the
    // address's failed tries, whatever ids they name, are bounded before
    // any hash; the identity across addresses only slows.
    let identity = format!("{session_id}\u{0}{candidate_id}");
    let address = state.limits.client_address(&extensions, &headers);
    state
        .limits
        .check(Limit::Login, &format!("{address}\u{0}{identity}"))
        .map_err(ApiError::rate_limited)?;
    let login_try = state
        .limits
        .take_login_try(&address)
        .map_err(ApiError::rate_limited)?;
    state
        .limits
        .slow_down(Limit::LoginIdentity, &identity)
        .await;
    let bad = || ApiError::unauthorized("bad_credentials", "unknown session, candidate or code");
    let Some(candidate) = state.db.candidate(session_id, candidate_id).await? else {
        // The same cost as a real check, from the same budget.
        state.hashing.spend(&req.code, login_try.suspect).await;
        return Err(bad());
    };
    if !state
        .hashing
        .check(&req.code, &candidate.code_hash, login_try.suspect)
        .await
    {
        return Err(bad());
    }
    state.limits.login_succeeded(&address);

    // After the credentials, so the refusals tell nothing to a stranger.
    if let Some(closed) = state
        .db
        .attempt(&candidate.attempt_id)
        .await?
        .filter(|a| a.state == crate::db::AttemptState::TechnicalFailure)
    {
        return Err(moved(&closed.id));
    }
    crate::kiosk::check(&state, &candidate.session_id, &headers).await?;
    let session = load_session(&state, &candidate.session_id).await?;
    let full = super::start::load_exam(&state, &session.exam_id).await?;
    let now = state.clock.now_ms();
    let expires_at = token_expiry(&full, &session)?;
    if now >= expires_at {
        return Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "session_over",
            "this session is over",
        ));
    }
    let token = auth::new_token();
    state
        .db
        .insert_token(
            &auth::token_hash(&token),
            &candidate.attempt_id,
            now,
            expires_at,
        )
        .await?;
    let attempt = state
        .db
        .attempt_for_token(&auth::token_hash(&token), now)
        .await?
        .ok_or_else(|| ApiError::internal("token vanished right after insert"))?;
    tracing::info!(session = %session.id, candidate = %candidate.candidate_id, "login");
    let copy_key = crate::copies::public_key(&state, &session.id).await?;
    Ok(Json(LoginResponse {
        token,
        attempt: attempt_view(attempt, &session, full.summary(), copy_key),
    }))
}

/// `POST /api/logout`: ends the caller's login on the server (the app calls
/// it at sign-out, once everything is acknowledged); the token is refused
/// from then on. 204.
pub(super) async fn logout(
    State(state): State<AppState>,
    CandidateAuth(attempt): CandidateAuth,
    headers: HeaderMap,
) -> Result<axum::http::StatusCode, ApiError> {
    if let Some(token) = bearer(&headers) {
        state.db.delete_token(&auth::token_hash(token)).await?;
    }
    tracing::info!(attempt = %attempt.id, "logout");
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// The token of an `Authorization: Bearer …` header.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// `GET /api/attempt`: the caller's attempt, schedule and exam summary.
pub(super) async fn attempt(
    State(state): State<AppState>,
    CandidateAuth(attempt): CandidateAuth,
) -> Result<Json<AttemptView>, ApiError> {
    let session = load_session(&state, &attempt.session_id).await?;
    let exam = load_exam_summary(&state, &session.exam_id).await?;
    let copy_key = crate::copies::public_key(&state, &session.id).await?;
    Ok(Json(attempt_view(attempt, &session, exam, copy_key)))
}

fn attempt_view(
    a: AttemptRow,
    s: &SessionRow,
    exam: ExamSummary,
    copy_key: Option<String>,
) -> AttemptView {
    AttemptView {
        copy_key,
        chain_genesis: a.genesis(),
        extra_time: a.extra_time,
        id: a.id,
        candidate: a.candidate_id,
        state: a.state.as_str().to_owned(),
        started_at_ms: a.started_at,
        session: SessionView {
            id: s.id.clone(),
            starts_at_ms: s.starts_at,
            closes_at_ms: s.starts_at + s.grace_ms,
            time_zone: s.time_zone.clone(),
        },
        exam,
    }
}

async fn load_session(state: &AppState, id: &str) -> Result<SessionRow, ApiError> {
    state
        .db
        .session(id)
        .await?
        .ok_or_else(|| ApiError::internal(format!("attempt refers to missing session {id}")))
}

async fn load_exam_summary(state: &AppState, exam_id: &str) -> Result<ExamSummary, ApiError> {
    let json =
        state.db.exam_json(exam_id).await?.ok_or_else(|| {
            ApiError::internal(format!("session refers to missing exam {exam_id}"))
        })?;
    let exam = Exam::from_json(&json).map_err(ApiError::internal)?;
    Ok(exam.summary())
}

/// The attempt a request's `Authorization: Bearer …` token grants, if the
/// request also carries the config key its session may require
/// ([`crate::kiosk`]).
pub(super) struct CandidateAuth(pub AttemptRow);

impl FromRequestParts<AppState> for CandidateAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if !parts
            .headers
            .contains_key(axum::http::header::AUTHORIZATION)
        {
            return Err(ApiError::unauthorized("no_token", "missing bearer token"));
        }
        let token = bearer(&parts.headers).ok_or_else(|| {
            ApiError::unauthorized("no_token", "expected `Authorization: Bearer <token>`")
        })?;
        let now = state.clock.now_ms();
        let hash = auth::token_hash(token);
        let attempt = state
            .db
            .attempt_for_token(&hash, now)
            .await?
            .ok_or_else(|| ApiError::unauthorized("bad_token", "unknown or expired token"))?;
        // Counted per attempt (a new login is no new bucket); junk tokens
        // make no buckets.
        state
            .limits
            .check(Limit::Candidate, &attempt.id)
            .map_err(ApiError::rate_limited)?;
        crate::kiosk::check(state, &attempt.session_id, &parts.headers).await?;
        Ok(CandidateAuth(attempt))
    }
}

/// The refusal of a registration the organiser closed after a technical
/// failure (`candidates move`): the candidate has a new convocation.
pub(super) fn moved(attempt_id: &str) -> ApiError {
    tracing::info!(
        attempt = attempt_id,
        "sign-in or start of a moved registration refused"
    );
    ApiError::new(
        axum::http::StatusCode::FORBIDDEN,
        vigil_api::codes::SESSION_OVER,
        "this registration was closed after a technical failure and moved to another session: \
         sign in with the credentials of your new convocation",
    )
}
