//! Shared fixture of the server's integration tests: a fresh database
//! (in-memory SQLite, or PostgreSQL with `VIGIL_TEST_DATABASE_URL`) with a
//! demo session, a fixed clock, a temporary media folder,
//! and helpers to send requests through `app(state)` with `oneshot`.
#![allow(dead_code)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;
use vigil_server::auth::CodeHashing;
use vigil_server::clock::FixedClock;
use vigil_server::db::Db;
use vigil_server::demo::{self, DemoInfo};
use vigil_server::{app, AppState};

pub(crate) const NOW: i64 = 1_800_000_000_000;
pub(crate) const DEMO_EXAM: &str = include_str!("../../../../exams/demo-short.toml");

pub(crate) struct Fixture {
    pub state: AppState,
    pub clock: Arc<FixedClock>,
    pub demo: DemoInfo,
    pub media: tempfile::TempDir,
    /// The chain genesis of each demo candidate's attempt, by index.
    pub genesis: Vec<String>,
}

/// The database of one test: a fresh database on the PostgreSQL cluster of
/// `VIGIL_TEST_DATABASE_URL` when set (`cargo xtask test` starts one), else
/// a private in-memory SQLite database.
pub(crate) async fn test_db() -> Db {
    match std::env::var("VIGIL_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Db::open_fresh_postgres(&url).await.unwrap(),
        _ => Db::open_memory().await.unwrap(),
    }
}

/// A demo session of 3 candidates whose window opens `start_in_ms` after `NOW`.
pub(crate) async fn fixture_starting_in(start_in_ms: i64) -> Fixture {
    fixture_on(test_db().await, start_in_ms).await
}

/// The fixture on a given database (a SQLite file the command line can
/// read too, say).
pub(crate) async fn fixture_on(db: Db, start_in_ms: i64) -> Fixture {
    fixture_with_exam(db, DEMO_EXAM, start_in_ms).await
}

/// The fixture with another exam definition (TOML) than the demo's.
pub(crate) async fn fixture_with_exam(db: Db, exam_toml: &str, start_in_ms: i64) -> Fixture {
    let clock = Arc::new(FixedClock::new(NOW));
    let hashing = CodeHashing::fast_for_tests();
    let demo = demo::create_demo(
        &db,
        &hashing,
        exam_toml,
        NOW,
        start_in_ms,
        3,
        "http://test/".into(),
    )
    .await
    .unwrap();
    let mut genesis = Vec::new();
    for c in &demo.candidates {
        let row = db.candidate(&demo.session, &c.id).await.unwrap().unwrap();
        let attempt = db.attempt(&row.attempt_id).await.unwrap().unwrap();
        genesis.push(attempt.genesis());
    }
    let media = tempfile::tempdir().unwrap();
    let state = AppState {
        db,
        clock: clock.clone(),
        static_dir: None,
        hashing,
        media_dir: media.path().to_owned(),
        blobs: vigil_server::blobs::BlobStore::Folder(media.path().to_owned()),
        uploads: Default::default(),
        limits: vigil_server::rate::Limiter::new(clock.clone()),
        quotas: Default::default(),
    };
    Fixture {
        state,
        clock,
        demo,
        media,
        genesis,
    }
}

pub(crate) async fn fixture() -> Fixture {
    fixture_starting_in(0).await
}

impl Fixture {
    pub(crate) fn app(&self) -> Router {
        app(self.state.clone())
    }

