//! The loopback link to the kiosk launcher, when the app runs inside it.
//!
//! The launcher serves `http://127.0.0.1:PORT/SECRET/` for its one browser
//! and passes `vigil-kiosk-link=PORT.SECRET` in the URL fragment (beside the
//! config key). The app reads the machine report there (recorded as a
//! `kiosk_report` event) and posts its status — what is still unsent, and
//! whether the exam was started and submitted — so the launcher closes the
//! browser once everything is sent and never wipes a profile that still
//! holds answers. Outside the launcher there is no link and these calls do
//! nothing. The address is built here from a port and a hex secret only, so
//! the fragment cannot send the app anywhere but the loopback interface.

use std::cell::RefCell;

use gloo_net::http::Request;
use vigil_exam::KioskReportBody;

/// The launcher's link: port and secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub port: u16,
    pub secret: String,
}

impl Link {
    fn url(&self, route: &str) -> String {
        format!("http://127.0.0.1:{}/{}/{route}", self.port, self.secret)
    }
}

/// `#…&vigil-kiosk-link=PORT.SECRET` → the link (a non-zero port and 32 hex
/// characters, else `None`).
pub fn parse_link(fragment: &str) -> Option<Link> {
    let value = fragment
        .trim_start_matches('#')
        .split('&')
        .find_map(|kv| kv.strip_prefix("vigil-kiosk-link="))?;
    let (port, secret) = value.split_once('.')?;
    let port: u16 = port.parse().ok().filter(|p| *p != 0)?;
    let hex = secret.len() == 32 && secret.bytes().all(|b| b.is_ascii_hexdigit());
    hex.then(|| Link {
        port,
        secret: secret.to_ascii_lowercase(),
    })
}

thread_local! {
    static LINK: RefCell<Option<Link>> = const { RefCell::new(None) };
}

/// Reads the link from the page's fragment, once at start-up.
pub fn init_from_fragment() {
    let hash = web_sys::window().and_then(|w| w.location().hash().ok());
    LINK.with(|l| *l.borrow_mut() = hash.as_deref().and_then(parse_link));
}

fn link() -> Option<Link> {
    LINK.with(|l| l.borrow().clone())
}

/// Whether the app runs inside the launcher.
pub fn present() -> bool {
    link().is_some()
}

/// The launcher's latest machine report; `None` outside the launcher or if
/// it cannot be read (the launcher checks again and the app asks again).
pub async fn report() -> Option<KioskReportBody> {
    let link = link()?;
    let res = Request::get(&link.url("report")).send().await.ok()?;
    if !res.ok() {
        return None;
    }
    res.json::<KioskReportBody>().await.ok()
}

/// Tells the launcher what is left to send. Best effort: the next round
/// tells it again.
pub async fn post_status(pending: u64, started: bool, finished: bool) {
    let Some(link) = link() else {
        return;
    };
    let body = serde_json::json!({
        "pending": pending,
        "started": started,
        "finished": finished,
    })
    .to_string();
    // A plain-text body keeps this a "simple" request (no preflight).
    if let Ok(req) = Request::post(&link.url("status")).body(body) {
        let _ = req.send().await;
    }
}

#[cfg(test)]
mod tests {
    use super::parse_link;

    #[test]
    fn reads_the_link_from_the_fragment() {
        let secret = "0123456789abcdef0123456789ABCDEF";
        let link = parse_link(&format!(
            "#vigil-config-key=k&vigil-kiosk-link=4100.{secret}"
        ))
        .unwrap();
        assert_eq!(link.port, 4100);
        assert_eq!(link.secret, secret.to_ascii_lowercase());
        assert_eq!(
            link.url("status"),
            format!(
                "http://127.0.0.1:4100/{}/status",
                secret.to_ascii_lowercase()
            )
        );
        assert_eq!(parse_link("#vigil-config-key=k"), None);
        assert_eq!(parse_link(&format!("#vigil-kiosk-link=0.{secret}")), None);
        assert_eq!(
            parse_link(&format!("#vigil-kiosk-link=70000.{secret}")),
            None
        );
        assert_eq!(parse_link("#vigil-kiosk-link=4100.short"), None);
        assert_eq!(
            parse_link("#vigil-kiosk-link=4100.evil.example/0123456789abcdef0123456"),
            None
        );
    }
}
