//! Retention: `purge` deletes old sessions with everything of theirs, in
//! one transaction, keeps the others, and sweeps the media files no kept
//! attempt refers to.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use sha2::{Digest, Sha256};
use vigil_server::media;

use crate::common::*;

#[tokio::test]
async fn old_sessions_go_with_their_data_and_files_new_ones_stay() {
    let f = fixture().await;
    // An attempt of the demo session (starting at NOW) with a synced photo.
    let token = f.login(0).await;
    let photo = b"\xFF\xD8\xFFphoto".to_vec();
    let sha = hex::encode(Sha256::digest(&photo));
    name_media(&f, &token, &sha, false).await;
    let req = Request::put(format!("/api/attempt/media/{sha}"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from(photo))
        .unwrap();
    assert_eq!(send(f.app(), req).await.0, StatusCode::OK);
    // A later session, with an attempt of its own and a photo too.
    let later = vigil_server::demo::create_session(
        &f.state.db,
        "demo-short",
        NOW + 10 * 86_400_000,
        0,
        NOW,
    )
    .await
    .unwrap();
    let db = &f.state.db;

    let dry = db.purge_sessions_before(NOW + 1, NOW, true).await.unwrap();
    // The demo registers three candidates, each with an attempt.
    assert_eq!((dry.sessions, dry.attempts, dry.media), (1, 3, 1));
    assert!(dry.events > 0);
    assert!(
        db.session(&f.demo.session).await.unwrap().is_some(),
        "dry run deleted"
    );

    let done = db.purge_sessions_before(NOW + 1, NOW, false).await.unwrap();
    assert_eq!(done, dry);
    assert!(db.session(&f.demo.session).await.unwrap().is_none());
    assert!(db.session(&later.session.id).await.unwrap().is_some());
    // The purged candidate can no longer log in.
    let c = &f.demo.candidates[1];
    let (status, _) = send(
        f.app(),
        post_json(
            "/api/login",
            serde_json::json!({"session": f.demo.session, "candidate": c.id, "code": c.code}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // The file goes once no record names it; a foreign file name stays.
    let blob = media::blob_path(&f.state.media_dir, &sha);
    assert!(blob.exists());
    let stray = f.state.media_dir.join("README");
    std::fs::write(&stray, "not a blob").unwrap();
    let keep = db.media_hashes().await.unwrap();
    let (files, bytes) = media::sweep(&f.state.media_dir, &keep).unwrap();
    assert_eq!((files, bytes), (1, 8));
    assert!(!blob.exists());
    assert!(stray.exists());
    // Nothing left to purge.
    let again = db.purge_sessions_before(NOW + 1, NOW, false).await.unwrap();
    assert_eq!(again.sessions, 0);
}
