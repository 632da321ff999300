//! Tests of the hash chain: canonical encoding, verification, tampering.

// Tests and benchmarks may unwrap: a panic is their failure report.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use vigil_exam::*;

fn sample_log() -> Vec<Event> {
    let exam = demo();
    let mut a = started(&exam);
    a.answer(&exam, "capitale", Answer::Single { choice: 1 }, T0 + 1_000)
        .unwrap();
    a.answer(
        &exam,
        "premiers",
        Answer::Multiple {
            choices: vec![2, 0],
        },
        T0 + 2_000,
    )
    .unwrap();
    a.answer(
        &exam,
        "produit",
        Answer::Numeric { value: 144.0 },
        T0 + 3_000,
    )
    .unwrap();
    a.flag(&exam, "produit", true, T0 + 3_500).unwrap();
    a.events().to_vec()
}

#[test]
fn canonical_bytes_are_pinned() {
    let kind = EventKind::Answer(AnswerBody {
        answer: Answer::Text {
            text: "la \"Loire\"\n".into(),
        },
        question: "fleuve".into(),
    });
    let bytes = canonical_bytes(7, -5, &kind);
    assert_eq!(
        String::from_utf8(bytes).unwrap(),
        r#"{"at":-5,"body":{"answer":{"text":"la \"Loire\"\n","type":"text"},"question":"fleuve"},"kind":"answer","seq":7}"#
    );
    let kind = EventKind::Answer(AnswerBody {
        answer: Answer::Numeric { value: 144.0 },
        question: "é".into(),
    });
    assert_eq!(
        String::from_utf8(canonical_bytes(1, 0, &kind)).unwrap(),
        r#"{"at":0,"body":{"answer":{"type":"numeric","value":144.0},"question":"é"},"kind":"answer","seq":1}"#
    );
}

