//! `cargo xtask bench login`: how long a real candidate's login takes while
//! wrong codes flood the server, against the release server on loopback.
//!
//! The bench registers a session of `VIGIL_BENCH_CANDIDATES` (default 150)
//! candidates at argon2's production cost, starts the release
//! `vigil-server serve` as its own process, and runs three rounds: no
//! flood; one flooding address; ten flooding addresses (each a loopback
//! address of its own, 127.0.N.M, which Linux routes to `lo`). A flooding
//! address runs `VIGIL_BENCH_FLOOD_CLIENTS` (default 16) connections in a
//! loop, each sending wrong codes over 120 ids (the real ones first, then
//! made-up ones: #31's jamming attack). Meanwhile the candidates log in
//! with their right codes from an address of their own, one every 300 ms,
//! and the bench prints their latency (p50, max), and what the flood got
//! (answers by status, and how many were hashed: 401s). Figures only,
//! nothing asserted.

// Tests and benchmarks may unwrap: a panic is their failure report.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use vigil_server::auth::CodeHashing;
use vigil_server::clock::{Clock, SystemClock};
use vigil_server::db::Db;
use vigil_server::demo::{self, CandidateLogin};

mod load;

use load::*;

/// One round's figures.
struct Round {
    legit: Vec<Duration>,
    legit_failed: usize,
    flood: BTreeMap<u16, usize>,
    flood_secs: f64,
}

fn client_from(addr: IpAddr) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(addr)
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap()
}

async fn round(
    base: &str,
    session: &str,
    flooders: &[IpAddr],
    ids: &[String],
    legit: &[CandidateLogin],
    legit_from: IpAddr,
    clients: usize,
) -> Round {
    let stop = Arc::new(AtomicBool::new(false));
    let flood = Arc::new(Mutex::new(BTreeMap::<u16, usize>::new()));
    let mut tasks = Vec::new();
    for addr in flooders {
        let client = client_from(*addr);
        for c in 0..clients {
            let (client, stop, flood) = (client.clone(), stop.clone(), flood.clone());
            let (url, session, ids) = (
                format!("{base}/api/login"),
                session.to_owned(),
                ids.to_vec(),
            );
            tasks.push(tokio::spawn(async move {
                let mut i = c;
                while !stop.load(Ordering::Relaxed) {
                    let body = json!({"session": session, "candidate": ids[i % ids.len()], "code": "WRONG-CODE"});
                    let status = match client.post(&url).json(&body).send().await {
                        Ok(r) => r.status().as_u16(),
                        Err(_) => 0,
                    };
                    *flood.lock().unwrap().entry(status).or_default() += 1;
                    i += clients;
                }
            }));
        }
    }
    let t0 = Instant::now();
    if !flooders.is_empty() {
        // Let the flood spend its budgets and fill the queues first.
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    let client = client_from(legit_from);
    let mut times = Vec::new();
    let mut failed = 0;
    for c in legit {
        let body = json!({"session": session, "candidate": c.id, "code": c.code});
        let t = Instant::now();
        let ok = client
            .post(format!("{base}/api/login"))
            .json(&body)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        times.push(t.elapsed());
        failed += usize::from(!ok);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    times.sort();
    let flood = flood.lock().unwrap().clone();
    Round {
        legit: times,
        legit_failed: failed,
        flood,
        flood_secs: t0.elapsed().as_secs_f64(),
    }
}

fn print(name: &str, r: &Round) {
    let flood_total: usize = r.flood.values().sum();
    let statuses: Vec<String> = r.flood.iter().map(|(s, n)| format!("{s}: {n}")).collect();
    println!(
        "{name}: a real login p50 {:.0} ms, max {:.0} ms over {} logins ({} failed); the flood \
         sent {flood_total} tries in {:.1} s ({:.0}/s), answered {}; hashed (401): {}",
        ms(percentile(&r.legit, 0.5)),
        ms(*r.legit.last().unwrap()),
        r.legit.len(),
        r.legit_failed,
        r.flood_secs,
        flood_total as f64 / r.flood_secs,
        if statuses.is_empty() {
            "-".to_owned()
        } else {
            statuses.join(", ")
        },
        r.flood.get(&401).copied().unwrap_or(0),
    );
}

#[tokio::main]
async fn main() {
    let n = env_usize("VIGIL_BENCH_CANDIDATES", 150);
    let clients = env_usize("VIGIL_BENCH_FLOOD_CLIENTS", 16);
    let dir = tempfile::tempdir().unwrap();
    let db_file = dir.path().join("bench.sqlite3");
    let db = Db::open_file(&db_file).await.unwrap();
    let t0 = Instant::now();
    let hashing = CodeHashing::default();
    let info = demo::create_demo(
        &db,
        &hashing,
        EXAM,
        SystemClock.now_ms(),
        0,
        n,
        "http://bench/".into(),
    )
    .await
    .unwrap();
    db.close().await;
    let t = Instant::now();
    hashing.verify("WRONG-CODE", &hashing.hash("RIGHT-CODE"));
    let one_hash = t.elapsed();
    println!(
        "login bench: {n} candidates (argon2 at production cost: one verification {:.1} ms), \
         {clients} connections per flooding address; set-up {:.1} s",
        ms(one_hash),
        t0.elapsed().as_secs_f64()
    );
    let server = Server::start(Some(&db_file), None, &dir.path().join("media"), None);
    // The flood's ids: the real ones first (each costs a real hash), then
    // made-up ones, 120 in all.
    let mut ids: Vec<String> = info.candidates.iter().map(|c| c.id.clone()).collect();
    ids.truncate(100);
    ids.extend((ids.len()..120).map(|i| format!("made-up-{i}")));
    let per_round = 10.min(n / 3);
    let mut legit = info.candidates.chunks(per_round);
    let ip = |s: &str| s.parse::<IpAddr>().unwrap();

    let r = round(
        &server.base,
        &info.session,
        &[],
        &ids,
        legit.next().unwrap(),
        ip("127.0.0.100"),
        clients,
    )
    .await;
    print("no flood", &r);
    let r = round(
        &server.base,
        &info.session,
        &[ip("127.0.1.1")],
        &ids,
        legit.next().unwrap(),
        ip("127.0.0.101"),
        clients,
    )
    .await;
    print("one address floods", &r);
    let ten: Vec<IpAddr> = (1..=10).map(|m| ip(&format!("127.0.2.{m}"))).collect();
    let r = round(
        &server.base,
        &info.session,
        &ten,
        &ids,
        legit.next().unwrap(),
        ip("127.0.0.102"),
        clients,
    )
    .await;
    print("ten addresses flood", &r);
    if let Some(mib) = server.peak_mib() {
        println!("server peak memory: {mib:.0} MiB");
    }
}
