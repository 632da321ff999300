//! The link between the launcher and the exam app: a tiny HTTP server on
//! the loopback interface, for the one browser the launcher started.
//!
//! Why a loopback server: the launcher must hand its machine report to the
//! app (which records it in the attempt's log, so the proctors see it) and
//! must know when the exam is over and fully sent (to close the browser, and
//! to wipe the profile only when nothing unsent is left in it). The page can
//! reach `http://127.0.0.1` from any origin, the launcher needs no browser
//! automation channel, and nothing leaves the machine.
//!
//! The address is `http://127.0.0.1:PORT/SECRET/…`, given to the app in the
//! URL fragment as `vigil-kiosk-link=PORT.SECRET` (see
//! [`crate::browser::launch_url`]); the secret (128 random bits) keeps other
//! local programs and pages from posting a fake "all sent". Routes:
//!
//! - `GET  /SECRET/report` → the latest machine report as JSON, shaped as
//!   the engine's `kiosk_report` event body
//!   (`{config_key, launcher, results: [{item, status, detail}]}`).
//! - `POST /SECRET/status` with `{"pending": N, "started": bool,
//!   "finished": bool}` (at most
//!   [`MAX_BODY`] bytes) → 204; `pending` counts the events and media not yet
//!   acknowledged by the server, `finished` says the exam was submitted.
//! - `OPTIONS` on either → CORS preflight for the exam origin, with
//!   `Access-Control-Allow-Private-Network` (Chromium asks it before a
//!   public page may call a loopback address).
//!
//! Anything else is 404 (wrong secret, unknown path) or 400 (bad body).

use std::io::Read;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use serde::{Deserialize, Serialize};
use tiny_http::{Header, Method, Response, Server};

use crate::checks::Report;
use crate::config::Verdict;

/// Largest status body accepted, in bytes.
pub const MAX_BODY: usize = 1024;

/// What the app last said about its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppStatus {
    /// Events and media not yet acknowledged by the server.
    pub pending: u64,
    /// The exam was started.
    pub started: bool,
    /// The exam was submitted (by the candidate or at the deadline).
    pub finished: bool,
}

impl AppStatus {
    /// Submitted and everything acknowledged: the browser may close.
    pub fn done(&self) -> bool {
        self.finished && self.pending == 0
    }
}

/// One check as the app records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportItem {
    pub item: &'static str,
    pub status: &'static str,
    pub detail: String,
}

/// The report as the app records it (`kiosk_report` event body).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportBody {
    pub config_key: String,
    pub launcher: String,
    pub results: Vec<ReportItem>,
}

impl ReportBody {
    /// The launcher's findings as check results: allow → pass (noted in
    /// the detail if something was found), warn → warn, deny → fail.
    pub fn new(config_key: &str, report: &Report) -> ReportBody {
        use crate::checks::CheckId;
        let results = report
            .findings
            .iter()
            .map(|f| ReportItem {
                item: match f.check {
                    CheckId::Displays => "displays",
                    CheckId::VirtualMachine => "virtual_machine",
                    CheckId::RemoteControl => "remote_control",
                },
                status: match f.verdict {
                    Verdict::Allow => "pass",
                    Verdict::Warn => "warn",
                    Verdict::Deny => "fail",
                },
                detail: f.detail.clone(),
            })
            .collect();
        ReportBody {
            config_key: config_key.to_string(),
            launcher: crate::config::launcher_version(),
            results,
        }
    }
}

/// State shared between the link's thread and the launcher.
#[derive(Debug, Default)]
struct Shared {
    report: Option<ReportBody>,
    status: Option<AppStatus>,
}

/// The running link; dropping it stops the server.
pub struct Link {
    port: u16,
    secret: String,
    shared: Arc<Mutex<Shared>>,
    server: Arc<Server>,
    thread: Option<JoinHandle<()>>,
}