#[test]
fn hash_is_sha256_of_prev_raw_bytes_and_canonical_bytes() {
    use sha2::{Digest, Sha256};
    let kind = EventKind::Waiting(WaitingBody {});
    let mut h = Sha256::new();
    h.update([0u8; 32]);
    h.update(br#"{"at":1,"body":{},"kind":"waiting","seq":1}"#);
    assert_eq!(
        event_hash(GENESIS_HASH, 1, 1, &kind).unwrap(),
        hex::encode(h.finalize())
    );
    assert_eq!(GENESIS_HASH, "0".repeat(64));
    assert!(event_hash("zz", 1, 1, &kind).is_none());
    assert!(
        event_hash(&"A".repeat(64), 1, 1, &kind).is_none(),
        "uppercase hex refused"
    );
}

/// Deserializes any JSON and fails unless every object's keys are strictly
/// increasing (byte order).
struct Sorted;

impl<'de> Deserialize<'de> for Sorted {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Sorted;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("json")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Sorted, A::Error> {
                let mut last: Option<String> = None;
                while let Some(k) = m.next_key::<String>()? {
                    if last.as_ref().is_some_and(|l| *l >= k) {
                        return Err(serde::de::Error::custom(format!("key {k} after {last:?}")));
                    }
                    m.next_value::<Sorted>()?;
                    last = Some(k);
                }
                Ok(Sorted)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Sorted, A::Error> {
                while s.next_element::<Sorted>()?.is_some() {}
                Ok(Sorted)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Sorted, E> {
                Ok(Sorted)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Sorted, E> {
                Ok(Sorted)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Sorted, E> {
                Ok(Sorted)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Sorted, E> {
                Ok(Sorted)
            }
            fn visit_str<E>(self, _: &str) -> Result<Sorted, E> {
                Ok(Sorted)
            }
            fn visit_unit<E>(self) -> Result<Sorted, E> {
                Ok(Sorted)
            }
        }
        d.deserialize_any(V)
    }
}

pub fn one_of_each_kind() -> Vec<EventKind> {
    let q = || QuestionBody {
        question: "q".into(),
    };
    vec![
        EventKind::Checks(ChecksBody {
            results: vec![pass("camera")],
        }),
        EventKind::Consent(ConsentBody {
            text_sha256: SHA_A.into(),
            version: "v".into(),
        }),
        EventKind::IdentityCapture(IdentityCaptureBody {
            media_sha256: SHA_A.into(),
            what: IdentityWhat::Face,
        }),
        EventKind::RoomScan(RoomScanBody {
            duration_ms: 1,
            media_sha256: SHA_A.into(),
        }),
        EventKind::Waiting(WaitingBody {}),
        EventKind::Start(StartBody {
            deadline_ms: 2,
            extra_time: true,
            started_at_ms: 1,
            window_closes_ms: 3,
            window_opens_ms: 0,
        }),
        EventKind::HeadTurn(HeadTurnBody {
            media_sha256: SHA_A.into(),
            side: Side::Left,
            yaw_deg: -35,
        }),
        EventKind::QuestionsOpened(QuestionsOpenedBody {
            deadline_ms: 9,
            reason: Reason::Timeout,
        }),
        EventKind::Answer(AnswerBody {
            answer: Answer::Single { choice: 1 },
            question: "q".into(),
        }),
        EventKind::Answer(AnswerBody {
            answer: Answer::Multiple {
                choices: vec![1, 2],
            },
            question: "q".into(),
        }),
        EventKind::Answer(AnswerBody {
            answer: Answer::Numeric { value: 1.5 },
            question: "q".into(),
        }),
        EventKind::Answer(AnswerBody {
            answer: Answer::Text { text: "t".into() },
            question: "q".into(),
        }),
        EventKind::ClearAnswer(q()),
        EventKind::Flag(q()),
        EventKind::Unflag(q()),
        EventKind::Navigate(q()),
        EventKind::SectionChange(SectionChangeBody {
            from: 0,
            reason: Reason::Timeout,
            to: 1,
        }),
        EventKind::IncidentOpen(IncidentOpenBody {
            evidence_sha256: Some(SHA_A.into()),
            incident: IncidentKind::SeveralFaces,
            opened_at: 1,
            severity: Severity::High,
        }),
        EventKind::IncidentOpen(IncidentOpenBody {
            evidence_sha256: None,
            incident: IncidentKind::Voice,
            opened_at: 1,
            severity: Severity::Low,
        }),
        EventKind::IncidentClose(IncidentCloseBody {
            closed_at: 2,
            incident: IncidentKind::Voice,
        }),
        EventKind::Focus(FocusBody { focused: false }),
        EventKind::Blocked(BlockedBody {
            action: "paste".into(),
        }),
        EventKind::Fullscreen(FullscreenBody { active: true }),
        EventKind::Screens(ScreensBody { extended: true }),
        EventKind::FaceMatch(FaceMatchBody {
            face_sha256: SHA_A.into(),
            faces_on_face: 1,
            faces_on_id: 1,
            id_sha256: SHA_A.into(),
            similarity_milli: Some(-12),
        }),
        EventKind::KioskReport(KioskReportBody {
            config_key: "k".into(),
            launcher: "vigil-kiosk/0.1.0".into(),
            results: vec![CheckResult {
                detail: "d".into(),
                item: "displays".into(),
                status: CheckStatus::Warn,
            }],
        }),
        EventKind::ClockSync(ClockSyncBody {
            offset_ms: -3,
            rtt_ms: 40,
            server_ms: 5,
        }),
        EventKind::Submit(SubmitBody {
            reason: Reason::Manual,
        }),
    ]
}

#[test]
fn canonical_keys_are_sorted_for_every_kind() {
    let kinds = one_of_each_kind();
    let names: std::collections::BTreeSet<_> = kinds.iter().map(|k| k.name()).collect();
    assert_eq!(names.len(), EventKind::NAMES.len(), "every kind is covered");
    for k in kinds {
        let bytes = canonical_bytes(1, 2, &k);
        serde_json::from_slice::<Sorted>(&bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", String::from_utf8_lossy(&bytes)));
        assert!(
            !bytes.contains(&b' ') || k.name() == "answer",
            "no whitespace"
        );
    }
}

#[test]
fn every_kind_round_trips_through_transport() {
    let mut log = EventLog::new();
    for (i, k) in one_of_each_kind().into_iter().enumerate() {
        log.append(k, i as i64);
    }
    let json = encode_events(log.events());
    let back = decode_events(&json).unwrap();
    assert_eq!(back, log.events());
    verify(&back).unwrap();
}

#[test]
fn append_chains_from_genesis() {
    let events = sample_log();
    assert_eq!(events[0].seq, 1);
    assert_eq!(events[0].prev_hash, GENESIS_HASH);
    for w in events.windows(2) {
        assert_eq!(w[1].prev_hash, w[0].hash);
        assert_eq!(w[1].seq, w[0].seq + 1);
    }
    verify(&events).unwrap();
    verify(&[]).unwrap();
}

#[test]
fn changed_content_is_caught() {
    let events = sample_log();
    let mut e = events.clone();
    e[3].at += 1;
    assert_eq!(
        verify(&e).unwrap_err(),
        ChainError {
            seq: 4,
            what: ChainFault::Hash
        }
    );
    let mut e = events.clone();
    if let EventKind::Answer(b) = &mut e[10].kind {
        b.answer = Answer::Single { choice: 2 };
    } else {
        panic!("{:?}", e[10].kind);
    }
    assert_eq!(verify(&e).unwrap_err().seq, 11);
    let mut e = events.clone();
    e[2].hash = e[2].hash.replace('a', "b").replace('1', "2");
    assert!(verify(&e).is_err());
}

#[test]
fn removal_insertion_reordering_are_caught() {
    let events = sample_log();
    let mut e = events.clone();
    e.remove(4);
    let err = verify(&e).unwrap_err();
    assert_eq!(
        err,
        ChainError {
            seq: 5,
            what: ChainFault::Seq {
                expected: 5,
                found: 6
            }
        }
    );
    let mut e = events.clone();
    e.insert(4, events[4].clone());
    assert!(verify(&e).is_err());
    let mut e = events.clone();
    e.swap(2, 3);
    assert!(verify(&e).is_err());
    // Renumbering after a removal breaks prev_hash.
    let mut e = events.clone();
    e.remove(4);
    for (i, ev) in e.iter_mut().enumerate() {
        ev.seq = i as u64 + 1;
    }
    assert_eq!(
        verify(&e).unwrap_err(),
        ChainError {
            seq: 5,
            what: ChainFault::PrevHash
        }
    );
    // Dropping the head.
    assert_eq!(verify(&events[1..]).unwrap_err().seq, 1);
}

#[test]
fn time_going_backwards_is_caught() {
    let mut log = EventLog::new();
    log.append(EventKind::Focus(FocusBody { focused: true }), 10);
    log.append(EventKind::Focus(FocusBody { focused: false }), 5);
    assert_eq!(
        verify(log.events()).unwrap_err().what,
        ChainFault::TimeBackwards {
            previous: 10,
            at: 5
        }
    );
}

#[test]
fn continuation_checks_the_join() {
    let events = sample_log();
    let (stored, batch) = events.split_at(5);
    verify_continuation(stored.last(), batch).unwrap();
    verify_continuation(None, stored).unwrap();
    assert_eq!(verify_continuation(None, batch).unwrap_err().seq, 1);
    assert!(verify_continuation(stored.get(3), batch).is_err());
    verify_continuation(stored.last(), &[]).unwrap();
}

#[test]
fn decoder_refuses_garbage_and_unknown_fields() {
    assert!(matches!(decode_events("nope"), Err(DecodeError::Syntax(_))));
    assert!(decode_events("{}").is_err());
    let json = encode_events(&sample_log()[..1]);
    let extra = json.replacen("\"seq\"", "\"x\":1,\"seq\"", 1);
    assert!(decode_events(&extra).is_err(), "unknown envelope field");
    let bad_kind = json.replacen("\"checks\"", "\"teleport\"", 1);
    assert!(decode_events(&bad_kind)
        .unwrap_err()
        .to_string()
        .contains("teleport"));
    let extra_body = json.replacen("\"results\"", "\"x\":1,\"results\"", 1);
    assert!(decode_events(&extra_body).is_err(), "unknown body field");
}

#[test]
fn log_since_gives_the_unacked_tail() {
    let events = sample_log();
    let log = EventLog::from_events(events.clone()).unwrap();
    assert_eq!(log.since(0).len(), events.len());
    assert_eq!(log.since(5)[0].seq, 6);
    assert!(log.since(999).is_empty());
    let mut bad = events;
    bad[0].at = 123;
    assert!(EventLog::from_events(bad).is_err());
}

#[test]
fn an_events_size_limits_are_checked_without_the_exam() {
    let ok = EventKind::Blocked(BlockedBody {
        action: "paste".into(),
    });
    assert_eq!(ok.check_limits(), Ok(()));
    let long_action = EventKind::Blocked(BlockedBody {
        action: "x".repeat(limits::MAX_BLOCKED_ACTION_LEN + 1),
    });
    assert_eq!(
        long_action.check_limits().unwrap_err(),
        format!(
            "action is 65 bytes (max {})",
            limits::MAX_BLOCKED_ACTION_LEN
        )
    );
    let long_answer = EventKind::Answer(AnswerBody {
        answer: Answer::Text {
            text: "a".repeat(limits::MAX_ANSWER_TEXT_LEN + 1),
        },
        question: "q".into(),
    });
    assert!(long_answer
        .check_limits()
        .unwrap_err()
        .starts_with("answer.text"));
    let many = EventKind::Checks(ChecksBody {
        results: vec![
            CheckResult {
                detail: String::new(),
                item: "camera".into(),
                status: CheckStatus::Pass,
            };
            limits::MAX_CHECK_ITEMS + 1
        ],
    });
    assert!(many.check_limits().unwrap_err().contains("items"));
    let long_question = EventKind::Flag(QuestionBody {
        question: "q".repeat(limits::MAX_ID_LEN + 1),
    });
    assert!(long_question.check_limits().is_err());
}
