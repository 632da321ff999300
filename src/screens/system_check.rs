//! The system check: can this computer run the exam? Each item says pass,
//! warn or fail with what to do; a failure blocks the way on, a warning
//! does not. Opened after login, or on its own from the login screen.

use vigil_exam::{CheckResult, CheckStatus as EngineStatus};
use yew::prelude::*;

use crate::browser::{capabilities, network};
use crate::checks::{self, CheckStatus};
use crate::components::camera_preview::{CameraOutcome, CameraPreview};
use crate::components::check_item::CheckItem;
use crate::components::microphone_meter::{MicOutcome, MicrophoneMeter};
use crate::components::package_status::{PackageState, PackageStatus};
use crate::i18n::{fill, Lang};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lang: Lang,
    /// Signed-in candidate id; `None` for the equipment test without login.
    pub candidate: Option<AttrValue>,
    pub on_back: Callback<()>,
    /// Continue with the results (only offered to a signed-in candidate,
    /// and only when nothing failed).
    pub on_continue: Callback<Vec<CheckResult>>,
    /// An error from recording the results, if any.
    #[prop_or_default]
    pub error: Option<AttrValue>,
    /// The exam package's download, for a signed-in candidate.
    #[prop_or_default]
    pub package: Option<PackageState>,
}

/// The engine's form of a verdict (a pending item never gets this far).
fn engine_status(s: CheckStatus) -> EngineStatus {
    match s {
        CheckStatus::Pass => EngineStatus::Pass,
        CheckStatus::Warn | CheckStatus::Pending => EngineStatus::Warn,
        CheckStatus::Fail => EngineStatus::Fail,
    }
}

fn format_gb(gb: f64) -> String {
    if gb.fract() == 0.0 {
        format!("{gb:.0}")
    } else {
        format!("{gb}")
    }
}

