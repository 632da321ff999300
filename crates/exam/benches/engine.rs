//! Plain benchmark harness (no criterion): verify + replay a 10 000-event log,
//! the proctoring rules over 5 000 observations, and one candidate step
//! after 20 and after 2 000 events, with the log copied first (as the app
//! did before its attempt store) and in place (as it does now). Prints the median of
//! repeated runs in ms. Run: `cargo bench -p vigil-exam --bench engine`
//! (`cargo xtask bench engine`). Goal: under 5 ms each, natively, in release.
//! The figures depend on `sha2` being built with opt-level 3 (see README).

// Tests and benchmarks may unwrap: a panic is their failure report.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::time::Instant;

use vigil_exam::*;

const RUNS: usize = 31;
const T0: i64 = 1_780_300_800_000;
const SHA: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

fn median_ms(mut f: impl FnMut()) -> f64 {
    f(); // warm-up
    let mut times: Vec<f64> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[RUNS / 2]
}

/// A TAGE attempt of exactly `n` events: answers, navigation, flags and focus
/// changes spread over the 80 minutes, section changes by tick.
fn build_log(exam: &Exam, n: usize) -> Vec<Event> {
    let pass = CheckResult {
        detail: String::new(),
        item: "camera".into(),
        status: CheckStatus::Pass,
    };
    let mut a = Attempt::new();
    let t = T0 - 60_000;
    a.record_checks(vec![pass], t).unwrap();
    a.consent("v1", SHA, t).unwrap();
    a.enter_waiting_room(t).unwrap();
    let window = StartWindow::new(
        exam,
        &Schedule {
            starts_at_ms: T0,
            grace_ms: None,
        },
    )
    .unwrap();
    a.start(exam, &window, false, T0).unwrap();
    a.capture_identity(IdentityWhat::IdDocument, SHA, T0)
        .unwrap();
    a.capture_identity(IdentityWhat::Face, SHA, T0).unwrap();
    a.head_turn(Side::Left, SHA, 40, T0).unwrap();
    a.head_turn(Side::Right, SHA, -40, T0).unwrap();
    a.room_scan(SHA, 30_000, T0).unwrap();
    a.open_questions(exam, T0).unwrap();
    let step = (exam.duration_ms(false) - 1_000) / n as i64;
    let mut now = T0;
    let mut i = 0u32;
    while a.events().len() < n - 1 {
        now += step.max(1);
        a.tick(exam, now);
        let Some(section) = a.state().current_section() else {
            break;
        };
        let qs = &exam.sections[section].questions;
        let q = &qs[i as usize % qs.len()];
        let r = match i % 5 {
            0 | 1 => a.answer(exam, &q.id, Answer::Single { choice: i % 4 }, now),
            2 => a.navigate(exam, &q.id, now),
            3 => a.flag(exam, &q.id, i & 1 == 0, now),
            _ => a.record_focus(i & 1 == 0, now),
        };
        r.unwrap();
        i += 1;
    }
    a.submit(exam, now).unwrap();
    let events = a.events().to_vec();
    assert_eq!(events.len(), n);
    events
}

fn observations(n: usize) -> Vec<Observation> {
    (0..n)
        .map(|i| {
            let at = T0 + i as i64 * 200;
            let face = |yaw: f64| FaceObservation {
                score: 0.9,
                bbox: [0.3, 0.3, 0.3, 0.4],
                landmarks: vec![[0.4, 0.4]; 6],
                yaw_deg: yaw,
                pitch_deg: 0.0,
            };
            let signal = match i % 10 {
                0..=4 => Signal::Frame {
                    faces: match (i / 50) % 4 {
                        0 => vec![face(0.0)],
                        1 => vec![],
                        2 => vec![face(0.0), face(20.0)],
                        _ => vec![face(45.0)],
                    },
                    brightness: 0.5,
                    frame_sha256: Some(SHA.into()),
                },
                5 | 6 => Signal::Audio {
                    voice: (i / 30) % 3 == 0,
                },
                7 => Signal::Focus {
                    focused: (i / 100) % 5 != 0,
                },
                8 => Signal::Fullscreen { active: true },
                _ => Signal::Tick,
            };
            Observation::new(at, signal)
        })
        .collect()
}

