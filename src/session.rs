//! The signed-in attempt's life on this machine: restoring it at start-up,
//! signing in and out, the server clock, and the start. Each puts the
//! attempt in the tab's [`AttemptStore`] or steps it through the store,
//! which stores every event before the app shows it.

use std::rc::Rc;

use vigil_api::LoginResponse;
use vigil_exam::{Attempt, AttemptState, Exam, Schedule, StartWindow};

use crate::browser::api::ApiFailure;
use crate::browser::{api, capabilities, clock, idb};
use crate::state::SignedIn;
use crate::store::{AttemptStore, CommitError};
use crate::sync;
use vigil_api::package::{self, OpenError};

/// Rebuilds the attempt of a login from the events stored on this machine
/// (none for a first login).
async fn attempt_of(login: &LoginResponse) -> Result<Attempt, String> {
    let events = idb::load_events(&login.attempt.id).await.map_err(|e| e.0)?;
    Attempt::resume_with_genesis(&login.attempt.chain_genesis, None, events)
        .map_err(|e| e.to_string())
}

/// The session remembered from before a reload, if any; its attempt goes
/// to `store`.
pub async fn restore(store: &AttemptStore) -> Result<Option<SignedIn>, String> {
    let Some(login) = idb::load_session().await.map_err(|e| e.0)? else {
        return Ok(None);
    };
    let id = &login.attempt.id;
    let (exam, sealed) = match (idb::load_package(id).await, idb::load_key(id).await) {
        (Ok(Some(p)), Ok(Some(key))) => {
            let questions_key = idb::load_questions_key(id).await.ok().flatten();
            opened(&p, &key, questions_key.as_deref()).map_err(|e| e.to_string())?
        }
        _ => (None, false),
    };
    let events = idb::load_events(id).await.map_err(|e| e.0)?;
    let attempt =
        Attempt::resume_with_genesis(&login.attempt.chain_genesis, exam.as_deref(), events)
            .map_err(|e| e.to_string())?;
    let attempt = store.hold(id, attempt);
    Ok(Some(SignedIn {
        login: Rc::new(login),
        attempt,
        exam,
        sealed,
    }))
}

/// The exam a package opens with the keys held: the questions with their
/// key, else the skeleton (`sealed`), or the whole exam of a package made
/// before the questions were sealed apart.
fn opened(
    package: &vigil_api::PackageResponse,
    key: &str,
    questions_key: Option<&str>,
) -> Result<(Option<Rc<Exam>>, bool), OpenError> {
    match (&package.questions, questions_key) {
        (Some(_), Some(q)) => Ok((Some(Rc::new(package::open_questions(package, q)?)), false)),
        (Some(_), None) => Ok((Some(Rc::new(package::open(package, key)?)), true)),
        (None, _) => Ok((Some(Rc::new(package::open(package, key)?)), false)),
    }
}

/// Remembers a fresh login and loads its attempt into `store`.
pub async fn sign_in(
    store: &AttemptStore,
    login: LoginResponse,
) -> Result<(Rc<LoginResponse>, Rc<AttemptState>), String> {
    idb::save_session(&login).await.map_err(|e| e.0)?;
    // Ask that the attempt's storage survive disk pressure; a refusal is
    // not fatal (the browser may decide later), the sync is the safety net.
    let _ = capabilities::request_persistence().await;
    let attempt = attempt_of(&login).await?;
    let attempt = store.hold(&login.attempt.id, attempt);
    Ok((Rc::new(login), attempt))
}

/// Downloads the encrypted exam package once and keeps it on this machine;
/// does nothing if it is already stored.
pub async fn fetch_package(login: &LoginResponse) -> Result<(), String> {
    let id = &login.attempt.id;
    if idb::load_package(id).await.map_err(|e| e.0)?.is_some() {
        return Ok(());
    }
    let package = api::package(&login.token)
        .await
        .map_err(|e| e.reference())?;
    idb::save_package(id, &package).await.map_err(|e| e.0)
}

/// How a sign-out ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignedOut {
    /// Everything was acknowledged: the server revoked the token and
    /// nothing of the attempt is left on this machine.
    Cleared,
    /// Something is still unsent (or the server did not answer): only the
    /// login is forgotten here; the attempt's data stays stored, and goes
    /// out at the next login.
    Kept,
}

/// Signs out. Once the server holds every event and media of the attempt
/// (one sync round confirms it), the token is revoked on the server and
/// the attempt's data is cleared from this machine; otherwise only the
/// login is forgotten, and nothing stored is lost.
pub async fn sign_out(store: &AttemptStore, login: Option<&LoginResponse>) -> SignedOut {
    let mut out = SignedOut::Kept;
    if let (Some(login), Some(state)) = (login, store.snapshot()) {
        let all_sent = matches!(sync::push(login, store).await, Ok(p) if p.total() == 0);
        if all_sent && api::logout(&login.token).await.is_ok() {
            let media = sync::media_of(&state);
            if idb::forget_attempt(&login.attempt.id, &media).await.is_ok() {
                out = SignedOut::Cleared;
            }
        }
    }
    store.release();
    if out == SignedOut::Kept {
        let _ = idb::clear_session().await;
    }
    out
}

/// Measures the server clock and records the offset as a `clock_sync` event.
pub async fn sync_clock(store: &AttemptStore) -> Result<Rc<AttemptState>, String> {
    let sent = clock::mono_ms();
    let server = api::time().await.map_err(|e| e.reference())?;
    let rtt = (clock::mono_ms() - sent).max(0.0) as i64;
    let wall = clock::wall_ms();
    let offset = server.now_ms + rtt / 2 - wall;
    store
        .commit(|a, now| a.record_clock_sync(server.now_ms, offset, rtt, now.max(wall + offset)))
        .await
        .map_err(|e| e.to_string())
}

