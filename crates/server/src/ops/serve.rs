//! `vigil-server serve`: the service on a socket until Ctrl-C or SIGTERM.
//!
//! The one command that runs rather than reports: it prints where it
//! listens and when it stopped as it goes, and keeps the periodic sweep of
//! stale partial uploads running beside the server. The server loop itself,
//! with its timeouts and connection caps, is [`crate::listen`].

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;

use super::{system_state, DbLocation, MediaStore};
use crate::auth::CodeHashing;
use crate::clock::{Clock, SystemClock};
use crate::db::Db;
use crate::results::{sweep_stale_partials, PARTIAL_SWEEP_EVERY_MS};

/// What `serve` (and `demo`) serve, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeOptions {
    /// Address to listen on.
    pub addr: SocketAddr,
    /// The built web app (`dist/`, `cargo xtask build`); `None` serves the API alone.
    pub static_dir: Option<PathBuf>,
    /// The media folder and blob store.
    pub media: MediaStore,
    /// Reverse proxies whose `X-Forwarded-For` names the client
    /// (`--trusted-proxy`, [`crate::rate`]).
    pub trusted_proxies: Vec<crate::rate::IpNet>,
}

/// Serves until `shutdown` completes (see [`shutdown_signal`]).
pub async fn serve(
    db: Db,
    hashing: CodeHashing,
    options: ServeOptions,
    at: &DbLocation,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    if let Some(dir) = &options.static_dir {
        anyhow::ensure!(
            dir.join("index.html").is_file(),
            "--static-dir {}: no index.html there (build the app first: `cargo xtask build`)",
            dir.display()
        );
    }
    let mut state = system_state(db, hashing, options.static_dir, options.media, at).await?;
    state.limits = state
        .limits
        .with_trusted_proxies(options.trusted_proxies.clone());
    // Partial uploads that can no longer complete go, with the personal data
    // they may hold, once their attempt's sync deadline has passed.
    {
        let (db, dir) = (state.db.clone(), state.media_dir.clone());
        tokio::spawn(async move {
            let every = std::time::Duration::from_millis(PARTIAL_SWEEP_EVERY_MS);
            loop {
                tokio::time::sleep(every).await;
                let now = SystemClock.now_ms();
                match sweep_stale_partials(&db, &dir, now).await {
                    Ok((0, _)) => {}
                    Ok((files, bytes)) => {
                        tracing::info!(files, bytes, "swept stale partial uploads")
                    }
                    Err(e) => tracing::warn!(error = %e, "sweeping partial uploads"),
                }
            }
        });
    }
    let addr = options.addr;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    tracing::info!(addr = %addr, db = %at.label, "serving");
    println!("Listening on http://{addr}/ (Ctrl-C to stop)");
    // Within the bounds that keep slow clients from starving the others,
    // and with the peer address, for the per-address limits.
    let bounds = crate::listen::Bounds {
        trusted_proxies: options.trusted_proxies,
        ..Default::default()
    };
    crate::listen::serve(listener, crate::app(state), bounds, shutdown).await?;
    println!("Stopped.");
    Ok(())
}

/// Completes on Ctrl-C, or SIGTERM on Unix.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}
