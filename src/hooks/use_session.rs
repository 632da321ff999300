//! The session on this machine: at start-up, come back to where it was
//! (the session and the attempt in IndexedDB, the review screen if it was
//! open); sign in; sign out. A failed restore or a sign-in this machine
//! could not store is said on the login screen ([`Problem::Restore`],
//! [`Problem::SignIn`]); nothing stored is touched.

use vigil_api::LoginResponse;
use yew::platform::spawn_local;
use yew::prelude::*;

use super::use_steps::Steps;
use crate::browser::{dom, kiosk};
use crate::problem::Problem;
use crate::session;
use crate::state::Action;

/// The sign-in and sign-out callbacks.
pub struct Session {
    pub on_logged_in: Callback<LoginResponse>,
    pub on_sign_out: Callback<()>,
}

#[hook]
pub fn use_session(steps: &Steps) -> Session {
    use_restore_once(steps);
    let on_logged_in = {
        let steps = steps.clone();
        Callback::from(move |login: LoginResponse| {
            let steps = steps.clone();
            spawn_local(async move {
                match session::sign_in(&steps.store, login).await {
                    // The exam travels now, while the network is good.
                    Ok((login, attempt)) => {
                        steps.clear();
                        steps.model.dispatch(Action::LoggedIn(login, attempt));
                    }
                    Err(e) => steps.fail(Problem::SignIn(e)),
                }
            });
        })
    };
    let on_sign_out = {
        let steps = steps.clone();
        Callback::from(move |()| {
            let steps = steps.clone();
            spawn_local(async move {
                // Whatever the outcome, leave the screen: unsent events stay stored.
                let _ = session::sign_out(&steps.store, steps.model.login.as_deref()).await;
                steps.clear();
                steps.model.dispatch(Action::BackToLogin);
            });
        })
    };
    Session {
        on_logged_in,
        on_sign_out,
    }
}

#[hook]
fn use_restore_once(steps: &Steps) {
    let steps = steps.clone();
    use_effect_with((), move |_| {
        spawn_local(async move {
            let reviewing = dom::review_was_open().await;
            match session::restore(&steps.store).await {
                Ok(found) => {
                    if found.is_none() {
                        // Nothing on this machine yet: the launcher may
                        // wipe it if the browser closes now.
                        kiosk::post_sync_status(kiosk::SyncStatus::default()).await;
                    }
                    steps.model.dispatch(Action::Restored(found));
                    if reviewing {
                        // Shown only if the exam is still on.
                        steps.model.dispatch(Action::OpenReview);
                    }
                }
                Err(e) => {
                    steps.model.dispatch(Action::Restored(None));
                    steps.fail(Problem::Restore(e));
                }
            }
        });
    });
}