/// Why the exam could not start.
#[derive(Debug, Clone, PartialEq)]
pub enum StartFailure {
    Api(ApiFailure),
    Open(OpenError),
    Commit(CommitError),
    /// An offline start needs the package downloaded before the cut.
    NoPackage,
}

/// Starts the exam: the server records the start and releases the key; the
/// package kept since login is opened (its skeleton: the questions' key
/// comes at the opening, [`unseal`]); the `start` event (stamped with the
/// server's start time) is stored. The `bool`: the exam is the skeleton.
pub async fn start(
    store: &AttemptStore,
    login: &LoginResponse,
) -> Result<(Rc<AttemptState>, Rc<Exam>, bool), StartFailure> {
    let id = &login.attempt.id;
    let package = match idb::load_package(id).await {
        Ok(Some(p)) => p,
        _ => {
            let p = api::package(&login.token)
                .await
                .map_err(StartFailure::Api)?;
            let _ = idb::save_package(id, &p).await;
            p
        }
    };
    let started = api::start(&login.token).await.map_err(StartFailure::Api)?;
    let (state, exam) = begin(
        store,
        login,
        &package,
        &started.key,
        Some(started.started_at_ms),
        started.extra_time,
    )
    .await?;
    Ok((state, exam, package.questions.is_some()))
}

/// Starts without the network: the proctor reads the session's printed
/// start code, from which both keys of this attempt derive (the start's
/// and the questions'). The start is stamped with the trusted time; the
/// server sees it at the next sync (and flags the attempt as started
/// offline).
pub async fn start_with_code(
    store: &AttemptStore,
    login: &LoginResponse,
    start_code: &str,
) -> Result<(Rc<AttemptState>, Rc<Exam>, bool), StartFailure> {
    let id = &login.attempt.id;
    let package = match idb::load_package(id).await {
        Ok(Some(p)) => p,
        _ => return Err(StartFailure::NoPackage),
    };
    let session = &login.attempt.session.id;
    let key = package::key_from_start_code(session, start_code, id);
    let (state, skeleton) =
        begin(store, login, &package, &key, None, login.attempt.extra_time).await?;
    if package.questions.is_none() {
        return Ok((state, skeleton, false));
    }
    let questions_key = package::questions_key_from_start_code(session, start_code, id);
    let exam = package::open_questions(&package, &questions_key).map_err(StartFailure::Open)?;
    idb::save_questions_key(id, &questions_key)
        .await
        .map_err(|e| StartFailure::Commit(CommitError::Storage(e.0)))?;
    Ok((state, Rc::new(exam), false))
}

/// The questions' key from the server's opening (`POST
/// /api/attempt/questions`, which records it), kept on this machine; the
/// exam itself, opened with it.
pub async fn unseal(login: &LoginResponse) -> Result<Rc<Exam>, StartFailure> {
    let id = &login.attempt.id;
    let package = match idb::load_package(id).await {
        Ok(Some(p)) => p,
        _ => return Err(StartFailure::NoPackage),
    };
    let opened = api::questions(&login.token)
        .await
        .map_err(StartFailure::Api)?;
    let exam = package::open_questions(&package, &opened.key).map_err(StartFailure::Open)?;
    idb::save_questions_key(id, &opened.key)
        .await
        .map_err(|e| StartFailure::Commit(CommitError::Storage(e.0)))?;
    Ok(Rc::new(exam))
}

/// The questions' key from the session's printed start code, when the
/// server cannot be reached at the opening: kept on this machine; the exam
/// itself, opened with it (a wrong code fails the GCM tag).
pub async fn unseal_with_code(
    login: &LoginResponse,
    start_code: &str,
) -> Result<Rc<Exam>, StartFailure> {
    let id = &login.attempt.id;
    let package = match idb::load_package(id).await {
        Ok(Some(p)) => p,
        _ => return Err(StartFailure::NoPackage),
    };
    let key = package::questions_key_from_start_code(&login.attempt.session.id, start_code, id);
    let exam = package::open_questions(&package, &key).map_err(StartFailure::Open)?;
    idb::save_questions_key(id, &key)
        .await
        .map_err(|e| StartFailure::Commit(CommitError::Storage(e.0)))?;
    Ok(Rc::new(exam))
}

/// Opens the package with `key`, keeps the key, and stores the `start`
/// event (at the server's start time when there is one, with the extra
/// time the server's records grant: the deadline the app shows is the one
/// the server enforces).
async fn begin(
    store: &AttemptStore,
    login: &LoginResponse,
    package: &vigil_api::PackageResponse,
    key: &str,
    server_started_at: Option<i64>,
    extra_time: bool,
) -> Result<(Rc<AttemptState>, Rc<Exam>), StartFailure> {
    let id = &login.attempt.id;
    let exam = Rc::new(package::open(package, key).map_err(StartFailure::Open)?);
    idb::save_key(id, key)
        .await
        .map_err(|e| StartFailure::Commit(CommitError::Storage(e.0)))?;
    let session = &login.attempt.session;
    let schedule = Schedule {
        starts_at_ms: session.starts_at_ms,
        grace_ms: Some(session.closes_at_ms - session.starts_at_ms),
    };
    let window = StartWindow::new(&exam, &schedule)
        .map_err(|e| StartFailure::Open(OpenError::Invalid(e.to_string())))?;
    let opened = exam.clone();
    let next = store
        .commit_all(move |a, now| {
            a.wait_and_start(&opened, &window, extra_time, server_started_at, now)
        })
        .await
        .map_err(StartFailure::Commit)?;
    Ok((next, exam))
}
