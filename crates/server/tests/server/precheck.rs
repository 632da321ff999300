//! A pre-check that counts: a signed-in candidate's system check reaches
//! the server with the sync and is the pre-check record; the session page
//! says who validated it, when (Paris time, as stored by the server) and
//! whether in time; `candidates move` reschedules a candidate whose
//! pre-check was validated (or forced, with a reason), closing the old
//! attempt as a technical failure with its data kept.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;
use vigil_exam::{Attempt, CheckResult, CheckStatus};
use vigil_server::clock::Clock;
use vigil_server::roster;

use crate::common::*;

const DAY: i64 = 86_400_000;
const ROSTER: &str = "candidate,person,family_name,given_name,email\n\
                      V1,ECR-1,Martin,Léa,lea@example.fr\n\
                      V2,ECR-2,Dupont,Hugo,hugo@example.fr\n\
                      V3,ECR-3,Petit,Noé,noe@example.fr\n\
                      V4,ECR-4,Roux,Inès,ines@example.fr\n";

/// Signs in as `candidate` with `code`: the token.
async fn sign_in(f: &Fixture, session: &str, candidate: &str, code: &str) -> (StatusCode, String) {
    let (status, body) = send(
        f.app(),
        post_json(
            "/api/login",
            json!({"session": session, "candidate": candidate, "code": code}),
        ),
    )
    .await;
    (status, body["token"].as_str().unwrap_or("").to_owned())
}

/// Syncs a system check run whose first items have these statuses, the
/// others passed (the start of the log); the attempt, to go on with.
async fn sync_checks(f: &Fixture, token: &str, statuses: &[CheckStatus]) -> Attempt {
    let results = vigil_exam::CHECK_ITEMS
        .iter()
        .enumerate()
        .map(|(i, item)| CheckResult {
            detail: format!("measured {i}"),
            item: (*item).into(),
            status: statuses.get(i).copied().unwrap_or(CheckStatus::Pass),
        })
        .collect();
    sync_run(f, token, results).await
}

