//! `POST /api/attempt/events`: the chain verified from the last stored event,
//! stored exactly once, conflicts flagged, nothing stored half-way.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::json;
use vigil_server::api::{MAX_BATCH_EVENTS, SYNC_BODY_LIMIT};

use crate::common::*;

async fn stored_hashes(f: &Fixture, attempt: &str) -> Vec<String> {
    f.state
        .db
        .events(attempt)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.hash)
        .collect()
}

#[tokio::test]
async fn a_whole_log_syncs_in_batches_and_duplicates_are_stored_once() {
    let f = fixture().await;
    let token = f.login(0).await;
    let attempt = f.attempt_id(&token).await;
    let log = full_log(&f, 0, NOW, 1);
    let n = log.len() as u64;

    // An empty batch asks for the ack.
    let (status, body) = send(f.app(), events_request(&token, 1, &[])).await;
    assert_eq!(
        (status, body["acked_seq"].as_u64()),
        (StatusCode::OK, Some(0))
    );

    let (status, body) = send(f.app(), events_request(&token, 1, &log[..5])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["acked_seq"], 5);
    // The same batch again (the answer was lost): accepted, nothing doubled.
    let (status, body) = send(f.app(), events_request(&token, 1, &log[..5])).await;
    assert_eq!(
        (status, body["acked_seq"].as_u64()),
        (StatusCode::OK, Some(5))
    );
    // An overlapping batch: 3..=8.
    let (status, body) = send(f.app(), events_request(&token, 3, &log[2..8])).await;
    assert_eq!(
        (status, body["acked_seq"].as_u64()),
        (StatusCode::OK, Some(8))
    );
    // The rest.
    let (status, body) = send(f.app(), events_request(&token, 9, &log[8..])).await;
    assert_eq!(
        (status, body["acked_seq"].as_u64()),
        (StatusCode::OK, Some(n))
    );
    // The whole log again.
    let (status, body) = send(f.app(), events_request(&token, 1, &log)).await;
    assert_eq!(
        (status, body["acked_seq"].as_u64()),
        (StatusCode::OK, Some(n))
    );

    let stored = f.state.db.events(&attempt).await.unwrap();
    assert_eq!(stored, log, "stored once, in order, unchanged");
    vigil_exam::replay_events_from(&f.genesis[0], Some(&demo_exam()), &stored)
        .expect("the stored log replays");
    let (_, view) = send(f.app(), get_with_token("/api/attempt", &token)).await;
    assert_eq!(view["state"], "submitted");
    // Started without calling /start: the start came through the log.
    assert_eq!(view["started_at_ms"], NOW);
    assert_eq!(flag_kinds(&f, &attempt).await, ["offline_start"]);
    // And the server will not release the key for a second start.
    let (status, body) = send(
        f.app(),
        post_json_with_token("/api/attempt/start", &token, json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&body, "already_started");
}

#[tokio::test]
async fn an_online_start_is_not_flagged() {
    let f = fixture().await;
    let token = f.login(0).await;
    let attempt = f.attempt_id(&token).await;
    let (status, _) = send(
        f.app(),
        post_json_with_token("/api/attempt/start", &token, json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let log = full_log(&f, 0, NOW, 1);
    let (status, _) = send(f.app(), events_request(&token, 1, &log)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(flag_kinds(&f, &attempt).await.is_empty());
}

#[tokio::test]
async fn a_gap_is_refused_naming_the_expected_seq() {
    let f = fixture().await;
    let token = f.login(0).await;
    let attempt = f.attempt_id(&token).await;
    let log = full_log(&f, 0, NOW, 1);
    send(f.app(), events_request(&token, 1, &log[..3])).await;
    let (status, body) = send(f.app(), events_request(&token, 5, &log[4..7])).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&body, "chain_broken");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expected from_seq 4"),
        "{body}"
    );
    assert_eq!(stored_hashes(&f, &attempt).await.len(), 3);
}

#[tokio::test]
async fn reordered_changed_or_mislabelled_batches_are_refused_whole() {
    let f = fixture().await;
    let token = f.login(0).await;
    let attempt = f.attempt_id(&token).await;
    let log = full_log(&f, 0, NOW, 1);

    let mut reordered = log[..6].to_vec();
    reordered.swap(3, 4);
    let mut changed = log[..6].to_vec();
    changed[4].at += 1; // one byte of the canonical form
    let mut answer_changed = log.clone();
    let last = answer_changed.len() - 1;
    // One hex digit changed (to another: the hash depends on the random
    // chain nonce, and one time in 16 it already started with an `f`).
    let other = if answer_changed[last].hash.starts_with('f') {
        "0"
    } else {
        "f"
    };
    answer_changed[last].hash.replace_range(0..1, other);
    let cases = [
        (1, reordered, "event 4"),
        (1, changed, "event 5: hash does not match"),
        (2, log[..4].to_vec(), "event 2: seq 1, expected 2"),
        (1, log[1..4].to_vec(), "event 1"),
        (1, answer_changed, "hash"),
    ];
    for (from, batch, want) in cases {
        let (status, body) = send(f.app(), events_request(&token, from, &batch)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_error(&body, "chain_broken");
        let msg = body["error"]["message"].as_str().unwrap();
        assert!(msg.contains(want), "{want}: {msg}");
    }
    assert!(
        stored_hashes(&f, &attempt).await.is_empty(),
        "nothing stored"
    );

    // After some stored events, a batch changed in the part the server
    // does not hold yet is refused the same way.
    send(f.app(), events_request(&token, 1, &log[..3])).await;
    let mut tail = log[3..8].to_vec();
    tail[2].at -= 1;
    let (status, body) = send(f.app(), events_request(&token, 4, &tail)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_error(&body, "chain_broken");
    assert_eq!(stored_hashes(&f, &attempt).await.len(), 3);
    assert!(flag_kinds(&f, &attempt).await.is_empty());
}

#[tokio::test]
async fn a_stored_seq_with_another_hash_is_a_conflict_and_flags_tampering() {
    let f = fixture().await;
    let token = f.login(0).await;
    let attempt = f.attempt_id(&token).await;
    let log = full_log(&f, 0, NOW, 1);
    // Same history up to the answer, another answer (a valid chain).
    let forged = full_log(&f, 0, NOW, 2);
    let answer_seq = 11;
    assert_eq!(log[..10], forged[..10]);
    assert_ne!(log[10].hash, forged[10].hash);

    send(f.app(), events_request(&token, 1, &log[..12])).await;
    let before = stored_hashes(&f, &attempt).await;
    assert_eq!(before.len(), 12);

    // Re-sent over the stored events: 409, nothing stored, flagged.
    let (status, body) = send(f.app(), events_request(&token, 1, &forged)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_error(&body, "chain_conflict");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&format!("event {answer_seq}")),
        "{body}"
    );
    assert_eq!(stored_hashes(&f, &attempt).await, before);
    let flags = f.state.db.flags(&attempt).await.unwrap();
    assert!(flags.iter().any(|r| r.kind == "tampering"), "{flags:?}");

    // A continuation that does not link to the stored log: also a conflict.
    let (status, body) = send(f.app(), events_request(&token, 13, &forged[12..])).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_error(&body, "chain_conflict");
    assert_eq!(stored_hashes(&f, &attempt).await, before);
    let tampering = flag_kinds(&f, &attempt)
        .await
        .into_iter()
        .filter(|k| k == "tampering")
        .count();
    assert_eq!(tampering, 2);

    // The genuine log still completes.
    let (status, body) = send(f.app(), events_request(&token, 13, &log[12..])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["acked_seq"], log.len());
}

#[tokio::test]
async fn another_candidates_token_writes_only_its_own_attempt() {
    let f = fixture().await;
    let a = f.login(0).await;
    let b = f.login(1).await;
    let attempt_a = f.attempt_id(&a).await;
    let attempt_b = f.attempt_id(&b).await;
    let log = full_log(&f, 0, NOW, 1);
    // Up to the waiting room (the start, unseen by the server, would be
    // flagged as offline).
    send(f.app(), events_request(&a, 1, &log[..3])).await;

    // B posting a conflicting history touches neither A's log nor A's flags.
    let forged = full_log(&f, 1, NOW + 1, 2);
    let (status, body) = send(f.app(), events_request(&b, 1, &forged[..3])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["acked_seq"], 3, "B's own (empty) attempt");
    assert_eq!(stored_hashes(&f, &attempt_a).await.len(), 3);
    assert_eq!(stored_hashes(&f, &attempt_b).await.len(), 3);
    assert!(flag_kinds(&f, &attempt_a).await.is_empty());
    // And A's ack is A's.
    let (_, body) = send(f.app(), events_request(&a, 1, &[])).await;
    assert_eq!(body["acked_seq"], 3);

    // Without a valid token nothing is written.
    for token in ["", "nope"] {
        let (status, _) = send(f.app(), events_request(token, 4, &log[3..])).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(stored_hashes(&f, &attempt_a).await.len(), 3);
}

#[tokio::test]
async fn data_after_the_sync_deadline_is_kept_and_flagged_late() {
    let f = fixture().await;
    let token = f.login(0).await;
    let attempt = f.attempt_id(&token).await;
    let (status, _) = send(
        f.app(),
        post_json_with_token("/api/attempt/start", &token, json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let log = full_log(&f, 0, NOW, 1);
    send(f.app(), events_request(&token, 1, &log[..4])).await;
    // The engine's sync deadline: start + 10 min of identification at
    // most + 5 min + 12 h.
    f.clock.set(NOW + 600_000 + 300_000 + 12 * 3600 * 1000 + 1);
    let (status, body) = send(f.app(), events_request(&token, 5, &log[4..])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["acked_seq"], log.len());
    assert_eq!(stored_hashes(&f, &attempt).await.len(), log.len());
    let flags = f.state.db.flags(&attempt).await.unwrap();
    let late: Vec<_> = flags.iter().filter(|f| f.kind == "late").collect();
    assert_eq!(late.len(), 1, "{flags:?}");
    assert!(late[0].detail.contains("events 5..="), "{flags:?}");
    // The app never told the server the opening: the bound is the
    // server's record, and the log's other account is flagged (#31).
    assert!(
        flags
            .iter()
            .any(|f| f.kind == "time_mismatch" && f.detail.contains("never called")),
        "{flags:?}"
    );
    // And the events dated 12 h before they arrived, after that pause.
    assert!(flags.iter().any(|f| f.kind == "backdated"), "{flags:?}");
    assert_eq!(flags.len(), 3, "{flags:?}");
}

#[tokio::test]
async fn oversized_malformed_and_out_of_range_batches_are_refused() {
    let f = fixture().await;
    let token = f.login(0).await;
    let attempt = f.attempt_id(&token).await;
    let log = full_log(&f, 0, NOW, 1);

    let many = vec![log[0].clone(); MAX_BATCH_EVENTS + 1];
    let (status, body) = send(f.app(), events_request(&token, 1, &many)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_error(&body, "too_many_events");

    let huge = json!({"from_seq": 1, "events": [], "pad": "x".repeat(SYNC_BODY_LIMIT)});
    let (status, body) = send(
        f.app(),
        post_json_with_token("/api/attempt/events", &token, huge),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_error(&body, "too_large");

    let (status, body) = send(f.app(), events_request(&token, 0, &log[..1])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "chain_broken");

    for raw in [
        "{not json".to_owned(),
        json!({"from_seq": 1}).to_string(),
        json!({"from_seq": 1, "events": [{"seq": 1, "kind": "nope"}]}).to_string(),
    ] {
        let req = Request::post("/api/attempt/events")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::from(raw.clone()))
            .unwrap();
        let (status, body) = send(f.app(), req).await;
        assert!(status.is_client_error(), "{raw}: {status}");
        assert_error(&body, "malformed_json");
    }
    assert!(stored_hashes(&f, &attempt).await.is_empty());
}
