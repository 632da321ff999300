//! Identity: a photo of the identity document held to the camera, then a
//! photo of the face. Each is shown for a retake before it is kept; a kept
//! photo is stored as a JPEG in IndexedDB and its SHA-256 goes in the log.
//!
//! The vision worker checks each photo before it can be kept: the ID
//! document must show a face, the face photo exactly one. (The comparison
//! of the two is made afterwards, for the reviewer: see the app's
//! `face_match` step.)

use vigil_exam::IdentityWhat;
use yew::prelude::*;

use yew::platform::spawn_local;

use crate::browser::camera::{self, Photo, Video};
use crate::browser::vision;
use crate::components::camera_preview::{CameraOutcome, CameraPreview};
use crate::i18n::{fill, Lang};

/// Identity photos are checked at this width: the face on an ID card held
/// to the camera is small.
const CHECK_WIDTH: u32 = 640;

/// What the face check of a photo said.
#[derive(Debug, Clone, PartialEq)]
enum PhotoCheck {
    Checking,
    Good,
    /// Why the photo cannot be kept (shown to the candidate).
    Bad(String),
}

/// Whether `faces` faces are right for `what`: a face on the ID document,
/// exactly one on the face photo.
fn faces_fit(what: IdentityWhat, faces: usize) -> bool {
    match what {
        IdentityWhat::IdDocument => faces >= 1,
        IdentityWhat::Face => faces == 1,
    }
}

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
    let check = use_state(|| PhotoCheck::Checking);
    // A new step starts with no photo.
    {
        let photo = photo.clone();
        use_effect_with(props.what, move |_| photo.set(None));
    }
    let lang = props.lang;

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
        let check = check.clone();
        let what = props.what;
        Callback::from(move |_: MouseEvent| {
            let Some(v) = video.cast::<Video>() else {
                return missed.set(true);
            };
            // The same frame twice: the JPEG kept, the pixels checked.
            let shot = camera::capture_jpeg(&v);
            let pixels = camera::sample(&v, CHECK_WIDTH, false);
            missed.set(shot.is_none());
            let (Some(shot), Some(sample)) = (shot, pixels) else {
                return;
            };
            photo.set(Some(shot));
            check.set(PhotoCheck::Checking);
            let check = check.clone();
            spawn_local(async move {
                let t = lang.texts();
                let counted = match vision::shared().await {
                    Ok(w) => w.count_faces(&sample.pixels).await,
                    Err(e) => Err(e),
                };
                check.set(match counted {
                    Ok(n) if faces_fit(what, n) => PhotoCheck::Good,
                    Ok(_) if what == IdentityWhat::IdDocument => {
                        PhotoCheck::Bad(t.identity_id_no_face.to_owned())
                    }
                    Ok(n) => PhotoCheck::Bad(fill(t.identity_face_count, &n.to_string())),
                    Err(e) => PhotoCheck::Bad(fill(t.check_camera_vision_failed, &e)),
                });
            });
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

    let check_note = match (&*photo, &*check) {
        (None, _) | (_, PhotoCheck::Good) => html! {},
        (Some(_), PhotoCheck::Checking) => html! {
            <p class="alert" role="status" data-testid="photo-check"
                data-state="checking">{ t.identity_checking }</p>
        },
        (Some(_), PhotoCheck::Bad(why)) => html! {
            <p class="alert alert--error" role="alert" data-testid="photo-check"
                data-state="bad">{ why }</p>
        },
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
            { check_note }
            if *missed {
                <p class="alert alert--error" role="alert">{ t.identity_no_frame }</p>
            }
            if let Some(err) = &props.error {
                <p class="alert alert--error" role="alert" data-testid="problem">{ err }</p>
            }
            <div class="actions">
                if photo.is_some() {
                    <button type="button" class="button" onclick={on_retake}>{ t.identity_retake }</button>
                    <button type="button" class="button button--primary" data-testid="continue"
                        disabled={*check != PhotoCheck::Good}
                        onclick={on_keep}>{ t.identity_keep }</button>
                } else {
                    <button type="button" class="button button--primary" data-testid={capture_id}
                        disabled={!*camera_ok} onclick={on_capture}>{ t.identity_capture }</button>
                }
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_needs_a_face_and_the_face_photo_exactly_one() {
        assert!(!faces_fit(IdentityWhat::IdDocument, 0));
        // The card's photo, and the candidate holding it: both fine.
        assert!(faces_fit(IdentityWhat::IdDocument, 1));
        assert!(faces_fit(IdentityWhat::IdDocument, 2));
        assert!(!faces_fit(IdentityWhat::Face, 0));
        assert!(faces_fit(IdentityWhat::Face, 1));
        assert!(!faces_fit(IdentityWhat::Face, 2));
    }
}
