//! The order of the day on the server: the start is the check-in (judged
//! against the window), the questions open after the identification steps
//! and the server records that moment once, never later than the exam's
//! identification bound; an overrun is flagged with what was missing, and a
//! log that opens the questions later than the server saw is scored from
//! the server's record.

use axum::http::StatusCode;
use serde_json::{json, Value};
use vigil_exam::*;

use crate::common::*;

const MIN: i64 = 60_000;

/// A review page's HTML, with the proctor's cookie.
async fn get_page(f: &Fixture, uri: &str, cookie: &str) -> String {
    use tower::ServiceExt;
    let req = axum::http::Request::get(uri)
        .header(axum::http::header::COOKIE, format!("vigil_review={cookie}"))
        .body(axum::body::Body::empty())
        .unwrap();
    let res = f.app().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{uri}");
    let bytes = http_body_util::BodyExt::collect(res.into_body())
        .await
        .unwrap()
        .to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// Candidate 0 logged in and started at `NOW` on the server, and the same
/// start in the engine's log: the token, the attempt id, the exam, the log.
async fn started_at_now(f: &Fixture) -> (String, String, Exam, Attempt) {
    let token = f.login(0).await;
    let attempt = f.attempt_id(&token).await;
    let (status, body) = post(f, &token, "/api/attempt/start").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let exam = demo_exam();
    let mut a = waiting_attempt(f, 0, NOW - MIN);
    a.start(&exam, &demo_window(f), false, NOW).unwrap();
    (token, attempt, exam, a)
}

async fn post(f: &Fixture, token: &str, path: &str) -> (StatusCode, Value) {
    send(f.app(), post_json_with_token(path, token, json!({}))).await
}

#[tokio::test]
async fn the_questions_open_once_and_never_after_the_identification_bound() {
    let f = fixture().await;
    let token = f.login(0).await;
    // Before the start there are no questions to open.
    let (status, body) = post(&f, &token, "/api/attempt/questions").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_error(&body, "not_started");

    let (status, _) = post(&f, &token, "/api/attempt/start").await;
    assert_eq!(status, StatusCode::OK);
    f.clock.set(NOW + 95_000); // identification took 95 s
    let (status, body) = post(&f, &token, "/api/attempt/questions").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["questions_opened_at_ms"], NOW + 95_000);
    assert_eq!(body["deadline_ms"], NOW + 95_000 + 5 * MIN);
    // Asked again later: the same record, the same deadline.
    f.clock.set(NOW + 4 * MIN);
    let (_, again) = post(&f, &token, "/api/attempt/questions").await;
    assert_eq!(again, body);
    let row = f
        .state
        .db
        .attempt(&f.attempt_id(&token).await)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.questions_opened_at, Some(NOW + 95_000));

    // Lingering buys nothing: asked 25 minutes after the start, the
    // opening is recorded at the 10-minute bound.
    let late = f.login(1).await;
    f.clock.set(NOW);
    post(&f, &late, "/api/attempt/start").await;
    f.clock.set(NOW + 25 * MIN);
    let (_, body) = post(&f, &late, "/api/attempt/questions").await;
    assert_eq!(body["questions_opened_at_ms"], NOW + 10 * MIN);
    assert_eq!(body["deadline_ms"], NOW + 15 * MIN);
}

