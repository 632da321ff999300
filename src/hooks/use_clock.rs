//! The second that redraws countdowns, and the exam's time boundaries.
//!
//! While a countdown is on show (waiting room, identification, exam,
//! finished), the device clock is read once a second; the exam's due
//! boundaries (a section's end, the deadline) are committed as soon as the
//! trusted time passes them, stamped with the boundary itself by the
//! engine's `tick`.

use yew::prelude::*;

use super::use_steps::Steps;
use crate::browser::{clock, timer};
use crate::state::Screen;
use crate::store;

/// The device time, redrawn every second while `screen` shows time.
#[hook]
pub fn use_clock(steps: &Steps, screen: Screen) -> i64 {
    let now = use_state(clock::wall_ms);
    let timed = matches!(
        screen,
        Screen::WaitingRoom
            | Screen::Identity
            | Screen::HeadTurn
            | Screen::RoomScan
            | Screen::Exam
            | Screen::Review
            | Screen::Finished
    );
    {
        let now = now.clone();
        use_effect_with(timed, move |timed| {
            now.set(clock::wall_ms());
            let every = timed.then(|| timer::every(1_000, move || now.set(clock::wall_ms())));
            move || drop(every)
        });
    }
    // Due boundaries, checked when the second changes.
    let steps = steps.clone();
    use_effect_with(*now / 1_000, move |_| {
        let (Some(state), Some(exam)) = (steps.model.attempt.clone(), steps.model.exam.clone())
        else {
            return;
        };
        let due = state
            .next_boundary_ms()
            .is_some_and(|b| b <= store::now_ms(&state));
        if due {
            steps.run(move |a, now| Ok(a.tick(&exam, now)));
        }
    });
    *now
}
