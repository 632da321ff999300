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
//!
//! **Database restarts.** With `VIGIL_SOAK_PG_CTL=SCRIPT` (PostgreSQL
//! only; `cargo xtask soak` passes its durable cluster's control script),
//! the killer kills the database instead (`SCRIPT stop`: `pg_ctl -m
//! immediate`, as a crash), leaves it down 0.3–2 s, and starts it again
//! (`SCRIPT start`); the server keeps running, answers 503 meanwhile, and
//! must reconnect by itself. The checks are the same.
//!
//! **Replicas.** With `VIGIL_SOAK_REPLICAS=2` (PostgreSQL only), two
//! servers share the database and one S3 bucket (an `s3s-fs` server the
//! soak starts: `VIGIL_SOAK_S3_SERVER`, or the one `cargo xtask setup`
//! installs), each with its own folder for uploads in progress; every
//! candidate's requests alternate between them (a retry goes to the other),
//! and the killer picks a replica at random. Then also: each attempt
//! started once, at the time both replicas answered.

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
    /// The start time every start answer gave (`None` if they differed).
    started_at: Option<i64>,
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
    bases: &Bases,
    make: impl Fn(&str) -> reqwest::RequestBuilder,
) -> Result<Value, String> {
    let deadline = Instant::now() + GIVE_UP;
    loop {
        if let Ok(res) = make(bases.next()).send().await {
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

/// The replicas' addresses; each request of a candidate goes to the next.
struct Bases {
    all: Arc<Vec<String>>,
    turn: std::sync::atomic::AtomicUsize,
}

impl Bases {
    fn next(&self) -> &str {
        let i = self.turn.fetch_add(1, Ordering::Relaxed);
        &self.all[i % self.all.len()]
    }
}

#[allow(clippy::too_many_arguments)]
async fn candidate(
    client: reqwest::Client,
    bases: Arc<Vec<String>>,
    session: String,
    login: demo::CandidateLogin,
    index: usize,
    exam: Arc<Exam>,
    window: StartWindow,
    sizes: [usize; 3],
    retries: Arc<AtomicU64>,
) -> Run {
    let mut run = Run::default();
    let bases = Bases {
        all: bases,
        turn: std::sync::atomic::AtomicUsize::new(index),
    };
    let result: Result<(), String> = async {
        let body = json!({"session": session, "candidate": login.id, "code": login.code});
        let answer = retrying("login", &retries, &bases, |base| {
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
        let start = |base: &str| {
            client
                .post(format!("{base}/api/attempt/start"))
                .bearer_auth(&token)
                .json(&json!({}))
        };
        let started = retrying("start", &retries, &bases, start).await?;
        let started_at = started["started_at_ms"].as_i64().ok_or("no start time")?;
        // Asked again (of the other replica, with several): the same start.
        let again = retrying("start again", &retries, &bases, start).await?;
        run.started_at =
            (again["started_at_ms"].as_i64() == Some(started_at)).then_some(started_at);
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
            let acked = retrying("events", &retries, &bases, |base| {
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
            let held = retrying("media", &retries, &bases, |base| {
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

/// Where the servers keep their data, to start them again on the same.
struct Storage {
    db_file: PathBuf,
    db_url: Option<String>,
    /// Replica `i`'s folder is `media-i`: its uploads in progress, and the
    /// blobs when there is no bucket.
    dir: PathBuf,
    /// The bucket the replicas share (`VIGIL_MEDIA_URL` and the `AWS_*`).
    s3: Option<(S3Server, Vec<(String, String)>)>,
}

impl Storage {
    fn media(&self, replica: usize) -> PathBuf {
        self.dir.join(format!("media-{replica}"))
    }

    fn start(&self, replica: usize, port: Option<u16>) -> Server {
        let env: Vec<(&str, &str)> = self
            .s3
            .iter()
            .flat_map(|(_, env)| env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .collect();
        let media = self.media(replica);
        match &self.db_url {
            Some(url) => Server::start_with(None, Some(url), &media, port, &env),
            None => Server::start_with(Some(&self.db_file), None, &media, port, &env),
        }
    }

    /// Blob `sha` as stored: in the bucket, or in replica 0's folder.
    async fn blob(&self, sha: &str) -> Option<Vec<u8>> {
        match &self.s3 {
            Some((_, env)) => {
                // `AWS_ENDPOINT` → `aws_endpoint`, as the store reads them.
                let settings: Vec<(String, &str)> = env
                    .iter()
                    .filter(|(k, _)| k.starts_with("AWS_"))
                    .map(|(k, v)| (k.to_lowercase(), v.as_str()))
                    .collect();
                let settings: Vec<(&str, &str)> =
                    settings.iter().map(|(k, v)| (k.as_str(), *v)).collect();
                let url = format!("s3://{BUCKET}/media");
                let store = vigil_server::blobs::BlobStore::s3(&url, &settings).ok()?;
                store.read(sha).await.ok().flatten()
            }
            None => std::fs::read(vigil_server::media::blob_path(&self.media(0), sha)).ok(),
        }
    }
}

const BUCKET: &str = "vigil-soak";

/// A throwaway S3 server (`s3s-fs`) over a folder; stopped on drop.
struct S3Server {
    child: std::process::Child,
    _root: tempfile::TempDir,
}

impl S3Server {
    /// The server and the environment the replicas reach it with.
    fn start() -> (S3Server, Vec<(String, String)>) {
        let bin = std::env::var_os("VIGIL_SOAK_S3_SERVER")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/tools/bin/s3s-fs")
            });
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join(BUCKET)).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let (key, secret) = ("vigil-soak", "vigil-soak-secret-key");
        let child = std::process::Command::new(&bin)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", key, "--secret-key", secret])
            .arg(root.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "starting {} (cargo xtask setup installs it): {e}",
                    bin.display()
                )
            });
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the S3 server did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        let env = [
            ("VIGIL_MEDIA_URL", format!("s3://{BUCKET}/media")),
            ("AWS_ENDPOINT", format!("http://127.0.0.1:{port}")),
            ("AWS_ACCESS_KEY_ID", key.to_owned()),
            ("AWS_SECRET_ACCESS_KEY", secret.to_owned()),
            ("AWS_REGION", "us-east-1".to_owned()),
            ("AWS_ALLOW_HTTP", "true".to_owned()),
        ];
        let env = env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        (S3Server { child, _root: root }, env)
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the database's control script (`stop` or `start`).
fn pg_ctl(script: &Path, what: &str) {
    let out = std::process::Command::new(script)
        .arg(what)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{} {what}: {}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Kills a server (or, with `database`, the database) at random moments
/// until `kills` are done or `stop` is set; the time each restart took to
/// listen again (the database: from its kill to its start).
fn killer(
    servers: Arc<Vec<Mutex<Server>>>,
    storage: Arc<Storage>,
    database: Option<PathBuf>,
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
        if let Some(script) = &database {
            let t = Instant::now();
            pg_ctl(script, "stop");
            std::thread::sleep(Duration::from_millis(rng.gen_range(300..2_000)));
            pg_ctl(script, "start");
            restarts.push(t.elapsed());
            continue;
        }
        let replica = rng.gen_range(0..servers.len());
        let mut s = servers[replica].lock().unwrap();
        let t = Instant::now();
        s.child.kill().unwrap();
        s.child.wait().unwrap();
        let port = s.port;
        *s = storage.start(replica, Some(port));
        restarts.push(t.elapsed());
    }
    restarts
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let n = env_usize("VIGIL_BENCH_CANDIDATES", 1_000);
    let clients = env_usize("VIGIL_BENCH_CLIENTS", 64);
    let kills = env_usize("VIGIL_SOAK_KILLS", 20);
    let replicas = env_usize("VIGIL_SOAK_REPLICAS", 1).max(1);
    let database = std::env::var_os("VIGIL_SOAK_PG_CTL").map(PathBuf::from);
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
    assert!(
        (replicas == 1 && database.is_none()) || db_url.is_some(),
        "replicas and database restarts need PostgreSQL: set VIGIL_BENCH_DATABASE_URL"
    );
    let storage = Arc::new(Storage {
        db_file: dir.path().join("soak.sqlite3"),
        db_url,
        dir: dir.path().to_owned(),
        s3: (replicas > 1).then(S3Server::start),
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
    let kind = if replicas > 1 {
        format!("{replicas} replicas on {kind} and one S3 bucket (s3s-fs)")
    } else {
        kind.to_owned()
    };
    let victim = if database.is_some() {
        "the database killed and restarted"
    } else {
        "the server killed and restarted"
    };
    println!(
        "server soak: {n} candidates, {clients} at once, media {} + {} + {} kB, {kind}; \
         {kills} kills ({victim}), seed {seed}",
        sizes[0] / 1024,
        sizes[1] / 1024,
        sizes[2] / 1024
    );

    let servers: Arc<Vec<Mutex<Server>>> = Arc::new(
        (0..replicas)
            .map(|r| Mutex::new(storage.start(r, None)))
            .collect(),
    );
    let bases: Arc<Vec<String>> = Arc::new(
        servers
            .iter()
            .map(|s| s.lock().unwrap().base.clone())
            .collect(),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let killing = {
        let (servers, storage, stop) = (servers.clone(), storage.clone(), stop.clone());
        std::thread::spawn(move || killer(servers, storage, database, kills, seed, stop))
    };

    let exam = Arc::new(Exam::from_toml(EXAM).unwrap());
    let window = demo_window(&exam, &info);
    let client = http_client(clients, Duration::from_secs(60));
    let retries = Arc::new(AtomicU64::new(0));
    let sem = Arc::new(tokio::sync::Semaphore::new(clients));
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for (i, login) in info.candidates.iter().cloned().enumerate() {
        let (client, bases, sem) = (client.clone(), bases.clone(), sem.clone());
        let exam = exam.clone();
        let (session, retries) = (info.session.clone(), retries.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = sem.acquire().await.unwrap();
            candidate(
                client, bases, session, login, i, exam, window, sizes, retries,
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
    drop(servers);

    // What reached the database, read directly.
    let db = open().await;
    let (mut expected, mut stored, mut lost, mut duplicated) = (0usize, 0usize, 0usize, 0usize);
    let (mut media_expected, mut media_whole) = (0usize, 0usize);
    let mut starts_wrong = 0usize;
    let mut flags: BTreeMap<String, usize> = BTreeMap::new();
    let acked: u64 = runs.iter().map(|r| r.acked_seq).sum();
    for run in &runs {
        expected += run.log.len();
        if run.attempt.is_empty() {
            lost += run.log.len();
            continue;
        }
        let recorded = db
            .attempt(&run.attempt)
            .await
            .unwrap()
            .and_then(|a| a.started_at);
        if run.started_at.is_none() || recorded != run.started_at {
            starts_wrong += 1;
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
            let whole = storage.blob(sha).await.map(|b| sha_hex(&b));
            if size == Some(*len) && whole.as_deref() == Some(sha.as_str()) {
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
        "kills: {} of {kills}; back after (kill to listening): median {:.0} ms, max {:.0} ms",
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
    println!("starts: {starts_wrong} attempts whose start answers disagreed with the record");
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
        && crash_flags == 0
        && starts_wrong == 0;
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
