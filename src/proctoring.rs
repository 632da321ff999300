//! The proctoring loop's state: the engine's [`Proctor`] fed with what the
//! app observes during the exam, turning it into incident events by the
//! exam's policy (`[proctoring]`: thresholds, severities, rules on or off).
//!
//! Pure (no web-sys): the app feeds it the lockdown's signals as they are
//! recorded and a tick every second, and stores the incident changes it
//! returns. After a reload the same state is rebuilt from the log
//! ([`Watch::resume`]): the recorded focus / fullscreen / screens events are
//! replayed with a tick before each (as the live loop ticks between them),
//! then what the log says is open is reconciled with what the rules say,
//! so an incident is neither lost nor opened twice when the page was
//! closed in between. Camera frames and voice join the same loop (the
//! vision worker's analyses, the microphone's voice activity); they are not
//! in the log, so an incident of theirs that the log says is open is taken
//! over at a reload ([`Proctor::adopt`]) and settled by the next frames.
//!
//! Evidence: every analysed frame's still (a small JPEG) is kept in memory
//! in [`Stills`], the last few only; the rules name the latest one in an
//! incident they open, and only that one is stored (and later synced).

use std::collections::VecDeque;

use vigil_exam::{
    AttemptState, Event, EventKind, Exam, Incident, IncidentChange, IncidentKind, Observation,
    Proctor, Signal,
};

/// Incident kinds whose observations are not in the log (camera frames,
/// voice): adopted at a reload rather than closed.
pub const LIVE_KINDS: [IncidentKind; 7] = [
    IncidentKind::IdentityChanged,
    IncidentKind::FaceAbsent,
    IncidentKind::SeveralFaces,
    IncidentKind::LookingAway,
    IncidentKind::CameraCovered,
    IncidentKind::CameraLost,
    IncidentKind::Voice,
];

/// Which open incident the candidate is told about, most pressing first
/// (the window and fullscreen ones have their own overlay).
pub fn banner_kind(state: &AttemptState) -> Option<IncidentKind> {
    const ORDER: [IncidentKind; 7] = [
        IncidentKind::CameraLost,
        IncidentKind::CameraCovered,
        IncidentKind::FaceAbsent,
        IncidentKind::SeveralFaces,
        IncidentKind::IdentityChanged,
        IncidentKind::Voice,
        IncidentKind::LookingAway,
    ];
    let open: Vec<IncidentKind> = state
        .incidents
        .iter()
        .filter(|i| i.closed_at.is_none())
        .map(|i| i.kind)
        .collect();
    ORDER.into_iter().find(|k| open.contains(k))
}

/// When the live face is compared with the identification's face photo
/// (`identity_changed`, see `vigil_exam::proctoring`): on the first frame
/// that shows one face, then every `identity_interval_s`, and on the first
/// frame with one face after a frame with none (someone may have sat down
/// in the meantime). Frames with several faces wait: that is an incident
/// of its own, and there is no telling which face to compare. Pure, on the
/// loop's monotonic clock.
#[derive(Debug, Clone)]
pub struct IdentityDue {
    interval_ms: f64,
    last: Option<f64>,
    absent_since: bool,
}

impl IdentityDue {
    pub fn new(interval_ms: f64) -> Self {
        IdentityDue {
            interval_ms,
            last: None,
            absent_since: false,
        }
    }

    /// After a frame with `faces` faces at `now_ms`: whether to compare now.
    /// A comparison that is due is taken as done ([`Self::checked`] is
    /// not needed): a failed one waits for the next interval, rather than
    /// being retried on every frame.
    pub fn after_frame(&mut self, faces: usize, now_ms: f64) -> bool {
        if faces == 0 {
            self.absent_since = true;
            return false;
        }
        if faces != 1 {
            return false;
        }
        let due = match self.last {
            None => true,
            Some(t) => self.absent_since || now_ms - t >= self.interval_ms,
        };
        if due {
            self.last = Some(now_ms);
            self.absent_since = false;
        }
        due
    }
}

/// Stills kept in memory for evidence.
pub const STILLS_KEPT: usize = 4;

