//! The hour of the start (#31): what an adversarial candidate or an
//! outsider tried at the most sensitive minutes of a session, each written
//! against the server before its fix (and failing there), then the fix.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, Request, StatusCode};
use tokio::sync::mpsc;
use tower::ServiceExt;
use vigil_exam::*;

use crate::common::*;

fn sha_of(bytes: &[u8]) -> String {
    hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes))
}

/// Candidate `n` logged in, started, with `shas` named by its log as
/// identity photos (retakes: each capture names its own photo).
async fn with_named_photos(f: &Fixture, token: &str, shas: &[String]) {
    let (status, started) = send(
        f.app(),
        post_json_with_token("/api/attempt/start", token, serde_json::json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{started}");
    let start_at = started["started_at_ms"].as_i64().unwrap();
    let other = "f".repeat(64);
    let mut a = Attempt::with_genesis(&f.genesis_of(token).await);
    let t = start_at - 60_000;
    a.record_checks(vec![], t).unwrap();
    a.consent("v1", &other, t + 1).unwrap();
    a.enter_waiting_room(t + 2).unwrap();
    a.start(&demo_exam(), &demo_window(f), false, start_at)
        .unwrap();
    for (i, sha) in shas.iter().enumerate() {
        a.capture_identity(IdentityWhat::IdDocument, sha, start_at + 2 + i as i64)
            .unwrap();
    }
    let (status, body) = send(f.app(), events_request(token, 1, a.events())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Names more photos in the attempt's stored log (after its events).
async fn with_more_photos(f: &Fixture, token: &str, shas: &[String]) {
    let attempt = f.attempt_id(token).await;
    let stored = f.state.db.events(&attempt).await.unwrap();
    let last = stored.last().map_or(NOW, |e| e.at);
    let mut log = EventLog::from_events_with_genesis(&f.genesis_of(token).await, stored).unwrap();
    let from_seq = log.len() as u64 + 1;
    for (i, sha) in shas.iter().enumerate() {
        log.append(
            EventKind::IdentityCapture(IdentityCaptureBody {
                media_sha256: sha.clone(),
                what: IdentityWhat::Face,
            }),
            last + 1 + i as i64,
        );
    }
    let (status, body) = send(
        f.app(),
        events_request(token, from_seq, &log.events()[from_seq as usize - 1..]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

fn put(token: &str, sha: &str, bytes: &[u8], range: Option<String>) -> Request<Body> {
    let mut req = Request::put(format!("/api/attempt/media/{sha}"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    if let Some(r) = range {
        req = req.header(header::CONTENT_RANGE, r);
    }
    req.body(Body::from(bytes.to_vec())).unwrap()
}

/// A whole-blob upload whose body arrives as the test sends it.
fn streamed_put(token: &str, sha: &str, len: usize) -> (Request<Body>, mpsc::Sender<Bytes>) {
    let (tx, rx) = mpsc::channel::<Bytes>(4);
    let chunks = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, std::io::Error>(b), rx))
    });
    let body = Body::from_stream(chunks);
    let req = Request::put(format!("/api/attempt/media/{sha}"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_LENGTH, len.to_string())
        .body(body)
        .unwrap();
    (req, tx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_uploads_cannot_pass_the_media_quota_together() {
    let mut f = fixture().await;
    f.state.quotas = vigil_server::quota::Quotas {
        media_bytes: 100,
        ..Default::default()
    };
    let token = f.login(0).await;
    let attempt = f.attempt_id(&token).await;
    let blobs: Vec<Vec<u8>> = (0..5u8).map(|i| vec![i; 60]).collect();
    let shas: Vec<String> = blobs.iter().map(|b| sha_of(b)).collect();
    with_named_photos(&f, &token, &shas).await;

    // Five uploads of 60 bytes begin at once; each sends its first 10
    // bytes, and only then do they all send the rest.
    let mut senders = Vec::new();
    let mut answers = Vec::new();
    for sha in &shas {
        let (req, tx) = streamed_put(&token, sha, 60);
        let app = f.app();
        answers.push(tokio::spawn(async move {
            let res = app.oneshot(req).await.unwrap();
            let status = res.status();
            let bytes = http_body_util::BodyExt::collect(res.into_body())
                .await
                .unwrap()
                .to_bytes();
            (
                status,
                serde_json::from_slice::<serde_json::Value>(&bytes).unwrap(),
            )
        }));
        senders.push(tx);
    }
    for (tx, blob) in senders.iter().zip(&blobs) {
        // A request already answered has dropped its body: ignore.
        let _ = tx.send(Bytes::copy_from_slice(&blob[..10])).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    for (tx, blob) in senders.into_iter().zip(&blobs) {
        let _ = tx.send(Bytes::copy_from_slice(&blob[10..])).await;
    }
    let (mut ok, mut over_quota, mut too_many) = (0, 0, 0);
    for a in answers {
        let (status, body) = a.await.unwrap();
        match status {
            StatusCode::OK => ok += 1,
            StatusCode::PAYLOAD_TOO_LARGE => {
                assert_error(&body, "quota_media");
                over_quota += 1;
            }
            StatusCode::TOO_MANY_REQUESTS => {
                assert_error(&body, "too_many_uploads");
                too_many += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    let stored = f.state.db.attempt_media_bytes(&attempt).await.unwrap();
    assert!(
        stored <= 100,
        "{stored} bytes stored against a quota of 100"
    );
    // One fits; of the others, those past the two uploads an attempt may
    // have at once are told to wait, the rest are over the quota.
    assert_eq!(ok, 1);
    assert!(over_quota >= 1, "{over_quota} over the quota");
    assert_eq!(ok + over_quota + too_many, 5);

    // The refused uploads gave their room back: 40 bytes still fit.
    let small = vec![9u8; 40];
    let small_sha = sha_of(&small);
    with_more_photos(&f, &token, &[small_sha.clone()]).await;
    let (status, body) = send(f.app(), put(&token, &small_sha, &small, None)).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the refused uploads released their room: {body}"
    );
    assert_eq!(f.state.db.attempt_media_bytes(&attempt).await.unwrap(), 100);
}

#[tokio::test]
async fn a_resumable_upload_keeps_its_room_until_it_is_abandoned() {
    let mut f = fixture().await;
    f.state.quotas = vigil_server::quota::Quotas {
        media_bytes: 100,
        ..Default::default()
    };
    let token = f.login(0).await;
    let a = vec![1u8; 60];
    let b = vec![2u8; 60];
    let (sha_a, sha_b) = (sha_of(&a), sha_of(&b));
    with_named_photos(&f, &token, &[sha_a.clone(), sha_b.clone()]).await;
    // A's first piece reserves A's whole 60 bytes.
    let (status, body) = send(
        f.app(),
        put(&token, &sha_a, &a[..10], Some("bytes 0-9/60".into())),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = send(f.app(), put(&token, &sha_b, &b, None)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_error(&body, "quota_media");
    assert!(body["error"]["message"].as_str().unwrap().contains("120"));
    // Nobody touches A for the idle time: its room is free again.
    f.clock
        .advance(vigil_server::quota::RESERVATION_IDLE_MS + 1);
    let (status, body) = send(f.app(), put(&token, &sha_b, &b, None)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Resuming A now asks for its room again, and there is none.
    let (status, body) = send(
        f.app(),
        put(&token, &sha_a, &a[10..], Some("bytes 10-59/60".into())),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_error(&body, "quota_media");
}
