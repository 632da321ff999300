//! Replay: rebuild an attempt's state from its log, deterministically.
//!
//! The server verifies the chain and folds the events through the same
//! transition function as the app ([`AttemptState::step`]); any event the app
//! could not have appended is refused with its seq. No clock, no randomness,
//! no hash-map iteration order: the same log always gives the same state.

use crate::definition::Exam;
use crate::event::Event;
use crate::log::{verify, ChainError};
use crate::state::{AttemptError, AttemptState};

/// Why a log does not replay.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReplayError {
    #[error("broken chain: {0}")]
    Chain(ChainError),
    #[error("event {seq} refused: {error}")]
    Refused { seq: u64, error: AttemptError },
}

/// Verify the chain of `events` and fold them into the attempt's state.
pub fn replay(exam: &Exam, events: &[Event]) -> Result<AttemptState, ReplayError> {
    replay_events(Some(exam), events)
}

/// As [`replay`], without the exam definition as long as the log stays
/// before the start (the app before it receives the package key).
pub fn replay_events(exam: Option<&Exam>, events: &[Event]) -> Result<AttemptState, ReplayError> {
    verify(events).map_err(ReplayError::Chain)?;
    let mut state = AttemptState::new();
    for e in events {
        state
            .step(exam, &e.kind, e.at, e.seq)
            .map_err(|error| ReplayError::Refused { seq: e.seq, error })?;
    }
    Ok(state)
}
