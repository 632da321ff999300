//! vigil-exam: the exam engine. Pure Rust, no I/O, no clock of its own.
//!
//! Used by the web app (compiled to wasm32) and by the server (native, to
//! replay, verify and score attempts). Every function that depends on time
//! takes the time as an argument (`now_ms`, milliseconds since the Unix epoch
//! from a trusted clock); nothing here reads a clock, a file or the network.
//!
//! Layers, each its own module:
//! - [`definition`], [`validate`], [`limits`], [`error`]: the exam format
//!   (TOML authored, JSON carried) and its rules;
//! - [`time`]: the start window and the deadlines derived from the actual start;
//! - [`clock`]: the trusted clock model (server offset + monotonic clock);
//! - [`event`], [`log`]: the events and the hash-chained log, with its
//!   canonical encoding;
//! - [`answer`], [`state`], [`attempt`], [`mod@replay`]: the attempt state machine
//!   — one transition function shared by live commands and replay;
//! - [`scoring`]: per-question, per-section and total scores;
//! - [`proctoring`]: observations to incidents, with hysteresis.
//!
//! See the crate README for the format, the canonical encoding, the scoring
//! rule, the proctoring defaults and the limits.

pub mod answer;
pub mod attempt;
pub mod clock;
pub mod definition;
pub mod error;
pub mod event;
pub mod limits;
pub mod log;
pub mod proctoring;
pub mod replay;
pub mod scoring;
pub mod state;
pub mod time;
pub mod validate;

pub use answer::{parse_number, Answer};
pub use attempt::Attempt;
pub use clock::{ClockJump, ClockReading, ClockSync, TrustedClock};
pub use definition::*;
pub use error::*;
pub use event::*;
pub use log::{
    attempt_genesis, canonical_bytes, decode_events, encode_events, event_hash, verify,
    verify_chain, verify_continuation, verify_from, ChainError, ChainFault, DecodeError, EventLog,
    GENESIS_HASH,
};
pub use proctoring::*;
pub use replay::{
    questions_discrepancy, replay, replay_events, replay_events_from, replay_with_authority,
    start_discrepancies, AuthoritativeReplay, Authority, Discrepancy, ReplayError, Unscored,
    START_TOLERANCE_MS,
};
pub use scoring::{score, Outcome, QuestionScore, ScoreReport, SectionScore, Tally};
pub use state::{AttemptError, AttemptState, Phase, SectionProgress};
pub use time::{
    deadlines, deadlines_opened, questions_deadline, Deadlines, Schedule, ScheduleError,
    StartError, StartWindow,
};
