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
    with_more_photos(&f, &token, std::slice::from_ref(&small_sha)).await;
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

/// `req` as if it came from `addr` (the TCP peer).
fn from(addr: &str, mut req: Request<Body>) -> Request<Body> {
    let addr: std::net::SocketAddr = format!("{addr}:40000").parse().unwrap();
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(addr));
    req
}

fn candidate_login(f: &Fixture, candidate: &str, code: &str) -> Request<Body> {
    post_json(
        "/api/login",
        serde_json::json!({"session": f.demo.session, "candidate": candidate, "code": code}),
    )
}

fn proctor_form(name: &str, password: &str) -> Request<Body> {
    Request::post("/review/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("name={name}&password={password}")))
        .unwrap()
}

async fn status_of(f: &Fixture, req: Request<Body>) -> StatusCode {
    f.app().oneshot(req).await.unwrap().status()
}

#[tokio::test]
async fn one_address_trying_many_ids_spends_one_budget_and_jams_nobody() {
    let f = fixture().await;
    let budget = vigil_server::rate::LOGIN_ADDRESS_BURST as usize;
    // Wrong codes over as many ids as the budget, known and made-up ids
    // alike: each one a new id, so no per-id bucket is ever empty.
    for i in 0..budget {
        let id = if i < 3 {
            f.demo.candidates[i].id.clone()
        } else {
            format!("made-up-{i}")
        };
        let status = status_of(
            &f,
            from("127.0.9.1", candidate_login(&f, &id, "WRONG-CODE")),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "try {i}");
    }
    // The address's budget is spent, whatever id it names next: refused
    // at once, before any hash.
    for id in ["made-up-x", f.demo.candidates[0].id.as_str()] {
        let res = f
            .app()
            .oneshot(from("127.0.9.1", candidate_login(&f, id, "WRONG-CODE")))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "{id}");
        assert!(res.headers().contains_key(header::RETRY_AFTER));
    }
    // The real candidates, from their own addresses, are not touched.
    for (n, c) in f.demo.candidates.iter().enumerate() {
        let addr = format!("127.0.9.{}", 10 + n);
        let status = status_of(&f, from(&addr, candidate_login(&f, &c.id, &c.code))).await;
        assert_eq!(status, StatusCode::OK, "{}", c.id);
    }
    // A success gives its try back: candidates logging in, again and
    // again, from one address (a kiosk room behind one router) are never
    // refused, more times than the budget of failed tries.
    for round in 0..8 {
        for c in &f.demo.candidates {
            let status =
                status_of(&f, from("127.0.9.20", candidate_login(&f, &c.id, &c.code))).await;
            assert_eq!(status, StatusCode::OK, "round {round}, {}", c.id);
        }
    }
    assert!(8 * f.demo.candidates.len() > budget);
}

