//! The exam's live checks: camera frames to the vision worker and the
//! microphone to the voice detector, at the policy's pace, their
//! observations to the proctoring rules, the incidents to the log with
//! their evidence still.
//!
//! Two loops, started when the exam screen opens and stopped when it
//! closes: the hook holds them as [`timer::Task`]s, and dropping one drops
//! the loop at its current await, with the camera or microphone it holds
//! (both close when dropped). Neither ever blocks the page: a frame is scaled down
//! and handed to the worker, and the page waits for the answer without
//! doing anything (the analysis runs in the worker). What the rules do with
//! an observation is the app's ([`Hooks`]).
//!
//! The stills of the last frames are kept here, for the whole tab: an
//! incident may open on any observation (a frame, a voice reading, the
//! app's one-second tick), and whichever path records it calls
//! [`store_evidence`] first, which stores the still it names in IndexedDB
//! (or in the store's memory while IndexedDB refuses),
//! or drops the name if the still is gone: never a dangling hash, which
//! the sync could not send.

use std::cell::RefCell;
use std::rc::Rc;

use vigil_exam::{IncidentChange, Signal};

use crate::browser::{camera, idb, microphone, vision};
use crate::face_match;
use crate::proctoring::{IdentityDue, Stills};
use crate::voice::VoiceDetector;

/// What the candidate's indicator shows about the face checks.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FaceChecks {
    pub state: FaceChecksState,
    /// Frames analysed since the exam screen opened.
    pub frames: u32,
    /// Worker time of the last frame, in ms.
    pub last_ms: f64,
    /// Comparisons of the live face with the identification's made since
    /// the exam screen opened (whatever their result).
    pub identity_checks: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FaceChecksState {
    #[default]
    Starting,
    Running,
    /// The camera or the worker is not available (a `camera_lost`
    /// incident follows by the rules).
    Unavailable,
}

impl FaceChecksState {
    pub fn as_str(self) -> &'static str {
        match self {
            FaceChecksState::Starting => "starting",
            FaceChecksState::Running => "running",
            FaceChecksState::Unavailable => "unavailable",
        }
    }
}

thread_local! {
    static STILLS: RefCell<Stills> = RefCell::new(Stills::default());
}

/// Stores the still each opened incident names; an incident whose still is
/// gone or could not be stored is recorded without evidence.
pub async fn store_evidence(
    store: &crate::store::AttemptStore,
    changes: Vec<IncidentChange>,
) -> Vec<IncidentChange> {
    let mut out = Vec::with_capacity(changes.len());
    for mut c in changes {
        if let IncidentChange::Opened(i) = &mut c {
            if let Some(sha) = i.evidence.clone() {
                let bytes = STILLS.with(|s| s.borrow().get(&sha).map(<[u8]>::to_vec));
                let stored = match bytes {
                    Some(b) => store.put_media(&sha, &b).await,
                    None => false,
                };
                if !stored {
                    i.evidence = None;
                }
            }
        }
        out.push(c);
    }
    out
}

/// How the loops reach the app.
pub struct Hooks {
    /// Hands an observation to the rules (at the trusted time); the changes.
    pub observe: Box<dyn Fn(Signal) -> Vec<IncidentChange>>,
    /// Stores incident changes in the log.
    pub record: Box<dyn Fn(Vec<IncidentChange>)>,
    /// The indicator's new state.
    pub status: Box<dyn Fn(FaceChecks)>,
}

/// The identity check of the live face (`identity_changed`): the face
/// photo of the identification it is compared with, and how often.
#[derive(Debug, Clone, PartialEq)]
pub struct IdentityCheck {
    /// SHA-256 of the identification's face photo (stored in IndexedDB).
    pub reference_sha256: String,
    pub interval_ms: f64,
    /// Faces scoring below this do not count (the policy's).
    pub min_face_score: f64,
}

/// Compares the live face with the reference photo: the rules' observation,
/// with the compared frame's still kept for evidence. `None` when the
/// reference cannot be read or the worker cannot compare (the next check
/// comes at the next interval).
async fn compare_identity(
    check: &IdentityCheck,
    reference: &mut Option<Vec<u8>>,
    video: &camera::Video,
    worker: &vision::Vision,
) -> Option<Signal> {
    if reference.is_none() {
        *reference = idb::get_media(&check.reference_sha256).await.ok()?;
    }
    // Decoded for each comparison: the worker takes the pixels' buffer
    // (transferred, not copied), so decoded pixels serve once.
    let photo = camera::jpeg_pixels(reference.as_ref()?, face_match::COMPARE_WIDTH).await?;
    let sample = camera::sample(video, face_match::COMPARE_WIDTH, true)?;
    let m = worker.identity(&photo, &sample.pixels).await.ok()?;
    let frame_sha256 = sample
        .still
        .map(|bytes| STILLS.with(|s| s.borrow_mut().keep(bytes)));
    Some(Signal::Identity {
        // A similarity only for exactly one face on the live frame.
        similarity_milli: m
            .similarity
            .filter(|_| m.faces_on_photo == 1)
            .map(face_match::milli),
        frame_sha256,
    })
}