    pub(crate) async fn login(&self, n: usize) -> String {
        let c = &self.demo.candidates[n];
        let (status, body) = send(
            self.app(),
            post_json(
                "/api/login",
                serde_json::json!({"session": self.demo.session, "candidate": c.id, "code": c.code}),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["token"].as_str().unwrap().to_owned()
    }

    /// The chain genesis of the attempt behind a token.
    pub(crate) async fn genesis_of(&self, token: &str) -> String {
        let (status, body) = send(self.app(), get_with_token("/api/attempt", token)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["chain_genesis"].as_str().unwrap().to_owned()
    }

    /// The attempt id behind a token.
    pub(crate) async fn attempt_id(&self, token: &str) -> String {
        let (status, body) = send(self.app(), get_with_token("/api/attempt", token)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }
}

pub(crate) fn post_json(uri: &str, body: Value) -> Request<Body> {
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

pub(crate) fn post_json_with_token(uri: &str, token: &str, body: Value) -> Request<Body> {
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from(body.to_string()))
        .unwrap()
}

pub(crate) fn get_with_token(uri: &str, token: &str) -> Request<Body> {
    Request::get(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap()
}

pub(crate) async fn send(app: Router, req: Request<Body>) -> (StatusCode, Value) {
    let res = app.oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| panic!("not JSON ({status}): {}", String::from_utf8_lossy(&bytes)));
    (status, body)
}

pub(crate) fn assert_error(body: &Value, code: &str) {
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

/// The kinds of an attempt's review flags, oldest first.
pub(crate) async fn flag_kinds(f: &Fixture, attempt: &str) -> Vec<String> {
    f.state
        .db
        .flags(attempt)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.kind)
        .collect()
}

/// Candidate `n`'s attempt built with the engine up to the waiting room:
/// checks and consent, from `t` (identification comes after the start).
pub(crate) fn waiting_attempt(f: &Fixture, n: usize, t: i64) -> vigil_exam::Attempt {
    use vigil_exam::*;
    let sha = "a".repeat(64);
    let mut a = Attempt::with_genesis(&f.genesis[n]);
    let pass = |item: &str| CheckResult {
        detail: String::new(),
        item: item.into(),
        status: CheckStatus::Pass,
    };
    a.record_checks(vec![pass("camera")], t).unwrap();
    a.consent("v1", &sha, t + 1).unwrap();
    a.enter_waiting_room(t + 5).unwrap();
    a
}

/// The identification steps after the start, all at `t` and all named
/// `a…a` (ID, face, both ears, room scan), then the questions open at `t`.
pub(crate) fn identify_and_open(a: &mut vigil_exam::Attempt, exam: &vigil_exam::Exam, t: i64) {
    use vigil_exam::*;
    let sha = "a".repeat(64);
    a.capture_identity(IdentityWhat::IdDocument, &sha, t)
        .unwrap();
    a.capture_identity(IdentityWhat::Face, &sha, t).unwrap();
    a.head_turn(Side::Left, &sha, 40, t).unwrap();
    a.head_turn(Side::Right, &sha, -40, t).unwrap();
    a.room_scan(&sha, 30_000, t).unwrap();
    a.open_questions(exam, t).unwrap();
}

/// The demo exam, as the engine reads it.
pub(crate) fn demo_exam() -> vigil_exam::Exam {
    vigil_exam::Exam::from_toml(DEMO_EXAM).unwrap()
}

/// The engine's start window of a fixture's demo session.
pub(crate) fn demo_window(f: &Fixture) -> vigil_exam::StartWindow {
    vigil_exam::StartWindow::new(
        &demo_exam(),
        &vigil_exam::Schedule {
            starts_at_ms: f.demo.starts_at_ms,
            grace_ms: Some(f.demo.closes_at_ms - f.demo.starts_at_ms),
        },
    )
    .unwrap()
}

/// A whole attempt of demo candidate `n` built with the engine: checks,
/// consent, identity, room scan, waiting room, start at `start_at`,
/// `answer` to the first question, then submit. About a dozen events.
pub(crate) fn full_log(
    f: &Fixture,
    n: usize,
    start_at: i64,
    answer: usize,
) -> Vec<vigil_exam::Event> {
    use vigil_exam::*;
    let exam = demo_exam();
    let window = demo_window(f);
    let mut a = waiting_attempt(f, n, start_at - 60_000);
    a.start(&exam, &window, false, start_at).unwrap();
    identify_and_open(&mut a, &exam, start_at);
    a.answer(
        &exam,
        "capitale",
        Answer::Single {
            choice: answer as u32,
        },
        start_at + 1_000,
    )
    .unwrap();
    a.record_focus(false, start_at + 2_000).unwrap();
    a.record_focus(true, start_at + 3_000).unwrap();
    a.submit(&exam, start_at + 4_000).unwrap();
    a.events().to_vec()
}

/// `POST /api/attempt/events` with `events[from_seq - 1 ..]` taken from a log.
pub(crate) fn events_request(
    token: &str,
    from_seq: u64,
    events: &[vigil_exam::Event],
) -> Request<Body> {
    let req = vigil_api::EventsRequest {
        from_seq,
        events: events.to_vec(),
    };
    post_json_with_token(
        "/api/attempt/events",
        token,
        serde_json::to_value(&req).unwrap(),
    )
}

/// Starts `token`'s attempt on the server (at the fixture's clock, if not
/// started yet) and syncs the start of a log that names `sha` as an
/// identity photo (`scan = false`) or as the room-scan video (`scan =
/// true`): the server takes only media its synced log names.
pub(crate) async fn name_media(f: &Fixture, token: &str, sha: &str, scan: bool) {
    use vigil_exam::*;
    let (_, started) = send(
        f.app(),
        post_json_with_token("/api/attempt/start", token, serde_json::json!({})),
    )
    .await;
    let start_at = started["started_at_ms"].as_i64().unwrap_or(NOW);
    let other = "f".repeat(64);
    let mut a = Attempt::with_genesis(&f.genesis_of(token).await);
    let t = start_at - 60_000;
    a.record_checks(vec![], t).unwrap();
    a.consent("v1", &other, t + 1).unwrap();
    a.enter_waiting_room(t + 2).unwrap();
    a.start(&demo_exam(), &demo_window(f), false, start_at)
        .unwrap();
    let t = start_at;
    if scan {
        a.capture_identity(IdentityWhat::IdDocument, &other, t + 2)
            .unwrap();
        a.capture_identity(IdentityWhat::Face, &other, t + 3)
            .unwrap();
        a.room_scan(sha, 20_000, t + 4).unwrap();
    } else {
        a.capture_identity(IdentityWhat::IdDocument, sha, t + 2)
            .unwrap();
    }
    let (status, body) = send(f.app(), events_request(token, 1, a.events())).await;
    assert_eq!(status, axum::http::StatusCode::OK, "{body}");
}

/// Creates proctor `name` for `session`, logs in through `/review/login`,
/// and returns the login cookie's value.
pub(crate) async fn proctor_login(f: &Fixture, session: &str, name: &str) -> String {
    let password =
        vigil_server::review::add_proctor(&f.state.db, &f.state.hashing, session, name, NOW)
            .await
            .unwrap()
            .unwrap();
    let req = Request::post("/review/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("name={name}&password={password}")))
        .unwrap();
    let res = f.app().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let set = res.headers()[header::SET_COOKIE].to_str().unwrap();
    set.strip_prefix("vigil_review=")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

/// `roster::import` of `csv` into `session` at `NOW`, without `--force`.
pub(crate) async fn import_roster(
    f: &Fixture,
    session: &str,
    csv: &str,
) -> anyhow::Result<vigil_server::roster::Imported> {
    let options = vigil_server::roster::Options {
        now: NOW,
        force: None,
    };
    vigil_server::roster::import(&f.state.db, &f.state.hashing, session, csv, &options).await
}

/// The attempt id of `candidate` in `session`.
pub(crate) async fn attempt_of(f: &Fixture, session: &str, candidate: &str) -> String {
    f.state
        .db
        .candidate(session, candidate)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no candidate {candidate} in {session}"))
        .attempt_id
}

/// Another session of the demo exam, starting at `starts_at`.
pub(crate) async fn demo_session_at(f: &Fixture, starts_at: i64) -> String {
    vigil_server::demo::create_session(&f.state.db, "demo-short", starts_at, 0, NOW)
        .await
        .unwrap()
        .session
        .id
}
