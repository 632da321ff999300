//! Over the exam: the face checks' indicator and, while a camera or voice
//! incident is open, a calm sentence on what to do (never the thresholds:
//! a reviewer's aid, never a verdict).

use yew::prelude::*;

use crate::i18n::Lang;
use crate::live_checks::{FaceChecks, FaceChecksState};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lang: Lang,
    pub checks: FaceChecks,
    /// The open incident to speak of (see `proctoring::banner_kind`).
    pub incident: Option<vigil_exam::IncidentKind>,
}

#[component]
pub fn LiveBanner(props: &Props) -> Html {
    use vigil_exam::IncidentKind as K;
    let t = props.lang.texts();
    let text = props.incident.map(|k| match k {
        K::FaceAbsent => t.incident_face_absent,
        K::SeveralFaces => t.incident_several_faces,
        K::LookingAway => t.incident_looking_away,
        K::CameraCovered => t.incident_camera_covered,
        K::Voice => t.incident_voice,
        K::IdentityChanged => t.incident_identity_changed,
        _ => t.incident_camera_lost,
    });
    let kind_name = props.incident.map(|k| {
        serde_json::to_value(k)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    });
    let checks = props.checks;
    let label = match checks.state {
        FaceChecksState::Starting => t.face_checks_starting,
        FaceChecksState::Running => t.face_checks_running,
        FaceChecksState::Unavailable => t.face_checks_unavailable,
    };
    let state = checks.state.as_str();
    html! {
        <>
            <p class={classes!("face-checks", format!("face-checks--{state}"))}
                data-testid="face-checks" data-state={state}
                data-frames={checks.frames.to_string()}
                data-identity-checks={checks.identity_checks.to_string()}
                data-last-ms={format!("{:.1}", checks.last_ms)}>
                { label }
            </p>
            if let Some(text) = text {
                <div class="incident-banner" data-testid="incident-banner" role="status"
                    aria-live="polite" data-kind={kind_name}>
                    { text }
                </div>
            }
        </>
    }
}
