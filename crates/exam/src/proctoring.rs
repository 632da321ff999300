//! Proctoring rules: from a stream of observations to incidents, with
//! hysteresis.
//!
//! [`Proctor::observe`] is pure and incremental: it takes one observation
//! (a camera frame's analysis, voice activity, focus, fullscreen, screens,
//! camera liveness, a clock check, or a bare tick to let time pass) and
//! returns the incidents that opened or closed. Each incident kind has a
//! *condition* derived from the latest observation of its signal; the
//! condition holds until the next observation of the same signal. An incident
//! opens once its condition has held continuously for `open_after_ms`, with
//! `opened_at` = the moment the condition began; it closes once the condition
//! has been continuously clear for `close_after_ms`, with `closed_at` = the
//! moment it cleared. So a short blip opens nothing, and a flicker does not
//! close an incident. Time only advances with observations: the app sends a
//! `Tick` when nothing else arrives. Observations that go back in time are
//! taken at the latest time already seen.
//!
//! Defaults (all overridable in the exam's `[proctoring]` table):
//!
//! | kind | condition | open after | close after | severity |
//! | --- | --- | --- | --- | --- |
//! | `face_absent` | no face with score ≥ 0.6 in a frame that is not dark | 5 s | 1 s | medium |
//! | `several_faces` | ≥ 2 faces with score ≥ 0.6 | 2 s | 1 s | high |
//! | `looking_away` | one face, abs(yaw) > 30° or abs(pitch) > 25° | 8 s | 1 s | low |
//! | `camera_covered` | mean brightness < 0.08 (0 = black, 1 = white) | 3 s | 1 s | high |
//! | `camera_lost` | camera reported dead, or no frame for 5 s | 3 s | 1 s | high |
//! | `voice` | voice activity | 3 s | 2 s | medium |
//! | `left_window` | exam window not focused | 1 s | 0.5 s | high |
//! | `fullscreen_exit` | not fullscreen | 1 s | 0.5 s | high |
//! | `extra_screen` | an extended display is attached | 1 s | 1 s | high |
//! | `clock_tampering` | the last clock check found a jump | 0 s | 0 s | high |
//! | `identity_changed` | the last 2 identity checks in a row scored below [`IDENTITY_THRESHOLD`] | 0 s | 0 s | high |
//!
//! Evidence of an incident is the SHA-256 of the latest camera frame
//! snapshot known when it opened (the app stores the snapshot as media).
//!
//! The identity check ([`Signal::Identity`]): every
//! `identity_interval_s` of the policy, and as soon as a face is back after
//! an absence, the app compares the live face with the face photo of the
//! identification (MobileFaceNet embeddings, cosine similarity). One low
//! score is not enough (a bad frame, a hand over the face); two in a row
//! are. A check that finds no single face counts neither way: an absent
//! face or several faces are incidents of their own. Like every incident,
//! it is a reviewer's aid: the reviewer sees the still beside the face
//! photo and the ID, and decides.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::limits::MAX_THRESHOLD_MS;
use crate::validate::Problems;

/// What an incident is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentKind {
    FaceAbsent,
    SeveralFaces,
    LookingAway,
    CameraCovered,
    CameraLost,
    Voice,
    LeftWindow,
    FullscreenExit,
    ExtraScreen,
    ClockTampering,
    /// The live face no longer matches the identification's face photo.
    IdentityChanged,
}

impl IncidentKind {
    /// Every kind, in a fixed order.
    pub const ALL: [IncidentKind; 11] = [
        IncidentKind::FaceAbsent,
        IncidentKind::SeveralFaces,
        IncidentKind::LookingAway,
        IncidentKind::CameraCovered,
        IncidentKind::CameraLost,
        IncidentKind::Voice,
        IncidentKind::LeftWindow,
        IncidentKind::FullscreenExit,
        IncidentKind::ExtraScreen,
        IncidentKind::ClockTampering,
        IncidentKind::IdentityChanged,
    ];

    fn index(self) -> usize {
        self as usize
    }

