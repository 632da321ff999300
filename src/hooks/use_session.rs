//! The session on this machine: at start-up, come back to where it was
//! (the session and the attempt in IndexedDB, the review screen if it was
//! open); sign in; sign out. A failed restore or a sign-in this machine
//! could not store is said on the login screen ([`Problem::Restore`],
//! [`Problem::SignIn`]); nothing stored is touched. When the boot loaded
//! the app, what it asked for (a sign-in, the equipment test) is done once
//! IndexedDB is read ([`crate::boot::Next`]).

use vigil_api::LoginResponse;
use yew::platform::spawn_local;
use yew::prelude::*;

use super::use_steps::Steps;
use crate::boot::Next;
use crate::browser::{dom, kiosk};
use crate::problem::Problem;
use crate::session;
use crate::state::Action;

/// The sign-in and sign-out callbacks.
pub struct Session {
    pub on_logged_in: Callback<LoginResponse>,
    pub on_sign_out: Callback<()>,
}

/// `handover`: what the boot asked for, if it loaded the app
/// ([`crate::boot`]); done once IndexedDB has been read.
#[hook]
pub fn use_session(steps: &Steps, handover: Option<Next>) -> Session {
    use_restore_once(steps, handover);
    let on_logged_in = {
        let steps = steps.clone();
        Callback::from(move |login: LoginResponse| {
            let steps = steps.clone();
            spawn_local(sign_in(steps, login));
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

/// Signs in with the server's answer; a sign-in this machine cannot store
/// is said on the login screen.
async fn sign_in(steps: Steps, login: LoginResponse) {
    match session::sign_in(&steps.store, login).await {
        // The exam travels now, while the network is good.
        Ok((login, attempt)) => {
            steps.clear();
            steps.model.dispatch(Action::LoggedIn(login, attempt));
        }
        Err(e) => steps.fail(Problem::SignIn(e)),
    }
}

#[hook]
fn use_restore_once(steps: &Steps, handover: Option<Next>) {
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
                        // What the boot asked for, before the first screen
                        // shows (else the login would flash): a candidate
                        // already signed in here keeps that attempt.
                        match handover {
                            Some(Next::SignIn { login }) => sign_in(steps.clone(), *login).await,
                            Some(Next::EquipmentTest) => {
                                steps.model.dispatch(Action::OpenEquipmentTest)
                            }
                            Some(Next::Restore) | None => {}
                        }
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
