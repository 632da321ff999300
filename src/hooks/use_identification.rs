//! After the start: the identification steps' consequences.
//!
//! - both identity photos kept: the vision worker compares them for the
//!   reviewer (in the background; again at the next start if it could not);
//! - every step done: the questions open and the timer starts (the same
//!   after a reload that came back between the two);
//! - the questions open (by the candidate or at the bound): the server
//!   records the moment (again after a reload: it keeps the first; offline,
//!   it takes the log's account at sync).

use vigil_exam::Phase;
use yew::platform::spawn_local;
use yew::prelude::*;

use super::use_steps::Steps;
use crate::browser::api;

#[hook]
pub fn use_identification(steps: &Steps) {
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
        let steps = steps.clone();
        use_effect_with(complete, move |complete| {
            if let (true, Some(exam)) = (*complete, steps.model.exam.clone()) {
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
}
