//! The encrypted exam, downloaded as soon as a candidate is signed in
//! (while the network is good) and retried every 15 s until it is stored:
//! the start then needs only the key.

use yew::prelude::*;

use crate::browser::timer;
use crate::components::package_status::PackageState;
use crate::session;
use crate::state::Model;

/// Pause between two tries to download the exam package.
const PACKAGE_RETRY_MS: u32 = 15_000;

#[hook]
pub fn use_package(model: &UseReducerHandle<Model>) -> PackageState {
    let package = use_state_eq(PackageState::default);
    let signed_in = model.login.clone();
    {
        let package = package.clone();
        let id = signed_in.as_ref().map(|l| l.attempt.id.clone());
        use_effect_with(id, move |_| {
            let task = match signed_in {
                Some(login) => Some(timer::spawn(async move {
                    loop {
                        package.set(PackageState::Downloading);
                        match session::fetch_package(&login).await {
                            Ok(()) => {
                                package.set(PackageState::Stored);
                                break;
                            }
                            Err(_) => package.set(PackageState::Failed),
                        }
                        timer::sleep_ms(PACKAGE_RETRY_MS).await;
                    }
                })),
                None => {
                    package.set(PackageState::Unknown);
                    None
                }
            };
            move || drop(task)
        });
    }
    *package
}
