//! `candidates import`: a CSV roster registers all its candidates or none.

use axum::http::StatusCode;
use serde_json::json;
use vigil_server::roster;

use crate::common::*;

#[tokio::test]
async fn a_roster_registers_candidates_with_given_and_generated_codes() {
    let f = fixture().await;
    let csv = "candidate,code\nR-001,ABCD-EFGH-JK\nR-002,\n";
    let logins = import_roster(&f, &f.demo.session, csv)
        .await
        .unwrap()
        .registered;
    assert_eq!(logins.len(), 2);
    assert_eq!(logins[0].code, "ABCD-EFGH-JK");
    assert_eq!(logins[1].code.len(), 9);
    assert_eq!(
        roster::to_csv(&logins),
        format!(
            "candidate,code\nR-001,ABCD-EFGH-JK\nR-002,{}\n",
            logins[1].code
        )
    );
    for c in &logins {
        let (status, body) = send(
            f.app(),
            post_json(
                "/api/login",
                json!({"session": f.demo.session, "candidate": c.id, "code": c.code}),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
}

#[tokio::test]
async fn a_bad_roster_registers_nobody_and_names_the_line() {
    let f = fixture().await;
    let before = f.state.db.candidate_ids(&f.demo.session).await.unwrap();
    let existing = &f.demo.candidates[0].id;
    let cases = [
        // Already registered: a re-import may not change the code.
        (
            format!("candidate,code\nN1,\n{existing},WXYZ-WXYZ\n"),
            "line 3: candidate \"C001\" is already registered with another code",
        ),
        (
            format!("candidate,extra_time\nN1,\n{existing},yes\n"),
            "line 3: candidate \"C001\": extra time yes here, no as registered",
        ),
        ("candidate\nN1\nN2\nN1\n".to_owned(), "line 4"),
        ("candidate,code\nN1,ABCDEFGH\nN2,abc\n".to_owned(), "line 3"),
        ("name\nN1\n".to_owned(), "line 1"),
        ("candidate\n".to_owned(), "no candidates"),
    ];
    for (csv, want) in cases {
        let err = import_roster(&f, &f.demo.session, &csv)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains(want), "{csv:?}: {err}");
        assert_eq!(
            f.state.db.candidate_ids(&f.demo.session).await.unwrap(),
            before,
            "nothing stored for {csv:?}"
        );
    }
    let err = import_roster(&f, "no-such", "candidate\nA\n")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no session"), "{err}");
}

/// The demo's CSV of persons: `candidate,person,family_name,given_name,email`.
const PEOPLE: &str = "candidate,person,family_name,given_name,email,extra_time\n\
                      P1,ECR-0001,Martin,Léa,lea.martin@example.fr,\n\
                      P2,ECR-0002,\"Dupont-Moreau\",\" Hugo \",hugo@example.fr,oui\n";

#[tokio::test]
async fn a_roster_registers_persons_and_a_reimport_updates_names_only() {
    let f = fixture().await;
    let s = &f.demo.session;
    let done = import_roster(&f, s, PEOPLE).await.unwrap();
    assert_eq!(done.registered.len(), 2);
    assert!(done.updated.is_empty());
    let lea = f.state.db.person("ECR-0001").await.unwrap().unwrap();
    assert_eq!(
        (
            lea.family_name.as_str(),
            lea.given_name.as_str(),
            lea.email.as_str()
        ),
        ("Martin", "Léa", "lea.martin@example.fr")
    );
    let hugo = f.state.db.person("ECR-0002").await.unwrap().unwrap();
    assert_eq!(hugo.given_name, "Hugo", "surrounding spaces dropped");
    let persons = f.state.db.candidate_persons(s).await.unwrap();
    let p1 = persons.iter().find(|p| p.candidate_id == "P1").unwrap();
    assert_eq!(p1.person_id.as_deref(), Some("ECR-0001"));

    // P1 starts; then the organiser fixes a name and an email.
    let p1_login = &done.registered[0];
    let (status, body) = send(
        f.app(),
        post_json(
            "/api/login",
            json!({"session": s, "candidate": "P1", "code": p1_login.code}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let attempt_before = f.state.db.candidate(s, "P1").await.unwrap().unwrap();
    // The same code may be given again (it is checked, not changed).
    let fixed = format!(
        "candidate,person,family_name,given_name,email,extra_time,code\n\
         P1,ECR-0001,Martin-Roux,Léa,lea.martin@example.org,,{}\n\
         P2,ECR-0002,Dupont-Moreau,Hugo,hugo@example.fr,oui,\n",
        p1_login.code
    );
    let again = import_roster(&f, s, &fixed).await.unwrap();
    assert!(again.registered.is_empty(), "{again:?}");
    assert_eq!(again.updated, ["P1", "P2"]);
    let lea = f.state.db.person("ECR-0001").await.unwrap().unwrap();
    assert_eq!(lea.family_name, "Martin-Roux");
    assert_eq!(lea.email, "lea.martin@example.org");
    // Nothing else changed: the code still opens, the attempt is the same.
    assert_eq!(
        f.state.db.candidate(s, "P1").await.unwrap().unwrap(),
        attempt_before
    );
    let (status, body) = send(
        f.app(),
        post_json(
            "/api/login",
            json!({"session": s, "candidate": "P1", "code": p1_login.code}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // A person is one candidate per session.
    let twice = "candidate,person,family_name,given_name,email\nP9,ECR-0001,M,L,l@example.fr\n";
    let err = import_roster(&f, s, twice).await.unwrap_err().to_string();
    assert!(
        err.contains("line 2: person \"ECR-0001\" is already registered in session"),
        "{err}"
    );
    // …and the same person in another session, years later, is fine.
    let later = demo_session_at(&f, NOW + 1).await;
    let there = import_roster(&f, &later, twice).await.unwrap();
    assert_eq!(there.registered.len(), 1);
    assert_eq!(
        f.state
            .db
            .person("ECR-0001")
            .await
            .unwrap()
            .unwrap()
            .family_name,
        "M",
        "the latest import's names"
    );
}

#[tokio::test]
async fn a_bad_person_line_is_named_and_nothing_is_stored() {
    let f = fixture().await;
    let s = &f.demo.session;
    let before = f.state.db.candidate_ids(s).await.unwrap();
    let head = "candidate,person,family_name,given_name,email\n";
    let cases = [
        (
            "N1,ECR-1,A,B,a@example.fr\nN2,ECR-1,C,D,c@example.fr\n",
            "line 3: person \"ECR-1\" already on line 2",
        ),
        ("N1,,A,B,a@example.fr\n", "line 2: empty person id"),
        ("N1,=cmd,A,B,a@example.fr\n", "line 2: person id \"=cmd\""),
        (
            "N1,ECR-1, ,B,a@example.fr\n",
            "line 2: person \"ECR-1\": empty family_name",
        ),
        (
            "N1,ECR-1,A,,a@example.fr\n",
            "line 2: person \"ECR-1\": empty given_name",
        ),
        (
            "N1,ECR-1,A,B,not-an-address\n",
            "line 2: person \"ECR-1\": email \"not-an-address\": expected name@domain",
        ),
        (
            "N1,ECR-1,A,B,\"a@b.fr, c@d.fr\"\n",
            "line 2: person \"ECR-1\": email",
        ),
        ("N1,ECR-1,A,B,a@localhost\n", "is not a mail domain"),
        ("N1,ECR-1,A,B,\"Ann <a@b.fr>\"\n", "line 2"),
    ];
    for (rows, want) in cases {
        let csv = format!("{head}{rows}");
        let err = import_roster(&f, s, &csv).await.unwrap_err().to_string();
        assert!(err.contains(want), "{csv:?}: {err}");
        assert_eq!(f.state.db.candidate_ids(s).await.unwrap(), before);
        assert!(f.state.db.person("ECR-1").await.unwrap().is_none());
    }
    let long = "x".repeat(roster::MAX_NAME_CHARS + 1);
    let err = roster::import(
        &f.state.db,
        &f.state.hashing,
        s,
        &format!("{head}N1,ECR-1,{long},B,a@example.fr\n"),
        &roster::Options::default(),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(err.contains("longer than 100 characters"), "{err}");
}
