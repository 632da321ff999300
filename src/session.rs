//! The signed-in attempt on this machine: restoring it at start-up, signing
//! in and out, and committing each new engine event to IndexedDB before the
//! app shows it.
//!
//! A commit runs the engine command on a copy of the attempt, stores the
//! event it produced, and only then hands the new attempt to the reducer:
//! if storing fails, the screen still shows the old state, never a fact
//! that is not on disk.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use sha2::{Digest, Sha256};
use vigil_api::LoginResponse;
use vigil_exam::{Attempt, AttemptError, Event, Exam, Phase, Schedule, StartWindow};

use crate::browser::api::ApiFailure;
use crate::browser::{api, camera, capabilities, clock, idb};
use crate::package::{self, OpenError};
use crate::state::SignedIn;
use crate::sync;

/// Trusted time for the attempt: the device clock corrected by the last
/// measured server offset (a `clock_sync` event).
pub fn now_ms(attempt: &Attempt) -> i64 {
    clock::wall_ms() + attempt.state().clock_offset_ms.unwrap_or(0)
}

/// Why a step could not be recorded.
#[derive(Debug, Clone, PartialEq)]
pub enum CommitError {
    /// The engine refused the step (wrong phase, outside the window…).
    Refused(AttemptError),
    /// IndexedDB did not store it (quota, private mode, broken profile).
    Storage(String),
}

impl std::fmt::Display for CommitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CommitError::Refused(e) => write!(f, "refused: {e}"),
            CommitError::Storage(e) => write!(f, "storage: {e}"),
        }
    }
}

/// Rebuilds the attempt of a login from the events stored on this machine
/// (none for a first login).
async fn attempt_of(login: &LoginResponse) -> Result<Rc<Attempt>, String> {
    let events = idb::load_events(&login.attempt.id).await.map_err(|e| e.0)?;
    Attempt::resume_with_genesis(&login.attempt.chain_genesis, None, events)
        .map(Rc::new)
        .map_err(|e| e.to_string())
}

/// The session remembered from before a reload, if any.
pub async fn restore() -> Result<Option<SignedIn>, String> {
    let Some(login) = idb::load_session().await.map_err(|e| e.0)? else {
        return Ok(None);
    };
    let id = &login.attempt.id;
    let exam = match (idb::load_package(id).await, idb::load_key(id).await) {
        (Ok(Some(p)), Ok(Some(key))) => {
            Some(Rc::new(package::open(&p, &key).map_err(|e| e.to_string())?))
        }
        _ => None,
    };
    let events = idb::load_events(id).await.map_err(|e| e.0)?;
    let attempt = Rc::new(
        Attempt::resume_with_genesis(&login.attempt.chain_genesis, exam.as_deref(), events)
            .map_err(|e| e.to_string())?,
    );
    Ok(Some(SignedIn {
        login: Rc::new(login),
        attempt,
        exam,
    }))
}

