//! The link between the kiosk launcher and the exam app: a tiny HTTP server
//! the launcher runs on the loopback interface for the one browser it
//! started (`crates/kiosk/src/link.rs`), called by the app
//! (`src/browser/kiosk.rs`).
//!
//! The launcher passes the link in the exam URL's fragment as
//! `vigil-kiosk-link=PORT.SECRET` ([`LINK_PARAM`]); every route is under
//! `http://127.0.0.1:PORT/SECRET/`:
//!
//! | route | body | answer |
//! | --- | --- | --- |
//! | `GET report` ([`REPORT_ROUTE`]) | — | 200 [`ReportBody`] |
//! | `POST status` ([`STATUS_ROUTE`]) | [`AppStatus`] | 204, or 400 [`LinkError`] |
//! | anything else | — | 404 [`LinkError`] |
//!
//! The app records the report as its `kiosk_report` event (the engine's
//! `KioskReportBody`, same fields: the app converts it on its side, this
//! crate does not know the engine), and posts its status at every sync
//! round so that the launcher closes the browser once everything is sent
//! and never wipes a profile that still holds answers.

use serde::{Deserialize, Serialize};

/// The fragment parameter that carries the link: `vigil-kiosk-link=PORT.SECRET`.
pub const LINK_PARAM: &str = "vigil-kiosk-link";

/// The launcher's link as the app reads it from the fragment: a port and
/// the route secret (32 hex digits, lowercased).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub port: u16,
    pub secret: String,
}

impl Link {
    /// `http://127.0.0.1:PORT/SECRET/ROUTE`: built from a port and hex
    /// digits only, so no fragment can point the app off the loopback.
    pub fn url(&self, route: &str) -> String {
        format!("http://127.0.0.1:{}/{}/{route}", self.port, self.secret)
    }
}

/// `#…&vigil-kiosk-link=PORT.SECRET` → the link (a non-zero port and 32 hex
/// characters, else `None`). The fragment is the page's, so anything at all
/// may be in it (`fuzz/targets/kiosk_link.rs`).
pub fn parse_link(fragment: &str) -> Option<Link> {
    let value = fragment
        .trim_start_matches('#')
        .split('&')
        .find_map(|kv| kv.strip_prefix(LINK_PARAM)?.strip_prefix('='))?;
    let (port, secret) = value.split_once('.')?;
    let port: u16 = port.parse().ok().filter(|p| *p != 0)?;
    let hex = secret.len() == 32 && secret.bytes().all(|b| b.is_ascii_hexdigit());
    hex.then(|| Link {
        port,
        secret: secret.to_ascii_lowercase(),
    })
}

/// `GET http://127.0.0.1:PORT/SECRET/report` → [`ReportBody`].
pub const REPORT_ROUTE: &str = "report";

/// `POST http://127.0.0.1:PORT/SECRET/status` with an [`AppStatus`] → 204.
pub const STATUS_ROUTE: &str = "status";

/// What the app says about its data, posted at every sync round.
///
/// The last three fields are optional on the wire (an app that predates
/// them does not send them), but without them the launcher takes nothing
/// the app says as "all sent". The app always sends them
/// ([`AppStatus::complete`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppStatus {
    /// Events and media not yet acknowledged by the server.
    pub pending: u64,
    /// The exam was started.
    pub started: bool,
    /// The exam was submitted (by the candidate or at the deadline).
    pub finished: bool,
    /// The highest event seq in the app's log (0: nothing logged yet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logged_seq: Option<u64>,
    /// The highest event seq the server acknowledged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acked_seq: Option<u64>,
    /// Media (photos, stills) the server does not hold yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_media: Option<u64>,
}

impl AppStatus {
    /// A complete status, as the app sends it: `pending` follows from the
    /// seqs (events logged and not acknowledged) and the media.
    pub fn complete(
        logged_seq: u64,
        acked_seq: u64,
        pending_media: u64,
        started: bool,
        finished: bool,
    ) -> AppStatus {
        AppStatus {
            pending: logged_seq.saturating_sub(acked_seq) + pending_media,
            started,
            finished,
            logged_seq: Some(logged_seq),
            acked_seq: Some(acked_seq),
            pending_media: Some(pending_media),
        }
    }

    /// What the app *claims*: submitted and nothing pending. Not enough for
    /// the launcher to wipe a profile: it also checks the acknowledgements
    /// against everything it heard before.
    pub fn done(&self) -> bool {
        self.finished && self.pending == 0
    }
}

/// The launcher's machine report, as the app reads it and records it
/// (`kiosk_report` event): the config key the launcher computed, its
/// version, and one item per machine check.
///
/// Borrowed names: `item` and `status` are short ASCII names (see [`item`]
/// and [`status`]), written by the launcher as constants and read by the
/// app without a copy (parse the body with `serde_json::from_str` into a
/// `ReportBody<'_>`; a `\u` escape in them is refused, and serde_json never
/// writes one for such names).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportBody<'a> {
    /// SHA-256 hex of the launcher's settings (what the server checks).
    pub config_key: String,
    /// `vigil-kiosk <version>`.
    pub launcher: String,
    #[serde(borrow)]
    pub results: Vec<ReportItem<'a>>,
}

/// One machine check, e.g. `{"item": "virtual_machine", "status": "warn",
/// "detail": "sys_vendor = QEMU"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportItem<'a> {
    /// Which check ([`item`]); a newer launcher may add names, which the
    /// app records as they are.
    pub item: &'a str,
    /// [`status::PASS`], [`status::WARN`] or [`status::FAIL`] (the
    /// launcher's allow, warn, deny); the app refuses a report with any
    /// other.
    pub status: &'a str,
    /// What was found, in French, for the proctors.
    pub detail: String,
}

/// The values of [`ReportItem::status`].
pub mod status {
    /// Allowed (noted in the detail if something was found).
    pub const PASS: &str = "pass";
    /// Allowed, but shown to the proctors.
    pub const WARN: &str = "warn";
    /// Refused by the launcher's settings.
    pub const FAIL: &str = "fail";
}

/// The values of [`ReportItem::item`] the launcher writes today.
pub mod item {
    /// Extra displays connected.
    pub const DISPLAYS: &str = "displays";
    /// The machine is a virtual machine.
    pub const VIRTUAL_MACHINE: &str = "virtual_machine";
    /// Screen-sharing or remote-control programs running.
    pub const REMOTE_CONTROL: &str = "remote_control";
}

/// The body of the link's 400, 404 and 500 answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkError {
    pub error: String,
}

#[cfg(test)]
mod tests {
    use super::*;

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
