//! `PUT /api/attempt/media/{sha256}`: verified against its name, resumable,
//! limited, per attempt.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use sha2::{Digest, Sha256};
use vigil_server::media::{blob_path, partial_path, MAX_MEDIA_BYTES};

use crate::common::*;

pub(crate) fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub(crate) fn put(token: &str, sha: &str, range: Option<&str>, body: Vec<u8>) -> Request<Body> {
    let mut req = Request::put(format!("/api/attempt/media/{sha}"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    if let Some(r) = range {
        req = req.header(header::CONTENT_RANGE, r);
    }
    req.body(Body::from(body)).unwrap()
}

#[tokio::test]
async fn a_whole_blob_is_verified_stored_and_recorded_once() {
    let f = fixture().await;
    let token = f.login(0).await;
    let attempt = f.attempt_id(&token).await;
    let blob = b"a face photo".to_vec();
    let h = sha(&blob);
    name_media(&f, &token, &h, false).await;
    let (status, body) = send(f.app(), put(&token, &h, None, blob.clone())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["complete"], true);
    assert_eq!(body["received"], blob.len());
    assert_eq!(body["sha256"], h.as_str());
    assert_eq!(
        std::fs::read(blob_path(&f.state.media_dir, &h)).unwrap(),
        blob
    );
    assert_eq!(
        f.state.db.media_size(&attempt, &h).await.unwrap(),
        Some(blob.len() as u64)
    );
    // Again: nothing to do.
    let (status, body) = send(f.app(), put(&token, &h, None, blob.clone())).await;
    assert_eq!(
        (status, body["complete"].as_bool()),
        (StatusCode::OK, Some(true))
    );
    // Another candidate with the same bytes: one blob, two records.
    let other = f.login(1).await;
    let other_attempt = f.attempt_id(&other).await;
    name_media(&f, &other, &h, false).await;
    let (status, _) = send(f.app(), put(&other, &h, None, blob.clone())).await;
    assert_eq!(status, StatusCode::OK);
    assert!(f
        .state
        .db
        .media_size(&other_attempt, &h)
        .await
        .unwrap()
        .is_some());
}

#[tokio::test]
async fn a_wrong_hash_is_refused_and_nothing_kept() {
    let f = fixture().await;
    let token = f.login(0).await;
    let attempt = f.attempt_id(&token).await;
    let claimed = sha(b"what the app meant to send");
    name_media(&f, &token, &claimed, false).await;
    let (status, body) = send(f.app(), put(&token, &claimed, None, b"other".to_vec())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "hash_mismatch");
    assert!(!partial_path(&f.state.media_dir, &attempt, &claimed).exists());
    assert!(!blob_path(&f.state.media_dir, &claimed).exists());
    assert!(f
        .state
        .db
        .media_size(&attempt, &claimed)
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn an_interrupted_upload_resumes_where_the_server_stopped() {
    let f = fixture().await;
    let token = f.login(0).await;
    let attempt = f.attempt_id(&token).await;
    let blob: Vec<u8> = (0..100u8).collect();
    let h = sha(&blob);
    name_media(&f, &token, &h, false).await;

    let (status, body) = send(
        f.app(),
        put(&token, &h, Some("bytes 0-39/100"), blob[..40].to_vec()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["received"], 40);
    assert_eq!(body["complete"], false);

    // The client thinks it sent more: told where to resume.
    let (status, body) = send(
        f.app(),
        put(&token, &h, Some("bytes 50-99/100"), blob[50..].to_vec()),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&body, "range_mismatch");
    assert_eq!(body["error"]["received"], 40);

    // Or asks.
    let (status, body) = send(f.app(), put(&token, &h, Some("bytes */100"), vec![])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (body["received"].as_u64(), body["complete"].as_bool()),
        (Some(40), Some(false))
    );

    // A piece longer than its range is refused and leaves the 40 bytes.
    let (status, body) = send(
        f.app(),
        put(&token, &h, Some("bytes 40-49/100"), blob[40..60].to_vec()),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "bad_range");
    let part = partial_path(&f.state.media_dir, &attempt, &h);
    assert_eq!(std::fs::metadata(&part).unwrap().len(), 40);

    let (status, body) = send(
        f.app(),
        put(&token, &h, Some("bytes 40-99/100"), blob[40..].to_vec()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["received"].as_u64(), body["complete"].as_bool()),
        (Some(100), Some(true))
    );
    assert!(!part.exists());
    assert_eq!(
        std::fs::read(blob_path(&f.state.media_dir, &h)).unwrap(),
        blob
    );
}

#[tokio::test]
async fn a_resumed_upload_with_a_wrong_hash_starts_over() {
    let f = fixture().await;
    let token = f.login(0).await;
    let attempt = f.attempt_id(&token).await;
    let h = sha(b"0123456789");
    name_media(&f, &token, &h, false).await;
    send(
        f.app(),
        put(&token, &h, Some("bytes 0-4/10"), b"01234".to_vec()),
    )
    .await;
    let (status, body) = send(
        f.app(),
        put(&token, &h, Some("bytes 5-9/10"), b"XXXXX".to_vec()),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "hash_mismatch");
    assert!(!partial_path(&f.state.media_dir, &attempt, &h).exists());
    let (_, body) = send(f.app(), put(&token, &h, Some("bytes */10"), vec![])).await;
    assert_eq!(body["received"], 0);
}

#[tokio::test]
async fn oversized_uploads_are_refused() {
    let f = fixture().await;
    let token = f.login(0).await;
    let attempt = f.attempt_id(&token).await;
    let h = sha(b"big");
    name_media(&f, &token, &h, true).await;
    // Announced too large by its range or its length.
    let range = format!("bytes 0-9/{}", MAX_MEDIA_BYTES + 1);
    let (status, body) = send(f.app(), put(&token, &h, Some(&range), vec![0; 10])).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_error(&body, "too_large");
    let req = Request::put(format!("/api/attempt/media/{h}"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_LENGTH, MAX_MEDIA_BYTES + 1)
        .body(Body::empty())
        .unwrap();
    let (status, body) = send(f.app(), req).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_error(&body, "too_large");
    // Found too large while streaming (no length announced).
    let big = vec![7u8; MAX_MEDIA_BYTES as usize + 1];
    let (status, body) = send(f.app(), put(&token, &h, None, big)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_error(&body, "too_large");
    assert!(!partial_path(&f.state.media_dir, &attempt, &h).exists());
}

#[tokio::test]
async fn malformed_names_ranges_and_missing_tokens_are_refused() {
    let f = fixture().await;
    let token = f.login(0).await;
    let good = sha(b"x");
    name_media(&f, &token, &good, false).await;
    for name in [
        "abc".to_owned(),
        good.to_uppercase(),
        format!("{}g", &good[..63]),
        format!("{good}0"),
    ] {
        let (status, body) = send(f.app(), put(&token, &name, None, b"x".to_vec())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{name}");
        assert_error(&body, "malformed_hash");
    }
    let (status, body) = send(f.app(), put(&token, &good, Some("bytes 5-1/10"), vec![])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "bad_range");
    let (status, body) = send(f.app(), put("", &good, None, b"x".to_vec())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_error(&body, "no_token");
    assert!(!blob_path(&f.state.media_dir, &good).exists());
}

#[tokio::test]
async fn only_named_media_is_taken_each_kind_within_its_limit() {
    let f = fixture().await;
    let token = f.login(0).await;
    // Not named by any synced event: refused, nothing kept.
    let stray = b"a file the log never mentions".to_vec();
    let (status, body) = send(f.app(), put(&token, &sha(&stray), None, stray.clone())).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_error(&body, "media_not_named");
    assert!(!blob_path(&f.state.media_dir, &sha(&stray)).exists());

    // An identity photo over 2 MiB is refused by kind, announced or streamed.
    let photo = vec![7u8; 2 * 1024 * 1024 + 1];
    let h = sha(&photo);
    name_media(&f, &token, &h, false).await;
    let (status, body) = send(f.app(), put(&token, &h, None, photo.clone())).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("identity photo"),
        "{body}"
    );
    let range = format!("bytes 0-9/{}", photo.len());
    let (status, _) = send(f.app(), put(&token, &h, Some(&range), vec![7; 10])).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);

    // The same size as a room scan is fine.
    let other = f.login(1).await;
    let video = vec![8u8; 3 * 1024 * 1024];
    let v = sha(&video);
    name_media(&f, &other, &v, true).await;
    let (status, body) = send(f.app(), put(&other, &v, None, video)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["complete"], true);
}
