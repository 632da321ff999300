//! Property tests: replay determinism, tamper detection, time monotonicity,
//! serialization stability, and no panic on arbitrary input to the decoders.

// Tests and benchmarks may unwrap: a panic is their failure report.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use proptest::prelude::*;
use vigil_exam::*;

#[derive(Debug, Clone)]
enum Op {
    Answer(usize, u32, f64, String),
    Clear(usize),
    Flag(usize, bool),
    Navigate(usize),
    Section(usize),
    Submit,
    Tick,
    Focus(bool),
    /// One identification step after the start (0 ID, 1 face, 2 left ear,
    /// 3 right ear, 4 room scan).
    Identify(u8),
    OpenQuestions,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0usize..8, 0u32..6, -1e3f64..1e3, "[a-zA-Z ]{0,12}")
            .prop_map(|(q, c, v, s)| Op::Answer(q, c, v, s)),
        1 => (0usize..8).prop_map(Op::Clear),
        1 => (0usize..8, any::<bool>()).prop_map(|(q, f)| Op::Flag(q, f)),
        1 => (0usize..8).prop_map(Op::Navigate),
        1 => (0usize..3).prop_map(Op::Section),
        1 => Just(Op::Submit),
        2 => Just(Op::Tick),
        1 => any::<bool>().prop_map(Op::Focus),
        3 => (0u8..5).prop_map(Op::Identify),
        1 => Just(Op::OpenQuestions),
    ]
}

fn question_ids(exam: &Exam) -> Vec<String> {
    exam.sections
        .iter()
        .flat_map(|s| s.questions.iter().map(|q| q.id.clone()))
        .collect()
}

/// Run random commands on a started demo attempt; refused ones append nothing.
fn run(ops: &[(u32, Op)], extra: bool) -> (Exam, Attempt, i64) {
    let exam = demo();
    let ids = question_ids(&exam);
    let mut a = waiting();
    a.start(&exam, &window(&exam), extra, T0).unwrap();
    let mut now = T0;
    for (dt, op) in ops {
        now += i64::from(*dt);
        let id = |i: &usize| ids.get(*i).map(String::as_str).unwrap_or("unknown");
        let _ = match op {
            Op::Answer(q, c, v, s) => {
                let kind = exam.question(id(q)).map(|(_, q)| q.kind);
                let ans = match kind {
                    Some(QuestionType::Single) => Answer::Single { choice: *c },
                    Some(QuestionType::Multiple) => Answer::Multiple {
                        choices: vec![*c, c / 2],
                    },
                    Some(QuestionType::Numeric) => Answer::Numeric { value: *v },
                    _ => Answer::Text { text: s.clone() },
                };
                a.answer(&exam, id(q), ans, now)
            }
            Op::Clear(q) => a.clear_answer(&exam, id(q), now),
            Op::Flag(q, f) => a.flag(&exam, id(q), *f, now),
            Op::Navigate(q) => a.navigate(&exam, id(q), now),
            Op::Section(s) => a.change_section(&exam, *s, now),
            Op::Submit => a.submit(&exam, now),
            Op::Tick => {
                a.tick(&exam, now);
                Ok(a.events().last().unwrap().clone())
            }
            Op::Focus(f) => a.record_focus(*f, now),
            Op::Identify(step) => match step {
                0 => a.capture_identity(IdentityWhat::IdDocument, SHA_A, now),
                1 => a.capture_identity(IdentityWhat::Face, SHA_B, now),
                2 => a.head_turn(Side::Left, SHA_C, 40, now),
                3 => a.head_turn(Side::Right, SHA_A, -40, now),
                _ => a.room_scan(SHA_B, 20_000, now),
            },
            Op::OpenQuestions => a.open_questions(&exam, now),
        };
    }
    (exam, a, now)
}

