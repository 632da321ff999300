//! Room scan: a guided 360° video of the desk and the room, recorded with
//! MediaRecorder for [`ROOM_SCAN_MS`]. Instructions change step by step
//! (desk, left, behind, right, under the screen) under a progress ring.
//! The video is stored in IndexedDB by SHA-256 before its event.

use std::rc::Rc;

use yew::platform::spawn_local;
use yew::prelude::*;

use crate::browser::camera::{self, Video};
use crate::browser::{clock, recorder};
use crate::components::camera_preview::{CameraOutcome, CameraPreview};
use crate::i18n::Lang;

/// Length of the room scan (the minimum: 20 s).
pub const ROOM_SCAN_MS: u32 = 20_000;

#[derive(Debug, Clone, PartialEq)]
enum Stage {
    Ready,
    Recording { started_mono: f64 },
    Recorded(Rc<Vec<u8>>),
    Failed(String),
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lang: Lang,
    /// Keep this recording: its bytes and duration.
    pub on_keep: Callback<(Vec<u8>, u64)>,
    #[prop_or_default]
    pub error: Option<AttrValue>,
}

#[component]
pub fn RoomScanScreen(props: &Props) -> Html {
    let t = props.lang.texts();
    let video = use_node_ref();
    let stage = use_state(|| Stage::Ready);
    let camera_ok = use_state(|| false);
    // Redraws the progress while recording.
    let now = use_state(clock::mono_ms);

    let on_outcome = {
        let camera_ok = camera_ok.clone();
        Callback::from(move |o| camera_ok.set(o == CameraOutcome::Working))
    };
    let on_start = {
        let (video, stage, now) = (video.clone(), stage.clone(), now.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(el) = video.cast::<Video>() else {
                return;
            };
            let started_mono = clock::mono_ms();
            stage.set(Stage::Recording { started_mono });
            let (stage, now) = (stage.clone(), now.clone());
            let ticking = Rc::new(std::cell::Cell::new(true));
            let ticker = ticking.clone();
            spawn_local(async move {
                while ticker.get() {
                    now.set(clock::mono_ms());
                    camera::pause_ms(250).await;
                }
            });
            spawn_local(async move {
                let result = recorder::record(&el, ROOM_SCAN_MS).await;
                ticking.set(false);
                stage.set(match result {
                    Ok(bytes) => Stage::Recorded(Rc::new(bytes)),
                    Err(e) => Stage::Failed(e),
                });
            });
        })
    };
    let on_retake = {
        let stage = stage.clone();
        Callback::from(move |_: MouseEvent| stage.set(Stage::Ready))
    };
    let on_keep = {
        let (stage, on_keep) = (stage.clone(), props.on_keep.clone());
        Callback::from(move |_: MouseEvent| {
            if let Stage::Recorded(bytes) = &*stage {
                on_keep.emit((bytes.as_ref().clone(), u64::from(ROOM_SCAN_MS)));
            }
        })
    };

    let steps = t.room_scan_steps;
    let (progress, step) = match &*stage {
        Stage::Recording { started_mono } => {
            let p = ((*now - started_mono) / f64::from(ROOM_SCAN_MS)).clamp(0.0, 1.0);
            let step = ((p * steps.len() as f64) as usize).min(steps.len() - 1);
            (p, Some(step))
        }
        Stage::Recorded(_) => (1.0, None),
        _ => (0.0, None),
    };
    let percent = (progress * 100.0).round() as u32;

    html! {
        <section class="screen" data-screen="room-scan" aria-labelledby="scan-title">
            <h1 id="scan-title">{ t.room_scan_title }</h1>
            <p class="lead">{ t.room_scan_intro }</p>
            <div class="check-layout">
                <CameraPreview label={t.camera_preview_label} {on_outcome} video_ref={video} />
                <div class="scan">
                    <div class="ring" role="progressbar" aria-valuemin="0" aria-valuemax="100"
                        aria-valuenow={percent.to_string()} aria-label={t.room_scan_progress}
                        style={format!("--p: {percent}")} data-testid="room-scan-progress">
                        <span>{ format!("{percent} %") }</span>
                    </div>
                    <ol class="scan__steps">
                        { for steps.iter().enumerate().map(|(i, s)| html! {
                            <li class={classes!((step == Some(i)).then_some("scan__step--now"))}
                                aria-current={(step == Some(i)).then_some("step")}>{ *s }</li>
                        }) }
                    </ol>
                </div>
            </div>
            if let Stage::Failed(why) = &*stage {
                <p class="alert alert--error" role="alert">{ format!("{} ({why})", t.room_scan_failed) }</p>
            }
            if let Some(err) = &props.error {
                <p class="alert alert--error" role="alert" data-testid="problem">{ err }</p>
            }
            <div class="actions">
                { match &*stage {
                    Stage::Recorded(_) => html! { <>
                        <button type="button" class="button" onclick={on_retake}>{ t.room_scan_retake }</button>
                        <button type="button" class="button button--primary" data-testid="room-scan-done"
                            onclick={on_keep}>{ t.room_scan_keep }</button>
                    </> },
                    Stage::Recording { .. } => html! {
                        <p class="note" aria-live="polite">{ t.room_scan_recording }</p>
                    },
                    Stage::Ready | Stage::Failed(_) => html! {
                        <button type="button" class="button button--primary" data-testid="room-scan-start"
                            disabled={!*camera_ok} onclick={on_start}>{ t.room_scan_start }</button>
                    },
                } }
            </div>
        </section>
    }
}
