//! Encrypted copies: what a candidate saves when the network never comes
//! back reaches the server by the organiser's import, verified like a sync,
//! exactly once, flagged; a copy that contradicts the stored log, or that
//! this server's keys do not open, is refused and stores nothing.

use axum::http::StatusCode;
use rand::rngs::OsRng;
use serde_json::json;
use sha2::{Digest, Sha256};
use vigil_copy::{AttemptCopy, CopyHeader, Medium, PublicKey, SessionSecret};
use vigil_exam::*;
use vigil_server::copies::{import, ImportError};
use vigil_server::db::AttemptState;

use crate::common::*;

/// Logs candidate `n` in and starts the attempt on the server at NOW: the
/// token and the session's copy key as the login gave it.
async fn started(f: &Fixture, n: usize) -> (String, PublicKey) {
    let c = &f.demo.candidates[n];
    let (status, login) = send(
        f.app(),
        post_json(
            "/api/login",
            json!({"session": f.demo.session, "candidate": c.id, "code": c.code}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{login}");
    let token = login["token"].as_str().unwrap().to_owned();
    let key = PublicKey::from_hex(login["attempt"]["copy_key"].as_str().unwrap()).unwrap();
    let (status, body) = send(
        f.app(),
        post_json_with_token("/api/attempt/start", &token, json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (token, key)
}

/// Candidate `n`'s whole attempt, its ID photo the given bytes.
fn log_with_photo(f: &Fixture, n: usize, photo: &[u8], answer: u32) -> Vec<Event> {
    let sha = hex::encode(Sha256::digest(photo));
    let exam = demo_exam();
    let mut a = Attempt::with_genesis(&f.genesis[n]);
    let t = NOW - 60_000;
    a.record_checks(vec![], t).unwrap();
    a.consent("v1", &"0".repeat(64), t + 1).unwrap();
    a.enter_waiting_room(t + 5).unwrap();
    a.start(&exam, &demo_window(f), false, NOW).unwrap();
    a.capture_identity(IdentityWhat::IdDocument, &sha, NOW)
        .unwrap();
    // The other media are not in the copies of these tests.
    a.capture_identity(IdentityWhat::Face, &"b".repeat(64), NOW)
        .unwrap();
    a.head_turn(Side::Left, &"d".repeat(64), 40, NOW).unwrap();
    a.head_turn(Side::Right, &"e".repeat(64), -40, NOW).unwrap();
    a.room_scan(&"c".repeat(64), 20_000, NOW).unwrap();
    a.open_questions(&exam, NOW).unwrap();
    a.answer(
        &exam,
        "capitale",
        Answer::Single { choice: answer },
        NOW + 1_000,
    )
    .unwrap();
    a.submit(&exam, NOW + 2_000).unwrap();
    a.events().to_vec()
}

async fn seal(
    f: &Fixture,
    n: usize,
    key: &PublicKey,
    events: Vec<Event>,
    media: Vec<Vec<u8>>,
) -> Vec<u8> {
    let attempt = attempt_of(f, n).await;
    let header = CopyHeader::new(
        &f.demo.session,
        &attempt,
        &f.demo.candidates[n].id,
        NOW + 5_000,
    );
    let copy = AttemptCopy {
        events,
        media: media
            .into_iter()
            .map(|bytes| Medium {
                sha256: hex::encode(Sha256::digest(&bytes)),
                bytes,
            })
            .collect(),
    };
    vigil_copy::seal(key, &header, &copy, &mut OsRng).unwrap()
}

async fn attempt_of(f: &Fixture, n: usize) -> String {
    let c = &f.demo.candidates[n];
    let row = f
        .state
        .db
        .candidate(&f.demo.session, &c.id)
        .await
        .unwrap()
        .unwrap();
    row.attempt_id
}

#[tokio::test]
async fn a_copy_is_imported_once_verified_and_flagged() {
    let f = fixture().await;
    let (token, key) = started(&f, 0).await;
    // The key is the session's, the same at every read.
    let (_, view) = send(f.app(), get_with_token("/api/attempt", &token)).await;
    assert_eq!(view["copy_key"].as_str().unwrap(), key.to_hex());

    let photo = b"\xff\xd8 an ID photo".to_vec();
    let events = log_with_photo(&f, 0, &photo, 1);
    let file = seal(&f, 0, &key, events.clone(), vec![photo.clone()]).await;
    let attempt = attempt_of(&f, 0).await;

    let report = import(&f.state, &file).await.unwrap();
    assert!(report.imported);
    assert_eq!(report.events, events.len() as u64);
    assert_eq!(report.events_new, events.len() as u64);
    assert_eq!((report.media, report.media_new), (1, 1));
    assert!(
        report.media_refused.is_empty(),
        "{:?}",
        report.media_refused
    );
    assert_eq!(f.state.db.events(&attempt).await.unwrap(), events);
    let sha = hex::encode(Sha256::digest(&photo));
    assert_eq!(
        f.state.db.media_size(&attempt, &sha).await.unwrap(),
        Some(photo.len() as u64)
    );
    assert_eq!(
        f.state.blobs.read(&sha).await.unwrap().as_deref(),
        Some(&photo[..])
    );
    let row = f.state.db.attempt(&attempt).await.unwrap().unwrap();
    assert_eq!(row.state, AttemptState::Submitted);
    assert_eq!(flag_kinds(&f, &attempt).await, vec!["manual_import"]);

    // Again: nothing new, no second flag.
    let again = import(&f.state, &file).await.unwrap();
    assert!(!again.imported);
    assert_eq!((again.events_new, again.media_new), (0, 0));
    assert_eq!(flag_kinds(&f, &attempt).await, vec!["manual_import"]);
}

#[tokio::test]
async fn a_copy_after_a_partial_sync_adds_only_the_rest() {
    let f = fixture().await;
    let (token, key) = started(&f, 0).await;
    let photo = b"photo".to_vec();
    let events = log_with_photo(&f, 0, &photo, 1);
    let (status, body) = send(f.app(), events_request(&token, 1, &events[..4])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let file = seal(&f, 0, &key, events.clone(), vec![photo]).await;
    let report = import(&f.state, &file).await.unwrap();
    assert_eq!(report.events_new, events.len() as u64 - 4);
    assert_eq!(
        f.state.db.events(&attempt_of(&f, 0).await).await.unwrap(),
        events
    );
}

#[tokio::test]
async fn a_copy_that_contradicts_the_stored_log_is_refused_and_flagged() {
    let f = fixture().await;
    let (token, key) = started(&f, 0).await;
    let photo = b"photo".to_vec();
    let synced = log_with_photo(&f, 0, &photo, 1);
    let (status, body) = send(f.app(), events_request(&token, 1, &synced)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The same attempt rewritten with another answer.
    let rewritten = log_with_photo(&f, 0, &photo, 2);
    let file = seal(&f, 0, &key, rewritten, vec![photo]).await;
    let err = import(&f.state, &file).await.unwrap_err();
    assert!(matches!(err, ImportError::Api(_)), "{err}");
    assert!(err.to_string().contains("chain_conflict"), "{err}");
    let attempt = attempt_of(&f, 0).await;
    assert_eq!(f.state.db.events(&attempt).await.unwrap(), synced);
    assert_eq!(flag_kinds(&f, &attempt).await, vec!["tampering"]);
}

#[tokio::test]
async fn a_copy_imported_after_the_sync_deadline_is_flagged_late() {
    let f = fixture().await;
    let (_, key) = started(&f, 0).await;
    let photo = b"photo".to_vec();
    let file = seal(&f, 0, &key, log_with_photo(&f, 0, &photo, 1), vec![photo]).await;
    // The demo's 5 minutes and its 12 h to send, long past.
    f.clock.advance(13 * 3_600_000);
    let report = import(&f.state, &file).await.unwrap();
    assert!(report.imported);
    let kinds = flag_kinds(&f, &attempt_of(&f, 0).await).await;
    assert!(kinds.contains(&"late".to_owned()), "{kinds:?}");
    assert!(kinds.contains(&"manual_import".to_owned()), "{kinds:?}");
}

#[tokio::test]
async fn copies_this_server_cannot_trust_are_refused_by_name() {
    let f = fixture().await;
    let (_, key) = started(&f, 0).await;
    let photo = b"photo".to_vec();
    let events = log_with_photo(&f, 0, &photo, 1);
    let attempt = attempt_of(&f, 0).await;

    // Sealed to a key that is not the session's.
    let stranger = SessionSecret::generate(&mut OsRng).public();
    let file = seal(&f, 0, &stranger, events.clone(), vec![]).await;
    let err = import(&f.state, &file).await.unwrap_err().to_string();
    assert!(err.contains("another session's key"), "{err}");

    // A header naming another candidate than the attempt's.
    let header = CopyHeader::new(&f.demo.session, &attempt, &f.demo.candidates[1].id, NOW);
    let copy = AttemptCopy {
        events: events.clone(),
        media: vec![],
    };
    let file = vigil_copy::seal(&key, &header, &copy, &mut OsRng).unwrap();
    let err = import(&f.state, &file).await.unwrap_err().to_string();
    assert!(err.contains("has no attempt"), "{err}");

    // A session this server does not hold.
    let header = CopyHeader::new("S-elsewhere", &attempt, &f.demo.candidates[0].id, NOW);
    let file = vigil_copy::seal(&key, &header, &copy, &mut OsRng).unwrap();
    let err = import(&f.state, &file).await.unwrap_err().to_string();
    assert!(err.contains("does not hold"), "{err}");

    // Not a copy; a copy cut short.
    let err = import(&f.state, b"hello").await.unwrap_err().to_string();
    assert!(err.contains("not a Vigil copy"), "{err}");
    let file = seal(&f, 0, &key, events, vec![photo]).await;
    let err = import(&f.state, &file[..file.len() - 10])
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("cut short"), "{err}");

    // Nothing of any of them was stored.
    assert!(f.state.db.events(&attempt).await.unwrap().is_empty());
    assert!(flag_kinds(&f, &attempt).await.is_empty());
}

#[tokio::test]
async fn media_the_log_does_not_name_is_left_out_and_said() {
    let f = fixture().await;
    let (_, key) = started(&f, 0).await;
    let photo = b"photo".to_vec();
    let stray = b"not in the log".to_vec();
    let file = seal(
        &f,
        0,
        &key,
        log_with_photo(&f, 0, &photo, 1),
        vec![photo, stray.clone()],
    )
    .await;
    let report = import(&f.state, &file).await.unwrap();
    assert_eq!(report.media_new, 1);
    assert_eq!(report.media_refused.len(), 1);
    assert!(
        report.media_refused[0].contains("not named by the attempt's log"),
        "{:?}",
        report.media_refused
    );
    let sha = hex::encode(Sha256::digest(&stray));
    assert_eq!(
        f.state
            .db
            .media_size(&attempt_of(&f, 0).await, &sha)
            .await
            .unwrap(),
        None
    );
}
