//! Tiers-temps: the extra-time accommodation is the server's record — set
//! by the roster or `candidates set`, carried to the app at login and at
//! the start, applied per section and overall, shown in the results.

use axum::http::StatusCode;
use serde_json::json;
use vigil_exam::*;
use vigil_server::roster;

use crate::common::*;

#[tokio::test]
async fn the_roster_grants_extra_time_and_names_a_bad_value() {
    let f = fixture().await;
    let s = &f.demo.session;
    let logins = roster::import(
        &f.state.db,
        &f.state.hashing,
        s,
        "candidate,code,extra_time\nT1,ABCD-EFGH,oui\nT2,,no\nT3,,\n",
        &roster::Options::default(),
    )
    .await
    .unwrap()
    .registered;
    assert_eq!(logins.len(), 3);
    for (id, want) in [("T1", true), ("T2", false), ("T3", false)] {
        let row = f.state.db.candidate(s, id).await.unwrap().unwrap();
        let attempt = f.state.db.attempt(&row.attempt_id).await.unwrap().unwrap();
        assert_eq!(attempt.extra_time, want, "{id}");
    }
    let err = roster::import(
        &f.state.db,
        &f.state.hashing,
        s,
        "candidate,extra_time\nT4,yes\nT5,maybe\n",
        &roster::Options::default(),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(err.contains("line 3: extra_time \"maybe\""), "{err}");
    assert!(f.state.db.candidate(s, "T4").await.unwrap().is_none());
}

#[tokio::test]
async fn the_start_carries_the_extended_deadline_per_section_and_overall() {
    let f = fixture().await;
    let c = &f.demo.candidates[0];
    roster::set_extra_time(&f.state.db, &f.demo.session, &c.id, true)
        .await
        .unwrap();
    let (status, login) = send(
        f.app(),
        post_json(
            "/api/login",
            json!({"session": f.demo.session, "candidate": c.id, "code": c.code}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(login["attempt"]["extra_time"], true);
    let token = login["token"].as_str().unwrap().to_owned();
    let (status, started) = send(
        f.app(),
        post_json_with_token("/api/attempt/start", &token, json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{started}");
    assert_eq!(started["extra_time"], true);
    // The demo lasts 300 s; a third more is 400 s, after at most 600 s of
    // identification: the latest end.
    assert_eq!(started["identification_by_ms"], NOW + 600_000);
    assert_eq!(started["deadline_ms"], NOW + 600_000 + 400_000);
    // The questions open at once: the timer runs 400 s from there.
    let (status, opened) = send(
        f.app(),
        post_json_with_token("/api/attempt/questions", &token, json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{opened}");
    assert_eq!(opened["questions_opened_at_ms"], NOW);
    assert_eq!(opened["deadline_ms"], NOW + 400_000);
    // Once started, the accommodation can no longer change.
    let err = roster::set_extra_time(&f.state.db, &f.demo.session, &c.id, false)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("started at"), "{err}");

    // The app's log with the extra time: the first section ends at 200 s
    // (150 s + a third), and an answer at 350 s counts.
    let exam = demo_exam();
    let mut a = waiting_attempt(&f, 0, NOW - 60_000);
    a.start(&exam, &demo_window(&f), true, NOW).unwrap();
    identify_and_open(&mut a, &exam, NOW);
    a.answer(
        &exam,
        "capitale",
        Answer::Single { choice: 1 },
        NOW + 170_000,
    )
    .unwrap();
    assert_eq!(a.state().sections[0].deadline_ms, Some(NOW + 200_000));
    a.tick(&exam, NOW + 200_000);
    a.answer(
        &exam,
        "fleuve",
        Answer::Text {
            text: "Loire".into(),
        },
        NOW + 350_000,
    )
    .unwrap();
    f.clock.set(NOW + 360_000);
    let (status, body) = send(f.app(), events_request(&token, 1, a.events())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let attempt = f.attempt_id(&token).await;
    assert!(flag_kinds(&f, &attempt).await.is_empty());
    let results = vigil_server::results::session_results(&f.state.db, &f.demo.session, NOW)
        .await
        .unwrap();
    let row = &results.rows[0];
    assert!(row.extra_time);
    assert!(row.flags.is_empty(), "{:?}", row.flags);
    assert_eq!(row.score.as_ref().unwrap().total.right, 2);
    let csv = results.to_csv();
    assert!(csv
        .lines()
        .next()
        .unwrap()
        .contains(",flags,extra_time,person,family_name,given_name,decision,"));
    assert!(
        csv.lines().nth(1).unwrap().ends_with(",yes,,,,,,,,,"),
        "{csv}"
    );
    assert!(
        csv.lines().nth(2).unwrap().ends_with(",no,,,,,,,,,"),
        "{csv}"
    );

    // The dossier and the procès-verbal say it.
    let cookie = proctor_login(&f, &f.demo.session, "marie").await;
    for (uri, want) in [
        (
            format!("/review/attempts/{attempt}"),
            "Extra time (tiers-temps): yes",
        ),
        (
            format!("/review/attempts/{attempt}/report"),
            "<th>Tiers-temps</th><td>oui</td>",
        ),
    ] {
        let req = axum::http::Request::get(&uri)
            .header(axum::http::header::COOKIE, format!("vigil_review={cookie}"))
            .body(axum::body::Body::empty())
            .unwrap();
        let res = tower::ServiceExt::oneshot(f.app(), req).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let body = http_body_util::BodyExt::collect(res.into_body())
            .await
            .unwrap()
            .to_bytes();
        let text = String::from_utf8_lossy(&body);
        assert!(text.contains(want), "{uri}: {text}");
    }
}

#[tokio::test]
async fn an_unknown_candidate_is_named() {
    let f = fixture().await;
    let err = roster::set_extra_time(&f.state.db, &f.demo.session, "nobody", true)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("no candidate \"nobody\""), "{err}");
}