#[component]
pub fn SystemCheckScreen(props: &Props) -> Html {
    let t = props.lang.texts();
    // Measured once: these do not change while the screen is open.
    let missing = use_memo((), |_| capabilities::missing_features());
    let memory = use_memo((), |_| capabilities::device_memory_gb());
    let extended = use_memo((), |_| capabilities::screen_is_extended());
    let camera = use_state(|| None::<CameraOutcome>);
    let mic = use_state(|| None::<MicOutcome>);
    // `None` while measuring; then (round trip ms, bits per second).
    let network = use_state(|| None::<(Option<f64>, Option<f64>)>);
    {
        let network = network.clone();
        use_effect_with((), move |_| {
            yew::platform::spawn_local(async move {
                let rtt = network::round_trip_ms().await;
                let bps = match rtt {
                    Some(_) => network::throughput_bps().await,
                    None => None,
                };
                network.set(Some((rtt, bps)));
            });
        });
    }
    // `None` while measuring; `Some(None)` when the browser does not say.
    let storage = use_state(|| None::<Option<f64>>);
    {
        let storage = storage.clone();
        use_effect_with((), move |_| {
            yew::platform::spawn_local(async move {
                storage.set(Some(capabilities::storage_free_bytes().await));
            });
        });
    }

    let browser_status = if missing.is_empty() {
        CheckStatus::Pass
    } else {
        CheckStatus::Fail
    };
    let browser_message = if missing.is_empty() {
        t.check_browser_ok.to_owned()
    } else {
        fill(t.check_browser_missing, &missing.join(", "))
    };

    let (camera_status, camera_message) = match &*camera {
        None => (CheckStatus::Pending, t.check_camera_pending.to_owned()),
        Some(CameraOutcome::Working) => (CheckStatus::Pass, t.check_camera_ok.to_owned()),
        Some(CameraOutcome::Dark) => (CheckStatus::Fail, t.check_camera_dark.to_owned()),
        Some(CameraOutcome::Unavailable(why)) => {
            (CheckStatus::Fail, fill(t.check_camera_denied, why))
        }
        Some(CameraOutcome::NoFace) => (CheckStatus::Fail, t.check_camera_no_face.to_owned()),
        Some(CameraOutcome::SeveralFaces(_)) => {
            (CheckStatus::Fail, t.check_camera_several_faces.to_owned())
        }
        Some(CameraOutcome::VisionFailed(why)) => {
            (CheckStatus::Fail, fill(t.check_camera_vision_failed, why))
        }
    };

    let (mic_status, mic_message) = match &*mic {
        None => (CheckStatus::Pending, t.check_mic_pending.to_owned()),
        Some(MicOutcome::Heard) => (CheckStatus::Pass, t.check_mic_ok.to_owned()),
        Some(MicOutcome::Silent) => (CheckStatus::Warn, t.check_mic_silent.to_owned()),
        Some(MicOutcome::Unavailable(why)) => (CheckStatus::Fail, fill(t.check_mic_denied, why)),
    };

    let (network_status, network_message) = match *network {
        None => (CheckStatus::Pending, t.check_network_pending.to_owned()),
        Some((None, _)) => (CheckStatus::Warn, t.check_network_down.to_owned()),
        Some((Some(rtt), bps)) => {
            let status = checks::network_status(Some(rtt), bps);
            let mbps = bps
                .map(|b| format!(", {:.0} Mbit/s", b / 1e6))
                .unwrap_or_default();
            let figures = format!("{rtt:.0} ms{mbps}");
            let template = if status == CheckStatus::Pass {
                t.check_network_ok
            } else {
                t.check_network_slow
            };
            (status, fill(template, &figures))
        }
    };

    let memory_status = checks::memory_status(*memory);
    let memory_message = match (*memory, memory_status) {
        (None, _) => t.check_memory_unknown.to_owned(),
        (Some(gb), CheckStatus::Fail) => fill(t.check_memory_too_low, &format_gb(gb)),
        (Some(gb), CheckStatus::Warn) => fill(t.check_memory_low, &format_gb(gb)),
        (Some(gb), _) => fill(t.check_memory_ok, &format_gb(gb)),
    };

    let screens_status = checks::screens_status(*extended);
    let screens_message = match *extended {
        Some(false) => t.check_screens_ok,
        Some(true) => t.check_screens_extended,
        None => t.check_screens_unknown,
    };

    let (storage_status, storage_message) = match *storage {
        None => (CheckStatus::Pending, t.check_storage_pending.to_owned()),
        Some(free) => {
            let status = checks::storage_status(free);
            let gb = free.map(|b| format!("{:.1}", b / 1e9)).unwrap_or_default();
            // French writes a decimal comma.
            let gb = if props.lang == Lang::Fr {
                gb.replace('.', ",")
            } else {
                gb
            };
            let message = match status {
                CheckStatus::Pass => fill(t.check_storage_ok, &gb),
                CheckStatus::Fail => fill(t.check_storage_low, &gb),
                _ => t.check_storage_unknown.to_owned(),
            };
            (status, message)
        }
    };

    let statuses = [
        browser_status,
        camera_status,
        mic_status,
        network_status,
        memory_status,
        screens_status,
        storage_status,
    ];
    let can_continue = checks::can_continue(&statuses);
    let blocked = statuses.contains(&CheckStatus::Fail);

    let on_outcome = {
        let camera = camera.clone();
        Callback::from(move |o| camera.set(Some(o)))
    };
    let on_mic = {
        let mic = mic.clone();
        Callback::from(move |o| mic.set(Some(o)))
    };
    let on_back = props.on_back.reform(|_: MouseEvent| ());
    // The items' names are the engine's (one list with the server's
    // pre-check rule), in its order.
    let [browser, camera_item, microphone, network, memory, screens, storage] =
        vigil_exam::CHECK_ITEMS;
    let results: Vec<CheckResult> = [
        (browser, browser_status, browser_message.clone()),
        (camera_item, camera_status, camera_message.clone()),
        (microphone, mic_status, mic_message.clone()),
        (network, network_status, network_message.clone()),
        (memory, memory_status, memory_message.clone()),
        (screens, screens_status, screens_message.to_owned()),
        (storage, storage_status, storage_message.clone()),
    ]
    .into_iter()
    .map(|(item, status, detail)| CheckResult {
        item: item.into(),
        status: engine_status(status),
        detail,
    })
    .collect();
    let on_continue = props
        .on_continue
        .reform(move |_: MouseEvent| results.clone());

    html! {
        <section class="screen" data-screen="system-check" aria-labelledby="check-title">
            <h1 id="check-title">{ t.check_title }</h1>
            <p class="lead">{ t.check_intro }</p>
            if props.candidate.is_none() {
                <p class="note">{ t.check_standalone_note }</p>
            }
            <div class="check-layout">
                <div class="check-layout__media">
                    <CameraPreview label={t.camera_preview_label} {on_outcome} count_faces=true />
                    <MicrophoneMeter label={t.mic_meter_label} start_label={t.mic_start}
                        on_outcome={on_mic} />
                </div>
                <ul class="checks" aria-live="polite">
                    <CheckItem id="browser" label={t.check_browser} status={browser_status}
                        message={browser_message} />
                    <CheckItem id="camera" label={t.check_camera} status={camera_status}
                        message={camera_message} />
                    <CheckItem id="microphone" label={t.check_microphone} status={mic_status}
                        message={mic_message} />
                    <CheckItem id="network" label={t.check_network} status={network_status}
                        message={network_message} />
                    <CheckItem id="memory" label={t.check_memory} status={memory_status}
                        message={memory_message} />
                    <CheckItem id="screens" label={t.check_screens} status={screens_status}
                        message={screens_message} />
                    <CheckItem id="storage" label={t.check_storage} status={storage_status}
                        message={storage_message} />
                </ul>
            </div>
            if let Some(state) = props.package {
                <PackageStatus lang={props.lang} {state} />
            }
            if blocked {
                <p class="alert alert--error" role="alert">{ t.check_blocked }</p>
            }
            if let Some(err) = &props.error {
                <p class="alert alert--error" role="alert" data-testid="problem">{ err }</p>
            }
            <div class="actions">
                <button type="button" class="button" onclick={on_back}>
                    { if props.candidate.is_some() { t.sign_out } else { t.back_to_login } }
                </button>
                if props.candidate.is_some() {
                    <button type="button" class="button button--primary" data-testid="continue"
                        disabled={!can_continue} onclick={on_continue}>{ t.continue_label }</button>
                }
            </div>
        </section>
    }
}
