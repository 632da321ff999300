//! What the load benches share (`sync`: the server under a whole session
//! syncing; `soak`: the same load while the server is killed): the exam,
//! the attempt a candidate logs, its media, and the release server as its
//! own process.

#![allow(dead_code)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use sha2::{Digest, Sha256};
use vigil_exam::*;

pub(crate) const EXAM: &str = include_str!("../../../../exams/demo-short.toml");

pub(crate) fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Bytes that differ for every candidate and every medium (xorshift).
pub(crate) fn media_bytes(candidate: usize, medium: u64, len: usize) -> Vec<u8> {
    let mut x = (candidate as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (medium + 1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

pub(crate) fn sha_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A whole attempt of ~300 events naming the three media, started at
/// `start_at`: the checks, consent, photos, room scan, then the answers
/// (a candidate changing its mind), and the submission.
pub(crate) fn attempt_log(
    genesis: &str,
    exam: &Exam,
    window: &StartWindow,
    start_at: i64,
    media: &[String; 3],
) -> Vec<Event> {
    let sha = "a".repeat(64);
    let mut a = Attempt::with_genesis(genesis);
    let t = start_at - 60_000;
    a.record_checks(vec![], t).unwrap();
    a.consent("v1", &sha, t + 1).unwrap();
    a.enter_waiting_room(t + 5).unwrap();
    a.start(exam, window, false, start_at).unwrap();
    a.capture_identity(IdentityWhat::IdDocument, &media[0], start_at)
        .unwrap();
    a.capture_identity(IdentityWhat::Face, &media[1], start_at)
        .unwrap();
    // The ear stills: the face photo's blob again (one upload).
    a.head_turn(Side::Left, &media[1], 40, start_at).unwrap();
    a.head_turn(Side::Right, &media[1], -40, start_at).unwrap();
    a.room_scan(&media[2], 20_000, start_at).unwrap();
    a.open_questions(exam, start_at).unwrap();
    let mut at = start_at;
    for i in 0..292u32 {
        at += 200;
        a.answer(exam, "capitale", Answer::Single { choice: i % 4 }, at)
            .unwrap();
    }
    a.submit(exam, at + 200).unwrap();
    a.events().to_vec()
}

pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The engine's start window of a demo session (its own grace).
pub(crate) fn demo_window(exam: &Exam, info: &vigil_server::demo::DemoInfo) -> StartWindow {
    StartWindow::new(
        exam,
        &Schedule {
            starts_at_ms: info.starts_at_ms,
            grace_ms: Some(info.closes_at_ms - info.starts_at_ms),
        },
    )
    .unwrap()
}

/// The load generator's HTTP client: `clients` connections kept, each
/// request given up after `timeout`.
pub(crate) fn http_client(clients: usize, timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .timeout(timeout)
        .build()
        .unwrap()
}

/// The release server, as its own process; killed on drop.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) base: String,
    pub(crate) port: u16,
}

impl Server {
    /// Starts the server on a free port, or on `port` (a restart).
    pub(crate) fn start(
        db_file: Option<&std::path::Path>,
        db_url: Option<&str>,
        media: &std::path::Path,
        port: Option<u16>,
    ) -> Server {
        Self::start_with(db_file, db_url, media, port, &[])
    }

    /// As [`Server::start`], with more environment variables (an object
    /// store: `VIGIL_MEDIA_URL` and the `AWS_*`).
    pub(crate) fn start_with(
        db_file: Option<&std::path::Path>,
        db_url: Option<&str>,
        media: &std::path::Path,
        port: Option<u16>,
        extra: &[(&str, &str)],
    ) -> Server {
        let port = port.unwrap_or_else(|| {
            TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port()
        });
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_vigil-server"));
        match (db_file, db_url) {
            (Some(f), _) => {
                cmd.arg("--db").arg(f).env_remove("VIGIL_DATABASE_URL");
            }
            (None, Some(url)) => {
                cmd.env("VIGIL_DATABASE_URL", url);
            }
            (None, None) => unreachable!(),
        }
        cmd.envs(extra.iter().copied());
        let child = cmd
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .arg("--media-dir")
            .arg(media)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("starting vigil-server");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "vigil-server did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            port,
        }
    }

    /// Peak resident memory of the server process, in MiB.
    pub(crate) fn peak_mib(&self) -> Option<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let kb: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kb / 1024.0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) async fn post(
    client: &reqwest::Client,
    url: String,
    token: Option<&str>,
    body: &Value,
) -> Result<Value, String> {
    let mut req = client.post(&url).json(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.map_err(|e| format!("{url}: {e}"))?;
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        return Err(format!("{url}: {status} {body}"));
    }
    Ok(body)
}
