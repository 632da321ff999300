//! The harness of `targets/sync_events.rs`: the whole router over an
//! in-memory SQLite database, with a started attempt whose token the
//! fuzzer's bodies are sent with, as a candidate's browser would.
//!
//! The clock moves 250 ms a request (the per-token limit is 4 a second), and
//! the database, the session and the attempt are made afresh every
//! [`FRESH_EVERY`] requests so that a run explores from a clean start again
//! (and the attempt's log stays short).

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use tower::ServiceExt;
use vigil_api::EventsRequest;
use vigil_exam::{
    Answer, Attempt, CheckResult, CheckStatus, Exam, IdentityWhat, Schedule, Side, StartWindow,
};
use vigil_server::auth::CodeHashing;
use vigil_server::blobs::BlobStore;
use vigil_server::clock::FixedClock;
use vigil_server::db::Db;
use vigil_server::{app, demo, rate, AppState};

pub const NOW: i64 = 1_800_000_000_000;
const DEMO_EXAM: &str = include_str!("../../exams/demo-short.toml");
/// Requests before the fixture is made afresh.
pub const FRESH_EVERY: u32 = 2_000;

pub struct Harness {
    runtime: tokio::runtime::Runtime,
    /// The router, built once (building it is most of a request's cost).
    router: Router,
    clock: Arc<FixedClock>,
    token: String,
    /// The attempt's chain genesis.
    pub genesis: String,
    /// Requests sent so far.
    pub sent: u32,
    /// A whole valid attempt for this fixture ([`valid_log`]): the seeds.
    pub log: Vec<vigil_exam::Event>,
}

async fn call(router: &Router, request: Request<Body>) -> (StatusCode, String) {
    let response = router
        .clone()
        .oneshot(request)
        .await
        .expect("the router's service never fails");
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes().to_vec())
        .unwrap_or_default();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

fn post(uri: &str, token: Option<&str>, body: Vec<u8>) -> Request<Body> {
    let mut request = Request::post(uri).header(header::CONTENT_TYPE, "application/json");
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    request.body(Body::from(body)).expect("a valid request")
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

impl Harness {
    /// A fresh database, demo session and started attempt.
    pub fn new() -> Harness {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let clock = Arc::new(FixedClock::new(NOW));
        let media = std::env::temp_dir().join(format!("vigil-fuzz-{}", std::process::id()));
        let state = runtime.block_on(async {
            let db = Db::open_memory().await.expect("in-memory SQLite");
            AppState {
                db,
                clock: clock.clone(),
                static_dir: None,
                hashing: CodeHashing::fast_for_tests(),
                media_dir: media.clone(),
                blobs: BlobStore::Folder(media),
                uploads: Default::default(),
                limits: rate::Limiter::new(clock.clone()),
                quotas: Default::default(),
            }
        });
        let (token, genesis, starts_at_ms, started_at_ms) =
            runtime.block_on(Self::started_attempt(&state));
        let log = valid_log(starts_at_ms, started_at_ms, &genesis);
        Harness {
            runtime,
            router: app(state),
            clock,
            token,
            genesis,
            sent: 0,
            log,
        }
    }

    /// A demo session of one candidate, logged in and started: the token,
    /// the chain genesis, the session's start and the server's start time.
    async fn started_attempt(state: &AppState) -> (String, String, i64, i64) {
        let demo = demo::create_demo(
            &state.db,
            &state.hashing,
            DEMO_EXAM,
            NOW,
            0,
            1,
            "http://fuzz/".into(),
        )
        .await
        .expect("the demo session");
        let router = app(state.clone());
        let c = &demo.candidates[0];
        let login = serde_json::json!({"session": demo.session, "candidate": c.id, "code": c.code});
        let (status, body) =
            call(&router, post("/api/login", None, login.to_string().into())).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let token = json(&body)["token"].as_str().expect("a token").to_owned();
        let (status, body) = call(
            &router,
            post("/api/attempt/start", Some(&token), b"{}".to_vec()),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let started_at_ms = json(&body)["started_at_ms"].as_i64().expect("a start");
        let request = Request::get("/api/attempt")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .expect("a valid request");
        let (status, body) = call(&router, request).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let genesis = json(&body)["chain_genesis"]
            .as_str()
            .expect("a genesis")
            .to_owned();
        (token, genesis, demo.starts_at_ms, started_at_ms)
    }

    /// Sends `body` as the candidate's events; panics on a 5xx answer.
    pub fn send(&mut self, body: Vec<u8>) {
        self.clock.advance(250);
        self.sent += 1;
        let request = post("/api/attempt/events", Some(&self.token), body);
        let (status, answer) = self.runtime.block_on(call(&self.router, request));
        assert!(
            !status.is_server_error(),
            "a candidate's body answered {status}: {answer}"
        );
    }
}

/// The events of `request` chained onto `genesis` (when they start the
/// log) or onto the first event's own `prev_hash`; `None` if a hash cannot
/// be computed (a `prev_hash` that is not hex).
pub fn rechained(mut request: EventsRequest, genesis: &str) -> Option<EventsRequest> {
    let mut prev = match (request.from_seq, request.events.first()) {
        (1, _) => genesis.to_owned(),
        (_, Some(first)) => first.prev_hash.clone(),
        (_, None) => return Some(request),
    };
    for event in &mut request.events {
        event.prev_hash = prev.clone();
        event.hash = vigil_exam::event_hash(&prev, event.seq, event.at, &event.kind)?;
        prev = event.hash.clone();
    }
    Some(request)
}

/// One command of the engine on an attempt.
type Step<'a> = dyn Fn(&mut Attempt) -> Result<vigil_exam::Event, vigil_exam::AttemptError> + 'a;

/// A whole attempt as the app logs it: checks, consent, waiting room,
/// start, identification, one answer, a focus loss, submission.
pub fn valid_log(starts_at_ms: i64, started_at_ms: i64, genesis: &str) -> Vec<vigil_exam::Event> {
    let exam = Exam::from_toml(DEMO_EXAM).expect("the demo exam");
    let window = StartWindow::new(
        &exam,
        &Schedule {
            starts_at_ms,
            grace_ms: None,
        },
    )
    .expect("the demo window");
    let sha = "a".repeat(64);
    let t = started_at_ms - 60_000;
    let mut a = Attempt::with_genesis(genesis);
    let pass = CheckResult {
        detail: String::new(),
        item: "camera".into(),
        status: CheckStatus::Pass,
    };
    let steps: [&Step<'_>; 13] = [
        &|a| a.record_checks(vec![pass.clone()], t),
        &|a| a.consent("v1", &sha, t + 1),
        &|a| a.enter_waiting_room(t + 5),
        &|a| a.start(&exam, &window, false, started_at_ms),
        &|a| a.capture_identity(IdentityWhat::IdDocument, &sha, started_at_ms),
        &|a| a.capture_identity(IdentityWhat::Face, &sha, started_at_ms),
        &|a| a.head_turn(Side::Left, &sha, 40, started_at_ms),
        &|a| a.head_turn(Side::Right, &sha, -40, started_at_ms),
        &|a| a.room_scan(&sha, 30_000, started_at_ms),
        &|a| a.open_questions(&exam, started_at_ms),
        &|a| {
            a.answer(
                &exam,
                "capitale",
                Answer::Single { choice: 1 },
                started_at_ms + 1_000,
            )
        },
        &|a| a.record_focus(false, started_at_ms + 2_000),
        &|a| a.submit(&exam, started_at_ms + 4_000),
    ];
    for step in steps {
        step(&mut a).expect("the demo attempt's steps");
    }
    a.events().to_vec()
}
