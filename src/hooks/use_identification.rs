//! After the start: the identification steps' consequences.
//!
//! - both identity photos kept: the vision worker compares them for the
//!   reviewer (in the background; again at the next start if it could not);
//! - every step done: the questions open and the timer starts (the same
//!   after a reload that came back between the two). Their content is
//!   sealed until then (#31): the app first asks the server, which records
//!   the opening and releases the questions' key, and opens the questions
//!   with it; while the server cannot be reached it asks again every few
//!   seconds (at the identification bound the engine opens them anyway,
//!   and the opening screen waits for the key);
//! - the questions open (by the candidate or at the bound): the server
//!   records the moment (again after a reload: it keeps the first; offline,
//!   it takes the log's account at sync).

use std::rc::Rc;

use vigil_exam::{Exam, Phase};
use yew::platform::spawn_local;
use yew::prelude::*;

use super::use_steps::Steps;
use crate::browser::{api, timer};
use crate::problem::Problem;
use crate::session;
use crate::state::Action;

/// How long the app waits before asking the server for the questions' key
/// again, while it cannot be reached.
const UNSEAL_RETRY_MS: u32 = 3_000;

/// The questions opened on this machine with `exam`: the engine's opening
/// (unless the bound already made it), then the exam itself on screen.
fn opened_with(steps: &Steps, exam: Rc<Exam>) {
    let opened = exam.clone();
    steps.run(move |a, now| {
        let mut events = a.tick(&opened, now);
        if a.state().phase == Phase::Identifying {
            events.push(a.open_questions(&opened, now)?);
        }
        Ok(events)
    });
    steps.model.dispatch(Action::Unsealed(exam));
}

/// Returns the opening screen's callback for the printed start code.
#[hook]
pub fn use_identification(steps: &Steps) -> Callback<String> {
    let state = steps.model.attempt.clone();
    {
        let due = state.as_ref().and_then(|s| crate::face_match::due(s));
        let steps = steps.clone();
        use_effect_with(due, move |due| {
            if let Some((id, face)) = due.clone() {
                spawn_local(async move {
                    if let Ok(body) = crate::face_match::measure(&id, &face).await {
                        steps.run(move |a, now| Ok(vec![a.record_face_match(body, now)?]));
                    }
                });
            }
        });
    }
    {
        let complete = state.as_ref().is_some_and(|s| {
            s.phase == Phase::Identifying && s.identification_missing().is_empty()
        });
        let in_progress = state
            .as_ref()
            .is_some_and(|s| matches!(s.phase, Phase::InProgress { .. }));
        let sealed = steps.model.sealed;
        let retry = use_state_eq(|| 0u32);
        let steps = steps.clone();
        let key = (complete, in_progress, sealed, *retry);
        use_effect_with(key, move |&(complete, in_progress, sealed, tries)| {
            if sealed && (complete || in_progress) {
                // The questions' key first: the server records the opening
                // as it releases it. Unreachable: again in a few seconds
                // (the opening screen waits meanwhile).
                let Some(login) = steps.model.login.clone() else {
                    return;
                };
                spawn_local(async move {
                    match session::unseal(&login).await {
                        Ok(exam) => opened_with(&steps, exam),
                        Err(_) => {
                            timer::sleep_ms(UNSEAL_RETRY_MS).await;
                            retry.set(tries + 1);
                        }
                    }
                });
            } else if let (true, false, Some(exam)) = (complete, sealed, steps.model.exam.clone()) {
                // Opened with the start code (both keys at once), or a
                // package from before the questions were sealed apart.
                steps.run(move |a, now| {
                    // The bound may have passed meanwhile: then `tick`
                    // opened them already.
                    let mut events = a.tick(&exam, now);
                    if a.state().phase == Phase::Identifying {
                        events.push(a.open_questions(&exam, now)?);
                    }
                    Ok(events)
                });
            }
        });
    }
    {
        let opened = state.as_ref().and_then(|s| s.questions_opened_at_ms);
        let login = steps.model.login.clone();
        use_effect_with(opened, move |opened| {
            if let (Some(_), Some(login)) = (opened, login) {
                spawn_local(async move {
                    let _ = api::questions(&login.token).await;
                });
            }
        });
    }
    let steps = steps.clone();
    Callback::from(move |code: String| {
        let Some(login) = steps.model.login.clone() else {
            return;
        };
        let steps = steps.clone();
        spawn_local(async move {
            match session::unseal_with_code(&login, &code).await {
                Ok(exam) => {
                    steps.clear();
                    opened_with(&steps, exam);
                }
                Err(failure) => steps.fail(Problem::Opening(failure)),
            }
        });
    })
}
