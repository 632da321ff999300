//! The reviewer's dossier of an attempt, from a real synced log with real
//! media: the ID and face photos side by side, the room scan, an incident
//! with its evidence still, periods away, blocked actions, the kiosk
//! report; the media served only to the session's proctors; the decision
//! form and its refusals; and the printable French incident report.

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::json;
use sha2::{Digest, Sha256};
use tower::ServiceExt;
use vigil_exam::*;
use vigil_server::review;

use crate::common::*;

async fn fetch(f: &Fixture, req: Request<Body>) -> (StatusCode, HeaderMap, Vec<u8>) {
    let res = f.app().oneshot(req).await.unwrap();
    let (parts, body) = res.into_parts();
    (
        parts.status,
        parts.headers,
        body.collect().await.unwrap().to_bytes().to_vec(),
    )
}

fn get(uri: &str, cookie: &str) -> Request<Body> {
    Request::get(uri)
        .header(header::COOKIE, format!("vigil_review={cookie}"))
        .body(Body::empty())
        .unwrap()
}

/// A form POST as the review page sends it, with the login's CSRF token.
fn post_form(uri: &str, cookie: &str, body: &str) -> Request<Body> {
    let csrf = vigil_server::review::Csrf::of_cookie(cookie).0;
    Request::post(uri)
        .header(header::COOKIE, format!("vigil_review={cookie}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("{body}&csrf={csrf}")))
        .unwrap()
}

fn sha_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A few bytes that start like a JPEG (the server sniffs the type).
fn jpeg(tag: u8) -> Vec<u8> {
    let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0, tag];
    b.extend_from_slice(&[tag; 64]);
    b
}

/// A log with everything a reviewer looks at, and its media.
fn rich_log(f: &Fixture, start_at: i64) -> (Vec<Event>, Vec<Vec<u8>>) {
    let exam = demo_exam();
    let window = demo_window(f);
    let (id, face, still) = (jpeg(1), jpeg(2), jpeg(3));
    let mut scan = vec![0x1A, 0x45, 0xDF, 0xA3];
    scan.extend_from_slice(&[9; 128]);
    let mut a = Attempt::with_genesis(&f.genesis[0]);
    let t = start_at - 60_000;
    a.record_checks(
        vec![CheckResult {
            detail: "ok".into(),
            item: "camera".into(),
            status: CheckStatus::Pass,
        }],
        t,
    )
    .unwrap();
    a.record_kiosk_report(
        KioskReportBody {
            config_key: "ab".repeat(32),
            launcher: "vigil-kiosk 0.1.0".into(),
            results: vec![CheckResult {
                detail: "sys_vendor = QEMU".into(),
                item: "virtual_machine".into(),
                status: CheckStatus::Warn,
            }],
        },
        t + 1,
    )
    .unwrap();
    a.consent("v1", &"c".repeat(64), t + 2).unwrap();
    a.enter_waiting_room(t + 6).unwrap();
    a.start(&exam, &window, false, start_at).unwrap();
    let t = start_at;
    a.capture_identity(IdentityWhat::IdDocument, &sha_hex(&id), t)
        .unwrap();
    a.capture_identity(IdentityWhat::Face, &sha_hex(&face), t)
        .unwrap();
    a.record_face_match(
        vigil_exam::FaceMatchBody {
            face_sha256: sha_hex(&face),
            faces_on_face: 1,
            faces_on_id: 1,
            id_sha256: sha_hex(&id),
            similarity_milli: Some(812),
        },
        t,
    )
    .unwrap();
    a.head_turn(Side::Left, &sha_hex(&face), 38, t).unwrap();
    a.head_turn(Side::Right, &sha_hex(&face), -41, t).unwrap();
    a.room_scan(&sha_hex(&scan), 21_000, t).unwrap();
    a.open_questions(&exam, t).unwrap();
    a.record_focus(false, start_at + 10_000).unwrap();
    let incident = Incident {
        kind: IncidentKind::FaceAbsent,
        severity: Severity::Medium,
        opened_at: start_at + 10_000,
        closed_at: None,
        evidence: Some(sha_hex(&still)),
    };
    a.record_incident(&IncidentChange::Opened(incident.clone()), start_at + 15_000)
        .unwrap();
    a.record_focus(true, start_at + 75_000).unwrap();
    a.record_incident(
        &IncidentChange::Closed(Incident {
            closed_at: Some(start_at + 75_000),
            ..incident
        }),
        start_at + 76_000,
    )
    .unwrap();
    a.record_blocked("shortcut:ctrl+p", start_at + 80_000)
        .unwrap();
    // Another face than the identification's, twice in a row.
    let other = jpeg(4);
    let changed = Incident {
        kind: IncidentKind::IdentityChanged,
        severity: Severity::High,
        opened_at: start_at + 82_000,
        closed_at: None,
        evidence: Some(sha_hex(&other)),
    };
    a.record_incident(&IncidentChange::Opened(changed.clone()), start_at + 82_000)
        .unwrap();
    a.record_incident(
        &IncidentChange::Closed(Incident {
            closed_at: Some(start_at + 85_000),
            ..changed
        }),
        start_at + 85_000,
    )
    .unwrap();
    a.submit(&exam, start_at + 90_000).unwrap();
    (a.events().to_vec(), vec![id, face, scan, still, other])
}

#[tokio::test]
async fn the_dossier_shows_photos_scan_incidents_and_takes_a_decision() {
    let f = fixture().await;
    let token = f.login(0).await;
    let attempt = f.attempt_id(&token).await;
    let (status, _) = send(
        f.app(),
        post_json_with_token("/api/attempt/start", &token, json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (log, media) = rich_log(&f, NOW);
    let (status, body) = send(f.app(), events_request(&token, 1, &log)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for m in &media {
        let req = Request::put(format!("/api/attempt/media/{}", sha_hex(m)))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::from(m.clone()))
            .unwrap();
        let (status, body) = send(f.app(), req).await;
        assert!(status.is_success(), "{status} {body}");
    }
    let session = f.demo.session.clone();
    let cookie = proctor_login(&f, &session, "marie").await;

    let (status, _, page) = fetch(&f, get(&format!("/review/attempts/{attempt}"), &cookie)).await;
    assert_eq!(status, StatusCode::OK);
    let page = String::from_utf8(page).unwrap();
    for sha in media.iter().map(|m| sha_hex(m)) {
        assert!(
            page.contains(&format!("/review/attempts/{attempt}/media/{sha}")),
            "media {sha} not shown"
        );
    }
    assert!(page.contains("<video"), "no room scan player");
    assert!(
        page.contains("Face match: similarity 0.81"),
        "face match missing"
    );
    assert!(page.contains("Visage absent"), "incident missing");
    // The identity incident shows its still beside the face photo and the ID.
    assert!(
        page.contains("Visage différent de l&#39;identification")
            || page.contains("Visage différent de l'identification"),
        "identity incident missing"
    );
    let compare = page
        .split("data-testid=\"identity-compare\"")
        .nth(1)
        .and_then(|rest| rest.split("</span>").next())
        .expect("the identity incident's comparison");
    for m in [&media[1], &media[0]] {
        assert!(
            compare.contains(&format!("/media/{}", sha_hex(m))),
            "the face photo and the ID beside the still: {compare}"
        );
    }
    assert!(
        page.contains("15/01/2027 09:00:10 (heure de Paris)"),
        "times in Paris"
    );
    assert!(page.contains("Fenêtre de l'épreuve quittée"));
    assert!(page.contains("1 min 05 s"), "away duration missing");
    assert!(page.contains("shortcut:ctrl+p"));
    assert!(page.contains("sys_vendor = QEMU"));
    assert!(page.contains("Hash chain verified"));
    assert!(page.contains("Sync history"));

    // The media, typed by their bytes, to this proctor only.
    let id_url = format!("/review/attempts/{attempt}/media/{}", sha_hex(&media[0]));
    let (status, headers, bytes) = fetch(&f, get(&id_url, &cookie)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "image/jpeg");
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(bytes, media[0]);
    let scan_url = format!("/review/attempts/{attempt}/media/{}", sha_hex(&media[2]));
    let (_, headers, _) = fetch(&f, get(&scan_url, &cookie)).await;
    assert_eq!(headers[header::CONTENT_TYPE], "video/webm");
    let unknown = format!("/review/attempts/{attempt}/media/{}", "e".repeat(64));
    assert_eq!(
        fetch(&f, get(&unknown, &cookie)).await.0,
        StatusCode::NOT_FOUND
    );
    let bad = format!("/review/attempts/{attempt}/media/..%2F..%2Fetc%2Fpasswd");
    assert_eq!(fetch(&f, get(&bad, &cookie)).await.0, StatusCode::NOT_FOUND);
    // A proctor of another session sees nothing of it.
    let other = demo_session_at(&f, NOW).await;
    let stranger = proctor_login(&f, &other, "paul").await;
    assert_eq!(
        fetch(&f, get(&id_url, &stranger)).await.0,
        StatusCode::FORBIDDEN
    );
    let report_url = format!("/review/attempts/{attempt}/report");
    assert_eq!(
        fetch(&f, get(&report_url, &stranger)).await.0,
        StatusCode::FORBIDDEN
    );

    // Decisions: refused when malformed, kept as a history otherwise.
    let decide = format!("/review/attempts/{attempt}/decision");
    let (status, _, body) = fetch(&f, post_form(&decide, &cookie, "decision=maybe")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8(body)
        .unwrap()
        .contains("decision must be one of valid, incident, invalidated, excluded, reported"));
    // A reason is required.
    let (status, _, body) =
        fetch(&f, post_form(&decide, &cookie, "decision=valid&comment=+")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8(body)
        .unwrap()
        .contains("a reason is required"));
    let long = "x".repeat(review::MAX_COMMENT + 1);
    let (status, _, _) = fetch(
        &f,
        post_form(&decide, &cookie, &format!("decision=valid&comment={long}")),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, _) = fetch(
        &f,
        post_form(&decide, &stranger, "decision=valid&comment=fine"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, headers, _) = fetch(
        &f,
        post_form(
            &decide,
            &cookie,
            "decision=incident&comment=Absent+du+champ+pendant+65+s",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        headers[header::LOCATION],
        format!("/review/attempts/{attempt}")
    );
    let (_, _, page) = fetch(&f, get(&format!("/review/attempts/{attempt}"), &cookie)).await;
    let page = String::from_utf8(page).unwrap();
    assert!(
        page.contains("Absent du champ pendant 65 s"),
        "decision not shown"
    );

    // The printable report, in French.
    let (status, _, report) = fetch(&f, get(&report_url, &cookie)).await;
    assert_eq!(status, StatusCode::OK);
    let report = String::from_utf8(report).unwrap();
    // `VIGIL_DUMP_REPORT=FILE` keeps the page, to look at it in a browser.
    if let Some(path) = std::env::var_os("VIGIL_DUMP_REPORT") {
        std::fs::write(path, &report).unwrap();
    }
    for needle in [
        "<html lang=\"fr\">",
        "Procès-verbal d'incident",
        "Démo Vigil",
        "C001",
        "Visage absent",
        "Fenêtre de l'épreuve quittée",
        "1 min 05 s",
        "remise par le candidat",
        "chaîne d'empreintes vérifiée et intacte",
        "Comparaison des visages : similarité de 0,81",
        "procès-verbal d'incident, sans sanction",
        "Motif : « Absent du champ pendant 65 s »",
        "Absent du champ pendant 65 s",
        "Nom et signature du surveillant",
        // Times in Paris: NOW + 10 s is 08:00:10 UTC in January, 09:00:10 in Paris.
        "15/01/2027 09:00:10 (heure de Paris)",
        "Heures de Paris (UTC+1 en hiver, UTC+2 en été)",
        r#"<link rel="stylesheet" href="/review/static/report.css">"#,
        &format!("/review/attempts/{attempt}/media/{}", sha_hex(&media[3])),
    ] {
        assert!(report.contains(needle), "report lacks {needle}");
    }
    // Its print layout is in the stylesheet it links.
    let (status, headers, css) = fetch(&f, get("/review/static/report.css", &cookie)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/css; charset=utf-8");
    assert!(String::from_utf8(css).unwrap().contains("@media print"));
}
