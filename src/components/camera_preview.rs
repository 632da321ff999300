//! The live camera picture, and the camera's verdict for the system check.
//!
//! The component owns the stream: it opens the camera when mounted, samples
//! a few frames to tell "working" from "black or covered", reports the
//! outcome once, and stops the camera when unmounted.
//!
//! With `count_faces` (the system check) it keeps watching instead: the
//! vision worker counts the faces of a frame about twice a second, and the
//! outcome is reported each time it changes, so the check passes only while
//! exactly one face is in front of the camera.

use std::cell::RefCell;
use std::rc::Rc;

use yew::prelude::*;

use crate::browser::camera::{self, Camera, Video};
use crate::browser::timer;
use crate::browser::vision;
use crate::checks::DARK_FRAME_LUMA;

/// What the camera check found.
#[derive(Debug, Clone, PartialEq)]
pub enum CameraOutcome {
    /// Frames arrive and are bright enough (with `count_faces`: and show
    /// exactly one face).
    Working,
    Dark,
    Unavailable(String),
    /// No face in the frame (`count_faces` only).
    NoFace,
    /// More than one face (`count_faces` only).
    SeveralFaces(usize),
    /// The face checks could not start (`count_faces` only).
    VisionFailed(String),
}

/// Pause between two face counts.
const COUNT_EVERY_MS: u32 = 500;
/// Faces scoring below this are not counted (the engine's default
/// `min_face_score`).
const MIN_FACE_SCORE: f64 = 0.6;

/// Frames sampled before concluding, and the pause between them.
const SAMPLES: u32 = 40;
const SAMPLE_EVERY_MS: u32 = 250;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub label: AttrValue,
    pub on_outcome: Callback<CameraOutcome>,
    /// The `<video>` element, for a parent that captures stills from it.
    #[prop_or_default]
    pub video_ref: Option<NodeRef>,
    /// Keep counting faces and report each change (see the module docs).
    #[prop_or_default]
    pub count_faces: bool,
}

#[component]
pub fn CameraPreview(props: &Props) -> Html {
    let own_ref = use_node_ref();
    let video = props.video_ref.clone().unwrap_or(own_ref);
    // The open camera, for as long as the preview is shown (the sampling
    // task may end well before: the video keeps playing).
    let stream: Rc<RefCell<Option<Camera>>> = use_mut_ref(|| None);
    {
        let video = video.clone();
        let stream = stream.clone();
        let on_outcome = props.on_outcome.clone();
        let count_faces = props.count_faces;
        use_effect_with((), move |_| {
            let held = stream.clone();
            let task = timer::spawn(async move {
                let s = match camera::open().await {
                    Ok(s) => s,
                    Err(e) => return on_outcome.emit(CameraOutcome::Unavailable(e.0)),
                };
                let Some(el) = video.cast::<Video>() else {
                    return;
                };
                camera::attach(&el, &s);
                *held.borrow_mut() = Some(s);
                if count_faces {
                    return watch_faces(&el, &on_outcome).await;
                }
                let mut saw_frame = false;
                for _ in 0..SAMPLES {
                    camera::pause_ms(SAMPLE_EVERY_MS).await;
                    match camera::frame_luma(&el) {
                        Some(luma) if luma >= DARK_FRAME_LUMA => {
                            return on_outcome.emit(CameraOutcome::Working)
                        }
                        Some(_) => saw_frame = true,
                        None => {}
                    }
                }
                on_outcome.emit(if saw_frame {
                    CameraOutcome::Dark
                } else {
                    CameraOutcome::Unavailable("no frames".into())
                });
            });
            move || {
                // The task first (it may be waiting for the camera), then
                // the camera: dropping it turns the light off.
                drop(task);
                stream.borrow_mut().take();
            }
        });
    }
    html! {
        <figure class="camera">
            <video ref={video} class="camera__video" data-testid="camera-preview"
                aria-label={props.label.clone()} muted=true autoplay=true />
        </figure>
    }
}

/// The system check's loop: brightness, then the number of faces, reported
/// on every change while the preview is shown.
async fn watch_faces(video: &Video, on_outcome: &Callback<CameraOutcome>) {
    let mut last: Option<CameraOutcome> = None;
    let mut report = |o: CameraOutcome| {
        if last.as_ref() != Some(&o) {
            on_outcome.emit(o.clone());
            last = Some(o);
        }
    };
    let mut frameless: u32 = 0;
    loop {
        camera::pause_ms(COUNT_EVERY_MS).await;
        let outcome = match camera::frame_luma(video) {
            None => {
                frameless += 1;
                if frameless * COUNT_EVERY_MS >= SAMPLES * SAMPLE_EVERY_MS {
                    report(CameraOutcome::Unavailable("no frames".into()));
                }
                continue;
            }
            Some(luma) if luma < DARK_FRAME_LUMA => CameraOutcome::Dark,
            Some(_) => match count(video).await {
                Ok(0) => CameraOutcome::NoFace,
                Ok(1) => CameraOutcome::Working,
                Ok(n) => CameraOutcome::SeveralFaces(n),
                Err(e) => CameraOutcome::VisionFailed(e),
            },
        };
        frameless = 0;
        let failed = matches!(outcome, CameraOutcome::VisionFailed(_));
        report(outcome);
        if failed {
            // The worker may come up on a later try (a slow first load).
            camera::pause_ms(3_000).await;
        }
    }
}

async fn count(video: &Video) -> Result<usize, String> {
    let worker = vision::shared().await?;
    let sample =
        camera::sample(video, vision::SAMPLE_WIDTH, false).ok_or_else(|| "no frame".to_string())?;
    let (analysis, _) = worker.analyze(&sample.pixels).await?;
    Ok(analysis.faces_over(MIN_FACE_SCORE))
}