/// Remembers a fresh login and loads its attempt.
pub async fn sign_in(login: LoginResponse) -> Result<(Rc<LoginResponse>, Rc<Attempt>), String> {
    idb::save_session(&login).await.map_err(|e| e.0)?;
    // Ask that the attempt's storage survive disk pressure; a refusal is
    // not fatal (the browser may decide later), the sync is the safety net.
    let _ = capabilities::request_persistence().await;
    let attempt = attempt_of(&login).await?;
    remember(&login.attempt.id, &attempt);
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
pub async fn sign_out(login: Option<&LoginResponse>, attempt: Option<&Attempt>) -> SignedOut {
    if let (Some(login), Some(attempt)) = (login, attempt) {
        let all_sent = matches!(sync::push(login, attempt).await, Ok(p) if p.total() == 0);
        if all_sent && api::logout(&login.token).await.is_ok() {
            let media = sync::media_of(attempt);
            if idb::forget_attempt(&login.attempt.id, &media).await.is_ok() {
                return SignedOut::Cleared;
            }
        }
    }
    let _ = idb::clear_session().await;
    SignedOut::Kept
}

/// Stores a media blob (by its SHA-256), then runs the command that names
/// it: the event never refers to bytes that are not on disk.
pub async fn commit_media(
    attempt_id: &str,
    attempt: &Attempt,
    bytes: &[u8],
    command: impl FnOnce(&mut Attempt, &str, i64) -> Result<Event, AttemptError>,
) -> Result<Rc<Attempt>, CommitError> {
    let sha = hex::encode(Sha256::digest(bytes));
    idb::put_media(&sha, bytes)
        .await
        .map_err(|e| CommitError::Storage(e.0))?;
    commit(attempt_id, attempt, |a, now| command(a, &sha, now)).await
}

/// Runs one engine command at the trusted time and stores its event.
pub async fn commit(
    attempt_id: &str,
    attempt: &Attempt,
    command: impl FnOnce(&mut Attempt, i64) -> Result<Event, AttemptError>,
) -> Result<Rc<Attempt>, CommitError> {
    commit_all(attempt_id, attempt, |a, now| {
        command(a, now).map(|e| vec![e])
    })
    .await
}

thread_local! {
    /// The newest attempt this tab has stored, by attempt id: commits build
    /// on it rather than on the (possibly older) copy a screen rendered, so
    /// two steps in quick succession (a click and a focus loss) both land.
    static LATEST: RefCell<Option<(String, Rc<Attempt>)>> = const { RefCell::new(None) };
    /// One commit at a time: seqs are given out in order.
    static BUSY: Cell<bool> = const { Cell::new(false) };
}

/// Makes `attempt` the base of the next commits (after a restore or a sign-in).
pub fn remember(attempt_id: &str, attempt: &Rc<Attempt>) {
    LATEST.with(|l| *l.borrow_mut() = Some((attempt_id.to_owned(), attempt.clone())));
}

/// Runs engine commands that may append several events (or none) and
/// stores them in one transaction, one commit at a time.
pub async fn commit_all(
    attempt_id: &str,
    attempt: &Attempt,
    command: impl FnOnce(&mut Attempt, i64) -> Result<Vec<Event>, AttemptError>,
) -> Result<Rc<Attempt>, CommitError> {
    while BUSY.with(Cell::get) {
        camera::pause_ms(2).await;
    }
    BUSY.with(|b| b.set(true));
    let result = commit_now(attempt_id, attempt, command).await;
    BUSY.with(|b| b.set(false));
    result
}

async fn commit_now(
    attempt_id: &str,
    attempt: &Attempt,
    command: impl FnOnce(&mut Attempt, i64) -> Result<Vec<Event>, AttemptError>,
) -> Result<Rc<Attempt>, CommitError> {
    let latest = LATEST.with(|l| {
        l.borrow()
            .as_ref()
            .filter(|(id, a)| id == attempt_id && a.state().last_seq >= attempt.state().last_seq)
            .map(|(_, a)| a.clone())
    });
    let mut next = latest
        .map(|a| (*a).clone())
        .unwrap_or_else(|| attempt.clone());
    let now = now_ms(&next);
    let events = command(&mut next, now).map_err(CommitError::Refused)?;
    if !events.is_empty() {
        idb::append_events(attempt_id, &events)
            .await
            .map_err(|e| CommitError::Storage(e.0))?;
    }
    let next = Rc::new(next);
    remember(attempt_id, &next);
    Ok(next)
}

/// Measures the server clock and records the offset as a `clock_sync` event.
pub async fn sync_clock(attempt_id: &str, attempt: &Attempt) -> Result<Rc<Attempt>, String> {
    let sent = clock::mono_ms();
    let server = api::time().await.map_err(|e| e.reference())?;
    let rtt = (clock::mono_ms() - sent).max(0.0) as i64;
    let wall = clock::wall_ms();
    let offset = server.now_ms + rtt / 2 - wall;
    commit(attempt_id, attempt, |a, now| {
        a.record_clock_sync(server.now_ms, offset, rtt, now.max(wall + offset))
    })
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
/// package kept since login is opened; the `start` event (stamped with the
/// server's start time) is stored.
pub async fn start(
    login: &LoginResponse,
    attempt: &Attempt,
) -> Result<(Rc<Attempt>, Rc<Exam>), StartFailure> {
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
    begin(
        login,
        attempt,
        &package,
        &started.key,
        Some(started.started_at_ms),
        started.extra_time,
    )
    .await
}

/// Starts without the network: the proctor reads the session's printed
/// start code, from which the package key derives. The start is stamped
/// with the trusted time; the server sees it at the next sync (and flags
/// the attempt as started offline).
pub async fn start_with_code(
    login: &LoginResponse,
    attempt: &Attempt,
    start_code: &str,
) -> Result<(Rc<Attempt>, Rc<Exam>), StartFailure> {
    let id = &login.attempt.id;
    let package = match idb::load_package(id).await {
        Ok(Some(p)) => p,
        _ => return Err(StartFailure::NoPackage),
    };
    let key = package::key_from_start_code(&login.attempt.session.id, start_code);
    begin(
        login,
        attempt,
        &package,
        &key,
        None,
        login.attempt.extra_time,
    )
    .await
}

/// Opens the package with `key`, keeps the key, and stores the `start`
/// event (at the server's start time when there is one, with the extra
/// time the server's records grant: the deadline the app shows is the one
/// the server enforces).
async fn begin(
    login: &LoginResponse,
    attempt: &Attempt,
    package: &vigil_api::PackageResponse,
    key: &str,
    server_started_at: Option<i64>,
    extra_time: bool,
) -> Result<(Rc<Attempt>, Rc<Exam>), StartFailure> {
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
    let next = commit_all(id, attempt, move |a, now| {
        let mut events = Vec::new();
        if a.state().phase == Phase::Consented {
            events.push(a.enter_waiting_room(now)?);
        }
        let at = server_started_at
            .unwrap_or(now)
            .max(a.state().last_at_ms.unwrap_or(i64::MIN));
        events.push(a.start(&opened, &window, extra_time, at)?);
        Ok(events)
    })
    .await
    .map_err(StartFailure::Commit)?;
    Ok((next, exam))
}
