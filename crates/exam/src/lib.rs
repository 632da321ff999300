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
//! - [`event`], [`canonical`], [`log`]: the hash-chained event log;
//! - [`answer`], [`state`], [`attempt`], [`replay`]: the attempt state machine
//!   — one transition function shared by live commands and replay;
//! - [`scoring`]: per-question, per-section and total scores;
//! - [`proctoring`]: observations to incidents, with hysteresis.
//!
//! See the crate README for the format, the canonical encoding, the scoring
//! rule, the proctoring defaults and the limits.

pub mod definition;
pub mod error;
pub mod limits;
pub mod proctoring;
pub mod validate;

pub use definition::*;
pub use error::*;
pub use proctoring::*;