    /// The default rule of this kind (see the module table).
    pub fn default_rule(self) -> Rule {
        use IncidentKind::*;
        use Severity::*;
        let (open_after_ms, close_after_ms, severity) = match self {
            FaceAbsent => (5_000, 1_000, Medium),
            SeveralFaces => (2_000, 1_000, High),
            LookingAway => (8_000, 1_000, Low),
            CameraCovered => (3_000, 1_000, High),
            CameraLost => (3_000, 1_000, High),
            Voice => (3_000, 2_000, Medium),
            LeftWindow => (1_000, 500, High),
            FullscreenExit => (1_000, 500, High),
            ExtraScreen => (1_000, 1_000, High),
            ClockTampering => (0, 0, High),
            // The condition itself already needs two checks in a row
            // (`IDENTITY_MISSES`), minutes apart.
            IdentityChanged => (0, 0, High),
        };
        Rule {
            enabled: true,
            open_after_ms,
            close_after_ms,
            severity,
        }
    }
}

/// How serious an incident is, for the reviewer's triage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
}

/// The effective rule of one incident kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub enabled: bool,
    pub open_after_ms: u64,
    pub close_after_ms: u64,
    pub severity: Severity,
}

/// An override of a kind's rule in the exam definition; absent fields keep the
/// default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleOverride {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_after_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_after_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
}

/// The proctoring policy of an exam (`[proctoring]` in TOML).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProctoringPolicy {
    /// How often the app samples a camera frame, in ms. Default 1000.
    #[serde(default = "d_sample")]
    pub sample_interval_ms: u64,
    /// Faces scoring below this are ignored. Default 0.6.
    #[serde(default = "d_score")]
    pub min_face_score: f64,
    /// Head yaw beyond this (degrees, either side) is looking away. Default 30.
    #[serde(default = "d_yaw")]
    pub yaw_limit_deg: f64,
    /// Head pitch beyond this (degrees, either side) is looking away. Default 25.
    #[serde(default = "d_pitch")]
    pub pitch_limit_deg: f64,
    /// Mean brightness (0–1) below which the camera counts as covered. Default 0.08.
    #[serde(default = "d_dark")]
    pub dark_brightness: f64,
    /// No frame for this long counts as camera lost, in ms. Default 5000.
    #[serde(default = "d_timeout")]
    pub frame_timeout_ms: u64,
    /// Seconds between two identity checks of the live face against the
    /// identification's face photo (and one more after every absence of
    /// the face). Default 120; 5 to 3600. Left out of the serialised
    /// policy at its default, so the exams written before it keep their
    /// bytes.
    #[serde(default = "d_identity", skip_serializing_if = "is_d_identity")]
    pub identity_interval_s: u32,
    /// Per-kind overrides, e.g. `[proctoring.rules.voice] enabled = false`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub rules: BTreeMap<IncidentKind, RuleOverride>,
}

fn d_sample() -> u64 {
    1_000
}
fn d_score() -> f64 {
    0.6
}
fn d_yaw() -> f64 {
    30.0
}
fn d_pitch() -> f64 {
    25.0
}
fn d_dark() -> f64 {
    0.08
}
fn d_timeout() -> u64 {
    5_000
}
fn d_identity() -> u32 {
    120
}
fn is_d_identity(v: &u32) -> bool {
    *v == d_identity()
}

impl Default for ProctoringPolicy {
    fn default() -> Self {
        ProctoringPolicy {
            sample_interval_ms: d_sample(),
            min_face_score: d_score(),
            yaw_limit_deg: d_yaw(),
            pitch_limit_deg: d_pitch(),
            dark_brightness: d_dark(),
            frame_timeout_ms: d_timeout(),
            identity_interval_s: d_identity(),
            rules: BTreeMap::new(),
        }
    }
}

impl ProctoringPolicy {
    /// The effective rule of `kind`: the default with the override applied.
    pub fn rule(&self, kind: IncidentKind) -> Rule {
        let mut r = kind.default_rule();
        if let Some(o) = self.rules.get(&kind) {
            r.enabled = o.enabled.unwrap_or(r.enabled);
            r.open_after_ms = o.open_after_ms.unwrap_or(r.open_after_ms);
            r.close_after_ms = o.close_after_ms.unwrap_or(r.close_after_ms);
            r.severity = o.severity.unwrap_or(r.severity);
        }
        r
    }

