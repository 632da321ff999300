//! The package and the start: served before the start, key released only
//! inside the window and only once, derived from the printed start code.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::json;
use vigil_exam::time::START_SLACK_MS;
use vigil_exam::Exam;
use vigil_server::demo;
use vigil_server::package::{derive_key, open, unb64};

use crate::common::*;

const TEN_MIN: i64 = 10 * 60_000;

fn start_req(token: &str) -> Request<Body> {
    post_json_with_token("/api/attempt/start", token, json!({}))
}

#[tokio::test]
async fn the_package_is_served_before_the_start_and_opens_with_the_released_key() {
    let f = fixture_starting_in(TEN_MIN).await;
    let token = f.login(0).await;

    let (status, pkg) = send(f.app(), get_with_token("/api/attempt/package", &token)).await;
    assert_eq!(status, StatusCode::OK, "{pkg}");
    assert_eq!(pkg["algorithm"], "AES-256-GCM");
    assert_eq!(pkg["exam_id"], f.demo.exam.as_str());
    let nonce = unb64(pkg["nonce"].as_str().unwrap()).unwrap();
    assert_eq!(nonce.len(), 12);
    let ciphertext = unb64(pkg["ciphertext"].as_str().unwrap()).unwrap();

    // Another candidate of the session gets the same exam sealed under
    // another key (#31): other bytes, the same plaintext's hash.
    let other = f.login(1).await;
    let (_, pkg2) = send(f.app(), get_with_token("/api/attempt/package", &other)).await;
    assert_ne!(pkg["ciphertext"], pkg2["ciphertext"]);
    assert_eq!(pkg["sha256"], pkg2["sha256"]);

    // Before the window: refused, naming the opening time.
    let (status, body) = send(f.app(), start_req(&token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_error(&body, "too_early");
    let msg = body["error"]["message"].as_str().unwrap();
    assert!(msg.contains("2027-01-15T08:10:00Z"), "{msg}");

    // Inside the window: the start is recorded by the server clock.
    f.clock.advance(TEN_MIN + 5_000);
    let (status, start) = send(f.app(), start_req(&token)).await;
    assert_eq!(status, StatusCode::OK, "{start}");
    let started = NOW + TEN_MIN + 5_000;
    assert_eq!(start["started_at_ms"], started);
    // The latest end: 600 s of identification at most, then 300 s.
    assert_eq!(start["identification_by_ms"], started + 600_000);
    assert_eq!(start["deadline_ms"], started + 600_000 + 300_000);
    let key: [u8; 32] = unb64(start["key"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    // The key is the one the printed start code gives offline, for this
    // attempt.
    let attempt_id = f.attempt_id(&token).await;
    let attempt_key =
        |code: &str| vigil_api::attempt_key(&derive_key(&f.demo.session, code), &attempt_id);
    assert_eq!(key, attempt_key(&f.demo.start_code));
    assert_eq!(
        key,
        attempt_key(&f.demo.start_code.to_lowercase().replace('-', " "))
    );

    let plain = open(&key, &nonce, &ciphertext).expect("the key opens the package");
    assert_eq!(
        hex::encode(sha2_digest(&plain)),
        pkg["sha256"].as_str().unwrap()
    );
    let exam = Exam::from_json(std::str::from_utf8(&plain).unwrap()).unwrap();
    assert_eq!(exam.id, f.demo.exam);
    assert!(exam.redacted, "the package carries no answer keys");
    let full = demo_exam();
    assert!(full.sections[0].questions[0].correct.is_some());
    assert!(exam.sections[0].questions[0].correct.is_none());

    let (status, attempt) = send(f.app(), get_with_token("/api/attempt", &token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(attempt["state"], "in_progress");
    assert_eq!(attempt["started_at_ms"], started);

    // Once only: a second call is answered the recorded start, not a new
    // one — the first answer may have been lost (a network cut, the server
    // killed after its commit), and without the key the candidate would be
    // stuck. Even after the window closed, and with time gone by.
    f.clock.advance(3_600_000);
    let (status, again) = send(f.app(), start_req(&token)).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again, start);
    let (_, attempt) = send(f.app(), get_with_token("/api/attempt", &token)).await;
    assert_eq!(attempt["started_at_ms"], started);

    // The package is still served after the start (reload, other tab).
    let (status, _) = send(f.app(), get_with_token("/api/attempt/package", &token)).await;
    assert_eq!(status, StatusCode::OK);
}

fn sha2_digest(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).into()
}

#[tokio::test]
async fn the_window_closes_after_grace_and_slack() {
    let f = fixture().await;
    let a = f.login(0).await;
    let b = f.login(1).await;
    // The last accepted instant: start + grace + slack.
    f.clock.advance(demo::DEMO_WINDOW_MS + START_SLACK_MS);
    let (status, body) = send(f.app(), start_req(&a)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    f.clock.advance(1);
    let (status, body) = send(f.app(), start_req(&b)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_error(&body, "too_late");
    let (_, attempt) = send(f.app(), get_with_token("/api/attempt", &b)).await;
    assert_eq!(attempt["state"], "registered");
    assert!(attempt["started_at_ms"].is_null());
}

#[tokio::test]
async fn a_start_is_the_callers_own() {
    let f = fixture().await;
    let a = f.login(0).await;
    let b = f.login(1).await;
    let (status, _) = send(f.app(), start_req(&b)).await;
    assert_eq!(status, StatusCode::OK);
    let (_, attempt) = send(f.app(), get_with_token("/api/attempt", &a)).await;
    assert_eq!(attempt["state"], "registered");
    let (status, _) = send(f.app(), start_req(&a)).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn package_and_start_need_a_token_and_a_json_body() {
    let f = fixture().await;
    let (status, body) = send(
        f.app(),
        Request::get("/api/attempt/package")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_error(&body, "no_token");
    let (status, body) = send(f.app(), start_req(&"f".repeat(64))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_error(&body, "bad_token");

    let token = f.login(0).await;
    let req = Request::post("/api/attempt/start")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::from("{not json"))
        .unwrap();
    let (status, body) = send(f.app(), req).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "malformed_json");
    // Nothing started.
    let (_, attempt) = send(f.app(), get_with_token("/api/attempt", &token)).await;
    assert_eq!(attempt["state"], "registered");
}

#[tokio::test]
async fn each_session_has_its_own_start_code_and_key() {
    let f = fixture().await;
    let again = demo::create_demo(
        &f.state.db,
        &f.state.hashing,
        DEMO_EXAM,
        NOW,
        0,
        1,
        "u".into(),
    )
    .await
    .unwrap();
    assert_ne!(again.start_code, f.demo.start_code);
    let a = f.state.db.package(&f.demo.session).await.unwrap().unwrap();
    let b = f.state.db.package(&again.session).await.unwrap().unwrap();
    assert_ne!(a.key, b.key);
    assert_ne!(a.sealed.nonce, b.sealed.nonce);
    assert_eq!(
        a.sealed.sha256, b.sealed.sha256,
        "same exam, same plaintext"
    );
}

/// A login lasts as long as the exam lets data arrive: the latest sync
/// deadline of the session (started at the window's close, with extra
/// time), from the exam's own `sync_deadline_s`.
#[tokio::test]
async fn tokens_last_until_the_exams_own_sync_deadline() {
    const DAY_S: i64 = 86_400;
    for (extra_line, sync_s) in [("", 12 * 3600), ("\nsync_deadline_s = 604800", 7 * DAY_S)] {
        let exam = DEMO_EXAM.replace(
            "late_entry_grace_s = 0",
            &format!("late_entry_grace_s = 0{extra_line}"),
        );
        let f = fixture_with_exam(test_db().await, &exam, 0).await;
        let token = f.login(0).await;
        // The demo lasts 300 s, 400 s with extra time, after at most 600 s
        // of identification.
        let expiry = demo_window(&f).closes_at_ms + 600_000 + 400_000 + sync_s * 1000;
        f.clock.set(expiry - 1_000);
        let (status, body) = send(f.app(), get_with_token("/api/attempt", &token)).await;
        assert_eq!(status, StatusCode::OK, "{extra_line:?}: {body}");
        f.clock.set(expiry + 1_000);
        let (status, _) = send(f.app(), get_with_token("/api/attempt", &token)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{extra_line:?}");
    }
}
