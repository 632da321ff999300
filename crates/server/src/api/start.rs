//! The package and the start: `GET /api/attempt/package`,
//! `POST /api/attempt/start` and `POST /api/attempt/questions`.
//!
//! The package (the session's exam without answer keys, sealed once with
//! AES-256-GCM at session creation, see [`crate::package`]) is served at
//! any time after login, so every machine holds the exam before the start
//! even on a poor network, sealed again for the caller's attempt in two
//! parts (#31): the exam's skeleton (every question's content withheld)
//! under the attempt's key, and the exam itself under the attempt's
//! questions key. A key passed on opens no one else's copy.
//!
//! The attempt's key is released only by the start: inside
//! the engine's start window ([`StartWindow::check_start`]), once per
//! attempt (an atomic `UPDATE … WHERE started_at IS NULL`), with the start
//! time taken from the server clock. A start already recorded is answered
//! again as it was recorded (its time, its deadlines, the key): the first
//! answer may never have reached the candidate (a network cut, the server
//! killed right after its commit), and a start must not be a dead end. It
//! starts nothing a second time. A start the server did not make (an
//! offline start, learnt from the synced log: it may be forged, and its
//! time is the device's) is never answered with the key: 409
//! `already_started`.
//!
//! The questions key is released only by `/questions`, the call that
//! records the opening: the questions cannot be read before the server's
//! clock for them runs.

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::Json;
use vigil_api::{codes, PackageResponse, QuestionsResponse, StartRequest, StartResponse};
use vigil_exam::{deadlines, Exam, Schedule, StartError, StartWindow};

use super::candidate::CandidateAuth;
use crate::db::{PackageRow, SessionRow};
use crate::{package, ApiError, AppState};

/// `GET /api/attempt/package`: the exam, sealed for the caller's attempt in
/// two parts: its skeleton under the attempt's key, which the start
/// releases, and its questions under the attempt's questions key, which
/// only the opening releases (#31). The session's sealed package is opened
/// and both parts sealed again, with fresh nonces, at each call.
pub(super) async fn get_package(
    State(state): State<AppState>,
    CandidateAuth(attempt): CandidateAuth,
) -> Result<Json<PackageResponse>, ApiError> {
    let pkg = load_package(&state, &attempt.session_id).await?;
    let plain = package::open(&pkg.key, &pkg.sealed.nonce, &pkg.sealed.ciphertext)
        .ok_or_else(|| ApiError::internal("the session's package does not open with its key"))?;
    let exam = std::str::from_utf8(&plain)
        .map_err(ApiError::internal)
        .and_then(|json| Exam::from_json(json).map_err(ApiError::internal))?;
    let head = package::seal(
        &vigil_api::attempt_key(&pkg.key, &attempt.id),
        exam.skeleton().to_json().as_bytes(),
    );
    let questions = package::seal(&vigil_api::questions_key(&pkg.key, &attempt.id), &plain);
    Ok(Json(PackageResponse {
        exam_id: pkg.exam_id,
        algorithm: package::ALGORITHM.to_owned(),
        nonce: package::b64(&head.nonce),
        ciphertext: package::b64(&head.ciphertext),
        sha256: head.sha256,
        questions: Some(vigil_api::SealedPart {
            nonce: package::b64(&questions.nonce),
            ciphertext: package::b64(&questions.ciphertext),
            sha256: questions.sha256,
        }),
    }))
}

/// `POST /api/attempt/start` (body `{}`): records the start, releases the key.
pub(super) async fn start(
    State(state): State<AppState>,
    CandidateAuth(attempt): CandidateAuth,
    body: Result<Json<StartRequest>, JsonRejection>,
) -> Result<Json<StartResponse>, ApiError> {
    let Json(StartRequest {}) = body?;
    if attempt.state == crate::db::AttemptState::TechnicalFailure {
        return Err(super::candidate::moved(&attempt.id));
    }
    let session = load_session(&state, &attempt.session_id).await?;
    let exam = load_exam(&state, &session.exam_id).await?;
    if let Some(started) = attempt.started_at {
        return recorded_start(&state, &exam, &attempt, started).await;
    }
    let window = start_window(&exam, &session)?;
    let now = state.clock.now_ms();
    window.check_start(now).map_err(|e| match e {
        StartError::TooEarly { opens_at_ms } => ApiError::forbidden(
            codes::TOO_EARLY,
            format!(
                "too early: the start window opens at {} (in {} s)",
                rfc3339(opens_at_ms),
                (opens_at_ms - now + 999) / 1000
            ),
        ),
        StartError::TooLate { closed_at_ms } => ApiError::forbidden(
            codes::TOO_LATE,
            format!(
                "too late: the start window closed at {}",
                rfc3339(closed_at_ms)
            ),
        ),
    })?;
    if !state.db.start_attempt(&attempt.id, now).await? {
        // Started meanwhile by a concurrent call: answer that start.
        let started = state
            .db
            .attempt(&attempt.id)
            .await?
            .and_then(|a| a.started_at)
            .ok_or_else(|| ApiError::internal("a started attempt without its start"))?;
        return recorded_start(&state, &exam, &attempt, started).await;
    }
    tracing::info!(attempt = %attempt.id, "start");
    recorded_start(&state, &exam, &attempt, now).await
}

