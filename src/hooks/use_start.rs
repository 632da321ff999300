//! The waiting room's work: the server clock measured once on entering
//! (offline, the device clock stands in and the candidate is told so,
//! [`Problem::Clock`]), and the start, online or with the proctor's printed
//! start code.

use yew::platform::spawn_local;
use yew::prelude::*;

use super::use_steps::Steps;
use crate::browser::api::ApiFailure;
use crate::browser::dom;
use crate::problem::Problem;
use crate::session::{self, StartFailure};
use crate::state::{Action, Screen};

/// The start's state and its callback (`None`: online; `Some(code)`:
/// offline with the printed start code).
#[derive(Clone, PartialEq)]
pub struct Start {
    pub starting: bool,
    /// The server could not be reached: the code field is offered.
    pub offer_code: bool,
    pub begin: Callback<Option<String>>,
}

#[hook]
pub fn use_start(steps: &Steps, screen: Screen) -> Start {
    let starting = use_state_eq(|| false);
    let offer_code = use_state_eq(|| false);
    {
        let needs_clock = screen == Screen::WaitingRoom
            && steps
                .model
                .attempt
                .as_ref()
                .is_some_and(|a| a.clock_offset_ms.is_none());
        let steps = steps.clone();
        use_effect_with(needs_clock, move |needs| {
            if *needs {
                spawn_local(async move {
                    if let Err(e) = session::sync_clock(&steps.store).await {
                        steps.fail(Problem::Clock(e));
                    }
                });
            }
        });
    }
    let begin = {
        let (steps, starting, offer_code) = (steps.clone(), starting.clone(), offer_code.clone());
        Callback::from(move |code: Option<String>| {
            let Some(login) = steps.model.login.clone() else {
                return;
            };
            // In the click itself: browsers grant fullscreen only to a gesture.
            dom::request_fullscreen();
            starting.set(true);
            let (steps, starting, offer_code) =
                (steps.clone(), starting.clone(), offer_code.clone());
            spawn_local(async move {
                let result = match &code {
                    None => session::start(&steps.store, &login).await,
                    Some(c) => session::start_with_code(&steps.store, &login, c).await,
                };
                match result {
                    Ok((attempt, exam, sealed)) => {
                        steps.clear();
                        steps.model.dispatch(Action::Started(attempt, exam, sealed));
                    }
                    Err(failure) => {
                        if failure == StartFailure::Api(ApiFailure::Unreachable) {
                            offer_code.set(true);
                        }
                        steps.fail(Problem::Start {
                            failure,
                            with_code: code.is_some(),
                        });
                    }
                }
                starting.set(false);
            });
        })
    };
    Start {
        starting: *starting,
        offer_code: *offer_code,
        begin,
    }
}
