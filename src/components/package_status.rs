//! Where the encrypted exam stands on this computer: being downloaded,
//! stored (the exam can start even if the network is poor at the start
//! time), or not yet (retried in the background). `package-status` with
//! `data-state` for tests.

use yew::prelude::*;

use crate::i18n::Lang;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PackageState {
    /// Not signed in, or not looked at yet.
    #[default]
    Unknown,
    Downloading,
    Stored,
    /// The last try failed; the app tries again.
    Failed,
}

impl PackageState {
    pub fn as_str(self) -> &'static str {
        match self {
            PackageState::Unknown => "unknown",
            PackageState::Downloading => "downloading",
            PackageState::Stored => "stored",
            PackageState::Failed => "failed",
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lang: Lang,
    pub state: PackageState,
}

#[component]
pub fn PackageStatus(props: &Props) -> Html {
    let t = props.lang.texts();
    let (text, class) = match props.state {
        PackageState::Unknown | PackageState::Downloading => (t.package_downloading, "pending"),
        PackageState::Stored => (t.package_stored, "pass"),
        PackageState::Failed => (t.package_failed, "warn"),
    };
    html! {
        <p class={classes!("package-status", format!("package-status--{class}"))}
            data-testid="package-status" data-state={props.state.as_str()}
            role="status" aria-live="polite">
            { text }
        </p>
    }
}