    pub(crate) fn check(&self, p: &mut Problems, f: &str) {
        if !(100..=60_000).contains(&self.sample_interval_ms) {
            p.push(
                format!("{f}.sample_interval_ms"),
                format!("{} (expected 100 to 60000)", self.sample_interval_ms),
            );
        }
        let ranges = [
            ("min_face_score", self.min_face_score, 0.0, 1.0),
            ("yaw_limit_deg", self.yaw_limit_deg, 1.0, 90.0),
            ("pitch_limit_deg", self.pitch_limit_deg, 1.0, 90.0),
            ("dark_brightness", self.dark_brightness, 0.0, 1.0),
        ];
        for (name, v, lo, hi) in ranges {
            if !(v.is_finite() && (lo..=hi).contains(&v)) {
                p.push(
                    format!("{f}.{name}"),
                    format!("{v} (expected {lo} to {hi})"),
                );
            }
        }
        if !(5..=3_600).contains(&self.identity_interval_s) {
            p.push(
                format!("{f}.identity_interval_s"),
                format!("{} (expected 5 to 3600)", self.identity_interval_s),
            );
        }
        if !(1_000..=MAX_THRESHOLD_MS).contains(&self.frame_timeout_ms) {
            p.push(
                format!("{f}.frame_timeout_ms"),
                format!(
                    "{} (expected 1000 to {MAX_THRESHOLD_MS})",
                    self.frame_timeout_ms
                ),
            );
        }
        for (kind, o) in &self.rules {
            let name = serde_json::to_value(kind).ok();
            let name = name.as_ref().and_then(|v| v.as_str()).unwrap_or("?");
            for (field, v) in [
                ("open_after_ms", o.open_after_ms),
                ("close_after_ms", o.close_after_ms),
            ] {
                if let Some(v) = v.filter(|v| *v > MAX_THRESHOLD_MS) {
                    p.push(
                        format!("{f}.rules.{name}.{field}"),
                        format!("{v} ms (max {MAX_THRESHOLD_MS})"),
                    );
                }
            }
        }
    }
}

/// One detected face, as produced by the vision worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaceObservation {
    pub score: f64,
    /// `[x, y, width, height]`, normalised to the frame (0–1).
    pub bbox: [f64; 4],
    #[serde(default)]
    pub landmarks: Vec<[f64; 2]>,
    pub yaw_deg: f64,
    pub pitch_deg: f64,
}

/// Cosine similarity above which two face photos are read as the same
/// person (MobileFaceNet embeddings; equal to `vigil_vision::MATCH_THRESHOLD`,
/// which a test of the vision worker checks). A reviewer's aid only.
pub const FACE_MATCH_THRESHOLD: f64 = 0.5;

/// Identity checks in a row scoring below [`IDENTITY_THRESHOLD`] that make
/// the `identity_changed` condition.
pub const IDENTITY_MISSES: u32 = 2;

/// Similarity (thousandths) below which a live face is read as another
/// person than the identification's face photo: [`FACE_MATCH_THRESHOLD`],
/// chosen on the test photographs (see `docs/architecture.md`, identity).
pub const IDENTITY_THRESHOLD_MILLI: i32 = (FACE_MATCH_THRESHOLD * 1000.0) as i32;

/// The same threshold as a similarity (−1 to 1).
pub const IDENTITY_THRESHOLD: f64 = FACE_MATCH_THRESHOLD;

/// What the vision worker reports about one camera frame: the faces found
/// and the mean brightness. The app adds the time and the still's hash and
/// hands it to the rules as [`Signal::Frame`] ([`FrameAnalysis::signal`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameAnalysis {
    pub faces: Vec<FaceObservation>,
    /// Mean brightness, 0 (black) to 1 (white).
    pub brightness: f64,
}

impl FrameAnalysis {
    /// The rules' observation of this frame, with the hash of its still if
    /// one was kept.
    pub fn signal(self, frame_sha256: Option<String>) -> Signal {
        Signal::Frame {
            faces: self.faces,
            brightness: self.brightness,
            frame_sha256,
        }
    }

    /// Faces scoring at least `min_score` (the policy's `min_face_score`).
    pub fn faces_over(&self, min_score: f64) -> usize {
        self.faces.iter().filter(|f| f.score >= min_score).count()
    }
}

/// One observation, timestamped by the trusted clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    pub at: i64,
    pub signal: Signal,
}

