//! Identity: a photo of the identity document held to the camera, then a
//! photo of the face. Each is shown for a retake before it is kept; a kept
//! photo is stored as a JPEG in IndexedDB and its SHA-256 goes in the log.

use vigil_exam::IdentityWhat;
use yew::prelude::*;

use crate::browser::camera::{self, Photo, Video};
use crate::components::camera_preview::{CameraOutcome, CameraPreview};
use crate::i18n::Lang;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lang: Lang,
    /// Which photo is asked for now.
    pub what: IdentityWhat,
    /// Keep this photo (store it and record it).
    pub on_keep: Callback<(IdentityWhat, Vec<u8>)>,
    #[prop_or_default]
    pub error: Option<AttrValue>,
}

#[component]
pub fn IdentityScreen(props: &Props) -> Html {
    let t = props.lang.texts();
    let video = use_node_ref();
    let photo = use_state(|| None::<Photo>);
    let camera_ok = use_state(|| false);
    let missed = use_state(|| false);
    // A new step starts with no photo.
    {
        let photo = photo.clone();
        use_effect_with(props.what, move |_| photo.set(None));
    }

    let (title, instructions, capture_id) = match props.what {
        IdentityWhat::IdDocument => (t.identity_id_title, t.identity_id_help, "capture-id"),
        IdentityWhat::Face => (t.identity_face_title, t.identity_face_help, "capture-face"),
    };
    let on_outcome = {
        let camera_ok = camera_ok.clone();
        Callback::from(move |o| camera_ok.set(o == CameraOutcome::Working))
    };
    let on_capture = {
        let (video, photo, missed) = (video.clone(), photo.clone(), missed.clone());
        Callback::from(move |_: MouseEvent| {
            let shot = video.cast::<Video>().and_then(|v| camera::capture_jpeg(&v));
            missed.set(shot.is_none());
            if shot.is_some() {
                photo.set(shot);
            }
        })
    };
    let on_retake = {
        let photo = photo.clone();
        Callback::from(move |_: MouseEvent| photo.set(None))
    };
    let on_keep = {
        let photo = photo.clone();
        let what = props.what;
        let on_keep = props.on_keep.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(p) = &*photo {
                on_keep.emit((what, p.bytes.clone()));
            }
        })
    };

    html! {
        <section class="screen" data-screen="identity" aria-labelledby="identity-title">
            <h1 id="identity-title">{ title }</h1>
            <p class="lead">{ instructions }</p>
            <div class="check-layout">
                <CameraPreview label={t.camera_preview_label} {on_outcome} video_ref={video} />
                <figure class="camera">
                    if let Some(p) = &*photo {
                        <img class="camera__photo" src={p.data_url.clone()} alt={title}
                            data-testid="identity-photo" />
                    } else {
                        <div class="camera__placeholder">{ t.identity_no_photo }</div>
                    }
                </figure>
            </div>
            if *missed {
                <p class="alert alert--error" role="alert">{ t.identity_no_frame }</p>
            }
            if let Some(err) = &props.error {
                <p class="alert alert--error" role="alert">{ err }</p>
            }
            <div class="actions">
                if photo.is_some() {
                    <button type="button" class="button" onclick={on_retake}>{ t.identity_retake }</button>
                    <button type="button" class="button button--primary" data-testid="continue"
                        onclick={on_keep}>{ t.identity_keep }</button>
                } else {
                    <button type="button" class="button button--primary" data-testid={capture_id}
                        disabled={!*camera_ok} onclick={on_capture}>{ t.identity_capture }</button>
                }
            </div>
        </section>
    }
}
