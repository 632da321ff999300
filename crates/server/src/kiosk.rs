//! Sessions that must be sat through the `vigil-kiosk` launcher.
//!
//! The launcher hashes its configuration into a config key (SHA-256 hex,
//! see `crates/kiosk/src/config.rs`) and hands it to the app, which sends it
//! on every API call as `X-Vigil-Config-Key`. A session may require one key
//! (`vigil-server session require-kiosk SESSION KEY`, or `session create
//! --kiosk-key KEY`); the candidate routes then answer any other request
//! with 403 `kiosk_required`. This proves the request came from a launcher
//! with that configuration, or from someone who copied its key: the
//! candidate controls the machine, and a modified launcher or a script can
//! send any header (README.md, "Kiosk deployments").

use axum::http::HeaderMap;

use crate::db::Db;
use crate::{ApiError, AppState};

/// The request header that carries the config key.
pub const HEADER: &str = "x-vigil-config-key";

/// A config key in its stored form (64 lowercase hex digits), or why not.
pub fn normalize_key(key: &str) -> anyhow::Result<String> {
    let key = key.trim().to_ascii_lowercase();
    anyhow::ensure!(
        key.len() == 64 && key.chars().all(|c| c.is_ascii_hexdigit()),
        "a kiosk config key is 64 hexadecimal digits (print it with \
         `vigil-kiosk --url URL --config FILE --print-config-key`), not {key:?}"
    );
    Ok(key)
}

/// Requires `key` for a session (`None`: any browser again). Fails on an
/// unknown session or a malformed key.
pub async fn require(db: &Db, session_id: &str, key: Option<&str>) -> anyhow::Result<()> {
    let key = key.map(normalize_key).transpose()?;
    let found = db.set_kiosk_key(session_id, key.as_deref()).await?;
    anyhow::ensure!(found, "no session {session_id:?}");
    Ok(())
}

/// Refuses the request unless it carries the key its session requires.
pub async fn check(
    state: &AppState,
    session_id: &str,
    headers: &HeaderMap,
) -> Result<(), ApiError> {
    let Some(required) = state.db.kiosk_key(session_id).await? else {
        return Ok(());
    };
    let sent = headers
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_ascii_lowercase());
    match sent {
        Some(sent) if sent == required => Ok(()),
        Some(_) => Err(ApiError::forbidden(
            "kiosk_required",
            "this session must be sat in the Vigil kiosk launcher with the configuration set \
             by the organisers; this browser sent a different configuration key",
        )),
        None => Err(ApiError::forbidden(
            "kiosk_required",
            "this session must be sat in the Vigil kiosk launcher (vigil-kiosk); \
             this browser sent no configuration key",
        )),
    }
}