/// What was observed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Signal {
    /// Analysis of one camera frame.
    Frame {
        faces: Vec<FaceObservation>,
        /// Mean brightness, 0 (black) to 1 (white).
        brightness: f64,
        /// SHA-256 of the stored snapshot of this frame, if one was kept.
        #[serde(default)]
        frame_sha256: Option<String>,
    },
    /// Voice activity detection over the last audio window.
    Audio { voice: bool },
    /// The exam window gained or lost focus (or visibility).
    Focus { focused: bool },
    /// Fullscreen entered or left.
    Fullscreen { active: bool },
    /// Whether an extended display is attached.
    Screens { extended: bool },
    /// The camera track is alive or ended.
    Camera { alive: bool },
    /// Result of a trusted-clock reading (see [`crate::clock`]).
    Clock { tampering: bool },
    /// The live face compared with the identification's face photo:
    /// their similarity in thousandths, `None` when the frame did not show
    /// exactly one face (nothing to compare).
    Identity {
        similarity_milli: Option<i32>,
        /// SHA-256 of the stored still of the compared frame.
        #[serde(default)]
        frame_sha256: Option<String>,
    },
    /// Nothing new; lets time pass.
    Tick,
}

impl Observation {
    pub fn new(at: i64, signal: Signal) -> Self {
        Observation { at, signal }
    }
}

/// An incident: a condition that held long enough.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    pub kind: IncidentKind,
    pub severity: Severity,
    pub opened_at: i64,
    pub closed_at: Option<i64>,
    /// SHA-256 (hex) of the evidence snapshot.
    pub evidence: Option<String>,
}

/// An incident that opened or closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum IncidentChange {
    Opened(Incident),
    Closed(Incident),
}

#[derive(Debug, Clone, Copy, Default)]
struct RuleState {
    on: bool,
    since: i64,
    open: Option<usize>,
}

/// The incremental rule engine. One per attempt.
#[derive(Debug, Clone)]
pub struct Proctor {
    policy: ProctoringPolicy,
    rules: [Rule; IncidentKind::ALL.len()],
    states: [RuleState; IncidentKind::ALL.len()],
    last_at: Option<i64>,
    last_frame_at: Option<i64>,
    last_frame_sha256: Option<String>,
    camera_dead_since: Option<i64>,
    /// Identity checks in a row below the threshold.
    identity_misses: u32,
    history: Vec<Incident>,
}

impl Proctor {
    pub fn new(policy: &ProctoringPolicy) -> Self {
        Proctor {
            policy: policy.clone(),
            rules: IncidentKind::ALL.map(|k| policy.rule(k)),
            states: [RuleState::default(); IncidentKind::ALL.len()],
            identity_misses: 0,
            last_at: None,
            last_frame_at: None,
            last_frame_sha256: None,
            camera_dead_since: None,
            history: Vec::new(),
        }
    }

    /// Every incident so far, open ones with `closed_at = None`.
    pub fn incidents(&self) -> &[Incident] {
        &self.history
    }

    /// Incidents currently open.
    pub fn open_incidents(&self) -> impl Iterator<Item = &Incident> {
        self.history.iter().filter(|i| i.closed_at.is_none())
    }

    fn set(&mut self, kind: IncidentKind, on: bool, at: i64) {
        let s = &mut self.states[kind.index()];
        if s.on != on {
            s.on = on;
            s.since = at;
        }
    }

