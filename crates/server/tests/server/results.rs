//! Results: the engine's replay and score of the synced logs, one CSV row
//! per candidate, on whichever database the suite runs on.

use axum::http::StatusCode;
use serde_json::json;
use vigil_server::db::AttemptState;
use vigil_server::results;

use crate::common::*;

/// Logs in candidate `n`, starts online, and syncs a whole log answering `answer`.
async fn sit(f: &Fixture, n: usize, answer: usize) {
    let token = f.login(n).await;
    let (status, _) = send(
        f.app(),
        post_json_with_token("/api/attempt/start", &token, json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let log = full_log(f, n, NOW, answer);
    let (status, body) = send(f.app(), events_request(&token, 1, &log)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn every_candidate_has_a_row_scored_from_the_synced_log() {
    let f = fixture().await;
    sit(&f, 0, 1).await; // right
    sit(&f, 1, 0).await; // wrong
    let r = results::session_results(&f.state.db, &f.demo.session, NOW)
        .await
        .unwrap();
    assert_eq!(r.rows.len(), 3);
    let ids: Vec<&str> = f.demo.candidates.iter().map(|c| c.id.as_str()).collect();

    // The scores are the engine's, on the full exam, of the same log.
    let exam = demo_exam();
    for (n, answer) in [(0, 1), (1, 0)] {
        let state = vigil_exam::replay_events_from(
            &f.genesis[n],
            Some(&exam),
            &full_log(&f, n, NOW, answer),
        )
        .unwrap();
        let row = &r.rows[n];
        assert_eq!(row.candidate, ids[n]);
        assert_eq!(row.state, AttemptState::Submitted);
        assert_eq!(row.started_at, Some(NOW));
        assert_eq!(row.submitted_at, Some(NOW + 4_000));
        assert_eq!(row.score.as_ref(), Some(&vigil_exam::score(&exam, &state)));
        assert!(row.flags.is_empty(), "{:?}", row.flags);
    }
    let right = r.rows[0].score.as_ref().unwrap();
    assert_eq!(
        (right.total.points, right.total.right, right.total.blank),
        (1.0, 1, 5)
    );
    let wrong = r.rows[1].score.as_ref().unwrap();
    assert_eq!((wrong.total.right, wrong.total.wrong), (0, 1));
    assert!(wrong.total.points < right.total.points);
    // Nobody synced anything for the third: a state, no score.
    assert_eq!(r.rows[2].state, AttemptState::Registered);
    assert_eq!(r.rows[2].score, None);

    let csv = r.to_csv();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "candidate,state,progress,started_at,submitted_at,points_partie-1,points_partie-2,\
         points_total,max_points,right,wrong,partial,blank,flags,extra_time,person,family_name,\
         given_name,decision,counts,excluded_until,decided_by,decided_at,decision_reason"
    );
    let max = number_of(right.total.max_points);
    assert_eq!(
        lines[1],
        format!(
            "{},submitted,submitted,2027-01-15T09:00:00.000+01:00,2027-01-15T09:00:04.000+01:00,1,0,1,{max},1,0,0,5,,no,,,,,,,,,",
            ids[0]
        )
    );
    assert!(
        lines[2].starts_with(&format!("{},submitted,", ids[1])),
        "{}",
        lines[2]
    );
    assert_eq!(
        lines[3],
        format!("{},registered,not started,,,,,,,,,,,,no,,,,,,,,,", ids[2])
    );
    assert_eq!(lines.len(), 4);
}

#[tokio::test]
async fn an_offline_start_is_scored_and_its_flag_shown() {
    let f = fixture().await;
    let token = f.login(2).await;
    // No online start: the log's start is an offline one (printed start code).
    let log = full_log(&f, 2, NOW, 1);
    let (status, _) = send(f.app(), events_request(&token, 1, &log)).await;
    assert_eq!(status, StatusCode::OK);
    let r = results::session_results(&f.state.db, &f.demo.session, NOW)
        .await
        .unwrap();
    let row = &r.rows[2];
    assert_eq!(row.flags, ["offline_start"]);
    assert_eq!(row.score.as_ref().map(|s| s.total.right), Some(1));
    assert!(r
        .to_csv()
        .lines()
        .nth(3)
        .unwrap()
        .ends_with(",offline_start,no,,,,,,,,,"));
}

#[tokio::test]
async fn an_unknown_session_is_an_error() {
    let f = fixture().await;
    let err = results::session_results(&f.state.db, "nope", NOW)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no session"), "{err}");
}

fn number_of(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        x.to_string()
    }
}

/// A whole log whose photos and room scan are `media` (real bytes), so the
/// attempt can be complete on the server.
fn log_naming(f: &Fixture, n: usize, media: &[Vec<u8>; 3], submit: bool) -> Vec<vigil_exam::Event> {
    use vigil_exam::*;
    let sha = |b: &[u8]| hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b));
    let (exam, window) = (demo_exam(), demo_window(f));
    let mut a = Attempt::with_genesis(&f.genesis[n]);
    let t = NOW - 60_000;
    a.record_checks(vec![], t).unwrap();
    a.consent("v1", &"c".repeat(64), t + 1).unwrap();
    a.enter_waiting_room(t + 5).unwrap();
    a.start(&exam, &window, false, NOW).unwrap();
    a.capture_identity(IdentityWhat::IdDocument, &sha(&media[0]), NOW)
        .unwrap();
    a.capture_identity(IdentityWhat::Face, &sha(&media[1]), NOW)
        .unwrap();
    // The ear stills are the face photo's bytes here: one blob, named thrice.
    a.head_turn(Side::Left, &sha(&media[1]), 40, NOW).unwrap();
    a.head_turn(Side::Right, &sha(&media[1]), -40, NOW).unwrap();
    a.room_scan(&sha(&media[2]), 20_000, NOW).unwrap();
    a.open_questions(&exam, NOW).unwrap();
    if submit {
        a.submit(&exam, NOW + 1_000).unwrap();
    }
    a.events().to_vec()
}