impl Link {
    /// Starts the server on a free loopback port; `origin` is the exam
    /// origin allowed to call it.
    pub fn start(origin: &str, report: ReportBody) -> anyhow::Result<Link> {
        let server = Server::http("127.0.0.1:0")
            .map_err(|e| anyhow::anyhow!("lien avec l'examen impossible à ouvrir : {e}"))?;
        let port = server
            .server_addr()
            .to_ip()
            .map(|a| a.port())
            .ok_or_else(|| anyhow::anyhow!("lien avec l'examen sans port"))?;
        let mut bytes = [0u8; 16];
        getrandom::getrandom(&mut bytes)
            .map_err(|e| anyhow::anyhow!("pas d'aléa pour le secret du lien : {e}"))?;
        let secret = hex::encode(bytes);
        let shared = Arc::new(Mutex::new(Shared {
            report: Some(report),
            status: None,
        }));
        let server = Arc::new(server);
        let thread = {
            let (server, shared, secret) = (server.clone(), shared.clone(), secret.clone());
            let origin = origin.to_string();
            std::thread::spawn(move || {
                for request in server.incoming_requests() {
                    handle(request, &secret, &origin, &shared);
                }
            })
        };
        Ok(Link {
            port,
            secret,
            shared,
            server,
            thread: Some(thread),
        })
    }

    /// The fragment parameter value the app reads: `PORT.SECRET`.
    pub fn fragment_value(&self) -> String {
        format!("{}.{}", self.port, self.secret)
    }

    /// `http://127.0.0.1:PORT`, for the browser's URL allow-list.
    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Replaces the report the app reads (after a re-check).
    pub fn set_report(&self, report: ReportBody) {
        self.shared.lock().expect("link state").report = Some(report);
    }

