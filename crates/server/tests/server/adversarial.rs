//! The adversarial candidate: everything a candidate controls (the log's
//! times, its claims, the bytes of every request) tried against the
//! server, and what the server must do about it. Each case failed on the
//! server before it was made the authority (see docs/security.md).

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;
use vigil_exam::*;

use crate::common::*;

/// Minutes, in ms.
const MIN: i64 = 60_000;

async fn start_online(f: &Fixture, token: &str) {
    let (status, body) = send(
        f.app(),
        post_json_with_token("/api/attempt/start", token, json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Candidate `n`'s attempt up to the waiting room, before `NOW`.
fn waiting(f: &Fixture, n: usize) -> Attempt {
    waiting_attempt(f, n, NOW - MIN)
}

/// The right answer to the demo's first question.
fn rome() -> Answer {
    Answer::Single { choice: 1 }
}

async fn row_of(f: &Fixture, n: usize, now: i64) -> vigil_server::results::ResultRow {
    vigil_server::results::session_results(&f.state.db, &f.demo.session, now)
        .await
        .unwrap()
        .rows
        .swap_remove(n)
}

#[tokio::test]
async fn a_log_that_starts_after_the_server_start_is_flagged_and_scored_from_the_server_start() {
    let f = fixture().await;
    let token = f.login(0).await;
    let attempt = f.attempt_id(&token).await;
    start_online(&f, &token).await; // the server's start: NOW
    let exam = demo_exam();
    // The candidate writes a log that starts 20 minutes later, in a window
    // of their own, and answers long after the real exam: the questions
    // open at the latest 10 minutes after the server's start, so the
    // server's deadline is NOW + 15 min.
    let mut a = waiting(&f, 0);
    let wide = StartWindow {
        opens_at_ms: NOW,
        closes_at_ms: NOW + 60 * MIN,
    };
    a.start(&exam, &wide, false, NOW + 20 * MIN).unwrap();
    identify_and_open(&mut a, &exam, NOW + 20 * MIN);
    a.answer(&exam, "capitale", rome(), NOW + 20 * MIN + 1_000)
        .unwrap();
    a.submit(&exam, NOW + 20 * MIN + 2_000).unwrap();
    f.clock.set(NOW + 21 * MIN);
    let (status, body) = send(f.app(), events_request(&token, 1, a.events())).await;
    assert_eq!(status, StatusCode::OK, "stored, for the reviewer: {body}");

    let flags = f.state.db.flags(&attempt).await.unwrap();
    let mismatch: Vec<&str> = flags
        .iter()
        .filter(|f| f.kind == "time_mismatch")
        .map(|f| f.detail.as_str())
        .collect();
    assert!(
        mismatch.iter().any(|d| d.contains("+1200 s")),
        "{mismatch:?}"
    );
    assert!(mismatch.iter().any(|d| d.contains("start window")));
    // The start that counts is the server's; the answer came after its
    // deadline and is not scored.
    let row = row_of(&f, 0, NOW + 21 * MIN).await;
    assert_eq!(row.started_at, Some(NOW));
    assert_eq!(row.submitted_at, Some(NOW + 15 * MIN));
    assert!(row.flags.contains(&"time_mismatch".to_owned()));
    assert!(row.flags.contains(&"after_deadline".to_owned()));
    let score = row.score.unwrap();
    assert_eq!((score.total.right, score.total.points), (0, 0.0));
}

#[tokio::test]
async fn extra_time_in_the_log_of_a_candidate_without_it_is_not_granted() {
    let f = fixture().await;
    let token = f.login(0).await;
    let attempt = f.attempt_id(&token).await;
    start_online(&f, &token).await;
    let exam = demo_exam();
    let mut a = waiting(&f, 0);
    a.start(&exam, &demo_window(&f), true, NOW).unwrap();
    identify_and_open(&mut a, &exam, NOW);
    // With extra time the first section lasts 200 s and the exam 400 s:
    // answer in that borrowed time.
    a.answer(&exam, "capitale", rome(), NOW + 170_000).unwrap();
    a.tick(&exam, NOW + 200_000);
    a.answer(&exam, "pi", Answer::Numeric { value: 3.0 }, NOW + 350_000)
        .unwrap();
    f.clock.set(NOW + 7 * MIN);
    let (status, body) = send(f.app(), events_request(&token, 1, a.events())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let flags = f.state.db.flags(&attempt).await.unwrap();
    assert!(
        flags
            .iter()
            .any(|f| f.kind == "time_mismatch" && f.detail.contains("extra time yes")),
        "{flags:?}"
    );
    let row = row_of(&f, 0, NOW + 7 * MIN).await;
    assert!(row.flags.contains(&"after_deadline".to_owned()));
    let score = row.score.unwrap();
    assert_eq!(score.total.right + score.total.wrong, 0, "nothing counts");

    // The same log for a candidate the server granted extra time to.
    sqlx_set_extra_time(&f, &attempt).await;
    let row = row_of(&f, 0, NOW + 7 * MIN).await;
    assert!(!row.flags.contains(&"after_deadline".to_owned()));
    assert_eq!(row.score.unwrap().total.right, 1);
}

/// No command sets the accommodation yet: the test writes it as an
/// organiser's tool would.
async fn sqlx_set_extra_time(f: &Fixture, attempt: &str) {
    f.state.db.set_extra_time(attempt, true).await.unwrap();
}

#[tokio::test]
async fn answers_after_the_server_deadline_are_not_scored() {
    // An honest start, then a log that keeps answering after the end, its
    // section changes and submission left out (a modified app).
    let f = fixture().await;
    let token = f.login(0).await;
    start_online(&f, &token).await;
    let exam = demo_exam();
    let mut a = waiting(&f, 0);
    a.start(&exam, &demo_window(&f), false, NOW).unwrap();
    identify_and_open(&mut a, &exam, NOW);
    a.answer(&exam, "capitale", rome(), NOW + 1_000).unwrap();
    // Forge events that the engine would refuse: appended to the raw log.
    let mut log = EventLog::from_events_with_genesis(&f.genesis[0], a.events().to_vec()).unwrap();
    log.append(
        EventKind::Answer(AnswerBody {
            answer: Answer::Text {
                text: "Seine".into(),
            },
            question: "fleuve".into(),
        }),
        NOW + 6 * MIN,
    );
    f.clock.set(NOW + 7 * MIN);
    let (status, body) = send(f.app(), events_request(&token, 1, log.events())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let row = row_of(&f, 0, NOW + 7 * MIN).await;
    assert!(row.flags.contains(&"after_deadline".to_owned()), "{row:?}");
    let score = row.score.unwrap();
    assert_eq!((score.total.right, score.total.wrong), (1, 0));
}

#[tokio::test]
async fn events_dated_ahead_of_the_server_clock_are_flagged_once_per_batch() {
    let f = fixture().await;
    let token = f.login(0).await;
    let attempt = f.attempt_id(&token).await;
    // A device clock 5 minutes fast, not corrected by the trusted clock.
    let a = waiting_attempt(&f, 0, NOW + 5 * MIN);
    let (status, body) = send(f.app(), events_request(&token, 1, a.events())).await;
    assert_eq!(status, StatusCode::OK, "stored: {body}");
    let flags = f.state.db.flags(&attempt).await.unwrap();
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert_eq!(flags[0].kind, "time_mismatch");
    assert!(
        flags[0]
            .detail
            .starts_with("3 event(s) dated after the server's clock"),
        "{}",
        flags[0].detail
    );
    assert!(
        flags[0].detail.contains("300 s ahead"),
        "{}",
        flags[0].detail
    );
}

#[tokio::test]
async fn a_log_transplanted_from_another_attempt_is_refused() {
    let f = fixture().await;
    let token = f.login(0).await;
    let attempt = f.attempt_id(&token).await;
    // Candidate 1's log (bound to candidate 1's attempt), sent as candidate 0.
    let theirs = full_log(&f, 1, NOW, 1);
    let (status, body) = send(f.app(), events_request(&token, 1, &theirs)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_error(&body, "chain_conflict");
    assert_eq!(flag_kinds(&f, &attempt).await, ["tampering"]);
    assert!(f.state.db.events(&attempt).await.unwrap().is_empty());
    // So is a log from the zero genesis (written before the login).
    let mut forged = Attempt::new();
    forged.record_checks(vec![], NOW).unwrap();
    let (status, _) = send(f.app(), events_request(&token, 1, forged.events())).await;
    assert_eq!(status, StatusCode::CONFLICT);
    // Its own log goes through.
    let (status, body) = send(f.app(), events_request(&token, 1, &full_log(&f, 0, NOW, 1))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn a_bad_media_hash_in_an_event_is_refused() {
    let f = fixture().await;
    let token = f.login(0).await;
    let attempt = f.attempt_id(&token).await;
    let mut log = EventLog::with_genesis(&f.genesis[0]);
    log.append(
        EventKind::IdentityCapture(IdentityCaptureBody {
            media_sha256: "../../etc/passwd".into(),
            what: IdentityWhat::IdDocument,
        }),
        NOW,
    );
    let (status, body) = send(f.app(), events_request(&token, 1, log.events())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_error(&body, "malformed_hash");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("event 1"));
    assert!(f.state.db.events(&attempt).await.unwrap().is_empty());
}

/// A chained log whose times are `-1`, then `i64::MAX` (the chain only
/// asks that times never decrease), starting offline at `-1`.
fn odd_log(genesis: &str) -> Vec<Event> {
    let mut log = EventLog::with_genesis(genesis);
    let sha = "b".repeat(64);
    log.append(EventKind::Checks(ChecksBody { results: vec![] }), -1);
    log.append(
        EventKind::IdentityCapture(IdentityCaptureBody {
            media_sha256: sha.clone(),
            what: IdentityWhat::Face,
        }),
        -1,
    );
    log.append(
        EventKind::Start(StartBody {
            deadline_ms: i64::MAX,
            extra_time: false,
            started_at_ms: -1,
            window_closes_ms: i64::MAX,
            window_opens_ms: i64::MIN,
        }),
        -1,
    );
    log.append(
        EventKind::IncidentOpen(IncidentOpenBody {
            evidence_sha256: Some(sha),
            incident: IncidentKind::FaceAbsent,
            opened_at: i64::MIN,
            severity: Severity::High,
        }),
        -1,
    );
    log.append(EventKind::Focus(FocusBody { focused: false }), i64::MAX);
    log.append(
        EventKind::IncidentClose(IncidentCloseBody {
            closed_at: i64::MAX,
            incident: IncidentKind::FaceAbsent,
        }),
        i64::MAX,
    );
    log.into_events()
}

#[tokio::test]
async fn odd_times_render_on_every_page_report_and_export() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("vigil.sqlite3");
    let db = vigil_server::db::Db::open_file(&file).await.unwrap();
    let f = fixture_on(db, 0).await;
    let token = f.login(0).await;
    let attempt = f.attempt_id(&token).await;
    let (status, body) = send(f.app(), events_request(&token, 1, &odd_log(&f.genesis[0]))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let cookie = proctor_login(&f, &f.demo.session, "marie").await;
    let s = &f.demo.session;
    for uri in [
        format!("/review/sessions/{s}"),
        format!("/review/attempts/{attempt}"),
        format!("/review/attempts/{attempt}/report"),
        format!("/review/sessions/{s}/results.csv"),
    ] {
        let req = Request::get(&uri)
            .header(header::COOKIE, format!("vigil_review={cookie}"))
            .body(Body::empty())
            .unwrap();
        let res = f.app().oneshot(req).await.unwrap();
        let status = res.status();
        let text = String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec())
            .unwrap();
        assert_eq!(status, StatusCode::OK, "{uri}: {text}");
        // The session's page and export print the server's record of the
        // start, which is inside the window whatever the log claims (#31);
        // the dossier and the report print the log's claims beside it.
        if uri.contains("/attempts/") {
            assert!(
                text.contains("invalid time") || text.contains("heure invalide"),
                "{uri} says what is odd: {text}"
            );
        }
    }
    // The command line reads the same file.
    f.state.db.close().await;
    for args in [
        vec!["results", "export", s.as_str()],
        vec!["attempt", "show", attempt.as_str()],
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_vigil-server"))
            .arg("--db")
            .arg(&file)
            .args(&args)
            .env_remove("VIGIL_DATABASE_URL")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[tokio::test]
async fn a_panicking_handler_answers_500_with_the_usual_body() {
    use vigil_server::harden::{harden, Policies};
    async fn boom() -> &'static str {
        panic!("a bug somewhere");
    }
    let app = harden(
        Router::new().route("/boom", axum::routing::get(boom)),
        Policies::new(None),
    );
    let (status, body) = send(app, Request::get("/boom").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_error(&body, "internal");
}

/// A request from `addr`, as `vigil-server serve` sees it.
fn from(addr: &str, mut req: Request<Body>) -> Request<Body> {
    let addr: SocketAddr = format!("{addr}:40000").parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(addr));
    req
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_wrong_proctor_logins_leave_the_api_answering() {
    let f = fixture().await;
    // A proctor whose password is hashed at production cost.
    vigil_server::review::add_proctor(
        &f.state.db,
        &vigil_server::auth::CodeHashing::default(),
        &f.demo.session,
        "marie",
        NOW,
    )
    .await
    .unwrap();
    let mut logins = Vec::new();
    for i in 0..64 {
        let app = f.app();
        let req = from(
            &format!("127.0.1.{i}"),
            Request::post("/review/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("name=marie&password=WRONG-WRONG-WRONG"))
                .unwrap(),
        );
        logins.push(tokio::spawn(async move {
            app.oneshot(req).await.unwrap().status()
        }));
    }
    let (status, body) = send(
        f.app(),
        Request::get("/api/time").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "answered: {body}");
    for l in logins {
        let status = l.await.unwrap();
        assert!(
            status == StatusCode::UNAUTHORIZED || status == StatusCode::TOO_MANY_REQUESTS,
            "{status}"
        );
    }
    // The flood spent the name's budget across addresses: that only slows
    // a try from elsewhere (the real proctor is never locked out), while
    // each flooding address is refused on its own.
    let elsewhere = from(
        "127.0.2.1",
        Request::post("/review/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("name=marie&password=x"))
            .unwrap(),
    );
    let res = f.app().oneshot(elsewhere).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

fn login_request(f: &Fixture, n: usize, code: &str) -> Request<Body> {
    let c = &f.demo.candidates[n];
    post_json(
        "/api/login",
        json!({"session": f.demo.session, "candidate": c.id, "code": code}),
    )
}

#[tokio::test]
async fn a_stranger_cannot_lock_a_candidate_out() {
    let f = fixture().await;
    let mut last = StatusCode::OK;
    for _ in 0..20 {
        let req = from("127.0.3.66", login_request(&f, 0, "WRONG-CODE"));
        last = send(f.app(), req).await.0;
    }
    assert_eq!(
        last,
        StatusCode::TOO_MANY_REQUESTS,
        "the stranger is slowed"
    );
    let code = f.demo.candidates[0].code.clone();
    let (status, body) = send(f.app(), from("127.0.3.7", login_request(&f, 0, &code))).await;
    assert_eq!(status, StatusCode::OK, "the candidate gets in: {body}");
    // From the stranger's address, even the right code waits.
    let (status, _) = send(f.app(), from("127.0.3.66", login_request(&f, 0, &code))).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn the_probe_is_limited_per_address() {
    let f = fixture().await;
    let probe = || {
        Request::get("/api/probe?bytes=16")
            .body(Body::empty())
            .unwrap()
    };
    let mut statuses = Vec::new();
    for _ in 0..40 {
        let res = f.app().oneshot(from("127.0.4.1", probe())).await.unwrap();
        statuses.push(res.status());
    }
    assert!(statuses[..30].iter().all(|s| *s == StatusCode::OK));
    assert_eq!(statuses[39], StatusCode::TOO_MANY_REQUESTS);
    let other = f.app().oneshot(from("127.0.4.2", probe())).await.unwrap();
    assert_eq!(other.status(), StatusCode::OK);
}

async fn with_quotas(quotas: vigil_server::quota::Quotas) -> Fixture {
    let mut f = fixture().await;
    f.state.quotas = quotas;
    f
}

#[tokio::test]
async fn the_event_quotas_refuse_a_batch_whole() {
    let defaults = vigil_server::quota::Quotas::default();
    let f = with_quotas(vigil_server::quota::Quotas {
        events: 8,
        ..defaults
    })
    .await;
    let token = f.login(0).await;
    let attempt = f.attempt_id(&token).await;
    let log = full_log(&f, 0, NOW, 1);
    assert!(log.len() > 8);
    let (status, body) = send(f.app(), events_request(&token, 1, &log[..8])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = send(f.app(), events_request(&token, 9, &log[8..])).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_error(&body, "quota_events");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("8 events"));
    assert_eq!(f.state.db.events(&attempt).await.unwrap().len(), 8);

    let f = with_quotas(vigil_server::quota::Quotas {
        event_bytes: 2_000,
        ..defaults
    })
    .await;
    let token = f.login(0).await;
    let (status, body) = send(f.app(), events_request(&token, 1, &full_log(&f, 0, NOW, 1))).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_error(&body, "quota_event_bytes");
}

fn put(token: &str, sha: &str, bytes: &[u8], range: Option<String>) -> Request<Body> {
    let mut req = Request::put(format!("/api/attempt/media/{sha}"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    if let Some(r) = range {
        req = req.header(header::CONTENT_RANGE, r);
    }
    req.body(Body::from(bytes.to_vec())).unwrap()
}

fn sha_of(bytes: &[u8]) -> String {
    hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes))
}

#[tokio::test]
async fn the_media_quota_counts_stored_and_partial_uploads() {
    let f = with_quotas(vigil_server::quota::Quotas {
        media_bytes: 100,
        ..Default::default()
    })
    .await;
    let token = f.login(0).await;
    let photo = [7u8; 60];
    let sha = sha_of(&photo);
    name_media(&f, &token, &sha, false).await;
    let (status, _) = send(f.app(), put(&token, &sha, &photo, None)).await;
    assert_eq!(status, StatusCode::OK);
    // 60 stored: another 60 would make 120 > 100. (The attempt's log must
    // name it: a second photo, the face.)
    let face = [8u8; 60];
    let face_sha = sha_of(&face);
    let mut more = EventLog::from_events_with_genesis(
        &f.genesis[0],
        f.state
            .db
            .events(&f.attempt_id(&token).await)
            .await
            .unwrap(),
    )
    .unwrap();
    let from_seq = more.len() as u64 + 1;
    more.append(
        EventKind::IdentityCapture(IdentityCaptureBody {
            media_sha256: face_sha.clone(),
            what: IdentityWhat::Face,
        }),
        NOW + 10,
    );
    let (status, _) = send(
        f.app(),
        events_request(&token, from_seq, &more.events()[from_seq as usize - 1..]),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = send(f.app(), put(&token, &face_sha, &face, None)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_error(&body, "quota_media");
    let (status, body) = send(
        f.app(),
        put(&token, &face_sha, &face[..10], Some("bytes 0-9/60".into())),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
}

#[tokio::test]
async fn a_partial_upload_is_swept_after_the_sync_deadline_and_by_purge() {
    let f = fixture().await;
    let token = f.login(0).await;
    let attempt = f.attempt_id(&token).await;
    let photo = [9u8; 40];
    let sha = sha_of(&photo);
    name_media(&f, &token, &sha, false).await;
    let (status, body) = send(
        f.app(),
        put(&token, &sha, &photo[..10], Some("bytes 0-9/40".into())),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let part = vigil_server::media::partial_path(&f.state.media_dir, &attempt, &sha);
    assert!(part.exists());
    let sweep =
        |now| vigil_server::results::sweep_stale_partials(&f.state.db, &f.state.media_dir, now);
    // Before the sync deadline the upload may still resume.
    assert_eq!(sweep(NOW).await.unwrap(), (0, 0));
    assert!(part.exists());
    // Past any sync deadline (at most 7 days after the end).
    let after = NOW + 8 * 24 * 60 * MIN;
    assert_eq!(sweep(after).await.unwrap(), (1, 10));
    assert!(!part.exists());

    // And once purged, whatever the deadline.
    let f = fixture().await;
    let token = f.login(1).await;
    let attempt = f.attempt_id(&token).await;
    name_media(&f, &token, &sha, false).await;
    send(
        f.app(),
        put(&token, &sha, &photo[..10], Some("bytes 0-9/40".into())),
    )
    .await;
    let part = vigil_server::media::partial_path(&f.state.media_dir, &attempt, &sha);
    f.state
        .db
        .purge_sessions_before(NOW + 1, NOW, false)
        .await
        .unwrap();
    let swept = vigil_server::results::sweep_stale_partials(&f.state.db, &f.state.media_dir, NOW)
        .await
        .unwrap();
    assert_eq!(swept, (1, 10));
    assert!(!part.exists());
}

async fn headers_of(app: Router, req: Request<Body>) -> HeaderMap {
    app.oneshot(req).await.unwrap().headers().clone()
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let mut f = fixture().await;
    let dist = tempfile::tempdir().unwrap();
    let boot = "import init from '/app.js'; await init();";
    std::fs::write(
        dist.path().join("index.html"),
        format!("<html><head><script type=\"module\">{boot}</script></head></html>"),
    )
    .unwrap();
    f.state.static_dir = Some(dist.path().to_owned());
    let get = |uri: &str| Request::get(uri).body(Body::empty()).unwrap();
    let app = headers_of(f.app(), get("/")).await;
    let review = headers_of(f.app(), get("/review/login")).await;
    let api = headers_of(f.app(), get("/api/time")).await;
    let csp = |h: &HeaderMap| {
        h[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .to_owned()
    };
    let boot_hash = {
        use base64::Engine as _;
        let digest = <sha2::Sha256 as sha2::Digest>::digest(boot.as_bytes());
        base64::engine::general_purpose::STANDARD.encode(digest)
    };
    assert!(
        csp(&app).contains(&format!("'sha256-{boot_hash}'")),
        "{}",
        csp(&app)
    );
    assert!(csp(&app).contains("'wasm-unsafe-eval'"));
    assert!(!csp(&app).contains("'unsafe-inline'; ") || csp(&app).contains("style-src-attr"));
    assert!(csp(&review).starts_with("default-src 'none'"));
    assert!(!csp(&review).contains("script-src"));
    assert!(csp(&api).starts_with("default-src 'none'"));
    for h in [&app, &review, &api] {
        assert!(csp(h).contains("frame-ancestors 'none'"));
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(h[header::REFERRER_POLICY], "no-referrer");
        assert!(!h.contains_key(header::STRICT_TRANSPORT_SECURITY));
    }
    let tls = Request::get("/api/time")
        .header("x-forwarded-proto", "https")
        .body(Body::empty())
        .unwrap();
    let h = headers_of(f.app(), tls).await;
    assert!(h[header::STRICT_TRANSPORT_SECURITY]
        .to_str()
        .unwrap()
        .starts_with("max-age="));
}

fn form(uri: &str, cookie: &str, body: &str) -> Request<Body> {
    Request::post(uri)
        .header(header::COOKIE, format!("vigil_review={cookie}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

#[tokio::test]
async fn a_proctor_logout_revokes_the_cookie_on_the_server() {
    let f = fixture().await;
    let cookie = proctor_login(&f, &f.demo.session, "marie").await;
    let csrf = vigil_server::review::Csrf::of_cookie(&cookie).0;
    let index = |c: &str| {
        Request::get("/review")
            .header(header::COOKIE, format!("vigil_review={c}"))
            .body(Body::empty())
            .unwrap()
    };
    let page = f.app().oneshot(index(&cookie)).await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.into_body().collect().await.unwrap().to_bytes();
    assert!(
        String::from_utf8_lossy(&html).contains(&csrf),
        "the form carries its token"
    );
    // Without the token, nothing happens.
    let res = f
        .app()
        .oneshot(form("/review/logout", &cookie, ""))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = f
        .app()
        .oneshot(form("/review/logout", &cookie, &format!("csrf={csrf}")))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(res.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    // A copy of the old cookie opens nothing.
    let res = f.app().oneshot(index(&cookie)).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn review_posts_need_the_token_and_the_same_origin() {
    let f = fixture().await;
    let token = f.login(0).await;
    let attempt = f.attempt_id(&token).await;
    let cookie = proctor_login(&f, &f.demo.session, "marie").await;
    let csrf = vigil_server::review::Csrf::of_cookie(&cookie).0;
    let decide = format!("/review/attempts/{attempt}/decision");
    let res = f
        .app()
        .oneshot(form(&decide, &cookie, "decision=valid"))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "no token");
    let mut cross = form(
        &decide,
        &cookie,
        &format!("decision=valid&comment=ok&csrf={csrf}"),
    );
    cross
        .headers_mut()
        .insert(header::ORIGIN, "https://evil.example".parse().unwrap());
    cross
        .headers_mut()
        .insert(header::HOST, "vigil.example".parse().unwrap());
    assert_eq!(
        f.app().oneshot(cross).await.unwrap().status(),
        StatusCode::FORBIDDEN,
        "another origin"
    );
    assert!(f.state.db.decisions(&attempt).await.unwrap().is_empty());
    // What Chromium sends for our own form under `Referrer-Policy:
    // no-referrer`: `Origin: null`, left to the token.
    let mut null = form(&decide, &cookie, "decision=valid");
    null.headers_mut()
        .insert(header::ORIGIN, "null".parse().unwrap());
    assert_eq!(
        f.app().oneshot(null).await.unwrap().status(),
        StatusCode::FORBIDDEN,
        "null origin, no token"
    );
    let mut same = form(
        &decide,
        &cookie,
        &format!("decision=valid&comment=ok&csrf={csrf}"),
    );
    same.headers_mut()
        .insert(header::ORIGIN, "https://vigil.example".parse().unwrap());
    same.headers_mut()
        .insert(header::HOST, "vigil.example".parse().unwrap());
    assert_eq!(
        f.app().oneshot(same).await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(f.state.db.decisions(&attempt).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_candidate_sign_out_revokes_the_token() {
    let f = fixture().await;
    let token = f.login(0).await;
    let (status, _) = send(f.app(), get_with_token("/api/attempt", &token)).await;
    assert_eq!(status, StatusCode::OK);
    let res = f
        .app()
        .oneshot(post_json_with_token("/api/logout", &token, json!({})))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (status, body) = send(f.app(), get_with_token("/api/attempt", &token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_error(&body, "bad_token");
}

#[tokio::test]
async fn exports_are_safe_to_open_in_a_spreadsheet() {
    let f = fixture().await;
    // An id from before the roster alphabet (the import refuses it now).
    f.state
        .db
        .add_candidate(&f.demo.session, "=HYPERLINK(\"x\")", "hash", "att-evil")
        .await
        .unwrap();
    let csv = vigil_server::results::session_results(&f.state.db, &f.demo.session, NOW)
        .await
        .unwrap()
        .to_csv();
    let line = csv.lines().find(|l| l.contains("HYPERLINK")).unwrap();
    assert!(line.starts_with("\"'=HYPERLINK"), "{line}");
    let refused = import_roster(&f, &f.demo.session, "candidate\n+33612345678\n")
        .await
        .unwrap_err()
        .to_string();
    assert!(refused.contains("line 2"), "{refused}");
}
