//! Tests of the proctoring rules: thresholds, blips, hysteresis, policy.

// Tests and benchmarks may unwrap: a panic is their failure report.
#![allow(clippy::unwrap_used)]

use vigil_exam::*;

fn face(yaw: f64, pitch: f64) -> FaceObservation {
    FaceObservation {
        score: 0.9,
        bbox: [0.3, 0.3, 0.3, 0.4],
        landmarks: vec![],
        yaw_deg: yaw,
        pitch_deg: pitch,
    }
}

fn frame(at: i64, faces: Vec<FaceObservation>) -> Observation {
    Observation::new(
        at,
        Signal::Frame {
            faces,
            brightness: 0.5,
            frame_sha256: Some(format!("{at:064}")),
        },
    )
}

/// Feed one frame per second from `from` to `to` (inclusive) with `faces`.
fn frames(p: &mut Proctor, from: i64, to: i64, faces: &[FaceObservation]) -> Vec<IncidentChange> {
    (from..=to)
        .step_by(1000)
        .flat_map(|t| p.observe(frame(t, faces.to_vec())))
        .collect()
}

fn opened(c: &[IncidentChange]) -> Vec<(IncidentKind, i64)> {
    c.iter()
        .filter_map(|c| match c {
            IncidentChange::Opened(i) => Some((i.kind, i.opened_at)),
            _ => None,
        })
        .collect()
}

fn closed(c: &[IncidentChange]) -> Vec<(IncidentKind, i64)> {
    c.iter()
        .filter_map(|c| match c {
            IncidentChange::Closed(i) => Some((i.kind, i.closed_at.unwrap())),
            _ => None,
        })
        .collect()
}

#[test]
fn face_absent_opens_after_5s_and_closes_after_1s() {
    let mut p = Proctor::new(&ProctoringPolicy::default());
    assert!(frames(&mut p, 0, 2000, &[face(0.0, 0.0)]).is_empty());
    assert!(
        frames(&mut p, 3000, 7000, &[]).is_empty(),
        "4 s absent: nothing"
    );
    let c = frames(&mut p, 8000, 8000, &[]);
    assert_eq!(opened(&c), vec![(IncidentKind::FaceAbsent, 3000)]);
    let IncidentChange::Opened(inc) = &c[0] else {
        panic!()
    };
    assert_eq!(inc.severity, Severity::Medium);
    assert_eq!(
        inc.evidence.as_deref(),
        Some(format!("{:064}", 8000).as_str())
    );
    assert!(
        frames(&mut p, 9000, 9000, &[face(0.0, 0.0)]).is_empty(),
        "not yet 1 s clear"
    );
    let c = frames(&mut p, 10_000, 10_000, &[face(0.0, 0.0)]);
    assert_eq!(closed(&c), vec![(IncidentKind::FaceAbsent, 9000)]);
    assert_eq!(p.incidents().len(), 1);
    assert_eq!(p.open_incidents().count(), 0);
}

#[test]
fn short_blip_opens_nothing() {
    let mut p = Proctor::new(&ProctoringPolicy::default());
    let mut all = frames(&mut p, 0, 1000, &[face(0.0, 0.0)]);
    all.extend(frames(
        &mut p,
        2000,
        3000,
        &[face(0.0, 0.0), face(5.0, 0.0)],
    )); // 1.x s of 2 faces
    all.extend(frames(&mut p, 4000, 60_000, &[face(0.0, 0.0)]));
    all.extend(p.observe(Observation::new(61_000, Signal::Focus { focused: false })));
    all.extend(p.observe(Observation::new(61_500, Signal::Focus { focused: true })));
    all.extend(p.observe(Observation::new(64_000, Signal::Tick)));
    assert!(all.is_empty(), "{all:?}");
}

#[test]
fn several_faces_after_2s() {
    let mut p = Proctor::new(&ProctoringPolicy::default());
    let two = [face(0.0, 0.0), face(10.0, 0.0)];
    let c = frames(&mut p, 0, 2000, &two);
    assert_eq!(opened(&c), vec![(IncidentKind::SeveralFaces, 0)]);
    // A weak second detection does not count.
    let mut p = Proctor::new(&ProctoringPolicy::default());
    let weak = FaceObservation {
        score: 0.3,
        ..face(0.0, 0.0)
    };
    assert!(frames(&mut p, 0, 10_000, &[face(0.0, 0.0), weak]).is_empty());
}