fn ops() -> impl Strategy<Value = Vec<(u32, Op)>> {
    prop::collection::vec((0u32..30_000, op()), 0..60)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn replay_is_deterministic_and_matches_live(ops in ops(), extra in any::<bool>()) {
        let (exam, a, _) = run(&ops, extra);
        let r1 = replay(&exam, a.events()).unwrap();
        let r2 = replay(&exam, a.events()).unwrap();
        prop_assert_eq!(&r1, &r2);
        prop_assert_eq!(&r1, a.state());
        // Through the transport encoding too.
        let decoded = decode_events(&encode_events(a.events())).unwrap();
        prop_assert_eq!(&replay(&exam, &decoded).unwrap(), a.state());
        // And scoring of equal states is equal.
        prop_assert_eq!(score(&exam, &r1), score(&exam, a.state()));
    }

    #[test]
    fn the_server_timeline_agrees_with_an_honest_log(ops in ops(), extra in any::<bool>()) {
        let (exam, a, _) = run(&ops, extra);
        let authority = Authority { started_at_ms: Some(T0), extra_time: extra, window: window(&exam), questions_opened_at_ms: None };
        let r = replay_with_authority(GENESIS_HASH, &exam, a.events(), &authority).unwrap();
        prop_assert!(r.discrepancies.is_empty());
        prop_assert!(r.unscored.is_empty(), "{:?}", r.unscored);
        prop_assert_eq!(&r.state.answers, &a.state().answers);
        prop_assert_eq!(score(&exam, &r.state), score(&exam, a.state()));
    }

    #[test]
    fn the_server_timeline_never_grants_more_time(
        ops in ops(), extra in any::<bool>(), server_extra in any::<bool>(), shift in -120_000i64..120_000,
    ) {
        // The log's start (T0) against a server that recorded another one:
        // whatever the difference, no panic, and no answer scored after the
        // server's own deadline.
        let (exam, a, _) = run(&ops, extra);
        let authority = Authority {
            started_at_ms: Some(T0 + shift),
            extra_time: server_extra,
            window: window(&exam),
            questions_opened_at_ms: None,
        };
        let r = replay_with_authority(GENESIS_HASH, &exam, a.events(), &authority).unwrap();
        let Some(deadline) = r.deadline_ms else { return Ok(()) };
        prop_assert!(deadline <= deadlines(&exam, r.started_at_ms.unwrap(), server_extra).ends_at_ms);
        for e in a.events() {
            if matches!(e.kind, EventKind::Answer(_)) && e.at > deadline {
                prop_assert!(r.unscored.iter().any(|u| u.seq == e.seq), "answer {} after {deadline} scored", e.seq);
            }
        }
        if shift.abs() > START_TOLERANCE_MS || extra != server_extra {
            prop_assert!(!r.discrepancies.is_empty());
        }
    }

    #[test]
    fn the_questions_open_by_the_bound_and_lingering_never_buys_time(ops in ops(), extra in any::<bool>()) {
        let (exam, mut a, now) = run(&ops, extra);
        a.tick(&exam, now + 30 * 60_000);
        let s = a.state();
        let d = deadlines(&exam, T0, extra);
        let opened = s.questions_opened_at_ms.unwrap();
        prop_assert!(opened <= d.identification_by_ms);
        prop_assert_eq!(s.deadline_ms.unwrap(), opened + exam.duration_ms(extra));
        prop_assert!(s.deadline_ms.unwrap() <= d.ends_at_ms);
        // Opened by the candidate only once every step was done; at the
        // bound otherwise.
        let steps_done_before = |at: i64| {
            let kinds: Vec<&str> = a.events().iter().filter(|e| e.at <= at)
                .map(|e| e.kind.name()).collect();
            kinds.contains(&"room_scan") && kinds.iter().filter(|k| **k == "head_turn").count() >= 2
        };
        match s.questions_reason.unwrap() {
            Reason::Manual => prop_assert!(steps_done_before(opened)),
            Reason::Timeout => prop_assert_eq!(opened, d.identification_by_ms),
        }
        // No identification step after the questions opened, no answer before.
        for e in a.events() {
            match e.kind {
                EventKind::IdentityCapture(_) | EventKind::HeadTurn(_) | EventKind::RoomScan(_) =>
                    prop_assert!(e.at <= opened),
                EventKind::Answer(_) => prop_assert!(e.at >= opened),
                _ => {}
            }
        }
    }

    #[test]
    fn any_single_byte_change_is_caught(ops in ops(), pos in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let (_, a, _) = run(&ops, false);
        let json = encode_events(a.events());
        let mut bytes = json.clone().into_bytes();
        let i = pos.index(bytes.len());
        prop_assume!(bytes[i] != byte);
        bytes[i] = byte;
        let Ok(text) = String::from_utf8(bytes) else { return Ok(()) };
        if let Ok(events) = decode_events(&text) {
            // Either the change did not alter any decoded value, or the chain breaks.
            prop_assert!(events == a.events() || verify(&events).is_err(), "undetected: {}", text);
        }
    }

    #[test]
    fn any_structural_change_is_caught(ops in ops(), i in any::<prop::sample::Index>(), j in any::<prop::sample::Index>(), what in 0u8..6) {
        let (_, a, _) = run(&ops, false);
        let mut e = a.events().to_vec();
        let (i, j) = (i.index(e.len()), j.index(e.len()));
        match what {
            // Dropping the tail leaves a valid prefix: the server detects it
            // against what it already stored (verify_continuation, acked seq).
            0 => { prop_assume!(i + 1 < e.len()); e.remove(i); }
            1 => { let x = e[i].clone(); e.insert(j, x); }
            2 => { prop_assume!(e[i] != e[j]); e.swap(i, j); }
            3 => { e[i].at = e[i].at.wrapping_add(1); }
            4 => { e[i].seq = e[i].seq.wrapping_add(1 + j as u64); }
            _ => {
                let flipped: String = e[i].hash.chars().rev().collect();
                prop_assume!(flipped != e[i].hash);
                e[i].hash = flipped;
            }
        }
        prop_assert!(verify(&e).is_err());
    }

    #[test]
    fn remaining_time_is_monotonic_and_non_negative(ops in ops(), t1 in -1_000_000i64..2_000_000, d in 0i64..2_000_000) {
        let (_, a, _) = run(&ops, false);
        let (n1, n2) = (T0 + t1, T0 + t1 + d);
        let (Some(r1), Some(r2)) = (a.remaining_ms(n1), a.remaining_ms(n2)) else {
            // Still identifying: no timer yet, for any `now`.
            prop_assert_eq!(a.state().phase, Phase::Identifying);
            prop_assert!(a.remaining_ms(n1).is_none() && a.remaining_ms(n2).is_none());
            return Ok(());
        };
        prop_assert!(r1 >= 0 && r2 >= 0 && r2 <= r1);
        if let (Some(s1), Some(s2)) = (a.section_remaining_ms(n1), a.section_remaining_ms(n2)) {
            prop_assert!(s1 >= 0 && s2 >= 0 && s2 <= s1);
            prop_assert!(s1 <= r1, "a section never outlasts the exam");
        }
    }

    #[test]
    fn tick_keeps_the_attempt_within_its_deadline(ops in ops()) {
        let (exam, mut a, now) = run(&ops, false);
        a.tick(&exam, now + 30 * 60_000);
        let done = matches!(a.state().phase, Phase::Submitted { .. });
        prop_assert!(done, "not submitted");
        let deadline = a.state().deadline_ms.unwrap();
        prop_assert!(a.state().submitted_at_ms.unwrap() <= deadline);
        let late = a.events().iter().any(|e| matches!(e.kind, EventKind::Answer(_)) && e.at >= deadline);
        prop_assert!(!late, "answer at or after the deadline");
    }

    #[test]
    fn exam_json_round_trip_is_stable(
        title in "\\PC{1,40}",
        texts in prop::collection::vec("\\PC{1,60}", 1..12),
        right in 0.1f64..10.0,
        wrong in 0.0f64..5.0,
        duration in 60u64..20_000,
    ) {
        let mut exam = demo();
        exam.title = title;
        exam.scoring.right = right;
        exam.scoring.wrong = wrong;
        exam.timing.duration_s = duration.max(300);
        for (q, t) in exam.sections.iter_mut().flat_map(|s| s.questions.iter_mut()).zip(&texts) {
            q.text = t.clone();
        }
        prop_assume!(exam.validate().is_ok());
        let json = exam.to_json();
        let back = Exam::from_json(&json).unwrap();
        prop_assert_eq!(&back, &exam);
        prop_assert_eq!(back.to_json(), json);
    }

    #[test]
    fn numeric_answers_survive_transport(bits in any::<u64>()) {
        let value = f64::from_bits(bits);
        prop_assume!(value.is_finite() && value.abs() <= vigil_exam::limits::MAX_NUMERIC);
        let exam = demo();
        let mut a = started(&exam);
        a.answer(&exam, "produit", Answer::Numeric { value }, T0 + 1).unwrap();
        let back = decode_events(&encode_events(a.events())).unwrap();
        prop_assert_eq!(&back[..], a.events());
        prop_assert!(verify(&back).is_ok());
    }

    #[test]
    fn decoders_never_panic_on_arbitrary_text(s in "\\PC{0,400}") {
        let _ = Exam::from_toml(&s);
        let _ = Exam::from_json(&s);
        let _ = decode_events(&s);
    }

    #[test]
    fn decoders_never_panic_on_mutated_documents(pos in any::<prop::sample::Index>(), len in 0usize..40, ins in "\\PC{0,8}") {
        for doc in [DEMO.to_string(), demo().to_json(), encode_events(started(&demo()).events())] {
            let mut cut = pos.index(doc.len().max(1));
            while !doc.is_char_boundary(cut) { cut -= 1; }
            let mut end = (cut + len).min(doc.len());
            while !doc.is_char_boundary(end) { end -= 1; }
            let mutated = format!("{}{}{}", &doc[..cut], ins, &doc[end.max(cut)..]);
            let _ = Exam::from_toml(&mutated);
            let _ = Exam::from_json(&mutated);
            if let Ok(events) = decode_events(&mutated) {
                let _ = verify(&events);
                let _ = replay(&demo(), &events);
            }
        }
    }

    #[test]
    fn proctor_incidents_are_well_formed_and_accepted_by_the_attempt(
        obs in prop::collection::vec((0i64..3_000, 0u8..8, any::<bool>(), 0usize..3), 0..200)
    ) {
        let mut p = Proctor::new(&ProctoringPolicy::default());
        let mut a = Attempt::new();
        let mut t = 0;
        for (dt, kind, flag, n) in obs {
            t += dt;
            let signal = match kind {
                0 | 1 => Signal::Frame {
                    faces: (0..n).map(|k| FaceObservation {
                        score: 0.9, bbox: [0.0; 4], landmarks: vec![],
                        yaw_deg: if flag { 50.0 } else { 0.0 }, pitch_deg: k as f64,
                    }).collect(),
                    brightness: if flag && n == 0 { 0.0 } else { 0.5 },
                    frame_sha256: None,
                },
                2 => Signal::Audio { voice: flag },
                3 => Signal::Focus { focused: flag },
                4 => Signal::Fullscreen { active: flag },
                5 => Signal::Camera { alive: flag },
                6 => Signal::Clock { tampering: flag },
                _ => Signal::Tick,
            };
            for c in p.observe(Observation::new(t, signal)) {
                prop_assert!(a.record_incident(&c, t).is_ok(), "{:?}", c);
            }
        }
        for i in p.incidents() {
            prop_assert!(i.closed_at.is_none_or(|c| c >= i.opened_at));
        }
        prop_assert_eq!(&a.state().incidents[..], p.incidents());
    }
}