/// The last few frames' stills, by SHA-256 (hex).
#[derive(Default)]
pub struct Stills {
    kept: VecDeque<(String, Vec<u8>)>,
}

impl Stills {
    /// Keeps `bytes`; returns its hash (the name the rules and the log use).
    pub fn keep(&mut self, bytes: Vec<u8>) -> String {
        use sha2::{Digest, Sha256};
        let sha = hex::encode(Sha256::digest(&bytes));
        if self.kept.len() == STILLS_KEPT {
            self.kept.pop_front();
        }
        self.kept.push_back((sha.clone(), bytes));
        sha
    }

    /// The still named `sha`, if still kept.
    pub fn get(&self, sha: &str) -> Option<&[u8]> {
        self.kept
            .iter()
            .find(|(s, _)| s == sha)
            .map(|(_, b)| b.as_slice())
    }
}

/// The proctor of one attempt in progress.
pub struct Watch {
    proctor: Proctor,
}

/// The observation a recorded event stands for, if it is one.
fn observation_of(kind: &EventKind) -> Option<Signal> {
    match kind {
        EventKind::Focus(b) => Some(Signal::Focus { focused: b.focused }),
        EventKind::Fullscreen(b) => Some(Signal::Fullscreen { active: b.active }),
        EventKind::Screens(b) => Some(Signal::Screens {
            extended: b.extended,
        }),
        _ => None,
    }
}

impl Watch {
    /// The watch of an attempt at `now_ms`, rebuilt from its stored log
    /// (`events`, leading to `state`), with the changes to record so that
    /// the log agrees with the rules now.
    pub fn resume(
        exam: &Exam,
        state: &AttemptState,
        events: &[Event],
        now_ms: i64,
    ) -> (Watch, Vec<IncidentChange>) {
        let mut proctor = Proctor::new(&exam.proctoring);
        let started = state.started_at_ms;
        if let Some(start) = started {
            // The exam starts focused and fullscreen (entered by the click).
            proctor.observe(Observation::new(start, Signal::Focus { focused: true }));
            proctor.observe(Observation::new(start, Signal::Fullscreen { active: true }));
            for e in events.iter().filter(|e| e.at >= start) {
                if let Some(signal) = observation_of(&e.kind) {
                    proctor.observe(Observation::new(e.at, Signal::Tick));
                    proctor.observe(Observation::new(e.at, signal));
                }
            }
            proctor.observe(Observation::new(now_ms, Signal::Tick));
        }
        let recorded = &state.incidents;
        for r in recorded.iter().filter(|r| r.closed_at.is_none()) {
            if LIVE_KINDS.contains(&r.kind) {
                proctor.adopt(r);
            }
        }
        let mut changes = Vec::new();
        // Open by the rules, not in the log: record the opening.
        for i in proctor.open_incidents() {
            let logged = recorded
                .iter()
                .any(|r| r.kind == i.kind && r.closed_at.is_none());
            if !logged {
                changes.push(IncidentChange::Opened(i.clone()));
            }
        }
        // Open in the log, over by the rules: close it now.
        for r in recorded.iter().filter(|r| r.closed_at.is_none()) {
            if !proctor.open_incidents().any(|i| i.kind == r.kind) {
                changes.push(IncidentChange::Closed(Incident {
                    closed_at: Some(now_ms.max(r.opened_at)),
                    ..r.clone()
                }));
            }
        }
        (Watch { proctor }, changes)
    }

    /// Feeds what was just recorded (or a tick): the incidents it opens or
    /// closes.
    pub fn observe(&mut self, at: i64, signal: Signal) -> Vec<IncidentChange> {
        self.proctor.observe(Observation::new(at, signal))
    }