#[tokio::test]
async fn wrong_codes_from_many_addresses_only_slow_the_real_candidate() {
    let f = fixture().await;
    let c = &f.demo.candidates[0];
    // Ten addresses, ten wrong codes each, at the candidate's id: the id's
    // whole budget across addresses (once refused the next try; now a
    // try waits up to LOGIN_SLOWDOWN_MAX_MS).
    for a in 0..10 {
        let addr = format!("127.0.8.{}", a + 1);
        for _ in 0..10 {
            let status = status_of(&f, from(&addr, candidate_login(&f, &c.id, "WRONG-CODE"))).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
        }
    }
    // The real candidate, from their own address, still gets in.
    let status = status_of(&f, from("127.0.8.100", candidate_login(&f, &c.id, &c.code))).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn wrong_passwords_from_anywhere_do_not_lock_a_proctor_out() {
    let f = fixture().await;
    let password = vigil_server::review::add_proctor(
        &f.state.db,
        &f.state.hashing,
        &f.demo.session,
        "marie",
        NOW,
    )
    .await
    .unwrap()
    .unwrap();
    for a in 0..11 {
        let addr = format!("127.0.7.{}", a + 1);
        let status = status_of(&f, from(&addr, proctor_form("marie", "wrong"))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // One address that keeps trying is stopped...
    let mut last = StatusCode::OK;
    for _ in 0..12 {
        last = status_of(&f, from("127.0.7.1", proctor_form("marie", "wrong"))).await;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    // ...but Marie, from her own desk, logs in.
    let status = status_of(&f, from("127.0.7.200", proctor_form("marie", &password))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_is_the_clients() {
    let mut f = fixture().await;
    f.state.limits = vigil_server::rate::Limiter::new(f.clock.clone())
        .with_trusted_proxies(vec!["10.1.0.0/16".parse().unwrap()]);
    let via_proxy = |client: &str, req: Request<Body>| {
        let mut req = from("10.1.2.3", req);
        req.headers_mut().insert(
            "x-forwarded-for",
            format!("203.0.113.50, {client}").parse().unwrap(),
        );
        req
    };
    let budget = vigil_server::rate::LOGIN_ADDRESS_BURST as usize;
    for i in 0..budget {
        let req = via_proxy(
            "198.51.100.7",
            candidate_login(&f, &format!("x-{i}"), "WRONG"),
        );
        assert_eq!(status_of(&f, req).await, StatusCode::UNAUTHORIZED);
    }
    let req = via_proxy("198.51.100.7", candidate_login(&f, "x-last", "WRONG"));
    assert_eq!(status_of(&f, req).await, StatusCode::TOO_MANY_REQUESTS);
    // Another client behind the same proxy has its own budget (the
    // left-most address, written by the client itself, is not believed).
    let req = via_proxy("198.51.100.8", candidate_login(&f, "x-last", "WRONG"));
    assert_eq!(status_of(&f, req).await, StatusCode::UNAUTHORIZED);
    // A client that is not the proxy cannot pick its address with the header.
    let mut req = from("127.0.6.1", candidate_login(&f, "x-last", "WRONG"));
    req.headers_mut()
        .insert("x-forwarded-for", "198.51.100.7".parse().unwrap());
    assert_eq!(status_of(&f, req).await, StatusCode::UNAUTHORIZED);
    let mut req = from("127.0.6.1", candidate_login(&f, "x-other", "WRONG"));
    req.headers_mut()
        .insert("x-forwarded-for", "198.51.100.9".parse().unwrap());
    assert_eq!(
        status_of(&f, req).await,
        StatusCode::UNAUTHORIZED,
        "keyed by the peer, 127.0.6.1"
    );
}

/// Candidate 0 started online at `NOW`; its log, identified and opened at
/// `opened`, synced at `synced` — without `/api/attempt/questions`.
async fn opened_in_the_log_only(f: &Fixture, opened: i64, synced: i64) -> (String, String) {
    let token = f.login(0).await;
    let attempt = f.attempt_id(&token).await;
    let (status, body) = send(
        f.app(),
        post_json_with_token("/api/attempt/start", &token, serde_json::json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let exam = demo_exam();
    let mut a = waiting_attempt(f, 0, NOW - 60_000);
    a.start(&exam, &demo_window(f), false, NOW).unwrap();
    identify_and_open(&mut a, &exam, opened);
    f.clock.set(synced);
    let (status, body) = send(f.app(), events_request(&token, 1, a.events())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (token, attempt)
}

async fn time_mismatches(f: &Fixture, attempt: &str) -> Vec<String> {
    f.state
        .db
        .flags(attempt)
        .await
        .unwrap()
        .into_iter()
        .filter(|x| x.kind == "time_mismatch")
        .map(|x| x.detail)
        .collect()
}

#[tokio::test]
async fn the_log_never_becomes_the_servers_record_of_the_opening() {
    let f = fixture().await;
    // The log says the questions opened 30 s after the start (dated up to
    // the future tolerance ahead, as a modified app may); the app never
    // asked the server.
    let (token, attempt) = opened_in_the_log_only(&f, NOW + 90_000, NOW + 40_000).await;
    let row = f.state.db.attempt(&attempt).await.unwrap().unwrap();
    assert_eq!(
        row.questions_opened_at, None,
        "the log is not the server's record"
    );
    // The app asks now: the server's record is now, and the log's other
    // claim is flagged, as a start's would be.
    f.clock.set(NOW + 50_000);
    let (status, body) = send(
        f.app(),
        post_json_with_token("/api/attempt/questions", &token, serde_json::json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["questions_opened_at_ms"], NOW + 50_000);
    let flags = time_mismatches(&f, &attempt).await;
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert!(flags[0].contains("candidate's clock"), "{}", flags[0]);
}

#[tokio::test]
async fn without_the_servers_opening_the_bound_is_the_record_and_the_log_is_flagged() {
    let f = fixture().await;
    let bound = NOW + 600_000;
    // The log reaches the server only after the bound; /questions never.
    let (_, attempt) = opened_in_the_log_only(&f, NOW + 30_000, bound + 5_000).await;
    let row = f.state.db.attempt(&attempt).await.unwrap().unwrap();
    assert_eq!(
        row.questions_opened_at,
        Some(bound),
        "the server's own rule"
    );
    let flags = time_mismatches(&f, &attempt).await;
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert!(flags[0].contains("never"), "{}", flags[0]);
}

#[tokio::test]
async fn one_candidates_key_opens_nothing_for_another() {
    use vigil_server::package::{open, unb64};
    let f = fixture().await;
    let a = f.login(0).await;
    let b = f.login(1).await;
    let attempt_b = f.attempt_id(&b).await;
    let package_of = |token: String| {
        let app = f.app();
        async move {
            let (status, pkg) = send(app, get_with_token("/api/attempt/package", &token)).await;
            assert_eq!(status, StatusCode::OK, "{pkg}");
            let bytes = |field: &str| unb64(pkg[field].as_str().unwrap()).unwrap();
            (bytes("nonce"), bytes("ciphertext"), pkg)
        }
    };
    let (nonce_a, sealed_a, _) = package_of(a.clone()).await;
    let (nonce_b, sealed_b, pkg_b) = package_of(b.clone()).await;
    // A starts; B has not.
    let (status, start_a) = send(
        f.app(),
        post_json_with_token("/api/attempt/start", &a, serde_json::json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{start_a}");
    let key_a: [u8; 32] = unb64(start_a["key"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    assert!(
        open(&key_a, &nonce_a, &sealed_a).is_some(),
        "A's key opens A's package"
    );
    assert!(
        open(&key_a, &nonce_b, &sealed_b).is_none(),
        "A's key, passed on, opens nothing of B's"
    );
    // The printed start code still opens B's own package, offline.
    let key_b =
        vigil_api::package::key_from_start_code(&f.demo.session, &f.demo.start_code, &attempt_b);
    let package_b: vigil_api::PackageResponse = serde_json::from_value(pkg_b).unwrap();
    let exam = vigil_api::package::open(&package_b, &key_b).expect("the code opens B's package");
    assert_eq!(exam.id, f.demo.exam);
}

#[tokio::test]
async fn events_dated_back_after_a_pause_in_syncing_are_flagged_with_their_arrival() {
    let f = fixture().await;
    let token = f.login(0).await;
    let attempt = f.attempt_id(&token).await;
    let (status, _) = send(
        f.app(),
        post_json_with_token("/api/attempt/start", &token, serde_json::json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let exam = demo_exam();
    let mut a = waiting_attempt(&f, 0, NOW - 60_000);
    a.start(&exam, &demo_window(&f), false, NOW).unwrap();
    identify_and_open(&mut a, &exam, NOW + 5_000);
    // Synced as it goes: nothing to say.
    f.clock.set(NOW + 6_000);
    let (status, _) = send(f.app(), events_request(&token, 1, a.events())).await;
    assert_eq!(status, StatusCode::OK);
    let synced = a.events().len();
    a.answer(
        &exam,
        "capitale",
        Answer::Single { choice: 1 },
        NOW + 10_000,
    )
    .unwrap();
    f.clock.set(NOW + 12_000);
    let (status, _) = send(
        f.app(),
        events_request(&token, synced as u64 + 1, &a.events()[synced..]),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(f.state.db.flags(&attempt).await.unwrap().is_empty());
    // Then three minutes without a sync, and answers dated inside them.
    let synced = a.events().len();
    a.answer(
        &exam,
        "capitale",
        Answer::Single { choice: 2 },
        NOW + 30_000,
    )
    .unwrap();
    a.answer(
        &exam,
        "capitale",
        Answer::Single { choice: 0 },
        NOW + 150_000,
    )
    .unwrap();
    f.clock.set(NOW + 200_000);
    let (status, body) = send(
        f.app(),
        events_request(&token, synced as u64 + 1, &a.events()[synced..]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let flags = f.state.db.flags(&attempt).await.unwrap();
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert_eq!(flags[0].kind, "backdated");
    let detail = &flags[0].detail;
    // The one dated 170 s before its arrival; the one 50 s before is not.
    assert!(detail.starts_with("1 event(s)"), "{detail}");
    assert!(detail.contains("arrived at"), "{detail}");
    assert!(detail.contains("188 s after the previous sync"), "{detail}");
}

#[tokio::test]
async fn an_offline_start_outside_the_window_is_scored_from_the_windows_bound() {
    let f = fixture().await;
    let token = f.login(0).await;
    let attempt = f.attempt_id(&token).await;
    let exam = demo_exam();
    let close = demo_window(&f).closes_at_ms;
    // A log that started "offline" 20 minutes after the window closed (in
    // a window of its own) and answered right away.
    let late = close + 20 * 60_000;
    let mut a = waiting_attempt(&f, 0, NOW - 60_000);
    let own = StartWindow {
        opens_at_ms: NOW,
        closes_at_ms: late + 60_000,
    };
    a.start(&exam, &own, false, late).unwrap();
    identify_and_open(&mut a, &exam, late + 10_000);
    a.answer(
        &exam,
        "capitale",
        Answer::Single { choice: 1 },
        late + 20_000,
    )
    .unwrap();
    f.clock.set(late + 60_000);
    let (status, body) = send(f.app(), events_request(&token, 1, a.events())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The server's record is the window's bound, not the log's claim.
    let row = f.state.db.attempt(&attempt).await.unwrap().unwrap();
    assert_eq!(row.started_at, Some(close));
    // Scored from the bound: its deadline (bound + identification +
    // duration) passed before the answer, which does not count.
    let results =
        vigil_server::results::session_results(&f.state.db, &f.demo.session, late + 60_000)
            .await
            .unwrap();
    let r = &results.rows[0];
    assert!(r.flags.contains(&"offline_start".to_owned()), "{r:?}");
    assert!(r.flags.contains(&"after_deadline".to_owned()), "{r:?}");
    assert_eq!(r.score.as_ref().unwrap().total.right, 0, "{r:?}");
}

#[tokio::test]
async fn an_event_past_the_engines_limits_is_refused_and_flagged() {
    let f = fixture().await;
    let token = f.login(0).await;
    let attempt = f.attempt_id(&token).await;
    let a = waiting_attempt(&f, 0, NOW - 60_000);
    let mut log = EventLog::from_events_with_genesis(&f.genesis[0], a.events().to_vec()).unwrap();
    // A blocked action named with 64 KiB, as only a modified app can write.
    log.append(
        EventKind::Blocked(BlockedBody {
            action: "x".repeat(65_536),
        }),
        NOW - 30_000,
    );
    let (status, body) = send(f.app(), events_request(&token, 1, log.events())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_error(&body, "event_limit");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("event 4 (blocked)"), "{message}");
    assert!(
        message.contains("action is 65536 bytes (max 64)"),
        "{message}"
    );
    assert!(f.state.db.events(&attempt).await.unwrap().is_empty());
    let flags = f.state.db.flags(&attempt).await.unwrap();
    assert_eq!(flags.len(), 1);
    assert_eq!(flags[0].kind, "tampering");
    // The honest part alone goes through.
    let (status, body) = send(f.app(), events_request(&token, 1, &log.events()[..3])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn the_questions_are_sealed_until_the_server_records_their_opening() {
    let f = fixture().await;
    let token = f.login(0).await;
    let attempt = f.attempt_id(&token).await;
    let (status, pkg) = send(f.app(), get_with_token("/api/attempt/package", &token)).await;
    assert_eq!(status, StatusCode::OK, "{pkg}");
    let package: vigil_api::PackageResponse = serde_json::from_value(pkg).unwrap();
    let (_, start) = send(
        f.app(),
        post_json_with_token("/api/attempt/start", &token, serde_json::json!({})),
    )
    .await;
    let start_key = start["key"].as_str().unwrap();
    // The start opens the skeleton: the structure, no question's content.
    let skeleton = vigil_api::package::open(&package, start_key).unwrap();
    let full = demo_exam();
    assert_eq!(skeleton, full.skeleton());
    let first = &full.sections[0].questions[0].text;
    assert!(!serde_json::to_string(&skeleton)
        .unwrap()
        .contains(first.as_str()));
    // Nor does its key open the questions.
    assert_eq!(
        vigil_api::package::open_questions(&package, start_key),
        Err(vigil_api::package::OpenError::WrongKey)
    );
    // The opening, recorded by the server, releases their key.
    f.clock.advance(42_000);
    let (status, opened) = send(
        f.app(),
        post_json_with_token("/api/attempt/questions", &token, serde_json::json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{opened}");
    let row = f.state.db.attempt(&attempt).await.unwrap().unwrap();
    assert_eq!(row.questions_opened_at, Some(NOW + 42_000));
    let exam =
        vigil_api::package::open_questions(&package, opened["key"].as_str().unwrap()).unwrap();
    assert_eq!(exam, full.redact());
    // Another candidate's questions stay shut to this key.
    let other = f.login(1).await;
    let (_, pkg_b) = send(f.app(), get_with_token("/api/attempt/package", &other)).await;
    let package_b: vigil_api::PackageResponse = serde_json::from_value(pkg_b).unwrap();
    assert!(
        vigil_api::package::open_questions(&package_b, opened["key"].as_str().unwrap()).is_err()
    );
}
