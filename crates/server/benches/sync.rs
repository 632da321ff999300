//! `cargo xtask bench sync`: a national exam's last minute, in one process.
//!
//! N candidates (default 2 000, `VIGIL_BENCH_CANDIDATES`) log in and start;
//! then all of them sync a whole attempt (~100 events each, one batch)
//! at once, `VIGIL_BENCH_CONCURRENCY` requests in flight (default 64),
//! through the real router (`app(state)`, no socket: what is measured is
//! the service and its storage, not the kernel's TCP). Storage: a SQLite
//! file (WAL) in a temporary folder, or PostgreSQL at
//! `VIGIL_BENCH_DATABASE_URL`. Prints logins/s, events/s and the latency
//! of a sync batch (p50, p99, max), and the cost of one login verification
//! at production argon2 cost. Figures only, nothing asserted.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Request};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;
use vigil_exam::*;
use vigil_server::auth::CodeHashing;
use vigil_server::clock::{Clock, SystemClock};
use vigil_server::db::Db;
use vigil_server::{app, demo, AppState};

const EXAM: &str = include_str!("../../../exams/demo-short.toml");

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn json_request(method: &str, uri: &str, token: Option<&str>, body: &Value) -> Request<Body> {
    let mut r = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        r = r.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    r.body(Body::from(body.to_string())).unwrap()
}

async fn call(app: &axum::Router, req: Request<Body>) -> (u16, Value) {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status().as_u16();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// A whole attempt of ~100 events, started at `start_at`.
fn attempt_log(exam: &Exam, window: &StartWindow, start_at: i64) -> Vec<Event> {
    let sha = "a".repeat(64);
    let mut a = Attempt::new();
    let t = start_at - 60_000;
    a.record_checks(vec![], t).unwrap();
    a.consent("v1", &sha, t + 1).unwrap();
    a.capture_identity(IdentityWhat::IdDocument, &sha, t + 2)
        .unwrap();
    a.capture_identity(IdentityWhat::Face, &sha, t + 3).unwrap();
    a.room_scan(&sha, 20_000, t + 4).unwrap();
    a.enter_waiting_room(t + 5).unwrap();
    a.start(exam, window, false, start_at).unwrap();
    let mut at = start_at;
    for i in 0..90u32 {
        at += 500;
        a.answer(exam, "capitale", Answer::Single { choice: i % 4 }, at)
            .unwrap();
    }
    a.submit(exam, at + 500).unwrap();
    a.events().to_vec()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let n = env_usize("VIGIL_BENCH_CANDIDATES", 2_000);
    let concurrency = env_usize("VIGIL_BENCH_CONCURRENCY", 64);
    let dir = tempfile::tempdir().unwrap();
    let (db, storage) = match std::env::var("VIGIL_BENCH_DATABASE_URL") {
        Ok(url) => (Db::open_url(&url).await.unwrap(), "PostgreSQL".to_string()),
        Err(_) => {
            let path = dir.path().join("bench.sqlite3");
            (
                Db::open_file(&path).await.unwrap(),
                "SQLite file (WAL)".to_string(),
            )
        }
    };
    let clock = Arc::new(SystemClock);
    // Registering thousands of codes at production cost would take minutes
    // of set-up; the logins are then measured with production hashing
    // separately (below), on a sample.
    let hashing = CodeHashing::fast_for_tests();
    let now = clock.now_ms();
    let info = demo::create_demo(&db, &hashing, EXAM, now, 0, n, "http://bench/".into())
        .await
        .unwrap();
    let state = AppState {
        db,
        clock,
        static_dir: None,
        hashing,
        media_dir: dir.path().join("media"),
        blobs: vigil_server::blobs::BlobStore::Folder(dir.path().join("media")),
        uploads: Default::default(),
        limits: Default::default(),
    };
    let router = app(state);
    let exam = Exam::from_toml(EXAM).unwrap();
    let window = StartWindow::new(
        &exam,
        &Schedule {
            starts_at_ms: info.starts_at_ms,
            grace_ms: Some(info.closes_at_ms - info.starts_at_ms),
        },
    )
    .unwrap();
    println!("sync bench: {n} candidates, {concurrency} in flight, {storage}");

    // Logins and starts.
    let sem = Arc::new(tokio::sync::Semaphore::new(concurrency));
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for c in info.candidates.iter().cloned() {
        let (router, sem, session) = (router.clone(), sem.clone(), info.session.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = sem.acquire().await.unwrap();
            let body = serde_json::json!({"session": session, "candidate": c.id, "code": c.code});
            let (status, login) =
                call(&router, json_request("POST", "/api/login", None, &body)).await;
            assert_eq!(status, 200, "{login}");
            let token = login["token"].as_str().unwrap().to_owned();
            let (status, _) = call(
                &router,
                json_request(
                    "POST",
                    "/api/attempt/start",
                    Some(&token),
                    &serde_json::json!({}),
                ),
            )
            .await;
            assert_eq!(status, 200);
            token
        }));
    }
    let mut tokens = Vec::new();
    for t in tasks {
        tokens.push(t.await.unwrap());
    }
    let login_s = t0.elapsed().as_secs_f64();
    println!(
        "login + start: {n} in {login_s:.2} s = {:.0} candidates/s (argon2 at test cost)",
        n as f64 / login_s
    );

    // What a login costs at production argon2 (19 MiB, 2 passes), which
    // bounds logins per core: one verification, timed on a sample.
    let production = CodeHashing::default();
    let stored = production.hash("ABCD-EFGH");
    let t0 = Instant::now();
    let samples = 10;
    for _ in 0..samples {
        assert!(production.verify("ABCD-EFGH", &stored));
    }
    let per_login = t0.elapsed().as_secs_f64() / f64::from(samples);
    println!(
        "argon2id at production cost: {:.1} ms per login verification = {:.0} logins/s per core",
        per_login * 1e3,
        1.0 / per_login
    );

    // Everyone syncs a whole attempt at once.
    let start_at = SystemClock.now_ms();
    let log = attempt_log(&exam, &window, start_at);
    let per = log.len();
    let batch = serde_json::to_value(vigil_api::EventsRequest {
        from_seq: 1,
        events: log,
    })
    .unwrap();
    let batch = Arc::new(batch);
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for token in tokens {
        let (router, sem, batch) = (router.clone(), sem.clone(), batch.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = sem.acquire().await.unwrap();
            let t = Instant::now();
            let (status, body) = call(
                &router,
                json_request("POST", "/api/attempt/events", Some(&token), &batch),
            )
            .await;
            assert_eq!(status, 200, "{body}");
            t.elapsed()
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.push(t.await.unwrap());
    }
    let sync_s = t0.elapsed().as_secs_f64();
    lat.sort();
    println!(
        "sync: {n} attempts × {per} events in {sync_s:.2} s = {:.0} events/s, {:.0} attempts/s",
        (n * per) as f64 / sync_s,
        n as f64 / sync_s
    );
    println!(
        "sync batch latency: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(&lat, 0.5).as_secs_f64() * 1e3,
        percentile(&lat, 0.99).as_secs_f64() * 1e3,
        lat.last().unwrap().as_secs_f64() * 1e3
    );
}
