//! `cargo xtask bench sync`: a national exam's last minute, against the
//! release server on loopback.
//!
//! The bench prepares a session of N candidates (default 1 000,
//! `VIGIL_BENCH_CANDIDATES`) in a fresh database — a SQLite file, or
//! PostgreSQL at `VIGIL_BENCH_DATABASE_URL` — then starts the release
//! `vigil-server serve` as its own process on a free loopback port, and
//! plays every candidate as an HTTP client: log in, start, sync a whole
//! attempt of ~300 events in batches of 50 (`VIGIL_BENCH_BATCH`), then PUT
//! its three media (ID photo 90 kB, face photo 70 kB, room scan 1.5 MB by
//! default, `VIGIL_BENCH_SCAN_KB`; different bytes for every candidate, so
//! the content-addressed store cannot share them; `VIGIL_BENCH_MEDIA=0`
//! leaves the media out, to see the event path alone). At most C candidates
//! are active at once (`VIGIL_BENCH_CLIENTS`, default 64: the connections
//! of a load generator; a real fleet spreads its syncs over the minute).
//!
//! Prints events/s, the latency of an event batch (p50, p99, max), the
//! time until every log was acknowledged, media throughput, errors, and
//! the server's peak memory (VmHWM from /proc). Codes are registered at
//! argon2's test cost so the set-up takes seconds; the server verifies them
//! at the cost written in each hash, and one verification at production
//! cost is timed separately. Figures only, nothing asserted.

// Tests and benchmarks may unwrap: a panic is their failure report.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use vigil_exam::*;
use vigil_server::auth::CodeHashing;
use vigil_server::clock::{Clock, SystemClock};
use vigil_server::db::Db;
use vigil_server::demo;

mod load;

use load::*;

/// What one candidate's run measured.
#[derive(Default)]
struct Run {
    batches: Vec<Duration>,
    media: Vec<Duration>,
    media_bytes: u64,
    /// When its last event batch was acknowledged, from the sync start.
    log_done: Duration,
    errors: Vec<String>,
}

