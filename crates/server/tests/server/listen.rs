//! The server loop's bounds (`vigil_server::listen`), on a real socket:
//! slow clients are cut while fast ones are served, and neither one address
//! nor everyone together can hold more connections than the caps (#31).
//! Each bound is made small here so it passes in a test's time; the
//! checks on time are generous bounds on *whether* something happens, not
//! measurements.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use vigil_server::listen::{serve, Bounds};

use crate::common::*;

/// The fixture's app served on a free loopback port within `bounds`;
/// stops when the returned sender is dropped.
async fn served(f: &Fixture, bounds: Bounds) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let app = f.app();
    tokio::spawn(async move {
        serve(listener, app, bounds, async move {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    (addr, stop)
}

/// A connection to `server` from the loopback address `from`.
async fn connect_from(from: &str, server: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
    socket.connect(server).await.unwrap()
}

/// `GET /api/time` on a fresh connection from `from`: the status line, or
/// `None` when the server closed the connection without answering.
async fn time_from(from: &str, server: SocketAddr) -> Option<String> {
    let mut s = connect_from(from, server).await;
    s.write_all(b"GET /api/time HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .await
        .ok()?;
    let answer = read_all(&mut s, Duration::from_secs(10)).await?;
    answer
        .lines()
        .next()
        .map(str::to_owned)
        .filter(|l| !l.is_empty())
}

/// Everything the server sends until it closes; `None` if it has not
/// closed after `within`.
async fn read_all(s: &mut TcpStream, within: Duration) -> Option<String> {
    let mut out = Vec::new();
    match tokio::time::timeout(within, s.read_to_end(&mut out)).await {
        Ok(_) => Some(String::from_utf8_lossy(&out).into_owned()),
        Err(_) => None,
    }
}

fn quick() -> Bounds {
    Bounds {
        header_read_timeout: Duration::from_millis(500),
        body_idle_timeout: Duration::from_millis(500),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_client_is_cut_and_a_fast_one_is_served_meanwhile() {
    let f = fixture().await;
    let (server, _stop) = served(&f, quick()).await;
    // A head that never ends, and a body that stops after its first bytes.
    let mut slow_head = connect_from("127.0.0.1", server).await;
    slow_head
        .write_all(b"GET /api/time HTTP/1.1\r\nHost: t\r\n")
        .await
        .unwrap();
    let mut slow_body = connect_from("127.0.0.1", server).await;
    slow_body
        .write_all(
            b"POST /api/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
              Content-Length: 200\r\n\r\n{\"session\": ",
        )
        .await
        .unwrap();
    // Meanwhile, a client that sends its request whole is answered.
    assert_eq!(
        time_from("127.0.0.2", server).await.as_deref(),
        Some("HTTP/1.1 200 OK")
    );
    // The slow ones are cut: the connection closed (the head), an error
    // answered and the connection closed (the body).
    let head = read_all(&mut slow_head, Duration::from_secs(10)).await;
    assert!(head.is_some(), "a request head that never ends is cut");
    let body = read_all(&mut slow_body, Duration::from_secs(10))
        .await
        .expect("a body that stops is cut");
    assert!(body.starts_with("HTTP/1.1 4"), "{body}");
    // A kept-alive connection that goes quiet is closed too.
    let mut idle = connect_from("127.0.0.1", server).await;
    idle.write_all(b"GET /api/time HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .unwrap();
    let answer = read_all(&mut idle, Duration::from_secs(10))
        .await
        .expect("closed after its idle time");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_cannot_hold_every_connection() {
    let f = fixture().await;
    let bounds = Bounds {
        max_connections_per_address: 4,
        ..Default::default()
    };
    let (server, _stop) = served(&f, bounds).await;
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(connect_from("127.0.0.3", server).await);
    }
    // The first four are kept (still open, answered), the fifth closed.
    held[0]
        .write_all(b"GET /api/time HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 12];
    held[0].read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"HTTP/1.1 200");
    assert_eq!(time_from("127.0.0.3", server).await, None);
    // Another address is served.
    assert_eq!(
        time_from("127.0.0.4", server).await.as_deref(),
        Some("HTTP/1.1 200 OK")
    );
    // One closes: the address may open one again.
    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        time_from("127.0.0.3", server).await.as_deref(),
        Some("HTTP/1.1 200 OK")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_connection_cap_newcomers_wait_for_a_free_place() {
    let f = fixture().await;
    let bounds = Bounds {
        max_connections: 3,
        ..Default::default()
    };
    let (server, _stop) = served(&f, bounds).await;
    let mut held = Vec::new();
    for i in 0..3 {
        held.push(connect_from(&format!("127.0.1.{}", i + 1), server).await);
    }
    // The fourth connects (the kernel's backlog) but is not served...
    let mut waiting = connect_from("127.0.1.9", server).await;
    waiting
        .write_all(b"GET /api/time HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(
        read_all(&mut waiting, Duration::from_millis(500)).await,
        None,
        "not served while the cap is reached"
    );
    // ...until one of the others leaves.
    drop(held.pop());
    let answer = read_all(&mut waiting, Duration::from_secs(10))
        .await
        .expect("served once a place is free");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}