#[test]
fn looking_away_after_8s_by_yaw_or_pitch() {
    let mut p = Proctor::new(&ProctoringPolicy::default());
    assert!(frames(&mut p, 0, 7000, &[face(45.0, 0.0)]).is_empty());
    assert_eq!(
        opened(&frames(&mut p, 8000, 8000, &[face(45.0, 0.0)])),
        vec![(IncidentKind::LookingAway, 0)]
    );
    let mut p = Proctor::new(&ProctoringPolicy::default());
    assert_eq!(
        opened(&frames(&mut p, 0, 8000, &[face(0.0, -40.0)]))[0].0,
        IncidentKind::LookingAway
    );
    let mut p = Proctor::new(&ProctoringPolicy::default());
    assert!(
        frames(&mut p, 0, 20_000, &[face(25.0, 20.0)]).is_empty(),
        "within limits"
    );
}

#[test]
fn dark_frame_is_camera_covered_not_face_absent() {
    let mut p = Proctor::new(&ProctoringPolicy::default());
    let dark = |t| {
        Observation::new(
            t,
            Signal::Frame {
                faces: vec![],
                brightness: 0.01,
                frame_sha256: None,
            },
        )
    };
    let c: Vec<_> = (0..=10).flat_map(|s| p.observe(dark(s * 1000))).collect();
    assert_eq!(opened(&c), vec![(IncidentKind::CameraCovered, 0)]);
}

#[test]
fn camera_lost_when_dead_or_frames_stop() {
    let mut p = Proctor::new(&ProctoringPolicy::default());
    p.observe(frame(0, vec![face(0.0, 0.0)]));
    assert!(p
        .observe(Observation::new(1000, Signal::Camera { alive: false }))
        .is_empty());
    let c = p.observe(Observation::new(4000, Signal::Tick));
    assert_eq!(opened(&c), vec![(IncidentKind::CameraLost, 1000)]);
    p.observe(Observation::new(5000, Signal::Camera { alive: true }));
    let c = p.observe(frame(6000, vec![face(0.0, 0.0)]));
    assert_eq!(closed(&c), vec![(IncidentKind::CameraLost, 5000)]);
    // Frames stop arriving: stale after 5 s, incident 3 s later.
    let c = p.observe(Observation::new(11_000, Signal::Tick));
    assert!(c.is_empty());
    let c = p.observe(Observation::new(14_000, Signal::Audio { voice: false }));
    assert_eq!(opened(&c), vec![(IncidentKind::CameraLost, 11_000)]);
}

#[test]
fn window_fullscreen_screens_voice_and_clock() {
    let mut p = Proctor::new(&ProctoringPolicy::default());
    p.observe(Observation::new(0, Signal::Focus { focused: false }));
    let c = p.observe(Observation::new(1000, Signal::Fullscreen { active: false }));
    assert_eq!(opened(&c), vec![(IncidentKind::LeftWindow, 0)]);
    let c = p.observe(Observation::new(2000, Signal::Screens { extended: true }));
    assert_eq!(opened(&c), vec![(IncidentKind::FullscreenExit, 1000)]);
    let c = p.observe(Observation::new(3000, Signal::Audio { voice: true }));
    assert_eq!(opened(&c), vec![(IncidentKind::ExtraScreen, 2000)]);
    let c = p.observe(Observation::new(6000, Signal::Audio { voice: true }));
    assert_eq!(opened(&c), vec![(IncidentKind::Voice, 3000)]);
    let c = p.observe(Observation::new(6000, Signal::Clock { tampering: true }));
    let IncidentChange::Opened(inc) = &c[0] else {
        panic!("{c:?}")
    };
    assert_eq!(
        (inc.kind, inc.opened_at, inc.severity),
        (IncidentKind::ClockTampering, 6000, Severity::High)
    );
    let c = p.observe(Observation::new(7000, Signal::Clock { tampering: false }));
    assert_eq!(closed(&c), vec![(IncidentKind::ClockTampering, 7000)]);
    // Voice: a pause shorter than 2 s does not close it.
    p.observe(Observation::new(7000, Signal::Audio { voice: false }));
    let c = p.observe(Observation::new(8500, Signal::Audio { voice: true }));
    assert!(closed(&c).is_empty());
    let c = p.finish(9000);
    assert_eq!(
        c.len(),
        4,
        "left window, fullscreen, extra screen, voice: {c:?}"
    );
    assert_eq!(p.open_incidents().count(), 0);
}

