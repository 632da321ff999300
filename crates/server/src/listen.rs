//! The HTTP server loop of `vigil-server serve`: a server that slow or
//! greedy clients cannot starve.
//!
//! `axum::serve` accepts every connection and waits for every client as
//! long as it likes; at the hour of a start, a few hundred connections that
//! send a byte a minute would hold the server's sockets while candidates
//! queue. This loop is the same hyper HTTP/1 server with its bounds set, each
//! a documented number ([`Bounds`], the README's limits table):
//!
//! - **a request head within [`HEADER_READ_TIMEOUT`]** of the connection
//!   being ready for one — new, or kept alive after an answer — else the
//!   connection is closed: hyper's `header_read_timeout`, which is thus the
//!   idle timeout of kept-alive connections too;
//! - **a request body that sends nothing for [`BODY_IDLE_TIMEOUT`]** is cut
//!   (tower-http's `RequestBodyTimeoutLayer`, which restarts at each piece,
//!   so a long upload on a slow but live network goes on): the handler sees
//!   the body fail and answers as for a dropped connection (an upload
//!   keeps what arrived, for a resume);
//! - **at most [`MAX_CONNECTIONS`] connections at once**: past it the loop
//!   stops accepting until one closes (the kernel's backlog holds the
//!   newcomers), and never more than the process may open (its
//!   `RLIMIT_NOFILE`, less a reserve for the database and files);
//! - **at most [`MAX_CONNECTIONS_PER_ADDRESS`] from one client address**:
//!   one more is closed at once, so one address cannot take the others'
//!   place. A trusted proxy (`--trusted-proxy`) carries everyone's
//!   connections and is not counted per address.
//!
//! Graceful shutdown as `axum::serve`'s: the listener closes, and the
//! connections in flight finish their requests (hyper-util's
//! `GracefulShutdown`), for at most [`SHUTDOWN_GRACE`].

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use ipnet::IpNet;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt as _;
use tower_http::timeout::RequestBodyTimeoutLayer;

/// How long a connection may take to send a whole request head, from when
/// it is ready for one (also how long a kept-alive connection may idle).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a request body may send nothing before it is cut.
pub const BODY_IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Connections served at once.
pub const MAX_CONNECTIONS: usize = 8_192;
/// Connections served at once from one client address (a kiosk room
/// behind one router: 100 machines with a few connections each).
pub const MAX_CONNECTIONS_PER_ADDRESS: usize = 512;
/// How long a graceful shutdown waits for the requests in flight.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);
/// File descriptors kept for the database, the media files and the logs
/// when the connection cap is fitted under `RLIMIT_NOFILE`.
const FD_RESERVE: usize = 256;

/// The bounds one server runs with: the constants above, unless a test
/// asks for smaller ones (so a timeout passes in a test's time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bounds {
    pub header_read_timeout: Duration,
    pub body_idle_timeout: Duration,
    pub max_connections: usize,
    pub max_connections_per_address: usize,
    /// Peers whose connections are not counted per address.
    pub trusted_proxies: Vec<IpNet>,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds {
            header_read_timeout: HEADER_READ_TIMEOUT,
            body_idle_timeout: BODY_IDLE_TIMEOUT,
            max_connections: MAX_CONNECTIONS,
            max_connections_per_address: MAX_CONNECTIONS_PER_ADDRESS,
            trusted_proxies: Vec::new(),
        }
    }
}

/// The connections open per client address.
#[derive(Debug, Default)]
struct PerAddress(Mutex<HashMap<IpAddr, usize>>);

/// One connection counted against its address; uncounted on drop.
struct AddressSlot {
    table: Arc<PerAddress>,
    ip: Option<IpAddr>,
}

impl PerAddress {
    fn take(table: &Arc<PerAddress>, ip: IpAddr, most: usize) -> Option<AddressSlot> {
        let mut open = table.0.lock().unwrap_or_else(|p| p.into_inner());
        let n = open.entry(ip).or_default();
        if *n >= most {
            return None;
        }
        *n += 1;
        Some(AddressSlot {
            table: table.clone(),
            ip: Some(ip),
        })
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let Some(ip) = self.ip else { return };
        let mut open = self.table.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&ip) {
            *n -= 1;
            if *n == 0 {
                open.remove(&ip);
            }
        }
    }
}

/// The process's soft limit of open files, where the system says it.
fn open_files_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// The connection cap `wanted`, fitted under the open-files limit.
fn fitted(wanted: usize) -> usize {
    match open_files_limit() {
        Some(limit) if limit < wanted + FD_RESERVE => {
            let cap = limit.saturating_sub(FD_RESERVE).max(16);
            tracing::warn!(
                wanted,
                cap,
                open_files = limit,
                "the open-files limit (ulimit -n) caps the connections served at once"
            );
            cap
        }
        _ => wanted,
    }
}

/// Serves `app` on `listener` within `bounds` until `shutdown` completes,
/// then lets the requests in flight finish (at most [`SHUTDOWN_GRACE`]).
/// Handlers see the peer as `ConnectInfo<SocketAddr>`, as with
/// `into_make_service_with_connect_info`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    bounds: Bounds,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(fitted(bounds.max_connections)));
    let per_address = Arc::new(PerAddress::default());
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(bounds.header_read_timeout);
    let body_timeout = RequestBodyTimeoutLayer::new(bounds.body_idle_timeout);
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot,
            () = &mut shutdown => break,
        };
        // The semaphore is never closed.
        let Ok(slot) = slot else { break };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // A connection that failed while being accepted is
                    // the client's problem; anything else (out of file
                    // descriptors) passes with time, as axum::serve does.
                    if !is_connection_error(&e) {
                        tracing::warn!(error = %e, "accepting a connection");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let trusted = bounds
            .trusted_proxies
            .iter()
            .any(|n| n.contains(&peer.ip()));
        let address_slot = if trusted {
            AddressSlot {
                table: per_address.clone(),
                ip: None,
            }
        } else {
            match PerAddress::take(&per_address, peer.ip(), bounds.max_connections_per_address) {
                Some(s) => s,
                None => {
                    tracing::debug!(peer = %peer.ip(), "too many connections from one address");
                    drop(stream);
                    continue;
                }
            }
        };
        let _ = stream.set_nodelay(true);
        let service = tower::ServiceBuilder::new()
            .layer(body_timeout.clone())
            .service(app.clone())
            .map_request(move |mut req: axum::http::Request<_>| {
                req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
                req
            });
        let connection =
            http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended");
            }
            drop(address_slot);
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still in flight after the shutdown grace: dropped");
    }
    Ok(())
}

fn is_connection_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_holds_at_most_its_share_and_gives_it_back() {
        let table = Arc::new(PerAddress::default());
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let first = PerAddress::take(&table, a, 2).unwrap();
        let second = PerAddress::take(&table, a, 2).unwrap();
        assert!(PerAddress::take(&table, a, 2).is_none());
        assert!(PerAddress::take(&table, b, 2).is_some());
        drop(first);
        let third = PerAddress::take(&table, a, 2).unwrap();
        drop((second, third));
        assert!(table.0.lock().unwrap().is_empty());
    }

    #[test]
    fn the_open_files_limit_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(open_files_limit().is_some_and(|n| n > 0));
        }
        assert!(fitted(10) <= 10);
    }
}
