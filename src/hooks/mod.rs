//! The root component's concerns, one custom hook each (as in yew's
//! `function_todomvc`): the app root only composes them.
//!
//! - [`use_steps`]: the attempt store and the candidate's steps as
//!   callbacks, with the problem a failed step leaves on its screen;
//! - [`use_session`]: coming back to where this machine was at start-up,
//!   signing in and out;
//! - [`use_clock`]: the second that redraws countdowns, and the exam's time
//!   boundaries committed when due;
//! - [`use_sync`]: the background sync and what is left to send;
//! - [`use_package`]: the encrypted exam downloaded as soon as signed in;
//! - [`use_proctoring`]: lockdown and live checks while the exam is on,
//!   through the proctoring rules;
//! - [`use_identification`]: after the start, the identity photos compared
//!   and the questions opened when every step is done;
//! - [`use_start`]: the server clock in the waiting room, and the start.

pub mod use_clock;
pub mod use_identification;
pub mod use_package;
pub mod use_proctoring;
pub mod use_session;
pub mod use_start;
pub mod use_steps;
pub mod use_sync;
