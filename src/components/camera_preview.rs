//! The live camera picture, and the camera's verdict for the system check.
//!
//! The component owns the stream: it opens the camera when mounted, samples
//! a few frames to tell "working" from "black or covered", reports the
//! outcome once, and stops the camera when unmounted.

use std::cell::RefCell;
use std::rc::Rc;

use yew::platform::spawn_local;
use yew::prelude::*;

use crate::browser::camera::{self, Stream, Video};
use crate::checks::DARK_FRAME_LUMA;

/// What the camera check found.
#[derive(Debug, Clone, PartialEq)]
pub enum CameraOutcome {
    Working,
    Dark,
    Unavailable(String),
}

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
}

#[component]
pub fn CameraPreview(props: &Props) -> Html {
    let own_ref = use_node_ref();
    let video = props.video_ref.clone().unwrap_or(own_ref);
    let stream: Rc<RefCell<Option<Stream>>> = use_mut_ref(|| None);
    {
        let video = video.clone();
        let stream = stream.clone();
        let on_outcome = props.on_outcome.clone();
        use_effect_with((), move |_| {
            let alive = Rc::new(RefCell::new(true));
            let task_alive = alive.clone();
            let task_stream = stream.clone();
            spawn_local(async move {
                let opened = camera::open().await;
                if !*task_alive.borrow() {
                    if let Ok(s) = &opened {
                        camera::stop(s);
                    }
                    return;
                }
                let s = match opened {
                    Ok(s) => s,
                    Err(e) => return on_outcome.emit(CameraOutcome::Unavailable(e.0)),
                };
                let Some(el) = video.cast::<Video>() else {
                    return;
                };
                camera::attach(&el, &s);
                *task_stream.borrow_mut() = Some(s);
                let mut saw_frame = false;
                for _ in 0..SAMPLES {
                    camera::pause_ms(SAMPLE_EVERY_MS).await;
                    if !*task_alive.borrow() {
                        return;
                    }
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
                *alive.borrow_mut() = false;
                if let Some(s) = stream.borrow_mut().take() {
                    camera::stop(&s);
                }
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