/// Pause before trying the camera or the worker again after a failure.
const RETRY_MS: u32 = 5_000;
/// Microphone readings: one every 100 ms (see [`crate::voice`]).
const VOICE_READING_MS: u32 = 100;

/// The camera loop, until dropped: one frame every `interval_ms`, and the
/// live face compared with the identification's when `identity` says
/// ([`IdentityDue`]).
pub async fn run_camera(interval_ms: u32, identity: Option<IdentityCheck>, hooks: Rc<Hooks>) {
    let mut due = identity.as_ref().map(|i| IdentityDue::new(i.interval_ms));
    let mut reference = None;
    let mut status = FaceChecks::default();
    (hooks.status)(status);
    let mut stream: Option<camera::Camera> = None;
    let mut video: Option<camera::Video> = None;
    loop {
        let started = crate::browser::clock::mono_ms();
        // The camera: opened on the first round, again if it went away.
        if stream.as_ref().is_none_or(|s| !camera::is_live(s)) {
            stream = None; // stops the dead one
            match camera::open().await {
                Ok(s) => {
                    video = camera::offscreen_video(&s);
                    stream = Some(s);
                }
                Err(_) => video = None,
            }
        }
        let worker = vision::shared().await;
        let (Some(v), Ok(worker)) = (video.as_ref(), worker) else {
            // No camera or no worker: the rules hear the camera is dead.
            let changes = (hooks.observe)(Signal::Camera { alive: false });
            (hooks.record)(changes);
            status.state = FaceChecksState::Unavailable;
            (hooks.status)(status);
            camera::pause_ms(RETRY_MS).await;
            continue;
        };
        if let Some(sample) = camera::sample(v, vision::SAMPLE_WIDTH, true) {
            match worker.analyze(&sample.pixels).await {
                Ok((analysis, ms)) => {
                    let faces = identity
                        .as_ref()
                        .map(|i| analysis.faces_over(i.min_face_score))
                        .unwrap_or(0);
                    let sha = sample
                        .still
                        .map(|bytes| STILLS.with(|s| s.borrow_mut().keep(bytes)));
                    let mut changes = (hooks.observe)(Signal::Camera { alive: true });
                    changes.extend((hooks.observe)(analysis.signal(sha)));
                    (hooks.record)(changes);
                    status = FaceChecks {
                        state: FaceChecksState::Running,
                        frames: status.frames + 1,
                        last_ms: ms,
                        identity_checks: status.identity_checks,
                    };
                    (hooks.status)(status);
                    let now = crate::browser::clock::mono_ms();
                    if let (Some(check), Some(d)) = (identity.as_ref(), due.as_mut()) {
                        if d.after_frame(faces, now) {
                            if let Some(signal) =
                                compare_identity(check, &mut reference, v, &worker).await
                            {
                                let changes = (hooks.observe)(signal);
                                (hooks.record)(changes);
                                status.identity_checks += 1;
                                (hooks.status)(status);
                            }
                        }
                    }
                }
                Err(_) => {
                    status.state = FaceChecksState::Unavailable;
                    (hooks.status)(status);
                }
            }
        }
        let spent = (crate::browser::clock::mono_ms() - started).max(0.0) as u32;
        camera::pause_ms(interval_ms.saturating_sub(spent).max(50)).await;
    }
}

/// The voice loop, until dropped: the microphone read every 100 ms, one
/// observation a second.
pub async fn run_voice(hooks: Rc<Hooks>) {
    let mut mic = None;
    let mut detector = VoiceDetector::default();
    loop {
        let Some(m) = mic.as_mut() else {
            match microphone::open().await {
                Ok(m) => mic = Some(m),
                // No microphone now: try again later (the system check
                // required one, so this is a device gone missing).
                Err(_) => camera::pause_ms(RETRY_MS).await,
            }
            continue;
        };
        if m.suspended() {
            // Allowed once the page has had a click (the start button).
            m.resume();
        }
        if let Some(voice) = detector.push(m.speech_band_db()) {
            let changes = (hooks.observe)(Signal::Audio { voice });
            (hooks.record)(changes);
        }
        camera::pause_ms(VOICE_READING_MS).await;
    }
}
