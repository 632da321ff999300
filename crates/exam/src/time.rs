//! The start window and the deadlines derived from the actual start.
//!
//! One exam definition can be scheduled many times, so the scheduled start is
//! not in the definition: the server's session gives a [`Schedule`], and
//! [`StartWindow::new`] combines it with the exam's late-entry grace. The
//! server calls [`StartWindow::check_start`] before releasing the package key;
//! the engine checks it again when the `start` event is appended and replayed.
//!
//! The window is the closed interval `[starts_at, starts_at + grace +
//! START_SLACK_MS]`. The slack is not late entry: it covers the waiting room's
//! automatic start at `starts_at` plus the network round trip, so a grace of 0
//! ("a late candidate cannot sit") is still usable. Deadlines count from the
//! *actual* start: `deadline = started_at + duration (+ extra time)`, and data
//! must reach the server by `deadline + sync_deadline`.

use serde::{Deserialize, Serialize};

use crate::definition::{secs_to_ms, Exam};

/// Allowance after `starts_at + grace` for the automatic start's latency.
pub const START_SLACK_MS: i64 = 60_000;

/// One scheduled sitting of an exam, as the server's session knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    /// Scheduled start, ms since the Unix epoch.
    pub starts_at_ms: i64,
    /// Late-entry grace in ms; `None` takes the exam's `late_entry_grace_s`.
    #[serde(default)]
    pub grace_ms: Option<i64>,
}

/// A schedule that cannot make a window.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("start window ends before it starts (grace {grace_ms} ms)")]
    EndsBeforeStart { grace_ms: i64 },
    #[error("start window out of the representable time range")]
    OutOfRange,
}

/// Why a start is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum StartError {
    #[error("too early: the start window opens at {opens_at_ms}")]
    TooEarly { opens_at_ms: i64 },
    #[error("too late: the start window closed at {closed_at_ms}")]
    TooLate { closed_at_ms: i64 },
}

/// When a candidate may start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartWindow {
    pub opens_at_ms: i64,
    /// Last ms at which a start is accepted (inclusive).
    pub closes_at_ms: i64,
}

/// Deadlines of one attempt, from its actual start (the check-in at the
/// click on start; the questions open after the identification steps).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadlines {
    pub started_at_ms: i64,
    /// The questions open at this instant at the latest, identification
    /// done or not.
    pub identification_by_ms: i64,
    /// The latest the attempt can end: questions opened at the
    /// identification bound, plus the duration. An attempt whose questions
    /// opened earlier ends earlier ([`questions_deadline`]).
    pub ends_at_ms: i64,
    /// The data must have reached the server by this instant.
    pub sync_by_ms: i64,
}

impl StartWindow {
    pub fn new(exam: &Exam, schedule: &Schedule) -> Result<StartWindow, ScheduleError> {
        let grace = schedule
            .grace_ms
            .unwrap_or(secs_to_ms(exam.timing.late_entry_grace_s));
        if grace < 0 {
            return Err(ScheduleError::EndsBeforeStart { grace_ms: grace });
        }
        let closes = schedule
            .starts_at_ms
            .checked_add(grace)
            .and_then(|t| t.checked_add(START_SLACK_MS))
            .ok_or(ScheduleError::OutOfRange)?;
        Ok(StartWindow {
            opens_at_ms: schedule.starts_at_ms,
            closes_at_ms: closes,
        })
    }

    /// May a candidate start at `now_ms`?
    pub fn check_start(&self, now_ms: i64) -> Result<(), StartError> {
        if now_ms < self.opens_at_ms {
            Err(StartError::TooEarly {
                opens_at_ms: self.opens_at_ms,
            })
        } else if now_ms > self.closes_at_ms {
            Err(StartError::TooLate {
                closed_at_ms: self.closes_at_ms,
            })
        } else {
            Ok(())
        }
    }
}

/// Deadlines of an attempt started at `started_at_ms`.
pub fn deadlines(exam: &Exam, started_at_ms: i64, extra_time: bool) -> Deadlines {
    let identification_by = started_at_ms.saturating_add(exam.identification_max_ms());
    let ends = questions_deadline(exam, identification_by, extra_time);
    Deadlines {
        started_at_ms,
        identification_by_ms: identification_by,
        ends_at_ms: ends,
        sync_by_ms: ends.saturating_add(secs_to_ms(exam.timing.sync_deadline_s)),
    }
}

/// The deadlines once the questions' opening is known (`None`: not yet,
/// the latest stand): the end is the opening plus the duration, and the
/// data must arrive `sync_deadline_s` after that end, not after the latest
/// one.
pub fn deadlines_opened(
    exam: &Exam,
    started_at_ms: i64,
    extra_time: bool,
    questions_opened_at_ms: Option<i64>,
) -> Deadlines {
    let latest = deadlines(exam, started_at_ms, extra_time);
    let Some(opened) = questions_opened_at_ms else {
        return latest;
    };
    let ends = questions_deadline(exam, opened, extra_time).min(latest.ends_at_ms);
    Deadlines {
        ends_at_ms: ends,
        sync_by_ms: ends.saturating_add(secs_to_ms(exam.timing.sync_deadline_s)),
        ..latest
    }
}

/// The deadline of an attempt whose questions opened at `opened_at_ms`:
/// the timer starts there.
pub fn questions_deadline(exam: &Exam, opened_at_ms: i64, extra_time: bool) -> i64 {
    opened_at_ms.saturating_add(exam.duration_ms(extra_time))
}

/// `deadline − now`, never negative.
pub fn remaining(deadline_ms: i64, now_ms: i64) -> i64 {
    deadline_ms.saturating_sub(now_ms).max(0)
}
