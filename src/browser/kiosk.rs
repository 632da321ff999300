//! The loopback link to the kiosk launcher, when the app runs inside it.
//!
//! The launcher serves `http://127.0.0.1:PORT/SECRET/` for its one browser
//! and passes `vigil-kiosk-link=PORT.SECRET` in the URL fragment (beside the
//! config key; the launcher opens that URL from a start page in its private
//! profile folder, so the secret is on no command line). The app reads the
//! machine report there (recorded as a `kiosk_report` event) and posts its
//! [`SyncStatus`] — the highest event seq it logged, the highest the server
//! acknowledged, the media still unsent, and whether the exam was started
//! and submitted — so the launcher closes the browser once everything is
//! sent and never wipes a profile that still holds answers. The launcher
//! checks every status against all the earlier ones: a status without the
//! seqs (what older apps sent) never lets it wipe the profile. Outside the
//! launcher there is no link and these calls do nothing. The address is
//! built here from a port and a hex secret only, so the fragment cannot send
//! the app anywhere but the loopback interface.
//!
//! The bodies are the launcher's own types (`vigil_contracts::kiosk`, which
//! `vigil-kiosk` serves and reads): the report is read as a
//! [`ReportBody`] and recorded as the engine's [`KioskReportBody`] (the same
//! fields; [`kiosk_report_body`]), the status posted as an [`AppStatus`].

use std::cell::RefCell;

use gloo_net::http::Request;
use vigil_contracts::kiosk::{parse_link, status, AppStatus, Link, ReportBody};
use vigil_exam::{CheckResult, CheckStatus, KioskReportBody};

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
    let res = Request::get(&link.url(vigil_contracts::kiosk::REPORT_ROUTE))
        .send()
        .await
        .ok()?;
    if !res.ok() {
        return None;
    }
    let text = res.text().await.ok()?;
    kiosk_report_body(serde_json::from_str(&text).ok()?)
}

/// The launcher's report as the engine records it (`kiosk_report`): the
/// same fields, the status as the engine's [`CheckStatus`]. `None` if a
/// status is none of pass, warn, fail (the report is then not recorded, as
/// a report the engine cannot read).
pub fn kiosk_report_body(report: ReportBody<'_>) -> Option<KioskReportBody> {
    let ReportBody {
        config_key,
        launcher,
        results,
    } = report;
    let results = results
        .into_iter()
        .map(|r| {
            let status = match r.status {
                status::PASS => CheckStatus::Pass,
                status::WARN => CheckStatus::Warn,
                status::FAIL => CheckStatus::Fail,
                _ => return None,
            };
            Some(CheckResult {
                detail: r.detail,
                item: r.item.to_string(),
                status,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some(KioskReportBody {
        config_key,
        launcher,
        results,
    })
}

/// What the app tells the launcher at each sync round, all from one
/// snapshot of the attempt and its sync cursor. The launcher wipes the
/// profile only when `acked_seq` reaches the highest `logged_seq` it ever
/// heard, no media is pending, and the exam was submitted (or never
/// started); so `logged_seq` must never go back, nor `acked_seq`, nor the
/// two flags (the launcher takes that as a forged status and keeps the
/// profile).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncStatus {
    /// The exam was started.
    pub started: bool,
    /// The exam was submitted (by the candidate or at the deadline).
    pub finished: bool,
    /// The highest event seq in the log (0: nothing logged).
    pub logged_seq: u64,
    /// The highest event seq the server acknowledged.
    pub acked_seq: u64,
    /// Media (photos, stills) the server does not hold yet.
    pub pending_media: u64,
}

impl From<SyncStatus> for AppStatus {
    /// The status the launcher reads: the three seq fields, and `pending`
    /// (events not acknowledged plus media) as older launchers read it.
    fn from(s: SyncStatus) -> AppStatus {
        AppStatus::complete(
            s.logged_seq,
            s.acked_seq,
            s.pending_media,
            s.started,
            s.finished,
        )
    }
}

impl SyncStatus {
    /// The JSON body posted to the launcher (an [`AppStatus`]).
    pub fn body(&self) -> String {
        serde_json::to_string(&AppStatus::from(*self)).unwrap_or_default()
    }
}

/// Tells the launcher what is logged, acknowledged and left to send. Best
/// effort: the next round tells it again.
pub async fn post_sync_status(status: SyncStatus) {
    let Some(link) = link() else {
        return;
    };
    // A plain-text body keeps this a "simple" request (no preflight).
    if let Ok(req) =
        Request::post(&link.url(vigil_contracts::kiosk::STATUS_ROUTE)).body(status.body())
    {
        let _ = req.send().await;
    }
}

#[cfg(test)]
mod tests {
    use super::{kiosk_report_body, SyncStatus};
    use vigil_contracts::kiosk::ReportBody;
    use vigil_exam::{CheckResult, CheckStatus, KioskReportBody};

    #[test]
    fn the_status_carries_the_seqs_and_a_consistent_pending_count() {
        let body = SyncStatus {
            started: true,
            finished: true,
            logged_seq: 42,
            acked_seq: 40,
            pending_media: 1,
        }
        .body();
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "pending": 3, "started": true, "finished": true,
                "logged_seq": 42, "acked_seq": 40, "pending_media": 1,
            })
        );
        let nothing: serde_json::Value =
            serde_json::from_str(&SyncStatus::default().body()).unwrap();
        assert_eq!(nothing["pending"], 0);
        assert_eq!(nothing["logged_seq"], 0);
    }

    #[test]
    fn the_launchers_report_is_recorded_as_the_engines_body() {
        let json = r#"{"config_key":"k","launcher":"vigil-kiosk 0.1.0","results":[
            {"item":"displays","status":"pass","detail":"1 écran"},
            {"item":"virtual_machine","status":"warn","detail":"sys_vendor = QEMU"},
            {"item":"remote_control","status":"fail","detail":"anydesk"}]}"#;
        let report: ReportBody<'_> = serde_json::from_str(json).unwrap();
        let check = |item: &str, status, detail: &str| CheckResult {
            detail: detail.into(),
            item: item.into(),
            status,
        };
        assert_eq!(
            kiosk_report_body(report),
            Some(KioskReportBody {
                config_key: "k".into(),
                launcher: "vigil-kiosk 0.1.0".into(),
                results: vec![
                    check("displays", CheckStatus::Pass, "1 écran"),
                    check("virtual_machine", CheckStatus::Warn, "sys_vendor = QEMU"),
                    check("remote_control", CheckStatus::Fail, "anydesk"),
                ],
            })
        );
        // As the engine would have refused it, read directly.
        let odd = json.replace("\"warn\"", "\"maybe\"");
        assert_eq!(kiosk_report_body(serde_json::from_str(&odd).unwrap()), None);
    }
}
