//! Times where people live: a session's times are shown in its time zone
//! (Paris by default) on the session page, the procès-verbal and in the
//! results CSV, across the change to summer time; another zone shows its
//! own. Data and the API stay in UTC milliseconds.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

use crate::common::*;

/// 2027-03-28T00:59:00Z: 01:59 in Paris (UTC+1), a minute before the
/// clocks go forward to 03:00 (UTC+2).
const BEFORE_SPRING: i64 = 1_806_195_540_000;

async fn page(f: &Fixture, uri: &str, cookie: &str) -> String {
    let req = Request::get(uri)
        .header(header::COOKIE, format!("vigil_review={cookie}"))
        .body(Body::empty())
        .unwrap();
    let res = f.app().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{uri}");
    String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
}

/// A session of the demo exam at `starts_at` in `zone` (5 min of grace),
/// one candidate signed in and started at `started_at`: the session id, the
/// attempt id.
async fn started_session(
    f: &Fixture,
    starts_at: i64,
    zone: &str,
    started_at: i64,
) -> (String, String) {
    let s = vigil_server::demo::create_session(&f.state.db, "demo-short", starts_at, 300_000, NOW)
        .await
        .unwrap()
        .session
        .id;
    assert!(f.state.db.set_time_zone(&s, zone).await.unwrap());
    let logins = vigil_server::demo::create_candidates(&f.state.db, &f.state.hashing, &s, 1)
        .await
        .unwrap();
    f.clock.set(started_at);
    let (status, body) = send(
        f.app(),
        post_json(
            "/api/login",
            json!({"session": s, "candidate": logins[0].id, "code": logins[0].code}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = body["token"].as_str().unwrap().to_owned();
    let (status, started) = send(
        f.app(),
        post_json_with_token("/api/attempt/start", &token, json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{started}");
    // The API stays in UTC milliseconds.
    assert_eq!(started["started_at_ms"].as_i64(), Some(started_at));
    (s, f.attempt_id(&token).await)
}

#[tokio::test]
async fn a_session_across_the_change_to_summer_time_reads_in_paris_time() {
    let f = fixture().await;
    // Started 90 s after the scheduled start: 03:00:30 in Paris, the clocks
    // having gone forward in between.
    let (s, attempt) =
        started_session(&f, BEFORE_SPRING, "Europe/Paris", BEFORE_SPRING + 90_000).await;
    let cookie = proctor_login(&f, &s, "marie").await;
    let session = page(&f, &format!("/review/sessions/{s}"), &cookie).await;
    assert!(
        session.contains("starts 28/03/2027 01:59:00 (heure de Paris)"),
        "{session}"
    );
    assert!(
        session.contains("28/03/2027 03:00:30 (heure de Paris)"),
        "{session}"
    );
    let report = page(&f, &format!("/review/attempts/{attempt}/report"), &cookie).await;
    assert!(
        report.contains("Heures de Paris (UTC+1 en hiver, UTC+2 en été)"),
        "report"
    );
    let csv = vigil_server::results::session_results(&f.state.db, &s, BEFORE_SPRING + DAY)
        .await
        .unwrap()
        .to_csv();
    let row = csv.lines().nth(1).unwrap();
    assert!(
        row.contains(",in_progress,") && row.contains(",2027-03-28T03:00:30.000+02:00,"),
        "{row}"
    );
}

const DAY: i64 = 86_400_000;

#[tokio::test]
async fn a_session_overseas_reads_in_its_own_time() {
    let f = fixture().await;
    // 13:00 UTC is 09:00 in Martinique (UTC-4, no summer time).
    let at = 1_800_018_000_000; // 2027-01-15T13:00:00Z
    let (s, attempt) = started_session(&f, at, "America/Martinique", at + 60_000).await;
    let cookie = proctor_login(&f, &s, "marie").await;
    let session = page(&f, &format!("/review/sessions/{s}"), &cookie).await;
    assert!(
        session.contains("starts 15/01/2027 09:00:00 (heure de Martinique)"),
        "{session}"
    );
    let report = page(&f, &format!("/review/attempts/{attempt}/report"), &cookie).await;
    assert!(
        report.contains("Heures locales de la session (heure de Martinique, America/Martinique)"),
        "report"
    );
    let csv = vigil_server::results::session_results(&f.state.db, &s, at + DAY)
        .await
        .unwrap()
        .to_csv();
    assert!(csv.contains(",2027-01-15T09:01:00.000-04:00,"), "{csv}");
}