/// The answer to a start recorded at `started`: its deadlines and the key;
/// 409 `already_started` for a start the server learnt from the log.
async fn recorded_start(
    state: &AppState,
    exam: &Exam,
    attempt: &crate::db::AttemptRow,
    started: i64,
) -> Result<Json<StartResponse>, ApiError> {
    let offline = state
        .db
        .flags(&attempt.id)
        .await?
        .iter()
        .any(|f| f.kind == crate::flags::FlagKind::OfflineStart.as_str());
    if offline {
        return Err(ApiError::conflict(
            codes::ALREADY_STARTED,
            "this attempt started without the server (start code): the server does not \
             release the key for it",
        ));
    }
    let pkg = load_package(state, &attempt.session_id).await?;
    let d = deadlines(exam, started, attempt.extra_time);
    Ok(Json(StartResponse {
        started_at_ms: started,
        identification_by_ms: d.identification_by_ms,
        deadline_ms: d.ends_at_ms,
        key: package::b64(&vigil_api::attempt_key(&pkg.key, &attempt.id)),
        extra_time: attempt.extra_time,
    }))
}

/// `POST /api/attempt/questions` (body `{}`): the app's identification
/// steps are done and the questions open. The server records the moment
/// once — now, or the identification bound if that passed (lingering never
/// buys time) — and answers the same record at every later call. 409
/// `not_started` before the start.
pub(super) async fn questions(
    State(state): State<AppState>,
    CandidateAuth(attempt): CandidateAuth,
    body: Result<Json<StartRequest>, JsonRejection>,
) -> Result<Json<QuestionsResponse>, ApiError> {
    let Json(StartRequest {}) = body?;
    let Some(started) = attempt.started_at else {
        return Err(ApiError::conflict(
            codes::NOT_STARTED,
            "the attempt has not started: the questions open after the start",
        ));
    };
    let session = load_session(&state, &attempt.session_id).await?;
    let exam = load_exam(&state, &session.exam_id).await?;
    let d = deadlines(&exam, started, attempt.extra_time);
    let now = state.clock.now_ms();
    let proposed = now.min(d.identification_by_ms).max(started);
    let at = state
        .db
        .record_questions_opened(&attempt.id, proposed)
        .await?
        .ok_or_else(|| ApiError::internal("attempt vanished"))?;
    if attempt.questions_opened_at.is_none() && at == proposed {
        // The first record: the log may already claim another opening.
        let events = state.db.events(&attempt.id).await?;
        let claim = events.iter().find_map(|e| match &e.kind {
            vigil_exam::EventKind::QuestionsOpened(_) => Some(e.at),
            _ => None,
        });
        if let Some(log_ms) =
            claim.filter(|c| c.abs_diff(at) > vigil_exam::START_TOLERANCE_MS.unsigned_abs())
        {
            let detail = super::sync::opening_mismatch(log_ms, at, "at the app's call");
            state
                .db
                .add_flag(
                    &attempt.id,
                    crate::flags::FlagKind::TimeMismatch,
                    &detail,
                    now,
                )
                .await?;
        }
    }
    tracing::info!(attempt = %attempt.id, "questions opened");
    // The questions' key, released only now that the opening is recorded.
    let pkg = load_package(&state, &attempt.session_id).await?;
    Ok(Json(QuestionsResponse {
        questions_opened_at_ms: at,
        deadline_ms: vigil_exam::questions_deadline(&exam, at, attempt.extra_time),
        key: package::b64(&vigil_api::questions_key(&pkg.key, &attempt.id)),
    }))
}

/// The engine's start window of a session (the session's own grace).
pub(super) fn start_window(exam: &Exam, session: &SessionRow) -> Result<StartWindow, ApiError> {
    let schedule = Schedule {
        starts_at_ms: session.starts_at,
        grace_ms: Some(session.grace_ms),
    };
    StartWindow::new(exam, &schedule).map_err(ApiError::internal)
}

pub(super) async fn load_session(state: &AppState, id: &str) -> Result<SessionRow, ApiError> {
    state
        .db
        .session(id)
        .await?
        .ok_or_else(|| ApiError::internal(format!("attempt refers to missing session {id}")))
}

pub(super) async fn load_exam(state: &AppState, exam_id: &str) -> Result<Exam, ApiError> {
    let json =
        state.db.exam_json(exam_id).await?.ok_or_else(|| {
            ApiError::internal(format!("session refers to missing exam {exam_id}"))
        })?;
    Exam::from_json(&json).map_err(ApiError::internal)
}

async fn load_package(state: &AppState, session_id: &str) -> Result<PackageRow, ApiError> {
    state.db.package(session_id).await?.ok_or_else(|| {
        ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            "no_package",
            "this session has no package (created before packages existed): create it again",
        )
    })
}

pub(super) use crate::time::rfc3339_seconds as rfc3339;