#[allow(clippy::too_many_arguments)]
async fn candidate(
    client: reqwest::Client,
    base: Arc<String>,
    session: String,
    login: demo::CandidateLogin,
    index: usize,
    exam: Arc<Exam>,
    window: StartWindow,
    batch: usize,
    sizes: [usize; 3],
    with_media: bool,
    t0: Instant,
) -> Run {
    let mut run = Run::default();
    let result: Result<(), String> = async {
        let body = json!({"session": session, "candidate": login.id, "code": login.code});
        let answer = post(&client, format!("{base}/api/login"), None, &body).await?;
        let token = answer["token"]
            .as_str()
            .ok_or("login answered no token")?
            .to_owned();
        let genesis = answer["attempt"]["chain_genesis"]
            .as_str()
            .ok_or("login answered no chain genesis")?
            .to_owned();
        post(
            &client,
            format!("{base}/api/attempt/start"),
            Some(&token),
            &json!({}),
        )
        .await?;
        let media: Vec<Vec<u8>> = (0..3)
            .map(|m| media_bytes(index, m as u64, sizes[m]))
            .collect();
        let shas = [sha_hex(&media[0]), sha_hex(&media[1]), sha_hex(&media[2])];
        let log = attempt_log(&genesis, &exam, &window, SystemClock.now_ms(), &shas);
        for chunk in log.chunks(batch) {
            let body = serde_json::to_value(vigil_api::EventsRequest {
                from_seq: chunk[0].seq,
                events: chunk.to_vec(),
            })
            .unwrap();
            let t = Instant::now();
            let acked = post(
                &client,
                format!("{base}/api/attempt/events"),
                Some(&token),
                &body,
            )
            .await?;
            run.batches.push(t.elapsed());
            if acked["acked_seq"].as_u64() != Some(chunk.last().unwrap().seq) {
                return Err(format!("batch acked {acked}"));
            }
        }
        run.log_done = t0.elapsed();
        if !with_media {
            return Ok(());
        }
        for (bytes, sha) in media.into_iter().zip(&shas) {
            let len = bytes.len() as u64;
            let t = Instant::now();
            let res = client
                .put(format!("{base}/api/attempt/media/{sha}"))
                .bearer_auth(&token)
                .body(bytes)
                .send()
                .await
                .map_err(|e| format!("media: {e}"))?;
            if !res.status().is_success() {
                return Err(format!(
                    "media: {} {}",
                    res.status(),
                    res.text().await.unwrap_or_default()
                ));
            }
            run.media.push(t.elapsed());
            run.media_bytes += len;
        }
        Ok(())
    }
    .await;
    if let Err(e) = result {
        run.errors.push(e);
    }
    run
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let n = env_usize("VIGIL_BENCH_CANDIDATES", 1_000);
    let clients = env_usize("VIGIL_BENCH_CLIENTS", 64);
    let batch = env_usize("VIGIL_BENCH_BATCH", 50).max(1);
    let sizes = [
        90 * 1024,
        70 * 1024,
        env_usize("VIGIL_BENCH_SCAN_KB", 1_536) * 1024,
    ];
    let with_media = env_usize("VIGIL_BENCH_MEDIA", 1) != 0;
    let dir = tempfile::tempdir().unwrap();
    let db_file = dir.path().join("bench.sqlite3");
    let fresh_url = match std::env::var("VIGIL_BENCH_DATABASE_URL") {
        Ok(cluster) => Some(Db::create_fresh_postgres(&cluster).await.unwrap()),
        Err(_) => None,
    };
    let (db, storage) = match &fresh_url {
        Some(url) => (Db::open_url(url).await.unwrap(), "PostgreSQL"),
        None => (Db::open_file(&db_file).await.unwrap(), "SQLite file (WAL)"),
    };
    let now = SystemClock.now_ms();
    let t0 = Instant::now();
    let info = demo::create_demo(
        &db,
        &CodeHashing::fast_for_tests(),
        EXAM,
        now,
        0,
        n,
        "http://bench/".into(),
    )
    .await
    .unwrap();
    db.close().await;
    println!(
        "sync bench: {n} candidates, {clients} clients at once, batches of {batch} events, \
         {}, {storage}; set-up {:.1} s",
        if with_media {
            format!(
                "media {} + {} + {} kB",
                sizes[0] / 1024,
                sizes[1] / 1024,
                sizes[2] / 1024
            )
        } else {
            "no media".into()
        },
        t0.elapsed().as_secs_f64()
    );
    let server = match &fresh_url {
        Some(url) => Server::start(None, Some(url), &dir.path().join("media"), None),
        None => Server::start(Some(&db_file), None, &dir.path().join("media"), None),
    };
    let base = Arc::new(server.base.clone());

    let exam = Arc::new(Exam::from_toml(EXAM).unwrap());
    let window = demo_window(&exam, &info);
    let client = http_client(clients, Duration::from_secs(120));
    let sem = Arc::new(tokio::sync::Semaphore::new(clients));
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for (i, login) in info.candidates.iter().cloned().enumerate() {
        let (client, base, sem, exam) = (client.clone(), base.clone(), sem.clone(), exam.clone());
        let session = info.session.clone();
        tasks.push(tokio::spawn(async move {
            let _permit = sem.acquire().await.unwrap();
            candidate(
                client, base, session, login, i, exam, window, batch, sizes, with_media, t0,
            )
            .await
        }));
    }
    let mut runs = Vec::new();
    for t in tasks {
        runs.push(t.await.unwrap());
    }
    let total = t0.elapsed();

    let mut batches: Vec<Duration> = runs
        .iter()
        .flat_map(|r| r.batches.iter().copied())
        .collect();
    let mut media: Vec<Duration> = runs.iter().flat_map(|r| r.media.iter().copied()).collect();
    batches.sort();
    media.sort();
    let errors: Vec<&String> = runs.iter().flat_map(|r| &r.errors).collect();
    let logs_done = runs.iter().map(|r| r.log_done).max().unwrap_or_default();
    let per_log = attempt_log(
        vigil_exam::GENESIS_HASH,
        &exam,
        &window,
        SystemClock.now_ms(),
        &[sha_hex(b"1"), sha_hex(b"2"), sha_hex(b"3")],
    )
    .len();
    let exact_events = per_log * runs.iter().filter(|r| r.errors.is_empty()).count();
    let media_mb = runs.iter().map(|r| r.media_bytes).sum::<u64>() as f64 / 1e6;
    let batch_time: f64 = batches.iter().map(Duration::as_secs_f64).sum();
    println!(
        "events: {exact_events} in {} batches; every log acknowledged after {:.2} s",
        batches.len(),
        logs_done.as_secs_f64()
    );
    println!(
        "event throughput: {:.0} events/s until every log was acknowledged \
         ({:.0} events/s of the clients' time spent waiting for event batches)",
        exact_events as f64 / logs_done.as_secs_f64(),
        exact_events as f64 / (batch_time / clients as f64)
    );
    if !batches.is_empty() {
        println!(
            "event batch latency: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            ms(percentile(&batches, 0.5)),
            ms(percentile(&batches, 0.99)),
            ms(*batches.last().unwrap())
        );
    }
    if !media.is_empty() {
        println!(
            "media: {} uploads, {media_mb:.0} MB; PUT p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            media.len(),
            ms(percentile(&media, 0.5)),
            ms(percentile(&media, 0.99)),
            ms(*media.last().unwrap())
        );
    }
    println!(
        "whole run (login, start, events, media): {:.2} s; errors: {}; server peak memory: {}",
        total.as_secs_f64(),
        errors.len(),
        server
            .peak_mib()
            .map(|m| format!("{m:.0} MiB"))
            .unwrap_or_else(|| "unknown".into())
    );
    for e in errors.iter().take(5) {
        println!("  error: {e}");
    }

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
}
