//! Results: the engine's replay and score of the synced logs, one CSV row
//! per candidate, on whichever database the suite runs on.

use axum::http::StatusCode;
use serde_json::json;
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
    let log = full_log(f, NOW, answer);
    let (status, body) = send(f.app(), events_request(&token, 1, &log)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn every_candidate_has_a_row_scored_from_the_synced_log() {
    let f = fixture().await;
    sit(&f, 0, 1).await; // right
    sit(&f, 1, 0).await; // wrong
    let r = results::session_results(&f.state.db, &f.demo.session)
        .await
        .unwrap();
    assert_eq!(r.rows.len(), 3);
    let ids: Vec<&str> = f.demo.candidates.iter().map(|c| c.id.as_str()).collect();

    // The scores are the engine's, on the full exam, of the same log.
    let exam = demo_exam();
    for (n, answer) in [(0, 1), (1, 0)] {
        let state = vigil_exam::replay(&exam, &full_log(&f, NOW, answer)).unwrap();
        let row = &r.rows[n];
        assert_eq!(row.candidate, ids[n]);
        assert_eq!(row.state, "submitted");
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
    assert_eq!(r.rows[2].state, "registered");
    assert_eq!(r.rows[2].score, None);

    let csv = r.to_csv();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "candidate,state,started_at,submitted_at,points_partie-1,points_partie-2,\
         points_total,max_points,right,wrong,partial,blank,flags"
    );
    let max = number_of(right.total.max_points);
    assert_eq!(
        lines[1],
        format!(
            "{},submitted,2027-01-15T08:00:00.000Z,2027-01-15T08:00:04.000Z,1,0,1,{max},1,0,0,5,",
            ids[0]
        )
    );
    assert!(
        lines[2].starts_with(&format!("{},submitted,", ids[1])),
        "{}",
        lines[2]
    );
    assert_eq!(lines[3], format!("{},registered,,,,,,,,,,,", ids[2]));
    assert_eq!(lines.len(), 4);
}

#[tokio::test]
async fn an_offline_start_is_scored_and_its_flag_shown() {
    let f = fixture().await;
    let token = f.login(2).await;
    // No online start: the log's start is an offline one (printed start code).
    let log = full_log(&f, NOW, 1);
    let (status, _) = send(f.app(), events_request(&token, 1, &log)).await;
    assert_eq!(status, StatusCode::OK);
    let r = results::session_results(&f.state.db, &f.demo.session)
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
        .ends_with(",offline_start"));
}

#[tokio::test]
async fn an_unknown_session_is_an_error() {
    let f = fixture().await;
    let err = results::session_results(&f.state.db, "nope")
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
