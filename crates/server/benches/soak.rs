//! `cargo xtask soak server --kills N`: the sync bench's load while the
//! server is killed (SIGKILL) at random moments and started again; then
//! a count of what reached the database.
//!
//! The load is the sync bench's ([`load`]): N candidates (default 1 000,
//! `VIGIL_BENCH_CANDIDATES`), at most C at once (`VIGIL_BENCH_CLIENTS`,
//! 64), each logging in, starting, syncing a whole attempt of ~300 events
//! in batches of 50 and uploading three media (90 kB, 70 kB and a room scan
//! of `VIGIL_BENCH_SCAN_KB`, 1 536 by default). The clients retry as the
//! app does: a request that gets no answer (the connection refused or cut)
//! or a 5xx / 429 is sent again after a short pause, the same request, so
//! a batch the server committed before it died is sent twice. Meanwhile a
//! killer thread waits a random 0.2–1.2 s, kills the server with SIGKILL,
//! starts it again on the same port, database and media folder, and does it
//! again, `VIGIL_SOAK_KILLS` times (20 by default; seed `VIGIL_SOAK_SEED`).
//!
//! Then the server is stopped and the database read directly: every event
//! of every candidate must be stored exactly once (the same seq, the same
//! hash), every media blob recorded at its size and whole on disk (its
//! SHA-256 checked), and no `tampering`, `replay_failed`, `out_of_order` or
//! `time_mismatch` flag raised by the crashes. The figures are printed; any
//! loss, duplicate or such flag fails the run (exit status 1). On SQLite,
//! or on PostgreSQL at `VIGIL_BENCH_DATABASE_URL`.

// Tests and benchmarks may unwrap: a panic is their failure report.
#![allow(clippy::unwrap_used)]

mod load;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use load::*;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use vigil_exam::*;
use vigil_server::auth::CodeHashing;
use vigil_server::clock::{Clock, SystemClock};
use vigil_server::db::Db;
use vigil_server::demo;

/// How long a client keeps retrying one request before it gives up.
const GIVE_UP: Duration = Duration::from_secs(300);

/// Flags that only a broken log or a lost write could raise.
const CRASH_FLAGS: [&str; 4] = [
    "tampering",
    "replay_failed",
    "out_of_order",
    "time_mismatch",
];

/// One candidate's run: what it sent and what the server acknowledged.
#[derive(Default)]
struct Run {
    attempt: String,
    log: Vec<Event>,
    acked_seq: u64,
    media: Vec<(String, u64)>,
    error: Option<String>,
}

/// Sends the request `make` builds until the server answers it with a
/// success (its JSON body), retrying on no answer, a cut answer, a 5xx or a
/// 429; a 4xx other than 429 is a failure. Counts retries in `retries`.
async fn retrying(
    what: &str,
    retries: &AtomicU64,
    make: impl Fn() -> reqwest::RequestBuilder,
) -> Result<Value, String> {
    let deadline = Instant::now() + GIVE_UP;
    loop {
        if let Ok(res) = make().send().await {
            let status = res.status();
            if status.is_success() {
                if let Ok(body) = res.json::<Value>().await {
                    return Ok(body);
                }
            } else if !(status.is_server_error() || status.as_u16() == 429) {
                let body = res.text().await.unwrap_or_default();
                return Err(format!("{what}: {status} {body}"));
            }
        }
        if Instant::now() > deadline {
            return Err(format!("{what}: no answer in {} s", GIVE_UP.as_secs()));
        }
        retries.fetch_add(1, Ordering::Relaxed);
        let pause = rand::thread_rng().gen_range(100..400);
        tokio::time::sleep(Duration::from_millis(pause)).await;
    }
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
    sizes: [usize; 3],
    retries: Arc<AtomicU64>,
) -> Run {
    let mut run = Run::default();
    let result: Result<(), String> = async {
        let body = json!({"session": session, "candidate": login.id, "code": login.code});
        let answer = retrying("login", &retries, || {
            client.post(format!("{base}/api/login")).json(&body)
        })
        .await?;
        let token = answer["token"].as_str().ok_or("no token")?.to_owned();
        let genesis = answer["attempt"]["chain_genesis"]
            .as_str()
            .ok_or("no chain genesis")?
            .to_owned();
        run.attempt = answer["attempt"]["id"]
            .as_str()
            .ok_or("no attempt id")?
            .to_owned();
        let started = retrying("start", &retries, || {
            client
                .post(format!("{base}/api/attempt/start"))
                .bearer_auth(&token)
                .json(&json!({}))
        })
        .await?;
        let started_at = started["started_at_ms"].as_i64().ok_or("no start time")?;
        let media: Vec<Vec<u8>> = (0..3)
            .map(|m| media_bytes(index, m as u64, sizes[m]))
            .collect();
        let shas = [sha_hex(&media[0]), sha_hex(&media[1]), sha_hex(&media[2])];
        run.log = attempt_log(&genesis, &exam, &window, started_at, &shas);
        for chunk in run.log.chunks(50) {
            let body = serde_json::to_value(vigil_api::EventsRequest {
                from_seq: chunk[0].seq,
                events: chunk.to_vec(),
            })
            .unwrap();
            let acked = retrying("events", &retries, || {
                client
                    .post(format!("{base}/api/attempt/events"))
                    .bearer_auth(&token)
                    .json(&body)
            })
            .await?;
            let last = chunk.last().map(|e| e.seq).unwrap_or_default();
            match acked["acked_seq"].as_u64() {
                Some(seq) if seq >= last => run.acked_seq = seq,
                _ => return Err(format!("batch to {last} acked {acked}")),
            }
        }
        for (bytes, sha) in media.into_iter().zip(&shas) {
            let len = bytes.len() as u64;
            let held = retrying("media", &retries, || {
                client
                    .put(format!("{base}/api/attempt/media/{sha}"))
                    .bearer_auth(&token)
                    .body(bytes.clone())
            })
            .await?;
            if held["complete"] != true {
                return Err(format!("media {sha}: {held}"));
            }
            run.media.push((sha.clone(), len));
        }
        Ok(())
    }
    .await;
    run.error = result.err();
    run
}

