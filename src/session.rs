//! The signed-in attempt on this machine: restoring it at start-up, signing
//! in and out, and committing each new engine event to IndexedDB before the
//! app shows it.
//!
//! A commit runs the engine command on a copy of the attempt, stores the
//! event it produced, and only then hands the new attempt to the reducer:
//! if storing fails, the screen still shows the old state, never a fact
//! that is not on disk.

use std::rc::Rc;

use sha2::{Digest, Sha256};
use vigil_api::LoginResponse;
use vigil_exam::{Attempt, AttemptError, Event};

use crate::browser::{api, clock, idb};

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
    Attempt::resume(None, events)
        .map(Rc::new)
        .map_err(|e| e.to_string())
}

/// The session remembered from before a reload, if any.
pub async fn restore() -> Result<Option<(Rc<LoginResponse>, Rc<Attempt>)>, String> {
    let Some(login) = idb::load_session().await.map_err(|e| e.0)? else {
        return Ok(None);
    };
    let attempt = attempt_of(&login).await?;
    Ok(Some((Rc::new(login), attempt)))
}

/// Remembers a fresh login and loads its attempt.
pub async fn sign_in(login: LoginResponse) -> Result<(Rc<LoginResponse>, Rc<Attempt>), String> {
    idb::save_session(&login).await.map_err(|e| e.0)?;
    let attempt = attempt_of(&login).await?;
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

/// Forgets the login on this machine; the attempt's events stay stored.
pub async fn sign_out() -> Result<(), String> {
    idb::clear_session().await.map_err(|e| e.0)
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

/// Runs one engine command at the current time and stores its event.
pub async fn commit(
    attempt_id: &str,
    attempt: &Attempt,
    command: impl FnOnce(&mut Attempt, i64) -> Result<Event, AttemptError>,
) -> Result<Rc<Attempt>, CommitError> {
    let mut next = attempt.clone();
    let event = command(&mut next, clock::wall_ms()).map_err(CommitError::Refused)?;
    idb::append_events(attempt_id, std::slice::from_ref(&event))
        .await
        .map_err(|e| CommitError::Storage(e.0))?;
    Ok(Rc::new(next))
}