/// Syncs a system check run of exactly these results.
async fn sync_run(f: &Fixture, token: &str, results: Vec<CheckResult>) -> Attempt {
    let mut a = Attempt::with_genesis(&f.genesis_of(token).await);
    a.record_checks(results, f.clock.now_ms()).unwrap();
    let (status, body) = send(f.app(), events_request(token, 1, a.events())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    a
}

async fn session_page(f: &Fixture, session: &str, cookie: &str) -> String {
    let req = Request::get(format!("/review/sessions/{session}"))
        .header(header::COOKIE, format!("vigil_review={cookie}"))
        .body(Body::empty())
        .unwrap();
    let res = f.app().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
}

/// The cell of `candidate`'s row with `data-precheck`.
fn precheck_cell(page: &str, candidate: &str) -> String {
    let row = page
        .split("<tr ")
        .find(|r| r.starts_with(&format!("data-candidate=\"{candidate}\"")))
        .unwrap_or_else(|| panic!("no row {candidate}"));
    let cell = row.split("data-precheck=\"").nth(1).unwrap();
    cell.split("</td>").next().unwrap().to_owned()
}

#[tokio::test]
async fn the_session_page_tells_who_validated_the_precheck_in_time_and_a_move_follows() {
    // The session starts in 4 days (2027-01-19 09:00 in Paris).
    let f = fixture_starting_in(4 * DAY).await;
    let s = f.demo.session.clone();
    let logins = import_roster(&f, &s, ROSTER).await.unwrap().registered;
    let code = |c: &str| logins.iter().find(|l| l.id == c).unwrap().code.clone();

    // V1 checks now, 4 days before: in time. V3's run failed (a hostile
    // app could send it; the server judges it again).
    let (_, v1) = sign_in(&f, &s, "V1", &code("V1")).await;
    let mut v1_log = sync_checks(&f, &v1, &[CheckStatus::Pass, CheckStatus::Warn]).await;
    let (_, v3) = sign_in(&f, &s, "V3", &code("V3")).await;
    sync_checks(&f, &v3, &[CheckStatus::Pass, CheckStatus::Fail]).await;
    // V2 checks 2 days before: validated, but after the 72 h deadline.
    f.clock.advance(2 * DAY);
    let (_, v2) = sign_in(&f, &s, "V2", &code("V2")).await;
    sync_checks(&f, &v2, &[CheckStatus::Pass]).await;

    let cookie = proctor_login(&f, &s, "marie").await;
    let page = session_page(&f, &s, &cookie).await;
    assert!(
        page.contains("Hardware pre-check due by 16/01/2027 09:00:00 (heure de Paris) (72 h before the start)"),
        "{page}"
    );
    assert_eq!(
        precheck_cell(&page, "V1"),
        "validated\">validated 15/01/2027 09:00:00 (heure de Paris)"
    );
    assert_eq!(
        precheck_cell(&page, "V2"),
        "late\">validated 17/01/2027 09:00:00 (heure de Paris) — late"
    );
    assert_eq!(
        precheck_cell(&page, "V3"),
        "failed\">failed 15/01/2027 09:00:00 (heure de Paris)"
    );
    assert_eq!(precheck_cell(&page, "V4"), "none\">not run");
    // A run that names only the camera (a modified app): not validated.
    let (_, v4) = sign_in(&f, &s, "V4", &code("V4")).await;
    sync_run(
        &f,
        &v4,
        vec![CheckResult {
            detail: String::new(),
            item: "camera".into(),
            status: CheckStatus::Pass,
        }],
    )
    .await;
    let page_now = session_page(&f, &s, &cookie).await;
    assert!(
        precheck_cell(&page_now, "V4").starts_with("failed\""),
        "{}",
        precheck_cell(&page_now, "V4")
    );
    assert!(page.contains("Martin Léa (ECR-1)"), "{page}");

    // V1's equipment fails on the day: moved to the next session.
    let next = demo_session_at(&f, NOW + 30 * DAY).await;
    let now = f.clock.now_ms();
    let moved = roster::move_person(&f.state.db, &f.state.hashing, &s, &next, "ECR-1", None, now)
        .await
        .unwrap();
    assert_eq!(moved.login.id, "V1");
    assert_eq!(moved.precheck_at, Some(NOW));
    // The old registration: closed, its data kept, no sign-in, no start.
    let old = f
        .state
        .db
        .attempt(&moved.from_attempt)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(old.state.as_str(), "technical_failure");
    assert_eq!(f.state.db.events(&old.id).await.unwrap().len(), 1);
    let (status, _) = sign_in(&f, &s, "V1", &code("V1")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = send(
        f.app(),
        post_json_with_token("/api/attempt/start", &v1, json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_error(&body, "session_over");
    assert!(
        body.to_string().contains("moved to another session"),
        "{body}"
    );
    // Late data from the old machine is still taken, and the state stays.
    v1_log.consent("v1", &"a".repeat(64), NOW + 1).unwrap();
    let (status, body) = send(f.app(), events_request(&v1, 2, &v1_log.events()[1..])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let old = f
        .state
        .db
        .attempt(&moved.from_attempt)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(old.state.as_str(), "technical_failure");
    // The new registration opens, with the same person.
    let (status, _) = sign_in(&f, &next, "V1", &moved.login.code).await;
    assert_eq!(status, StatusCode::OK);
    let persons = f.state.db.candidate_persons(&next).await.unwrap();
    assert_eq!(persons[0].person_id.as_deref(), Some("ECR-1"));

    // Refused: twice, without a validated pre-check, an unknown person.
    for (person, force, want) in [
        ("ECR-1", None, "already moved"),
        ("ECR-3", None, "did not validate the pre-check"),
        ("ECR-4", None, "did not validate the pre-check"),
        ("ECR-9", None, "not registered in session"),
        ("ECR-3", Some(" "), "--force needs a reason"),
    ] {
        let err = roster::move_person(&f.state.db, &f.state.hashing, &s, &next, person, force, now)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains(want), "{person}: {err}");
    }
    // Forced, with the reason recorded.
    let forced = roster::move_person(
        &f.state.db,
        &f.state.hashing,
        &s,
        &next,
        "ECR-3",
        Some("Panne de courant attestée"),
        now,
    )
    .await
    .unwrap();
    assert_eq!(forced.precheck_at, None);
    let moves = f.state.db.moves_from(&s).await.unwrap();
    assert_eq!(moves.len(), 2);
    assert_eq!(moves[1].0, "ECR-3");
    assert_eq!(moves[1].3.as_deref(), Some("Panne de courant attestée"));
    // The results show the closed attempts.
    let csv = vigil_server::results::session_results(&f.state.db, &s, now)
        .await
        .unwrap()
        .to_csv();
    let v1_row = csv.lines().find(|l| l.starts_with("V1,")).unwrap();
    assert!(v1_row.starts_with("V1,technical_failure,"), "{v1_row}");
}