/// Where the server keeps its data, to start it again on the same.
struct Storage {
    db_file: PathBuf,
    db_url: Option<String>,
    media: PathBuf,
}

impl Storage {
    fn start(&self, port: Option<u16>) -> Server {
        match &self.db_url {
            Some(url) => Server::start(None, Some(url), &self.media, port),
            None => Server::start(Some(&self.db_file), None, &self.media, port),
        }
    }
}

/// Kills the server at random moments until `kills` are done or `stop` is
/// set; the time each restart took to listen again.
fn killer(
    server: Arc<Mutex<Server>>,
    storage: Arc<Storage>,
    kills: usize,
    seed: u64,
    stop: Arc<AtomicBool>,
) -> Vec<Duration> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut restarts = Vec::new();
    while restarts.len() < kills {
        std::thread::sleep(Duration::from_millis(rng.gen_range(200..1_200)));
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let mut s = server.lock().unwrap();
        let t = Instant::now();
        s.child.kill().unwrap();
        s.child.wait().unwrap();
        let port = s.port;
        *s = storage.start(Some(port));
        restarts.push(t.elapsed());
    }
    restarts
}

fn file_sha(path: &Path) -> Option<String> {
    std::fs::read(path).ok().map(|b| sha_hex(&b))
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let n = env_usize("VIGIL_BENCH_CANDIDATES", 1_000);
    let clients = env_usize("VIGIL_BENCH_CLIENTS", 64);
    let kills = env_usize("VIGIL_SOAK_KILLS", 20);
    let seed = std::env::var("VIGIL_SOAK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::thread_rng().gen());
    let sizes = [
        90 * 1024,
        70 * 1024,
        env_usize("VIGIL_BENCH_SCAN_KB", 1_536) * 1024,
    ];
    let dir = tempfile::tempdir().unwrap();
    let db_url = match std::env::var("VIGIL_BENCH_DATABASE_URL") {
        Ok(cluster) => Some(Db::create_fresh_postgres(&cluster).await.unwrap()),
        Err(_) => None,
    };
    let storage = Arc::new(Storage {
        db_file: dir.path().join("soak.sqlite3"),
        db_url,
        media: dir.path().join("media"),
    });
    let open = || async {
        match &storage.db_url {
            Some(url) => Db::open_url(url).await.unwrap(),
            None => Db::open_file(&storage.db_file).await.unwrap(),
        }
    };
    let db = open().await;
    let info = demo::create_demo(
        &db,
        &CodeHashing::fast_for_tests(),
        EXAM,
        SystemClock.now_ms(),
        0,
        n,
        "http://soak/".into(),
    )
    .await
    .unwrap();
    db.close().await;
    let kind = if storage.db_url.is_some() {
        "PostgreSQL"
    } else {
        "SQLite file (WAL)"
    };
    println!(
        "server soak: {n} candidates, {clients} at once, media {} + {} + {} kB, {kind}; \
         {kills} kills, seed {seed}",
        sizes[0] / 1024,
        sizes[1] / 1024,
        sizes[2] / 1024
    );

    let server = Arc::new(Mutex::new(storage.start(None)));
    let base = Arc::new(server.lock().unwrap().base.clone());
    let stop = Arc::new(AtomicBool::new(false));
    let killing = {
        let (server, storage, stop) = (server.clone(), storage.clone(), stop.clone());
        std::thread::spawn(move || killer(server, storage, kills, seed, stop))
    };

    let exam = Arc::new(Exam::from_toml(EXAM).unwrap());
    let window = StartWindow::new(
        &exam,
        &Schedule {
            starts_at_ms: info.starts_at_ms,
            grace_ms: Some(info.closes_at_ms - info.starts_at_ms),
        },
    )
    .unwrap();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let retries = Arc::new(AtomicU64::new(0));
    let sem = Arc::new(tokio::sync::Semaphore::new(clients));
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for (i, login) in info.candidates.iter().cloned().enumerate() {
        let (client, base, sem, exam) = (client.clone(), base.clone(), sem.clone(), exam.clone());
        let (session, retries) = (info.session.clone(), retries.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = sem.acquire().await.unwrap();
            candidate(
                client, base, session, login, i, exam, window, sizes, retries,
            )
            .await
        }));
    }
    let mut runs = Vec::new();
    for t in tasks {
        runs.push(t.await.unwrap());
    }
    let load_s = t0.elapsed().as_secs_f64();
    stop.store(true, Ordering::SeqCst);
    let mut restarts = killing.join().unwrap();
    drop(server);

    // What reached the database, read directly.
    let db = open().await;
    let (mut expected, mut stored, mut lost, mut duplicated) = (0usize, 0usize, 0usize, 0usize);
    let (mut media_expected, mut media_whole) = (0usize, 0usize);
    let mut flags: BTreeMap<String, usize> = BTreeMap::new();
    let acked: u64 = runs.iter().map(|r| r.acked_seq).sum();
    for run in &runs {
        expected += run.log.len();
        if run.attempt.is_empty() {
            lost += run.log.len();
            continue;
        }
        let held = db.events(&run.attempt).await.unwrap();
        stored += held.len();
        let mut by_seq: BTreeMap<u64, usize> = BTreeMap::new();
        for e in &held {
            *by_seq.entry(e.seq).or_default() += 1;
        }
        duplicated += by_seq.values().filter(|&&c| c > 1).count();
        for e in &run.log {
            if !held.iter().any(|h| h.seq == e.seq && h.hash == e.hash) {
                lost += 1;
            }
        }
        for (sha, len) in &run.media {
            media_expected += 1;
            let size = db.media_size(&run.attempt, sha).await.unwrap();
            let blob = vigil_server::media::blob_path(&storage.media, sha);
            if size == Some(*len) && file_sha(&blob).as_deref() == Some(sha.as_str()) {
                media_whole += 1;
            }
        }
        for f in db.flags(&run.attempt).await.unwrap() {
            *flags.entry(f.kind).or_default() += 1;
        }
    }
    db.close().await;
    let errors: Vec<&String> = runs.iter().filter_map(|r| r.error.as_ref()).collect();
    restarts.sort();
    let crash_flags: usize = CRASH_FLAGS
        .iter()
        .map(|k| flags.get(*k).copied().unwrap_or(0))
        .sum();

    println!(
        "kills: {} of {kills}; restart to listening: median {:.0} ms, max {:.0} ms",
        restarts.len(),
        restarts
            .get(restarts.len() / 2)
            .map(|d| ms(*d))
            .unwrap_or(0.0),
        restarts.last().map(|d| ms(*d)).unwrap_or(0.0)
    );
    println!(
        "load: {load_s:.1} s, {} requests retried, {} candidates failed",
        retries.load(Ordering::Relaxed),
        errors.len()
    );
    println!(
        "events: {expected} sent, {acked} acknowledged, {stored} stored; lost {lost}, \
         duplicated {duplicated}"
    );
    println!("media: {media_whole} of {media_expected} stored whole and verified");
    println!("flags: {flags:?}; raised by the crashes: {crash_flags}");
    for e in errors.iter().take(5) {
        println!("  error: {e}");
    }
    let ok = restarts.len() == kills
        && errors.is_empty()
        && lost == 0
        && duplicated == 0
        && stored == expected
        && media_whole == media_expected
        && media_expected == 3 * n
        && crash_flags == 0;
    if !ok {
        println!(
            "SOAK FAILED{}",
            if restarts.len() < kills {
                ": the load ended before every kill (more candidates, or fewer kills)"
            } else {
                ""
            }
        );
        std::process::exit(1);
    }
    println!("soak passed: nothing lost, nothing duplicated");
}
