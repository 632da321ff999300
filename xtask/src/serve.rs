//! The developer's loop checked as the README gives it: a demo server on
//! 127.0.0.1:8080 (what `cargo xtask demo` serves, and what Trunk.toml's
//! proxies name) and `trunk serve` beside it, in the dev profile. The
//! check waits for Trunk's first build (the boot by Trunk, the app and the
//! worker by its hook), then asks Trunk's server for the page, for the API
//! and for a staff page: the page must name the boot and the app, and the
//! other two must come from vigil-server through Trunk's proxies.
//!
//! Plain HTTP/1.1 over a socket: three GETs need no client library.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::util;

/// The port Trunk.toml's proxies send `/api/` and `/review/` to.
const SERVER_PORT: u16 = 8080;

/// How long Trunk's first build may take (the app's dev build for wasm32,
/// the worker when it is not built yet).
const FIRST_BUILD: Duration = Duration::from_secs(900);

/// Kills a child process when dropped, so a failed check leaves nothing
/// running.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs the check with the server binary `server` serving `dist`.
pub(crate) fn check(server: &Path, dist: &Path) -> Result<()> {
    if TcpStream::connect(("127.0.0.1", SERVER_PORT)).is_ok() {
        bail!(
            "port {SERVER_PORT} is taken: the check runs the demo server there, as Trunk.toml's \
             proxies expect (stop what listens there, e.g. a `cargo xtask demo`)"
        );
    }
    let tmp = std::env::temp_dir().join(format!("vigil-serve-check-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp)?;
    let _server = Running(
        Command::new(server)
            .current_dir(util::root())
            .arg("--db")
            .arg(tmp.join("vigil.sqlite3"))
            .args(["demo", "--addr", &format!("127.0.0.1:{SERVER_PORT}")])
            .arg("--static-dir")
            .arg(dist)
            .arg("--out")
            .arg(tmp.join("demo.json"))
            .stdout(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", server.display()))?,
    );
    wait_until(Duration::from_secs(60), "vigil-server to listen", || {
        Ok(TcpStream::connect(("127.0.0.1", SERVER_PORT)).is_ok())
    })?;

    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    // Trunk's own dist folder, so the release page in dist/ stays as the
    // end-to-end tests had it.
    let trunk_dist = util::root().join("target/trunk-serve");
    let _trunk = Running(
        util::program("trunk")
            .args(["serve", "--port", &port.to_string(), "--dist"])
            .arg(&trunk_dist)
            .spawn()
            .context("starting `trunk serve`")?,
    );
    let started = Instant::now();
    let page = wait_for_page(port)?;
    println!(
        "trunk serve: the page after {:.0} s",
        started.elapsed().as_secs_f64()
    );
    for (what, needle) in [
        ("the boot, built by Trunk", "/vigil-boot-"),
        ("the app, added by the hook", "/app/vigil-app-"),
    ] {
        if !page.contains(needle) {
            bail!("trunk serve's page does not name {what} ({needle}):\n{page}");
        }
    }
    let (status, body) = get(port, "/api/health")?;
    if status != 200 {
        bail!("GET /api/health through trunk serve: {status}\n{body}");
    }
    let (status, body) = get(port, "/review/login")?;
    if status != 200 || !body.contains("<form") {
        bail!("GET /review/login through trunk serve: {status}, not the staff login\n{body}");
    }
    println!("trunk serve: the page, /api/health and /review/login answer through its proxies");
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(())
}

/// The page, once Trunk's first build is done and it serves it.
fn wait_for_page(port: u16) -> Result<String> {
    let mut page = String::new();
    wait_until(FIRST_BUILD, "trunk serve's first build", || {
        Ok(match get(port, "/") {
            Ok((200, body)) if body.contains("vigil-boot-") => {
                page = body;
                true
            }
            _ => false,
        })
    })?;
    Ok(page)
}

/// Polls `ready` every half second until it says yes or `limit` passes.
fn wait_until(limit: Duration, what: &str, mut ready: impl FnMut() -> Result<bool>) -> Result<()> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if ready()? {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    bail!("gave up waiting for {what} after {} s", limit.as_secs())
}

/// `GET path` on 127.0.0.1:`port`: the status and the body (with any
/// chunk sizes left in: callers look for text in it).
fn get(port: u16, path: &str) -> Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("GET {path}: no HTTP status in {text:.200}"))?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}
