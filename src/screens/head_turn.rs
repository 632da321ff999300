//! The guided head turn, the identity screen's last step: the candidate
//! turns the head to the left, then to the right, and a still of each side
//! is kept for the reviewer as soon as the face mesh sees that side
//! ([`crate::head_turn::side_shown`]). Nothing to click: a frontal face
//! never passes, a turned one does by itself.
//!
//! Its own component (not a prop of the identity screen) so that its
//! camera preview opens a fresh stream: the frames it samples are the ones
//! the candidate sees.

use vigil_exam::Side;
use yew::prelude::*;

use crate::browser::camera::{self, Video};
use crate::browser::timer;
use crate::browser::vision;
use crate::components::camera_preview::{CameraOutcome, CameraPreview};
use crate::head_turn::side_shown;
use crate::i18n::{fill, Lang};

/// Pause between two frames looked at.
const LOOK_EVERY_MS: u32 = 300;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lang: Lang,
    /// Sides already recorded.
    pub left_done: bool,
    pub right_done: bool,
    /// A side was seen: `(side, yaw in degrees, the still as JPEG)`.
    pub on_turn: Callback<(Side, i32, Vec<u8>)>,
    #[prop_or_default]
    pub error: Option<AttrValue>,
}

#[component]
pub fn HeadTurnScreen(props: &Props) -> Html {
    let t = props.lang.texts();
    let video = use_node_ref();
    let camera_ok = use_state(|| false);
    let failed = use_state(|| None::<String>);
    // The sides still to see, for the loop (it outlives renders).
    let wanted = use_mut_ref(|| (true, true));
    *wanted.borrow_mut() = (!props.left_done, !props.right_done);
    let on_outcome = {
        let camera_ok = camera_ok.clone();
        Callback::from(move |o| camera_ok.set(o == CameraOutcome::Working))
    };
    {
        let (video, wanted, failed) = (video.clone(), wanted.clone(), failed.clone());
        let on_turn = props.on_turn.clone();
        use_effect_with(*camera_ok, move |ok| {
            // The loop runs while the camera works, until the screen
            // goes or the camera fails (the task is dropped).
            let task = ok.then(|| {
                timer::spawn(async move {
                    // A side is sent once; the parent records it and the
                    // props say so at the next render.
                    let mut sent = (false, false);
                    loop {
                        camera::pause_ms(LOOK_EVERY_MS).await;
                        let Some(v) = video.cast::<Video>() else {
                            continue;
                        };
                        let Some(sample) = camera::sample(&v, vision::SAMPLE_WIDTH, false) else {
                            continue;
                        };
                        let analysed = match vision::shared().await {
                            Ok(w) => w.analyze(&sample.pixels).await,
                            Err(e) => Err(e),
                        };
                        let faces = match analysed {
                            Ok((a, _)) => a.faces,
                            Err(e) => {
                                failed.set(Some(e));
                                camera::pause_ms(3_000).await;
                                continue;
                            }
                        };
                        failed.set(None);
                        let Some((side, yaw)) = side_shown(&faces) else {
                            continue;
                        };
                        let (want_left, want_right) = *wanted.borrow();
                        let wanted_now = match side {
                            Side::Left => want_left && !sent.0,
                            Side::Right => want_right && !sent.1,
                        };
                        if !wanted_now {
                            continue;
                        }
                        if let Some(still) = camera::capture_jpeg(&v) {
                            match side {
                                Side::Left => sent.0 = true,
                                Side::Right => sent.1 = true,
                            }
                            on_turn.emit((side, yaw.round() as i32, still.bytes));
                        }
                    }
                })
            });
            move || drop(task)
        });
    }

    let status = match (&*failed, props.left_done && props.right_done) {
        (_, true) => "pass",
        (Some(_), false) => "fail",
        (None, false) => "pending",
    };
    let side = |id: &'static str, label: &'static str, done: bool| {
        html! {
            <li data-testid={id} data-seen={done.to_string()}>
                { label } { " — " }
                <strong>{ if done { t.head_turn_seen } else { t.head_turn_waiting } }</strong>
            </li>
        }
    };
    html! {
        <section class="screen" data-screen="identity" aria-labelledby="head-turn-title">
            <h1 id="head-turn-title">{ t.head_turn_title }</h1>
            <p class="lead">{ t.head_turn_help }</p>
            <div class="check-layout">
                <CameraPreview label={t.camera_preview_label} {on_outcome} video_ref={video} />
                <ul class="head-turn" data-testid="head-turn" data-status={status}
                    aria-live="polite">
                    { side("head-turn-left", t.head_turn_left, props.left_done) }
                    { side("head-turn-right", t.head_turn_right, props.right_done) }
                </ul>
            </div>
            if let Some(e) = &*failed {
                <p class="alert alert--error" role="alert">{ fill(t.head_turn_failed, e) }</p>
            }
            if let Some(err) = &props.error {
                <p class="alert alert--error" role="alert" data-testid="problem">{ err }</p>
            }
        </section>
    }
}