    /// What the app last said, if it said anything.
    pub fn status(&self) -> Option<AppStatus> {
        self.shared.lock().expect("link state").status
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("ASCII header")
}

fn handle(mut request: tiny_http::Request, secret: &str, origin: &str, shared: &Mutex<Shared>) {
    let cors = [
        header("Access-Control-Allow-Origin", origin),
        header("Access-Control-Allow-Methods", "GET, POST"),
        header("Access-Control-Allow-Headers", "content-type"),
        header("Access-Control-Allow-Private-Network", "true"),
        header("Cache-Control", "no-store"),
        header("Vary", "Origin"),
    ];
    let path = request.url().to_string();
    let route = path
        .strip_prefix('/')
        .and_then(|p| p.split_once('/'))
        .filter(|(s, _)| constant_time_eq(s.as_bytes(), secret.as_bytes()))
        .map(|(_, r)| r.to_string());
    let reply = |code: u16, body: String| {
        let mut r = Response::from_string(body).with_status_code(code);
        for h in cors.iter().cloned() {
            r.add_header(h);
        }
        r.add_header(header("Content-Type", "application/json"));
        r
    };
    let response = match (request.method(), route.as_deref()) {
        (Method::Options, Some("report" | "status")) => reply(204, String::new()),
        (Method::Get, Some("report")) => {
            let report = shared.lock().expect("link state").report.clone();
            reply(200, serde_json::to_string(&report).expect("report JSON"))
        }
        (Method::Post, Some("status")) => match read_status(&mut request) {
            Ok(status) => {
                shared.lock().expect("link state").status = Some(status);
                reply(204, String::new())
            }
            Err(e) => reply(400, serde_json::json!({ "error": e }).to_string()),
        },
        _ => reply(404, r#"{"error":"not found"}"#.into()),
    };
    let _ = request.respond(response);
}

fn read_status(request: &mut tiny_http::Request) -> Result<AppStatus, String> {
    let mut body = Vec::new();
    request
        .as_reader()
        .take(MAX_BODY as u64 + 1)
        .read_to_end(&mut body)
        .map_err(|e| format!("body unreadable: {e}"))?;
    if body.len() > MAX_BODY {
        return Err(format!("body larger than {MAX_BODY} bytes"));
    }
    serde_json::from_slice(&body).map_err(|e| format!("body is not a status: {e}"))
}

/// Compares secrets without an early exit on the first difference.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::{CheckId, Finding};
    use std::io::Write;
    use std::net::TcpStream;

    fn report() -> ReportBody {
        ReportBody::new(
            &"ab".repeat(32),
            &Report {
                findings: vec![
                    Finding {
                        check: CheckId::Displays,
                        found: false,
                        verdict: Verdict::Allow,
                        detail: "1 écran".into(),
                    },
                    Finding {
                        check: CheckId::VirtualMachine,
                        found: true,
                        verdict: Verdict::Warn,
                        detail: "sys_vendor = QEMU".into(),
                    },
                ],
            },
        )
    }

    /// One raw HTTP/1.1 exchange; returns the status code and the body.
    fn call(port: u16, method: &str, path: &str, body: &str) -> (u16, String, String) {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://exam.example\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        let code = out[9..12].parse().unwrap();
        let (head, body) = out.split_once("\r\n\r\n").unwrap();
        (code, head.to_string(), body.to_string())
    }

    #[test]
    fn the_app_reads_the_report_and_posts_its_status() {
        let link = Link::start("https://exam.example", report()).unwrap();
        let (port, secret) = link
            .fragment_value()
            .split_once('.')
            .map(|(p, s)| (p.parse().unwrap(), s.to_string()))
            .unwrap();
        assert_eq!(secret.len(), 32);
        assert_eq!(link.origin(), format!("http://127.0.0.1:{port}"));

        let (code, head, body) = call(port, "GET", &format!("/{secret}/report"), "");
        assert_eq!(code, 200);
        assert!(
            head.contains("Access-Control-Allow-Origin: https://exam.example"),
            "{head}"
        );
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["results"][1]["item"], "virtual_machine");
        assert_eq!(v["results"][1]["status"], "warn");
        assert_eq!(v["results"][0]["status"], "pass");
        assert!(v["launcher"].as_str().unwrap().starts_with("vigil-kiosk "));

        assert_eq!(link.status(), None);
        let (code, _, _) = call(
            port,
            "POST",
            &format!("/{secret}/status"),
            r#"{"pending":3,"started":true,"finished":true}"#,
        );
        assert_eq!(code, 204);
        assert_eq!(
            link.status(),
            Some(AppStatus {
                pending: 3,
                started: true,
                finished: true
            })
        );
        assert!(!link.status().unwrap().done());
        call(
            port,
            "POST",
            &format!("/{secret}/status"),
            r#"{"pending":0,"started":true,"finished":true}"#,
        );
        assert!(link.status().unwrap().done());

        // The preflight Chromium sends before a public page calls loopback.
        let (code, head, _) = call(port, "OPTIONS", &format!("/{secret}/status"), "");
        assert_eq!(code, 204);
        assert!(
            head.contains("Access-Control-Allow-Private-Network: true"),
            "{head}"
        );

        // A new report replaces the old one.
        let mut r = report();
        r.results.truncate(1);
        link.set_report(r);
        let (_, _, body) = call(port, "GET", &format!("/{secret}/report"), "");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["results"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn wrong_secrets_and_bad_bodies_change_nothing() {
        let link = Link::start("https://exam.example", report()).unwrap();
        let (port, secret) = link
            .fragment_value()
            .split_once('.')
            .map(|(p, s)| (p.parse::<u16>().unwrap(), s.to_string()))
            .unwrap();
        let wrong = "0".repeat(32);
        assert_eq!(call(port, "GET", &format!("/{wrong}/report"), "").0, 404);
        assert_eq!(
            call(
                port,
                "POST",
                &format!("/{wrong}/status"),
                r#"{"pending":0,"started":true,"finished":true}"#
            )
            .0,
            404
        );
        assert_eq!(call(port, "GET", "/report", "").0, 404);
        assert_eq!(call(port, "GET", &format!("/{secret}/other"), "").0, 404);
        let (code, _, body) = call(
            port,
            "POST",
            &format!("/{secret}/status"),
            r#"{"pending":-1}"#,
        );
        assert_eq!(code, 400);
        assert!(body.contains("not a status"), "{body}");
        let big = format!(
            r#"{{"pending":0,"finished":true,"x":"{}"}}"#,
            "y".repeat(2000)
        );
        let (code, _, body) = call(port, "POST", &format!("/{secret}/status"), &big);
        assert_eq!(code, 400);
        assert!(body.contains("larger than 1024"), "{body}");
        assert_eq!(link.status(), None);
    }
}
