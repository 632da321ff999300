//! The candidate's way home when the network never comes back: an
//! encrypted copy of the whole attempt saved to a file.
//!
//! The finished screen offers it while anything is unsent. The copy holds
//! the chained log and every medium it names that this machine still has,
//! encrypted to the session's copy key (`vigil_copy`: only the organiser's
//! server opens it), and lands in the downloads folder; the organiser
//! imports it with `vigil-server attempt import`. Saving a copy changes
//! nothing of the attempt: no event is written, sending goes on, and a
//! second copy made later simply holds more.
//!
//! [`use_save_copy`] is the hook the root uses; [`save`] does the work and
//! [`file_name`] is pure, tested natively.

use std::rc::Rc;

use vigil_api::LoginResponse;
use vigil_copy::{AttemptCopy, CopyHeader, Medium, PublicKey};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::browser::{download, idb};
use crate::store::{self, AttemptStore};
use crate::sync;

/// Where saving a copy stands, for the finished screen.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum CopyState {
    #[default]
    Idle,
    Saving,
    /// Saved as `name`; `missing` media the log names were not on this
    /// machine and are not in it.
    Saved {
        name: String,
        missing: usize,
    },
    Failed(CopyFailure),
}

/// Why a copy could not be saved; the screen says it in the candidate's
/// language.
#[derive(Debug, Clone, PartialEq)]
pub enum CopyFailure {
    /// The login (from an older server) carries no copy key.
    NoKey,
    /// Reading the attempt's media from IndexedDB, encrypting, or handing
    /// the file to the browser failed: the technical reason.
    Other(String),
}

/// The file's name: the session and candidate, in characters every file
/// system and mail client keeps.
pub fn file_name(session: &str, candidate: &str) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .take(64)
            .collect()
    };
    format!("vigil-{}-{}.vigilcopy", clean(session), clean(candidate))
}

/// Builds, encrypts and saves the copy of the stored attempt.
pub async fn save(login: &LoginResponse, store: &AttemptStore) -> Result<CopyState, CopyFailure> {
    let key = login
        .attempt
        .copy_key
        .as_deref()
        .ok_or(CopyFailure::NoKey)?;
    let key = PublicKey::from_hex(key).map_err(|e| CopyFailure::Other(e.to_string()))?;
    // What is stored now: the log and the state it leads to (a step being
    // written meanwhile joins the next copy).
    let (state, events) = store
        .with_stored(|s, events| (s.clone(), events.to_vec()))
        .ok_or(CopyFailure::NoKey)?;
    let mut media = Vec::new();
    let mut missing = 0;
    let mut seen = std::collections::HashSet::new();
    for sha in sync::media_of(&state) {
        if !seen.insert(sha.clone()) {
            continue;
        }
        match idb::get_media(&sha).await {
            Ok(Some(bytes)) => media.push(Medium { sha256: sha, bytes }),
            Ok(None) => missing += 1,
            Err(e) => return Err(CopyFailure::Other(e.0)),
        }
    }
    let view = &login.attempt;
    let header = CopyHeader::new(
        &view.session.id,
        &view.id,
        &view.candidate,
        store::now_ms(&state),
    );
    let copy = AttemptCopy { events, media };
    let bytes = vigil_copy::seal(&key, &header, &copy, &mut rand_core::OsRng)
        .map_err(|e| CopyFailure::Other(e.to_string()))?;
    let name = file_name(&view.session.id, &view.candidate);
    download::save_file(&name, &bytes, "application/octet-stream").map_err(CopyFailure::Other)?;
    Ok(CopyState::Saved { name, missing })
}

/// The copy's state and the callback that saves one (again, if asked).
#[hook]
pub fn use_save_copy(
    login: Option<Rc<LoginResponse>>,
    store: AttemptStore,
) -> (CopyState, Callback<()>) {
    let state = use_state(CopyState::default);
    let on_save = {
        let state = state.clone();
        Callback::from(move |()| {
            let Some(login) = login.clone() else {
                return;
            };
            let store = store.clone();
            if *state == CopyState::Saving {
                return;
            }
            state.set(CopyState::Saving);
            let state = state.clone();
            spawn_local(async move {
                state.set(match save(&login, &store).await {
                    Ok(saved) => saved,
                    Err(e) => CopyState::Failed(e),
                });
            });
        })
    };
    ((*state).clone(), on_save)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_keep_to_safe_characters() {
        assert_eq!(
            file_name("S-2026-01", "C001"),
            "vigil-S-2026-01-C001.vigilcopy"
        );
        assert_eq!(file_name("a/b\\c", "é d"), "vigil-a_b_c-__d.vigilcopy");
        assert!(file_name(&"x".repeat(500), "c").len() < 160);
    }
}
