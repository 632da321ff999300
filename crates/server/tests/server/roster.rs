//! `candidates import`: a CSV roster registers all its candidates or none.

use axum::http::StatusCode;
use serde_json::json;
use vigil_server::roster;

use crate::common::*;

#[tokio::test]
async fn a_roster_registers_candidates_with_given_and_generated_codes() {
    let f = fixture().await;
    let csv = "candidate,code\nR-001,ABCD-EFGH-JK\nR-002,\n";
    let logins = roster::import(&f.state.db, &f.state.hashing, &f.demo.session, csv)
        .await
        .unwrap();
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
        (format!("candidate\nN1\n{existing}\n"), "line 3"),
        ("candidate\nN1\nN2\nN1\n".to_owned(), "line 4"),
        ("candidate,code\nN1,ABCDEFGH\nN2,abc\n".to_owned(), "line 3"),
        ("name\nN1\n".to_owned(), "line 1"),
        ("candidate\n".to_owned(), "no candidates"),
    ];
    for (csv, want) in cases {
        let err = roster::import(&f.state.db, &f.state.hashing, &f.demo.session, &csv)
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
    let err = roster::import(&f.state.db, &f.state.hashing, "no-such", "candidate\nA\n")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no session"), "{err}");
}