    /// The exam is over: every open incident closes at `at`.
    pub fn finish(&mut self, at: i64) -> Vec<IncidentChange> {
        self.proctor.finish(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_exam::Attempt;
    use vigil_exam::{IncidentKind, Schedule, StartWindow};

    const EXAM: &str = include_str!("../exams/demo-short.toml");

    fn started() -> (Exam, Attempt, i64) {
        let exam = Exam::from_toml(EXAM).unwrap();
        let window = StartWindow::new(
            &exam,
            &Schedule {
                starts_at_ms: 1_000_000,
                grace_ms: Some(600_000),
            },
        )
        .unwrap();
        let sha = "a".repeat(64);
        let mut a = Attempt::new();
        a.record_checks(vec![], 900_000).unwrap();
        a.consent("v1", &sha, 900_001).unwrap();
        a.enter_waiting_room(900_005).unwrap();
        let start = 1_000_000;
        a.start(&exam, &window, false, start).unwrap();
        a.capture_identity(vigil_exam::IdentityWhat::IdDocument, &sha, start)
            .unwrap();
        a.capture_identity(vigil_exam::IdentityWhat::Face, &sha, start)
            .unwrap();
        a.head_turn(vigil_exam::Side::Left, &sha, 40, start)
            .unwrap();
        a.head_turn(vigil_exam::Side::Right, &sha, -40, start)
            .unwrap();
        a.room_scan(&sha, 20_000, start).unwrap();
        a.open_questions(&exam, start).unwrap();
        (exam, a, start)
    }

    fn record(a: &mut Attempt, changes: &[IncidentChange], at: i64) {
        for c in changes {
            a.record_incident(c, at).unwrap();
        }
    }

    #[test]
    fn leaving_the_window_opens_then_closes_an_incident() {
        let (exam, mut a, start) = started();
        let (mut w, fix) = Watch::resume(&exam, a.state(), a.events(), start);
        assert!(fix.is_empty());
        a.record_focus(false, start + 10_000).unwrap();
        assert!(w
            .observe(start + 10_000, Signal::Focus { focused: false })
            .is_empty());
        // The left-window rule opens after 1 s, dated from the exit.
        let opened = w.observe(start + 11_000, Signal::Tick);
        assert!(matches!(&opened[..], [IncidentChange::Opened(i)]
            if i.kind == IncidentKind::LeftWindow && i.opened_at == start + 10_000));
        record(&mut a, &opened, start + 11_000);
        a.record_focus(true, start + 15_000).unwrap();
        assert!(w
            .observe(start + 15_000, Signal::Focus { focused: true })
            .is_empty());
        let closed = w.observe(start + 16_000, Signal::Tick);
        assert!(matches!(&closed[..], [IncidentChange::Closed(i)]
            if i.closed_at == Some(start + 15_000)));
        record(&mut a, &closed, start + 16_000);
        assert_eq!(a.state().incidents.len(), 1);

        // Rebuilt after a reload: the same facts, nothing to record again.
        let (_, fix) = Watch::resume(&exam, a.state(), a.events(), start + 20_000);
        assert!(fix.is_empty(), "{fix:?}");
    }

    #[test]
    fn a_reload_records_what_happened_while_the_page_was_closed() {
        let (exam, mut a, start) = started();
        // The candidate left the window and the page went away before the
        // incident could be recorded.
        a.record_focus(false, start + 5_000).unwrap();
        let (mut w, fix) = Watch::resume(&exam, a.state(), a.events(), start + 30_000);
        assert!(matches!(&fix[..], [IncidentChange::Opened(i)]
            if i.kind == IncidentKind::LeftWindow && i.opened_at == start + 5_000));
        record(&mut a, &fix, start + 30_000);
        // Back: recorded as focus, the incident closes.
        a.record_focus(true, start + 31_000).unwrap();
        w.observe(start + 31_000, Signal::Focus { focused: true });
        let closed = w.observe(start + 32_000, Signal::Tick);
        assert_eq!(closed.len(), 1);
        record(&mut a, &closed, start + 32_000);

        // An incident the log left open but the rules closed is closed.
        let (exam2, mut b, start2) = started();
        b.record_focus(false, start2 + 1_000).unwrap();
        let (_, fix) = Watch::resume(&exam2, b.state(), b.events(), start2 + 3_000);
        record(&mut b, &fix, start2 + 3_000);
        b.record_focus(true, start2 + 4_000).unwrap();
        let (_, fix) = Watch::resume(&exam2, b.state(), b.events(), start2 + 9_000);
        assert!(
            matches!(&fix[..], [IncidentChange::Closed(i)] if i.closed_at == Some(start2 + 9_000))
        );
    }

    #[test]
    fn a_disabled_rule_opens_nothing() {
        let src = EXAM.replace(
            "[timing]",
            "[proctoring.rules.left_window]\nenabled = false\n\n[timing]",
        );
        let exam = Exam::from_toml(&src).unwrap();
        let (_, mut a, start) = started();
        a.record_focus(false, start + 1_000).unwrap();
        let (_, fix) = Watch::resume(&exam, a.state(), a.events(), start + 60_000);
        assert!(fix.is_empty());
    }

    fn no_face(at_sha: &str) -> Signal {
        Signal::Frame {
            faces: vec![],
            brightness: 0.5,
            frame_sha256: Some(at_sha.into()),
        }
    }

    #[test]
    fn identity_checks_come_at_the_first_face_every_interval_and_after_an_absence() {
        let mut d = IdentityDue::new(120_000.0);
        assert!(!d.after_frame(0, 0.0), "no face: nothing to compare");
        assert!(d.after_frame(1, 1_000.0), "the first face");
        assert!(!d.after_frame(1, 2_000.0));
        assert!(!d.after_frame(2, 121_500.0), "several faces wait");
        assert!(d.after_frame(1, 122_000.0), "the interval");
        assert!(!d.after_frame(1, 123_000.0));
        assert!(!d.after_frame(0, 124_000.0));
        assert!(d.after_frame(1, 125_000.0), "back after an absence");
        assert!(!d.after_frame(1, 126_000.0));
    }

    #[test]
    fn a_face_absent_incident_survives_a_reload_and_closes_when_the_face_is_back() {
        let (exam, mut a, start) = started();
        let (mut w, _) = Watch::resume(&exam, a.state(), a.events(), start);
        let mut changes = Vec::new();
        for s in 0..=6 {
            changes.extend(w.observe(start + s * 1_000, no_face(&format!("{s:064}"))));
        }
        assert!(matches!(&changes[..], [IncidentChange::Opened(i)]
            if i.kind == IncidentKind::FaceAbsent && i.evidence.is_some()));
        record(&mut a, &changes, start + 6_000);
        assert_eq!(banner_kind(a.state()), Some(IncidentKind::FaceAbsent));

        // The page reloads: the incident is taken over, not closed.
        let (mut w, fix) = Watch::resume(&exam, a.state(), a.events(), start + 30_000);
        assert!(fix.is_empty(), "{fix:?}");
        // Frames with a face again: closed by the rule, dated at the return.
        let face = vigil_exam::FaceObservation {
            score: 0.9,
            bbox: [0.3, 0.2, 0.3, 0.4],
            landmarks: vec![],
            yaw_deg: 0.0,
            pitch_deg: -5.0,
        };
        let with_face = |sha: &str| Signal::Frame {
            faces: vec![face.clone()],
            brightness: 0.5,
            frame_sha256: Some(sha.into()),
        };
        assert!(w
            .observe(start + 35_000, with_face(&"a".repeat(64)))
            .is_empty());
        let closed = w.observe(start + 36_000, with_face(&"b".repeat(64)));
        assert!(matches!(&closed[..], [IncidentChange::Closed(i)]
            if i.closed_at == Some(start + 35_000)));
        record(&mut a, &closed, start + 36_000);
        assert_eq!(banner_kind(a.state()), None);
        assert_eq!(a.state().incidents.len(), 1);
    }

    #[test]
    fn stills_keep_the_last_few_by_hash() {
        let mut s = Stills::default();
        let first = s.keep(vec![1, 2, 3]);
        assert_eq!(first.len(), 64);
        assert_eq!(s.get(&first), Some(&[1u8, 2, 3][..]));
        for i in 0..STILLS_KEPT as u8 {
            s.keep(vec![i; 10]);
        }
        assert_eq!(s.get(&first), None, "the oldest is dropped");
        assert!(s.get("0").is_none());
    }
}