#[test]
fn observations_back_in_time_do_not_break_order() {
    let mut p = Proctor::new(&ProctoringPolicy::default());
    p.observe(Observation::new(10_000, Signal::Focus { focused: false }));
    let c = p.observe(Observation::new(0, Signal::Tick));
    assert!(c.is_empty());
    let c = p.observe(Observation::new(11_000, Signal::Tick));
    assert_eq!(opened(&c), vec![(IncidentKind::LeftWindow, 10_000)]);
}

#[test]
fn policy_overrides_apply() {
    let exam = Exam::from_toml(
        r#"
id = "p"
title = "P"
language = "fr"
[timing]
duration_s = 60
[[sections]]
id = "s"
title = "S"
[[sections.questions]]
id = "q"
type = "numeric"
text = "?"
answer = 1
[proctoring]
yaw_limit_deg = 10
[proctoring.rules.voice]
enabled = false
[proctoring.rules.face_absent]
open_after_ms = 1000
severity = "high"
"#,
    )
    .unwrap();
    let policy = &exam.proctoring;
    assert_eq!(policy.rule(IncidentKind::FaceAbsent).open_after_ms, 1000);
    assert_eq!(
        policy.rule(IncidentKind::FaceAbsent).close_after_ms,
        1000,
        "default kept"
    );
    assert_eq!(
        policy.rule(IncidentKind::FaceAbsent).severity,
        Severity::High
    );
    let mut p = Proctor::new(policy);
    let c = frames(&mut p, 0, 1000, &[]);
    assert_eq!(opened(&c), vec![(IncidentKind::FaceAbsent, 0)]);
    let mut p = Proctor::new(policy);
    assert!(p
        .observe(Observation::new(0, Signal::Audio { voice: true }))
        .is_empty());
    assert!(p
        .observe(Observation::new(60_000, Signal::Audio { voice: true }))
        .is_empty());
    let mut p = Proctor::new(policy);
    assert_eq!(
        opened(&frames(&mut p, 0, 8000, &[face(15.0, 0.0)]))[0].0,
        IncidentKind::LookingAway
    );
}

#[test]
fn documented_defaults() {
    let p = ProctoringPolicy::default();
    let r = |k| p.rule(k);
    assert_eq!(r(IncidentKind::FaceAbsent).open_after_ms, 5000);
    assert_eq!(r(IncidentKind::SeveralFaces).open_after_ms, 2000);
    assert_eq!(r(IncidentKind::LookingAway).open_after_ms, 8000);
    assert_eq!(
        (p.yaw_limit_deg, p.pitch_limit_deg, p.min_face_score),
        (30.0, 25.0, 0.6)
    );
    assert_eq!(p.sample_interval_ms, 1000);
    for k in IncidentKind::ALL {
        assert!(r(k).enabled);
    }
}

#[test]
fn incident_changes_flow_into_the_attempt_log() {
    let mut p = Proctor::new(&ProctoringPolicy::default());
    let mut a = Attempt::new();
    for t in (0..=12_000).step_by(1000) {
        let faces = if (3000..9000).contains(&t) {
            vec![]
        } else {
            vec![face(0.0, 0.0)]
        };
        for c in p.observe(frame(t, faces)) {
            a.record_incident(&c, t).unwrap();
        }
    }
    assert_eq!(a.state().incidents, p.incidents());
    assert_eq!(a.state().incidents[0].closed_at, Some(9000));
}

