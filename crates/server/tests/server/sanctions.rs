//! Sanctions that last: the reviewer's decision (valid, procès-verbal,
//! invalidated, excluded until a date, reported), its reason and history;
//! an exclusion refuses the person's registration in a later session,
//! unless forced with a recorded reason, and outlives the purge of its
//! session; the results CSV, the procès-verbal and the Ministry's list
//! show it.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;
use vigil_server::roster;

use crate::common::*;

/// 2027-01-15 in Paris at NOW: the longest exclusion ends 2032-01-15.
const FIVE_YEARS: &str = "2032-01-15";
const ROSTER: &str = "candidate,person,family_name,given_name,email\n\
                      S1,ECR-0100,Bernard,Inès,ines.bernard@example.fr\n\
                      S2,ECR-0200,Petit,Noé,noe.petit@example.fr\n";

async fn fetch(f: &Fixture, req: Request<Body>) -> (StatusCode, String) {
    let res = f.app().oneshot(req).await.unwrap();
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

fn decide(attempt: &str, cookie: &str, body: &str) -> Request<Body> {
    let csrf = vigil_server::review::Csrf::of_cookie(cookie).0;
    Request::post(format!("/review/attempts/{attempt}/decision"))
        .header(header::COOKIE, format!("vigil_review={cookie}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("{body}&csrf={csrf}")))
        .unwrap()
}

/// Records a decision that must be taken (303 back to the page).
async fn decided(f: &Fixture, attempt: &str, cookie: &str, body: &str) {
    let (status, text) = fetch(f, decide(attempt, cookie, body)).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}: {text}");
}

fn get(uri: &str, cookie: &str) -> Request<Body> {
    Request::get(uri)
        .header(header::COOKIE, format!("vigil_review={cookie}"))
        .body(Body::empty())
        .unwrap()
}

async fn import(
    f: &Fixture,
    session: &str,
    csv: &str,
    force: Option<&str>,
) -> anyhow::Result<roster::Imported> {
    roster::import(
        &f.state.db,
        &f.state.hashing,
        session,
        csv,
        &roster::Options {
            now: NOW,
            force: force.map(str::to_owned),
        },
    )
    .await
}

#[tokio::test]
async fn an_exclusion_blocks_a_later_registration_until_its_end_and_is_listed() {
    let f = fixture().await;
    let s = f.demo.session.clone();
    import(&f, &s, ROSTER, None).await.unwrap();
    let s1 = attempt_of(&f, &s, "S1").await;
    let c001 = attempt_of(&f, &s, "C001").await;
    let cookie = proctor_login(&f, &s, "marie").await;

    // Refused: beyond five years, an end date on another decision, no
    // reason, an exclusion of a candidate without a person.
    for (body, want) in [
        (
            "decision=excluded&comment=fraude&until=2032-01-16",
            "at most 5 years",
        ),
        (
            "decision=excluded&comment=fraude&until=",
            "needs its end date",
        ),
        (
            "decision=invalidated&comment=fraude&until=2030-01-01",
            "exclusion only",
        ),
        (
            "decision=excluded&comment=&until=2030-01-01",
            "a reason is required",
        ),
    ] {
        let (status, text) = fetch(&f, decide(&s1, &cookie, body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(text.contains(want), "{body}: {text}");
    }
    let (status, text) = fetch(
        &f,
        decide(
            &c001,
            &cookie,
            "decision=excluded&comment=fraude&until=2030-01-01",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("has no person"), "{text}");
    assert!(f.state.db.decisions(&s1).await.unwrap().is_empty());

    // First a procès-verbal, then the exclusion for five years.
    decided(
        &f,
        &s1,
        &cookie,
        "decision=incident&comment=T%C3%A9l%C3%A9phone+visible",
    )
    .await;
    decided(
        &f,
        &s1,
        &cookie,
        &format!("decision=excluded&comment=Fraude+av%C3%A9r%C3%A9e&until={FIVE_YEARS}"),
    )
    .await;
    let history = f.state.db.decisions(&s1).await.unwrap();
    let kinds: Vec<_> = history.iter().map(|d| d.decision.as_str()).collect();
    assert_eq!(kinds, ["incident", "excluded"]);
    assert_eq!(history[1].proctor, "marie");
    assert_eq!(history[1].comment, "Fraude avérée");
    let until = history[1].excluded_until.unwrap();
    assert_eq!(
        vigil_server::time::rfc3339(until),
        "2032-01-14T23:00:00.000Z"
    );

    // The page and the procès-verbal say it.
    let (_, page) = fetch(&f, get(&format!("/review/attempts/{s1}"), &cookie)).await;
    assert!(
        page.contains("Invalidated and excluded from the tests until a date"),
        "page"
    );
    assert!(page.contains("until 15/01/2032"), "page");
    let (_, report) = fetch(&f, get(&format!("/review/attempts/{s1}/report"), &cookie)).await;
    for needle in [
        "procès-verbal d'incident, sans sanction",
        "épreuve invalidée, exclusion des épreuves",
        "jusqu'au 15/01/2032 (exclu)",
        "Motif : « Fraude avérée »",
        "Le dossier est transmis au service des examens du ministère.",
    ] {
        assert!(report.contains(needle), "report lacks {needle}");
    }

    // The results: the person, the decision, no longer counting.
    let csv = vigil_server::results::session_results(&f.state.db, &s, NOW)
        .await
        .unwrap()
        .to_csv();
    let row = csv.lines().find(|l| l.starts_with("S1,")).unwrap();
    assert!(
        row.ends_with(
            ",ECR-0100,Bernard,Inès,excluded,no,2032-01-15T00:00:00.000+01:00,marie,\
             2027-01-15T09:00:00.000+01:00,Fraude avérée"
        ),
        "{row}"
    );
    let s2 = csv.lines().find(|l| l.starts_with("S2,")).unwrap();
    assert!(s2.ends_with(",ECR-0200,Petit,Noé,,,,,,"), "{s2}");

    // A session before the end refuses the person, naming the end date;
    // the others on the roster are not registered either.
    let next_year = demo_session_at(&f, NOW + 365 * 86_400_000).await;
    let again = "candidate,person,family_name,given_name,email\n\
                 X1,ECR-0200,Petit,Noé,noe.petit@example.fr\n\
                 X2,ECR-0100,Bernard,Inès,ines.bernard@example.fr\n";
    let err = import(&f, &next_year, again, None)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("line 3: person \"ECR-0100\" is excluded from the tests until 15/01/2032"),
        "{err}"
    );
    assert!(err.contains("--force REASON"), "{err}");
    assert!(f
        .state
        .db
        .candidate_ids(&next_year)
        .await
        .unwrap()
        .is_empty());
    let err = import(&f, &next_year, again, Some("  ")).await.unwrap_err();
    assert!(err.to_string().contains("--force needs a reason"), "{err}");
    // Forced, with a reason: registered, and the override is recorded.
    let forced = import(
        &f,
        &next_year,
        again,
        Some("Décision annulée par le tribunal administratif"),
    )
    .await
    .unwrap();
    assert_eq!(forced.registered.len(), 2);
    assert_eq!(forced.forced, [("ECR-0100".to_owned(), until)]);
    let overrides = f.state.db.overrides(&next_year).await.unwrap();
    assert_eq!(overrides.len(), 1);
    assert_eq!(overrides[0].0, "ECR-0100");
    assert_eq!(
        overrides[0].2,
        "Décision annulée par le tribunal administratif"
    );
    // A session after the end takes the person without force.
    let after = demo_session_at(&f, until).await;
    import(&f, &after, again, None).await.unwrap();

    // The Ministry's list.
    let listed = vigil_server::ops::sanctions::export(&f.state.db, None)
        .await
        .unwrap();
    assert_eq!(listed.referrals, 1);
    let lines: Vec<&str> = listed.csv.lines().collect();
    assert_eq!(
        lines[0],
        "person,family_name,given_name,email,session,candidate,attempt,decision,excluded_until,\
         decided_by,decided_at,reason"
    );
    assert!(
        lines[1].starts_with(&format!(
            "ECR-0100,Bernard,Inès,ines.bernard@example.fr,{s},S1,{s1},excluded,2032-01-14T23:00:00.000Z,marie,"
        )),
        "{}",
        lines[1]
    );

    // On appeal the reviewer decides again: the latest counts, the
    // exclusion is lifted, the list is empty.
    decided(
        &f,
        &s1,
        &cookie,
        "decision=invalidated&comment=Sanction+r%C3%A9vis%C3%A9e",
    )
    .await;
    let soon = demo_session_at(&f, NOW + 2 * 86_400_000).await;
    import(&f, &soon, again, None).await.unwrap();
    let listed = vigil_server::ops::sanctions::export(&f.state.db, None)
        .await
        .unwrap();
    assert_eq!(listed.referrals, 0, "{}", listed.csv);
}

#[tokio::test]
async fn an_exclusion_outlives_the_purge_of_its_session() {
    let f = fixture().await;
    let s = f.demo.session.clone();
    import(&f, &s, ROSTER, None).await.unwrap();
    let s2 = attempt_of(&f, &s, "S2").await;
    let cookie = proctor_login(&f, &s, "marie").await;
    decided(
        &f,
        &s2,
        &cookie,
        "decision=excluded&comment=Substitution&until=2029-06-01",
    )
    .await;
    decided(
        &f,
        &s2,
        &cookie,
        "decision=reported&comment=Aussi+signal%C3%A9",
    )
    .await;
    // `reported` replaced the exclusion: it no longer blocks.
    let later = demo_session_at(&f, NOW + 86_400_000).await;
    let one = "candidate,person,family_name,given_name,email\nY1,ECR-0200,Petit,Noé,n@example.fr\n";
    import(&f, &later, one, None).await.unwrap();
    decided(
        &f,
        &s2,
        &cookie,
        "decision=excluded&comment=Substitution&until=2029-06-01",
    )
    .await;

    // The session's data goes (retention); the exclusion stays.
    let purged = f
        .state
        .db
        .purge_sessions_before(NOW + 1, NOW + 1, false)
        .await
        .unwrap();
    assert!(purged.sessions >= 1, "{purged:?}");
    assert!(f.state.db.attempt(&s2).await.unwrap().is_none());
    let next = demo_session_at(&f, NOW + 30 * 86_400_000).await;
    let err = import(
        &f,
        &next,
        "candidate,person,family_name,given_name,email\nZ1,ECR-0200,Petit,Noé,n@example.fr\n",
        None,
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("excluded from the tests until 01/06/2029"),
        "{err}"
    );
}