#[tokio::test]
async fn an_identification_overrun_is_flagged_with_what_was_missing() {
    let f = fixture().await;
    let (token, attempt, exam, mut a) = started_at_now(&f).await;
    a.capture_identity(IdentityWhat::IdDocument, &"a".repeat(64), NOW + 5_000)
        .unwrap();
    // The candidate stops there: at the bound the questions open anyway.
    let opened = a.tick(&exam, NOW + 10 * MIN);
    assert_eq!(opened.len(), 1);
    a.answer(
        &exam,
        "capitale",
        Answer::Single { choice: 1 },
        NOW + 11 * MIN,
    )
    .unwrap();
    f.clock.set(NOW + 12 * MIN);
    let (status, body) = send(f.app(), events_request(&token, 1, a.events())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let flags = f.state.db.flags(&attempt).await.unwrap();
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert_eq!(flags[0].kind, "identification_overrun");
    assert!(
        flags[0]
            .detail
            .ends_with("with face photo, head turned left, head turned right, room scan missing"),
        "{}",
        flags[0].detail
    );
    // Offline at the opening, the server takes the log's account of it,
    // within its bounds.
    let row = f.state.db.attempt(&attempt).await.unwrap().unwrap();
    assert_eq!(row.questions_opened_at, Some(NOW + 10 * MIN));
    // The answer counts: the timer started at the bound.
    let results = vigil_server::results::session_results(&f.state.db, &f.demo.session, NOW)
        .await
        .unwrap();
    assert_eq!(results.rows[0].score.as_ref().unwrap().total.right, 1);
}

#[tokio::test]
async fn a_log_opening_the_questions_after_the_server_saw_it_is_scored_from_the_server() {
    let f = fixture().await;
    let (token, attempt, exam, mut a) = started_at_now(&f).await;
    f.clock.set(NOW + 10_000);
    let (_, opened) = post(&f, &token, "/api/attempt/questions").await;
    assert_eq!(opened["deadline_ms"], NOW + 10_000 + 5 * MIN);
    // The log says the questions opened 90 s later, to answer past the
    // server's deadline.
    identify_and_open(&mut a, &exam, NOW + 100_000);
    // In the log's time the last section runs to NOW + 400 s; the server's
    // deadline is NOW + 310 s.
    a.tick(&exam, NOW + 320_000);
    a.answer(
        &exam,
        "fleuve",
        Answer::Text {
            text: "Loire".into(),
        },
        NOW + 320_000,
    )
    .unwrap();
    f.clock.set(NOW + 7 * MIN);
    let (status, body) = send(f.app(), events_request(&token, 1, a.events())).await;
    assert_eq!(status, StatusCode::OK, "stored for the reviewer: {body}");
    let flags = f.state.db.flags(&attempt).await.unwrap();
    let mismatch: Vec<&str> = flags
        .iter()
        .filter(|f| f.kind == "time_mismatch")
        .map(|f| f.detail.as_str())
        .collect();
    assert!(
        mismatch
            .iter()
            .any(|d| d.contains("opens the questions") && d.contains("+90 s")),
        "{flags:?}"
    );
    let results = vigil_server::results::session_results(&f.state.db, &f.demo.session, NOW)
        .await
        .unwrap();
    let row = &results.rows[0];
    assert!(row.flags.contains(&"after_deadline".to_owned()), "{row:?}");
    assert_eq!(row.score.as_ref().unwrap().total.right, 0);
}

#[tokio::test]
async fn the_dossier_shows_the_ears_and_when_the_questions_opened() {
    let f = fixture().await;
    let (token, attempt, exam, mut a) = started_at_now(&f).await;
    identify_and_open(&mut a, &exam, NOW + 75_000);
    // The app tells the server as it opens them.
    f.clock.set(NOW + 75_000);
    let (status, _) = send(
        f.app(),
        post_json_with_token("/api/attempt/questions", &token, json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    f.clock.set(NOW + 2 * MIN);
    let (status, _) = send(f.app(), events_request(&token, 1, a.events())).await;
    assert_eq!(status, StatusCode::OK);
    let cookie = proctor_login(&f, &f.demo.session, "marie").await;
    let page = get_page(&f, &format!("/review/attempts/{attempt}"), &cookie).await;
    assert!(page.contains("Turned left, yaw 40°"), "{page}");
    assert!(page.contains("Turned right, yaw -40°"), "{page}");
    assert!(
        page.contains("(the server&#39;s clock); identification complete.")
            || page.contains("(the server's clock); identification complete."),
        "{page}"
    );
    let report = get_page(&f, &format!("/review/attempts/{attempt}/report"), &cookie).await;
    assert!(report.contains("Questions ouvertes"), "{report}");
    assert!(
        report.contains("(horloge du serveur) ; identification terminée"),
        "{report}"
    );
}

#[tokio::test]
async fn identification_before_the_start_is_out_of_order_for_the_reviewer() {
    // A log written by a modified app: the ID photo and the room scan taken
    // hours before the start, as the old order allowed.
    let f = fixture().await;
    let token = f.login(0).await;
    post(&f, &token, "/api/attempt/start").await;
    let exam = demo_exam();
    let sha = "a".repeat(64);
    let mut log = vigil_exam::EventLog::with_genesis(&f.genesis[0]);
    let t = NOW - 3 * 60 * MIN;
    for kind in [
        EventKind::Checks(ChecksBody { results: vec![] }),
        EventKind::Consent(ConsentBody {
            text_sha256: sha.clone(),
            version: "v1".into(),
        }),
        EventKind::IdentityCapture(IdentityCaptureBody {
            media_sha256: sha.clone(),
            what: IdentityWhat::IdDocument,
        }),
        EventKind::RoomScan(RoomScanBody {
            duration_ms: 20_000,
            media_sha256: sha.clone(),
        }),
        EventKind::Waiting(WaitingBody {}),
    ] {
        log.append(kind, t);
    }
    let d = deadlines(&exam, NOW, false);
    let w = demo_window(&f);
    log.append(
        EventKind::Start(StartBody {
            deadline_ms: d.ends_at_ms,
            extra_time: false,
            started_at_ms: NOW,
            window_closes_ms: w.closes_at_ms,
            window_opens_ms: w.opens_at_ms,
        }),
        NOW,
    );
    f.clock.set(NOW + MIN);
    let (status, body) = send(f.app(), events_request(&token, 1, log.events())).await;
    assert_eq!(status, StatusCode::OK, "stored for the reviewer: {body}");
    let results = vigil_server::results::session_results(&f.state.db, &f.demo.session, NOW)
        .await
        .unwrap();
    let row = &results.rows[0];
    assert!(row.flags.contains(&"out_of_order".to_owned()), "{row:?}");
}