async fn upload(f: &Fixture, token: &str, bytes: &[u8]) {
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes));
    let req = axum::http::Request::put(format!("/api/attempt/media/{sha}"))
        .header(axum::http::header::AUTHORIZATION, format!("Bearer {token}"))
        .body(axum::body::Body::from(bytes.to_vec()))
        .unwrap();
    let (status, body) = send(f.app(), req).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn progress_follows_the_submission_the_media_and_the_deadline() {
    use vigil_server::results::Progress;
    let f = fixture().await;
    let media = [
        b"id photo".to_vec(),
        b"face photo".to_vec(),
        b"room scan".to_vec(),
    ];
    // Candidate 0: submitted, every media sent. Candidate 1: submitted, the
    // room scan missing. Candidate 2: started, never submitted.
    for (n, submit, sent) in [(0, true, 3), (1, true, 2), (2, false, 3)] {
        let token = f.login(n).await;
        let (status, _) = send(
            f.app(),
            post_json_with_token("/api/attempt/start", &token, serde_json::json!({})),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let log = log_naming(&f, n, &media, submit);
        let (status, body) = send(f.app(), events_request(&token, 1, &log)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        for m in &media[..sent] {
            upload(&f, &token, m).await;
        }
    }
    let at = |now: i64| {
        let db = f.state.db.clone();
        let session = f.demo.session.clone();
        async move {
            results::session_results(&db, &session, now)
                .await
                .unwrap()
                .rows
                .iter()
                .map(|r| r.progress)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        at(NOW + 60_000).await,
        [Progress::Synced, Progress::Submitted, Progress::InProgress]
    );
    // After the sync deadline (end of the 5-minute exam + 12 h).
    let late = NOW + 13 * 3_600_000;
    assert_eq!(
        at(late).await,
        [Progress::Synced, Progress::Incomplete, Progress::Incomplete]
    );
    // The proctor's session page says it too.
    let cookie = proctor_login(&f, &f.demo.session, "marie").await;
    let req = axum::http::Request::get(format!("/review/sessions/{}", f.demo.session))
        .header(axum::http::header::COOKIE, format!("vigil_review={cookie}"))
        .body(axum::body::Body::empty())
        .unwrap();
    let res = tower::ServiceExt::oneshot(f.app(), req).await.unwrap();
    let page = http_body_util::BodyExt::collect(res.into_body())
        .await
        .unwrap()
        .to_bytes();
    let page = String::from_utf8_lossy(&page);
    for progress in ["synced", "submitted", "in progress"] {
        assert!(
            page.contains(&format!("data-progress=\"{progress}\"")),
            "{progress}: {page}"
        );
    }
}

#[test]
fn progress_table() {
    use vigil_server::results::Progress::{self, *};
    // (started, submitted, media missing, past the deadline)
    let cases = [
        ((false, false, 0, false), NotStarted),
        ((false, false, 0, true), NotStarted),
        ((true, false, 0, false), InProgress),
        ((true, false, 0, true), Incomplete),
        ((true, true, 1, false), Submitted),
        ((true, true, 1, true), Incomplete),
        ((true, true, 0, false), Synced),
        ((true, true, 0, true), Synced),
        // An offline start the server only learnt from the log.
        ((false, true, 0, false), Synced),
    ];
    for ((started, submitted, missing, late), want) in cases {
        assert_eq!(
            Progress::of(started, submitted, missing, late),
            want,
            "{started} {submitted} {missing} {late}"
        );
    }
}