fn main() {
    let exam = Exam::from_toml(include_str!("../../../exams/tage-post-bac-practice.toml")).unwrap();
    let events = build_log(&exam, 10_000);
    let json = encode_events(&events);

    let canon: Vec<Vec<u8>> = events
        .iter()
        .map(|e| canonical_bytes(e.seq, e.at, &e.kind))
        .collect();
    let canon_ms = median_ms(|| {
        for e in &events {
            black_box(canonical_bytes(e.seq, e.at, &e.kind));
        }
    });
    let sha_ms = median_ms(|| {
        use sha2::{Digest, Sha256};
        for c in &canon {
            black_box(Sha256::digest(black_box(c)));
        }
    });
    let verify_ms = median_ms(|| verify(black_box(&events)).unwrap());
    let replay_ms = median_ms(|| {
        black_box(replay(black_box(&exam), black_box(&events)).unwrap());
    });
    let score_ms = median_ms(|| {
        let state = replay(&exam, &events).unwrap();
        black_box(score(&exam, &state));
    });
    let decode_ms = median_ms(|| {
        black_box(decode_events(black_box(&json)).unwrap());
    });
    let obs = observations(5_000);
    let mut incidents = 0;
    let proctor_ms = median_ms(|| {
        let mut p = Proctor::new(&exam.proctoring);
        incidents = obs
            .iter()
            .map(|o| p.observe(black_box(o.clone())).len())
            .sum::<usize>();
    });

    // One candidate step as the app stores it, early in the exam and late:
    // before the attempt store (the log copied, then the step on the copy)
    // and now (the step in place, a snapshot of the state for the view,
    // and here a rewind so the next run starts from the same log).
    let mut step_us = Vec::new();
    for n in [20usize, 2_000] {
        let log = build_log(&exam, n + 1);
        let attempt = Attempt::resume(Some(&exam), log[..n].to_vec()).unwrap();
        let section = attempt.state().current_section().unwrap();
        let q = exam.sections[section].questions[0].id.clone();
        let at = attempt.state().last_at_ms.unwrap_or(T0);
        let copied = median_ms(|| {
            for k in 0..1_000u32 {
                let mut next = attempt.clone();
                let e = next.answer(&exam, &q, Answer::Single { choice: k % 4 }, at);
                black_box((e.unwrap(), &next));
            }
        });
        let mut live = attempt.clone();
        let stored = live.state().clone();
        let in_place = median_ms(|| {
            for k in 0..1_000u32 {
                let e = live.answer(&exam, &q, Answer::Single { choice: k % 4 }, at);
                black_box((e.unwrap(), std::rc::Rc::new(live.state().clone())));
                live.rewind_to(stored.clone()).unwrap();
            }
        });
        step_us.push((n, copied, in_place));
    }

    println!("vigil-exam engine benchmark (median of {RUNS} runs)");
    let bytes: usize = canon.iter().map(Vec::len).sum();
    println!(
        "  canonical encoding only ({:.1} MB)     {canon_ms:8.3} ms",
        bytes as f64 / 1e6
    );
    println!("  SHA-256 only                           {sha_ms:8.3} ms");
    println!("  verify chain, 10 000 events            {verify_ms:8.3} ms");
    println!("  verify + replay, 10 000 events         {replay_ms:8.3} ms");
    println!("  verify + replay + score                {score_ms:8.3} ms");
    println!(
        "  decode transport JSON ({:.1} MB)       {decode_ms:8.3} ms",
        json.len() as f64 / 1e6
    );
    println!("  proctoring rules, 5 000 observations   {proctor_ms:8.3} ms ({incidents} changes)");
    for (n, copied, in_place) in &step_us {
        // 1 000 steps per run: ms per run = µs per step.
        println!(
            "  one answer after {n:>5} events: log copied {copied:7.2} µs, in place {in_place:7.2} µs"
        );
    }
    let goal = 5.0;
    for (name, v) in [("verify + replay", replay_ms), ("proctoring", proctor_ms)] {
        if v > goal {
            println!(
                "  WARNING: {name} over the {goal} ms goal. The workspace's release profile \
                 is opt-level \"s\" (for wasm size); SHA-256 needs \
                 `[profile.release.package.sha2] opt-level = 3`."
            );
        }
    }
}