#[test]
fn an_adopted_incident_stays_open_while_its_condition_holds_and_closes_by_the_rule() {
    // Before a reload: the face has been absent since 3 s, open at 8 s.
    let mut before = Proctor::new(&ProctoringPolicy::default());
    frames(&mut before, 0, 2000, &[face(0.0, 0.0)]);
    let c = frames(&mut before, 3000, 8000, &[]);
    let IncidentChange::Opened(open) = &c[0] else {
        panic!("{c:?}")
    };

    // After the reload: a fresh proctor takes it over.
    let mut p = Proctor::new(&ProctoringPolicy::default());
    p.adopt(open);
    p.adopt(open); // twice: still one
    assert_eq!(p.open_incidents().count(), 1);
    // Still no face: nothing new opens, nothing closes.
    assert!(frames(&mut p, 20_000, 25_000, &[]).is_empty());
    // The face is back: closed 1 s later, dated when it came back.
    let c = frames(&mut p, 26_000, 27_000, &[face(0.0, 0.0)]);
    assert_eq!(closed(&c), vec![(IncidentKind::FaceAbsent, 26_000)]);
    assert_eq!(p.incidents().len(), 1);

    // A closed incident is not adopted.
    let mut q = Proctor::new(&ProctoringPolicy::default());
    let mut done = open.clone();
    done.closed_at = Some(9000);
    q.adopt(&done);
    assert_eq!(q.incidents().len(), 0);
}

#[test]
fn a_frame_analysis_becomes_the_frame_signal() {
    let a = FrameAnalysis {
        faces: vec![
            face(0.0, 0.0),
            FaceObservation {
                score: 0.3,
                ..face(0.0, 0.0)
            },
        ],
        brightness: 0.4,
    };
    assert_eq!(a.faces_over(0.6), 1);
    let s = a.clone().signal(Some("f".repeat(64)));
    assert_eq!(
        s,
        Signal::Frame {
            faces: a.faces,
            brightness: 0.4,
            frame_sha256: Some("f".repeat(64)),
        }
    );
}

fn identity(at: i64, similarity_milli: Option<i32>) -> Observation {
    Observation::new(
        at,
        Signal::Identity {
            similarity_milli,
            frame_sha256: Some(format!("{:064}", at + 1)),
        },
    )
}

#[test]
fn identity_changed_needs_two_low_checks_in_a_row_and_keeps_the_second_still() {
    let mut p = Proctor::new(&ProctoringPolicy::default());
    let low = IDENTITY_THRESHOLD_MILLI - 1;
    // The same person: nothing.
    assert!(p.observe(identity(0, Some(800))).is_empty());
    // One low score (a bad frame): nothing yet; a match in between resets.
    assert!(p.observe(identity(120_000, Some(low))).is_empty());
    assert!(p
        .observe(identity(240_000, Some(IDENTITY_THRESHOLD_MILLI)))
        .is_empty());
    assert!(p.observe(identity(360_000, Some(low))).is_empty());
    // No single face to compare counts neither way.
    assert!(p.observe(identity(420_000, None)).is_empty());
    let c = p.observe(identity(480_000, Some(100)));
    let IncidentChange::Opened(inc) = &c[0] else {
        panic!("{c:?}")
    };
    assert_eq!(
        (inc.kind, inc.opened_at, inc.severity),
        (IncidentKind::IdentityChanged, 480_000, Severity::High)
    );
    // The still of the check that made it, for the reviewer.
    assert_eq!(inc.evidence, Some(format!("{:064}", 480_001)));
    assert!(p.observe(identity(600_000, Some(low))).is_empty());
    let c = p.observe(identity(720_000, Some(700)));
    assert_eq!(closed(&c), vec![(IncidentKind::IdentityChanged, 720_000)]);
}

#[test]
fn an_identity_incident_taken_over_after_a_reload_stays_open_on_a_miss() {
    let mut p = Proctor::new(&ProctoringPolicy::default());
    p.adopt(&Incident {
        kind: IncidentKind::IdentityChanged,
        severity: Severity::High,
        opened_at: 1_000,
        closed_at: None,
        evidence: None,
    });
    assert!(p.observe(identity(5_000, Some(0))).is_empty());
    let c = p.observe(identity(10_000, Some(900)));
    assert_eq!(closed(&c), vec![(IncidentKind::IdentityChanged, 10_000)]);
}

#[test]
fn the_identity_interval_is_in_the_policy_and_checked() {
    let p: ProctoringPolicy = toml::from_str("identity_interval_s = 30").unwrap();
    assert_eq!(p.identity_interval_s, 30);
    assert_eq!(ProctoringPolicy::default().identity_interval_s, 120);
    // At its default it is left out, so older exams keep their bytes.
    let json = serde_json::to_string(&ProctoringPolicy::default()).unwrap();
    assert!(!json.contains("identity_interval_s"), "{json}");
}