    /// Take one observation; return the incidents it opened or closed.
    pub fn observe(&mut self, obs: Observation) -> Vec<IncidentChange> {
        use IncidentKind::*;
        let at = match self.last_at {
            None => {
                for s in &mut self.states {
                    s.since = obs.at;
                }
                obs.at
            }
            Some(last) => obs.at.max(last),
        };
        self.last_at = Some(at);
        match obs.signal {
            Signal::Frame {
                faces,
                brightness,
                frame_sha256,
            } => {
                self.last_frame_at = Some(at);
                if frame_sha256.is_some() {
                    self.last_frame_sha256 = frame_sha256;
                }
                let p = &self.policy;
                let dark = brightness.is_nan() || brightness < p.dark_brightness;
                let good: Vec<&FaceObservation> = faces
                    .iter()
                    .filter(|f| f.score >= p.min_face_score)
                    .collect();
                let away = good.len() == 1
                    && !(good[0].yaw_deg.abs() <= p.yaw_limit_deg
                        && good[0].pitch_deg.abs() <= p.pitch_limit_deg);
                let (absent, several) = (good.is_empty(), good.len() >= 2);
                self.set(CameraCovered, dark, at);
                self.set(FaceAbsent, !dark && absent, at);
                self.set(SeveralFaces, !dark && several, at);
                self.set(LookingAway, !dark && away, at);
            }
            Signal::Audio { voice } => self.set(Voice, voice, at),
            Signal::Focus { focused } => self.set(LeftWindow, !focused, at),
            Signal::Fullscreen { active } => self.set(FullscreenExit, !active, at),
            Signal::Screens { extended } => self.set(ExtraScreen, extended, at),
            Signal::Camera { alive } => {
                self.camera_dead_since = match (alive, self.camera_dead_since) {
                    (true, _) => None,
                    (false, Some(t)) => Some(t),
                    (false, None) => Some(at),
                }
            }
            Signal::Clock { tampering } => {
                self.set(ClockTampering, tampering, at);
            }
            Signal::Identity {
                similarity_milli,
                frame_sha256,
            } => {
                if frame_sha256.is_some() {
                    self.last_frame_sha256 = frame_sha256;
                }
                match similarity_milli {
                    Some(s) if s < IDENTITY_THRESHOLD_MILLI => {
                        self.identity_misses = self.identity_misses.saturating_add(1)
                    }
                    Some(_) => self.identity_misses = 0,
                    None => {}
                }
                self.set(IdentityChanged, self.identity_misses >= IDENTITY_MISSES, at);
            }
            Signal::Tick => {}
        }
        // Camera lost: reported dead, or frames stale.
        let timeout = i64::try_from(self.policy.frame_timeout_ms).unwrap_or(i64::MAX);
        let stale_since = self
            .last_frame_at
            .map(|t| t.saturating_add(timeout))
            .filter(|s| at > *s);
        let lost_since = match (self.camera_dead_since, stale_since) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        {
            let s = &mut self.states[CameraLost.index()];
            match lost_since {
                Some(t) if !s.on => {
                    s.on = true;
                    s.since = t;
                }
                None if s.on => {
                    s.on = false;
                    s.since = at;
                }
                _ => {}
            }
        }
        self.evaluate(at)
    }

    /// Takes over an incident the log says is still open (after a reload)
    /// whose condition the rules cannot know yet, e.g. a face absent: its
    /// condition is taken to hold since it opened, so the next observation
    /// of its signal either keeps it open or closes it by the usual rule,
    /// instead of closing it at the reload and opening a new one. Nothing
    /// is done for a kind already open here.
    pub fn adopt(&mut self, incident: &Incident) {
        let s = &mut self.states[incident.kind.index()];
        if s.open.is_some() || incident.closed_at.is_some() {
            return;
        }
        s.on = true;
        s.since = incident.opened_at;
        s.open = Some(self.history.len());
        self.history.push(incident.clone());
        if incident.kind == IncidentKind::IdentityChanged {
            // Its condition is two misses in a row: the next miss keeps it
            // open, the next match closes it.
            self.identity_misses = IDENTITY_MISSES;
        }
    }

    /// Close every open incident at `at` (e.g. when the attempt is submitted).
    pub fn finish(&mut self, at: i64) -> Vec<IncidentChange> {
        let mut out = Vec::new();
        for s in &mut self.states {
            if let Some(i) = s.open.take() {
                let inc = &mut self.history[i];
                inc.closed_at = Some(at.max(inc.opened_at));
                out.push(IncidentChange::Closed(inc.clone()));
            }
            s.on = false;
            s.since = at;
        }
        out
    }

    fn evaluate(&mut self, at: i64) -> Vec<IncidentChange> {
        let mut out = Vec::new();
        for kind in IncidentKind::ALL {
            let rule = self.rules[kind.index()];
            if !rule.enabled {
                continue;
            }
            let s = &mut self.states[kind.index()];
            let held = u64::try_from(at.saturating_sub(s.since)).unwrap_or(0);
            match (s.on, s.open) {
                (true, None) if held >= rule.open_after_ms => {
                    let inc = Incident {
                        kind,
                        severity: rule.severity,
                        opened_at: s.since,
                        closed_at: None,
                        evidence: self.last_frame_sha256.clone(),
                    };
                    s.open = Some(self.history.len());
                    self.history.push(inc.clone());
                    out.push(IncidentChange::Opened(inc));
                }
                (false, Some(i)) if held >= rule.close_after_ms => {
                    s.open = None;
                    let inc = &mut self.history[i];
                    inc.closed_at = Some(s.since);
                    out.push(IncidentChange::Closed(inc.clone()));
                }
                _ => {}
            }
        }
        out
    }
}
